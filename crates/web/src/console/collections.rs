//! Collections in the console: the collector's cases, and a case with its action log and
//! promises to pay, with the forms to log an action and take a promise (the contact rules
//! are the service's).

use axum::Router;
use axum::extract::{Form, Path};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loanbook_service::ServiceError;
use loanbook_service::collections::cases::{self, ActionInput, CaseQuery, CaseView, PromiseInput};
use serde::Deserialize;

use super::Ctx;
use super::html::{badge, escape, form, input, link, panel, table};
use crate::AppState;

/// A collection case as a row.
pub(super) fn case_row(c: &CaseView) -> Vec<String> {
    vec![
        link(&format!("/collections/{}", c.id), &format!("#{}", c.id)),
        link(&format!("/loans/{}", c.loan_id), &c.loan_id.to_string()),
        escape(&c.customer_name),
        badge(&c.queue),
        c.dpd.to_string(),
        super::html::grouped(&c.overdue),
        escape(&c.stage),
    ]
}

async fn case_list(ctx: Ctx) -> Response {
    let q = CaseQuery {
        limit: Some(200),
        ..Default::default()
    };
    let list = match cases::list(&ctx.state.app, &ctx.actor, &q).await {
        Ok(l) => l,
        Err(e) => return ctx.refused(ctx.t("collections"), &e),
    };
    let rows: Vec<Vec<String>> = list.iter().map(case_row).collect();
    let body = format!(
        "<h1>{}</h1>{}",
        escape(ctx.t("collection_case")),
        table(
            ctx.lang,
            &[
                "id", "loan", "customer", "queue", "#dpd", "#overdue", "stage"
            ],
            &rows
        )
    );
    ctx.page(ctx.t("collections"), &body)
}

async fn case_show(ctx: Ctx, Path(id): Path<i64>) -> Response {
    case_page(&ctx, id, None).await
}

async fn case_page(ctx: &Ctx, id: i64, refusal: Option<&ServiceError>) -> Response {
    let d = match cases::get(&ctx.state.app, &ctx.actor, id).await {
        Ok(d) => d,
        Err(e) => return ctx.refused(ctx.t("collection_case"), &e),
    };
    let c = &d.case;
    let mut body = format!(
        "<h1>{} #{} {}</h1><p>{} · {} · {} {} · {} {}</p>",
        escape(ctx.t("collection_case")),
        c.id,
        badge(&c.status),
        link(
            &format!("/loans/{}", c.loan_id),
            &format!("{} #{}", ctx.t("loan"), c.loan_id)
        ),
        escape(&c.customer_name),
        escape(ctx.t("dpd")),
        c.dpd,
        escape(ctx.t("overdue")),
        super::html::grouped(&c.overdue),
    );
    if let Some(e) = refusal {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\" id=\"refusal\">{}</p>",
            escape(&e.to_string())
        ));
    }
    let csrf = ctx.csrf_field();
    if c.status == "open" {
        let options = |list: &[&str]| -> String {
            list.iter()
                .map(|o| format!("<option value=\"{o}\">{}</option>", escape(ctx.t(o))))
                .collect()
        };
        let kinds = options(&["note", "call", "sms", "letter", "email", "visit"]);
        let outcomes = options(&[
            "other",
            "no_answer",
            "unreachable",
            "wrong_number",
            "left_message",
            "promise_to_pay",
            "claims_paid",
            "dispute",
            "refuses_to_pay",
            "hardship",
            "visited",
        ]);
        let action_form = form(
            &format!("/collections/{id}/actions"),
            &csrf,
            &format!(
                "<label>{}<select name=\"kind\">{kinds}</select></label>\
                 <label>{}<select name=\"party\"><option value=\"borrower\">borrower</option><option value=\"guarantor\">guarantor</option></select></label>\
                 <label>{}<select name=\"outcome\">{outcomes}</select></label>{}",
                escape(ctx.pick("方式", "Kind")),
                escape(ctx.pick("对象", "Party")),
                escape(ctx.pick("结果", "Outcome")),
                input(ctx.pick("记录", "Note"), "note", ""),
            ),
            ctx.pick("记录催收", "Log the action"),
            "log-action",
        );
        let promise_form = form(
            &format!("/collections/{id}/promises"),
            &csrf,
            &format!(
                "{}{}",
                input(ctx.t("amount"), "amount", ""),
                input(ctx.pick("承诺日期", "Promised date"), "promised_date", "")
            ),
            ctx.pick("承诺还款", "Promise to pay"),
            "promise",
        );
        body.push_str(&panel(
            ctx.t("actions"),
            &format!("{action_form}{promise_form}"),
        ));
    }
    let rows: Vec<Vec<String>> = d
        .actions
        .iter()
        .map(|a| {
            vec![
                escape(&a.at),
                escape(&a.actor),
                escape(&a.kind),
                escape(&a.party),
                escape(&a.outcome),
                escape(&a.note),
            ]
        })
        .collect();
    body.push_str(&ctx.section(
        ctx.pick("催收记录", "Action log"),
        &["date", "staff", "kind", "party", "outcome", "summary"],
        &rows,
    ));
    let rows: Vec<Vec<String>> = d
        .promises
        .iter()
        .map(|p| {
            vec![
                super::html::grouped(&p.amount),
                escape(&p.promised_date),
                badge(&p.status),
            ]
        })
        .collect();
    body.push_str(&ctx.section(
        ctx.pick("承诺还款", "Promises to pay"),
        &["#amount", "date", "status"],
        &rows,
    ));
    let status = if refusal.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    ctx.page_with(status, ctx.t("collection_case"), &body)
}

#[derive(Deserialize)]
struct CaseForm {
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    party: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    promised_date: String,
}

async fn case_act(
    ctx: Ctx,
    Path((id, what)): Path<(i64, String)>,
    Form(f): Form<CaseForm>,
) -> Response {
    if let Some(r) = ctx.forged(&f.csrf) {
        return r;
    }
    let app = &ctx.state.app;
    let result = match what.as_str() {
        "actions" => {
            let input = ActionInput {
                kind: f.kind,
                party: f.party,
                outcome: f.outcome,
                note: f.note,
            };
            cases::log_action(app, &ctx.actor, id, &input, chrono::Utc::now())
                .await
                .map(|_| ())
        }
        "promises" => {
            let input = PromiseInput {
                amount: f.amount,
                promised_date: f.promised_date,
            };
            cases::promise(app, &ctx.actor, id, &input)
                .await
                .map(|_| ())
        }
        _ => Err(ServiceError::NotFound(format!("case action {what}"))),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/collections/{id}")).into_response(),
        Err(e) => case_page(&ctx, id, Some(&e)).await,
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/collections", get(case_list))
        .route("/collections/{id}", get(case_show))
        .route("/collections/{id}/{what}", post(case_act))
}
