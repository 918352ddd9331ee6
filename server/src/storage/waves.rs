//! Wave plans and rollout statuses. A new draft replaces the previous
//! draft; publishing supersedes the published plan. Statuses belong to
//! devices, not to a plan version, so re-planning keeps them. Every change
//! is one writer job: all of it is stored, or none.

use super::{audit, Storage, StorageError};
use crate::access::Actor;
pub use parc_planner::record::{PlanRecord, PlannedDevice as PlanDevice};
use parc_planner::rollout::Status;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanState {
    Draft,
    Published,
    Superseded,
}

impl PlanState {
    pub fn name(self) -> &'static str {
        match self {
            PlanState::Draft => "draft",
            PlanState::Published => "published",
            PlanState::Superseded => "superseded",
        }
    }

    fn parse(text: &str) -> PlanState {
        match text {
            "published" => PlanState::Published,
            "superseded" => PlanState::Superseded,
            _ => PlanState::Draft,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredPlan {
    pub id: u64,
    pub state: PlanState,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub based_on: Option<u64>,
    pub spec_toml: String,
    pub record: PlanRecord,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutState {
    pub status: Status,
    pub reason: String,
    pub wave: Option<u32>,
    pub updated_at: i64,
    pub source: String,
}

/// A status to record for a device of the published plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub device_id: u64,
    pub previous: Status,
    pub status: Status,
    pub reason: String,
    /// A postponement's new wave: the device moves there in the plan.
    pub wave: Option<u32>,
    pub at: i64,
    pub technician: String,
    pub source: String,
}

fn plan_from_row(row: &Row<'_>) -> rusqlite::Result<StoredPlan> {
    let summary: String = row.get(6)?;
    let record = serde_json::from_str(&summary).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(StoredPlan {
        id: row.get(0)?,
        state: PlanState::parse(&row.get::<_, String>(1)?),
        created_at: row.get(2)?,
        published_at: row.get(3)?,
        based_on: row.get(4)?,
        spec_toml: row.get(5)?,
        record,
    })
}

const PLAN_COLUMNS: &str = "id, state, created_at, published_at, based_on, spec, summary";

fn query_plan(
    db: &Connection,
    filter: &str,
    values: impl rusqlite::Params,
) -> Result<Option<StoredPlan>, StorageError> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE {filter} ORDER BY id DESC LIMIT 1");
    Ok(db.prepare_cached(&sql)?.query_row(values, plan_from_row).optional()?)
}

fn by_id(db: &Connection, id: u64) -> Result<Option<StoredPlan>, StorageError> {
    query_plan(db, "id = ?1", [id as i64])
}

fn published(db: &Connection) -> Result<Option<StoredPlan>, StorageError> {
    query_plan(db, "state = 'published'", [])
}

/// A plan just made, as it is stored.
#[derive(Debug, Clone)]
pub struct Draft {
    pub spec_toml: String,
    /// The published plan it was made against.
    pub based_on: Option<u64>,
    pub record: PlanRecord,
    /// Placed, in wave order.
    pub devices: Vec<PlanDevice>,
    /// Every device left out (wave 0), with its reason.
    pub left_out: Vec<PlanDevice>,
}

impl Storage {
    /// Stores a new draft (replacing the previous drafts) with its devices
    /// in their waves and those it leaves out; returns its id.
    pub fn save_draft(&self, draft: Draft, by: &Actor, now: i64) -> Result<u64, StorageError> {
        let Draft { spec_toml, based_on, record, devices, left_out } = draft;
        let summary = serde_json::to_string(&record).map_err(|e| StorageError::Commit(e.to_string()))?;
        let by = by.clone();
        let waves = devices.iter().map(|d| d.wave).max().unwrap_or(0);
        self.writer.submit_blocking(move |db, _| {
            db.execute("DELETE FROM plans WHERE state = 'draft'", [])?;
            db.execute(
                "INSERT INTO plans (state, created_at, based_on, spec, summary) VALUES ('draft', ?1, ?2, ?3, ?4)",
                params![now, based_on, spec_toml, summary],
            )?;
            let id = db.last_insert_rowid();
            let mut insert = db.prepare_cached(
                "INSERT INTO plan_devices (plan_id, device_id, wave, position, site_code, class, reason, fixed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for d in &devices {
                insert.execute(params![id, d.device_id, d.wave, d.position, d.site_code, d.class, d.reason, d.fixed])?;
            }
            let mut insert = db.prepare_cached(
                "INSERT INTO plan_left_out (plan_id, device_id, position, site_code, class, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for d in &left_out {
                insert.execute(params![id, d.device_id, d.position, d.site_code, d.class, d.reason])?;
            }
            let detail = format!("draft: {} devices in {waves} waves", devices.len());
            audit(db, &by, now, "waves.plan", &format!("plan {id}"), &detail)?;
            Ok(id as u64)
        })
    }

    /// Publishes a draft; the published plan it replaces is superseded.
    /// Refused when the draft was planned on another published plan than
    /// the current one (someone published meanwhile).
    pub fn publish_plan(&self, id: u64, by: &Actor, now: i64) -> Result<StoredPlan, StorageError> {
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            let Some(draft) = by_id(db, id)? else {
                return Err(StorageError::Conflict(format!("there is no plan {id}")));
            };
            if draft.state != PlanState::Draft {
                return Err(StorageError::Conflict(format!(
                    "plan {id} is {}, not a draft",
                    draft.state.name()
                )));
            }
            let current = published(db)?;
            if current.as_ref().map(|p| p.id) != draft.based_on {
                return Err(StorageError::Conflict(format!(
                    "draft {id} was planned on {}, but plan {} is published now: plan again",
                    draft.based_on.map_or("no published plan".into(), |b| format!("plan {b}")),
                    current.map_or(0, |p| p.id)
                )));
            }
            db.execute("UPDATE plans SET state = 'superseded' WHERE state = 'published'", [])?;
            db.execute(
                "UPDATE plans SET state = 'published', published_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            let replaced = current
                .map_or("no plan was published before".to_string(), |p| format!("supersedes plan {}", p.id));
            audit(db, &by, now, "waves.publish", &format!("plan {id}"), &replaced)?;
            by_id(db, id)?.ok_or_else(|| StorageError::Conflict(format!("plan {id} vanished")))
        })
    }

    pub fn plan(&self, id: u64) -> Result<Option<StoredPlan>, StorageError> {
        self.read(|db| by_id(db, id))
    }

    pub fn published_plan(&self) -> Result<Option<StoredPlan>, StorageError> {
        self.read(published)
    }

    pub fn latest_draft(&self) -> Result<Option<StoredPlan>, StorageError> {
        self.read(|db| query_plan(db, "state = 'draft'", []))
    }

    /// A plan's devices by wave and position.
    pub fn plan_devices(&self, plan_id: u64) -> Result<Vec<PlanDevice>, StorageError> {
        self.read(|db| {
            let mut statement = db.prepare_cached(
                "SELECT device_id, wave, position, site_code, class, reason, fixed FROM plan_devices
                 WHERE plan_id = ?1 ORDER BY wave, position",
            )?;
            let rows = statement
                .query_map([plan_id], |row| {
                    Ok(PlanDevice {
                        device_id: row.get(0)?,
                        wave: row.get(1)?,
                        position: row.get(2)?,
                        site_code: row.get(3)?,
                        class: row.get(4)?,
                        reason: row.get(5)?,
                        fixed: row.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Every device the plan leaves out, in the plan's order (by site),
    /// with wave 0 and the reason it is left out.
    pub fn plan_left_out(&self, plan_id: u64) -> Result<Vec<PlanDevice>, StorageError> {
        self.read(|db| {
            let mut statement = db.prepare_cached(
                "SELECT device_id, position, site_code, class, reason FROM plan_left_out
                 WHERE plan_id = ?1 ORDER BY position",
            )?;
            let rows = statement
                .query_map([plan_id], |row| {
                    Ok(PlanDevice {
                        device_id: row.get(0)?,
                        wave: 0,
                        position: row.get(1)?,
                        site_code: row.get(2)?,
                        class: row.get(3)?,
                        reason: row.get(4)?,
                        fixed: false,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Every device's explicit status; a device of the plan without one
    /// is planned.
    pub fn rollout_statuses(&self) -> Result<HashMap<u64, RolloutState>, StorageError> {
        self.read(|db| {
            let mut statement = db.prepare_cached(
                "SELECT device_id, status, reason, wave, updated_at, source FROM rollout_status",
            )?;
            let rows = statement
                .query_map([], |row| {
                    let status: String = row.get(1)?;
                    Ok((
                        row.get::<_, u64>(0)?,
                        RolloutState {
                            status: Status::parse(&status).unwrap_or(Status::Planned),
                            reason: row.get(2)?,
                            wave: row.get(3)?,
                            updated_at: row.get(4)?,
                            source: row.get(5)?,
                        },
                    ))
                })?
                .collect::<Result<HashMap<_, _>, _>>()?;
            Ok(rows)
        })
    }

    /// Records status changes for devices of published plan `plan_id`,
    /// all or none. A postponement moves the device to its new wave.
    pub fn set_statuses(
        &self,
        plan_id: u64,
        changes: Vec<StatusChange>,
        by: &Actor,
        returns: Option<ReturnsFile>,
    ) -> Result<(), StorageError> {
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            if published(db)?.map(|p| p.id) != Some(plan_id) {
                return Err(StorageError::Conflict(format!("plan {plan_id} is no longer the published plan")));
            }
            let mut upsert = db.prepare_cached(
                "INSERT INTO rollout_status (device_id, status, reason, wave, updated_at, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, reason = excluded.reason,
                     wave = excluded.wave, updated_at = excluded.updated_at, source = excluded.source",
            )?;
            let mut event = db.prepare_cached(
                "INSERT INTO rollout_events (device_id, at, previous, status, reason, wave, technician, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut moved = db.prepare_cached(
                "UPDATE plan_devices SET wave = ?3, reason = reason || ' — postponed: ' || ?4
                 WHERE plan_id = ?1 AND device_id = ?2",
            )?;
            for c in &changes {
                upsert.execute(params![c.device_id, c.status.name(), c.reason, c.wave, c.at, c.source])?;
                event.execute(params![
                    c.device_id,
                    c.at,
                    c.previous.name(),
                    c.status.name(),
                    c.reason,
                    c.wave,
                    c.technician,
                    c.source
                ])?;
                if let (Status::Postponed, Some(wave)) = (c.status, c.wave) {
                    moved.execute(params![plan_id, c.device_id, wave, c.reason])?;
                }
                let mut detail = format!("{} → {} ({})", c.previous.name(), c.status.name(), c.source);
                if let Some(wave) = c.wave {
                    detail.push_str(&format!(", wave {wave}"));
                }
                if !c.reason.is_empty() {
                    detail.push_str(&format!(": {}", c.reason));
                }
                audit(db, &by, c.at, "waves.status", &format!("device {}", c.device_id), &detail)?;
            }
            if let Some(file) = &returns {
                let mut counts: std::collections::BTreeMap<&str, u32> = Default::default();
                for c in &changes {
                    *counts.entry(c.status.name()).or_insert(0) += 1;
                }
                let counts: Vec<String> = counts.iter().map(|(status, n)| format!("{n} {status}")).collect();
                let detail =
                    format!("{} rows: {} changed ({})", file.rows, changes.len(), counts.join(", "));
                audit(db, &by, file.imported_at, "waves.returns", &file.name, &detail)?;
            }
            Ok(())
        })
    }
}

/// A technicians' returns sheet whose changes [`Storage::set_statuses`]
/// stores: the import gets its own audit entry besides each PC's.
#[derive(Debug, Clone)]
pub struct ReturnsFile {
    pub name: String,
    pub rows: u32,
    pub imported_at: i64,
}

impl StoredPlan {
    pub fn header(&self) -> parc_planner::record::PlanHeader {
        parc_planner::record::PlanHeader {
            id: self.id,
            state: self.state.name().to_string(),
            created_at: self.created_at,
            published_at: self.published_at,
            based_on: self.based_on,
            spec_toml: self.spec_toml.clone(),
        }
    }
}
