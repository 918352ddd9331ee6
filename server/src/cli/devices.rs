//! `parc devices` and `parc device ID`.

use super::output::{ago, devices_csv, devices_table, now_unix, rfc3339, OutputFormat};
use super::{emit, fleet_client, status_error, CliError};
use parc_model::{human_bytes, Device, DeviceSummary, Inventory};
use parc_proto::convert::{device_from_wire, device_summary_from_wire};
use parc_proto::pb::{GetDeviceRequest, ListDevicesRequest};
use std::fmt::Write;

/// Every device, all pages.
pub async fn fetch_all(server: &str) -> Result<Vec<DeviceSummary>, CliError> {
    let mut client = fleet_client(server)?;
    let mut devices = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_devices(ListDevicesRequest { page_size: parc_proto::limits::MAX_PAGE_SIZE, page_token })
            .await
            .map_err(|status| status_error(server, status))?
            .into_inner();
        devices.extend(page.devices.into_iter().map(device_summary_from_wire));
        if page.next_page_token.is_empty() {
            return Ok(devices);
        }
        page_token = page.next_page_token;
    }
}

pub async fn list(server: &str, output: OutputFormat) -> Result<(), CliError> {
    let devices = fetch_all(server).await?;
    match output {
        OutputFormat::Table => {
            emit(&format!("{}\n", devices_table(&devices, now_unix())))?;
            eprintln!("{} devices", devices.len());
        }
        OutputFormat::Json => {
            let rows: Vec<_> = devices.iter().map(super::output::DeviceRow::new).collect();
            emit(&format!("{}\n", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?))?;
        }
        OutputFormat::Csv => emit(&devices_csv(&devices)?)?,
    }
    Ok(())
}

pub async fn show(server: &str, wanted: &str, output: OutputFormat) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    let wire = client
        .get_device(GetDeviceRequest { device: wanted.to_string() })
        .await
        .map_err(|status| status_error(server, status))?
        .into_inner();
    let device =
        device_from_wire(wire).map_err(|e| anyhow::anyhow!("unexpected answer from {server}: {e}"))?;
    match output {
        OutputFormat::Table => emit(&device_detail(&device, now_unix()))?,
        OutputFormat::Json => {
            emit(&format!("{}\n", serde_json::to_string_pretty(&device).map_err(anyhow::Error::from)?))?
        }
        OutputFormat::Csv => {
            return Err(CliError::Other(anyhow::anyhow!(
                "--output csv is for lists; use table or json for one device"
            )))
        }
    }
    Ok(())
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
            let _ = writeln!(out, "  Last boot     {}", rfc3339(os.last_boot));
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
        }
        None => out.push_str(&unknown(parc_model::Section::Cpu).unwrap_or_default()),
    }
    let _ = writeln!(out, "\nMemory");
    match &inv.memory {
        Some(memory) => {
            let _ = writeln!(out, "  Total         {}", human_bytes(memory.total_bytes));
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
                let _ = writeln!(out, "  {:<12}  {:<17}  {}", n.name, n.mac_address, n.addresses.join(", "));
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
            let _ = writeln!(out, "  {} packages (--output json lists them)", packages.len());
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
    fn a_device_that_never_reported_says_so() {
        let device = Device { summary: DeviceSummary { id: 9, ..Default::default() }, inventory: None };
        assert!(device_detail(&device, 0).contains("has not reported"));
    }
}
