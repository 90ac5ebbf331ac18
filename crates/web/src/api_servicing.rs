//! `/api/v1` for servicing: repayments, partial prepayments, payoff quotes and payoffs of a
//! loan, refunds of the advance and reversals of repayments, the book migration and bank
//! statement imports (CSV bodies), and the daily close (日终) with its history.
//!
//! A loan is addressed by its id or by its external id (`loans::resolve`). Money-moving
//! posts take an `Idempotency-Key` header: a retry answers the first result and posts
//! nothing; the same key with another body answers 409.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use chrono::NaiveDate;
use loanbook_core::servicing::prepayment::PrepaymentMode;
use loanbook_service::loans;
use loanbook_service::servicing::eod::{self, MAX_WORKERS, RunOptions};
use loanbook_service::servicing::migration::{self, ImportOptions};
use loanbook_service::servicing::refunds::{self, RefundInput};
use loanbook_service::servicing::repayments::{self, RepaymentInput};
use loanbook_service::servicing::{reversals, statements};
use loanbook_service::{Permission, ServiceError, Violation};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::api::{ApiResult, created, ok};
use crate::extract::{Authenticated, JsonBody, TextBody};
use crate::problem::Problem;

/// The largest CSV body of an import: room for 100,000 rows of a few hundred bytes.
pub const MAX_CSV_BYTES: usize = 64 << 20;

/// `POST /api/v1/loans/{id}/repayments`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepaymentRequest {
    /// Amount received, e.g. "8546.46".
    pub amount: String,
    /// Value date, YYYY-MM-DD (default: the business date; at most 31 days back).
    pub paid_on: Option<String>,
    /// bank_transfer (default), auto_debit, cash, counter, online or statement.
    pub channel: Option<String>,
    /// The payer's or the bank's reference (at most 100 characters).
    pub reference: Option<String>,
}

/// `POST /api/v1/loans/{id}/prepayments`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepaymentRequest {
    /// Amount received: more than what is due with the interest accrued to date.
    pub amount: String,
    /// reduce_term (keep the installment, end earlier) or reduce_installment (keep the
    /// maturity, pay less each time).
    pub mode: String,
    /// As for a repayment.
    pub channel: Option<String>,
    /// As for a repayment.
    pub reference: Option<String>,
}

/// `POST /api/v1/loans/{id}/payoff`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoffRequest {
    /// Amount received: at least the payoff quote's total (any excess is held for a refund).
    pub amount: String,
    /// As for a repayment.
    pub channel: Option<String>,
    /// As for a repayment.
    pub reference: Option<String>,
}

/// `POST /api/v1/loans/{id}/refunds`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Amount to pay back, e.g. "120.00" (default: the whole advance held).
    pub amount: Option<String>,
    /// The bank transfer's reference (1–100 characters).
    pub reference: String,
}

/// `POST /api/v1/loans/{id}/transactions/{tx}/reversal`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalRequest {
    /// Why (1–200 characters), e.g. "returned by the bank".
    pub reason: String,
}

/// `POST /api/v1/eod/run`
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EodRunRequest {
    /// Close every date up to and including this one, YYYY-MM-DD (default: the open
    /// business date).
    pub until: Option<String>,
    /// Concurrent workers in this process, 1 to 64 (default 1).
    pub workers: Option<i64>,
}

impl EodRunRequest {
    /// The run options, or every field that does not parse.
    fn options(&self) -> Result<RunOptions, ServiceError> {
        let mut v = Vec::new();
        let until = match self.until.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| {
                    v.push(Violation::new(
                        "until",
                        format!("'{text}' is not a date (YYYY-MM-DD)"),
                    ));
                })
                .ok(),
        };
        let workers = match self.workers {
            None => 1,
            Some(n) => match usize::try_from(n) {
                Ok(n) if (1..=MAX_WORKERS).contains(&n) => n,
                _ => {
                    v.push(Violation::new(
                        "workers",
                        format!("must be in 1..={MAX_WORKERS} (got {n})"),
                    ));
                    1
                }
            },
        };
        if !v.is_empty() {
            return Err(ServiceError::Invalid(v));
        }
        Ok(RunOptions {
            until,
            workers,
            worker_name: format!("api-pid-{}", std::process::id()),
            ..RunOptions::default()
        })
    }
}

/// The `Idempotency-Key` header, if sent. A key that is not visible ASCII is refused
/// rather than ignored: ignoring it would make a retry post twice.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, Problem> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => value.to_str().map(Some).map_err(|_| {
            ServiceError::invalid("Idempotency-Key", "must be visible ASCII characters").into()
        }),
    }
}

/// The prepayment mode named by `text`.
fn parse_mode(text: &str) -> Result<PrepaymentMode, ServiceError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        ServiceError::invalid(
            "mode",
            format!("must be reduce_term or reduce_installment (got '{text}')"),
        )
    })
}

/// Record a repayment: the money goes down the product's waterfall (penalty → compound →
/// fees → overdue interest → overdue principal → due interest → due principal), the rest
/// is held as an advance. A backdated `paid_on` takes back the penalty interest the
/// payment did not owe. Send `Idempotency-Key`: a retry answers the first result and
/// posts nothing.
#[utoipa::path(post, path = "/api/v1/loans/{id}/repayments", tag = "servicing", request_body = RepaymentRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id"), ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")), security(("bearer" = [])),
    responses((status = 201, description = "the repayment with its allocation by component"), (status = 404, description = "no such loan"), (status = 409, description = "not being serviced, or a key reused for another body"), (status = 422, description = "amount, paid_on, channel, reference or the key refused")))]
async fn repay(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    headers: HeaderMap,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<RepaymentRequest>,
) -> ApiResult {
    let idempotency = idempotency_key(&headers)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = RepaymentInput {
        amount: b.amount,
        paid_on: b.paid_on,
        channel: b.channel,
        reference: b.reference,
    };
    created(repayments::repay(&s.app, &actor, id, &input, idempotency).await?)
}

/// A partial prepayment (提前还款): what is due is paid first, the rest repays principal and
/// the pending installments are rescheduled by `mode`. Takes `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/loans/{id}/prepayments", tag = "servicing", request_body = PrepaymentRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id"), ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")), security(("bearer" = [])),
    responses((status = 201, description = "the prepayment with its allocation"), (status = 404, description = "no such loan"), (status = 409, description = "not being serviced, nothing left to reschedule, or a key reused"), (status = 422, description = "amount (not beyond what is due, or everything: pay off instead) or mode refused")))]
async fn prepay(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    headers: HeaderMap,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<PrepaymentRequest>,
) -> ApiResult {
    actor.require(Permission::RepaymentPost)?;
    let mode = parse_mode(&b.mode)?;
    let idempotency = idempotency_key(&headers)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = RepaymentInput {
        amount: b.amount,
        paid_on: None,
        channel: b.channel,
        reference: b.reference,
    };
    created(repayments::prepay(&s.app, &actor, id, &input, mode, idempotency).await?)
}

/// Pay the loan off (结清) on the business date: the amount must cover the payoff quote;
/// the loan is closed. Takes `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/loans/{id}/payoff", tag = "servicing", request_body = PayoffRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id"), ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")), security(("bearer" = [])),
    responses((status = 201, description = "the payoff with its allocation; loan_status closed"), (status = 404, description = "no such loan"), (status = 409, description = "not being serviced, or a key reused"), (status = 422, description = "amount below the quote")))]
async fn pay_off(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    headers: HeaderMap,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<PayoffRequest>,
) -> ApiResult {
    let idempotency = idempotency_key(&headers)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = RepaymentInput {
        amount: b.amount,
        paid_on: None,
        channel: b.channel,
        reference: b.reference,
    };
    created(repayments::pay_off(&s.app, &actor, id, &input, idempotency).await?)
}

/// Pay back the advance (溢缴款) a loan holds, all of it or `amount` (never more): Dr 2241
/// / Cr 1001 of the loan's funding source. A settled loan whose advance is refunded
/// closes. Takes `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/loans/{id}/refunds", tag = "servicing", request_body = RefundRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id"), ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")), security(("bearer" = [])),
    responses((status = 201, description = "the refund, the advance left and the loan's status"), (status = 404, description = "no such loan"), (status = 409, description = "not being serviced, or a key reused"), (status = 422, description = "amount (none held, or more than held) or reference refused")))]
async fn refund(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    headers: HeaderMap,
    Path(key): Path<String>,
    JsonBody(b): JsonBody<RefundRequest>,
) -> ApiResult {
    let idempotency = idempotency_key(&headers)?;
    let id = loans::resolve(&s.app, &actor, &key).await?;
    let input = RefundInput {
        amount: b.amount,
        reference: b.reference,
    };
    created(refunds::refund(&s.app, &actor, id, &input, idempotency).await?)
}

/// Reverse a posted repayment, prepayment or payoff (a payment returned by the bank): the
/// loan is replayed from its state before it, every later close and payment re-applied in
/// order, and the difference posted as one entry. Twice answers 409.
#[utoipa::path(post, path = "/api/v1/loans/{id}/transactions/{tx}/reversal", tag = "servicing", request_body = ReversalRequest,
    params(("id" = String, Path, description = "the loan's id, or its external id"), ("tx" = i64, Path, description = "the loan transaction to reverse")), security(("bearer" = [])),
    responses((status = 201, description = "the reversal with the later transactions' new allocations"), (status = 404, description = "no such loan or transaction"), (status = 409, description = "reversed already, or the later transactions cannot be replayed"), (status = 422, description = "reason, or a transaction that is not a payment")))]
async fn reverse(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path((key, tx)): Path<(String, i64)>,
    JsonBody(b): JsonBody<ReversalRequest>,
) -> ApiResult {
    let id = loans::resolve(&s.app, &actor, &key).await?;
    created(reversals::reverse(&s.app, &actor, id, tx, &b.reason).await?)
}

#[derive(Deserialize)]
struct ImportQuery {
    funding_source: Option<String>,
}

/// Bring active loans from another system (CSV body: external_id, customer_name,
/// id_number, phone, province, product_code, principal, annual_rate, term, method,
/// disbursed_on, and optionally first_due, principal_repaid, interest_repaid,
/// funding_source), all or nothing: each loan is brought to the business date by the daily
/// close itself, with its accrued interest, overdue amounts, penalty, DPD and class.
#[utoipa::path(post, path = "/api/v1/loans/import", tag = "servicing", request_body(content = String, content_type = "text/csv"),
    params(("funding_source" = Option<String>, Query, description = "for rows without a funding_source")), security(("bearer" = [])),
    responses((status = 201, description = "the loans imported, by row"), (status = 422, description = "every bad row, its field and rule; nothing imported")))]
async fn import_loans(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<ImportQuery>,
    TextBody(body): TextBody,
) -> ApiResult {
    let opts = ImportOptions {
        funding_source: q.funding_source,
    };
    created(migration::import_loans(&s.app, &actor, &body, &opts).await?)
}

/// Import a bank statement (CSV body: loan (id or external id), amount, paid_on,
/// reference), all or nothing: each line is a repayment; a reference imported before for
/// the loan is refused.
#[utoipa::path(post, path = "/api/v1/payments/statement", tag = "servicing", request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 201, description = "the repayments posted"), (status = 422, description = "every bad row, its field and rule; nothing posted")))]
async fn import_statement(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    TextBody(body): TextBody,
) -> ApiResult {
    created(statements::import_statement(&s.app, &actor, &body).await?)
}

#[derive(Deserialize)]
struct QuoteQuery {
    date: Option<String>,
}

/// What it takes to pay the loan off on `date` (default: the business date): principal,
/// interest accrued to the date, penalty and compound interest, fees and the prepayment
/// fee, less the advance held.
#[utoipa::path(get, path = "/api/v1/loans/{id}/payoff", tag = "servicing",
    params(("id" = String, Path, description = "the loan's id, or its external id"), ("date" = Option<String>, Query, description = "YYYY-MM-DD")), security(("bearer" = [])),
    responses((status = 200, description = "the quote"), (status = 404, description = "no such loan"), (status = 409, description = "not being serviced"), (status = 422, description = "date refused")))]
async fn payoff_quote(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Path(key): Path<String>,
    Query(q): Query<QuoteQuery>,
) -> ApiResult {
    let id = loans::resolve(&s.app, &actor, &key).await?;
    ok(repayments::payoff_quote(&s.app, &actor, id, q.date.as_deref()).await?)
}

/// Run the daily close of the open business date, or of every date through `until` (needs
/// `eod:run`): accrual, due and overdue installments, penalty and compound interest, DPD,
/// bucket, five-tier class, provisions, the ledger, then the next business date. A date
/// closed already changes nothing (`already_closed`). The answer waits for the close.
#[utoipa::path(post, path = "/api/v1/eod/run", tag = "servicing", request_body = EodRunRequest, security(("bearer" = [])),
    responses((status = 200, description = "the report of every date closed"), (status = 409, description = "a loan out of step, or the close still running elsewhere"), (status = 422, description = "until or workers refused")))]
async fn run_eod(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    JsonBody(b): JsonBody<EodRunRequest>,
) -> ApiResult {
    actor.require(Permission::EodRun)?;
    let opts = b.options()?;
    ok(eod::run(&s.app, &actor, &opts, &|_, _, _| {}).await?)
}

#[derive(Deserialize)]
struct RunsQuery {
    limit: Option<i64>,
}

/// The most recent closes, newest first: business_date, status, started_at, finished_at and
/// the report (`limit`, default 50, at most 1000).
#[utoipa::path(get, path = "/api/v1/eod/runs", tag = "servicing", params(("limit" = Option<i64>, Query)), security(("bearer" = [])),
    responses((status = 200, description = "closes, newest first")))]
async fn eod_runs(
    State(s): State<AppState>,
    Authenticated(actor, _): Authenticated,
    Query(q): Query<RunsQuery>,
) -> ApiResult {
    ok(eod::history(&s.app, &actor, q.limit.unwrap_or(50)).await?)
}

/// The OpenAPI document of these routes (merged into the whole).
#[derive(OpenApi)]
#[openapi(
    paths(
        repay,
        prepay,
        pay_off,
        payoff_quote,
        refund,
        reverse,
        import_loans,
        import_statement,
        run_eod,
        eod_runs
    ),
    components(schemas(
        RepaymentRequest,
        PrepaymentRequest,
        PayoffRequest,
        RefundRequest,
        ReversalRequest,
        EodRunRequest
    )),
    tags((name = "servicing"))
)]
pub struct ServicingDoc;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/loans/{id}/repayments", post(repay))
        .route("/api/v1/loans/{id}/prepayments", post(prepay))
        .route("/api/v1/loans/{id}/payoff", get(payoff_quote).post(pay_off))
        .route("/api/v1/loans/{id}/refunds", post(refund))
        .route(
            "/api/v1/loans/{id}/transactions/{tx}/reversal",
            post(reverse),
        )
        .route(
            "/api/v1/loans/import",
            post(import_loans).layer(DefaultBodyLimit::max(MAX_CSV_BYTES)),
        )
        .route(
            "/api/v1/payments/statement",
            post(import_statement).layer(DefaultBodyLimit::max(MAX_CSV_BYTES)),
        )
        .route("/api/v1/eod/run", post(run_eod))
        .route("/api/v1/eod/runs", get(eod_runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_by_their_names_only() {
        assert_eq!(
            parse_mode("reduce_term").ok(),
            Some(PrepaymentMode::ReduceTerm)
        );
        assert_eq!(
            parse_mode("reduce_installment").ok(),
            Some(PrepaymentMode::ReduceInstallment)
        );
        match parse_mode("ReduceTerm") {
            Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, "mode"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn run_options_name_every_bad_field() {
        let bad = EodRunRequest {
            until: Some("2027-02-30".into()),
            workers: Some(0),
        };
        match bad.options() {
            Err(ServiceError::Invalid(v)) => {
                let fields: Vec<&str> = v.iter().map(|x| x.field.as_str()).collect();
                assert_eq!(fields, ["until", "workers"]);
            }
            other => panic!("{other:?}"),
        }
        let good = EodRunRequest {
            until: Some("2027-01-02".into()),
            workers: Some(4),
        }
        .options()
        .map_err(|e| e.to_string());
        let good = good.as_ref().map(|o| (o.until, o.workers));
        assert_eq!(
            good,
            Ok((NaiveDate::from_ymd_opt(2027, 1, 2), 4)),
            "the until date and the workers"
        );
    }
}
