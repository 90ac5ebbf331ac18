//! The console: server-rendered HTML, no scripts from elsewhere, Chinese and English
//! labels side by side. The login page, the customer list and the shared page parts;
//! origination's pages are in `console_origination`. The full console comes with its own
//! issue.

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loanbook_service::customers::{self, SearchInput};
use loanbook_service::{Actor, auth};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::extract::SESSION_COOKIE;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;background:#f5f6f8;color:#1d2433}\
header{background:#1f3a5f;color:#fff;padding:12px 24px;display:flex;justify-content:space-between;align-items:center}\
header a,header button{color:#fff;background:none;border:0;font:inherit;cursor:pointer}\
main{max-width:1180px;margin:24px auto;padding:0 16px}\
table{width:100%;border-collapse:collapse;background:#fff}th,td{padding:8px 10px;border-bottom:1px solid #e3e6eb;text-align:left}\
th{background:#eef1f5;font-weight:600}.card{background:#fff;padding:24px;border-radius:6px;max-width:360px;margin:80px auto;box-shadow:0 1px 3px #0002}\
input{width:100%;padding:8px;margin:6px 0 14px;box-sizing:border-box}button.primary{background:#1f3a5f;color:#fff;border:0;padding:10px 18px;border-radius:4px}\
.error{color:#b3261e}.muted{color:#667085;font-size:.9em}";

pub(crate) fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · loanbook</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    ))
}

fn login_page(error: Option<&str>) -> Html<String> {
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "登录 Log in",
        &format!(
            "<div class=\"card\"><h1>loanbook</h1><p class=\"muted\">信贷运营 · credit operations</p>{error}\
             <form method=\"post\" action=\"/login\"><label>用户名 Username<input name=\"username\" autocomplete=\"username\" required></label>\
             <label>密码 Password<input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\
             <button class=\"primary\" type=\"submit\">登录 Log in</button></form></div>"
        ),
    )
}

/// Compares without stopping at the first difference, so timing does not reveal the token.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn csrf_token(session: &str) -> String {
    hex::encode(&Sha256::digest(format!("csrf:{session}").as_bytes())[..16])
}

fn session(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

pub(crate) async fn actor(state: &AppState, headers: &HeaderMap) -> Option<(Actor, String)> {
    let token = session(headers)?;
    auth::authenticate(&state.app, &token)
        .await
        .ok()
        .map(|a| (a, token))
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match actor(&state, &headers).await {
        Some(_) => Redirect::to("/customers").into_response(),
        None => login_page(None).into_response(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    match auth::login(&state.app, &form.username, &form.password).await {
        Ok(login) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200",
                login.token
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to("/customers")).into_response()
        }
        Err(loanbook_service::ServiceError::Store(e)) => {
            tracing::error!(error = %e, "store failure at login");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                login_page(Some("系统暂时不可用 The system is unavailable; try again")),
            )
                .into_response()
        }
        Err(e) => (StatusCode::UNAUTHORIZED, login_page(Some(&e.to_string()))).into_response(),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some((actor, token)) = actor(&state, &headers).await {
        if !constant_time_eq(form.csrf.as_bytes(), csrf_token(&token).as_bytes()) {
            return (
                StatusCode::FORBIDDEN,
                "the form is stale or forged (CSRF check failed)",
            )
                .into_response();
        }
        let _ = auth::logout(&state.app, &actor, &token).await;
    }
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, clear)], Redirect::to("/")).into_response()
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
}

async fn customer_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let Some((actor, token)) = actor(&state, &headers).await else {
        return Redirect::to("/").into_response();
    };
    let search = SearchInput {
        name: query.q.clone(),
        limit: Some(200),
        ..Default::default()
    };
    let rows = match customers::search(&state.app, &actor, &search).await {
        Ok(rows) => rows,
        Err(e) => {
            return (
                StatusCode::FORBIDDEN,
                page(
                    "客户 Customers",
                    &format!(
                        "<main><p class=\"error\">{}</p></main>",
                        escape(&e.to_string())
                    ),
                ),
            )
                .into_response();
        }
    };
    let date = state
        .app
        .business_date()
        .await
        .map(|d| d.to_string())
        .unwrap_or_default();
    let mut table = String::from(
        "<table><thead><tr><th>#</th><th>类型 Kind</th><th>名称 Name</th><th>证件号 ID / USCC</th><th>手机 Phone</th><th>省份 Province</th><th>状态 Status</th></tr></thead><tbody>",
    );
    for c in &rows {
        table.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.id,
            escape(&c.kind),
            escape(&c.name),
            escape(c.id_number.as_deref().or(c.uscc.as_deref()).unwrap_or("")),
            escape(c.phone.as_deref().unwrap_or("")),
            escape(c.province.as_deref().unwrap_or("")),
            escape(&c.status)
        ));
    }
    table.push_str("</tbody></table>");
    let body = format!(
        "{}<main><h1>客户 Customers</h1><form method=\"get\"><input name=\"q\" placeholder=\"名称 Name\" value=\"{}\" style=\"max-width:320px\"></form>\
         {table}<p class=\"muted\">{} 条 · {} shown · personal data masked</p></main>",
        top_bar(&date, &actor, &token),
        escape(query.q.as_deref().unwrap_or("")),
        rows.len(),
        rows.len()
    );
    page("客户 Customers", &body).into_response()
}

/// The bar on top of every page: the business date, who is logged in, the sections and
/// the log-out form.
pub(crate) fn top_bar(date: &str, actor: &Actor, token: &str) -> String {
    format!(
        "<header><strong>loanbook</strong><nav><a href=\"/customers\">客户 Customers</a> · \
         <a href=\"/applications\">申请 Applications</a></nav><span>会计日期 Business date {date} · {} ({})\
         <form method=\"post\" action=\"/logout\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">退出 Log out</button></form></span></header>",
        escape(&actor.username),
        escape(actor.role.code()),
        csrf_token(token)
    )
}

/// The console routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/customers", get(customer_list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape("<script>alert('x')</script>&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }
}
