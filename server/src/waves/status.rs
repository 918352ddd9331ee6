//! Following the published plan: progress per wave, what is late, which
//! old PCs look replaced already, and recording technicians' statuses.

use super::{rules_of, status_of};
use crate::error::ServerError;
use crate::storage::{StatusChange, Storage, StoredPlan};
use parc_model::Section;
use parc_planner::progress::{progress, Late, Progress};
use parc_planner::returns::{DeviceRef, ReturnRow};
use parc_planner::rollout::{check_change, propose_done, Change, Proposal, Seen, Status};
use parc_readiness::asset::serial_key;
use parc_readiness::import::ImportError;
use std::collections::HashMap;

/// Days an old PC must be silent before Parc proposes marking it done.
pub const QUIET_DAYS: i64 = 7;

#[derive(Debug, Clone)]
pub struct WaveStatus {
    pub plan: StoredPlan,
    pub waves: Vec<Progress>,
    pub overall: Progress,
    pub late: Vec<Late>,
    pub proposals: Vec<Proposal>,
    pub hostnames: HashMap<u64, String>,
}

/// The published plan's progress on `now`; `None` without a published plan.
pub fn wave_status(storage: &Storage, now: i64) -> Result<Option<WaveStatus>, ServerError> {
    let Some(plan) = storage.published_plan()? else { return Ok(None) };
    let rules = rules_of(&plan)?;
    let today = now.div_euclid(86_400);
    let devices = storage.plan_devices(plan.id)?;
    let statuses = storage.rollout_statuses()?;
    let plain: HashMap<u64, Status> = statuses.iter().map(|(id, s)| (*id, s.status)).collect();
    let (waves, overall, late) = progress(&rules, &devices, &plain, today);
    let open: Vec<u64> = devices
        .iter()
        .filter(|d| !status_of(&statuses, d.device_id).is_closed())
        .map(|d| d.device_id)
        .collect();
    let (fleet, hostnames) = seen_fleet(storage)?;
    let proposals =
        propose_done(&open, &fleet, plan.published_at.unwrap_or(plan.created_at), now, QUIET_DAYS);
    Ok(Some(WaveStatus { plan, waves, overall, late, proposals, hostnames }))
}

/// Every live device's user (the register's, else the last to log in).
fn seen_fleet(storage: &Storage) -> Result<(Vec<Seen>, HashMap<u64, String>), ServerError> {
    let joins = storage.joins()?;
    let mut fleet = Vec::new();
    let mut hostnames = HashMap::new();
    storage.scan_devices(&[Section::Users], |device| {
        let summary = device.summary;
        let registered = joins
            .assets
            .get(&serial_key(&summary.serial_number))
            .map(|a| a.assigned_user.clone())
            .filter(|u| !u.is_empty());
        let user = registered
            .or_else(|| device.inventory.users.as_ref().map(|u| u.last_logged_in.clone()))
            .unwrap_or_default();
        hostnames.insert(summary.id, summary.hostname.clone());
        fleet.push(Seen {
            device_id: summary.id,
            user,
            enrolled_at: summary.enrolled_at,
            last_seen_at: summary.last_seen_at,
        });
    })?;
    Ok((fleet, hostnames))
}

/// One status to set, the device already found.
pub struct Wanted {
    pub device_id: u64,
    pub change: Change,
    pub at: i64,
    pub technician: String,
    /// Where the error is, for messages: "device 12" or "returns.csv line 4".
    pub place: String,
}

/// Checks every change against the published plan, then records them all
/// (or none). Returns each change with the status it replaced; unchanged
/// statuses are left out.
pub fn apply(storage: &Storage, wanted: Vec<Wanted>, source: &str) -> Result<Vec<StatusChange>, ServerError> {
    let Some(plan) = storage.published_plan()? else {
        return Err(ServerError::Invalid(
            "no plan is published: publish one first (parc waves publish)".into(),
        ));
    };
    let rules = rules_of(&plan)?;
    let waves: HashMap<u64, u32> =
        storage.plan_devices(plan.id)?.into_iter().map(|d| (d.device_id, d.wave)).collect();
    let statuses = storage.rollout_statuses()?;
    let mut changes = Vec::new();
    let mut current: HashMap<u64, (Status, u32)> = HashMap::new();
    for entry in wanted {
        let Some(&wave) = waves.get(&entry.device_id) else {
            return Err(ServerError::Invalid(format!(
                "{}: device {} is not in the published plan {}",
                entry.place, entry.device_id, plan.id
            )));
        };
        let (previous, wave) =
            *current.entry(entry.device_id).or_insert((status_of(&statuses, entry.device_id), wave));
        check_change(previous, wave, rules.waves, &entry.change)
            .map_err(|e| ServerError::Invalid(format!("{}: {e}", entry.place)))?;
        let new_wave =
            if entry.change.status == Status::Postponed { entry.change.wave.unwrap_or(wave) } else { wave };
        current.insert(entry.device_id, (entry.change.status, new_wave));
        if previous == entry.change.status && entry.change.wave.is_none() {
            continue;
        }
        changes.push(StatusChange {
            device_id: entry.device_id,
            previous,
            status: entry.change.status,
            reason: entry.change.reason,
            wave: entry.change.wave,
            at: entry.at,
            technician: entry.technician,
            source: source.to_string(),
        });
    }
    Ok(changes)
}

/// Finds the device of each returns row; an unknown one stops the import
/// with its line and column.
pub fn resolve_returns(storage: &Storage, file: &str, rows: &[ReturnRow]) -> Result<Vec<u64>, ServerError> {
    let joins = storage.joins()?;
    let mut by_hostname: HashMap<String, Vec<u64>> = HashMap::new();
    let mut by_serial: HashMap<String, Vec<u64>> = HashMap::new();
    storage.scan_devices(&[], |device| {
        let summary = device.summary;
        by_hostname.entry(summary.hostname.to_lowercase()).or_default().push(summary.id);
        by_serial.entry(serial_key(&summary.serial_number)).or_default().push(summary.id);
    })?;
    let serial_of_tag: HashMap<String, &str> = joins
        .assets
        .values()
        .filter(|a| !a.asset_tag.is_empty())
        .map(|a| (a.asset_tag.to_lowercase(), a.serial_number.as_str()))
        .collect();
    rows.iter()
        .map(|row| {
            let text = row.device.text();
            let found: Option<&Vec<u64>> = match &row.device {
                DeviceRef::Device(t) => match t.parse::<u64>() {
                    Ok(id) => return Ok(id),
                    Err(_) => by_hostname.get(&t.to_lowercase()),
                },
                DeviceRef::Hostname(t) => by_hostname.get(&t.to_lowercase()),
                DeviceRef::Serial(t) => by_serial.get(&serial_key(t)),
                DeviceRef::AssetTag(t) => {
                    serial_of_tag.get(&t.to_lowercase()).and_then(|serial| by_serial.get(*serial))
                }
            };
            let error = |message: String| {
                ServerError::Invalid(
                    ImportError::Cell {
                        file: file.to_string(),
                        line: row.line,
                        column: row.device.column().to_string(),
                        message,
                    }
                    .to_string(),
                )
            };
            match found.map(Vec::as_slice) {
                Some([id]) => Ok(*id),
                Some(ids) if ids.len() > 1 => {
                    Err(error(format!("'{text}' matches devices {ids:?}: give the id")))
                }
                _ => Err(error(format!("no device matches '{text}'"))),
            }
        })
        .collect()
}
