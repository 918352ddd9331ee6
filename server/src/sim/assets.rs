//! The simulated fleet's asset register, as a département's spreadsheet
//! would hold it: semicolon separated, French dates, a few PCs missing (the
//! register is never complete). Pure and seeded, like the fleet.

use super::fleet::SimPc;
use super::sites::SiteKind;
use parc_model::ChassisKind;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// assets.csv for `pcs`: about 95% of them, with purchase dates inside the
/// year each was bought, and most laptops' users working from home.
pub fn assets_csv(pcs: &[SimPc], seed: u64) -> String {
    // Simulated serials collide now and then in a large fleet; a real
    // register lists each serial once.
    let mut seen = std::collections::HashSet::new();
    let mut out = String::from(
        "serial_number;asset_tag;purchase_date;warranty_end;assigned_user;department;teleworker\n",
    );
    for (index, pc) in pcs.iter().enumerate() {
        let mut rng =
            StdRng::seed_from_u64(seed ^ 0xA55E7 ^ (index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        if rng.random_range(0..100) < 5 {
            continue;
        }
        let Some(system) = &pc.inventory.system else { continue };
        if !seen.insert(system.serial_number.to_ascii_uppercase()) {
            continue;
        }
        let laptop = system.chassis == ChassisKind::Laptop;
        let (month, day) = (rng.random_range(1..=12), rng.random_range(1..=28));
        let user = pc.inventory.users.as_ref().map(|u| u.last_logged_in.clone()).unwrap_or_default();
        let department = match pc.site.kind {
            SiteKind::HeadOffice => {
                ["Finances", "Ressources humaines", "Direction des systèmes d'information", "Routes"]
                    [rng.random_range(0..4)]
            }
            SiteKind::SocialServicesCentre => "Solidarités",
            SiteKind::Clinic => "Protection maternelle et infantile",
            SiteKind::College => "Éducation",
            SiteKind::Depot => "Routes",
        };
        let teleworker = laptop && rng.random_range(0..100) < 70;
        out.push_str(&format!(
            "{};INV-{:05};{day:02}/{month:02}/{};{day:02}/{month:02}/{};{user};{department};{}\n",
            system.serial_number,
            index + 1,
            pc.purchase_year,
            pc.purchase_year + 4,
            if teleworker { "oui" } else { "non" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_register_imports_and_matches_the_fleet() {
        let now = parc_model::civil::to_days(2026, 12, 3).expect("date") * 86_400;
        let pcs = crate::sim::fleet::generate(7, 300, now);
        let text = assets_csv(&pcs, 7);
        let assets = parc_readiness::import::parse_assets("assets.csv", text.as_bytes())
            .expect("the register imports");
        assert!((270..300).contains(&assets.len()), "{}", assets.len());
        assert!(assets.iter().any(|a| a.teleworker == Some(true)));
        let first = &pcs[0];
        if let Some(asset) = assets.iter().find(|a| {
            first
                .inventory
                .system
                .as_ref()
                .is_some_and(|s| parc_readiness::asset::serial_key(&s.serial_number) == a.serial_number)
        }) {
            let (year, _, _) = parc_model::civil::from_days(asset.purchase_day.expect("purchase date"));
            assert_eq!(year, i64::from(first.purchase_year));
        }
        assert_eq!(assets_csv(&pcs, 7), text, "seeded: the same register every time");
    }
}
