//! `parc waves status`: progress per wave and overall, what is late, and
//! the old PCs Parc proposes marking done.

use super::output::{table, OutputFormat};
use super::{emit, CliError, Remote};
use parc_model::civil::iso;
use parc_planner::progress::Progress;
use parc_proto::convert::waves as convert;
use parc_proto::pb;

fn statuses(progress: &Progress) -> String {
    progress.statuses.iter().map(|(s, n)| format!("{n} {}", s.name())).collect::<Vec<_>>().join(", ")
}

fn percent(done: u32, devices: u32) -> String {
    format!("{}%", (u64::from(done) * 100).checked_div(u64::from(devices)).unwrap_or(0))
}

pub fn print(
    server: &Remote,
    answer: pb::GetWaveStatusResponse,
    output: OutputFormat,
) -> Result<(), CliError> {
    let bad = |e: parc_proto::convert::WireError| {
        CliError::Other(anyhow::anyhow!("unexpected answer from {server}: {e}"))
    };
    let waves: Vec<Progress> =
        answer.waves.into_iter().map(convert::progress_from_wire).collect::<Result<_, _>>().map_err(bad)?;
    let overall = convert::progress_from_wire(answer.overall.unwrap_or_default()).map_err(bad)?;
    let late =
        answer.late.into_iter().map(convert::late_from_wire).collect::<Result<Vec<_>, _>>().map_err(bad)?;
    let proposals: Vec<_> = answer.proposals.into_iter().map(convert::proposal_from_wire).collect();
    let plan_id = answer.plan.map_or(0, |p| p.id);
    if output == OutputFormat::Json {
        let json = serde_json::json!({
            "plan": plan_id,
            "overall": {"devices": overall.devices, "done": overall.done, "late": overall.late, "statuses": overall.statuses},
            "waves": waves.iter().map(|w| serde_json::json!({
                "wave": w.wave, "starts_on": iso(w.starts_on), "ends_on": iso(w.ends_on),
                "devices": w.devices, "done": w.done, "late": w.late, "statuses": w.statuses,
            })).collect::<Vec<_>>(),
            "late": late.iter().map(|(l, hostname)| serde_json::json!({
                "device_id": l.device_id, "hostname": hostname, "site": l.site_code, "wave": l.wave, "status": l.status,
            })).collect::<Vec<_>>(),
            "proposals": proposals.iter().map(|(p, old, new)| serde_json::json!({
                "old_device_id": p.old_device, "old_hostname": old, "new_device_id": p.new_device, "new_hostname": new,
                "user": p.user, "silent_days": p.silent_days,
            })).collect::<Vec<_>>(),
        });
        return emit(&format!("{}\n", serde_json::to_string_pretty(&json).map_err(anyhow::Error::from)?));
    }
    let mut out = format!(
        "plan {plan_id}: {} of {} devices done ({}), {} late\n",
        overall.done,
        overall.devices,
        percent(overall.done, overall.devices),
        overall.late
    );
    let rows = waves
        .iter()
        .map(|w| {
            vec![
                w.wave.to_string(),
                format!("{}..{}", iso(w.starts_on), iso(w.ends_on)),
                w.devices.to_string(),
                format!("{} ({})", w.done, percent(w.done, w.devices)),
                w.late.to_string(),
                statuses(w),
            ]
        })
        .collect();
    out.push_str(&table(&["WAVE", "DATES", "DEVICES", "DONE", "LATE", "STATUSES"], rows));
    if !late.is_empty() {
        out.push_str("late (their wave is over):\n");
        for (l, hostname) in late.iter().take(50) {
            out.push_str(&format!(
                "  {} {hostname} [{}] wave {} ended {}: {}\n",
                l.device_id,
                l.site_code,
                l.wave,
                iso(l.ends_on),
                l.status.name()
            ));
        }
    }
    if !proposals.is_empty() {
        out.push_str("proposed: mark done (the user's new PC reports, the old one is silent):\n");
        for (p, old, new) in &proposals {
            out.push_str(&format!(
                "  {old} (device {}) → {new} (device {}), user {}, silent {} days: parc waves set {} done\n",
                p.old_device, p.new_device, p.user, p.silent_days, p.old_device
            ));
        }
    }
    emit(&out)
}
