//! The dashboard's one error type and its one mapping to an HTTP answer:
//! a page with a short message. Internal details (SQL, paths) go to the
//! log, never to the browser.

use super::layout::{page, Page};
use crate::error::ServerError;
use crate::storage::StorageError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such site, device, wave or page: said as it is.
    #[error("{0}")]
    NotFound(String),
    /// A request the dashboard understood and refuses, with what is wrong.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Internal(String),
}

impl From<StorageError> for AppError {
    fn from(error: StorageError) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl From<ServerError> for AppError {
    fn from(error: ServerError) -> Self {
        match error {
            ServerError::NotFound(message) => AppError::NotFound(message),
            ServerError::Invalid(message) | ServerError::Ambiguous(message) => AppError::BadRequest(message),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("page task failed: {error}"))
    }
}

impl From<crate::waves::files::FileError> for AppError {
    fn from(error: crate::waves::files::FileError) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            AppError::NotFound(message) => (StatusCode::NOT_FOUND, "Not found", message),
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, "Cannot show this", message),
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "dashboard page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Server error",
                    "The server could not build this page; its log has the details.".to_string(),
                )
            }
        };
        let body = html! {
            div.notice.error { p.lead { (message) } }
            p { a href="/" { "Back to the overview" } }
        };
        (status, Page(page(title, "", body))).into_response()
    }
}
