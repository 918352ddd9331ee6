//! What each wave has used so far, and the one check of every hard
//! constraint. The planner and the baseline both place devices only
//! through `check` then `take`, so neither can break a constraint.

use crate::plan::Constraint;
use crate::spec::Rules;
use crate::DeviceClass;
use parc_readiness::site::SiteKind;
use std::collections::HashSet;

/// Where a device goes: its site and the site's technician group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SiteRef {
    pub id: u32,
    pub kind: Option<SiteKind>,
    /// Index into `Book::groups`; `None`: no technician limit.
    pub group: Option<usize>,
}

/// What placing some devices costs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Demand {
    pub devices: u32,
    pub per_class: [u32; 2],
    pub cost_cents: u64,
}

impl Demand {
    pub fn one(class: DeviceClass, rules: &Rules) -> Demand {
        let mut per_class = [0; 2];
        per_class[class.index()] = 1;
        Demand { devices: 1, per_class, cost_cents: rules.price_cents[class.index()] }
    }

    pub fn add(&mut self, other: Demand) {
        self.devices += other.devices;
        self.per_class[0] += other.per_class[0];
        self.per_class[1] += other.per_class[1];
        self.cost_cents += other.cost_cents;
    }

    fn remove(&mut self, other: Demand) {
        self.devices -= other.devices;
        self.per_class[0] -= other.per_class[0];
        self.per_class[1] -= other.per_class[1];
        self.cost_cents -= other.cost_cents;
    }
}

/// A placement [`Book::take`] made, so that a trial can be undone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Taken {
    index: usize,
    site: SiteRef,
    demand: Demand,
    /// The take added the site to the wave's visits.
    new_visit: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct WaveUse {
    pub used: Demand,
    pub sites: HashSet<u32>,
    /// Devices per technician group, indexed like `Book::groups`.
    pub per_group: Vec<u32>,
}

/// A technician group the spec limits: its name (the spec's key) and the
/// devices it can replace per wave.
#[derive(Debug, Clone)]
pub(crate) struct GroupLimit {
    pub name: String,
    pub devices_per_day: u32,
    pub days_per_wave: f64,
    pub devices_per_wave: u32,
}

pub(crate) struct Book<'r> {
    rules: &'r Rules,
    pub groups: Vec<GroupLimit>,
    pub waves: Vec<WaveUse>,
    /// Per class and wave: stock delivered up to the wave minus stock
    /// used up to it. Unused stock carries over, so taking stock in a wave
    /// lowers every later slack, and a wave may only take what every later
    /// slack still has.
    stock_slack: [Vec<i64>; 2],
}

impl<'r> Book<'r> {
    pub fn new(rules: &'r Rules) -> Book<'r> {
        let groups: Vec<GroupLimit> = rules
            .technicians
            .iter()
            .map(|(name, group)| GroupLimit {
                name: name.clone(),
                devices_per_day: group.devices_per_day,
                days_per_wave: group.days_per_wave,
                devices_per_wave: (f64::from(group.devices_per_day) * group.days_per_wave + 1e-9).floor()
                    as u32,
            })
            .collect();
        let waves = rules.waves as usize;
        let slack = |class: DeviceClass| {
            let per_wave = i64::from(rules.stock[class.index()].unwrap_or(0));
            (1..=waves as i64).map(|n| n * per_wave).collect()
        };
        Book {
            rules,
            waves: vec![WaveUse { per_group: vec![0; groups.len()], ..WaveUse::default() }; waves],
            groups,
            stock_slack: [slack(DeviceClass::Laptop), slack(DeviceClass::Desktop)],
        }
    }

    /// The index of the spec's technician group for a site's group name:
    /// `Ok(None)` without limits, `Err` when the spec lists groups but not
    /// this one nor `default`.
    pub fn group_of(&self, technician_group: &str) -> Result<Option<usize>, ()> {
        if self.groups.is_empty() {
            return Ok(None);
        }
        let find = |name: &str| self.groups.iter().position(|g| g.name == name);
        find(technician_group).or_else(|| find("default")).map(Some).ok_or(())
    }

    /// The first constraint that placing `demand` at `site` in wave
    /// `index` (0-based) would break.
    pub fn check(&self, index: usize, site: SiteRef, demand: Demand) -> Result<(), Constraint> {
        let rules = self.rules;
        let wave = &self.waves[index];
        if rules.blackout(index as u32 + 1, site.kind).is_some() {
            return Err(Constraint::Blackout);
        }
        if rules.capacity.is_some_and(|capacity| wave.used.devices + demand.devices > capacity) {
            return Err(Constraint::Capacity);
        }
        if rules.max_sites.is_some_and(|max| !wave.sites.contains(&site.id) && wave.sites.len() as u32 >= max)
        {
            return Err(Constraint::SitesPerWave);
        }
        if let Some(group) = site.group {
            if wave.per_group[group] + demand.devices > self.groups[group].devices_per_wave {
                return Err(Constraint::TechnicianDays(self.groups[group].name.clone()));
            }
        }
        if rules.budget_cents.is_some_and(|budget| wave.used.cost_cents + demand.cost_cents > budget) {
            return Err(Constraint::Budget);
        }
        for class in DeviceClass::ALL {
            let wanted = i64::from(demand.per_class[class.index()]);
            if wanted > 0 && rules.stock[class.index()].is_some() {
                let slack = &self.stock_slack[class.index()][index..];
                if slack.iter().any(|left| *left < wanted) {
                    return Err(Constraint::Stock(class));
                }
            }
        }
        Ok(())
    }

    /// Records the placement. Never checks: fixed devices (frozen waves)
    /// are taken as they are even when a changed spec would refuse them.
    pub fn take(&mut self, index: usize, site: SiteRef, demand: Demand) -> Taken {
        let wave = &mut self.waves[index];
        wave.used.add(demand);
        let new_visit = wave.sites.insert(site.id);
        if let Some(group) = site.group {
            wave.per_group[group] += demand.devices;
        }
        self.move_stock(index, demand, -1);
        Taken { index, site, demand, new_visit }
    }

    /// Undoes a [`take`](Self::take); takes are undone last first.
    pub fn untake(&mut self, taken: Taken) {
        let wave = &mut self.waves[taken.index];
        wave.used.remove(taken.demand);
        if taken.new_visit {
            wave.sites.remove(&taken.site.id);
        }
        if let Some(group) = taken.site.group {
            wave.per_group[group] -= taken.demand.devices;
        }
        self.move_stock(taken.index, taken.demand, 1);
    }

    /// Adds `sign` times the demand's devices to the stock slack of wave
    /// `index` and every later one (stock used carries over).
    fn move_stock(&mut self, index: usize, demand: Demand, sign: i64) {
        for class in DeviceClass::ALL {
            let count = sign * i64::from(demand.per_class[class.index()]);
            if count != 0 {
                for left in &mut self.stock_slack[class.index()][index..] {
                    *left += count;
                }
            }
        }
    }

    /// Stock a wave could use: delivered up to it, minus what earlier
    /// waves used.
    pub fn stock_available(&self, index: usize, class: DeviceClass) -> Option<i64> {
        self.rules.stock[class.index()]?;
        Some(
            self.stock_slack[class.index()][index]
                + i64::from(self.waves[index].used.per_class[class.index()]),
        )
    }

    pub fn site_visits(&self) -> u32 {
        self.waves.iter().map(|w| w.sites.len() as u32).sum()
    }
}
