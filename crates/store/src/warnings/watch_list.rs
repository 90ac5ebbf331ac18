//! The industry and region watch list (`risk_watch_list`): entries added and removed, the
//! customers they match, and the `watch_list` warnings raised for them.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{StoreError, Tx};

/// An entry of the industry and region watch list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct WatchRow {
    pub id: i64,
    /// `industry` or `region`.
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub added_by: String,
    pub added_at: String,
    pub removed_by: Option<String>,
    pub removed_at: Option<String>,
}

const WATCH_COLUMNS: &str = "id, kind, value, reason, added_by, added_at, removed_by, removed_at";

fn watch_from(r: &AnyRow) -> Result<WatchRow, StoreError> {
    Ok(WatchRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        value: r.try_get("value")?,
        reason: r.try_get("reason")?,
        added_by: r.try_get("added_by")?,
        added_at: r.try_get("added_at")?,
        removed_by: r.try_get("removed_by")?,
        removed_at: r.try_get("removed_at")?,
    })
}

/// Adds an entry; `None` when the same kind and value is on the list already.
///
/// # Errors
/// A database error.
pub async fn add_watch(tx: &mut Tx<'_>, w: &WatchRow) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO risk_watch_list (kind, value, reason, added_by, added_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (kind, value) WHERE removed_at IS NULL DO NOTHING RETURNING id",
    )
    .bind(&w.kind)
    .bind(&w.value)
    .bind(&w.reason)
    .bind(&w.added_by)
    .bind(&w.added_at)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Entry `id`.
///
/// # Errors
/// A database error.
pub async fn watch<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<WatchRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM risk_watch_list WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(watch_from).transpose()
}

/// The entries on the list (with the removed ones when `removed`), by kind and value, at
/// most `limit`.
///
/// # Errors
/// A database error.
pub async fn watch_list<'c>(
    exec: impl Executor<'c, Database = Any>,
    removed: bool,
    limit: i64,
) -> Result<Vec<WatchRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM risk_watch_list WHERE ($1 = 1 OR removed_at IS NULL) \
         ORDER BY kind, value, id LIMIT $2"
    ))
    .bind(i64::from(removed))
    .bind(limit.clamp(1, 10_000))
    .fetch_all(exec)
    .await?;
    rows.iter().map(watch_from).collect()
}

/// Takes entry `id` off the list; false if it was off already.
///
/// # Errors
/// A database error.
pub async fn remove_watch(
    tx: &mut Tx<'_>,
    id: i64,
    by: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE risk_watch_list SET removed_by = $1, removed_at = $2 WHERE id = $3 AND removed_at IS NULL",
    )
    .bind(by)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The customer column an entry of `kind` is matched against.
fn watched_column(kind: &str) -> &'static str {
    if kind == "industry" {
        "industry"
    } else {
        "province"
    }
}

/// Raises `watch_list` warnings (loan 0, severity `severity`, `detail`) for every customer
/// with an active loan whose industry or province (by `kind`) is `value`, owned by the
/// officer of the newest such loan taken through origination; returns how many were raised.
///
/// # Errors
/// A database error.
#[allow(clippy::too_many_arguments)]
pub async fn raise_watched(
    tx: &mut Tx<'_>,
    kind: &str,
    value: &str,
    only_customer: i64,
    severity: &str,
    raised_on: &str,
    detail: &str,
    at: &str,
) -> Result<u64, StoreError> {
    let column = watched_column(kind);
    let done = sqlx::query(&format!(
        "INSERT INTO warnings (customer_id, loan_id, rule, severity, status, owner, raised_on, detail, created_at, updated_at) \
         SELECT c.id, 0, 'watch_list', $1, 'open', \
         (SELECT a.created_by FROM loans l JOIN applications a ON a.id = l.application_id \
          WHERE l.customer_id = c.id AND l.status = 'active' ORDER BY l.id DESC LIMIT 1), \
         $2, $3, $4, $4 FROM customers c \
         WHERE TRIM(c.{column}) = $5 AND ($6 = 0 OR c.id = $6) \
         AND EXISTS (SELECT 1 FROM loans l WHERE l.customer_id = c.id AND l.status = 'active') \
         ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING"
    ))
    .bind(severity)
    .bind(raised_on)
    .bind(detail)
    .bind(at)
    .bind(value)
    .bind(only_customer)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// The entries on the list that match customer `id`'s industry or province.
///
/// # Errors
/// A database error.
pub async fn watched_for(tx: &mut Tx<'_>, customer_id: i64) -> Result<Vec<WatchRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM risk_watch_list w WHERE w.removed_at IS NULL AND EXISTS \
         (SELECT 1 FROM customers c WHERE c.id = $1 AND \
          ((w.kind = 'industry' AND TRIM(c.industry) = w.value) OR (w.kind = 'region' AND TRIM(c.province) = w.value))) \
         ORDER BY w.id"
    ))
    .bind(customer_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(watch_from).collect()
}
