//! Replacement: a 0-100 priority score with its reasons, and the three
//! groups of Microsoft's own Windows 11 planning: ready, fixable (enable the
//! TPM or Secure Boot, add RAM, change a disk or a battery), replace.

use super::facts::Facts;
use super::{gb, number, Checks, Dimension, Outcome};
use crate::age::AgeSource;
use crate::policy::{parse_version, Policy};
use parc_model::{Firmware, Section, SecureBoot, StorageKind};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementGroup {
    /// Can stay, Windows 11 eligible as it is.
    Ready,
    /// Can stay after work on it: a firmware setting, more RAM, an SSD.
    Fixable,
    /// Too old, or cannot run Windows 11.
    Replace,
    /// Not enough facts to say.
    Unknown,
}

impl ReplacementGroup {
    pub fn name(self) -> &'static str {
        match self {
            ReplacementGroup::Ready => "ready",
            ReplacementGroup::Fixable => "fixable",
            ReplacementGroup::Replace => "replace",
            ReplacementGroup::Unknown => "unknown",
        }
    }
}

pub(super) struct Replacement {
    pub outcome: Outcome,
    pub score: u32,
    pub group: ReplacementGroup,
}

#[derive(Default)]
struct Tally {
    checks: Checks,
    score: u32,
    replace: bool,
    fixable: bool,
}

pub(super) fn evaluate(facts: &Facts<'_>, policy: &Policy) -> Replacement {
    let rules = &policy.replacement;
    let weights = &rules.score;
    let mut tally = Tally::default();

    match &facts.age {
        Some(age) => {
            let years = age.age_years(facts.today);
            if years >= rules.max_age_years {
                tally.replace = true;
                let extra = (years - rules.max_age_years).floor() as u32;
                tally.score += weights.age + extra.saturating_mul(weights.age_per_extra_year);
                tally.checks.blocks(
                    "age",
                    "older than the replacement age",
                    format!(
                        "{} years old ≥ {} (from {}, {} confidence)",
                        number(years),
                        number(rules.max_age_years),
                        match age.source {
                            AgeSource::PurchaseDate => "the purchase date",
                            AgeSource::CpuAndBios => "the CPU's launch and the BIOS date",
                            AgeSource::Cpu => "the CPU's launch",
                            AgeSource::Bios => "the BIOS date",
                        },
                        age.confidence
                    ),
                );
            }
        }
        None => tally.checks.missing(
            "age_unknown",
            "age unknown",
            "age unknown: no purchase date, CPU or BIOS date".into(),
        ),
    }

    windows11(facts, policy, &mut tally);

    match facts.ram_at_least(rules.min_ram_gb) {
        Some(false) => {
            tally.fixable = true;
            tally.score += weights.ram_below_min;
            let ram = facts.ram_bytes().map(gb).unwrap_or_default();
            tally.checks.blocks(
                "ram_below_min",
                "RAM below the minimum",
                format!("RAM {ram} GB < {} GB", number(rules.min_ram_gb)),
            );
        }
        Some(true) => {}
        None => tally.checks.missing("ram_unknown", "RAM unknown", facts.why_unknown(Section::Memory)),
    }

    match facts.system_disk() {
        Some((_, StorageKind::Hdd)) => {
            tally.fixable = true;
            tally.score += weights.hdd_system_disk;
            tally.checks.blocks(
                "hdd_system_disk",
                "system disk is a hard drive",
                "system disk is an HDD (slow): an SSD is expected".into(),
            );
        }
        Some(_) => {}
        None => tally.checks.missing(
            "system_disk_unknown",
            "system disk unknown",
            facts.why_unknown(Section::Disks),
        ),
    }

    match facts.battery_health() {
        Some(Some(health)) if health < rules.min_battery_health_percent => {
            tally.fixable = true;
            tally.score += weights.battery_worn;
            tally.checks.blocks(
                "battery_worn",
                "battery worn",
                format!("battery health {health}% < {}%", rules.min_battery_health_percent),
            );
        }
        _ => {}
    }

    if let (Some(end), Some(os)) = (facts.os_support_end, facts.os) {
        if end < facts.today {
            // Hardware that can run a supported OS is upgraded, not replaced.
            tally.fixable = true;
            tally.score += weights.os_out_of_support;
            tally.checks.blocks(
                "os_out_of_support",
                "OS out of support",
                format!("{} {} out of support since {}", os.name, os.version, parc_model::civil::iso(end)),
            );
        }
    }

    let group = if tally.replace {
        ReplacementGroup::Replace
    } else if tally.fixable {
        ReplacementGroup::Fixable
    } else if tally.checks.state() == super::State::Unknown {
        ReplacementGroup::Unknown
    } else {
        ReplacementGroup::Ready
    };
    Replacement { outcome: tally.checks.outcome(Dimension::Replacement), score: tally.score.min(100), group }
}

/// Microsoft's Windows 11 requirements: what the hardware cannot change
/// (CPU, instruction set) means replace; what a setting or a part fixes
/// (TPM, Secure Boot, RAM, disk) means fixable.
fn windows11(facts: &Facts<'_>, policy: &Policy, tally: &mut Tally) {
    let rules = &policy.windows11;
    let weights = &policy.replacement.score;
    let mut not_eligible = false;
    let mut fixable = false;

    match (&facts.cpu_generation, facts.cpu) {
        (Some(generation), _) if !generation.windows11 => {
            not_eligible = true;
            tally.checks.blocks(
                "windows11_cpu",
                "CPU not supported by Windows 11",
                format!("CPU {} is not supported by Windows 11 (Intel 8th gen and later, AMD Ryzen 2000 and later)", generation.name),
            );
        }
        (Some(_), _) => {}
        (None, Some(cpu)) => tally.checks.missing(
            "windows11_cpu_unknown",
            "CPU generation unknown",
            format!("CPU '{}' is not in the CPU table: Windows 11 support unknown", cpu.model),
        ),
        (None, None) => tally.checks.missing(
            "windows11_cpu_unknown",
            "CPU generation unknown",
            facts.why_unknown(Section::Cpu),
        ),
    }
    if let Some(cpu) = facts.cpu {
        let missing: Vec<&str> =
            ["sse4_2", "popcnt"].into_iter().filter(|flag| !cpu.flags.iter().any(|f| f == flag)).collect();
        // Only a CPU that reported flags at all can be missing some.
        if !cpu.flags.is_empty() && !missing.is_empty() {
            not_eligible = true;
            tally.checks.blocks(
                "windows11_instructions",
                "CPU lacks instructions Windows 11 needs",
                format!(
                    "CPU lacks {} (Windows 11 needs SSE4.2 and POPCNT)",
                    missing
                        .iter()
                        .map(|f| f.to_uppercase().replace('_', "."))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
        }
    }

    let min_tpm = parse_version(&rules.min_tpm_version).unwrap_or((2, 0));
    match facts.tpm_version() {
        Some(version) if version < min_tpm => {
            fixable = true;
            let found = if version == (0, 0) {
                "no TPM".to_string()
            } else {
                format!("TPM {}.{}", version.0, version.1)
            };
            tally.checks.blocks(
                "windows11_tpm",
                "TPM below Windows 11's minimum",
                format!(
                    "{found} < TPM {}: enable the firmware TPM (PTT/fTPM) if the board has one",
                    rules.min_tpm_version
                ),
            );
        }
        Some(_) => {}
        None => {
            tally.checks.missing("windows11_tpm_unknown", "TPM unknown", facts.why_unknown(Section::Security))
        }
    }
    if let Some(security) = facts.security {
        match (security.firmware, security.secure_boot) {
            (Firmware::Bios, _) | (_, SecureBoot::Unsupported) => {
                fixable = true;
                tally.checks.blocks(
                    "windows11_uefi",
                    "legacy BIOS boot",
                    "boots in legacy BIOS mode: convert the disk (MBR2GPT) and switch the firmware to UEFI"
                        .into(),
                );
            }
            (_, SecureBoot::Off) => {
                fixable = true;
                tally.checks.blocks(
                    "windows11_secure_boot",
                    "Secure Boot off",
                    "Secure Boot is off: enable it in the firmware".into(),
                );
            }
            (_, SecureBoot::Unknown) => tally.checks.missing(
                "windows11_secure_boot_unknown",
                "Secure Boot unknown",
                "Secure Boot state unknown".into(),
            ),
            (_, SecureBoot::On) => {}
        }
    }
    if facts.ram_at_least(rules.min_ram_gb) == Some(false) {
        fixable = true;
        let ram = facts.ram_bytes().map(gb).unwrap_or_default();
        tally.checks.blocks(
            "windows11_ram",
            "RAM below Windows 11's minimum",
            format!("RAM {ram} GB < {} GB (Windows 11 minimum)", number(rules.min_ram_gb)),
        );
    }
    if let Some((size, _)) = facts.system_disk() {
        if (size as f64) < rules.min_system_disk_gb * 1e9 {
            fixable = true;
            tally.checks.blocks(
                "windows11_disk",
                "system disk below Windows 11's minimum",
                format!(
                    "system disk {} GB < {} GB (Windows 11 minimum)",
                    gb(size),
                    number(rules.min_system_disk_gb)
                ),
            );
        }
    }

    if not_eligible {
        tally.replace = true;
        tally.score += weights.windows11_not_eligible;
    } else if fixable {
        tally.fixable = true;
    }
}
