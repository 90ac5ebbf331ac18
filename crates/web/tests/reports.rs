//! The officer, model and liquidity reports over HTTP on SQLite and PostgreSQL: a funding
//! source with one booked loan shows what is drawn and what its schedule brings back
//! (money as 2-decimal strings, ratios as decimal strings); bad parameters are refused
//! naming the field; a missing model is not found; the routes are in the OpenAPI document.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{apps, call, login};
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_service::applications::{FundingSourceInput, create_funding_source};
use loanbook_service::customers::{self, CustomerInput};
use loanbook_service::servicing::book::{BookLoanInput, book_loan};
use loanbook_service::{Actor, App, demo, products};
use serde_json::json;

/// 12,000.00 over 12 months booked on 2026-11-23 from a 100,000.00 source.
async fn book(app: &App) -> i64 {
    let admin = Actor::system();
    let product = json!({
        "code": "REP", "name": "reports test", "currency": "CNY",
        "amount_min": "1000", "amount_max": "1000000", "term_min_months": 1, "term_max_months": 36,
        "rate_min": "0.01", "rate_max": "0.24", "methods": ["annuity"],
        "grace_days": 0, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "prepayment_penalty_rate": "0"
    });
    products::add(app, &admin, &product).await.unwrap();
    let source = FundingSourceInput {
        code: "OWN".into(),
        name: "own funds".into(),
        currency: None,
        limit: "100000.00".into(),
    };
    create_funding_source(app, &admin, &source).await.unwrap();
    let customer = customers::create(
        app,
        &admin,
        &CustomerInput {
            kind: "individual".into(),
            name: "李雷".into(),
            id_number: Some(demo::resident_id("11010119880808", 41)),
            phone: Some("13800138041".into()),
            province: Some("江苏省".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap();
    book_loan(
        app,
        &admin,
        &BookLoanInput {
            external_id: None,
            customer_id: customer.id,
            product_code: "REP".into(),
            principal: Money::parse("12000", Currency::CNY).unwrap(),
            annual_rate: AnnualRate::parse("0.12").unwrap(),
            term: 12,
            method: RepaymentMethod::Annuity,
            funding_source: "OWN".into(),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn officer_model_and_liquidity_reports_over_the_api() {
    for (router, app, t) in apps().await {
        let label = t.label;
        book(&app).await;
        let token = login(&router, "operations").await;
        let get = |uri: &'static str| call(&router, "GET", uri, Some(&token), None);

        // 12,000.00 drawn of 100,000.00: 12 %; nothing falls due in November, the first
        // installment in December
        let (status, body, _) = get("/api/v1/reports/liquidity?months=3").await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        let own = &body[0];
        assert_eq!(
            (&own["code"], &own["limit"], &own["drawn"]),
            (&json!("OWN"), &json!("100000.00"), &json!("12000.00")),
            "{body}"
        );
        assert_eq!(
            (&own["available"], &own["utilisation"]),
            (&json!("88000.00"), &json!("0.1200"))
        );
        let inflows = own["inflows"].as_array().unwrap();
        assert_eq!(inflows.len(), 3);
        assert_eq!(inflows[0]["month"], "2026-11");
        assert_eq!(inflows[1]["month"], "2026-12");
        assert_eq!(inflows[0]["installments"], 0);
        assert_eq!(inflows[1]["installments"], 1);
        let (status, body, _) = get("/api/v1/reports/liquidity?months=121").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "months", "{body}");

        // the booked loan came without an application: no officer
        let (status, body, _) = get("/api/v1/reports/officers?from=2026-11-01&to=2026-11-30").await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert_eq!(body["officers"], json!([]), "{body}");
        assert_eq!(body["business_date"], "2026-11-23");
        let (status, body, _) = get("/api/v1/reports/officers?from=2026-11-30&to=2026-11-01").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "to", "{body}");
        let (status, body, _) = get("/api/v1/reports/officers?to=2026-11-01").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "from", "{body}");

        let (status, body, _) = get("/api/v1/reports/models").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{label}: {body}");
        let (status, body, _) = get("/api/v1/reports/models?model_id=champion").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "model_id", "{body}");

        let (_, doc, _) = call(&router, "GET", "/api/openapi.json", None, None).await;
        for path in [
            "/api/v1/reports/officers",
            "/api/v1/reports/models",
            "/api/v1/reports/liquidity",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path}");
        }
    }
}
