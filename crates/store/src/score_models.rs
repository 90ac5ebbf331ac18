//! The model registry: versions of scorecards with their status, and the scores they
//! give (for monitoring).

use sqlx::{Any, Executor, Row};

use crate::{Db, StoreError, Tx};

/// A registered model version.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ModelRow {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub status: String,
    pub challenger_share: String,
    pub model_json: String,
    pub mapping_json: String,
    pub fingerprint: String,
    pub test_auc: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, version, status, challenger_share, model_json, mapping_json, fingerprint, test_auc, created_by, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ModelRow, StoreError> {
    Ok(ModelRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        challenger_share: r.try_get("challenger_share")?,
        model_json: r.try_get("model_json")?,
        mapping_json: r.try_get("mapping_json")?,
        fingerprint: r.try_get("fingerprint")?,
        test_auc: r.try_get("test_auc")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts the next version of `row.name`; returns (id, version).
///
/// # Errors
/// A database error.
pub async fn insert_next_version(
    tx: &mut Tx<'_>,
    row: &ModelRow,
) -> Result<(i64, i64), StoreError> {
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM score_models WHERE name = $1")
            .bind(&row.name)
            .fetch_one(&mut **tx)
            .await?;
    let version = latest.unwrap_or(0) + 1;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO score_models (name, version, status, challenger_share, model_json, mapping_json, fingerprint, test_auc, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&row.name)
    .bind(version)
    .bind(&row.status)
    .bind(&row.challenger_share)
    .bind(&row.model_json)
    .bind(&row.mapping_json)
    .bind(&row.fingerprint)
    .bind(&row.test_auc)
    .bind(&row.created_by)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, version))
}

/// Model `id`.
///
/// # Errors
/// A database error.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<ModelRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM score_models WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every registered version, by name and version.
///
/// # Errors
/// A database error.
pub async fn list(db: &Db) -> Result<Vec<ModelRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM score_models ORDER BY name, version"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The versions of `name` with `status`.
///
/// # Errors
/// A database error.
pub async fn with_status(
    tx: &mut Tx<'_>,
    name: &str,
    status: &str,
) -> Result<Vec<ModelRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM score_models WHERE name = $1 AND status = $2 ORDER BY version"
    ))
    .bind(name)
    .bind(status)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Sets the status (and challenger share) of model `id`.
///
/// # Errors
/// A database error.
pub async fn set_status(
    tx: &mut Tx<'_>,
    id: i64,
    status: &str,
    share: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE score_models SET status = $1, challenger_share = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(status)
    .bind(share)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a score given by model `model_id` on `scored_on` to `subject`; `decided` when
/// this model's score made the decision (the champion).
///
/// # Errors
/// A database error.
pub async fn insert_score(
    tx: &mut Tx<'_>,
    model_id: i64,
    scored_on: &str,
    subject: &str,
    score: i64,
    decided: bool,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO model_scores (model_id, scored_on, subject, score, decided) VALUES ($1, $2, $3, $4, $5)")
        .bind(model_id)
        .bind(scored_on)
        .bind(subject)
        .bind(score)
        .bind(i64::from(decided))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The scores of model `model_id` as (scored_on, score), in date order.
///
/// # Errors
/// A database error.
pub async fn scores(db: &Db, model_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT scored_on, score FROM model_scores WHERE model_id = $1 ORDER BY scored_on, id",
    )
    .bind(model_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("scored_on")?, r.try_get("score")?)))
        .collect()
}

/// The date of the newest score of model `model_id`.
///
/// # Errors
/// A database error.
pub async fn newest_score_date(db: &Db, model_id: i64) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT MAX(scored_on) FROM model_scores WHERE model_id = $1")
            .bind(model_id)
            .fetch_one(db.pool())
            .await?,
    )
}

/// The scores model `model_id` gave on `from` (a date) or later.
///
/// # Errors
/// A database error.
pub async fn scores_since(db: &Db, model_id: i64, from: &str) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT score FROM model_scores WHERE model_id = $1 AND scored_on >= $2 ORDER BY id",
    )
    .bind(model_id)
    .bind(from)
    .fetch_all(db.pool())
    .await?)
}

/// The champions and challengers without their documents: (id, name, version, status,
/// challenger share, updated_at).
///
/// # Errors
/// A database error.
#[allow(clippy::type_complexity)]
pub async fn live_heads(
    db: &Db,
) -> Result<Vec<(i64, String, i64, String, String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, version, status, challenger_share, updated_at FROM score_models WHERE status IN ('champion', 'challenger') ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("name")?,
                r.try_get("version")?,
                r.try_get("status")?,
                r.try_get("challenger_share")?,
                r.try_get("updated_at")?,
            ))
        })
        .collect()
}
