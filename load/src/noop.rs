//! The baseline: an AgentService of the same shape that stores nothing.
//! It decodes the same requests (tonic does, with the same size limits) and
//! answers with a response of the same shape, so that the benchmark's ratio
//! isolates what parc-server adds: validation, hashing, SQLite, history.

use parc_proto::pb::agent_service_server::{AgentService, AgentServiceServer};
use parc_proto::pb::{EnrollRequest, EnrollResponse, ReportRequest, ReportResponse};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

#[derive(Debug, Default)]
pub struct NoopAgentService {
    next_device: AtomicU64,
}

#[tonic::async_trait]
impl AgentService for NoopAgentService {
    async fn enroll(&self, _request: Request<EnrollRequest>) -> Result<Response<EnrollResponse>, Status> {
        let device_id = self.next_device.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(Response::new(EnrollResponse { node_key: format!("noop-{device_id:016x}"), device_id }))
    }

    async fn report(&self, request: Request<ReportRequest>) -> Result<Response<ReportResponse>, Status> {
        let request = request.into_inner();
        Ok(Response::new(ReportResponse {
            device_id: 0,
            next_report_in_seconds: 3600,
            stored: true,
            last_sequence: request.sequence,
            held_sections: request.unchanged_sections,
            missing_sections: Vec::new(),
            resync: false,
        }))
    }
}

pub async fn serve(listener: TcpListener) -> anyhow::Result<()> {
    let service = AgentServiceServer::new(NoopAgentService::default())
        .max_decoding_message_size(parc_proto::limits::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(parc_proto::limits::MAX_MESSAGE_BYTES);
    // Same transport settings as parc-server, so that only the handler differs.
    tonic::transport::Server::builder()
        .http2_keepalive_interval(Some(std::time::Duration::from_secs(60)))
        .add_service(service)
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)))
        .await?;
    Ok(())
}
