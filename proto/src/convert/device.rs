//! Devices and their summaries, domain ↔ wire.

use super::*;

// ---- devices ----------------------------------------------------------------

pub fn device_summary_to_wire(d: &m::DeviceSummary) -> pb::DeviceSummary {
    pb::DeviceSummary {
        id: d.id,
        hostname: d.hostname.clone(),
        machine_id: d.machine_id.clone(),
        enrolled_at: d.enrolled_at,
        last_seen_at: d.last_seen_at.unwrap_or(0),
        os_name: d.os_name.clone(),
        os_version: d.os_version.clone(),
        manufacturer: d.manufacturer.clone(),
        model: d.model.clone(),
        chassis: chassis_to_wire(d.chassis),
        cpu_model: d.cpu_model.clone(),
        cpu_cores: d.cpu_cores,
        ram_bytes: d.ram_bytes,
        system_storage: storage_to_wire(d.system_storage),
        serial_number: d.serial_number.clone(),
        revoked: d.revoked,
        labels: d.labels.clone(),
    }
}

/// Summaries come from our own server; they are converted, not policed.
pub fn device_summary_from_wire(d: pb::DeviceSummary) -> m::DeviceSummary {
    m::DeviceSummary {
        id: d.id,
        hostname: d.hostname,
        machine_id: d.machine_id,
        enrolled_at: d.enrolled_at,
        last_seen_at: (d.last_seen_at != 0).then_some(d.last_seen_at),
        os_name: d.os_name,
        os_version: d.os_version,
        manufacturer: d.manufacturer,
        model: d.model,
        chassis: chassis_from_wire(d.chassis),
        cpu_model: d.cpu_model,
        cpu_cores: d.cpu_cores,
        ram_bytes: d.ram_bytes,
        system_storage: storage_from_wire(d.system_storage),
        serial_number: d.serial_number,
        revoked: d.revoked,
        labels: d.labels,
    }
}

pub fn device_to_wire(d: &m::Device) -> pb::Device {
    pb::Device {
        summary: Some(device_summary_to_wire(&d.summary)),
        inventory: d.inventory.as_ref().map(inventory_to_wire),
    }
}

pub fn device_from_wire(d: pb::Device) -> Result<m::Device, WireError> {
    let summary = d.summary.ok_or_else(|| WireError::new("device.summary", "missing"))?;
    Ok(m::Device {
        summary: device_summary_from_wire(summary),
        inventory: d.inventory.map(inventory_from_wire).transpose()?,
    })
}

pub fn history_entry_to_wire(entry: &m::history::HistoryEntry) -> pb::HistoryEntry {
    use m::history::ChangeKind as K;
    pb::HistoryEntry {
        at: entry.at,
        section: entry.change.section.name().to_string(),
        kind: match entry.change.kind {
            K::Added => pb::ChangeKind::Added,
            K::Removed => pb::ChangeKind::Removed,
            K::Changed => pb::ChangeKind::Changed,
        } as i32,
        subject: entry.change.subject.clone(),
        before: entry.change.before.clone(),
        after: entry.change.after.clone(),
    }
}

pub fn history_entry_from_wire(entry: pb::HistoryEntry) -> Result<m::history::HistoryEntry, WireError> {
    use m::history::ChangeKind as K;
    let section = m::Section::from_name(&entry.section)
        .ok_or_else(|| WireError::new("entries[].section", format!("unknown section {:?}", entry.section)))?;
    let kind = match pb::ChangeKind::try_from(entry.kind) {
        Ok(pb::ChangeKind::Added) => K::Added,
        Ok(pb::ChangeKind::Removed) => K::Removed,
        Ok(pb::ChangeKind::Changed) => K::Changed,
        _ => return Err(WireError::new("entries[].kind", format!("unknown change kind {}", entry.kind))),
    };
    Ok(m::history::HistoryEntry {
        at: entry.at,
        change: m::history::Change {
            section,
            kind,
            subject: entry.subject,
            before: entry.before,
            after: entry.after,
        },
    })
}
