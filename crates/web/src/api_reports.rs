//! `/api/v1/reports`: portfolio quality (PAR, NPL ratio, five-tier distribution,
//! provision coverage) from the close's snapshot, the cash-flow projection from the open
//! schedules, roll rates and vintage curves from the month ends the close keeps; collection,
//! approval, officer and model performance; funding-source liquidity.

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::NaiveDate;
use loanbook_service::{ServiceError, reporting};
use serde::Deserialize;
use utoipa::OpenApi;

use crate::AppState;
use crate::api::{ApiResult, ok};
use crate::extract::Authenticated;

#[derive(Deserialize)]
struct PortfolioQuery {
    date: Option<String>,
    product: Option<String>,
}

#[derive(Deserialize)]
struct CashFlowQuery {
    months: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/reports/portfolio", tag = "reports",
    params(("date" = Option<String>, Query, description = "a closed business date (default: the last)"),
           ("product" = Option<String>, Query, description = "a product code (default: all)")),
    security(("bearer" = [])),
    responses((status = 200, description = "loans, principal, PAR1/30/90, NPL principal and ratio, provisions and coverage, the five-tier distribution"),
              (status = 404, description = "no snapshot of that date"), (status = 422, description = "date refused")))]
async fn portfolio(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<PortfolioQuery>,
) -> ApiResult {
    let date = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(text) => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ServiceError::invalid("date", format!("'{text}' is not a date (YYYY-MM-DD)"))
        })?),
    };
    ok(reporting::portfolio(&s.app, &actor, date, q.product.as_deref()).await?)
}

#[utoipa::path(get, path = "/api/v1/reports/cash-flow", tag = "reports",
    params(("months" = Option<u32>, Query, description = "months from the business date's (default 12, at most 120)")),
    security(("bearer" = [])),
    responses((status = 200, description = "principal, interest and installments expected per month; arrears in the first"),
              (status = 422, description = "months refused")))]
async fn cash_flow(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<CashFlowQuery>,
) -> ApiResult {
    ok(reporting::cash_flow(&s.app, &actor, q.months.unwrap_or(12)).await?)
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/roll-rates", tag = "reports",
    params(("month" = String, Query, description = "YYYY-MM: from the end of the month before to the end of this one")),
    security(("bearer" = [])),
    responses((status = 200, description = "one row per bucket at the start: principal, the shares ending in current, M1, M2, M3, M4+, and closed"),
              (status = 404, description = "a month end not kept"), (status = 422, description = "month refused")))]
async fn roll_rates(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<MonthQuery>,
) -> ApiResult {
    ok(reporting::roll_rates(&s.app, &actor, q.month.as_deref().unwrap_or("")).await?)
}

#[utoipa::path(get, path = "/api/v1/reports/vintages", tag = "reports", security(("bearer" = [])),
    responses((status = 200, description = "per disbursement month: loans, amount, the share ever 30+ DPD by month on book")))]
async fn vintages(State(s): State<AppState>, Authenticated(actor, _): Authenticated) -> ApiResult {
    ok(reporting::vintages(&s.app, &actor).await?)
}

#[derive(Deserialize)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

fn date(field: &str, text: Option<&str>) -> Result<NaiveDate, ServiceError> {
    let text = text.unwrap_or("").trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ServiceError::invalid(field, format!("'{text}' is not a date (YYYY-MM-DD)")))
}

#[utoipa::path(get, path = "/api/v1/reports/collections", tag = "reports",
    params(("from" = String, Query, description = "first business date"), ("to" = String, Query, description = "last business date")),
    security(("bearer" = [])),
    responses((status = 200, description = "call attempts, contacts and contact rate, promises kept and broken and the kept rate, recovery by queue"),
              (status = 422, description = "from or to refused")))]
async fn collections(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let (from, to) = (
        date("from", q.from.as_deref())?,
        date("to", q.to.as_deref())?,
    );
    ok(reporting::collection_performance(&s.app, &actor, from, to).await?)
}

#[utoipa::path(get, path = "/api/v1/reports/approvals", tag = "reports",
    params(("from" = String, Query, description = "first creation date"), ("to" = String, Query, description = "last creation date")),
    security(("bearer" = [])),
    responses((status = 200, description = "created, submitted, approved, declined, contracted, disbursed; approval rate; minutes from submission to decision (p50, p90)"),
              (status = 422, description = "from or to refused")))]
async fn approvals(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let (from, to) = (
        date("from", q.from.as_deref())?,
        date("to", q.to.as_deref())?,
    );
    ok(reporting::approval_funnel(&s.app, &actor, from, to).await?)
}

#[utoipa::path(get, path = "/api/v1/reports/officers", tag = "reports",
    params(("from" = String, Query, description = "first business date"), ("to" = String, Query, description = "last business date")),
    security(("bearer" = [])),
    responses((status = 200, description = "per officer (who created the application), largest book first: applications submitted in the period, approved, declined, approval rate; loans disbursed and amount; loans and principal outstanding now, PAR30 and NPL ratio of that book"),
              (status = 422, description = "from or to refused")))]
async fn officers(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let (from, to) = (
        date("from", q.from.as_deref())?,
        date("to", q.to.as_deref())?,
    );
    ok(reporting::officer_performance(&s.app, &actor, from, to).await?)
}

#[derive(Deserialize)]
struct ModelQuery {
    model_id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/models", tag = "reports",
    params(("model_id" = Option<i64>, Query, description = "a registered model (default: the champion, else the newest version)")),
    security(("bearer" = [])),
    responses((status = 200, description = "score bands (training deciles, else 50 points) with the loans three months on book, how many were ever 30+ days past due and the bad rate; the overall bad rate; PSI of the last three months' scores against training"),
              (status = 404, description = "no such model, or none registered"), (status = 422, description = "model_id refused")))]
async fn models(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<ModelQuery>,
) -> ApiResult {
    let id = match q
        .model_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            ServiceError::invalid("model_id", format!("'{text}' is not a model id"))
        })?),
    };
    ok(reporting::model_performance(&s.app, &actor, id).await?)
}

#[utoipa::path(get, path = "/api/v1/reports/liquidity", tag = "reports",
    params(("months" = Option<u32>, Query, description = "months of expected inflows from the business date's (default 12, at most 120)")),
    security(("bearer" = [])),
    responses((status = 200, description = "per funding source: limit, drawn (principal outstanding it funded), available, utilisation, lendable, and the principal and interest its loans' schedules expect back per month"),
              (status = 422, description = "months refused")))]
async fn liquidity(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<CashFlowQuery>,
) -> ApiResult {
    ok(reporting::liquidity(&s.app, &actor, q.months.unwrap_or(12)).await?)
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/portfolio", get(portfolio))
        .route("/api/v1/reports/cash-flow", get(cash_flow))
        .route("/api/v1/reports/roll-rates", get(roll_rates))
        .route("/api/v1/reports/vintages", get(vintages))
        .route("/api/v1/reports/collections", get(collections))
        .route("/api/v1/reports/approvals", get(approvals))
        .route("/api/v1/reports/officers", get(officers))
        .route("/api/v1/reports/models", get(models))
        .route("/api/v1/reports/liquidity", get(liquidity))
}

/// The OpenAPI document of these routes (merged into the whole).
#[derive(OpenApi)]
#[openapi(
    paths(portfolio, cash_flow, roll_rates, vintages, collections, approvals, officers, models, liquidity),
    tags((name = "reports"))
)]
pub struct ReportsDoc;
