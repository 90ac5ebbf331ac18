//! Loans: the loan ledger and the loan page (balances, schedule, transactions, class
//! history) with its actions — repay, prepay, pay off, restructure, write off. Each form
//! posts to the service function the API calls; a refusal comes back with the service's
//! words.

use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loanbook_core::servicing::prepayment::PrepaymentMode;
use loanbook_service::loans::{self, LoanView};
use loanbook_service::servicing::repayments::{self, RepaymentInput};
use loanbook_service::servicing::restructure::{self, RestructureInput};
use loanbook_service::servicing::write_off;
use loanbook_service::{Permission, ServiceError};
use serde::Deserialize;

use super::Ctx;
use super::html::{badge, escape, form, input, link, money, panel, table};
use crate::AppState;

/// A loan as a row: link, product, principal, DPD, class, status.
pub(super) fn loan_row(l: &LoanView) -> Vec<String> {
    let s = l.servicing.as_ref();
    vec![
        link(&format!("/loans/{}", l.id), &format!("#{}", l.id)),
        escape(&l.product_code),
        money(l.principal_outstanding),
        s.map_or(String::new(), |s| s.dpd.to_string()),
        s.map_or(String::new(), |s| badge(&s.five_tier_class)),
        badge(&l.status),
    ]
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<i64>,
}

async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let rows = match loans::list(&ctx.state.app, &ctx.actor, None, q.after, Some(100)).await {
        Ok(r) => r,
        Err(e) => return ctx.refused(ctx.t("loans"), &e),
    };
    let cells: Vec<Vec<String>> = rows.iter().map(loan_row).collect();
    let next = rows
        .last()
        .filter(|_| rows.len() == 100)
        .map(|l| {
            format!(
                "<p><a href=\"/loans?after={}\">{} →</a></p>",
                l.id,
                escape(ctx.pick("下一页", "Next page"))
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1>{}{next}",
        escape(ctx.t("loans")),
        table(
            ctx.lang,
            &[
                "loan",
                "product",
                "#principal",
                "#dpd",
                "five_tier",
                "status"
            ],
            &cells
        )
    );
    ctx.page(ctx.t("loans"), &body)
}

async fn show(ctx: Ctx, Path(id): Path<i64>) -> Response {
    page(&ctx, id, None).await
}

/// The loan page, with a refusal on top when an action was refused.
async fn page(ctx: &Ctx, id: i64, refusal: Option<&ServiceError>) -> Response {
    let app = &ctx.state.app;
    let l = match loans::get(app, &ctx.actor, id).await {
        Ok(l) => l,
        Err(e) => return ctx.refused(ctx.t("loan"), &e),
    };
    let mut body = format!(
        "<h1>{} #{} <small>{}</small></h1><p>{} · {} {} · {} · {} {} · {}</p>",
        escape(ctx.t("loan")),
        l.id,
        badge(&l.status),
        link(
            &format!("/customers/{}", l.customer_id),
            &format!("{} #{}", ctx.t("customer"), l.customer_id)
        ),
        escape(&l.product_code),
        l.product_version,
        escape(ctx.t(&l.method)),
        escape(&l.annual_rate),
        escape(ctx.pick("年利率", "a year")),
        escape(&l.funding_source),
    );
    if let Some(e) = refusal {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\" id=\"refusal\">{}</p>",
            escape(&e.to_string())
        ));
    }
    let mut figures = vec![
        (
            ctx.pick("合同金额", "Contract amount"),
            money(l.contract_amount),
        ),
        (ctx.pick("已放款", "Disbursed"), money(l.disbursed)),
        (
            ctx.pick("本金余额", "Principal outstanding"),
            money(l.principal_outstanding),
        ),
        (ctx.pick("应收费用", "Fees due"), money(l.fees_due)),
    ];
    if let Some(s) = &l.servicing {
        figures.extend([
            (
                ctx.pick("逾期本金", "Overdue principal"),
                money(s.overdue_principal),
            ),
            (
                ctx.pick("应还本金", "Due principal"),
                money(s.due_principal),
            ),
            (ctx.pick("应还利息", "Due interest"), money(s.due_interest)),
            (
                ctx.pick("逾期利息", "Overdue interest"),
                money(s.overdue_interest),
            ),
            (ctx.t("penalty_interest"), money(s.penalty_interest)),
            (
                ctx.pick("复利", "Compound interest"),
                money(s.compound_interest),
            ),
            (ctx.pick("预存款", "Advance"), money(s.advance_balance)),
            (ctx.t("provision"), money(s.provision)),
            (ctx.t("dpd"), s.dpd.to_string()),
            (ctx.t("bucket"), s.bucket.clone()),
            (ctx.t("five_tier"), s.five_tier_class.clone()),
        ]);
    }
    let tiles: String = figures
        .iter()
        .map(|(k, v)| super::html::tile(k, v))
        .collect();
    body.push_str(&format!(
        "<div class=\"tiles\" id=\"balances\">{tiles}</div>"
    ));
    if l.status == "active" {
        body.push_str(&actions(ctx, &l));
    }
    if let Ok(schedule) = loans::schedule(app, &ctx.actor, id).await {
        let rows: Vec<Vec<String>> = schedule
            .iter()
            .map(|i| {
                vec![
                    i.number.to_string(),
                    escape(&i.due_date),
                    money(i.principal),
                    money(i.interest),
                    money(i.total),
                    money(i.balance),
                    badge(&i.status),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("schedule"),
            &[
                "#id",
                "due_date",
                "#principal",
                "#interest",
                "#total",
                "#balance",
                "status",
            ],
            &rows,
        ));
    }
    if let Ok(txns) = loans::transactions(app, &ctx.actor, id).await {
        let rows: Vec<Vec<String>> = txns
            .iter()
            .map(|t| {
                vec![
                    t.id.to_string(),
                    escape(&t.business_date),
                    escape(&t.kind),
                    money(t.amount),
                    escape(&t.reference),
                    escape(&t.created_by),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("transactions"),
            &["#id", "date", "kind", "#amount", "reference", "staff"],
            &rows,
        ));
    }
    if let Ok(changes) = loans::class_history(app, &ctx.actor, id).await {
        let rows: Vec<Vec<String>> = changes
            .iter()
            .map(|c| {
                vec![
                    escape(&c.business_date),
                    badge(&c.from_class),
                    badge(&c.to_class),
                    c.dpd.to_string(),
                    escape(&c.reason),
                    escape(&c.by),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("class_history"),
            &["date", "from", "to", "#dpd", "reason", "staff"],
            &rows,
        ));
    }
    let status = if refusal.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    ctx.page_with(status, &format!("{} #{id}", ctx.t("loan")), &body)
}

/// The action forms the user's role may use on an active loan.
fn actions(ctx: &Ctx, l: &LoanView) -> String {
    let mut out = String::new();
    let csrf = ctx.csrf_field();
    let id = l.id;
    if ctx.may(Permission::RepaymentPost) {
        out.push_str(&form(
            &format!("/loans/{id}/repay"),
            &csrf,
            &format!(
                "{}{}",
                input(ctx.t("amount"), "amount", ""),
                input(ctx.pick("参考号", "Reference"), "reference", "")
            ),
            ctx.t("repayment"),
            "repay",
        ));
        out.push_str(&form(
            &format!("/loans/{id}/prepay"),
            &csrf,
            &format!(
                "{}<label>{}<select name=\"mode\"><option value=\"reduce_term\">{}</option><option value=\"reduce_installment\">{}</option></select></label>",
                input(ctx.t("amount"), "amount", ""),
                escape(ctx.pick("方式", "Mode")),
                escape(ctx.pick("缩短期限", "reduce term")),
                escape(ctx.pick("减少月供", "reduce installment")),
            ),
            ctx.t("prepayment"),
            "prepay",
        ));
        out.push_str(&form(
            &format!("/loans/{id}/payoff"),
            &csrf,
            "",
            ctx.t("payoff"),
            "payoff",
        ));
    }
    if ctx.may(Permission::LoanRestructure) {
        out.push_str(&form(
            &format!("/loans/{id}/restructure"),
            &csrf,
            &format!(
                "<label>{}<select name=\"kind\"><option value=\"extension\">{}</option><option value=\"rate_change\">{}</option></select></label>{}{}{}",
                escape(ctx.pick("类型", "Kind")),
                escape(ctx.pick("展期", "term extension")),
                escape(ctx.pick("调整利率", "rate change")),
                input(ctx.pick("增加期数", "Extra periods"), "extra_periods", ""),
                input(ctx.pick("新利率", "New rate"), "new_rate", ""),
                input(ctx.pick("原因", "Reason"), "reason", ""),
            ),
            ctx.t("restructure"),
            "restructure",
        ));
    }
    if ctx.may(Permission::LoanWriteOff) {
        out.push_str(&form(
            &format!("/loans/{id}/write-off"),
            &csrf,
            &input(ctx.pick("原因", "Reason"), "reason", ""),
            ctx.t("write_off"),
            "write-off",
        ));
    }
    if out.is_empty() {
        return out;
    }
    panel(
        ctx.t("actions"),
        &format!("<div class=\"actions-forms\">{out}</div>"),
    )
}

#[derive(Deserialize)]
struct ActionForm {
    csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    extra_periods: String,
    #[serde(default)]
    new_rate: String,
    #[serde(default)]
    reason: String,
}

fn optional(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.trim().to_owned())
}

/// Runs one loan action from its form: back to the loan page, with the refusal if any.
async fn act(
    ctx: Ctx,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<ActionForm>,
) -> Response {
    if let Some(r) = ctx.forged(&f.csrf) {
        return r;
    }
    let app = &ctx.state.app;
    let actor = &ctx.actor;
    let money_in = RepaymentInput {
        amount: f.amount.trim().to_owned(),
        paid_on: None,
        channel: Some("counter".into()),
        reference: optional(&f.reference),
    };
    let result: Result<(), ServiceError> = match action.as_str() {
        "repay" => repayments::repay(app, actor, id, &money_in, None)
            .await
            .map(|_| ()),
        "prepay" => {
            let mode = if f.mode == "reduce_installment" {
                PrepaymentMode::ReduceInstallment
            } else {
                PrepaymentMode::ReduceTerm
            };
            repayments::prepay(app, actor, id, &money_in, mode, None)
                .await
                .map(|_| ())
        }
        "payoff" => match repayments::payoff_quote(app, actor, id, None).await {
            Ok(q) => {
                let input = RepaymentInput {
                    amount: q.total.to_string(),
                    ..money_in
                };
                repayments::pay_off(app, actor, id, &input, None)
                    .await
                    .map(|_| ())
            }
            Err(e) => Err(e),
        },
        "restructure" => {
            let extra = match optional(&f.extra_periods).map(|p| p.parse::<u32>()) {
                Some(Ok(p)) => Some(p),
                Some(Err(_)) => {
                    return page(
                        &ctx,
                        id,
                        Some(&ServiceError::invalid(
                            "extra_periods",
                            "must be a whole number",
                        )),
                    )
                    .await;
                }
                None => None,
            };
            let input = RestructureInput {
                kind: f.kind.clone(),
                extra_periods: extra,
                new_rate: optional(&f.new_rate),
                reason: f.reason.clone(),
                ..Default::default()
            };
            restructure::request(app, actor, id, &input)
                .await
                .map(|_| ())
        }
        "write-off" => write_off::request(app, actor, id, &f.reason)
            .await
            .map(|_| ()),
        _ => Err(ServiceError::NotFound(format!("action {action}"))),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/loans/{id}")).into_response(),
        Err(e) => page(&ctx, id, Some(&e)).await,
    }
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/loans", get(list))
        .route("/loans/{id}", get(show))
        .route("/loans/{id}/{action}", post(act))
}
