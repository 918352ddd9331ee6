//! Server settings changed through the API and kept across restarts: for
//! now the readiness policy that `parc policy set` stores. A setting is
//! stored as the text it was given (comments kept), with who set it and
//! when, and its audit entry is written in the same transaction.
//!
//! Must not touch: parsing. Callers check the text before storing it;
//! storage keeps it as it came.

use super::access::audit;
use super::{Storage, StorageError};
use crate::access::Actor;
use rusqlite::{params, OptionalExtension};

/// The `settings` row that holds the readiness policy.
const POLICY: &str = "policy";

/// A setting as stored: its text, the file it came from, who and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSetting {
    pub value: String,
    pub source: String,
    pub set_by: String,
    pub set_at: i64,
}

impl Storage {
    /// The policy `parc policy set` stored, if one was.
    pub fn stored_policy(&self) -> Result<Option<StoredSetting>, StorageError> {
        self.read(|db| {
            Ok(db
                .prepare_cached("SELECT value, source, set_by, set_at FROM settings WHERE name = ?1")?
                .query_row([POLICY], |row| {
                    Ok(StoredSetting {
                        value: row.get(0)?,
                        source: row.get(1)?,
                        set_by: row.get(2)?,
                        set_at: row.get(3)?,
                    })
                })
                .optional()?)
        })
    }

    /// Stores `toml` (already checked) as the policy from now on, and its
    /// audit entry (`detail`: what changes), in one transaction.
    pub fn set_policy(
        &self,
        toml: &str,
        source: &str,
        detail: &str,
        by: &Actor,
        now: i64,
    ) -> Result<StoredSetting, StorageError> {
        let setting = StoredSetting {
            value: toml.to_string(),
            source: source.to_string(),
            set_by: by.name.clone(),
            set_at: now,
        };
        let (detail, by) = (detail.to_string(), by.clone());
        self.writer.submit_blocking(move |db, _| {
            db.prepare_cached(
                "INSERT INTO settings (name, value, source, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, source = excluded.source, \
                 set_by = excluded.set_by, set_at = excluded.set_at",
            )?
            .execute(params![
                POLICY,
                setting.value,
                setting.source,
                setting.set_by,
                setting.set_at
            ])?;
            audit(db, &by, now, "policy.set", &setting.source, &detail)?;
            // A job may run twice (its batch rolled back): hand back a copy.
            Ok(setting.clone())
        })
    }
}
