//! The SLA sweep: pending tickets past their due time flagged once, in batches.

use chrono::{DateTime, Utc};
use loanbook_core::post_loan::tickets::{TicketStatus, is_breached};
use loanbook_store::audit::timestamp;
use loanbook_store::tickets::{self as store, EventRow};

use super::{event, parse_at};
use crate::{Actor, App, Permission, ServiceError, record};

/// Tickets flagged per transaction of a sweep.
const SWEEP_BATCH: i64 = 1000;

/// Most batches one sweep runs (10,000,000 tickets).
const MAX_SWEEP_BATCHES: usize = 10_000;

/// Flags, as the system, every pending ticket past its SLA due time at `now` that is not
/// flagged yet (`breached_at = now`, event `sla_breached`, one audit record per batch);
/// returns how many were flagged. For the scheduler and the daily close.
///
/// # Errors
/// A database error; a stored due time that does not parse.
pub async fn sweep_sla(app: &App, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    sweep_as(app, &Actor::system(), now).await
}

/// [`sweep_sla`] now, on behalf of `actor` (the API and the CLI).
///
/// # Errors
/// Forbidden without `ticket:work`; as [`sweep_sla`].
pub async fn sweep(app: &App, actor: &Actor) -> Result<u64, ServiceError> {
    actor.require(Permission::TicketWork)?;
    sweep_as(app, actor, app.now()).await
}

async fn sweep_as(app: &App, actor: &Actor, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let at = timestamp(now);
    let mut flagged = 0;
    for _ in 0..MAX_SWEEP_BATCHES {
        let mut tx = app.db().begin().await?;
        let candidates = store::past_due_unflagged(&mut tx, &at, SWEEP_BATCH).await?;
        let mut breached = Vec::with_capacity(candidates.len());
        for (id, due_text, status) in &candidates {
            let due = parse_at(due_text, "sla_due_at", *id)?;
            if TicketStatus::parse(status).is_some_and(|s| is_breached(s, due, now)) {
                breached.push((*id, due_text.as_str()));
            }
        }
        if breached.is_empty() {
            tx.rollback().await?;
            break;
        }
        let ids: Vec<i64> = breached.iter().map(|(id, _)| *id).collect();
        let n = store::mark_breached(&mut tx, &ids, &at).await?;
        let events: Vec<EventRow> = breached
            .iter()
            .map(|(id, due)| event(*id, &at, actor, "sla_breached", format!("due {due}")))
            .collect();
        store::insert_events(&mut tx, &events).await?;
        record(
            &mut tx,
            actor,
            "ticket.sla_sweep",
            "ticket",
            &ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            None,
            Some(serde_json::json!({"breached": ids, "at": at})),
        )
        .await?;
        tx.commit().await?;
        flagged += n;
        if (candidates.len() as i64) < SWEEP_BATCH {
            break;
        }
    }
    Ok(flagged)
}
