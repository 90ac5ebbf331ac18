//! `/api/v1` for early warnings (风险预警): the worklist, acknowledging, assigning, acting
//! and closing; evaluation on demand; collateral revaluation; the industry and region
//! watch list.
//!
//! A warning moves open → acknowledged → actioned → closed. Acting on an open warning, or
//! on a closed one, is a 409; closing without a `resolution` is a 422 naming it. A
//! tranche beyond a limit reduced or frozen by a warning is refused by the disbursement
//! (422 naming `amount` and the warning's rule).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post};
use loanbook_service::warnings::{self, ActionInput, ListInput, RevaluationInput, WatchInput};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::api::{ApiResult, created, ok};
use crate::extract::{Authenticated, JsonBody};

/// The warning worklist (needs `warning:manage`), newest first: `status` (open,
/// acknowledged, actioned, closed, or `active` for all but closed), `severity`, `rule`,
/// `owner`, `unassigned=true`, `customer_id`, `loan_id`; the next page with `before_id`.
#[utoipa::path(get, path = "/api/v1/warnings", tag = "early warnings",
    params(("status" = Option<String>, Query), ("severity" = Option<String>, Query), ("rule" = Option<String>, Query),
           ("owner" = Option<String>, Query), ("unassigned" = Option<bool>, Query), ("customer_id" = Option<i64>, Query),
           ("loan_id" = Option<i64>, Query), ("before_id" = Option<i64>, Query), ("limit" = Option<i64>, Query, description = "1–500, default 50")),
    security(("bearer" = [])),
    responses((status = 200, description = "warnings"), (status = 403, description = "no warning:manage"), (status = 422, description = "a filter refused")))]
async fn list_warnings(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<ListInput>,
) -> ApiResult {
    ok(warnings::list(&s.app, &actor, &q).await?)
}

/// One warning with its history (acknowledged, assigned, actions, closed).
#[utoipa::path(get, path = "/api/v1/warnings/{id}", tag = "early warnings",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the warning and its actions"), (status = 404, description = "no such warning")))]
async fn get_warning(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(warnings::get(&s.app, &actor, id).await?)
}

/// Acknowledge an open warning: it keeps its assigned owner, or becomes the caller's.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/acknowledge", tag = "early warnings",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the warning, acknowledged"), (status = 404, description = "no such warning"), (status = 409, description = "not open")))]
async fn acknowledge(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(warnings::acknowledge(&s.app, &actor, id).await?)
}

/// `POST /api/v1/warnings/{id}/assign`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// A user whose role works warnings (warning:manage).
    #[serde(default)]
    pub owner: String,
}

/// Give a warning that is not closed to an owner.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/assign", tag = "early warnings", request_body = AssignRequest,
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the warning"), (status = 404, description = "no such warning"), (status = 409, description = "closed"), (status = 422, description = "owner refused")))]
async fn assign(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<AssignRequest>,
) -> ApiResult {
    ok(warnings::assign(&s.app, &actor, id, &b.owner).await?)
}

/// Act on an acknowledged warning: `action` is `reduce_limit` (`new_limit`: the most the
/// loan may have drawn in all), `freeze_limit`, `request_collateral` / `request_guarantor`
/// (a task: `due_on`, `assigned_to`), `accelerate` (the demand for everything owed, payable
/// by `due_on`) or `hand_to_collections` (a case unless one is open). Loan actions on a
/// warning about the customer as a whole name the `loan_id`. `note` is optional.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/actions", tag = "early warnings", request_body = Object,
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 201, description = "the warning, actioned, with the action last in its history"), (status = 404, description = "no such warning or loan"),
               (status = 409, description = "the warning is open or closed; the loan is not active, fully drawn, frozen or accelerated already"), (status = 422, description = "every field refused")))]
async fn act(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<ActionInput>,
) -> ApiResult {
    created(warnings::act(&s.app, &actor, id, &b).await?)
}

/// `POST /api/v1/warnings/{id}/close`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// How it was resolved (required, at most 500 characters).
    #[serde(default)]
    pub resolution: String,
}

/// Close a warning with its resolution.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/close", tag = "early warnings", request_body = CloseRequest,
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the warning, closed"), (status = 404, description = "no such warning"), (status = 409, description = "closed already"), (status = 422, description = "resolution missing or too long")))]
async fn close(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<CloseRequest>,
) -> ApiResult {
    ok(warnings::close(&s.app, &actor, id, &b.resolution).await?)
}

/// `POST /api/v1/warnings/evaluate`
#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// One customer; without it, the whole book (the monthly run).
    pub customer_id: Option<i64>,
}

/// Evaluate the loan-to-value (`collateral_ltv`) and watch-list rules now, for one
/// customer or the whole book.
#[utoipa::path(post, path = "/api/v1/warnings/evaluate", tag = "early warnings", request_body = EvaluateRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "customers_checked, collateral_ltv_raised, watch_list_raised (and ltv for one customer)"), (status = 404, description = "no such customer")))]
async fn evaluate(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<EvaluateRequest>,
) -> ApiResult {
    ok(warnings::evaluate(&s.app, &actor, b.customer_id).await?)
}

/// Revalue a collateral (`valuation`, `valued_on`; needs `customer:write`); the customer's
/// loan-to-value is evaluated at once.
#[utoipa::path(post, path = "/api/v1/collateral/{id}/revaluation", tag = "early warnings", request_body = Object,
    params(("id" = i64, Path, description = "the collateral")), security(("bearer" = [])),
    responses((status = 200, description = "the valuation before and now, and the customer's ltv with the warning raised"), (status = 404, description = "no such collateral"), (status = 422, description = "valuation or valued_on refused")))]
async fn revalue(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<RevaluationInput>,
) -> ApiResult {
    ok(warnings::revalue_collateral(&s.app, &actor, id, &b).await?)
}

#[derive(Deserialize)]
struct WatchQuery {
    #[serde(default)]
    removed: bool,
}

/// The industry and region watch list (needs `warning:manage`); `removed=true` shows the
/// removed entries too.
#[utoipa::path(get, path = "/api/v1/risk-watch-list", tag = "early warnings",
    params(("removed" = Option<bool>, Query)), security(("bearer" = [])),
    responses((status = 200, description = "entries")))]
async fn list_watch(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<WatchQuery>,
) -> ApiResult {
    ok(warnings::watch_list(&s.app, &actor, q.removed).await?)
}

/// Put an industry or region on the watch list (`kind` industry | region, `value`,
/// `reason`; needs `policy:manage`): every customer with an active loan there gets a
/// `watch_list` warning.
#[utoipa::path(post, path = "/api/v1/risk-watch-list", tag = "early warnings", request_body = Object,
    security(("bearer" = [])),
    responses((status = 201, description = "the entry and warnings_raised"), (status = 409, description = "on the list already"), (status = 422, description = "kind, value or reason refused")))]
async fn add_watch(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<WatchInput>,
) -> ApiResult {
    created(warnings::add_watch(&s.app, &actor, &b).await?)
}

/// Take an entry off the watch list (kept as removed; its warnings stay until closed).
#[utoipa::path(delete, path = "/api/v1/risk-watch-list/{id}", tag = "early warnings",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the entry, removed"), (status = 404, description = "no such entry"), (status = 409, description = "removed already")))]
async fn remove_watch(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(warnings::remove_watch(&s.app, &actor, id).await?)
}

/// The OpenAPI document of these routes (merged into the whole).
#[derive(OpenApi)]
#[openapi(
    paths(list_warnings, get_warning, acknowledge, assign, act, close, evaluate, revalue, list_watch, add_watch, remove_watch),
    components(schemas(AssignRequest, CloseRequest, EvaluateRequest)),
    tags((name = "early warnings"))
)]
pub struct WarningsDoc;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/warnings", get(list_warnings))
        .route("/api/v1/warnings/evaluate", post(evaluate))
        .route("/api/v1/warnings/{id}", get(get_warning))
        .route("/api/v1/warnings/{id}/acknowledge", post(acknowledge))
        .route("/api/v1/warnings/{id}/assign", post(assign))
        .route("/api/v1/warnings/{id}/actions", post(act))
        .route("/api/v1/warnings/{id}/close", post(close))
        .route("/api/v1/collateral/{id}/revaluation", post(revalue))
        .route("/api/v1/risk-watch-list", get(list_watch).post(add_watch))
        .route("/api/v1/risk-watch-list/{id}", delete(remove_watch))
}
