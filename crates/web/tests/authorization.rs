//! The authorization matrix for every operation of the API, on SQLite and PostgreSQL:
//! every operation in the OpenAPI document has a row in an explicit table naming the
//! permission it needs (or "public" / "any logged-in user"); for every operation and every
//! role, a role without the permission gets exactly 403 with a problem naming it, a role with
//! it never gets 401 or 403, a request without a token gets 401, and no answer is a 5xx.
//! A new route that is not in the table fails the test.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use axum::http::StatusCode;
use loanbook_service::Actor;
use loanbook_service::auth::{Permission, Role};
use serde_json::{Value, json};

mod common;
use common::{PASSWORD, apps, call, login};

/// What an operation needs.
#[derive(Clone, Copy, Debug)]
enum Need {
    /// No token at all.
    Public,
    /// Any logged-in user, whatever the role.
    AnyUser,
    /// One permission.
    P(Permission),
    /// Any one of these permissions.
    AnyOf(&'static [Permission]),
    /// All of these permissions.
    All(&'static [Permission]),
}

impl Need {
    fn allows(self, role: Role) -> bool {
        match self {
            Need::Public | Need::AnyUser => true,
            Need::P(p) => role.allows(p),
            Need::AnyOf(ps) => ps.iter().any(|p| role.allows(*p)),
            Need::All(ps) => ps.iter().all(|p| role.allows(*p)),
        }
    }

    /// The permissions a refusal may name: those the role lacks.
    fn missing(self, role: Role) -> Vec<Permission> {
        match self {
            Need::Public | Need::AnyUser => Vec::new(),
            Need::P(p) => vec![p],
            Need::AnyOf(ps) | Need::All(ps) => {
                ps.iter().copied().filter(|p| !role.allows(*p)).collect()
            }
        }
    }
}

use Need::{All, AnyOf, AnyUser, P, Public};
use Permission::*;

/// Every operation (method, path template as in the OpenAPI document) with what it needs,
/// read from the `require(...)` of the use case its handler calls.
const TABLE: &[(&str, &str, Need)] = &[
    ("GET", "/api/v1/applications", P(ApplicationRead)),
    ("POST", "/api/v1/applications", P(ApplicationWrite)),
    ("GET", "/api/v1/applications/{id}", P(ApplicationRead)),
    (
        "POST",
        "/api/v1/applications/{id}/contract",
        P(ContractManage),
    ),
    (
        "POST",
        "/api/v1/applications/{id}/counter-offer/accept",
        P(ApplicationWrite),
    ),
    (
        "POST",
        "/api/v1/applications/{id}/counter-offer/reject",
        P(ApplicationWrite),
    ),
    (
        "POST",
        "/api/v1/applications/{id}/decisions",
        P(ApplicationDecide),
    ),
    (
        "GET",
        "/api/v1/applications/{id}/history",
        P(ApplicationRead),
    ),
    (
        "GET",
        "/api/v1/applications/{id}/investigation",
        P(ApplicationRead),
    ),
    (
        "POST",
        "/api/v1/applications/{id}/investigation",
        P(DocumentWrite),
    ),
    (
        "POST",
        "/api/v1/applications/{id}/submit",
        P(ApplicationWrite),
    ),
    (
        "POST",
        "/api/v1/applications/{id}/withdraw",
        P(ApplicationWrite),
    ),
    ("GET", "/api/v1/approvals", P(ApplicationRead)),
    ("GET", "/api/v1/audit", P(AuditRead)),
    ("POST", "/api/v1/auth/login", Public),
    ("POST", "/api/v1/auth/logout", AnyUser),
    ("POST", "/api/v1/auth/tokens", AnyUser),
    // only the caller's own tokens: another user's id answers 404
    ("DELETE", "/api/v1/auth/tokens/{id}", AnyUser),
    ("GET", "/api/v1/authority-rules", P(ApplicationRead)),
    ("POST", "/api/v1/authority-rules", P(PolicyManage)),
    ("GET", "/api/v1/class-overrides", P(LoanRead)),
    (
        "POST",
        "/api/v1/class-overrides/{id}/approve",
        P(LoanClassifyApprove),
    ),
    (
        "POST",
        "/api/v1/class-overrides/{id}/reject",
        P(LoanClassifyApprove),
    ),
    (
        "POST",
        "/api/v1/collateral-disposals/{id}/sale",
        All(&[CollectionManage, RepaymentPost]),
    ),
    (
        "POST",
        "/api/v1/collateral/{id}/revaluation",
        P(CustomerWrite),
    ),
    (
        "POST",
        "/api/v1/collections/agency/{id}/recall",
        P(CollectionManage),
    ),
    ("GET", "/api/v1/collections/cases", P(CollectionWork)),
    ("GET", "/api/v1/collections/cases/{id}", P(CollectionWork)),
    (
        "POST",
        "/api/v1/collections/cases/{id}/actions",
        P(CollectionWork),
    ),
    (
        "POST",
        "/api/v1/collections/cases/{id}/agency",
        P(CollectionManage),
    ),
    (
        "POST",
        "/api/v1/collections/cases/{id}/assign",
        P(CollectionManage),
    ),
    (
        "POST",
        "/api/v1/collections/cases/{id}/legal",
        P(CollectionManage),
    ),
    (
        "POST",
        "/api/v1/collections/cases/{id}/promises",
        P(CollectionWork),
    ),
    (
        "POST",
        "/api/v1/collections/cases/{id}/settlements",
        P(CollectionManage),
    ),
    (
        "POST",
        "/api/v1/collections/cases/{id}/visits",
        P(CollectionWork),
    ),
    ("GET", "/api/v1/collections/collectors", P(CollectionWork)),
    ("PUT", "/api/v1/collections/collectors", P(CollectionManage)),
    (
        "POST",
        "/api/v1/collections/legal/{id}",
        P(CollectionManage),
    ),
    ("GET", "/api/v1/collections/strategy", P(CollectionWork)),
    ("PUT", "/api/v1/collections/strategy", P(CollectionManage)),
    (
        "POST",
        "/api/v1/collections/visits/{id}/result",
        P(CollectionWork),
    ),
    ("GET", "/api/v1/contracts/{id}", P(ApplicationRead)),
    (
        "POST",
        "/api/v1/contracts/{id}/disburse",
        P(DisbursementRelease),
    ),
    ("GET", "/api/v1/contracts/{id}/document", P(ApplicationRead)),
    ("POST", "/api/v1/contracts/{id}/sign", P(ContractManage)),
    // unmasking (`?unmask=true`) needs pii:view besides; not asked here
    ("GET", "/api/v1/customers", P(CustomerRead)),
    ("POST", "/api/v1/customers", P(CustomerWrite)),
    ("GET", "/api/v1/customers/{id}", P(CustomerRead)),
    ("PUT", "/api/v1/customers/{id}", P(CustomerWrite)),
    ("GET", "/api/v1/customers/{id}/collateral", P(CustomerRead)),
    (
        "POST",
        "/api/v1/customers/{id}/collateral",
        P(CustomerWrite),
    ),
    (
        "GET",
        "/api/v1/customers/{id}/contact-preferences",
        P(CustomerRead),
    ),
    (
        "PUT",
        "/api/v1/customers/{id}/contact-preferences",
        P(CustomerWrite),
    ),
    ("GET", "/api/v1/customers/{id}/contacts", P(CustomerRead)),
    ("POST", "/api/v1/customers/{id}/contacts", P(CustomerWrite)),
    (
        "GET",
        "/api/v1/customers/{id}/credit-reports",
        P(CustomerRead),
    ),
    (
        "POST",
        "/api/v1/customers/{id}/credit-reports",
        P(DocumentWrite),
    ),
    ("GET", "/api/v1/customers/{id}/documents", P(CustomerRead)),
    ("POST", "/api/v1/customers/{id}/documents", P(DocumentWrite)),
    ("GET", "/api/v1/customers/{id}/guarantors", P(CustomerRead)),
    (
        "POST",
        "/api/v1/customers/{id}/guarantors",
        P(CustomerWrite),
    ),
    ("GET", "/api/v1/customers/{id}/screening", P(CustomerRead)),
    ("POST", "/api/v1/customers/{id}/status", P(CustomerWrite)),
    ("GET", "/api/v1/documents/{id}/content", P(CustomerRead)),
    ("POST", "/api/v1/eod/run", P(EodRun)),
    ("GET", "/api/v1/eod/runs", P(LoanRead)),
    ("GET", "/api/v1/funding-sources", P(FundingRead)),
    ("POST", "/api/v1/funding-sources", P(FundingManage)),
    ("GET", "/api/v1/inspections", P(LoanRead)),
    ("GET", "/api/v1/inspections/queue", P(LoanRead)),
    ("GET", "/api/v1/inspections/{id}", P(LoanRead)),
    ("POST", "/api/v1/inspections/{id}/assign", P(InspectionWork)),
    (
        "POST",
        "/api/v1/inspections/{id}/complete",
        P(InspectionWork),
    ),
    ("GET", "/api/v1/leads", P(ApplicationRead)),
    ("POST", "/api/v1/leads", P(ApplicationWrite)),
    ("POST", "/api/v1/leads/{id}/convert", P(ApplicationWrite)),
    ("POST", "/api/v1/leads/{id}/status", P(ApplicationWrite)),
    ("GET", "/api/v1/ledger/accounts", P(LedgerRead)),
    ("GET", "/api/v1/ledger/entries", P(LedgerRead)),
    ("POST", "/api/v1/ledger/entries", P(LedgerPost)),
    (
        "POST",
        "/api/v1/ledger/entries/{id}/reversal",
        P(LedgerPost),
    ),
    ("GET", "/api/v1/ledger/trial-balance", P(LedgerRead)),
    ("GET", "/api/v1/loans", P(LoanRead)),
    ("POST", "/api/v1/loans/import", P(DisbursementRelease)),
    ("GET", "/api/v1/loans/{id}", P(LoanRead)),
    ("POST", "/api/v1/loans/{id}/archive", P(LoanClose)),
    ("POST", "/api/v1/loans/{id}/class-override", P(LoanClassify)),
    (
        "POST",
        "/api/v1/loans/{id}/class-override/remove",
        P(LoanClassify),
    ),
    (
        "POST",
        "/api/v1/loans/{id}/collateral-disposals",
        P(CollectionManage),
    ),
    ("GET", "/api/v1/loans/{id}/inspections", P(LoanRead)),
    ("POST", "/api/v1/loans/{id}/inspections", P(InspectionWork)),
    ("GET", "/api/v1/loans/{id}/payoff", P(LoanRead)),
    ("POST", "/api/v1/loans/{id}/payoff", P(RepaymentPost)),
    ("POST", "/api/v1/loans/{id}/prepayments", P(RepaymentPost)),
    ("POST", "/api/v1/loans/{id}/recoveries", P(RepaymentPost)),
    ("POST", "/api/v1/loans/{id}/refunds", P(RepaymentPost)),
    ("POST", "/api/v1/loans/{id}/repayments", P(RepaymentPost)),
    ("GET", "/api/v1/loans/{id}/restructures", P(LoanRead)),
    (
        "POST",
        "/api/v1/loans/{id}/restructures",
        P(LoanRestructure),
    ),
    ("GET", "/api/v1/loans/{id}/schedule", P(LoanRead)),
    ("GET", "/api/v1/loans/{id}/transactions", P(LoanRead)),
    (
        "POST",
        "/api/v1/loans/{id}/transactions/{tx}/reversal",
        P(RepaymentPost),
    ),
    ("GET", "/api/v1/loans/{id}/write-off", P(LoanRead)),
    ("POST", "/api/v1/loans/{id}/write-off", P(LoanWriteOff)),
    ("GET", "/api/v1/lpr", P(ProductRead)),
    ("POST", "/api/v1/lpr/import", P(ProductWrite)),
    (
        "PUT",
        "/api/v1/message-templates/{kind}/{language}",
        P(NotificationManage),
    ),
    ("GET", "/api/v1/models", P(ModelRead)),
    ("POST", "/api/v1/models", P(ModelManage)),
    ("GET", "/api/v1/models/{id}", P(ModelRead)),
    ("GET", "/api/v1/models/{id}/monitoring", P(ModelRead)),
    ("POST", "/api/v1/models/{id}/status", P(ModelManage)),
    // the outbox: notification staff see all of it, collectors their own cases' messages
    (
        "GET",
        "/api/v1/outbox",
        AnyOf(&[NotificationManage, CollectionWork]),
    ),
    ("POST", "/api/v1/outbox/dispatch", P(NotificationManage)),
    ("POST", "/api/v1/outbox/{id}/retry", P(NotificationManage)),
    (
        "POST",
        "/api/v1/payments/confirmations",
        P(DisbursementRelease),
    ),
    ("POST", "/api/v1/payments/statement", P(RepaymentPost)),
    ("GET", "/api/v1/policies", P(ApplicationRead)),
    ("POST", "/api/v1/policies", P(PolicyManage)),
    ("GET", "/api/v1/products", P(ProductRead)),
    ("POST", "/api/v1/products", P(ProductWrite)),
    ("GET", "/api/v1/products/{code}", P(ProductRead)),
    ("GET", "/api/v1/products/{code}/versions", P(ProductRead)),
    ("GET", "/api/v1/reports/approvals", P(ApplicationRead)),
    ("GET", "/api/v1/reports/cash-flow", P(LoanRead)),
    ("GET", "/api/v1/reports/collections", P(LoanRead)),
    ("GET", "/api/v1/reports/liquidity", P(LoanRead)),
    ("GET", "/api/v1/reports/models", P(LoanRead)),
    ("GET", "/api/v1/reports/officers", P(LoanRead)),
    ("GET", "/api/v1/reports/portfolio", P(LoanRead)),
    ("GET", "/api/v1/reports/roll-rates", P(LoanRead)),
    ("GET", "/api/v1/reports/vintages", P(LoanRead)),
    ("GET", "/api/v1/restructures", P(LoanRead)),
    (
        "POST",
        "/api/v1/restructures/{id}/approve",
        P(LoanRestructureApprove),
    ),
    (
        "POST",
        "/api/v1/restructures/{id}/reject",
        P(LoanRestructureApprove),
    ),
    ("GET", "/api/v1/risk-watch-list", P(WarningManage)),
    ("POST", "/api/v1/risk-watch-list", P(PolicyManage)),
    ("DELETE", "/api/v1/risk-watch-list/{id}", P(PolicyManage)),
    (
        "POST",
        "/api/v1/settlements/{id}/approve",
        P(SettlementApprove),
    ),
    ("POST", "/api/v1/settlements/{id}/pay", P(RepaymentPost)),
    (
        "POST",
        "/api/v1/settlements/{id}/reject",
        P(SettlementApprove),
    ),
    ("GET", "/api/v1/tasks", P(LoanRead)),
    ("POST", "/api/v1/tasks/{id}/done", P(LoanClose)),
    ("GET", "/api/v1/tickets", P(CustomerRead)),
    ("POST", "/api/v1/tickets", P(TicketWork)),
    ("POST", "/api/v1/tickets/sla-sweep", P(TicketWork)),
    ("GET", "/api/v1/tickets/{id}", P(CustomerRead)),
    ("POST", "/api/v1/tickets/{id}/assign", P(TicketWork)),
    ("POST", "/api/v1/tickets/{id}/comment", P(TicketWork)),
    ("POST", "/api/v1/tickets/{id}/rate", P(TicketWork)),
    ("POST", "/api/v1/tickets/{id}/reopen", P(TicketWork)),
    ("POST", "/api/v1/tickets/{id}/resolve", P(TicketWork)),
    (
        "POST",
        "/api/v1/tickets/{id}/statement",
        All(&[TicketWork, LoanRead]),
    ),
    ("GET", "/api/v1/users", P(UserManage)),
    ("POST", "/api/v1/users", P(UserManage)),
    ("GET", "/api/v1/warnings", P(WarningManage)),
    ("POST", "/api/v1/warnings/evaluate", P(WarningManage)),
    ("GET", "/api/v1/warnings/{id}", P(WarningManage)),
    (
        "POST",
        "/api/v1/warnings/{id}/acknowledge",
        P(WarningManage),
    ),
    ("POST", "/api/v1/warnings/{id}/actions", P(WarningManage)),
    ("POST", "/api/v1/warnings/{id}/assign", P(WarningManage)),
    ("POST", "/api/v1/warnings/{id}/close", P(WarningManage)),
    ("GET", "/api/v1/watch-list", P(ApplicationRead)),
    ("POST", "/api/v1/watch-list", P(WatchListManage)),
    ("GET", "/api/v1/write-offs", P(LoanRead)),
    (
        "POST",
        "/api/v1/write-offs/{id}/approve",
        P(LoanWriteOffApprove),
    ),
    (
        "POST",
        "/api/v1/write-offs/{id}/reject",
        P(LoanWriteOffApprove),
    ),
];

/// The query string an operation needs to get past parameter parsing (to authorization).
fn query(method: &str, template: &str) -> &'static str {
    match (method, template) {
        ("GET", "/api/v1/reports/officers") => "?from=2026-11-01&to=2026-11-30",
        ("GET", "/api/v1/reports/liquidity") => "?months=3",
        ("GET", "/api/v1/reports/approvals") => "?from=2026-11-01&to=2026-11-30",
        ("POST", "/api/v1/customers/{id}/documents") => "?kind=id_card&file_name=a.txt",
        _ => "",
    }
}

/// A body that deserializes (so the request reaches the use case) but changes nothing for
/// a permitted role: it names a row that does not exist or breaks a rule (422).
fn body(method: &str, template: &str) -> Option<Value> {
    let value = match (method, template) {
        ("POST", "/api/v1/auth/login") => json!({"username": "admin", "password": PASSWORD}),
        // the day before the open business date: closed already, nothing changes
        ("POST", "/api/v1/eod/run") => json!({"until": "2026-11-22"}),
        ("GET" | "DELETE", _) => return None,
        ("POST", "/api/v1/applications") => json!({"customer_id": 999, "product_code": "",
            "amount": "", "term_months": 0, "method": "", "purpose": "", "channel": ""}),
        ("POST", "/api/v1/applications/{id}/decisions") => json!({"decision": "", "comment": ""}),
        ("POST", "/api/v1/applications/{id}/investigation") => {
            json!({"visited_on": "", "visit_summary": "", "checklist": []})
        }
        ("POST", "/api/v1/applications/{id}/withdraw")
        | ("POST", "/api/v1/ledger/entries/{id}/reversal")
        | ("POST", "/api/v1/loans/{id}/transactions/{tx}/reversal") => json!({"reason": ""}),
        ("POST", "/api/v1/collateral-disposals/{id}/sale") => json!({"sale_amount": ""}),
        ("POST", "/api/v1/collections/cases/{id}/actions") => {
            json!({"kind": "", "party": "", "outcome": "", "note": ""})
        }
        ("POST", "/api/v1/collections/cases/{id}/agency") => {
            json!({"agency": "", "commission_rate": ""})
        }
        ("POST", "/api/v1/collections/cases/{id}/assign") => json!({"collector": ""}),
        ("POST", "/api/v1/collections/cases/{id}/legal") => {
            json!({"court": "", "docket": "", "filed_on": "", "note": ""})
        }
        ("POST", "/api/v1/collections/cases/{id}/promises") => {
            json!({"amount": "", "promised_date": ""})
        }
        ("POST", "/api/v1/collections/cases/{id}/settlements") => {
            json!({"amount": "", "pay_by": "", "reason": ""})
        }
        ("POST", "/api/v1/collections/cases/{id}/visits") => {
            json!({"scheduled_on": "", "note": ""})
        }
        ("POST", "/api/v1/collections/legal/{id}") => json!({"status": "", "note": ""}),
        ("POST", "/api/v1/collections/visits/{id}/result") => json!({"outcome": "", "note": ""}),
        ("POST", "/api/v1/contracts/{id}/disburse") => json!({"funding_source": ""}),
        ("POST", "/api/v1/contracts/{id}/sign") => {
            json!({"party": "", "signer": "", "document_sha256": ""})
        }
        ("POST", "/api/v1/customers/{id}/collateral") => json!({"kind": "", "description": "",
            "valuation": "", "valued_on": "", "custody": "", "lien_status": ""}),
        ("POST", "/api/v1/customers/{id}/contacts") => {
            json!({"channel": "", "direction": "", "summary": ""})
        }
        ("POST", "/api/v1/customers/{id}/credit-reports") => {
            json!({"bureau": "", "pulled_on": "", "report": {}})
        }
        ("POST", "/api/v1/customers/{id}/guarantors") => json!({"amount": ""}),
        ("POST", "/api/v1/customers/{id}/status")
        | ("POST", "/api/v1/leads/{id}/status")
        | ("POST", "/api/v1/models/{id}/status") => json!({"status": ""}),
        ("POST", "/api/v1/funding-sources") => json!({"code": "", "name": "", "limit": ""}),
        ("POST", "/api/v1/leads") => json!({"name": "", "source": "", "note": ""}),
        ("POST", "/api/v1/leads/{id}/convert") => json!({"application": {"product_code": "",
            "amount": "", "term_months": 0, "method": "", "purpose": "", "channel": ""}}),
        ("POST", "/api/v1/ledger/entries") => json!({"description": "", "lines": []}),
        ("POST", "/api/v1/loans/{id}/collateral-disposals") => {
            json!({"collateral_id": 999, "valuation": "", "note": ""})
        }
        ("POST", "/api/v1/loans/{id}/payoff")
        | ("POST", "/api/v1/loans/{id}/recoveries")
        | ("POST", "/api/v1/loans/{id}/repayments") => json!({"amount": ""}),
        ("POST", "/api/v1/loans/{id}/prepayments") => json!({"amount": "", "mode": ""}),
        ("POST", "/api/v1/loans/{id}/refunds") => json!({"reference": ""}),
        ("POST", "/api/v1/models") => json!({"model": {}, "mapping": {}, "status": ""}),
        ("POST", "/api/v1/tickets") => json!({"customer_id": 999, "kind": "", "channel": "",
            "subject": "", "description": ""}),
        ("POST", "/api/v1/tickets/{id}/rate") => json!({"rating": 0}),
        ("POST", "/api/v1/auth/tokens") => json!({"name": ""}),
        ("POST", "/api/v1/users") => {
            json!({"username": "", "display_name": "", "role": "", "password": ""})
        }
        ("PUT", "/api/v1/collections/collectors") => json!({"username": "", "queues": []}),
        ("PUT", "/api/v1/collections/strategy") => json!({"steps": [], "assignment": "workload"}),
        ("PUT", "/api/v1/message-templates/{kind}/{language}") => {
            json!({"subject": "", "body": ""})
        }
        // with a note, so a permitted role gets past validation to "not found"
        ("POST", "/api/v1/settlements/{id}/reject") => json!({"note": "n"}),
        _ => json!({}),
    };
    Some(value)
}

/// The request for an operation: path parameters filled (reads name rows that exist where
/// the fixture has them, changes name ids that do not exist), the query and the body.
fn request(method: &str, template: &str) -> (String, Option<Value>) {
    let id = if method == "GET" { "1" } else { "999" };
    let uri = template
        .replace("{id}", id)
        .replace("{tx}", "999")
        .replace("{code}", "P0")
        .replace("{kind}", "repayment_due")
        .replace("{language}", "zh");
    (
        format!("{uri}{}", query(method, template)),
        body(method, template),
    )
}

fn username(role: Role) -> String {
    if role == Role::Admin {
        "admin".to_owned()
    } else {
        role.code().replace('_', ".")
    }
}

/// Every operation of the OpenAPI document, as (METHOD, path template).
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in [
            "get", "post", "put", "patch", "delete", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_operation_answers_every_role_as_the_table_says() {
    for (router, app, t) in apps().await {
        // customer 1 exists so that reads can succeed
        loanbook_service::customers::create(
            &app,
            &Actor::system(),
            &serde_json::from_value(json!({"kind": "individual", "name": "王伟",
                "id_number": "110101199003078515", "phone": "13800138000",
                "province": "广东省", "monthly_income": "18500.00"}))
            .unwrap(),
        )
        .await
        .unwrap();

        let (status, doc, _) = call(&router, "GET", "/api/openapi.json", None, None).await;
        assert_eq!(status, StatusCode::OK);
        let ops = operations(&doc);
        let table: BTreeSet<(String, String)> = TABLE
            .iter()
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(
            table.len(),
            TABLE.len(),
            "the table names an operation twice"
        );
        let unlisted: Vec<_> = ops.difference(&table).collect();
        assert!(
            unlisted.is_empty(),
            "operations in the OpenAPI document without a row in TABLE (add each with \
             the permission its use case requires): {unlisted:?}"
        );
        let stale: Vec<_> = table.difference(&ops).collect();
        assert!(
            stale.is_empty(),
            "rows in TABLE that the API no longer has: {stale:?}"
        );

        let mut failures: Vec<String> = Vec::new();
        let mut checked = 0usize;

        // without a token: 401 for everything but the public operations
        for (method, template, need) in TABLE {
            let (uri, body) = request(method, template);
            let (status, answer, _) = call(&router, method, &uri, None, body).await;
            checked += 1;
            let ok = match need {
                Public => status != StatusCode::UNAUTHORIZED && !status.is_server_error(),
                _ => status == StatusCode::UNAUTHORIZED,
            };
            if !ok {
                failures.push(format!(
                    "{}: no token {method} {uri}: {status} {answer}",
                    t.label
                ));
            }
        }

        let mut tokens = Vec::new();
        for role in Role::ALL {
            tokens.push((role, login(&router, &username(role)).await));
        }

        // refused roles first, while nothing has been changed by a permitted call
        for (role, token) in &tokens {
            for (method, template, need) in TABLE {
                if need.allows(*role) {
                    continue;
                }
                let (uri, body) = request(method, template);
                let (status, answer, content_type) =
                    call(&router, method, &uri, Some(token), body).await;
                checked += 1;
                let detail = answer["detail"].as_str().unwrap_or_default();
                let named = need
                    .missing(*role)
                    .iter()
                    .any(|p| detail.contains(&format!("permission {}", p.code())));
                if status != StatusCode::FORBIDDEN
                    || content_type != "application/problem+json"
                    || answer["title"] != "Forbidden"
                    || !named
                {
                    failures.push(format!(
                        "{}: {} (refused, needs {need:?}) {method} {uri}: {status} {answer}",
                        t.label,
                        role.code()
                    ));
                }
            }
        }

        // permitted roles: never 401 or 403, never 5xx
        for (role, token) in &tokens {
            for (method, template, need) in TABLE {
                if !need.allows(*role) {
                    continue;
                }
                let (uri, body) = request(method, template);
                // logging out ends the session: use one of its own
                let own;
                let token = if *template == "/api/v1/auth/logout" {
                    own = login(&router, &username(*role)).await;
                    &own
                } else {
                    token
                };
                let (status, answer, _) = call(&router, method, &uri, Some(token), body).await;
                checked += 1;
                // 400 would mean the request never reached the use case (the body or a
                // parameter could not be read), so the row would prove nothing
                if status == StatusCode::UNAUTHORIZED
                    || status == StatusCode::FORBIDDEN
                    || status == StatusCode::BAD_REQUEST
                    || status.is_server_error()
                {
                    failures.push(format!(
                        "{}: {} (permitted, needs {need:?}) {method} {uri}: {status} {answer}",
                        t.label,
                        role.code()
                    ));
                }
            }
        }

        assert_eq!(checked, TABLE.len() * (1 + Role::ALL.len()));
        eprintln!(
            "{}: {} operations x ({} roles + no token) = {checked} requests",
            t.label,
            TABLE.len(),
            Role::ALL.len()
        );
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// Who may act is checked before what they sent: a role without `settlement:approve`
/// rejecting a settlement without a note gets 403, not the rule for the note.
#[tokio::test]
async fn authorization_comes_before_validation() {
    for (router, _app, t) in apps().await {
        let token = login(&router, "collector").await;
        let (status, answer, _) = call(
            &router,
            "POST",
            "/api/v1/settlements/999/reject",
            Some(&token),
            Some(json!({"note": ""})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {answer}", t.label);
    }
}
