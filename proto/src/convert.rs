//! Conversions between `parc.v1` messages and `parc-model` domain types.
//!
//! Domain → wire never fails. Wire → domain validates against
//! [`crate::limits`] and fails with a [`WireError`] naming the field path
//! (`inventory.volumes[2].mount_point`), so a bad report is rejected whole
//! and nothing of it is stored.

use crate::limits::*;
use crate::pb;
use parc_model as m;

/// Why a message from the wire was refused; `field` is the path in the
/// message, as a client developer would write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct WireError {
    pub field: String,
    pub problem: String,
}

impl WireError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        WireError { field: field.into(), problem: problem.into() }
    }
}

impl From<WireError> for tonic::Status {
    fn from(error: WireError) -> Self {
        tonic::Status::invalid_argument(error.to_string())
    }
}

fn text(value: String, field: impl FnOnce() -> String, max: usize) -> Result<String, WireError> {
    if value.len() > max {
        return Err(WireError::new(field(), format!("{} bytes, more than the limit of {max}", value.len())));
    }
    Ok(value)
}

fn count<T>(items: Vec<T>, field: &str, max: usize) -> Result<Vec<T>, WireError> {
    if items.len() > max {
        return Err(WireError::new(field, format!("{} entries, more than the limit of {max}", items.len())));
    }
    Ok(items)
}

/// Checks an identity string: present and within its limit.
pub fn required_text(value: String, field: &str, max: usize) -> Result<String, WireError> {
    if value.trim().is_empty() {
        return Err(WireError::new(field, "must not be empty"));
    }
    text(value, || field.to_string(), max)
}

// ---- enums ---------------------------------------------------------------

fn chassis_to_wire(kind: m::ChassisKind) -> pb::ChassisKind {
    match kind {
        m::ChassisKind::Unknown => pb::ChassisKind::Unspecified,
        m::ChassisKind::Desktop => pb::ChassisKind::Desktop,
        m::ChassisKind::Laptop => pb::ChassisKind::Laptop,
        m::ChassisKind::AllInOne => pb::ChassisKind::AllInOne,
        m::ChassisKind::Tablet => pb::ChassisKind::Tablet,
        m::ChassisKind::Server => pb::ChassisKind::Server,
        m::ChassisKind::VirtualMachine => pb::ChassisKind::VirtualMachine,
        m::ChassisKind::Other => pb::ChassisKind::Other,
    }
}

/// Values this build does not know (sent by a newer peer) read as Unknown.
fn chassis_from_wire(value: i32) -> m::ChassisKind {
    match pb::ChassisKind::try_from(value).unwrap_or(pb::ChassisKind::Unspecified) {
        pb::ChassisKind::Unspecified => m::ChassisKind::Unknown,
        pb::ChassisKind::Desktop => m::ChassisKind::Desktop,
        pb::ChassisKind::Laptop => m::ChassisKind::Laptop,
        pb::ChassisKind::AllInOne => m::ChassisKind::AllInOne,
        pb::ChassisKind::Tablet => m::ChassisKind::Tablet,
        pb::ChassisKind::Server => m::ChassisKind::Server,
        pb::ChassisKind::VirtualMachine => m::ChassisKind::VirtualMachine,
        pb::ChassisKind::Other => m::ChassisKind::Other,
    }
}

fn storage_to_wire(kind: m::StorageKind) -> pb::StorageKind {
    match kind {
        m::StorageKind::Unknown => pb::StorageKind::Unspecified,
        m::StorageKind::Hdd => pb::StorageKind::Hdd,
        m::StorageKind::Ssd => pb::StorageKind::Ssd,
        m::StorageKind::Nvme => pb::StorageKind::Nvme,
    }
}

fn storage_from_wire(value: i32) -> m::StorageKind {
    match pb::StorageKind::try_from(value).unwrap_or(pb::StorageKind::Unspecified) {
        pb::StorageKind::Unspecified => m::StorageKind::Unknown,
        pb::StorageKind::Hdd => m::StorageKind::Hdd,
        pb::StorageKind::Ssd => m::StorageKind::Ssd,
        pb::StorageKind::Nvme => m::StorageKind::Nvme,
    }
}

// ---- inventory: domain → wire ---------------------------------------------

pub fn inventory_to_wire(inv: &m::Inventory) -> pb::Inventory {
    pb::Inventory {
        collected_at: inv.collected_at,
        hostname: inv.hostname.clone(),
        machine_id: inv.machine_id.clone(),
        agent_version: inv.agent_version.clone(),
        system: inv.system.as_ref().map(|s| pb::System {
            manufacturer: s.manufacturer.clone(),
            model: s.model.clone(),
            serial_number: s.serial_number.clone(),
            smbios_uuid: s.smbios_uuid.clone(),
            chassis: chassis_to_wire(s.chassis) as i32,
            bios_vendor: s.bios_vendor.clone(),
            bios_version: s.bios_version.clone(),
            bios_release_date: s.bios_release_date.clone(),
        }),
        os: inv.os.as_ref().map(|o| pb::OperatingSystem {
            name: o.name.clone(),
            version: o.version.clone(),
            build: o.build.clone(),
            kernel: o.kernel.clone(),
            architecture: o.architecture.clone(),
            last_boot: o.last_boot,
        }),
        cpu: inv.cpu.as_ref().map(|c| pb::Cpu {
            model: c.model.clone(),
            vendor: c.vendor.clone(),
            physical_cores: c.physical_cores,
            logical_threads: c.logical_threads,
            frequency_mhz: c.frequency_mhz,
        }),
        memory: inv.memory.as_ref().map(|mem| pb::Memory { total_bytes: mem.total_bytes }),
        volumes: inv
            .volumes
            .iter()
            .flatten()
            .map(|v| pb::Volume {
                name: v.name.clone(),
                mount_point: v.mount_point.clone(),
                file_system: v.file_system.clone(),
                kind: storage_to_wire(v.kind) as i32,
                total_bytes: v.total_bytes,
                available_bytes: v.available_bytes,
                removable: v.removable,
                is_system: v.is_system,
            })
            .collect(),
        network_interfaces: inv
            .network_interfaces
            .iter()
            .flatten()
            .map(|n| pb::NetworkInterface {
                name: n.name.clone(),
                mac_address: n.mac_address.clone(),
                addresses: n.addresses.clone(),
            })
            .collect(),
        unknown_sections: inv
            .unknown_sections
            .iter()
            .map(|u| pb::UnknownSection { section: u.section.name().to_string(), reason: u.reason.clone() })
            .collect(),
    }
}

// ---- inventory: wire → domain ---------------------------------------------

/// Validates and converts an inventory from the wire. A list section that
/// the agent listed in `unknown_sections` becomes `None`, never an empty
/// list, so that "could not read" never reads as "has none".
pub fn inventory_from_wire(inv: pb::Inventory) -> Result<m::Inventory, WireError> {
    let mut unknown_sections = Vec::new();
    for (i, u) in count(inv.unknown_sections, "inventory.unknown_sections", MAX_UNKNOWN_SECTIONS)?
        .into_iter()
        .enumerate()
    {
        let section = m::Section::from_name(&u.section).ok_or_else(|| {
            WireError::new(
                format!("inventory.unknown_sections[{i}].section"),
                format!("unknown section {:?}", u.section),
            )
        })?;
        let reason = text(u.reason, || format!("inventory.unknown_sections[{i}].reason"), MAX_STRING_LEN)?;
        unknown_sections.push(m::UnknownSection { section, reason });
    }
    let is_unknown = |section: m::Section| unknown_sections.iter().any(|u| u.section == section);

    let s = |value: String, field: &'static str| text(value, || format!("inventory.{field}"), MAX_STRING_LEN);
    let system = match inv.system {
        Some(sys) => Some(m::System {
            manufacturer: s(sys.manufacturer, "system.manufacturer")?,
            model: s(sys.model, "system.model")?,
            serial_number: s(sys.serial_number, "system.serial_number")?,
            smbios_uuid: s(sys.smbios_uuid, "system.smbios_uuid")?,
            chassis: chassis_from_wire(sys.chassis),
            bios_vendor: s(sys.bios_vendor, "system.bios_vendor")?,
            bios_version: s(sys.bios_version, "system.bios_version")?,
            bios_release_date: s(sys.bios_release_date, "system.bios_release_date")?,
        }),
        None => None,
    };
    let os = match inv.os {
        Some(os) => Some(m::OperatingSystem {
            name: s(os.name, "os.name")?,
            version: s(os.version, "os.version")?,
            build: s(os.build, "os.build")?,
            kernel: s(os.kernel, "os.kernel")?,
            architecture: s(os.architecture, "os.architecture")?,
            last_boot: os.last_boot,
        }),
        None => None,
    };
    let cpu = match inv.cpu {
        Some(cpu) => Some(m::Cpu {
            model: s(cpu.model, "cpu.model")?,
            vendor: s(cpu.vendor, "cpu.vendor")?,
            physical_cores: cpu.physical_cores,
            logical_threads: cpu.logical_threads,
            frequency_mhz: cpu.frequency_mhz,
        }),
        None => None,
    };
    let memory = inv.memory.map(|mem| m::Memory { total_bytes: mem.total_bytes });

    let mut volumes = Vec::new();
    for (i, v) in count(inv.volumes, "inventory.volumes", MAX_VOLUMES)?.into_iter().enumerate() {
        let f = |name: &'static str| move || format!("inventory.volumes[{i}].{name}");
        volumes.push(m::Volume {
            name: text(v.name, f("name"), MAX_STRING_LEN)?,
            mount_point: text(v.mount_point, f("mount_point"), MAX_STRING_LEN)?,
            file_system: text(v.file_system, f("file_system"), MAX_STRING_LEN)?,
            kind: storage_from_wire(v.kind),
            total_bytes: v.total_bytes,
            available_bytes: v.available_bytes,
            removable: v.removable,
            is_system: v.is_system,
        });
    }

    let mut interfaces = Vec::new();
    for (i, n) in count(inv.network_interfaces, "inventory.network_interfaces", MAX_NETWORK_INTERFACES)?
        .into_iter()
        .enumerate()
    {
        let f = |name: &'static str| move || format!("inventory.network_interfaces[{i}].{name}");
        let addresses = count(
            n.addresses,
            &format!("inventory.network_interfaces[{i}].addresses"),
            MAX_ADDRESSES_PER_INTERFACE,
        )?
        .into_iter()
        .enumerate()
        .map(|(j, a)| text(a, || format!("inventory.network_interfaces[{i}].addresses[{j}]"), MAX_STRING_LEN))
        .collect::<Result<_, _>>()?;
        interfaces.push(m::NetworkInterface {
            name: text(n.name, f("name"), MAX_STRING_LEN)?,
            mac_address: text(n.mac_address, f("mac_address"), MAX_STRING_LEN)?,
            addresses,
        });
    }

    Ok(m::Inventory {
        collected_at: inv.collected_at,
        hostname: required_text(inv.hostname, "inventory.hostname", MAX_HOSTNAME_LEN)?,
        machine_id: required_text(inv.machine_id, "inventory.machine_id", MAX_MACHINE_ID_LEN)?,
        agent_version: s(inv.agent_version, "agent_version")?,
        system,
        os,
        cpu,
        memory,
        volumes: (!is_unknown(m::Section::Volumes)).then_some(volumes),
        network_interfaces: (!is_unknown(m::Section::NetworkInterfaces)).then_some(interfaces),
        unknown_sections,
    })
}

// ---- devices ----------------------------------------------------------------

pub fn device_summary_to_wire(d: &m::DeviceSummary) -> pb::DeviceSummary {
    pb::DeviceSummary {
        id: d.id,
        hostname: d.hostname.clone(),
        machine_id: d.machine_id.clone(),
        enrolled_at: d.enrolled_at,
        last_seen_at: d.last_seen_at.unwrap_or(0),
        os_name: d.os_name.clone(),
        os_version: d.os_version.clone(),
        manufacturer: d.manufacturer.clone(),
        model: d.model.clone(),
        chassis: chassis_to_wire(d.chassis) as i32,
        cpu_model: d.cpu_model.clone(),
        cpu_cores: d.cpu_cores,
        ram_bytes: d.ram_bytes,
        system_storage: storage_to_wire(d.system_storage) as i32,
        serial_number: d.serial_number.clone(),
        revoked: d.revoked,
    }
}

/// Summaries come from our own server; they are converted, not policed.
pub fn device_summary_from_wire(d: pb::DeviceSummary) -> m::DeviceSummary {
    m::DeviceSummary {
        id: d.id,
        hostname: d.hostname,
        machine_id: d.machine_id,
        enrolled_at: d.enrolled_at,
        last_seen_at: (d.last_seen_at != 0).then_some(d.last_seen_at),
        os_name: d.os_name,
        os_version: d.os_version,
        manufacturer: d.manufacturer,
        model: d.model,
        chassis: chassis_from_wire(d.chassis),
        cpu_model: d.cpu_model,
        cpu_cores: d.cpu_cores,
        ram_bytes: d.ram_bytes,
        system_storage: storage_from_wire(d.system_storage),
        serial_number: d.serial_number,
        revoked: d.revoked,
    }
}

pub fn device_to_wire(d: &m::Device) -> pb::Device {
    pb::Device {
        summary: Some(device_summary_to_wire(&d.summary)),
        inventory: d.inventory.as_ref().map(inventory_to_wire),
    }
}

pub fn device_from_wire(d: pb::Device) -> Result<m::Device, WireError> {
    let summary = d.summary.ok_or_else(|| WireError::new("device.summary", "missing"))?;
    Ok(m::Device {
        summary: device_summary_from_wire(summary),
        inventory: d.inventory.map(inventory_from_wire).transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> m::Inventory {
        m::Inventory {
            collected_at: 1_700_000_000,
            hostname: "PC-MDS-ETA-0042".into(),
            machine_id: "4c4c4544-0042-3510-8048-b4c04f4e3232".into(),
            agent_version: "0.1.0".into(),
            system: Some(m::System {
                manufacturer: "Dell Inc.".into(),
                model: "Latitude 5420".into(),
                chassis: m::ChassisKind::Laptop,
                bios_release_date: "2021-06-01".into(),
                ..m::System::default()
            }),
            os: Some(m::OperatingSystem {
                name: "Windows".into(),
                version: "11 (23H2)".into(),
                ..Default::default()
            }),
            cpu: Some(m::Cpu {
                model: "Intel(R) Core(TM) i5-1145G7".into(),
                physical_cores: 4,
                logical_threads: 8,
                ..Default::default()
            }),
            memory: Some(m::Memory { total_bytes: 16 << 30 }),
            volumes: Some(vec![m::Volume {
                mount_point: "C:\\".into(),
                kind: m::StorageKind::Nvme,
                total_bytes: 256 << 30,
                is_system: true,
                ..Default::default()
            }]),
            network_interfaces: Some(vec![m::NetworkInterface {
                name: "Ethernet".into(),
                mac_address: "aa:bb:cc:dd:ee:ff".into(),
                addresses: vec!["10.12.3.4/24".into()],
            }]),
            unknown_sections: vec![],
        }
    }

    #[test]
    fn inventory_round_trips_through_the_wire() {
        let inventory = sample();
        assert_eq!(inventory_from_wire(inventory_to_wire(&inventory)), Ok(inventory));
    }

    #[test]
    fn an_unknown_list_section_stays_unknown_not_empty() {
        let mut inventory = sample();
        inventory.network_interfaces = None;
        inventory.unknown_sections = vec![m::UnknownSection {
            section: m::Section::NetworkInterfaces,
            reason: "timed out after 5s".into(),
        }];
        let back = inventory_from_wire(inventory_to_wire(&inventory)).unwrap();
        assert_eq!(back.network_interfaces, None);
        assert_eq!(back, inventory);
    }

    #[test]
    fn an_oversized_string_is_refused_with_its_field_path() {
        let mut wire = inventory_to_wire(&sample());
        wire.volumes[0].mount_point = "x".repeat(MAX_STRING_LEN + 1);
        let error = inventory_from_wire(wire).unwrap_err();
        assert_eq!(error.field, "inventory.volumes[0].mount_point");
        assert!(error.problem.contains("limit of 1024"), "{error}");
    }

    #[test]
    fn too_many_addresses_are_refused() {
        let mut wire = inventory_to_wire(&sample());
        wire.network_interfaces[0].addresses = vec!["10.0.0.1/8".into(); MAX_ADDRESSES_PER_INTERFACE + 1];
        let error = inventory_from_wire(wire).unwrap_err();
        assert_eq!(error.field, "inventory.network_interfaces[0].addresses");
    }

    #[test]
    fn a_missing_hostname_is_refused() {
        let mut wire = inventory_to_wire(&sample());
        wire.hostname = "  ".into();
        assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.hostname");
    }

    #[test]
    fn an_unknown_section_name_is_refused() {
        let mut wire = inventory_to_wire(&sample());
        wire.unknown_sections.push(pb::UnknownSection { section: "bogus".into(), reason: String::new() });
        assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.unknown_sections[0].section");
    }

    #[test]
    fn chassis_values_from_a_newer_peer_read_as_unknown() {
        let mut wire = inventory_to_wire(&sample());
        wire.system.as_mut().unwrap().chassis = 99;
        assert_eq!(inventory_from_wire(wire).unwrap().system.unwrap().chassis, m::ChassisKind::Unknown);
    }
}
