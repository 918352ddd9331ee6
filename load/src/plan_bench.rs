//! The planner benchmark: N replacement candidates over S sites (sizes
//! skewed like a real département: a few big sites, many small ones),
//! planned under a year of weekly waves with every kind of constraint.
//! Prints the best time of R passes, and the plan's site visits next to
//! the spreadsheet-style greedy baseline's, measured on the same input.

use parc_planner::baseline::greedy;
use parc_planner::spec::{Blackout, PerClass, PlanSpec, TechnicianGroup};
use parc_planner::{plan, Candidate, DeviceClass};
use parc_readiness::site::SiteKind;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::Instant;

const GROUPS: [&str; 5] = ["NORD", "SUD", "EST", "OUEST", "CENTRE"];

pub fn candidates(devices: u64, sites: u32, seed: u64) -> Vec<Candidate> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // Site weights 1/rank: site 0 is the head office.
    let weights: Vec<f64> = (1..=sites).map(|rank| 1.0 / f64::from(rank)).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut sum = 0.0;
    for weight in &weights {
        sum += weight / total;
        cumulative.push(sum);
    }
    (0..devices)
        .map(|id| {
            let draw: f64 = rng.random();
            let site = cumulative.partition_point(|c| *c < draw).min(sites as usize - 1) as u32;
            let kind = match site {
                0 => SiteKind::HeadOffice,
                s if s % 5 == 0 => SiteKind::College,
                s if s % 3 == 0 => SiteKind::Clinic,
                _ => SiteKind::SocialServicesCentre,
            };
            let teleworker = rng.random_bool(0.17);
            let laptop = teleworker || rng.random_bool(0.3);
            Candidate {
                device_id: id + 1,
                hostname: format!("PC-{id:06}"),
                site: format!("SITE-{site:03}"),
                site_kind: Some(kind),
                technician_group: GROUPS[site as usize % GROUPS.len()].to_string(),
                class: if laptop { DeviceClass::Laptop } else { DeviceClass::Desktop },
                teleworker,
                score: rng.random_range(20..=100),
                age_days: Some(rng.random_range(1500..4500)),
                why: "7 years old, HDD".into(),
                not_before_wave: None,
            }
        })
        .collect()
}

pub fn spec(devices: u64) -> PlanSpec {
    let per_wave = (devices / 45).max(10) as u32;
    let technicians: BTreeMap<String, TechnicianGroup> = GROUPS
        .iter()
        .map(|g| {
            let group =
                TechnicianGroup { devices_per_day: 8, days_per_wave: f64::from(per_wave) / 8.0 / 4.0 };
            (g.to_string(), group)
        })
        .collect();
    PlanSpec {
        start: "2027-01-04".into(),
        capacity: Some(per_wave),
        max_sites_per_wave: Some(16),
        budget_per_wave: Some(f64::from(per_wave) * 1000.0),
        prices: PerClass { laptop: Some(1150.0), desktop: Some(850.0) },
        stock: PerClass { laptop: Some(per_wave / 2), desktop: Some(per_wave * 3 / 4) },
        technicians,
        blackout: vec![Blackout {
            from: "2027-07-10".into(),
            to: "2027-08-31".into(),
            site_kinds: vec!["college".into()],
            reason: "summer".into(),
        }],
        ..PlanSpec::default()
    }
}

pub fn run(devices: u64, sites: u32, seed: u64, repeat: u32) -> anyhow::Result<()> {
    let candidates = candidates(devices, sites.max(1), seed);
    let rules = spec(devices).rules().map_err(anyhow::Error::msg)?;
    let mut best = f64::MAX;
    let mut result = None;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let planned = plan(&rules, &candidates, &[], 1);
        best = best.min(started.elapsed().as_secs_f64());
        result = Some(planned);
    }
    let planned = result.ok_or_else(|| anyhow::anyhow!("no pass ran"))?;
    let started = Instant::now();
    let baseline = greedy(&rules, &candidates);
    let baseline_seconds = started.elapsed().as_secs_f64();
    println!("planner: {devices} devices over {sites} sites, {} waves", rules.waves);
    println!("  plan time (best of {repeat}): {best:.3} s");
    println!("  placed: {}, left out: {}", planned.placements.len(), planned.left_out.len());
    for shortfall in &planned.shortfalls {
        println!("  short of {}: {}", shortfall.constraint.code(), shortfall.missing);
    }
    println!(
        "  site visits: {} (greedy baseline: {}, placing {} in {baseline_seconds:.3} s)",
        planned.site_visits, baseline.site_visits, baseline.placed
    );
    println!(
        "  visits per placed device: plan {:.4}, baseline {:.4}; plan/baseline visits: {:.2}",
        f64::from(planned.site_visits) / planned.placements.len().max(1) as f64,
        f64::from(baseline.site_visits) / f64::from(baseline.placed.max(1)),
        f64::from(planned.site_visits) / f64::from(baseline.site_visits.max(1))
    );
    Ok(())
}
