//! `loanbook collection …` (催收): the case queue, a case, assignment, the action log,
//! promises, settlements, the strategy and collectors; `loanbook notify …`: the outbox and
//! the dispatcher.
//!
//! The CLI acts as `cli:<os user>` with the operator's permissions; a settlement it
//! requests is approved by someone else (four-eyes).

use std::fmt::Write as _;

use clap::Subcommand;
use loanbook_service::collections::cases::{
    self, ActionInput, CaseQuery, CaseView, CollectorInput, PromiseInput,
};
use loanbook_service::collections::settlements::{self, SettlementInput};
use loanbook_service::notifications::{self, MessageQuery};

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// `loanbook collection …`
#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// The case queue: open cases, most days past due first.
    Cases {
        /// A bucket queue: M1, M2, M3, M4+.
        #[arg(long)]
        queue: Option<String>,
        /// A collector (`me` for yourself).
        #[arg(long)]
        assigned_to: Option<String>,
        /// open (default), closed or all.
        #[arg(long)]
        status: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One case with its log, promises, visits, legal cases, placements, settlements.
    Case {
        /// Case id.
        id: i64,
    },
    /// Give a case to a collector.
    Assign {
        /// Case id.
        id: i64,
        /// The collector.
        #[arg(long)]
        to: String,
    },
    /// Log a call, message or note (contact rules apply).
    Log {
        /// Case id.
        id: i64,
        /// call, sms, letter, email, visit or note.
        #[arg(long)]
        kind: String,
        /// borrower, guarantor, relative, employer or third_party.
        #[arg(long)]
        party: String,
        /// Outcome code, e.g. no_answer, promise_to_pay, dispute.
        #[arg(long)]
        outcome: String,
        /// What was said.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Record a promise to pay.
    Promise {
        /// Case id.
        id: i64,
        /// Amount, e.g. 500.00.
        #[arg(long)]
        amount: String,
        /// Date promised (YYYY-MM-DD).
        #[arg(long)]
        date: String,
    },
    /// Offer a settlement (approved by someone else).
    Settle {
        /// Case id.
        id: i64,
        /// Amount to settle for.
        #[arg(long)]
        amount: String,
        /// Pay by (YYYY-MM-DD).
        #[arg(long)]
        pay_by: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Approve a settlement (not your own).
    ApproveSettlement {
        /// Settlement id.
        id: i64,
    },
    /// Record the agreed payment of an approved settlement: posts it, closes the loan.
    PaySettlement {
        /// Settlement id.
        id: i64,
        /// The bank's reference.
        #[arg(long, default_value = "")]
        reference: String,
    },
    /// The strategy in force (JSON).
    Strategy,
    /// Create or change a collector.
    Collector {
        /// Login name.
        username: String,
        /// Queues, comma-separated (M1,M2).
        #[arg(long)]
        queues: String,
        /// Region (province).
        #[arg(long)]
        region: Option<String>,
        /// Most open cases.
        #[arg(long)]
        max_open_cases: Option<i64>,
        /// Stop giving new cases.
        #[arg(long)]
        inactive: bool,
    },
}

/// `loanbook notify …`
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Expand pending notices and send what is due now.
    Dispatch,
    /// The outbox, newest first.
    Outbox {
        /// pending, deferred, retry, sending, sent or failed.
        #[arg(long)]
        status: Option<String>,
        /// A customer.
        #[arg(long)]
        customer: Option<i64>,
        /// At most.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn line(c: &CaseView) -> String {
    format!(
        "{:>6} loan {:>7} {:<4} {:<8} dpd {:>3} overdue {:>12} {:<12} {}",
        c.id,
        c.loan_id,
        c.queue,
        c.stage,
        c.dpd,
        c.overdue,
        c.assigned_to.as_deref().unwrap_or("-"),
        c.customer_name
    )
}

/// Runs `loanbook collection …`.
///
/// # Errors
/// The service's, as a CLI error.
pub async fn run(location: &Location, c: &CollectionCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        CollectionCommand::Cases {
            queue,
            assigned_to,
            status,
            json: as_json,
        } => {
            let list = cases::list(
                &app,
                &actor,
                &CaseQuery {
                    status: status.clone(),
                    queue: queue.clone(),
                    assigned_to: assigned_to.clone(),
                    ..CaseQuery::default()
                },
            )
            .await?;
            if *as_json {
                return json(&list);
            }
            let mut out = String::new();
            for c in &list {
                let _ = writeln!(out, "{}", line(c));
            }
            let _ = writeln!(out, "{} cases", list.len());
            Ok(out)
        }
        CollectionCommand::Case { id } => json(&cases::get(&app, &actor, *id).await?),
        CollectionCommand::Assign { id, to } => Ok(format!(
            "{}\n",
            line(&cases::assign(&app, &actor, *id, to).await?)
        )),
        CollectionCommand::Log {
            id,
            kind,
            party,
            outcome,
            note,
        } => {
            let a = cases::log_action(
                &app,
                &actor,
                *id,
                &ActionInput {
                    kind: kind.clone(),
                    party: party.clone(),
                    outcome: outcome.clone(),
                    note: note.clone(),
                },
                chrono::Utc::now(),
            )
            .await?;
            Ok(format!("logged action {} on case {id}\n", a.id))
        }
        CollectionCommand::Promise { id, amount, date } => {
            let p = cases::promise(
                &app,
                &actor,
                *id,
                &PromiseInput {
                    amount: amount.clone(),
                    promised_date: date.clone(),
                },
            )
            .await?;
            Ok(format!(
                "promise {}: {} by {}\n",
                p.id, p.amount, p.promised_date
            ))
        }
        CollectionCommand::Settle {
            id,
            amount,
            pay_by,
            reason,
        } => json(
            &settlements::request(
                &app,
                &actor,
                *id,
                &SettlementInput {
                    amount: amount.clone(),
                    pay_by: pay_by.clone(),
                    reason: reason.clone(),
                },
            )
            .await?,
        ),
        CollectionCommand::ApproveSettlement { id } => {
            json(&settlements::approve(&app, &actor, *id, None).await?)
        }
        CollectionCommand::PaySettlement { id, reference } => {
            json(&settlements::pay(&app, &actor, *id, reference).await?)
        }
        CollectionCommand::Strategy => json(&cases::strategy(&app, &actor).await?),
        CollectionCommand::Collector {
            username,
            queues,
            region,
            max_open_cases,
            inactive,
        } => json(
            &cases::put_collector(
                &app,
                &actor,
                &CollectorInput {
                    username: username.clone(),
                    queues: queues.split(',').map(|q| q.trim().to_owned()).collect(),
                    region: region.clone(),
                    active: Some(!inactive),
                    max_open_cases: *max_open_cases,
                },
            )
            .await?,
        ),
    }
}

/// Runs `loanbook notify …`.
///
/// # Errors
/// The service's, as a CLI error.
pub async fn notify(location: &Location, c: &NotifyCommand) -> Result<String, CliError> {
    let app = location.app().await?;
    let actor = operator();
    match c {
        NotifyCommand::Dispatch => {
            let r = notifications::dispatch_now(&app, &actor).await?;
            Ok(format!(
                "sent {}, deferred {}, to retry {}, failed {}\n",
                r.sent, r.deferred, r.retried, r.failed
            ))
        }
        NotifyCommand::Outbox {
            status,
            customer,
            limit,
            json: as_json,
        } => {
            let list = notifications::messages(
                &app,
                &actor,
                &MessageQuery {
                    customer_id: *customer,
                    status: status.clone(),
                    limit: Some(*limit),
                    ..MessageQuery::default()
                },
            )
            .await?;
            if *as_json {
                return json(&list);
            }
            let mut out = String::new();
            for m in &list {
                let _ = writeln!(
                    out,
                    "{:>7} {:<7} {:<17} {:<9} attempts {} customer {} {}",
                    m.id,
                    m.channel,
                    m.kind,
                    m.status,
                    m.attempts,
                    m.customer_id,
                    m.deferred_reason
                        .as_deref()
                        .or(m.last_error.as_deref())
                        .unwrap_or("")
                );
            }
            Ok(out)
        }
    }
}
