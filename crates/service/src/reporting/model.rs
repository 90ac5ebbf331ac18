//! Model performance (模型表现): the loans made from the applications a scorecard scored,
//! by score band — how many went bad (ever 30+ days past due, at a month end or now) among
//! those three whole months on book — and the PSI of its recent scores against training.
//!
//! Decisions: the bands are the model's training score deciles when it keeps them, else
//! fixed bands of 50 points; an application scored more than once counts with its last
//! score; "recent" is the calendar month of the model's newest score and the two before
//! it, so the PSI does not depend on the wall clock.

use chrono::{Datelike, NaiveDate};
use loanbook_core::date::add_months;
use loanbook_core::reporting::model::{ScoredLoan, fixed_width_floors, performance};
use loanbook_risk::scorecard::metrics::{decile_floors, psi_of_scores};
use loanbook_risk::scorecard::model::Model;
use loanbook_store::score_models::{self, ModelRow};
use serde::Serialize;

use crate::{Actor, App, Permission, ServiceError};

/// Calendar months of scores the PSI compares with training.
pub const PSI_MONTHS: u32 = 3;

/// One score band.
#[derive(Clone, Debug, Serialize)]
pub struct ScoreBandView {
    /// Lowest score of the band; none for the first.
    pub min_score: Option<i64>,
    /// Highest score of the band; none for the last.
    pub max_score: Option<i64>,
    /// Seasoned loans scored in the band.
    pub loans: i64,
    /// Of them, ever 30+ days past due.
    pub bad: i64,
    /// Bad ÷ loans.
    pub bad_rate: String,
}

/// How the loans a model scored turned out.
#[derive(Clone, Debug, Serialize)]
pub struct ModelPerformanceView {
    /// Registry id of the model.
    pub model_id: i64,
    /// Model name.
    pub name: String,
    /// Version in the registry.
    pub version: i64,
    /// draft, champion, challenger or retired.
    pub status: String,
    /// The last closed business date: seasoning and DPD are as of it.
    pub as_of: NaiveDate,
    /// `training_deciles` or `fixed_width` (50 points).
    pub banding: &'static str,
    /// The bands, lowest scores first.
    pub bands: Vec<ScoreBandView>,
    /// Seasoned loans (three whole months on book).
    pub loans: i64,
    /// Of them, bad.
    pub bad: i64,
    /// Bad ÷ loans.
    pub bad_rate: String,
    /// Loans left out for being on book less than three months.
    pub too_recent: i64,
    /// First day of the recent scores' window.
    pub recent_from: Option<NaiveDate>,
    /// Day of the newest score.
    pub recent_to: Option<NaiveDate>,
    /// Scores in the window.
    pub recent_scores: usize,
    /// PSI of the recent scores against the training deciles (< 0.1 stable, > 0.25 a
    /// shift); none without deciles or recent scores.
    pub psi: Option<String>,
}

/// Model `id`, or the champion (the newest if several names have one), or else the
/// newest registered version.
async fn chosen(app: &App, id: Option<i64>) -> Result<ModelRow, ServiceError> {
    if let Some(id) = id {
        return score_models::get(app.db().pool(), id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("model {id}")));
    }
    let all = score_models::list(app.db()).await?;
    let champion = all
        .iter()
        .filter(|m| m.status == "champion")
        .max_by_key(|m| m.id);
    champion
        .or_else(|| all.iter().max_by_key(|m| m.id))
        .cloned()
        .ok_or_else(|| ServiceError::NotFound("a registered score model".into()))
}

/// The scores of the [`PSI_MONTHS`] calendar months up to the model's newest score:
/// (first day, newest day, scores).
async fn recent(
    app: &App,
    id: i64,
) -> Result<Option<(NaiveDate, NaiveDate, Vec<i64>)>, ServiceError> {
    let newest = score_models::newest_score_date(app.db(), id).await?;
    let Some(newest) = newest.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()) else {
        return Ok(None);
    };
    let from = newest
        .with_day(1)
        .and_then(|first| add_months(first, 1 - PSI_MONTHS as i32))
        .unwrap_or(newest);
    let scores = score_models::scores_since(app.db(), id, &from.to_string()).await?;
    Ok(Some((from, newest, scores)))
}

/// The performance of model `model_id` (default: the champion, else the newest version)
/// at the last closed business date.
///
/// # Errors
/// Forbidden without `loan:read`; not found when the model (or any model) is not
/// registered; a conflict when its stored file is not a model.
pub async fn model_performance(
    app: &App,
    actor: &Actor,
    model_id: Option<i64>,
) -> Result<ModelPerformanceView, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let row = chosen(app, model_id).await?;
    let model = Model::from_json(&row.model_json).map_err(ServiceError::Conflict)?;
    let open = app.business_date().await?;
    let as_of = open.pred_opt().unwrap_or(open);
    let loans: Vec<ScoredLoan> = loanbook_store::reporting::scored_loans(app.db(), row.id)
        .await?
        .into_iter()
        .filter_map(|l| {
            Some(ScoredLoan {
                score: l.score,
                start_date: NaiveDate::parse_from_str(&l.start_date, "%Y-%m-%d").ok()?,
                worst_month_end_dpd: l.worst_month_end_dpd,
                dpd_now: l.dpd_now.unwrap_or(0),
            })
        })
        .collect();
    let cuts = &model.metrics.score_deciles;
    let (banding, floors) = match decile_floors(cuts) {
        Some(floors) => ("training_deciles", floors),
        None => {
            let seasoned: Vec<i64> = loans
                .iter()
                .filter(|l| l.is_seasoned(as_of))
                .map(|l| l.score)
                .collect();
            ("fixed_width", fixed_width_floors(&seasoned))
        }
    };
    let p = performance(&floors, &loans, as_of);
    let recent = recent(app, row.id).await?;
    let psi = recent
        .as_ref()
        .and_then(|(_, _, scores)| psi_of_scores(cuts, scores));
    Ok(ModelPerformanceView {
        model_id: row.id,
        name: row.name,
        version: row.version,
        status: row.status,
        as_of,
        banding,
        bands: p
            .bands
            .into_iter()
            .map(|b| ScoreBandView {
                min_score: b.min_score,
                max_score: b.max_score,
                loans: b.loans,
                bad: b.bad,
                bad_rate: b.bad_rate.to_string(),
            })
            .collect(),
        loans: p.loans,
        bad: p.bad,
        bad_rate: p.bad_rate.to_string(),
        too_recent: p.too_recent,
        recent_from: recent.as_ref().map(|r| r.0),
        recent_to: recent.as_ref().map(|r| r.1),
        recent_scores: recent.as_ref().map_or(0, |r| r.2.len()),
        psi: psi.map(|p| p.to_string()),
    })
}
