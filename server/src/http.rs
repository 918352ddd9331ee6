//! The HTTP port: Prometheus metrics, the health check and the web
//! dashboard (`web`). Plain HTTP on loopback by default, like the gRPC
//! port.

use crate::grpc::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
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
        .with_state(state)
}

/// Serves HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
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
