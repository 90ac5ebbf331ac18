//! Console pages of origination: the application list with the caller's approval queue,
//! and the application workbench (pre-screen, assessment with its reasons and policy
//! trace, the approval chain with SLA clocks, the decision form and the answer to a
//! counter-offer). Forms post to the same service functions as the API.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loanbook_service::Role;
use loanbook_service::applications::{self, ApplicationView};
use loanbook_service::origination::approval::{self, DecisionInput};
use serde::Deserialize;

use super::Ctx;
use super::home::queue_kind;
use super::html::escape;
use crate::AppState;

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let ctx = match Ctx::load(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = ctx.actor.clone();
    let status = q.status.filter(|s| !s.is_empty());
    let rows = match applications::list(
        &state.app,
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
            &state.app,
            &actor,
            (!kind.is_empty()).then_some(kind),
            false,
        )
        .await
    {
        queue.push_str("<h2>待我审批 My approval queue</h2><table><thead><tr><th>申请 Application</th><th>环节 Step</th><th>开始 Started</th><th>时限 Due</th><th></th></tr></thead><tbody>");
        for item in &items {
            queue.push_str(&format!(
                "<tr><td><a href=\"/applications/{0}\">#{0}</a></td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td></tr>",
                item.application_id,
                escape(&item.step.kind),
                escape(item.step.started_at.as_deref().unwrap_or("")),
                escape(item.step.due_at.as_deref().unwrap_or("")),
                if item.step.overdue { "<span class=\"error\">超时 overdue</span>" } else { "" }
            ));
        }
        queue.push_str("</tbody></table>");
    }
    let mut table = String::from(
        "<table><thead><tr><th>#</th><th>客户 Customer</th><th>产品 Product</th><th>金额 Amount</th><th>期限 Term</th><th>渠道 Channel</th><th>状态 Status</th></tr></thead><tbody>",
    );
    for a in &rows {
        table.push_str(&format!(
            "<tr><td><a href=\"/applications/{0}\">{0}</a></td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{6}</td></tr>",
            a.id,
            a.customer_id,
            escape(&a.product_code),
            a.amount,
            a.term_months,
            escape(&a.channel),
            escape(&a.status)
        ));
    }
    table.push_str("</tbody></table>");
    let body = format!(
        "<h1>申请 Applications</h1>{queue}<h2>全部 All</h2>\
         <form method=\"get\"><input name=\"status\" placeholder=\"状态 Status, e.g. in_review\" value=\"{}\" style=\"max-width:320px\"></form>{table}",
        escape(status.as_deref().unwrap_or(""))
    );
    ctx.page(ctx.t("applications"), &body)
}

fn assessment_html(a: &ApplicationView) -> String {
    let Some(x) = &a.assessment else {
        return "<p class=\"muted\">尚未评估 Not assessed yet</p>".into();
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
    let checks: String = x
        .checks
        .iter()
        .map(|c| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"muted\">{}</td><td><code>{}</code></td></tr>",
                escape(&c.kind),
                escape(&c.outcome),
                escape(&c.version),
                escape(&c.outputs.to_string())
            )
        })
        .collect();
    format!(
        "<table><tbody><tr><th>阶段 Stage</th><td>{}</td><th>评分 Score</th><td>{}</td><th>风险等级 Risk grade</th><td>{}</td></tr>\
         <tr><th>结论 Decision</th><td><strong>{}</strong></td><th>定价 Offered rate</th><td>{}</td><th>额度 Credit limit</th><td>{}</td></tr>\
         <tr><th>模型 Model</th><td>{}</td><th>政策 Policy</th><td>{}</td><th></th><td></td></tr></tbody></table>\
         <h3>原因 Reasons</h3><ul>{reasons}</ul>\
         <details><summary>检查明细与政策轨迹 Checks and policy trace</summary><table><thead><tr><th>检查 Check</th><th>结果 Outcome</th><th>版本 Version</th><th>输出 Outputs</th></tr></thead><tbody>{checks}</tbody></table></details>",
        escape(&x.stage),
        x.score.map_or("-".into(), |s| s.to_string()),
        escape(x.risk_grade.as_deref().unwrap_or("-")),
        escape(&x.decision),
        escape(x.offered_rate.as_deref().unwrap_or("-")),
        x.credit_limit.map_or("-".into(), |l| l.to_string()),
        escape(x.model_version.as_deref().unwrap_or("-")),
        escape(x.policy_version.as_deref().unwrap_or("-")),
    )
}

fn approval_html(a: &ApplicationView, csrf: &str) -> String {
    let Some(ap) = &a.approval else {
        return "<p class=\"muted\">尚未进入审批 Not routed yet</p>".into();
    };
    let mut out = String::from(
        "<table><thead><tr><th>#</th><th>环节 Step</th><th>状态 Status</th><th>票数 Votes</th><th>时限 Due</th><th>决定 Decisions</th></tr></thead><tbody>",
    );
    for s in &ap.required_steps {
        let decisions: String = s
            .decisions
            .iter()
            .map(|d| {
                format!(
                    "{} ({}): {} {}<br>",
                    escape(&d.decider),
                    escape(&d.role),
                    escape(&d.decision),
                    escape(&d.comment)
                )
            })
            .collect();
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{} / {}</td><td>{}</td><td>{decisions}</td></tr>",
            s.seq,
            escape(&s.kind),
            escape(&s.status),
            if s.overdue { " <span class=\"error\">超时 overdue</span>" } else { "" },
            s.votes_required,
            s.voters,
            escape(s.due_at.as_deref().unwrap_or("")),
        ));
    }
    out.push_str("</tbody></table>");
    if let Some(o) = ap.counter_offer.as_ref() {
        out.push_str(&format!(
            "<p>反要约 Counter-offer: {} · {} 个月 months · {} — {}</p>",
            o.amount,
            o.term_months,
            escape(&o.rate),
            escape(&o.status)
        ));
        if o.status == "offered" {
            out.push_str(&format!(
                "<form method=\"post\" action=\"/applications/{0}/counter-offer\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button name=\"answer\" value=\"accept\">客户接受 Applicant accepts</button> \
                 <button name=\"answer\" value=\"reject\">客户拒绝 Applicant rejects</button></form>",
                a.id
            ));
        }
    }
    if ap
        .current_step
        .as_ref()
        .is_some_and(|s| s.status == "pending")
    {
        out.push_str(&format!(
            "<h3>审批决定 Decision</h3><form method=\"post\" action=\"/applications/{}/decide\" style=\"max-width:480px\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label>决定 Decision <select name=\"decision\"><option value=\"approve\">同意 approve</option><option value=\"decline\">拒绝 decline</option>\
             <option value=\"return\">退回补充 return</option><option value=\"counter_offer\">反要约 counter-offer</option></select></label>\
             <label>意见 Comment<input name=\"comment\"></label>\
             <label>反要约金额 Offer amount<input name=\"amount\" placeholder=\"80000.00\"></label>\
             <label>反要约期限 Offer term (months)<input name=\"term_months\"></label>\
             <label>反要约利率 Offer rate<input name=\"rate\" placeholder=\"0.12\"></label>\
             <button class=\"primary\" type=\"submit\">提交 Submit</button></form>",
            a.id
        ));
    }
    out
}

async fn workbench(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let ctx = match Ctx::load(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = ctx.actor.clone();
    let a = match applications::get(&state.app, &actor, id).await {
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
                "<p class=\"error\">{}<br>{}</p>",
                escape(&n.text_zh),
                escape(&n.text_en)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>申请 Application #{}</h1>\
         <p>客户 Customer {} · {} · {} · {} 个月 months · {} · {} · <strong>{}</strong></p>{notice}\
         <h2>初步审核 Pre-screen</h2><ul>{}</ul>\
         <h2>风险评估 Assessment</h2>{}\
         <h2>审批 Approval</h2>{}",
        a.id,
        a.customer_id,
        escape(&a.product_code),
        a.amount,
        a.term_months,
        escape(&a.method),
        escape(&a.purpose),
        escape(&a.status),
        if prescreen.is_empty() {
            "<li>通过 passed</li>".to_owned()
        } else {
            prescreen
        },
        assessment_html(&a),
        approval_html(&a, &ctx.csrf()),
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

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let ctx = match Ctx::load(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
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
    match approval::decide(&state.app, &actor, id, &input).await {
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

async fn answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let ctx = match Ctx::load(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = ctx.actor.clone();
    if let Some(r) = ctx.forged(&form.csrf) {
        return r;
    }
    match approval::answer_counter_offer(&state.app, &actor, id, form.answer == "accept").await {
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
