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
    stored(tx, scope, key)
        .await?
        .map(Some)
        .ok_or_else(|| StoreError::Corrupt(format!("idempotency key '{key}' vanished")))
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

/// A key to claim in [`claim_many`].
#[derive(Clone, Debug)]
pub struct Claim<'a> {
    /// Scope (e.g. `repayment:42`).
    pub scope: &'a str,
    /// The client's key.
    pub key: &'a str,
    /// Hash of the request.
    pub request_hash: &'a str,
}

/// Claims several keys in one statement (each (scope, key) at most once in `claims`);
/// returns for each whether it is new and now held by this transaction. A key not new
/// is read with [`stored`]. As in [`claim`], a concurrent holder is waited for on
/// PostgreSQL.
///
/// # Errors
/// A database error.
pub async fn claim_many(
    tx: &mut Tx<'_>,
    claims: &[Claim<'_>],
    at: &str,
) -> Result<Vec<bool>, StoreError> {
    let mut fresh = std::collections::HashSet::new();
    for chunk in claims.chunks(100) {
        let sql = format!(
            "INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, response_status, response_body, created_at) \
             VALUES {} ON CONFLICT (scope, idempotency_key) DO NOTHING RETURNING scope, idempotency_key",
            crate::db::values_placeholders(tx.backend(), chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(c.scope)
                .bind(c.key)
                .bind(c.request_hash)
                .bind(0_i64)
                .bind("")
                .bind(at);
        }
        for row in q.fetch_all(&mut **tx).await? {
            let scope: String = row.try_get(0)?;
            let key: String = row.try_get(1)?;
            fresh.insert((scope, key));
        }
    }
    Ok(claims
        .iter()
        .map(|c| fresh.contains(&(c.scope.to_owned(), c.key.to_owned())))
        .collect())
}

/// What key `key` in `scope` holds.
///
/// # Errors
/// A database error.
pub async fn stored(tx: &mut Tx<'_>, scope: &str, key: &str) -> Result<Option<Stored>, StoreError> {
    let row = sqlx::query("SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2")
        .bind(scope)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| {
        Ok(Stored {
            request_hash: row.try_get("request_hash")?,
            status: row.try_get("response_status")?,
            body: row.try_get("response_body")?,
        })
    })
    .transpose()
}

/// Gives back a key claimed in this transaction whose request was refused (a retry may
/// use it again).
///
/// # Errors
/// A database error.
pub async fn release(tx: &mut Tx<'_>, scope: &str, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2")
        .bind(scope)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records the answers (scope, key, status, body) of several claimed keys.
///
/// # Errors
/// A database error.
pub async fn complete_many(
    tx: &mut Tx<'_>,
    answers: &[(&str, &str, i64, &str)],
) -> Result<(), StoreError> {
    for chunk in answers.chunks(100) {
        let mut rows = Vec::with_capacity(chunk.len());
        for n in 0..chunk.len() {
            let p = n * 4;
            rows.push(match tx.backend() {
                crate::Backend::Sqlite => "(?, ?, ?, ?)".to_owned(),
                // the cast types the VALUES column as an integer on PostgreSQL
                crate::Backend::Postgres => format!(
                    "(${}, ${}, CAST(${} AS BIGINT), ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4
                ),
            });
        }
        let sql = format!(
            "UPDATE idempotency_keys SET response_status = v.column3, response_body = v.column4 FROM (VALUES {}) AS v \
             WHERE idempotency_keys.scope = v.column1 AND idempotency_keys.idempotency_key = v.column2",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (scope, key, status, body) in chunk {
            q = q.bind(*scope).bind(*key).bind(*status).bind(*body);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
