//! Post-loan inspections (贷后检查): scheduled by the rules of
//! `core::post_loan::inspections`, worked from a queue, recorded with a checklist.
//!
//! Where inspections come from:
//! 1. the first disbursement of a business loan schedules a `first` inspection 30 days
//!    later ([`schedule_first`], called by the disbursement);
//! 2. the daily close hands its class changes to [`after_class_changes`]: a worse class
//!    brings a `triggered` inspection within the interval of the new class, unless one
//!    pending is due by then;
//! 3. completing an inspection ([`complete`]) schedules the next `periodic` one by the
//!    loan's class at that moment (none for a performing individual loan), unless one
//!    pending is due by then;
//! 4. an officer schedules one by hand ([`schedule`], kind `triggered`, with a reason).
//!
//! An inspection is `pending` (assigned or not) until it is `done`; the work queue is the
//! pending inspections due by the business date, per assignee.
//!
//! This file holds the views, assignment, the list and the work queue; scheduling (the
//! first, triggered, periodic and by-hand inspections) is in `schedule`, recording an
//! inspection done in `complete`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use loanbook_core::post_loan::inspections::Kind;
use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::inspections::{self as store, InspectionFilter, InspectionRow};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

mod complete;
mod schedule;

pub use complete::{CompleteInput, Completed, complete};
pub use schedule::{ScheduleInput, after_class_changes, schedule, schedule_first};

/// Status of an inspection still to be done.
pub const PENDING: &str = "pending";
/// Status of an inspection recorded.
pub const DONE: &str = "done";

/// Longest findings or reason, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most documents attached to one inspection.
pub const MAX_DOCUMENTS: usize = 50;
/// Most follow-up tasks of one inspection.
pub const MAX_FOLLOW_UPS: usize = 20;
/// Longest follow-up task, in characters.
pub const MAX_TASK_CHARS: usize = 500;
/// Latest an inspection scheduled by hand may be due, in days after the business date.
pub const MAX_SCHEDULE_DAYS: i64 = 366;

/// A follow-up task of an inspection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct FollowUp {
    /// What to do.
    #[serde(default)]
    pub task: String,
    /// By when, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_on: String,
    /// Who (a user name).
    #[serde(default)]
    pub owner: String,
}

/// An inspection as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct InspectionView {
    pub id: i64,
    pub loan_id: i64,
    pub customer_id: i64,
    /// first, periodic or triggered.
    pub kind: String,
    pub due_on: String,
    /// pending or done.
    pub status: String,
    /// Pending and due before the business date.
    pub overdue: bool,
    pub assigned_to: Option<String>,
    pub done_on: Option<String>,
    pub done_by: Option<String>,
    /// use_of_funds, business_status, collateral → satisfactory, concern, adverse,
    /// not_applicable.
    pub checklist: BTreeMap<String, String>,
    pub findings: String,
    /// normal, concern or adverse (the worst answer).
    pub result: Option<String>,
    pub document_ids: Vec<i64>,
    pub follow_ups: Vec<FollowUp>,
    /// Why it was scheduled.
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
}

fn view(r: &InspectionRow, business_date: NaiveDate) -> InspectionView {
    InspectionView {
        id: r.id,
        loan_id: r.loan_id,
        customer_id: r.customer_id,
        kind: r.kind.clone(),
        due_on: r.due_on.clone(),
        status: r.status.clone(),
        overdue: r.status == PENDING && r.due_on < business_date.to_string(),
        assigned_to: r.assigned_to.clone(),
        done_on: r.done_on.clone(),
        done_by: r.done_by.clone(),
        checklist: serde_json::from_str(&r.checklist).unwrap_or_default(),
        findings: r.findings.clone(),
        result: r.result.clone(),
        document_ids: serde_json::from_str(&r.document_ids).unwrap_or_default(),
        follow_ups: serde_json::from_str(&r.follow_ups).unwrap_or_default(),
        reason: r.reason.clone(),
        created_by: r.created_by.clone(),
        created_at: r.created_at.clone(),
    }
}

fn new_row(
    loan_id: i64,
    customer_id: i64,
    kind: Kind,
    due_on: NaiveDate,
    reason: String,
    created_by: &str,
    at: &str,
) -> InspectionRow {
    InspectionRow {
        loan_id,
        customer_id,
        kind: kind.code().into(),
        due_on: due_on.to_string(),
        status: PENDING.into(),
        reason,
        created_by: created_by.into(),
        created_at: at.into(),
        ..InspectionRow::default()
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// Checks that `username` may do inspections: an active user whose role holds
/// `inspection:work`. The inner error is the violation of `field`.
async fn check_assignee(
    app: &App,
    field: &str,
    username: &str,
) -> Result<Result<String, Violation>, ServiceError> {
    crate::auth::worker(app, field, username, Permission::InspectionWork).await
}

async fn load_pending(tx: &mut Tx<'_>, id: i64) -> Result<InspectionRow, ServiceError> {
    let row = store::get_locked(tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("inspection {id}")))?;
    if row.status != PENDING {
        return Err(ServiceError::Conflict(format!(
            "inspection {id} is {}; only a pending inspection is assigned or completed",
            row.status
        )));
    }
    Ok(row)
}

/// Assigns pending inspection `id` to `assignee` (a user holding `inspection:work`).
///
/// # Errors
/// Forbidden without `inspection:work`; [`ServiceError::Invalid`] naming `assigned_to`;
/// not found; a conflict for an inspection done already.
pub async fn assign(
    app: &App,
    actor: &Actor,
    id: i64,
    assignee: &str,
) -> Result<InspectionView, ServiceError> {
    actor.require(Permission::InspectionWork)?;
    let name = check_assignee(app, "assigned_to", assignee)
        .await?
        .map_err(|v| ServiceError::Invalid(vec![v]))?;
    let business_date = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let mut row = load_pending(&mut tx, id).await?;
    let before = row.assigned_to.clone();
    if !store::assign(&mut tx, id, &name, &at).await? {
        return Err(ServiceError::Conflict(format!(
            "inspection {id} changed meanwhile; retry"
        )));
    }
    row.assigned_to = Some(name);
    let shown = view(&row, business_date);
    record(
        &mut tx,
        actor,
        "inspection.assign",
        "inspection",
        &id.to_string(),
        Some(serde_json::json!({"assigned_to": before})),
        Some(serde_json::json!({"assigned_to": shown.assigned_to})),
    )
    .await?;
    tx.commit().await?;
    Ok(shown)
}

/// Filters of an inspection list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ListInput {
    /// pending or done.
    #[serde(default)]
    pub status: Option<String>,
    /// Due on or before this date, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_by: Option<String>,
    /// Assigned to this user.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Of this loan.
    #[serde(default)]
    pub loan_id: Option<i64>,
    /// At most this many (default 100, at most 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Inspections, the earliest due first.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `status`, `due_by` or
/// `limit`.
pub async fn list(
    app: &App,
    actor: &Actor,
    input: &ListInput,
) -> Result<Vec<InspectionView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let mut v = Vec::new();
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s @ (PENDING | DONE)) => Some(s.to_owned()),
        Some(s) => {
            v.push(Violation::new(
                "status",
                format!("must be pending or done (got '{s}')"),
            ));
            None
        }
    };
    let due_by = match input.due_by.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let d = parse_date(text);
            if d.is_none() {
                v.push(Violation::new(
                    "due_by",
                    format!("must be a date YYYY-MM-DD (got '{text}')"),
                ));
            }
            d
        }
    };
    let limit = input.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        v.push(Violation::new(
            "limit",
            format!("must be from 1 to 500 (got {limit})"),
        ));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let business_date = app.business_date().await?;
    let filter = InspectionFilter {
        status,
        due_by: due_by.map(|d| d.to_string()),
        assigned_to: input
            .assigned_to
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        loan_id: input.loan_id,
        limit,
    };
    Ok(store::list(app.db(), &filter)
        .await?
        .iter()
        .map(|r| view(r, business_date))
        .collect())
}

/// The work queue of `assignee` (default: the actor): pending inspections due by the
/// business date, the earliest first.
///
/// # Errors
/// Forbidden without `loan:read`.
pub async fn queue(
    app: &App,
    actor: &Actor,
    assignee: Option<&str>,
) -> Result<Vec<InspectionView>, ServiceError> {
    let business_date = app.business_date().await?;
    list(
        app,
        actor,
        &ListInput {
            status: Some(PENDING.into()),
            due_by: Some(business_date.to_string()),
            assigned_to: Some(assignee.unwrap_or(&actor.username).to_owned()),
            loan_id: None,
            limit: Some(500),
        },
    )
    .await
}

/// Inspection `id`.
///
/// # Errors
/// Forbidden without `loan:read`; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<InspectionView, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let row = store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("inspection {id}")))?;
    Ok(view(&row, app.business_date().await?))
}

#[cfg(test)]
#[path = "inspections_tests.rs"]
pub(crate) mod tests;
