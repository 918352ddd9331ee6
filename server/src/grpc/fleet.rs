//! `FleetService`: what IT ops ask of the fleet.

use super::AppState;
use crate::error::ServerError;
use parc_proto::convert::{device_summary_to_wire, device_to_wire};
use parc_proto::limits::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use parc_proto::pb::fleet_service_server::FleetService;
use parc_proto::pb::{Device, GetDeviceRequest, ListDevicesRequest, ListDevicesResponse};
use std::sync::Arc;
use tonic::{Request, Response, Status};

#[derive(Debug)]
pub struct FleetApi {
    state: Arc<AppState>,
}

impl FleetApi {
    pub fn new(state: Arc<AppState>) -> FleetApi {
        FleetApi { state }
    }
}

#[tonic::async_trait]
impl FleetService for FleetApi {
    #[tracing::instrument(name = "list_devices", skip_all)]
    async fn list_devices(
        &self,
        request: Request<ListDevicesRequest>,
    ) -> Result<Response<ListDevicesResponse>, Status> {
        let request = request.into_inner();
        let page_size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n > MAX_PAGE_SIZE => {
                return Err(Status::invalid_argument(format!(
                    "page_size: {n}, more than the limit of {MAX_PAGE_SIZE}"
                )))
            }
            n => n,
        };
        let after_id = if request.page_token.is_empty() {
            0
        } else {
            request
                .page_token
                .parse::<u64>()
                .map_err(|_| Status::invalid_argument("page_token: not a token from a previous response"))?
        };
        let storage = self.state.storage.clone();
        let page = tokio::task::spawn_blocking(move || storage.list_devices(after_id, page_size))
            .await
            .map_err(ServerError::from)?
            .map_err(ServerError::from)?;
        Ok(Response::new(ListDevicesResponse {
            devices: page.devices.iter().map(device_summary_to_wire).collect(),
            next_page_token: page.next_after.map(|id| id.to_string()).unwrap_or_default(),
            total_count: page.total_count,
        }))
    }

    #[tracing::instrument(name = "get_device", skip_all, fields(device = %request.get_ref().device))]
    async fn get_device(&self, request: Request<GetDeviceRequest>) -> Result<Response<Device>, Status> {
        let wanted = request.into_inner().device.trim().to_string();
        if wanted.is_empty() {
            return Err(Status::invalid_argument("device: give an id or a hostname"));
        }
        let storage = self.state.storage.clone();
        let device = tokio::task::spawn_blocking(move || -> Result<_, ServerError> {
            let id = match wanted.parse::<u64>() {
                Ok(id) => id,
                Err(_) => match storage.find_by_hostname(&wanted)?.as_slice() {
                    [] => {
                        return Err(ServerError::NotFound(format!(
                            "no device with id or hostname {wanted:?}"
                        )))
                    }
                    [id] => *id,
                    ids => {
                        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
                        return Err(ServerError::Ambiguous(format!(
                            "hostname {wanted:?} is shared by devices {}; ask for one by id",
                            ids.join(", ")
                        )));
                    }
                },
            };
            storage.get_device(id)?.ok_or_else(|| ServerError::NotFound(format!("no device with id {id}")))
        })
        .await
        .map_err(ServerError::from)??;
        Ok(Response::new(device_to_wire(&device)))
    }
}
