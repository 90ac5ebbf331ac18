//! Console pages of origination: the application list with the caller's approval queue,
//! and the application workbench (pre-screen, assessment with its reasons and policy
//! trace, the approval chain with SLA clocks, the decision form and the answer to a
//! counter-offer). Forms post to the same service functions as the API.

use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loanbook_service::Role;
use loanbook_service::applications::{self, ApplicationView};
use loanbook_service::origination::approval::{self, DecisionInput};
use serde::Deserialize;

use super::Ctx;
use super::home::queue_kind;
use super::html::{badge, escape, link, money, table};
use crate::AppState;

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let actor = ctx.actor.clone();
    let status = q.status.filter(|s| !s.is_empty());
    let rows = match applications::list(
        &ctx.state.app,
        &actor,
        status.as_deref(),
        None,
        None,
        Some(200),
    )
    .await
    {
        Ok(rows) => rows,
        Err(e) => return ctx.refused(ctx.t("applications"), &e),
    };
    let mut queue = String::new();
    if let Some(kind) = queue_kind(actor.role).or((actor.role == Role::Admin).then_some(""))
        && let Ok(items) = approval::queue(
            &ctx.state.app,
            &actor,
            (!kind.is_empty()).then_some(kind),
            false,
        )
        .await
    {
        let cells: Vec<Vec<String>> = items
            .iter()
            .map(|item| {
                vec![
                    link(
                        &format!("/applications/{}", item.application_id),
                        &format!("#{}", item.application_id),
                    ),
                    escape(&item.step.kind),
                    escape(item.step.started_at.as_deref().unwrap_or("")),
                    escape(item.step.due_at.as_deref().unwrap_or("")),
                    if item.step.overdue {
                        badge("overdue")
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        queue = ctx.section(
            ctx.pick("待我审批", "My approval queue"),
            &["application", "step", "started", "due_date", "status"],
            &cells,
        );
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|a| {
            vec![
                link(&format!("/applications/{}", a.id), &format!("#{}", a.id)),
                link(
                    &format!("/customers/{}", a.customer_id),
                    &a.customer_id.to_string(),
                ),
                escape(&a.product_code),
                money(a.amount),
                a.term_months.to_string(),
                escape(&a.channel),
                badge(&a.status),
            ]
        })
        .collect();
    let body = format!(
        "<h1>{}</h1>{queue}<form method=\"get\" class=\"inline\"><label>{}<input name=\"status\" placeholder=\"in_review\" value=\"{}\"></label>\
         <button class=\"primary\" type=\"submit\">{}</button></form>{}",
        escape(ctx.t("applications")),
        escape(ctx.t("status")),
        escape(status.as_deref().unwrap_or("")),
        escape(ctx.t("search")),
        ctx.section(
            ctx.pick("全部申请", "All applications"),
            &[
                "application",
                "customer",
                "product",
                "#amount",
                "#term",
                "channel",
                "status"
            ],
            &cells
        ),
    );
    ctx.page(ctx.t("applications"), &body)
}

fn assessment_html(ctx: &Ctx, a: &ApplicationView) -> String {
    let Some(x) = &a.assessment else {
        return format!(
            "<p class=\"muted\">{}</p>",
            escape(ctx.pick("尚未评估", "Not assessed yet"))
        );
    };
    let reasons: String = x
        .reasons
        .iter()
        .map(|r| {
            format!(
                "<li><code>{}</code> {}</li>",
                escape(&r.code),
                escape(&r.text)
            )
        })
        .collect();
    let checks: Vec<Vec<String>> = x
        .checks
        .iter()
        .map(|c| {
            vec![
                escape(&c.kind),
                escape(&c.outcome),
                format!("<span class=\"muted\">{}</span>", escape(&c.version)),
                format!("<code>{}</code>", escape(&c.outputs.to_string())),
            ]
        })
        .collect();
    let facts = [
        (ctx.t("stage"), escape(&x.stage)),
        (
            ctx.t("score"),
            x.score.map_or("-".into(), |s| s.to_string()),
        ),
        (
            ctx.t("risk_grade"),
            escape(x.risk_grade.as_deref().unwrap_or("-")),
        ),
        (
            ctx.t("decision"),
            format!("<strong>{}</strong>", escape(&x.decision)),
        ),
        (
            ctx.pick("定价", "Offered rate"),
            escape(x.offered_rate.as_deref().unwrap_or("-")),
        ),
        (
            ctx.pick("授信额度", "Credit limit"),
            x.credit_limit.map_or("-".into(), money),
        ),
        (
            ctx.pick("模型", "Model"),
            escape(x.model_version.as_deref().unwrap_or("-")),
        ),
        (
            ctx.pick("政策", "Policy"),
            escape(x.policy_version.as_deref().unwrap_or("-")),
        ),
    ];
    let rows: String = facts
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{v}</td></tr>", escape(k)))
        .collect();
    format!(
        "<table id=\"assessment\"><tbody>{rows}</tbody></table><h3>{}</h3><ul>{reasons}</ul>\
         <details><summary>{}</summary>{}</details>",
        escape(ctx.t("reasons")),
        escape(ctx.pick("检查明细与政策轨迹", "Checks and policy trace")),
        table(
            ctx.lang,
            &["kind", "outcome", "version", "details"],
            &checks
        ),
    )
}

fn approval_html(ctx: &Ctx, a: &ApplicationView) -> String {
    let Some(ap) = &a.approval else {
        return format!(
            "<p class=\"muted\">{}</p>",
            escape(ctx.pick("尚未进入审批", "Not routed yet"))
        );
    };
    let steps: Vec<Vec<String>> = ap
        .required_steps
        .iter()
        .map(|s| {
            let decisions: String = s
                .decisions
                .iter()
                .map(|d| {
                    format!(
                        "{} ({}): {} {}<br>",
                        escape(&d.decider),
                        escape(ctx.t(&d.role)),
                        escape(&d.decision),
                        escape(&d.comment)
                    )
                })
                .collect();
            vec![
                s.seq.to_string(),
                escape(&s.kind),
                format!(
                    "{}{}",
                    badge(&s.status),
                    if s.overdue {
                        badge("overdue")
                    } else {
                        String::new()
                    }
                ),
                format!("{} / {}", s.votes_required, s.voters),
                escape(s.due_at.as_deref().unwrap_or("")),
                decisions,
            ]
        })
        .collect();
    let mut out = table(
        ctx.lang,
        &["#id", "step", "status", "votes", "due_date", "decision"],
        &steps,
    );
    let csrf = ctx.csrf_field();
    if let Some(o) = ap.counter_offer.as_ref() {
        out.push_str(&format!(
            "<p>{}: {} · {} {} · {} — {}</p>",
            escape(ctx.pick("反要约", "Counter-offer")),
            money(o.amount),
            o.term_months,
            escape(ctx.pick("个月", "months")),
            escape(&o.rate),
            badge(&o.status)
        ));
        if o.status == "offered" {
            out.push_str(&format!(
                "<form method=\"post\" action=\"/applications/{}/counter-offer\">{csrf}\
                 <button name=\"answer\" value=\"accept\">{}</button> <button name=\"answer\" value=\"reject\">{}</button></form>",
                a.id,
                escape(ctx.pick("客户接受", "Applicant accepts")),
                escape(ctx.pick("客户拒绝", "Applicant rejects")),
            ));
        }
    }
    if ap
        .current_step
        .as_ref()
        .is_some_and(|s| s.status == "pending")
    {
        let options: String = [
            ("approve", ctx.pick("同意", "approve")),
            ("decline", ctx.pick("拒绝", "decline")),
            ("return", ctx.pick("退回补充", "return for more")),
            ("counter_offer", ctx.pick("反要约", "counter-offer")),
        ]
        .iter()
        .map(|(v, l)| format!("<option value=\"{v}\">{}</option>", escape(l)))
        .collect();
        out.push_str(&format!(
            "<h3>{0}</h3><form method=\"post\" action=\"/applications/{1}/decide\" style=\"max-width:480px\">{csrf}\
             <label>{0}<select name=\"decision\">{options}</select></label>\
             <label>{2}<input name=\"comment\"></label>\
             <label>{3}<input name=\"amount\" placeholder=\"80000.00\"></label>\
             <label>{4}<input name=\"term_months\"></label>\
             <label>{5}<input name=\"rate\" placeholder=\"0.12\"></label>\
             <button class=\"primary\" type=\"submit\">{6}</button></form>",
            escape(ctx.t("decision")),
            a.id,
            escape(ctx.pick("意见", "Comment")),
            escape(ctx.pick("反要约金额", "Offer amount")),
            escape(ctx.pick("反要约期限（月）", "Offer term (months)")),
            escape(ctx.pick("反要约利率", "Offer rate")),
            escape(ctx.t("submit")),
        ));
    }
    out
}

async fn workbench(ctx: Ctx, Path(id): Path<i64>) -> Response {
    let actor = ctx.actor.clone();
    let a = match applications::get(&ctx.state.app, &actor, id).await {
        Ok(a) => a,
        Err(e) => return ctx.refused(ctx.t("application"), &e),
    };
    let prescreen: String = a
        .prescreen
        .iter()
        .map(|f| {
            format!(
                "<li><code>{}</code> {}</li>",
                escape(&f.rule),
                escape(&f.detail)
            )
        })
        .collect();
    let notice = a
        .decline_notice
        .as_ref()
        .map(|n| {
            format!(
                "<p class=\"error\">{}</p>",
                escape(ctx.pick(&n.text_zh, &n.text_en))
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>{} #{} {}</h1><p>{} · {} · {} · {} {} · {} · {}</p>{notice}\
         <section class=\"panel\"><h2>{}</h2><ul>{}</ul></section>\
         <section class=\"panel\"><h2>{}</h2>{}</section>\
         <section class=\"panel\"><h2>{}</h2>{}</section>",
        escape(ctx.t("application")),
        a.id,
        badge(&a.status),
        link(
            &format!("/customers/{}", a.customer_id),
            &format!("{} #{}", ctx.t("customer"), a.customer_id)
        ),
        escape(&a.product_code),
        money(a.amount),
        a.term_months,
        escape(ctx.pick("个月", "months")),
        escape(ctx.t(&a.method)),
        escape(&a.purpose),
        escape(ctx.pick("初步审核", "Pre-screen")),
        if prescreen.is_empty() {
            format!("<li>{}</li>", escape(ctx.pick("通过", "passed")))
        } else {
            prescreen
        },
        escape(ctx.t("assessment")),
        assessment_html(&ctx, &a),
        escape(ctx.t("approval")),
        approval_html(&ctx, &a),
    );
    ctx.page(ctx.t("application"), &body)
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    term_months: String,
    #[serde(default)]
    rate: String,
}

fn back(id: i64) -> Response {
    Redirect::to(&format!("/applications/{id}")).into_response()
}

async fn decide(ctx: Ctx, Path(id): Path<i64>, Form(form): Form<DecisionForm>) -> Response {
    let actor = ctx.actor.clone();
    if let Some(r) = ctx.forged(&form.csrf) {
        return r;
    }
    let optional = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let term = match optional(&form.term_months).map(|t| t.parse::<u32>()) {
        Some(Ok(t)) => Some(t),
        Some(Err(_)) => {
            return decision_error(&ctx, id, "term_months: is not a whole number of months");
        }
        None => None,
    };
    let input = DecisionInput {
        decision: form.decision,
        comment: form.comment,
        amount: optional(&form.amount),
        term_months: term,
        rate: optional(&form.rate),
    };
    match approval::decide(&ctx.state.app, &actor, id, &input).await {
        Ok(_) => back(id),
        Err(e) => decision_error(&ctx, id, &e.to_string()),
    }
}

/// The refusal with a way back to the workbench (status 422 as the API).
fn decision_error(ctx: &Ctx, id: i64, message: &str) -> Response {
    let body = format!(
        "<p class=\"error\" role=\"alert\" id=\"refusal\">{}</p><p><a href=\"/applications/{id}\">{} #{id}</a></p>",
        escape(message),
        escape(ctx.t("application"))
    );
    ctx.page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        ctx.t("application"),
        &body,
    )
}

#[derive(Deserialize)]
struct AnswerForm {
    csrf: String,
    answer: String,
}

async fn answer(ctx: Ctx, Path(id): Path<i64>, Form(form): Form<AnswerForm>) -> Response {
    let actor = ctx.actor.clone();
    if let Some(r) = ctx.forged(&form.csrf) {
        return r;
    }
    match approval::answer_counter_offer(&ctx.state.app, &actor, id, form.answer == "accept").await
    {
        Ok(_) => back(id),
        Err(e) => decision_error(&ctx, id, &e.to_string()),
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications", get(list))
        .route("/applications/{id}", get(workbench))
        .route("/applications/{id}/decide", post(decide))
        .route("/applications/{id}/counter-offer", post(answer))
}
