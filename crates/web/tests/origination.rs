//! Origination over HTTP on SQLite and PostgreSQL: a strong applicant from application
//! to disbursed loan through the API, a repeated disbursement posted once, and the
//! problem answers — 403 naming four-eyes, 409 for a state conflict, 422 naming the rule.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{apps, call, login};
use loanbook_service::customer_records::{CreditReportInput, add_credit_report, upload_document};
use loanbook_service::customers::{self, CustomerInput};
use loanbook_service::{Actor, App, demo, ledger, products};
use serde_json::{Value, json};

async fn setup(app: &App, id_number: &str, name: &str) -> i64 {
    let admin = Actor::system();
    let product = json!({
        "code": "CONSUMER", "name": "个人消费贷", "currency": "CNY",
        "amount_min": "1000", "amount_max": "500000", "term_min_months": 3, "term_max_months": 36,
        "rate_min": "0.06", "rate_max": "0.24", "methods": ["annuity"],
        "grace_days": 3, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up",
        "required_documents": ["id_card"], "fees": {"origination_rate": "0.01"}
    });
    if products::get(app, &admin, "CONSUMER", None).await.is_err() {
        products::add(app, &admin, &product).await.unwrap();
        demo::seed_origination(app).await.unwrap();
    }
    let c = customers::create(
        app,
        &admin,
        &CustomerInput {
            kind: "individual".into(),
            name: name.into(),
            id_number: Some(id_number.into()),
            phone: Some(format!("139{}", &id_number[10..18].replace('X', "0"))),
            monthly_income: Some("40000".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap();
    upload_document(app, &admin, c.id, "id_card", "id.pdf", b"%PDF-1.7\n")
        .await
        .unwrap();
    let report = json!({
        "checking_account": "none", "credit_history": "critical_account", "savings": "ge_1000",
        "employment_since": "4_to_7y", "property": "real_estate", "housing": "own",
        "other_installment_plans": "none", "personal_status_sex": "male_single",
        "installment_rate_pct": 1, "delinquencies_24m": 0, "total_debt": "0.00"
    });
    add_credit_report(
        app,
        &admin,
        c.id,
        &CreditReportInput {
            bureau: "pboc".into(),
            pulled_on: "2026-11-21".into(),
            report,
        },
    )
    .await
    .unwrap();
    c.id
}

async fn post(router: &axum::Router, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, value, _) = call(router, "POST", uri, Some(token), Some(body)).await;
    (status, value)
}

#[tokio::test]
async fn a_strong_applicant_from_application_to_loan_over_http() {
    for (router, app, t) in apps().await {
        let label = t.label;
        let customer = setup(&app, "11010119850312101X", "王强").await;
        let officer = login(&router, "loan.officer").await;
        let ops = login(&router, "operations").await;
        let (status, a) = post(
            &router,
            "/api/v1/applications",
            &officer,
            json!({"customer_id": customer, "product_code": "CONSUMER", "amount": "30000.00", "term_months": 12,
                   "method": "annuity", "purpose": "car_used", "channel": "app", "device_id": "d-1", "bank_card": "6222020200112233446"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {a}");
        assert_eq!(a["status"], "draft");
        assert_eq!(a["bank_card"], "6222***********3446");
        let id = a["id"].as_i64().unwrap();
        let (status, a) = post(
            &router,
            &format!("/api/v1/applications/{id}/submit"),
            &officer,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!(a["status"], "approved", "{label}: {a}");
        let x = &a["assessment"];
        assert_eq!(x["decision"], "approve");
        assert!(x["score"].as_i64().unwrap() > 573);
        assert_eq!(x["policy_version"], "consumer@1");
        assert_eq!(x["credit_limit"], "300000.00");
        assert_eq!(a["approval"]["required_steps"][0]["kind"], "automatic");
        // a state conflict: submitted twice
        let (status, problem) = post(
            &router,
            &format!("/api/v1/applications/{id}/submit"),
            &officer,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");

        let (status, contract) = post(
            &router,
            &format!("/api/v1/applications/{id}/contract"),
            &ops,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{contract}");
        let cid = contract["id"].as_i64().unwrap();
        let sha = contract["document_sha256"].as_str().unwrap().to_owned();
        let (status, doc, content_type) = call(
            &router,
            "GET",
            &format!("/api/v1/contracts/{cid}/document"),
            Some(&ops),
            None,
        )
        .await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::OK, "text/html; charset=utf-8")
        );
        assert_eq!(doc, Value::Null); // HTML, not JSON
        let (status, problem) = post(
            &router,
            &format!("/api/v1/contracts/{cid}/sign"),
            &ops,
            json!({"party": "borrower", "signer": "李四", "document_sha256": sha}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "signer");
        for (party, signer) in [("borrower", "王强"), ("lender", "信贷部")] {
            let (status, signed) = post(
                &router,
                &format!("/api/v1/contracts/{cid}/sign"),
                &ops,
                json!({"party": party, "signer": signer, "document_sha256": sha}),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{signed}");
        }
        // the officer who submitted may not release the money
        let (status, problem) = post(
            &router,
            &format!("/api/v1/contracts/{cid}/disburse"),
            &officer,
            json!({"funding_source": "OWN"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        // a rule failure names the field
        let (status, problem) = post(
            &router,
            &format!("/api/v1/contracts/{cid}/disburse"),
            &ops,
            json!({"funding_source": "NOPE"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], "funding_source");
        let pay = |key: &'static str| {
            let router = router.clone();
            let ops = ops.clone();
            async move {
                let request = axum::http::Request::builder()
                    .method("POST")
                    .uri(format!("/api/v1/contracts/{cid}/disburse"))
                    .header("authorization", format!("Bearer {ops}"))
                    .header("content-type", "application/json")
                    .header("idempotency-key", key)
                    .body(axum::body::Body::from(r#"{"funding_source": "OWN"}"#))
                    .unwrap();
                let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
                let status = response.status();
                let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .unwrap();
                (status, serde_json::from_slice::<Value>(&bytes).unwrap())
            }
        };
        let (status, first) = pay("disburse-7").await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {first}");
        assert_eq!(
            (first["status"].as_str(), first["payment_status"].as_str()),
            (Some("active"), Some("confirmed"))
        );
        let (status, again) = pay("disburse-7").await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(again["loan_id"], first["loan_id"]);
        assert_eq!(again["journal_entry_id"], first["journal_entry_id"]);
        let loan_id = first["loan_id"].as_i64().unwrap();
        let (status, loan, _) = call(
            &router,
            "GET",
            &format!("/api/v1/loans/{loan_id}"),
            Some(&ops),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (
                loan["principal_outstanding"].as_str(),
                loan["fees_due"].as_str()
            ),
            (Some("30000.00"), Some("300.00"))
        );
        let (_, schedule, _) = call(
            &router,
            "GET",
            &format!("/api/v1/loans/{loan_id}/schedule"),
            Some(&ops),
            None,
        )
        .await;
        assert_eq!(schedule.as_array().unwrap().len(), 12);
        let (_, txns, _) = call(
            &router,
            "GET",
            &format!("/api/v1/loans/{loan_id}/transactions"),
            Some(&ops),
            None,
        )
        .await;
        assert_eq!(
            txns.as_array().unwrap().len(),
            2,
            "one disbursement and its fee, posted once"
        );
        let entries = loanbook_service::ledger::entries(&app, &Actor::system(), None, 100)
            .await
            .unwrap();
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.source == "disbursement")
                .count(),
            1
        );
        assert!(ledger::check(&app, &Actor::system()).await.unwrap().is_ok());
    }
}

#[tokio::test]
async fn policies_and_authority_rules_are_versioned_over_http() {
    for (router, _app, t) in apps().await {
        let analyst = login(&router, "credit.analyst").await;
        let (status, v1) = post(
            &router,
            "/api/v1/policies",
            &analyst,
            serde_json::from_str(demo::DEMO_POLICY).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {v1}", t.label);
        assert_eq!(
            (v1["name"].as_str(), v1["version"].as_i64()),
            (Some("consumer"), Some(1))
        );
        let (status, v2) = post(
            &router,
            "/api/v1/policies",
            &analyst,
            serde_json::from_str(demo::DEMO_POLICY).unwrap(),
        )
        .await;
        assert_eq!(
            (status, v2["version"].as_i64()),
            (StatusCode::CREATED, Some(2))
        );
        let (_, list, _) = call(&router, "GET", "/api/v1/policies", Some(&analyst), None).await;
        let statuses: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["active", "retired"]);
        let bad = json!({"name": "x", "tables": [{"name": "t", "hit_policy": "first", "rules": [{"when": {"score": "<< 5"}, "then": {}}]}]});
        let (status, problem) = post(&router, "/api/v1/policies", &analyst, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            problem["detail"].as_str().unwrap().contains("score"),
            "{problem}"
        );
        let (status, rules) = post(
            &router,
            "/api/v1/authority-rules",
            &analyst,
            serde_json::from_str(demo::DEMO_AUTHORITY_RULES).unwrap(),
        )
        .await;
        assert_eq!(
            (status, rules["version"].as_i64()),
            (StatusCode::CREATED, Some(1)),
            "{rules}"
        );
        let officer = login(&router, "loan.officer").await;
        let (status, _) = post(&router, "/api/v1/authority-rules", &officer, json!([])).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

/// Sends a console request with the session cookie; returns the status and the page.
async fn console(
    router: &axum::Router,
    method: &str,
    uri: &str,
    cookie: &str,
    form: Option<String>,
) -> (StatusCode, String) {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("cookie", cookie);
    let body = match form {
        Some(f) => {
            request = request.header("content-type", "application/x-www-form-urlencoded");
            axum::body::Body::from(f)
        }
        None => axum::body::Body::empty(),
    };
    let response = tower::ServiceExt::oneshot(router.clone(), request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn console_login(router: &axum::Router, username: &str) -> String {
    let request = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "username={username}&password={}",
            common::PASSWORD
        )))
        .unwrap();
    let answer = tower::ServiceExt::oneshot(router.clone(), request)
        .await
        .unwrap();
    answer.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_console_workbench_shows_the_assessment_and_decides_through_the_service() {
    for (router, app, t) in apps().await {
        let label = t.label;
        let customer = setup(&app, "11010119850312101X", "王强").await;
        let officer = login(&router, "loan.officer").await;
        // 150,000.00 needs a loan officer and the branch manager
        let (_, a) = post(
            &router,
            "/api/v1/applications",
            &officer,
            json!({"customer_id": customer, "product_code": "CONSUMER", "amount": "150000.00", "term_months": 24,
                   "method": "annuity", "purpose": "car_used", "channel": "branch"}),
        )
        .await;
        let id = a["id"].as_i64().unwrap();
        post(
            &router,
            &format!("/api/v1/applications/{id}/submit"),
            &officer,
            json!({}),
        )
        .await;
        let analyst = login(&router, "credit.analyst").await;
        let (status, report) = post(
            &router,
            &format!("/api/v1/applications/{id}/investigation"),
            &analyst,
            json!({"visited_on": "2026-11-22", "visit_summary": "核实属实", "existing_monthly_debt": "0"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {report}");
        assert_eq!(report["application_status"], "in_review");

        let cookie = console_login(&router, "loan.officer").await;
        let (status, html) = console(&router, "GET", "/applications", &cookie, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("待我审批") && html.contains(&format!("/applications/{id}")),
            "{html}"
        );
        let (status, html) = console(
            &router,
            "GET",
            &format!("/applications/{id}"),
            &cookie,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("consumer@1")
                && html.contains("loan_officer")
                && html.contains("审批决定"),
            "{html}"
        );
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        // a forged form is refused; the submitter's own decision is refused by four-eyes
        let (status, _) = console(
            &router,
            "POST",
            &format!("/applications/{id}/decide"),
            &cookie,
            Some("csrf=x&decision=approve".into()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, html) = console(
            &router,
            "POST",
            &format!("/applications/{id}/decide"),
            &cookie,
            Some(format!("csrf={csrf}&decision=approve&comment=ok")),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("four_eyes"), "{html}");
        // the administrator decides the officer step from the console
        let admin = console_login(&router, "admin").await;
        let (_, html) = console(&router, "GET", &format!("/applications/{id}"), &admin, None).await;
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let (status, _) = console(
            &router,
            "POST",
            &format!("/applications/{id}/decide"),
            &admin,
            Some(format!(
                "csrf={csrf}&decision=approve&comment=%E5%90%8C%E6%84%8F"
            )),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{label}");
        let (_, shown, _) = call(
            &router,
            "GET",
            &format!("/api/v1/applications/{id}"),
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(
            shown["approval"]["current_step"]["kind"], "branch_manager",
            "{shown}"
        );
        assert_eq!(
            shown["approval"]["completed_steps"][0]["decisions"][0]["comment"],
            "同意"
        );
    }
}
