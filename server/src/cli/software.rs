//! `parc software NAME`: who has a piece of software, by version. What IT
//! ops ask before removing an old suite ("who still has Lotus Notes?").

use super::output::{ago, now_unix, table, OutputFormat};
use super::{emit, fleet_client, status_error, CliError, Remote};
use parc_proto::pb;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct HolderRow<'a> {
    name: &'a str,
    version: &'a str,
    publisher: &'a str,
    architecture: &'a str,
    device_id: u64,
    hostname: &'a str,
    os: String,
    last_seen_at: String,
}

pub async fn software(
    server: &Remote,
    name: String,
    exact: bool,
    output: OutputFormat,
) -> Result<(), CliError> {
    let answer = fleet_client(server)?
        .list_software(pb::ListSoftwareRequest { name: name.clone(), exact })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    if answer.packages.is_empty() {
        return Err(CliError::NotFound(format!("no device has a package whose name contains {name:?}")));
    }
    let rows: Vec<HolderRow<'_>> = answer
        .packages
        .iter()
        .flat_map(|p| {
            p.devices.iter().map(move |d| HolderRow {
                name: &p.name,
                version: &p.version,
                publisher: &p.publisher,
                architecture: &p.architecture,
                device_id: d.id,
                hostname: &d.hostname,
                os: format!("{} {}", d.os_name, d.os_version).trim().to_string(),
                last_seen_at: super::output::rfc3339(d.last_seen_at),
            })
        })
        .collect();
    match output {
        OutputFormat::Json => {
            emit(&(serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)? + "\n"))
        }
        OutputFormat::Csv => emit(&super::output::csv_text(&rows)?),
        OutputFormat::Table => {
            let now = now_unix();
            let mut text = String::new();
            let devices: usize = answer.packages.iter().map(|p| p.devices.len()).sum();
            text.push_str(&table(
                &["PACKAGE", "VERSION", "PUBLISHER", "DEVICES"],
                answer
                    .packages
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            p.version.clone(),
                            p.publisher.clone(),
                            p.devices.len().to_string(),
                        ]
                    })
                    .collect(),
            ));
            text.push_str(&format!(
                "\n{devices} installs on {} versions{}\n\n",
                answer.packages.len(),
                if answer.more_packages > 0 {
                    format!(" ({} more versions not listed: narrow the name)", answer.more_packages)
                } else {
                    String::new()
                }
            ));
            text.push_str(&table(
                &["VERSION", "ID", "HOSTNAME", "OS", "LAST SEEN"],
                answer
                    .packages
                    .iter()
                    .flat_map(|p| {
                        p.devices.iter().map(move |d| {
                            vec![
                                format!("{} {}", p.name, p.version),
                                d.id.to_string(),
                                d.hostname.clone(),
                                format!("{} {}", d.os_name, d.os_version).trim().to_string(),
                                ago((d.last_seen_at > 0).then_some(d.last_seen_at), now),
                            ]
                        })
                    })
                    .collect(),
            ));
            emit(&text)
        }
    }
}
