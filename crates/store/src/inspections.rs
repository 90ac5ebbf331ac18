//! Rows of post-loan inspections (贷后检查): `inspections`, and the facts about loans
//! and customers that scheduling them needs, read in bulk for the daily close.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::db::values_placeholders;
use crate::{Backend, Db, StoreError, Tx};

/// An inspection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct InspectionRow {
    pub id: i64,
    pub loan_id: i64,
    pub customer_id: i64,
    /// first, periodic, triggered.
    pub kind: String,
    /// ISO date.
    pub due_on: String,
    /// pending or done.
    pub status: String,
    pub assigned_to: Option<String>,
    pub done_on: Option<String>,
    pub done_by: Option<String>,
    /// JSON object: checklist item → answer.
    pub checklist: String,
    pub findings: String,
    /// normal, concern, adverse.
    pub result: Option<String>,
    /// JSON list of document ids.
    pub document_ids: String,
    /// JSON list of {task, due_on, owner}.
    pub follow_ups: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: Option<String>,
}

const COLUMNS: &str = "id, loan_id, customer_id, kind, due_on, status, assigned_to, done_on, done_by, checklist, findings, result, document_ids, follow_ups, reason, created_by, created_at, updated_at";

/// Columns of a new row, in the order [`insert_many`] binds them.
const NEW_COLUMNS: &str =
    "loan_id, customer_id, kind, due_on, status, assigned_to, reason, created_by, created_at";

fn from_row(r: &AnyRow) -> Result<InspectionRow, StoreError> {
    Ok(InspectionRow {
        id: r.try_get("id")?,
        loan_id: r.try_get("loan_id")?,
        customer_id: r.try_get("customer_id")?,
        kind: r.try_get("kind")?,
        due_on: r.try_get("due_on")?,
        status: r.try_get("status")?,
        assigned_to: r.try_get("assigned_to")?,
        done_on: r.try_get("done_on")?,
        done_by: r.try_get("done_by")?,
        checklist: r.try_get("checklist")?,
        findings: r.try_get("findings")?,
        result: r.try_get("result")?,
        document_ids: r.try_get("document_ids")?,
        follow_ups: r.try_get("follow_ups")?,
        reason: r.try_get("reason")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Rows per multi-row statement.
const CHUNK: usize = 500;

/// Stores new inspections (loan, customer, kind, due date, status, assignee, reason,
/// creator, creation) in multi-row statements; returns their ids in the order given.
///
/// # Errors
/// A database error.
pub async fn insert_many(tx: &mut Tx<'_>, rows: &[InspectionRow]) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO inspections ({NEW_COLUMNS}) VALUES {} RETURNING id",
            values_placeholders(tx.backend(), chunk.len(), 9)
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for r in chunk {
            q = q
                .bind(r.loan_id)
                .bind(r.customer_id)
                .bind(&r.kind)
                .bind(&r.due_on)
                .bind(&r.status)
                .bind(&r.assigned_to)
                .bind(&r.reason)
                .bind(&r.created_by)
                .bind(&r.created_at);
        }
        let got = q.fetch_all(&mut **tx).await?;
        ids.extend(crate::db::inserted_ids(got, chunk.len(), "inspections")?);
    }
    Ok(ids)
}

/// Inspection `id`.
///
/// # Errors
/// A database error.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<InspectionRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM inspections WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Inspection `id` inside `tx`, locked on PostgreSQL.
///
/// # Errors
/// A database error.
pub async fn get_locked(tx: &mut Tx<'_>, id: i64) -> Result<Option<InspectionRow>, StoreError> {
    let suffix = if tx.backend() == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inspections WHERE id = $1{suffix}"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Sets the assignee of pending inspection `id`; false when it is not pending.
///
/// # Errors
/// A database error.
pub async fn assign(tx: &mut Tx<'_>, id: i64, user: &str, at: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE inspections SET assigned_to = $1, updated_at = $2 WHERE id = $3 AND status = 'pending'",
    )
    .bind(user)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the outcome of pending inspection `r.id` (assignee, done on/by, checklist,
/// findings, result, documents, follow-ups) and marks it done; false when it is not
/// pending.
///
/// # Errors
/// A database error.
pub async fn complete(tx: &mut Tx<'_>, r: &InspectionRow) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE inspections SET status = 'done', assigned_to = $1, done_on = $2, done_by = $3, checklist = $4, findings = $5, result = $6, \
         document_ids = $7, follow_ups = $8, updated_at = $9 WHERE id = $10 AND status = 'pending'",
    )
    .bind(&r.assigned_to)
    .bind(&r.done_on)
    .bind(&r.done_by)
    .bind(&r.checklist)
    .bind(&r.findings)
    .bind(&r.result)
    .bind(&r.document_ids)
    .bind(&r.follow_ups)
    .bind(&r.updated_at)
    .bind(r.id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InspectionFilter {
    /// pending or done (any when `None`).
    pub status: Option<String>,
    /// Due on or before this date (ISO).
    pub due_by: Option<String>,
    /// Assigned to this user.
    pub assigned_to: Option<String>,
    /// Of this loan.
    pub loan_id: Option<i64>,
    /// At most this many (1–500).
    pub limit: i64,
}

/// Inspections matching `f`, the earliest due first.
///
/// # Errors
/// A database error.
pub async fn list(db: &Db, f: &InspectionFilter) -> Result<Vec<InspectionRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inspections WHERE ($1 = '' OR status = $1) AND ($2 = '' OR due_on <= $2) AND ($3 = '' OR assigned_to = $3) \
         AND ($4 = 0 OR loan_id = $4) ORDER BY due_on, id LIMIT $5"
    ))
    .bind(f.status.as_deref().unwrap_or(""))
    .bind(f.due_by.as_deref().unwrap_or(""))
    .bind(f.assigned_to.as_deref().unwrap_or(""))
    .bind(f.loan_id.unwrap_or(0))
    .bind(f.limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

fn marks(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The earliest due date of the pending inspections of each of `loan_ids` that has
/// one: (loan, due_on).
///
/// # Errors
/// A database error.
pub async fn earliest_pending(
    tx: &mut Tx<'_>,
    loan_ids: &[i64],
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in loan_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT loan_id, MIN(due_on) AS due_on FROM inspections WHERE status = 'pending' AND loan_id IN ({}) GROUP BY loan_id",
            marks(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.push((r.try_get("loan_id")?, r.try_get("due_on")?));
        }
    }
    Ok(out)
}

/// The borrower and status of each of `loan_ids`: (loan, customer, loan status).
///
/// # Errors
/// A database error.
pub async fn loan_parties(
    tx: &mut Tx<'_>,
    loan_ids: &[i64],
) -> Result<Vec<(i64, i64, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in loan_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT id, customer_id, status FROM loans WHERE id IN ({})",
            marks(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.push((
                r.try_get("id")?,
                r.try_get("customer_id")?,
                r.try_get("status")?,
            ));
        }
    }
    Ok(out)
}

/// The kind (individual, business) of each of `customer_ids`: (customer, kind).
///
/// # Errors
/// A database error.
pub async fn customer_kinds(
    tx: &mut Tx<'_>,
    customer_ids: &[i64],
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in customer_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT id, kind FROM customers WHERE id IN ({})",
            marks(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.push((r.try_get("id")?, r.try_get("kind")?));
        }
    }
    Ok(out)
}

/// The owner (customer) of each of `document_ids` that exists: (document, customer).
///
/// # Errors
/// A database error.
pub async fn document_owners(
    tx: &mut Tx<'_>,
    document_ids: &[i64],
) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut out = Vec::new();
    for chunk in document_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT id, customer_id FROM documents WHERE id IN ({})",
            marks(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.push((r.try_get("id")?, r.try_get("customer_id")?));
        }
    }
    Ok(out)
}
