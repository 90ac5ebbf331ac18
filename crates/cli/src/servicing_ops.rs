//! `loanbook loan import | refund | reverse` and `loanbook payment statement`: the book
//! migration, refunds of the advance, reversals of repayments and bank statements.

use std::fmt::Write as _;

use clap::Subcommand;
use loanbook_service::loans;
use loanbook_service::servicing::migration::{self, ImportOptions};
use loanbook_service::servicing::refunds::{self, RefundInput};
use loanbook_service::servicing::{reversals, statements};

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// The servicing commands under `loanbook loan`.
#[derive(Debug, Subcommand)]
pub enum LoanOps {
    /// Bring active loans from another system (CSV: external_id, customer_name, id_number,
    /// phone, province, product_code, principal, annual_rate, term, method, disbursed_on
    /// [, first_due, principal_repaid, interest_repaid, funding_source]), all or nothing;
    /// each loan arrives closed through the day before the business date.
    Import {
        /// The CSV file.
        #[arg(long, value_name = "FILE")]
        csv: String,
        /// Funding source of rows without a funding_source.
        #[arg(long, value_name = "CODE")]
        funding_source: Option<String>,
        /// Print JSON (every loan with its id, DPD and class).
        #[arg(long)]
        json: bool,
    },
    /// Pay back the advance (溢缴款) of a loan: all of it, or --amount.
    Refund {
        /// The loan: its id or external id.
        #[arg(long)]
        loan: String,
        /// Amount to pay back (default: the whole advance).
        #[arg(long)]
        amount: Option<String>,
        /// The bank transfer's reference.
        #[arg(long, default_value = "refund")]
        reference: String,
        /// Idempotency key: a retry with the same key pays nothing more.
        #[arg(long)]
        idempotency_key: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reverse a posted repayment, prepayment or payoff; later transactions are re-applied.
    Reverse {
        /// The loan: its id or external id.
        #[arg(long)]
        loan: String,
        /// The loan transaction to reverse.
        #[arg(long)]
        transaction: i64,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Print JSON (with the later transactions' new allocations).
        #[arg(long)]
        json: bool,
    },
}

/// The servicing commands under `loanbook payment`.
#[derive(Debug, Subcommand)]
pub enum PaymentOps {
    /// Import a bank statement (CSV: loan, amount, paid_on, reference), all or nothing:
    /// each line is a repayment; a reference imported before for its loan is refused.
    Statement {
        /// The CSV file.
        #[arg(long, value_name = "FILE")]
        csv: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn text(flag: &str, path: &str) -> Result<String, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(flag, format!("cannot read {path}: {e}")))?;
    String::from_utf8(bytes).map_err(|_| CliError::usage(flag, format!("{path} is not UTF-8")))
}

/// Runs a `loan import | refund | reverse` command.
pub async fn loan(location: &Location, c: &LoanOps) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        LoanOps::Import {
            csv,
            funding_source,
            json: as_json,
        } => {
            let opts = ImportOptions {
                funding_source: funding_source.clone(),
            };
            let view = migration::import_loans(&app, &actor, &text("--csv", csv)?, &opts).await?;
            if *as_json {
                return json(&view);
            }
            let mut out = format!(
                "imported {} loans from {csv} ({} customers created, {} matched by ID number), principal outstanding {}\n",
                view.loans.len(),
                view.customers_created,
                view.customers_reused,
                view.principal_outstanding
            );
            let late = view.loans.iter().filter(|l| l.dpd > 0).count();
            let _ = writeln!(
                out,
                "  current: {}, past due: {late}",
                view.loans.len() - late
            );
            Ok(out)
        }
        LoanOps::Refund {
            loan,
            amount,
            reference,
            idempotency_key,
            json: as_json,
        } => {
            let id = loans::resolve(&app, &actor, loan).await?;
            let input = RefundInput {
                amount: amount.clone(),
                reference: reference.clone(),
            };
            let view =
                refunds::refund(&app, &actor, id, &input, idempotency_key.as_deref()).await?;
            if *as_json {
                return json(&view);
            }
            Ok(format!(
                "refund {} of loan {}: {} paid back, {} still held; loan {}\n",
                view.transaction_id, view.loan_id, view.amount, view.advance_left, view.loan_status
            ))
        }
        LoanOps::Reverse {
            loan,
            transaction,
            reason,
            json: as_json,
        } => {
            let id = loans::resolve(&app, &actor, loan).await?;
            let view = reversals::reverse(&app, &actor, id, *transaction, reason).await?;
            if *as_json {
                return json(&view);
            }
            let mut out = format!(
                "transaction {} of loan {} reversed by {} ({}); {} later transactions re-applied; {} days past due; loan {}\n",
                view.reverses,
                view.loan_id,
                view.transaction_id,
                view.amount,
                view.replayed.len(),
                view.dpd,
                view.loan_status
            );
            for r in &view.replayed {
                let a = &r.allocation;
                let _ = writeln!(
                    out,
                    "  {} {} {}: penalty {} + compound {} + fees {} + interest {} + principal {} + advance {}",
                    r.transaction_id,
                    r.kind,
                    r.business_date,
                    a.penalty_interest,
                    a.compound_interest,
                    a.fees,
                    a.interest,
                    a.principal,
                    a.advance
                );
            }
            Ok(out)
        }
    }
}

/// Runs a `payment statement` command.
pub async fn payment(location: &Location, c: &PaymentOps) -> Result<String, CliError> {
    let app = location.app().await?;
    let PaymentOps::Statement { csv, json: as_json } = c;
    let view = statements::import_statement(&app, &operator(), &text("--csv", csv)?).await?;
    if *as_json {
        return json(&view);
    }
    Ok(format!(
        "{} repayments posted from {csv}, {} in total\n",
        view.rows, view.total
    ))
}
