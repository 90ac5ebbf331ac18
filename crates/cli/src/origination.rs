//! `loanbook application | policy | authority-rules | payment | loan`: batch work of
//! origination from the command line.

use std::fmt::Write as _;

use clap::Subcommand;
use loanbook_service::origination::disbursement;
use loanbook_service::{applications, loans, policies};

use crate::context::{Location, json, operator};
use crate::error::CliError;

fn read(flag: &str, path: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::usage(flag, format!("cannot read {path}: {e}")))
}

fn text(flag: &str, path: &str) -> Result<String, CliError> {
    String::from_utf8(read(flag, path)?)
        .map_err(|_| CliError::usage(flag, format!("{path} is not UTF-8")))
}

/// `loanbook application …`
#[derive(Debug, Subcommand)]
pub enum ApplicationCommand {
    /// Import draft applications from CSV, all or nothing (columns: customer_id or
    /// id_number, product_code, amount, term_months, method, purpose, channel, and
    /// optionally device_id, bank_card); `--submit` then submits each one.
    Import {
        /// The CSV file.
        #[arg(long, value_name = "FILE")]
        csv: String,
        /// Submit every imported application (pre-screen and assessment).
        #[arg(long)]
        submit: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one application with its assessment and approval chain.
    Show {
        /// Application id.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `loanbook policy …`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Import a credit policy (decision tables, JSON): the next version of its name.
    Import {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: String,
    },
    /// List policy versions.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `loanbook authority-rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Import the approval authority rules (JSON array): a new version.
    Import {
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: String,
    },
}

/// `loanbook payment …`
#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// Import the bank's confirmation file (order_id,status,bank_reference[,reason]);
    /// failed payments are reversed.
    Confirmations {
        /// The CSV file.
        #[arg(long, value_name = "FILE")]
        csv: String,
    },
    #[command(flatten)]
    Servicing(crate::servicing_ops::PaymentOps),
}

/// `loanbook loan …`
#[derive(Debug, Subcommand)]
pub enum LoanCommand {
    /// Show a loan with its balances.
    Show {
        /// Loan id, or its external id (from a migrated book).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Ops(crate::loan_ops::LoanOps),
    #[command(flatten)]
    Servicing(crate::servicing_ops::LoanOps),
}

/// Runs an application command.
pub async fn application(location: &Location, c: &ApplicationCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        ApplicationCommand::Import {
            csv,
            submit,
            json: as_json,
        } => {
            let ids = applications::import_csv(&app, &actor, &read("--csv", csv)?).await?;
            let mut results = Vec::new();
            if *submit {
                for id in &ids {
                    let a = applications::submit(&app, &actor, *id).await?;
                    results.push(serde_json::json!({"id": a.id, "status": a.status}));
                }
            } else {
                results.extend(
                    ids.iter()
                        .map(|id| serde_json::json!({"id": id, "status": "draft"})),
                );
            }
            if *as_json {
                return json(&results);
            }
            let mut out = format!("imported {} applications from {csv}\n", ids.len());
            let mut by_status = std::collections::BTreeMap::<String, usize>::new();
            for r in &results {
                *by_status
                    .entry(r["status"].as_str().unwrap_or("").to_owned())
                    .or_default() += 1;
            }
            for (status, n) in by_status {
                let _ = writeln!(out, "  {status}: {n}");
            }
            Ok(out)
        }
        ApplicationCommand::Show { id, json: as_json } => {
            let a = applications::get(&app, &actor, *id).await?;
            if *as_json {
                return json(&a);
            }
            let mut out = format!(
                "application {} — {} {} for {} months ({}), {}\n",
                a.id, a.product_code, a.amount, a.term_months, a.method, a.status
            );
            if let Some(x) = &a.assessment {
                let _ = writeln!(
                    out,
                    "assessment {} ({}): score {} grade {} → {} at {} limit {}",
                    x.assessment_no,
                    x.stage,
                    x.score.map_or("-".into(), |s| s.to_string()),
                    x.risk_grade.as_deref().unwrap_or("-"),
                    x.decision,
                    x.offered_rate.as_deref().unwrap_or("-"),
                    x.credit_limit.map_or("-".into(), |l| l.to_string())
                );
                for r in &x.reasons {
                    let _ = writeln!(out, "  {}: {}", r.code, r.text);
                }
            }
            if let Some(ap) = &a.approval {
                for s in &ap.required_steps {
                    let _ = writeln!(
                        out,
                        "  step {} {:<15} {:<15}{}",
                        s.seq,
                        s.kind,
                        s.status,
                        if s.overdue { " OVERDUE" } else { "" }
                    );
                }
            }
            Ok(out)
        }
    }
}

/// Runs a policy command.
pub async fn policy(location: &Location, c: &PolicyCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        PolicyCommand::Import { file } => {
            let p = policies::import_policy(&app, &actor, &text("--file", file)?).await?;
            Ok(format!(
                "imported policy {} version {} ({})\n",
                p.name, p.version, p.fingerprint
            ))
        }
        PolicyCommand::List { json: as_json } => {
            let list = policies::policies(&app, &actor).await?;
            if *as_json {
                return json(&list);
            }
            let mut out = String::new();
            for p in &list {
                let _ = writeln!(
                    out,
                    "{:<16} v{:<3} {:<8} {}",
                    p.name, p.version, p.status, p.fingerprint
                );
            }
            Ok(out)
        }
    }
}

/// Runs an authority-rules command.
pub async fn rules(location: &Location, c: &RulesCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let RulesCommand::Import { file } = c;
    let r = policies::import_rules(&app, &operator(), &text("--file", file)?).await?;
    Ok(format!("imported authority rules version {}\n", r.version))
}

/// Runs a payment command.
pub async fn payment(location: &Location, c: &PaymentCommand) -> Result<String, CliError> {
    let csv = match c {
        PaymentCommand::Confirmations { csv } => csv,
        PaymentCommand::Servicing(ops) => {
            return crate::servicing_ops::payment(location, ops).await;
        }
    };
    let app = location.app().await?;
    let (confirmed, failed) =
        disbursement::import_confirmations(&app, &operator(), &text("--csv", csv)?).await?;
    Ok(format!(
        "{confirmed} payments confirmed, {failed} failed and reversed\n"
    ))
}

/// Runs a loan command.
pub async fn loan(location: &Location, c: &LoanCommand) -> Result<String, CliError> {
    let (id, as_json) = match c {
        LoanCommand::Show { id, json } => (id, json),
        LoanCommand::Ops(ops) => return crate::loan_ops::run(location, ops).await,
        LoanCommand::Servicing(ops) => return crate::servicing_ops::loan(location, ops).await,
    };
    let app = location.app().await?;
    let id = loans::resolve(&app, &operator(), id).await?;
    let l = loans::get(&app, &operator(), id).await?;
    if *as_json {
        return json(&l);
    }
    Ok(format!(
        "loan {} ({}) — {} {} of {} disbursed, principal outstanding {}, fees due {}, {} months at {}, {} → {}\n",
        l.id,
        l.status,
        l.product_code,
        l.disbursed,
        l.contract_amount,
        l.principal_outstanding,
        l.fees_due,
        l.term_months,
        l.annual_rate,
        l.start_date,
        l.maturity_date
    ))
}
