//! The facts the rules read, taken once from a device's inventory, asset
//! and site, each `None` when it cannot be known, with the words that say why.

use super::{DeviceInput, SiteContext};
use crate::age::{self, AgeEstimate, AgeEvidence};
use crate::cpu::{self, CpuGeneration};
use crate::policy::Policy;
use parc_model::{Battery, ChassisKind, Cpu, Inventory, OperatingSystem, Section, Security, StorageKind};

pub(super) struct Facts<'a> {
    pub inventory: &'a Inventory,
    pub now: i64,
    pub today: i64,
    pub last_seen_at: Option<i64>,
    pub site: Option<SiteContext<'a>>,
    pub software: Option<&'a [String]>,
    pub cpu: Option<&'a Cpu>,
    pub cpu_generation: Option<CpuGeneration>,
    pub os: Option<&'a OperatingSystem>,
    /// Last day of security updates for the OS, from the policy's table.
    pub os_support_end: Option<i64>,
    pub security: Option<&'a Security>,
    pub age: Option<AgeEstimate>,
}

impl<'a> Facts<'a> {
    pub fn of(device: &DeviceInput<'a>, policy: &Policy, now: i64) -> Facts<'a> {
        let inventory = device.inventory;
        let cpu = inventory.cpu.as_ref();
        let os = inventory.os.as_ref();
        let bios_release_date =
            inventory.system.as_ref().map(|s| s.bios_release_date.as_str()).filter(|date| !date.is_empty());
        let cpu_generation = cpu.and_then(cpu::identify);
        let age = age::estimate_with(
            &AgeEvidence { purchase_day: device.asset.and_then(|a| a.purchase_day), cpu, bios_release_date },
            cpu_generation.clone(),
        );
        Facts {
            inventory,
            now,
            today: now.div_euclid(86_400),
            last_seen_at: device.last_seen_at,
            site: device.site,
            software: device.software,
            cpu,
            cpu_generation,
            os,
            os_support_end: os
                .and_then(|os| policy.os_support_end(&os.name, &os.version))
                .map(|(day, _)| day),
            security: inventory.security.as_ref(),
            age,
        }
    }

    /// Why a section's facts are missing: the agent's reason when it gave one.
    pub fn why_unknown(&self, section: Section) -> String {
        match self.inventory.unknown_sections.iter().find(|u| u.section == section) {
            Some(unknown) => format!("{section} not readable on this PC: {}", unknown.reason),
            None => format!("{section} not reported yet"),
        }
    }

    /// Installed RAM: the modules' sum when the firmware lists them, else
    /// what the OS sees (a little less than installed).
    pub fn ram_bytes(&self) -> Option<u64> {
        let memory = self.inventory.memory.as_ref()?;
        let modules: u64 = memory.modules.iter().map(|m| m.size_bytes).sum();
        Some(modules.max(memory.total_bytes)).filter(|bytes| *bytes > 0)
    }

    /// Whether the RAM reaches `min_gb`, with half a GB of slack for the
    /// memory the firmware and graphics reserve.
    pub fn ram_at_least(&self, min_gb: f64) -> Option<bool> {
        self.ram_bytes().map(|bytes| bytes as f64 / (1u64 << 30) as f64 + 0.5 >= min_gb)
    }

    /// The system disk's size and kind: the physical disk holding the OS,
    /// else the system volume.
    pub fn system_disk(&self) -> Option<(u64, StorageKind)> {
        let from_disk = self
            .inventory
            .disks
            .as_ref()
            .and_then(|disks| disks.iter().find(|d| d.holds_os))
            .map(|d| (d.size_bytes, d.kind));
        let from_volume = self.inventory.system_volume().map(|v| (v.total_bytes, v.kind));
        match (from_disk, from_volume) {
            (Some((size, StorageKind::Unknown)), Some((_, kind))) => Some((size, kind)),
            (Some(disk), _) => Some(disk),
            (None, volume) => volume,
        }
    }

    pub fn chassis(&self) -> Option<ChassisKind> {
        self.inventory.system.as_ref().map(|s| s.chassis).filter(|c| *c != ChassisKind::Unknown)
    }

    /// The worst battery's health; `Some(None)` for a machine without one.
    pub fn battery_health(&self) -> Option<Option<u32>> {
        let batteries = self.inventory.batteries.as_ref()?;
        if batteries.is_empty() {
            return Some(None);
        }
        batteries.iter().filter_map(Battery::health_percent).min().map(Some)
    }

    /// The first installed package whose name contains one of `wanted`
    /// (case-insensitive); `None` when software is unknown.
    pub fn installed(&self, wanted: &[String]) -> Option<Option<String>> {
        let software = self.software?;
        Some(software.iter().find(|name| wanted.iter().any(|w| contains_ignore_case(name, w))).cloned())
    }

    pub fn tpm_version(&self) -> Option<(u32, u32)> {
        let security = self.security?;
        if !security.tpm_present {
            return Some((0, 0));
        }
        crate::policy::parse_version(&security.tpm_version)
    }
}

/// Whether `text` contains `pattern`, ignoring ASCII case, without
/// allocating: this runs for every package of every device.
pub(super) fn contains_ignore_case(text: &str, pattern: &str) -> bool {
    let (text, pattern) = (text.as_bytes(), pattern.trim().as_bytes());
    !pattern.is_empty() && text.windows(pattern.len()).any(|window| window.eq_ignore_ascii_case(pattern))
}
