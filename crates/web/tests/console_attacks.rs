//! Attacks on the console's sessions, on SQLite and PostgreSQL: every form refuses a
//! request without the session's CSRF token (403) and changes nothing; a session id the
//! attacker chose before login is never the one the login hands out (no fixation); a
//! session logged out, or one from another user, does not carry over. Over the API:
//! password guessing locks the account (also when the guesses come in parallel), and a
//! revoked API token is refused at once, by its owner's revocation only.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{PASSWORD, apps, call, login};
use loanbook_service::Actor;
use loanbook_store::audit::{AuditFilter, query};
use serde_json::json;
use tower::ServiceExt;

/// Every form of the console (the path parameters need not exist: the CSRF check comes
/// first).
const FORMS: [&str; 17] = [
    "/logout",
    "/language",
    "/applications/1/decide",
    "/applications/1/counter-offer",
    "/loans/1/repay",
    "/loans/1/prepay",
    "/loans/1/payoff",
    "/loans/1/restructure",
    "/loans/1/write-off",
    "/collections/1/actions",
    "/collections/1/promises",
    "/configuration/product",
    "/configuration/policy",
    "/configuration/authority",
    "/configuration/funding",
    "/users",
    "/eod/run",
];

async fn console_login(router: &axum::Router, username: &str, cookie: Option<&str>) -> String {
    let mut request =
        Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        request = request.header(header::COOKIE, c);
    }
    let answer = router
        .clone()
        .oneshot(
            request
                .body(Body::from(format!(
                    "username={username}&password={PASSWORD}"
                )))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    answer
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn get(router: &axum::Router, path: &str, cookie: &str) -> (StatusCode, String) {
    let answer = router
        .clone()
        .oneshot(
            Request::get(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = answer.status();
    let location = answer
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location)
}

async fn newest_audit(app: &loanbook_service::App) -> i64 {
    let filter = AuditFilter {
        limit: 1,
        ..Default::default()
    };
    query(app.db(), &filter).await.unwrap()[0].id
}

#[tokio::test]
async fn console_forms_refuse_forged_requests_and_sessions_do_not_carry_over() {
    for (router, app, t) in apps().await {
        let cookie = console_login(&router, "admin", None).await;
        let before = newest_audit(&app).await;
        for form in FORMS {
            for body in ["", "csrf=guess", "csrf=&language=en&amount=1.00&reason=x"] {
                let answer = router
                    .clone()
                    .oneshot(
                        Request::post(form)
                            .header(header::COOKIE, &cookie)
                            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                            .body(Body::from(body))
                            .unwrap(),
                    )
                    .await
                    .unwrap();
                let status = answer.status();
                assert!(
                    status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY,
                    "{}: {form} with '{body}' answered {status}",
                    t.label
                );
            }
        }
        assert_eq!(
            newest_audit(&app).await,
            before,
            "{}: a forged form changed something",
            t.label
        );
        // the session is still alive: the forged logout did not end it
        assert_eq!(get(&router, "/home", &cookie).await.0, StatusCode::OK);

        // fixation: a session id chosen by the attacker is not accepted, and a login
        // that arrives with it hands out a fresh one
        let planted = "lb_session=attacker-chosen-0123456789";
        assert_eq!(
            get(&router, "/home", planted).await,
            (StatusCode::SEE_OTHER, "/".to_owned())
        );
        let fresh = console_login(&router, "loan.officer", Some(planted)).await;
        assert_ne!(fresh, planted);
        assert_eq!(get(&router, "/home", &fresh).await.0, StatusCode::OK);
        assert_eq!(
            get(&router, "/home", planted).await.0,
            StatusCode::SEE_OTHER
        );

        // a token of one session does not work for another's CSRF: the officer's page
        // cannot be driven with the admin's token
        let admin_csrf = {
            let page = router
                .clone()
                .oneshot(
                    Request::get("/home")
                        .header(header::COOKIE, &cookie)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let html = axum::body::to_bytes(page.into_body(), 1 << 22)
                .await
                .unwrap();
            let html = String::from_utf8_lossy(&html).to_string();
            let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
            html[at..at + 32].to_owned()
        };
        let cross = router
            .clone()
            .oneshot(
                Request::post("/language")
                    .header(header::COOKIE, &fresh)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("csrf={admin_csrf}&language=en")))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(cross.status(), StatusCode::FORBIDDEN, "{}", t.label);
        let officer = loanbook_service::auth::list_users(&app, &Actor::system())
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.username == "loan.officer")
            .unwrap();
        assert_eq!(officer.language, "zh-CN");

        // logout ends the session for good
        let logout = router
            .clone()
            .oneshot(
                Request::post("/logout")
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("csrf={admin_csrf}")))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(logout.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            get(&router, "/home", &cookie).await,
            (StatusCode::SEE_OTHER, "/".to_owned()),
            "{}",
            t.label
        );
    }
}

/// `POST /api/v1/auth/login` with `password`: the status.
async fn try_login(router: &axum::Router, username: &str, password: &str) -> StatusCode {
    call(
        router,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"username": username, "password": password})),
    )
    .await
    .0
}

#[tokio::test]
async fn guessing_locks_accounts_and_revoked_tokens_are_refused_over_http() {
    for (router, _app, t) in apps().await {
        // four wrong guesses are "wrong"; the fifth locks, and then the right password is
        // refused too
        for n in 1..=4 {
            assert_eq!(
                try_login(&router, "collector", "Wrong-2026").await,
                StatusCode::UNAUTHORIZED,
                "{}: guess {n}",
                t.label
            );
        }
        assert_eq!(
            try_login(&router, "collector", "Wrong-2026").await,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            t.label
        );
        assert_eq!(
            try_login(&router, "collector", PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{}: a locked account took its password",
            t.label
        );
        // twenty guesses at once still lock the account
        let mut guesses = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let router = router.clone();
            guesses.spawn(async move { try_login(&router, "compliance", "Wrong-2026").await });
        }
        let answers = guesses.join_all().await;
        assert!(
            answers.contains(&StatusCode::TOO_MANY_REQUESTS),
            "{}: parallel guesses never locked: {answers:?}",
            t.label
        );
        assert_eq!(
            try_login(&router, "compliance", PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            t.label
        );
        // an unknown user gets the same answer as a wrong password
        assert_eq!(
            try_login(&router, "nobody.here", "Wrong-2026").await,
            StatusCode::UNAUTHORIZED
        );

        // an API token works until its owner revokes it, and not a moment after
        let officer = login(&router, "loan.officer").await;
        let (status, issued, _) = call(
            &router,
            "POST",
            "/api/v1/auth/tokens",
            Some(&officer),
            Some(json!({"name": "statement robot"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {issued}", t.label);
        let id = issued["id"].as_i64().unwrap();
        let token = issued["token"].as_str().unwrap().to_owned();
        let list = |token: String| {
            let router = router.clone();
            async move {
                call(&router, "GET", "/api/v1/loans", Some(&token), None)
                    .await
                    .0
            }
        };
        assert_eq!(list(token.clone()).await, StatusCode::OK);
        // another user cannot revoke it (404, as if it did not exist)
        let admin = login(&router, "admin").await;
        let path = format!("/api/v1/auth/tokens/{id}");
        assert_eq!(
            call(&router, "DELETE", &path, Some(&admin), None).await.0,
            StatusCode::NOT_FOUND,
            "{}",
            t.label
        );
        assert_eq!(list(token.clone()).await, StatusCode::OK);
        // the owner revokes it: the next request is refused
        assert_eq!(
            call(&router, "DELETE", &path, Some(&officer), None).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            list(token.clone()).await,
            StatusCode::UNAUTHORIZED,
            "{}: a revoked token still worked",
            t.label
        );
        assert_eq!(
            call(&router, "DELETE", &path, Some(&officer), None).await.0,
            StatusCode::NOT_FOUND
        );
        // a live token with one character changed is refused, and the live one still works
        let last = officer.chars().last().unwrap();
        let forged = format!(
            "{}{}",
            &officer[..officer.len() - 1],
            if last == 'A' { 'B' } else { 'A' }
        );
        assert_eq!(list(forged).await, StatusCode::UNAUTHORIZED);
        // the officer's own session is untouched by the revocation
        assert_eq!(list(officer.clone()).await, StatusCode::OK);
        // logout ends the API session too
        assert_eq!(
            call(&router, "POST", "/api/v1/auth/logout", Some(&officer), None)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(list(officer).await, StatusCode::UNAUTHORIZED);
    }
}
