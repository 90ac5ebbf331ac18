//! The API over the real router, on SQLite and PostgreSQL: authentication, the
//! authorization matrix for every endpoint and role, problem answers, the OpenAPI
//! document and the console pages.

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use loanbook_service::Actor;
use loanbook_service::auth::{Permission, Role};
use serde_json::{Value, json};
use tower::ServiceExt;

mod common;
use common::{PASSWORD, apps, call, login};

fn wang() -> Value {
    json!({"kind": "individual", "name": "王伟", "id_number": "110101199003078515", "phone": "13800138000", "province": "广东省", "monthly_income": "18500.00"})
}

#[tokio::test]
async fn a_customer_through_the_api() {
    for (router, _app, t) in apps().await {
        let token = login(&router, "loan.officer").await;
        let (status, created, _) = call(
            &router,
            "POST",
            "/api/v1/customers",
            Some(&token),
            Some(wang()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {created}", t.label);
        assert_eq!(created["id_number"], "1101**********8515");
        assert_eq!(created["monthly_income"], "18500.00");
        let id = created["id"].as_i64().unwrap();
        let (status, shown, _) = call(
            &router,
            "GET",
            &format!("/api/v1/customers/{id}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(
            (status, shown["phone"].as_str()),
            (StatusCode::OK, Some("138****8000"))
        );
        // the officer may not unmask; compliance may
        let (status, _, _) = call(
            &router,
            "GET",
            &format!("/api/v1/customers/{id}?unmask=true"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let compliance = login(&router, "compliance").await;
        let (_, clear, _) = call(
            &router,
            "GET",
            &format!("/api/v1/customers/{id}?unmask=true"),
            Some(&compliance),
            None,
        )
        .await;
        assert_eq!(clear["id_number"], "110101199003078515");
        // the same ID number again: 422 naming the field, problem+json
        let (status, problem, content_type) = call(
            &router,
            "POST",
            "/api/v1/customers",
            Some(&token),
            Some(wang()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["errors"][0]["field"], "id_number");
        assert_eq!(
            problem["errors"][0]["rule"],
            format!("customer {id} already has this id_number")
        );
    }
}

#[tokio::test]
async fn bad_requests_name_the_field_and_never_echo_personal_data() {
    for (router, _app, t) in apps().await {
        let token = login(&router, "loan.officer").await;
        let secret = "110101199003078515";
        // a number where text belongs: 400, the value not repeated
        let (status, problem, _) = call(
            &router,
            "POST",
            "/api/v1/customers",
            Some(&token),
            Some(json!({"kind": "individual", "name": 110101199003078515_i64})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}: {problem}", t.label);
        assert!(!problem.to_string().contains(secret), "{problem}");
        // an unknown field is named
        let (status, problem, _) = call(
            &router,
            "POST",
            "/api/v1/customers",
            Some(&token),
            Some(json!({"kind": "individual", "name": "x", "idnumber": secret})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("unknown field `idnumber`"),
            "{problem}"
        );
        assert!(!problem.to_string().contains(secret));
        // a wrong checksum is explained without the number
        let mut bad = wang();
        bad["id_number"] = "110101199003078514".into();
        bad["phone"] = "1380013800".into();
        let (status, problem, _) = call(
            &router,
            "POST",
            "/api/v1/customers",
            Some(&token),
            Some(bad),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            !problem.to_string().contains("110101199003078514")
                && !problem.to_string().contains("1380013800"),
            "{problem}"
        );
        // HTML and SQL in a name are stored as text and change nothing else
        let mut hostile = wang();
        hostile["name"] = "<script>alert(1)</script>'; DROP TABLE customers; --".into();
        let (status, created, _) = call(
            &router,
            "POST",
            "/api/v1/customers",
            Some(&token),
            Some(hostile),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            created["name"],
            "<script>alert(1)</script>'; DROP TABLE customers; --"
        );
        // no token, a made-up token
        assert_eq!(
            call(&router, "GET", "/api/v1/customers", None, None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            call(
                &router,
                "GET",
                "/api/v1/customers",
                Some("lbt_forged"),
                None
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
    }
}

/// Every endpoint with the permission it needs and a request that is valid enough to
/// pass authorization.
fn endpoints() -> Vec<(
    &'static str,
    &'static str,
    Option<Permission>,
    Option<Value>,
)> {
    let product = json!({"code": "P1", "name": "p", "currency": "CNY", "amount_min": "1000", "amount_max": "5000",
        "term_min_months": 3, "term_max_months": 12, "rate_min": "0.05", "rate_max": "0.1", "methods": ["annuity"],
        "grace_days": 0, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up"});
    let entry = json!({"description": "capital", "lines": [{"account": "1001", "debit": "1.00"}, {"account": "3001", "credit": "1.00"}]});
    vec![
        ("GET", "/api/v1/users", Some(Permission::UserManage), None),
        (
            "POST",
            "/api/v1/users",
            Some(Permission::UserManage),
            Some(json!({"username": "newbie", "role": "collector", "password": PASSWORD})),
        ),
        (
            "GET",
            "/api/v1/customers",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "POST",
            "/api/v1/customers",
            Some(Permission::CustomerWrite),
            Some(json!({"kind": "individual", "name": "x"})),
        ),
        (
            "GET",
            "/api/v1/customers/1",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "GET",
            "/api/v1/customers/1?unmask=true",
            Some(Permission::PiiView),
            None,
        ),
        (
            "POST",
            "/api/v1/customers/1/status",
            Some(Permission::CustomerWrite),
            Some(json!({"status": "closed"})),
        ),
        (
            "GET",
            "/api/v1/products",
            Some(Permission::ProductRead),
            None,
        ),
        (
            "POST",
            "/api/v1/products",
            Some(Permission::ProductWrite),
            Some(product),
        ),
        (
            "GET",
            "/api/v1/products/P0",
            Some(Permission::ProductRead),
            None,
        ),
        (
            "GET",
            "/api/v1/products/P0/versions",
            Some(Permission::ProductRead),
            None,
        ),
        (
            "GET",
            "/api/v1/ledger/trial-balance",
            Some(Permission::LedgerRead),
            None,
        ),
        (
            "GET",
            "/api/v1/ledger/entries",
            Some(Permission::LedgerRead),
            None,
        ),
        (
            "POST",
            "/api/v1/ledger/entries",
            Some(Permission::LedgerPost),
            Some(entry),
        ),
        (
            "POST",
            "/api/v1/ledger/entries/999/reversal",
            Some(Permission::LedgerPost),
            Some(json!({"reason": "x"})),
        ),
        ("GET", "/api/v1/audit", Some(Permission::AuditRead), None),
        (
            "GET",
            "/api/v1/applications/999/investigation",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/applications/999/investigation",
            Some(Permission::DocumentWrite),
            Some(json!({"visited_on": "2026-11-01", "visit_summary": "s"})),
        ),
        (
            "GET",
            "/api/v1/leads",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/leads",
            Some(Permission::ApplicationWrite),
            Some(json!({"name": "", "source": "tv"})),
        ),
        (
            "POST",
            "/api/v1/leads/999/status",
            Some(Permission::ApplicationWrite),
            Some(json!({"status": "lost"})),
        ),
        (
            "POST",
            "/api/v1/leads/999/convert",
            Some(Permission::ApplicationWrite),
            Some(
                json!({"customer_id": 1, "application": {"product_code": "X", "amount": "1", "term_months": 1, "method": "annuity", "purpose": "p", "channel": "online"}}),
            ),
        ),
        (
            "POST",
            "/api/v1/watch-list",
            Some(Permission::WatchListManage),
            None,
        ),
        (
            "GET",
            "/api/v1/customers/1/screening",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "GET",
            "/api/v1/funding-sources",
            Some(Permission::FundingRead),
            None,
        ),
        (
            "POST",
            "/api/v1/funding-sources",
            Some(Permission::FundingManage),
            Some(json!({"code": "X", "name": "x", "limit": "-1"})),
        ),
        (
            "GET",
            "/api/v1/applications",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/applications",
            Some(Permission::ApplicationWrite),
            Some(
                json!({"customer_id": 1, "product_code": "NONE", "amount": "1000", "term_months": 12, "method": "annuity", "purpose": "p", "channel": "online"}),
            ),
        ),
        (
            "GET",
            "/api/v1/applications/999",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/applications/999/submit",
            Some(Permission::ApplicationWrite),
            None,
        ),
        (
            "POST",
            "/api/v1/applications/999/withdraw",
            Some(Permission::ApplicationWrite),
            Some(json!({"reason": "r"})),
        ),
        (
            "GET",
            "/api/v1/applications/999/history",
            Some(Permission::ApplicationRead),
            None,
        ),
        ("GET", "/api/v1/models", Some(Permission::ModelRead), None),
        (
            "POST",
            "/api/v1/models",
            Some(Permission::ModelManage),
            Some(json!({"model": {}, "mapping": {}, "status": "draft"})),
        ),
        (
            "GET",
            "/api/v1/models/999",
            Some(Permission::ModelRead),
            None,
        ),
        (
            "POST",
            "/api/v1/models/999/status",
            Some(Permission::ModelManage),
            Some(json!({"status": "retired"})),
        ),
        (
            "GET",
            "/api/v1/models/999/monitoring",
            Some(Permission::ModelRead),
            None,
        ),
        (
            "GET",
            "/api/v1/ledger/accounts",
            Some(Permission::LedgerRead),
            None,
        ),
        (
            "PUT",
            "/api/v1/customers/1",
            Some(Permission::CustomerWrite),
            Some(json!({"kind": "business", "name": "x"})),
        ),
        (
            "GET",
            "/api/v1/customers/1/contacts",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "POST",
            "/api/v1/customers/1/contacts",
            Some(Permission::CustomerWrite),
            Some(json!({"channel": "phone", "direction": "outbound", "summary": "s"})),
        ),
        (
            "GET",
            "/api/v1/customers/1/documents",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "POST",
            "/api/v1/customers/1/documents?kind=other&file_name=a.pdf",
            Some(Permission::DocumentWrite),
            None,
        ),
        (
            "GET",
            "/api/v1/documents/999/content",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "GET",
            "/api/v1/customers/1/credit-reports",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "POST",
            "/api/v1/customers/1/credit-reports",
            Some(Permission::DocumentWrite),
            Some(json!({"bureau": "pboc", "pulled_on": "2026-11-01", "report": {"score": 700}})),
        ),
        (
            "GET",
            "/api/v1/customers/1/collateral",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "POST",
            "/api/v1/customers/1/collateral",
            Some(Permission::CustomerWrite),
            Some(
                json!({"kind": "vehicle", "description": "car", "valuation": "100000", "valued_on": "2026-11-01", "custody": "bank", "lien_status": "registered"}),
            ),
        ),
        (
            "GET",
            "/api/v1/customers/1/guarantors",
            Some(Permission::CustomerRead),
            None,
        ),
        (
            "POST",
            "/api/v1/customers/1/guarantors",
            Some(Permission::CustomerWrite),
            Some(
                json!({"guarantor_name": "李娜", "guarantor_id_number": "11010519491231002X", "amount": "1000"}),
            ),
        ),
        (
            "POST",
            "/api/v1/applications/999/decisions",
            Some(Permission::ApplicationDecide),
            Some(json!({"decision": "approve"})),
        ),
        (
            "POST",
            "/api/v1/applications/999/counter-offer/accept",
            Some(Permission::ApplicationWrite),
            None,
        ),
        (
            "POST",
            "/api/v1/applications/999/counter-offer/reject",
            Some(Permission::ApplicationWrite),
            None,
        ),
        (
            "GET",
            "/api/v1/approvals",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/applications/999/contract",
            Some(Permission::ContractManage),
            None,
        ),
        (
            "GET",
            "/api/v1/contracts/999",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "GET",
            "/api/v1/contracts/999/document",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/contracts/999/sign",
            Some(Permission::ContractManage),
            Some(json!({"party": "borrower", "signer": "王伟", "document_sha256": "00"})),
        ),
        (
            "POST",
            "/api/v1/contracts/999/disburse",
            Some(Permission::DisbursementRelease),
            Some(json!({"funding_source": "OWN"})),
        ),
        (
            "POST",
            "/api/v1/payments/confirmations",
            Some(Permission::DisbursementRelease),
            Some(json!("order_id,status,bank_reference")),
        ),
        ("GET", "/api/v1/loans", Some(Permission::LoanRead), None),
        ("GET", "/api/v1/loans/999", Some(Permission::LoanRead), None),
        (
            "GET",
            "/api/v1/loans/999/schedule",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "GET",
            "/api/v1/loans/999/transactions",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "POST",
            "/api/v1/loans/999/repayments",
            Some(Permission::RepaymentPost),
            Some(json!({"amount": "100.00"})),
        ),
        (
            "POST",
            "/api/v1/loans/999/prepayments",
            Some(Permission::RepaymentPost),
            Some(json!({"amount": "100.00", "mode": "reduce_term"})),
        ),
        (
            "POST",
            "/api/v1/loans/999/payoff",
            Some(Permission::RepaymentPost),
            Some(json!({"amount": "100.00"})),
        ),
        (
            "GET",
            "/api/v1/loans/999/payoff",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "POST",
            "/api/v1/loans/999/refunds",
            Some(Permission::RepaymentPost),
            Some(json!({"reference": "R-1"})),
        ),
        (
            "POST",
            "/api/v1/loans/999/transactions/1/reversal",
            Some(Permission::RepaymentPost),
            Some(json!({"reason": "returned by the bank"})),
        ),
        (
            "POST",
            "/api/v1/loans/import",
            Some(Permission::DisbursementRelease),
            Some(json!("external_id")),
        ),
        (
            "POST",
            "/api/v1/payments/statement",
            Some(Permission::RepaymentPost),
            Some(json!("loan,amount,paid_on,reference")),
        ),
        (
            "POST",
            "/api/v1/eod/run",
            Some(Permission::EodRun),
            // the day before the open business date: closed already, nothing changes
            Some(json!({"until": "2026-11-22"})),
        ),
        ("GET", "/api/v1/eod/runs", Some(Permission::LoanRead), None),
        (
            "GET",
            "/api/v1/reports/officers?from=2026-11-01&to=2026-11-30",
            Some(Permission::LoanRead),
            None,
        ),
        // no model is registered: an allowed call answers 404
        (
            "GET",
            "/api/v1/reports/models",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "GET",
            "/api/v1/reports/liquidity?months=3",
            Some(Permission::LoanRead),
            None,
        ),
        // loan operations: loan 999 and request 999 do not exist, so an allowed call
        // answers 404 (or 422) and changes nothing
        (
            "POST",
            "/api/v1/loans/999/restructures",
            Some(Permission::LoanRestructure),
            Some(json!({"kind": "extension", "extra_periods": 1, "reason": "r"})),
        ),
        (
            "GET",
            "/api/v1/loans/999/restructures",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "GET",
            "/api/v1/restructures?status=requested",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "POST",
            "/api/v1/restructures/999/approve",
            Some(Permission::LoanRestructureApprove),
            None,
        ),
        (
            "POST",
            "/api/v1/restructures/999/reject",
            Some(Permission::LoanRestructureApprove),
            Some(json!({"note": "n"})),
        ),
        (
            "POST",
            "/api/v1/loans/999/write-off",
            Some(Permission::LoanWriteOff),
            Some(json!({"reason": "r"})),
        ),
        (
            "GET",
            "/api/v1/loans/999/write-off",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "GET",
            "/api/v1/write-offs",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "POST",
            "/api/v1/write-offs/999/approve",
            Some(Permission::LoanWriteOffApprove),
            None,
        ),
        (
            "POST",
            "/api/v1/write-offs/999/reject",
            Some(Permission::LoanWriteOffApprove),
            Some(json!({"note": "n"})),
        ),
        (
            "POST",
            "/api/v1/loans/999/recoveries",
            Some(Permission::RepaymentPost),
            Some(json!({"amount": "1.00"})),
        ),
        (
            "POST",
            "/api/v1/loans/999/class-override",
            Some(Permission::LoanClassify),
            Some(json!({"class": "loss", "reason": "r"})),
        ),
        (
            "POST",
            "/api/v1/loans/999/class-override/remove",
            Some(Permission::LoanClassify),
            Some(json!({"reason": "r"})),
        ),
        (
            "GET",
            "/api/v1/class-overrides",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "POST",
            "/api/v1/class-overrides/999/approve",
            Some(Permission::LoanClassifyApprove),
            None,
        ),
        (
            "POST",
            "/api/v1/class-overrides/999/reject",
            Some(Permission::LoanClassifyApprove),
            Some(json!({"note": "n"})),
        ),
        ("GET", "/api/v1/lpr", Some(Permission::ProductRead), None),
        (
            "POST",
            "/api/v1/lpr/import",
            Some(Permission::ProductWrite),
            // an empty body: 422, nothing imported
            None,
        ),
        (
            "GET",
            "/api/v1/tasks?status=open",
            Some(Permission::LoanRead),
            None,
        ),
        (
            "POST",
            "/api/v1/tasks/999/done",
            Some(Permission::LoanClose),
            Some(json!({"note": "n"})),
        ),
        (
            "POST",
            "/api/v1/loans/999/archive",
            Some(Permission::LoanClose),
            None,
        ),
        (
            "GET",
            "/api/v1/policies",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/policies",
            Some(Permission::PolicyManage),
            Some(json!({"name": "x", "tables": "not tables"})),
        ),
        (
            "GET",
            "/api/v1/authority-rules",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/authority-rules",
            Some(Permission::PolicyManage),
            Some(json!([{"priority": 1, "steps": []}])),
        ),
        (
            "GET",
            "/api/v1/watch-list",
            Some(Permission::ApplicationRead),
            None,
        ),
        (
            "POST",
            "/api/v1/auth/tokens",
            None,
            Some(json!({"name": "t"})),
        ),
    ]
}

#[tokio::test]
async fn the_authorization_matrix_holds_for_every_endpoint_and_role() {
    for (router, app, t) in apps().await {
        // customer 1 exists so that reads can succeed
        loanbook_service::customers::create(
            &app,
            &Actor::system(),
            &serde_json::from_value(wang()).unwrap(),
        )
        .await
        .unwrap();
        for role in Role::ALL {
            let username = if role == Role::Admin {
                "admin".to_owned()
            } else {
                role.code().replace('_', ".")
            };
            let token = login(&router, &username).await;
            for (method, uri, permission, body) in endpoints() {
                let (status, answer, _) = call(&router, method, uri, Some(&token), body).await;
                let allowed = permission.is_none_or(|p| role.allows(p));
                if allowed {
                    assert_ne!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{}: {} {method} {uri}: {answer}",
                        t.label,
                        role.code()
                    );
                    assert!(
                        status.as_u16() < 500,
                        "{}: {} {method} {uri}: {answer}",
                        t.label,
                        role.code()
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{}: {} {method} {uri}: {answer}",
                        t.label,
                        role.code()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let (router, _, _db) = apps().await.remove(0);
    let (status, doc, _) = call(&router, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for (_, uri, _, _) in endpoints() {
        let templated = uri
            .split('?')
            .next()
            .unwrap()
            .replace("/1", "/{id}")
            .replace("/999", "/{id}")
            .replace("/P0", "/{code}")
            .replace("/transactions/{id}/", "/transactions/{tx}/");
        assert!(
            paths.contains(&templated.as_str()),
            "{templated} missing from {paths:?}"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn the_console_logs_in_lists_customers_and_checks_csrf() {
    let (router, app, _db) = apps().await.remove(0);
    loanbook_service::customers::create(
        &app,
        &Actor::system(),
        &serde_json::from_value(wang()).unwrap(),
    )
    .await
    .unwrap();
    let page = |r: axum::response::Response| async {
        String::from_utf8(
            axum::body::to_bytes(r.into_body(), 1 << 22)
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap()
    };
    let home = router
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(page(home).await.contains("登录 Log in"));
    let login = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username=loan.officer&password={PASSWORD}"
        )))
        .unwrap();
    let answer = router.clone().oneshot(login).await.unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let cookie = answer
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let list = router
        .clone()
        .oneshot(
            Request::get("/customers")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let html = page(list).await;
    assert!(
        html.contains("王伟") && html.contains("1101**********8515"),
        "{html}"
    );
    assert!(!html.contains("110101199003078515"));
    // the API does not take the console cookie (no cross-site requests through the browser)
    let via_cookie = Request::get("/api/v1/customers")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        router.clone().oneshot(via_cookie).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // a logout without the form's CSRF token is refused
    let forged = Request::post("/logout")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("csrf=guess"))
        .unwrap();
    assert_eq!(
        router.clone().oneshot(forged).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let bad_login = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("username=loan.officer&password=wrong"))
        .unwrap();
    assert_eq!(
        router.clone().oneshot(bad_login).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}
