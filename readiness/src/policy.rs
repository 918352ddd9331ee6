//! The policy: every threshold the rules use, in one TOML file, with the
//! defaults built in (from the vendors' published requirements), so that ops
//! tune the rules without a rebuild. Unknown keys are refused.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    pub replacement: ReplacementPolicy,
    pub windows11: Windows11Policy,
    pub wifi: WifiPolicy,
    pub fibre: FibrePolicy,
    pub softphone: SoftphonePolicy,
    pub telework: TeleworkPolicy,
    pub security: SecurityPolicy,
    /// When each OS version stops getting security updates. The entry with
    /// the longest matching version wins; an OS not listed is unknown.
    pub os_support: Vec<OsSupport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplacementPolicy {
    /// A PC this old (years) is due for replacement.
    pub max_age_years: f64,
    /// Below this much RAM (GB) a PC is slow for today's work.
    pub min_ram_gb: f64,
    pub min_battery_health_percent: u32,
    /// Points each finding adds to the 0-100 priority score (capped at 100).
    pub score: ReplacementScore,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplacementScore {
    pub age: u32,
    /// Points per year beyond `max_age_years`.
    pub age_per_extra_year: u32,
    pub windows11_not_eligible: u32,
    pub ram_below_min: u32,
    pub hdd_system_disk: u32,
    pub battery_worn: u32,
    pub os_out_of_support: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Windows11Policy {
    pub min_tpm_version: String,
    pub min_ram_gb: f64,
    pub min_system_disk_gb: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WifiPolicy {
    /// The oldest acceptable standard: "802.11ac" (Wi-Fi 5).
    pub min_standard: String,
    /// Advised, not required: "802.11ax" (Wi-Fi 6).
    pub recommended_standard: String,
    pub require_5ghz: bool,
    /// WPA2- or WPA3-Enterprise (802.1X), which the site networks use.
    pub require_enterprise: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FibrePolicy {
    /// A wired link negotiated below this (Mb/s) on a gigabit-era PC
    /// points at the cabling.
    pub min_wired_mbps: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SoftphonePolicy {
    pub min_cores: u32,
    pub min_ram_gb: f64,
    pub require_headset: bool,
    /// Package names (case-insensitive substrings) of the softphone client.
    pub clients: Vec<String>,
    /// Bandwidth of one call, each way (kb/s).
    pub call_kbps: u32,
    /// The share of a site's PCs on a call at the same time (percent).
    pub concurrent_calls_percent: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeleworkPolicy {
    pub min_battery_health_percent: u32,
    /// Package names (case-insensitive substrings) of the VPN client.
    pub vpn_clients: Vec<String>,
    pub require_encryption: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityPolicy {
    /// The last security update must be at most this old (days).
    pub max_days_since_update: u32,
    /// The agent must have reported within this many days.
    pub max_days_not_seen: u32,
    pub require_encryption: bool,
    pub require_secure_boot: bool,
    pub min_tpm_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsSupport {
    /// The OS name as agents report it ("Windows", "Debian GNU/Linux"),
    /// matched from the start, case-insensitive.
    pub name: String,
    /// The version, matched from the start ("10", "11 (23H2)", "12").
    pub version: String,
    /// Last day of security updates, YYYY-MM-DD.
    pub end: String,
}

impl Default for Policy {
    fn default() -> Policy {
        let os = |name: &str, version: &str, end: &str| OsSupport {
            name: name.into(),
            version: version.into(),
            end: end.into(),
        };
        Policy {
            replacement: ReplacementPolicy::default(),
            windows11: Windows11Policy::default(),
            wifi: WifiPolicy::default(),
            fibre: FibrePolicy::default(),
            softphone: SoftphonePolicy::default(),
            telework: TeleworkPolicy::default(),
            security: SecurityPolicy::default(),
            // Microsoft lifecycle (Enterprise/Education servicing for
            // Windows 11), Debian LTS, Ubuntu standard support.
            os_support: vec![
                os("Windows", "7", "2020-01-14"),
                os("Windows", "8.1", "2023-01-10"),
                os("Windows", "10", "2025-10-14"),
                os("Windows", "11 (21H2)", "2024-10-08"),
                os("Windows", "11 (22H2)", "2025-10-14"),
                os("Windows", "11 (23H2)", "2026-11-10"),
                os("Windows", "11 (24H2)", "2027-10-12"),
                os("Windows", "11 (25H2)", "2028-10-10"),
                os("Debian", "10", "2024-06-30"),
                os("Debian", "11", "2026-08-31"),
                os("Debian", "12", "2028-06-30"),
                os("Debian", "13", "2030-06-30"),
                os("Ubuntu", "20.04", "2025-05-31"),
                os("Ubuntu", "22.04", "2027-06-01"),
                os("Ubuntu", "24.04", "2029-05-31"),
            ],
        }
    }
}

impl Default for ReplacementPolicy {
    fn default() -> ReplacementPolicy {
        ReplacementPolicy {
            max_age_years: 5.0,
            min_ram_gb: 8.0,
            min_battery_health_percent: 60,
            score: ReplacementScore::default(),
        }
    }
}

impl Default for ReplacementScore {
    fn default() -> ReplacementScore {
        ReplacementScore {
            age: 35,
            age_per_extra_year: 5,
            windows11_not_eligible: 30,
            ram_below_min: 10,
            hdd_system_disk: 10,
            battery_worn: 10,
            os_out_of_support: 15,
        }
    }
}

impl Default for Windows11Policy {
    fn default() -> Windows11Policy {
        // Microsoft's Windows 11 system requirements.
        Windows11Policy { min_tpm_version: "2.0".into(), min_ram_gb: 4.0, min_system_disk_gb: 64.0 }
    }
}

impl Default for WifiPolicy {
    fn default() -> WifiPolicy {
        WifiPolicy {
            min_standard: "802.11ac".into(),
            recommended_standard: "802.11ax".into(),
            require_5ghz: true,
            require_enterprise: true,
        }
    }
}

impl Default for FibrePolicy {
    fn default() -> FibrePolicy {
        FibrePolicy { min_wired_mbps: 1000 }
    }
}

impl Default for SoftphonePolicy {
    fn default() -> SoftphonePolicy {
        SoftphonePolicy {
            min_cores: 2,
            min_ram_gb: 8.0,
            require_headset: true,
            // "MSTeams" is the new Teams' Appx package.
            clients: vec![
                "Microsoft Teams".into(),
                "MSTeams".into(),
                "Zoiper".into(),
                "3CX".into(),
                "Webex".into(),
            ],
            // G.711 with overhead, the conservative figure.
            call_kbps: 100,
            concurrent_calls_percent: 30,
        }
    }
}

impl Default for TeleworkPolicy {
    fn default() -> TeleworkPolicy {
        TeleworkPolicy {
            min_battery_health_percent: 60,
            vpn_clients: vec![
                "FortiClient".into(),
                "GlobalProtect".into(),
                "Cisco Secure Client".into(),
                "Cisco AnyConnect".into(),
                "WireGuard".into(),
                "OpenVPN".into(),
                "Stormshield".into(),
            ],
            require_encryption: true,
        }
    }
}

impl Default for SecurityPolicy {
    fn default() -> SecurityPolicy {
        SecurityPolicy {
            max_days_since_update: 45,
            max_days_not_seen: 14,
            require_encryption: true,
            require_secure_boot: true,
            min_tpm_version: "2.0".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{location}: {message}")]
pub struct PolicyError {
    pub file: String,
    /// " line L, column C" when the error has a place.
    pub location: String,
    pub message: String,
}

/// " line L, column C" of a TOML error in `text`, "" when it has no place.
pub fn toml_location(text: &str, error: &toml::de::Error) -> String {
    error
        .span()
        .map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(" line {line}, column {column}")
        })
        .unwrap_or_default()
}

/// The Wi-Fi standards in order, oldest first.
pub const WIFI_STANDARDS: [&str; 6] = ["802.11b", "802.11g", "802.11n", "802.11ac", "802.11ax", "802.11be"];

impl Policy {
    /// Reads a policy file's text; what it leaves out keeps its default.
    pub fn from_toml(file: &str, text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| PolicyError {
            file: file.to_string(),
            location: toml_location(text, &e),
            message: e.message().to_string(),
        })?;
        policy.validate().map_err(|message| PolicyError {
            file: file.to_string(),
            location: String::new(),
            message,
        })?;
        Ok(policy)
    }

    /// The policy as a TOML file, every key written out.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot write the policy: {e}\n"))
    }

    /// Checks what TOML types cannot: names, dates and ranges.
    pub fn validate(&self) -> Result<(), String> {
        for (key, standard) in [
            ("wifi.min_standard", &self.wifi.min_standard),
            ("wifi.recommended_standard", &self.wifi.recommended_standard),
        ] {
            if !WIFI_STANDARDS.contains(&standard.as_str()) {
                return Err(format!("{key}: '{standard}' is not one of {}", WIFI_STANDARDS.join(", ")));
            }
        }
        for (key, version) in [
            ("windows11.min_tpm_version", &self.windows11.min_tpm_version),
            ("security.min_tpm_version", &self.security.min_tpm_version),
        ] {
            if parse_version(version).is_none() {
                return Err(format!("{key}: '{version}' is not a version such as 2.0"));
            }
        }
        for (key, percent) in [
            ("replacement.min_battery_health_percent", self.replacement.min_battery_health_percent),
            ("telework.min_battery_health_percent", self.telework.min_battery_health_percent),
            ("softphone.concurrent_calls_percent", self.softphone.concurrent_calls_percent),
        ] {
            if percent > 100 {
                return Err(format!("{key}: {percent} is not a percentage (0-100)"));
            }
        }
        for (key, value) in [
            ("replacement.max_age_years", self.replacement.max_age_years),
            ("replacement.min_ram_gb", self.replacement.min_ram_gb),
            ("windows11.min_ram_gb", self.windows11.min_ram_gb),
            ("windows11.min_system_disk_gb", self.windows11.min_system_disk_gb),
            ("softphone.min_ram_gb", self.softphone.min_ram_gb),
        ] {
            if !(0.0..=100_000.0).contains(&value) {
                return Err(format!("{key}: {value} is out of range"));
            }
        }
        for (index, entry) in self.os_support.iter().enumerate() {
            if parc_model::civil::parse_iso(&entry.end).is_none() {
                return Err(format!("os_support[{index}].end: '{}' is not a date (YYYY-MM-DD)", entry.end));
            }
            if entry.name.trim().is_empty() {
                return Err(format!("os_support[{index}].name: is empty"));
            }
        }
        Ok(())
    }

    /// The last day of security updates for this OS, with the entry that
    /// matched; `None` when the table does not know it.
    pub fn os_support_end(&self, name: &str, version: &str) -> Option<(i64, &OsSupport)> {
        self.os_support
            .iter()
            .filter(|entry| {
                starts_with_ignore_case(name, &entry.name) && version_matches(version, &entry.version)
            })
            .max_by_key(|entry| entry.version.len())
            .and_then(|entry| parc_model::civil::parse_iso(&entry.end).map(|day| (day, entry)))
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// "11 (23H2)" matches "11" and "11 (23H2)"; "10" does not match "10.1"'s
/// sibling "100": a prefix must end at a word boundary.
fn version_matches(version: &str, prefix: &str) -> bool {
    version.starts_with(prefix)
        && version[prefix.len()..].chars().next().is_none_or(|c| matches!(c, ' ' | '(' | '.' | '-'))
}

/// "2.0" → (2, 0); "1.2" → (1, 2); "2" → (2, 0).
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().splitn(2, '.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_policy_round_trips_through_its_toml() {
        let policy = Policy::default();
        assert_eq!(policy.validate(), Ok(()));
        let text = policy.to_toml();
        assert!(text.contains("max_age_years = 5.0"), "{text}");
        assert_eq!(Policy::from_toml("policy.toml", &text), Ok(policy));
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let policy = Policy::from_toml("p.toml", "[replacement]\nmin_ram_gb = 16\n").expect("policy");
        assert_eq!(policy.replacement.min_ram_gb, 16.0);
        assert_eq!(policy.replacement.max_age_years, 5.0);
        assert_eq!(policy.wifi, WifiPolicy::default());
    }

    #[test]
    fn mistakes_name_the_file_the_place_and_the_key() {
        let error = Policy::from_toml("p.toml", "[replacement]\nmin_ram_gb = 16\nmax_age = 4\n")
            .expect_err("unknown key");
        assert!(error.to_string().starts_with("p.toml line 3, column 1: unknown field `max_age`"), "{error}");
        let error =
            Policy::from_toml("p.toml", "[wifi]\nmin_standard = \"wifi5\"\n").expect_err("bad standard");
        assert_eq!(error.to_string(), "p.toml: wifi.min_standard: 'wifi5' is not one of 802.11b, 802.11g, 802.11n, 802.11ac, 802.11ax, 802.11be");
        let error = Policy::from_toml(
            "p.toml",
            "[[os_support]]\nname = \"Windows\"\nversion = \"10\"\nend = \"soon\"\n",
        )
        .expect_err("bad date");
        assert_eq!(error.to_string(), "p.toml: os_support[0].end: 'soon' is not a date (YYYY-MM-DD)");
        let error = Policy::from_toml("p.toml", "[softphone]\nmin_cores = \"two\"\n").expect_err("bad type");
        assert!(error.to_string().starts_with("p.toml line 2, column 13:"), "{error}");
    }

    #[test]
    fn the_most_specific_os_entry_wins() {
        let policy = Policy::default();
        let end =
            |name, version| policy.os_support_end(name, version).map(|(day, _)| parc_model::civil::iso(day));
        assert_eq!(end("Windows", "11 (23H2)").as_deref(), Some("2026-11-10"));
        assert_eq!(end("Windows", "10 (22H2)").as_deref(), Some("2025-10-14"));
        assert_eq!(end("Windows", "7 SP1").as_deref(), Some("2020-01-14"));
        assert_eq!(end("Debian GNU/Linux", "12").as_deref(), Some("2028-06-30"));
        assert_eq!(end("Windows", "11 (26H1)"), None);
        assert_eq!(end("Windows", "100"), None);
        assert_eq!(end("FreeBSD", "14"), None);
    }
}
