//! parc-agent: collects this PC's inventory and reports it to parc-server.
//!
//! The agent only reports: it runs nothing the server sends. Collection
//! ([`collect`]) never fails as a whole: a section that cannot be read is
//! reported as unknown with its reason. Talking to the server
//! ([`client`]) and deciding when ([`schedule`], [`runner`]) are separate,
//! and the state that must survive restarts lives in [`state`], with the
//! inventory not yet sent in the [`spool`].

pub mod client;
pub mod collect;
pub mod config;
pub mod runner;
pub mod schedule;
pub mod spool;
pub mod state;

/// This agent's version, sent with every report.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");
