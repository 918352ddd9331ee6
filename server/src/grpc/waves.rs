//! The wave plan and rollout RPCs of `FleetService`. Specs and returns
//! files are parsed here, so a mistake is refused with its place whichever
//! client sent it, before anything is written.

use super::fleet::{resolve_device, FleetApi};
use crate::error::ServerError;
use crate::storage::{Storage, StoredPlan};
use crate::waves::{self, export, status, PlanOrder};
use parc_planner::returns::parse_returns;
use parc_planner::rollout::Change;
use parc_planner::{Overrides, PlanSpec};
use parc_proto::convert::waves as convert;
use parc_proto::limits::{EXPORT_CHUNK_ROWS, MAX_IMPORT_BYTES, MAX_PLAN_LIST, MAX_STRING_LEN};
use parc_proto::pb;
use std::collections::HashMap;
use std::pin::Pin;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

pub type ExportStream = Pin<Box<dyn Stream<Item = Result<pb::ExportWavesChunk, Status>> + Send>>;

fn spec_of(request: &pb::PlanWavesRequest) -> Result<PlanSpec, Status> {
    if request.spec_toml.len() > MAX_IMPORT_BYTES {
        return Err(Status::invalid_argument(format!("spec_toml: more than {MAX_IMPORT_BYTES} bytes")));
    }
    let file = if request.spec_file.trim().is_empty() { "plan spec" } else { request.spec_file.trim() };
    let mut spec =
        PlanSpec::from_toml(file, &request.spec_toml).map_err(|e| Status::invalid_argument(e.to_string()))?;
    if let Some(o) = &request.overrides {
        spec.apply(&Overrides {
            start: o.start.clone(),
            cadence: o.cadence.clone(),
            waves: o.waves,
            capacity: o.capacity,
            max_sites_per_wave: o.max_sites_per_wave,
        });
    }
    spec.rules().map_err(|e| Status::invalid_argument(format!("{file}: {e}")))?;
    Ok(spec)
}

fn resolve_all(storage: &Storage, field: &str, devices: &[String]) -> Result<Vec<u64>, ServerError> {
    devices
        .iter()
        .map(|d| resolve_device(storage, d.trim()).map_err(|e| ServerError::Invalid(format!("{field}: {e}"))))
        .collect()
}

fn plan_response(plan: &StoredPlan, hostnames: &HashMap<u64, String>) -> pb::PlanSummary {
    convert::plan_to_wire(&plan.header(), &plan.record, hostnames)
}

/// Hostnames of the devices a summary names.
fn hostnames_of(
    storage: &Storage,
    ids: impl Iterator<Item = u64>,
) -> Result<HashMap<u64, String>, ServerError> {
    let mut names = HashMap::new();
    for id in ids {
        if let Some(device) = storage.get_device(id)? {
            names.insert(id, device.summary.hostname);
        }
    }
    Ok(names)
}

impl FleetApi {
    pub(super) async fn do_plan_waves(
        &self,
        request: Request<pb::PlanWavesRequest>,
    ) -> Result<Response<pb::PlanWavesResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        let spec = spec_of(&request)?;
        if request.include.len() + request.exclude.len() > MAX_PLAN_LIST {
            return Err(Status::invalid_argument(format!(
                "include, exclude: more than {MAX_PLAN_LIST} devices"
            )));
        }
        let policy = self.state.policy.get();
        let made = self
            .blocking(move |storage| {
                let order = PlanOrder {
                    spec,
                    include: resolve_all(storage, "include", &request.include)?,
                    exclude: resolve_all(storage, "exclude", &request.exclude)?,
                    dry_run: request.dry_run,
                    by,
                };
                waves::make_plan(storage, &policy, crate::now_unix(), &order)
            })
            .await?;
        let against = made.against.map(|id| format!("published plan {id}")).unwrap_or_default();
        Ok(Response::new(pb::PlanWavesResponse {
            plan: Some(plan_response(&made.plan, &made.hostnames)),
            diff: Some(convert::diff_to_wire(&against, &made.diff, &made.hostnames)),
        }))
    }

    pub(super) async fn do_publish_plan(
        &self,
        request: Request<pb::PublishPlanRequest>,
    ) -> Result<Response<pb::PlanSummary>, Status> {
        let by = crate::auth::caller(&request)?;
        let id = request.into_inner().id;
        let (plan, names) = self
            .blocking(move |storage| {
                let id = match id {
                    0 => storage.latest_draft()?.map(|d| d.id).ok_or_else(|| {
                        ServerError::NotFound(
                            "there is no draft to publish: plan one (parc waves plan)".into(),
                        )
                    })?,
                    id => id,
                };
                let plan = storage.publish_plan(id, &by, crate::now_unix())?;
                let names = hostnames_of(storage, plan.record.left_out.iter().map(|l| l.device_id))?;
                Ok((plan, names))
            })
            .await?;
        tracing::info!(plan = plan.id, "plan published");
        Ok(Response::new(plan_response(&plan, &names)))
    }

    pub(super) async fn do_get_plan(
        &self,
        request: Request<pb::GetPlanRequest>,
    ) -> Result<Response<pb::GetPlanResponse>, Status> {
        let request = request.into_inner();
        let response = self
            .blocking(move |storage| {
                let plan = match (request.id, request.draft) {
                    (0, true) => storage.latest_draft()?,
                    (0, false) => storage.published_plan()?,
                    (id, _) => storage.plan(id)?,
                };
                let Some(plan) = plan else {
                    return Err(ServerError::NotFound(match (request.id, request.draft) {
                        (0, true) => "there is no draft: plan one (parc waves plan)".into(),
                        (0, false) => "no plan is published yet: plan one and publish it".into(),
                        (id, _) => format!("there is no plan {id}"),
                    }));
                };
                let names = hostnames_of(storage, plan.record.left_out.iter().map(|l| l.device_id))?;
                let diff = match (&plan.based_on, storage.published_plan()?) {
                    (_, Some(published)) if published.id != plan.id => {
                        let old = storage.plan_devices(published.id)?;
                        let new = storage.plan_devices(plan.id)?;
                        let difference = parc_planner::diff::diff(
                            old.iter().map(|d| (d.device_id, d.wave)),
                            new.iter().map(|d| (d.device_id, d.wave)),
                        );
                        let moved = difference
                            .added
                            .iter()
                            .map(|(d, _)| *d)
                            .chain(difference.removed.iter().map(|(d, _)| *d))
                            .chain(difference.moved.iter().map(|(d, _, _)| *d));
                        let moved_names = hostnames_of(storage, moved)?;
                        Some(convert::diff_to_wire(
                            &format!("published plan {}", published.id),
                            &difference,
                            &moved_names,
                        ))
                    }
                    _ => None,
                };
                Ok(pb::GetPlanResponse { plan: Some(plan_response(&plan, &names)), diff })
            })
            .await?;
        Ok(Response::new(response))
    }

    pub(super) async fn do_get_wave_status(&self) -> Result<Response<pb::GetWaveStatusResponse>, Status> {
        let state = self
            .blocking(|storage| {
                status::wave_status(storage, crate::now_unix())?.ok_or_else(|| {
                    ServerError::NotFound("no plan is published yet: plan one and publish it".into())
                })
            })
            .await?;
        let names = &state.hostnames;
        Ok(Response::new(pb::GetWaveStatusResponse {
            plan: Some(plan_response(&state.plan, names)),
            waves: state.waves.iter().map(convert::progress_to_wire).collect(),
            overall: Some(convert::progress_to_wire(&state.overall)),
            late: state.late.iter().map(|l| convert::late_to_wire(l, names)).collect(),
            proposals: state.proposals.iter().map(|p| convert::proposal_to_wire(p, names)).collect(),
        }))
    }

    pub(super) async fn do_set_rollout_status(
        &self,
        request: Request<pb::SetRolloutStatusRequest>,
    ) -> Result<Response<pb::SetRolloutStatusResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        let status = convert::status_from_wire("status", request.status.trim()).map_err(ServerError::from)?;
        if request.reason.len() > MAX_STRING_LEN || request.technician.len() > MAX_STRING_LEN {
            return Err(Status::invalid_argument(format!(
                "reason, technician: longer than {MAX_STRING_LEN} bytes"
            )));
        }
        let response = self
            .blocking(move |storage| {
                let device_id = resolve_device(storage, request.device.trim())?;
                let wanted = status::Wanted {
                    device_id,
                    change: Change {
                        status,
                        reason: request.reason.trim().to_string(),
                        wave: (request.wave > 0).then_some(request.wave),
                    },
                    at: crate::now_unix(),
                    technician: request.technician.trim().to_string(),
                    place: format!("device {device_id}"),
                };
                let changes = status::apply(storage, vec![wanted], "parc waves set")?;
                let plan = storage
                    .published_plan()?
                    .ok_or_else(|| ServerError::Invalid("no published plan".into()))?;
                let previous = changes.first().map_or(status, |c| c.previous);
                storage.set_statuses(plan.id, changes, &by, None)?;
                let wave = storage
                    .plan_devices(plan.id)?
                    .into_iter()
                    .find(|d| d.device_id == device_id)
                    .map_or(0, |d| d.wave);
                let hostname = storage.get_device(device_id)?.map(|d| d.summary.hostname).unwrap_or_default();
                Ok(pb::SetRolloutStatusResponse {
                    device_id,
                    hostname,
                    previous: previous.name().into(),
                    status: status.name().into(),
                    wave,
                })
            })
            .await?;
        tracing::info!(device = response.device_id, status = %response.status, "rollout status set");
        Ok(Response::new(response))
    }

    pub(super) async fn do_import_returns(
        &self,
        request: Request<pb::ImportReturnsRequest>,
    ) -> Result<Response<pb::ImportReturnsResponse>, Status> {
        let by = crate::auth::caller(&request)?;
        let request = request.into_inner();
        if request.csv.len() > MAX_IMPORT_BYTES {
            return Err(Status::invalid_argument(format!(
                "csv: more than {MAX_IMPORT_BYTES} bytes: split the file"
            )));
        }
        let file = if request.file_name.trim().is_empty() {
            "returns.csv".to_string()
        } else {
            request.file_name.trim().chars().take(255).collect()
        };
        let rows = parse_returns(&file, &request.csv).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let dry_run = request.dry_run;
        let response = self
            .blocking(move |storage| {
                let ids = status::resolve_returns(storage, &file, &rows)?;
                let now = crate::now_unix();
                let wanted: Vec<status::Wanted> = rows
                    .iter()
                    .zip(ids)
                    .map(|(row, device_id)| status::Wanted {
                        device_id,
                        change: Change { status: row.status, reason: row.reason.clone(), wave: row.wave },
                        at: row.day.map_or(now, |day| day * 86_400 + 43_200),
                        technician: row.technician.clone(),
                        place: format!("{file} line {}", row.line),
                    })
                    .collect();
                let total = wanted.len() as u32;
                let changes = status::apply(storage, wanted, &format!("import {file}"))?;
                let mut counts: std::collections::BTreeMap<&'static str, u32> = Default::default();
                for change in &changes {
                    *counts.entry(change.status.name()).or_insert(0) += 1;
                }
                let changed = changes.len() as u32;
                let statuses = counts
                    .into_iter()
                    .map(|(status, devices)| pb::StatusCount { status: status.into(), devices })
                    .collect();
                if !dry_run && !changes.is_empty() {
                    let plan = storage
                        .published_plan()?
                        .ok_or_else(|| ServerError::Invalid("no published plan".into()))?;
                    let returns =
                        crate::storage::ReturnsFile { name: file.clone(), rows: total, imported_at: now };
                    storage.set_statuses(plan.id, changes, &by, Some(returns))?;
                }
                Ok(pb::ImportReturnsResponse { rows: total, changed, unchanged: total - changed, statuses })
            })
            .await?;
        tracing::info!(rows = response.rows, changed = response.changed, dry_run, "returns imported");
        Ok(Response::new(response))
    }

    pub(super) async fn do_export_waves(
        &self,
        request: Request<pb::ExportWavesRequest>,
    ) -> Result<Response<ExportStream>, Status> {
        let request = request.into_inner();
        let plan = self
            .blocking(move |storage| match request.plan_id {
                0 => storage.published_plan()?.ok_or_else(|| {
                    ServerError::NotFound("no plan is published yet: export a draft with --plan ID".into())
                }),
                id => {
                    storage.plan(id)?.ok_or_else(|| ServerError::NotFound(format!("there is no plan {id}")))
                }
            })
            .await?;
        let listing = export::Listing::of(request.wave, request.left_out);
        let (storage, policy) = (self.state.storage.clone(), self.state.policy.get());
        // Each chunk is read when the one before is sent: a slow client
        // holds a blocking thread, never the whole list in memory.
        let (sender, receiver) = tokio::sync::mpsc::channel(2);
        tokio::task::spawn_blocking(move || {
            let mut first = true;
            let streamed = export::stream_rows(
                &storage,
                &policy,
                crate::now_unix(),
                &plan,
                listing,
                EXPORT_CHUNK_ROWS,
                |rows, total| {
                    let rows = rows.into_iter().map(convert::row_to_wire).collect();
                    let total_rows = if first { total as u64 } else { 0 };
                    first = false;
                    sender.blocking_send(Ok(pb::ExportWavesChunk { rows, total_rows })).is_ok()
                },
            );
            if let Err(error) = streamed {
                tracing::warn!(plan = plan.id, %error, "wave list export stopped");
                let _ = sender.blocking_send(Err(Status::from(error)));
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver)) as ExportStream))
    }
}
