//! A device as the server knows it: identity plus its latest inventory.

use crate::{ChassisKind, Inventory, StorageKind};
use serde::{Deserialize, Serialize};

/// A device as the fleet list shows it: its identity plus the few facts
/// people scan for, taken from its latest inventory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub id: u64,
    pub hostname: String,
    pub machine_id: String,
    /// Seconds since the Unix epoch.
    pub enrolled_at: i64,
    /// Seconds since the Unix epoch; `None` until the first report.
    pub last_seen_at: Option<i64>,
    pub os_name: String,
    pub os_version: String,
    pub manufacturer: String,
    pub model: String,
    pub chassis: ChassisKind,
    pub cpu_model: String,
    pub cpu_cores: u32,
    pub ram_bytes: u64,
    pub system_storage: StorageKind,
    pub serial_number: String,
    pub revoked: bool,
    /// The labels of its last report.
    #[serde(default)]
    pub labels: Vec<String>,
}

impl DeviceSummary {
    /// Copies the listed facts from an inventory onto this summary.
    pub fn fill_from(&mut self, inventory: &Inventory) {
        self.hostname.clone_from(&inventory.hostname);
        self.labels.clone_from(&inventory.labels);
        if let Some(os) = &inventory.os {
            self.os_name.clone_from(&os.name);
            self.os_version.clone_from(&os.version);
        }
        if let Some(system) = &inventory.system {
            self.manufacturer.clone_from(&system.manufacturer);
            self.model.clone_from(&system.model);
            self.chassis = system.chassis;
            self.serial_number.clone_from(&system.serial_number);
        }
        if let Some(cpu) = &inventory.cpu {
            self.cpu_model.clone_from(&cpu.model);
            self.cpu_cores = cpu.physical_cores;
        }
        if let Some(memory) = &inventory.memory {
            self.ram_bytes = memory.total_bytes;
        }
        if let Some(volume) = inventory.system_volume() {
            self.system_storage = volume.kind;
        }
    }
}

/// A device with its latest inventory (`None` before its first report).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Device {
    pub summary: DeviceSummary,
    pub inventory: Option<Inventory>,
}
