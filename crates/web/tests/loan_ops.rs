//! Changing and ending a loan over HTTP on SQLite and PostgreSQL: an extension requested
//! by one user and approved by another (the requester's own approval refused by
//! four-eyes), a class override and a write-off through approval, a recovery retried
//! under one Idempotency-Key that posts once, the LPR table imported and listed, a
//! collateral-release task done and the loan archived — ending with the ledger check.

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

/// The loan that is extended, then paid off, its task done and archived.
const EXTENDED: &str = "OPS-2026-A";
/// The loan that is classed substandard by hand, written off and partly recovered.
const WRITTEN_OFF: &str = "OPS-2026-B";

/// A product, a funding source, a borrower and two loans booked on 2026-11-23, both at
/// 12% annuity: 12,000.00 over 12 months (1,066.19 a month) as [`EXTENDED`] and
/// 10,000.00 over 6 months as [`WRITTEN_OFF`].
async fn book(app: &App) {
    let admin = Actor::system();
    let product = json!({
        "code": "OPS", "name": "loan operations test", "currency": "CNY",
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
            name: "赵六".into(),
            id_number: Some(demo::resident_id("11010119800101", 11)),
            phone: Some("13800138011".into()),
            province: Some("广东省".into()),
            ..CustomerInput::default()
        },
    )
    .await
    .unwrap();
    for (external_id, principal, term) in [(EXTENDED, "12000", 12), (WRITTEN_OFF, "10000", 6)] {
        book_loan(
            app,
            &admin,
            &BookLoanInput {
                external_id: Some(external_id.into()),
                customer_id: customer.id,
                product_code: "OPS".into(),
                principal: Money::parse(principal, Currency::CNY).unwrap(),
                annual_rate: AnnualRate::parse("0.12").unwrap(),
                term,
                method: RepaymentMethod::Annuity,
                funding_source: "OWN".into(),
            },
        )
        .await
        .unwrap();
    }
}

/// POSTs `body` as `content_type` with an optional Idempotency-Key.
async fn send(
    router: &axum::Router,
    uri: &str,
    token: &str,
    key: Option<&str>,
    content_type: &str,
    body: String,
) -> (StatusCode, Value, String) {
    let mut request = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let kind = response
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
        kind,
    )
}

/// POSTs JSON; returns the status and the body.
async fn post(router: &axum::Router, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, body, _) = send(
        router,
        uri,
        token,
        None,
        "application/json",
        body.to_string(),
    )
    .await;
    (status, body)
}

/// POSTs with no body (approvals, archiving).
async fn post_empty(router: &axum::Router, uri: &str, token: &str) -> (StatusCode, Value, String) {
    call(router, "POST", uri, Some(token), None).await
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

/// The loan's id by its external id.
async fn loan_id(router: &axum::Router, token: &str, external_id: &str) -> i64 {
    let (_, loan) = get(router, &format!("/api/v1/loans/{external_id}"), token).await;
    loan["id"].as_i64().unwrap()
}

#[tokio::test]
async fn loans_are_changed_and_ended_over_http_and_the_ledger_balances() {
    for (router, app, t) in apps().await {
        let label = t.label;
        book(&app).await;
        let ops = login(&router, "operations").await;
        // close 2026-11-23 … 2026-12-10: period 1 of both loans is running, nothing due
        let (status, closes) = post(
            &router,
            "/api/v1/eod/run",
            &ops,
            json!({"until": "2026-12-10"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {closes}");

        extension(&router, label).await;
        class_override_and_write_off(&router, &app, label).await;
        lpr_table(&router, label).await;
        closing_and_archiving(&router, label).await;

        // one more close over HTTP leaves the archived and the written-off loan alone;
        // the ledger reconciles
        let (status, last) = post(&router, "/api/v1/eod/run", &ops, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{label}: {last}");
        assert_eq!(last[0]["business_date"], "2026-12-11", "{label}");
        let check = ledger::check(&app, &Actor::system()).await.unwrap();
        assert!(check.is_ok(), "{label}: {check:?}");
    }
}

/// A rate change rejected, then an extension requested by admin, refused to admin by
/// four-eyes and applied by the approver.
async fn extension(router: &axum::Router, label: &str) {
    let officer = login(router, "loan.officer").await;
    let approver = login(router, "approver").await;
    let admin = login(router, "admin").await;
    let ops = login(router, "operations").await;
    let collector = login(router, "collector").await;
    let uri = format!("/api/v1/loans/{EXTENDED}/restructures");

    // bad input names the field and writes nothing
    for (body, field) in [
        (json!({"kind": "stretch", "reason": "r"}), "kind"),
        (json!({"reason": "r"}), "kind"),
        (json!({"kind": "extension", "reason": "r"}), "extra_periods"),
        (
            json!({"kind": "extension", "extra_periods": -1, "reason": "r"}),
            "extra_periods",
        ),
        (json!({"kind": "extension", "extra_periods": 6}), "reason"),
        (
            json!({"kind": "rate_change", "new_rate": "twelve", "reason": "r"}),
            "new_rate",
        ),
    ] {
        let (status, problem) = post(router, &uri, &officer, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {body}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{label}: {body}");
    }
    let (status, list) = get(router, &uri, &officer).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])), "{label}");

    // a rate change: one waiting per loan; the collector may not ask
    let rate_change =
        json!({"kind": "rate_change", "new_rate": "0.10", "reason": "competitor offer"});
    let (status, asked) = post(router, &uri, &officer, rate_change.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {asked}");
    assert_eq!(
        (
            asked["status"].as_str(),
            asked["kind"].as_str(),
            asked["requested_by"].as_str()
        ),
        (Some("requested"), Some("rate_change"), Some("loan.officer"))
    );
    let (status, problem) = post(router, &uri, &officer, rate_change.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{label}: {problem}");
    let (status, _) = post(router, &uri, &collector, rate_change).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
    let (status, queue) = get(router, "/api/v1/restructures?status=requested", &approver).await;
    assert_eq!(status, StatusCode::OK, "{label}: {queue}");
    assert_eq!(queue.as_array().unwrap().len(), 1, "{label}: {queue}");
    let (status, problem) = get(router, "/api/v1/restructures?status=open", &approver).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["status"]);
    // the approver rejects it: a note is required; a decided request is a conflict
    let reject = format!("/api/v1/restructures/{}/reject", asked["id"]);
    let (status, problem) = post(router, &reject, &approver, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["note"]);
    let note = json!({"note": "the rate is contractual"});
    let (status, rejected) = post(router, &reject, &approver, note.clone()).await;
    assert_eq!(status, StatusCode::OK, "{label}: {rejected}");
    assert_eq!(
        (
            rejected["status"].as_str(),
            rejected["decision_note"].as_str()
        ),
        (Some("rejected"), Some("the rate is contractual"))
    );
    let (status, _) = post(router, &reject, &approver, note).await;
    assert_eq!(status, StatusCode::CONFLICT, "{label}");

    // the extension: admin asks, so admin may not approve (four-eyes, no exemption);
    // operations may not approve at all; the approver applies it
    let (status, asked) = post(
        router,
        &uri,
        &admin,
        json!({"kind": "extension", "extra_periods": 6, "reason": "income fell; the borrower asks for 展期"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {asked}");
    let approve = format!("/api/v1/restructures/{}/approve", asked["id"]);
    let (status, problem, content_type) = post_empty(router, &approve, &admin).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::FORBIDDEN, "application/problem+json"),
        "{label}: {problem}"
    );
    assert_eq!(
        problem["detail"].as_str().unwrap(),
        format!(
            "four_eyes: four-eyes: admin requested restructure {} and may not decide it",
            asked["id"]
        ),
        "{label}"
    );
    let (status, problem, _) = post_empty(router, &approve, &ops).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("loan:restructure_approve"),
        "{problem}"
    );
    let (status, applied, _) = post_empty(router, &approve, &approver).await;
    assert_eq!(status, StatusCode::OK, "{label}: {applied}");
    // installment 1 stays; 11,053.81 over 11 + 6 = 17 periods at 1%:
    // 11,053.81 × 0.01 / (1 − 1.01^−17) = 710.30, of which 110.54 interest
    assert_eq!(
        (
            applied["status"].as_str(),
            applied["decided_by"].as_str(),
            applied["applied_on"].as_str(),
            applied["result"]["installments_replaced"].as_i64(),
            applied["result"]["new_maturity"].as_str()
        ),
        (
            Some("applied"),
            Some("approver"),
            Some("2026-12-11"),
            Some(11),
            Some("2028-05-23")
        ),
        "{label}: {applied}"
    );
    assert_eq!(
        (
            applied["result"]["from_installment"].as_i64(),
            applied["result"]["installments_new"].as_i64(),
            applied["result"]["old_maturity"].as_str()
        ),
        (Some(2), Some(17), Some("2027-11-23")),
        "{label}: {applied}"
    );
    assert_eq!(
        applied["result"]["first_new_installment"],
        json!({"number": 2, "due_date": "2027-01-23", "principal": "599.76", "interest": "110.54"}),
        "{label}"
    );
    let (status, _, _) = post_empty(router, &approve, &approver).await;
    assert_eq!(status, StatusCode::CONFLICT, "{label}: decided already");
    let (status, _, _) = post_empty(router, "/api/v1/restructures/999999/approve", &approver).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{label}");
    let (_, schedule) = get(
        router,
        &format!("/api/v1/loans/{EXTENDED}/schedule"),
        &officer,
    )
    .await;
    let schedule = schedule.as_array().unwrap();
    assert_eq!(schedule.len(), 18, "{label}");
    assert_eq!(
        (
            schedule[1]["interest"].as_str(),
            schedule[1]["principal"].as_str()
        ),
        (Some("110.54"), Some("599.76")),
        "{label}"
    );
    let (_, loan) = get(router, &format!("/api/v1/loans/{EXTENDED}"), &officer).await;
    assert_eq!(loan["maturity_date"], "2028-05-23", "{label}");
    let (_, list) = get(router, &uri, &officer).await;
    let statuses: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied", "rejected"], "{label}: newest first");
}

/// A manual class of substandard through approval, a removal rejected, then the write-off
/// approved and a recovery retried under one Idempotency-Key.
async fn class_override_and_write_off(router: &axum::Router, app: &App, label: &str) {
    let officer = login(router, "loan.officer").await;
    let approver = login(router, "approver").await;
    let ops = login(router, "operations").await;
    let collector = login(router, "collector").await;
    let set = format!("/api/v1/loans/{WRITTEN_OFF}/class-override");
    let remove = format!("/api/v1/loans/{WRITTEN_OFF}/class-override/remove");

    for body in [
        json!({"class": "excellent", "reason": "r"}),
        json!({"class": " ", "reason": "r"}),
    ] {
        let (status, problem) = post(router, &set, &officer, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {problem}"
        );
        assert_eq!(fields(&problem), ["class"]);
    }
    let (status, problem) = post(router, &remove, &officer, json!({"reason": "r"})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "{label}: no override: {problem}"
    );
    let (status, asked) = post(
        router,
        &set,
        &officer,
        json!({"class": "substandard", "reason": "the borrower's shop closed"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {asked}");
    assert_eq!(asked["kind"], "set");
    let approve = format!("/api/v1/class-overrides/{}/approve", asked["id"]);
    let (status, _, _) = post_empty(router, &approve, &officer).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
    let (status, applied, _) = post_empty(router, &approve, &approver).await;
    assert_eq!(status, StatusCode::OK, "{label}: {applied}");
    assert_eq!(
        (
            applied["result"]["from_class"].as_str(),
            applied["result"]["to_class"].as_str()
        ),
        (Some("pass"), Some("substandard"))
    );
    let (_, loan) = get(router, &format!("/api/v1/loans/{WRITTEN_OFF}"), &officer).await;
    assert_eq!(loan["five_tier_class"], "substandard", "{label}");
    let (status, removal) = post(router, &remove, &officer, json!({"reason": "review done"})).await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {removal}");
    assert_eq!(removal["kind"], "remove");
    let (status, rejected) = post(
        router,
        &format!("/api/v1/class-overrides/{}/reject", removal["id"]),
        &approver,
        json!({"note": "keep it until the write-off"}),
    )
    .await;
    assert_eq!(
        (status, rejected["status"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );
    let (_, list) = get(
        router,
        &format!("/api/v1/class-overrides?loan={WRITTEN_OFF}"),
        &officer,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{label}: {list}");

    // the write-off: operations ask, the approver applies
    let uri = format!("/api/v1/loans/{WRITTEN_OFF}/write-off");
    let (status, _) = post(router, &uri, &officer, json!({"reason": "r"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
    let (status, problem) = post(router, &uri, &ops, json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["reason"]);
    let (status, asked) = post(
        router,
        &uri,
        &ops,
        json!({"reason": "borrower insolvent; court ruling 2026-12"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {asked}");
    assert_eq!(asked["request"]["preview"]["principal"], "10000.00");
    let (status, _) = post(router, &uri, &ops, json!({"reason": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{label}: one waiting");
    let (_, queue) = get(router, "/api/v1/write-offs?status=requested", &approver).await;
    assert_eq!(queue[0]["id"], asked["id"], "{label}: {queue}");
    let approve = format!("/api/v1/write-offs/{}/approve", asked["id"]);
    let (status, problem, _) = post_empty(router, &approve, &ops).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {problem}");
    let (status, applied, _) = post_empty(router, &approve, &approver).await;
    assert_eq!(status, StatusCode::OK, "{label}: {applied}");
    assert_eq!(applied["status"], "applied");
    let (status, w) = get(router, &uri, &collector).await;
    assert_eq!(status, StatusCode::OK, "{label}: {w}");
    let minor = |v: &Value| Money::parse(v.as_str().unwrap(), Currency::CNY).unwrap();
    // what was booked went off the books: the provision first, the rest expense
    let booked = minor(&w["principal"]).amount_minor()
        + minor(&w["interest"]).amount_minor()
        + minor(&w["penalty"]).amount_minor()
        + minor(&w["fees"]).amount_minor();
    // never overdue: no penalty, nothing off book; no fees
    assert_eq!(
        (
            w["principal"].as_str(),
            w["penalty"].as_str(),
            w["fees"].as_str(),
            w["off_book"].as_str()
        ),
        (Some("10000.00"), Some("0.00"), Some("0.00"), Some("0.00")),
        "{label}: {w}"
    );
    assert_eq!(
        minor(&w["provision_used"]).amount_minor() + minor(&w["expense"]).amount_minor(),
        booked,
        "{label}: {w}"
    );
    assert_eq!(
        (w["recovered"].as_str(), w["claim"] == w["outstanding"]),
        (Some("0.00"), true)
    );
    let (_, loan) = get(router, &format!("/api/v1/loans/{WRITTEN_OFF}"), &officer).await;
    assert_eq!(
        (
            loan["status"].as_str(),
            loan["principal_outstanding"].as_str()
        ),
        (Some("written_off"), Some("0.00")),
        "{label}"
    );

    // recoveries: refused input posts nothing; one key posts once
    let recover = format!("/api/v1/loans/{WRITTEN_OFF}/recoveries");
    let body = json!({"amount": "3000.00", "reference": "court enforcement"});
    let counts = || async {
        let (_, txns) = get(
            router,
            &format!("/api/v1/loans/{WRITTEN_OFF}/transactions"),
            &ops,
        )
        .await;
        let entries = ledger::entries(app, &Actor::system(), None, 500)
            .await
            .unwrap();
        (txns.as_array().unwrap().len(), entries.len())
    };
    let before = counts().await;
    let recovery = |token: &str, key: Option<&str>, body: Value| {
        let (token, key, recover) = (token.to_owned(), key.map(str::to_owned), recover.clone());
        async move {
            send(
                router,
                &recover,
                &token,
                key.as_deref(),
                "application/json",
                body.to_string(),
            )
            .await
        }
    };
    let (status, _, _) = recovery(&collector, Some("rc-1"), body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
    for (key, body, field) in [
        (Some("rc-bad"), json!({"amount": "-1"}), "amount"),
        (Some("rc-bad"), json!({"amount": "99999.00"}), "amount"),
        (Some(""), body.clone(), "Idempotency-Key"),
    ] {
        let (status, problem, content_type) = recovery(&ops, key, body).await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json"),
            "{label}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{label}");
    }
    assert_eq!(counts().await, before, "{label}: nothing written");
    let (status, first, _) = recovery(&ops, Some("rc-1"), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {first}");
    assert_eq!(first["recovered"], "3000.00");
    assert_eq!(
        minor(&first["outstanding"]).amount_minor(),
        minor(&w["claim"]).amount_minor() - 300_000,
        "{label}"
    );
    let (status, retry, _) = recovery(&ops, Some("rc-1"), body.clone()).await;
    assert_eq!((status, &retry), (StatusCode::CREATED, &first), "{label}");
    assert_eq!(
        counts().await,
        (before.0 + 1, before.1 + 1),
        "{label}: one recovery transaction and one entry"
    );
    let (status, _, _) = recovery(&ops, Some("rc-1"), json!({"amount": "1.00"})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "{label}: the key with another body"
    );
    let (status, _, _) = send(
        router,
        &format!("/api/v1/loans/{EXTENDED}/recoveries"),
        &ops,
        None,
        "application/json",
        body.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{label}: not written off");
}

/// The LPR table: a bad file refused whole, then imported once, again as a no-op.
async fn lpr_table(router: &axum::Router, label: &str) {
    let ops = login(router, "operations").await;
    let officer = login(router, "loan.officer").await;
    let import = |token: String, csv: &'static str| async move {
        send(
            router,
            "/api/v1/lpr/import",
            &token,
            None,
            "text/csv",
            csv.to_owned(),
        )
        .await
    };
    let good = "tenor,effective_date,rate\n1y,2026-10-20,0.0300\n5y,2026-10-20,0.0350\n5y,2026-12-22,0.0330\n";
    let (status, _, _) = import(officer.clone(), good).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}: product:write");
    let (status, problem, _) = import(
        ops.clone(),
        "tenor,effective_date,rate\n3y,2026-10-20,0.0300\n1y,2026-13-01,abc\n",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{label}: {problem}"
    );
    let rows: Vec<(i64, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [(2, "tenor"), (3, "effective_date"), (3, "rate")],
        "{label}"
    );
    let (status, problem, _) = import(ops.clone(), "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
    assert_eq!(fields(&problem), ["csv"]);
    let (_, none) = get(router, "/api/v1/lpr", &officer).await;
    assert_eq!(none, json!([]), "{label}: nothing half-imported");

    let (status, done, _) = import(ops.clone(), good).await;
    assert_eq!(
        (status, done),
        (StatusCode::OK, json!({"added": 3, "unchanged": 0})),
        "{label}"
    );
    let (status, again, _) = import(ops.clone(), good).await;
    assert_eq!(
        (status, again),
        (StatusCode::OK, json!({"added": 0, "unchanged": 3})),
        "{label}"
    );
    let (status, problem, _) = import(
        ops.clone(),
        "tenor,effective_date,rate\n5y,2026-12-22,0.0340\n",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
    assert_eq!(
        (problem["errors"][0]["row"].as_i64(), fields(&problem)),
        (Some(2), vec!["rate"]),
        "{label}: a published rate is not changed"
    );
    let (status, all) = get(router, "/api/v1/lpr", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 3, "{label}: {all}");
    let (_, five) = get(router, "/api/v1/lpr?tenor=5y", &officer).await;
    assert_eq!(
        five,
        json!([
            {"tenor": "5y", "effective_date": "2026-12-22", "rate": "0.033"},
            {"tenor": "5y", "effective_date": "2026-10-20", "rate": "0.035"},
        ]),
        "{label}: newest first"
    );
    let (status, problem) = get(router, "/api/v1/lpr?tenor=2y", &officer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["tenor"]);
}

/// The extended loan paid off: its collateral-release task done, then archived.
async fn closing_and_archiving(router: &axum::Router, label: &str) {
    let ops = login(router, "operations").await;
    let collector = login(router, "collector").await;
    let id = loan_id(router, &ops, EXTENDED).await;
    let (status, quote) = get(router, &format!("/api/v1/loans/{EXTENDED}/payoff"), &ops).await;
    assert_eq!(status, StatusCode::OK, "{label}: {quote}");
    let (status, paid, _) = send(
        router,
        &format!("/api/v1/loans/{EXTENDED}/payoff"),
        &ops,
        Some("po-a"),
        "application/json",
        json!({"amount": quote["total"]}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {paid}");
    assert_eq!(paid["loan_status"], "closed");

    let (status, problem) = get(router, "/api/v1/tasks?status=pending", &ops).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["status"]);
    let (status, open) = get(router, "/api/v1/tasks?status=open", &collector).await;
    assert_eq!(status, StatusCode::OK, "{label}: {open}");
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 1, "{label}: the written-off loan opens none");
    assert_eq!(
        (open[0]["loan_id"].as_i64(), open[0]["kind"].as_str()),
        (Some(id), Some("collateral_release"))
    );
    let task = open[0]["id"].as_i64().unwrap();

    let archive = format!("/api/v1/loans/{EXTENDED}/archive");
    let (status, problem, _) = post_empty(router, &archive, &ops).await;
    assert_eq!(status, StatusCode::CONFLICT, "{label}: {problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("open task"),
        "{problem}"
    );
    let (status, problem, _) = post_empty(
        router,
        &format!("/api/v1/loans/{WRITTEN_OFF}/archive"),
        &ops,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "{label}: written off, not closed: {problem}"
    );

    let done = format!("/api/v1/tasks/{task}/done");
    let (status, _) = post(router, &done, &collector, json!({"note": "n"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
    let (status, problem) = post(router, &done, &ops, json!({"note": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["note"]);
    let note = json!({"note": "unsecured: nothing to release, confirmed"});
    let (status, finished) = post(router, &done, &ops, note.clone()).await;
    assert_eq!(status, StatusCode::OK, "{label}: {finished}");
    assert_eq!(
        (finished["status"].as_str(), finished["done_by"].as_str()),
        (Some("done"), Some("operations"))
    );
    let (status, _) = post(router, &done, &ops, note.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{label}: done already");
    let (status, _) = post(router, "/api/v1/tasks/999999/done", &ops, note).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{label}");
    let (_, left) = get(
        router,
        &format!("/api/v1/tasks?status=open&loan={EXTENDED}"),
        &ops,
    )
    .await;
    assert_eq!(left, json!([]), "{label}");

    let (status, archived, _) = post_empty(router, &archive, &ops).await;
    assert_eq!(
        (status, archived),
        (StatusCode::OK, json!({"loan_id": id, "status": "archived"})),
        "{label}"
    );
    let (_, loan) = get(router, &format!("/api/v1/loans/{id}"), &ops).await;
    assert_eq!(loan["status"], "archived", "{label}");
    let (status, _, _) = post_empty(router, &archive, &ops).await;
    assert_eq!(status, StatusCode::CONFLICT, "{label}: archived already");
}
