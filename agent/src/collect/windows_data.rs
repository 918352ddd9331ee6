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

#[cfg(test)]
mod tests {
    use super::*;

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
