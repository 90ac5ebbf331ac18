//! `loanbook eod run` and `loanbook repay`: the daily close and repayments.

use std::fmt::Write as _;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use loanbook_service::servicing::eod::{self, RunOptions};
use loanbook_service::servicing::repayments::{self, RepaymentInput};

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// `loanbook eod …`
#[derive(Debug, Subcommand)]
pub enum EodCommand {
    /// Run the daily close (日终) of the open business date, or of every date through
    /// `--until`: accrual, due and overdue installments, penalty and compound interest,
    /// DPD, class, provisions, the ledger, then the next business date.
    Run {
        /// Close every date up to and including this one (catch up).
        #[arg(long, value_name = "DATE")]
        until: Option<NaiveDate>,
        /// Concurrent workers in this process (other processes may join the same close).
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Loan ids per partition.
        #[arg(long, default_value_t = eod::DEFAULT_PARTITION_SIZE)]
        partition_size: i64,
        /// Seconds before the partitions of a worker that died are taken over.
        #[arg(long, default_value_t = eod::DEFAULT_LEASE_SECONDS)]
        lease_seconds: i64,
        /// Print the end reports as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The most recent closes.
    History {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

/// `loanbook repay --loan ID --amount X`
#[derive(Debug, Args)]
pub struct RepayArgs {
    /// The loan: its id, or its external id.
    #[arg(long)]
    loan: String,
    /// Amount received, e.g. 8530.99.
    #[arg(long)]
    amount: String,
    /// The payer's or bank's reference.
    #[arg(long)]
    reference: Option<String>,
    /// Channel: bank_transfer (default), auto_debit, cash, counter, online, statement.
    #[arg(long)]
    channel: Option<String>,
    /// Value date (default: the business date; at most 31 days back).
    #[arg(long, value_name = "DATE")]
    paid_on: Option<String>,
    /// Idempotency key: a retry with the same key posts nothing new.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Print JSON (with the allocation by component).
    #[arg(long)]
    json: bool,
}

/// Runs an `eod` command.
pub async fn eod(location: &Location, command: &EodCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match command {
        EodCommand::Run {
            until,
            workers,
            partition_size,
            lease_seconds,
            json: as_json,
        } => {
            let opts = RunOptions {
                until: *until,
                workers: *workers,
                partition_size: *partition_size,
                lease_seconds: *lease_seconds,
                ..RunOptions::default()
            };
            let quiet = *as_json;
            let progress = move |date: NaiveDate, done: u64, total: u64| {
                if !quiet && total > 0 {
                    let width = 30;
                    let filled = usize::try_from(done * width / total).unwrap_or(0);
                    eprint!(
                        "\r{date} [{}{}] {done}/{total} partitions",
                        "#".repeat(filled),
                        "-".repeat(30 - filled.min(30))
                    );
                    if done == total {
                        eprintln!();
                    }
                }
            };
            let reports = eod::run(&app, &actor, &opts, &progress)
                .await
                .inspect_err(|_| {
                    // the error goes on its own line, not after an unfinished progress bar
                    if !quiet {
                        eprintln!();
                    }
                })?;
            if *as_json {
                return json(&reports);
            }
            let mut out = String::new();
            for r in &reports {
                if r.already_closed {
                    let _ = writeln!(out, "{}: already closed; nothing changed", r.business_date);
                    continue;
                }
                let _ = writeln!(
                    out,
                    "{} closed in {} ms: {} loans, interest accrued {}, penalty {}, {} fell due, {} newly overdue, {} class changes, provisions {}; business date now {}",
                    r.business_date,
                    r.duration_ms,
                    r.loans,
                    r.interest_accrued,
                    r.penalty_accrued,
                    r.fell_due,
                    r.newly_overdue,
                    r.class_changes,
                    r.provision_delta,
                    r.next_business_date
                );
            }
            Ok(out)
        }
        EodCommand::History { limit } => json(&eod::history(&app, &actor, *limit).await?),
    }
}

/// Runs `repay`.
pub async fn repay(location: &Location, args: &RepayArgs) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    let input = RepaymentInput {
        amount: args.amount.clone(),
        paid_on: args.paid_on.clone(),
        channel: args.channel.clone(),
        reference: args.reference.clone(),
    };
    let loan = loanbook_service::loans::resolve(&app, &actor, &args.loan).await?;
    let view =
        repayments::repay(&app, &actor, loan, &input, args.idempotency_key.as_deref()).await?;
    if args.json {
        return json(&view);
    }
    let a = &view.allocation;
    Ok(format!(
        "repayment {} of loan {}: {} = penalty {} + compound {} + fees {} + interest {} + principal {} + advance {}; loan {}\n",
        view.transaction_id,
        view.loan_id,
        view.amount,
        a.penalty_interest,
        a.compound_interest,
        a.fees,
        a.interest,
        a.principal,
        a.advance,
        view.loan_status
    ))
}
