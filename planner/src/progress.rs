//! How far the rollout is: per wave and overall, and what is late.

use crate::record::PlannedDevice;
use crate::rollout::Status;
use crate::spec::Rules;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// 0 for the whole plan.
    pub wave: u32,
    pub starts_on: i64,
    pub ends_on: i64,
    pub devices: u32,
    pub done: u32,
    pub statuses: BTreeMap<Status, u32>,
    /// Devices still open after the wave's last day.
    pub late: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Late {
    pub device_id: u64,
    pub site_code: String,
    pub wave: u32,
    pub ends_on: i64,
    pub status: Status,
}

/// Per wave (in order) and overall, with the late devices.
pub fn progress(
    rules: &Rules,
    devices: &[PlannedDevice],
    statuses: &HashMap<u64, Status>,
    today: i64,
) -> (Vec<Progress>, Progress, Vec<Late>) {
    let mut waves: BTreeMap<u32, Progress> = BTreeMap::new();
    let mut overall = Progress::default();
    let mut late = Vec::new();
    for device in devices {
        let status = statuses.get(&device.device_id).copied().unwrap_or(Status::Planned);
        let (starts_on, ends_on) = rules.wave_days(device.wave);
        let wave = waves.entry(device.wave).or_insert_with(|| Progress {
            wave: device.wave,
            starts_on,
            ends_on,
            ..Progress::default()
        });
        let is_late = ends_on < today && !status.is_closed();
        for p in [&mut *wave, &mut overall] {
            p.devices += 1;
            p.done += u32::from(status == Status::Done);
            *p.statuses.entry(status).or_insert(0) += 1;
            p.late += u32::from(is_late);
        }
        if is_late {
            late.push(Late {
                device_id: device.device_id,
                site_code: device.site_code.clone(),
                wave: device.wave,
                ends_on,
                status,
            });
        }
    }
    if let (Some(first), Some(last)) = (waves.values().next(), waves.values().last()) {
        (overall.starts_on, overall.ends_on) = (first.starts_on, last.ends_on);
    }
    (waves.into_values().collect(), overall, late)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PlanSpec;

    #[test]
    fn devices_open_after_their_wave_are_late() {
        let rules = PlanSpec { start: "2027-01-04".into(), ..PlanSpec::default() }.rules().expect("rules");
        let device = |id: u64, wave: u32| PlannedDevice {
            device_id: id,
            wave,
            position: 0,
            site_code: "SIEGE".into(),
            class: "laptop".into(),
            reason: String::new(),
            fixed: false,
        };
        let devices = [device(1, 1), device(2, 1), device(3, 2), device(4, 3)];
        let statuses = HashMap::from([(1, Status::Done), (3, Status::Delivered)]);
        // 2027-01-19: wave 1 and 2 are over, wave 3 runs.
        let today = parc_model::civil::parse_iso("2027-01-19").expect("day");
        let (waves, overall, late) = progress(&rules, &devices, &statuses, today);
        assert_eq!(waves.len(), 3);
        assert_eq!((waves[0].devices, waves[0].done, waves[0].late), (2, 1, 1));
        assert_eq!((overall.devices, overall.done, overall.late), (4, 1, 2));
        assert_eq!(late.iter().map(|l| l.device_id).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(overall.statuses[&Status::Planned], 2);
    }
}
