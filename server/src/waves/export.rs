//! The wave list: every device of a plan with what technicians and
//! suppliers need (site and address, asset tag, user, readiness, reason,
//! status), in wave order.

use super::{rules_of, status_of};
use crate::error::ServerError;
use crate::readiness::{self, DeviceFacts};
use crate::storage::{Storage, StoredPlan};
use parc_model::civil::iso;
use parc_planner::export::WaveRow;
use parc_readiness::{Dimension, Policy, ReasonKind, State};
use std::collections::HashMap;

/// Which devices of a plan a wave list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Every wave, in order.
    Waves,
    Wave(u32),
    /// The devices the plan leaves out (wave 0, status `left_out`), with why.
    LeftOut,
}

impl Listing {
    /// `wave` 0 is every wave.
    pub fn of(wave: u32, left_out: bool) -> Listing {
        match (left_out, wave) {
            (true, _) => Listing::LeftOut,
            (false, 0) => Listing::Waves,
            (false, wave) => Listing::Wave(wave),
        }
    }
}

/// The plan's rows, in wave order, in memory: for the dashboard's pages
/// and downloads.
pub fn rows(
    storage: &Storage,
    policy: &Policy,
    now: i64,
    plan: &StoredPlan,
    listing: Listing,
) -> Result<Vec<WaveRow>, ServerError> {
    let mut all = Vec::new();
    stream_rows(storage, policy, now, plan, listing, 512, |mut chunk, _| {
        all.append(&mut chunk);
        true
    })?;
    Ok(all)
}

/// Hands the plan's rows to `emit` in wave order, `chunk` rows at a time
/// (with the number of rows in all),
/// each chunk read from storage when it is due: memory stays that of one
/// chunk (and the plan's device list) at any fleet size, and the reader is
/// free between chunks while a slow client catches up. `emit` returns false
/// to stop (the client went away).
pub fn stream_rows(
    storage: &Storage,
    policy: &Policy,
    now: i64,
    plan: &StoredPlan,
    listing: Listing,
    chunk: usize,
    mut emit: impl FnMut(Vec<WaveRow>, usize) -> bool,
) -> Result<(), ServerError> {
    let rules = rules_of(plan)?;
    let today = now.div_euclid(86_400);
    let statuses = storage.rollout_statuses()?;
    let devices: Vec<_> = match listing {
        Listing::LeftOut => storage.plan_left_out(plan.id)?,
        Listing::Waves => storage.plan_devices(plan.id)?,
        Listing::Wave(wave) => {
            storage.plan_devices(plan.id)?.into_iter().filter(|d| d.wave == wave).collect()
        }
    };
    let joined = readiness::Joined::load(storage, policy)?;
    for part in devices.chunks(chunk.max(1)) {
        let mut rows: Vec<WaveRow> = part
            .iter()
            .map(|d| WaveRow {
                wave: d.wave,
                planned_date: if d.wave == 0 { String::new() } else { iso(rules.wave_days(d.wave).0) },
                site_code: d.site_code.clone(),
                replacement_class: d.class.clone(),
                reason: d.reason.clone(),
                status: if d.wave == 0 {
                    "left_out".to_string()
                } else {
                    status_of(&statuses, d.device_id).name().to_string()
                },
                device_id: d.device_id,
                ..WaveRow::default()
            })
            .collect();
        let index: HashMap<u64, usize> = part.iter().enumerate().map(|(i, d)| (d.device_id, i)).collect();
        let ids: Vec<u64> = part.iter().map(|d| d.device_id).collect();
        joined.visit(storage, policy, now, &ids, |facts| {
            if let Some(&i) = index.get(&facts.summary.id) {
                fill(&mut rows[i], &facts, today);
            }
        })?;
        if !emit(rows, devices.len()) {
            break;
        }
    }
    Ok(())
}

fn fill(row: &mut WaveRow, facts: &DeviceFacts<'_>, today: i64) {
    let summary = facts.summary;
    let readiness = &facts.readiness;
    row.hostname.clone_from(&summary.hostname);
    row.serial_number.clone_from(&summary.serial_number);
    row.manufacturer.clone_from(&summary.manufacturer);
    row.model.clone_from(&summary.model);
    row.score = readiness.replacement_score;
    row.age_years = readiness
        .age
        .as_ref()
        .map(|age| format!("{:.1}", (today - age.since_day) as f64 / 365.25))
        .unwrap_or_default();
    if let Some(site) = facts.site {
        row.site_name.clone_from(&site.name);
        row.site_address.clone_from(&site.address);
        row.technician_group.clone_from(&site.technician_group);
        row.site_link = format!("{} ({})", site.fibre, site.wan_link.name());
    }
    if let Some(asset) = facts.asset {
        row.asset_tag.clone_from(&asset.asset_tag);
        row.assigned_user.clone_from(&asset.assigned_user);
        row.department.clone_from(&asset.department);
        row.teleworker =
            asset.teleworker.map(|t| if t { "yes" } else { "no" }).unwrap_or_default().to_string();
    }
    let state =
        |dimension: Dimension| readiness.outcome(dimension).map_or("unknown", |o| o.state.name()).to_string();
    row.wifi = state(Dimension::Wifi);
    row.site_fibre = state(Dimension::Fibre);
    row.softphone = state(Dimension::Softphone);
    row.windows11 = readiness
        .outcome(Dimension::Replacement)
        .map(|outcome| {
            let windows11 = outcome.reasons.iter().filter(|r| r.code.starts_with("windows11_"));
            let kinds: Vec<ReasonKind> = windows11.map(|r| r.kind).collect();
            if kinds.contains(&ReasonKind::Blocks) {
                State::NotReady
            } else if kinds.contains(&ReasonKind::Missing) {
                State::Unknown
            } else {
                State::Ready
            }
        })
        .map_or("unknown", State::name)
        .to_string();
}
