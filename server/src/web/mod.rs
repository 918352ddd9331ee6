//! The web dashboard, served by parc-server on its HTTP port: HTML pages
//! rendered on the server (maud), charts as inline SVG, one inline style
//! sheet, no script and nothing loaded from elsewhere, so it works on a
//! closed network.
//!
//! Each page is a module with a `load` (reads storage through the
//! server's existing functions, on a blocking thread) and a `render` (pure:
//! data in, markup out). Pages only read: nothing here writes to storage.
//! Every string from data is escaped (maud escapes `(value)`; the SVG
//! charts escape their labels). Long lists are capped, and say so.
//!
//! Authentication is not here: it is a layer put over [`routes`].

mod device;
mod error;
pub(crate) mod layout;
mod overview;
mod search;
mod sites;
mod svg;
mod waves;

pub use error::AppError;

use crate::grpc::AppState;
use crate::storage::Storage;
use axum::routing::get;
use axum::Router;
use parc_readiness::Policy;
use std::sync::Arc;

/// The dashboard's pages, to merge into the HTTP router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(overview::show))
        .route("/sites", get(sites::list))
        .route("/sites/{code}", get(sites::detail))
        .route("/devices/{device}", get(device::show))
        .route("/waves", get(waves::plan))
        .route("/waves/export.csv", get(waves::export_csv))
        .route("/waves/export.xlsx", get(waves::export_xlsx))
        .route("/waves/{wave}", get(waves::wave))
        .route("/search", get(search::results))
        .route("/search.csv", get(search::csv))
        .fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("There is no page at {}.", uri.path()))
}

/// What a page's `load` gets: storage, the policy in force, and the time
/// the request came (read once, at the edge).
pub struct Context<'a> {
    pub storage: &'a Storage,
    pub policy: &'a Policy,
    pub now: i64,
}

/// Runs a page's reads on a blocking thread, off the async workers.
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    load: impl FnOnce(&Context<'_>) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let (storage, policy, now) = (state.storage.clone(), state.policy.get(), crate::now_unix());
    tokio::task::spawn_blocking(move || load(&Context { storage: &storage, policy: &policy, now })).await?
}
