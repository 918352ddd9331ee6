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

/// Maps a domain enum to its wire enum and back. Values this build does not
/// know (sent by a newer peer) read as the domain's Unknown.
macro_rules! enum_mapping {
    ($to:ident, $from:ident, $m:ty, $p:ty, $m_unknown:ident => $p_unknown:ident, [$($mv:ident => $pv:ident),* $(,)?]) => {
        fn $to(value: $m) -> i32 {
            (match value {
                <$m>::$m_unknown => <$p>::$p_unknown,
                $(<$m>::$mv => <$p>::$pv,)*
            }) as i32
        }
        fn $from(value: i32) -> $m {
            match <$p>::try_from(value).unwrap_or(<$p>::$p_unknown) {
                <$p>::$p_unknown => <$m>::$m_unknown,
                $(<$p>::$pv => <$m>::$mv,)*
            }
        }
    };
}

enum_mapping!(chassis_to_wire, chassis_from_wire, m::ChassisKind, pb::ChassisKind, Unknown => Unspecified, [
    Desktop => Desktop, Laptop => Laptop, AllInOne => AllInOne, Tablet => Tablet, Server => Server,
    VirtualMachine => VirtualMachine, Other => Other,
]);
enum_mapping!(storage_to_wire, storage_from_wire, m::StorageKind, pb::StorageKind, Unknown => Unspecified, [
    Hdd => Hdd, Ssd => Ssd, Nvme => Nvme,
]);
enum_mapping!(interface_to_wire, interface_from_wire, m::InterfaceKind, pb::InterfaceKind, Unknown => Unspecified, [
    Wired => Wired, Wireless => Wireless, Virtual => Virtual,
]);
enum_mapping!(duplex_to_wire, duplex_from_wire, m::Duplex, pb::Duplex, Unknown => Unspecified, [
    Half => Half, Full => Full,
]);
enum_mapping!(firmware_to_wire, firmware_from_wire, m::Firmware, pb::Firmware, Unknown => Unspecified, [
    Bios => Bios, Uefi => Uefi,
]);
enum_mapping!(secure_boot_to_wire, secure_boot_from_wire, m::SecureBoot, pb::SecureBoot, Unknown => Unspecified, [
    On => On, Off => Off, Unsupported => Unsupported,
]);
enum_mapping!(encryption_to_wire, encryption_from_wire, m::DiskEncryption, pb::DiskEncryption, Unknown => Unspecified, [
    None => None, Bitlocker => Bitlocker, Luks => Luks, Other => Other,
]);
enum_mapping!(bus_to_wire, bus_from_wire, m::DeviceBus, pb::DeviceBus, Unknown => Unspecified, [
    Usb => Usb, Bluetooth => Bluetooth, Internal => Internal,
]);
enum_mapping!(source_to_wire, source_from_wire, m::SoftwareSource, pb::SoftwareSource, Unknown => Unspecified, [
    Dpkg => Dpkg, Rpm => Rpm, Flatpak => Flatpak, Snap => Snap, WindowsUninstall => WindowsUninstall,
    WindowsUserUninstall => WindowsUserUninstall, Appx => Appx,
]);

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
            chassis: chassis_to_wire(s.chassis),
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
            edition: o.edition.clone(),
            install_date: o.install_date,
            last_security_update: o.last_security_update,
        }),
        cpu: inv.cpu.as_ref().map(|c| pb::Cpu {
            model: c.model.clone(),
            vendor: c.vendor.clone(),
            physical_cores: c.physical_cores,
            logical_threads: c.logical_threads,
            frequency_mhz: c.frequency_mhz,
            family: c.family,
            model_number: c.model_number,
            stepping: c.stepping,
            flags: c.flags.clone(),
        }),
        memory: inv.memory.as_ref().map(|mem| pb::Memory {
            total_bytes: mem.total_bytes,
            modules: mem
                .modules
                .iter()
                .map(|module| pb::MemoryModule {
                    slot: module.slot.clone(),
                    size_bytes: module.size_bytes,
                    kind: module.kind.clone(),
                    speed_mts: module.speed_mts,
                })
                .collect(),
        }),
        volumes: inv
            .volumes
            .iter()
            .flatten()
            .map(|v| pb::Volume {
                name: v.name.clone(),
                mount_point: v.mount_point.clone(),
                file_system: v.file_system.clone(),
                kind: storage_to_wire(v.kind),
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
                kind: interface_to_wire(n.kind),
                link_speed_mbps: n.link_speed_mbps.unwrap_or(0),
                duplex: duplex_to_wire(n.duplex),
                driver: n.driver.clone(),
                wifi: n.wifi.as_ref().map(|w| pb::WifiCapabilities {
                    standards: w.standards.clone(),
                    bands: w.bands.clone(),
                    wpa2_enterprise: w.wpa2_enterprise,
                    wpa3_enterprise: w.wpa3_enterprise,
                    driver_version: w.driver_version.clone(),
                    driver_date: w.driver_date.clone(),
                }),
            })
            .collect(),
        disks: inv
            .disks
            .iter()
            .flatten()
            .map(|d| pb::PhysicalDisk {
                name: d.name.clone(),
                model: d.model.clone(),
                serial_number: d.serial_number.clone(),
                size_bytes: d.size_bytes,
                kind: storage_to_wire(d.kind),
                holds_os: d.holds_os,
                removable: d.removable,
            })
            .collect(),
        security: inv.security.as_ref().map(|s| pb::Security {
            tpm_present: s.tpm_present,
            tpm_version: s.tpm_version.clone(),
            firmware: firmware_to_wire(s.firmware),
            secure_boot: secure_boot_to_wire(s.secure_boot),
            system_disk_encryption: encryption_to_wire(s.system_disk_encryption),
        }),
        batteries: inv
            .batteries
            .iter()
            .flatten()
            .map(|b| pb::Battery {
                name: b.name.clone(),
                design_capacity_mwh: b.design_capacity_mwh,
                full_charge_capacity_mwh: b.full_charge_capacity_mwh,
            })
            .collect(),
        peripherals: inv.peripherals.as_ref().map(|p| pb::Peripherals {
            audio: p
                .audio
                .iter()
                .map(|a| pb::AudioDevice {
                    name: a.name.clone(),
                    bus: bus_to_wire(a.bus),
                    capture: a.capture,
                    playback: a.playback,
                    headset: a.headset,
                    usb_id: a.usb_id.clone(),
                })
                .collect(),
            cameras: p
                .cameras
                .iter()
                .map(|c| pb::Camera {
                    name: c.name.clone(),
                    bus: bus_to_wire(c.bus),
                    usb_id: c.usb_id.clone(),
                })
                .collect(),
        }),
        users: inv
            .users
            .as_ref()
            .map(|u| pb::Users { logged_in: u.logged_in.clone(), last_logged_in: u.last_logged_in.clone() }),
        software: inv.software.as_deref().map(|packages| software_to_wire(packages, NameCoding::Whole)),
        unknown_sections: inv
            .unknown_sections
            .iter()
            .map(|u| pb::UnknownSection { section: u.section.name().to_string(), reason: u.reason.clone() })
            .collect(),
    }
}

// ---- inventory: wire → domain ---------------------------------------------

/// Checks strings against their limits while converting, building the
/// field path only when something is wrong.
struct Checker {
    prefix: String,
}

impl Checker {
    fn at(prefix: impl Into<String>) -> Checker {
        Checker { prefix: prefix.into() }
    }

    fn s(&self, value: String, field: &str) -> Result<String, WireError> {
        text(value, || format!("{}.{field}", self.prefix), MAX_STRING_LEN)
    }

    fn list(&self, values: Vec<String>, field: &str, max: usize) -> Result<Vec<String>, WireError> {
        count(values, &format!("{}.{field}", self.prefix), max)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| text(v, || format!("{}.{field}[{i}]", self.prefix), MAX_STRING_LEN))
            .collect()
    }
}

/// Converts each element of a repeated field with its indexed path.
fn each<W, D>(
    items: Vec<W>,
    field: &str,
    max: usize,
    convert: impl Fn(W, Checker) -> Result<D, WireError>,
) -> Result<Vec<D>, WireError> {
    count(items, field, max)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| convert(item, Checker::at(format!("{field}[{i}]"))))
        .collect()
}

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
    let known = |section: m::Section| !unknown_sections.iter().any(|u| u.section == section);
    let top = Checker::at("inventory");

    let system = match inv.system {
        Some(sys) => {
            let c = Checker::at("inventory.system");
            Some(m::System {
                manufacturer: c.s(sys.manufacturer, "manufacturer")?,
                model: c.s(sys.model, "model")?,
                serial_number: c.s(sys.serial_number, "serial_number")?,
                smbios_uuid: c.s(sys.smbios_uuid, "smbios_uuid")?,
                chassis: chassis_from_wire(sys.chassis),
                bios_vendor: c.s(sys.bios_vendor, "bios_vendor")?,
                bios_version: c.s(sys.bios_version, "bios_version")?,
                bios_release_date: c.s(sys.bios_release_date, "bios_release_date")?,
            })
        }
        None => None,
    };
    let os = match inv.os {
        Some(os) => {
            let c = Checker::at("inventory.os");
            Some(m::OperatingSystem {
                name: c.s(os.name, "name")?,
                version: c.s(os.version, "version")?,
                build: c.s(os.build, "build")?,
                kernel: c.s(os.kernel, "kernel")?,
                architecture: c.s(os.architecture, "architecture")?,
                last_boot: os.last_boot,
                edition: c.s(os.edition, "edition")?,
                install_date: os.install_date,
                last_security_update: os.last_security_update,
            })
        }
        None => None,
    };
    let cpu = match inv.cpu {
        Some(cpu) => {
            let c = Checker::at("inventory.cpu");
            Some(m::Cpu {
                model: c.s(cpu.model, "model")?,
                vendor: c.s(cpu.vendor, "vendor")?,
                physical_cores: cpu.physical_cores,
                logical_threads: cpu.logical_threads,
                frequency_mhz: cpu.frequency_mhz,
                family: cpu.family,
                model_number: cpu.model_number,
                stepping: cpu.stepping,
                flags: c.list(cpu.flags, "flags", MAX_SHORT_LIST)?,
            })
        }
        None => None,
    };
    let memory = match inv.memory {
        Some(mem) => Some(m::Memory {
            total_bytes: mem.total_bytes,
            modules: each(mem.modules, "inventory.memory.modules", MAX_MEMORY_MODULES, |module, c| {
                Ok(m::MemoryModule {
                    slot: c.s(module.slot, "slot")?,
                    size_bytes: module.size_bytes,
                    kind: c.s(module.kind, "kind")?,
                    speed_mts: module.speed_mts,
                })
            })?,
        }),
        None => None,
    };
    let volumes = each(inv.volumes, "inventory.volumes", MAX_VOLUMES, |v, c| {
        Ok(m::Volume {
            name: c.s(v.name, "name")?,
            mount_point: c.s(v.mount_point, "mount_point")?,
            file_system: c.s(v.file_system, "file_system")?,
            kind: storage_from_wire(v.kind),
            total_bytes: v.total_bytes,
            available_bytes: v.available_bytes,
            removable: v.removable,
            is_system: v.is_system,
        })
    })?;
    let interfaces =
        each(inv.network_interfaces, "inventory.network_interfaces", MAX_NETWORK_INTERFACES, |n, c| {
            let wifi = match n.wifi {
                Some(w) => {
                    let wc = Checker::at(format!("{}.wifi", c.prefix));
                    Some(m::WifiCapabilities {
                        standards: wc.list(w.standards, "standards", MAX_SHORT_LIST)?,
                        bands: wc.list(w.bands, "bands", MAX_SHORT_LIST)?,
                        wpa2_enterprise: w.wpa2_enterprise,
                        wpa3_enterprise: w.wpa3_enterprise,
                        driver_version: wc.s(w.driver_version, "driver_version")?,
                        driver_date: wc.s(w.driver_date, "driver_date")?,
                    })
                }
                None => None,
            };
            Ok(m::NetworkInterface {
                name: c.s(n.name, "name")?,
                mac_address: c.s(n.mac_address, "mac_address")?,
                addresses: c.list(n.addresses, "addresses", MAX_ADDRESSES_PER_INTERFACE)?,
                kind: interface_from_wire(n.kind),
                link_speed_mbps: (n.link_speed_mbps != 0).then_some(n.link_speed_mbps),
                duplex: duplex_from_wire(n.duplex),
                driver: c.s(n.driver, "driver")?,
                wifi,
            })
        })?;
    let disks = each(inv.disks, "inventory.disks", MAX_DISKS, |d, c| {
        Ok(m::PhysicalDisk {
            name: c.s(d.name, "name")?,
            model: c.s(d.model, "model")?,
            serial_number: c.s(d.serial_number, "serial_number")?,
            size_bytes: d.size_bytes,
            kind: storage_from_wire(d.kind),
            holds_os: d.holds_os,
            removable: d.removable,
        })
    })?;
    let security = match inv.security {
        Some(s) => Some(m::Security {
            tpm_present: s.tpm_present,
            tpm_version: Checker::at("inventory.security").s(s.tpm_version, "tpm_version")?,
            firmware: firmware_from_wire(s.firmware),
            secure_boot: secure_boot_from_wire(s.secure_boot),
            system_disk_encryption: encryption_from_wire(s.system_disk_encryption),
        }),
        None => None,
    };
    let batteries = each(inv.batteries, "inventory.batteries", MAX_BATTERIES, |b, c| {
        Ok(m::Battery {
            name: c.s(b.name, "name")?,
            design_capacity_mwh: b.design_capacity_mwh,
            full_charge_capacity_mwh: b.full_charge_capacity_mwh,
        })
    })?;
    let peripherals = match inv.peripherals {
        Some(p) => Some(m::Peripherals {
            audio: each(p.audio, "inventory.peripherals.audio", MAX_PERIPHERALS, |a, c| {
                Ok(m::AudioDevice {
                    name: c.s(a.name, "name")?,
                    bus: bus_from_wire(a.bus),
                    capture: a.capture,
                    playback: a.playback,
                    headset: a.headset,
                    usb_id: c.s(a.usb_id, "usb_id")?,
                })
            })?,
            cameras: each(p.cameras, "inventory.peripherals.cameras", MAX_PERIPHERALS, |cam, c| {
                Ok(m::Camera {
                    name: c.s(cam.name, "name")?,
                    bus: bus_from_wire(cam.bus),
                    usb_id: c.s(cam.usb_id, "usb_id")?,
                })
            })?,
        }),
        None => None,
    };
    let users = match inv.users {
        Some(u) => {
            let c = Checker::at("inventory.users");
            Some(m::Users {
                logged_in: c.list(u.logged_in, "logged_in", MAX_USERS)?,
                last_logged_in: c.s(u.last_logged_in, "last_logged_in")?,
            })
        }
        None => None,
    };
    let software = match inv.software {
        Some(list) => software_from_wire(list)?,
        None => Vec::new(),
    };

    Ok(m::Inventory {
        collected_at: inv.collected_at,
        hostname: required_text(inv.hostname, "inventory.hostname", MAX_HOSTNAME_LEN)?,
        machine_id: required_text(inv.machine_id, "inventory.machine_id", MAX_MACHINE_ID_LEN)?,
        agent_version: top.s(inv.agent_version, "agent_version")?,
        system,
        os,
        cpu,
        memory,
        volumes: known(m::Section::Volumes).then_some(volumes),
        network_interfaces: known(m::Section::NetworkInterfaces).then_some(interfaces),
        disks: known(m::Section::Disks).then_some(disks),
        security,
        batteries: known(m::Section::Batteries).then_some(batteries),
        peripherals,
        users,
        software: known(m::Section::Software).then_some(software),
        unknown_sections,
    })
}

// ---- software, as columns ----------------------------------------------------

/// How to encode software names: whole (readable in grpcurl, for the fleet
/// API) or front-coded (smallest, for agents' reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameCoding {
    Whole,
    FrontCoded,
}

/// The inventory as an agent sends it: software names front-coded.
pub fn report_inventory_to_wire(inv: &m::Inventory) -> pb::Inventory {
    let mut wire = inventory_to_wire(inv);
    if let Some(packages) = inv.software.as_deref() {
        wire.software = Some(software_to_wire(packages, NameCoding::FrontCoded));
    }
    wire
}

fn software_to_wire(packages: &[m::SoftwarePackage], coding: NameCoding) -> pb::SoftwareList {
    let mut list = pb::SoftwareList::default();
    let mut previous = "";
    let mut publisher_slots: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut architecture_slots: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for p in packages {
        let next = u32::try_from(list.publishers.len()).unwrap_or(u32::MAX);
        let slot = *publisher_slots.entry(p.publisher.as_str()).or_insert_with(|| {
            list.publishers.push(p.publisher.clone());
            next
        });
        match coding {
            NameCoding::Whole => list.names.push(p.name.clone()),
            NameCoding::FrontCoded => {
                let shared = shared_prefix(previous, &p.name);
                list.name_prefix_lengths.push(u32::try_from(shared).unwrap_or(0));
                list.names.push(p.name[shared..].to_string());
                previous = &p.name;
            }
        }
        list.versions.push(p.version.clone());
        list.publisher_index.push(slot);
        list.install_days.push(
            m::civil::parse_iso(&p.install_date).and_then(|days| u32::try_from(days).ok()).unwrap_or(0),
        );
        list.sources.push(source_to_wire(p.source));
        let next = u32::try_from(list.architectures.len()).unwrap_or(u32::MAX);
        let slot = *architecture_slots.entry(p.architecture.as_str()).or_insert_with(|| {
            list.architectures.push(p.architecture.clone());
            next
        });
        list.architecture_index.push(slot);
    }
    list
}

/// Bytes two names share at the start, on a character boundary.
fn shared_prefix(a: &str, b: &str) -> usize {
    let mut shared = 0;
    for ((i, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            break;
        }
        shared = i + x.len_utf8();
    }
    shared
}

/// Undoes front coding; refuses prefix lengths that point past the
/// previous name or inside a character.
fn expand_names(
    suffixes: Vec<String>,
    prefix_lengths: &[u32],
    field: &str,
) -> Result<Vec<String>, WireError> {
    if prefix_lengths.is_empty() {
        return Ok(suffixes);
    }
    if prefix_lengths.len() != suffixes.len() {
        return Err(WireError::new(
            format!("{field}.name_prefix_lengths"),
            format!(
                "{} entries for {} names; give one per name or none",
                prefix_lengths.len(),
                suffixes.len()
            ),
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(suffixes.len());
    for (i, (suffix, &shared)) in suffixes.into_iter().zip(prefix_lengths).enumerate() {
        let previous = names.last().map(String::as_str).unwrap_or("");
        let shared = shared as usize;
        if shared > previous.len() || !previous.is_char_boundary(shared) {
            return Err(WireError::new(
                format!("{field}.name_prefix_lengths[{i}]"),
                format!("{shared} is not a prefix of the previous name ({} bytes)", previous.len()),
            ));
        }
        let name = format!("{}{suffix}", &previous[..shared]);
        if name.len() > MAX_STRING_LEN {
            return Err(WireError::new(
                format!("{field}.names[{i}]"),
                format!("longer than the limit of {MAX_STRING_LEN}"),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

fn software_from_wire(list: pb::SoftwareList) -> Result<Vec<m::SoftwarePackage>, WireError> {
    let field = "inventory.software";
    let c = Checker::at(field);
    let names = expand_names(c.list(list.names, "names", MAX_SOFTWARE)?, &list.name_prefix_lengths, field)?;
    let column = |values: Vec<String>, column: &str| -> Result<Vec<String>, WireError> {
        if values.len() != names.len() {
            return Err(WireError::new(
                format!("{field}.{column}"),
                format!(
                    "{} entries for {} names; every column has one entry per package",
                    values.len(),
                    names.len()
                ),
            ));
        }
        c.list(values, column, MAX_SOFTWARE)
    };
    let versions = column(list.versions, "versions")?;
    let publishers = c.list(list.publishers, "publishers", MAX_SOFTWARE)?;
    let architectures = c.list(list.architectures, "architectures", MAX_SOFTWARE)?;
    for (column_name, len) in [
        ("publisher_index", list.publisher_index.len()),
        ("install_days", list.install_days.len()),
        ("sources", list.sources.len()),
        ("architecture_index", list.architecture_index.len()),
    ] {
        if len != names.len() {
            return Err(WireError::new(
                format!("{field}.{column_name}"),
                format!("{len} entries for {} names; every column has one entry per package", names.len()),
            ));
        }
    }
    let mut packages = Vec::with_capacity(names.len());
    for (i, name) in names.into_iter().enumerate() {
        let lookup = |table: &[String], index: u32, column: &str| {
            table.get(index as usize).cloned().ok_or_else(|| {
                WireError::new(
                    format!("{field}.{column}[{i}]"),
                    format!("{index} is past the {} entries", table.len()),
                )
            })
        };
        let days = list.install_days[i];
        packages.push(m::SoftwarePackage {
            name,
            version: versions[i].clone(),
            publisher: lookup(&publishers, list.publisher_index[i], "publisher_index")?,
            install_date: if days == 0 { String::new() } else { m::civil::iso(i64::from(days)) },
            source: source_from_wire(list.sources[i]),
            architecture: lookup(&architectures, list.architecture_index[i], "architecture_index")?,
        });
    }
    Ok(packages)
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
        chassis: chassis_to_wire(d.chassis),
        cpu_model: d.cpu_model.clone(),
        cpu_cores: d.cpu_cores,
        ram_bytes: d.ram_bytes,
        system_storage: storage_to_wire(d.system_storage),
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
            memory: Some(m::Memory { total_bytes: 16 << 30, modules: vec![] }),
            volumes: Some(vec![m::Volume {
                mount_point: "C:\\".into(),
                kind: m::StorageKind::Nvme,
                total_bytes: 256 << 30,
                is_system: true,
                ..Default::default()
            }]),
            network_interfaces: Some(vec![
                m::NetworkInterface {
                    name: "Ethernet".into(),
                    mac_address: "aa:bb:cc:dd:ee:ff".into(),
                    addresses: vec!["10.12.3.4/24".into()],
                    kind: m::InterfaceKind::Wired,
                    link_speed_mbps: Some(1000),
                    duplex: m::Duplex::Full,
                    driver: "e1000e".into(),
                    wifi: None,
                },
                m::NetworkInterface {
                    name: "Wi-Fi".into(),
                    kind: m::InterfaceKind::Wireless,
                    wifi: Some(m::WifiCapabilities {
                        standards: vec!["802.11ac".into(), "802.11ax".into()],
                        bands: vec!["2.4GHz".into(), "5GHz".into()],
                        wpa2_enterprise: true,
                        wpa3_enterprise: true,
                        driver_version: "22.200.0.6".into(),
                        driver_date: "2023-01-05".into(),
                    }),
                    ..Default::default()
                },
            ]),
            disks: Some(vec![m::PhysicalDisk {
                name: "nvme0n1".into(),
                model: "SAMSUNG MZVLB256".into(),
                size_bytes: 256 << 30,
                kind: m::StorageKind::Nvme,
                holds_os: true,
                ..Default::default()
            }]),
            security: Some(m::Security {
                tpm_present: true,
                tpm_version: "2.0".into(),
                firmware: m::Firmware::Uefi,
                secure_boot: m::SecureBoot::On,
                system_disk_encryption: m::DiskEncryption::Bitlocker,
            }),
            batteries: Some(vec![m::Battery {
                name: "BAT0".into(),
                design_capacity_mwh: 54_000,
                full_charge_capacity_mwh: 41_000,
            }]),
            peripherals: Some(m::Peripherals {
                audio: vec![m::AudioDevice {
                    name: "Plantronics Blackwire 3210".into(),
                    bus: m::DeviceBus::Usb,
                    capture: true,
                    playback: true,
                    headset: true,
                    usb_id: "047f:c055".into(),
                }],
                cameras: vec![m::Camera {
                    name: "Integrated Camera".into(),
                    bus: m::DeviceBus::Usb,
                    usb_id: "04f2:b71f".into(),
                }],
            }),
            users: Some(m::Users { logged_in: vec!["jdupont".into()], last_logged_in: "jdupont".into() }),
            software: Some(vec![m::SoftwarePackage {
                name: "Mozilla Firefox".into(),
                version: "128.5.0".into(),
                publisher: "Mozilla".into(),
                install_date: "2024-11-02".into(),
                source: m::SoftwareSource::WindowsUninstall,
                architecture: "x64".into(),
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
    fn every_list_section_marked_unknown_comes_back_as_none() {
        let mut inventory = sample();
        inventory.software = None;
        inventory.disks = None;
        inventory.batteries = None;
        inventory.unknown_sections = [m::Section::Software, m::Section::Disks, m::Section::Batteries]
            .into_iter()
            .map(|section| m::UnknownSection { section, reason: "could not read".into() })
            .collect();
        assert_eq!(inventory_from_wire(inventory_to_wire(&inventory)), Ok(inventory));
    }

    #[test]
    fn too_many_software_entries_are_refused_by_name() {
        let mut inventory = sample();
        let one = inventory.software.as_ref().unwrap()[0].clone();
        inventory.software = Some(vec![one; MAX_SOFTWARE + 1]);
        let error = inventory_from_wire(inventory_to_wire(&inventory)).unwrap_err();
        assert_eq!(error.field, "inventory.software.names");
        assert!(error.problem.contains("20001 entries"), "{error}");
    }

    #[test]
    fn nested_fields_are_named_with_their_index() {
        let mut wire = inventory_to_wire(&sample());
        wire.network_interfaces[1].wifi.as_mut().unwrap().bands.push("x".repeat(MAX_STRING_LEN + 1));
        assert_eq!(
            inventory_from_wire(wire).unwrap_err().field,
            "inventory.network_interfaces[1].wifi.bands[2]"
        );
        let mut wire = inventory_to_wire(&sample());
        wire.software.as_mut().unwrap().versions[0] = "v".repeat(MAX_STRING_LEN + 1);
        assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.software.versions[0]");
    }

    #[test]
    fn software_columns_must_line_up_and_publishers_must_exist() {
        let mut wire = inventory_to_wire(&sample());
        wire.software.as_mut().unwrap().versions.push("extra".into());
        let error = inventory_from_wire(wire).unwrap_err();
        assert_eq!(error.field, "inventory.software.versions");
        assert!(error.problem.contains("2 entries for 1 names"), "{error}");

        let mut wire = inventory_to_wire(&sample());
        wire.software.as_mut().unwrap().publisher_index[0] = 7;
        assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.software.publisher_index[0]");
    }

    #[test]
    fn reports_front_code_software_names_and_decode_to_the_same_inventory() {
        let mut inventory = sample();
        let one = inventory.software.as_ref().unwrap()[0].clone();
        let names =
            ["libreoffice-calc", "libreoffice-core", "libreoffice-writer", "éditeur", "édition", "zsh"];
        inventory.software =
            Some(names.iter().map(|n| m::SoftwarePackage { name: n.to_string(), ..one.clone() }).collect());
        let wire = report_inventory_to_wire(&inventory);
        let list = wire.software.as_ref().unwrap();
        assert_eq!(list.names, ["libreoffice-calc", "ore", "writer", "éditeur", "ion", "zsh"]);
        assert_eq!(list.name_prefix_lengths, [0, 13, 12, 0, 5, 0]);
        assert_eq!(inventory_from_wire(wire), Ok(inventory));
    }

    #[test]
    fn a_prefix_length_past_the_previous_name_is_refused() {
        let mut wire = report_inventory_to_wire(&sample());
        wire.software.as_mut().unwrap().name_prefix_lengths[0] = 3;
        let error = inventory_from_wire(wire).unwrap_err();
        assert_eq!(error.field, "inventory.software.name_prefix_lengths[0]");
    }

    #[test]
    fn publishers_are_sent_once() {
        let mut inventory = sample();
        let one = inventory.software.as_ref().unwrap()[0].clone();
        inventory.software =
            Some((0..50).map(|i| m::SoftwarePackage { name: format!("p{i}"), ..one.clone() }).collect());
        let wire = inventory_to_wire(&inventory);
        assert_eq!(wire.software.as_ref().unwrap().publishers, ["Mozilla"]);
        assert_eq!(inventory_from_wire(wire), Ok(inventory));
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
