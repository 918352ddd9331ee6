//! Explicit limits on what one message may carry. The server rejects a
//! message past any of them with `INVALID_ARGUMENT` naming the field; the
//! agent trims what it collects to stay inside them.

/// Largest encoded message either side accepts.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Hostnames: 255 per RFC 1035, which also bounds NetBIOS names.
pub const MAX_HOSTNAME_LEN: usize = 255;
/// Labels on one PC (`labels` in agent.toml, TAGS of the MSI).
pub const MAX_LABELS: usize = 16;
/// One label's length.
pub const MAX_LABEL_LEN: usize = 64;

/// Why `label` is not a valid label: 1 to 64 letters, digits and `-_.:/`,
/// so that a label is one word in the query language (`label:pilot`) and
/// a list of them splits on commas.
pub fn label_problem(label: &str) -> Option<&'static str> {
    if label.is_empty() {
        Some("a label cannot be empty")
    } else if label.len() > MAX_LABEL_LEN {
        Some("a label is longer than the limit of 64 characters")
    } else if !label.chars().all(|c| c.is_alphanumeric() || "-_.:/".contains(c)) {
        Some("a label holds letters, digits and - _ . : / only")
    } else {
        None
    }
}

/// Machine identifiers (a GUID or /etc/machine-id is far shorter).
pub const MAX_MACHINE_ID_LEN: usize = 128;
/// Any other string field.
pub const MAX_STRING_LEN: usize = 1024;
/// Mounted volumes in one inventory.
pub const MAX_VOLUMES: usize = 256;
/// Network interfaces in one inventory.
pub const MAX_NETWORK_INTERFACES: usize = 256;
/// Addresses on one interface.
pub const MAX_ADDRESSES_PER_INTERFACE: usize = 64;
/// Unknown-section entries in one inventory.
pub const MAX_UNKNOWN_SECTIONS: usize = 64;
/// Devices in one ListDevices page.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Page size when the request says 0.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Physical disks in one inventory.
pub const MAX_DISKS: usize = 64;
/// Installed software packages in one inventory.
pub const MAX_SOFTWARE: usize = 20_000;
/// Memory modules.
pub const MAX_MEMORY_MODULES: usize = 64;
/// Batteries.
pub const MAX_BATTERIES: usize = 8;
/// Audio devices and cameras, each.
pub const MAX_PERIPHERALS: usize = 128;
/// Logged-in users.
pub const MAX_USERS: usize = 256;
/// Short lists: CPU flags, Wi-Fi standards and bands.
pub const MAX_SHORT_LIST: usize = 32;
/// History entries in one GetDeviceHistory answer.
pub const MAX_HISTORY_ENTRIES: u32 = 10_000;
/// History entries when the request says 0.
pub const DEFAULT_HISTORY_ENTRIES: u32 = 1000;

/// Largest spreadsheet an import takes in one message (the rest of the
/// message's 4 MiB is headroom).
pub const MAX_IMPORT_BYTES: usize = MAX_MESSAGE_BYTES - 64 * 1024;
/// Most reasons per dimension a readiness summary lists.
pub const MAX_TOP_REASONS: u32 = 50;
/// Longest trend a client may ask for, in days.
pub const MAX_TREND_DAYS: u32 = 3660;
/// The most left-out devices a plan summary lists (the count is complete).
pub const MAX_LEFT_OUT_LISTED: usize = 1000;
/// The most devices a plan's --include and --exclude lists may name.
pub const MAX_PLAN_LIST: usize = 100_000;
/// Rows per export chunk.
pub const EXPORT_CHUNK_ROWS: usize = 500;
