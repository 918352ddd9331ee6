//! Inventories, domain ↔ wire. The software list has its own module.

use super::software::{software_from_wire, software_to_wire, SoftwareColumns};
use super::*;

// ---- inventory: domain → wire ---------------------------------------------

pub fn inventory_to_wire(inv: &m::Inventory) -> pb::Inventory {
    let mut wire = inventory_to_wire_without_software(inv);
    wire.software = inv.software.as_deref().map(|packages| software_to_wire(packages, NameCoding::Whole));
    wire
}

/// Every section but software: what the server stores as section content
/// (software goes to its catalogue and link table).
pub fn inventory_to_wire_without_software(inv: &m::Inventory) -> pb::Inventory {
    pb::Inventory {
        collected_at: inv.collected_at,
        hostname: inv.hostname.clone(),
        machine_id: inv.machine_id.clone(),
        agent_version: inv.agent_version.clone(),
        labels: inv.labels.clone(),
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
        software: None,
        unknown_sections: inv
            .unknown_sections
            .iter()
            .map(|u| pb::UnknownSection { section: u.section.name().to_string(), reason: u.reason.clone() })
            .collect(),
    }
}

/// Validates a report's inventory like [`inventory_from_wire`], but leaves
/// its software in columns: the domain's inventory comes back without
/// software, and the software list, when the report carries the section,
/// comes beside it.
pub fn report_from_wire(
    mut inv: pb::Inventory,
) -> Result<(m::Inventory, Option<SoftwareColumns>), WireError> {
    let list = inv.software.take();
    let mut inventory = inventory_from_wire(inv)?;
    let columns = list.map(SoftwareColumns::from_wire).transpose()?;
    // Listed unknown: no list, whatever came (checked all the same).
    let software = inventory.software.take().map(|_| columns.unwrap_or_default());
    Ok((inventory, software))
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
    let labels = count(inv.labels, "inventory.labels", MAX_LABELS)?;
    for (i, label) in labels.iter().enumerate() {
        if let Some(problem) = label_problem(label) {
            return Err(WireError::new(format!("inventory.labels[{i}]"), format!("{label:?}: {problem}")));
        }
    }

    Ok(m::Inventory {
        collected_at: inv.collected_at,
        hostname: required_text(inv.hostname, "inventory.hostname", MAX_HOSTNAME_LEN)?,
        machine_id: required_text(inv.machine_id, "inventory.machine_id", MAX_MACHINE_ID_LEN)?,
        agent_version: top.s(inv.agent_version, "agent_version")?,
        labels,
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
