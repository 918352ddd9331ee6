//! How old a PC is, honestly: the date it most likely entered service, where
//! that date comes from, and how far to trust it.
//!
//! The obvious clue, the BIOS release date, lies in one direction: a BIOS
//! update moves it forward, so a 2011 laptop running a 2018 BIOS looks seven
//! years younger than it is. The CPU's launch year (see [`crate::cpu`]) bounds
//! that: a PC cannot predate its CPU, and business models ship for about two
//! years after the CPU's launch. So the BIOS date is believed only when it
//! falls inside that window. The purchase date from the asset register beats
//! both. Pure: no clock (the caller passes "today" as a day number), no I/O.

use std::fmt;

use parc_model::{civil, Cpu};
use serde::Serialize;

use crate::cpu::{self, CpuGeneration};

/// Business models of a CPU generation ship for about this many years after
/// its launch; a BIOS dated later than that has been updated.
const SHIPPING_YEARS: i64 = 2;

/// A BIOS date before this year is a zeroed or placeholder date (no PC
/// running an inventory agent today has a 1980s BIOS): treated as absent.
const EARLIEST_PLAUSIBLE_BIOS_YEAR: i64 = 1990;

/// The mean length of a Gregorian year, for age in years.
const DAYS_PER_YEAR: f64 = 365.2425;

/// What is known about a PC that tells its age; any part may be missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct AgeEvidence<'a> {
    /// The purchase date from the asset register, days since 1970-01-01.
    pub purchase_day: Option<i64>,
    /// The CPU as the agent reported it.
    pub cpu: Option<&'a Cpu>,
    /// The BIOS release date as `parc_model::System` stores it (ISO `YYYY-MM-DD`).
    pub bios_release_date: Option<&'a str>,
}

/// Which evidence gave the estimate's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeSource {
    /// The asset register's purchase date.
    PurchaseDate,
    /// The BIOS date, confirmed by the CPU's launch year.
    CpuAndBios,
    /// The CPU's launch year alone (the BIOS date missing, updated or implausible).
    Cpu,
    /// The BIOS date alone (the CPU not recognised).
    Bios,
}

/// How far to trust an estimate; shown beside every age so a manager knows
/// which ones to check before acting on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        })
    }
}

/// When a PC most likely entered service, and why we think so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeEstimate {
    /// Days since 1970-01-01 (see `parc_model::civil`).
    pub since_day: i64,
    pub source: AgeSource,
    pub confidence: Confidence,
    /// One sentence for a manager, naming the values used.
    pub evidence: String,
}

impl AgeEstimate {
    /// The PC's age in years on `today_day`; never negative (a purchase date
    /// after "today" is an age of zero, not a negative one).
    pub fn age_years(&self, today_day: i64) -> f64 {
        (today_day.saturating_sub(self.since_day) as f64 / DAYS_PER_YEAR).max(0.0)
    }
}

/// Estimates when a PC entered service from the best evidence available:
///
/// 1. a purchase date: that date, high confidence;
/// 2. CPU launch year L and BIOS year B with L <= B <= L+2: the BIOS date,
///    medium (the BIOS matches what shipped with the CPU);
/// 3. B > L+2: the BIOS was updated, so it says nothing about the PC's age:
///    July 1st of L+1, low;
/// 4. B < L: the BIOS date is a placeholder; a BIOS that old suggests an early
///    machine, so July 1st of L, low;
/// 5. CPU only: July 1st of L+1 (the middle of the shipping window, the same
///    rule as an updated BIOS, which carries no more information), low;
/// 6. BIOS only: the BIOS date, low, because an update makes a PC look younger;
/// 7. nothing: `None`.
///
/// An unparseable BIOS date, or one before 1990, counts as absent.
pub fn estimate(evidence: &AgeEvidence) -> Option<AgeEstimate> {
    estimate_with(evidence, evidence.cpu.and_then(cpu::identify))
}

/// [`estimate`] with the CPU already identified (the rules identify it once
/// per device for both the age and Windows 11).
pub fn estimate_with(evidence: &AgeEvidence, generation: Option<CpuGeneration>) -> Option<AgeEstimate> {
    if let Some(day) = evidence.purchase_day {
        return Some(AgeEstimate {
            since_day: day,
            source: AgeSource::PurchaseDate,
            confidence: Confidence::High,
            evidence: format!("Purchased on {} (asset register)", civil::iso(day)),
        });
    }
    let bios = evidence.bios_release_date.and_then(parse_bios_date);
    match (generation, bios) {
        (Some(generation), Some(bios)) => from_cpu_and_bios(&generation, bios),
        (Some(generation), None) => {
            let year = i64::from(generation.launch_year) + 1;
            Some(AgeEstimate {
                since_day: mid_year(year)?,
                source: AgeSource::Cpu,
                confidence: Confidence::Low,
                evidence: format!(
                    "CPU {} launched {}; no usable BIOS date, so the PC is dated to about mid-{year}, \
                     a year into that CPU's shipping window",
                    generation.name, generation.launch_year
                ),
            })
        }
        (None, Some(bios)) => Some(AgeEstimate {
            since_day: bios,
            source: AgeSource::Bios,
            confidence: Confidence::Low,
            evidence: format!(
                "BIOS dated {} is the only clue (CPU not recognised); a BIOS update makes a PC look \
                 younger, so it may be older",
                civil::iso(bios)
            ),
        }),
        (None, None) => None,
    }
}

/// Rules 2 to 4: the CPU's launch year decides whether the BIOS date is believed.
fn from_cpu_and_bios(generation: &CpuGeneration, bios: i64) -> Option<AgeEstimate> {
    let launch = i64::from(generation.launch_year);
    let bios_year = civil::from_days(bios).0;
    let name = &generation.name;
    let bios_iso = civil::iso(bios);
    let estimate = if bios_year < launch {
        AgeEstimate {
            since_day: mid_year(launch)?,
            source: AgeSource::Cpu,
            confidence: Confidence::Low,
            evidence: format!(
                "CPU {name} launched {launch}; BIOS dated {bios_iso} is earlier than the CPU (a placeholder), \
                 so the PC is dated to about mid-{launch}"
            ),
        }
    } else if bios_year <= launch + SHIPPING_YEARS {
        AgeEstimate {
            since_day: bios,
            source: AgeSource::CpuAndBios,
            confidence: Confidence::Medium,
            evidence: format!(
                "CPU {name} launched {launch}; BIOS dated {bios_iso} fits, so the PC dates from about then"
            ),
        }
    } else {
        let year = launch + 1;
        AgeEstimate {
            since_day: mid_year(year)?,
            source: AgeSource::Cpu,
            confidence: Confidence::Low,
            evidence: format!(
                "CPU {name} launched {launch}; BIOS dated {bios_iso} is a later update, so the PC is dated \
                 from the CPU to about mid-{year}"
            ),
        }
    };
    Some(estimate)
}

/// July 1st of `year`, the middle of a year known only as a year.
fn mid_year(year: i64) -> Option<i64> {
    civil::to_days(year, 7, 1)
}

/// The day number of a stored BIOS date; `None` when it is not a real,
/// plausible date.
fn parse_bios_date(text: &str) -> Option<i64> {
    let day = civil::parse_iso(text.trim())?;
    (civil::from_days(day).0 >= EARLIEST_PLAUSIBLE_BIOS_YEAR).then_some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(iso: &str) -> i64 {
        civil::parse_iso(iso).expect("test dates are valid")
    }

    fn cpu(model: &str) -> Cpu {
        Cpu { model: model.to_string(), ..Cpu::default() }
    }

    fn check(
        evidence: AgeEvidence,
        expected: Option<(&str, AgeSource, Confidence)>,
        evidence_text: &str,
    ) -> Option<AgeEstimate> {
        let got = estimate(&evidence);
        let summary = got.as_ref().map(|e| (civil::iso(e.since_day), e.source, e.confidence));
        assert_eq!(summary, expected.map(|(iso, s, c)| (iso.to_string(), s, c)));
        if let Some(got) = &got {
            assert_eq!(got.evidence, evidence_text);
        }
        got
    }

    const SANDY: &str = "Intel(R) Core(TM) i5-2540M CPU @ 2.60GHz";

    #[test]
    fn purchase_date_wins() {
        let cpu = cpu(SANDY);
        check(
            AgeEvidence {
                purchase_day: Some(day("2012-03-15")),
                cpu: Some(&cpu),
                bios_release_date: Some("2018-03-02"),
            },
            Some(("2012-03-15", AgeSource::PurchaseDate, Confidence::High)),
            "Purchased on 2012-03-15 (asset register)",
        );
    }

    #[test]
    fn bios_inside_the_shipping_window_is_believed() {
        let cpu = cpu(SANDY);
        for bios in ["2011-01-01", "2011-10-18", "2013-12-31"] {
            let got = estimate(&AgeEvidence {
                cpu: Some(&cpu),
                bios_release_date: Some(bios),
                ..Default::default()
            });
            let got = got.expect("an estimate");
            assert_eq!(
                (civil::iso(got.since_day), got.source, got.confidence),
                (bios.to_string(), AgeSource::CpuAndBios, Confidence::Medium)
            );
        }
        check(
            AgeEvidence { cpu: Some(&cpu), bios_release_date: Some("2011-10-18"), ..Default::default() },
            Some(("2011-10-18", AgeSource::CpuAndBios, Confidence::Medium)),
            "CPU Intel Core 2nd gen (Sandy Bridge) launched 2011; BIOS dated 2011-10-18 fits, so the PC dates from about then",
        );
    }

    #[test]
    fn an_updated_bios_does_not_make_the_pc_younger() {
        let cpu = cpu(SANDY);
        check(
            AgeEvidence { cpu: Some(&cpu), bios_release_date: Some("2018-03-02"), ..Default::default() },
            Some(("2012-07-01", AgeSource::Cpu, Confidence::Low)),
            "CPU Intel Core 2nd gen (Sandy Bridge) launched 2011; BIOS dated 2018-03-02 is a later update, \
             so the PC is dated from the CPU to about mid-2012",
        );
    }

    #[test]
    fn a_bios_older_than_the_cpu_is_a_placeholder() {
        let cpu = cpu(SANDY);
        check(
            AgeEvidence { cpu: Some(&cpu), bios_release_date: Some("2009-01-01"), ..Default::default() },
            Some(("2011-07-01", AgeSource::Cpu, Confidence::Low)),
            "CPU Intel Core 2nd gen (Sandy Bridge) launched 2011; BIOS dated 2009-01-01 is earlier than the CPU \
             (a placeholder), so the PC is dated to about mid-2011",
        );
    }

    #[test]
    fn cpu_alone_or_bios_alone_is_low_confidence() {
        let sandy = cpu(SANDY);
        let cpu_only =
            "CPU Intel Core 2nd gen (Sandy Bridge) launched 2011; no usable BIOS date, so the PC is \
                        dated to about mid-2012, a year into that CPU's shipping window";
        for bios in [None, Some(""), Some("garbage"), Some("2018-02-30"), Some("1980-01-01")] {
            check(
                AgeEvidence { cpu: Some(&sandy), bios_release_date: bios, ..Default::default() },
                Some(("2012-07-01", AgeSource::Cpu, Confidence::Low)),
                cpu_only,
            );
        }
        let unknown = cpu("QEMU Virtual CPU version 2.5+");
        let bios_only =
            "BIOS dated 2018-03-02 is the only clue (CPU not recognised); a BIOS update makes a PC \
                         look younger, so it may be older";
        for cpu in [None, Some(&unknown)] {
            check(
                AgeEvidence { cpu, bios_release_date: Some(" 2018-03-02 "), ..Default::default() },
                Some(("2018-03-02", AgeSource::Bios, Confidence::Low)),
                bios_only,
            );
        }
    }

    #[test]
    fn nothing_known_is_none() {
        let unknown = cpu("pc-q35-8.2");
        check(AgeEvidence::default(), None, "");
        check(
            AgeEvidence { cpu: Some(&unknown), bios_release_date: Some("n/a"), ..Default::default() },
            None,
            "",
        );
    }

    #[test]
    fn age_in_years_is_never_negative() {
        let estimate = AgeEstimate {
            since_day: day("2020-01-01"),
            source: AgeSource::Bios,
            confidence: Confidence::Low,
            evidence: String::new(),
        };
        assert_eq!(estimate.age_years(day("2019-01-01")), 0.0);
        assert_eq!(estimate.age_years(day("2020-01-01")), 0.0);
        let five = estimate.age_years(day("2025-01-01"));
        assert!((five - 5.0).abs() < 0.01, "{five}");
        assert_eq!(estimate.age_years(i64::MIN), 0.0);
        assert!(estimate.age_years(i64::MAX).is_finite());
    }

    #[test]
    fn labels_are_snake_case() {
        assert_eq!(Confidence::Medium.to_string(), "medium");
        let json = serde_json_like(&AgeSource::CpuAndBios);
        assert_eq!(json, "cpu_and_bios");
    }

    /// The serde name of a unit variant, without a JSON dependency: TOML
    /// (already a dependency of the crate) serialises it as a bare string.
    fn serde_json_like<T: Serialize>(value: &T) -> String {
        #[derive(Serialize)]
        struct Wrap<'a, T> {
            v: &'a T,
        }
        let text = toml::to_string(&Wrap { v: value }).expect("serialisable");
        text.trim().trim_start_matches("v = ").trim_matches('"').to_string()
    }
}
