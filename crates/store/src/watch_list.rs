//! AML watch lists: each import is a version; screening uses the newest.

use sqlx::Row;

use crate::{Db, StoreError, Tx};

/// An entry to import (its ID number already hashed and masked).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct EntryRow {
    pub id: i64,
    pub list_name: String,
    pub name: String,
    pub name_normalised: String,
    pub id_number_hash: Option<String>,
    pub id_number_masked: Option<String>,
    pub reason: String,
}

/// Stores a new version with `entries`; returns the version.
///
/// # Errors
/// A database error.
pub async fn import(
    tx: &mut Tx<'_>,
    entries: &[EntryRow],
    imported_by: &str,
    at: &str,
    source: &str,
) -> Result<i64, StoreError> {
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO watch_list_versions (imported_by, imported_at, entries, source) VALUES ($1, $2, $3, $4) RETURNING version",
    )
    .bind(imported_by)
    .bind(at)
    .bind(entries.len() as i64)
    .bind(source)
    .fetch_one(&mut **tx)
    .await?;
    for e in entries {
        sqlx::query(
            "INSERT INTO watch_list_entries (version, list_name, name, name_normalised, id_number_hash, id_number_masked, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(version)
        .bind(&e.list_name)
        .bind(&e.name)
        .bind(&e.name_normalised)
        .bind(&e.id_number_hash)
        .bind(&e.id_number_masked)
        .bind(&e.reason)
        .execute(&mut **tx)
        .await?;
    }
    Ok(version)
}

/// The newest version number, if a list was imported.
///
/// # Errors
/// A database error.
pub async fn latest_version(db: &Db) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT MAX(version) FROM watch_list_versions")
            .fetch_one(db.pool())
            .await?,
    )
}

/// The newest version and its entries (version 0 and none before any import).
///
/// # Errors
/// A database error.
pub async fn current(db: &Db) -> Result<(i64, Vec<EntryRow>), StoreError> {
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM watch_list_versions")
        .fetch_one(db.pool())
        .await?;
    let Some(version) = version else {
        return Ok((0, Vec::new()));
    };
    let rows = sqlx::query(
        "SELECT id, list_name, name, name_normalised, id_number_hash, id_number_masked, reason FROM watch_list_entries WHERE version = $1 ORDER BY id",
    )
    .bind(version)
    .fetch_all(db.pool())
    .await?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(EntryRow {
                id: r.try_get("id")?,
                list_name: r.try_get("list_name")?,
                name: r.try_get("name")?,
                name_normalised: r.try_get("name_normalised")?,
                id_number_hash: r.try_get("id_number_hash")?,
                id_number_masked: r.try_get("id_number_masked")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((version, entries))
}

/// Every imported version, newest first: (version, imported_by, imported_at, entries, source).
///
/// # Errors
/// A database error.
pub async fn versions(db: &Db) -> Result<Vec<(i64, String, String, i64, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT version, imported_by, imported_at, entries, source FROM watch_list_versions ORDER BY version DESC",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("version")?,
                r.try_get("imported_by")?,
                r.try_get("imported_at")?,
                r.try_get("entries")?,
                r.try_get("source")?,
            ))
        })
        .collect()
}
