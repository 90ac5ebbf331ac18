//! `loanbook loan restructure | write-off | recover | class-override | tasks | task-done |
//! archive` and `loanbook lpr import | list`: restructuring, write-off and the end of a
//! loan's life from the command line.
//!
//! Requests are decided by another person (four-eyes): the CLI acts as `cli:<os user>`,
//! so a request made at the command line is approved by a different OS user (or in the
//! console by a user with the approving role).

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use loanbook_service::servicing::class_override::{self, ClassOverrideInput};
use loanbook_service::servicing::requests::RequestView;
use loanbook_service::servicing::restructure::{self, RestructureInput};
use loanbook_service::servicing::write_off::{self, RecoveryInput};
use loanbook_service::servicing::{closing, lpr};

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// The loan operations beside `loan show`.
#[derive(Debug, Subcommand)]
pub enum LoanOps {
    /// Restructures (重组): extension (展期), rate change, plan change, principal grace,
    /// LPR conversion — requested, then approved by someone else.
    #[command(subcommand)]
    Restructure(RestructureCommand),
    /// Write-offs (核销): requested, then approved by someone else.
    #[command(subcommand, name = "write-off")]
    WriteOff(WriteOffCommand),
    /// Record money recovered on a written-off loan (核销后收回).
    Recover(RecoverArgs),
    /// Manual five-tier class overrides: requested with a reason, approved by someone else.
    #[command(subcommand, name = "class-override")]
    ClassOverride(ClassOverrideCommand),
    /// Closing tasks (清户撤押: collateral release), open or done.
    Tasks {
        /// Of one loan.
        #[arg(long)]
        loan: Option<i64>,
        /// `open` or `done`.
        #[arg(long)]
        status: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mark a closing task done.
    TaskDone {
        /// Task id.
        id: i64,
        /// What was done (e.g. the deregistration number).
        #[arg(long)]
        note: String,
    },
    /// Archive a closed loan with no open task (档案管理).
    Archive {
        /// Loan id.
        id: i64,
    },
}

/// `loanbook loan restructure …`
#[derive(Debug, Subcommand)]
pub enum RestructureCommand {
    /// Request a restructure of a loan.
    Request(Box<RestructureArgs>),
    /// Approve and apply a restructure (not your own request).
    Approve {
        /// Restructure id.
        id: i64,
    },
    /// Reject a restructure.
    Reject {
        /// Restructure id.
        id: i64,
        /// Why.
        #[arg(long)]
        note: String,
    },
    /// Restructures (and LPR repricings), newest first.
    List(ListArgs),
}

/// `loanbook loan restructure request`
#[derive(Debug, Args)]
pub struct RestructureArgs {
    /// The loan.
    #[arg(long)]
    loan: i64,
    /// extension, rate_change, plan_change, principal_grace or lpr_conversion.
    #[arg(long)]
    kind: String,
    /// extension: periods added.
    #[arg(long)]
    extra_periods: Option<u32>,
    /// rate_change: the new annual rate, e.g. 0.0415.
    #[arg(long)]
    new_rate: Option<String>,
    /// plan_change: annuity, equal_principal, interest_only, bullet or flat.
    #[arg(long)]
    method: Option<String>,
    /// principal_grace: interest-only periods after the current one.
    #[arg(long)]
    grace_periods: Option<u32>,
    /// lpr_conversion: 1y or 5y.
    #[arg(long)]
    lpr_tenor: Option<String>,
    /// lpr_conversion: spread over the LPR, e.g. 0.0085 (default: the rate stays).
    #[arg(long, allow_hyphen_values = true)]
    rate_spread: Option<String>,
    /// lpr_conversion: january_1 (default) or anniversary.
    #[arg(long)]
    repricing_rule: Option<String>,
    /// Why.
    #[arg(long)]
    reason: String,
}

/// Filters of a list of requests.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Of one loan.
    #[arg(long)]
    loan: Option<i64>,
    /// requested, applied or rejected.
    #[arg(long)]
    status: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `loanbook loan write-off …`
#[derive(Debug, Subcommand)]
pub enum WriteOffCommand {
    /// Request the write-off of a non-performing loan.
    Request {
        /// The loan.
        #[arg(long)]
        loan: i64,
        /// Why (e.g. the court ruling).
        #[arg(long)]
        reason: String,
    },
    /// Approve and apply a write-off (not your own request).
    Approve {
        /// Write-off id.
        id: i64,
    },
    /// Reject a write-off.
    Reject {
        /// Write-off id.
        id: i64,
        /// Why.
        #[arg(long)]
        note: String,
    },
    /// Write-off requests, newest first.
    List(ListArgs),
    /// What a loan's write-off took off the books, and what was recovered.
    Show {
        /// The loan.
        #[arg(long)]
        loan: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `loanbook loan recover --loan ID --amount X`
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The written-off loan.
    #[arg(long)]
    loan: i64,
    /// Amount received, e.g. 3000.00.
    #[arg(long)]
    amount: String,
    /// Where it came from.
    #[arg(long)]
    reference: Option<String>,
    /// Idempotency key: a retry with the same key posts nothing new.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `loanbook loan class-override …`
#[derive(Debug, Subcommand)]
pub enum ClassOverrideCommand {
    /// Request a class (pass, special_mention, substandard, doubtful, loss); without
    /// `--class`, request the removal of the override.
    Request {
        /// The loan.
        #[arg(long)]
        loan: i64,
        /// The class; omit to remove the override.
        #[arg(long)]
        class: Option<String>,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Approve and apply an override (not your own request).
    Approve {
        /// Override request id.
        id: i64,
    },
    /// Reject an override.
    Reject {
        /// Override request id.
        id: i64,
        /// Why.
        #[arg(long)]
        note: String,
    },
    /// Override requests, newest first.
    List(ListArgs),
}

/// `loanbook lpr …`
#[derive(Debug, Subcommand)]
pub enum LprCommand {
    /// Import published rates (CSV: tenor,effective_date,rate), all or nothing.
    Import {
        /// The CSV file.
        #[arg(long, value_name = "FILE")]
        csv: String,
    },
    /// The published rates, newest first per tenor.
    List {
        /// 1y or 5y.
        #[arg(long)]
        tenor: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn flags(e: loanbook_service::ServiceError) -> CliError {
    CliError::from_service(e, true)
}

fn one(what: &str, r: &RequestView) -> String {
    let decided = r
        .decided_by
        .as_deref()
        .map(|by| format!(" by {by}"))
        .unwrap_or_default();
    format!(
        "{what} {} of loan {} ({}): {}{decided}\n",
        r.id, r.loan_id, r.kind, r.status
    )
}

fn table(what: &str, list: &[RequestView], as_json: bool) -> Result<String, CliError> {
    if as_json {
        return json(&list);
    }
    let mut out = String::new();
    for r in list {
        let _ = writeln!(
            out,
            "{what} {:<5} loan {:<7} {:<16} {:<10} {} {}",
            r.id, r.loan_id, r.kind, r.status, r.requested_by, r.reason
        );
    }
    Ok(out)
}

/// Runs a loan operation.
pub async fn run(location: &Location, c: &LoanOps) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        LoanOps::Restructure(r) => match r {
            RestructureCommand::Request(a) => {
                let input = RestructureInput {
                    kind: a.kind.clone(),
                    extra_periods: a.extra_periods,
                    new_rate: a.new_rate.clone(),
                    method: a.method.clone(),
                    grace_periods: a.grace_periods,
                    lpr_tenor: a.lpr_tenor.clone(),
                    rate_spread: a.rate_spread.clone(),
                    repricing_rule: a.repricing_rule.clone(),
                    reason: a.reason.clone(),
                };
                let v = restructure::request(&app, &actor, a.loan, &input)
                    .await
                    .map_err(flags)?;
                Ok(one("restructure", &v))
            }
            RestructureCommand::Approve { id } => {
                let v = restructure::approve(&app, &actor, *id).await?;
                Ok(format!("{}{}\n", one("restructure", &v), v.result))
            }
            RestructureCommand::Reject { id, note } => Ok(one(
                "restructure",
                &restructure::reject(&app, &actor, *id, note)
                    .await
                    .map_err(flags)?,
            )),
            RestructureCommand::List(l) => table(
                "restructure",
                &restructure::list(&app, &actor, l.loan, l.status.as_deref()).await?,
                l.json,
            ),
        },
        LoanOps::WriteOff(w) => match w {
            WriteOffCommand::Request { loan, reason } => Ok(one(
                "write-off",
                &write_off::request(&app, &actor, *loan, reason)
                    .await
                    .map_err(flags)?,
            )),
            WriteOffCommand::Approve { id } => {
                let v = write_off::approve(&app, &actor, *id).await?;
                Ok(format!("{}{}\n", one("write-off", &v), v.result))
            }
            WriteOffCommand::Reject { id, note } => Ok(one(
                "write-off",
                &write_off::reject(&app, &actor, *id, note)
                    .await
                    .map_err(flags)?,
            )),
            WriteOffCommand::List(l) => table(
                "write-off",
                &write_off::list(&app, &actor, l.loan, l.status.as_deref()).await?,
                l.json,
            ),
            WriteOffCommand::Show {
                loan,
                json: as_json,
            } => {
                let v = write_off::written_off(&app, &actor, *loan).await?;
                if *as_json {
                    return json(&v);
                }
                Ok(format!(
                    "loan {} written off ({}): principal {}, interest {}, penalty {}, fees {}, off book {}; provision used {}, expense {}; claim {}, recovered {}, outstanding {}\n",
                    v.loan_id,
                    v.write_off_id,
                    v.principal,
                    v.interest,
                    v.penalty,
                    v.fees,
                    v.off_book,
                    v.provision_used,
                    v.expense,
                    v.claim,
                    v.recovered,
                    v.outstanding
                ))
            }
        },
        LoanOps::Recover(a) => {
            let input = RecoveryInput {
                amount: a.amount.clone(),
                reference: a.reference.clone(),
            };
            let v = write_off::recover(&app, &actor, a.loan, &input, a.idempotency_key.as_deref())
                .await
                .map_err(flags)?;
            if a.json {
                return json(&v);
            }
            Ok(format!(
                "loan {}: recovered {} of a claim of {}; outstanding {}\n",
                v.loan_id, v.recovered, v.claim, v.outstanding
            ))
        }
        LoanOps::ClassOverride(o) => match o {
            ClassOverrideCommand::Request {
                loan,
                class,
                reason,
            } => {
                let input = ClassOverrideInput {
                    class: class.clone(),
                    reason: reason.clone(),
                };
                Ok(one(
                    "class override",
                    &class_override::request(&app, &actor, *loan, &input)
                        .await
                        .map_err(flags)?,
                ))
            }
            ClassOverrideCommand::Approve { id } => Ok(one(
                "class override",
                &class_override::approve(&app, &actor, *id).await?,
            )),
            ClassOverrideCommand::Reject { id, note } => Ok(one(
                "class override",
                &class_override::reject(&app, &actor, *id, note)
                    .await
                    .map_err(flags)?,
            )),
            ClassOverrideCommand::List(l) => table(
                "class override",
                &class_override::list(&app, &actor, l.loan, l.status.as_deref()).await?,
                l.json,
            ),
        },
        LoanOps::Tasks {
            loan,
            status,
            json: as_json,
        } => {
            let list = closing::tasks(&app, &actor, *loan, status.as_deref())
                .await
                .map_err(flags)?;
            if *as_json {
                return json(&list);
            }
            let mut out = String::new();
            for t in &list {
                let _ = writeln!(
                    out,
                    "task {:<5} loan {:<7} {:<20} {:<5} {} {}",
                    t.id, t.loan_id, t.kind, t.status, t.created_on, t.note
                );
            }
            Ok(out)
        }
        LoanOps::TaskDone { id, note } => {
            let t = closing::complete(&app, &actor, *id, note)
                .await
                .map_err(flags)?;
            Ok(format!("task {} of loan {} done\n", t.id, t.loan_id))
        }
        LoanOps::Archive { id } => {
            closing::archive(&app, &actor, *id).await?;
            Ok(format!("loan {id} archived\n"))
        }
    }
}

/// Runs an `lpr` command.
pub async fn lpr_command(location: &Location, c: &LprCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        LprCommand::Import { csv } => {
            let data = std::fs::read(csv)
                .map_err(|e| CliError::usage("--csv", format!("cannot read {csv}: {e}")))?;
            let r = lpr::import_csv(&app, &actor, &data).await?;
            Ok(format!(
                "imported {csv}: {} rates added, {} already stored\n",
                r.added, r.unchanged
            ))
        }
        LprCommand::List {
            tenor,
            json: as_json,
        } => {
            let list = lpr::list(&app, &actor, tenor.as_deref())
                .await
                .map_err(flags)?;
            if *as_json {
                return json(&list);
            }
            let mut out = String::new();
            for r in &list {
                let _ = writeln!(out, "{:<3} {} {}", r.tenor, r.effective_date, r.rate);
            }
            Ok(out)
        }
    }
}
