//! Security: the hardening baseline. A supported OS, recent security
//! updates, an encrypted disk, Secure Boot, TPM 2.0, an agent that reports.

use super::facts::Facts;
use super::{Checks, Dimension, Outcome};
use crate::policy::{parse_version, Policy};
use parc_model::{Section, SecureBoot};

pub(super) fn evaluate(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let rules = &policy.security;
    let mut checks = Checks::default();
    super::softphone::supported_os(facts, &mut checks);

    match facts.os.map(|os| os.last_security_update) {
        Some(0) => checks.missing(
            "security_update_unknown",
            "last security update unknown",
            "the OS does not record its last security update".into(),
        ),
        Some(at) => {
            let days = (facts.now - at).div_euclid(86_400);
            if days > i64::from(rules.max_days_since_update) {
                checks.blocks(
                    "security_update_old",
                    "security updates late",
                    format!("last security update {days} days ago > {} days", rules.max_days_since_update),
                );
            }
        }
        None => {}
    }
    if rules.require_encryption {
        super::telework::encryption(facts, &mut checks);
    }
    if let Some(security) = facts.security {
        if rules.require_secure_boot {
            match security.secure_boot {
                SecureBoot::On => {}
                SecureBoot::Off => {
                    checks.blocks("secure_boot_off", "Secure Boot off", "Secure Boot is off".into())
                }
                SecureBoot::Unsupported => checks.blocks(
                    "secure_boot_unsupported",
                    "legacy BIOS boot",
                    "legacy BIOS boot: Secure Boot cannot be on".into(),
                ),
                SecureBoot::Unknown => checks.missing(
                    "secure_boot_unknown",
                    "Secure Boot unknown",
                    "Secure Boot state unknown".into(),
                ),
            }
        }
    }
    let min_tpm = parse_version(&rules.min_tpm_version).unwrap_or((2, 0));
    match facts.tpm_version() {
        Some((0, 0)) => {
            checks.blocks("no_tpm", "no TPM", "no TPM: keys and BitLocker have no hardware protection".into())
        }
        Some(version) if version < min_tpm => checks.blocks(
            "tpm_old",
            "TPM below the minimum",
            format!("TPM {}.{} < {}", version.0, version.1, rules.min_tpm_version),
        ),
        Some(_) => {}
        None => checks.missing("tpm_unknown", "TPM unknown", facts.why_unknown(Section::Security)),
    }
    match facts.last_seen_at {
        Some(at) => {
            let days = (facts.now - at).div_euclid(86_400);
            if days > i64::from(rules.max_days_not_seen) {
                checks.blocks(
                    "not_seen",
                    "agent not reporting",
                    format!("agent last reported {days} days ago > {} days", rules.max_days_not_seen),
                );
            }
        }
        None => checks.blocks("never_seen", "agent never reported", "the agent never reported".into()),
    }
    checks.outcome(Dimension::Security)
}
