//! parc-server's integration tests: a real SQLite file on disk and real gRPC
//! over loopback TCP, one binary with a module per area.

mod access;
mod delta;
mod grpc;
mod ingest;
mod policy;
mod readiness;
mod search;
mod search_plan;
mod storage;
mod util;
mod waves;
mod web;
mod web_security;
