//! Requests another person decides (双人复核): restructures, write-offs and class
//! overrides share one shape — requested with a reason, then applied or rejected by
//! someone holding the approving permission who is not the requester (four-eyes).
//!
//! States: `requested` → `applied` (approved and applied in one transaction) or
//! `rejected`. A loan has at most one request of each table waiting.

use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::restructuring::{self as store, Decision, RequestRow, RequestTable};
use serde::Serialize;

use crate::{Actor, App, Permission, ServiceError, record};

/// The longest reason or note, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A request as shown.
#[derive(Clone, Debug, Serialize)]
pub struct RequestView {
    /// Id (within its kind of request).
    pub id: i64,
    /// Loan.
    pub loan_id: i64,
    /// e.g. `extension`, `write_off`, `set`.
    pub kind: String,
    /// `requested`, `applied` or `rejected`.
    pub status: String,
    /// What was asked.
    pub request: serde_json::Value,
    /// Why.
    pub reason: String,
    /// Who asked.
    pub requested_by: String,
    /// When (UTC).
    pub requested_at: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When (UTC).
    pub decided_at: Option<String>,
    /// A rejection's reason.
    pub decision_note: Option<String>,
    /// The business date it was applied.
    pub applied_on: Option<String>,
    /// What it changed.
    pub result: serde_json::Value,
}

impl From<&RequestRow> for RequestView {
    fn from(r: &RequestRow) -> RequestView {
        let json = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
        RequestView {
            id: r.id,
            loan_id: r.loan_id,
            kind: r.kind.clone(),
            status: r.status.clone(),
            request: json(&r.request_json),
            reason: r.reason.clone(),
            requested_by: r.requested_by.clone(),
            requested_at: r.requested_at.clone(),
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at.clone(),
            decision_note: r.decision_note.clone(),
            applied_on: r.applied_on.clone(),
            result: json(&r.result_json),
        }
    }
}

/// A reason or note: required, at most [`MAX_REASON_CHARS`] characters.
pub(crate) fn reason(field: &str, text: &str) -> Result<String, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid(field, "is required"));
    }
    if text.chars().count() > MAX_REASON_CHARS {
        return Err(ServiceError::invalid(
            field,
            format!("must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Four-eyes: the requester may not decide their own request (no one is exempt).
pub(crate) fn four_eyes(actor: &Actor, r: &RequestRow, what: &str) -> Result<(), ServiceError> {
    if actor.username == r.requested_by {
        return Err(ServiceError::Refused {
            rule: "four_eyes",
            detail: format!(
                "four-eyes: {} requested {what} {} and may not decide it",
                actor.username, r.id
            ),
        });
    }
    Ok(())
}

/// Refuses a second request on a loan while one waits.
pub(crate) async fn refuse_second(
    tx: &mut Tx<'_>,
    table: RequestTable,
    loan_id: i64,
    what: &str,
) -> Result<(), ServiceError> {
    if let Some(id) = store::pending_of(tx, table, loan_id).await? {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} has {what} {id} waiting for a decision"
        )));
    }
    Ok(())
}

/// Loads a request waiting for a decision, checking four-eyes.
pub(crate) async fn pending(
    tx: &mut Tx<'_>,
    actor: &Actor,
    table: RequestTable,
    id: i64,
    what: &str,
) -> Result<RequestRow, ServiceError> {
    let r = store::request(&mut **tx, table, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("{what} {id}")))?;
    if r.status != "requested" {
        return Err(ServiceError::Conflict(format!(
            "{what} {id} is {} already",
            r.status
        )));
    }
    four_eyes(actor, &r, what)?;
    Ok(r)
}

/// Marks a request decided; a conflict when someone decided it meanwhile.
pub(crate) async fn decide(
    tx: &mut Tx<'_>,
    table: RequestTable,
    id: i64,
    d: &Decision<'_>,
) -> Result<(), ServiceError> {
    if !store::decide(tx, table, id, d).await? {
        return Err(ServiceError::Conflict(format!(
            "request {id} was decided meanwhile"
        )));
    }
    Ok(())
}

/// Rejects request `id` of `table` with a note (four-eyes: not the requester).
pub(crate) async fn reject(
    app: &App,
    actor: &Actor,
    table: RequestTable,
    permission: Permission,
    id: i64,
    note: &str,
) -> Result<RequestView, ServiceError> {
    actor.require(permission)?;
    let what = what_of(table);
    let note = reason("note", note)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let r = pending(&mut tx, actor, table, id, what).await?;
    let decision = Decision {
        status: "rejected",
        by: &actor.username,
        at: &at,
        note: Some(&note),
        applied_on: None,
        result_json: "{}",
    };
    decide(&mut tx, table, id, &decision).await?;
    let after = store::request(&mut *tx, table, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("{what} {id}")))?;
    let view = RequestView::from(&after);
    record(
        &mut tx,
        actor,
        &format!("loan.{}_reject", table_action(table)),
        "loan",
        &r.loan_id.to_string(),
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Requests of `table`: of one loan or all, of one status or all, newest first.
pub(crate) async fn list(
    app: &App,
    actor: &Actor,
    table: RequestTable,
    loan_id: Option<i64>,
    status: Option<&str>,
) -> Result<Vec<RequestView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    Ok(store::requests(app.db(), table, loan_id, status, 200)
        .await?
        .iter()
        .map(RequestView::from)
        .collect())
}

/// Reads back request `id` of `table` inside `tx`.
pub(crate) async fn view_in(
    tx: &mut Tx<'_>,
    table: RequestTable,
    id: i64,
) -> Result<RequestView, ServiceError> {
    let r = store::request(&mut **tx, table, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("{} {id}", what_of(table))))?;
    Ok(RequestView::from(&r))
}

fn what_of(table: RequestTable) -> &'static str {
    match table {
        RequestTable::Restructures => "restructure",
        RequestTable::WriteOffs => "write-off",
        RequestTable::ClassOverrides => "class override",
    }
}

fn table_action(table: RequestTable) -> &'static str {
    match table {
        RequestTable::Restructures => "restructure",
        RequestTable::WriteOffs => "write_off",
        RequestTable::ClassOverrides => "class_override",
    }
}
