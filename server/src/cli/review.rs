//! `parc devices --duplicates` and `parc resync`: the identity questions a
//! person must settle, and asking agents for everything again.

use super::output::{devices_table, now_unix, OutputFormat};
use super::{emit, fleet_client, status_error, CliError, Remote};
use parc_proto::convert::device_summary_from_wire;
use parc_proto::pb::{ListDuplicatesRequest, RequestResyncRequest};
use std::fmt::Write;

pub async fn duplicates(server: &Remote, output: OutputFormat) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    let groups = client
        .list_duplicates(ListDuplicatesRequest {})
        .await
        .map_err(|status| status_error(server, status))?
        .into_inner()
        .groups;
    match output {
        OutputFormat::Table => {
            if groups.is_empty() {
                return emit("No two live devices share a serial number or SMBIOS UUID.\n");
            }
            let mut out = String::new();
            for group in &groups {
                let label = if group.key == "smbios_uuid" { "SMBIOS UUID" } else { "Serial number" };
                let devices: Vec<_> = group.devices.iter().cloned().map(device_summary_from_wire).collect();
                let _ = writeln!(out, "{label} {} is shared by {} devices:", group.value, devices.len());
                for line in devices_table(&devices, now_unix()).lines() {
                    let _ = writeln!(out, "  {line}");
                }
                out.push('\n');
            }
            out.push_str(
                "Parc never merges devices. Revoke the one that is gone (parc-server revoke ID), or fix the\n\
                 cloned identity on the PC and let it enroll again.\n",
            );
            emit(&out)
        }
        OutputFormat::Json => {
            let rows: Vec<_> = groups
                .iter()
                .map(|group| {
                    serde_json::json!({
                        "key": group.key,
                        "value": group.value,
                        "device_ids": group.devices.iter().map(|d| d.id).collect::<Vec<_>>(),
                        "hostnames": group.devices.iter().map(|d| d.hostname.clone()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            emit(&format!("{}\n", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?))
        }
        OutputFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(["key", "value", "device_id", "hostname", "serial_number"])
                .map_err(anyhow::Error::from)?;
            for group in &groups {
                for device in &group.devices {
                    writer
                        .write_record([
                            &group.key,
                            &group.value,
                            &device.id.to_string(),
                            &device.hostname,
                            &device.serial_number,
                        ])
                        .map_err(anyhow::Error::from)?;
                }
            }
            let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
            emit(&String::from_utf8(bytes).map_err(anyhow::Error::from)?)
        }
    }
}

pub async fn resync(server: &Remote, device: Option<String>, all: bool) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    let answer = client
        .request_resync(RequestResyncRequest { device: device.clone().unwrap_or_default(), all })
        .await
        .map_err(|status| status_error(server, status))?
        .into_inner();
    match device {
        Some(device) => emit(&format!("Device {device} will send a full report at its next contact.\n")),
        None => emit(&format!("{} devices will send a full report at their next contact.\n", answer.devices)),
    }
}
