//! `AgentService`: enrollment and reports from endpoints.

use super::{node_key_hash, AppState};
use crate::error::ServerError;
use crate::metrics::{RejectReason, ReportKind, ReportResult};
use crate::storage::{HeldSections, Report, ReportOutcome, SectionHash as SectionHashBytes, StorageError};
use parc_agent::client::RETRY_AFTER_METADATA;
use parc_model::Section;
use parc_proto::convert::{report_from_wire, required_text, WireError};
use parc_proto::limits::{MAX_HOSTNAME_LEN, MAX_MACHINE_ID_LEN, MAX_STRING_LEN};
use parc_proto::pb::agent_service_server::AgentService;
use parc_proto::pb::{EnrollRequest, EnrollResponse, ReportRequest, ReportResponse, SectionHash};
use parc_proto::sections::{read_sections, section_bytes, section_hash, SECTION_HASH_LEN};
use prost::Message;
use rand::Rng;
use std::sync::Arc;
use std::time::Instant;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status};
use tracing::{info, warn};

#[derive(Debug)]
pub struct AgentApi {
    state: Arc<AppState>,
}

impl AgentApi {
    pub fn new(state: Arc<AppState>) -> AgentApi {
        AgentApi { state }
    }

    /// With `agent_ca_file`, an agent without a client certificate is
    /// refused; the TLS handshake has already refused one the CA did not sign.
    fn check_certificate<T>(&self, request: &Request<T>) -> Result<(), Status> {
        if !self.state.agents_need_certificate || request.peer_certs().is_some_and(|certs| !certs.is_empty())
        {
            return Ok(());
        }
        warn!("agent refused: no client certificate");
        Err(ServerError::Unauthenticated(
            "this server asks agents for a client certificate: set client_cert and client_key in agent.toml",
        )
        .into())
    }
}

#[tonic::async_trait]
impl AgentService for AgentApi {
    #[tracing::instrument(name = "enroll", skip_all, fields(machine_id, hostname))]
    async fn enroll(&self, request: Request<EnrollRequest>) -> Result<Response<EnrollResponse>, Status> {
        self.check_certificate(&request)?;
        let request = request.into_inner();
        if !self.state.secret_matches(&request.enroll_secret) {
            warn!("enrollment refused: wrong secret");
            return Err(ServerError::Unauthenticated("wrong enrollment secret").into());
        }
        let machine_id =
            required_text(request.machine_id, "machine_id", MAX_MACHINE_ID_LEN).map_err(ServerError::from)?;
        let hostname =
            required_text(request.hostname, "hostname", MAX_HOSTNAME_LEN).map_err(ServerError::from)?;
        required_text(request.agent_version, "agent_version", MAX_STRING_LEN).map_err(ServerError::from)?;
        tracing::Span::current()
            .record("machine_id", machine_id.as_str())
            .record("hostname", hostname.as_str());

        let node_key = hex::encode(rand::rng().random::<[u8; 32]>());
        let key_hash = node_key_hash(&node_key);
        let device_id = self
            .state
            .storage
            .submit_enroll(&machine_id, &hostname, &key_hash, crate::now_unix())
            .await
            .map_err(ServerError::from)?;
        info!(device_id, "device enrolled");
        Ok(Response::new(EnrollResponse { node_key, device_id }))
    }

    // A span per report costs more than the rest of a delta report's
    // logging: debug level, and the warnings name their device themselves.
    #[tracing::instrument(level = "debug", name = "report", skip_all, fields(device_id, sequence = request.get_ref().sequence))]
    async fn report(&self, request: Request<ReportRequest>) -> Result<Response<ReportResponse>, Status> {
        let started = Instant::now();
        let metrics = &self.state.metrics;
        if let Err(status) = self.check_certificate(&request) {
            metrics.report_rejected(RejectReason::Unauthenticated);
            return Err(status);
        }
        let bytes = request.get_ref().encoded_len();
        let report = match validate(request.into_inner()) {
            Ok(report) => report,
            Err(error) => {
                metrics.report_rejected(RejectReason::InvalidArgument);
                warn!(%error, "report refused: invalid");
                return Err(ServerError::from(error).into());
            }
        };
        let kind = if report.unchanged.is_empty() { ReportKind::Full } else { ReportKind::Delta };
        let sequence = report.sequence;
        let outcome = match self.state.storage.submit_report(report).await {
            Ok(outcome) => outcome,
            Err(StorageError::Busy { queue_depth, retry_after }) => {
                metrics.report_rejected(RejectReason::QueueFull);
                warn!(
                    queue_depth,
                    retry_after_ms = retry_after.as_millis() as u64,
                    "report refused: write queue full"
                );
                let mut status = Status::resource_exhausted(format!(
                    "the server is busy ({queue_depth} reports waiting); retry in {} s",
                    retry_after.as_secs().max(1)
                ));
                if let Ok(value) = MetadataValue::try_from(retry_after.as_millis().to_string()) {
                    status.metadata_mut().insert(RETRY_AFTER_METADATA, value);
                }
                return Err(status);
            }
            Err(error) => {
                metrics.report_rejected(RejectReason::Internal);
                return Err(ServerError::from(error).into());
            }
        };
        let next_report_in_seconds = u32::try_from(self.state.report_interval.as_secs()).unwrap_or(u32::MAX);
        let response = match outcome {
            ReportOutcome::UnknownNodeKey => {
                metrics.report_rejected(RejectReason::Unauthenticated);
                warn!("report refused: unknown or revoked node key");
                return Err(ServerError::Unauthenticated("unknown or revoked node key; enroll again").into());
            }
            ReportOutcome::Stored { device_id, sections } => {
                tracing::Span::current().record("device_id", device_id);
                metrics.report_acknowledged(kind, ReportResult::Stored, bytes, started.elapsed());
                tracing::debug!(device_id, ?kind, bytes, missing = sections.missing.len(), "report stored");
                response(device_id, next_report_in_seconds, true, sequence, sections)
            }
            ReportOutcome::Stale { device_id, last_sequence, sections } => {
                tracing::Span::current().record("device_id", device_id);
                metrics.report_acknowledged(kind, ReportResult::Stale, bytes, started.elapsed());
                warn!(device_id, sequence, last_sequence, "stale report ignored");
                response(device_id, next_report_in_seconds, false, last_sequence, sections)
            }
        };
        Ok(Response::new(response))
    }
}

fn response(
    device_id: u64,
    next_report_in_seconds: u32,
    stored: bool,
    last_sequence: u64,
    sections: HeldSections,
) -> ReportResponse {
    ReportResponse {
        device_id,
        next_report_in_seconds,
        stored,
        last_sequence,
        held_sections: sections
            .held
            .into_iter()
            .map(|(section, hash)| SectionHash {
                section: section.name().to_string(),
                sha256_128: hash.to_vec(),
            })
            .collect(),
        missing_sections: sections.missing.into_iter().map(|s| s.name().to_string()).collect(),
        resync: sections.resync,
    }
}

/// Checks a report whole before anything of it is stored, and hashes the
/// sections it carries.
fn validate(request: ReportRequest) -> Result<Report, WireError> {
    let wire = request.inventory.ok_or_else(|| WireError::new("inventory", "missing"))?;
    if request.unchanged_sections.len() > Section::ALL.len() {
        return Err(WireError::new(
            "unchanged_sections",
            format!(
                "{} entries, more than the {} sections there are",
                request.unchanged_sections.len(),
                Section::ALL.len()
            ),
        ));
    }
    let mut unchanged = Vec::with_capacity(request.unchanged_sections.len());
    for (i, entry) in request.unchanged_sections.into_iter().enumerate() {
        let section = Section::from_name(&entry.section).ok_or_else(|| {
            WireError::new(
                format!("unchanged_sections[{i}].section"),
                format!("unknown section {:?}", entry.section),
            )
        })?;
        let hash = SectionHashBytes::try_from(entry.sha256_128.as_slice()).map_err(|_| {
            WireError::new(
                format!("unchanged_sections[{i}].sha256_128"),
                format!("{} bytes, expected {SECTION_HASH_LEN}", entry.sha256_128.len()),
            )
        })?;
        if unchanged.iter().any(|(s, _)| *s == section) {
            return Err(WireError::new(
                format!("unchanged_sections[{i}].section"),
                format!("{section} listed twice"),
            ));
        }
        if wire.unknown_sections.iter().any(|u| u.section == section.name()) {
            return Err(WireError::new(
                format!("unchanged_sections[{i}].section"),
                format!("{section} is also listed in inventory.unknown_sections"),
            ));
        }
        if !section_bytes(section, &wire).is_empty() {
            return Err(WireError::new(
                format!("unchanged_sections[{i}].section"),
                format!("{section} is listed unchanged but inventory.{section} is present"),
            ));
        }
        unchanged.push((section, hash));
    }
    let hashes: Vec<(Section, SectionHashBytes)> = read_sections(&wire)
        .into_iter()
        .filter(|section| !unchanged.iter().any(|(s, _)| s == section))
        .map(|section| (section, section_hash(section, &wire)))
        .collect();
    let (mut inventory, mut software) = report_from_wire(wire)?;
    for (section, _) in &unchanged {
        inventory.forget(*section);
        if *section == Section::Software {
            software = None;
        }
    }
    let sent = hashes
        .into_iter()
        .filter(|(section, _)| {
            inventory.has(*section) || (*section == Section::Software && software.is_some())
        })
        .collect();
    Ok(Report {
        node_key_hash: node_key_hash(&request.node_key),
        sequence: request.sequence,
        inventory,
        software,
        sent,
        unchanged,
        received_at: crate::now_unix(),
    })
}
