//! Users, console sessions and API tokens.

use sqlx::{Any, Executor, Row};

use crate::{Db, StoreError, Tx};

/// A user row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown in the console.
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// `zh-CN` or `en`.
    pub language: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked until this timestamp, if locked.
    pub locked_until: Option<String>,
    /// Created at.
    pub created_at: String,
}

const COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.password_hash, u.language, u.status, u.failed_logins, u.locked_until, u.created_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<UserRow, StoreError> {
    Ok(UserRow {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: row.try_get("role")?,
        password_hash: row.try_get("password_hash")?,
        language: row.try_get("language")?,
        status: row.try_get("status")?,
        failed_logins: row.try_get("failed_logins")?,
        locked_until: row.try_get("locked_until")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts a user and returns its id.
///
/// # Errors
/// A database error (a taken username is a unique violation).
pub async fn insert(tx: &mut Tx<'_>, user: &UserRow) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, role, password_hash, language, status, failed_logins, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id",
    )
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(&user.role)
    .bind(&user.password_hash)
    .bind(&user.language)
    .bind(&user.status)
    .bind(&user.created_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// The user called `username`.
///
/// # Errors
/// A database error.
pub async fn by_username<'c>(
    exec: impl Executor<'c, Database = Any>,
    username: &str,
) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users u WHERE u.username = $1"
    ))
    .bind(username)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// All users, by name.
///
/// # Errors
/// A database error.
pub async fn list(db: &Db) -> Result<Vec<UserRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users u ORDER BY u.username"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Sets a user's console language.
///
/// # Errors
/// A database error.
pub async fn set_language(tx: &mut Tx<'_>, user_id: i64, language: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
        .bind(language)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Number of users.
///
/// # Errors
/// A database error.
pub async fn count(db: &Db) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?)
}

/// Counts one more failed login atomically and returns the new count.
///
/// # Errors
/// A database error.
pub async fn add_failure(db: &Db, user_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
    )
    .bind(user_id)
    .fetch_one(db.pool())
    .await?)
}

/// Records a failed login: the new failure count and an optional lock.
///
/// # Errors
/// A database error.
pub async fn set_failures(
    tx: &mut Tx<'_>,
    user_id: i64,
    failed_logins: i64,
    locked_until: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
        .bind(failed_logins)
        .bind(locked_until)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stores a console session by the hash of its token.
///
/// # Errors
/// A database error.
pub async fn insert_session(
    tx: &mut Tx<'_>,
    token_hash: &str,
    user_id: i64,
    created_at: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(created_at)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The active user of a live session (not revoked, not expired at `now`).
///
/// # Errors
/// A database error.
pub async fn session_user(
    db: &Db,
    token_hash: &str,
    now: &str,
) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.status = 'active'"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Ends a session.
///
/// # Errors
/// A database error.
pub async fn revoke_session(tx: &mut Tx<'_>, token_hash: &str, at: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(at)
        .bind(token_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stores an API token by its hash and returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_api_token(
    tx: &mut Tx<'_>,
    token_hash: &str,
    user_id: i64,
    name: &str,
    at: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(name)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?)
}

/// The active user of an unrevoked API token.
///
/// # Errors
/// A database error.
pub async fn api_token_user(db: &Db, token_hash: &str) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.status = 'active'"
    ))
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Revokes API token `id` of `user_id`; returns whether one was revoked.
///
/// # Errors
/// A database error.
pub async fn revoke_api_token(
    tx: &mut Tx<'_>,
    id: i64,
    user_id: i64,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(at)
        .bind(id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
