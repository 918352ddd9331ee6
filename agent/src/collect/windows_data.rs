//! Pure mapping of what Windows (WMI, the registry) says into domain values.
//! Compiled everywhere so the unit tests run on Linux; the reads are in
//! `windows.rs`.

use parc_model::StorageKind;

/// `20201217000000.000000+000` (a CIM datetime) to `2020-12-17`.
pub fn date_from_cim(raw: &str) -> Option<String> {
    let digits = raw.get(0..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, month, day) =
        (digits[0..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..8].parse().ok()?);
    parc_model::civil::to_days(year, month, day).map(parc_model::civil::iso)
}

/// MSFT_PhysicalDisk BusType (17 = NVMe) and MediaType (3 = HDD, 4 = SSD).
pub fn disk_kind(bus_type: Option<u16>, media_type: Option<u16>) -> StorageKind {
    match (bus_type, media_type) {
        (Some(17), _) => StorageKind::Nvme,
        (_, Some(3)) => StorageKind::Hdd,
        (_, Some(4)) => StorageKind::Ssd,
        _ => StorageKind::Unknown,
    }
}

/// Win32_Tpm SpecVersion ("2.0, 0, 1.38") to "2.0".
pub fn tpm_version(spec_version: &str) -> String {
    spec_version.split(',').next().unwrap_or("").trim().to_string()
}

/// `USB\VID_047F&PID_C055&MI_00\...` to `047f:c055`.
pub fn usb_id_from_pnp(pnp_device_id: &str) -> Option<String> {
    let upper = pnp_device_id.to_ascii_uppercase();
    let vid = upper.split("VID_").nth(1)?.get(0..4)?.to_ascii_lowercase();
    let pid = upper.split("PID_").nth(1)?.get(0..4)?.to_ascii_lowercase();
    (vid.bytes().chain(pid.bytes()).all(|b| b.is_ascii_hexdigit())).then(|| format!("{vid}:{pid}"))
}

/// USB vendors that make only (or almost only) headsets and speakerphones:
/// Plantronics/Poly, GN Jabra, Sennheiser/EPOS.
const HEADSET_VENDORS: [&str; 3] = ["047f", "0b0e", "1395"];

/// Windows does not expose audio terminal types without a driver query, so
/// a sound device is a headset when its vendor makes headsets (Poly,
/// Jabra, EPOS, ...) or its name says so, in English or French (device
/// names are localised on these PCs).
pub fn is_headset(name: &str, usb_id: Option<&str>) -> bool {
    let lower = name.to_lowercase();
    let by_vendor = usb_id.map(|id| HEADSET_VENDORS.contains(&&id[..4.min(id.len())])).unwrap_or(false);
    by_vendor
        || ["headset", "casque", "headphone", "écouteur", "hands-free", "mains libres"]
            .iter()
            .any(|w| lower.contains(w))
}

/// The 802.11 PHY types of WLAN_INTERFACE_CAPABILITY and the
/// authentication algorithms of the supported auth/cipher pairs, as planners
/// read them. Bands follow from the PHYs: DSSS/HR-DSSS/ERP are 2.4 GHz, OFDM
/// (802.11a) and VHT are 5 GHz; Windows does not say whether an 802.11ax
/// radio does 6 GHz, so 6 GHz is never claimed here.
pub fn wifi_from_windows(phy_types: &[i32], auth_algorithms: &[i32]) -> parc_model::WifiCapabilities {
    let has = |phy: i32| phy_types.contains(&phy);
    let mut standards = Vec::new();
    for (phy, name) in [(7, "802.11n"), (8, "802.11ac"), (10, "802.11ax"), (11, "802.11be")] {
        if has(phy) {
            standards.push(name.to_string());
        }
    }
    let mut bands = Vec::new();
    if has(2) || has(5) || has(6) {
        bands.push("2.4GHz".to_string());
    }
    if has(4) || has(8) {
        bands.push("5GHz".to_string());
    }
    parc_model::WifiCapabilities {
        standards,
        bands,
        // DOT11_AUTH_ALGO_RSNA is WPA2-Enterprise; 11 and 8 are WPA3-Enterprise (and its 192-bit mode).
        wpa2_enterprise: auth_algorithms.contains(&6),
        wpa3_enterprise: auth_algorithms.contains(&11) || auth_algorithms.contains(&8),
        driver_version: String::new(),
        driver_date: String::new(),
    }
}

/// A driver's DriverDate from the registry ("6-15-2023", month first) to
/// `2023-06-15`.
pub fn date_from_driver_date(raw: &str) -> Option<String> {
    let mut parts = raw.trim().split('-');
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    parc_model::civil::to_days(year, month, day).map(parc_model::civil::iso)
}

/// IANA ifType of GetAdaptersAddresses.
pub fn interface_kind(if_type: u32) -> parc_model::InterfaceKind {
    use parc_model::InterfaceKind;
    match if_type {
        6 => InterfaceKind::Wired,
        71 => InterfaceKind::Wireless,
        24 | 53 | 131 | 23 => InterfaceKind::Virtual, // loopback, virtual, tunnel, PPP
        _ => InterfaceKind::Unknown,
    }
}

/// Win32_QuickFixEngineering InstalledOn ("6/11/2024", month first; some
/// systems write a hex FILETIME instead, which is skipped) to a day number.
pub fn hotfix_day(installed_on: &str) -> Option<i64> {
    let mut parts = installed_on.trim().split('/');
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    parc_model::civil::to_days(year, month, day)
}

/// An Appx/MSIX package full name, `Name_Version_Architecture_ResourceId_PublisherId`,
/// to (name, version, architecture).
pub fn appx_full_name(full_name: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = full_name.split('_').collect();
    if parts.len() != 5 || parts[0].is_empty() || parts[1].split('.').count() != 4 {
        return None;
    }
    Some((parts[0].to_string(), parts[1].to_string(), parts[2].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wifi_capabilities_from_phys_and_auth_algorithms() {
        // An Intel AX201: DSSS, HR-DSSS, OFDM, ERP, HT, VHT, HE; RSNA, WPA3-Enterprise.
        let caps = wifi_from_windows(&[2, 5, 4, 6, 7, 8, 10], &[1, 4, 6, 7, 9, 11]);
        assert_eq!(caps.standards, ["802.11n", "802.11ac", "802.11ax"]);
        assert_eq!(caps.bands, ["2.4GHz", "5GHz"]);
        assert!(caps.wpa2_enterprise && caps.wpa3_enterprise);
        // An old 2.4 GHz-only 802.11n card with WPA2 only.
        let old = wifi_from_windows(&[5, 6, 7], &[1, 6, 7]);
        assert_eq!((old.standards, old.bands), (vec!["802.11n".to_string()], vec!["2.4GHz".to_string()]));
        assert!(old.wpa2_enterprise && !old.wpa3_enterprise);
    }

    #[test]
    fn driver_dates_and_interface_kinds() {
        assert_eq!(date_from_driver_date("6-15-2023").as_deref(), Some("2023-06-15"));
        assert_eq!(date_from_driver_date("15-6-2023"), None);
        assert_eq!(interface_kind(71), parc_model::InterfaceKind::Wireless);
        assert_eq!(interface_kind(6), parc_model::InterfaceKind::Wired);
        assert_eq!(interface_kind(131), parc_model::InterfaceKind::Virtual);
    }

    #[test]
    fn hotfix_dates_and_appx_names() {
        assert_eq!(hotfix_day("6/11/2024").map(parc_model::civil::iso).as_deref(), Some("2024-06-11"));
        assert_eq!(hotfix_day("01d2a3b4c5d6e7f8"), None);
        assert_eq!(
            appx_full_name("Microsoft.WindowsCalculator_11.2210.0.0_x64__8wekyb3d8bbwe"),
            Some(("Microsoft.WindowsCalculator".into(), "11.2210.0.0".into(), "x64".into()))
        );
        assert_eq!(
            appx_full_name("MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe").map(|p| p.1),
            Some("24295.605.3225.8804".into())
        );
        assert_eq!(appx_full_name("NotAPackage"), None);
    }

    #[test]
    fn cim_dates() {
        assert_eq!(date_from_cim("20201217000000.000000+000").as_deref(), Some("2020-12-17"));
        assert_eq!(date_from_cim("20201317000000.000000+000"), None);
        assert_eq!(date_from_cim(""), None);
        assert_eq!(date_from_cim("abc"), None);
    }

    #[test]
    fn disk_kinds() {
        assert_eq!(disk_kind(Some(17), Some(4)), StorageKind::Nvme);
        assert_eq!(disk_kind(Some(11), Some(3)), StorageKind::Hdd);
        assert_eq!(disk_kind(Some(11), Some(4)), StorageKind::Ssd);
        assert_eq!(disk_kind(None, Some(0)), StorageKind::Unknown);
    }

    #[test]
    fn tpm_memory_and_usb_ids() {
        assert_eq!(tpm_version("2.0, 0, 1.38"), "2.0");
        assert_eq!(tpm_version("1.2, 2, 3"), "1.2");
        assert_eq!(usb_id_from_pnp(r"USB\VID_047F&PID_C055&MI_00\7&1A2B").as_deref(), Some("047f:c055"));
        assert_eq!(usb_id_from_pnp(r"HDAUDIO\FUNC_01&VEN_10EC&DEV_0236"), None);
    }

    #[test]
    fn headsets_by_vendor_or_by_name_in_either_language() {
        assert!(is_headset("Plantronics Blackwire 3210 Series", Some("047f:c055")));
        assert!(is_headset("Casque (Jabra EVOLVE 30 II)", None));
        assert!(is_headset("Logitech USB Headset H390", Some("046d:0a44")));
        assert!(!is_headset("Realtek High Definition Audio", None));
        assert!(!is_headset("Microphone (LifeCam HD-3000)", Some("045e:0779")));
    }
}
