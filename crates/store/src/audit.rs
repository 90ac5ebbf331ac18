//! The hash-chained audit log.
//!
//! Each record stores the hash of the record before it and its own hash over every
//! field: `hash = SHA-256(prev_hash ␟ id ␟ at ␟ actor ␟ action ␟ entity ␟ entity_id ␟
//! before ␟ after ␟ request_id)`. Editing a record breaks its hash; deleting one breaks
//! the chain of ids and hashes; deleting the newest ones leaves the head
//! (`audit_head`) pointing past the end. [`verify`] finds the first break.
//!
//! Appending takes the head row's lock (`UPDATE audit_head`), so concurrent writers on
//! PostgreSQL queue instead of forking the chain.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Db, StoreError, Tx};

/// The hash before the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const FIELD_SEPARATOR: char = '\u{1f}';

/// A record to append.
#[derive(Clone, Debug)]
pub struct NewAuditRecord<'a> {
    /// Who: a username, or `system`.
    pub actor: &'a str,
    /// What, e.g. `customer.create`.
    pub action: &'a str,
    /// The kind of thing changed, e.g. `customer`.
    pub entity: &'a str,
    /// Which one.
    pub entity_id: &'a str,
    /// Its state before (personal data masked), if any.
    pub before: Option<serde_json::Value>,
    /// Its state after (personal data masked), if any.
    pub after: Option<serde_json::Value>,
    /// The request that caused it.
    pub request_id: Option<&'a str>,
}

/// A stored audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub id: i64,
    /// When (UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// The kind of thing changed.
    pub entity: String,
    /// Which one.
    pub entity_id: String,
    /// State before, as JSON text.
    pub before: Option<String>,
    /// State after, as JSON text.
    pub after: Option<String>,
    /// The request.
    pub request_id: Option<String>,
    /// Hash of the previous record.
    pub prev_hash: String,
    /// Hash of this record.
    pub hash: String,
}

fn record_hash(r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    let sep = FIELD_SEPARATOR.to_string();
    for field in [
        r.prev_hash.as_str(),
        &r.id.to_string(),
        &r.at,
        &r.actor,
        &r.action,
        &r.entity,
        &r.entity_id,
        r.before.as_deref().unwrap_or("\u{0}"),
        r.after.as_deref().unwrap_or("\u{0}"),
        r.request_id.as_deref().unwrap_or("\u{0}"),
    ] {
        h.update(field.as_bytes());
        h.update(sep.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The timestamp format of the log: RFC 3339, UTC, microseconds.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Appends `record` at `at` to the log inside `tx`. Records of one transaction are
/// chained and written when it commits, in one batch: the head is claimed once for all
/// of them, so a use case that records several changes pays for one.
///
/// # Errors
/// None today; the database's errors surface at commit.
pub async fn append(
    tx: &mut Tx<'_>,
    record: &NewAuditRecord<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.audit.push(AuditRecord {
        id: 0,
        at: timestamp(at),
        actor: record.actor.to_owned(),
        action: record.action.to_owned(),
        entity: record.entity.to_owned(),
        entity_id: record.entity_id.to_owned(),
        before: record.before.as_ref().map(|v| v.to_string()),
        after: record.after.as_ref().map(|v| v.to_string()),
        request_id: record.request_id.map(str::to_owned),
        prev_hash: String::new(),
        hash: String::new(),
    });
    Ok(())
}

/// Rows per multi-row insert (11 parameters each, well within both databases' limits).
const FLUSH_CHUNK: usize = 100;

/// Writes `pending` records at the end of the chain: claims their ids, hashes each on
/// the previous, inserts them and moves the head.
pub(crate) async fn flush(
    tx: &mut Tx<'_>,
    mut pending: Vec<AuditRecord>,
) -> Result<(), sqlx::Error> {
    let n = i64::try_from(pending.len()).unwrap_or(i64::MAX);
    let head = sqlx::query(
        "UPDATE audit_head SET last_id = last_id + $1 WHERE id = 1 RETURNING last_id, last_hash",
    )
    .bind(n)
    .fetch_one(&mut **tx)
    .await?;
    let last_id: i64 = head.try_get("last_id")?;
    let mut prev_hash: String = head.try_get("last_hash")?;
    for (record, id) in pending.iter_mut().zip(last_id - n + 1..) {
        record.id = id;
        record.prev_hash = std::mem::take(&mut prev_hash);
        record.hash = record_hash(record);
        prev_hash.clone_from(&record.hash);
    }
    for chunk in pending.chunks(FLUSH_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, before_json, after_json, request_id, prev_hash, hash) VALUES ",
        );
        sql.push_str(&crate::db::values_placeholders(
            tx.backend(),
            chunk.len(),
            11,
        ));
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.id)
                .bind(&r.at)
                .bind(&r.actor)
                .bind(&r.action)
                .bind(&r.entity)
                .bind(&r.entity_id)
                .bind(&r.before)
                .bind(&r.after)
                .bind(&r.request_id)
                .bind(&r.prev_hash)
                .bind(&r.hash);
        }
        q.execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&prev_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        entity: row.try_get("entity")?,
        entity_id: row.try_get("entity_id")?,
        before: row.try_get("before_json")?,
        after: row.try_get("after_json")?,
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "id, at, actor, action, entity, entity_id, before_json, after_json, request_id, prev_hash, hash";

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditBreak {
    /// The record's fields no longer match its hash: it was edited.
    Edited {
        /// The record.
        id: i64,
    },
    /// A record is missing before this one (deleted), or this one was re-linked.
    Missing {
        /// The id expected next.
        expected_id: i64,
        /// The id found instead.
        found_id: i64,
    },
    /// Records at the end of the log were deleted.
    Truncated {
        /// The last record still present.
        last_present: i64,
        /// The last record the head says was written.
        last_written: i64,
    },
}

impl std::fmt::Display for AuditBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditBreak::Edited { id } => write!(
                f,
                "audit record {id} was edited: its hash does not match its contents"
            ),
            AuditBreak::Missing {
                expected_id,
                found_id,
            } => write!(
                f,
                "audit record {expected_id} is missing or the chain was re-linked (next present record is {found_id})"
            ),
            AuditBreak::Truncated {
                last_present,
                last_written,
            } => write!(
                f,
                "audit records {} to {last_written} were deleted (the log ends at {last_present})",
                last_present + 1
            ),
        }
    }
}

/// How many records [`verify`] reads per batch.
const VERIFY_BATCH: i64 = 5_000;

/// Walks the whole chain. `Ok(Ok(count))` when intact, `Ok(Err(break))` at the first
/// break.
///
/// # Errors
/// A database error.
pub async fn verify(db: &Db) -> Result<Result<i64, AuditBreak>, StoreError> {
    let mut expected_id = 1;
    let mut prev_hash = GENESIS_HASH.to_owned();
    loop {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2"
        ))
        .bind(expected_id)
        .bind(VERIFY_BATCH)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let record = from_row(row)?;
            if record.id != expected_id || record.prev_hash != prev_hash {
                return Ok(Err(AuditBreak::Missing {
                    expected_id,
                    found_id: record.id,
                }));
            }
            if record_hash(&record) != record.hash {
                return Ok(Err(AuditBreak::Edited { id: record.id }));
            }
            prev_hash = record.hash;
            expected_id += 1;
        }
    }
    let last_present = expected_id - 1;
    let head = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    let last_written: i64 = head.try_get("last_id")?;
    let head_hash: String = head.try_get("last_hash")?;
    if last_written != last_present || head_hash != prev_hash {
        return Ok(Err(AuditBreak::Truncated {
            last_present,
            last_written,
        }));
    }
    Ok(Ok(last_present))
}

/// A filter for [`query`].
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only this entity kind.
    pub entity: Option<String>,
    /// Only this entity id.
    pub entity_id: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Records with an id below this (for paging backwards).
    pub before_id: Option<i64>,
    /// At most this many (capped at 500).
    pub limit: i64,
}

/// The newest records matching `filter`, newest first.
///
/// # Errors
/// A database error.
pub async fn query(db: &Db, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log \
         WHERE ($1 = '' OR entity = $1) AND ($2 = '' OR entity_id = $2) AND ($3 = '' OR actor = $3) AND id < $4 \
         ORDER BY id DESC LIMIT $5"
    ))
    .bind(filter.entity.clone().unwrap_or_default())
    .bind(filter.entity_id.clone().unwrap_or_default())
    .bind(filter.actor.clone().unwrap_or_default())
    .bind(filter.before_id.unwrap_or(i64::MAX))
    .bind(filter.limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    async fn write(db: &Db, n: usize) {
        for i in 0..n {
            let mut tx = db.begin().await.unwrap();
            let id = i.to_string();
            append(
                &mut tx,
                &NewAuditRecord {
                    actor: "admin",
                    action: "customer.create",
                    entity: "customer",
                    entity_id: &id,
                    before: None,
                    after: Some(serde_json::json!({"name": format!("客户{i}")})),
                    request_id: Some("req-1"),
                },
                Utc::now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
    }

    #[tokio::test]
    async fn an_intact_chain_verifies() {
        for t in testing::databases().await {
            write(&t.db, 5).await;
            assert_eq!(verify(&t.db).await.unwrap(), Ok(5), "{}", t.label);
            let newest = query(
                &t.db,
                &AuditFilter {
                    limit: 2,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(newest.iter().map(|r| r.id).collect::<Vec<_>>(), vec![5, 4]);
            assert_eq!(newest[0].after.as_deref(), Some(r#"{"name":"客户4"}"#));
        }
    }

    #[tokio::test]
    async fn an_edited_record_is_named() {
        for t in testing::databases().await {
            write(&t.db, 5).await;
            sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
                .execute(t.db.pool())
                .await
                .unwrap();
            assert_eq!(
                verify(&t.db).await.unwrap(),
                Err(AuditBreak::Edited { id: 3 }),
                "{}",
                t.label
            );
        }
    }

    #[tokio::test]
    async fn a_deleted_record_is_named() {
        for t in testing::databases().await {
            write(&t.db, 5).await;
            sqlx::query("DELETE FROM audit_log WHERE id = 2")
                .execute(t.db.pool())
                .await
                .unwrap();
            let found = verify(&t.db).await.unwrap();
            assert_eq!(
                found,
                Err(AuditBreak::Missing {
                    expected_id: 2,
                    found_id: 3
                }),
                "{}",
                t.label
            );
            assert_eq!(
                found.unwrap_err().to_string(),
                "audit record 2 is missing or the chain was re-linked (next present record is 3)"
            );
        }
    }

    #[tokio::test]
    async fn deleting_the_newest_records_is_detected() {
        for t in testing::databases().await {
            write(&t.db, 5).await;
            sqlx::query("DELETE FROM audit_log WHERE id >= 4")
                .execute(t.db.pool())
                .await
                .unwrap();
            assert_eq!(
                verify(&t.db).await.unwrap(),
                Err(AuditBreak::Truncated {
                    last_present: 3,
                    last_written: 5
                }),
                "{}",
                t.label
            );
        }
    }

    #[tokio::test]
    async fn a_rewritten_hash_is_still_caught_by_the_next_link() {
        for t in testing::databases().await {
            write(&t.db, 4).await;
            // edit record 2 and recompute its own hash: record 3's prev_hash no longer matches
            let mut r = query(
                &t.db,
                &AuditFilter {
                    limit: 500,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.id == 2)
            .unwrap();
            r.actor = "mallory".into();
            let forged = record_hash(&r);
            sqlx::query("UPDATE audit_log SET actor = 'mallory', hash = $1 WHERE id = 2")
                .bind(&forged)
                .execute(t.db.pool())
                .await
                .unwrap();
            assert_eq!(
                verify(&t.db).await.unwrap(),
                Err(AuditBreak::Missing {
                    expected_id: 3,
                    found_id: 3
                }),
                "{}",
                t.label
            );
        }
    }
}
