//! Sites as planners know them (what the agents cannot see: the WAN link,
//! the fibre and Wi-Fi rollouts) and placing a device on the site whose
//! subnet matches its addresses most precisely.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// The kinds of site a département runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    HeadOffice,
    SocialServicesCentre,
    Clinic,
    College,
    Depot,
    Other,
}

impl SiteKind {
    pub const ALL: [SiteKind; 6] = [
        SiteKind::HeadOffice,
        SiteKind::SocialServicesCentre,
        SiteKind::Clinic,
        SiteKind::College,
        SiteKind::Depot,
        SiteKind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SiteKind::HeadOffice => "head_office",
            SiteKind::SocialServicesCentre => "social_services_centre",
            SiteKind::Clinic => "clinic",
            SiteKind::College => "college",
            SiteKind::Depot => "depot",
            SiteKind::Other => "other",
        }
    }

    /// The name, or the French word a spreadsheet may hold ("collège",
    /// "siège", "MDS", "PMI"), case and accents ignored.
    pub fn parse(text: &str) -> Option<SiteKind> {
        let folded = fold(text);
        let kind = match folded.as_str() {
            "head_office" | "siege" | "hq" => SiteKind::HeadOffice,
            "social_services_centre" | "social_services" | "mds" => SiteKind::SocialServicesCentre,
            "clinic" | "pmi" => SiteKind::Clinic,
            "college" => SiteKind::College,
            "depot" | "ctr" => SiteKind::Depot,
            "other" | "autre" => SiteKind::Other,
            _ => return None,
        };
        Some(kind)
    }
}

/// The site's connection to the wide-area network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WanLink {
    /// Dedicated business fibre.
    Ftto,
    Ftth,
    /// ADSL, SDSL, VDSL.
    Copper,
    #[serde(rename = "4g")]
    FourG,
    None,
}

impl WanLink {
    pub const ALL: [WanLink; 5] =
        [WanLink::Ftto, WanLink::Ftth, WanLink::Copper, WanLink::FourG, WanLink::None];

    pub fn name(self) -> &'static str {
        match self {
            WanLink::Ftto => "ftto",
            WanLink::Ftth => "ftth",
            WanLink::Copper => "copper",
            WanLink::FourG => "4g",
            WanLink::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<WanLink> {
        let folded = fold(text);
        match folded.as_str() {
            "adsl" | "sdsl" | "vdsl" | "cuivre" => Some(WanLink::Copper),
            "lte" => Some(WanLink::FourG),
            "aucun" | "aucune" => Some(WanLink::None),
            _ => WanLink::ALL.into_iter().find(|link| link.name() == folded),
        }
    }

    pub fn is_fibre(self) -> bool {
        matches!(self, WanLink::Ftto | WanLink::Ftth)
    }
}

/// Where a rollout (fibre, Wi-Fi) stands at a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "date")]
pub enum Rollout {
    /// Fibre live, Wi-Fi deployed.
    Done,
    /// Planned for this day (days since 1970-01-01).
    Planned(i64),
    /// Not planned, or no Wi-Fi.
    None,
}

impl Rollout {
    /// "live"/"deployed"/"yes", "planned:2027-03-01" (or "planned 2027-03-01"),
    /// "none"/"not planned"/"no". The planned form needs its date.
    pub fn parse(text: &str) -> Result<Rollout, String> {
        let folded = fold(text);
        if folded.starts_with("planned") || folded.starts_with("prevu") {
            // The date from the text itself: folding turns its dashes into underscores.
            let rest = text.trim().trim_start_matches(|c: char| c.is_alphabetic());
            let date = rest.trim_start_matches([':', '_', ' ', '=']);
            return match parc_model::civil::parse_iso(date) {
                Some(day) => Ok(Rollout::Planned(day)),
                None => Err(format!("'{text}': a planned rollout needs its date, as planned:YYYY-MM-DD")),
            };
        }
        match folded.as_str() {
            "live" | "deployed" | "done" | "yes" | "oui" | "en_service" | "deploye" => Ok(Rollout::Done),
            "none" | "not_planned" | "no" | "non" | "" => Ok(Rollout::None),
            _ => Err(format!("'{text}' is not one of live (or deployed), planned:YYYY-MM-DD, none")),
        }
    }
}

impl fmt::Display for Rollout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rollout::Done => f.write_str("live"),
            Rollout::Planned(day) => write!(f, "planned:{}", parc_model::civil::iso(*day)),
            Rollout::None => f.write_str("none"),
        }
    }
}

/// An IPv4 or IPv6 network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subnet {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Subnet {
    /// "10.20.0.0/16", "2a01:db8::/48". Host bits must be zero, so a typo
    /// such as 10.20.1.0/16 is caught rather than silently widened.
    pub fn parse(text: &str) -> Result<Subnet, String> {
        let text = text.trim();
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("'{text}' is not a CIDR network (such as 10.20.0.0/16)"))?;
        let network: IpAddr = address.parse().map_err(|_| format!("'{address}' is not an IP address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| format!("'/{prefix}' is not a prefix length between 0 and {max}"))?;
        let subnet = Subnet { network, prefix };
        if masked(network, prefix) != bits(network) {
            return Err(format!("'{text}' has host bits set: did you mean {}?", subnet.normalised()));
        }
        Ok(subnet)
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        address.is_ipv4() == self.network.is_ipv4() && masked(address, self.prefix) == bits(self.network)
    }

    fn normalised(&self) -> String {
        let value = masked(self.network, self.prefix);
        let network = match self.network {
            IpAddr::V4(_) => IpAddr::from((value as u32).to_be_bytes()),
            IpAddr::V6(_) => IpAddr::from(value.to_be_bytes()),
        };
        format!("{network}/{}", self.prefix)
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn bits(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn masked(address: IpAddr, prefix: u8) -> u128 {
    let width = if address.is_ipv4() { 32 } else { 128 };
    let host_bits = width - u32::from(prefix);
    if host_bits >= 128 {
        return 0;
    }
    bits(address) & !((1u128 << host_bits) - 1)
}

/// A site, as the sites import describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// Short unique code ("MDS-ETAMPES"), the key of imports and queries.
    pub code: String,
    pub name: String,
    pub kind: SiteKind,
    pub address: String,
    pub wan_link: WanLink,
    pub down_mbps: u32,
    pub up_mbps: u32,
    pub fibre: Rollout,
    pub wifi: Rollout,
    pub subnets: Vec<Subnet>,
    pub technician_group: String,
}

impl Site {
    /// The subnets as the sites file writes them: "10.20.0.0/16 10.21.0.0/16".
    pub fn subnets_text(&self) -> String {
        self.subnets.iter().map(Subnet::to_string).collect::<Vec<_>>().join(" ")
    }

    /// The fields planners follow, by name, with their values as text:
    /// what a site's change history compares.
    pub fn tracked_fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.name.clone()),
            ("kind", self.kind.name().to_string()),
            ("address", self.address.clone()),
            ("wan_link", self.wan_link.name().to_string()),
            ("down_mbps", self.down_mbps.to_string()),
            ("up_mbps", self.up_mbps.to_string()),
            ("fibre", self.fibre.to_string()),
            ("wifi", self.wifi.to_string()),
            ("subnets", self.subnets_text()),
            ("technician_group", self.technician_group.clone()),
        ]
    }

    /// What changed from `old` to `self`: (field, old value, new value).
    pub fn changes_from(&self, old: &Site) -> Vec<(&'static str, String, String)> {
        old.tracked_fields()
            .into_iter()
            .zip(self.tracked_fields())
            .filter(|((_, before), (_, after))| before != after)
            .map(|((field, before), (_, after))| (field, before, after))
            .collect()
    }
}

/// One recorded change of a site's field, with when and how it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteChange {
    pub site_code: String,
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub field: String,
    pub before: String,
    pub after: String,
    /// "import sites.csv", "parc sites set".
    pub source: String,
}

/// What an import or an edit did to the sites.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SiteImport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub changes: Vec<SiteChange>,
}

/// An edit of some fields of a site (`parc sites set`); `None` keeps the value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SiteUpdate {
    pub name: Option<String>,
    pub address: Option<String>,
    pub wan_link: Option<WanLink>,
    pub down_mbps: Option<u32>,
    pub up_mbps: Option<u32>,
    pub fibre: Option<Rollout>,
    pub wifi: Option<Rollout>,
    pub subnets: Option<Vec<Subnet>>,
    pub technician_group: Option<String>,
}

impl SiteUpdate {
    pub fn is_empty(&self) -> bool {
        *self == SiteUpdate::default()
    }

    pub fn apply(&self, site: &Site) -> Site {
        let mut updated = site.clone();
        if let Some(name) = &self.name {
            updated.name.clone_from(name);
        }
        if let Some(address) = &self.address {
            updated.address.clone_from(address);
        }
        if let Some(subnets) = &self.subnets {
            updated.subnets.clone_from(subnets);
        }
        if let Some(group) = &self.technician_group {
            updated.technician_group.clone_from(group);
        }
        updated.wan_link = self.wan_link.unwrap_or(site.wan_link);
        updated.down_mbps = self.down_mbps.unwrap_or(site.down_mbps);
        updated.up_mbps = self.up_mbps.unwrap_or(site.up_mbps);
        updated.fibre = self.fibre.unwrap_or(site.fibre);
        updated.wifi = self.wifi.unwrap_or(site.wifi);
        updated
    }
}

/// What importing `incoming` over `existing` would do, site by site: the
/// dry run of an import, and the record of a real one.
pub fn plan_import(existing: &[Site], incoming: &[Site], source: &str, now: i64) -> SiteImport {
    let mut import = SiteImport::default();
    for site in incoming {
        match existing.iter().find(|old| old.code == site.code) {
            None => import.created += 1,
            Some(old) => {
                let changes = site.changes_from(old);
                if changes.is_empty() {
                    import.unchanged += 1;
                } else {
                    import.updated += 1;
                }
                import.changes.extend(changes.into_iter().map(|(field, before, after)| SiteChange {
                    site_code: site.code.clone(),
                    at: now,
                    field: field.to_string(),
                    before,
                    after,
                    source: source.to_string(),
                }));
            }
        }
    }
    import
}

/// Finds the site of a device from its addresses: the most specific subnet
/// that contains one of them wins; ties go to the first site listed.
pub fn place<'a>(sites: &'a [Site], addresses: &[String]) -> Option<&'a Site> {
    let parsed: Vec<IpAddr> = addresses.iter().filter_map(|a| parse_address(a)).collect();
    let mut best: Option<(&Site, u8)> = None;
    for site in sites {
        for subnet in &site.subnets {
            if parsed.iter().any(|address| subnet.contains(*address))
                && best.is_none_or(|(_, prefix)| subnet.prefix > prefix)
            {
                best = Some((site, subnet.prefix));
            }
        }
    }
    best.map(|(site, _)| site)
}

/// An address as agents report it: "10.20.0.12/16", "fe80::1%3/64", or bare.
fn parse_address(text: &str) -> Option<IpAddr> {
    let address = text.split('/').next()?;
    let address = address.split('%').next()?;
    address.trim().parse().ok()
}

/// Lowercase, accents off, spaces and dashes as underscores: how free text
/// from a spreadsheet is compared with the names above.
pub fn fold(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'à' | 'â' | 'À' => 'a',
            'ô' | 'Ô' => 'o',
            'î' | 'ï' => 'i',
            'ù' | 'û' => 'u',
            'ç' => 'c',
            ' ' | '-' => '_',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(code: &str, subnets: &[&str]) -> Site {
        Site {
            code: code.into(),
            name: code.into(),
            kind: SiteKind::Other,
            address: String::new(),
            wan_link: WanLink::Copper,
            down_mbps: 20,
            up_mbps: 1,
            fibre: Rollout::None,
            wifi: Rollout::None,
            subnets: subnets.iter().map(|s| Subnet::parse(s).expect("subnet")).collect(),
            technician_group: String::new(),
        }
    }

    #[test]
    fn the_longest_matching_subnet_wins() {
        let sites =
            [site("WIDE", &["10.0.0.0/8"]), site("MDS", &["10.20.0.0/16"]), site("ROOM", &["10.20.5.0/24"])];
        let place_of = |address: &str| place(&sites, &[address.to_string()]).map(|s| s.code.as_str());
        assert_eq!(place_of("10.20.5.7/16"), Some("ROOM"));
        assert_eq!(place_of("10.20.6.7"), Some("MDS"));
        assert_eq!(place_of("10.99.0.1/16"), Some("WIDE"));
        assert_eq!(place_of("192.168.1.10/24"), None);
        assert_eq!(place_of("fe80::1%3/64"), None);
        assert_eq!(place(&sites, &[]), None);
    }

    #[test]
    fn ipv6_subnets_place_devices_too() {
        let sites = [site("V6", &["2a01:db8:20::/48"])];
        assert_eq!(place(&sites, &["2a01:db8:20:1::5/64".into()]).map(|s| s.code.as_str()), Some("V6"));
        assert_eq!(place(&sites, &["2a01:db8:21::5/64".into()]), None);
    }

    #[test]
    fn subnets_with_host_bits_are_refused_with_the_fix() {
        let error = Subnet::parse("10.20.1.0/16").expect_err("host bits");
        assert!(error.contains("did you mean 10.20.0.0/16"), "{error}");
        assert!(Subnet::parse("10.20.0.0/33").is_err());
        assert!(Subnet::parse("10.20.0.0").is_err());
        assert!(Subnet::parse("0.0.0.0/0").is_ok_and(|s| s.contains("8.8.8.8".parse().expect("ip"))));
    }

    #[test]
    fn rollouts_read_english_and_french() {
        assert_eq!(Rollout::parse("Live"), Ok(Rollout::Done));
        assert_eq!(Rollout::parse("déployé"), Ok(Rollout::Done));
        assert_eq!(
            Rollout::parse("planned:2027-03-01"),
            Ok(Rollout::Planned(parc_model::civil::to_days(2027, 3, 1).expect("date")))
        );
        assert_eq!(Rollout::parse("not planned"), Ok(Rollout::None));
        assert!(Rollout::parse("planned").is_err());
        assert!(Rollout::parse("soon").is_err());
        assert_eq!(Rollout::Planned(0).to_string(), "planned:1970-01-01");
    }

    #[test]
    fn site_changes_name_the_field_and_both_values() {
        let old = site("MDS", &["10.20.0.0/16"]);
        let mut new = old.clone();
        new.fibre = Rollout::Done;
        new.wan_link = WanLink::Ftto;
        assert_eq!(
            new.changes_from(&old),
            vec![("wan_link", "copper".into(), "ftto".into()), ("fibre", "none".into(), "live".into())]
        );
    }
}
