//! Online backup and offline restore of the database file.
//!
//! A backup is taken with SQLite's backup API in one step: it reads one
//! consistent snapshot while the server goes on writing (WAL mode lets
//! readers and the writer run side by side), checks the copy, and moves it
//! into place atomically. A restore needs the server stopped: every process
//! that opens the database holds a shared lock on `<db>.lock`, and restore
//! takes it exclusively, so it cannot swap the file under a running server.

use super::{latest_version, StorageError};
use rusqlite::{Connection, OpenFlags};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// A lock on `<db>.lock` held as long as the database is open.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl DatabaseLock {
    fn open_file(db: &Path) -> Result<File, StorageError> {
        let path = lock_path(db);
        OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|e| {
            StorageError::Open {
                path: db.to_path_buf(),
                reason: format!("cannot open lock file {}: {e}", path.display()),
            }
        })
    }

    /// Shared: any number of server and admin processes at once.
    pub fn shared(db: &Path) -> Result<DatabaseLock, StorageError> {
        let file = DatabaseLock::open_file(db)?;
        file.try_lock_shared().map_err(|_| StorageError::Open {
            path: db.to_path_buf(),
            reason: "a restore is replacing this database right now; try again when it is done".into(),
        })?;
        Ok(DatabaseLock { _file: file })
    }

    /// Exclusive: nobody else has the database open.
    fn exclusive(db: &Path) -> Result<DatabaseLock, StorageError> {
        let file = DatabaseLock::open_file(db)?;
        file.try_lock().map_err(|_| {
            StorageError::Backup(format!(
                "{} is in use (a parc-server or another command has it open); stop the server first",
                db.display()
            ))
        })?;
        Ok(DatabaseLock { _file: file })
    }
}

/// What a backup or restore checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub devices: u64,
    pub bytes: u64,
    pub schema_version: u32,
}

/// Copies the live database at `db` to `to`, consistent as of one instant,
/// while the server may be writing. The copy is checked
/// (`PRAGMA integrity_check`) before it replaces any earlier file at `to`.
pub fn backup(db: &Path, to: &Path) -> Result<BackupSummary, StorageError> {
    if !db.is_file() {
        return Err(StorageError::Backup(format!("{}: no such database file", db.display())));
    }
    let _lock = DatabaseLock::shared(db)?;
    let source =
        Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    source.busy_timeout(std::time::Duration::from_secs(30))?;
    let partial = sibling(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    {
        let mut copy = Connection::open(&partial)
            .map_err(|e| StorageError::Backup(format!("cannot create {}: {e}", partial.display())))?;
        let backup = rusqlite::backup::Backup::new(&source, &mut copy)?;
        // All pages in one step: one read transaction, one snapshot.
        backup.step(-1)?;
    }
    let summary = check(&partial)?;
    File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| StorageError::Backup(e.to_string()))?;
    std::fs::rename(&partial, to)
        .map_err(|e| StorageError::Backup(format!("cannot move the backup to {}: {e}", to.display())))?;
    Ok(summary)
}

/// Replaces the database at `db` with the backup `from`, after checking the
/// backup. The server must be stopped. The replaced database is kept beside
/// it as `<db>.before-restore` (with its WAL), never deleted.
pub fn restore(from: &Path, db: &Path) -> Result<BackupSummary, StorageError> {
    let summary = check(from)?;
    let _lock = DatabaseLock::exclusive(db)?;
    let incoming = sibling(db, ".restoring");
    std::fs::copy(from, &incoming).and_then(|_| File::open(&incoming)?.sync_all()).map_err(|e| {
        StorageError::Backup(format!("cannot copy {} beside {}: {e}", from.display(), db.display()))
    })?;
    if db.exists() {
        let kept = sibling(db, ".before-restore");
        for suffix in ["", "-wal", "-shm"] {
            let current = sibling(db, suffix);
            let target = sibling(&kept, suffix);
            let _ = std::fs::remove_file(&target);
            if current.exists() {
                std::fs::rename(&current, &target).map_err(|e| {
                    StorageError::Backup(format!("cannot move {} aside: {e}", current.display()))
                })?;
            }
        }
    }
    std::fs::rename(&incoming, db)
        .map_err(|e| StorageError::Backup(format!("cannot move the backup to {}: {e}", db.display())))?;
    Ok(summary)
}

/// A database file that is whole and a Parc schema this build reads.
fn check(path: &Path) -> Result<BackupSummary, StorageError> {
    let bad = |reason: String| {
        StorageError::Backup(format!("{} is not a usable Parc backup: {reason}", path.display()))
    };
    if !path.is_file() {
        return Err(bad("no such file".into()));
    }
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| bad(e.to_string()))?;
    let integrity: String =
        db.query_row("PRAGMA integrity_check", [], |row| row.get(0)).map_err(|e| bad(e.to_string()))?;
    if integrity != "ok" {
        return Err(bad(format!("integrity check says {integrity:?}")));
    }
    let schema_version: u32 =
        db.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(|e| bad(e.to_string()))?;
    if schema_version == 0 || schema_version > latest_version() {
        return Err(bad(format!(
            "schema version {schema_version}; this parc-server reads 1 to {}",
            latest_version()
        )));
    }
    let devices: u64 =
        db.query_row("SELECT count(*) FROM devices", [], |row| row.get(0)).map_err(|e| bad(e.to_string()))?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary { devices, bytes, schema_version })
}
