//! `/api/v1` for changing and ending a loan: restructures (重组), write-offs (核销) and
//! recoveries, manual five-tier class overrides, the LPR table, closing tasks (清户撤押)
//! and archiving.
//!
//! Restructures, write-offs and class overrides are requests another person decides
//! (`servicing::requests`): `POST …` asks (201, `requested`), `POST /…/{id}/approve`
//! applies it (200, `applied`) and `POST /…/{id}/reject` refuses it with a note (200,
//! `rejected`). The decider may not be the requester: 403 with a `detail` starting
//! `four_eyes:`. A decided request, or a second one while one waits, is a 409.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use loanbook_service::servicing::class_override::{self, ClassOverrideInput};
use loanbook_service::servicing::restructure::{self, RestructureInput};
use loanbook_service::servicing::write_off::{self, RecoveryInput};
use loanbook_service::servicing::{closing, lpr};
use loanbook_service::{Actor, App, Permission, ServiceError, Violation, loans};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::api::{ApiResult, created, ok};
use crate::api_servicing::idempotency_key;
use crate::extract::{Authenticated, JsonBody};

/// `POST /api/v1/loans/{id}/restructures`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestructureRequest {
    /// extension, rate_change, plan_change, principal_grace or lpr_conversion.
    #[serde(default)]
    pub kind: String,
    /// extension: periods added.
    pub extra_periods: Option<i64>,
    /// rate_change: the new annual rate, e.g. "0.0415".
    pub new_rate: Option<String>,
    /// plan_change: annuity, equal_principal, interest_only, bullet or flat.
    pub method: Option<String>,
    /// principal_grace: interest-only periods after the current one.
    pub grace_periods: Option<i64>,
    /// lpr_conversion: 1y or 5y.
    pub lpr_tenor: Option<String>,
    /// lpr_conversion: the spread over the LPR, e.g. "0.0085" or "-0.003" (default: the
    /// current rate less the latest LPR, so the rate does not move at conversion).
    pub rate_spread: Option<String>,
    /// lpr_conversion: january_1 (default) or anniversary.
    pub repricing_rule: Option<String>,
    /// Why (required, at most 500 characters).
    #[serde(default)]
    pub reason: String,
}

impl RestructureRequest {
    /// The service's input, or every count that is not a number of periods.
    fn input(self) -> Result<RestructureInput, ServiceError> {
        let mut v = Vec::new();
        let extra_periods = periods("extra_periods", self.extra_periods, &mut v);
        let grace_periods = periods("grace_periods", self.grace_periods, &mut v);
        if !v.is_empty() {
            return Err(ServiceError::Invalid(v));
        }
        Ok(RestructureInput {
            kind: self.kind.trim().to_owned(),
            extra_periods,
            new_rate: self.new_rate,
            method: self.method,
            grace_periods,
            lpr_tenor: self.lpr_tenor,
            rate_spread: self.rate_spread,
            repricing_rule: self.repricing_rule,
            reason: self.reason,
        })
    }
}

/// A count of periods as sent: a whole number, not negative.
fn periods(field: &str, value: Option<i64>, v: &mut Vec<Violation>) -> Option<u32> {
    let n = value?;
    u32::try_from(n)
        .map_err(|_| {
            v.push(Violation::new(
                field,
                format!("must be a number of periods, 0 or more (got {n})"),
            ));
        })
        .ok()
}

/// A request's reason: `POST /api/v1/loans/{id}/write-off` and
/// `POST /api/v1/loans/{id}/class-override/remove`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why (required, at most 500 characters).
    #[serde(default)]
    pub reason: String,
}

/// A decision's or a task's note: `POST /api/v1/…/{id}/reject` and
/// `POST /api/v1/tasks/{id}/done`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// Why it was rejected, or what was done (required, at most 500 characters).
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/loans/{id}/class-override`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassOverrideRequest {
    /// pass, special_mention, substandard, doubtful or loss: not better than the days past
    /// due give.
    #[serde(default)]
    pub class: String,
    /// Why (required, at most 500 characters).
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/loans/{id}/recoveries`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequest {
    /// Amount received, e.g. "3000.00": at most what remains of the claim.
    pub amount: String,
    /// Where it came from: court, collateral sale, borrower, agency (at most 100
    /// characters).
    pub reference: Option<String>,
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    loan: Option<String>,
}

#[derive(Deserialize)]
struct TenorQuery {
    tenor: Option<String>,
}

/// A request status to filter by: requested, applied or rejected.
fn request_status(status: Option<&str>) -> Result<Option<&str>, ServiceError> {
    match status.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s @ ("requested" | "applied" | "rejected")) => Ok(Some(s)),
        Some(s) => Err(ServiceError::invalid(
            "status",
            format!("must be requested, applied or rejected (got '{s}')"),
        )),
    }
}

/// The loan a `loan` query parameter addresses (id or external id), if given.
async fn loan_filter(
    app: &App,
    actor: &Actor,
    loan: Option<&str>,
) -> Result<Option<i64>, ServiceError> {
    match loan.map(str::trim) {
        None | Some("") => Ok(None),
        Some(key) => loans::resolve(app, actor, key).await.map(Some),
    }
}

/// Request a restructure of a loan (needs `loan:restructure`): `extension` (展期,
/// `extra_periods`; at most the 《贷款通则》 limit in all), `rate_change` (`new_rate`),
/// `plan_change` (`method`), `principal_grace` (`grace_periods`) or `lpr_conversion`
/// (`lpr_tenor`, `rate_spread`, `repricing_rule`). Checked against the loan now and
/// again when approved; someone else approves it.
#[utoipa::path(post, path = "/api/v1/loans/{id}/restructures", tag = "loan operations", request_body = RestructureRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 201, description = "the request, status requested"), (status = 404, description = "no such loan"), (status = 409, description = "not being serviced, or a restructure already waiting"), (status = 422, description = "kind, extra_periods, new_rate, method, grace_periods, lpr_tenor, rate_spread, repricing_rule or reason refused")))]
async fn request_restructure(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<RestructureRequest>,
) -> ApiResult {
    actor.require(Permission::LoanRestructure)?;
    let input = b.input()?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    created(restructure::request(&s.app, &actor, id, &input).await?)
}

/// The restructures of a loan (and its LPR repricings), newest first; `status` requested,
/// applied or rejected.
#[utoipa::path(get, path = "/api/v1/loans/{id}/restructures", tag = "loan operations",
    params(("id" = String, Path, description = "the loan's id, or its external id"), ("status" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, description = "restructures, newest first"), (status = 404, description = "no such external id"), (status = 422, description = "status refused")))]
async fn loan_restructures(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
    Query(q): Query<StatusQuery>,
) -> ApiResult {
    let status = request_status(q.status.as_deref())?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    ok(restructure::list(&s.app, &actor, Some(id), status).await?)
}

/// Restructures of every loan (or of `loan`), newest first, at most 200: with
/// `status=requested`, the approvers' queue.
#[utoipa::path(get, path = "/api/v1/restructures", tag = "loan operations",
    params(("status" = Option<String>, Query), ("loan" = Option<String>, Query, description = "a loan's id or external id")), security(("bearer" = [])),
    responses((status = 200, description = "restructures, newest first"), (status = 422, description = "status refused")))]
async fn restructures(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let status = request_status(q.status.as_deref())?;
    let loan = loan_filter(&s.app, &actor, q.loan.as_deref()).await?;
    ok(restructure::list(&s.app, &actor, loan, status).await?)
}

/// Approve a restructure and apply it on the business date (needs
/// `loan:restructure_approve`; not one's own request): the installments after the current
/// one are archived and replaced, the loan's terms follow. `result` says what changed.
#[utoipa::path(post, path = "/api/v1/restructures/{id}/approve", tag = "loan operations",
    params(("id" = i64, Path, description = "the restructure")), security(("bearer" = [])),
    responses((status = 200, description = "the request, status applied, with its result"), (status = 403, description = "permission, or four_eyes for the requester"), (status = 404, description = "no such restructure"), (status = 409, description = "decided already, or the loan no longer allows it"), (status = 422, description = "the loan's state now makes the terms invalid")))]
async fn approve_restructure(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(restructure::approve(&s.app, &actor, id).await?)
}

/// Reject a restructure with a note (needs `loan:restructure_approve`; not one's own).
#[utoipa::path(post, path = "/api/v1/restructures/{id}/reject", tag = "loan operations", request_body = NoteRequest,
    params(("id" = i64, Path, description = "the restructure")), security(("bearer" = [])),
    responses((status = 200, description = "the request, status rejected"), (status = 403, description = "permission, or four_eyes"), (status = 404, description = "no such restructure"), (status = 409, description = "decided already"), (status = 422, description = "note refused")))]
async fn reject_restructure(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<NoteRequest>,
) -> ApiResult {
    ok(restructure::reject(&s.app, &actor, id, &b.note).await?)
}

/// Request the write-off of a non-performing loan (needs `loan:write_off`): substandard or
/// worse, holding no advance, owing something. `request.preview` shows what would go off
/// the books; someone else approves it.
#[utoipa::path(post, path = "/api/v1/loans/{id}/write-off", tag = "loan operations", request_body = ReasonRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 201, description = "the request, status requested"), (status = 404, description = "no such loan"), (status = 409, description = "not being serviced, performing, holding an advance, owing nothing, or a write-off already waiting"), (status = 422, description = "reason refused")))]
async fn request_write_off(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<ReasonRequest>,
) -> ApiResult {
    actor.require(Permission::LoanWriteOff)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    created(write_off::request(&s.app, &actor, id, &b.reason).await?)
}

/// What a loan's write-off took off the books — principal, interest, penalty, fees, the
/// off-book memo, the provision used, the expense — the claim, what was recovered and
/// what is outstanding.
#[utoipa::path(get, path = "/api/v1/loans/{id}/write-off", tag = "loan operations",
    params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 200, description = "the write-off and its recoveries"), (status = 404, description = "no such loan, or not written off")))]
async fn written_off(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
) -> ApiResult {
    let id = loans::resolve(&s.app, &actor, &key).await?;
    ok(write_off::written_off(&s.app, &actor, id).await?)
}

/// Write-off requests of every loan (or of `loan`), newest first, at most 200.
#[utoipa::path(get, path = "/api/v1/write-offs", tag = "loan operations",
    params(("status" = Option<String>, Query), ("loan" = Option<String>, Query, description = "a loan's id or external id")), security(("bearer" = [])),
    responses((status = 200, description = "write-offs, newest first"), (status = 422, description = "status refused")))]
async fn write_offs(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let status = request_status(q.status.as_deref())?;
    let loan = loan_filter(&s.app, &actor, q.loan.as_deref()).await?;
    ok(write_off::list(&s.app, &actor, loan, status).await?)
}

/// Approve a write-off and apply it (needs `loan:write_off_approve`; not one's own
/// request): the provision first (Dr 1304), the rest expense (Dr 6702); the loan becomes
/// `written_off` and leaves the daily close.
#[utoipa::path(post, path = "/api/v1/write-offs/{id}/approve", tag = "loan operations",
    params(("id" = i64, Path, description = "the write-off")), security(("bearer" = [])),
    responses((status = 200, description = "the request, status applied, with the amounts"), (status = 403, description = "permission, or four_eyes for the requester"), (status = 404, description = "no such write-off"), (status = 409, description = "decided already, or the loan no longer qualifies")))]
async fn approve_write_off(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(write_off::approve(&s.app, &actor, id).await?)
}

/// Reject a write-off with a note (needs `loan:write_off_approve`; not one's own).
#[utoipa::path(post, path = "/api/v1/write-offs/{id}/reject", tag = "loan operations", request_body = NoteRequest,
    params(("id" = i64, Path, description = "the write-off")), security(("bearer" = [])),
    responses((status = 200, description = "the request, status rejected"), (status = 403, description = "permission, or four_eyes"), (status = 404, description = "no such write-off"), (status = 409, description = "decided already"), (status = 422, description = "note refused")))]
async fn reject_write_off(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<NoteRequest>,
) -> ApiResult {
    ok(write_off::reject(&s.app, &actor, id, &b.note).await?)
}

/// Record money recovered on a written-off loan (核销后收回; needs `repayment:post`): Dr
/// 1001 of the loan's funding source, Cr 6031, at most what remains of the claim. Send
/// `Idempotency-Key`: a retry answers the write-off as it stands and posts nothing; the
/// key with another body answers 409.
#[utoipa::path(post, path = "/api/v1/loans/{id}/recoveries", tag = "loan operations", request_body = RecoveryRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id"), ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")), security(("bearer" = [])),
    responses((status = 201, description = "the write-off with its recoveries"), (status = 404, description = "no such loan, or not written off"), (status = 409, description = "a key reused for another body"), (status = 422, description = "amount, reference or the key refused")))]
async fn recover(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    headers: HeaderMap,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<RecoveryRequest>,
) -> ApiResult {
    actor.require(Permission::RepaymentPost)?;
    let idempotency = idempotency_key(&headers)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = RecoveryInput {
        amount: b.amount,
        reference: b.reference,
    };
    created(write_off::recover(&s.app, &actor, id, &input, idempotency).await?)
}

/// Request a manual five-tier class (人工调整五级分类; needs `loan:classify`), not better than
/// the days past due give. Once approved the close keeps it — no upgrade — until the days
/// past due give a worse class or it is removed.
#[utoipa::path(post, path = "/api/v1/loans/{id}/class-override", tag = "loan operations", request_body = ClassOverrideRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 201, description = "the request (kind set), status requested"), (status = 404, description = "no such loan"), (status = 409, description = "not being serviced, or an override request already waiting"), (status = 422, description = "class or reason refused")))]
async fn request_class_override(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<ClassOverrideRequest>,
) -> ApiResult {
    actor.require(Permission::LoanClassify)?;
    let class = b.class.trim();
    if class.is_empty() {
        // the service reads no class as a removal: that has its own route
        return Err(ServiceError::invalid(
            "class",
            "is required (pass, special_mention, substandard, doubtful or loss); to remove the override, POST …/class-override/remove",
        )
        .into());
    }
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = ClassOverrideInput {
        class: Some(class.to_owned()),
        reason: b.reason,
    };
    created(class_override::request(&s.app, &actor, id, &input).await?)
}

/// Request the removal of a loan's class override (needs `loan:classify`), approved like
/// an override; the class then stays where it is and upgrades again by performance.
#[utoipa::path(post, path = "/api/v1/loans/{id}/class-override/remove", tag = "loan operations", request_body = ReasonRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 201, description = "the request (kind remove), status requested"), (status = 404, description = "no such loan"), (status = 409, description = "no override to remove, or a request already waiting"), (status = 422, description = "reason refused")))]
async fn request_class_removal(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<ReasonRequest>,
) -> ApiResult {
    actor.require(Permission::LoanClassify)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = ClassOverrideInput {
        class: None,
        reason: b.reason,
    };
    created(class_override::request(&s.app, &actor, id, &input).await?)
}

/// Class-override requests of every loan (or of `loan`), newest first, at most 200.
#[utoipa::path(get, path = "/api/v1/class-overrides", tag = "loan operations",
    params(("status" = Option<String>, Query), ("loan" = Option<String>, Query, description = "a loan's id or external id")), security(("bearer" = [])),
    responses((status = 200, description = "class overrides, newest first"), (status = 422, description = "status refused")))]
async fn class_overrides(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let status = request_status(q.status.as_deref())?;
    let loan = loan_filter(&s.app, &actor, q.loan.as_deref()).await?;
    ok(class_override::list(&s.app, &actor, loan, status).await?)
}

/// Approve a class override (or its removal) and apply it at once (needs
/// `loan:classify_approve`; not one's own request); the provision follows at the next
/// close.
#[utoipa::path(post, path = "/api/v1/class-overrides/{id}/approve", tag = "loan operations",
    params(("id" = i64, Path, description = "the class-override request")), security(("bearer" = [])),
    responses((status = 200, description = "the request, status applied, with from_class and to_class"), (status = 403, description = "permission, or four_eyes for the requester"), (status = 404, description = "no such request"), (status = 409, description = "decided already, or the loan no longer allows it"), (status = 422, description = "the days past due now give a worse class")))]
async fn approve_class_override(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(class_override::approve(&s.app, &actor, id).await?)
}

/// Reject a class override (or its removal) with a note (needs `loan:classify_approve`;
/// not one's own).
#[utoipa::path(post, path = "/api/v1/class-overrides/{id}/reject", tag = "loan operations", request_body = NoteRequest,
    params(("id" = i64, Path, description = "the class-override request")), security(("bearer" = [])),
    responses((status = 200, description = "the request, status rejected"), (status = 403, description = "permission, or four_eyes"), (status = 404, description = "no such request"), (status = 409, description = "decided already"), (status = 422, description = "note refused")))]
async fn reject_class_override(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<NoteRequest>,
) -> ApiResult {
    ok(class_override::reject(&s.app, &actor, id, &b.note).await?)
}

/// The published loan prime rates (LPR), newest first within each tenor; `tenor` 1y or
/// 5y (needs `product:read`).
#[utoipa::path(get, path = "/api/v1/lpr", tag = "loan operations", params(("tenor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, description = "tenor, effective_date, rate"), (status = 422, description = "tenor refused")))]
async fn list_lpr(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<TenorQuery>,
) -> ApiResult {
    let tenor = q.tenor.as_deref().map(str::trim).filter(|t| !t.is_empty());
    ok(lpr::list(&s.app, &actor, tenor).await?)
}

/// Import published rates (needs `product:write`); the body is CSV
/// `tenor,effective_date,rate` (e.g. `5y,2026-12-22,0.0330`), all or nothing: every bad
/// row is listed. A rate stored already with the same value is counted `unchanged`; with
/// another value it is refused (a published rate is a fact).
#[utoipa::path(post, path = "/api/v1/lpr/import", tag = "loan operations", request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 200, description = "added and unchanged"), (status = 422, description = "every bad row, or an empty body")))]
async fn import_lpr(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    body: Bytes,
) -> ApiResult {
    actor.require(Permission::ProductWrite)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ServiceError::invalid(
            "csv",
            "the body is empty: send CSV with the header tenor,effective_date,rate",
        )
        .into());
    }
    ok(lpr::import_csv(&s.app, &actor, &body).await?)
}

/// Closing tasks (清户撤押: collateral release), by id, at most 500: `status` open or done,
/// `loan` one loan's (needs `loan:read`).
#[utoipa::path(get, path = "/api/v1/tasks", tag = "loan operations",
    params(("status" = Option<String>, Query), ("loan" = Option<String>, Query, description = "a loan's id or external id")), security(("bearer" = [])),
    responses((status = 200, description = "tasks"), (status = 422, description = "status refused")))]
async fn tasks(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let status = q.status.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let loan = loan_filter(&s.app, &actor, q.loan.as_deref()).await?;
    ok(closing::tasks(&s.app, &actor, loan, status).await?)
}

/// Mark a closing task done with a note, e.g. the deregistration number (needs
/// `loan:close`).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/done", tag = "loan operations", request_body = NoteRequest,
    params(("id" = i64, Path, description = "the task")), security(("bearer" = [])),
    responses((status = 200, description = "the task, status done"), (status = 404, description = "no such task"), (status = 409, description = "done already"), (status = 422, description = "note refused")))]
async fn task_done(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(id): Path<i64>,
    JsonBody(b): JsonBody<NoteRequest>,
) -> ApiResult {
    ok(closing::complete(&s.app, &actor, id, &b.note).await?)
}

/// Archive a closed loan with no open task (档案管理; needs `loan:close`).
#[utoipa::path(post, path = "/api/v1/loans/{id}/archive", tag = "loan operations",
    params(("id" = String, Path, description = "the loan's id, or its external id")), security(("bearer" = [])),
    responses((status = 200, description = "loan_id and status archived"), (status = 404, description = "no such loan"), (status = 409, description = "not closed, or a task still open")))]
async fn archive(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
) -> ApiResult {
    actor.require(Permission::LoanClose)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    closing::archive(&s.app, &actor, id).await?;
    ok(serde_json::json!({"loan_id": id, "status": "archived"}))
}

/// The OpenAPI document of these routes (merged into the whole).
#[derive(OpenApi)]
#[openapi(
    paths(request_restructure, loan_restructures, restructures, approve_restructure, reject_restructure,
          request_write_off, written_off, write_offs, approve_write_off, reject_write_off, recover,
          request_class_override, request_class_removal, class_overrides, approve_class_override, reject_class_override,
          list_lpr, import_lpr, tasks, task_done, archive),
    components(schemas(RestructureRequest, ReasonRequest, NoteRequest, ClassOverrideRequest, RecoveryRequest)),
    tags((name = "loan operations"))
)]
pub struct LoanOpsDoc;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/loans/{id}/restructures",
            get(loan_restructures).post(request_restructure),
        )
        .route("/api/v1/restructures", get(restructures))
        .route(
            "/api/v1/restructures/{id}/approve",
            post(approve_restructure),
        )
        .route("/api/v1/restructures/{id}/reject", post(reject_restructure))
        .route(
            "/api/v1/loans/{id}/write-off",
            get(written_off).post(request_write_off),
        )
        .route("/api/v1/write-offs", get(write_offs))
        .route("/api/v1/write-offs/{id}/approve", post(approve_write_off))
        .route("/api/v1/write-offs/{id}/reject", post(reject_write_off))
        .route("/api/v1/loans/{id}/recoveries", post(recover))
        .route(
            "/api/v1/loans/{id}/class-override",
            post(request_class_override),
        )
        .route(
            "/api/v1/loans/{id}/class-override/remove",
            post(request_class_removal),
        )
        .route("/api/v1/class-overrides", get(class_overrides))
        .route(
            "/api/v1/class-overrides/{id}/approve",
            post(approve_class_override),
        )
        .route(
            "/api/v1/class-overrides/{id}/reject",
            post(reject_class_override),
        )
        .route("/api/v1/lpr", get(list_lpr))
        .route("/api/v1/lpr/import", post(import_lpr))
        .route("/api/v1/tasks", get(tasks))
        .route("/api/v1/tasks/{id}/done", post(task_done))
        .route("/api/v1/loans/{id}/archive", post(archive))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: ServiceError) -> Vec<String> {
        match e {
            ServiceError::Invalid(v) => v.into_iter().map(|x| x.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn request_statuses_are_the_three_states_only() {
        assert_eq!(request_status(None).ok(), Some(None));
        assert_eq!(request_status(Some(" ")).ok(), Some(None));
        assert_eq!(
            request_status(Some("requested")).ok(),
            Some(Some("requested"))
        );
        match request_status(Some("open")) {
            Err(e) => assert_eq!(fields(e), ["status"]),
            Ok(s) => panic!("{s:?}"),
        }
    }

    #[test]
    fn negative_periods_name_their_field() {
        let bad = RestructureRequest {
            kind: "extension".into(),
            extra_periods: Some(-1),
            new_rate: None,
            method: None,
            grace_periods: Some(i64::from(u32::MAX) + 1),
            lpr_tenor: None,
            rate_spread: None,
            repricing_rule: None,
            reason: "r".into(),
        };
        match bad.input() {
            Err(e) => assert_eq!(fields(e), ["extra_periods", "grace_periods"]),
            Ok(i) => panic!("{i:?}"),
        }
        let good = RestructureRequest {
            kind: " extension ".into(),
            extra_periods: Some(6),
            new_rate: None,
            method: None,
            grace_periods: None,
            lpr_tenor: None,
            rate_spread: None,
            repricing_rule: None,
            reason: "r".into(),
        }
        .input()
        .map(|i| (i.kind, i.extra_periods));
        assert_eq!(
            good.map_err(|e| e.to_string()),
            Ok(("extension".to_owned(), Some(6)))
        );
    }
}
