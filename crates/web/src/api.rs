//! `/api/v1`: JSON over HTTP. Money is a string with two decimals; errors are
//! `application/problem+json`; list endpoints page with `after_id`/`before_id` and
//! `limit`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use loanbook_core::ledger::{LineDraft, Side};
use loanbook_core::money::{Currency, Money};
use loanbook_service::applications::{self, ApplicationInput, FundingSourceInput};
use loanbook_service::customer_records::{
    self as records, CollateralInput, ContactInput, CreditReportInput, GuaranteeInput,
};
use loanbook_service::customers::{self, CustomerInput, SearchInput};
use loanbook_service::investigation::{self, InvestigationInput};
use loanbook_service::leads::{self, ConvertInput, LeadInput};
use loanbook_service::{aml, auth, ledger, models, products};
use loanbook_store::audit::AuditFilter;
use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::extract::{Authenticated, JsonBody};
use crate::problem::Problem;

pub(crate) type ApiResult = Result<axum::response::Response, Problem>;

pub(crate) fn ok<T: serde::Serialize>(value: T) -> ApiResult {
    Ok(Json(value).into_response())
}

pub(crate) fn created<T: serde::Serialize>(value: T) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

/// `POST /api/v1/auth/login`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Log in: a session token to send as `Authorization: Bearer …`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "token, expires_at, user"), (status = 401, description = "wrong username or password"), (status = 429, description = "account locked")))]
async fn login(State(s): State<AppState>, JsonBody(body): JsonBody<LoginRequest>) -> ApiResult {
    ok(auth::login(&s.app, &body.username, &body.password).await?)
}

/// End this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses((status = 204, description = "logged out")))]
async fn logout(
    State(s): State<AppState>,
    Authenticated(actor, token): Authenticated,
) -> ApiResult {
    auth::logout(&s.app, &actor, &token).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/auth/tokens`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for.
    pub name: String,
}

/// Create an API token for the caller (shown once).
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenRequest, security(("bearer" = [])), responses((status = 201, description = "id and token")))]
async fn create_token(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(body): JsonBody<TokenRequest>,
) -> ApiResult {
    created(auth::create_api_token(&s.app, &actor, &body.name).await?)
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 204, description = "revoked"), (status = 404, description = "no such token")))]
async fn revoke_token(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    auth::revoke_api_token(&s.app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/users`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Login name.
    pub username: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Role code.
    pub role: String,
    /// Password (≥ 10 characters with a letter and a digit).
    pub password: String,
}

/// Users (needs `user:manage`).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses((status = 200, description = "users")))]
async fn list_users(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(auth::list_users(&s.app, &actor).await?)
}

/// Add a user (needs `user:manage`).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest, security(("bearer" = [])), responses((status = 201, description = "the user"), (status = 422, description = "invalid fields")))]
async fn add_user(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<NewUserRequest>,
) -> ApiResult {
    let new = auth::NewUser {
        username: b.username,
        display_name: b.display_name,
        role: b.role,
        password: b.password,
    };
    created(auth::add_user(&s.app, &actor, &new).await?)
}

/// Create a customer: `kind` individual (id_number, phone required) or business (uscc,
/// legal_representative required). Personal data comes back masked.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = Object, security(("bearer" = [])), responses((status = 201, description = "the customer, masked"), (status = 422, description = "every field and rule broken")))]
async fn create_customer(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(input): JsonBody<CustomerInput>,
) -> ApiResult {
    created(customers::create(&s.app, &actor, &input).await?)
}

/// Search customers: `name` (part), `kind`, `status`, `identity` (an exact ID number,
/// USCC or phone), `after_id`, `limit`.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])),
    params(("name" = Option<String>, Query), ("kind" = Option<String>, Query), ("status" = Option<String>, Query), ("identity" = Option<String>, Query), ("after_id" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "customers, masked")))]
async fn search_customers(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<SearchInput>,
) -> ApiResult {
    ok(customers::search(&s.app, &actor, &q).await?)
}

#[derive(Deserialize)]
struct ShowQuery {
    #[serde(default)]
    unmask: bool,
}

/// One customer; `?unmask=true` shows personal data in clear (needs `pii:view`, audited).
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])), params(("id" = i64, Path), ("unmask" = Option<bool>, Query)),
    responses((status = 200, description = "the customer"), (status = 404, description = "no such customer")))]
async fn get_customer(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> ApiResult {
    ok(customers::get(&s.app, &actor, id, q.unmask).await?)
}

/// Replace a customer's details (the kind cannot change); checked like a new customer.
#[utoipa::path(put, path = "/api/v1/customers/{id}", tag = "customers", request_body = Object, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the customer, masked"), (status = 422, description = "every field and rule broken")))]
async fn update_customer(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<CustomerInput>,
) -> ApiResult {
    ok(customers::update(&s.app, &actor, id, &input).await?)
}

/// Contact history of a customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}/contacts", tag = "customers", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "contacts, newest first")))]
async fn list_contacts(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(records::contacts(&s.app, &actor, id).await?)
}

/// Record a contact: `channel` (phone, sms, email, visit, wechat, letter), `direction`
/// (inbound, outbound), `summary`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/contacts", tag = "customers", request_body = Object, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 201, description = "the contact")))]
async fn add_contact(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<ContactInput>,
) -> ApiResult {
    created(records::add_contact(&s.app, &actor, id, &b).await?)
}

#[derive(Deserialize)]
struct UploadQuery {
    kind: String,
    file_name: String,
}

/// Upload a document: the file is the request body; `kind` and `file_name` in the
/// query. PDF, PNG or JPEG (checked by content), at most 10 MiB.
#[utoipa::path(post, path = "/api/v1/customers/{id}/documents", tag = "customers", request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    params(("id" = i64, Path), ("kind" = String, Query), ("file_name" = String, Query)), security(("bearer" = [])),
    responses((status = 201, description = "the document's metadata"), (status = 422, description = "wrong kind, size or type")))]
async fn upload_document(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    Query(q): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> ApiResult {
    created(records::upload_document(&s.app, &actor, id, &q.kind, &q.file_name, &body).await?)
}

/// Documents of a customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}/documents", tag = "customers", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "documents")))]
async fn list_documents(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(records::documents(&s.app, &actor, id).await?)
}

/// A document's content (its SHA-256 is checked before it is sent).
#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "customers", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the file")))]
async fn document_content(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    let (doc, bytes) = records::document_content(&s.app, &actor, id).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, doc.content_type)],
        bytes,
    )
        .into_response())
}

/// Credit-bureau reports of a customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}/credit-reports", tag = "customers", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "reports, newest first")))]
async fn list_credit_reports(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(records::credit_reports(&s.app, &actor, id).await?)
}

/// Keep a credit-bureau report snapshot: `bureau`, `pulled_on`, `report` (an object).
#[utoipa::path(post, path = "/api/v1/customers/{id}/credit-reports", tag = "customers", request_body = Object, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 201, description = "the report")))]
async fn add_credit_report(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<CreditReportInput>,
) -> ApiResult {
    created(records::add_credit_report(&s.app, &actor, id, &b).await?)
}

/// Collateral of a customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}/collateral", tag = "customers", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "collateral")))]
async fn list_collateral(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(records::collaterals(&s.app, &actor, id).await?)
}

/// Register collateral: kind, description, valuation, valued_on, ltv, custody, lien_status.
#[utoipa::path(post, path = "/api/v1/customers/{id}/collateral", tag = "customers", request_body = Object, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 201, description = "the collateral")))]
async fn add_collateral(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<CollateralInput>,
) -> ApiResult {
    created(records::add_collateral(&s.app, &actor, id, &b).await?)
}

/// Guarantees for a customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}/guarantors", tag = "customers", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "guarantees")))]
async fn list_guarantees(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(records::guarantees(&s.app, &actor, id).await?)
}

/// Register a guarantor: a customer (`guarantor_customer_id`) or an outside person
/// (`guarantor_name`, `guarantor_id_number`), and the `amount`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/guarantors", tag = "customers", request_body = Object, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 201, description = "the guarantee")))]
async fn add_guarantee(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<GuaranteeInput>,
) -> ApiResult {
    created(records::add_guarantee(&s.app, &actor, id, &b).await?)
}

/// `POST /api/v1/customers/{id}/status`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// active, blacklisted or closed.
    pub status: String,
    /// Required to blacklist.
    pub reason: Option<String>,
}

/// Set a customer's status.
#[utoipa::path(post, path = "/api/v1/customers/{id}/status", tag = "customers", request_body = StatusRequest, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the customer")))]
async fn set_status(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<StatusRequest>,
) -> ApiResult {
    ok(customers::set_status(&s.app, &actor, id, &b.status, b.reason.as_deref()).await?)
}

/// Create a product, or a new version of an existing code (docs/products.md).
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = Object, security(("bearer" = [])), responses((status = 201, description = "the version created"), (status = 422, description = "every field and rule broken")))]
async fn add_product(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult {
    created(products::add(&s.app, &actor, &body).await?)
}

/// The latest version of every product.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", security(("bearer" = [])), responses((status = 200, description = "products")))]
async fn list_products(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(products::list(&s.app, &actor).await?)
}

#[derive(Deserialize)]
struct VersionQuery {
    version: Option<i64>,
}

/// One product (the latest version, or `?version=N`).
#[utoipa::path(get, path = "/api/v1/products/{code}", tag = "products", params(("code" = String, Path), ("version" = Option<i64>, Query)), security(("bearer" = [])), responses((status = 200, description = "the product")))]
async fn get_product(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(code): Path<String>,
    Query(q): Query<VersionQuery>,
) -> ApiResult {
    ok(products::get(&s.app, &actor, &code, q.version).await?)
}

/// Every version of a product.
#[utoipa::path(get, path = "/api/v1/products/{code}/versions", tag = "products", params(("code" = String, Path)), security(("bearer" = [])), responses((status = 200, description = "versions, oldest first")))]
async fn product_versions(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(code): Path<String>,
) -> ApiResult {
    ok(products::versions(&s.app, &actor, &code).await?)
}

/// The chart of accounts: code, names, kind, normal side, and whether lines name a loan.
#[utoipa::path(get, path = "/api/v1/ledger/accounts", tag = "ledger", security(("bearer" = [])), responses((status = 200, description = "accounts")))]
async fn accounts(Authenticated(actor, _): Authenticated) -> ApiResult {
    actor.require(loanbook_service::Permission::LedgerRead)?;
    ok(loanbook_core::ledger::CHART)
}

/// The chart of accounts with totals (the trial balance).
#[utoipa::path(get, path = "/api/v1/ledger/trial-balance", tag = "ledger", security(("bearer" = [])), responses((status = 200, description = "accounts with debit, credit and balance")))]
async fn trial_balance(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(ledger::trial_balance(&s.app, &actor).await?)
}

#[derive(Deserialize)]
struct PageQuery {
    before_id: Option<i64>,
    limit: Option<i64>,
}

/// Journal entries, newest first.
#[utoipa::path(get, path = "/api/v1/ledger/entries", tag = "ledger", params(("before_id" = Option<i64>, Query), ("limit" = Option<i64>, Query)), security(("bearer" = [])), responses((status = 200, description = "entries with lines")))]
async fn list_entries(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    ok(ledger::entries(&s.app, &actor, q.before_id, q.limit.unwrap_or(50)).await?)
}

/// One line of `POST /api/v1/ledger/entries`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    /// Account code.
    pub account: String,
    /// Debit amount, e.g. "100.00" (one of debit or credit).
    pub debit: Option<String>,
    /// Credit amount.
    pub credit: Option<String>,
    /// Loan, for loan-scoped accounts.
    pub loan_id: Option<i64>,
    /// Funding source, for cash lines.
    pub funding_source: Option<String>,
}

/// `POST /api/v1/ledger/entries`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// What it records.
    pub description: String,
    /// The lines: Σ debit must equal Σ credit.
    pub lines: Vec<LineRequest>,
}

fn line(index: usize, l: &LineRequest) -> Result<LineDraft, Problem> {
    let field = |name: &str| format!("lines[{index}].{name}");
    let amount = |name: &str, text: &str| {
        Money::parse(text, Currency::CNY).map_err(|e| {
            Problem::from(loanbook_service::ServiceError::invalid(
                field(name),
                e.to_string(),
            ))
        })
    };
    let (side, money) = match (&l.debit, &l.credit) {
        (Some(d), None) => (Side::Debit, amount("debit", d)?),
        (None, Some(c)) => (Side::Credit, amount("credit", c)?),
        _ => {
            return Err(loanbook_service::ServiceError::invalid(
                field("debit"),
                "give exactly one of debit or credit",
            )
            .into());
        }
    };
    Ok(LineDraft {
        account: l.account.clone(),
        side,
        amount_minor: money.amount_minor(),
        loan_id: l.loan_id,
        funding_source: l.funding_source.clone(),
    })
}

/// Post a manual journal entry (needs `ledger:post`). Send an `Idempotency-Key` header:
/// a retry with the same key returns the first entry and posts nothing.
#[utoipa::path(post, path = "/api/v1/ledger/entries", tag = "ledger", request_body = EntryRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")), responses((status = 201, description = "the entry"), (status = 422, description = "unbalanced or invalid lines")))]
async fn post_entry(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    headers: axum::http::HeaderMap,
    JsonBody(b): JsonBody<EntryRequest>,
) -> ApiResult {
    let lines = b
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| line(i, l))
        .collect::<Result<Vec<_>, _>>()?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    created(ledger::post_manual(&s.app, &actor, &b.description, Currency::CNY, &lines, key).await?)
}

/// `POST /api/v1/ledger/entries/{id}/reversal`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalRequest {
    /// Why.
    pub reason: String,
}

/// Reverse an entry with a new entry of opposite lines (once).
#[utoipa::path(post, path = "/api/v1/ledger/entries/{id}/reversal", tag = "ledger", request_body = ReversalRequest, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 201, description = "the reversing entry"), (status = 409, description = "already reversed")))]
async fn reverse_entry(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<ReversalRequest>,
) -> ApiResult {
    created(ledger::reverse(&s.app, &actor, id, &b.reason).await?)
}

#[derive(Deserialize)]
struct AuditQuery {
    entity: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    before_id: Option<i64>,
    limit: Option<i64>,
}

/// The audit log, newest first (needs `audit:read`).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(("entity" = Option<String>, Query), ("entity_id" = Option<String>, Query), ("actor" = Option<String>, Query), ("before_id" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "records")))]
async fn audit_log(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    let filter = AuditFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        actor: q.actor,
        before_id: q.before_id,
        limit: q.limit.unwrap_or(50),
    };
    ok(loanbook_service::admin::audit_log(&s.app, &actor, &filter).await?)
}

/// `POST /api/v1/models`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployRequest {
    /// The model artifact (the JSON `loanbook model train` writes).
    #[schema(value_type = Object)]
    pub model: serde_json::Value,
    /// Variable → `application.*`, `customer.*` or `credit_report.*`.
    #[schema(value_type = Object)]
    pub mapping: loanbook_risk::scorecard::mapping::Mapping,
    /// draft, champion or challenger.
    pub status: String,
    /// Share of applications a challenger also scores, e.g. "0.1".
    pub challenger_share: Option<String>,
}

/// Deploy a model with its mapping (checked now; needs `model:manage`).
#[utoipa::path(post, path = "/api/v1/models", tag = "models", request_body = DeployRequest, security(("bearer" = [])), responses((status = 201, description = "the registered version"), (status = 422, description = "every mapping problem")))]
async fn deploy_model(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<DeployRequest>,
) -> ApiResult {
    created(
        models::deploy(
            &s.app,
            &actor,
            &b.model.to_string(),
            &b.mapping,
            &b.status,
            b.challenger_share.as_deref(),
        )
        .await?,
    )
}

/// The model registry.
#[utoipa::path(get, path = "/api/v1/models", tag = "models", security(("bearer" = [])), responses((status = 200, description = "registered versions")))]
async fn list_models(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(models::list(&s.app, &actor).await?)
}

/// One registered model with its artifact.
#[utoipa::path(get, path = "/api/v1/models/{id}", tag = "models", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the model"), (status = 404, description = "no such model")))]
async fn get_model(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    let (registered, model) = models::get(&s.app, &actor, id).await?;
    ok(serde_json::json!({"registry": registered, "model": model}))
}

/// `POST /api/v1/models/{id}/status`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelStatusRequest {
    /// draft, champion, challenger or retired.
    pub status: String,
    /// Challenger share.
    pub challenger_share: Option<String>,
}

/// Change a model's status (a new champion or challenger retires the one it replaces).
#[utoipa::path(post, path = "/api/v1/models/{id}/status", tag = "models", request_body = ModelStatusRequest, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the model")))]
async fn model_status(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<ModelStatusRequest>,
) -> ApiResult {
    ok(models::set_status(&s.app, &actor, id, &b.status, b.challenger_share.as_deref()).await?)
}

/// Score drift: PSI of live scores against training, by month.
#[utoipa::path(get, path = "/api/v1/models/{id}/monitoring", tag = "models", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "months with count, mean score and PSI")))]
async fn model_monitoring(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(models::monitor(&s.app, &actor, id).await?)
}

/// Create a funding source (needs `funding:manage`): code, name, currency, limit.
#[utoipa::path(post, path = "/api/v1/funding-sources", tag = "origination", request_body = Object, security(("bearer" = [])), responses((status = 201, description = "the funding source")))]
async fn create_funding_source(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<FundingSourceInput>,
) -> ApiResult {
    created(applications::create_funding_source(&s.app, &actor, &b).await?)
}

/// Funding sources with their limit and available balance.
#[utoipa::path(get, path = "/api/v1/funding-sources", tag = "origination", security(("bearer" = [])), responses((status = 200, description = "funding sources")))]
async fn list_funding_sources(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
) -> ApiResult {
    ok(applications::funding_sources(&s.app, &actor).await?)
}

/// Create a draft application: customer_id, product_code, amount, term_months, method,
/// purpose, channel (branch, online, app, partner).
#[utoipa::path(post, path = "/api/v1/applications", tag = "origination", request_body = Object, security(("bearer" = [])), responses((status = 201, description = "id and status draft"), (status = 422, description = "every invalid field")))]
async fn create_application(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<ApplicationInput>,
) -> ApiResult {
    created(applications::create(&s.app, &actor, &b).await?)
}

#[derive(Deserialize)]
struct ApplicationQuery {
    status: Option<String>,
    customer_id: Option<i64>,
    after_id: Option<i64>,
    limit: Option<i64>,
}

/// Applications, by `status` and `customer_id`.
#[utoipa::path(get, path = "/api/v1/applications", tag = "origination", security(("bearer" = [])),
    params(("status" = Option<String>, Query), ("customer_id" = Option<i64>, Query), ("after_id" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "applications")))]
async fn list_applications(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<ApplicationQuery>,
) -> ApiResult {
    ok(applications::list(
        &s.app,
        &actor,
        q.status.as_deref(),
        q.customer_id,
        q.after_id,
        q.limit,
    )
    .await?)
}

/// One application, with its pre-screen result.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the application"), (status = 404, description = "no such application")))]
async fn get_application(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(applications::get(&s.app, &actor, id).await?)
}

/// Submit: the pre-screen — returned (documents missing) or declined (compliance), with
/// every failed rule — and, when it passes, the preliminary assessment: declined,
/// approved straight through, or pre_screened waiting for the investigation.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the application after the pre-screen"), (status = 409, description = "a state that cannot be submitted")))]
async fn submit_application(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(applications::submit(&s.app, &actor, id).await?)
}

/// `POST /api/v1/applications/{id}/withdraw`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Why.
    pub reason: String,
}

/// Withdraw an application (before the contract).
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "origination", request_body = WithdrawRequest, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the application")))]
async fn withdraw_application(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<WithdrawRequest>,
) -> ApiResult {
    ok(applications::withdraw(&s.app, &actor, id, &b.reason).await?)
}

/// The state changes of an application: at, actor, from, to, note.
#[utoipa::path(get, path = "/api/v1/applications/{id}/history", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "events, oldest first")))]
async fn application_history(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    let events: Vec<serde_json::Value> = applications::history(&s.app, &actor, id)
        .await?
        .into_iter()
        .map(|(at, who, from, to, note)| serde_json::json!({"at": at, "actor": who, "from": from, "to": to, "note": note}))
        .collect();
    ok(events)
}

/// Import an AML watch list (the body is CSV: `list,name,id_number,reason`); a new version
/// replaces the current one (needs `watchlist:manage`).
#[utoipa::path(post, path = "/api/v1/watch-list", tag = "origination", request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 201, description = "version and entries"), (status = 422, description = "every bad row")))]
async fn import_watch_list(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    body: axum::body::Bytes,
) -> ApiResult {
    let (version, entries) = aml::import_csv(&s.app, &actor, &body, "api").await?;
    created(serde_json::json!({"version": version, "entries": entries}))
}

/// Screen a customer against the current watch list (exact ID number, fuzzy name ≥ 0.9).
#[utoipa::path(get, path = "/api/v1/customers/{id}/screening", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "version and hits")))]
async fn screen_customer(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(aml::screen_customer(&s.app, &actor, id).await?)
}

/// Record a lead (客户开发): name, phone, source, owner, note.
#[utoipa::path(post, path = "/api/v1/leads", tag = "origination", request_body = Object, security(("bearer" = [])), responses((status = 201, description = "the lead")))]
async fn create_lead(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<LeadInput>,
) -> ApiResult {
    created(leads::create(&s.app, &actor, &b).await?)
}

#[derive(Deserialize)]
struct LeadQuery {
    owner: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
}

/// Leads, by `owner` and `status`.
#[utoipa::path(get, path = "/api/v1/leads", tag = "origination", params(("owner" = Option<String>, Query), ("status" = Option<String>, Query), ("limit" = Option<i64>, Query)), security(("bearer" = [])), responses((status = 200, description = "leads")))]
async fn list_leads(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<LeadQuery>,
) -> ApiResult {
    ok(leads::list(
        &s.app,
        &actor,
        q.owner.as_deref(),
        q.status.as_deref(),
        q.limit,
    )
    .await?)
}

/// `POST /api/v1/leads/{id}/status`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadStatusRequest {
    /// contacted, qualified or lost.
    pub status: String,
}

/// Move a lead: contacted, qualified or lost.
#[utoipa::path(post, path = "/api/v1/leads/{id}/status", tag = "origination", request_body = LeadStatusRequest, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the lead"), (status = 409, description = "a move the lead cannot make")))]
async fn lead_status(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<LeadStatusRequest>,
) -> ApiResult {
    ok(leads::set_status(&s.app, &actor, id, &b.status).await?)
}

/// Convert a qualified lead into a customer (`customer_id` or `customer` details) and a draft
/// application (`application`).
#[utoipa::path(post, path = "/api/v1/leads/{id}/convert", tag = "origination", request_body = Object, params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 201, description = "the lead and the application")))]
async fn convert_lead(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<ConvertInput>,
) -> ApiResult {
    let (lead, application) = leads::convert(&s.app, &actor, id, &b).await?;
    created(serde_json::json!({"lead": lead, "application": application}))
}

/// Record the pre-loan investigation (field visit, checklist, figures; DTI or DSCR is
/// computed); the final assessment then runs and the application is declined, approved or
/// in review with its steps (`application_status`; needs `document:write`).
#[utoipa::path(post, path = "/api/v1/applications/{id}/investigation", tag = "origination", request_body = Object, params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 201, description = "the report with DTI / DSCR"), (status = 409, description = "not pre-screened"), (status = 422, description = "every invalid field")))]
async fn investigate(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<InvestigationInput>,
) -> ApiResult {
    created(investigation::investigate(&s.app, &actor, id, &b).await?)
}

/// The latest investigation of an application.
#[utoipa::path(get, path = "/api/v1/applications/{id}/investigation", tag = "origination", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "the report"), (status = 404, description = "none yet")))]
async fn get_investigation(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(investigation::latest(&s.app, &actor, id).await?)
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(title = "loanbook API", description = "Credit operations: customers, products, origination, loans, servicing, ledger, audit. Money is a string with two decimals; errors are application/problem+json."),
    paths(login, logout, create_token, revoke_token, list_users, add_user, create_customer, search_customers, get_customer, set_status,
          update_customer, list_contacts, add_contact, upload_document, list_documents, document_content, list_credit_reports, add_credit_report,
          list_collateral, add_collateral, list_guarantees, add_guarantee,
          deploy_model, list_models, get_model, model_status, model_monitoring,
          create_funding_source, list_funding_sources, create_application, list_applications, get_application,
          submit_application, withdraw_application, application_history, import_watch_list, screen_customer,
          create_lead, list_leads, lead_status, convert_lead, investigate, get_investigation,
          add_product, list_products, get_product, product_versions, accounts, trial_balance, list_entries, post_entry, reverse_entry, audit_log),
    components(schemas(LoginRequest, TokenRequest, NewUserRequest, StatusRequest, LineRequest, EntryRequest, ReversalRequest, DeployRequest, ModelStatusRequest, WithdrawRequest, LeadStatusRequest)),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "users"), (name = "customers"), (name = "products"), (name = "ledger"), (name = "models"), (name = "origination"), (name = "audit"))
)]
pub struct ApiDoc;

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/tokens", post(create_token))
        .route("/api/v1/auth/tokens/{id}", delete(revoke_token))
        .route("/api/v1/users", get(list_users).post(add_user))
        .route(
            "/api/v1/customers",
            get(search_customers).post(create_customer),
        )
        .route(
            "/api/v1/customers/{id}",
            get(get_customer).put(update_customer),
        )
        .route(
            "/api/v1/customers/{id}/contacts",
            get(list_contacts).post(add_contact),
        )
        .route(
            "/api/v1/customers/{id}/documents",
            get(list_documents)
                .post(upload_document)
                .layer(axum::extract::DefaultBodyLimit::max(
                    records::MAX_DOCUMENT_BYTES + 1024,
                )),
        )
        .route("/api/v1/documents/{id}/content", get(document_content))
        .route(
            "/api/v1/customers/{id}/credit-reports",
            get(list_credit_reports).post(add_credit_report),
        )
        .route(
            "/api/v1/customers/{id}/collateral",
            get(list_collateral).post(add_collateral),
        )
        .route(
            "/api/v1/customers/{id}/guarantors",
            get(list_guarantees).post(add_guarantee),
        )
        .route("/api/v1/customers/{id}/status", post(set_status))
        .route("/api/v1/products", get(list_products).post(add_product))
        .route("/api/v1/products/{code}", get(get_product))
        .route("/api/v1/products/{code}/versions", get(product_versions))
        .route("/api/v1/ledger/accounts", get(accounts))
        .route("/api/v1/ledger/trial-balance", get(trial_balance))
        .route("/api/v1/ledger/entries", get(list_entries).post(post_entry))
        .route("/api/v1/ledger/entries/{id}/reversal", post(reverse_entry))
        .route("/api/v1/audit", get(audit_log))
        .route(
            "/api/v1/funding-sources",
            get(list_funding_sources).post(create_funding_source),
        )
        .route(
            "/api/v1/applications",
            get(list_applications).post(create_application),
        )
        .route("/api/v1/applications/{id}", get(get_application))
        .route("/api/v1/applications/{id}/submit", post(submit_application))
        .route(
            "/api/v1/applications/{id}/withdraw",
            post(withdraw_application),
        )
        .route(
            "/api/v1/applications/{id}/history",
            get(application_history),
        )
        .route(
            "/api/v1/applications/{id}/investigation",
            get(get_investigation).post(investigate),
        )
        .route("/api/v1/leads", get(list_leads).post(create_lead))
        .route("/api/v1/leads/{id}/status", post(lead_status))
        .route("/api/v1/leads/{id}/convert", post(convert_lead))
        .route(
            "/api/v1/watch-list",
            crate::api_origination::watch_list_route().post(import_watch_list),
        )
        .route("/api/v1/customers/{id}/screening", get(screen_customer))
        .route("/api/v1/models", get(list_models).post(deploy_model))
        .route("/api/v1/models/{id}", get(get_model))
        .route("/api/v1/models/{id}/status", post(model_status))
        .route("/api/v1/models/{id}/monitoring", get(model_monitoring))
}

/// The whole OpenAPI document: the system of record, origination, servicing and the
/// operations that change and end a loan.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::api_origination::OriginationDoc::openapi());
    doc.merge(crate::api_servicing::ServicingDoc::openapi());
    doc.merge(crate::api_loan_ops::LoanOpsDoc::openapi());
    doc.merge(crate::api_service_desk::ServiceDeskDoc::openapi());
    doc.merge(crate::api_collections::CollectionsDoc::openapi());
    doc.merge(crate::api_reports::ReportsDoc::openapi());
    doc.merge(crate::api_warnings::WarningsDoc::openapi());
    doc
}

/// `/api/openapi.json` and the interactive docs at `/api/docs` (served from the binary).
pub fn docs() -> Router<AppState> {
    SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", openapi())
        .into()
}
