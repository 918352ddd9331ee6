//! A stored device as the planner sees it: its site, its class, its
//! priority facts and a brief reason, from the readiness rules.

use crate::readiness::DeviceFacts;
use parc_planner::{Candidate, DeviceClass};
use parc_readiness::{Dimension, ReasonKind};

/// The planner's view of one device.
pub fn candidate(facts: &DeviceFacts<'_>, today: i64) -> Candidate {
    let teleworker = facts.asset.and_then(|a| a.teleworker).unwrap_or(false);
    let readiness = &facts.readiness;
    Candidate {
        device_id: facts.summary.id,
        hostname: facts.summary.hostname.clone(),
        site: facts.site.map(|s| s.code.clone()).unwrap_or_default(),
        site_kind: facts.site.map(|s| s.kind),
        technician_group: facts.site.map(|s| s.technician_group.clone()).unwrap_or_default(),
        class: DeviceClass::of(facts.summary.chassis, teleworker),
        teleworker,
        score: readiness.replacement_score,
        age_days: readiness
            .age
            .as_ref()
            .map(|age| (today - age.since_day).clamp(0, i64::from(u32::MAX)) as u32),
        why: brief(facts, today),
        not_before_wave: None,
    }
}

/// Why the device is replaced, in a few words: "7 years old, HDD, no TPM
/// 2.0". The readiness view has the full sentences.
pub fn brief(facts: &DeviceFacts<'_>, today: i64) -> String {
    let Some(outcome) = facts.readiness.outcome(Dimension::Replacement) else { return String::new() };
    let mut words: Vec<String> = Vec::new();
    for reason in outcome.reasons.iter().filter(|r| r.kind == ReasonKind::Blocks) {
        let word = match reason.code.as_ref() {
            "age" => match &facts.readiness.age {
                Some(age) => format!("{} years old", (today - age.since_day) / 365),
                None => continue,
            },
            "hdd_system_disk" => "HDD".into(),
            "windows11_tpm" => "no TPM 2.0".into(),
            "windows11_cpu" => "CPU too old for Windows 11".into(),
            "windows11_instructions" => "CPU lacks instructions for Windows 11".into(),
            "windows11_uefi" => "legacy BIOS".into(),
            "windows11_secure_boot" => "Secure Boot off".into(),
            "ram_below_min" | "windows11_ram" => format!("RAM {}", ram_gb(facts)),
            "battery_worn" => "battery worn".into(),
            "os_out_of_support" => "OS out of support".into(),
            _ => reason.label.to_string(),
        };
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words.join(", ")
}

fn ram_gb(facts: &DeviceFacts<'_>) -> String {
    let gb = facts.summary.ram_bytes as f64 / (1u64 << 30) as f64;
    format!("{} GB", gb.round())
}
