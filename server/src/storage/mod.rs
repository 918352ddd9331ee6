//! Storage on embedded SQLite: enrolled devices, their inventory section by
//! section, a software catalogue shared by the fleet, and the history of
//! changes.
//!
//! This module owns the SQL; everything it takes and returns is a domain
//! type from `parc-model` (or a plain value), never a row, so that another
//! backend can offer the same methods. Writes go through one writer thread
//! that commits many jobs per transaction ([`writer`]); reads use their own
//! connection, in WAL mode so that readers never block the writer.
//!
//! Opening never damages what is there: a file that is not a Parc database,
//! or one written by a newer Parc, is refused before anything is written.

mod access;
mod backup;
mod codes;
mod held;
mod ingest;
mod links;
mod migrations;
pub mod query;
mod read;
mod scan;
mod settings;
mod sites;
mod software;
mod waves;
mod writer;

pub(crate) use access::audit;
pub use access::{AuditEntry, AuditQuery, Token};
pub use backup::{backup, restore, BackupSummary, DatabaseLock};
pub use migrations::latest_version;
pub use parc_proto::sections::SectionHash;
pub use scan::ScannedDevice;
pub use settings::StoredSetting;
pub use sites::{AssignOutcome, Joins, TrendPoint};
pub use waves::{
    Draft, PlanDevice, PlanRecord, PlanState, ReturnsFile, RolloutState, StatusChange, StoredPlan,
};
pub use writer::WriterStats;

use crate::access::Actor;
use crate::identity::IdentityKey;
use ingest::IngestState;
use parc_model::history::HistoryEntry;
use parc_model::{Device, DeviceSummary, Inventory, Section};
use parc_proto::convert::SoftwareColumns;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use writer::Writer;

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
    /// The write queue is full: come back after `retry_after`.
    #[error("the write queue is full ({queue_depth} waiting); retry in {retry_after:?}")]
    Busy { queue_depth: usize, retry_after: Duration },
    #[error("the transaction holding this write failed: {0}")]
    Commit(String),
    #[error("the write was not made (the writer could not start a transaction)")]
    NotWritten,
    #[error("the database is closing")]
    Closed,
    #[error("{0}")]
    Backup(String),
    /// The write was refused because of what is stored (a plan published
    /// meanwhile, a device that left the plan): said to the client.
    #[error("{0}")]
    Conflict(String),
}

/// One report, as the gRPC edge validated it.
#[derive(Debug, Clone)]
pub struct Report {
    pub node_key_hash: String,
    pub sequence: u64,
    /// The sections sent in full; the ones left out as unchanged are `None`
    /// (and not listed unknown). Its software is always `None`: the list
    /// travels in `software`.
    pub inventory: Inventory,
    /// The software section when it was sent, in columns as it came: no
    /// `String` per field of each of a report's hundreds of packages.
    pub software: Option<SoftwareColumns>,
    /// The hash of each section sent in full.
    pub sent: Vec<(Section, SectionHash)>,
    /// Sections left out because the agent believes the server holds them.
    pub unchanged: Vec<(Section, SectionHash)>,
    /// Seconds since the Unix epoch, by the server's clock.
    pub received_at: i64,
}

impl Report {
    /// A report carrying every section it read, hashed as an agent would.
    pub fn full(node_key_hash: &str, sequence: u64, mut inventory: Inventory, received_at: i64) -> Report {
        let wire = parc_proto::convert::report_inventory_to_wire(&inventory);
        let sent = parc_proto::sections::read_sections(&wire)
            .into_iter()
            .filter(|section| inventory.has(*section))
            .map(|section| (section, parc_proto::sections::section_hash(section, &wire)))
            .collect();
        let software = inventory.software.take().map(|packages| SoftwareColumns::from_packages(&packages));
        Report {
            node_key_hash: node_key_hash.to_string(),
            sequence,
            inventory,
            software,
            sent,
            unchanged: Vec::new(),
            received_at,
        }
    }
}

/// What the server holds of a device's sections after a report, for the
/// agent's next delta.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeldSections {
    pub held: Vec<(Section, SectionHash)>,
    /// Left out as unchanged, but not held: the agent must send them.
    pub missing: Vec<Section>,
    /// A full report was asked for and this was not one.
    pub resync: bool,
}

/// What happened to a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Stored (the sections that changed, their history, the summary).
    Stored { device_id: u64, sections: HeldSections },
    /// Not above the last stored sequence: a replay or a late duplicate.
    Stale { device_id: u64, last_sequence: u64, sections: HeldSections },
    /// No device holds this node key, or it was revoked.
    UnknownNodeKey,
}

impl ReportOutcome {
    pub fn device_id(&self) -> Option<u64> {
        match self {
            ReportOutcome::Stored { device_id, .. } | ReportOutcome::Stale { device_id, .. } => {
                Some(*device_id)
            }
            ReportOutcome::UnknownNodeKey => None,
        }
    }
}

/// Which devices a listing wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceQuery {
    pub after_id: u64,
    pub limit: u32,
    /// Only devices not seen since this time (seconds since the epoch); a
    /// device that never reported counts from its enrollment.
    pub not_seen_before: Option<i64>,
    /// The SQL part of a query-language filter, placeholders from `?4`
    /// ([`query::compile`] with `first` = [`DeviceQuery::FILTER_FIRST_PARAM`]).
    pub filter: Option<query::CompiledQuery>,
}

impl DeviceQuery {
    /// The first placeholder a filter may use: `?1`..`?3` are the page's.
    pub const FILTER_FIRST_PARAM: usize = 4;

    pub fn page(after_id: u64, limit: u32) -> DeviceQuery {
        DeviceQuery { after_id, limit, not_seen_before: None, filter: None }
    }
}

/// A page of the device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePage {
    pub devices: Vec<DeviceSummary>,
    /// The id to continue after, when there are more.
    pub next_after: Option<u64>,
    /// Devices matching the query, on every page.
    pub total_count: u64,
}

/// Live devices sharing one firmware identity: to review, never merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateGroup {
    pub key: IdentityKey,
    pub value: String,
    pub devices: Vec<DeviceSummary>,
}

/// Live devices by last report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSeenCounts {
    /// For each bound asked, the devices seen within it (cumulative).
    pub within: Vec<u64>,
    pub live: u64,
    /// Enrolled, never reported.
    pub never: u64,
}

/// The versions of the packages a name matches, each with the live
/// devices that have it, and how many more versions matched than listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftwareMatches {
    pub packages: Vec<(parc_model::SoftwarePackage, Vec<DeviceSummary>)>,
    pub more: usize,
}

/// Default bound of the write queue; past it, reports are refused with a
/// retry-after hint.
pub const DEFAULT_WRITE_QUEUE: usize = 1024;

pub struct Storage {
    path: PathBuf,
    // The reader is closed before the writer (fields drop in this order):
    // the last connection to close checkpoints the WAL into the database
    // and deletes it, which a read-only one cannot do. The other way round,
    // a stopped server left its WAL beside the database file.
    reader: Mutex<Connection>,
    writer: Writer<IngestState>,
    _lock: DatabaseLock,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("path", &self.path).finish()
    }
}

pub(crate) const SUMMARY_COLUMNS: &str = "id, hostname, machine_id, enrolled_at, last_seen_at, os_name, os_version, \
     manufacturer, model, chassis, cpu_model, cpu_cores, ram_bytes, system_storage, serial_number, revoked_at, labels";
/// How many columns `SUMMARY_COLUMNS` names: the index of the next one.
pub(crate) const SUMMARY_COLUMN_COUNT: usize = 17;

impl Storage {
    /// Opens (or creates) the database at `path` and brings its schema up to
    /// date, with the default write queue.
    pub fn open(path: &Path) -> Result<Storage, StorageError> {
        Storage::open_with_queue(path, DEFAULT_WRITE_QUEUE)
    }

    /// Opens with a write queue of `queue` jobs.
    pub fn open_with_queue(path: &Path, queue: usize) -> Result<Storage, StorageError> {
        let open_error = |reason: String| StorageError::Open { path: path.to_path_buf(), reason };
        if path.is_dir() {
            return Err(open_error("it is a directory".into()));
        }
        let mut writer = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(explain_open_error(&e, path)))?;
        let lock = DatabaseLock::shared(path)?;

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
        // A transaction of many reports touches many pages: keep them in
        // memory (48 MiB: a batch of 512 full reports dirties about 8) rather
        // than spill to the WAL mid-transaction, and keep each job's
        // savepoint journal in memory, not in a temp file. The two caches are
        // most of the server's memory at 100,000 devices (300 MiB budget).
        writer.pragma_update(None, "cache_size", -49_152)?;
        writer.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint every 32 MiB of WAL rather than 4: pages that many
        // transactions rewrite (the link table, the catalogue) are copied
        // into the database once per checkpoint, not once per 4 MiB.
        writer.pragma_update(None, "wal_autocheckpoint", 8192)?;
        migrate(&mut writer, found)?;
        // Link-table changes a stopped writer held in memory (a crash under
        // load): rebuilt before anyone reads.
        let repair = writer.transaction()?;
        links::repair_pending(&repair)?;
        repair.commit()?;

        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(e.to_string()))?;
        configure(&reader)?;
        // Readers walk indexes and a page of summaries at a time; whole-fleet
        // scans stream past any cache. The OS page cache holds the rest.
        reader.pragma_update(None, "cache_size", -16_384)?;
        Ok(Storage {
            path: path.to_path_buf(),
            writer: Writer::start(writer, queue.max(1)),
            reader: Mutex::new(reader),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer's figures (queue depth, transactions), for metrics.
    pub fn writer_stats(&self) -> Arc<WriterStats> {
        self.writer.stats.clone()
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StorageError>) -> Result<T, StorageError> {
        let connection = self.reader.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&connection)
    }

    /// Enrolls a node. A live device with the same machine id gets the new
    /// key (its old key stops working), so an agent that lost its state
    /// keeps its device and history; otherwise a new device is created.
    /// Blocking: waits for room in the queue and for the commit.
    pub fn enroll(
        &self,
        machine_id: &str,
        hostname: &str,
        node_key_hash: &str,
        now: i64,
    ) -> Result<u64, StorageError> {
        self.writer.submit_blocking(enroll_job(machine_id, hostname, node_key_hash, now))
    }

    /// [`Storage::enroll`] for async callers: waits for room in the queue
    /// and for the commit without holding a thread, so that an enrollment
    /// storm fills transactions as reports do (a blocking thread per waiting
    /// enrollment capped them at the pool's size).
    pub async fn submit_enroll(
        &self,
        machine_id: &str,
        hostname: &str,
        node_key_hash: &str,
        now: i64,
    ) -> Result<u64, StorageError> {
        loop {
            match self.writer.try_submit(enroll_job(machine_id, hostname, node_key_hash, now)) {
                Ok(receiver) => return receiver.await.map_err(|_| StorageError::NotWritten)?,
                Err(StorageError::Busy { .. }) => tokio::time::sleep(ENROLL_RETRY).await,
                Err(error) => return Err(error),
            }
        }
    }

    /// Queues a report and waits for it to be durable. Fails at once with
    /// [`StorageError::Busy`] when the write queue is full.
    pub async fn submit_report(&self, report: Report) -> Result<ReportOutcome, StorageError> {
        let receiver =
            self.writer.try_submit(move |db, catalogue| ingest::record_report(db, catalogue, &report))?;
        receiver.await.map_err(|_| StorageError::NotWritten)?
    }

    /// Stores a report, waiting for room in the queue. Blocking.
    pub fn record_report(&self, report: Report) -> Result<ReportOutcome, StorageError> {
        self.writer.submit_blocking(move |db, catalogue| ingest::record_report(db, catalogue, &report))
    }

    /// Revokes a device's node key; its data stays. Returns false when there
    /// is no such live device.
    pub fn revoke(&self, device_id: u64, by: &Actor, now: i64) -> Result<bool, StorageError> {
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            let changed = db.execute(
                "UPDATE devices SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![now, device_id],
            )?;
            if changed == 1 {
                audit(db, &by, now, "devices.revoke", &format!("device {device_id}"), "node key revoked")?;
            }
            Ok(changed == 1)
        })
    }

    /// Asks devices for a full report at their next contact: one device, or
    /// every live one (`None`). Returns how many were flagged.
    pub fn request_resync(&self, device_id: Option<u64>, by: &Actor, now: i64) -> Result<u64, StorageError> {
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            let changed = match device_id {
                Some(id) => db.execute(
                    "UPDATE devices SET resync_requested = 1 WHERE id = ?1 AND revoked_at IS NULL",
                    [id],
                )?,
                None => db.execute("UPDATE devices SET resync_requested = 1 WHERE revoked_at IS NULL", [])?,
            };
            let target = device_id.map_or("all devices".to_string(), |id| format!("device {id}"));
            audit(
                db,
                &by,
                now,
                "devices.resync",
                &target,
                &format!("{changed} devices asked for a full report"),
            )?;
            Ok(changed as u64)
        })
    }

    /// Devices in id order, a page at a time.
    pub fn list_devices(&self, query: &DeviceQuery) -> Result<DevicePage, StorageError> {
        self.read(|db| read::list_devices(db, query))
    }

    /// One device with its latest inventory.
    pub fn get_device(&self, device_id: u64) -> Result<Option<Device>, StorageError> {
        self.read(|db| read::get_device(db, device_id))
    }

    /// What changed on a device, newest first.
    pub fn history(&self, device_id: u64, limit: u32) -> Result<Vec<HistoryEntry>, StorageError> {
        self.read(|db| read::history(db, device_id, limit))
    }

    /// Live devices that share a serial number or SMBIOS UUID.
    pub fn duplicates(&self) -> Result<Vec<DuplicateGroup>, StorageError> {
        self.read(read::duplicates)
    }

    /// Live devices by how long ago they last reported, for the metrics.
    pub fn last_seen_counts(&self, now: i64, bounds: &[i64]) -> Result<LastSeenCounts, StorageError> {
        self.read(|db| {
            let mut within = Vec::with_capacity(bounds.len());
            let mut statement = db.prepare_cached(
                "SELECT count(*) FROM devices WHERE coalesce(last_seen_at, enrolled_at) > ?1 - ?2 \
                 AND last_seen_at IS NOT NULL AND revoked_at IS NULL",
            )?;
            for bound in bounds {
                within.push(statement.query_row(params![now, bound], |row| row.get(0))?);
            }
            let (live, never): (u64, u64) = db.query_row(
                "SELECT count(*), count(*) - count(last_seen_at) FROM devices WHERE revoked_at IS NULL",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            Ok(LastSeenCounts { within, live, never })
        })
    }

    /// Devices that have any version of the package `name` (exact name),
    /// with the version each has, by device id.
    pub fn software_holders(
        &self,
        name: &str,
    ) -> Result<Vec<(u64, parc_model::SoftwarePackage)>, StorageError> {
        self.read(|db| software::devices_with(db, name))
    }

    /// Packages whose name contains `text` (or is it, with `exact`), each
    /// version with the live devices that have it: at most `limit`
    /// versions, and how many more matched.
    pub fn software_by_version(
        &self,
        text: &str,
        exact: bool,
        limit: usize,
    ) -> Result<SoftwareMatches, StorageError> {
        self.read(|db| {
            let (packages, more) = software::holders_by_version(db, text, exact, limit)?;
            let mut out = Vec::with_capacity(packages.len());
            for software::PackageHolders { package, devices: ids } in packages {
                let mut devices = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(summary) = read::summary(db, id)? {
                        if !summary.revoked {
                            devices.push(summary);
                        }
                    }
                }
                if !devices.is_empty() {
                    out.push((package, devices));
                }
            }
            Ok(SoftwareMatches { packages: out, more })
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

fn migrate(connection: &mut Connection, from: u32) -> Result<(), StorageError> {
    for (index, migration) in migrations::MIGRATIONS.iter().enumerate().skip(from as usize) {
        let version = index as u32 + 1;
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(migration.sql)?;
        if let Some(then) = migration.then {
            then(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
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

/// How often a waiting enrollment looks for room in a full write queue.
const ENROLL_RETRY: Duration = Duration::from_millis(20);

/// The write of an enrollment (see [`Storage::enroll`]).
fn enroll_job(
    machine_id: &str,
    hostname: &str,
    node_key_hash: &str,
    now: i64,
) -> impl FnMut(&Connection, &mut ingest::IngestState) -> Result<u64, StorageError> + Send + 'static {
    let (machine_id, hostname, node_key_hash) =
        (machine_id.to_string(), hostname.to_string(), node_key_hash.to_string());
    move |db, _| {
        let existing: Option<u64> = db
            .query_row(
                "SELECT id FROM devices WHERE machine_id = ?1 AND revoked_at IS NULL ORDER BY id LIMIT 1",
                [&machine_id],
                |row| row.get(0),
            )
            .optional()?;
        match existing {
            Some(id) => {
                // A new enrollment starts a new sequence, and the agent
                // holds no section hashes any more.
                db.execute(
                    "UPDATE devices SET node_key_hash = ?1, hostname = ?2, last_sequence = 0 WHERE id = ?3",
                    params![node_key_hash, hostname, id],
                )?;
                Ok(id)
            }
            None => {
                db.execute(
                    "INSERT INTO devices (machine_id, hostname, node_key_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4)",
                    params![machine_id, hostname, node_key_hash, now],
                )?;
                Ok(u64::try_from(db.last_insert_rowid()).unwrap_or(0))
            }
        }
    }
}

#[cfg(test)]
mod summary_columns_tests {
    #[test]
    fn the_count_matches_the_list() {
        assert_eq!(super::SUMMARY_COLUMNS.split(',').count(), super::SUMMARY_COLUMN_COUNT);
    }
}
