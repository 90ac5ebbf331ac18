//! The business date (会计日期): one row, moved only by the daily close.

use chrono::NaiveDate;
use sqlx::{Any, Executor};

use crate::{StoreError, Tx};

/// The current business date, if the database has been initialised.
///
/// # Errors
/// A database error, or a stored date that does not parse.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
) -> Result<Option<NaiveDate>, StoreError> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT business_date FROM business_dates WHERE id = 1")
            .fetch_optional(exec)
            .await?;
    text.map(|t| {
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map_err(|_| StoreError::Corrupt(format!("business date '{t}'")))
    })
    .transpose()
}

/// Sets the first business date (fails if one is set).
///
/// # Errors
/// A database error.
pub async fn init(tx: &mut Tx<'_>, date: NaiveDate, at: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO business_dates (id, business_date, updated_at) VALUES (1, $1, $2)")
        .bind(date.format("%Y-%m-%d").to_string())
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves the business date from `from` to `to` (only if it is still `from`); false if
/// it was not. The daily close is its only caller outside tests.
///
/// # Errors
/// A database error.
pub async fn advance(
    tx: &mut Tx<'_>,
    from: NaiveDate,
    to: NaiveDate,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE business_dates SET business_date = $1, updated_at = $2 WHERE id = 1 AND business_date = $3",
    )
    .bind(to.format("%Y-%m-%d").to_string())
    .bind(at)
    .bind(from.format("%Y-%m-%d").to_string())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
