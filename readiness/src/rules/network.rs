//! Wi-Fi and fibre. Both join what the PC can do (its adapters) with where
//! the site's rollout stands.

use super::facts::Facts;
use super::{Checks, Dimension, Outcome, Reason, ReasonKind};
use crate::policy::{Policy, WIFI_STANDARDS};
use crate::site::Rollout;
use parc_model::{InterfaceKind, Section};

/// The PC's own side of Wi-Fi readiness: its best adapter against the
/// policy. Shared by the Wi-Fi, fibre and telework rules.
pub(super) struct WifiAdapter {
    pub reasons: Vec<Reason>,
}

impl WifiAdapter {
    pub fn ready(&self) -> Option<bool> {
        if self.reasons.iter().any(|r| r.kind == ReasonKind::Blocks) {
            Some(false)
        } else if self.reasons.iter().any(|r| r.kind == ReasonKind::Missing) {
            None
        } else {
            Some(true)
        }
    }
}

fn rank(standard: &str) -> Option<usize> {
    WIFI_STANDARDS.iter().position(|s| *s == standard)
}

pub(super) fn wifi_adapter(facts: &Facts<'_>, policy: &Policy) -> WifiAdapter {
    let rules = &policy.wifi;
    let mut checks = Checks::default();
    let Some(interfaces) = facts.inventory.network_interfaces.as_ref() else {
        checks.missing(
            "network_unknown",
            "network adapters unknown",
            facts.why_unknown(Section::NetworkInterfaces),
        );
        return WifiAdapter { reasons: checks.reasons };
    };
    let wireless: Vec<_> = interfaces.iter().filter(|i| i.kind == InterfaceKind::Wireless).collect();
    if wireless.is_empty() {
        checks.blocks("no_wifi_adapter", "no Wi-Fi adapter", "no Wi-Fi adapter".into());
        return WifiAdapter { reasons: checks.reasons };
    }
    // The best adapter by its newest standard; adapters whose capabilities
    // could not be read only count when no other can decide.
    let best = wireless
        .iter()
        .filter_map(|i| i.wifi.as_ref().map(|caps| (i, caps)))
        .max_by_key(|(_, caps)| caps.standards.iter().filter_map(|s| rank(s)).max());
    let Some((adapter, caps)) = best else {
        let names: Vec<_> = wireless.iter().map(|i| i.name.as_str()).collect();
        checks.missing(
            "wifi_capabilities_unknown",
            "Wi-Fi capabilities unknown",
            format!("Wi-Fi adapter {} did not report its capabilities", names.join(", ")),
        );
        return WifiAdapter { reasons: checks.reasons };
    };
    let newest = caps.standards.iter().filter_map(|s| rank(s)).max();
    let min = rank(&rules.min_standard).unwrap_or(3);
    let recommended = rank(&rules.recommended_standard).unwrap_or(4);
    let newest_name = newest.map_or("no known standard", |i| WIFI_STANDARDS[i]);
    match newest {
        Some(n) if n >= min => {
            if n < recommended {
                checks.advise(
                    "wifi_below_recommended",
                    "Wi-Fi below the recommended standard",
                    format!("{}: {newest_name} < {} (recommended)", adapter.name, rules.recommended_standard),
                );
            }
        }
        _ => checks.blocks(
            "wifi_standard_too_old",
            "Wi-Fi standard too old",
            format!("{}: {newest_name} < {}", adapter.name, rules.min_standard),
        ),
    }
    if rules.require_5ghz && !caps.bands.iter().any(|b| b == "5GHz") {
        checks.blocks(
            "wifi_no_5ghz",
            "no 5 GHz band",
            format!("{}: no 5 GHz band ({})", adapter.name, caps.bands.join(", ")),
        );
    }
    if rules.require_enterprise && !caps.wpa2_enterprise && !caps.wpa3_enterprise {
        checks.blocks(
            "wifi_no_enterprise",
            "no WPA2/WPA3-Enterprise",
            format!("{}: no WPA2- or WPA3-Enterprise (802.1X) support", adapter.name),
        );
    }
    WifiAdapter { reasons: checks.reasons }
}

/// The codes and labels of a rollout's findings (Wi-Fi or fibre).
struct RolloutFindings {
    what: &'static str,
    planned: (&'static str, &'static str),
    not_planned: (&'static str, &'static str),
}

const WIFI_ROLLOUT: RolloutFindings = RolloutFindings {
    what: "Wi-Fi",
    planned: ("site_wifi_planned", "site Wi-Fi planned, not deployed"),
    not_planned: ("site_wifi_none", "no Wi-Fi planned at the site"),
};

const FIBRE_ROLLOUT: RolloutFindings = RolloutFindings {
    what: "fibre",
    planned: ("site_fibre_planned", "site fibre planned, not live"),
    not_planned: ("site_fibre_none", "no fibre planned at the site"),
};

/// The site's side of a rollout, as a finding.
fn site_rollout(
    checks: &mut Checks,
    facts: &Facts<'_>,
    rollout: Option<Rollout>,
    findings: &RolloutFindings,
) {
    let Some(site) = facts.site else {
        checks.missing(
            "site_unknown",
            "site unknown",
            "no site: no subnet of a site matches its addresses".into(),
        );
        return;
    };
    match rollout {
        Some(Rollout::Done) | None => {}
        Some(Rollout::Planned(day)) => checks.blocks(
            findings.planned.0,
            findings.planned.1,
            format!("{} at {} planned for {}", findings.what, site.site.code, parc_model::civil::iso(day)),
        ),
        Some(Rollout::None) => checks.blocks(
            findings.not_planned.0,
            findings.not_planned.1,
            format!("{} at {} not planned", findings.what, site.site.code),
        ),
    }
}

pub(super) fn wifi(facts: &Facts<'_>, adapter: &WifiAdapter) -> Outcome {
    let mut checks = Checks { reasons: adapter.reasons.clone() };
    let rollout = facts.site.map(|s| s.site.wifi);
    site_rollout(&mut checks, facts, rollout, &WIFI_ROLLOUT);
    checks.outcome(Dimension::Wifi)
}

pub(super) fn fibre(facts: &Facts<'_>, policy: &Policy, adapter: &WifiAdapter) -> Outcome {
    let mut checks = Checks::default();
    if let Some(site) = facts.site {
        if site.site.fibre == Rollout::Done && !site.site.wan_link.is_fibre() {
            checks.blocks(
                "site_link_not_fibre",
                "site link not fibre yet",
                format!(
                    "fibre at {} is live but the link is still {}",
                    site.site.code,
                    site.site.wan_link.name()
                ),
            );
        }
    }
    let fibre = facts.site.map(|s| if s.site.wan_link.is_fibre() { Rollout::Done } else { s.site.fibre });
    site_rollout(&mut checks, facts, fibre, &FIBRE_ROLLOUT);

    // The PC's side: a gigabit wired link, or Wi-Fi that can take over.
    let min = policy.fibre.min_wired_mbps;
    match facts.inventory.network_interfaces.as_ref() {
        None => checks.missing(
            "network_unknown",
            "network adapters unknown",
            facts.why_unknown(Section::NetworkInterfaces),
        ),
        Some(interfaces) => {
            let wired: Vec<_> = interfaces.iter().filter(|i| i.kind == InterfaceKind::Wired).collect();
            let fastest =
                wired.iter().filter_map(|i| i.link_speed_mbps.map(|s| (s, *i))).max_by_key(|(s, _)| *s);
            match (fastest, adapter.ready()) {
                (Some((speed, _)), _) if speed >= min => {}
                (_, Some(true)) => {}
                (Some((speed, interface)), wifi) => {
                    checks.blocks(
                        "wired_link_slow",
                        "wired link below a gigabit",
                        format!("{}: link negotiated at {speed} Mb/s < {min} Mb/s: check the cable and the switch port", interface.name),
                    );
                    if wifi.is_none() {
                        checks.missing(
                            "wifi_capabilities_unknown",
                            "Wi-Fi capabilities unknown",
                            "Wi-Fi adapter capabilities unknown".into(),
                        );
                    }
                }
                (None, None) => checks.missing(
                    "no_wired_link",
                    "no wired link up",
                    "no wired link up, and the Wi-Fi adapter's capabilities are unknown".into(),
                ),
                (None, Some(false)) => checks.blocks(
                    "no_fast_link",
                    "no gigabit link, no ready Wi-Fi",
                    "no wired link up and no Wi-Fi adapter ready for the site network".into(),
                ),
            }
        }
    }
    checks.outcome(Dimension::Fibre)
}
