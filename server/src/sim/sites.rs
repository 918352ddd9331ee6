//! The sites of the simulated département: a head office, social-services
//! centres (MDS), mother-and-child clinics (PMI), collèges and road depots,
//! each with its subnet and its weight in the fleet.

/// The kinds of site, as planners name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    HeadOffice,
    SocialServicesCentre,
    Clinic,
    College,
    Depot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSite {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: SiteKind,
    /// Short prefix for hostnames (NetBIOS names stop at 15 characters).
    pub host_prefix: &'static str,
    /// Relative number of PCs.
    pub weight: u32,
    /// First two octets and third-octet base of the site's IPv4 range.
    pub subnet: (u8, u8),
    /// Share of laptops, in percent.
    pub laptop_percent: u32,
}

const fn site(
    code: &'static str,
    name: &'static str,
    kind: SiteKind,
    host_prefix: &'static str,
    weight: u32,
    subnet: (u8, u8),
    laptop_percent: u32,
) -> SimSite {
    SimSite { code, name, kind, host_prefix, weight, subnet, laptop_percent }
}

use SiteKind::*;

/// 41 sites; head office about a third of the fleet.
pub const SITES: &[SimSite] = &[
    site("SIEGE-EVRY", "Hôtel du Département, Évry-Courcouronnes", HeadOffice, "SIEGE", 700, (10, 1), 45),
    site("MDS-ETAMPES", "MDS d'Étampes", SocialServicesCentre, "METAMP", 40, (10, 20), 35),
    site("MDS-MASSY", "MDS de Massy", SocialServicesCentre, "MMASSY", 45, (10, 21), 35),
    site("MDS-CORBEIL", "MDS de Corbeil-Essonnes", SocialServicesCentre, "MCORBE", 50, (10, 22), 35),
    site("MDS-EVRY", "MDS d'Évry", SocialServicesCentre, "MEVRY", 45, (10, 23), 35),
    site("MDS-JUVISY", "MDS de Juvisy-sur-Orge", SocialServicesCentre, "MJUVIS", 35, (10, 24), 35),
    site("MDS-PALAISEAU", "MDS de Palaiseau", SocialServicesCentre, "MPALAI", 35, (10, 25), 35),
    site("MDS-ULIS", "MDS des Ulis", SocialServicesCentre, "MULIS", 30, (10, 26), 35),
    site("MDS-BRETIGNY", "MDS de Brétigny-sur-Orge", SocialServicesCentre, "MBRETI", 30, (10, 27), 35),
    site("MDS-DRAVEIL", "MDS de Draveil", SocialServicesCentre, "MDRAVE", 25, (10, 28), 35),
    site("MDS-MONTGERON", "MDS de Montgeron", SocialServicesCentre, "MMONTG", 25, (10, 29), 35),
    site("MDS-SAVIGNY", "MDS de Savigny-sur-Orge", SocialServicesCentre, "MSAVIG", 30, (10, 30), 35),
    site("MDS-ARPAJON", "MDS d'Arpajon", SocialServicesCentre, "MARPAJ", 25, (10, 31), 35),
    site("MDS-DOURDAN", "MDS de Dourdan", SocialServicesCentre, "MDOURD", 15, (10, 32), 35),
    site("MDS-MILLY", "MDS de Milly-la-Forêt", SocialServicesCentre, "MMILLY", 12, (10, 33), 35),
    site("MDS-RIS", "MDS de Ris-Orangis", SocialServicesCentre, "MRIS", 30, (10, 34), 35),
    site("PMI-GRIGNY", "PMI de Grigny", Clinic, "PGRIGN", 10, (10, 40), 25),
    site("PMI-VIRY", "PMI de Viry-Châtillon", Clinic, "PVIRY", 8, (10, 41), 25),
    site("PMI-ATHIS", "PMI d'Athis-Mons", Clinic, "PATHIS", 8, (10, 42), 25),
    site("PMI-STE-GENEVIEVE", "PMI de Sainte-Geneviève-des-Bois", Clinic, "PSTGEN", 9, (10, 43), 25),
    site("PMI-LONGJUMEAU", "PMI de Longjumeau", Clinic, "PLONGJ", 7, (10, 44), 25),
    site("PMI-YERRES", "PMI de Yerres", Clinic, "PYERRE", 6, (10, 45), 25),
    site("PMI-MENNECY", "PMI de Mennecy", Clinic, "PMENNE", 5, (10, 46), 25),
    site("PMI-CHILLY", "PMI de Chilly-Mazarin", Clinic, "PCHILL", 6, (10, 47), 25),
    site("COL-JMOULIN-ETAMPES", "Collège Jean Moulin, Étampes", College, "CJMOUL", 60, (10, 60), 20),
    site("COL-VHUGO-MASSY", "Collège Victor Hugo, Massy", College, "CVHUGO", 70, (10, 61), 20),
    site("COL-JFERRY-CORBEIL", "Collège Jules Ferry, Corbeil-Essonnes", College, "CJFERR", 55, (10, 62), 20),
    site("COL-PCURIE-EVRY", "Collège Pierre et Marie Curie, Évry", College, "CPCURI", 65, (10, 63), 20),
    site(
        "COL-LPASTEUR-JUVISY",
        "Collège Louis Pasteur, Juvisy-sur-Orge",
        College,
        "CLPAST",
        50,
        (10, 64),
        20,
    ),
    site("COL-JVERNE-PALAISEAU", "Collège Jules Verne, Palaiseau", College, "CJVERN", 55, (10, 65), 20),
    site("COL-AFRANK-ULIS", "Collège Anne Frank, Les Ulis", College, "CAFRAN", 45, (10, 66), 20),
    site("COL-JMACE-BRETIGNY", "Collège Jean Macé, Brétigny-sur-Orge", College, "CJMACE", 50, (10, 67), 20),
    site("COL-CDEGAULLE-DRAVEIL", "Collège Charles de Gaulle, Draveil", College, "CCDEGA", 45, (10, 68), 20),
    site("COL-PNERUDA-GRIGNY", "Collège Pablo Neruda, Grigny", College, "CPNERU", 60, (10, 69), 20),
    site("COL-CCLAUDEL-ARPAJON", "Collège Camille Claudel, Arpajon", College, "CCCLAU", 40, (10, 70), 20),
    site(
        "COL-SDEBEAUVOIR-DOURDAN",
        "Collège Simone de Beauvoir, Dourdan",
        College,
        "CSDEBE",
        35,
        (10, 71),
        20,
    ),
    site(
        "COL-AEINSTEIN-MONTGERON",
        "Collège Albert Einstein, Montgeron",
        College,
        "CAEINS",
        45,
        (10, 72),
        20,
    ),
    site("COL-RCASSIN-RIS", "Collège René Cassin, Ris-Orangis", College, "CRCASS", 40, (10, 73), 20),
    site("CTR-ETAMPES", "Centre technique routier d'Étampes", Depot, "RETAMP", 8, (10, 90), 30),
    site("CTR-MENNECY", "Centre technique routier de Mennecy", Depot, "RMENNE", 7, (10, 91), 30),
    site("CTR-VILLABE", "Centre technique routier de Villabé", Depot, "RVILLA", 6, (10, 92), 30),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn site_codes_prefixes_and_subnets_are_unique() {
        let codes: HashSet<_> = SITES.iter().map(|s| s.code).collect();
        let prefixes: HashSet<_> = SITES.iter().map(|s| s.host_prefix).collect();
        let subnets: HashSet<_> = SITES.iter().map(|s| s.subnet).collect();
        assert_eq!(codes.len(), SITES.len());
        assert_eq!(prefixes.len(), SITES.len());
        assert_eq!(subnets.len(), SITES.len());
        assert!((40..=45).contains(&SITES.len()));
    }

    #[test]
    fn the_sample_sites_file_describes_the_simulated_sites() {
        let sample = include_bytes!("../../../samples/sites.csv");
        let sites = parc_readiness::import::parse_sites("samples/sites.csv", sample).expect("sample imports");
        assert_eq!(sites.len(), SITES.len());
        for sim in SITES {
            let site =
                sites.iter().find(|s| s.code == sim.code).unwrap_or_else(|| panic!("{} missing", sim.code));
            assert_eq!(
                site.subnets[0].to_string(),
                format!("{}.{}.0.0/16", sim.subnet.0, sim.subnet.1),
                "{}",
                sim.code
            );
            assert_eq!(site.name, sim.name);
        }
    }

    #[test]
    fn hostnames_fit_netbios() {
        // prefix + "-L" + 4 digits
        assert!(SITES.iter().all(|s| s.host_prefix.len() + 6 <= 15));
    }
}
