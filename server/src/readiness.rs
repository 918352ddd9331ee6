//! Readiness over the stored fleet: joins each device with its site (by
//! hand or by subnet), its asset row and the packages the policy looks
//! for, then runs the pure rules of `parc-readiness`. Storage is read in two
//! passes (addresses first, to count the devices of each site; then the
//! rest), one device at a time, so memory stays flat at any fleet size.

use crate::storage::{Joins, ScannedDevice, Storage, StorageError};
use parc_model::{DeviceSummary, Inventory, Section};
use parc_readiness::asset::{serial_key, Asset};
use parc_readiness::site::{self, Site};
use parc_readiness::summary::{Counts, GroupSummary, Summarizer};
use parc_readiness::view::{DeviceReadinessView, SiteSource};
use parc_readiness::{evaluate, DeviceInput, DeviceReadiness, Dimension, Policy, SiteContext};
use std::collections::HashMap;

/// How readiness counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Site,
    Department,
    Model,
    /// The whole fleet as one group.
    Fleet,
}

impl GroupBy {
    pub fn parse(text: &str) -> Option<GroupBy> {
        match text {
            "site" => Some(GroupBy::Site),
            "department" => Some(GroupBy::Department),
            "model" => Some(GroupBy::Model),
            "" | "dimension" | "fleet" => Some(GroupBy::Fleet),
            _ => None,
        }
    }
}

/// The sections the rules read; software comes from the catalogue.
const RULE_SECTIONS: [Section; 10] = [
    Section::System,
    Section::Os,
    Section::Cpu,
    Section::Memory,
    Section::Volumes,
    Section::NetworkInterfaces,
    Section::Disks,
    Section::Security,
    Section::Batteries,
    Section::Peripherals,
];

/// A device's place: index into the sites and how it got there.
type Placement = (usize, SiteSource);

/// Everything joined onto devices, read once per computation.
struct Context {
    joins: Joins,
    placements: HashMap<u64, Placement>,
    devices_per_site: Vec<u32>,
    software: HashMap<u64, Vec<String>>,
}

impl Context {
    fn load(storage: &Storage, policy: &Policy) -> Result<Context, StorageError> {
        let joins = storage.joins()?;
        let by_code: HashMap<&str, usize> =
            joins.sites.iter().enumerate().map(|(i, s)| (s.code.as_str(), i)).collect();
        let mut placements = HashMap::new();
        let mut devices_per_site = vec![0u32; joins.sites.len()];
        storage.scan_devices(&[Section::NetworkInterfaces], |device| {
            if let Some(placement) = place(&joins, &by_code, device.summary.id, device.inventory) {
                devices_per_site[placement.0] += 1;
                placements.insert(device.summary.id, placement);
            }
        })?;
        let patterns: Vec<String> =
            policy.softphone.clients.iter().chain(policy.telework.vpn_clients.iter()).cloned().collect();
        let software = storage.software_names_containing(&patterns)?;
        Ok(Context { joins, placements, devices_per_site, software })
    }

    fn site(&self, device_id: u64) -> Option<(&Site, u32, SiteSource)> {
        let (index, source) = self.placements.get(&device_id)?;
        Some((&self.joins.sites[*index], self.devices_per_site[*index], *source))
    }

    /// The device's asset row, unless its serial is shared by several
    /// devices (then it is nobody's until a person decides).
    fn asset(&self, summary: &DeviceSummary) -> Option<&Asset> {
        let key = serial_key(&summary.serial_number);
        if key.is_empty() || self.joins.conflicting_serials.contains(&key) {
            return None;
        }
        self.joins.assets.get(&key)
    }

    fn evaluate(
        &self,
        summary: &DeviceSummary,
        inventory: &Inventory,
        has_software: bool,
        policy: &Policy,
        now: i64,
    ) -> DeviceReadiness {
        let empty = Vec::new();
        let software = has_software.then(|| self.software.get(&summary.id).unwrap_or(&empty).as_slice());
        let input = DeviceInput {
            inventory,
            last_seen_at: summary.last_seen_at,
            asset: self.asset(summary),
            site: self
                .site(summary.id)
                .map(|(site, devices_on_site, _)| SiteContext { site, devices_on_site }),
            software,
        };
        evaluate(&input, policy, now)
    }
}

fn place(
    joins: &Joins,
    by_code: &HashMap<&str, usize>,
    device_id: u64,
    inventory: &Inventory,
) -> Option<Placement> {
    if let Some(code) = joins.assigned.get(&device_id) {
        if let Some(index) = by_code.get(code.as_str()) {
            return Some((*index, SiteSource::Manual));
        }
    }
    let addresses: Vec<String> =
        inventory.network_interfaces.iter().flatten().flat_map(|i| i.addresses.iter().cloned()).collect();
    let site = site::place(&joins.sites, &addresses)?;
    by_code.get(site.code.as_str()).map(|index| (*index, SiteSource::Subnet))
}

/// A device with its readiness and what it was joined with.
pub struct DeviceFacts<'a> {
    pub summary: &'a DeviceSummary,
    pub inventory: &'a Inventory,
    pub readiness: DeviceReadiness,
    pub site: Option<&'a Site>,
    pub asset: Option<&'a Asset>,
}

/// Calls `visit` for every live device with its readiness, one device at
/// a time.
pub fn scan(
    storage: &Storage,
    policy: &Policy,
    now: i64,
    visit: impl FnMut(DeviceFacts<'_>),
) -> Result<(), StorageError> {
    let joined = Joined::load(storage, policy)?;
    storage.scan_devices(&RULE_SECTIONS, joined.facts(policy, now, visit))
}

/// What readiness joins onto devices (sites, placements, assets, the
/// packages the rules look for), loaded once for several reads of some
/// devices each ([`Joined::visit`]).
pub struct Joined(Context);

impl Joined {
    pub fn load(storage: &Storage, policy: &Policy) -> Result<Joined, StorageError> {
        Ok(Joined(Context::load(storage, policy)?))
    }

    /// Calls `visit` for each of `ids` that is a live device, in that
    /// order, with its readiness.
    pub fn visit(
        &self,
        storage: &Storage,
        policy: &Policy,
        now: i64,
        ids: &[u64],
        visit: impl FnMut(DeviceFacts<'_>),
    ) -> Result<(), StorageError> {
        storage.read_devices(ids, &RULE_SECTIONS, self.facts(policy, now, visit))
    }

    fn facts<'s>(
        &'s self,
        policy: &'s Policy,
        now: i64,
        mut visit: impl FnMut(DeviceFacts<'_>) + 's,
    ) -> impl FnMut(ScannedDevice<'_>) + 's {
        let context = &self.0;
        move |device| {
            let readiness =
                context.evaluate(device.summary, device.inventory, device.has_software, policy, now);
            visit(DeviceFacts {
                summary: device.summary,
                inventory: device.inventory,
                readiness,
                site: context.site(device.summary.id).map(|(site, _, _)| site),
                asset: context.asset(device.summary),
            });
        }
    }
}

/// Readiness counts of the whole fleet, grouped.
pub fn summarize(
    storage: &Storage,
    policy: &Policy,
    now: i64,
    by: GroupBy,
    top: usize,
) -> Result<Vec<GroupSummary>, StorageError> {
    let mut summarizer = Summarizer::default();
    scan(storage, policy, now, |device| {
        let key = match by {
            GroupBy::Site => device.site.map(|site| site.code.as_str()).unwrap_or(""),
            GroupBy::Department => device.asset.map(|a| a.department.as_str()).unwrap_or(""),
            GroupBy::Model => device.summary.model.as_str(),
            GroupBy::Fleet => "",
        };
        summarizer.add(key, &device.readiness);
    })?;
    Ok(summarizer.finish(top))
}

/// One device's readiness with its site and asset row; `None` when there
/// is no such device.
pub fn device(
    storage: &Storage,
    policy: &Policy,
    now: i64,
    device_id: u64,
) -> Result<Option<DeviceReadinessView>, StorageError> {
    let Some(device) = storage.get_device(device_id)? else { return Ok(None) };
    let context = Context::load(storage, policy)?;
    let inventory = device.inventory.unwrap_or_default();
    let has_software = inventory.software.is_some();
    let readiness = context.evaluate(&device.summary, &inventory, has_software, policy, now);
    let site = context.site(device_id);
    Ok(Some(DeviceReadinessView {
        device_id,
        readiness,
        site_code: site.map(|(s, _, _)| s.code.clone()),
        site_source: site.map_or(SiteSource::None, |(_, _, source)| source),
        asset: context.asset(&device.summary).cloned(),
    }))
}

/// Live devices per site code, for the sites list.
pub fn devices_per_site(storage: &Storage, policy: &Policy) -> Result<HashMap<String, u64>, StorageError> {
    let context = Context::load(storage, policy)?;
    Ok(context
        .joins
        .sites
        .iter()
        .zip(&context.devices_per_site)
        .map(|(site, count)| (site.code.clone(), u64::from(*count)))
        .collect())
}

/// Takes today's snapshot of the counts per site and dimension, unless it
/// is already stored. Returns whether it took one.
pub fn snapshot_if_due(storage: &Storage, policy: &Policy, now: i64) -> Result<bool, StorageError> {
    let today = now.div_euclid(86_400);
    if storage.has_snapshot(today)? {
        return Ok(false);
    }
    let groups = summarize(storage, policy, now, GroupBy::Site, 0)?;
    let rows: Vec<(String, Dimension, Counts)> = groups
        .iter()
        .flat_map(|group| group.dimensions.iter().map(|d| (group.key.clone(), d.dimension, d.counts)))
        .collect();
    storage.store_snapshot(today, rows)?;
    tracing::info!(day = %parc_model::civil::iso(today), "readiness snapshot stored");
    Ok(true)
}

/// Takes the daily readiness snapshot: a few seconds after start (so a
/// restart does not miss a day), then every hour when the day has none yet. Stops
/// when `stop` turns true.
pub async fn take_daily_snapshots(
    state: std::sync::Arc<crate::grpc::AppState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut wait = std::time::Duration::from_secs(5);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        wait = std::time::Duration::from_secs(3600);
        let state = state.clone();
        let taken = tokio::task::spawn_blocking(move || {
            snapshot_if_due(&state.storage, &state.policy.get(), crate::now_unix())
        })
        .await;
        match taken {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "readiness snapshot failed; retrying in an hour"),
            Err(error) => tracing::warn!(%error, "readiness snapshot task failed"),
        }
    }
}
