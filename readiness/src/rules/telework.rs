//! Telework: a laptop that holds a charge, reaches Wi-Fi, has the VPN
//! client, and whose disk is encrypted should it be lost or stolen.

use super::facts::Facts;
use super::network::WifiAdapter;
use super::{Checks, Dimension, Outcome, ReasonKind};
use crate::policy::Policy;
use parc_model::{ChassisKind, DiskEncryption, Section};

pub(super) fn evaluate(facts: &Facts<'_>, policy: &Policy, adapter: &WifiAdapter) -> Outcome {
    let rules = &policy.telework;
    let mut checks = Checks::default();
    match facts.chassis() {
        Some(ChassisKind::Laptop | ChassisKind::Tablet) => {}
        Some(other) => {
            let what = if other == ChassisKind::VirtualMachine { "virtual machine" } else { other.label() };
            checks.blocks("not_a_laptop", "not a laptop", format!("a {what} cannot go home"))
        }
        None => checks.missing("chassis_unknown", "chassis unknown", facts.why_unknown(Section::System)),
    }
    match facts.battery_health() {
        Some(Some(health)) if health < rules.min_battery_health_percent => checks.blocks(
            "battery_worn",
            "battery worn",
            format!("battery health {health}% < {}%", rules.min_battery_health_percent),
        ),
        Some(Some(_)) => {}
        // A desktop has no battery: the chassis check already says so.
        Some(None) => {
            if matches!(facts.chassis(), Some(ChassisKind::Laptop | ChassisKind::Tablet)) {
                checks.blocks("no_battery", "no battery", "no battery found".into());
            }
        }
        None => checks.missing("battery_unknown", "battery unknown", facts.why_unknown(Section::Batteries)),
    }
    match adapter.ready() {
        Some(true) => {}
        Some(false) => {
            for reason in adapter.reasons.iter().filter(|r| r.kind == ReasonKind::Blocks) {
                checks.reasons.push(reason.clone());
            }
        }
        None => checks.missing(
            "wifi_capabilities_unknown",
            "Wi-Fi capabilities unknown",
            "Wi-Fi readiness unknown".into(),
        ),
    }
    match facts.installed(&rules.vpn_clients) {
        Some(Some(_)) => {}
        Some(None) => checks.blocks(
            "vpn_client_missing",
            "VPN client not installed",
            format!("VPN client not installed (looked for {})", rules.vpn_clients.join(", ")),
        ),
        None => checks.missing("software_unknown", "software unknown", facts.why_unknown(Section::Software)),
    }
    if rules.require_encryption {
        encryption(facts, &mut checks);
    }
    checks.outcome(Dimension::Telework)
}

/// BitLocker or LUKS on the system disk.
pub(super) fn encryption(facts: &Facts<'_>, checks: &mut Checks) {
    match facts.security.map(|s| s.system_disk_encryption) {
        Some(DiskEncryption::Bitlocker | DiskEncryption::Luks | DiskEncryption::Other) => {}
        Some(DiskEncryption::None) => checks.blocks(
            "disk_not_encrypted",
            "system disk not encrypted",
            "system disk not encrypted (BitLocker or LUKS expected)".into(),
        ),
        Some(DiskEncryption::Unknown) => checks.missing(
            "encryption_unknown",
            "encryption unknown",
            "system disk encryption unknown".into(),
        ),
        None => {
            checks.missing("encryption_unknown", "encryption unknown", facts.why_unknown(Section::Security))
        }
    }
}
