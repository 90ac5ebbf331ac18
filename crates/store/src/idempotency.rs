//! Idempotency keys: a retried request returns the first result, never a second
//! posting. The key is claimed inside the business transaction, so the key and the
//! change commit together or not at all.

use sqlx::Row;

use crate::{StoreError, Tx};

/// What a key already holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Hash of the request that first used the key.
    pub request_hash: String,
    /// Its answer's status.
    pub status: i64,
    /// Its answer.
    pub body: String,
}

/// Claims `key` in `scope` for a request with `request_hash`. `None`: the key is new
/// and now held by this transaction; `Some`: the key was used before (a concurrent
/// holder is waited for on PostgreSQL; SQLite writers are serialised).
///
/// # Errors
/// A database error.
pub async fn claim(
    tx: &mut Tx<'_>,
    scope: &str,
    key: &str,
    request_hash: &str,
    at: &str,
) -> Result<Option<Stored>, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, response_status, response_body, created_at) \
         VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (scope, idempotency_key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(request_hash)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2")
        .bind(scope)
        .bind(key)
        .fetch_one(&mut **tx)
        .await?;
    Ok(Some(Stored {
        request_hash: row.try_get("request_hash")?,
        status: row.try_get("response_status")?,
        body: row.try_get("response_body")?,
    }))
}

/// Records the answer for a claimed key.
///
/// # Errors
/// A database error.
pub async fn complete(
    tx: &mut Tx<'_>,
    scope: &str,
    key: &str,
    status: i64,
    body: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE idempotency_keys SET response_status = $1, response_body = $2 WHERE scope = $3 AND idempotency_key = $4")
        .bind(status)
        .bind(body)
        .bind(scope)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
