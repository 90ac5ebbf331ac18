//! Customers: the searchable list and the customer 360 — profile with masked personal
//! data, documents, credit reports, collateral, guarantors, applications, loans,
//! contacts, tickets and the audit trail, each from its service.

use axum::Router;
use axum::extract::{Path, Query};
use axum::response::Response;
use axum::routing::get;
use loanbook_service::customers::{self, SearchInput};
use loanbook_service::{
    Permission, admin, applications, customer_records as records, loans, tickets,
};
use loanbook_store::audit::AuditFilter;
use serde::Deserialize;

use super::Ctx;
use super::html::{badge, escape, link, money, table};
use crate::AppState;

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    after: Option<i64>,
}

async fn list(ctx: Ctx, Query(query): Query<ListQuery>) -> Response {
    let search = SearchInput {
        name: query.q.clone().filter(|q| !q.trim().is_empty()),
        after_id: query.after,
        limit: Some(100),
        ..Default::default()
    };
    let rows = match customers::search(&ctx.state.app, &ctx.actor, &search).await {
        Ok(rows) => rows,
        Err(e) => return ctx.refused(ctx.t("customers"), &e),
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|c| {
            vec![
                link(&format!("/customers/{}", c.id), &format!("#{}", c.id)),
                escape(&c.kind),
                link(&format!("/customers/{}", c.id), &c.name),
                escape(c.id_number.as_deref().or(c.uscc.as_deref()).unwrap_or("")),
                escape(c.phone.as_deref().unwrap_or("")),
                escape(c.province.as_deref().unwrap_or("")),
                badge(&c.status),
            ]
        })
        .collect();
    let next = rows
        .last()
        .filter(|_| rows.len() == 100)
        .map(|c| {
            format!(
                "<p><a href=\"/customers?q={}&after={}\">{} →</a></p>",
                escape(query.q.as_deref().unwrap_or("")),
                c.id,
                escape(ctx.pick("下一页", "Next page"))
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1><form method=\"get\" class=\"inline\"><label>{}<input name=\"q\" id=\"q\" value=\"{}\"></label>\
         <button class=\"primary\" type=\"submit\">{}</button></form>{}{next}<p class=\"muted\">{}</p>",
        escape(ctx.t("customers")),
        escape(ctx.t("name")),
        escape(query.q.as_deref().unwrap_or("")),
        escape(ctx.t("search")),
        table(
            ctx.lang,
            &[
                "id",
                "kind",
                "name",
                "id_number",
                "phone",
                "region",
                "status"
            ],
            &cells
        ),
        escape(ctx.pick("个人信息已脱敏显示", "Personal data is shown masked")),
    );
    ctx.page(ctx.t("customers"), &body)
}

/// The customer 360.
async fn show(ctx: Ctx, Path(id): Path<i64>) -> Response {
    let app = &ctx.state.app;
    let c = match customers::get(app, &ctx.actor, id, false).await {
        Ok(c) => c,
        Err(e) => return ctx.refused(ctx.t("customer"), &e),
    };
    let facts: Vec<(&str, String)> = vec![
        (ctx.pick("类型", "Kind"), c.kind.clone()),
        (
            ctx.pick("证件号", "ID number / USCC"),
            c.id_number.clone().or(c.uscc.clone()).unwrap_or_default(),
        ),
        (
            ctx.pick("手机", "Phone"),
            c.phone.clone().unwrap_or_default(),
        ),
        (
            ctx.pick("地址", "Address"),
            c.address.clone().unwrap_or_default(),
        ),
        (
            ctx.pick("地区", "Region"),
            format!(
                "{} {}",
                c.province.as_deref().unwrap_or(""),
                c.city.as_deref().unwrap_or("")
            ),
        ),
        (
            ctx.pick("年龄", "Age"),
            c.age.map_or(String::new(), |a| a.to_string()),
        ),
        (
            ctx.pick("工作单位", "Employer"),
            c.employer
                .clone()
                .or(c.industry.clone())
                .unwrap_or_default(),
        ),
        (
            ctx.pick("月收入", "Monthly income"),
            c.monthly_income.map_or(String::new(), money),
        ),
        (ctx.t("status"), c.status.clone()),
    ];
    let profile: String = facts
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)))
        .collect();
    let mut body = format!(
        "<h1>{} <span class=\"muted\">#{}</span></h1><section class=\"panel\" id=\"profile\"><h2>{}</h2><table>{profile}</table>\
         <p class=\"muted\">{}</p></section>",
        escape(&c.name),
        c.id,
        escape(ctx.t("profile")),
        escape(ctx.pick(
            "证件号、手机、地址已脱敏；查看原文需要权限并记入审计日志。",
            "ID number, phone and address are masked; unmasking needs a permission and is audited."
        )),
    );
    if let Ok(docs) = records::documents(app, &ctx.actor, id).await {
        let rows: Vec<Vec<String>> = docs
            .iter()
            .map(|d| {
                vec![
                    escape(&d.kind),
                    escape(&d.file_name),
                    d.size_bytes.to_string(),
                    escape(&d.uploaded_by),
                    escape(&d.uploaded_at),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("documents"),
            &["kind", "file", "#size", "uploaded_by", "date"],
            &rows,
        ));
    }
    if let Ok(reports) = records::credit_reports(app, &ctx.actor, id).await {
        let rows: Vec<Vec<String>> = reports
            .iter()
            .map(|r| {
                vec![
                    escape(&r.bureau),
                    escape(&r.pulled_on),
                    format!(
                        "<details><summary>JSON</summary><code>{}</code></details>",
                        escape(&r.report.to_string())
                    ),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("credit_report"),
            &["bureau", "date", "details"],
            &rows,
        ));
    }
    if let Ok(list) = records::collaterals(app, &ctx.actor, id).await {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|x| {
                vec![
                    escape(&x.kind),
                    escape(&x.description),
                    money(x.valuation),
                    escape(&x.valued_on),
                    escape(x.ltv.as_deref().unwrap_or("")),
                    badge(&x.lien_status),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("collateral"),
            &["kind", "description", "#valuation", "date", "ltv", "status"],
            &rows,
        ));
    }
    if let Ok(list) = records::guarantees(app, &ctx.actor, id).await {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|g| {
                vec![
                    escape(g.guarantor_name.as_deref().unwrap_or("")),
                    escape(g.guarantor_id_number.as_deref().unwrap_or("")),
                    money(g.amount),
                ]
            })
            .collect();
        body.push_str(&ctx.section(ctx.t("guarantee"), &["name", "id_number", "#amount"], &rows));
    }
    if let Ok(list) = applications::list(app, &ctx.actor, None, Some(id), None, Some(100)).await {
        let rows: Vec<Vec<String>> = list.iter().map(super::home::application_row).collect();
        body.push_str(&ctx.section(
            ctx.t("applications"),
            &["application", "customer", "#amount", "status"],
            &rows,
        ));
    }
    if let Ok(list) = loans::list(app, &ctx.actor, Some(id), None, Some(100)).await {
        let rows: Vec<Vec<String>> = list.iter().map(super::loans::loan_row).collect();
        body.push_str(&ctx.section(
            ctx.t("loans"),
            &[
                "loan",
                "product",
                "#principal",
                "#dpd",
                "five_tier",
                "status",
            ],
            &rows,
        ));
    }
    if let Ok(list) = records::contacts(app, &ctx.actor, id).await {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|x| {
                vec![
                    escape(&x.at),
                    escape(&x.channel),
                    escape(&x.direction),
                    escape(&x.summary),
                    escape(&x.staff),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("contacts"),
            &["date", "channel", "direction", "summary", "staff"],
            &rows,
        ));
    }
    let input = tickets::ListInput {
        customer_id: Some(id),
        limit: Some(50),
        ..Default::default()
    };
    if let Ok(list) = tickets::list(app, &ctx.actor, &input).await {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|t| {
                vec![
                    format!("#{}", t.id),
                    escape(&t.kind),
                    escape(&t.subject),
                    badge(&t.status),
                ]
            })
            .collect();
        body.push_str(&ctx.section(ctx.t("ticket"), &["id", "kind", "subject", "status"], &rows));
    }
    if ctx.may(Permission::AuditRead) {
        let filter = AuditFilter {
            entity: Some("customer".into()),
            entity_id: Some(id.to_string()),
            limit: 50,
            ..Default::default()
        };
        if let Ok(log) = admin::audit_log(app, &ctx.actor, &filter).await {
            let rows: Vec<Vec<String>> = log.iter().map(super::admin::audit_row).collect();
            body.push_str(&ctx.section(
                ctx.t("audit_log"),
                &["id", "date", "actor", "action", "entity"],
                &rows,
            ));
        }
    }
    ctx.page(&c.name, &body)
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list))
        .route("/customers/{id}", get(show))
}
