//! `/api/v1` for origination after the pre-screen: decisions on the approval chain,
//! counter-offers, contracts and signatures, disbursement, payment confirmations, loans,
//! credit policies, authority rules and watch-list versions.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use loanbook_service::origination::approval::{self, DecisionInput};
use loanbook_service::origination::contract::{self, SignInput};
use loanbook_service::origination::disbursement::{self, DisburseInput};
use loanbook_service::{aml, applications, loans, policies};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::api::{ApiResult, created, ok};
use crate::extract::{Authenticated, ClientIp, JsonBody, TextBody};

/// `POST /api/v1/applications/{id}/decisions`
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DecisionRequest {
    /// approve, decline, return or counter_offer.
    pub decision: String,
    /// Why (required except for approve).
    pub comment: Option<String>,
    /// Counter-offer: amount, e.g. "80000.00".
    pub amount: Option<String>,
    /// Counter-offer: term in months.
    pub term_months: Option<u32>,
    /// Counter-offer: annual rate, e.g. "0.12".
    pub rate: Option<String>,
}

/// Decide the current approval step (needs `application:decide` and the step's role).
/// A committee member votes approve or decline; the step is decided k of n. 403 names
/// `four_eyes` or `step_role` when the rule refuses the caller.
#[utoipa::path(post, path = "/api/v1/applications/{id}/decisions", tag = "origination", request_body = DecisionRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the application"), (status = 403, description = "permission, step role or four-eyes"), (status = 409, description = "not in review"), (status = 422, description = "invalid decision or counter-offer")))]
async fn decide(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<DecisionInput>,
) -> ApiResult {
    approval::decide(&s.app, &actor, id, &b).await?;
    ok(applications::get(&s.app, &actor, id).await?)
}

/// The applicant accepts the open counter-offer (recorded by the loan officer).
#[utoipa::path(post, path = "/api/v1/applications/{id}/counter-offer/accept", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the application"), (status = 409, description = "no open counter-offer")))]
async fn accept_offer(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    approval::answer_counter_offer(&s.app, &actor, id, true).await?;
    ok(applications::get(&s.app, &actor, id).await?)
}

/// The applicant rejects the open counter-offer: the application is declined.
#[utoipa::path(post, path = "/api/v1/applications/{id}/counter-offer/reject", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the application"), (status = 409, description = "no open counter-offer")))]
async fn reject_offer(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    approval::answer_counter_offer(&s.app, &actor, id, false).await?;
    ok(applications::get(&s.app, &actor, id).await?)
}

#[derive(Deserialize)]
struct QueueQuery {
    kind: Option<String>,
    #[serde(default)]
    overdue: bool,
}

/// Pending approval steps, oldest first, with their SLA clocks: `kind` (loan_officer,
/// branch_manager, committee), `overdue=true` for the breached only.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "origination", params(("kind" = Option<String>, Query), ("overdue" = Option<bool>, Query)), security(("bearer" = [])),
    responses((status = 200, description = "pending steps")))]
async fn approval_queue(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<QueueQuery>,
) -> ApiResult {
    ok(approval::queue(&s.app, &actor, q.kind.as_deref(), q.overdue).await?)
}

/// Generate the contract of an approved application (a new version supersedes an
/// unsigned one; needs `contract:manage`).
#[utoipa::path(post, path = "/api/v1/applications/{id}/contract", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 201, description = "the contract"), (status = 409, description = "not approved, or already signed")))]
async fn generate_contract(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    created(contract::generate_contract(&s.app, &actor, id).await?)
}

/// A contract with its terms and signatures.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the contract"), (status = 404, description = "no such contract")))]
async fn get_contract(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(contract::get(&s.app, &actor, id).await?)
}

/// The printable contract document (HTML).
#[utoipa::path(get, path = "/api/v1/contracts/{id}/document", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "text/html"), (status = 404, description = "no such contract")))]
async fn contract_document(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    let html = contract::document(&s.app, &actor, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        html,
    )
        .into_response())
}

/// `POST /api/v1/contracts/{id}/sign`
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct SignRequest {
    /// borrower or lender.
    pub party: String,
    /// Who signs (the borrower signs in the name on the customer record).
    pub signer: String,
    /// SHA-256 of the document the signer saw.
    pub document_sha256: String,
}

/// Record an e-signature (signer, time, IP, document hash). With both parties signed
/// the terms are frozen and the application is `contracted`.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/sign", tag = "origination", request_body = SignRequest, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the contract"), (status = 409, description = "not a draft, or the party signed"), (status = 422, description = "signer or hash does not match")))]
async fn sign_contract(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<SignInput>,
) -> ApiResult {
    ok(contract::sign(&s.app, &actor, id, &b, &ip).await?)
}

/// `POST /api/v1/contracts/{id}/disburse`
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DisburseRequest {
    /// The funding source to pay from.
    pub funding_source: String,
    /// The tranche (default: all not yet drawn).
    pub amount: Option<String>,
}

/// Release a tranche of a signed contract (needs `disbursement:release`; four-eyes).
/// Send `Idempotency-Key`: a retry returns the first answer and posts nothing.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/disburse", tag = "origination", request_body = DisburseRequest, params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")), security(("bearer" = [])),
    responses((status = 201, description = "loan_id, status, the tranche and its payment"), (status = 403, description = "permission or four-eyes"), (status = 409, description = "not signed, fully drawn, or a key reused"), (status = 422, description = "amount, funding source or account refused")))]
async fn disburse(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    headers: HeaderMap,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<DisburseInput>,
) -> ApiResult {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    created(disbursement::disburse(&s.app, &actor, id, &b, key).await?)
}

/// Import the bank's confirmations (CSV `order_id,status,bank_reference[,reason]`): every
/// row is checked first; failed payments are reversed.
#[utoipa::path(post, path = "/api/v1/payments/confirmations", tag = "origination", request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 200, description = "confirmed and failed counts"), (status = 422, description = "every bad row")))]
async fn import_confirmations(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    TextBody(body): TextBody,
) -> ApiResult {
    let (confirmed, failed) = disbursement::import_confirmations(&s.app, &actor, &body).await?;
    ok(serde_json::json!({"confirmed": confirmed, "failed": failed}))
}

#[derive(Deserialize)]
struct LoanQuery {
    customer_id: Option<i64>,
    after_id: Option<i64>,
    limit: Option<i64>,
}

/// Loans, by id: `customer_id`, `after_id`, `limit`.
#[utoipa::path(get, path = "/api/v1/loans", tag = "loans", params(("customer_id" = Option<i64>, Query), ("after_id" = Option<i64>, Query), ("limit" = Option<i64>, Query)), security(("bearer" = [])),
    responses((status = 200, description = "loans")))]
async fn list_loans(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<LoanQuery>,
) -> ApiResult {
    ok(loans::list(&s.app, &actor, q.customer_id, q.after_id, q.limit).await?)
}

/// A loan with its running balances: as of the last close and the payments since —
/// overdue and due principal and interest, interest accrued, penalty and compound
/// interest, advance balance, DPD, bucket, five-tier class, provision.
#[utoipa::path(get, path = "/api/v1/loans/{id}", tag = "loans", params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 200, description = "the loan"), (status = 404, description = "no such loan")))]
async fn get_loan(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
) -> ApiResult {
    let id = loans::resolve(&s.app, &actor, &key).await?;
    ok(loans::get(&s.app, &actor, id).await?)
}

/// The schedule of a loan.
#[utoipa::path(get, path = "/api/v1/loans/{id}/schedule", tag = "loans", params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 200, description = "installments"), (status = 404, description = "no such loan")))]
async fn loan_schedule(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
) -> ApiResult {
    let id = loans::resolve(&s.app, &actor, &key).await?;
    ok(loans::schedule(&s.app, &actor, id).await?)
}

/// The transactions of a loan, each with its ledger entry.
#[utoipa::path(get, path = "/api/v1/loans/{id}/transactions", tag = "loans", params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 200, description = "transactions"), (status = 404, description = "no such loan")))]
async fn loan_transactions(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
) -> ApiResult {
    let id = loans::resolve(&s.app, &actor, &key).await?;
    ok(loans::transactions(&s.app, &actor, id).await?)
}

/// Credit-policy versions.
#[utoipa::path(get, path = "/api/v1/policies", tag = "policy", security(("bearer" = [])), responses((status = 200, description = "policies")))]
async fn list_policies(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(policies::policies(&s.app, &actor).await?)
}

/// Import a credit policy (decision tables, JSON): the next version of its name (needs
/// `policy:manage`). See docs/policy.md.
#[utoipa::path(post, path = "/api/v1/policies", tag = "policy", request_body(content = Object, content_type = "application/json"), security(("bearer" = [])),
    responses((status = 201, description = "the version"), (status = 422, description = "the table, rule and field that do not load")))]
async fn import_policy(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    TextBody(body): TextBody,
) -> ApiResult {
    created(policies::import_policy(&s.app, &actor, &body).await?)
}

/// Versions of the approval authority rules, newest first.
#[utoipa::path(get, path = "/api/v1/authority-rules", tag = "policy", security(("bearer" = [])), responses((status = 200, description = "versions")))]
async fn list_rules(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(policies::rule_sets(&s.app, &actor).await?)
}

/// Import the authority rules (a JSON array of rules): a new version (needs `policy:manage`).
#[utoipa::path(post, path = "/api/v1/authority-rules", tag = "policy", request_body(content = Object, content_type = "application/json"), security(("bearer" = [])),
    responses((status = 201, description = "the version"), (status = 422, description = "the rule and field at fault")))]
async fn import_rules(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    TextBody(body): TextBody,
) -> ApiResult {
    created(policies::import_rules(&s.app, &actor, &body).await?)
}

/// Imported watch-list versions, newest first.
#[utoipa::path(get, path = "/api/v1/watch-list", tag = "origination", security(("bearer" = [])), responses((status = 200, description = "versions")))]
async fn watch_list_versions(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(aml::versions(&s.app, &actor).await?)
}

/// The OpenAPI document of these routes (merged into the whole).
#[derive(OpenApi)]
#[openapi(
    paths(decide, accept_offer, reject_offer, approval_queue, generate_contract, get_contract, contract_document, sign_contract,
          disburse, import_confirmations, list_loans, get_loan, loan_schedule, loan_transactions,
          list_policies, import_policy, list_rules, import_rules, watch_list_versions),
    components(schemas(DecisionRequest, SignRequest, DisburseRequest)),
    tags((name = "loans"), (name = "policy"))
)]
pub struct OriginationDoc;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/applications/{id}/decisions", post(decide))
        .route(
            "/api/v1/applications/{id}/counter-offer/accept",
            post(accept_offer),
        )
        .route(
            "/api/v1/applications/{id}/counter-offer/reject",
            post(reject_offer),
        )
        .route("/api/v1/approvals", get(approval_queue))
        .route(
            "/api/v1/applications/{id}/contract",
            post(generate_contract),
        )
        .route("/api/v1/contracts/{id}", get(get_contract))
        .route("/api/v1/contracts/{id}/document", get(contract_document))
        .route("/api/v1/contracts/{id}/sign", post(sign_contract))
        .route("/api/v1/contracts/{id}/disburse", post(disburse))
        .route("/api/v1/payments/confirmations", post(import_confirmations))
        .route("/api/v1/loans", get(list_loans))
        .route("/api/v1/loans/{id}", get(get_loan))
        .route("/api/v1/loans/{id}/schedule", get(loan_schedule))
        .route("/api/v1/loans/{id}/transactions", get(loan_transactions))
        .route("/api/v1/policies", get(list_policies).post(import_policy))
        .route(
            "/api/v1/authority-rules",
            get(list_rules).post(import_rules),
        )
}

/// The watch-list versions route (beside the import route of the system of record).
pub fn watch_list_route() -> axum::routing::MethodRouter<AppState> {
    get(watch_list_versions)
}
