//! Loan product versions.

use sqlx::Row;

use crate::{Db, StoreError, Tx};

/// One stored version of a product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductRow {
    /// Row id.
    pub id: i64,
    /// Product code.
    pub code: String,
    /// Version, from 1.
    pub version: i64,
    /// Name.
    pub name: String,
    /// Currency code.
    pub currency: String,
    /// `active` or `retired`.
    pub status: String,
    /// The full definition as JSON.
    pub config_json: String,
    /// Who created this version.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

const COLUMNS: &str =
    "id, code, version, name, currency, status, config_json, created_by, created_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<ProductRow, StoreError> {
    Ok(ProductRow {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        version: row.try_get("version")?,
        name: row.try_get("name")?,
        currency: row.try_get("currency")?,
        status: row.try_get("status")?,
        config_json: row.try_get("config_json")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts the next version of `row.code` (the version in `row` is ignored) and returns
/// the version written.
///
/// # Errors
/// A database error.
pub async fn insert_next_version(tx: &mut Tx<'_>, row: &ProductRow) -> Result<i64, StoreError> {
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM loan_products WHERE code = $1")
            .bind(&row.code)
            .fetch_one(&mut **tx)
            .await?;
    let version = latest.unwrap_or(0) + 1;
    sqlx::query(
        "INSERT INTO loan_products (code, version, name, currency, status, config_json, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.code)
    .bind(version)
    .bind(&row.name)
    .bind(&row.currency)
    .bind(&row.status)
    .bind(&row.config_json)
    .bind(&row.created_by)
    .bind(&row.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(version)
}

/// The latest version of every product, by code.
///
/// # Errors
/// A database error.
pub async fn latest_all(db: &Db) -> Result<Vec<ProductRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM loan_products p WHERE version = (SELECT MAX(version) FROM loan_products q WHERE q.code = p.code) ORDER BY code"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Version `version` of `code`, or the latest when `None`.
///
/// # Errors
/// A database error.
pub async fn get(
    db: &Db,
    code: &str,
    version: Option<i64>,
) -> Result<Option<ProductRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM loan_products WHERE code = $1 AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1"
    ))
    .bind(code)
    .bind(version.unwrap_or(0))
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every version of `code`, oldest first.
///
/// # Errors
/// A database error.
pub async fn versions(db: &Db, code: &str) -> Result<Vec<ProductRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM loan_products WHERE code = $1 ORDER BY version"
    ))
    .bind(code)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}
