//! The book migration, bank statements, refunds and reversals over HTTP on SQLite and
//! PostgreSQL: CSV bodies all or nothing, a reversal re-opening the arrears, a refund of
//! the advance, and the refusals (a second reversal, a reversal that cannot replay the
//! refund after it) — ending with the ledger check.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{apps, login};
use loanbook_service::applications::{FundingSourceInput, create_funding_source};
use loanbook_service::{Actor, App, demo, ledger, products};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn setup(app: &App) {
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
}

/// POSTs a body of `content_type`; returns the status and the JSON answer.
async fn post(
    router: &axum::Router,
    uri: &str,
    token: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn migrated_loans_take_statements_refunds_and_reversals_over_http() {
    for (router, app, t) in apps().await {
        let label = t.label;
        setup(&app).await;
        let ops = login(&router, "operations").await;
        let id_number = demo::resident_id("44030119900101", 3);
        let header = "external_id,customer_name,id_number,phone,province,product_code,principal,annual_rate,term,method,disbursed_on,principal_repaid,interest_repaid";
        // a bad file first: nothing is imported, every bad row named
        let bad = format!(
            "{header}\nOLD-9,王芳,{id_number},13900139001,广东省,SVC,12000,0.12,12,annuity,2026-08-23,946.19,120.00\nOLD-9,王芳,{id_number},13900139001,广东省,SVC,-5,0.12,12,annuity,2026-08-23,,\n"
        );
        let (status, problem) = post(
            &router,
            "/api/v1/loans/import?funding_source=OWN",
            &ops,
            "text/csv",
            bad,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {problem}"
        );
        let errors = problem["errors"].as_array().unwrap();
        assert_eq!(
            (errors.len(), &errors[0]["row"], &errors[0]["field"]),
            (2, &json!(3), &json!("external_id")),
            "{label}: {problem}"
        );
        assert_eq!(errors[1]["field"], "principal");
        // 12,000.00 at 12% over 12 months from Aug 23, installment 1 repaid: installment 2
        // (955.65 + 110.54, due Oct 23) is 30 days late with 14.33 penalty and 1.66
        // compound interest at the close of Nov 22
        let good = format!(
            "{header}\nOLD-9,王芳,{id_number},13900139001,广东省,SVC,12000,0.12,12,annuity,2026-08-23,946.19,120.00\n"
        );
        let (status, imported) = post(
            &router,
            "/api/v1/loans/import?funding_source=OWN",
            &ops,
            "text/csv",
            good,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {imported}");
        let loan = imported["loans"][0]["loan_id"].as_i64().unwrap();
        assert_eq!(imported["loans"][0]["dpd"], 30);
        assert_eq!(imported["loans"][0]["penalty"], "15.99");

        // a statement by external id on Nov 23, the due date of installment 3 (1,066.19):
        // 1,066.19 + 14.33 + 1.66 = 1,082.18 clears the arrears, 1,066.19 installment 3,
        // and the 100.00 left is held as an advance
        let statement = "loan,amount,paid_on,reference\nOLD-9,2248.37,2026-11-23,S-1\n";
        let (status, posted) = post(
            &router,
            "/api/v1/payments/statement",
            &ops,
            "text/csv",
            statement.into(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {posted}");
        let s1 = posted["repayments"][0]["transaction_id"].as_i64().unwrap();
        assert_eq!(posted["repayments"][0]["allocation"]["advance"], "100.00");
        // the payment was returned: reversed, the arrears are back
        let uri = format!("/api/v1/loans/OLD-9/transactions/{s1}/reversal");
        let reason = json!({"reason": "returned by the bank"}).to_string();
        let (status, reversal) =
            post(&router, &uri, &ops, "application/json", reason.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {reversal}");
        assert_eq!(reversal["dpd"], 30);
        let (status, _) = post(&router, &uri, &ops, "application/json", reason).await;
        assert_eq!(status, StatusCode::CONFLICT, "{label}: twice");
        let (_, txns, _) = common::call(
            &router,
            "GET",
            "/api/v1/loans/OLD-9/transactions",
            Some(&ops),
            None,
        )
        .await;
        let kinds: Vec<(&str, &Value)> = txns
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["kind"].as_str().unwrap(), &t["reversed_by"]))
            .collect();
        assert_eq!(
            kinds,
            [
                ("migration", &Value::Null),
                ("repayment", &reversal["transaction_id"]),
                ("reversal", &Value::Null)
            ],
            "{label}"
        );
        // the same reference again is a duplicate; the bank's new one posts
        let (status, problem) = post(
            &router,
            "/api/v1/payments/statement",
            &ops,
            "text/csv",
            statement.into(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert_eq!(problem["errors"][0]["field"], "reference");
        let (status, posted) = post(
            &router,
            "/api/v1/payments/statement",
            &ops,
            "text/csv",
            "loan,amount,paid_on,reference\nOLD-9,2248.37,2026-11-23,S-2\n".into(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {posted}");
        let s2 = posted["repayments"][0]["transaction_id"].as_i64().unwrap();

        // the advance is refunded
        let (status, refund) = post(
            &router,
            &format!("/api/v1/loans/{loan}/refunds"),
            &ops,
            "application/json",
            json!({"amount": "100.00", "reference": "RF-1"}).to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {refund}");
        assert_eq!(refund["advance_left"], "0.00");
        let (status, _) = post(
            &router,
            &format!("/api/v1/loans/{loan}/refunds"),
            &ops,
            "application/json",
            json!({"reference": "RF-2"}).to_string(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: none held"
        );
        // without S-2 the refund after it would pay out an advance never held
        let (status, problem) = post(
            &router,
            &format!("/api/v1/loans/{loan}/transactions/{s2}/reversal"),
            &ops,
            "application/json",
            json!({"reason": "wrong loan"}).to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{label}: {problem}");

        let check = ledger::check(&app, &Actor::system()).await.unwrap();
        assert!(check.is_ok(), "{label}: {check:?}");
    }
}
