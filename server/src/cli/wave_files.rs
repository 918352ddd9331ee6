//! Wave list files: CSV (French Excel's semicolons and BOM on demand),
//! XLSX (a summary sheet, one sheet per wave, frozen header, filters,
//! column widths) and JSON. Rows are written as they arrive from the
//! server, so no export has a row cap.

use super::{emit, status_error, CliError, Remote};
use anyhow::Context;
use parc_planner::export::{WaveRow, COLUMNS};
use parc_proto::convert::waves::row_from_wire;
use parc_proto::pb;
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

pub struct ExportArgs {
    pub format: Format,
    pub wave: Option<u32>,
    pub plan: u64,
    pub excel_fr: bool,
    pub out: Option<PathBuf>,
}

/// Column widths in characters, by column name.
fn width(column: &str) -> f64 {
    match column {
        "reason" => 80.0,
        "site_name" | "site_address" | "model" => 28.0,
        "hostname" | "serial_number" | "assigned_user" | "department" | "site_fibre" | "manufacturer" => 18.0,
        "wave" | "score" | "age_years" => 7.0,
        _ => 13.0,
    }
}

/// Writes rows one by one into one of the formats.
pub enum Writer {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Json { out: Box<dyn Write>, first: bool },
    Xlsx(Box<XlsxFile>),
}

impl Writer {
    pub fn csv(out: Box<dyn Write>, excel_fr: bool) -> anyhow::Result<Writer> {
        let mut out = out;
        if excel_fr {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut writer =
            csv::WriterBuilder::new().delimiter(if excel_fr { b';' } else { b',' }).from_writer(out);
        writer.write_record(COLUMNS)?;
        Ok(Writer::Csv(Box::new(writer)))
    }

    pub fn json(mut out: Box<dyn Write>) -> anyhow::Result<Writer> {
        out.write_all(b"[")?;
        Ok(Writer::Json { out, first: true })
    }

    pub fn row(&mut self, row: &WaveRow) -> anyhow::Result<()> {
        match self {
            Writer::Csv(writer) => writer.write_record(row.cells())?,
            Writer::Json { out, first } => {
                out.write_all(if *first { b"\n  " } else { b",\n  " })?;
                serde_json::to_writer(&mut *out, row)?;
                *first = false;
            }
            Writer::Xlsx(file) => file.row(row)?,
        }
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Writer::Csv(mut writer) => writer.flush()?,
            Writer::Json { mut out, .. } => {
                out.write_all(b"\n]\n")?;
                out.flush()?;
            }
            Writer::Xlsx(file) => (*file).finish()?,
        }
        Ok(())
    }
}

/// An XLSX file being written: the wave sheets stream in constant memory;
/// the summary sheet (first) is filled in at the end.
pub struct XlsxFile {
    workbook: Workbook,
    path: PathBuf,
    header: CellFormat,
    current: Option<(u32, usize, u32)>,
    summary: BTreeMap<u32, (String, u32, u32, std::collections::BTreeSet<String>)>,
}

impl XlsxFile {
    pub fn create(path: &Path) -> Result<XlsxFile, XlsxError> {
        let mut workbook = Workbook::new();
        workbook.add_worksheet().set_name("Summary")?;
        Ok(XlsxFile {
            workbook,
            path: path.to_path_buf(),
            header: CellFormat::new().set_bold(),
            current: None,
            summary: BTreeMap::new(),
        })
    }

    fn headers(sheet: &mut Worksheet, columns: &[&str], header: &CellFormat) -> Result<(), XlsxError> {
        for (i, column) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, *column, header)?;
            sheet.set_column_width(i as u16, width(column))?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(())
    }

    fn row(&mut self, row: &WaveRow) -> Result<(), XlsxError> {
        if self.current.map(|(wave, _, _)| wave) != Some(row.wave) {
            self.close_sheet()?;
            let sheet = self.workbook.add_worksheet_with_constant_memory();
            sheet.set_name(format!("Wave {}", row.wave))?;
            Self::headers(sheet, &COLUMNS, &self.header)?;
            let index = self.workbook.worksheets().len() - 1;
            self.current = Some((row.wave, index, 0));
        }
        let Some((_, index, rows)) = self.current.as_mut() else { return Ok(()) };
        *rows += 1;
        let (index, line) = (*index, *rows);
        let sheet = self.workbook.worksheet_from_index(index)?;
        for (column, cell) in row.cells().iter().enumerate() {
            match COLUMNS[column] {
                "wave" | "score" | "device_id" => {
                    sheet.write_number(line, column as u16, cell.parse::<f64>().unwrap_or(0.0))?
                }
                _ => sheet.write_string(line, column as u16, cell)?,
            };
        }
        let entry = self
            .summary
            .entry(row.wave)
            .or_insert_with(|| (row.planned_date.clone(), 0, 0, Default::default()));
        entry.1 += 1;
        entry.2 += u32::from(row.status == "done");
        entry.3.insert(row.site_code.clone());
        Ok(())
    }

    fn close_sheet(&mut self) -> Result<(), XlsxError> {
        if let Some((_, index, rows)) = self.current.take() {
            self.workbook.worksheet_from_index(index)?.autofilter(0, 0, rows, COLUMNS.len() as u16 - 1)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), XlsxError> {
        self.close_sheet()?;
        let header = self.header.clone();
        let summary = std::mem::take(&mut self.summary);
        let sheet = self.workbook.worksheet_from_index(0)?;
        let columns = ["wave", "planned_date", "devices", "done", "sites"];
        Self::headers(sheet, &columns, &header)?;
        let mut line = 0;
        for (wave, (date, devices, done, sites)) in &summary {
            line += 1;
            sheet.write_number(line, 0, *wave)?;
            sheet.write_string(line, 1, date)?;
            sheet.write_number(line, 2, *devices)?;
            sheet.write_number(line, 3, *done)?;
            sheet.write_number(line, 4, sites.len() as u32)?;
        }
        sheet.write_string_with_format(line + 1, 0, "total", &header)?;
        sheet.write_number(line + 1, 2, summary.values().map(|s| s.1).sum::<u32>())?;
        sheet.write_number(line + 1, 3, summary.values().map(|s| s.2).sum::<u32>())?;
        sheet.autofilter(0, 0, line, columns.len() as u16 - 1)?;
        self.workbook.save(&self.path)
    }
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
        .export_waves(pb::ExportWavesRequest { plan_id: plan, wave: wave.unwrap_or(0) })
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
        Format::Csv => Writer::csv(output(&args.out)?, args.excel_fr)?,
        Format::Json => Writer::json(output(&args.out)?)?,
        Format::Xlsx => {
            let Some(path) = &args.out else {
                return Err(CliError::Other(anyhow::anyhow!(
                    "--format xlsx writes a file: give --out FILE.xlsx"
                )));
            };
            Writer::Xlsx(Box::new(XlsxFile::create(path).map_err(anyhow::Error::from)?))
        }
    };
    let mut stream = client
        .export_waves(pb::ExportWavesRequest { plan_id: args.plan, wave: args.wave.unwrap_or(0) })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    let mut count = 0u64;
    while let Some(chunk) = stream.message().await.map_err(|s| status_error(server, s))? {
        for row in chunk.rows {
            writer.row(&row_from_wire(row))?;
            count += 1;
        }
    }
    writer.finish()?;
    if let Some(path) = &args.out {
        emit(&format!("{count} devices written to {}\n", path.display()))?;
    }
    Ok(())
}
