//! Rows of early warnings (风险预警): `warnings` (at most one open per customer, loan and
//! rule), their history and tasks (`warning_actions`), the industry and region watch list
//! (`risk_watch_list`), and the few loan facts the warning actions read and write (the
//! drawdown limit, a collection case opened by hand).
//!
//! Every insert of a warning goes through the partial unique index `warnings_open`:
//! `ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING`, so a rule
//! that fires again while its warning is open adds nothing, on SQLite and PostgreSQL alike.
//!
//! This file holds the warnings and their history; the watch list is in `watch_list`, and
//! the loan, customer and collateral facts the rules and actions read and write in `facts`.

use std::fmt::Write as _;

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{Db, StoreError, Tx};

mod facts;
mod watch_list;

pub use facts::{
    Exposure, LoanFacts, ReportRow, collection_cases_of, drawdown_limit, exposures,
    has_active_loan, loan_facts, newest_reports, officer_of, officers_of, open_collection_case,
    report_bureau, revalue_collateral, set_drawdown_limit,
};
pub use watch_list::{
    WatchRow, add_watch, raise_watched, remove_watch, watch, watch_list, watched_for,
};

/// Rows per multi-row insert (9 parameters each, far below both databases' limits).
const CHUNK: usize = 200;

/// A warning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct WarningRow {
    pub id: i64,
    pub customer_id: i64,
    /// 0: the customer as a whole.
    pub loan_id: i64,
    pub rule: String,
    pub severity: String,
    /// `open`, `acknowledged`, `actioned` or `closed`.
    pub status: String,
    pub owner: Option<String>,
    /// Business date raised.
    pub raised_on: String,
    /// JSON object: what fired the rule.
    pub detail: String,
    pub resolution: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, customer_id, loan_id, rule, severity, status, owner, raised_on, detail, resolution, closed_by, closed_at, created_at, updated_at";

fn warning_from(r: &AnyRow) -> Result<WarningRow, StoreError> {
    Ok(WarningRow {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        loan_id: r.try_get("loan_id")?,
        rule: r.try_get("rule")?,
        severity: r.try_get("severity")?,
        status: r.try_get("status")?,
        owner: r.try_get("owner")?,
        raised_on: r.try_get("raised_on")?,
        detail: r.try_get("detail")?,
        resolution: r.try_get("resolution")?,
        closed_by: r.try_get("closed_by")?,
        closed_at: r.try_get("closed_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A warning to raise (status `open`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct NewWarning {
    pub customer_id: i64,
    pub loan_id: i64,
    pub rule: String,
    pub severity: String,
    pub owner: Option<String>,
    pub raised_on: String,
    pub detail: String,
    pub at: String,
}

/// Raises a warning unless one of its customer, loan and rule is open; returns its id, or
/// `None` when one was open.
///
/// # Errors
/// A database error.
pub async fn raise(tx: &mut Tx<'_>, w: &NewWarning) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO warnings (customer_id, loan_id, rule, severity, status, owner, raised_on, detail, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $8) \
         ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING RETURNING id",
    )
    .bind(w.customer_id)
    .bind(w.loan_id)
    .bind(&w.rule)
    .bind(&w.severity)
    .bind(&w.owner)
    .bind(&w.raised_on)
    .bind(&w.detail)
    .bind(&w.at)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Raises many warnings in multi-row inserts, skipping those open already; returns how
/// many were raised.
///
/// # Errors
/// A database error.
pub async fn raise_many(tx: &mut Tx<'_>, warnings: &[NewWarning]) -> Result<u64, StoreError> {
    let mut raised = 0;
    for chunk in warnings.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO warnings (customer_id, loan_id, rule, severity, status, owner, raised_on, detail, created_at, updated_at) VALUES ",
        );
        for n in 0..chunk.len() {
            let p = n * 8;
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "(${}, ${}, ${}, ${}, 'open', ${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 8
            );
        }
        sql.push_str(
            " ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING",
        );
        let mut q = sqlx::query(&sql);
        for w in chunk {
            q = q
                .bind(w.customer_id)
                .bind(w.loan_id)
                .bind(&w.rule)
                .bind(&w.severity)
                .bind(&w.owner)
                .bind(&w.raised_on)
                .bind(&w.detail)
                .bind(&w.at);
        }
        raised += q.execute(&mut **tx).await?.rows_affected();
    }
    Ok(raised)
}

/// Warning `id`.
///
/// # Errors
/// A database error.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<WarningRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM warnings WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(warning_from).transpose()
}

/// Which warnings to list; empty and zero values do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct WarningFilter {
    /// A status, or `active` for every status but `closed`.
    pub status: String,
    pub severity: String,
    pub rule: String,
    pub owner: String,
    /// Only warnings without an owner.
    pub unassigned: bool,
    pub customer_id: i64,
    pub loan_id: i64,
    /// Warnings older than this id (the next page).
    pub before_id: i64,
    pub limit: i64,
}

/// Warnings matching `f`, newest first.
///
/// # Errors
/// A database error.
pub async fn list(db: &Db, f: &WarningFilter) -> Result<Vec<WarningRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM warnings \
         WHERE ($1 = '' OR status = $1 OR ($1 = 'active' AND status <> 'closed')) \
         AND ($2 = '' OR severity = $2) AND ($3 = '' OR rule = $3) AND ($4 = '' OR owner = $4) \
         AND ($5 = 0 OR owner IS NULL) AND ($6 = 0 OR customer_id = $6) AND ($7 = 0 OR loan_id = $7) \
         AND ($8 = 0 OR id < $8) ORDER BY id DESC LIMIT $9"
    ))
    .bind(&f.status)
    .bind(&f.severity)
    .bind(&f.rule)
    .bind(&f.owner)
    .bind(i64::from(f.unassigned))
    .bind(f.customer_id)
    .bind(f.loan_id)
    .bind(f.before_id)
    .bind(f.limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(warning_from).collect()
}

/// Moves an open warning to `acknowledged` with `owner`; false if it was not open.
///
/// # Errors
/// A database error.
pub async fn acknowledge(
    tx: &mut Tx<'_>,
    id: i64,
    owner: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE warnings SET status = 'acknowledged', owner = $1, updated_at = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(owner)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a warning that is not closed to `owner`; false if it was closed.
///
/// # Errors
/// A database error.
pub async fn assign(tx: &mut Tx<'_>, id: i64, owner: &str, at: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE warnings SET owner = $1, updated_at = $2 WHERE id = $3 AND status <> 'closed'",
    )
    .bind(owner)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an acknowledged (or actioned) warning `actioned` with its new `detail`; false if
/// it was in another status.
///
/// # Errors
/// A database error.
pub async fn mark_actioned(
    tx: &mut Tx<'_>,
    id: i64,
    detail: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE warnings SET status = 'actioned', detail = $1, updated_at = $2 \
         WHERE id = $3 AND status IN ('acknowledged', 'actioned')",
    )
    .bind(detail)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes a warning that is not closed; false if it was.
///
/// # Errors
/// A database error.
pub async fn close(
    tx: &mut Tx<'_>,
    id: i64,
    resolution: &str,
    by: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE warnings SET status = 'closed', resolution = $1, closed_by = $2, closed_at = $3, updated_at = $3 \
         WHERE id = $4 AND status <> 'closed'",
    )
    .bind(resolution)
    .bind(by)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A step in a warning's history: acknowledged, assigned, an action taken, closed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ActionRow {
    pub id: i64,
    pub warning_id: i64,
    pub action: String,
    /// JSON object.
    pub detail: String,
    pub actor: String,
    pub at: String,
    /// The loan acted on.
    pub loan_id: Option<i64>,
    /// A task's due date.
    pub due_on: Option<String>,
    /// A task's assignee.
    pub assigned_to: Option<String>,
}

/// Appends a step to a warning's history; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_action(tx: &mut Tx<'_>, a: &ActionRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO warning_actions (warning_id, action, detail, actor, at, loan_id, due_on, assigned_to) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(a.warning_id)
    .bind(&a.action)
    .bind(&a.detail)
    .bind(&a.actor)
    .bind(&a.at)
    .bind(a.loan_id)
    .bind(&a.due_on)
    .bind(&a.assigned_to)
    .fetch_one(&mut **tx)
    .await?)
}

/// The history of warning `id`, oldest first.
///
/// # Errors
/// A database error.
pub async fn actions<'c>(
    exec: impl Executor<'c, Database = Any>,
    warning_id: i64,
) -> Result<Vec<ActionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, warning_id, action, detail, actor, at, loan_id, due_on, assigned_to \
         FROM warning_actions WHERE warning_id = $1 ORDER BY id",
    )
    .bind(warning_id)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ActionRow {
                id: r.try_get("id")?,
                warning_id: r.try_get("warning_id")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
                loan_id: r.try_get("loan_id")?,
                due_on: r.try_get("due_on")?,
                assigned_to: r.try_get("assigned_to")?,
            })
        })
        .collect()
}

/// The warning and business date of the first `action` taken on loan `loan_id`, if any.
///
/// # Errors
/// A database error.
pub async fn first_action_on(
    tx: &mut Tx<'_>,
    loan_id: i64,
    action: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    sqlx::query(
        "SELECT warning_id, at FROM warning_actions WHERE loan_id = $1 AND action = $2 ORDER BY id LIMIT 1",
    )
    .bind(loan_id)
    .bind(action)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| Ok((r.try_get("warning_id")?, r.try_get("at")?)))
    .transpose()
}
