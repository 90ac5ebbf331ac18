//! Collections over HTTP on SQLite and PostgreSQL: a loan unpaid for four days is in the
//! collector's M1 queue (money as 2-decimal strings); the contact rules and bad amounts are
//! refused naming the field; the collector may not change the strategy, a bad strategy is
//! refused; a settlement is offered by operations, refused to operations' approval, approved
//! by the approver and paid; the routes are in the OpenAPI document.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{apps, call, login};
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_service::applications::{FundingSourceInput, create_funding_source};
use loanbook_service::customers::{self, CustomerInput};
use loanbook_service::servicing::book::{BookLoanInput, book_loan};
use loanbook_service::servicing::eod::{self, RunOptions};
use loanbook_service::{Actor, App, demo, products};
use serde_json::json;

/// 韩梅梅 with 24,000.00 over 12 months booked on 2026-11-23 (first due 2026-12-23).
async fn borrower(app: &App) -> (i64, i64) {
    let admin = Actor::system();
    let product = json!({
        "code": "COL", "name": "collections test", "currency": "CNY",
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
        limit: "100000000.00".into(),
    };
    create_funding_source(app, &admin, &source).await.unwrap();
    let customer = customers::create(
        app,
        &admin,
        &CustomerInput {
            kind: "individual".into(),
            name: "韩梅梅".into(),
            id_number: Some(demo::resident_id("11010119900101", 33)),
            phone: Some("13800138033".into()),
            province: Some("浙江省".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap();
    let loan = book_loan(
        app,
        &admin,
        &BookLoanInput {
            external_id: None,
            customer_id: customer.id,
            product_code: "COL".into(),
            principal: Money::parse("24000", Currency::CNY).unwrap(),
            annual_rate: AnnualRate::parse("0.12").unwrap(),
            term: 12,
            method: RepaymentMethod::Annuity,
            funding_source: "OWN".into(),
        },
    )
    .await
    .unwrap();
    (customer.id, loan)
}

#[tokio::test]
async fn a_case_is_worked_and_settled_through_the_api() {
    for (router, app, t) in apps().await {
        let label = t.label;
        let (customer, loan) = borrower(&app).await;
        let operations = login(&router, "operations").await;
        let collector = login(&router, "collector").await;
        let approver = login(&router, "approver").await;
        let (status, body, _) = call(
            &router,
            "PUT",
            "/api/v1/collections/collectors",
            Some(&operations),
            Some(json!({"username": "collector", "queues": ["M1", "M2"]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        // closes through 2026-12-27: four days past due, the phone stage, given to the collector
        let opts = RunOptions {
            until: Some(NaiveDate::from_ymd_opt(2026, 12, 27).unwrap()),
            ..RunOptions::default()
        };
        eod::run(&app, &Actor::system(), &opts, &|_, _, _| {})
            .await
            .unwrap();
        let (status, cases, _) = call(
            &router,
            "GET",
            "/api/v1/collections/cases?queue=M1",
            Some(&collector),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {cases}");
        let case = &cases[0];
        assert_eq!(case["loan_id"], loan, "{label}");
        assert_eq!(case["customer_id"], customer);
        assert_eq!(case["stage"], "phone");
        assert_eq!(case["dpd"], 4);
        assert_eq!(case["assigned_to"], "collector");
        // 24,000.00 at 12%: 2,132.38 due 12-23; 4 days of penalty on principal and
        // compound interest on interest make the overdue amount a little more
        let overdue = case["overdue"].as_str().unwrap();
        assert!(
            overdue.starts_with("2,13") || overdue.starts_with("213"),
            "{overdue}"
        );
        assert_eq!(
            overdue.split('.').nth(1).map(str::len),
            Some(2),
            "{overdue}"
        );
        let id = case["id"].as_i64().unwrap();

        // the reports see the one loan of the book past due: PAR1 is all of it
        let (status, report, _) = call(
            &router,
            "GET",
            "/api/v1/reports/portfolio",
            Some(&operations),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {report}");
        assert_eq!(
            (
                report["loans"].as_i64(),
                report["par1"].as_str(),
                report["par30"].as_str()
            ),
            (Some(1), Some("1.0000"), Some("0.0000")),
            "{report}"
        );
        assert_eq!(report["business_date"], "2026-12-27");
        let (status, body, _) = call(
            &router,
            "GET",
            "/api/v1/reports/cash-flow?months=0",
            Some(&operations),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "months", "{body}");

        let (status, body, _) = call(
            &router,
            "POST",
            &format!("/api/v1/collections/cases/{id}/actions"),
            Some(&collector),
            Some(json!({"kind": "call", "party": "third_party", "outcome": "promise_to_pay"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "party", "{body}");
        let (status, body, _) = call(
            &router,
            "POST",
            &format!("/api/v1/collections/cases/{id}/promises"),
            Some(&collector),
            Some(json!({"amount": "abc", "promised_date": "2026-12-30"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "amount", "{body}");

        let strategy =
            json!({"steps": [{"from_dpd": 2, "stage": "reminder"}], "assignment": "workload"});
        let (status, _, _) = call(
            &router,
            "PUT",
            "/api/v1/collections/strategy",
            Some(&collector),
            Some(strategy.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
        let (status, body, _) = call(
            &router,
            "PUT",
            "/api/v1/collections/strategy",
            Some(&operations),
            Some(strategy),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "steps", "{body}");

        let (status, offer, _) = call(
            &router,
            "POST",
            &format!("/api/v1/collections/cases/{id}/settlements"),
            Some(&operations),
            Some(json!({"amount": "20000.00", "pay_by": "2027-01-10", "reason": "hardship"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {offer}");
        let sid = offer["id"].as_i64().unwrap();
        let approve = format!("/api/v1/settlements/{sid}/approve");
        let (status, _, _) = call(
            &router,
            "POST",
            &approve,
            Some(&operations),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
        let (status, body, _) = call(
            &router,
            "POST",
            &approve,
            Some(&approver),
            Some(json!({"note": "ok"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        let (status, paid, _) = call(
            &router,
            "POST",
            &format!("/api/v1/settlements/{sid}/pay"),
            Some(&operations),
            Some(json!({"reference": "BANK-1"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {paid}");
        assert_eq!(paid["status"], "settled");
        let (_, loan_body, _) = call(
            &router,
            "GET",
            &format!("/api/v1/loans/{loan}"),
            Some(&operations),
            None,
        )
        .await;
        assert_eq!(loan_body["status"], "closed", "{label}: {loan_body}");

        let (status, body, _) = call(
            &router,
            "PUT",
            &format!("/api/v1/customers/{customer}/contact-preferences"),
            Some(&login(&router, "customer.service").await),
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert_eq!(body["errors"][0]["field"], "time_zone", "{body}");

        let (_, doc, _) = call(&router, "GET", "/api/openapi.json", None, None).await;
        for path in [
            "/api/v1/collections/cases",
            "/api/v1/settlements/{id}/pay",
            "/api/v1/outbox",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path}");
        }
    }
}
