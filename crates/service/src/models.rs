//! The model registry (授信审批模型): deploy scorecards with a checked mapping to loanbook's
//! fields, choose the champion and a challenger (with the share of applications it also
//! scores), and watch live scores drift from training (PSI by month).
//!
//! Decisions: per model name there is at most one champion and one challenger; making a
//! version champion (or challenger) retires the one it replaces. A draft can be deployed
//! for inspection. The challenger share is 0–100% (default 10%); the champion decides.

use loanbook_risk::scorecard::mapping::{self, Binding, Mapping};
use loanbook_risk::scorecard::metrics::{MonthDrift, drift_by_month};
use loanbook_risk::scorecard::model::Model;
use loanbook_store::audit::timestamp;
use loanbook_store::score_models::{self, ModelRow};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// A registered model version as shown.
#[derive(Clone, Debug, Serialize)]
pub struct ModelView {
    /// Registry id.
    pub id: i64,
    /// Model name.
    pub name: String,
    /// Version in the registry.
    pub version: i64,
    /// draft, champion, challenger or retired.
    pub status: String,
    /// Share of applications the challenger also scores.
    pub challenger_share: String,
    /// SHA-256 of the training data.
    pub fingerprint: String,
    /// Held-out AUC at training.
    pub test_auc: String,
    /// Variables and where each is read from.
    pub bindings: Vec<Binding>,
    /// Who deployed it.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

fn view(row: &ModelRow) -> Result<ModelView, ServiceError> {
    let model = Model::from_json(&row.model_json).map_err(ServiceError::Conflict)?;
    let mapping: Mapping = serde_json::from_str(&row.mapping_json)
        .map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let bindings =
        mapping::check(&model, &mapping).map_err(|p| ServiceError::Conflict(p.join("; ")))?;
    Ok(ModelView {
        id: row.id,
        name: row.name.clone(),
        version: row.version,
        status: row.status.clone(),
        challenger_share: row.challenger_share.clone(),
        fingerprint: row.fingerprint.clone(),
        test_auc: row.test_auc.clone(),
        bindings,
        created_by: row.created_by.clone(),
        created_at: row.created_at.clone(),
    })
}

const STATUSES: [&str; 4] = ["draft", "champion", "challenger", "retired"];

fn check_share(status: &str, share: Option<&str>) -> Result<Decimal, ServiceError> {
    let share = match share {
        None if status == "challenger" => return Ok(Decimal::new(1, 1)),
        None => return Ok(Decimal::ZERO),
        Some(text) => text.parse::<Decimal>().map_err(|_| {
            ServiceError::invalid(
                "challenger_share",
                format!("'{text}' is not a decimal such as 0.1"),
            )
        })?,
    };
    if status != "challenger" && !share.is_zero() {
        return Err(ServiceError::invalid(
            "challenger_share",
            "applies only to a challenger",
        ));
    }
    if share < Decimal::ZERO || share > Decimal::ONE {
        return Err(ServiceError::invalid(
            "challenger_share",
            format!("must be between 0 and 1 (got {share})"),
        ));
    }
    Ok(share)
}

/// Retires the current holder of `status` (champion or challenger) for `name`.
async fn retire_holder(
    tx: &mut loanbook_store::Tx<'_>,
    name: &str,
    status: &str,
    except: i64,
    at: &str,
) -> Result<Vec<i64>, ServiceError> {
    let mut retired = Vec::new();
    if status == "champion" || status == "challenger" {
        for holder in score_models::with_status(tx, name, status).await? {
            if holder.id != except {
                score_models::set_status(tx, holder.id, "retired", "0", at).await?;
                retired.push(holder.id);
            }
        }
    }
    Ok(retired)
}

/// Deploys a model file with its mapping, as `status` (draft, champion or challenger).
///
/// # Errors
/// Forbidden without `model:manage`; a file that is not a model; every mapping problem
/// (a variable without a binding, an unknown field, a kind mismatch); a bad status or share.
pub async fn deploy(
    app: &App,
    actor: &Actor,
    model_json: &str,
    mapping: &Mapping,
    status: &str,
    share: Option<&str>,
) -> Result<ModelView, ServiceError> {
    actor.require(Permission::ModelManage)?;
    let model = Model::from_json(model_json).map_err(|e| ServiceError::invalid("model", e))?;
    if let Err(problems) = mapping::check(&model, mapping) {
        return Err(ServiceError::Invalid(
            problems
                .into_iter()
                .map(|p| Violation::new("mapping", p))
                .collect(),
        ));
    }
    if !["draft", "champion", "challenger"].contains(&status) {
        return Err(ServiceError::invalid(
            "status",
            format!("must be draft, champion or challenger (got '{status}')"),
        ));
    }
    let share = check_share(status, share)?;
    let now = timestamp(app.now());
    let row = ModelRow {
        id: 0,
        name: model.name.clone(),
        version: 0,
        status: status.to_owned(),
        challenger_share: share.to_string(),
        model_json: model_json.to_owned(),
        mapping_json: serde_json::to_string(mapping).unwrap_or_default(),
        fingerprint: model.fingerprint.clone(),
        test_auc: format!("{:.4}", model.metrics.test_auc),
        created_by: actor.username.clone(),
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let mut tx = app.db().begin().await?;
    let (id, version) = score_models::insert_next_version(&mut tx, &row).await?;
    let retired = retire_holder(&mut tx, &row.name, status, id, &now).await?;
    record(&mut tx, actor, "model.deploy", "score_model", &id.to_string(), None,
        Some(serde_json::json!({"name": row.name, "version": version, "status": status, "challenger_share": row.challenger_share, "retired": retired, "fingerprint": row.fingerprint}))).await?;
    tx.commit().await?;
    view(&ModelRow { id, version, ..row })
}

/// Changes the status of model `id` (and the challenger share).
///
/// # Errors
/// Forbidden without `model:manage`; not found; a bad status or share.
pub async fn set_status(
    app: &App,
    actor: &Actor,
    id: i64,
    status: &str,
    share: Option<&str>,
) -> Result<ModelView, ServiceError> {
    actor.require(Permission::ModelManage)?;
    if !STATUSES.contains(&status) {
        return Err(ServiceError::invalid(
            "status",
            format!("must be one of {} (got '{status}')", STATUSES.join(", ")),
        ));
    }
    let share = check_share(status, share)?;
    let now = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let before = score_models::get(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("model {id}")))?;
    let retired = retire_holder(&mut tx, &before.name, status, id, &now).await?;
    score_models::set_status(&mut tx, id, status, &share.to_string(), &now).await?;
    record(&mut tx, actor, "model.set_status", "score_model", &id.to_string(),
        Some(serde_json::json!({"status": before.status, "challenger_share": before.challenger_share})),
        Some(serde_json::json!({"status": status, "challenger_share": share.to_string(), "retired": retired}))).await?;
    tx.commit().await?;
    let row = score_models::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("model {id}")))?;
    view(&row)
}

/// Every registered version.
///
/// # Errors
/// Forbidden without `model:read`.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ModelView>, ServiceError> {
    actor.require(Permission::ModelRead)?;
    score_models::list(app.db())
        .await?
        .iter()
        .map(view)
        .collect()
}

/// Model `id` with its full artifact.
///
/// # Errors
/// Forbidden without `model:read`; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<(ModelView, Model), ServiceError> {
    actor.require(Permission::ModelRead)?;
    let row = score_models::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("model {id}")))?;
    let model = Model::from_json(&row.model_json).map_err(ServiceError::Conflict)?;
    Ok((view(&row)?, model))
}

/// Score-distribution monitoring of model `id`: PSI of live scores against training, by
/// month of the business date.
///
/// # Errors
/// Forbidden without `model:read`; not found; a model without training deciles.
pub async fn monitor(app: &App, actor: &Actor, id: i64) -> Result<Vec<MonthDrift>, ServiceError> {
    let (_, model) = get(app, actor, id).await?;
    let scores = score_models::scores(app.db(), id).await?;
    drift_by_month(&model.metrics.score_deciles, &scores).ok_or_else(|| {
        ServiceError::Conflict(format!(
            "model {id} has no training score deciles to compare with"
        ))
    })
}

#[cfg(test)]
mod tests;
