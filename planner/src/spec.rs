//! The plan spec: the calendar of waves and every constraint the planner
//! must hold, as a TOML file a planner edits, overridable by flags. What
//! the file leaves out has no limit, except the calendar, which has
//! defaults. Checked whole before planning, each error naming its field.

use crate::DeviceClass;
use parc_readiness::policy::toml_location;
use parc_readiness::rules::ReplacementGroup;
use parc_readiness::site::SiteKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most waves a plan may have (ten years of weekly waves).
pub const MAX_WAVES: u32 = 520;
/// The longest wave.
pub const MAX_CADENCE_DAYS: u32 = 366;
/// The most blackout periods and technician groups a spec may list.
pub const MAX_SPEC_ENTRIES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlanSpec {
    /// The first day of wave 1, YYYY-MM-DD.
    pub start: String,
    /// The length of a wave: "1w", "2w", "10d".
    pub cadence: String,
    /// How many waves the plan may use; what does not fit is left out.
    pub waves: u32,
    /// Devices per wave, all sites together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// Sites visited per wave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sites_per_wave: Option<u32>,
    /// The order devices are taken in. A leading `teleworker` makes two
    /// tiers: every teleworker is placed before anyone else.
    pub priorities: Vec<Priority>,
    pub select: Selection,
    /// Euros per wave for new devices, at `prices`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_per_wave: Option<f64>,
    pub prices: PerClass<f64>,
    /// New devices delivered per wave; what a wave does not use is still in
    /// store for the next.
    pub stock: PerClass<u32>,
    /// Per technician group (the sites' `technician_group`); `default`
    /// covers the groups not listed. Without any entry, no limit.
    pub technicians: BTreeMap<String, TechnicianGroup>,
    pub blackout: Vec<Blackout>,
}

impl Default for PlanSpec {
    fn default() -> Self {
        PlanSpec {
            start: String::new(),
            cadence: "1w".into(),
            waves: 52,
            capacity: None,
            max_sites_per_wave: None,
            priorities: vec![Priority::Teleworker, Priority::Score, Priority::Age],
            select: Selection::default(),
            budget_per_wave: None,
            prices: PerClass::default(),
            stock: PerClass::default(),
            technicians: BTreeMap::new(),
            blackout: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Teleworker,
    Score,
    Age,
}

/// Which devices the replacement policy hands to the planner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Selection {
    /// Replacement groups: replace, fixable, unknown, ready.
    pub groups: Vec<String>,
    /// And at least this replacement score.
    pub min_score: u32,
}

impl Default for Selection {
    fn default() -> Self {
        Selection { groups: vec!["replace".into()], min_score: 0 }
    }
}

impl Selection {
    pub fn selects(&self, group: ReplacementGroup, score: u32) -> bool {
        score >= self.min_score && self.groups.iter().any(|g| g == group.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PerClass<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub laptop: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desktop: Option<T>,
}

impl<T: Copy> PerClass<T> {
    pub fn get(&self, class: DeviceClass) -> Option<T> {
        match class {
            DeviceClass::Laptop => self.laptop,
            DeviceClass::Desktop => self.desktop,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnicianGroup {
    /// Devices one technician replaces in a day, travel included.
    pub devices_per_day: u32,
    /// Technician-days the group gives each wave (2 technicians × 4 days = 8).
    pub days_per_wave: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blackout {
    pub from: String,
    pub to: String,
    /// The site kinds it applies to; empty: every site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub site_kinds: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

/// Flags that replace the spec file's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub start: Option<String>,
    pub cadence: Option<String>,
    pub waves: Option<u32>,
    pub capacity: Option<u32>,
    pub max_sites_per_wave: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{location}: {message}")]
pub struct SpecError {
    pub file: String,
    /// " line L, column C" when the error has a place in the file.
    pub location: String,
    /// Starts with the field's name: "capacity: 0 devices per wave ...".
    pub message: String,
}

/// A checked spec in the planner's units: days, cents, device counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub start_day: i64,
    pub cadence_days: u32,
    pub waves: u32,
    pub capacity: Option<u32>,
    pub max_sites: Option<u32>,
    pub priorities: Vec<Priority>,
    pub budget_cents: Option<u64>,
    pub price_cents: [u64; 2],
    pub stock: [Option<u32>; 2],
    pub technicians: BTreeMap<String, TechnicianGroup>,
    pub blackouts: Vec<BlackoutRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlackoutRule {
    pub from_day: i64,
    pub to_day: i64,
    /// Empty: every site.
    pub kinds: Vec<SiteKind>,
    pub reason: String,
}

impl PlanSpec {
    /// Reads a spec file's text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<PlanSpec, SpecError> {
        toml::from_str(text).map_err(|e| SpecError {
            file: file.to_string(),
            location: toml_location(text, &e),
            message: e.message().trim().to_string(),
        })
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot write the spec: {e}\n"))
    }

    pub fn apply(&mut self, overrides: &Overrides) {
        if let Some(start) = &overrides.start {
            self.start.clone_from(start);
        }
        if let Some(cadence) = &overrides.cadence {
            self.cadence.clone_from(cadence);
        }
        if let Some(waves) = overrides.waves {
            self.waves = waves;
        }
        if overrides.capacity.is_some() {
            self.capacity = overrides.capacity;
        }
        if overrides.max_sites_per_wave.is_some() {
            self.max_sites_per_wave = overrides.max_sites_per_wave;
        }
    }

    /// Checks the spec and turns it into the planner's units. The error
    /// starts with the field it is about.
    pub fn rules(&self) -> Result<Rules, String> {
        let start_day = match self.start.trim() {
            "" => return Err("start: missing: the first day of wave 1 (YYYY-MM-DD), or --start".into()),
            text => parc_model::civil::parse_date(text)
                .ok_or_else(|| format!("start: '{text}' is not a date (YYYY-MM-DD)"))?,
        };
        let cadence_days = parse_cadence(&self.cadence).map_err(|m| format!("cadence: {m}"))?;
        if self.waves == 0 || self.waves > MAX_WAVES {
            return Err(format!("waves: {} waves; give 1 to {MAX_WAVES}", self.waves));
        }
        for (field, value) in [("capacity", self.capacity), ("max_sites_per_wave", self.max_sites_per_wave)] {
            if value == Some(0) {
                return Err(format!("{field}: 0 cannot plan anything; leave it out for no limit"));
            }
        }
        let mut priorities = Vec::new();
        for priority in &self.priorities {
            if priorities.contains(priority) {
                return Err(format!("priorities: {priority:?} is listed twice").to_lowercase());
            }
            priorities.push(*priority);
        }
        for group in &self.select.groups {
            if !["ready", "fixable", "replace", "unknown"].contains(&group.as_str()) {
                return Err(format!(
                    "select.groups: '{group}' is not one of ready, fixable, replace, unknown"
                ));
            }
        }
        if self.select.groups.is_empty() {
            return Err("select.groups: empty: no device would be selected".into());
        }
        let budget_cents = match self.budget_per_wave {
            None => None,
            Some(euros) => Some(cents("budget_per_wave", euros)?),
        };
        let mut price_cents = [0; 2];
        for class in DeviceClass::ALL {
            match self.prices.get(class) {
                Some(euros) => {
                    price_cents[class.index()] = cents(&format!("prices.{}", class.name()), euros)?
                }
                None if budget_cents.is_some() => {
                    return Err(format!(
                        "prices.{}: missing: a budget needs the price of every device class",
                        class.name()
                    ))
                }
                None => {}
            }
        }
        if budget_cents == Some(0) {
            return Err("budget_per_wave: 0 cannot buy anything; leave it out for no limit".into());
        }
        let stock = [self.stock.laptop, self.stock.desktop];
        if self.technicians.len() > MAX_SPEC_ENTRIES || self.blackout.len() > MAX_SPEC_ENTRIES {
            return Err(format!("technicians, blackout: at most {MAX_SPEC_ENTRIES} entries each"));
        }
        for (name, group) in &self.technicians {
            if group.devices_per_day == 0 {
                return Err(format!("technicians.{name}.devices_per_day: 0 cannot replace anything"));
            }
            if !(group.days_per_wave > 0.0 && group.days_per_wave <= 10_000.0) {
                return Err(format!(
                    "technicians.{name}.days_per_wave: {} technician-days; give more than 0",
                    group.days_per_wave
                ));
            }
        }
        let mut blackouts = Vec::with_capacity(self.blackout.len());
        for (index, blackout) in self.blackout.iter().enumerate() {
            let field = |name: &str| format!("blackout[{index}].{name}");
            let day = |name: &str, text: &str| {
                parc_model::civil::parse_date(text.trim())
                    .ok_or_else(|| format!("{}: '{text}' is not a date (YYYY-MM-DD)", field(name)))
            };
            let (from_day, to_day) = (day("from", &blackout.from)?, day("to", &blackout.to)?);
            if to_day < from_day {
                return Err(format!(
                    "{}: {} is before from ({}): the dates are reversed",
                    field("to"),
                    blackout.to,
                    blackout.from
                ));
            }
            let kinds = blackout
                .site_kinds
                .iter()
                .map(|text| {
                    SiteKind::parse(text).ok_or_else(|| {
                        let names: Vec<_> = SiteKind::ALL.iter().map(|k| k.name()).collect();
                        format!("{}: '{text}' is not one of {}", field("site_kinds"), names.join(", "))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            blackouts.push(BlackoutRule { from_day, to_day, kinds, reason: blackout.reason.clone() });
        }
        Ok(Rules {
            start_day,
            cadence_days,
            waves: self.waves,
            capacity: self.capacity,
            max_sites: self.max_sites_per_wave,
            priorities,
            budget_cents,
            price_cents,
            stock,
            technicians: self.technicians.clone(),
            blackouts,
        })
    }
}

fn cents(field: &str, euros: f64) -> Result<u64, String> {
    if !(0.0..=1e12).contains(&euros) {
        return Err(format!("{field}: {euros} is not an amount in euros"));
    }
    Ok((euros * 100.0).round() as u64)
}

/// "1w" → 7, "10d" → 10.
pub fn parse_cadence(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let days = match (number.parse::<u32>(), unit.trim()) {
        (Ok(n), "d" | "day" | "days" | "j") => n,
        (Ok(n), "w" | "week" | "weeks" | "s") => n.saturating_mul(7),
        _ => return Err(format!("'{text}' is not a wave length such as 1w, 2w or 10d")),
    };
    if days == 0 || days > MAX_CADENCE_DAYS {
        return Err(format!("'{text}' gives {days} days; give 1 to {MAX_CADENCE_DAYS}"));
    }
    Ok(days)
}

impl Rules {
    /// The first and last day of wave `number` (1-based).
    pub fn wave_days(&self, number: u32) -> (i64, i64) {
        let first = self.start_day + i64::from(number.saturating_sub(1)) * i64::from(self.cadence_days);
        (first, first + i64::from(self.cadence_days) - 1)
    }

    /// The blackout that stops work at a site of this kind during the
    /// wave, if any: a wave touching a blackout is closed to those sites.
    pub fn blackout(&self, number: u32, kind: Option<SiteKind>) -> Option<&BlackoutRule> {
        let (first, last) = self.wave_days(number);
        self.blackouts.iter().find(|b| {
            b.from_day <= last
                && b.to_day >= first
                && (b.kinds.is_empty() || kind.is_some_and(|k| b.kinds.contains(&k)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(text: &str) -> Result<Rules, String> {
        PlanSpec::from_toml("spec.toml", text).map_err(|e| e.to_string())?.rules()
    }

    #[test]
    fn a_small_spec_compiles_into_days_and_cents() {
        let rules = rules_of(
            "start = \"2027-01-04\"\ncadence = \"2w\"\ncapacity = 40\nbudget_per_wave = 30000\n\
             [prices]\nlaptop = 1150.5\ndesktop = 800\n[[blackout]]\nfrom = \"2027-04-10\"\n\
             to = \"26/04/2027\"\nsite_kinds = [\"collège\"]\n",
        )
        .expect("rules");
        assert_eq!(rules.cadence_days, 14);
        assert_eq!(rules.price_cents, [115_050, 80_000]);
        assert_eq!(rules.budget_cents, Some(3_000_000));
        assert_eq!(parc_model::civil::iso(rules.wave_days(2).0), "2027-01-18");
        assert_eq!(rules.blackouts[0].kinds, vec![SiteKind::College]);
    }

    #[test]
    fn bad_specs_name_the_field() {
        let cases = [
            ("start = \"2027-01-04\"\ncapacity = 0\n", "capacity: 0 cannot plan anything"),
            ("start = \"2027-13-04\"\n", "start: '2027-13-04' is not a date"),
            ("cadence = \"1w\"\n", "start: missing"),
            ("start = \"2027-01-04\"\ncadence = \"weekly\"\n", "cadence: 'weekly' is not a wave length"),
            (
                "start = \"2027-01-04\"\n[[blackout]]\nfrom = \"2027-05-01\"\nto = \"2027-04-01\"\n",
                "blackout[0].to: 2027-04-01 is before from (2027-05-01): the dates are reversed",
            ),
            (
                "start = \"2027-01-04\"\n[[blackout]]\nfrom = \"2027-05-01\"\nto = \"2027-06-01\"\nsite_kinds = [\"lycée\"]\n",
                "blackout[0].site_kinds: 'lycée' is not one of",
            ),
            ("start = \"2027-01-04\"\nbudget_per_wave = 1000\n", "prices.laptop: missing"),
            (
                "start = \"2027-01-04\"\n[technicians.NORD]\ndevices_per_day = 0\ndays_per_wave = 5\n",
                "technicians.NORD.devices_per_day: 0",
            ),
            ("start = \"2027-01-04\"\nwaves = 0\n", "waves: 0 waves"),
        ];
        for (text, expected) in cases {
            let error = rules_of(text).expect_err(text);
            assert!(error.starts_with(expected), "{text}: {error}");
        }
    }

    #[test]
    fn unknown_keys_and_wrong_types_give_the_line_and_column() {
        let error = rules_of("start = \"2027-01-04\"\ncapacty = 40\n").expect_err("typo");
        assert!(error.starts_with("spec.toml line 2, column 1: unknown field `capacty`"), "{error}");
        let error = rules_of("start = \"2027-01-04\"\ncapacity = \"forty\"\n").expect_err("type");
        assert!(error.starts_with("spec.toml line 2, column 12:"), "{error}");
    }

    #[test]
    fn flags_override_the_file() {
        let mut spec =
            PlanSpec::from_toml("spec.toml", "start = \"2027-01-04\"\ncapacity = 40\n").expect("spec");
        spec.apply(&Overrides { capacity: Some(10), cadence: Some("3d".into()), ..Overrides::default() });
        let rules = spec.rules().expect("rules");
        assert_eq!((rules.capacity, rules.cadence_days), (Some(10), 3));

        let mut spec = PlanSpec::from_toml(
            "spec.toml",
            "start = \"2027-01-04\"\nwaves = 10\nmax_sites_per_wave = 4\ncapacity = 40\n",
        )
        .expect("spec");
        spec.apply(&Overrides {
            start: Some("01/02/2027".into()),
            waves: Some(3),
            max_sites_per_wave: Some(2),
            ..Overrides::default()
        });
        let rules = spec.rules().expect("rules");
        assert_eq!(parc_model::civil::iso(rules.wave_days(1).0), "2027-02-01");
        assert_eq!((rules.waves, rules.max_sites, rules.capacity), (3, Some(2), Some(40)), "capacity kept");
        spec.apply(&Overrides { start: Some("2027-13-01".into()), ..Overrides::default() });
        let error = spec.rules().expect_err("a bad date");
        assert!(error.starts_with("start: "), "{error}");
    }

    #[test]
    fn blackouts_close_the_waves_they_touch_for_their_site_kinds() {
        let rules = rules_of(
            "start = \"2027-01-04\"\n[[blackout]]\nfrom = \"2027-01-15\"\nto = \"2027-01-19\"\n\
             site_kinds = [\"college\"]\nreason = \"winter break\"\n",
        )
        .expect("rules");
        assert!(rules.blackout(1, Some(SiteKind::College)).is_none());
        assert!(rules.blackout(2, Some(SiteKind::College)).is_some());
        assert!(rules.blackout(3, Some(SiteKind::College)).is_some());
        assert!(rules.blackout(4, Some(SiteKind::College)).is_none());
        assert!(rules.blackout(2, Some(SiteKind::HeadOffice)).is_none());
    }

    #[test]
    fn the_default_spec_round_trips_through_toml() {
        let spec = PlanSpec { start: "2027-01-04".into(), ..PlanSpec::default() };
        assert_eq!(PlanSpec::from_toml("x", &spec.to_toml()).expect("spec"), spec);
    }
}
