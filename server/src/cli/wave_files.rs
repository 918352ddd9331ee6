//! `parc waves export`: the wave list as CSV, XLSX or JSON, through the
//! writers of `waves::files` (shared with the dashboard's export links).
//! Rows are written as they arrive from the server, so no export has a
//! row cap.

use super::{emit, status_error, CliError, Remote};
use crate::waves::files::{Finished, Writer};
use anyhow::Context;
use parc_planner::export::WaveRow;
use parc_proto::convert::waves::row_from_wire;
use parc_proto::pb;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

pub struct ExportArgs {
    pub format: Format,
    pub wave: Option<u32>,
    /// The devices the plan leaves out instead of its waves.
    pub left_out: bool,
    pub plan: u64,
    pub excel_fr: bool,
    pub out: Option<PathBuf>,
}

/// All rows of a plan (0: the published one), or of one wave.
pub async fn fetch(
    client: &mut super::Fleet,
    server: &Remote,
    plan: u64,
    wave: Option<u32>,
) -> Result<Vec<WaveRow>, CliError> {
    let mut rows = Vec::new();
    let mut stream = client
        .export_waves(pb::ExportWavesRequest { plan_id: plan, wave: wave.unwrap_or(0), left_out: false })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    while let Some(chunk) = stream.message().await.map_err(|s| status_error(server, s))? {
        rows.extend(chunk.rows.into_iter().map(row_from_wire));
    }
    Ok(rows)
}

pub async fn export(client: &mut super::Fleet, server: &Remote, args: ExportArgs) -> Result<(), CliError> {
    let output = |path: &Option<PathBuf>| -> anyhow::Result<Box<dyn Write>> {
        Ok(match path {
            Some(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        })
    };
    let mut writer = match args.format {
        Format::Csv => Writer::csv(output(&args.out)?, args.excel_fr).map_err(anyhow::Error::from)?,
        Format::Json => Writer::json(output(&args.out)?).map_err(anyhow::Error::from)?,
        Format::Xlsx => {
            if args.out.is_none() {
                return Err(CliError::Other(anyhow::anyhow!(
                    "--format xlsx writes a file: give --out FILE.xlsx"
                )));
            }
            Writer::xlsx().map_err(anyhow::Error::from)?
        }
    };
    let mut stream = client
        .export_waves(pb::ExportWavesRequest {
            plan_id: args.plan,
            wave: args.wave.unwrap_or(0),
            left_out: args.left_out,
        })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    let mut count = 0u64;
    let mut progress = super::progress::rows("exporting the wave list", None);
    while let Some(chunk) = stream.message().await.map_err(|s| status_error(server, s))? {
        if chunk.total_rows > 0 {
            // The whole list's size came with the first rows: a bar with
            // its end and the time left, instead of a bare counter.
            progress.finish_and_clear();
            progress = super::progress::rows("exporting the wave list", Some(chunk.total_rows));
        }
        for row in chunk.rows {
            writer.row(&row_from_wire(row)).map_err(anyhow::Error::from)?;
            count += 1;
        }
        progress.set_position(count);
    }
    match writer.finish().map_err(anyhow::Error::from)? {
        Finished::Stream(_) => {}
        Finished::Workbook(mut workbook) => {
            if let Some(path) = &args.out {
                workbook.save(path).with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
    match &args.out {
        Some(path) => {
            super::progress::done(&progress, format!("{count} rows exported"));
            emit(&format!("{count} devices written to {}\n", path.display()))?;
        }
        None => progress.finish_and_clear(),
    }
    Ok(())
}
