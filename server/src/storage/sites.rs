//! Sites, the asset register, manual site assignments and the daily
//! readiness counts: what agents cannot know, imported or typed by people.
//! Each import or edit is one writer job, so it is all or nothing.

use super::{audit, Storage, StorageError};
use crate::access::Actor;
use parc_readiness::asset::{serial_key, Asset, AssetMatch};
use parc_readiness::site::{
    plan_import, Rollout, Site, SiteChange, SiteImport, SiteKind, SiteUpdate, Subnet, WanLink,
};
use parc_readiness::summary::Counts;
use parc_readiness::Dimension;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;

const SITE_COLUMNS: &str =
    "code, name, kind, address, wan_link, down_mbps, up_mbps, fibre, wifi, subnets, technician_group";

/// Readiness counts of one day, for one dimension (summed over sites).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub day: i64,
    pub dimension: Dimension,
    pub counts: Counts,
}

/// The live devices' identities the site and asset joins need.
#[derive(Debug, Clone, Default)]
pub struct Joins {
    pub sites: Vec<Site>,
    /// Manual assignments: device id → site code.
    pub assigned: HashMap<u64, String>,
    /// Asset rows by serial key.
    pub assets: HashMap<String, Asset>,
    /// Serial keys that several live devices report: their asset row
    /// applies to none of them.
    pub conflicting_serials: std::collections::HashSet<String>,
}

fn site_from_row(row: &Row<'_>) -> rusqlite::Result<Site> {
    let text = |i: usize| row.get::<_, String>(i);
    let bad = |i: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, what.into())
    };
    let kind = text(2)?;
    let link = text(4)?;
    Ok(Site {
        code: text(0)?,
        name: text(1)?,
        kind: SiteKind::parse(&kind).ok_or_else(|| bad(2, format!("site kind {kind}")))?,
        address: text(3)?,
        wan_link: WanLink::parse(&link).ok_or_else(|| bad(4, format!("WAN link {link}")))?,
        down_mbps: row.get(5)?,
        up_mbps: row.get(6)?,
        fibre: Rollout::parse(&text(7)?).map_err(|e| bad(7, e))?,
        wifi: Rollout::parse(&text(8)?).map_err(|e| bad(8, e))?,
        subnets: text(9)?
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|s| Subnet::parse(s).map_err(|e| bad(9, e)))
            .collect::<Result<_, _>>()?,
        technician_group: text(10)?,
    })
}

fn load_sites(db: &Connection) -> Result<Vec<Site>, StorageError> {
    let mut statement = db.prepare_cached(&format!("SELECT {SITE_COLUMNS} FROM sites ORDER BY code"))?;
    let sites = statement.query_map([], site_from_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(sites)
}

fn find_site(db: &Connection, code: &str) -> Result<Option<Site>, StorageError> {
    Ok(db
        .prepare_cached(&format!("SELECT {SITE_COLUMNS} FROM sites WHERE code = ?1"))?
        .query_row([code], site_from_row)
        .optional()?)
}

/// Writes sites (new or changed) and records each changed field, as
/// [`plan_import`] decides from what is stored.
fn write_sites(db: &Connection, sites: &[Site], source: &str, now: i64) -> Result<SiteImport, StorageError> {
    let existing = load_sites(db)?;
    let plan = plan_import(&existing, sites, source, now);
    let mut upsert = db.prepare_cached(
        "INSERT INTO sites (code, name, kind, address, wan_link, down_mbps, up_mbps, fibre, wifi, subnets, \
         technician_group, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, address = excluded.address, \
         wan_link = excluded.wan_link, down_mbps = excluded.down_mbps, up_mbps = excluded.up_mbps, \
         fibre = excluded.fibre, wifi = excluded.wifi, subnets = excluded.subnets, \
         technician_group = excluded.technician_group, updated_at = excluded.updated_at",
    )?;
    for site in sites {
        if existing.iter().any(|old| old == site) {
            continue;
        }
        let subnets = site.subnets_text();
        upsert.execute(params![
            site.code,
            site.name,
            site.kind.name(),
            site.address,
            site.wan_link.name(),
            site.down_mbps,
            site.up_mbps,
            site.fibre.to_string(),
            site.wifi.to_string(),
            subnets,
            site.technician_group,
            now
        ])?;
    }
    let mut insert = db.prepare_cached(
        "INSERT INTO site_changes (site_code, at, field, before, after, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for change in &plan.changes {
        insert.execute(params![
            change.site_code,
            change.at,
            change.field,
            change.before,
            change.after,
            change.source
        ])?;
    }
    Ok(plan)
}

fn asset_from_row(row: &Row<'_>) -> rusqlite::Result<Asset> {
    Ok(Asset {
        serial_number: row.get(0)?,
        asset_tag: row.get(1)?,
        purchase_day: row.get(2)?,
        warranty_end_day: row.get(3)?,
        assigned_user: row.get(4)?,
        department: row.get(5)?,
        teleworker: row.get::<_, Option<i64>>(6)?.map(|v| v != 0),
    })
}

/// Live devices by serial key.
fn devices_by_serial(db: &Connection) -> Result<HashMap<String, Vec<u64>>, StorageError> {
    let mut statement = db.prepare_cached(
        "SELECT id, serial_number FROM devices WHERE revoked_at IS NULL AND serial_number <> ''",
    )?;
    let mut by_serial: HashMap<String, Vec<u64>> = HashMap::new();
    let rows = statement.query_map([], |row| Ok((row.get::<_, u64>(0)?, row.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, serial) = row?;
        if crate::identity::is_real_identity(crate::identity::IdentityKey::SerialNumber, &serial) {
            by_serial.entry(serial_key(&serial)).or_default().push(id);
        }
    }
    Ok(by_serial)
}

fn match_assets(db: &Connection, assets: &[Asset]) -> Result<AssetMatch, StorageError> {
    let by_serial = devices_by_serial(db)?;
    let mut matched = AssetMatch::default();
    for asset in assets {
        match by_serial.get(&serial_key(&asset.serial_number)).map(Vec::as_slice) {
            None | Some([]) => matched.unknown_serials.push(asset.serial_number.clone()),
            Some([_]) => matched.matched += 1,
            Some(ids) => matched.conflicts.push((asset.serial_number.clone(), ids.to_vec())),
        }
    }
    Ok(matched)
}

impl Storage {
    /// Creates or updates every site of an import in one transaction: all
    /// are written or none. Sites absent from the file stay as they are.
    pub fn import_sites(
        &self,
        sites: Vec<Site>,
        source: &str,
        by: &Actor,
        now: i64,
    ) -> Result<SiteImport, StorageError> {
        let source = source.to_string();
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            let import = write_sites(db, &sites, &source, now)?;
            let detail = format!(
                "{} sites: {} created, {} updated, {} unchanged; {} field changes",
                sites.len(),
                import.created,
                import.updated,
                import.unchanged,
                import.changes.len()
            );
            audit(db, &by, now, "sites.import", &source, &detail)?;
            Ok(import)
        })
    }

    /// Edits a site's fields; `None` when there is no such site.
    pub fn update_site(
        &self,
        code: &str,
        update: SiteUpdate,
        by: &Actor,
        now: i64,
    ) -> Result<Option<SiteImport>, StorageError> {
        let code = code.to_string();
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            let Some(old) = find_site(db, &code)? else { return Ok(None) };
            let import = write_sites(db, &[update.apply(&old)], "parc sites set", now)?;
            let changes: Vec<String> =
                import.changes.iter().map(|c| format!("{}: {} → {}", c.field, c.before, c.after)).collect();
            let detail = if changes.is_empty() { "no change".to_string() } else { changes.join("; ") };
            audit(db, &by, now, "sites.update", &code, &detail)?;
            Ok(Some(import))
        })
    }

    pub fn sites(&self) -> Result<Vec<Site>, StorageError> {
        self.read(load_sites)
    }

    pub fn site(&self, code: &str) -> Result<Option<Site>, StorageError> {
        self.read(|db| find_site(db, code))
    }

    /// A site's recorded changes, oldest first.
    pub fn site_changes(&self, code: &str) -> Result<Vec<SiteChange>, StorageError> {
        self.read(|db| {
            let mut statement = db.prepare_cached(
                "SELECT site_code, at, field, before, after, source FROM site_changes WHERE site_code = ?1 ORDER BY at, id",
            )?;
            let changes = statement
                .query_map([code], |row| {
                    Ok(SiteChange {
                        site_code: row.get(0)?,
                        at: row.get(1)?,
                        field: row.get(2)?,
                        before: row.get(3)?,
                        after: row.get(4)?,
                        source: row.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(changes)
        })
    }

    /// Stores the asset rows (by serial, replacing a previous row of the
    /// same serial) in one transaction, and says how they meet the fleet.
    pub fn import_assets(
        &self,
        assets: Vec<Asset>,
        source: &str,
        by: &Actor,
        now: i64,
    ) -> Result<AssetMatch, StorageError> {
        let source = source.to_string();
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            let mut insert = db.prepare_cached(
                "INSERT OR REPLACE INTO assets (serial_key, asset_tag, purchase_day, warranty_end_day, assigned_user, \
                 department, teleworker, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for asset in &assets {
                insert.execute(params![
                    serial_key(&asset.serial_number),
                    asset.asset_tag,
                    asset.purchase_day,
                    asset.warranty_end_day,
                    asset.assigned_user,
                    asset.department,
                    asset.teleworker.map(i64::from),
                    now
                ])?;
            }
            let matched = match_assets(db, &assets)?;
            let detail = format!(
                "{} rows: {} matched, {} unknown serials, {} shared serials",
                assets.len(),
                matched.matched,
                matched.unknown_serials.len(),
                matched.conflicts.len()
            );
            audit(db, &by, now, "assets.import", &source, &detail)?;
            Ok(matched)
        })
    }

    /// How asset rows would meet the fleet, writing nothing (a dry run).
    pub fn match_assets(&self, assets: &[Asset]) -> Result<AssetMatch, StorageError> {
        self.read(|db| match_assets(db, assets))
    }

    /// Puts a device on a site by hand (overriding its subnets), or back
    /// to placement by subnet with `None`. Errors name a missing site.
    pub fn assign_site(
        &self,
        device_id: u64,
        site_code: Option<&str>,
        by: &Actor,
        now: i64,
    ) -> Result<AssignOutcome, StorageError> {
        let site_code = site_code.map(str::to_string);
        let by = by.clone();
        self.writer.submit_blocking(move |db, _| {
            let exists: bool =
                db.query_row("SELECT count(*) FROM devices WHERE id = ?1", [device_id], |row| row.get::<_, i64>(0))? > 0;
            if !exists {
                return Ok(AssignOutcome::NoDevice);
            }
            match &site_code {
                Some(code) => {
                    if find_site(db, code)?.is_none() {
                        return Ok(AssignOutcome::NoSite);
                    }
                    db.execute(
                        "INSERT OR REPLACE INTO device_sites (device_id, site_code, assigned_at) VALUES (?1, ?2, ?3)",
                        params![device_id, code, now],
                    )?;
                }
                None => {
                    db.execute("DELETE FROM device_sites WHERE device_id = ?1", [device_id])?;
                }
            }
            let detail = match &site_code {
                Some(code) => format!("assigned to site {code} by hand"),
                None => "placed by subnet again".to_string(),
            };
            audit(db, &by, now, "sites.assign", &format!("device {device_id}"), &detail)?;
            Ok(AssignOutcome::Done)
        })
    }

    /// Everything the readiness rules join onto devices, read at once.
    pub fn joins(&self) -> Result<Joins, StorageError> {
        self.read(|db| {
            let sites = load_sites(db)?;
            let mut assigned = HashMap::new();
            let mut statement = db.prepare_cached("SELECT device_id, site_code FROM device_sites")?;
            for row in statement.query_map([], |row| Ok((row.get::<_, u64>(0)?, row.get::<_, String>(1)?)))? {
                let (id, code) = row?;
                assigned.insert(id, code);
            }
            let mut assets = HashMap::new();
            let mut statement = db.prepare_cached(
                "SELECT serial_key, asset_tag, purchase_day, warranty_end_day, assigned_user, department, teleworker FROM assets",
            )?;
            for asset in statement.query_map([], asset_from_row)? {
                let asset = asset?;
                assets.insert(asset.serial_number.clone(), asset);
            }
            let conflicting_serials =
                devices_by_serial(db)?.into_iter().filter(|(_, ids)| ids.len() > 1).map(|(serial, _)| serial).collect();
            Ok(Joins { sites, assigned, assets, conflicting_serials })
        })
    }

    /// Whether the counts of `day` are stored already.
    pub fn has_snapshot(&self, day: i64) -> Result<bool, StorageError> {
        self.read(|db| {
            Ok(db
                .prepare_cached("SELECT 1 FROM readiness_daily WHERE day = ?1 LIMIT 1")?
                .query_row([day], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    /// Stores a day's counts per site ("" for devices on no site) and
    /// dimension, replacing that day's earlier counts.
    pub fn store_snapshot(
        &self,
        day: i64,
        rows: Vec<(String, Dimension, Counts)>,
    ) -> Result<(), StorageError> {
        self.writer.submit_blocking(move |db, _| {
            db.execute("DELETE FROM readiness_daily WHERE day = ?1", [day])?;
            let mut insert = db.prepare_cached(
                "INSERT INTO readiness_daily (day, site_code, dimension, ready, not_ready, unknown) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (site, dimension, counts) in &rows {
                insert.execute(params![day, site, dimension.name(), counts.ready, counts.not_ready, counts.unknown])?;
            }
            Ok(())
        })
    }

    /// Daily counts from `since_day` on, for one site or the whole fleet.
    pub fn trend(&self, since_day: i64, site: Option<&str>) -> Result<Vec<TrendPoint>, StorageError> {
        self.read(|db| {
            let mut statement = db.prepare_cached(
                "SELECT day, dimension, sum(ready), sum(not_ready), sum(unknown) FROM readiness_daily \
                 WHERE day >= ?1 AND (?2 IS NULL OR site_code = ?2) GROUP BY day, dimension ORDER BY day, dimension",
            )?;
            let rows = statement.query_map(params![since_day, site], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    Counts { ready: row.get(2)?, not_ready: row.get(3)?, unknown: row.get(4)? },
                ))
            })?;
            let mut points = Vec::new();
            for row in rows {
                let (day, dimension, counts) = row?;
                if let Some(dimension) = Dimension::from_name(&dimension) {
                    points.push(TrendPoint { day, dimension, counts });
                }
            }
            points.sort_by_key(|p| (p.day, p.dimension));
            Ok(points)
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOutcome {
    Done,
    NoDevice,
    NoSite,
}
