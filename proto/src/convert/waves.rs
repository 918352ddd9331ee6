//! Wave plans, rollout progress and wave lists, domain ↔ wire. Dates
//! travel as YYYY-MM-DD, constraints and statuses as their names.

use super::WireError;
use crate::pb;
use parc_model::civil::{iso, parse_iso};
use parc_planner::diff::PlanDiff;
use parc_planner::export::WaveRow;
use parc_planner::plan::{StockUse, TechnicianUse};
use parc_planner::progress::{Late, Progress};
use parc_planner::record::{PlanHeader, PlanRecord};
use parc_planner::rollout::{Proposal, Status};
use parc_planner::{Constraint, DeviceClass, LeftOut, Shortfall, Wave};
use std::collections::HashMap;

/// Hostnames by device id, sent beside ids so people read names.
pub type Hostnames = HashMap<u64, String>;

fn day(field: &str, text: &str) -> Result<i64, WireError> {
    parse_iso(text).ok_or_else(|| WireError::new(field, format!("{text:?} is not a date (YYYY-MM-DD)")))
}

fn constraint(field: &str, code: &str, detail: &str) -> Result<Constraint, WireError> {
    Constraint::from_code(code, detail)
        .ok_or_else(|| WireError::new(field, format!("unknown constraint {code:?}")))
}

pub fn status_from_wire(field: &str, name: &str) -> Result<Status, WireError> {
    Status::parse(name).ok_or_else(|| WireError::new(field, format!("unknown status {name:?}")))
}

fn wave_to_wire(wave: &Wave) -> pb::WaveUtilisation {
    pb::WaveUtilisation {
        number: wave.number,
        starts_on: iso(wave.starts_on),
        ends_on: iso(wave.ends_on),
        frozen: wave.frozen,
        devices: wave.devices,
        capacity: wave.capacity.unwrap_or(0),
        sites: wave.sites,
        max_sites: wave.max_sites.unwrap_or(0),
        laptops: wave.laptops,
        desktops: wave.desktops,
        technicians: wave
            .technicians
            .iter()
            .map(|t| pb::TechnicianDays {
                group: t.group.clone(),
                used: t.days_used,
                available: t.days_available,
            })
            .collect(),
        budget_cents: wave.budget_cents,
        budget_limit_cents: wave.budget_limit_cents.unwrap_or(0),
        stock: wave
            .stock
            .iter()
            .map(|s| pb::StockLevel { class: s.class.name().into(), used: s.used, available: s.available })
            .collect(),
        blackout: wave.blackout.clone().unwrap_or_default(),
    }
}

fn wave_from_wire(wave: pb::WaveUtilisation) -> Result<Wave, WireError> {
    let nonzero = |v: u32| (v > 0).then_some(v);
    Ok(Wave {
        number: wave.number,
        starts_on: day("wave.starts_on", &wave.starts_on)?,
        ends_on: day("wave.ends_on", &wave.ends_on)?,
        frozen: wave.frozen,
        devices: wave.devices,
        capacity: nonzero(wave.capacity),
        sites: wave.sites,
        max_sites: nonzero(wave.max_sites),
        laptops: wave.laptops,
        desktops: wave.desktops,
        technicians: wave
            .technicians
            .into_iter()
            .map(|t| TechnicianUse { group: t.group, days_used: t.used, days_available: t.available })
            .collect(),
        budget_cents: wave.budget_cents,
        budget_limit_cents: (wave.budget_limit_cents > 0).then_some(wave.budget_limit_cents),
        stock: wave
            .stock
            .into_iter()
            .map(|s| {
                let class = DeviceClass::ALL.into_iter().find(|c| c.name() == s.class).ok_or_else(|| {
                    WireError::new("wave.stock.class", format!("unknown class {:?}", s.class))
                })?;
                Ok(StockUse { class, used: s.used, available: s.available })
            })
            .collect::<Result<_, WireError>>()?,
        blackout: (!wave.blackout.is_empty()).then_some(wave.blackout),
    })
}

pub fn plan_to_wire(header: &PlanHeader, record: &PlanRecord, hostnames: &Hostnames) -> pb::PlanSummary {
    pb::PlanSummary {
        id: header.id,
        state: header.state.clone(),
        created_at: header.created_at,
        published_at: header.published_at.unwrap_or(0),
        based_on: header.based_on.unwrap_or(0),
        spec_toml: header.spec_toml.clone(),
        waves: record.waves.iter().map(wave_to_wire).collect(),
        shortfalls: record
            .shortfalls
            .iter()
            .map(|s| pb::Shortfall {
                constraint: s.constraint.code().into(),
                detail: s.constraint.detail().into(),
                devices: s.devices,
                missing: s.missing.clone(),
            })
            .collect(),
        left_out: record
            .left_out
            .iter()
            .map(|l| pb::LeftOutDevice {
                device_id: l.device_id,
                hostname: hostnames.get(&l.device_id).cloned().unwrap_or_default(),
                site_code: l.site.clone(),
                constraint: l.constraint.code().into(),
                detail: l.constraint.detail().into(),
                reason: l.reason.clone(),
            })
            .collect(),
        left_out_total: record.left_out_total,
        planned: record.planned,
        site_visits: record.site_visits,
        baseline_site_visits: record.baseline_site_visits,
        baseline_planned: record.baseline_planned,
    }
}

pub fn plan_from_wire(plan: pb::PlanSummary) -> Result<(PlanHeader, PlanRecord, Hostnames), WireError> {
    let nonzero = |v: u64| (v > 0).then_some(v);
    let mut hostnames = HashMap::new();
    let left_out = plan
        .left_out
        .into_iter()
        .map(|l| {
            hostnames.insert(l.device_id, l.hostname);
            Ok(LeftOut {
                device_id: l.device_id,
                site: l.site_code,
                constraint: constraint("left_out.constraint", &l.constraint, &l.detail)?,
                reason: l.reason,
            })
        })
        .collect::<Result<_, WireError>>()?;
    let record = PlanRecord {
        waves: plan.waves.into_iter().map(wave_from_wire).collect::<Result<_, _>>()?,
        shortfalls: plan
            .shortfalls
            .into_iter()
            .map(|s| {
                Ok(Shortfall {
                    constraint: constraint("shortfall.constraint", &s.constraint, &s.detail)?,
                    devices: s.devices,
                    missing: s.missing,
                })
            })
            .collect::<Result<_, WireError>>()?,
        left_out,
        left_out_total: plan.left_out_total,
        planned: plan.planned,
        site_visits: plan.site_visits,
        baseline_site_visits: plan.baseline_site_visits,
        baseline_planned: plan.baseline_planned,
    };
    let header = PlanHeader {
        id: plan.id,
        state: plan.state,
        created_at: plan.created_at,
        published_at: (plan.published_at > 0).then_some(plan.published_at),
        based_on: nonzero(plan.based_on),
        spec_toml: plan.spec_toml,
    };
    Ok((header, record, hostnames))
}

pub fn diff_to_wire(against: &str, diff: &PlanDiff, hostnames: &Hostnames) -> pb::PlanDiff {
    let moved = |device_id: u64, from_wave: u32, to_wave: u32| pb::DeviceMove {
        device_id,
        hostname: hostnames.get(&device_id).cloned().unwrap_or_default(),
        from_wave,
        to_wave,
    };
    pb::PlanDiff {
        against: against.to_string(),
        added: diff.added.iter().map(|(d, w)| moved(*d, 0, *w)).collect(),
        removed: diff.removed.iter().map(|(d, w)| moved(*d, *w, 0)).collect(),
        moved: diff.moved.iter().map(|(d, from, to)| moved(*d, *from, *to)).collect(),
        unchanged: diff.unchanged,
    }
}

pub fn diff_from_wire(diff: pb::PlanDiff) -> (String, PlanDiff, Hostnames) {
    let mut hostnames = HashMap::new();
    let mut names = |moves: &[pb::DeviceMove]| {
        for m in moves {
            hostnames.insert(m.device_id, m.hostname.clone());
        }
    };
    names(&diff.added);
    names(&diff.removed);
    names(&diff.moved);
    let result = PlanDiff {
        added: diff.added.iter().map(|m| (m.device_id, m.to_wave)).collect(),
        removed: diff.removed.iter().map(|m| (m.device_id, m.from_wave)).collect(),
        moved: diff.moved.iter().map(|m| (m.device_id, m.from_wave, m.to_wave)).collect(),
        unchanged: diff.unchanged,
    };
    (diff.against, result, hostnames)
}

pub fn progress_to_wire(progress: &Progress) -> pb::WaveProgress {
    pb::WaveProgress {
        wave: progress.wave,
        starts_on: iso(progress.starts_on),
        ends_on: iso(progress.ends_on),
        devices: progress.devices,
        done: progress.done,
        statuses: progress
            .statuses
            .iter()
            .map(|(status, devices)| pb::StatusCount { status: status.name().into(), devices: *devices })
            .collect(),
        late: progress.late,
    }
}

pub fn progress_from_wire(progress: pb::WaveProgress) -> Result<Progress, WireError> {
    Ok(Progress {
        wave: progress.wave,
        starts_on: day("progress.starts_on", &progress.starts_on)?,
        ends_on: day("progress.ends_on", &progress.ends_on)?,
        devices: progress.devices,
        done: progress.done,
        statuses: progress
            .statuses
            .into_iter()
            .map(|s| Ok((status_from_wire("progress.statuses.status", &s.status)?, s.devices)))
            .collect::<Result<_, WireError>>()?,
        late: progress.late,
    })
}

pub fn late_to_wire(late: &Late, hostnames: &Hostnames) -> pb::LateDevice {
    pb::LateDevice {
        device_id: late.device_id,
        hostname: hostnames.get(&late.device_id).cloned().unwrap_or_default(),
        site_code: late.site_code.clone(),
        wave: late.wave,
        ends_on: iso(late.ends_on),
        status: late.status.name().into(),
    }
}

pub fn late_from_wire(late: pb::LateDevice) -> Result<(Late, String), WireError> {
    Ok((
        Late {
            device_id: late.device_id,
            site_code: late.site_code,
            wave: late.wave,
            ends_on: day("late.ends_on", &late.ends_on)?,
            status: status_from_wire("late.status", &late.status)?,
        },
        late.hostname,
    ))
}

pub fn proposal_to_wire(proposal: &Proposal, hostnames: &Hostnames) -> pb::DoneProposal {
    let name = |id: u64| hostnames.get(&id).cloned().unwrap_or_default();
    pb::DoneProposal {
        old_device_id: proposal.old_device,
        old_hostname: name(proposal.old_device),
        new_device_id: proposal.new_device,
        new_hostname: name(proposal.new_device),
        user: proposal.user.clone(),
        silent_days: proposal.silent_days,
    }
}

/// The proposal and the old and new hostnames.
pub fn proposal_from_wire(proposal: pb::DoneProposal) -> (Proposal, String, String) {
    (
        Proposal {
            old_device: proposal.old_device_id,
            new_device: proposal.new_device_id,
            user: proposal.user,
            silent_days: proposal.silent_days,
        },
        proposal.old_hostname,
        proposal.new_hostname,
    )
}

pub fn row_to_wire(row: WaveRow) -> pb::ExportRow {
    pb::ExportRow {
        wave: row.wave,
        planned_date: row.planned_date,
        site_code: row.site_code,
        site_name: row.site_name,
        site_address: row.site_address,
        technician_group: row.technician_group,
        asset_tag: row.asset_tag,
        hostname: row.hostname,
        serial_number: row.serial_number,
        manufacturer: row.manufacturer,
        model: row.model,
        age_years: row.age_years,
        assigned_user: row.assigned_user,
        department: row.department,
        teleworker: row.teleworker,
        windows11: row.windows11,
        wifi: row.wifi,
        softphone: row.softphone,
        site_fibre: row.site_fibre,
        site_link: row.site_link,
        replacement_class: row.replacement_class,
        score: row.score,
        reason: row.reason,
        status: row.status,
        device_id: row.device_id,
    }
}

pub fn row_from_wire(row: pb::ExportRow) -> WaveRow {
    WaveRow {
        wave: row.wave,
        planned_date: row.planned_date,
        site_code: row.site_code,
        site_name: row.site_name,
        site_address: row.site_address,
        technician_group: row.technician_group,
        asset_tag: row.asset_tag,
        hostname: row.hostname,
        serial_number: row.serial_number,
        manufacturer: row.manufacturer,
        model: row.model,
        age_years: row.age_years,
        assigned_user: row.assigned_user,
        department: row.department,
        teleworker: row.teleworker,
        windows11: row.windows11,
        wifi: row.wifi,
        softphone: row.softphone,
        site_fibre: row.site_fibre,
        site_link: row.site_link,
        replacement_class: row.replacement_class,
        score: row.score,
        reason: row.reason,
        status: row.status,
        device_id: row.device_id,
    }
}
