//! Servicing over HTTP on SQLite and PostgreSQL: a booked loan closed day by day through
//! `POST /eod/run`, read by id and by external id, a late repayment posted once under an
//! Idempotency-Key, refused input that writes nothing, a prepayment, the payoff quote and
//! the payoff — ending with the ledger check.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{apps, call, login};
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_service::applications::{FundingSourceInput, create_funding_source};
use loanbook_service::customers::{self, CustomerInput};
use loanbook_service::servicing::book::{BookLoanInput, book_loan};
use loanbook_service::{Actor, App, demo, ledger, products};
use serde_json::{Value, json};
use tower::ServiceExt;

const EXTERNAL_ID: &str = "CORE-2026-000017";

/// A product without grace (penalty ×1.5, compound interest), a funding source, a
/// borrower and a loan booked on the business date 2026-11-23: 100,000.00 at 4.35% over
/// 12 months, annuity. Returns the loan's id.
async fn book(app: &App) -> i64 {
    let admin = Actor::system();
    let product = json!({
        "code": "SVC", "name": "servicing test", "currency": "CNY",
        "amount_min": "1000", "amount_max": "1000000", "term_min_months": 1, "term_max_months": 36,
        "rate_min": "0.01", "rate_max": "0.24", "methods": ["annuity", "equal_principal"],
        "grace_days": 0, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "prepayment_penalty_rate": "0"
    });
    products::add(app, &admin, &product).await.unwrap();
    create_funding_source(
        app,
        &admin,
        &FundingSourceInput {
            code: "OWN".into(),
            name: "own funds".into(),
            currency: None,
            limit: "100000000.00".into(),
        },
    )
    .await
    .unwrap();
    let customer = customers::create(
        app,
        &admin,
        &CustomerInput {
            kind: "individual".into(),
            name: "李四".into(),
            id_number: Some(demo::resident_id("11010119850312", 7)),
            phone: Some("13800138007".into()),
            province: Some("广东省".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap();
    book_loan(
        app,
        &admin,
        &BookLoanInput {
            external_id: Some(EXTERNAL_ID.into()),
            customer_id: customer.id,
            product_code: "SVC".into(),
            principal: Money::parse("100000", Currency::CNY).unwrap(),
            annual_rate: AnnualRate::parse("0.0435").unwrap(),
            term: 12,
            method: RepaymentMethod::Annuity,
            funding_source: "OWN".into(),
        },
    )
    .await
    .unwrap()
}

/// POSTs JSON with an optional Idempotency-Key; returns the status, the body and its type.
async fn post(
    router: &axum::Router,
    uri: &str,
    token: &str,
    key: Option<&str>,
    body: Value,
) -> (StatusCode, Value, String) {
    let mut request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        content_type,
    )
}

async fn get(router: &axum::Router, uri: &str, token: &str) -> (StatusCode, Value) {
    let (status, body, _) = call(router, "GET", uri, Some(token), None).await;
    (status, body)
}

/// What has been written: (loan transactions, journal entries).
async fn written(router: &axum::Router, app: &App, loan: i64, token: &str) -> (usize, usize) {
    let (_, txns) = get(router, &format!("/api/v1/loans/{loan}/transactions"), token).await;
    let entries = ledger::entries(app, &Actor::system(), None, 500)
        .await
        .unwrap();
    (txns.as_array().unwrap().len(), entries.len())
}

fn servicing_fields(loan: &Value) -> Value {
    json!({
        "dpd": loan["dpd"], "bucket": loan["bucket"], "five_tier_class": loan["five_tier_class"],
        "overdue_principal": loan["overdue_principal"], "overdue_interest": loan["overdue_interest"],
        "interest_accrued": loan["interest_accrued"], "penalty_interest": loan["penalty_interest"],
        "compound_interest": loan["compound_interest"], "advance_balance": loan["advance_balance"],
    })
}

#[tokio::test]
async fn a_late_loan_serviced_over_http_balances_the_ledger() {
    for (router, app, t) in apps().await {
        let label = t.label;
        let id = book(&app).await;
        let ops = login(&router, "operations").await;

        // close 2026-11-23 … 2027-01-02 over HTTP: installment 1 (8,168.49 principal +
        // 362.50 interest) fell due on 2026-12-23 and is ten closed days overdue
        let (status, reports, _) = post(
            &router,
            "/api/v1/eod/run",
            &ops,
            None,
            json!({"until": "2027-01-02", "workers": 2}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {reports}");
        let reports = reports.as_array().unwrap();
        // Nov 23 … Nov 30 (8) + December (31) + Jan 1, 2 (2) = 41 closes
        assert_eq!(reports.len(), 41, "{label}");
        assert_eq!(reports[0]["business_date"], "2026-11-23");
        assert_eq!(reports[40]["next_business_date"], "2027-01-03");
        assert_eq!(reports[30]["fell_due"], 1, "{label}: Dec 23");
        // the same date again changes nothing
        let (status, again, _) = post(
            &router,
            "/api/v1/eod/run",
            &ops,
            None,
            json!({"until": "2027-01-02"}),
        )
        .await;
        assert_eq!(
            (status, again[0]["already_closed"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{label}: {again}"
        );
        let (status, problem, content_type) = post(
            &router,
            "/api/v1/eod/run",
            &ops,
            None,
            json!({"until": "2027-13-01", "workers": 0}),
        )
        .await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json")
        );
        assert_eq!(problem["errors"][0]["field"], "until");
        assert_eq!(problem["errors"][1]["field"], "workers");
        let (status, runs) = get(&router, "/api/v1/eod/runs?limit=3", &ops).await;
        assert_eq!(status, StatusCode::OK);
        let dates: Vec<&str> = runs
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["business_date"].as_str().unwrap())
            .collect();
        assert_eq!(dates, ["2027-01-02", "2027-01-01", "2026-12-31"], "{label}");
        assert_eq!(runs[0]["status"], "done", "{label}: {runs}");

        // the loan by id and by external id: the same loan, the same balances
        let (status, by_id) = get(&router, &format!("/api/v1/loans/{id}"), &ops).await;
        assert_eq!(status, StatusCode::OK, "{label}: {by_id}");
        let (status, by_external) =
            get(&router, &format!("/api/v1/loans/{EXTERNAL_ID}"), &ops).await;
        assert_eq!(status, StatusCode::OK, "{label}: {by_external}");
        assert_eq!(by_external["id"], id);
        assert_eq!(by_external["external_id"], EXTERNAL_ID);
        assert_eq!(servicing_fields(&by_id), servicing_fields(&by_external));
        // penalty: 816849 × 0.0435 × 1.5 / 360 = 148.053881 minor a day × 10 = 14.81
        // compound: 36250 × 0.0435 × 1.5 / 360 = 6.570313 minor a day × 10 = 0.66
        // interest accrued of period 2 (Dec 23 → Jan 23, 31 days; the close of D accrues
        // the day ending on D): (100000 − 8168.49) × 0.0435 / 12 = 332.89;
        //   10 of 31 days closed (Dec 24 … Jan 2) → 332.89 × 10 / 31 = 107.38
        assert_eq!(
            servicing_fields(&by_id),
            json!({
                "dpd": 10, "bucket": "M1", "five_tier_class": "special_mention",
                "overdue_principal": "8168.49", "overdue_interest": "362.50",
                "interest_accrued": "107.38", "penalty_interest": "14.81",
                "compound_interest": "0.66", "advance_balance": "0.00",
            }),
            "{label}"
        );
        for uri in [
            format!("/api/v1/loans/{EXTERNAL_ID}/schedule"),
            format!("/api/v1/loans/{EXTERNAL_ID}/transactions"),
        ] {
            let (status, list) = get(&router, &uri, &ops).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {list}");
            assert!(!list.as_array().unwrap().is_empty(), "{uri}");
        }
        for uri in [
            "/api/v1/loans/NO-SUCH-LOAN".to_owned(),
            "/api/v1/loans/NO-SUCH-LOAN/schedule".to_owned(),
            "/api/v1/loans/NO-SUCH-LOAN/payoff".to_owned(),
            format!("/api/v1/loans/{}", id + 1000),
            "/api/v1/loans/99999999999999999999".to_owned(),
        ] {
            let (status, problem, content_type) =
                call(&router, "GET", &uri, Some(&ops), None).await;
            assert_eq!(
                (status, content_type.as_str()),
                (StatusCode::NOT_FOUND, "application/problem+json"),
                "{label}: {uri}: {problem}"
            );
        }
        let (status, _, _) = post(
            &router,
            "/api/v1/loans/NO-SUCH-LOAN/repayments",
            &ops,
            None,
            json!({"amount": "1.00"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // refused input writes nothing: a negative amount names `amount`
        let before = written(&router, &app, id, &ops).await;
        let (status, problem, content_type) = post(
            &router,
            &format!("/api/v1/loans/{EXTERNAL_ID}/repayments"),
            &ops,
            Some("rp-bad"),
            json!({"amount": "-1"}),
        )
        .await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json"),
            "{label}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "amount", "{problem}");
        assert_eq!(problem["errors"][0]["rule"], "must be greater than 0");
        let (status, problem, _) = post(
            &router,
            &format!("/api/v1/loans/{id}/repayments"),
            &ops,
            Some(""),
            json!({"amount": "100.00"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
        assert_eq!(written(&router, &app, id, &ops).await, before, "{label}");
        let (_, unchanged) = get(&router, &format!("/api/v1/loans/{id}"), &ops).await;
        assert_eq!(servicing_fields(&unchanged), servicing_fields(&by_id));
        // the collector may read the loan but not take money
        let collector = login(&router, "collector").await;
        let (status, _, _) = post(
            &router,
            &format!("/api/v1/loans/{id}/repayments"),
            &collector,
            None,
            json!({"amount": "100.00"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // the arrears in one payment, in waterfall order, under an Idempotency-Key
        // 14.81 + 0.66 + 362.50 + 8168.49 = 8546.46
        let body = json!({"amount": "8546.46", "channel": "bank_transfer", "reference": "BT-0103"});
        let uri = format!("/api/v1/loans/{EXTERNAL_ID}/repayments");
        let (status, paid, _) = post(&router, &uri, &ops, Some("rp-1"), body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {paid}");
        assert_eq!(
            paid["allocation"],
            json!({"penalty_interest": "14.81", "compound_interest": "0.66", "fees": "0.00",
                   "interest": "362.50", "principal": "8168.49", "advance": "0.00"}),
            "{label}"
        );
        assert_eq!(
            (paid["loan_id"].as_i64(), paid["amount"].as_str()),
            (Some(id), Some("8546.46"))
        );
        // the retry answers the first result and posts nothing
        let (status, retry, _) = post(&router, &uri, &ops, Some("rp-1"), body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {retry}");
        assert_eq!(retry, paid);
        let (txns, entries) = written(&router, &app, id, &ops).await;
        assert_eq!(
            (txns, entries),
            (before.0 + 1, before.1 + 1),
            "{label}: one transaction and one entry"
        );
        let (_, list) = get(&router, &format!("/api/v1/loans/{id}/transactions"), &ops).await;
        let repayments: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == "repayment")
            .collect();
        assert_eq!(repayments.len(), 1, "{label}");
        assert_eq!(repayments[0]["id"], paid["transaction_id"]);
        // the same key with another body is a conflict
        let (status, problem, _) = post(
            &router,
            &uri,
            &ops,
            Some("rp-1"),
            json!({"amount": "1.00", "channel": "bank_transfer", "reference": "BT-0103"}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{label}: {problem}");
        let (_, cured) = get(&router, &format!("/api/v1/loans/{id}"), &ops).await;
        assert_eq!(
            (
                cured["dpd"].as_i64(),
                cured["overdue_principal"].as_str(),
                cured["penalty_interest"].as_str()
            ),
            // DPD, bucket and class are the close's: they move at the next close
            (Some(10), Some("0.00"), Some("0.00")),
            "{label}: {cured}"
        );

        // a prepayment: a bad mode is named; reduce_term shortens the schedule
        let prepay = format!("/api/v1/loans/{id}/prepayments");
        let (status, problem, _) = post(
            &router,
            &prepay,
            &ops,
            None,
            json!({"amount": "20000.00", "mode": "shorter"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "mode");
        let (status, prepaid, _) = post(
            &router,
            &prepay,
            &ops,
            Some("pp-1"),
            json!({"amount": "20000.00", "mode": "reduce_term"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {prepaid}");
        assert_eq!(prepaid["kind"], "prepayment");
        // the interest accrued to the day of payment is paid first (11 days, Dec 24 …
        // Jan 3: 332.89 × 11 / 31 = 118.12), the rest repays principal:
        // 20000.00 − 118.12 = 19881.88
        assert_eq!(
            (
                prepaid["allocation"]["interest"].as_str(),
                prepaid["allocation"]["principal"].as_str()
            ),
            (Some("118.12"), Some("19881.88")),
            "{label}: {prepaid}"
        );
        let (status, _, _) = post(
            &router,
            &prepay,
            &ops,
            Some("pp-1"),
            json!({"amount": "20000.00", "mode": "reduce_installment"}),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "{label}: the mode is part of the request"
        );
        let (_, schedule) = get(&router, &format!("/api/v1/loans/{id}/schedule"), &ops).await;
        let pending = schedule
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["status"] == "pending")
            .count();
        assert!(pending < 11, "{label}: {pending} installments left");

        // the payoff quote, then the payoff of exactly the quote
        let (status, problem, _) = call(
            &router,
            "GET",
            &format!("/api/v1/loans/{id}/payoff?date=tomorrow"),
            Some(&ops),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "date");
        let (status, quote) = get(
            &router,
            &format!("/api/v1/loans/{EXTERNAL_ID}/payoff?date=2027-01-03"),
            &ops,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {quote}");
        // 100000 − 8168.49 − 19881.88 = 71949.63; the interest to Jan 3 is paid
        assert_eq!(
            (
                quote["date"].as_str(),
                quote["principal"].as_str(),
                quote["interest"].as_str(),
                quote["penalty_interest"].as_str(),
                quote["total"].as_str()
            ),
            (
                Some("2027-01-03"),
                Some("71949.63"),
                Some("0.00"),
                Some("0.00"),
                Some("71949.63")
            ),
            "{label}: {quote}"
        );
        let (status, short, _) = post(
            &router,
            &format!("/api/v1/loans/{id}/payoff"),
            &ops,
            None,
            json!({"amount": "100.00"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{short}");
        assert_eq!(short["errors"][0]["field"], "amount");
        let (status, done, _) = post(
            &router,
            &format!("/api/v1/loans/{EXTERNAL_ID}/payoff"),
            &ops,
            Some("po-1"),
            json!({"amount": quote["total"], "channel": "counter"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {done}");
        assert_eq!(
            (done["kind"].as_str(), done["loan_status"].as_str()),
            (Some("payoff"), Some("closed"))
        );
        let (_, closed) = get(&router, &format!("/api/v1/loans/{EXTERNAL_ID}"), &ops).await;
        assert_eq!(
            (
                closed["status"].as_str(),
                closed["principal_outstanding"].as_str()
            ),
            (Some("closed"), Some("0.00")),
            "{label}: {closed}"
        );

        // one more close over HTTP, then the ledger reconciles
        let (status, last, _) = post(&router, "/api/v1/eod/run", &ops, None, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{label}: {last}");
        assert_eq!(last[0]["business_date"], "2027-01-03");
        let check = ledger::check(&app, &Actor::system()).await.unwrap();
        assert!(check.is_ok(), "{label}: {check:?}");
    }
}
