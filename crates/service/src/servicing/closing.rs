//! Closing a loan (清户撤押) and archiving it (档案管理).
//!
//! When a loan closes — paid off, or its final installment repaid — a
//! `collateral_release` task opens in the same transaction: someone releases the
//! collateral (mortgage deregistration, pledge return) and marks the task done. A closed
//! loan with no open task may then be archived (status `archived`).
//!
//! States of a task: `open` → `done`. Loan status: `closed` → `archived`.

use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::loans as loans_store;
use loanbook_store::restructuring::{self as store, TaskRow};
use serde::Serialize;

use super::requests;
use crate::{Actor, App, Permission, ServiceError, record};

/// The task opened when a loan closes.
pub const COLLATERAL_RELEASE: &str = "collateral_release";

/// A task as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct TaskView {
    pub id: i64,
    pub loan_id: i64,
    /// `collateral_release`.
    pub kind: String,
    /// `open` or `done`.
    pub status: String,
    /// Business date opened.
    pub created_on: String,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
    pub note: String,
}

impl From<TaskRow> for TaskView {
    fn from(t: TaskRow) -> TaskView {
        TaskView {
            id: t.id,
            loan_id: t.loan_id,
            kind: t.kind,
            status: t.status,
            created_on: t.created_on,
            done_by: t.done_by,
            done_at: t.done_at,
            note: t.note,
        }
    }
}

/// Opens the collateral-release task of a loan that closed on `business_date` (inside
/// the transaction that closed it).
pub(crate) async fn open_release_task(
    tx: &mut Tx<'_>,
    loan_id: i64,
    business_date: chrono::NaiveDate,
    at: &str,
) -> Result<i64, ServiceError> {
    Ok(store::insert_task(
        tx,
        &TaskRow {
            loan_id,
            kind: COLLATERAL_RELEASE.into(),
            created_on: business_date.to_string(),
            created_at: at.to_owned(),
            ..TaskRow::default()
        },
    )
    .await?)
}

/// Tasks: of one loan or all, `open` or `done` or all, by id.
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `status`.
pub async fn tasks(
    app: &App,
    actor: &Actor,
    loan_id: Option<i64>,
    status: Option<&str>,
) -> Result<Vec<TaskView>, ServiceError> {
    actor.require(Permission::LoanRead)?;
    if let Some(s) = status
        && !["open", "done"].contains(&s)
    {
        return Err(ServiceError::invalid(
            "status",
            format!("must be open or done (got '{s}')"),
        ));
    }
    Ok(store::tasks(app.db(), loan_id, status, 500)
        .await?
        .into_iter()
        .map(TaskView::from)
        .collect())
}

/// Marks task `id` done, with a note (e.g. the deregistration number).
///
/// # Errors
/// Forbidden without `loan:close`; [`ServiceError::Invalid`] naming `note`; not found; a
/// conflict when the task is done already.
pub async fn complete(
    app: &App,
    actor: &Actor,
    id: i64,
    note: &str,
) -> Result<TaskView, ServiceError> {
    actor.require(Permission::LoanClose)?;
    let note = requests::reason("note", note)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let task = store::task(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("task {id}")))?;
    if !store::complete_task(&mut tx, id, &actor.username, &at, &note).await? {
        return Err(ServiceError::Conflict(format!(
            "task {id} is {} already",
            task.status
        )));
    }
    let done = store::task(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("task {id}")))?;
    let view = TaskView::from(done);
    record(
        &mut tx,
        actor,
        "task.complete",
        "loan",
        &task.loan_id.to_string(),
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Archives loan `loan_id`: only a closed loan with no open task.
///
/// # Errors
/// Forbidden without `loan:close`; not found; a conflict for a loan not closed or with
/// an open task.
pub async fn archive(app: &App, actor: &Actor, loan_id: i64) -> Result<(), ServiceError> {
    actor.require(Permission::LoanClose)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let loan = loans_store::loan(&mut *tx, loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    if loan.status != "closed" {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} is {}: only a closed loan is archived",
            loan.status
        )));
    }
    let open = store::open_tasks_of(&mut tx, loan_id).await?;
    if open > 0 {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} has {open} open task(s): finish them before archiving"
        )));
    }
    let changed = loans_store::update_texts(
        &mut tx,
        "UPDATE loans SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND status = 'closed'",
        &["archived", &at],
        loan_id,
    )
    .await?;
    if changed != 1 {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} changed meanwhile; retry"
        )));
    }
    record(
        &mut tx,
        actor,
        "loan.archive",
        "loan",
        &loan_id.to_string(),
        Some(serde_json::json!({"status": "closed"})),
        Some(serde_json::json!({"status": "archived"})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
