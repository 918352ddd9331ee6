//! The rollout that follows a published plan: each device's status, the
//! moves allowed between statuses, and the old PCs whose user already
//! works on a new one.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Planned,
    /// An appointment is made with the user.
    Scheduled,
    /// The new PC is imaged and labelled.
    Prepared,
    /// The new PC is on the site.
    Delivered,
    /// Replaced; the old PC is collected.
    Done,
    /// Moved to a later wave, with a reason.
    Postponed,
    /// Taken out of the rollout, with a reason.
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Planned,
        Status::Scheduled,
        Status::Prepared,
        Status::Delivered,
        Status::Done,
        Status::Postponed,
        Status::Cancelled,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::Scheduled => "scheduled",
            Status::Prepared => "prepared",
            Status::Delivered => "delivered",
            Status::Done => "done",
            Status::Postponed => "postponed",
            Status::Cancelled => "cancelled",
        }
    }

    /// The name, or the French word a technician writes ("livré", "fait",
    /// "reporté"), case and accents ignored.
    pub fn parse(text: &str) -> Option<Status> {
        let folded = parc_readiness::site::fold(text);
        let status = match folded.as_str() {
            "planned" | "prevu" => Status::Planned,
            "scheduled" | "programme" | "rdv" | "rendez_vous" => Status::Scheduled,
            "prepared" | "prepare" => Status::Prepared,
            "delivered" | "livre" => Status::Delivered,
            "done" | "fait" | "termine" | "remplace" => Status::Done,
            "postponed" | "reporte" => Status::Postponed,
            "cancelled" | "canceled" | "annule" => Status::Cancelled,
            _ => return None,
        };
        Some(status)
    }

    /// Work has started on the device: re-planning leaves it in its wave.
    pub fn keeps_wave(self) -> bool {
        matches!(self, Status::Scheduled | Status::Prepared | Status::Delivered | Status::Done)
    }

    /// Nothing more to do.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Done | Status::Cancelled)
    }
}

/// A status to set, as a technician reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub status: Status,
    pub reason: String,
    /// The new wave of a postponement.
    pub wave: Option<u32>,
}

/// Whether `change` may follow `current` for a device in `current_wave`
/// of a plan of `last_wave` waves. Steps may be skipped (planned → done
/// is normal); a closed device only reopens to planned.
pub fn check_change(
    current: Status,
    current_wave: u32,
    last_wave: u32,
    change: &Change,
) -> Result<(), String> {
    if current.is_closed() && change.status != current && change.status != Status::Planned {
        return Err(format!(
            "is {} already: set it back to planned first if that was a mistake",
            current.name()
        ));
    }
    match change.status {
        Status::Postponed => {
            if change.reason.trim().is_empty() {
                return Err("postponed needs a reason".into());
            }
            match change.wave {
                None => return Err(format!("postponed needs the new wave (after wave {current_wave})")),
                Some(wave) if wave <= current_wave => {
                    return Err(format!("wave: {wave} is not after its wave {current_wave}"))
                }
                Some(wave) if wave > last_wave => {
                    return Err(format!("wave: {wave} is after the plan's last wave {last_wave}"))
                }
                Some(_) => {}
            }
        }
        Status::Cancelled if change.reason.trim().is_empty() => return Err("cancelled needs a reason".into()),
        _ if change.wave.is_some() => return Err("wave: only a postponement moves a device".into()),
        _ => {}
    }
    Ok(())
}

/// A user name as the same person on two PCs: lower case, without the
/// domain ("DEPT\\jdupont", "jdupont@dept.fr" → "jdupont").
pub fn user_key(name: &str) -> String {
    let name = name.trim();
    let name = name.rsplit('\\').next().unwrap_or(name);
    let name = name.split('@').next().unwrap_or(name);
    name.to_lowercase()
}

/// A device as the proposal rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub device_id: u64,
    /// The asset register's assigned user, else the last user to log in.
    pub user: String,
    pub enrolled_at: i64,
    pub last_seen_at: Option<i64>,
}

/// "Mark `old_device` done": its user's new PC enrolled after the plan was
/// published and the old one has been silent since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub old_device: u64,
    pub new_device: u64,
    pub user: String,
    pub silent_days: i64,
}

/// The old PCs of the plan (still open) whose user has a new PC: one that
/// enrolled after `published_at`, is not itself in the plan, and reported
/// after the old one fell silent for `quiet_days`.
pub fn propose_done(
    open_in_plan: &[u64],
    fleet: &[Seen],
    published_at: i64,
    now: i64,
    quiet_days: i64,
) -> Vec<Proposal> {
    use std::collections::{HashMap, HashSet};
    let in_plan: HashSet<u64> = open_in_plan.iter().copied().collect();
    let mut newest: HashMap<String, &Seen> = HashMap::new();
    for device in fleet {
        let key = user_key(&device.user);
        if key.is_empty() || in_plan.contains(&device.device_id) || device.enrolled_at <= published_at {
            continue;
        }
        let entry = newest.entry(key).or_insert(device);
        if (device.enrolled_at, device.device_id) > (entry.enrolled_at, entry.device_id) {
            *entry = device;
        }
    }
    let mut proposals: Vec<Proposal> = fleet
        .iter()
        .filter(|old| in_plan.contains(&old.device_id))
        .filter_map(|old| {
            let new = newest.get(&user_key(&old.user))?;
            let old_seen = old.last_seen_at.unwrap_or(old.enrolled_at);
            let silent_days = (now - old_seen).div_euclid(86_400);
            let new_reported = new.last_seen_at.is_some_and(|seen| seen > old_seen);
            (silent_days >= quiet_days && new_reported).then(|| Proposal {
                old_device: old.device_id,
                new_device: new.device_id,
                user: user_key(&old.user),
                silent_days,
            })
        })
        .collect();
    proposals.sort_by_key(|p| p.old_device);
    proposals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(status: Status, reason: &str, wave: Option<u32>) -> Change {
        Change { status, reason: reason.into(), wave }
    }

    #[test]
    fn technicians_words_in_french_are_statuses() {
        assert_eq!(Status::parse("Livré"), Some(Status::Delivered));
        assert_eq!(Status::parse("REPORTÉ"), Some(Status::Postponed));
        assert_eq!(Status::parse("fait"), Some(Status::Done));
        assert_eq!(Status::parse("perdu"), None);
    }

    #[test]
    fn postponing_needs_a_reason_and_a_later_wave() {
        assert!(check_change(Status::Planned, 2, 10, &change(Status::Postponed, "user on leave", Some(4)))
            .is_ok());
        let errors = [
            check_change(Status::Planned, 2, 10, &change(Status::Postponed, "", Some(4))),
            check_change(Status::Planned, 2, 10, &change(Status::Postponed, "leave", None)),
            check_change(Status::Planned, 2, 10, &change(Status::Postponed, "leave", Some(2))),
            check_change(Status::Planned, 2, 10, &change(Status::Postponed, "leave", Some(11))),
            check_change(Status::Planned, 2, 10, &change(Status::Cancelled, " ", None)),
            check_change(Status::Planned, 2, 10, &change(Status::Done, "", Some(3))),
        ];
        let messages: Vec<String> = errors.into_iter().map(|e| e.expect_err("refused")).collect();
        assert_eq!(
            messages,
            [
                "postponed needs a reason",
                "postponed needs the new wave (after wave 2)",
                "wave: 2 is not after its wave 2",
                "wave: 11 is after the plan's last wave 10",
                "cancelled needs a reason",
                "wave: only a postponement moves a device",
            ]
        );
    }

    #[test]
    fn steps_may_be_skipped_but_closed_devices_only_reopen() {
        assert!(check_change(Status::Planned, 1, 5, &change(Status::Done, "", None)).is_ok());
        assert!(check_change(Status::Done, 1, 5, &change(Status::Delivered, "", None)).is_err());
        assert!(check_change(Status::Done, 1, 5, &change(Status::Planned, "", None)).is_ok());
        assert!(check_change(Status::Cancelled, 1, 5, &change(Status::Cancelled, "still", None)).is_ok());
    }

    #[test]
    fn a_new_pc_of_the_same_user_proposes_the_old_one_done() {
        let day = 86_400;
        let fleet = [
            Seen {
                device_id: 1,
                user: "DEPT91\\JDupont".into(),
                enrolled_at: 0,
                last_seen_at: Some(10 * day),
            },
            Seen {
                device_id: 2,
                user: "jdupont@dept91.fr".into(),
                enrolled_at: 9 * day,
                last_seen_at: Some(20 * day),
            },
            // Silent too briefly: no proposal yet.
            Seen { device_id: 3, user: "amartin".into(), enrolled_at: 0, last_seen_at: Some(19 * day) },
            Seen {
                device_id: 4,
                user: "amartin".into(),
                enrolled_at: 15 * day,
                last_seen_at: Some(20 * day),
            },
            // Enrolled before the plan: not a replacement.
            Seen { device_id: 5, user: "bleroy".into(), enrolled_at: 0, last_seen_at: Some(day) },
            Seen { device_id: 6, user: "bleroy".into(), enrolled_at: 2 * day, last_seen_at: Some(20 * day) },
        ];
        let proposals = propose_done(&[1, 3, 5], &fleet, 5 * day, 20 * day, 7);
        assert_eq!(
            proposals,
            vec![Proposal { old_device: 1, new_device: 2, user: "jdupont".into(), silent_days: 10 }]
        );
    }
}
