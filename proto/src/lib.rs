//! The gRPC contract `parc.v1`, generated from `proto/parc/v1/*.proto`, and
//! the one module ([`convert`]) that turns its messages into domain types
//! and back.
//!
//! Nothing outside this crate builds or reads a protobuf message field by
//! field: agents and the server hand domain types to [`convert`]. The
//! contract only grows by additive changes (new fields, new RPCs).

pub mod convert;
pub mod limits;
pub mod sections;

/// Generated protobuf messages and tonic clients and servers.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    tonic::include_proto!("parc.v1");
}

/// The encoded descriptor set of `parc.v1`, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/parc_v1_descriptor.bin"));

/// The default address of parc-server's gRPC port, which `parc` and
/// `parc-agent` also use when no server is given.
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:4750";

/// [`DEFAULT_GRPC_ADDR`] as a URL for clients.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:4750";

/// A status's message plus its error chain, without repeats. tonic's
/// transport errors say "transport error" and hide "Connection refused" in
/// their sources; people need the latter.
pub fn status_text(status: &tonic::Status) -> String {
    let mut text = status.message().to_string();
    let mut source = std::error::Error::source(status);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
