//! The sites, assets and readiness RPCs of `FleetService`. Imports parse
//! the spreadsheet here, so a bad row is refused with its line and column
//! whichever client sent it, before anything is written.

use super::fleet::{resolve_device, FleetApi};
use crate::error::ServerError;
use crate::readiness::{self, GroupBy};
use parc_proto::convert::readiness as convert;
use parc_proto::limits::{MAX_IMPORT_BYTES, MAX_TOP_REASONS, MAX_TREND_DAYS};
use parc_proto::pb;
use parc_readiness::import::{parse_assets, parse_sites};
use parc_readiness::site::SiteUpdate;
use parc_readiness::site::{plan_import, Subnet, WanLink};
use tonic::{Request, Response, Status};

fn import_argument(request: &pb::ImportRequest, default_name: &str) -> Result<String, Status> {
    if request.content.len() > MAX_IMPORT_BYTES {
        return Err(Status::invalid_argument(format!(
            "content: {} bytes, more than the limit of {MAX_IMPORT_BYTES}: split the file",
            request.content.len()
        )));
    }
    let name = request.file_name.trim();
    Ok(if name.is_empty() { default_name.to_string() } else { name.chars().take(255).collect() })
}

impl FleetApi {
    pub(super) async fn do_import_sites(
        &self,
        request: Request<pb::ImportRequest>,
    ) -> Result<Response<pb::ImportSitesResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        let file = import_argument(&request, "sites.csv")?;
        let sites =
            parse_sites(&file, &request.content).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let source = format!("import {file}");
        let now = crate::now_unix();
        let dry_run = request.dry_run;
        let import = self
            .blocking(move |storage| {
                if dry_run {
                    Ok(plan_import(&storage.sites()?, &sites, &source, now))
                } else {
                    Ok(storage.import_sites(sites, &source, &by, now)?)
                }
            })
            .await?;
        tracing::info!(file, dry_run, created = import.created, updated = import.updated, "sites imported");
        Ok(Response::new(convert::site_import_to_wire(&import, dry_run)))
    }

    pub(super) async fn do_import_assets(
        &self,
        request: Request<pb::ImportRequest>,
    ) -> Result<Response<pb::ImportAssetsResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        let file = import_argument(&request, "assets.csv")?;
        let assets =
            parse_assets(&file, &request.content).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let stored = assets.len() as u64;
        let source = format!("import {file}");
        let now = crate::now_unix();
        let dry_run = request.dry_run;
        let found = self
            .blocking(move |storage| {
                if dry_run {
                    Ok(storage.match_assets(&assets)?)
                } else {
                    Ok(storage.import_assets(assets, &source, &by, now)?)
                }
            })
            .await?;
        tracing::info!(file, dry_run, stored, matched = found.matched, "assets imported");
        Ok(Response::new(convert::asset_match_to_wire(if dry_run { 0 } else { stored }, &found, dry_run)))
    }

    pub(super) async fn do_list_sites(&self) -> Result<Response<pb::ListSitesResponse>, Status> {
        let policy = self.state.policy.get();
        let sites = self
            .blocking(move |storage| {
                let counts = readiness::devices_per_site(storage, &policy)?;
                Ok(storage
                    .sites()?
                    .iter()
                    .map(|site| convert::site_to_wire(site, counts.get(&site.code).copied().unwrap_or(0)))
                    .collect())
            })
            .await?;
        Ok(Response::new(pb::ListSitesResponse { sites }))
    }

    pub(super) async fn do_get_site(
        &self,
        request: Request<pb::GetSiteRequest>,
    ) -> Result<Response<pb::GetSiteResponse>, Status> {
        let code = request.into_inner().code.trim().to_string();
        let policy = self.state.policy.get();
        let response = self
            .blocking(move |storage| {
                let site = storage
                    .site(&code)?
                    .ok_or_else(|| ServerError::NotFound(format!("no site with code {code:?}")))?;
                let devices = readiness::devices_per_site(storage, &policy)?.get(&code).copied().unwrap_or(0);
                let changes = storage.site_changes(&code)?;
                Ok(pb::GetSiteResponse {
                    site: Some(convert::site_to_wire(&site, devices)),
                    changes: changes.iter().map(convert::site_change_to_wire).collect(),
                })
            })
            .await?;
        Ok(Response::new(response))
    }

    pub(super) async fn do_update_site(
        &self,
        request: Request<pb::UpdateSiteRequest>,
    ) -> Result<Response<pb::UpdateSiteResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        let update = site_update(&request)?;
        if update.is_empty() {
            return Err(Status::invalid_argument("nothing to change: give at least one field"));
        }
        let code = request.code.trim().to_string();
        let now = crate::now_unix();
        let (site, import) = self
            .blocking(move |storage| {
                let import = storage
                    .update_site(&code, update, &by, now)?
                    .ok_or_else(|| ServerError::NotFound(format!("no site with code {code:?}")))?;
                let site = storage
                    .site(&code)?
                    .ok_or_else(|| ServerError::NotFound(format!("no site with code {code:?}")))?;
                Ok((site, import))
            })
            .await?;
        tracing::info!(site = %site.code, changes = import.changes.len(), "site updated");
        Ok(Response::new(pb::UpdateSiteResponse {
            site: Some(convert::site_to_wire(&site, 0)),
            changes: import.changes.iter().map(convert::site_change_to_wire).collect(),
        }))
    }

    pub(super) async fn do_assign_site(
        &self,
        request: Request<pb::AssignSiteRequest>,
    ) -> Result<Response<pb::AssignSiteResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        let wanted = request.device.trim().to_string();
        if wanted.is_empty() {
            return Err(Status::invalid_argument("device: give an id or a hostname"));
        }
        let code = request.site_code.trim().to_string();
        let now = crate::now_unix();
        let device_id = self
            .blocking(move |storage| {
                let id = resolve_device(storage, &wanted)?;
                let site = (!code.is_empty()).then_some(code.as_str());
                match storage.assign_site(id, site, &by, now)? {
                    crate::storage::AssignOutcome::Done => Ok(id),
                    crate::storage::AssignOutcome::NoDevice => {
                        Err(ServerError::NotFound(format!("no device with id {id}")))
                    }
                    crate::storage::AssignOutcome::NoSite => {
                        Err(ServerError::NotFound(format!("no site with code {code:?}")))
                    }
                }
            })
            .await?;
        Ok(Response::new(pb::AssignSiteResponse { device_id }))
    }

    pub(super) async fn do_get_readiness(
        &self,
        request: Request<pb::GetReadinessRequest>,
    ) -> Result<Response<pb::GetReadinessResponse>, Status> {
        let request = request.into_inner();
        let by = GroupBy::parse(&request.by).ok_or_else(|| {
            Status::invalid_argument(format!(
                "by: {:?} is not one of site, department, model, dimension",
                request.by
            ))
        })?;
        let top = match request.top_reasons {
            0 => 5,
            n if n > MAX_TOP_REASONS => {
                return Err(Status::invalid_argument(format!(
                    "top_reasons: {n}, more than the limit of {MAX_TOP_REASONS}"
                )))
            }
            n => n,
        };
        let policy = self.state.policy.get();
        let now = crate::now_unix();
        let groups = self
            .blocking(move |storage| Ok(readiness::summarize(storage, &policy, now, by, top as usize)?))
            .await?;
        Ok(Response::new(convert::readiness_groups_to_wire(&groups)))
    }

    pub(super) async fn do_get_device_readiness(
        &self,
        request: Request<pb::GetDeviceReadinessRequest>,
    ) -> Result<Response<pb::GetDeviceReadinessResponse>, Status> {
        let wanted = request.into_inner().device.trim().to_string();
        if wanted.is_empty() {
            return Err(Status::invalid_argument("device: give an id or a hostname"));
        }
        let policy = self.state.policy.get();
        let now = crate::now_unix();
        let view = self
            .blocking(move |storage| {
                let id = resolve_device(storage, &wanted)?;
                readiness::device(storage, &policy, now, id)?
                    .ok_or_else(|| ServerError::NotFound(format!("no device with id {id}")))
            })
            .await?;
        Ok(Response::new(convert::device_readiness_to_wire(&view)))
    }

    pub(super) async fn do_get_readiness_trend(
        &self,
        request: Request<pb::GetReadinessTrendRequest>,
    ) -> Result<Response<pb::GetReadinessTrendResponse>, Status> {
        let request = request.into_inner();
        let days = match request.days {
            0 => 90,
            n if n > MAX_TREND_DAYS => {
                return Err(Status::invalid_argument(format!(
                    "days: {n}, more than the limit of {MAX_TREND_DAYS}"
                )))
            }
            n => n,
        };
        let site = Some(request.site_code.trim().to_string()).filter(|s| !s.is_empty());
        let since = crate::now_unix().div_euclid(86_400) - i64::from(days);
        let points = self.blocking(move |storage| Ok(storage.trend(since, site.as_deref())?)).await?;
        Ok(Response::new(pb::GetReadinessTrendResponse {
            points: points
                .iter()
                .map(|p| convert::trend_point_to_wire(p.day, p.dimension, &p.counts))
                .collect(),
        }))
    }
}

/// The fields an edit sets, each checked with its name.
fn site_update(request: &pb::UpdateSiteRequest) -> Result<SiteUpdate, Status> {
    let invalid = |field: &str, message: String| Status::invalid_argument(format!("{field}: {message}"));
    let wan_link = request
        .wan_link
        .as_deref()
        .map(|text| {
            WanLink::parse(text).ok_or_else(|| {
                invalid("wan_link", format!("{text:?} is not one of ftto, ftth, copper, 4g, none"))
            })
        })
        .transpose()?;
    let fibre = request
        .fibre
        .as_deref()
        .map(|t| convert::rollout_from_wire("fibre", t))
        .transpose()
        .map_err(Status::from)?;
    let wifi = request
        .wifi
        .as_deref()
        .map(|t| convert::rollout_from_wire("wifi", t))
        .transpose()
        .map_err(Status::from)?;
    let subnets = if request.set_subnets {
        Some(
            request
                .subnets
                .iter()
                .enumerate()
                .map(|(i, s)| Subnet::parse(s).map_err(|e| invalid(&format!("subnets[{i}]"), e)))
                .collect::<Result<Vec<_>, _>>()?,
        )
    } else {
        None
    };
    for (field, value) in [
        ("name", &request.name),
        ("address", &request.address),
        ("technician_group", &request.technician_group),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > parc_readiness::import::MAX_CELL_CHARS) {
            return Err(invalid(
                field,
                format!("longer than {} characters", parc_readiness::import::MAX_CELL_CHARS),
            ));
        }
    }
    Ok(SiteUpdate {
        name: request.name.clone(),
        address: request.address.clone(),
        wan_link,
        down_mbps: request.down_mbps,
        up_mbps: request.up_mbps,
        fibre,
        wifi,
        subnets,
        technician_group: request.technician_group.clone(),
    })
}
