//! `parc device ID --history`: what changed on a PC, newest first.

use super::output::{rfc3339, OutputFormat};
use super::{emit, fleet_client, status_error, CliError, Remote};
use parc_model::history::{ChangeKind, HistoryEntry};
use parc_proto::convert::history_entry_from_wire;
use parc_proto::pb::GetDeviceHistoryRequest;

pub async fn show(server: &Remote, wanted: &str, output: OutputFormat) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    let answer = client
        .get_device_history(GetDeviceHistoryRequest { device: wanted.to_string(), limit: 0 })
        .await
        .map_err(|status| status_error(server, status))?
        .into_inner();
    let entries = answer
        .entries
        .into_iter()
        .map(history_entry_from_wire)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("unexpected answer from {server}: {e}"))?;
    match output {
        OutputFormat::Table => {
            if entries.is_empty() {
                emit(&format!(
                    "No changes recorded for device {} since its first report.\n",
                    answer.device_id
                ))
            } else {
                emit(&format!("{}\n", history_table(&entries)))
            }
        }
        OutputFormat::Json => {
            emit(&format!("{}\n", serde_json::to_string_pretty(&entries).map_err(anyhow::Error::from)?))
        }
        OutputFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(["at", "section", "change", "subject", "before", "after"])
                .map_err(anyhow::Error::from)?;
            for entry in &entries {
                let c = &entry.change;
                writer
                    .write_record([
                        &rfc3339(entry.at),
                        c.section.name(),
                        c.verb(),
                        &c.subject,
                        &c.before,
                        &c.after,
                    ])
                    .map_err(anyhow::Error::from)?;
            }
            let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
            emit(&String::from_utf8(bytes).map_err(anyhow::Error::from)?)
        }
    }
}

/// One line per change: "2026-12-03T10:00:00Z  software  upgraded  Firefox  128.0 → 129.0".
pub fn history_table(entries: &[HistoryEntry]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["WHEN", "SECTION", "CHANGE", "WHAT", "DETAIL"]);
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    for entry in entries {
        let c = &entry.change;
        let detail = match c.kind {
            ChangeKind::Added => c.after.clone(),
            ChangeKind::Removed => c.before.clone(),
            ChangeKind::Changed => format!("{} → {}", c.before, c.after),
        };
        table.add_row([
            rfc3339(entry.at),
            c.section.name().to_string(),
            c.verb().to_string(),
            c.subject.clone(),
            detail,
        ]);
    }
    table.to_string().lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}
