//! Wave list files: CSV (French Excel's semicolons and BOM on demand),
//! XLSX (a summary sheet, one sheet per wave, frozen header, filters,
//! column widths) and JSON, written one row at a time so no export has a
//! row cap. Shared by `parc waves export` (rows as they stream in over
//! gRPC) and the dashboard's export links (rows from `waves::export`).
//! No I/O of its own: it writes into what the caller gives it.

use parc_planner::export::{WaveRow, COLUMNS};
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write the XLSX: {0}")]
    Xlsx(#[from] XlsxError),
}

/// Column widths in characters, by column name.
fn width(column: &str) -> f64 {
    match column {
        "reason" => 80.0,
        "site_name" | "site_address" | "model" => 28.0,
        "hostname" | "serial_number" | "assigned_user" | "department" | "site_link" | "manufacturer" => 18.0,
        "wave" | "score" | "age_years" => 7.0,
        _ => 13.0,
    }
}

/// Writes rows one by one into one of the formats.
pub enum Writer<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json { out: W, first: bool },
    Xlsx(Box<XlsxFile>),
}

/// What a finished writer hands back: the stream it wrote into, or the
/// workbook to save (to a file, or to a buffer for an HTTP answer).
pub enum Finished<W> {
    Stream(W),
    Workbook(Box<Workbook>),
}

impl<W: Write> Writer<W> {
    pub fn csv(mut out: W, excel_fr: bool) -> Result<Writer<W>, FileError> {
        if excel_fr {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut writer =
            csv::WriterBuilder::new().delimiter(if excel_fr { b';' } else { b',' }).from_writer(out);
        writer.write_record(COLUMNS)?;
        Ok(Writer::Csv(Box::new(writer)))
    }

    pub fn json(mut out: W) -> Result<Writer<W>, FileError> {
        out.write_all(b"[")?;
        Ok(Writer::Json { out, first: true })
    }

    pub fn xlsx() -> Result<Writer<W>, FileError> {
        Ok(Writer::Xlsx(Box::new(XlsxFile::new()?)))
    }

    pub fn row(&mut self, row: &WaveRow) -> Result<(), FileError> {
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

    pub fn finish(self) -> Result<Finished<W>, FileError> {
        match self {
            Writer::Csv(writer) => {
                let mut out = writer.into_inner().map_err(|e| FileError::Io(e.into_error()))?;
                out.flush()?;
                Ok(Finished::Stream(out))
            }
            Writer::Json { mut out, .. } => {
                out.write_all(b"\n]\n")?;
                out.flush()?;
                Ok(Finished::Stream(out))
            }
            Writer::Xlsx(file) => Ok(Finished::Workbook(Box::new((*file).finish()?))),
        }
    }
}

/// An XLSX workbook being written: the wave sheets stream in constant
/// memory; the summary sheet (first) is filled in at the end.
pub struct XlsxFile {
    workbook: Workbook,
    header: CellFormat,
    current: Option<(u32, usize, u32)>,
    /// Per wave: planned date, devices, done, sites.
    summary: BTreeMap<u32, (String, u32, u32, BTreeSet<String>)>,
}

impl XlsxFile {
    pub fn new() -> Result<XlsxFile, XlsxError> {
        let mut workbook = Workbook::new();
        workbook.add_worksheet().set_name("Summary")?;
        Ok(XlsxFile {
            workbook,
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
            sheet.set_name(if row.wave == 0 {
                "Left out".to_string()
            } else {
                format!("Wave {}", row.wave)
            })?;
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

    /// The finished workbook, its summary sheet filled in: ready to save.
    fn finish(mut self) -> Result<Workbook, XlsxError> {
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
        Ok(self.workbook)
    }
}

/// All `rows` as one file in memory: for HTTP answers.
pub fn to_bytes(mut writer: Writer<Vec<u8>>, rows: &[WaveRow]) -> Result<Vec<u8>, FileError> {
    for row in rows {
        writer.row(row)?;
    }
    match writer.finish()? {
        Finished::Stream(bytes) => Ok(bytes),
        Finished::Workbook(mut workbook) => Ok(workbook.save_to_buffer()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(wave: u32, hostname: &str, status: &str) -> WaveRow {
        WaveRow {
            wave,
            planned_date: "2027-01-04".into(),
            site_code: "SIEGE".into(),
            hostname: hostname.into(),
            reason: "wave 1 (score 80)".into(),
            status: status.into(),
            device_id: 7,
            ..WaveRow::default()
        }
    }

    #[test]
    fn csv_for_french_excel_has_a_bom_and_semicolons() {
        let bytes = to_bytes(Writer::csv(Vec::new(), true).unwrap(), &[row(1, "PC-1", "done")]).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFwave;planned_date;site_code;"));
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.lines().nth(1).unwrap().starts_with("1;2027-01-04;SIEGE;"), "{text}");
        let plain = to_bytes(Writer::csv(Vec::new(), false).unwrap(), &[]).unwrap();
        assert!(plain.starts_with(b"wave,planned_date,"), "the header even without rows");
    }

    #[test]
    fn xlsx_in_memory_is_a_zip_with_a_sheet_per_wave() {
        let rows = [row(1, "PC-1", "done"), row(2, "PC-2", "planned")];
        let bytes = to_bytes(Writer::xlsx().unwrap(), &rows).unwrap();
        assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip archive");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("xl/worksheets/sheet3.xml"), "summary + 2 waves");
    }

    /// One part of the XLSX zip, as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name(name).unwrap(), &mut text).unwrap();
        text
    }

    #[test]
    fn xlsx_wave_sheets_have_a_frozen_header_filters_and_widths() {
        let rows = [row(1, "PC-1", "done"), row(1, "PC-2", "planned"), row(2, "PC-3", "planned")];
        let bytes = to_bytes(Writer::xlsx().unwrap(), &rows).unwrap();
        let workbook = part(&bytes, "xl/workbook.xml");
        for name in ["Summary", "Wave 1", "Wave 2"] {
            assert!(workbook.contains(&format!("name=\"{name}\"")), "{workbook}");
        }
        // Wave 1: header + 2 rows, 25 columns (A..Y).
        let wave1 = part(&bytes, "xl/worksheets/sheet2.xml");
        assert!(
            wave1.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#),
            "{wave1}"
        );
        assert!(wave1.contains(r#"<autoFilter ref="A1:Y3"/>"#), "{wave1}");
        let reason = COLUMNS.iter().position(|c| *c == "reason").unwrap() + 1;
        assert!(
            wave1.contains(&format!(r#"<col min="{reason}" max="{reason}" width="80.7109375""#)),
            "{wave1}"
        );
        let summary = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            summary.contains(r#"state="frozen""#) && summary.contains(r#"<autoFilter ref="A1:E3"/>"#),
            "{summary}"
        );
    }

    #[test]
    fn json_is_an_array_of_rows() {
        let bytes = to_bytes(Writer::json(Vec::new()).unwrap(), &[row(1, "PC-1", "done")]).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value[0]["hostname"], "PC-1");
    }
}
