//! `FleetService`: what IT ops ask of the fleet.

use super::AppState;
use crate::error::ServerError;
use crate::storage::Storage;
use parc_proto::convert::{device_summary_to_wire, device_to_wire, history_entry_to_wire};
use parc_proto::limits::{DEFAULT_HISTORY_ENTRIES, DEFAULT_PAGE_SIZE, MAX_HISTORY_ENTRIES, MAX_PAGE_SIZE};
use parc_proto::pb;
use parc_proto::pb::fleet_service_server::FleetService;
use parc_proto::pb::{
    Device, DeviceHistory, DuplicateGroup, GetDeviceHistoryRequest, GetDeviceRequest, ListDevicesRequest,
    ListDevicesResponse, ListDuplicatesRequest, ListDuplicatesResponse, RequestResyncRequest,
    RequestResyncResponse,
};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Package versions one `ListSoftware` answer lists.
const MAX_SOFTWARE_VERSIONS: usize = 200;

#[derive(Debug)]
pub struct FleetApi {
    pub(super) state: Arc<AppState>,
}

impl FleetApi {
    pub fn new(state: Arc<AppState>) -> FleetApi {
        FleetApi { state }
    }

    /// Runs a blocking storage call off the async threads.
    pub(super) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Storage) -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, Status> {
        let storage = self.state.storage.clone();
        Ok(tokio::task::spawn_blocking(move || f(&storage)).await.map_err(ServerError::from)??)
    }
}

/// A device named by id ("42") or hostname (case-insensitive).
pub(super) fn resolve_device(storage: &Storage, wanted: &str) -> Result<u64, ServerError> {
    if let Ok(id) = wanted.parse::<u64>() {
        return Ok(id);
    }
    match storage.find_by_hostname(wanted)?.as_slice() {
        [] => Err(ServerError::NotFound(format!("no device with id or hostname {wanted:?}"))),
        [id] => Ok(*id),
        ids => {
            let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
            Err(ServerError::Ambiguous(format!(
                "hostname {wanted:?} is shared by devices {}; ask for one by id",
                ids.join(", ")
            )))
        }
    }
}

fn device_argument(device: &str) -> Result<String, Status> {
    let wanted = device.trim();
    if wanted.is_empty() {
        return Err(Status::invalid_argument("device: give an id or a hostname"));
    }
    Ok(wanted.to_string())
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
        let not_seen_before = match request.not_seen_for_seconds {
            0 => None,
            seconds => Some(crate::now_unix().saturating_sub(i64::try_from(seconds).unwrap_or(i64::MAX))),
        };
        let query = crate::search::parse(&request.query)?;
        let policy = self.state.policy.get();
        let answers = self.state.answers.clone();
        let page = self
            .blocking(move |storage| {
                crate::search::list(
                    storage,
                    &policy,
                    &answers,
                    crate::now_unix(),
                    &query,
                    not_seen_before,
                    after_id,
                    page_size,
                )
            })
            .await?;
        Ok(Response::new(ListDevicesResponse {
            devices: page.devices.iter().map(device_summary_to_wire).collect(),
            next_page_token: page.next_after.map(|id| id.to_string()).unwrap_or_default(),
            total_count: page.total_count,
        }))
    }

    #[tracing::instrument(name = "get_device", skip_all, fields(device = %request.get_ref().device))]
    async fn get_device(&self, request: Request<GetDeviceRequest>) -> Result<Response<Device>, Status> {
        let wanted = device_argument(&request.into_inner().device)?;
        let device = self
            .blocking(move |storage| {
                let id = resolve_device(storage, &wanted)?;
                storage
                    .get_device(id)?
                    .ok_or_else(|| ServerError::NotFound(format!("no device with id {id}")))
            })
            .await?;
        Ok(Response::new(device_to_wire(&device)))
    }

    #[tracing::instrument(name = "get_device_history", skip_all, fields(device = %request.get_ref().device))]
    async fn get_device_history(
        &self,
        request: Request<GetDeviceHistoryRequest>,
    ) -> Result<Response<DeviceHistory>, Status> {
        let request = request.into_inner();
        let wanted = device_argument(&request.device)?;
        let limit = match request.limit {
            0 => DEFAULT_HISTORY_ENTRIES,
            n if n > MAX_HISTORY_ENTRIES => {
                return Err(Status::invalid_argument(format!(
                    "limit: {n}, more than the limit of {MAX_HISTORY_ENTRIES}"
                )))
            }
            n => n,
        };
        let (device_id, entries) = self
            .blocking(move |storage| {
                let id = resolve_device(storage, &wanted)?;
                if storage.get_device(id)?.is_none() {
                    return Err(ServerError::NotFound(format!("no device with id {id}")));
                }
                Ok((id, storage.history(id, limit)?))
            })
            .await?;
        Ok(Response::new(DeviceHistory {
            device_id,
            entries: entries.iter().map(history_entry_to_wire).collect(),
        }))
    }

    #[tracing::instrument(name = "list_duplicates", skip_all)]
    async fn list_duplicates(
        &self,
        _request: Request<ListDuplicatesRequest>,
    ) -> Result<Response<ListDuplicatesResponse>, Status> {
        let groups = self.blocking(|storage| Ok(storage.duplicates()?)).await?;
        Ok(Response::new(ListDuplicatesResponse {
            groups: groups
                .iter()
                .map(|group| DuplicateGroup {
                    key: group.key.name().to_string(),
                    value: group.value.clone(),
                    devices: group.devices.iter().map(device_summary_to_wire).collect(),
                })
                .collect(),
        }))
    }

    #[tracing::instrument(name = "list_software", skip_all)]
    async fn list_software(
        &self,
        request: Request<pb::ListSoftwareRequest>,
    ) -> Result<Response<pb::ListSoftwareResponse>, Status> {
        let request = request.into_inner();
        let name = request.name.trim().to_string();
        if name.is_empty() || name.chars().count() > parc_proto::limits::MAX_STRING_LEN.min(256) {
            return Err(Status::invalid_argument("name: give 1 to 256 characters of the package name"));
        }
        let crate::storage::SoftwareMatches { packages, more } = self
            .blocking(move |storage| {
                Ok(storage.software_by_version(&name, request.exact, MAX_SOFTWARE_VERSIONS)?)
            })
            .await?;
        Ok(Response::new(pb::ListSoftwareResponse {
            packages: packages
                .iter()
                .map(|(package, devices)| pb::SoftwareHolders {
                    name: package.name.clone(),
                    version: package.version.clone(),
                    publisher: package.publisher.clone(),
                    architecture: package.architecture.clone(),
                    devices: devices.iter().map(device_summary_to_wire).collect(),
                })
                .collect(),
            more_packages: u32::try_from(more).unwrap_or(u32::MAX),
        }))
    }

    #[tracing::instrument(name = "request_resync", skip_all)]
    async fn request_resync(
        &self,
        request: Request<RequestResyncRequest>,
    ) -> Result<Response<RequestResyncResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        let target = match (request.all, request.device.trim().is_empty()) {
            (true, true) => None,
            (false, false) => Some(request.device.trim().to_string()),
            (true, false) => {
                return Err(Status::invalid_argument("device: give a device or `all`, not both"))
            }
            (false, true) => {
                return Err(Status::invalid_argument("device: give an id or a hostname, or `all`"))
            }
        };
        let devices = self
            .blocking(move |storage| {
                let id = target.map(|wanted| resolve_device(storage, &wanted)).transpose()?;
                let flagged = storage.request_resync(id, &by, crate::now_unix())?;
                if id.is_some() && flagged == 0 {
                    return Err(ServerError::NotFound("no live device with that id".into()));
                }
                Ok(flagged)
            })
            .await?;
        tracing::info!(devices, "full resync requested");
        Ok(Response::new(RequestResyncResponse { devices }))
    }

    #[tracing::instrument(name = "import_sites", skip_all)]
    async fn import_sites(
        &self,
        request: Request<pb::ImportRequest>,
    ) -> Result<Response<pb::ImportSitesResponse>, Status> {
        self.do_import_sites(request).await
    }

    #[tracing::instrument(name = "list_sites", skip_all)]
    async fn list_sites(
        &self,
        _request: Request<pb::ListSitesRequest>,
    ) -> Result<Response<pb::ListSitesResponse>, Status> {
        self.do_list_sites().await
    }

    #[tracing::instrument(name = "get_site", skip_all)]
    async fn get_site(
        &self,
        request: Request<pb::GetSiteRequest>,
    ) -> Result<Response<pb::GetSiteResponse>, Status> {
        self.do_get_site(request).await
    }

    #[tracing::instrument(name = "update_site", skip_all)]
    async fn update_site(
        &self,
        request: Request<pb::UpdateSiteRequest>,
    ) -> Result<Response<pb::UpdateSiteResponse>, Status> {
        self.do_update_site(request).await
    }

    #[tracing::instrument(name = "assign_site", skip_all)]
    async fn assign_site(
        &self,
        request: Request<pb::AssignSiteRequest>,
    ) -> Result<Response<pb::AssignSiteResponse>, Status> {
        self.do_assign_site(request).await
    }

    #[tracing::instrument(name = "import_assets", skip_all)]
    async fn import_assets(
        &self,
        request: Request<pb::ImportRequest>,
    ) -> Result<Response<pb::ImportAssetsResponse>, Status> {
        self.do_import_assets(request).await
    }

    #[tracing::instrument(name = "get_policy", skip_all)]
    async fn get_policy(
        &self,
        _request: Request<pb::GetPolicyRequest>,
    ) -> Result<Response<pb::GetPolicyResponse>, Status> {
        self.do_get_policy().await
    }

    #[tracing::instrument(name = "set_policy", skip_all)]
    async fn set_policy(
        &self,
        request: Request<pb::SetPolicyRequest>,
    ) -> Result<Response<pb::SetPolicyResponse>, Status> {
        self.do_set_policy(request).await
    }

    #[tracing::instrument(name = "get_readiness", skip_all)]
    async fn get_readiness(
        &self,
        request: Request<pb::GetReadinessRequest>,
    ) -> Result<Response<pb::GetReadinessResponse>, Status> {
        self.do_get_readiness(request).await
    }

    #[tracing::instrument(name = "get_device_readiness", skip_all)]
    async fn get_device_readiness(
        &self,
        request: Request<pb::GetDeviceReadinessRequest>,
    ) -> Result<Response<pb::GetDeviceReadinessResponse>, Status> {
        self.do_get_device_readiness(request).await
    }

    #[tracing::instrument(name = "get_readiness_trend", skip_all)]
    async fn get_readiness_trend(
        &self,
        request: Request<pb::GetReadinessTrendRequest>,
    ) -> Result<Response<pb::GetReadinessTrendResponse>, Status> {
        self.do_get_readiness_trend(request).await
    }

    #[tracing::instrument(name = "plan_waves", skip_all)]
    async fn plan_waves(
        &self,
        request: Request<pb::PlanWavesRequest>,
    ) -> Result<Response<pb::PlanWavesResponse>, Status> {
        self.do_plan_waves(request).await
    }

    #[tracing::instrument(name = "publish_plan", skip_all)]
    async fn publish_plan(
        &self,
        request: Request<pb::PublishPlanRequest>,
    ) -> Result<Response<pb::PlanSummary>, Status> {
        self.do_publish_plan(request).await
    }

    #[tracing::instrument(name = "get_plan", skip_all)]
    async fn get_plan(
        &self,
        request: Request<pb::GetPlanRequest>,
    ) -> Result<Response<pb::GetPlanResponse>, Status> {
        self.do_get_plan(request).await
    }

    #[tracing::instrument(name = "get_wave_status", skip_all)]
    async fn get_wave_status(
        &self,
        _request: Request<pb::GetWaveStatusRequest>,
    ) -> Result<Response<pb::GetWaveStatusResponse>, Status> {
        self.do_get_wave_status().await
    }

    #[tracing::instrument(name = "set_rollout_status", skip_all)]
    async fn set_rollout_status(
        &self,
        request: Request<pb::SetRolloutStatusRequest>,
    ) -> Result<Response<pb::SetRolloutStatusResponse>, Status> {
        self.do_set_rollout_status(request).await
    }

    #[tracing::instrument(name = "import_returns", skip_all)]
    async fn import_returns(
        &self,
        request: Request<pb::ImportReturnsRequest>,
    ) -> Result<Response<pb::ImportReturnsResponse>, Status> {
        self.do_import_returns(request).await
    }

    type ExportWavesStream = super::waves::ExportStream;

    #[tracing::instrument(name = "export_waves", skip_all)]
    async fn export_waves(
        &self,
        request: Request<pb::ExportWavesRequest>,
    ) -> Result<Response<Self::ExportWavesStream>, Status> {
        self.do_export_waves(request).await
    }

    #[tracing::instrument(name = "create_token", skip_all)]
    async fn create_token(
        &self,
        request: Request<pb::CreateTokenRequest>,
    ) -> Result<Response<pb::CreateTokenResponse>, Status> {
        self.do_create_token(request).await
    }

    #[tracing::instrument(name = "list_tokens", skip_all)]
    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::ListTokensResponse>, Status> {
        self.do_list_tokens(request).await
    }

    #[tracing::instrument(name = "revoke_token", skip_all)]
    async fn revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        self.do_revoke_token(request).await
    }

    #[tracing::instrument(name = "list_audit", skip_all)]
    async fn list_audit(
        &self,
        request: Request<pb::ListAuditRequest>,
    ) -> Result<Response<pb::ListAuditResponse>, Status> {
        self.do_list_audit(request).await
    }

    #[tracing::instrument(name = "who_am_i", skip_all)]
    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Result<Response<pb::TokenInfo>, Status> {
        self.do_who_am_i(request).await
    }
}
