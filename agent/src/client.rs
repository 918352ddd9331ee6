//! The agent's side of `AgentService`: enroll and report, with errors sorted
//! by what the agent should do about them.

use parc_model::Inventory;
use parc_proto::pb::agent_service_client::AgentServiceClient;
use parc_proto::pb::{EnrollRequest, ReportRequest, SectionHash};
use parc_proto::sections::{clear_section, read_sections, section_hash};
use std::collections::BTreeMap;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

/// What went wrong talking to the server, by what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Wrong secret, or unknown/revoked node key.
    #[error("refused by the server: {0}")]
    Unauthenticated(String),
    /// Not reachable or overloaded: try again later.
    #[error("server unavailable: {0}")]
    Unavailable(String),
    /// The server is busy (its write queue is full) and says when to come
    /// back; nothing was stored.
    #[error("server busy, retry in {retry_after:?}: {message}")]
    Busy { retry_after: Duration, message: String },
    /// The server refused the content: retrying the same will not help.
    #[error("rejected by the server: {0}")]
    Rejected(String),
    #[error("bad server URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
}

/// Outcome of a stored (or ignored) report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportAck {
    pub device_id: u64,
    pub next_report_in: Duration,
    pub stored: bool,
    pub last_sequence: u64,
    /// Section name → hex hash the server holds: what the next report may
    /// leave out when unchanged.
    pub held: BTreeMap<String, String>,
    /// Sections left out that the server lacks: send them again now.
    pub missing: Vec<String>,
    /// The server asks for every section, now.
    pub resync: bool,
    /// Sections this report left out as unchanged.
    pub unchanged: usize,
}

/// Section hashes the server confirmed, by section name, in hex.
pub type AckedSections = BTreeMap<String, String>;

/// What an https:// connection needs besides the URL, as PEM bytes.
#[derive(Debug, Clone, Default)]
pub struct TlsMaterial {
    /// The CA that signed the server's certificate; `None`: system roots.
    pub ca_pem: Option<Vec<u8>>,
    /// This agent's certificate and private key, for mutual TLS.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

/// A connection to one parc-server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AgentClient {
    inner: AgentServiceClient<Channel>,
}

impl AgentClient {
    /// Prepares a client; the connection is made on the first call, so an
    /// unreachable server shows up as [`ClientError::Unavailable`] there.
    pub fn new(server_url: &str) -> Result<AgentClient, ClientError> {
        AgentClient::with_tls(server_url, TlsMaterial::default())
    }

    /// A client for `server_url`; an https:// server's certificate is
    /// checked against `tls.ca_pem`, else the system's roots, and the agent
    /// shows `tls.identity` to a server that asks for a client certificate.
    pub fn with_tls(server_url: &str, tls: TlsMaterial) -> Result<AgentClient, ClientError> {
        let bad_url = |reason: String| ClientError::BadUrl { url: server_url.to_string(), reason };
        if !(server_url.starts_with("http://") || server_url.starts_with("https://")) {
            return Err(bad_url("must start with http:// or https://".into()));
        }
        let mut endpoint = Endpoint::from_shared(server_url.to_string())
            .map_err(|e| bad_url(e.to_string()))?
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .tcp_nodelay(true);
        if server_url.starts_with("https://") {
            let mut config = match tls.ca_pem {
                Some(pem) => tonic::transport::ClientTlsConfig::new()
                    .ca_certificate(tonic::transport::Certificate::from_pem(pem)),
                None => tonic::transport::ClientTlsConfig::new().with_native_roots(),
            };
            if let Some((cert, key)) = tls.identity {
                config = config.identity(tonic::transport::Identity::from_pem(cert, key));
            }
            endpoint = endpoint.tls_config(config).map_err(|e| bad_url(e.to_string()))?;
        }
        let channel = endpoint.connect_lazy();
        Ok(AgentClient {
            // zstd both ways: a full inventory is mostly text that repeats.
            inner: AgentServiceClient::new(channel)
                .send_compressed(tonic::codec::CompressionEncoding::Zstd)
                .accept_compressed(tonic::codec::CompressionEncoding::Zstd)
                .max_decoding_message_size(parc_proto::limits::MAX_MESSAGE_BYTES)
                .max_encoding_message_size(parc_proto::limits::MAX_MESSAGE_BYTES),
        })
    }

    pub async fn enroll(
        &self,
        enroll_secret: &str,
        machine_id: &str,
        hostname: &str,
    ) -> Result<(u64, String), ClientError> {
        let request = EnrollRequest {
            enroll_secret: enroll_secret.to_string(),
            machine_id: machine_id.to_string(),
            hostname: hostname.to_string(),
            agent_version: crate::AGENT_VERSION.to_string(),
        };
        let response = self.inner.clone().enroll(request).await.map_err(classify)?.into_inner();
        Ok((response.device_id, response.node_key))
    }

    /// Sends a report, leaving out the sections whose hash is the one the
    /// server confirmed (`acked`); an empty `acked` sends everything.
    pub async fn report(
        &self,
        node_key: &str,
        sequence: u64,
        inventory: &Inventory,
        acked: &AckedSections,
    ) -> Result<ReportAck, ClientError> {
        let request = delta_request(node_key, sequence, inventory, acked);
        let unchanged = request.unchanged_sections.len();
        let response = self.inner.clone().report(request).await.map_err(classify)?.into_inner();
        Ok(ReportAck {
            device_id: response.device_id,
            next_report_in: Duration::from_secs(u64::from(response.next_report_in_seconds.max(1))),
            stored: response.stored,
            last_sequence: response.last_sequence,
            held: response
                .held_sections
                .into_iter()
                .map(|h| (h.section, hex::encode(h.sha256_128)))
                .collect(),
            missing: response.missing_sections,
            resync: response.resync,
            unchanged,
        })
    }
}

/// The report to send: every section read, except those unchanged since the
/// server confirmed them.
pub fn delta_request(
    node_key: &str,
    sequence: u64,
    inventory: &Inventory,
    acked: &AckedSections,
) -> ReportRequest {
    let mut wire = parc_proto::convert::report_inventory_to_wire(inventory);
    let mut unchanged_sections = Vec::new();
    for section in read_sections(&wire) {
        let hash = section_hash(section, &wire);
        if acked.get(section.name()).is_some_and(|held| *held == hex::encode(hash)) {
            clear_section(section, &mut wire);
            unchanged_sections
                .push(SectionHash { section: section.name().to_string(), sha256_128: hash.to_vec() });
        }
    }
    ReportRequest { node_key: node_key.to_string(), sequence, inventory: Some(wire), unchanged_sections }
}

/// Metadata key of the server's retry-after hint on RESOURCE_EXHAUSTED.
pub const RETRY_AFTER_METADATA: &str = "retry-after-ms";

fn classify(status: tonic::Status) -> ClientError {
    let message = parc_proto::status_text(&status);
    match status.code() {
        Code::ResourceExhausted => {
            let hinted = status
                .metadata()
                .get(RETRY_AFTER_METADATA)
                .and_then(|value| value.to_str().ok())
                .and_then(|text| text.parse::<u64>().ok())
                .map(Duration::from_millis);
            // Without a hint (an older server, a proxy), a minute is safe.
            ClientError::Busy { retry_after: hinted.unwrap_or(Duration::from_secs(60)), message }
        }
        Code::Unauthenticated | Code::PermissionDenied => ClientError::Unauthenticated(message),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange | Code::Unimplemented => {
            ClientError::Rejected(message)
        }
        _ => ClientError::Unavailable(message),
    }
}
