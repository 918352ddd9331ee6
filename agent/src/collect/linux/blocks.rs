//! /sys/block → physical disks; which one holds the OS; whether the system
//! disk is encrypted (a dm-crypt mapping under the root file system).

use super::Root;
use crate::collect::parse::sanitize;
use parc_model::{DiskEncryption, PhysicalDisk, StorageKind};

/// Block devices that are not physical disks.
const NOT_DISKS: [&str; 8] = ["loop", "ram", "zram", "dm-", "md", "sr", "nbd", "fd"];

pub fn disks(root: &Root) -> Result<Vec<PhysicalDisk>, String> {
    if !root.exists("sys/block") {
        return Err("/sys/block is missing".into());
    }
    let system = system_disk(root);
    let disks = root
        .list("sys/block")
        .into_iter()
        .filter(|name| !NOT_DISKS.iter().any(|prefix| name.starts_with(prefix)))
        .take(parc_proto::limits::MAX_DISKS)
        .map(|name| {
            let attr = |file: &str| root.text(&format!("sys/block/{name}/{file}"));
            let sectors: u64 = attr("size").trim().parse().unwrap_or(0);
            let kind = if name.starts_with("nvme") {
                StorageKind::Nvme
            } else {
                match attr("queue/rotational").trim() {
                    "1" => StorageKind::Hdd,
                    "0" => StorageKind::Ssd,
                    _ => StorageKind::Unknown,
                }
            };
            PhysicalDisk {
                model: sanitize(&attr("device/model")),
                serial_number: sanitize(
                    &Some(attr("device/serial"))
                        .filter(|s| !s.trim().is_empty())
                        .unwrap_or_else(|| attr("serial")),
                ),
                size_bytes: sectors.saturating_mul(512),
                kind,
                holds_os: system.as_deref() == Some(name.as_str()),
                removable: attr("removable").trim() == "1",
                name,
            }
        })
        .collect();
    Ok(disks)
}

/// The kernel name of the device mounted at `/` ("vda1", "dm-0").
fn root_device(root: &Root) -> Option<String> {
    let mounts = root.text("proc/mounts");
    let source = mounts.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let source = fields.next()?;
        (fields.next()? == "/").then_some(source)
    })?;
    let name = source.strip_prefix("/dev/")?;
    if let Some(mapped) = name.strip_prefix("mapper/") {
        return root
            .list("sys/block")
            .into_iter()
            .filter(|n| n.starts_with("dm-"))
            .find(|dm| root.text(&format!("sys/block/{dm}/dm/name")).trim() == mapped);
    }
    Some(name.to_string())
}

/// The chain from the root file system's device down to its disk:
/// `["dm-0", "nvme0n1p3", "nvme0n1"]`.
fn device_chain(root: &Root) -> Option<Vec<String>> {
    let mut chain = vec![root_device(root)?];
    for _ in 0..8 {
        let current = chain.last()?.clone();
        if root.exists(&format!("sys/block/{current}")) {
            match root.list(&format!("sys/block/{current}/slaves")).into_iter().next() {
                Some(slave) => chain.push(slave),
                None => return Some(chain),
            }
        } else {
            // A partition: its disk is the /sys/block entry that contains it.
            let disk = root
                .list("sys/block")
                .into_iter()
                .find(|d| root.exists(&format!("sys/block/{d}/{current}")))?;
            chain.push(disk);
        }
    }
    Some(chain)
}

fn system_disk(root: &Root) -> Option<String> {
    device_chain(root)?.pop()
}

pub fn system_disk_encryption(root: &Root) -> DiskEncryption {
    let Some(chain) = device_chain(root) else { return DiskEncryption::Unknown };
    let encrypted =
        chain.iter().any(|dev| root.text(&format!("sys/block/{dev}/dm/uuid")).starts_with("CRYPT-"));
    if encrypted {
        DiskEncryption::Luks
    } else {
        DiskEncryption::None
    }
}
