//! The gRPC edge: `AgentService` for endpoints, `FleetService` for IT ops,
//! plus standard health checking and server reflection so that grpcurl and
//! load balancers work without our .proto files.

mod access;
mod agent;
mod fleet;
mod policy;
mod readiness;
mod waves;

use crate::storage::Storage;
use parc_proto::limits::MAX_MESSAGE_BYTES;
use parc_proto::pb::agent_service_server::AgentServiceServer;
use parc_proto::pb::fleet_service_server::FleetServiceServer;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::TcpIncoming;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    pub storage: Arc<Storage>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// SHA-256 of the enrollment secret; compared in constant time.
    enroll_secret_hash: [u8; 32],
    pub report_interval: Duration,
    /// The readiness policy in force and where it comes from; an admin
    /// may change it while the server runs (`parc policy set`).
    pub policy: Arc<crate::policy::LivePolicy>,
    /// Who holds the API tokens IT ops and the dashboard present.
    pub auth: Arc<crate::auth::Authenticator>,
    /// Whether the ports are served over TLS (cookies are then `Secure`).
    pub tls: bool,
    /// Recent answers of queries that read the whole fleet, for their
    /// next pages.
    pub answers: Arc<crate::search::Answers>,
    /// Whether agents must show a client certificate (the TLS layer has
    /// checked it against `agent_ca_file`) to enroll and report.
    pub agents_need_certificate: bool,
}

impl AppState {
    pub fn new(storage: Arc<Storage>, enroll_secret: &str, report_interval: Duration) -> AppState {
        AppState {
            auth: Arc::new(crate::auth::Authenticator::new(storage.clone())),
            storage,
            tls: false,
            agents_need_certificate: false,
            answers: Arc::default(),
            metrics: Arc::new(crate::metrics::Metrics::new()),
            enroll_secret_hash: sha256(enroll_secret.as_bytes()),
            report_interval,
            policy: Arc::new(crate::policy::LivePolicy::new(
                parc_readiness::Policy::default(),
                crate::policy::PolicySource::Defaults,
            )),
        }
    }

    /// Uses `policy`, from `source`, instead of the defaults.
    pub fn with_policy(
        mut self,
        policy: parc_readiness::Policy,
        source: crate::policy::PolicySource,
    ) -> AppState {
        self.policy = Arc::new(crate::policy::LivePolicy::new(policy, source));
        self
    }

    fn secret_matches(&self, candidate: &str) -> bool {
        let candidate = sha256(candidate.as_bytes());
        candidate.iter().zip(self.enroll_secret_hash.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Node keys are stored hashed: a stolen database holds no usable key.
pub fn node_key_hash(node_key: &str) -> String {
    hex::encode(sha256(node_key.as_bytes()))
}

/// Serves gRPC in plain text on `listener` until `shutdown` completes, then
/// drains.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    serve_with_tls(listener, state, None, shutdown).await
}

/// Serves gRPC on `listener`, over TLS when `tls` is given, until
/// `shutdown` completes, then drains.
pub async fn serve_with_tls(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<tonic::transport::ServerTlsConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<AgentServiceServer<agent::AgentApi>>().await;
    health_reporter.set_serving::<FleetServiceServer<fleet::FleetApi>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(parc_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("the embedded descriptor sets are valid");

    // Agents send zstd (gzip from other clients is fine too); the size
    // limit holds for the message once decompressed.
    let agent = AgentServiceServer::new(agent::AgentApi::new(state.clone()))
        .accept_compressed(CompressionEncoding::Zstd)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Zstd)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let require_token = crate::auth::RequireTokenLayer::new(state.auth.clone());
    let fleet = FleetServiceServer::new(fleet::FleetApi::new(state))
        .accept_compressed(CompressionEncoding::Zstd)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Zstd)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);

    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls)?;
    }
    builder
        .http2_keepalive_interval(Some(Duration::from_secs(60)))
        .layer(require_token)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(agent)
        .add_service(fleet)
        // Answers span several TCP segments: without no-delay, Nagle's
        // algorithm and delayed ACKs add 40 ms to a page of devices. Set on
        // the incoming stream: the builder's option only covers addresses
        // tonic binds itself.
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), shutdown)
        .await
}
