//! The console: server-rendered HTML for staff, no scripts from elsewhere, no build step,
//! in Chinese or English by the user's choice. Every page is a thin handler: it reads the
//! session, calls the same service functions as the API, and renders; forms post back
//! with a CSRF token bound to the session. One file per area:
//! - `mod.rs`: log in and out, the language toggle, the page frame ([`Ctx`]);
//! - `home`: the role-aware work queues; `customers`: the list and the customer 360;
//! - `origination`: applications and the workbench; `loans`: the loan page and actions;
//!   `collections`: cases, the action log and promises;
//! - `reports`: dashboards, charts, exports and the printable reports;
//! - `admin`: configuration, funding sources, the daily close, users, the audit log.

mod admin;
mod collections;
mod customers;
mod home;
mod html;
pub(crate) mod i18n;
mod loans;
mod origination;
mod reports;

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use loanbook_service::{Actor, Permission, ServiceError, auth};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::extract::SESSION_COOKIE;
pub use html::escape;
use i18n::Lang;

const STYLE: &str = include_str!("console.css");

/// Everything a console page needs: who is asking, in which language, on which business
/// date.
pub(crate) struct Ctx {
    /// The application state.
    pub state: AppState,
    /// The logged-in user.
    pub actor: Actor,
    /// The session token (for the CSRF token).
    pub token: String,
    /// The user's language.
    pub lang: Lang,
    /// The open business date.
    pub date: String,
}

impl Ctx {
    /// The context of a request with a live session; the login page otherwise.
    pub async fn load(state: &AppState, headers: &HeaderMap) -> Result<Ctx, Response> {
        let Some(token) = session(headers) else {
            return Err(Redirect::to("/").into_response());
        };
        let Ok(actor) = auth::authenticate(&state.app, &token).await else {
            return Err(Redirect::to("/").into_response());
        };
        let lang = Lang::of(&auth::language(&state.app, &actor).await.unwrap_or_default());
        let date = state
            .app
            .business_date()
            .await
            .map(|d| d.to_string())
            .unwrap_or_default();
        Ok(Ctx {
            state: state.clone(),
            actor,
            token,
            lang,
            date,
        })
    }

    /// A panel with a heading and a table (headers are label keys; see [`html::table`]).
    pub fn section(&self, title: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
        html::panel(title, &html::table(self.lang, headers, rows))
    }

    /// The label of `key` in the user's language.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    /// Chinese or English text chosen by the user's language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The session's CSRF token, for forms.
    pub fn csrf(&self) -> String {
        csrf_token(&self.token)
    }

    /// A hidden CSRF field.
    pub fn csrf_field(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            self.csrf()
        )
    }

    /// The refusal of a form whose CSRF token is not this session's; `None` when the
    /// token is right.
    pub fn forged(&self, given: &str) -> Option<Response> {
        (!constant_time_eq(given.as_bytes(), self.csrf().as_bytes())).then(forged)
    }

    /// Whether the user's role has `p` (to show a section or a form; the service
    /// checks again).
    pub fn may(&self, p: Permission) -> bool {
        self.actor.role.allows(p)
    }

    /// A whole page in the console frame.
    pub fn page(&self, title: &str, body: &str) -> Response {
        self.page_with(StatusCode::OK, title, body)
    }

    /// A whole page with a status.
    pub fn page_with(&self, status: StatusCode, title: &str, body: &str) -> Response {
        let nav: String = NAV
            .iter()
            .filter(|(_, _, p)| p.is_none_or(|p| self.may(p)))
            .map(|(href, key, _)| format!("<a href=\"{href}\">{}</a>", escape(self.t(key))))
            .collect();
        let frame = format!(
            "<header><a class=\"brand\" href=\"/home\">loanbook</a><nav>{nav}</nav>\
             <span class=\"who\">{} {} · <span title=\"{}\">{}</span> ({})\
             <form method=\"post\" action=\"/language\">{}<input type=\"hidden\" name=\"language\" value=\"{}\">\
             <button type=\"submit\" id=\"language\">{}</button></form>\
             <form method=\"post\" action=\"/logout\">{}<button type=\"submit\" id=\"logout\">{}</button></form></span></header>\
             <main>{body}</main>",
            escape(self.t("business_date")),
            escape(&self.date),
            escape(self.t("username")),
            escape(&self.actor.username),
            escape(self.t(self.actor.role.code())),
            self.csrf_field(),
            self.lang.other().code(),
            escape(self.t("_language")),
            self.csrf_field(),
            escape(self.t("log_out")),
        );
        (status, document(self.lang, title, &frame)).into_response()
    }

    /// The page of a refusal: the service's error, with the status the API would give.
    pub fn refused(&self, title: &str, e: &ServiceError) -> Response {
        let status = match e {
            ServiceError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let text = match e {
            ServiceError::Store(_) => {
                tracing::error!(error = %e, "store failure in the console");
                self.pick(
                    "系统暂时不可用，请稍后再试",
                    "The system is unavailable; try again",
                )
                .to_owned()
            }
            _ => e.to_string(),
        };
        self.page_with(
            status,
            title,
            &format!(
                "<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/home\">← {}</a></p>",
                escape(title),
                escape(&text),
                escape(self.t("home"))
            ),
        )
    }
}

impl axum::extract::FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    /// A handler that takes a `Ctx` runs only for a live session; others are sent to
    /// the login page.
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Ctx, Response> {
        Ctx::load(state, &parts.headers).await
    }
}

/// The sections of the top bar: (link, label key, the permission that shows it).
const NAV: [(&str, &str, Option<Permission>); 10] = [
    ("/home", "home", None),
    ("/customers", "customers", Some(Permission::CustomerRead)),
    (
        "/applications",
        "applications",
        Some(Permission::ApplicationRead),
    ),
    ("/loans", "loans", Some(Permission::LoanRead)),
    (
        "/collections",
        "collections",
        Some(Permission::CollectionWork),
    ),
    ("/reports", "reports", Some(Permission::LoanRead)),
    ("/eod", "eod", Some(Permission::EodRun)),
    (
        "/configuration",
        "configuration",
        Some(Permission::ProductRead),
    ),
    ("/users", "users", Some(Permission::UserManage)),
    ("/audit", "audit_log", Some(Permission::AuditRead)),
];

/// The HTML document around a page's content.
fn document(lang: Lang, title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · loanbook</title><style>{STYLE}</style></head><body>{body}</body></html>",
        lang.code(),
        escape(title)
    ))
}

fn login_page(error: Option<&str>) -> Html<String> {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    document(
        Lang::Zh,
        "登录 Log in",
        &format!(
            "<div class=\"card login\"><h1>loanbook</h1><p class=\"muted\">信贷运营 · credit operations</p>{error}\
             <form method=\"post\" action=\"/login\"><label>用户名 Username<input name=\"username\" id=\"username\" autocomplete=\"username\" required></label>\
             <label>密码 Password<input type=\"password\" name=\"password\" id=\"password\" autocomplete=\"current-password\" required></label>\
             <button class=\"primary\" type=\"submit\" id=\"login\">登录 Log in</button></form></div>"
        ),
    )
}

/// Compares without stopping at the first difference, so timing does not reveal the token.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The CSRF token of a session: bound to it, so a form from another session fails.
pub(crate) fn csrf_token(session: &str) -> String {
    hex::encode(&Sha256::digest(format!("csrf:{session}").as_bytes())[..16])
}

fn forged() -> Response {
    (
        StatusCode::FORBIDDEN,
        "the form is stale or forged (CSRF check failed)",
    )
        .into_response()
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

async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match Ctx::load(&state, &headers).await {
        Ok(_) => Redirect::to("/home").into_response(),
        Err(_) => login_page(None).into_response(),
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
            ([(header::SET_COOKIE, cookie)], Redirect::to("/home")).into_response()
        }
        Err(ServiceError::Store(e)) => {
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
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Ok(ctx) = Ctx::load(&state, &headers).await {
        if let Some(r) = ctx.forged(&form.csrf) {
            return r;
        }
        let _ = auth::logout(&state.app, &ctx.actor, &ctx.token).await;
    }
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, clear)], Redirect::to("/")).into_response()
}

#[derive(Deserialize)]
struct LanguageForm {
    csrf: String,
    language: String,
}

/// Keeps the user's language on their record and goes back to the page they were on.
async fn language(ctx: Ctx, headers: HeaderMap, Form(form): Form<LanguageForm>) -> Response {
    if let Some(r) = ctx.forged(&form.csrf) {
        return r;
    }
    if let Err(e) = auth::set_language(&ctx.state.app, &ctx.actor, &form.language).await {
        return ctx.refused(ctx.t("language"), &e);
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(same_site_path)
        .unwrap_or_else(|| "/home".to_owned());
    Redirect::to(&back).into_response()
}

/// The path of a referring URL, only when it is a page of this console (no open
/// redirect to another site).
fn same_site_path(referer: &str) -> Option<String> {
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let path = &rest[rest.find('/')?..];
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_owned())
}

/// The console routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/language", post(language))
        .merge(home::routes())
        .merge(customers::routes())
        .merge(origination::routes())
        .merge(loans::routes())
        .merge(collections::routes())
        .merge(reports::routes())
        .merge(admin::routes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        assert_eq!(
            same_site_path("http://127.0.0.1:8080/loans/7?x=1").as_deref(),
            Some("/loans/7?x=1")
        );
        assert_eq!(same_site_path("https://evil.example//x"), None);
        assert_eq!(same_site_path("javascript:alert(1)"), None);
    }

    #[test]
    fn a_csrf_token_belongs_to_its_session() {
        assert_eq!(csrf_token("a"), csrf_token("a"));
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
