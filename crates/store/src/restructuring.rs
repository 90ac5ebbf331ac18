//! Rows of restructuring and the end of a loan's life: requests decided with four-eyes
//! (`restructures`, `write_offs`, `class_overrides`), the LPR table (`lpr_rates`), the
//! floating-rate terms on `loan_balances`, and closing tasks (`tasks`).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Db, StoreError, Tx};

/// A table of requests that another person approves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestTable {
    /// `restructures`: extension, rate change, plan change, principal grace, LPR
    /// conversion (and LPR repricings, recorded as applied).
    Restructures,
    /// `write_offs`.
    WriteOffs,
    /// `class_overrides`.
    ClassOverrides,
}

impl RequestTable {
    /// The table's name.
    pub const fn name(self) -> &'static str {
        match self {
            RequestTable::Restructures => "restructures",
            RequestTable::WriteOffs => "write_offs",
            RequestTable::ClassOverrides => "class_overrides",
        }
    }
}

/// A request: what was asked, by whom, and how it was decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct RequestRow {
    pub id: i64,
    pub loan_id: i64,
    pub kind: String,
    /// `requested`, `applied` (approved and applied), `rejected`.
    pub status: String,
    pub request_json: String,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    /// Business date applied.
    pub applied_on: Option<String>,
    pub result_json: String,
}

const REQUEST_COLUMNS: &str = "id, loan_id, kind, status, request_json, reason, requested_by, requested_at, decided_by, decided_at, decision_note, applied_on, result_json";

fn request_from(r: &AnyRow) -> Result<RequestRow, StoreError> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        loan_id: r.try_get("loan_id")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        request_json: r.try_get("request_json")?,
        reason: r.try_get("reason")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        decision_note: r.try_get("decision_note")?,
        applied_on: r.try_get("applied_on")?,
        result_json: r.try_get("result_json")?,
    })
}

/// Stores a request (with its status, decided or not); returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_request(
    tx: &mut Tx<'_>,
    table: RequestTable,
    r: &RequestRow,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(&format!(
        "INSERT INTO {} (loan_id, kind, status, request_json, reason, requested_by, requested_at, decided_by, decided_at, decision_note, applied_on, result_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        table.name()
    ))
    .bind(r.loan_id)
    .bind(&r.kind)
    .bind(&r.status)
    .bind(&r.request_json)
    .bind(&r.reason)
    .bind(&r.requested_by)
    .bind(&r.requested_at)
    .bind(&r.decided_by)
    .bind(&r.decided_at)
    .bind(&r.decision_note)
    .bind(&r.applied_on)
    .bind(&r.result_json)
    .fetch_one(&mut **tx)
    .await?)
}

/// Request `id` of `table`.
///
/// # Errors
/// A database error.
pub async fn request<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    table: RequestTable,
    id: i64,
) -> Result<Option<RequestRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM {} WHERE id = $1",
        table.name()
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(request_from).transpose()
}

/// Requests of `table`, newest first: of one loan, or every loan; of one status, or all.
///
/// # Errors
/// A database error.
pub async fn requests(
    db: &Db,
    table: RequestTable,
    loan_id: Option<i64>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<RequestRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM {} WHERE ($1 = 0 OR loan_id = $1) AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT $3",
        table.name()
    ))
    .bind(loan_id.unwrap_or(0))
    .bind(status.unwrap_or(""))
    .bind(limit.clamp(1, 1000))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(request_from).collect()
}

/// The id of a loan's request still waiting for a decision, if any.
///
/// # Errors
/// A database error.
pub async fn pending_of(
    tx: &mut Tx<'_>,
    table: RequestTable,
    loan_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM {} WHERE loan_id = $1 AND status = 'requested' ORDER BY id LIMIT 1",
        table.name()
    ))
    .bind(loan_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A decision on a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision<'a> {
    /// The new status: `applied` or `rejected`.
    pub status: &'a str,
    /// Who decided.
    pub by: &'a str,
    /// When (UTC).
    pub at: &'a str,
    /// Why (a rejection's reason).
    pub note: Option<&'a str>,
    /// Business date applied.
    pub applied_on: Option<&'a str>,
    /// What the application changed.
    pub result_json: &'a str,
}

/// Decides a request still `requested`; false when it was decided meanwhile.
///
/// # Errors
/// A database error.
pub async fn decide(
    tx: &mut Tx<'_>,
    table: RequestTable,
    id: i64,
    d: &Decision<'_>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4, applied_on = $5, result_json = $6 WHERE id = $7 AND status = 'requested'",
        table.name()
    ))
    .bind(d.status)
    .bind(d.by)
    .bind(d.at)
    .bind(d.note)
    .bind(d.applied_on)
    .bind(d.result_json)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a write-off took off the books (minor units).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct WrittenOff {
    pub principal_minor: i64,
    pub interest_minor: i64,
    pub penalty_minor: i64,
    pub fees_minor: i64,
    pub interest_off_book_minor: i64,
    pub penalty_off_book_minor: i64,
    pub provision_used_minor: i64,
    pub expense_minor: i64,
    pub recovered_minor: i64,
    pub journal_entry_id: Option<i64>,
}

const WRITTEN_OFF_COLUMNS: &str = "principal_minor, interest_minor, penalty_minor, fees_minor, interest_off_book_minor, penalty_off_book_minor, provision_used_minor, expense_minor, recovered_minor, journal_entry_id";

/// Stores the amounts of write-off `id`.
///
/// # Errors
/// A database error.
pub async fn set_written_off(tx: &mut Tx<'_>, id: i64, w: &WrittenOff) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE write_offs SET principal_minor = $1, interest_minor = $2, penalty_minor = $3, fees_minor = $4, interest_off_book_minor = $5, \
         penalty_off_book_minor = $6, provision_used_minor = $7, expense_minor = $8, journal_entry_id = $9 WHERE id = $10",
    )
    .bind(w.principal_minor)
    .bind(w.interest_minor)
    .bind(w.penalty_minor)
    .bind(w.fees_minor)
    .bind(w.interest_off_book_minor)
    .bind(w.penalty_off_book_minor)
    .bind(w.provision_used_minor)
    .bind(w.expense_minor)
    .bind(w.journal_entry_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The applied write-off of a loan: (its id, what was written off and recovered).
///
/// # Errors
/// A database error.
pub async fn written_off<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    loan_id: i64,
) -> Result<Option<(i64, WrittenOff)>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT id, {WRITTEN_OFF_COLUMNS} FROM write_offs WHERE loan_id = $1 AND status = 'applied'"
    ))
    .bind(loan_id)
    .fetch_optional(exec)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("id")?,
            WrittenOff {
                principal_minor: r.try_get("principal_minor")?,
                interest_minor: r.try_get("interest_minor")?,
                penalty_minor: r.try_get("penalty_minor")?,
                fees_minor: r.try_get("fees_minor")?,
                interest_off_book_minor: r.try_get("interest_off_book_minor")?,
                penalty_off_book_minor: r.try_get("penalty_off_book_minor")?,
                provision_used_minor: r.try_get("provision_used_minor")?,
                expense_minor: r.try_get("expense_minor")?,
                recovered_minor: r.try_get("recovered_minor")?,
                journal_entry_id: r.try_get("journal_entry_id")?,
            },
        ))
    })
    .transpose()
}

/// Adds `amount_minor` to what was recovered of write-off `id`.
///
/// # Errors
/// A database error.
pub async fn add_recovery(tx: &mut Tx<'_>, id: i64, amount_minor: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE write_offs SET recovered_minor = recovered_minor + $1 WHERE id = $2")
        .bind(amount_minor)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One published loan prime rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LprRow {
    /// `1y` or `5y`.
    pub tenor: String,
    /// Effective date (YYYY-MM-DD).
    pub effective_date: String,
    /// Rate (decimal text).
    pub rate: String,
}

/// Adds published rates; a rate already stored for its tenor and date is left as it is.
/// Returns how many were added.
///
/// # Errors
/// A database error.
pub async fn insert_lpr(tx: &mut Tx<'_>, rows: &[LprRow]) -> Result<u64, StoreError> {
    let mut added = 0;
    for r in rows {
        added += sqlx::query(
            "INSERT INTO lpr_rates (tenor, effective_date, rate) VALUES ($1, $2, $3) ON CONFLICT (tenor, effective_date) DO NOTHING",
        )
        .bind(&r.tenor)
        .bind(&r.effective_date)
        .bind(&r.rate)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(added)
}

/// Every published rate, by tenor and newest first.
///
/// # Errors
/// A database error.
pub async fn lpr_rates<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
) -> Result<Vec<LprRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT tenor, effective_date, rate FROM lpr_rates ORDER BY tenor, effective_date DESC",
    )
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LprRow {
                tenor: r.try_get("tenor")?,
                effective_date: r.try_get("effective_date")?,
                rate: r.try_get("rate")?,
            })
        })
        .collect()
}

/// The floating-rate terms of a loan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct FloatingRow {
    pub loan_id: i64,
    pub lpr_tenor: String,
    pub rate_spread: String,
    pub repricing_rule: String,
    pub next_repricing: String,
    /// The loan's start date (anniversaries count from it; not written by
    /// [`set_floating`]).
    pub start_date: String,
}

fn floating_from(r: &AnyRow) -> Result<FloatingRow, StoreError> {
    Ok(FloatingRow {
        loan_id: r.try_get("loan_id")?,
        lpr_tenor: r.try_get("lpr_tenor")?,
        rate_spread: r.try_get("rate_spread")?,
        repricing_rule: r.try_get("repricing_rule")?,
        next_repricing: r.try_get("next_repricing")?,
        start_date: r.try_get("start_date")?,
    })
}

const FLOATING_COLUMNS: &str = "loan_id, COALESCE(lpr_tenor, '') AS lpr_tenor, COALESCE(rate_spread, '') AS rate_spread, COALESCE(repricing_rule, '') AS repricing_rule, COALESCE(next_repricing, '') AS next_repricing, \
(SELECT l.start_date FROM loans l WHERE l.id = loan_balances.loan_id) AS start_date";

/// Makes a loan's rate floating with these terms.
///
/// # Errors
/// A database error.
pub async fn set_floating(tx: &mut Tx<'_>, f: &FloatingRow) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE loan_balances SET rate_type = 'floating', lpr_tenor = $1, rate_spread = $2, repricing_rule = $3, next_repricing = $4 WHERE loan_id = $5",
    )
    .bind(&f.lpr_tenor)
    .bind(&f.rate_spread)
    .bind(&f.repricing_rule)
    .bind(&f.next_repricing)
    .bind(f.loan_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The floating-rate terms of a loan, if its rate floats.
///
/// # Errors
/// A database error.
pub async fn floating_of<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    loan_id: i64,
) -> Result<Option<FloatingRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {FLOATING_COLUMNS} FROM loan_balances WHERE loan_id = $1 AND rate_type = 'floating'"
    ))
    .bind(loan_id)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(floating_from).transpose()
}

/// Up to `limit` active floating loans with ids above `after_id` due to reprice on or
/// before `date`, by id; locked for the transaction on PostgreSQL.
///
/// # Errors
/// A database error.
pub async fn repricing_due(
    tx: &mut Tx<'_>,
    date: &str,
    after_id: i64,
    limit: i64,
    backend: Backend,
) -> Result<Vec<FloatingRow>, StoreError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let rows = sqlx::query(&format!(
        "SELECT {FLOATING_COLUMNS} FROM loan_balances WHERE rate_type = 'floating' AND active = 1 AND next_repricing <= $1 AND loan_id > $2 ORDER BY loan_id LIMIT $3{lock}"
    ))
    .bind(date)
    .bind(after_id)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(floating_from).collect()
}

/// Sets the next repricing date of a floating loan.
///
/// # Errors
/// A database error.
pub async fn set_next_repricing(
    tx: &mut Tx<'_>,
    loan_id: i64,
    next: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE loan_balances SET next_repricing = $1 WHERE loan_id = $2")
        .bind(next)
        .bind(loan_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A task on a loan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct TaskRow {
    pub id: i64,
    pub loan_id: i64,
    /// e.g. `collateral_release`.
    pub kind: String,
    /// `open` or `done`.
    pub status: String,
    /// Business date created.
    pub created_on: String,
    pub created_at: String,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
    pub note: String,
}

const TASK_COLUMNS: &str =
    "id, loan_id, kind, status, created_on, created_at, done_by, done_at, note";

fn task_from(r: &AnyRow) -> Result<TaskRow, StoreError> {
    Ok(TaskRow {
        id: r.try_get("id")?,
        loan_id: r.try_get("loan_id")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        created_on: r.try_get("created_on")?,
        created_at: r.try_get("created_at")?,
        done_by: r.try_get("done_by")?,
        done_at: r.try_get("done_at")?,
        note: r.try_get("note")?,
    })
}

/// Opens a task; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_task(tx: &mut Tx<'_>, t: &TaskRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO tasks (loan_id, kind, status, created_on, created_at, note) VALUES ($1, $2, 'open', $3, $4, $5) RETURNING id",
    )
    .bind(t.loan_id)
    .bind(&t.kind)
    .bind(&t.created_on)
    .bind(&t.created_at)
    .bind(&t.note)
    .fetch_one(&mut **tx)
    .await?)
}

/// Task `id`.
///
/// # Errors
/// A database error.
pub async fn task<'c>(
    exec: impl sqlx::Executor<'c, Database = sqlx::Any>,
    id: i64,
) -> Result<Option<TaskRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(task_from).transpose()
}

/// Tasks by id: of one loan or all, of one status or all.
///
/// # Errors
/// A database error.
pub async fn tasks(
    db: &Db,
    loan_id: Option<i64>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<TaskRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE ($1 = 0 OR loan_id = $1) AND ($2 = '' OR status = $2) ORDER BY id LIMIT $3"
    ))
    .bind(loan_id.unwrap_or(0))
    .bind(status.unwrap_or(""))
    .bind(limit.clamp(1, 1000))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(task_from).collect()
}

/// Marks an open task done; false when it was not open.
///
/// # Errors
/// A database error.
pub async fn complete_task(
    tx: &mut Tx<'_>,
    id: i64,
    by: &str,
    at: &str,
    note: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE tasks SET status = 'done', done_by = $1, done_at = $2, note = $3 WHERE id = $4 AND status = 'open'",
    )
    .bind(by)
    .bind(at)
    .bind(note)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many tasks of a loan are open.
///
/// # Errors
/// A database error.
pub async fn open_tasks_of(tx: &mut Tx<'_>, loan_id: i64) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE loan_id = $1 AND status = 'open'")
            .bind(loan_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}
