//! Leads (客户开发): prospective borrowers before they are customers.

use sqlx::{Any, Executor, Row};

use crate::{Db, StoreError, Tx};

/// A lead row (the phone arrives encrypted, hashed and masked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct LeadRow {
    pub id: i64,
    pub name: String,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_hash: Option<String>,
    pub phone_masked: Option<String>,
    pub source: String,
    pub owner: String,
    pub status: String,
    pub note: String,
    pub customer_id: Option<i64>,
    pub application_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, phone_enc, phone_hash, phone_masked, source, owner, status, note, customer_id, application_id, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<LeadRow, StoreError> {
    Ok(LeadRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        phone_enc: r.try_get("phone_enc")?,
        phone_hash: r.try_get("phone_hash")?,
        phone_masked: r.try_get("phone_masked")?,
        source: r.try_get("source")?,
        owner: r.try_get("owner")?,
        status: r.try_get("status")?,
        note: r.try_get("note")?,
        customer_id: r.try_get("customer_id")?,
        application_id: r.try_get("application_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts a lead and returns its id.
///
/// # Errors
/// A database error.
pub async fn insert(tx: &mut Tx<'_>, l: &LeadRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO leads (name, phone_enc, phone_hash, phone_masked, source, owner, status, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(&l.name)
    .bind(&l.phone_enc)
    .bind(&l.phone_hash)
    .bind(&l.phone_masked)
    .bind(&l.source)
    .bind(&l.owner)
    .bind(&l.status)
    .bind(&l.note)
    .bind(&l.created_at)
    .bind(&l.updated_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Lead `id`.
///
/// # Errors
/// A database error.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<LeadRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM leads WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Leads, optionally of one owner and status, by id.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    owner: Option<&str>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<LeadRow>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM leads WHERE ($1 = '' OR owner = $1) AND ($2 = '' OR status = $2) ORDER BY id LIMIT $3"))
        .bind(owner.unwrap_or(""))
        .bind(status.unwrap_or(""))
        .bind(limit.clamp(1, 500))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Moves lead `id` from `from` to `to` (only if still in `from`), recording the customer
/// and application it became; returns false when it was no longer in `from`.
///
/// # Errors
/// A database error.
pub async fn set_status(
    tx: &mut Tx<'_>,
    id: i64,
    from: &str,
    to: &str,
    customer_id: Option<i64>,
    application_id: Option<i64>,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE leads SET status = $1, customer_id = COALESCE($2, customer_id), application_id = COALESCE($3, application_id), updated_at = $4 \
         WHERE id = $5 AND status = $6",
    )
    .bind(to)
    .bind(customer_id)
    .bind(application_id)
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
