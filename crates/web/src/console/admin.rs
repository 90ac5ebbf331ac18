//! Running the bank: product, policy and authority configuration, funding sources, the
//! daily-close panel (run, progress, history), users and roles, and the audit search.

use axum::Router;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loanbook_service::servicing::eod::{self, RunOptions};
use loanbook_service::{Permission, Role, admin, applications, auth, policies, products};
use loanbook_store::audit::{AuditFilter, AuditRecord};
use serde::Deserialize;

use super::Ctx;
use super::html::{badge, escape, money, panel, table};
use crate::AppState;

/// An audit record as a row.
pub(super) fn audit_row(r: &AuditRecord) -> Vec<String> {
    vec![
        r.id.to_string(),
        escape(&r.at),
        escape(&r.actor),
        escape(&r.action),
        format!("{} {}", escape(&r.entity), escape(&r.entity_id)),
    ]
}

fn json_details(v: &serde_json::Value) -> String {
    format!(
        "<details><summary>JSON</summary><pre>{}</pre></details>",
        escape(&serde_json::to_string_pretty(v).unwrap_or_default())
    )
}

async fn configuration(ctx: Ctx) -> Response {
    let app = &ctx.state.app;
    let mut body = format!("<h1>{}</h1>", escape(ctx.t("configuration")));
    match products::list(app, &ctx.actor).await {
        Ok(list) => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|p| {
                    vec![
                        escape(&p.code),
                        p.version.to_string(),
                        badge(&p.status),
                        escape(&p.created_by),
                        json_details(&p.product),
                    ]
                })
                .collect();
            body.push_str(&ctx.section(
                ctx.t("product"),
                &["code", "#version", "status", "staff", "details"],
                &rows,
            ));
        }
        Err(e) => return ctx.refused(ctx.t("configuration"), &e),
    }
    if let Ok(list) = policies::policies(app, &ctx.actor).await {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|p| {
                vec![
                    escape(&p.name),
                    p.version.to_string(),
                    badge(&p.status),
                    escape(&p.created_by),
                    json_details(&p.policy),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.pick("信贷政策", "Credit policies"),
            &["name", "#version", "status", "staff", "details"],
            &rows,
        ));
    }
    if let Ok(list) = policies::rule_sets(app, &ctx.actor).await {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|r| {
                vec![
                    r.version.to_string(),
                    escape(&r.created_by),
                    escape(&r.created_at),
                    json_details(&r.rules),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("authority_rule"),
            &["#version", "staff", "date", "details"],
            &rows,
        ));
    }
    if let Ok(list) = applications::funding_sources(app, &ctx.actor).await {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|f| {
                vec![
                    escape(&f.code),
                    escape(&f.name),
                    money(f.limit),
                    money(f.available),
                    badge(&f.status),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("funding_source"),
            &["code", "name", "#limit", "#available", "status"],
            &rows,
        ));
    }
    let csrf = ctx.csrf_field();
    let textarea = |name: &str, label: &str| {
        format!(
            "<label>{}<textarea name=\"{name}\" rows=\"8\" placeholder=\"{{ … }}\"></textarea></label>",
            escape(label)
        )
    };
    let mut forms = String::new();
    if ctx.may(Permission::ProductWrite) {
        forms.push_str(&config_form(
            "/configuration/product",
            &csrf,
            &textarea(
                "text",
                ctx.pick(
                    "产品定义（JSON，同代码即新版本）",
                    "Product definition (JSON; the same code makes a new version)",
                ),
            ),
            ctx.pick("保存产品版本", "Save product version"),
            "product-form",
        ));
    }
    if ctx.may(Permission::PolicyManage) {
        forms.push_str(&config_form(
            "/configuration/policy",
            &csrf,
            &textarea(
                "text",
                ctx.pick(
                    "信贷政策决策表（JSON）",
                    "Credit policy decision table (JSON)",
                ),
            ),
            ctx.pick("导入政策", "Import policy"),
            "policy-form",
        ));
        forms.push_str(&config_form(
            "/configuration/authority",
            &csrf,
            &textarea(
                "text",
                ctx.pick(
                    "审批权限规则（JSON 数组）",
                    "Approval authority rules (JSON array)",
                ),
            ),
            ctx.pick("导入权限规则", "Import authority rules"),
            "authority-form",
        ));
    }
    if ctx.may(Permission::FundingManage) {
        forms.push_str(&config_form(
            "/configuration/funding",
            &csrf,
            &format!(
                "{}{}{}",
                super::html::input(ctx.t("code"), "code", ""),
                super::html::input(ctx.t("name"), "name", ""),
                super::html::input(ctx.t("limit"), "limit", "")
            ),
            ctx.pick("新增资金来源", "Add funding source"),
            "funding-form",
        ));
    }
    if !forms.is_empty() {
        body.push_str(&panel(
            ctx.pick(
                "变更配置（每次变更生成新版本，旧版本保留）",
                "Change the configuration (each change is a new version; old versions are kept)",
            ),
            &forms,
        ));
    }
    ctx.page(ctx.t("configuration"), &body)
}

/// A form laid out in a column (for text areas).
fn config_form(action: &str, csrf: &str, fields: &str, button: &str, id: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\" id=\"{id}\">{csrf}{fields}<button class=\"primary\" type=\"submit\">{}</button></form><hr>",
        escape(button)
    )
}

#[derive(Deserialize)]
struct ConfigForm {
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    limit: String,
}

/// Saves a configuration change through its service; back to the configuration, or the
/// refusal naming the field.
async fn configure(
    ctx: Ctx,
    axum::extract::Path(what): axum::extract::Path<String>,
    Form(f): Form<ConfigForm>,
) -> Response {
    if let Some(r) = ctx.forged(&f.csrf) {
        return r;
    }
    let app = &ctx.state.app;
    let json = || {
        serde_json::from_str::<serde_json::Value>(&f.text).map_err(|e| {
            loanbook_service::ServiceError::invalid("text", format!("is not JSON: {e}"))
        })
    };
    let result = match what.as_str() {
        "product" => match json() {
            Ok(v) => products::add(app, &ctx.actor, &v).await.map(|_| ()),
            Err(e) => Err(e),
        },
        "policy" => policies::import_policy(app, &ctx.actor, &f.text)
            .await
            .map(|_| ()),
        "authority" => policies::import_rules(app, &ctx.actor, &f.text)
            .await
            .map(|_| ()),
        "funding" => applications::create_funding_source(
            app,
            &ctx.actor,
            &applications::FundingSourceInput {
                code: f.code.trim().to_owned(),
                name: f.name.trim().to_owned(),
                currency: None,
                limit: f.limit.trim().to_owned(),
            },
        )
        .await
        .map(|_| ()),
        _ => Err(loanbook_service::ServiceError::NotFound(format!(
            "configuration {what}"
        ))),
    };
    match result {
        Ok(()) => Redirect::to("/configuration").into_response(),
        Err(e) => ctx.refused(ctx.t("configuration"), &e),
    }
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    username: String,
    display_name: String,
    role: String,
    password: String,
}

/// Adds a user through the service (the password rules are the service's).
async fn add_user(ctx: Ctx, Form(f): Form<UserForm>) -> Response {
    if let Some(r) = ctx.forged(&f.csrf) {
        return r;
    }
    let new = auth::NewUser {
        username: f.username.trim().to_owned(),
        display_name: f.display_name.trim().to_owned(),
        role: f.role,
        password: f.password,
    };
    match auth::add_user(&ctx.state.app, &ctx.actor, &new).await {
        Ok(_) => Redirect::to("/users").into_response(),
        Err(e) => ctx.refused(ctx.t("users"), &e),
    }
}

async fn eod_panel(ctx: Ctx) -> Response {
    let app = &ctx.state.app;
    let (open, done, all) = match eod::progress(app, &ctx.actor).await {
        Ok(p) => p,
        Err(e) => return ctx.refused(ctx.t("eod"), &e),
    };
    let running = all > 0 && done < all;
    let mut body = format!(
        "{}<h1>{}</h1><p>{} <strong id=\"open-date\">{open}</strong></p>",
        if running {
            "<meta http-equiv=\"refresh\" content=\"3\">"
        } else {
            ""
        },
        escape(ctx.t("eod")),
        escape(ctx.t("business_date")),
    );
    if running {
        body.push_str(&format!(
            "<p id=\"progress\">{} <progress value=\"{done}\" max=\"{all}\"></progress> {done} / {all}</p>",
            escape(ctx.pick("正在运行：分区", "Running: partitions"))
        ));
    } else if ctx.may(Permission::EodRun) {
        body.push_str(&super::html::form(
            "/eod/run",
            &ctx.csrf_field(),
            "",
            &format!("{} {open}", ctx.pick("日终批处理", "Close")),
            "run-close",
        ));
    }
    if let Ok(runs) = eod::history(app, &ctx.actor, 30).await {
        let rows: Vec<Vec<String>> = runs
            .iter()
            .map(|r| {
                let report = &r["report"];
                vec![
                    escape(r["business_date"].as_str().unwrap_or("")),
                    badge(r["status"].as_str().unwrap_or("")),
                    escape(r["started_at"].as_str().unwrap_or("")),
                    escape(r["finished_at"].as_str().unwrap_or("")),
                    report["loans"]
                        .as_u64()
                        .map_or(String::new(), |n| n.to_string()),
                    report["duration_ms"]
                        .as_u64()
                        .map_or(String::new(), |n| n.to_string()),
                ]
            })
            .collect();
        body.push_str(&ctx.section(
            ctx.t("history"),
            &[
                "business_date",
                "status",
                "started",
                "finished",
                "#count",
                "#duration_ms",
            ],
            &rows,
        ));
    }
    ctx.page(ctx.t("eod"), &body)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// Starts the close of the open business date in the background; the panel then shows
/// its progress.
async fn eod_run(ctx: Ctx, Form(f): Form<CsrfForm>) -> Response {
    if let Some(r) = ctx.forged(&f.csrf) {
        return r;
    }
    if let Err(e) = ctx.actor.require(Permission::EodRun) {
        return ctx.refused(ctx.t("eod"), &e);
    }
    let app = ctx.state.app.clone();
    let actor = ctx.actor.clone();
    tokio::spawn(async move {
        let until = app.business_date().await.ok();
        let opts = RunOptions {
            until,
            ..RunOptions::default()
        };
        match eod::run(&app, &actor, &opts, &|_, _, _| {}).await {
            Ok(reports) => {
                for r in reports {
                    tracing::info!(date = %r.business_date, loans = r.loans, "daily close run from the console");
                }
            }
            Err(e) => tracing::error!(error = %e, "daily close from the console failed"),
        }
    });
    // give a small book's close a moment, so the panel usually shows it done
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    Redirect::to("/eod").into_response()
}

async fn users(ctx: Ctx) -> Response {
    let list = match auth::list_users(&ctx.state.app, &ctx.actor).await {
        Ok(l) => l,
        Err(e) => return ctx.refused(ctx.t("users"), &e),
    };
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|u| {
            vec![
                escape(&u.username),
                escape(&u.display_name),
                escape(ctx.t(&u.role)),
                escape(&u.language),
                badge(&u.status),
            ]
        })
        .collect();
    let mut body = format!(
        "<h1>{}</h1>{}",
        escape(ctx.t("users")),
        table(
            ctx.lang,
            &["username", "name", "roles", "language", "status"],
            &rows
        )
    );
    let roles: Vec<Vec<String>> = Role::ALL
        .iter()
        .map(|r| {
            let perms: Vec<&str> = r.permissions().iter().map(|p| p.code()).collect();
            vec![
                escape(ctx.t(r.code())),
                format!("<code>{}</code>", escape(&perms.join(" "))),
            ]
        })
        .collect();
    let role_options: String = Role::ALL
        .iter()
        .map(|r| {
            format!(
                "<option value=\"{}\">{}</option>",
                r.code(),
                escape(ctx.t(r.code()))
            )
        })
        .collect();
    body.push_str(&panel(
        ctx.pick("新增用户", "Add a user"),
        &super::html::form(
            "/users",
            &ctx.csrf_field(),
            &format!(
                "{}{}<label>{}<select name=\"role\">{role_options}</select></label><label>{}<input type=\"password\" name=\"password\" autocomplete=\"new-password\"></label>",
                super::html::input(ctx.t("username"), "username", ""),
                super::html::input(ctx.t("name"), "display_name", ""),
                escape(ctx.t("roles")),
                escape(ctx.t("password")),
            ),
            ctx.pick("新增", "Add"),
            "user-form",
        ),
    ));
    body.push_str(&ctx.section(ctx.t("roles"), &["roles", "permissions"], &roles));
    ctx.page(ctx.t("users"), &body)
}

#[derive(Deserialize)]
struct AuditQuery {
    entity: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    before: Option<i64>,
}

async fn audit(ctx: Ctx, Query(q): Query<AuditQuery>) -> Response {
    let some = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let filter = AuditFilter {
        entity: some(&q.entity),
        entity_id: some(&q.entity_id),
        actor: some(&q.actor),
        before_id: q.before,
        limit: 100,
    };
    let log = match admin::audit_log(&ctx.state.app, &ctx.actor, &filter).await {
        Ok(l) => l,
        Err(e) => return ctx.refused(ctx.t("audit_log"), &e),
    };
    let rows: Vec<Vec<String>> = log
        .iter()
        .map(|r| {
            let mut row = audit_row(r);
            row.push(format!(
                "<details><summary>before/after</summary><pre>{}\n→\n{}</pre></details>",
                escape(r.before.as_deref().unwrap_or("")),
                escape(r.after.as_deref().unwrap_or(""))
            ));
            row
        })
        .collect();
    let value = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    let body = format!(
        "<h1>{}</h1><form method=\"get\" class=\"inline\" id=\"audit-search\"><label>{}<input name=\"entity\" value=\"{}\" placeholder=\"loan, customer, application…\"></label>\
         <label>ID<input name=\"entity_id\" value=\"{}\"></label><label>{}<input name=\"actor\" value=\"{}\"></label>\
         <button class=\"primary\" type=\"submit\">{}</button></form>{}<p class=\"muted\">{}</p>",
        escape(ctx.t("audit_log")),
        escape(ctx.t("entity")),
        value(&q.entity),
        value(&q.entity_id),
        escape(ctx.t("actor")),
        value(&q.actor),
        escape(ctx.t("search")),
        table(
            ctx.lang,
            &["id", "date", "actor", "action", "entity", "details"],
            &rows
        ),
        escape(ctx.pick(
            "审计记录哈希链接，loanbook audit verify 可校验。",
            "Records are hash-chained; `loanbook audit verify` checks them."
        )),
    );
    ctx.page(ctx.t("audit_log"), &body)
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/configuration", get(configuration))
        .route("/eod", get(eod_panel))
        .route("/eod/run", post(eod_run))
        .route("/users", get(users).post(add_user))
        .route("/configuration/{what}", post(configure))
        .route("/audit", get(audit))
}
