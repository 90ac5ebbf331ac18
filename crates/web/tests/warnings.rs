//! Early warnings over HTTP on SQLite and PostgreSQL: an income drop entered through the
//! customer API raises a warning that the loan officer acknowledges, hands to collections
//! and closes (a close without resolution refused); a collector is refused the worklist;
//! a region on the watch list flags its borrower; a revalued collateral breaches the
//! loan-to-value; the routes are in the OpenAPI document.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{apps, call, login};
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_service::applications::{FundingSourceInput, create_funding_source};
use loanbook_service::auth::{Permission, Role};
use loanbook_service::customers::{self, CustomerInput};
use loanbook_service::servicing::book::{BookLoanInput, book_loan};
use loanbook_service::{Actor, App, demo, products};
use serde_json::{Value, json};

/// A product, a funding source and 李雷 of 广东省 (monthly income 10,000.00) with a loan
/// of 40,000.00 booked on 2026-11-23; returns (customer, loan).
async fn borrower(app: &App) -> (i64, i64) {
    let admin = Actor::system();
    let product = json!({
        "code": "EW", "name": "early warning test", "currency": "CNY",
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
    let customer = customers::create(app, &admin, &li_lei("10000.00"))
        .await
        .unwrap();
    let loan = book_loan(
        app,
        &admin,
        &BookLoanInput {
            external_id: Some("EW-1".into()),
            customer_id: customer.id,
            product_code: "EW".into(),
            principal: Money::parse("40000", Currency::CNY).unwrap(),
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

fn li_lei(income: &str) -> CustomerInput {
    CustomerInput {
        kind: "individual".into(),
        name: "李雷".into(),
        id_number: Some(demo::resident_id("11010119880808", 21)),
        phone: Some("13800138021".into()),
        province: Some("广东省".into()),
        monthly_income: Some(income.into()),
        ..CustomerInput::default()
    }
}

fn customer_json(income: &str) -> Value {
    let c = li_lei(income);
    json!({"kind": c.kind, "name": c.name, "id_number": c.id_number, "phone": c.phone,
           "province": c.province, "monthly_income": c.monthly_income})
}

#[tokio::test]
async fn a_warning_is_worked_through_the_api() {
    for (router, app, t) in apps().await {
        let label = t.label;
        let (customer, loan) = borrower(&app).await;
        let officer = login(&router, "loan.officer").await;
        // 10,000.00 → 5,500.00: a fall of 45% through the customer API
        let (status, body, _) = call(
            &router,
            "PUT",
            &format!("/api/v1/customers/{customer}"),
            Some(&officer),
            Some(customer_json("5500.00")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        let (status, list, _) = call(
            &router,
            "GET",
            &format!("/api/v1/warnings?status=open&customer_id={customer}"),
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {list}");
        assert_eq!(list.as_array().unwrap().len(), 1, "{label}: {list}");
        let w = &list[0];
        assert_eq!(
            (
                &w["rule"],
                &w["severity"],
                &w["loan_id"],
                &w["detail"]["fall"]
            ),
            (
                &json!("income_drop"),
                &json!("medium"),
                &Value::Null,
                &json!("0.4500")
            )
        );
        let id = w["id"].as_i64().unwrap();

        // a collector may not see the worklist; a bad filter is a 422 naming it
        let collector = login(&router, "collector").await;
        let (status, _, _) = call(&router, "GET", "/api/v1/warnings", Some(&collector), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
        let (status, problem, kind) = call(
            &router,
            "GET",
            "/api/v1/warnings?severity=grave",
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(
            (status, kind.as_str(), &problem["errors"][0]["field"]),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "application/problem+json",
                &json!("severity")
            )
        );

        // acting before acknowledging is a conflict
        let hand = json!({"action": "hand_to_collections", "loan_id": loan});
        let uri = format!("/api/v1/warnings/{id}/actions");
        let (status, _, _) = call(&router, "POST", &uri, Some(&officer), Some(hand.clone())).await;
        assert_eq!(status, StatusCode::CONFLICT, "{label}");
        let (status, ack, _) = call(
            &router,
            "POST",
            &format!("/api/v1/warnings/{id}/acknowledge"),
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {ack}");
        assert_eq!(
            (&ack["status"], &ack["owner"]),
            (&json!("acknowledged"), &json!("loan.officer"))
        );
        let (status, acted, _) = call(&router, "POST", &uri, Some(&officer), Some(hand)).await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {acted}");
        let last = acted["actions"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (
                &acted["status"],
                &last["action"],
                &last["detail"]["opened"],
                &last["loan_id"]
            ),
            (
                &json!("actioned"),
                &json!("hand_to_collections"),
                &json!(true),
                &json!(loan)
            )
        );
        // an unknown action names the field
        let (status, problem, _) = call(
            &router,
            "POST",
            &uri,
            Some(&officer),
            Some(json!({"action": "phone_mother"})),
        )
        .await;
        assert_eq!(
            (status, &problem["errors"][0]["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!("action"))
        );

        // closing needs a resolution
        let close = format!("/api/v1/warnings/{id}/close");
        let (status, problem, _) =
            call(&router, "POST", &close, Some(&officer), Some(json!({}))).await;
        assert_eq!(
            (status, &problem["errors"][0]["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!("resolution")),
            "{label}"
        );
        let (status, closed, _) = call(
            &router,
            "POST",
            &close,
            Some(&officer),
            Some(json!({"resolution": "collections engaged, borrower contacted"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {closed}");
        assert_eq!(
            (&closed["status"], &closed["closed_by"]),
            (&json!("closed"), &json!("loan.officer"))
        );
        let (status, shown, _) = call(
            &router,
            "GET",
            &format!("/api/v1/warnings/{id}"),
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let steps: Vec<&str> = shown["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            ["acknowledge", "hand_to_collections", "close"],
            "{label}"
        );
        let (status, _, _) = call(
            &router,
            "GET",
            "/api/v1/warnings/9999",
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_watch_list_revaluation_and_evaluation_over_http() {
    for (router, app, t) in apps().await {
        let label = t.label;
        let (customer, _) = borrower(&app).await;
        let officer = login(&router, "loan.officer").await;
        let analyst = login(&router, "credit.analyst").await;
        let entry = json!({"kind": "region", "value": "广东省", "reason": "flooding"});
        // the watch list is a credit policy: an officer may read it, not change it
        let (status, _, _) = call(
            &router,
            "POST",
            "/api/v1/risk-watch-list",
            Some(&officer),
            Some(entry.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}");
        let (status, added, _) = call(
            &router,
            "POST",
            "/api/v1/risk-watch-list",
            Some(&analyst),
            Some(entry.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {added}");
        assert_eq!(added["warnings_raised"], 1);
        let (status, _, _) = call(
            &router,
            "POST",
            "/api/v1/risk-watch-list",
            Some(&analyst),
            Some(entry),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, entries, _) = call(
            &router,
            "GET",
            "/api/v1/risk-watch-list",
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(
            (status, entries.as_array().unwrap().len()),
            (StatusCode::OK, 1)
        );
        let entry_id = added["entry"]["id"].as_i64().unwrap();
        let (status, removed, _) = call(
            &router,
            "DELETE",
            &format!("/api/v1/risk-watch-list/{entry_id}"),
            Some(&analyst),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {removed}");
        assert_eq!(removed["removed_by"], "credit.analyst");

        // collateral of 50,000.00 against 40,000.00 outstanding: 0.80, not above
        let (status, home, _) = call(
            &router,
            "POST",
            &format!("/api/v1/customers/{customer}/collateral"),
            Some(&officer),
            Some(json!({"kind": "vehicle", "description": "一辆轿车", "valuation": "50000",
                        "valued_on": "2026-11-20", "custody": "borrower", "lien_status": "registered"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {home}");
        let (status, e, _) = call(
            &router,
            "POST",
            "/api/v1/warnings/evaluate",
            Some(&officer),
            Some(json!({"customer_id": customer})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {e}");
        assert_eq!(
            (
                &e["ltv"]["ltv"],
                &e["ltv"]["breach"],
                &e["collateral_ltv_raised"]
            ),
            (&json!("0.8000"), &json!(false), &json!(0))
        );
        // revalued at 45,000.00: 40,000 / 45,000 = 0.8889 > 0.80
        let (status, r, _) = call(
            &router,
            "POST",
            &format!("/api/v1/collateral/{}/revaluation", home["id"]),
            Some(&officer),
            Some(json!({"valuation": "45000", "valued_on": "2026-11-23"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {r}");
        assert_eq!(
            (
                &r["previous_valuation"],
                &r["ltv"]["ltv"],
                &r["ltv"]["breach"]
            ),
            (&json!("50000.00"), &json!("0.8889"), &json!(true))
        );
        let (_, high, _) = call(
            &router,
            "GET",
            "/api/v1/warnings?rule=collateral_ltv&severity=high",
            Some(&officer),
            None,
        )
        .await;
        assert_eq!(high.as_array().unwrap().len(), 1, "{label}: {high}");
        // the whole book: one customer checked, nothing new
        let admin = login(&router, "admin").await;
        let (status, all, _) = call(
            &router,
            "POST",
            "/api/v1/warnings/evaluate",
            Some(&admin),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {all}");
        assert_eq!(
            (&all["customers_checked"], &all["collateral_ltv_raised"]),
            (&json!(1), &json!(0))
        );
    }
}

#[tokio::test]
async fn every_role_gets_what_its_permissions_allow() {
    for (router, _app, t) in apps().await {
        for role in Role::ALL {
            let username = if role == Role::Admin {
                "admin".to_owned()
            } else {
                role.code().replace('_', ".")
            };
            let token = login(&router, &username).await;
            for (method, uri, permission) in [
                ("GET", "/api/v1/warnings", Permission::WarningManage),
                ("GET", "/api/v1/risk-watch-list", Permission::WarningManage),
                (
                    "POST",
                    "/api/v1/warnings/1/close",
                    Permission::WarningManage,
                ),
                ("POST", "/api/v1/risk-watch-list", Permission::PolicyManage),
                (
                    "POST",
                    "/api/v1/collateral/1/revaluation",
                    Permission::CustomerWrite,
                ),
            ] {
                // empty bodies: an allowed role gets past the permission to a 422 or 404
                let body = (method == "POST").then(|| json!({}));
                let (status, answer, _) = call(&router, method, uri, Some(&token), body).await;
                let expected_forbidden = !role.allows(permission);
                assert_eq!(
                    status == StatusCode::FORBIDDEN,
                    expected_forbidden,
                    "{}: {} {method} {uri}: {status} {answer}",
                    t.label,
                    role.code()
                );
                assert!(status.as_u16() < 500, "{method} {uri}: {answer}");
            }
        }
    }
}

#[tokio::test]
async fn the_warning_routes_are_documented() {
    let (router, _app, _t) = apps().await.remove(0);
    let (status, doc, _) = call(&router, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/warnings",
        "/api/v1/warnings/{id}",
        "/api/v1/warnings/{id}/acknowledge",
        "/api/v1/warnings/{id}/assign",
        "/api/v1/warnings/{id}/actions",
        "/api/v1/warnings/{id}/close",
        "/api/v1/warnings/evaluate",
        "/api/v1/collateral/{id}/revaluation",
        "/api/v1/risk-watch-list",
        "/api/v1/risk-watch-list/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
}
