//! `parc devices` and `parc device ID`.

use super::output::{ago, devices_csv, devices_table, now_unix, rfc3339, OutputFormat};
use super::{emit, fleet_client, status_error, CliError, Remote};
use parc_model::{human_bytes, Device, DeviceSummary, Inventory};
use parc_proto::convert::{device_from_wire, device_summary_from_wire};
use parc_proto::pb::{GetDeviceRequest, ListDevicesRequest};
use std::fmt::Write;
use std::time::Duration;

/// Every device, all pages.
pub async fn fetch_all(server: &Remote) -> Result<Vec<DeviceSummary>, CliError> {
    fetch_matching(server, None, "").await
}

/// Every device not seen for `not_seen` (all with `None`) that the query
/// matches (all with ""), all pages.
pub async fn fetch_matching(
    server: &Remote,
    not_seen: Option<Duration>,
    query: &str,
) -> Result<Vec<DeviceSummary>, CliError> {
    let mut client = fleet_client(server)?;
    let mut devices = Vec::new();
    let mut page_token = String::new();
    let mut progress = None;
    loop {
        let page = client
            .list_devices(ListDevicesRequest {
                page_size: parc_proto::limits::MAX_PAGE_SIZE,
                page_token,
                not_seen_for_seconds: not_seen.map_or(0, |d| d.as_secs().max(1)),
                query: query.to_string(),
            })
            .await
            .map_err(|status| status_error(server, status))?
            .into_inner();
        devices.extend(page.devices.into_iter().map(device_summary_from_wire));
        if page.next_page_token.is_empty() {
            if let Some(progress) = progress {
                super::progress::done(&progress, format!("{} devices read", devices.len()));
            }
            return Ok(devices);
        }
        // More than one page: show how far the listing is.
        progress
            .get_or_insert_with(|| super::progress::rows("reading the fleet", Some(page.total_count)))
            .set_position(devices.len() as u64);
        page_token = page.next_page_token;
    }
}

pub async fn list(
    server: &Remote,
    output: OutputFormat,
    not_seen: Option<Duration>,
    query: &str,
) -> Result<(), CliError> {
    let devices = fetch_matching(server, not_seen, query).await?;
    match output {
        OutputFormat::Table => {
            emit(&format!("{}\n", devices_table(&devices, now_unix())))?;
            let matching = if query.trim().is_empty() { String::new() } else { format!(" matching {query}") };
            match not_seen {
                Some(d) => eprintln!(
                    "{} devices{matching} not seen for {}",
                    devices.len(),
                    humantime::format_duration(d)
                ),
                None => eprintln!("{} devices{matching}", devices.len()),
            }
        }
        OutputFormat::Json => {
            let rows: Vec<_> = devices.iter().map(super::output::DeviceRow::new).collect();
            emit(&format!("{}\n", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?))?;
        }
        OutputFormat::Csv => emit(&devices_csv(&devices)?)?,
    }
    Ok(())
}

pub async fn show(
    server: &Remote,
    wanted: &str,
    output: OutputFormat,
    software: bool,
) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    let wire = client
        .get_device(GetDeviceRequest { device: wanted.to_string() })
        .await
        .map_err(|status| status_error(server, status))?
        .into_inner();
    let device =
        device_from_wire(wire).map_err(|e| anyhow::anyhow!("unexpected answer from {server}: {e}"))?;
    if software {
        let packages = device.inventory.as_ref().and_then(|i| i.software.as_deref());
        let Some(packages) = packages else {
            return Err(CliError::Other(anyhow::anyhow!(
                "device {} has not reported its software",
                device.summary.id
            )));
        };
        return match output {
            OutputFormat::Table => emit(&format!("{}\n", software_table(packages))),
            OutputFormat::Json => {
                emit(&format!("{}\n", serde_json::to_string_pretty(packages).map_err(anyhow::Error::from)?))
            }
            OutputFormat::Csv => {
                let mut writer = csv::Writer::from_writer(Vec::new());
                for package in packages {
                    writer.serialize(package).map_err(anyhow::Error::from)?;
                }
                emit(
                    &String::from_utf8(writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
                        .map_err(anyhow::Error::from)?,
                )
            }
        };
    }
    match output {
        OutputFormat::Table => {
            let mut text = device_detail(&device, now_unix());
            if device.inventory.is_some() {
                let view = super::readiness::fetch_device(server, &device.summary.id.to_string()).await?;
                text.push_str(&super::readiness::device_block(&view));
            }
            emit(&text)?
        }
        OutputFormat::Json => {
            emit(&format!("{}\n", serde_json::to_string_pretty(&device).map_err(anyhow::Error::from)?))?
        }
        OutputFormat::Csv => {
            return Err(CliError::Other(anyhow::anyhow!(
                "--output csv is for lists; use table or json for one device, or add --software"
            )))
        }
    }
    Ok(())
}

/// Installed software as a table, sorted as the agent sent it (by name).
pub fn software_table(packages: &[parc_model::SoftwarePackage]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["NAME", "VERSION", "PUBLISHER", "SOURCE", "ARCH", "INSTALLED"]);
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    for p in packages {
        table.add_row([
            p.name.clone(),
            p.version.clone(),
            p.publisher.clone(),
            format!("{:?}", p.source).to_lowercase(),
            p.architecture.clone(),
            p.install_date.clone(),
        ]);
    }
    table.to_string().lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

/// The device page of the terminal: identity, then each inventory section,
/// then what could not be read.
pub fn device_detail(device: &Device, now: i64) -> String {
    let s = &device.summary;
    let mut out = String::new();
    let _ = writeln!(out, "Device {}  {}", s.id, s.hostname);
    let _ = writeln!(out, "  Enrolled      {}", rfc3339(s.enrolled_at));
    let _ = writeln!(
        out,
        "  Last seen     {}",
        match s.last_seen_at {
            Some(t) => format!("{} ({})", rfc3339(t), ago(Some(t), now)),
            None => "never reported".into(),
        }
    );
    if s.revoked {
        let _ = writeln!(out, "  Status        revoked: its node key no longer works");
    }
    let _ = writeln!(out, "  Machine id    {}", s.machine_id);
    if !s.labels.is_empty() {
        let _ = writeln!(out, "  Labels        {}", s.labels.join(", "));
    }
    let Some(inventory) = &device.inventory else {
        let _ = writeln!(out, "\nNo inventory yet: the device enrolled but has not reported.");
        return out;
    };
    write_inventory(&mut out, inventory);
    out
}

fn write_inventory(out: &mut String, inv: &Inventory) {
    let unknown = |section: parc_model::Section| {
        inv.unknown_sections
            .iter()
            .find(|u| u.section == section)
            .map(|u| format!("  unknown: {}\n", u.reason))
    };
    let _ = writeln!(out, "\nSystem");
    match &inv.system {
        Some(sys) => {
            let _ = writeln!(out, "  Manufacturer  {}", sys.manufacturer);
            let _ = writeln!(out, "  Model         {}", sys.model);
            let _ = writeln!(out, "  Type          {}", sys.chassis.label());
            let _ = writeln!(out, "  Serial        {}", sys.serial_number);
            if !sys.smbios_uuid.is_empty() {
                let _ = writeln!(out, "  SMBIOS UUID   {}", sys.smbios_uuid);
            }
            let _ = writeln!(
                out,
                "  BIOS          {} {} ({})",
                sys.bios_vendor, sys.bios_version, sys.bios_release_date
            );
        }
        None => out.push_str(&unknown(parc_model::Section::System).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nOperating system");
    match &inv.os {
        Some(os) => {
            let _ = writeln!(out, "  Name          {} {}", os.name, os.version);
            if !os.build.is_empty() {
                let _ = writeln!(out, "  Build         {}", os.build);
            }
            let _ = writeln!(out, "  Kernel        {}", os.kernel);
            let _ = writeln!(out, "  Architecture  {}", os.architecture);
            if !os.edition.is_empty() {
                let _ = writeln!(out, "  Edition       {}", os.edition);
            }
            let _ = writeln!(out, "  Last boot     {}", rfc3339(os.last_boot));
            if os.install_date > 0 {
                let _ = writeln!(out, "  Installed     {}", rfc3339(os.install_date));
            }
            if os.last_security_update > 0 {
                let _ = writeln!(out, "  Last update   {}", rfc3339(os.last_security_update));
            }
        }
        None => out.push_str(&unknown(parc_model::Section::Os).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nCPU");
    match &inv.cpu {
        Some(cpu) => {
            let _ = writeln!(out, "  Model         {}", cpu.model);
            let _ = writeln!(
                out,
                "  Cores         {} physical, {} logical, {} MHz",
                cpu.physical_cores, cpu.logical_threads, cpu.frequency_mhz
            );
            let _ = writeln!(
                out,
                "  Signature     family {} model {} stepping {}; flags {}",
                cpu.family,
                cpu.model_number,
                cpu.stepping,
                if cpu.flags.is_empty() { "none reported".to_string() } else { cpu.flags.join(" ") }
            );
        }
        None => out.push_str(&unknown(parc_model::Section::Cpu).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nMemory");
    match &inv.memory {
        Some(memory) => {
            let _ = writeln!(out, "  Total         {}", human_bytes(memory.total_bytes));
            for module in &memory.modules {
                let _ = writeln!(
                    out,
                    "  {:<12}  {} {} {} MT/s",
                    module.slot,
                    human_bytes(module.size_bytes),
                    module.kind,
                    module.speed_mts
                );
            }
        }
        None => out.push_str(&unknown(parc_model::Section::Memory).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nVolumes");
    match &inv.volumes {
        Some(volumes) => {
            for v in volumes {
                let _ = writeln!(
                    out,
                    "  {:<12}  {} {}  {}, {} free{}",
                    v.mount_point,
                    v.file_system,
                    v.kind.label(),
                    human_bytes(v.total_bytes),
                    human_bytes(v.available_bytes),
                    if v.is_system { "  (system)" } else { "" }
                );
            }
        }
        None => out.push_str(&unknown(parc_model::Section::Volumes).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nNetwork");
    match &inv.network_interfaces {
        Some(interfaces) => {
            for n in interfaces {
                let speed =
                    n.link_speed_mbps.map(|m| format!("{m} Mb/s")).unwrap_or_else(|| "speed ?".into());
                let _ = writeln!(
                    out,
                    "  {:<12}  {:<8}  {:<9}  {:<17}  {}  {}",
                    n.name,
                    format!("{:?}", n.kind).to_lowercase(),
                    speed,
                    n.mac_address,
                    n.driver,
                    n.addresses.join(", ")
                );
                if let Some(wifi) = &n.wifi {
                    let mut enterprise = Vec::new();
                    if wifi.wpa2_enterprise {
                        enterprise.push("WPA2-Enterprise");
                    }
                    if wifi.wpa3_enterprise {
                        enterprise.push("WPA3-Enterprise");
                    }
                    let _ = writeln!(
                        out,
                        "                Wi-Fi {}; {}; {}{}",
                        wifi.standards.join(" "),
                        wifi.bands.join(" "),
                        if enterprise.is_empty() {
                            "no enterprise authentication".into()
                        } else {
                            enterprise.join(", ")
                        },
                        if wifi.driver_version.is_empty() {
                            String::new()
                        } else {
                            format!("; driver {} ({})", wifi.driver_version, wifi.driver_date)
                        }
                    );
                }
            }
        }
        None => out.push_str(&unknown(parc_model::Section::NetworkInterfaces).unwrap_or_default()),
    }
    write_hardening_and_people(out, inv);
    let _ = writeln!(out, "\nAgent {}, collected {}", inv.agent_version, rfc3339(inv.collected_at));
}

fn write_hardening_and_people(out: &mut String, inv: &Inventory) {
    use parc_model::Section;
    let unknown = |section: Section| {
        inv.unknown_sections
            .iter()
            .find(|u| u.section == section)
            .map(|u| format!("  unknown: {}\n", u.reason))
    };
    let _ = writeln!(out, "\nDisks");
    match &inv.disks {
        Some(disks) => {
            for d in disks {
                let _ = writeln!(
                    out,
                    "  {:<12}  {} {}  {}{}",
                    d.name,
                    d.kind.label(),
                    human_bytes(d.size_bytes),
                    d.model,
                    if d.holds_os { "  (system)" } else { "" }
                );
            }
        }
        None => out.push_str(&unknown(Section::Disks).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nSecurity");
    match &inv.security {
        Some(s) => {
            let tpm = if s.tpm_present { format!("TPM {}", s.tpm_version) } else { "no TPM".into() };
            let _ = writeln!(out, "  TPM           {tpm}");
            let _ = writeln!(out, "  Firmware      {:?}, Secure Boot {:?}", s.firmware, s.secure_boot);
            let _ = writeln!(out, "  Disk          encryption {:?}", s.system_disk_encryption);
        }
        None => out.push_str(&unknown(Section::Security).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nBattery");
    match &inv.batteries {
        Some(batteries) if batteries.is_empty() => out.push_str("  none\n"),
        Some(batteries) => {
            for b in batteries {
                let health = b
                    .health_percent()
                    .map(|h| format!("{h}% health"))
                    .unwrap_or_else(|| "health unknown".into());
                let _ = writeln!(
                    out,
                    "  {:<12}  {health} ({} of {} mWh)",
                    b.name, b.full_charge_capacity_mwh, b.design_capacity_mwh
                );
            }
        }
        None => out.push_str(&unknown(Section::Batteries).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nAudio and cameras");
    match &inv.peripherals {
        Some(p) => {
            for a in &p.audio {
                let _ = writeln!(out, "  {}{}", a.name, if a.headset { "  (headset)" } else { "" });
            }
            for c in &p.cameras {
                let _ = writeln!(out, "  {}  (camera)", c.name);
            }
        }
        None => out.push_str(&unknown(Section::Peripherals).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nUsers");
    match &inv.users {
        Some(u) => {
            let _ = writeln!(out, "  Logged in     {}", u.logged_in.join(", "));
            let _ = writeln!(out, "  Last          {}", u.last_logged_in);
        }
        None => out.push_str(&unknown(Section::Users).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nSoftware");
    match &inv.software {
        Some(packages) => {
            let _ = writeln!(out, "  {} packages (parc device ID --software lists them)", packages.len());
        }
        None => out.push_str(&unknown(Section::Software).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parc_model::{Memory, Section, UnknownSection};

    #[test]
    fn detail_shows_sections_and_says_what_is_unknown() {
        let device = Device {
            summary: DeviceSummary {
                id: 3,
                hostname: "SIEGE-D0001".into(),
                last_seen_at: Some(1000),
                ..Default::default()
            },
            inventory: Some(Inventory {
                memory: Some(Memory { total_bytes: 8 * 1024 * 1024 * 1024, modules: vec![] }),
                unknown_sections: vec![UnknownSection {
                    section: Section::Cpu,
                    reason: "timed out after 20s".into(),
                }],
                ..Inventory::default()
            }),
        };
        let text = device_detail(&device, 1060);
        assert!(text.starts_with("Device 3  SIEGE-D0001\n"), "{text}");
        assert!(text.contains("Total         8.0 GiB"), "{text}");
        assert!(text.contains("CPU\n  unknown: timed out after 20s"), "{text}");
        assert!(text.contains("(1 min ago)"), "{text}");
    }

    #[test]
    fn detail_shows_wifi_capabilities_cpu_signature_and_memory_modules() {
        use parc_model::{Cpu, InterfaceKind, MemoryModule, NetworkInterface, WifiCapabilities};
        let device = Device {
            summary: DeviceSummary { id: 4, hostname: "MDSETA-L0042".into(), ..Default::default() },
            inventory: Some(Inventory {
                cpu: Some(Cpu {
                    family: 6,
                    model_number: 142,
                    stepping: 12,
                    flags: vec!["lm".into(), "avx2".into()],
                    ..Default::default()
                }),
                memory: Some(Memory {
                    total_bytes: 8 << 30,
                    modules: vec![MemoryModule {
                        slot: "DIMM A".into(),
                        size_bytes: 8 << 30,
                        kind: "DDR4".into(),
                        speed_mts: 2666,
                    }],
                }),
                network_interfaces: Some(vec![NetworkInterface {
                    name: "Wi-Fi".into(),
                    kind: InterfaceKind::Wireless,
                    link_speed_mbps: Some(866),
                    wifi: Some(WifiCapabilities {
                        standards: vec!["802.11ac".into(), "802.11ax".into()],
                        bands: vec!["2.4GHz".into(), "5GHz".into()],
                        wpa2_enterprise: true,
                        wpa3_enterprise: false,
                        driver_version: "23.60.0.10".into(),
                        driver_date: "2024-03-01".into(),
                    }),
                    ..Default::default()
                }]),
                ..Inventory::default()
            }),
        };
        let text = device_detail(&device, 0);
        for expected in [
            "family 6 model 142 stepping 12; flags lm avx2",
            "DIMM A        8.0 GiB DDR4 2666 MT/s",
            "wireless  866 Mb/s",
            "Wi-Fi 802.11ac 802.11ax; 2.4GHz 5GHz; WPA2-Enterprise; driver 23.60.0.10 (2024-03-01)",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn software_table_lists_every_package() {
        let package = |name: &str| parc_model::SoftwarePackage {
            name: name.into(),
            version: "1.0".into(),
            source: parc_model::SoftwareSource::Dpkg,
            ..Default::default()
        };
        let table = software_table(&[package("bash"), package("zsh")]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with("NAME") && lines[2].starts_with("zsh") && lines[2].contains("dpkg"),
            "{table}"
        );
    }

    #[test]
    fn a_device_that_never_reported_says_so() {
        let device = Device { summary: DeviceSummary { id: 9, ..Default::default() }, inventory: None };
        assert!(device_detail(&device, 0).contains("has not reported"));
    }
}
