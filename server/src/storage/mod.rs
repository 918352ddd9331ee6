//! Storage on embedded SQLite: enrolled devices and their latest inventory.
//!
//! This module owns the SQL; everything it returns is a domain type from
//! `parc-model`, never a row. One writer connection and one reader
//! connection, in WAL mode so that readers never block the writer. Every
//! call is blocking: async callers go through `spawn_blocking`.
//!
//! Opening never damages what is there: a file that is not a Parc database,
//! or one written by a newer Parc, is refused before anything is written.

mod migrations;

use parc_model::{ChassisKind, Device, DeviceSummary, Inventory, StorageKind};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use migrations::latest_version;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot open database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("{path} is not a Parc database (SQLite says: {reason}); it was left untouched")]
    NotADatabase { path: PathBuf, reason: String },
    #[error(
        "{path} has schema version {found}, newer than this parc-server knows ({supported}); \
         upgrade parc-server. The file was left untouched"
    )]
    NewerSchema { path: PathBuf, found: u32, supported: u32 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored inventory of device {device_id} cannot be read: {reason}")]
    CorruptInventory { device_id: u64, reason: String },
}

/// What happened to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Stored as the device's latest inventory.
    Stored { device_id: u64 },
    /// Not above the last stored sequence: a replay or a late duplicate.
    Stale { device_id: u64, last_sequence: u64 },
    /// No device holds this node key, or it was revoked.
    UnknownNodeKey,
}

/// A page of the device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePage {
    pub devices: Vec<DeviceSummary>,
    /// The id to continue after, when there are more.
    pub next_after: Option<u64>,
    pub total_count: u64,
}

pub struct Storage {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("path", &self.path).finish()
    }
}

const SUMMARY_COLUMNS: &str = "id, hostname, machine_id, enrolled_at, last_seen_at, os_name, os_version, \
     manufacturer, model, chassis, cpu_model, cpu_cores, ram_bytes, system_storage, serial_number, revoked_at";

impl Storage {
    /// Opens (or creates) the database at `path` and brings its schema up to
    /// date.
    pub fn open(path: &Path) -> Result<Storage, StorageError> {
        let open_error = |reason: String| StorageError::Open { path: path.to_path_buf(), reason };
        if path.is_dir() {
            return Err(open_error("it is a directory".into()));
        }
        let writer = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(explain_open_error(&e, path)))?;

        // Read the version before writing anything, so a foreign or newer
        // file is refused untouched.
        let found: u32 = writer.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(|e| {
            if matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase)) {
                StorageError::NotADatabase { path: path.to_path_buf(), reason: e.to_string() }
            } else {
                open_error(e.to_string())
            }
        })?;
        let supported = latest_version();
        if found > supported {
            return Err(StorageError::NewerSchema { path: path.to_path_buf(), found, supported });
        }
        if found == 0 {
            let tables: u32 = writer.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
            if tables > 0 {
                return Err(StorageError::NotADatabase {
                    path: path.to_path_buf(),
                    reason: "a SQLite database with tables but no Parc schema version".into(),
                });
            }
        }

        writer.pragma_update(None, "journal_mode", "WAL").map_err(|e| open_error(e.to_string()))?;
        configure(&writer)?;
        // Durable on commit: an acknowledged report survives a power cut.
        writer.pragma_update(None, "synchronous", "FULL")?;
        migrate(&writer, found)?;

        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(e.to_string()))?;
        configure(&reader)?;
        Ok(Storage { path: path.to_path_buf(), writer: Mutex::new(writer), reader: Mutex::new(reader) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut connection = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut connection)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StorageError>) -> Result<T, StorageError> {
        let connection = self.reader.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&connection)
    }

    /// Enrolls a node. A live device with the same machine id gets the new
    /// key (its old key stops working), so an agent that lost its state
    /// keeps its device and history; otherwise a new device is created.
    pub fn enroll(
        &self,
        machine_id: &str,
        hostname: &str,
        node_key_hash: &str,
        now: i64,
    ) -> Result<u64, StorageError> {
        self.write(|db| {
            let tx = db.transaction()?;
            let existing: Option<u64> = tx
                .query_row(
                    "SELECT id FROM devices WHERE machine_id = ?1 AND revoked_at IS NULL ORDER BY id LIMIT 1",
                    [machine_id],
                    |row| row.get(0),
                )
                .optional()?;
            let id = match existing {
                Some(id) => {
                    tx.execute(
                        "UPDATE devices SET node_key_hash = ?1, hostname = ?2, last_sequence = 0 WHERE id = ?3",
                        params![node_key_hash, hostname, id],
                    )?;
                    id
                }
                None => {
                    tx.execute(
                        "INSERT INTO devices (machine_id, hostname, node_key_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4)",
                        params![machine_id, hostname, node_key_hash, now],
                    )?;
                    u64::try_from(tx.last_insert_rowid()).unwrap_or(0)
                }
            };
            tx.commit()?;
            Ok(id)
        })
    }

    /// Stores a report as the device's latest inventory, unless the node key
    /// is unknown or revoked, or the sequence is not new.
    pub fn record_report(
        &self,
        node_key_hash: &str,
        sequence: u64,
        inventory: &Inventory,
        now: i64,
    ) -> Result<ReportOutcome, StorageError> {
        let sequence = i64::try_from(sequence).unwrap_or(i64::MAX);
        self.write(|db| {
            let tx = db.transaction()?;
            let device: Option<(u64, i64)> = tx
                .query_row(
                    "SELECT id, last_sequence FROM devices WHERE node_key_hash = ?1 AND revoked_at IS NULL",
                    [node_key_hash],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let Some((device_id, last_sequence)) = device else {
                return Ok(ReportOutcome::UnknownNodeKey);
            };
            if sequence <= last_sequence {
                return Ok(ReportOutcome::Stale {
                    device_id,
                    last_sequence: u64::try_from(last_sequence).unwrap_or(0),
                });
            }
            // A section this report could not read keeps its last known
            // content. Only then is the report copied: most reports are whole.
            let mut carried = None;
            if !inventory.unknown_sections.is_empty() {
                let previous: Option<String> = tx
                    .query_row("SELECT inventory_json FROM inventories WHERE device_id = ?1", [device_id], |row| row.get(0))
                    .optional()?;
                match previous.map(|json| serde_json::from_str::<Inventory>(&json)).transpose() {
                    Ok(Some(previous)) => {
                        let mut merged = inventory.clone();
                        merged.carry_forward_unknown(&previous);
                        carried = Some(merged);
                    }
                    Ok(None) => {}
                    Err(error) => tracing::warn!(device_id, %error, "previous inventory unreadable; not carried forward"),
                }
            }
            let inventory = carried.as_ref().unwrap_or(inventory);
            let json = serde_json::to_string(inventory)
                .map_err(|e| StorageError::CorruptInventory { device_id, reason: e.to_string() })?;
            let mut summary = DeviceSummary::default();
            summary.fill_from(inventory);
            tx.execute(
                "UPDATE devices SET hostname = ?1, last_seen_at = ?2, last_sequence = ?3, os_name = ?4, \
                 os_version = ?5, manufacturer = ?6, model = ?7, chassis = ?8, cpu_model = ?9, cpu_cores = ?10, \
                 ram_bytes = ?11, system_storage = ?12, serial_number = ?13 WHERE id = ?14",
                params![
                    summary.hostname,
                    now,
                    sequence,
                    summary.os_name,
                    summary.os_version,
                    summary.manufacturer,
                    summary.model,
                    enum_name(&summary.chassis),
                    summary.cpu_model,
                    summary.cpu_cores,
                    i64::try_from(summary.ram_bytes).unwrap_or(i64::MAX),
                    enum_name(&summary.system_storage),
                    summary.serial_number,
                    device_id,
                ],
            )?;
            tx.execute(
                "INSERT INTO inventories (device_id, received_at, sequence, inventory_json) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (device_id) DO UPDATE SET received_at = excluded.received_at, \
                 sequence = excluded.sequence, inventory_json = excluded.inventory_json",
                params![device_id, now, sequence, json],
            )?;
            tx.commit()?;
            Ok(ReportOutcome::Stored { device_id })
        })
    }

    /// Revokes a device's node key; its data stays. Returns false when there
    /// is no such live device.
    pub fn revoke(&self, device_id: u64, now: i64) -> Result<bool, StorageError> {
        self.write(|db| {
            let changed = db.execute(
                "UPDATE devices SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now, device_id],
            )?;
            Ok(changed == 1)
        })
    }

    /// Devices in id order, `limit` at a time, starting after `after_id`.
    pub fn list_devices(&self, after_id: u64, limit: u32) -> Result<DevicePage, StorageError> {
        self.read(|db| {
            let total_count: u64 = db.query_row("SELECT count(*) FROM devices", [], |row| row.get(0))?;
            let mut statement = db.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM devices WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))?;
            let mut devices = statement
                .query_map(params![after_id, i64::from(limit) + 1], summary_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let next_after = if devices.len() > limit as usize {
                devices.truncate(limit as usize);
                devices.last().map(|d| d.id)
            } else {
                None
            };
            Ok(DevicePage { devices, next_after, total_count })
        })
    }

    /// One device with its latest inventory.
    pub fn get_device(&self, device_id: u64) -> Result<Option<Device>, StorageError> {
        self.read(|db| {
            let summary = db
                .query_row(
                    &format!("SELECT {SUMMARY_COLUMNS} FROM devices WHERE id = ?1"),
                    [device_id],
                    summary_from_row,
                )
                .optional()?;
            let Some(summary) = summary else { return Ok(None) };
            let json: Option<String> = db
                .query_row(
                    "SELECT inventory_json FROM inventories WHERE device_id = ?1",
                    [device_id],
                    |row| row.get(0),
                )
                .optional()?;
            let inventory = json
                .map(|json| serde_json::from_str::<Inventory>(&json))
                .transpose()
                .map_err(|e| StorageError::CorruptInventory { device_id, reason: e.to_string() })?;
            Ok(Some(Device { summary, inventory }))
        })
    }

    /// Ids of the devices with this hostname (case-insensitive).
    pub fn find_by_hostname(&self, hostname: &str) -> Result<Vec<u64>, StorageError> {
        self.read(|db| {
            let mut statement =
                db.prepare_cached("SELECT id FROM devices WHERE hostname = ?1 COLLATE NOCASE ORDER BY id")?;
            let ids = statement.query_map([hostname], |row| row.get(0))?.collect::<Result<Vec<u64>, _>>()?;
            Ok(ids)
        })
    }
}

fn configure(connection: &Connection) -> Result<(), StorageError> {
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn migrate(connection: &Connection, from: u32) -> Result<(), StorageError> {
    for (index, sql) in migrations::MIGRATIONS.iter().enumerate().skip(from as usize) {
        let version = index as u32 + 1;
        connection
            .execute_batch(&format!("BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {version}; COMMIT;"))?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}

fn explain_open_error(error: &rusqlite::Error, path: &Path) -> String {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.exists() => {
            format!("folder {} does not exist", parent.display())
        }
        _ => error.to_string(),
    }
}

/// Enums are stored by their serde name ("laptop", "nvme").
fn enum_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".into(),
    }
}

fn enum_from_name<T: serde::de::DeserializeOwned + Default>(name: String) -> T {
    serde_json::from_value(serde_json::Value::String(name)).unwrap_or_default()
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<DeviceSummary> {
    Ok(DeviceSummary {
        id: row.get(0)?,
        hostname: row.get(1)?,
        machine_id: row.get(2)?,
        enrolled_at: row.get(3)?,
        last_seen_at: row.get(4)?,
        os_name: row.get(5)?,
        os_version: row.get(6)?,
        manufacturer: row.get(7)?,
        model: row.get(8)?,
        chassis: enum_from_name::<ChassisKind>(row.get(9)?),
        cpu_model: row.get(10)?,
        cpu_cores: row.get(11)?,
        ram_bytes: u64::try_from(row.get::<_, i64>(12)?).unwrap_or(0),
        system_storage: enum_from_name::<StorageKind>(row.get(13)?),
        serial_number: row.get(14)?,
        revoked: row.get::<_, Option<i64>>(15)?.is_some(),
    })
}
