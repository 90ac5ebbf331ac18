//! The REST API (`/api/v1`, OpenAPI at `/api/openapi.json`, interactive docs at
//! `/api/docs`) and the server-rendered console. Thin: find out who is asking, parse
//! the request, call one service function, render the answer.
#![deny(missing_docs)]

mod api;
mod api_collections;
mod api_loan_ops;
mod api_origination;
mod api_reports;
mod api_service_desk;
mod api_servicing;
mod api_warnings;
pub mod charts;
mod console;
pub mod export;
mod extract;
mod metrics;
mod problem;

use std::sync::Arc;

use axum::Router;
use loanbook_service::App;

pub use api::ApiDoc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The application.
    pub app: App,
    /// Request counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
}

/// The whole router: API, docs, console, `/healthz` and `/metrics`.
pub fn router(app: App) -> Router {
    let state = AppState {
        app,
        metrics: Arc::new(metrics::Metrics::default()),
    };
    Router::new()
        .merge(api::routes())
        .merge(api_origination::routes())
        .merge(api_servicing::routes())
        .merge(api_loan_ops::routes())
        .merge(api_service_desk::routes())
        .merge(api_collections::routes())
        .merge(api_reports::routes())
        .merge(api_warnings::routes())
        .merge(console::routes())
        .merge(metrics::routes())
        .merge(api::docs())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        .with_state(state)
}

/// Serves `app` on an already bound `listener` until the task is dropped (benchmarks
/// and tests that need a free port).
///
/// # Errors
/// When accepting fails.
pub async fn serve_on(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

/// Serves `app` on `addr` until Ctrl-C (or SIGTERM).
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(app: App, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "serving the console and the API");
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("a SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
    })
    .await
}
