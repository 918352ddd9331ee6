//! The HTTP port: Prometheus metrics, the health check, signing in, and
//! the web dashboard (`web`). Every path but `/healthz` and `/login` needs
//! a token (`http_auth.rs`). Plain HTTP on loopback by default, like the
//! gRPC port; HTTPS with `tls_cert` and `tls_key`.

use crate::grpc::AppState;
use crate::http_auth;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(crate::web::routes())
        .route("/login", get(http_auth::login_page).post(http_auth::login))
        .route("/logout", axum::routing::post(http_auth::logout))
        .layer(axum::middleware::from_fn_with_state(state.clone(), http_auth::require_token))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Every answer of the port carries the dashboard's content security
/// policy, not only the pages `web::layout::Page` builds: the sign-in
/// form, refusals, redirects and downloads are covered too, so no answer
/// can run a script or load anything from elsewhere.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(crate::web::layout::CONTENT_SECURITY_POLICY));
    headers.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    response
}

/// Serves HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_tls(listener, state, None, shutdown).await
}

/// Serves HTTP, or HTTPS when `tls` is given, on `listener` until
/// `shutdown` completes.
pub async fn serve_with_tls(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    match tls {
        Some(config) => crate::tls::serve_https(listener, config, router(state), shutdown).await,
        None => axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await,
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let storage = state.storage.clone();
    let metrics = state.metrics.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let writer = storage.writer_stats();
        metrics.render(&storage, &writer, crate::now_unix())
    })
    .await;
    match rendered {
        Ok(Ok(text)) => {
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "metrics unavailable");
            (StatusCode::INTERNAL_SERVER_ERROR, "metrics unavailable; see the server log\n").into_response()
        }
        Err(error) => {
            tracing::error!(%error, "metrics task failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "metrics unavailable; see the server log\n").into_response()
        }
    }
}
