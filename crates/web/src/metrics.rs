//! `/metrics` in the Prometheus text format, and `/healthz`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

/// Request counters.
#[derive(Default)]
pub struct Metrics {
    requests: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    latency_micros: AtomicU64,
}

/// Counts every request, its class of status and its time.
///
/// Logs each request: method, path without its query (a query may carry a phone or an
/// ID number), status and time — never a body or a header.
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(target: "loanbook_web::http", %method, %path, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    let m = &state.metrics;
    m.requests.fetch_add(1, Ordering::Relaxed);
    let status = response.status().as_u16();
    if (400..500).contains(&status) {
        m.client_errors.fetch_add(1, Ordering::Relaxed);
    } else if status >= 500 {
        m.server_errors.fetch_add(1, Ordering::Relaxed);
    }
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    m.latency_micros.fetch_add(micros, Ordering::Relaxed);
    response
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    let body = format!(
        "# HELP loanbook_http_requests_total HTTP requests served.\n# TYPE loanbook_http_requests_total counter\nloanbook_http_requests_total {}\n\
         # HELP loanbook_http_client_errors_total Requests answered 4xx.\n# TYPE loanbook_http_client_errors_total counter\nloanbook_http_client_errors_total {}\n\
         # HELP loanbook_http_server_errors_total Requests answered 5xx.\n# TYPE loanbook_http_server_errors_total counter\nloanbook_http_server_errors_total {}\n\
         # HELP loanbook_http_request_seconds_sum Total time spent serving requests.\n# TYPE loanbook_http_request_seconds_sum counter\nloanbook_http_request_seconds_sum {}.{:06}\n",
        m.requests.load(Ordering::Relaxed),
        m.client_errors.load(Ordering::Relaxed),
        m.server_errors.load(Ordering::Relaxed),
        m.latency_micros.load(Ordering::Relaxed) / 1_000_000,
        m.latency_micros.load(Ordering::Relaxed) % 1_000_000,
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.business_date().await {
        Ok(date) => (
            axum::http::StatusCode::OK,
            format!("ok business_date={date}\n"),
        ),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "not ready\n".to_owned(),
        ),
    }
}

/// `/metrics` and `/healthz`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
}
