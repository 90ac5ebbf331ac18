//! Helpers shared by the HTTP tests: an initialised loanbook with a user for every role
//! on every test database, and a request helper.
#![allow(clippy::unwrap_used, dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use loanbook_service::auth::{self, NewUser, Role};
use loanbook_service::{Actor, App, admin};
use loanbook_store::crypto::Keys;
use loanbook_store::testing::{self, TestDb};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const PASSWORD: &str = "Password-2026";

pub async fn apps() -> Vec<(axum::Router, App, TestDb)> {
    let mut out = Vec::new();
    for t in testing::databases().await {
        let app = App::new(t.db.clone(), Keys::from_master(&[9u8; 32]), t.dir.path());
        admin::initialise(
            &app,
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            "admin",
            PASSWORD,
        )
        .await
        .unwrap();
        for role in Role::ALL.iter().filter(|r| **r != Role::Admin) {
            let new = NewUser {
                username: role.code().replace('_', "."),
                display_name: String::new(),
                role: role.code().into(),
                password: PASSWORD.into(),
            };
            auth::add_user(&app, &Actor::system(), &new).await.unwrap();
        }
        out.push((loanbook_web::router(app.clone()), app, t));
    }
    out
}

pub async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match body {
        Some(b) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let response = router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value, content_type)
}

pub async fn login(router: &axum::Router, username: &str) -> String {
    let (status, body, _) = call(
        router,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"username": username, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}
