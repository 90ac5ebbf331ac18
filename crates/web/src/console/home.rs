//! The home page: the work waiting for the logged-in user, by what their role may do —
//! approval steps for their role (committee votes for members), contracts to sign,
//! disbursements to release, early warnings, inspections due, their collection cases,
//! their tickets, and the applications they are preparing — with the book's key
//! figures on top for those who may read loans.

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use loanbook_core::approval::StepKind;
use loanbook_service::collections::cases::{self, CaseQuery};
use loanbook_service::origination::approval;
use loanbook_service::{Permission, Role, applications, inspections, reporting, tickets, warnings};

use super::Ctx;
use super::html::{badge, escape, link, money, percent, tile};
use crate::AppState;

/// The approval step kind a role decides, for its queue (the step's role, from core).
pub(super) fn queue_kind(role: Role) -> Option<&'static str> {
    StepKind::ALL
        .into_iter()
        .find(|k| k.role() == Some(role.code()))
        .map(StepKind::code)
}

async fn home(ctx: Ctx) -> Response {
    let app = &ctx.state.app;
    let me = ctx.actor.username.clone();
    let mut body = format!(
        "<h1>{}</h1><p class=\"muted\">{}</p>",
        escape(ctx.t("home")),
        escape(ctx.pick(
            "按角色列出待办：点开任一条处理。",
            "What is waiting for you, by your role: open an item to work on it."
        ))
    );
    if ctx.may(Permission::LoanRead)
        && let Ok(p) = reporting::portfolio(app, &ctx.actor, None, None).await
    {
        body.push_str(&format!(
            "<div class=\"tiles\" id=\"kpis\">{}{}{}{}{}</div>",
            tile(ctx.t("principal"), &super::html::grouped(&p.principal)),
            tile(ctx.t("count"), &p.loans.to_string()),
            tile("PAR30", &percent(&p.par30)),
            tile(ctx.t("npl"), &percent(&p.npl_ratio)),
            tile(ctx.t("provision_coverage"), &percent(&p.provision_coverage)),
        ));
    }
    let mut sections = Vec::new();
    if ctx.may(Permission::ApplicationDecide)
        && let Some(kind) = queue_kind(ctx.actor.role)
        && let Ok(items) = approval::queue(app, &ctx.actor, Some(kind), false).await
    {
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|i| {
                vec![
                    link(
                        &format!("/applications/{}", i.application_id),
                        &format!("#{}", i.application_id),
                    ),
                    escape(&i.step.kind),
                    escape(i.step.due_at.as_deref().unwrap_or("")),
                    if i.step.overdue {
                        badge("overdue")
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        let title = if ctx.actor.role == Role::CommitteeMember {
            ctx.t("committee_votes")
        } else {
            ctx.pick("待我审批", "Approvals waiting for me")
        };
        sections.push(ctx.section(title, &["application", "step", "due_date", "status"], &rows));
    }
    if ctx.may(Permission::ApplicationWrite)
        && let Ok(mine) = applications::list(app, &ctx.actor, None, None, None, Some(500)).await
    {
        let rows: Vec<Vec<String>> = mine
            .iter()
            .filter(|a| {
                a.created_by == me
                    && ["draft", "returned", "pre_screened", "counter_offered"]
                        .contains(&a.status.as_str())
            })
            .map(application_row)
            .collect();
        sections.push(ctx.section(
            ctx.pick("我的在办申请", "My applications in preparation"),
            &["application", "customer", "#amount", "status"],
            &rows,
        ));
    }
    if ctx.may(Permission::ContractManage)
        && let Ok(list) =
            applications::list(app, &ctx.actor, Some("approved"), None, None, Some(100)).await
    {
        let rows: Vec<Vec<String>> = list.iter().map(application_row).collect();
        sections.push(ctx.section(
            ctx.t("contracts_to_sign"),
            &["application", "customer", "#amount", "status"],
            &rows,
        ));
    }
    if ctx.may(Permission::DisbursementRelease)
        && let Ok(list) =
            applications::list(app, &ctx.actor, Some("contracted"), None, None, Some(100)).await
    {
        let rows: Vec<Vec<String>> = list.iter().map(application_row).collect();
        sections.push(ctx.section(
            ctx.t("disbursements_to_release"),
            &["application", "customer", "#amount", "status"],
            &rows,
        ));
    }
    if ctx.may(Permission::WarningManage) {
        let input = warnings::ListInput {
            status: Some("open".into()),
            limit: Some(20),
            ..Default::default()
        };
        if let Ok(list) = warnings::list(app, &ctx.actor, &input).await {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|w| {
                    vec![
                        format!("#{}", w.id),
                        link(
                            &format!("/customers/{}", w.customer_id),
                            &w.customer_id.to_string(),
                        ),
                        w.loan_id.map_or(String::new(), |l| {
                            link(&format!("/loans/{l}"), &l.to_string())
                        }),
                        escape(&w.rule),
                        badge(&w.severity),
                        escape(&w.raised_on),
                    ]
                })
                .collect();
            sections.push(ctx.section(
                ctx.t("warning"),
                &["id", "customer", "loan", "rule", "severity", "date"],
                &rows,
            ));
        }
    }
    if ctx.may(Permission::InspectionWork)
        && let Ok(list) = inspections::queue(app, &ctx.actor, None).await
    {
        let rows: Vec<Vec<String>> = list
            .iter()
            .take(20)
            .map(|i| {
                vec![
                    format!("#{}", i.id),
                    link(&format!("/loans/{}", i.loan_id), &i.loan_id.to_string()),
                    escape(&i.kind),
                    escape(&i.due_on),
                    if i.overdue {
                        badge("overdue")
                    } else {
                        badge(&i.status)
                    },
                ]
            })
            .collect();
        sections.push(ctx.section(
            ctx.t("inspection"),
            &["id", "loan", "kind", "due_date", "status"],
            &rows,
        ));
    }
    if ctx.may(Permission::CollectionWork) {
        let q = CaseQuery {
            assigned_to: (ctx.actor.role == Role::Collector).then(|| me.clone()),
            limit: Some(20),
            ..Default::default()
        };
        if let Ok(list) = cases::list(app, &ctx.actor, &q).await {
            let rows: Vec<Vec<String>> = list.iter().map(super::collections::case_row).collect();
            sections.push(ctx.section(
                ctx.t("collection_case"),
                &[
                    "id", "loan", "customer", "queue", "#dpd", "#overdue", "stage",
                ],
                &rows,
            ));
        }
    }
    if ctx.may(Permission::TicketWork) {
        let input = tickets::ListInput {
            status: Some("pending".into()),
            limit: Some(20),
            ..Default::default()
        };
        if let Ok(list) = tickets::list(app, &ctx.actor, &input).await {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|t| {
                    vec![
                        format!("#{}", t.id),
                        link(
                            &format!("/customers/{}", t.customer_id),
                            &t.customer_id.to_string(),
                        ),
                        escape(&t.kind),
                        escape(&t.subject),
                        escape(&t.sla_due_at),
                        if t.breached {
                            badge("breached")
                        } else {
                            badge(&t.status)
                        },
                    ]
                })
                .collect();
            sections.push(ctx.section(
                ctx.t("ticket"),
                &["id", "customer", "kind", "subject", "due_date", "status"],
                &rows,
            ));
        }
    }
    body.push_str(&format!("<div id=\"queues\">{}</div>", sections.concat()));
    ctx.page(ctx.t("home"), &body)
}

/// An application as a row: link, customer, amount, status.
pub(super) fn application_row(a: &applications::ApplicationView) -> Vec<String> {
    vec![
        link(&format!("/applications/{}", a.id), &format!("#{}", a.id)),
        link(
            &format!("/customers/{}", a.customer_id),
            &a.customer_id.to_string(),
        ),
        money(a.amount),
        badge(&a.status),
    ]
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/home", get(home))
}
