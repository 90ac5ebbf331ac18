//! The service desk over HTTP on SQLite and PostgreSQL: a complaint opened, assigned,
//! answered, resolved, rated and reopened by customer service (refused input answers 422
//! naming the fields, other roles 403); an account statement for a request ticket; an
//! inspection scheduled by a loan officer, found in the work queue and completed, which
//! schedules the next.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use chrono::DateTime;
use common::{apps, call, login};
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_service::applications::{FundingSourceInput, create_funding_source};
use loanbook_service::customers::{self, CustomerInput};
use loanbook_service::servicing::book::{BookLoanInput, book_loan};
use loanbook_service::{Actor, App, demo, products};
use serde_json::{Value, json};

/// Borrowers, as (business, individual, the business's loan, the individual's loan); the
/// loans are 10,000.00 at 12% over 12 months booked on 2026-11-23.
async fn book(app: &App) -> (i64, i64, i64, i64) {
    let admin = Actor::system();
    let product = json!({
        "code": "SD", "name": "service desk test", "currency": "CNY",
        "amount_min": "1000", "amount_max": "1000000", "term_min_months": 1, "term_max_months": 36,
        "rate_min": "0.01", "rate_max": "0.24", "methods": ["annuity"],
        "grace_days": 0, "penalty_multiplier": "1.5", "compound_interest": true, "rounding": "half_up"
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
    let business = customers::create(
        app,
        &admin,
        &CustomerInput {
            kind: "business".into(),
            name: "福州某贸易有限公司".into(),
            uscc: Some("91350100M000100Y43".into()),
            legal_representative: Some("陈志强".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap()
    .id;
    let individual = customers::create(
        app,
        &admin,
        &CustomerInput {
            kind: "individual".into(),
            name: "赵六".into(),
            id_number: Some(demo::resident_id("11010119800101", 11)),
            phone: Some("13800138011".into()),
            province: Some("广东省".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap()
    .id;
    let mut loans = Vec::new();
    for customer in [business, individual] {
        let loan = book_loan(
            app,
            &admin,
            &BookLoanInput {
                external_id: None,
                customer_id: customer,
                product_code: "SD".into(),
                principal: Money::parse("10000", Currency::CNY).unwrap(),
                annual_rate: AnnualRate::parse("0.12").unwrap(),
                term: 12,
                method: RepaymentMethod::Annuity,
                funding_source: "OWN".into(),
            },
        )
        .await
        .unwrap();
        loans.push(loan);
    }
    (business, individual, loans[0], loans[1])
}

async fn post(router: &axum::Router, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, body, _) = call(router, "POST", uri, Some(token), Some(body)).await;
    (status, body)
}

async fn get(router: &axum::Router, uri: &str, token: &str) -> (StatusCode, Value) {
    let (status, body, _) = call(router, "GET", uri, Some(token), None).await;
    (status, body)
}

/// The fields of the errors of a 422 problem.
fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|v| v.iter().map(|e| e["field"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

fn event_kinds(ticket: &Value) -> Vec<&str> {
    ticket["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn tickets_and_inspections_are_worked_over_http() {
    for (router, app, t) in apps().await {
        let label = t.label;
        let (business, _individual, loan, theirs) = book(&app).await;
        let cs = login(&router, "customer.service").await;
        let collector = login(&router, "collector").await;

        // refused: every bad field named; another role; an unknown field
        let bad = json!({"customer_id": business, "loan_id": theirs, "kind": "praise", "channel": "phone",
                         "subject": "扣款异常", "description": "…"});
        let (status, problem, content_type) =
            call(&router, "POST", "/api/v1/tickets", Some(&cs), Some(bad)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {problem}"
        );
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(fields(&problem), ["kind", "loan_id"], "{label}");
        let complaint = json!({"customer_id": business, "loan_id": loan, "kind": "complaint", "channel": "phone",
                               "subject": "还款已扣款但显示逾期", "description": "客户称已还款，App仍显示逾期。"});
        let (status, _) = post(&router, "/api/v1/tickets", &collector, complaint.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let mut typo = complaint.clone();
        typo["subjet"] = json!("x");
        let (status, _) = post(&router, "/api/v1/tickets", &cs, typo).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, none) = get(&router, "/api/v1/tickets", &cs).await;
        assert_eq!(none, json!([]), "{label}: nothing opened");

        // a complaint: due 48 hours after it was opened
        let (status, ticket) = post(&router, "/api/v1/tickets", &cs, complaint).await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {ticket}");
        let id = ticket["id"].as_i64().unwrap();
        let opened = DateTime::parse_from_rfc3339(ticket["created_at"].as_str().unwrap()).unwrap();
        let due = DateTime::parse_from_rfc3339(ticket["sla_due_at"].as_str().unwrap()).unwrap();
        assert_eq!((due - opened).num_hours(), 48, "{label}");
        assert_eq!(
            (ticket["status"].as_str(), ticket["priority"].as_str()),
            (Some("open"), Some("normal"))
        );
        let base = format!("/api/v1/tickets/{id}");
        let (status, problem) = post(
            &router,
            &format!("{base}/assign"),
            &cs,
            json!({"assigned_to": "collector"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&problem), ["assigned_to"]);
        let (status, worked) = post(
            &router,
            &format!("{base}/assign"),
            &cs,
            json!({"assigned_to": "customer.service"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{worked}");
        assert_eq!(worked["status"], "in_progress");
        let (_, answered) = post(
            &router,
            &format!("{base}/comment"),
            &cs,
            json!({"note": "已联系客户，正在核查"}),
        )
        .await;
        assert!(answered["first_response_at"].is_string(), "{answered}");
        let (status, _) = post(&router, &format!("{base}/rate"), &cs, json!({"rating": 5})).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "only a resolved ticket is rated"
        );
        let (_, resolved) = post(
            &router,
            &format!("{base}/resolve"),
            &cs,
            json!({"resolution": "系统延迟入账，已更正并致歉"}),
        )
        .await;
        assert_eq!(resolved["status"], "resolved", "{label}");
        let (status, problem) =
            post(&router, &format!("{base}/rate"), &cs, json!({"rating": 6})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&problem), ["rating"]);
        let (status, rated) = post(
            &router,
            &format!("{base}/rate"),
            &cs,
            json!({"rating": 4, "comment": "处理及时"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{rated}");
        assert_eq!(
            (rated["status"].as_str(), rated["rating"].as_i64()),
            (Some("closed"), Some(4))
        );
        let (status, reopened) = post(
            &router,
            &format!("{base}/reopen"),
            &cs,
            json!({"reason": "客户要求书面说明"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{reopened}");
        assert_eq!(
            reopened["status"], "in_progress",
            "assigned: back in progress"
        );
        assert_eq!(reopened["rating"], Value::Null);
        let (status, swept) = post(&router, "/api/v1/tickets/sla-sweep", &cs, json!({})).await;
        assert_eq!((status, swept), (StatusCode::OK, json!({"breached": 0})));
        let (_, shown) = get(&router, &base, &collector).await;
        assert_eq!(
            event_kinds(&shown),
            [
                "opened", "assigned", "response", "resolved", "rated", "reopened"
            ],
            "{label}"
        );
        let (_, pending) = get(
            &router,
            "/api/v1/tickets?status=pending&assigned_to=customer.service",
            &cs,
        )
        .await;
        assert_eq!(pending.as_array().unwrap().len(), 1);
        let (status, _) = get(&router, "/api/v1/tickets?status=stuck", &cs).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        statement(&router, &cs, business, loan, label).await;
        inspections(&router, loan, label).await;
    }
}

/// A request ticket asks for the November statement of a loan.
async fn statement(router: &axum::Router, cs: &str, business: i64, loan: i64, label: &str) {
    let (status, ticket) = post(
        router,
        "/api/v1/tickets",
        cs,
        json!({"customer_id": business, "loan_id": loan, "kind": "request", "channel": "counter",
               "subject": "申请对账单", "description": "2026年11月"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let uri = format!("/api/v1/tickets/{}/statement", ticket["id"]);
    let (status, problem) = post(
        router,
        &uri,
        cs,
        json!({"from": "2026-11-01", "to": "2026-11-31"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["to"]);
    let (status, s) = post(
        router,
        &uri,
        cs,
        json!({"from": "2026-11-01", "to": "2026-11-23"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{label}: {s}");
    assert_eq!(s["totals"]["disbursed"], "10000.00");
    assert_eq!(s["totals"]["paid"], "0.00");
    assert_eq!(s["lines"][0]["kind"], "disbursement");
    assert_eq!(s["lines"][0]["amount"], "10000.00");
    assert_eq!(s["loan"]["principal_outstanding"], "10000.00");
    assert_eq!(
        (s["from"].as_str(), s["to"].as_str()),
        (Some("2026-11-01"), Some("2026-11-23"))
    );
}

/// A loan officer schedules an inspection, finds it in the work queue and completes it.
async fn inspections(router: &axum::Router, loan: i64, label: &str) {
    let officer = login(router, "loan.officer").await;
    let cs = login(router, "customer.service").await;
    let (status, problem) = post(
        router,
        &format!("/api/v1/loans/{loan}/inspections"),
        &officer,
        json!({"due_on": "2026-11-01", "assigned_to": "customer.service"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["reason", "due_on", "assigned_to"]);
    let (status, _) = post(
        router,
        &format!("/api/v1/loans/{loan}/inspections"),
        &cs,
        json!({"reason": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, scheduled) = post(
        router,
        &format!("/api/v1/loans/{loan}/inspections"),
        &officer,
        json!({"reason": "客户反映经营场所搬迁", "assigned_to": "loan.officer"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {scheduled}");
    assert_eq!(
        (scheduled["kind"].as_str(), scheduled["due_on"].as_str()),
        (Some("triggered"), Some("2026-11-23"))
    );
    let id = scheduled["id"].as_i64().unwrap();
    let (_, queue) = get(router, "/api/v1/inspections/queue", &officer).await;
    assert_eq!(queue.as_array().unwrap().len(), 1, "{label}: {queue}");
    assert_eq!(queue[0]["id"], id);
    let uri = format!("/api/v1/inspections/{id}/complete");
    let (status, problem) = post(
        router,
        &uri,
        &officer,
        json!({"checklist": {"use_of_funds": "satisfactory"}, "findings": "ok"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&problem),
        ["checklist.business_status", "checklist.collateral"]
    );
    let body = json!({
        "checklist": {"use_of_funds": "satisfactory", "business_status": "concern", "collateral": "not_applicable"},
        "findings": "新址已核实，营业正常，存货减少",
        "follow_ups": [{"task": "一个月后复核库存", "due_on": "2026-12-23", "owner": "loan.officer"}]
    });
    let (status, done) = post(router, &uri, &cs, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{done}");
    let (status, done) = post(router, &uri, &officer, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{label}: {done}");
    assert_eq!(
        (
            done["status"].as_str(),
            done["result"].as_str(),
            done["done_on"].as_str()
        ),
        (Some("done"), Some("concern"), Some("2026-11-23"))
    );
    assert_eq!(done["follow_ups"][0]["owner"], "loan.officer");
    // a business loan of class pass: the next in 180 days
    assert_eq!(
        (
            done["next"]["kind"].as_str(),
            done["next"]["due_on"].as_str()
        ),
        (Some("periodic"), Some("2027-05-22")),
        "{label}"
    );
    let (status, _) = post(router, &uri, &officer, body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, of_loan) = get(router, &format!("/api/v1/loans/{loan}/inspections"), &cs).await;
    assert_eq!(of_loan.as_array().unwrap().len(), 2);
    let (_, pending) = get(router, "/api/v1/inspections?status=pending", &officer).await;
    assert_eq!(pending[0]["due_on"], "2027-05-22", "{label}");
    let (status, _) = get(router, "/api/v1/inspections?due_by=tomorrow", &officer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        get(router, "/api/v1/inspections/queue", &officer)
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_openapi_document_lists_the_service_desk() {
    let (router, _, _db) = apps().await.remove(0);
    let (status, doc, _) = call(&router, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/{id}/assign",
        "/api/v1/tickets/{id}/comment",
        "/api/v1/tickets/{id}/resolve",
        "/api/v1/tickets/{id}/rate",
        "/api/v1/tickets/{id}/reopen",
        "/api/v1/tickets/{id}/statement",
        "/api/v1/tickets/sla-sweep",
        "/api/v1/inspections",
        "/api/v1/inspections/queue",
        "/api/v1/inspections/{id}",
        "/api/v1/inspections/{id}/assign",
        "/api/v1/inspections/{id}/complete",
        "/api/v1/loans/{id}/inspections",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["CompleteRequest"].is_object());
}
