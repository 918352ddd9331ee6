//! Pure functions that turn what the OS said into domain values. No I/O:
//! the unit tests feed them captured text.

use parc_model::{ChassisKind, System};
use parc_proto::limits::MAX_STRING_LEN;

/// Makes a string safe to report: control characters dropped, white space
/// trimmed, length capped (on a character boundary) to the wire limit.
pub fn sanitize(raw: &str) -> String {
    let cleaned: String = raw.chars().filter(|c| !c.is_control()).collect();
    let trimmed = cleaned.trim();
    if trimmed.len() <= MAX_STRING_LEN {
        return trimmed.to_string();
    }
    let mut end = MAX_STRING_LEN;
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    trimmed[..end].to_string()
}

/// Firmware placeholders that mean "nobody filled this in".
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.is_empty()
        || v == "--"
        || v.contains("to be filled by o.e.m")
        || v == "default string"
        || v == "system product name"
        || v == "system manufacturer"
        || v == "not applicable"
        || v == "none"
        || v == "0"
        || v.chars().all(|c| c == '0' || c == 'f' || c == '-' || c == ' ')
}

/// The DMI strings as the kernel exposes them (`/sys/class/dmi/id`) or
/// Windows keeps them (`HKLM\HARDWARE\DESCRIPTION\System\BIOS`).
#[derive(Debug, Default, Clone)]
pub struct DmiStrings {
    pub sys_vendor: String,
    pub product_name: String,
    pub product_version: String,
    pub product_serial: String,
    pub product_uuid: String,
    pub board_vendor: String,
    pub board_name: String,
    /// SMBIOS chassis type number, when known.
    pub chassis_type: Option<u32>,
    pub bios_vendor: String,
    pub bios_version: String,
    /// As the firmware writes it: `MM/DD/YYYY`.
    pub bios_date: String,
}

/// Builds the system section from DMI strings, choosing the name a person
/// would use for the model: Lenovo puts the marketing name in the version
/// field, white boxes leave placeholders and are named by their board.
pub fn system_from_dmi(dmi: &DmiStrings) -> System {
    let clean = |s: &str| if is_placeholder(s) { String::new() } else { sanitize(s) };
    let mut manufacturer = clean(&dmi.sys_vendor);
    let mut model = clean(&dmi.product_name);
    if manufacturer.eq_ignore_ascii_case("lenovo") {
        let version = clean(&dmi.product_version);
        // "ThinkPad T14 Gen 3" is a model; a lone "ThinkPad" is only a family.
        if version.contains(' ') {
            model = version;
        }
    }
    if manufacturer.is_empty() && model.is_empty() {
        manufacturer = clean(&dmi.board_vendor);
        model = clean(&dmi.board_name);
    }
    let chassis = if is_virtual_machine(&manufacturer, &model) {
        ChassisKind::VirtualMachine
    } else {
        dmi.chassis_type.map(ChassisKind::from_smbios_type).unwrap_or_default()
    };
    System {
        manufacturer,
        model,
        serial_number: clean(&dmi.product_serial),
        smbios_uuid: clean(&dmi.product_uuid).to_ascii_lowercase(),
        chassis,
        bios_vendor: clean(&dmi.bios_vendor),
        bios_version: clean(&dmi.bios_version),
        bios_release_date: iso_date_from_bios(&dmi.bios_date).unwrap_or_default(),
    }
}

fn is_virtual_machine(manufacturer: &str, model: &str) -> bool {
    let m = manufacturer.to_ascii_lowercase();
    let p = model.to_ascii_lowercase();
    m.contains("qemu")
        || m.contains("innotek")
        || m.contains("vmware")
        || m == "xen"
        || p.contains("virtualbox")
        || p.contains("kvm")
        || (m.contains("microsoft") && p.contains("virtual machine"))
}

/// `MM/DD/YYYY` (SMBIOS) to `YYYY-MM-DD`; `None` when it is not a date.
pub fn iso_date_from_bios(raw: &str) -> Option<String> {
    let mut parts = raw.trim().split('/');
    let month: u32 = parts.next()?.trim().parse().ok()?;
    let day: u32 = parts.next()?.trim().parse().ok()?;
    let mut year: u32 = parts.next()?.trim().parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    if year < 100 {
        year += if year >= 80 { 1900 } else { 2000 };
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1980..=2100).contains(&year) {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// A machine-id file's content, if it holds a real identifier.
pub fn machine_id_from_file(content: &str) -> Option<String> {
    let id = content.trim();
    let valid = (16..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    (valid && !is_placeholder(id)).then(|| id.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dmi(vendor: &str, name: &str, version: &str) -> DmiStrings {
        DmiStrings {
            sys_vendor: vendor.into(),
            product_name: name.into(),
            product_version: version.into(),
            chassis_type: Some(10),
            bios_date: "06/03/2021".into(),
            ..DmiStrings::default()
        }
    }

    #[test]
    fn lenovo_models_come_from_the_version_field() {
        let system = system_from_dmi(&dmi("LENOVO", "10DR000TUK", "ThinkCentre E73"));
        assert_eq!(system.model, "ThinkCentre E73");
        // The 21CK only says "ThinkPad" there: keep the machine type.
        let system = system_from_dmi(&dmi("LENOVO", "21CKCT01WW", "ThinkPad"));
        assert_eq!(system.model, "21CKCT01WW");
    }

    #[test]
    fn white_boxes_are_named_by_their_board() {
        let mut strings = dmi("To Be Filled By O.E.M.", "To Be Filled By O.E.M.", "To Be Filled By O.E.M.");
        strings.board_vendor = "ASRock".into();
        strings.board_name = "AB350M Pro4".into();
        let system = system_from_dmi(&strings);
        assert_eq!((system.manufacturer.as_str(), system.model.as_str()), ("ASRock", "AB350M Pro4"));
    }

    #[test]
    fn virtual_machines_are_recognised_whatever_the_chassis_says() {
        let system = system_from_dmi(&dmi("QEMU", "Standard PC (Q35 + ICH9, 2009)", "pc-q35-8.2"));
        assert_eq!(system.chassis, ChassisKind::VirtualMachine);
        assert_eq!(system_from_dmi(&dmi("Dell Inc.", "Latitude 3310", "")).chassis, ChassisKind::Laptop);
    }

    #[test]
    fn bios_dates_become_iso_dates() {
        assert_eq!(iso_date_from_bios("10/18/2011").as_deref(), Some("2011-10-18"));
        assert_eq!(iso_date_from_bios("12/01/20").as_deref(), Some("2020-12-01"));
        assert_eq!(iso_date_from_bios("13/01/2020"), None);
        assert_eq!(iso_date_from_bios("garbage"), None);
        assert_eq!(iso_date_from_bios("1/2/3/4"), None);
    }

    #[test]
    fn sanitize_drops_control_characters_and_caps_length() {
        assert_eq!(sanitize("  Dell\u{0}\u{7} Inc.\n"), "Dell Inc.");
        let long = "é".repeat(MAX_STRING_LEN);
        let capped = sanitize(&long);
        assert!(capped.len() <= MAX_STRING_LEN && capped.chars().all(|c| c == 'é'));
    }

    #[test]
    fn placeholder_serials_and_ids_are_dropped() {
        let mut strings = dmi("HP", "HP ProDesk 400 G7 Microtower PC", "");
        strings.product_serial = "To Be Filled By O.E.M.".into();
        strings.product_uuid = "00000000-0000-0000-0000-000000000000".into();
        let system = system_from_dmi(&strings);
        assert_eq!((system.serial_number.as_str(), system.smbios_uuid.as_str()), ("", ""));
    }

    #[test]
    fn machine_ids_must_look_like_identifiers() {
        assert_eq!(
            machine_id_from_file("0123456789ABCDEF0123456789abcdef\n").as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(machine_id_from_file(""), None);
        assert_eq!(machine_id_from_file("uninitialized\n"), None);
        assert_eq!(machine_id_from_file("00000000000000000000000000000000"), None);
    }
}

/// SMBIOS memory type (type 17, offset 0x12; Win32_PhysicalMemory's
/// SMBIOSMemoryType) to its name; empty when it is not a DRAM generation.
pub fn smbios_memory_type(code: u32) -> &'static str {
    match code {
        0x12 => "DDR",
        0x13 => "DDR2",
        0x18 => "DDR3",
        0x1A => "DDR4",
        0x1B => "LPDDR",
        0x1C => "LPDDR2",
        0x1D => "LPDDR3",
        0x1E => "LPDDR4",
        0x22 => "DDR5",
        0x23 => "LPDDR5",
        _ => "",
    }
}

/// Seconds since the Unix epoch to `YYYY-MM-DD` (UTC).
pub fn iso_date_from_unix(secs: u64) -> String {
    parc_model::civil::iso(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// `20241102` (the Uninstall keys' InstallDate) to `2024-11-02`.
pub fn iso_date_from_yyyymmdd(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() != 8 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, month, day) = (&raw[0..4], &raw[4..6], &raw[6..8]);
    let (m, d): (u32, u32) = (month.parse().ok()?, day.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| format!("{year}-{month}-{day}"))
}

/// Sorted by name, version and source, without exact duplicates (the same
/// program is often registered under two keys).
pub fn dedup_software(mut packages: Vec<parc_model::SoftwarePackage>) -> Vec<parc_model::SoftwarePackage> {
    packages.sort_by(|a, b| {
        (a.name.to_lowercase(), &a.version, a.source, &a.architecture).cmp(&(
            b.name.to_lowercase(),
            &b.version,
            b.source,
            &b.architecture,
        ))
    });
    packages.dedup_by(|a, b| a.name == b.name && a.version == b.version && a.publisher == b.publisher);
    packages.truncate(parc_proto::limits::MAX_SOFTWARE);
    packages
}

/// What `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion` says.
#[derive(Debug, Default, Clone)]
pub struct WindowsRelease {
    /// CurrentMajorVersionNumber: 10 on Windows 10 and 11, absent before.
    pub major: Option<u32>,
    /// "6.1" on Windows 7, "6.3" from 8.1 on (frozen there).
    pub current_version: String,
    pub build: String,
    /// "22H2", "23H2"; absent before Windows 10 20H2.
    pub display_version: String,
    /// "Service Pack 1" on Windows 7.
    pub service_pack: String,
}

/// The version people say: "11 (23H2)", "10 (22H2)", "7 SP1". Windows 11
/// still calls itself 10 in the registry: only the build tells (22000+).
pub fn windows_version(release: &WindowsRelease) -> String {
    let build: u32 = release.build.parse().unwrap_or(0);
    let base = match (release.major, release.current_version.as_str()) {
        (Some(10), _) | (None, "10.0") if build >= 22_000 => "11".to_string(),
        (Some(10), _) | (None, "10.0") => "10".to_string(),
        (_, "6.3") => "8.1".to_string(),
        (_, "6.2") => "8".to_string(),
        (_, "6.1") => "7".to_string(),
        (_, "6.0") => "Vista".to_string(),
        (_, other) if !other.is_empty() => other.to_string(),
        _ => return String::new(),
    };
    if !release.display_version.is_empty() {
        format!("{base} ({})", release.display_version)
    } else if let Some(pack) = release.service_pack.strip_prefix("Service Pack ") {
        format!("{base} SP{pack}")
    } else {
        base
    }
}

#[cfg(test)]
mod windows_data_tests {
    use super::*;

    fn release(major: Option<u32>, current: &str, build: &str, display: &str, sp: &str) -> WindowsRelease {
        WindowsRelease {
            major,
            current_version: current.into(),
            build: build.into(),
            display_version: display.into(),
            service_pack: sp.into(),
        }
    }

    #[test]
    fn windows_versions_read_as_people_say_them() {
        assert_eq!(windows_version(&release(Some(10), "6.3", "22631", "23H2", "")), "11 (23H2)");
        assert_eq!(windows_version(&release(Some(10), "6.3", "19045", "22H2", "")), "10 (22H2)");
        assert_eq!(windows_version(&release(Some(10), "6.3", "17763", "", "")), "10");
        assert_eq!(windows_version(&release(None, "6.1", "7601", "", "Service Pack 1")), "7 SP1");
        assert_eq!(windows_version(&release(None, "6.3", "9600", "", "")), "8.1");
        assert_eq!(windows_version(&release(None, "", "", "", "")), "");
    }
    use parc_model::{SoftwarePackage, SoftwareSource};

    #[test]
    fn unix_times_become_dates() {
        assert_eq!(iso_date_from_unix(0), "1970-01-01");
        assert_eq!(iso_date_from_unix(1_704_067_200), "2024-01-01");
        assert_eq!(iso_date_from_unix(1_709_164_800), "2024-02-29");
        assert_eq!(iso_date_from_unix(1_796_200_000), "2026-12-02");
    }

    #[test]
    fn uninstall_install_dates() {
        assert_eq!(iso_date_from_yyyymmdd("20241102").as_deref(), Some("2024-11-02"));
        assert_eq!(iso_date_from_yyyymmdd("2024-11-02"), None);
        assert_eq!(iso_date_from_yyyymmdd("20241302"), None);
        assert_eq!(iso_date_from_yyyymmdd(""), None);
    }

    #[test]
    fn programs_registered_twice_are_listed_once() {
        let package = |name: &str, arch: &str| SoftwarePackage {
            name: name.into(),
            version: "1.0".into(),
            publisher: "Acme".into(),
            source: SoftwareSource::WindowsUninstall,
            architecture: arch.into(),
            ..SoftwarePackage::default()
        };
        let listed =
            dedup_software(vec![package("Zeta", "x64"), package("Alpha", "x64"), package("Alpha", "x64")]);
        let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Alpha", "Zeta"]);
    }
}
