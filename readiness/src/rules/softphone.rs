//! Softphone: the PC can replace the desk phone (sound in and out, a
//! headset, enough CPU and RAM for meetings, a supported OS, the client
//! installed) and its site has the bandwidth for the expected calls.

use super::facts::Facts;
use super::{gb, number, Checks, Dimension, Outcome};
use crate::policy::Policy;
use parc_model::Section;

pub(super) fn evaluate(facts: &Facts<'_>, policy: &Policy) -> Outcome {
    let rules = &policy.softphone;
    let mut checks = Checks::default();

    match facts.inventory.peripherals.as_ref() {
        None => {
            checks.missing("audio_unknown", "audio devices unknown", facts.why_unknown(Section::Peripherals))
        }
        Some(peripherals) => {
            if !peripherals.audio.iter().any(|a| a.capture) {
                checks.blocks(
                    "no_microphone",
                    "no microphone",
                    "no audio capture device (microphone)".into(),
                );
            }
            if !peripherals.audio.iter().any(|a| a.playback) {
                checks.blocks("no_speaker", "no audio output", "no audio playback device".into());
            }
            if rules.require_headset && !peripherals.audio.iter().any(|a| a.headset) {
                checks.blocks(
                    "no_headset",
                    "no headset",
                    "no headset (USB, Bluetooth hands-free or call-control)".into(),
                );
            }
        }
    }

    match facts.cpu {
        Some(cpu) if cpu.physical_cores < rules.min_cores => checks.blocks(
            "softphone_cores",
            "too few CPU cores",
            format!("{} CPU cores < {}", cpu.physical_cores, rules.min_cores),
        ),
        Some(_) => {}
        None => checks.missing("cpu_unknown", "CPU unknown", facts.why_unknown(Section::Cpu)),
    }
    match facts.ram_at_least(rules.min_ram_gb) {
        Some(false) => checks.blocks(
            "softphone_ram",
            "RAM below the minimum for meetings",
            format!(
                "RAM {} GB < {} GB",
                facts.ram_bytes().map(gb).unwrap_or_default(),
                number(rules.min_ram_gb)
            ),
        ),
        Some(true) => {}
        None => checks.missing("ram_unknown", "RAM unknown", facts.why_unknown(Section::Memory)),
    }
    supported_os(facts, &mut checks);

    match facts.installed(&rules.clients) {
        Some(Some(_)) => {}
        Some(None) => checks.blocks(
            "softphone_client_missing",
            "softphone client not installed",
            format!("softphone client not installed (looked for {})", rules.clients.join(", ")),
        ),
        None => checks.missing("software_unknown", "software unknown", facts.why_unknown(Section::Software)),
    }

    if let Some(site) = facts.site {
        let calls = (u64::from(site.devices_on_site) * u64::from(rules.concurrent_calls_percent))
            .div_ceil(100)
            .max(1);
        let needed_kbps = calls * u64::from(rules.call_kbps);
        let available_kbps = u64::from(site.site.up_mbps.min(site.site.down_mbps)) * 1000;
        if available_kbps == 0 {
            checks.missing(
                "site_bandwidth_unknown",
                "site bandwidth unknown",
                format!("bandwidth of {} not in the sites file", site.site.code),
            );
        } else if available_kbps < needed_kbps {
            checks.blocks(
                "site_bandwidth",
                "site bandwidth too low for the calls",
                format!(
                    "{} has {} Mb/s up, {calls} concurrent calls need {} Mb/s",
                    site.site.code,
                    site.site.up_mbps.min(site.site.down_mbps),
                    number(needed_kbps as f64 / 1000.0)
                ),
            );
        }
    } else {
        checks.missing(
            "site_unknown",
            "site unknown",
            "no site: no subnet of a site matches its addresses".into(),
        );
    }
    checks.outcome(Dimension::Softphone)
}

/// An OS that still gets security updates, per the policy's table.
pub(super) fn supported_os(facts: &Facts<'_>, checks: &mut Checks) {
    match (facts.os, facts.os_support_end) {
        (Some(os), Some(end)) if end < facts.today => checks.blocks(
            "os_out_of_support",
            "OS out of support",
            format!("{} {} out of support since {}", os.name, os.version, parc_model::civil::iso(end)),
        ),
        (Some(_), Some(_)) => {}
        (Some(os), None) => checks.missing(
            "os_support_unknown",
            "OS not in the support table",
            format!("{} {} is not in the policy's os_support table", os.name, os.version),
        ),
        (None, _) => checks.missing("os_unknown", "OS unknown", facts.why_unknown(Section::Os)),
    }
}
