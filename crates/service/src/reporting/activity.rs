//! Reports of what was done in a period: collection performance (contact rate,
//! promise-kept rate, recovery by queue) and the approval funnel.

use chrono::NaiveDate;
use serde::Serialize;

use super::check_period;
use crate::collections::money;
use crate::{Actor, App, Permission, ServiceError};

/// Collection performance from `from` to `to` (business dates).
#[derive(Clone, Debug, Serialize)]
pub struct CollectionPerformanceView {
    /// First business date.
    pub from: NaiveDate,
    /// Last business date.
    pub to: NaiveDate,
    /// Call attempts.
    pub attempts: i64,
    /// Calls that reached an obligor and discussed the debt.
    pub contacts: i64,
    /// Contacts ÷ attempts.
    pub contact_rate: String,
    /// Promises kept.
    pub promises_kept: i64,
    /// Promises broken.
    pub promises_broken: i64,
    /// Kept ÷ (kept + broken).
    pub promise_kept_rate: String,
    /// Per queue: cases open in the period and what their loans received meanwhile.
    pub recovery: Vec<QueueRecovery>,
}

/// What one queue recovered.
#[derive(Clone, Debug, Serialize)]
pub struct QueueRecovery {
    /// M1, M2, M3 or M4+.
    pub queue: String,
    /// Cases open on some day of the period.
    pub cases: i64,
    /// Received while the case was open.
    pub recovered: String,
}

/// Collection performance from `from` to `to`: contact rate, promise-kept rate and
/// recovery by queue.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `to` when it is
/// before `from`.
pub async fn collection_performance(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<CollectionPerformanceView, ServiceError> {
    use loanbook_core::post_loan::collections::PromiseStatus;
    use loanbook_core::post_loan::contact::{Outcome, Party};
    use loanbook_core::reporting::collections::{Calls, Recovery, performance};
    actor.require(Permission::LoanRead)?;
    check_period(from, to)?;
    let (f, t) = (from.to_string(), to.to_string());
    let store = loanbook_store::reporting::calls(app.db(), &f, &t).await?;
    let calls: Vec<Calls> = store
        .iter()
        .filter_map(|(party, outcome, count)| {
            Some(Calls {
                party: Party::parse(party)?,
                outcome: Outcome::parse(outcome)?,
                count: *count,
            })
        })
        .collect();
    let promises: Vec<(PromiseStatus, i64)> =
        loanbook_store::reporting::promises_judged(app.db(), &f, &t)
            .await?
            .into_iter()
            .filter_map(|(status, n)| match status.as_str() {
                "kept" => Some((PromiseStatus::Kept, n)),
                "broken" => Some((PromiseStatus::Broken, n)),
                _ => None,
            })
            .collect();
    let recovery = loanbook_store::reporting::recovered_by_queue(app.db(), &f, &t)
        .await?
        .into_iter()
        .map(|(queue, cases, recovered)| Recovery {
            queue,
            cases,
            recovered,
        })
        .collect();
    let p = performance(&calls, &promises, recovery);
    Ok(CollectionPerformanceView {
        from,
        to,
        attempts: p.attempts,
        contacts: p.contacts,
        contact_rate: p.contact_rate.to_string(),
        promises_kept: p.promises_kept,
        promises_broken: p.promises_broken,
        promise_kept_rate: p.promise_kept_rate.to_string(),
        recovery: p
            .recovery
            .into_iter()
            .map(|r| QueueRecovery {
                queue: r.queue,
                cases: r.cases,
                recovered: money(r.recovered),
            })
            .collect(),
    })
}

/// The approval funnel of the applications created from `from` to `to` (calendar
/// dates of their creation, UTC).
///
/// # Errors
/// Forbidden without `application:read`; [`ServiceError::Invalid`] naming `to` when it is
/// before `from`.
pub async fn approval_funnel(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<loanbook_core::reporting::funnel::Funnel, ServiceError> {
    use loanbook_core::reporting::funnel::{Path, funnel};
    actor.require(Permission::ApplicationRead)?;
    check_period(from, to)?;
    let until = to.succ_opt().unwrap_or(to);
    let at = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let paths: Vec<Path> = loanbook_store::reporting::application_paths(
        app.db(),
        &from.to_string(),
        &until.to_string(),
    )
    .await?
    .iter()
    .map(
        |(submitted, decided, [approved, declined, contracted, disbursed])| Path {
            submitted_at: at(submitted),
            decided_at: at(decided),
            approved: *approved,
            declined: *declined,
            contracted: *contracted,
            disbursed: *disbursed,
        },
    )
    .collect();
    Ok(funnel(&paths))
}
