//! Wave plans over the stored fleet: the replacement policy selects the
//! candidates, the published plan says what is frozen or kept, the pure
//! planner places the rest, and the draft is stored beside the published
//! plan until someone publishes it.

mod candidates;
pub mod export;
pub mod files;
pub mod status;

use crate::error::ServerError;
use crate::readiness;
use crate::storage::{Draft, PlanDevice, PlanRecord, RolloutState, Storage, StoredPlan};
use parc_model::civil::iso;
use parc_planner::baseline::greedy;
use parc_planner::diff::{diff, PlanDiff};
use parc_planner::rollout::Status;
use parc_planner::{plan, Candidate, Fixed, PlanSpec, Rules};
use parc_readiness::Policy;
use std::collections::{HashMap, HashSet};

pub use candidates::brief;

/// The most left-out devices a stored plan's record lists (all of them are
/// in `plan_left_out`, for `parc waves export --left-out`).
pub const LEFT_OUT_LISTED: usize = parc_proto::limits::MAX_LEFT_OUT_LISTED;

/// What `parc waves plan` asked for, devices already resolved to ids.
#[derive(Debug, Clone)]
pub struct PlanOrder {
    pub spec: PlanSpec,
    pub include: Vec<u64>,
    pub exclude: Vec<u64>,
    pub dry_run: bool,
    /// Who asked, for the audit log.
    pub by: crate::access::Actor,
}

/// A plan just made: stored as a draft unless it was a dry run.
#[derive(Debug, Clone)]
pub struct Made {
    pub plan: StoredPlan,
    pub diff: PlanDiff,
    /// The published plan it was compared with.
    pub against: Option<u64>,
    pub hostnames: HashMap<u64, String>,
}

/// The rules of a stored plan's spec.
pub fn rules_of(plan: &StoredPlan) -> Result<Rules, ServerError> {
    PlanSpec::from_toml("stored spec", &plan.spec_toml)
        .map_err(|e| ServerError::Invalid(e.to_string()))?
        .rules()
        .map_err(|e| ServerError::Invalid(format!("plan {}'s spec: {e}", plan.id)))
}

/// The first wave of a published plan that has not started on `today`:
/// the waves before it are frozen.
pub fn first_open_wave(rules: &Rules, today: i64) -> u32 {
    (1..=rules.waves).find(|n| rules.wave_days(*n).0 > today).unwrap_or(rules.waves + 1)
}

/// A device's status: its stored one, or planned.
pub fn status_of(statuses: &HashMap<u64, RolloutState>, device_id: u64) -> Status {
    statuses.get(&device_id).map_or(Status::Planned, |s| s.status)
}

pub fn make_plan(
    storage: &Storage,
    policy: &Policy,
    now: i64,
    order: &PlanOrder,
) -> Result<Made, ServerError> {
    let rules = order.spec.rules().map_err(ServerError::Invalid)?;
    let today = now.div_euclid(86_400);
    let published = storage.published_plan()?;
    let statuses = storage.rollout_statuses()?;
    let (published_waves, open_from) = match &published {
        Some(plan) => {
            let waves: HashMap<u64, (u32, bool)> = storage
                .plan_devices(plan.id)?
                .into_iter()
                .map(|d| (d.device_id, (d.wave, d.fixed)))
                .collect();
            (waves, first_open_wave(&rules_of(plan)?, today))
        }
        None => (HashMap::new(), 1),
    };
    let published_rules = published.as_ref().map(rules_of).transpose()?;
    let include: HashSet<u64> = order.include.iter().copied().collect();
    let exclude: HashSet<u64> = order.exclude.iter().copied().collect();

    let mut candidates: Vec<Candidate> = Vec::new();
    let mut fixed: Vec<Fixed> = Vec::new();
    let mut hostnames = HashMap::new();
    readiness::scan(storage, policy, now, |facts| {
        let id = facts.summary.id;
        let status = status_of(&statuses, id);
        let published_wave = published_waves.get(&id).map(|(wave, _)| *wave);
        let selected =
            order.spec.select.selects(facts.readiness.replacement_group, facts.readiness.replacement_score);
        let frozen = published_wave.filter(|wave| *wave < open_from);
        let kept = published_wave.filter(|_| status.keeps_wave());
        let wanted = include.contains(&id) || (selected && !exclude.contains(&id));
        hostnames.insert(id, facts.summary.hostname.clone());
        if frozen.is_none() && kept.is_none() && (!wanted || status == Status::Cancelled) {
            return;
        }
        let mut candidate = candidates::candidate(&facts, today);
        match (frozen, kept) {
            (Some(wave), _) if status != Status::Cancelled => {
                let started = published_rules.as_ref().map_or(0, |r| r.wave_days(wave).0);
                fixed.push(Fixed {
                    candidate,
                    wave,
                    why: format!("frozen, the wave started on {}", iso(started)),
                });
            }
            (_, Some(wave)) => {
                fixed.push(Fixed { candidate, wave, why: format!("kept, status {}", status.name()) })
            }
            _ if wanted && status != Status::Cancelled => {
                if status == Status::Postponed {
                    candidate.not_before_wave = statuses.get(&id).and_then(|s| s.wave);
                }
                candidates.push(candidate);
            }
            _ => {}
        }
    })?;

    let planned = plan(&rules, &candidates, &fixed, open_from);
    let baseline = greedy(&rules, &candidates);
    let classes: HashMap<u64, &'static str> = candidates
        .iter()
        .chain(fixed.iter().map(|f| &f.candidate))
        .map(|c| (c.device_id, c.class.name()))
        .collect();
    let devices: Vec<PlanDevice> = planned
        .placements
        .iter()
        .enumerate()
        .map(|(position, p)| PlanDevice {
            device_id: p.device_id,
            wave: p.wave,
            position: position as u32,
            site_code: p.site.clone(),
            class: classes.get(&p.device_id).copied().unwrap_or("desktop").to_string(),
            reason: p.reason.clone(),
            fixed: p.fixed,
        })
        .collect();
    let left_out: Vec<PlanDevice> = planned
        .left_out
        .iter()
        .enumerate()
        .map(|(position, l)| PlanDevice {
            device_id: l.device_id,
            wave: 0,
            position: position as u32,
            site_code: l.site.clone(),
            class: classes.get(&l.device_id).copied().unwrap_or("desktop").to_string(),
            reason: l.reason.clone(),
            fixed: false,
        })
        .collect();
    let difference = diff(
        published_waves.iter().map(|(id, (wave, _))| (*id, *wave)),
        devices.iter().map(|d| (d.device_id, d.wave)),
    );
    let record = PlanRecord {
        waves: planned.waves.clone(),
        shortfalls: planned.shortfalls.clone(),
        left_out: planned.left_out.iter().take(LEFT_OUT_LISTED).cloned().collect(),
        left_out_total: planned.left_out.len() as u32,
        planned: planned.placements.len() as u32,
        site_visits: planned.site_visits,
        baseline_site_visits: baseline.site_visits,
        baseline_planned: baseline.placed,
    };
    let spec_toml = order.spec.to_toml();
    let based_on = published.as_ref().map(|p| p.id);
    let id = if order.dry_run {
        0
    } else {
        let draft =
            Draft { spec_toml: spec_toml.clone(), based_on, record: record.clone(), devices, left_out };
        storage.save_draft(draft, &order.by, now)?
    };
    tracing::info!(
        plan = id,
        dry_run = order.dry_run,
        planned = record.planned,
        left_out = record.left_out_total,
        site_visits = record.site_visits,
        "waves planned"
    );
    Ok(Made {
        plan: StoredPlan {
            id,
            state: crate::storage::PlanState::Draft,
            created_at: now,
            published_at: None,
            based_on,
            spec_toml,
            record,
        },
        diff: difference,
        against: based_on,
        hostnames,
    })
}
