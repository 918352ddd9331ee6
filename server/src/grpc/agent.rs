//! `AgentService`: enrollment and reports from endpoints.

use super::{node_key_hash, AppState};
use crate::error::ServerError;
use crate::storage::ReportOutcome;
use parc_proto::convert::{inventory_from_wire, required_text};
use parc_proto::limits::{MAX_HOSTNAME_LEN, MAX_MACHINE_ID_LEN, MAX_STRING_LEN};
use parc_proto::pb::agent_service_server::AgentService;
use parc_proto::pb::{EnrollRequest, EnrollResponse, ReportRequest, ReportResponse};
use rand::Rng;
use std::sync::Arc;
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
}

#[tonic::async_trait]
impl AgentService for AgentApi {
    #[tracing::instrument(name = "enroll", skip_all, fields(machine_id, hostname))]
    async fn enroll(&self, request: Request<EnrollRequest>) -> Result<Response<EnrollResponse>, Status> {
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
        let storage = self.state.storage.clone();
        let device_id = tokio::task::spawn_blocking(move || {
            storage.enroll(&machine_id, &hostname, &key_hash, crate::now_unix())
        })
        .await
        .map_err(ServerError::from)?
        .map_err(ServerError::from)?;
        info!(device_id, "device enrolled");
        Ok(Response::new(EnrollResponse { node_key, device_id }))
    }

    #[tracing::instrument(name = "report", skip_all, fields(device_id, sequence = request.get_ref().sequence))]
    async fn report(&self, request: Request<ReportRequest>) -> Result<Response<ReportResponse>, Status> {
        let request = request.into_inner();
        let wire = request.inventory.ok_or_else(|| Status::invalid_argument("inventory: missing"))?;
        let inventory = inventory_from_wire(wire).map_err(ServerError::from)?;
        let key_hash = node_key_hash(&request.node_key);
        let sequence = request.sequence;
        let storage = self.state.storage.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            storage.record_report(&key_hash, sequence, &inventory, crate::now_unix())
        })
        .await
        .map_err(ServerError::from)?
        .map_err(ServerError::from)?;
        let next_report_in_seconds = u32::try_from(self.state.report_interval.as_secs()).unwrap_or(u32::MAX);
        let response = match outcome {
            ReportOutcome::UnknownNodeKey => {
                warn!("report refused: unknown or revoked node key");
                return Err(ServerError::Unauthenticated("unknown or revoked node key; enroll again").into());
            }
            ReportOutcome::Stored { device_id } => {
                tracing::Span::current().record("device_id", device_id);
                info!("report stored");
                ReportResponse { device_id, next_report_in_seconds, stored: true, last_sequence: sequence }
            }
            ReportOutcome::Stale { device_id, last_sequence } => {
                tracing::Span::current().record("device_id", device_id);
                warn!(last_sequence, "stale report ignored");
                ReportResponse { device_id, next_report_in_seconds, stored: false, last_sequence }
            }
        };
        Ok(Response::new(response))
    }
}
