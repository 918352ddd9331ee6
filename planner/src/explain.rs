//! The plan in words: why each device is in its wave, why others are left
//! out, what is missing, and each wave's utilisation.

use crate::book::Book;
use crate::plan::{Constraint, LeftOut, Shortfall, Split, StockUse, TechnicianUse, Wave};
use crate::spec::{Priority, Rules};
use crate::{Candidate, DeviceClass};
use parc_model::civil::iso;
use std::collections::{BTreeMap, HashMap};

/// Waves and device counts of each site.
pub(crate) type SiteWaves<'a> = HashMap<&'a str, BTreeMap<u32, u32>>;

pub(crate) fn site_waves<'a>(placed: impl Iterator<Item = (&'a str, u32)>) -> SiteWaves<'a> {
    let mut waves: SiteWaves = HashMap::new();
    for (site, wave) in placed {
        *waves.entry(site).or_default().entry(wave).or_insert(0) += 1;
    }
    waves
}

pub(crate) fn placement(
    rules: &Rules,
    candidate: &Candidate,
    wave: u32,
    split: &Split,
    sites: &SiteWaves,
) -> String {
    let mut parts = Vec::new();
    let mut priorities = rules.priorities.clone();
    if !priorities.contains(&Priority::Score) {
        priorities.push(Priority::Score);
    }
    for priority in priorities {
        match priority {
            Priority::Teleworker if candidate.teleworker => parts.push("teleworker".to_string()),
            Priority::Teleworker => {}
            Priority::Score if candidate.why.is_empty() => parts.push(format!("score {}", candidate.score)),
            Priority::Score => parts.push(format!("score {}: {}", candidate.score, candidate.why)),
            Priority::Age => {
                if let Some(days) = candidate.age_days.filter(|_| !candidate.why.contains("years old")) {
                    parts.push(format!("{} years old", days / 365));
                }
            }
        }
    }
    if let Some(waves) = sites.get(candidate.site.as_str()) {
        let here = waves.get(&wave).copied().unwrap_or(0);
        if waves.len() == 1 {
            parts.push(format!("site {} in one visit ({})", candidate.site, pcs(here)));
        } else {
            let list: Vec<String> = waves.keys().map(u32::to_string).collect();
            let mut text =
                format!("site {} over waves {} ({} in this one)", candidate.site, list.join(", "), pcs(here));
            if let Split::By(constraint) = split {
                text.push_str(&format!(", split by {}", short(constraint)));
            }
            parts.push(text);
        }
    }
    if let Some(not_before) = candidate.not_before_wave {
        parts.push(format!("postponed to wave {not_before}"));
    }
    format!("wave {wave} ({}): {}", iso(rules.wave_days(wave).0), parts.join("; "))
}

fn short(constraint: &Constraint) -> String {
    match constraint {
        Constraint::Capacity => "the wave capacity".into(),
        Constraint::TechnicianDays(group) => format!("the technician-days of {group}"),
        Constraint::SitesPerWave => "the sites per wave".into(),
        Constraint::Budget => "the budget".into(),
        Constraint::Stock(class) => format!("the {} stock", class.name()),
        Constraint::Blackout => "a blackout".into(),
        Constraint::UnknownTechnicianGroup(group) => format!("technician group {group}"),
        Constraint::NoSite => "no site".into(),
        Constraint::Horizon => "the plan's end".into(),
    }
}

pub(crate) fn left_out(
    rules: &Rules,
    book: &Book,
    candidate: &Candidate,
    constraint: Constraint,
    floor: Option<u32>,
) -> LeftOut {
    let waves = match floor {
        Some(first) if first < rules.waves => format!(" in waves {first}–{}", rules.waves),
        Some(first) if first == rules.waves => format!(" in wave {first}"),
        _ => String::new(),
    };
    let why = match &constraint {
        Constraint::Capacity => {
            format!("every wave is full{waves} (capacity {} devices)", rules.capacity.unwrap_or(0))
        }
        Constraint::TechnicianDays(group) => {
            let limit = book.groups.iter().find(|g| &g.name == group);
            format!(
                "technician group {group} has no days left{waves} ({} devices per wave)",
                limit.map_or(0, |g| g.devices_per_wave)
            )
        }
        Constraint::SitesPerWave => {
            format!("every wave already visits {} sites{waves}", rules.max_sites.unwrap_or(0))
        }
        Constraint::Budget => format!(
            "the budget of {} per wave is spent{waves}",
            euros(rules.budget_cents.unwrap_or(0))
        ),
        Constraint::Stock(class) => format!(
            "no {} left in stock{waves} ({} delivered per wave)",
            plural(*class),
            rules.stock[class.index()].unwrap_or(0)
        ),
        Constraint::Blackout => {
            let first = floor.unwrap_or(1);
            let blackout = (first..=rules.waves).find_map(|n| rules.blackout(n, candidate.site_kind));
            let reason = blackout.map(|b| b.reason.as_str()).filter(|r| !r.is_empty()).unwrap_or("blackout");
            format!("site {} is closed ({reason}){waves}", candidate.site)
        }
        Constraint::UnknownTechnicianGroup(group) => format!(
            "the spec has no technicians for group '{group}' of site {}: add [technicians.{}] or [technicians.default]",
            candidate.site,
            if group.is_empty() { "default" } else { group }
        ),
        Constraint::NoSite => "on no site: import the site of its subnet, or assign it (parc assign)".into(),
        Constraint::Horizon => format!("no open wave: the plan ends at wave {}", rules.waves),
    };
    LeftOut {
        device_id: candidate.device_id,
        site: candidate.site.clone(),
        constraint,
        reason: format!("left out: {why}"),
    }
}

pub(crate) fn shortfalls(
    rules: &Rules,
    book: &Book,
    left_out: &[LeftOut],
    candidates: &[Candidate],
) -> Vec<Shortfall> {
    let by_id: HashMap<u64, &Candidate> = candidates.iter().map(|c| (c.device_id, c)).collect();
    let mut grouped: BTreeMap<&Constraint, Vec<&Candidate>> = BTreeMap::new();
    for entry in left_out {
        if let Some(candidate) = by_id.get(&entry.device_id) {
            grouped.entry(&entry.constraint).or_default().push(candidate);
        }
    }
    grouped
        .into_iter()
        .map(|(constraint, devices)| {
            let n = devices.len() as u32;
            let missing = match constraint {
                Constraint::Capacity => {
                    let capacity = rules.capacity.unwrap_or(1).max(1);
                    format!(
                        "{} beyond {capacity} per wave: {}",
                        devices_text(n),
                        plural_of(n.div_ceil(capacity), "more wave", "more waves")
                    )
                }
                Constraint::TechnicianDays(group) => {
                    let per_day =
                        book.groups.iter().find(|g| &g.name == group).map_or(1, |g| g.devices_per_day);
                    format!(
                        "{} more technician-days for group {group}",
                        number(f64::from(n) / f64::from(per_day))
                    )
                }
                Constraint::SitesPerWave => {
                    let mut sites: Vec<&str> = devices.iter().map(|c| c.site.as_str()).collect();
                    sites.sort_unstable();
                    sites.dedup();
                    let max = rules.max_sites.unwrap_or(1).max(1);
                    format!(
                        "{} on {} sites: {} at {max} sites",
                        devices_text(n),
                        sites.len(),
                        plural_of((sites.len() as u32).div_ceil(max), "more wave", "more waves")
                    )
                }
                Constraint::Budget => {
                    let cost: u64 = devices.iter().map(|c| rules.price_cents[c.class.index()]).sum();
                    format!("{} more budget for {}", euros(cost), devices_text(n))
                }
                Constraint::Stock(class) => format!("{n} more {} in stock", plural(*class)),
                Constraint::Blackout => format!("{} on sites closed in every open wave", devices_text(n)),
                Constraint::UnknownTechnicianGroup(group) => {
                    format!("{} of group '{group}' without technicians", devices_text(n))
                }
                Constraint::NoSite => format!("{} on no site", devices_text(n)),
                Constraint::Horizon => format!("{} after the plan's last wave", devices_text(n)),
            };
            Shortfall { constraint: constraint.clone(), devices: n, missing }
        })
        .collect()
}

pub(crate) fn wave(rules: &Rules, book: &Book, number: u32, first_open_wave: u32) -> Wave {
    let index = number as usize - 1;
    let used = &book.waves[index];
    let (starts_on, ends_on) = rules.wave_days(number);
    Wave {
        number,
        starts_on,
        ends_on,
        frozen: number < first_open_wave,
        devices: used.used.devices,
        capacity: rules.capacity,
        sites: used.sites.len() as u32,
        max_sites: rules.max_sites,
        laptops: used.used.per_class[DeviceClass::Laptop.index()],
        desktops: used.used.per_class[DeviceClass::Desktop.index()],
        technicians: book
            .groups
            .iter()
            .zip(&used.per_group)
            .map(|(group, devices)| TechnicianUse {
                group: group.name.clone(),
                days_used: f64::from(*devices) / f64::from(group.devices_per_day),
                days_available: group.days_per_wave,
            })
            .collect(),
        budget_cents: used.used.cost_cents,
        budget_limit_cents: rules.budget_cents,
        stock: DeviceClass::ALL
            .into_iter()
            .filter_map(|class| {
                Some(StockUse {
                    class,
                    used: used.used.per_class[class.index()],
                    available: book.stock_available(index, class)?,
                })
            })
            .collect(),
        blackout: rules.blackout(number, None).map(|b| {
            if b.reason.is_empty() {
                "blackout".into()
            } else {
                b.reason.clone()
            }
        }),
    }
}

fn plural_of(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn pcs(n: u32) -> String {
    plural_of(n, "PC", "PCs")
}

fn devices_text(n: u32) -> String {
    plural_of(n, "device", "devices")
}

fn plural(class: DeviceClass) -> &'static str {
    match class {
        DeviceClass::Laptop => "laptops",
        DeviceClass::Desktop => "desktops",
    }
}

/// "30 000 €", as the département's people write amounts.
pub fn euros(cents: u64) -> String {
    let whole = (cents + 50) / 100;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{grouped} €")
}

pub(crate) fn number(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}
