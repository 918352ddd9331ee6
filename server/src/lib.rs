//! parc-server: ingest of agent reports, storage on embedded SQLite, and the
//! fleet API; plus the `parc` command line (in [`cli`]) and the fleet
//! simulator ([`sim`]) that the demo and the load tests drive.
//!
//! I/O lives at the edges: [`grpc`] (the wire), [`storage`] (the
//! database). Handlers are thin: they validate through `parc_proto::convert`,
//! call storage on a blocking thread and map errors through [`error`].

pub mod cli;
pub mod config;
pub mod error;
pub mod grpc;
pub mod sim;
pub mod storage;
pub mod summary;

/// Seconds since the Unix epoch. The one place the server reads the clock.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
