//! The server's errors, and the one mapping from them to gRPC statuses.
//! Internal details (SQL, paths) are logged, never sent to clients.

use crate::storage::StorageError;
use parc_proto::convert::WireError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    InvalidArgument(#[from] WireError),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    NotFound(String),
    /// A request the server understood and refuses, with what is wrong.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Ambiguous(String),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<ServerError> for tonic::Status {
    fn from(error: ServerError) -> Self {
        match error {
            ServerError::InvalidArgument(e) => tonic::Status::invalid_argument(e.to_string()),
            ServerError::Unauthenticated(m) => tonic::Status::unauthenticated(m),
            ServerError::NotFound(m) => tonic::Status::not_found(m),
            ServerError::Invalid(m) => tonic::Status::invalid_argument(m),
            ServerError::Ambiguous(m) => tonic::Status::failed_precondition(m),
            ServerError::Storage(StorageError::Conflict(m)) => tonic::Status::failed_precondition(m),
            internal @ (ServerError::Storage(_) | ServerError::Task(_)) => {
                tracing::error!(error = %internal, "internal error");
                tonic::Status::internal("internal server error; the server log has the details")
            }
        }
    }
}
