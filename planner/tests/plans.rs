//! Small plans with their explanations, as a planner reads them.

use parc_planner::{plan, Candidate, DeviceClass, Fixed, Plan, PlanSpec};
use parc_readiness::site::SiteKind;
use std::fmt::Write;

fn pc(
    id: u64,
    site: &str,
    kind: SiteKind,
    class: DeviceClass,
    teleworker: bool,
    score: u32,
    why: &str,
) -> Candidate {
    Candidate {
        device_id: id,
        hostname: format!("PC-{id:03}"),
        site: site.into(),
        site_kind: Some(kind),
        technician_group: if site.starts_with("COL") { "SUD".into() } else { "NORD".into() },
        class,
        teleworker,
        score,
        age_days: Some(score * 30),
        why: why.into(),
        not_before_wave: None,
    }
}

/// Three sites of a département: the head office, an MDS and a collège.
fn fleet() -> Vec<Candidate> {
    use DeviceClass::{Desktop, Laptop};
    use SiteKind::{College, HeadOffice, SocialServicesCentre};
    vec![
        pc(1, "SIEGE", HeadOffice, Laptop, true, 87, "7 years old, HDD, no TPM 2.0"),
        pc(2, "SIEGE", HeadOffice, Laptop, true, 60, "6 years old"),
        pc(3, "SIEGE", HeadOffice, Desktop, false, 75, "8 years old, 4 GB RAM"),
        pc(4, "SIEGE", HeadOffice, Desktop, false, 55, "6 years old"),
        pc(5, "MDS-ETAMPES", SocialServicesCentre, Laptop, true, 70, "7 years old"),
        pc(6, "MDS-ETAMPES", SocialServicesCentre, Desktop, false, 90, "9 years old, HDD"),
        pc(7, "MDS-ETAMPES", SocialServicesCentre, Desktop, false, 65, "CPU not supported by Windows 11"),
        pc(8, "MDS-ETAMPES", SocialServicesCentre, Desktop, false, 50, "6 years old"),
        pc(9, "COL-CAMUS", College, Desktop, false, 95, "10 years old, HDD, legacy BIOS"),
        pc(10, "COL-CAMUS", College, Desktop, false, 80, "8 years old"),
        pc(11, "COL-CAMUS", College, Desktop, false, 40, "Windows 10 out of support"),
        Candidate { site: String::new(), ..pc(12, "", HeadOffice, Desktop, false, 99, "12 years old") },
    ]
}

fn render(plan: &Plan) -> String {
    let mut out = String::new();
    for wave in &plan.waves {
        let _ = writeln!(
            out,
            "wave {} {}..{}{}: {} devices ({} laptops, {} desktops) on {} sites, {} cents{}",
            wave.number,
            parc_model::civil::iso(wave.starts_on),
            parc_model::civil::iso(wave.ends_on),
            if wave.frozen { " frozen" } else { "" },
            wave.devices,
            wave.laptops,
            wave.desktops,
            wave.sites,
            wave.budget_cents,
            wave.technicians
                .iter()
                .map(|t| format!(", {} {:.2}/{} days", t.group, t.days_used, t.days_available))
                .collect::<String>()
        );
        for placement in plan.placements.iter().filter(|p| p.wave == wave.number) {
            let _ = writeln!(out, "  #{} {}", placement.device_id, placement.reason);
        }
    }
    for left in &plan.left_out {
        let _ = writeln!(out, "#{} {}", left.device_id, left.reason);
    }
    for shortfall in &plan.shortfalls {
        let _ = writeln!(
            out,
            "short of {}{}: {}",
            shortfall.constraint.code(),
            shortfall.constraint.detail(),
            shortfall.missing
        );
    }
    let _ = writeln!(out, "site visits: {}", plan.site_visits);
    out
}

const SPEC: &str = r#"
start = "2027-01-04"
cadence = "1w"
waves = 4
capacity = 4
max_sites_per_wave = 2
budget_per_wave = 4000
[prices]
laptop = 1100
desktop = 800
[technicians.NORD]
devices_per_day = 4
days_per_wave = 1
[technicians.SUD]
devices_per_day = 3
days_per_wave = 1
[[blackout]]
from = "2027-01-04"
to = "2027-01-17"
site_kinds = ["college"]
reason = "collège closed for works"
"#;

fn rules(text: &str) -> parc_planner::Rules {
    PlanSpec::from_toml("spec.toml", text).expect("spec").rules().expect("rules")
}

#[test]
fn a_small_plan_explains_every_choice() {
    let plan = plan(&rules(SPEC), &fleet(), &[], 1);
    insta::assert_snapshot!(render(&plan));
}

#[test]
fn a_tight_plan_says_what_binds_and_what_is_missing() {
    let tight = SPEC.replace("waves = 4", "waves = 2").replace("capacity = 4", "capacity = 3");
    let plan = plan(&rules(&tight), &fleet(), &[], 1);
    insta::assert_snapshot!(render(&plan));
}

#[test]
fn frozen_waves_keep_their_devices_and_take_no_new_one() {
    let fleet = fleet();
    let rules = rules(SPEC);
    let first = plan(&rules, &fleet, &[], 1);
    let frozen: Vec<Fixed> = first
        .placements
        .iter()
        .filter(|p| p.wave == 1)
        .map(|p| Fixed {
            candidate: fleet.iter().find(|c| c.device_id == p.device_id).cloned().expect("candidate"),
            wave: 1,
            why: "frozen, started 2027-01-04".into(),
        })
        .collect();
    let mut more = fleet.clone();
    more.push(pc(13, "SIEGE", SiteKind::HeadOffice, DeviceClass::Laptop, true, 100, "broken screen"));
    let second = plan(&rules, &more, &frozen, 2);
    let wave1 = |plan: &Plan| -> Vec<u64> {
        plan.placements.iter().filter(|p| p.wave == 1).map(|p| p.device_id).collect()
    };
    assert_eq!(wave1(&second), wave1(&first));
    assert!(second.placements.iter().filter(|p| p.wave == 1).all(|p| p.fixed && p.reason.contains("frozen")));
    let new = second.placements.iter().find(|p| p.device_id == 13).expect("placed");
    assert!(new.wave >= 2, "{new:?}");
    assert!(second.waves[0].frozen && !second.waves[1].frozen);
    assert!(second.waves.iter().all(|w| w.overruns().is_empty()), "same spec, no overrun");

    // A tighter spec keeps the frozen wave as it was, and says what it
    // goes past; the open waves hold the new limits.
    let tighter = self::rules(&SPEC.replace("capacity = 4", "capacity = 2"));
    let third = plan(&tighter, &more, &frozen, 2);
    assert_eq!(wave1(&third), wave1(&first));
    assert_eq!(third.waves[0].overruns(), ["3 devices for a capacity of 2"]);
    assert!(third.waves[1..].iter().all(|w| w.overruns().is_empty()));
}

#[test]
fn the_same_inputs_give_the_same_plan() {
    let rules = rules(SPEC);
    let mut shuffled = fleet();
    shuffled.rotate_left(5);
    assert_eq!(plan(&rules, &fleet(), &[], 1), plan(&rules, &shuffled, &[], 1));
}

#[test]
fn the_planner_visits_fewer_sites_than_the_spreadsheet_way() {
    // Eight sites of six PCs each, priorities scattered across sites.
    let candidates: Vec<Candidate> = (0..48)
        .map(|i| {
            let site = format!("MDS-{}", i % 8);
            pc(
                i + 1,
                &site,
                SiteKind::SocialServicesCentre,
                DeviceClass::Desktop,
                false,
                ((i * 37) % 100) as u32,
                "",
            )
        })
        .collect();
    let rules = rules("start = \"2027-01-04\"\ncapacity = 12\nwaves = 4\n");
    let planned = plan(&rules, &candidates, &[], 1);
    let baseline = parc_planner::baseline::greedy(&rules, &candidates);
    assert_eq!((planned.placements.len(), baseline.placed), (48, 48));
    assert_eq!(planned.site_visits, 8, "{}", render(&planned));
    assert!(baseline.site_visits >= 15, "baseline {}", baseline.site_visits);
}

#[test]
fn the_sample_spec_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/plan-spec.toml");
    let text = std::fs::read_to_string(path).expect("samples/plan-spec.toml");
    let rules = rules(&text);
    assert_eq!((rules.waves, rules.capacity, rules.technicians.len()), (44, Some(45), 3));
    assert_eq!(rules.blackouts.len(), 2);
}

fn waves_of(plan: &Plan, site: &str) -> Vec<u32> {
    let mut waves: Vec<u32> = plan.placements.iter().filter(|p| p.site == site).map(|p| p.wave).collect();
    waves.dedup();
    waves
}

#[test]
fn a_site_too_big_for_one_wave_goes_in_consecutive_waves() {
    use DeviceClass::Desktop;
    use SiteKind::SocialServicesCentre as Mds;
    let rules = rules("start = \"2027-01-04\"\nwaves = 4\ncapacity = 3\n");
    // Wave 2 is full already (a frozen visit elsewhere); wave 1 has room
    // for two. Four PCs of MDS-B fit waves 3 and 4 together, not 1 and 3.
    let frozen: Vec<Fixed> = (0..3)
        .map(|i| Fixed {
            candidate: pc(20 + i, "MDS-X", Mds, Desktop, false, 50, ""),
            wave: 2,
            why: "frozen".into(),
        })
        .collect();
    let mut fleet = vec![pc(1, "MDS-A", Mds, Desktop, false, 99, "")];
    fleet.extend((2..=5).map(|id| pc(id, "MDS-B", Mds, Desktop, false, 80, "")));
    let planned = plan(&rules, &fleet, &frozen, 1);
    assert_eq!(waves_of(&planned, "MDS-A"), [1]);
    assert_eq!(waves_of(&planned, "MDS-B"), [3, 4], "{}", render(&planned));
    let reason = &planned.placements.iter().find(|p| p.device_id == 5).expect("placed").reason;
    assert!(
        reason.contains("site MDS-B over waves 3, 4") && reason.contains("split by the wave capacity"),
        "{reason}"
    );

    // When no run of consecutive waves holds the site, nobody is left out
    // for it: the site takes what each wave can give.
    let short = self::rules("start = \"2027-01-04\"\nwaves = 3\ncapacity = 3\n");
    let planned = plan(&short, &fleet, &frozen, 1);
    assert_eq!(waves_of(&planned, "MDS-B"), [1, 3], "{}", render(&planned));
    assert!(planned.left_out.is_empty());
}

#[test]
fn a_blackout_without_site_kinds_closes_the_wave_to_every_site() {
    use SiteKind::{College, HeadOffice};
    let rules = rules(
        "start = \"2027-01-04\"\nwaves = 3\ncapacity = 10\n[[blackout]]\nfrom = \"2027-01-04\"\n\
         to = \"2027-01-08\"\nreason = \"inventory freeze\"\n",
    );
    let fleet = vec![
        pc(1, "SIEGE", HeadOffice, DeviceClass::Laptop, true, 90, ""),
        pc(2, "COL-CAMUS", College, DeviceClass::Desktop, false, 80, ""),
    ];
    let planned = plan(&rules, &fleet, &[], 1);
    assert!(planned.placements.iter().all(|p| p.wave == 2), "{}", render(&planned));
    assert_eq!(planned.waves[0].blackout.as_deref(), Some("inventory freeze"));
    assert_eq!(planned.waves[0].devices, 0);
    assert_eq!(planned.waves[1].blackout, None);
}

#[test]
fn the_spec_orders_the_priorities() {
    use SiteKind::SocialServicesCentre as Mds;
    let old_low_score =
        Candidate { age_days: Some(4000), ..pc(1, "MDS-A", Mds, DeviceClass::Desktop, false, 20, "") };
    let young_high_score =
        Candidate { age_days: Some(400), ..pc(2, "MDS-A", Mds, DeviceClass::Desktop, false, 90, "") };
    let teleworker =
        Candidate { age_days: Some(100), ..pc(3, "MDS-A", Mds, DeviceClass::Laptop, true, 10, "") };
    let fleet = vec![old_low_score, young_high_score, teleworker];
    let order = |priorities: &str| -> Vec<u64> {
        let rules =
            rules(&format!("start = \"2027-01-04\"\nwaves = 3\ncapacity = 1\npriorities = [{priorities}]\n"));
        let planned = plan(&rules, &fleet, &[], 1);
        planned.placements.iter().map(|p| p.device_id).collect()
    };
    assert_eq!(order("\"teleworker\", \"score\", \"age\""), [3, 2, 1]);
    assert_eq!(order("\"age\", \"score\""), [1, 2, 3]);
    assert_eq!(order("\"score\", \"teleworker\""), [2, 1, 3]);
    let twice = PlanSpec::from_toml("spec.toml", "start = \"2027-01-04\"\npriorities = [\"age\", \"age\"]\n")
        .map_err(|e| e.to_string())
        .and_then(|spec| spec.rules());
    let message = format!("{:?}", twice.err());
    assert!(message.contains("priorities"), "{message}");
}

#[test]
fn each_binding_constraint_says_how_much_is_missing() {
    use DeviceClass::{Desktop, Laptop};
    use SiteKind::SocialServicesCentre as Mds;
    let fleet: Vec<Candidate> = (1..=6)
        .map(|id| {
            pc(id, &format!("MDS-{}", id % 3), Mds, if id % 2 == 0 { Laptop } else { Desktop }, false, 50, "")
        })
        .collect();
    let short = |extra: &str| -> (Plan, String) {
        let planned = plan(&rules(&format!("start = \"2027-01-04\"\nwaves = 2\n{extra}")), &fleet, &[], 1);
        let text =
            planned.shortfalls.iter().map(|s| format!("{}: {}", s.constraint.code(), s.missing)).collect();
        (planned, text)
    };
    let (_, text) = short("budget_per_wave = 2000\n[prices]\nlaptop = 1000\ndesktop = 1000\n");
    assert_eq!(text, "budget: 2 000 € more budget for 2 devices");
    let (planned, text) = short("[stock]\nlaptop = 1\ndesktop = 5\n");
    assert_eq!(text, "stock: 1 more laptops in stock");
    let laptops: Vec<(u32, i64)> = planned
        .waves
        .iter()
        .flat_map(|w| w.stock.iter().filter(|s| s.class == Laptop).map(|s| (s.used, s.available)))
        .collect();
    assert_eq!(laptops, [(1, 1), (1, 1)], "one delivered per wave, each used in its wave");
    let (_, text) = short("[technicians.default]\ndevices_per_day = 2\ndays_per_wave = 1\n");
    assert_eq!(text, "technician_days: 1 more technician-days for group default");
    let (_, text) = short("max_sites_per_wave = 1\n");
    assert_eq!(text, "sites_per_wave: 2 devices on 1 sites: 1 more wave at 1 sites");
}
