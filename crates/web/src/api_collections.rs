//! `/api/v1` for collections (催收) and borrower notifications: the case queues and their
//! work (actions, promises, visits, legal, agencies), settlements (four-eyes, posted
//! through the ledger), collateral disposal, the strategy and collectors, the outbox,
//! contact preferences and message templates.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post, put};
use loanbook_core::post_loan::collections::Strategy;
use loanbook_core::post_loan::templates::Template;
use loanbook_service::collections::cases::{
    self, ActionInput, CaseQuery, CollectorInput, PromiseInput,
};
use loanbook_service::collections::recovery::{
    self, DisposalInput, LegalInput, LegalUpdate, PlacementInput, SaleInput, VisitInput,
    VisitResult,
};
use loanbook_service::collections::settlements::{self, SettlementInput};
use loanbook_service::notifications::{self, MessageQuery, PreferencesInput};
use loanbook_service::{Permission, loans};
use serde::Deserialize;
use utoipa::OpenApi;

use crate::AppState;
use crate::api::{ApiResult, created, ok};
use crate::extract::{Authenticated, JsonBody};

/// `POST /api/v1/collections/cases/{id}/assign`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignRequest {
    collector: String,
}

/// A note of a decision.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteRequest {
    #[serde(default)]
    note: String,
}

/// The payment of a settlement.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayRequest {
    #[serde(default)]
    reference: String,
}

#[utoipa::path(get, path = "/api/v1/collections/cases", tag = "collections",
    params(("status" = Option<String>, Query, description = "open (default), closed or all"),
           ("queue" = Option<String>, Query, description = "M1, M2, M3 or M4+"),
           ("assigned_to" = Option<String>, Query, description = "a collector, or me"),
           ("loan_id" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    security(("bearer" = [])),
    responses((status = 200, description = "cases, most days past due first; a collector sees their own (the work queue)"),
              (status = 422, description = "status, queue or limit refused")))]
async fn list_cases(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<CaseQuery>,
) -> ApiResult {
    ok(cases::list(&s.app, &actor, &q).await?)
}

#[utoipa::path(get, path = "/api/v1/collections/cases/{id}", tag = "collections",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the case with its action log, promises, visits, legal cases, placements and settlements"),
              (status = 403, description = "another collector's case"), (status = 404, description = "no such case")))]
async fn get_case(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(cases::get(&s.app, &actor, id).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/cases/{id}/assign", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{collector}"), security(("bearer" = [])),
    responses((status = 200, description = "the case"), (status = 422, description = "collector not an active collector")))]
async fn assign_case(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<AssignRequest>,
) -> ApiResult {
    ok(cases::assign(&s.app, &actor, id, b.collector.trim()).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/cases/{id}/actions", tag = "collections",
    params(("id" = i64, Path)),
    request_body(content = Object, description = "{kind: call|sms|letter|email|visit|note, party: borrower|guarantor|relative|employer|third_party, outcome, note}"),
    security(("bearer" = [])),
    responses((status = 201, description = "the logged action"),
              (status = 422, description = "kind, party or outcome refused; a contact rule broken: `at` (quiet hours, attempts per day) or `party` (no disclosure to third parties)")))]
async fn log_action(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<ActionInput>,
) -> ApiResult {
    created(cases::log_action(&s.app, &actor, id, &b, chrono::Utc::now()).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/cases/{id}/promises", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{amount: \"500.00\", promised_date: \"YYYY-MM-DD\"}"),
    security(("bearer" = [])),
    responses((status = 201, description = "the promise (open; the close judges it kept or broken)"),
              (status = 422, description = "amount or promised_date refused")))]
async fn promise(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<PromiseInput>,
) -> ApiResult {
    created(cases::promise(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/cases/{id}/visits", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{scheduled_on, assigned_to?, note?}"),
    security(("bearer" = [])), responses((status = 201, description = "the visit, scheduled")))]
async fn schedule_visit(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<VisitInput>,
) -> ApiResult {
    created(recovery::schedule_visit(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/visits/{id}/result", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{outcome: visited|not_found|moved|refused, note}"),
    security(("bearer" = [])), responses((status = 200, description = "the visit, done")))]
async fn record_visit(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<VisitResult>,
) -> ApiResult {
    ok(recovery::record_visit(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/cases/{id}/legal", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{court, docket?, filed_on, costs?, note?}"),
    security(("bearer" = [])), responses((status = 201, description = "the legal case, filed")))]
async fn file_legal(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<LegalInput>,
) -> ApiResult {
    created(recovery::file_legal(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/legal/{id}", tag = "collections",
    params(("id" = i64, Path)),
    request_body(content = Object, description = "{status: judgment|enforcement|closed, judgment_on?, judgment_amount?, enforcement_on?, costs?, note?}"),
    security(("bearer" = [])), responses((status = 200, description = "the legal case"), (status = 409, description = "a step back")))]
async fn update_legal(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<LegalUpdate>,
) -> ApiResult {
    ok(recovery::update_legal(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/cases/{id}/agency", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{agency, commission_rate: \"0.15\"}"),
    security(("bearer" = [])), responses((status = 201, description = "the placement"), (status = 409, description = "already placed")))]
async fn place(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<PlacementInput>,
) -> ApiResult {
    created(recovery::place(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/agency/{id}/recall", tag = "collections",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the placement with what it recovered and its commission")))]
async fn recall(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(recovery::recall(&s.app, &actor, id).await?)
}

#[utoipa::path(post, path = "/api/v1/collections/cases/{id}/settlements", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{amount, pay_by, reason}"),
    security(("bearer" = [])),
    responses((status = 201, description = "the offer, requested"), (status = 422, description = "amount (not below owed, discount over 50%), pay_by or reason refused")))]
async fn request_settlement(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<SettlementInput>,
) -> ApiResult {
    created(settlements::request(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(post, path = "/api/v1/settlements/{id}/approve", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{note?}"), security(("bearer" = [])),
    responses((status = 200, description = "approved; the borrower is told the offer"), (status = 403, description = "four_eyes: one's own request")))]
async fn approve_settlement(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<NoteRequest>,
) -> ApiResult {
    let note = Some(b.note.as_str()).filter(|n| !n.trim().is_empty());
    ok(settlements::approve(&s.app, &actor, id, note).await?)
}

#[utoipa::path(post, path = "/api/v1/settlements/{id}/reject", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{note}"), security(("bearer" = [])),
    responses((status = 200, description = "rejected")))]
async fn reject_settlement(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<NoteRequest>,
) -> ApiResult {
    ok(settlements::reject(&s.app, &actor, id, &b.note).await?)
}

#[utoipa::path(post, path = "/api/v1/settlements/{id}/pay", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{reference?}"), security(("bearer" = [])),
    responses((status = 200, description = "settled: the payment and the discount posted, the loan and its case closed"),
              (status = 409, description = "not approved, or past its pay-by date")))]
async fn pay_settlement(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<PayRequest>,
) -> ApiResult {
    ok(settlements::pay(&s.app, &actor, id, &b.reference).await?)
}

#[utoipa::path(post, path = "/api/v1/loans/{id}/collateral-disposals", tag = "collections",
    params(("id" = String, Path, description = "the loan's id, or its external id")),
    request_body(content = Object, description = "{collateral_id, valuation, note?}"), security(("bearer" = [])),
    responses((status = 201, description = "the disposal, valued")))]
async fn start_disposal(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<DisposalInput>,
) -> ApiResult {
    actor.require(Permission::CollectionManage)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    created(recovery::start_disposal(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(post, path = "/api/v1/collateral-disposals/{id}/sale", tag = "collections",
    params(("id" = i64, Path)), request_body(content = Object, description = "{sale_amount, costs?}"), security(("bearer" = [])),
    responses((status = 200, description = "sold; the net proceeds applied to the loan as a repayment")))]
async fn record_sale(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<SaleInput>,
) -> ApiResult {
    ok(recovery::record_sale(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(get, path = "/api/v1/collections/strategy", tag = "collections", security(("bearer" = [])),
    responses((status = 200, description = "steps (from_dpd → stage) and the assignment method")))]
async fn get_strategy(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(cases::strategy(&s.app, &actor).await?)
}

#[utoipa::path(put, path = "/api/v1/collections/strategy", tag = "collections",
    request_body(content = Object, description = "{steps: [{from_dpd, stage}], assignment: workload|round_robin|region}"),
    security(("bearer" = [])), responses((status = 200, description = "saved"), (status = 422, description = "steps refused")))]
async fn put_strategy(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<Strategy>,
) -> ApiResult {
    ok(cases::set_strategy(&s.app, &actor, &b).await?)
}

#[utoipa::path(get, path = "/api/v1/collections/collectors", tag = "collections", security(("bearer" = [])),
    responses((status = 200, description = "collectors with their queues and open cases")))]
async fn list_collectors(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(cases::collectors(&s.app, &actor).await?)
}

#[utoipa::path(put, path = "/api/v1/collections/collectors", tag = "collections",
    request_body(content = Object, description = "{username, queues: [M1…], region?, active?, max_open_cases?}"),
    security(("bearer" = [])), responses((status = 200, description = "the collector")))]
async fn put_collector(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<CollectorInput>,
) -> ApiResult {
    ok(cases::put_collector(&s.app, &actor, &b).await?)
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "notifications",
    params(("customer_id" = Option<i64>, Query), ("loan_id" = Option<i64>, Query), ("status" = Option<String>, Query),
           ("channel" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    security(("bearer" = [])), responses((status = 200, description = "messages with their delivery state, newest first")))]
async fn outbox(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<MessageQuery>,
) -> ApiResult {
    ok(notifications::messages(&s.app, &actor, &q).await?)
}

#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "notifications",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the message, pending again"), (status = 409, description = "not failed")))]
async fn retry_message(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(notifications::retry(&s.app, &actor, id).await?)
}

#[utoipa::path(post, path = "/api/v1/outbox/dispatch", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "sent, deferred, retried and failed counts")))]
async fn dispatch(State(s): State<AppState>, Authenticated(actor, _): Authenticated) -> ApiResult {
    ok(notifications::dispatch_now(&s.app, &actor).await?)
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/contact-preferences", tag = "notifications",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "language, time zone, channels, e-mail masked")))]
async fn get_preferences(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(notifications::preferences(&s.app, &actor, id).await?)
}

#[utoipa::path(put, path = "/api/v1/customers/{id}/contact-preferences", tag = "notifications",
    params(("id" = i64, Path)),
    request_body(content = Object, description = "{email?, language?: zh|en, time_zone?: IANA, sms?, email_enabled?, in_app?}"),
    security(("bearer" = [])),
    responses((status = 200, description = "saved"), (status = 422, description = "email, language or time_zone refused")))]
async fn put_preferences(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<PreferencesInput>,
) -> ApiResult {
    ok(notifications::set_preferences(&s.app, &actor, id, &b).await?)
}

#[utoipa::path(put, path = "/api/v1/message-templates/{kind}/{language}", tag = "notifications",
    params(("kind" = String, Path, description = "due_soon, due_today, overdue, broken_promise or settlement_offer"),
           ("language" = String, Path, description = "zh or en")),
    request_body(content = Object, description = "{subject, body} with {field} placeholders"),
    security(("bearer" = [])),
    responses((status = 200, description = "saved"), (status = 422, description = "an unknown field or an unbalanced brace")))]
async fn put_template(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path((kind, language)): Path<(String, String)>,
    JsonBody(b): JsonBody<Template>,
) -> ApiResult {
    ok(notifications::put_template(&s.app, &actor, &kind, &language, &b).await?)
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/collections/cases", get(list_cases))
        .route("/api/v1/collections/cases/{id}", get(get_case))
        .route("/api/v1/collections/cases/{id}/assign", post(assign_case))
        .route("/api/v1/collections/cases/{id}/actions", post(log_action))
        .route("/api/v1/collections/cases/{id}/promises", post(promise))
        .route(
            "/api/v1/collections/cases/{id}/visits",
            post(schedule_visit),
        )
        .route("/api/v1/collections/visits/{id}/result", post(record_visit))
        .route("/api/v1/collections/cases/{id}/legal", post(file_legal))
        .route("/api/v1/collections/legal/{id}", post(update_legal))
        .route("/api/v1/collections/cases/{id}/agency", post(place))
        .route("/api/v1/collections/agency/{id}/recall", post(recall))
        .route(
            "/api/v1/collections/cases/{id}/settlements",
            post(request_settlement),
        )
        .route("/api/v1/settlements/{id}/approve", post(approve_settlement))
        .route("/api/v1/settlements/{id}/reject", post(reject_settlement))
        .route("/api/v1/settlements/{id}/pay", post(pay_settlement))
        .route(
            "/api/v1/loans/{id}/collateral-disposals",
            post(start_disposal),
        )
        .route("/api/v1/collateral-disposals/{id}/sale", post(record_sale))
        .route(
            "/api/v1/collections/strategy",
            get(get_strategy).put(put_strategy),
        )
        .route(
            "/api/v1/collections/collectors",
            get(list_collectors).put(put_collector),
        )
        .route("/api/v1/outbox", get(outbox))
        .route("/api/v1/outbox/dispatch", post(dispatch))
        .route("/api/v1/outbox/{id}/retry", post(retry_message))
        .route(
            "/api/v1/customers/{id}/contact-preferences",
            get(get_preferences).put(put_preferences),
        )
        .route(
            "/api/v1/message-templates/{kind}/{language}",
            put(put_template),
        )
}

/// The OpenAPI document of these routes (merged into the whole).
#[derive(OpenApi)]
#[openapi(
    paths(list_cases, get_case, assign_case, log_action, promise, schedule_visit, record_visit,
          file_legal, update_legal, place, recall, request_settlement, approve_settlement,
          reject_settlement, pay_settlement, start_disposal, record_sale, get_strategy, put_strategy,
          list_collectors, put_collector, outbox, retry_message, dispatch, get_preferences,
          put_preferences, put_template),
    tags((name = "collections"), (name = "notifications"))
)]
pub struct CollectionsDoc;
