//! Properties over random fleets and specs: no hard constraint is ever
//! broken, every device is placed or left out with a reason, priorities
//! hold within a site, a site's devices go in consecutive waves, and the
//! plan does not depend on the input order.

use parc_planner::spec::{Blackout, PerClass, PlanSpec, Priority, TechnicianGroup};
use parc_planner::{plan, Candidate, DeviceClass, Plan, Rules};
use parc_readiness::site::SiteKind;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

const GROUPS: [&str; 3] = ["NORD", "SUD", "EST"];

fn fleet() -> impl Strategy<Value = Vec<Candidate>> {
    let sites = prop::collection::vec((0..SiteKind::ALL.len(), 0..GROUPS.len()), 1..10);
    sites.prop_flat_map(|sites| {
        let n = sites.len();
        let device = (0..n, any::<bool>(), any::<bool>(), 0u32..=100, prop::option::of(0u32..4000), 0u32..10);
        prop::collection::vec(device, 0..150).prop_map(move |devices| {
            devices
                .into_iter()
                .enumerate()
                .map(|(id, (site, laptop, teleworker, score, age_days, postpone))| Candidate {
                    device_id: id as u64 + 1,
                    hostname: format!("PC-{id}"),
                    site: if site == 0 && id % 17 == 3 { String::new() } else { format!("S{site}") },
                    site_kind: Some(SiteKind::ALL[sites[site].0]),
                    technician_group: GROUPS[sites[site].1].to_string(),
                    class: if laptop { DeviceClass::Laptop } else { DeviceClass::Desktop },
                    teleworker,
                    score,
                    age_days,
                    why: String::new(),
                    not_before_wave: (postpone == 0).then_some(3),
                })
                .collect()
        })
    })
}

fn spec() -> impl Strategy<Value = PlanSpec> {
    (
        (1u32..10, 1u32..15, prop::option::of(1u32..30), prop::option::of(1u32..4)),
        (prop::option::of(1000.0f64..20_000.0), prop::option::of(0u32..15), prop::option::of(0u32..15)),
        (
            prop::option::of((1u32..5, 0.5f64..6.0)),
            any::<bool>(),
            prop::option::of((0usize..6, 0i64..60, 0i64..20)),
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                (waves, cadence, capacity, max_sites),
                (budget, laptops, desktops),
                (techs, default, blackout),
                tiers,
            )| {
                let mut technicians = BTreeMap::new();
                if let Some((devices_per_day, days_per_wave)) = techs {
                    technicians
                        .insert("NORD".to_string(), TechnicianGroup { devices_per_day, days_per_wave });
                    technicians.insert(
                        "SUD".to_string(),
                        TechnicianGroup { devices_per_day: devices_per_day + 1, days_per_wave },
                    );
                    if default {
                        technicians.insert(
                            "default".to_string(),
                            TechnicianGroup { devices_per_day: 2, days_per_wave: 2.0 },
                        );
                    }
                }
                PlanSpec {
                    start: "2027-01-04".into(),
                    cadence: format!("{cadence}d"),
                    waves,
                    capacity,
                    max_sites_per_wave: max_sites,
                    priorities: if tiers {
                        vec![Priority::Teleworker, Priority::Score, Priority::Age]
                    } else {
                        vec![Priority::Score, Priority::Age]
                    },
                    budget_per_wave: budget,
                    prices: PerClass { laptop: Some(1100.0), desktop: Some(800.0) },
                    stock: PerClass { laptop: laptops, desktop: desktops },
                    technicians,
                    blackout: blackout
                        .map(|(kind, from, length)| {
                            let day = |offset: i64| {
                                parc_model::civil::iso(
                                    parc_model::civil::parse_iso("2027-01-04").unwrap_or(0) + offset,
                                )
                            };
                            vec![Blackout {
                                from: day(from),
                                to: day(from + length),
                                site_kinds: vec![SiteKind::ALL[kind].name().to_string()],
                                reason: "holidays".into(),
                            }]
                        })
                        .unwrap_or_default(),
                    ..PlanSpec::default()
                }
            },
        )
}

fn check_constraints(rules: &Rules, candidates: &[Candidate], plan: &Plan) {
    let by_id: HashMap<u64, &Candidate> = candidates.iter().map(|c| (c.device_id, c)).collect();
    let mut per_wave: BTreeMap<u32, Vec<&Candidate>> = BTreeMap::new();
    for placement in &plan.placements {
        let candidate = by_id[&placement.device_id];
        assert!((1..=rules.waves).contains(&placement.wave), "wave {} out of the plan", placement.wave);
        assert!(
            candidate.not_before_wave.is_none_or(|w| placement.wave >= w),
            "postponed device placed early"
        );
        assert!(rules.blackout(placement.wave, candidate.site_kind).is_none(), "placed in a blackout");
        assert!(!placement.reason.is_empty());
        per_wave.entry(placement.wave).or_default().push(candidate);
    }
    let mut stock_used = [0i64; 2];
    for wave in 1..=rules.waves {
        let devices = per_wave.get(&wave).cloned().unwrap_or_default();
        if let Some(capacity) = rules.capacity {
            assert!(devices.len() as u32 <= capacity, "wave {wave}: {} > capacity {capacity}", devices.len());
        }
        let sites: HashSet<&str> = devices.iter().map(|c| c.site.as_str()).collect();
        if let Some(max) = rules.max_sites {
            assert!(sites.len() as u32 <= max, "wave {wave}: {} sites > {max}", sites.len());
        }
        let cost: u64 = devices.iter().map(|c| rules.price_cents[c.class.index()]).sum();
        if let Some(budget) = rules.budget_cents {
            assert!(cost <= budget, "wave {wave}: {cost} > budget {budget}");
        }
        for class in DeviceClass::ALL {
            stock_used[class.index()] += devices.iter().filter(|c| c.class == class).count() as i64;
            if let Some(per_wave) = rules.stock[class.index()] {
                let delivered = i64::from(per_wave) * i64::from(wave);
                assert!(stock_used[class.index()] <= delivered, "wave {wave}: {class:?} stock exceeded");
            }
        }
        if !rules.technicians.is_empty() {
            let mut per_group: HashMap<&str, u32> = HashMap::new();
            for candidate in &devices {
                let key = if rules.technicians.contains_key(&candidate.technician_group) {
                    candidate.technician_group.as_str()
                } else {
                    "default"
                };
                *per_group.entry(key).or_insert(0) += 1;
            }
            for (group, count) in per_group {
                let limit = &rules.technicians[group];
                let days = f64::from(count) / f64::from(limit.devices_per_day);
                assert!(days <= limit.days_per_wave + 1e-9, "wave {wave}: group {group} {days} days");
            }
        }
    }
}

fn check_priorities(rules: &Rules, candidates: &[Candidate], plan: &Plan) {
    let wave_of: HashMap<u64, u32> = plan.placements.iter().map(|p| (p.device_id, p.wave)).collect();
    let steady: Vec<&Candidate> =
        candidates.iter().filter(|c| c.not_before_wave.is_none() && !c.site.is_empty()).collect();
    for a in &steady {
        for b in &steady {
            if a.site != b.site || a.by_priority(b, &rules.priorities).is_ge() {
                continue;
            }
            let tiers_differ = a.first_tier(&rules.priorities) && !b.first_tier(&rules.priorities);
            if a.class != b.class && !tiers_differ {
                continue;
            }
            match (wave_of.get(&a.device_id), wave_of.get(&b.device_id)) {
                (Some(wa), Some(wb)) => assert!(
                    wa <= wb,
                    "device {} (wave {wa}) goes before {} (wave {wb})",
                    a.device_id,
                    b.device_id
                ),
                (None, Some(_)) if a.class == b.class => {
                    panic!("device {} left out, {} of lower priority placed", a.device_id, b.device_id)
                }
                _ => {}
            }
        }
    }
}

/// A site's devices of one tier go in consecutive waves: a wave between
/// two of theirs is skipped only when it is closed to the site or could not
/// take one more of their devices at the end of planning (and so could not
/// when they were placed: waves only fill up).
fn check_sites_kept_together(rules: &Rules, candidates: &[Candidate], plan: &Plan) {
    let by_id: HashMap<u64, &Candidate> = candidates.iter().map(|c| (c.device_id, c)).collect();
    let placed: Vec<(&Candidate, u32)> =
        plan.placements.iter().map(|p| (by_id[&p.device_id], p.wave)).collect();
    let mut groups: BTreeMap<(&str, bool), Vec<(&Candidate, u32)>> = BTreeMap::new();
    for &(candidate, wave) in &placed {
        if candidate.not_before_wave.is_none() {
            groups
                .entry((&candidate.site, candidate.first_tier(&rules.priorities)))
                .or_default()
                .push((candidate, wave));
        }
    }
    for ((site, _), members) in groups {
        let waves: HashSet<u32> = members.iter().map(|(_, wave)| *wave).collect();
        let (first, last) = (*waves.iter().min().unwrap_or(&0), *waves.iter().max().unwrap_or(&0));
        let kind = members[0].0.site_kind;
        for gap in (first + 1..last).filter(|w| !waves.contains(w) && rules.blackout(*w, kind).is_none()) {
            for class in DeviceClass::ALL {
                let later = members.iter().find(|(c, wave)| c.class == class && *wave > gap);
                if let Some((candidate, wave)) = later {
                    assert!(
                        !could_take(rules, &placed, gap, candidate),
                        "site {site}: wave {gap} skipped though it could take device {} (placed in wave {wave})",
                        candidate.device_id
                    );
                }
            }
        }
    }
}

/// Whether wave `wave` of the finished plan has room for one more device
/// like `candidate` under every hard constraint.
fn could_take(rules: &Rules, placed: &[(&Candidate, u32)], wave: u32, candidate: &Candidate) -> bool {
    let here: Vec<&Candidate> = placed.iter().filter(|(_, w)| *w == wave).map(|(c, _)| *c).collect();
    if rules.capacity.is_some_and(|capacity| here.len() as u32 + 1 > capacity) {
        return false;
    }
    let sites: HashSet<&str> = here.iter().map(|c| c.site.as_str()).collect();
    if rules
        .max_sites
        .is_some_and(|max| !sites.contains(candidate.site.as_str()) && sites.len() as u32 >= max)
    {
        return false;
    }
    let cost: u64 = here.iter().map(|c| rules.price_cents[c.class.index()]).sum();
    if rules.budget_cents.is_some_and(|budget| cost + rules.price_cents[candidate.class.index()] > budget) {
        return false;
    }
    if !rules.technicians.is_empty() {
        let key = |c: &Candidate| {
            if rules.technicians.contains_key(&c.technician_group) {
                c.technician_group.clone()
            } else {
                "default".to_string()
            }
        };
        let group = key(candidate);
        let limit = &rules.technicians[&group];
        let per_wave = (f64::from(limit.devices_per_day) * limit.days_per_wave + 1e-9).floor() as u32;
        if here.iter().filter(|c| key(c) == group).count() as u32 + 1 > per_wave {
            return false;
        }
    }
    if let Some(per_wave) = rules.stock[candidate.class.index()] {
        for later in wave..=rules.waves {
            let used =
                placed.iter().filter(|(c, w)| c.class == candidate.class && *w <= later).count() as i64;
            if i64::from(per_wave) * i64::from(later) - used < 1 {
                return false;
            }
        }
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn plans_hold_every_constraint_and_account_for_every_device(candidates in fleet(), spec in spec()) {
        let rules = spec.rules().map_err(TestCaseError::fail)?;
        let plan = plan(&rules, &candidates, &[], 1);
        check_constraints(&rules, &candidates, &plan);
        let mut accounted: Vec<u64> = plan.placements.iter().map(|p| p.device_id)
            .chain(plan.left_out.iter().map(|l| l.device_id)).collect();
        accounted.sort_unstable();
        let expected: Vec<u64> = candidates.iter().map(|c| c.device_id).collect();
        prop_assert_eq!(accounted, expected);
        for left in &plan.left_out {
            prop_assert!(left.reason.starts_with("left out: "), "{}", left.reason);
        }
        let short: u32 = plan.shortfalls.iter().map(|s| s.devices).sum();
        prop_assert_eq!(short as usize, plan.left_out.len());
        check_priorities(&rules, &candidates, &plan);
        check_sites_kept_together(&rules, &candidates, &plan);
        let baseline = parc_planner::baseline::greedy(&rules, &candidates);
        prop_assert!(baseline.placed as usize <= candidates.len());
    }

    #[test]
    fn the_plan_does_not_depend_on_the_input_order(candidates in fleet(), spec in spec()) {
        let rules = spec.rules().map_err(TestCaseError::fail)?;
        let mut reversed = candidates.clone();
        reversed.reverse();
        prop_assert_eq!(plan(&rules, &candidates, &[], 1), plan(&rules, &reversed, &[], 1));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn replanning_keeps_frozen_waves_and_still_holds_every_constraint(
        candidates in fleet(), spec in spec(), frozen_waves in 0u32..4, extra in 0usize..20,
    ) {
        let rules = spec.rules().map_err(TestCaseError::fail)?;
        let first = plan(&rules, &candidates, &[], 1);
        let open_from = frozen_waves + 1;
        let by_id: HashMap<u64, &Candidate> = candidates.iter().map(|c| (c.device_id, c)).collect();
        let fixed: Vec<parc_planner::Fixed> = first
            .placements
            .iter()
            .filter(|p| p.wave < open_from)
            .map(|p| parc_planner::Fixed { candidate: by_id[&p.device_id].clone(), wave: p.wave, why: "frozen".into() })
            .collect();
        // New devices arrive: copies of existing ones under new ids.
        let mut more = candidates.clone();
        for (i, c) in candidates.iter().take(extra).enumerate() {
            more.push(Candidate { device_id: 10_000 + i as u64, ..c.clone() });
        }
        let second = plan(&rules, &more, &fixed, open_from);
        let frozen_before: Vec<(u64, u32)> = first.placements.iter().filter(|p| p.wave < open_from).map(|p| (p.device_id, p.wave)).collect();
        let mut frozen_after: Vec<(u64, u32)> = second.placements.iter().filter(|p| p.wave < open_from).map(|p| (p.device_id, p.wave)).collect();
        let mut expected = frozen_before.clone();
        expected.sort_unstable();
        frozen_after.sort_unstable();
        prop_assert_eq!(frozen_after, expected, "a frozen wave changed");
        prop_assert!(second.placements.iter().filter(|p| p.wave < open_from).all(|p| p.fixed));
        check_constraints(&rules, &more, &second);
        let mut accounted: Vec<u64> = second.placements.iter().map(|p| p.device_id)
            .chain(second.left_out.iter().map(|l| l.device_id)).collect();
        accounted.sort_unstable();
        let mut expected: Vec<u64> = more.iter().map(|c| c.device_id).collect();
        expected.sort_unstable();
        prop_assert_eq!(accounted, expected);
    }
}
