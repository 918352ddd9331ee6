//! Reading the sites and assets spreadsheets. All or nothing: the first bad
//! row stops the import with its line, column and what is wrong. UTF-8
//! with or without BOM, comma or semicolon separated (French spreadsheets
//! export semicolons), columns found by their header in any order.

use crate::asset::{serial_key, Asset};
use crate::site::{fold, Rollout, Site, SiteKind, Subnet, WanLink};
use std::collections::HashMap;

/// The most rows one import takes; a bigger file is refused, not truncated.
pub const MAX_IMPORT_ROWS: usize = 200_000;
/// The longest text a cell may hold.
pub const MAX_CELL_CHARS: usize = 512;
/// The most subnets a site may list.
pub const MAX_SUBNETS_PER_SITE: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file} line {line}, column {column}: {message}")]
    Cell { file: String, line: u64, column: String, message: String },
}

/// The columns of sites.csv; `required` ones must be present in the header.
pub const SITE_COLUMNS: &[(&str, bool)] = &[
    ("code", true),
    ("name", true),
    ("kind", true),
    ("address", false),
    ("wan_link", true),
    ("down_mbps", false),
    ("up_mbps", false),
    ("fibre", true),
    ("wifi", true),
    ("subnets", false),
    ("technician_group", false),
];

pub const ASSET_COLUMNS: &[(&str, bool)] = &[
    ("serial_number", true),
    ("asset_tag", false),
    ("purchase_date", false),
    ("warranty_end", false),
    ("assigned_user", false),
    ("department", false),
    ("teleworker", false),
];

/// Parses sites.csv. Codes must be unique within the file.
pub fn parse_sites(file: &str, bytes: &[u8]) -> Result<Vec<Site>, ImportError> {
    let table = Table::read(file, bytes, SITE_COLUMNS)?;
    let mut sites = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let code = row.text("code")?;
        if code.is_empty() {
            return Err(row.error("code", "is empty: every site needs a code".into()));
        }
        if let Some(first) = seen.insert(code.to_string(), row.line) {
            return Err(row.error("code", format!("'{code}' is already on line {first}")));
        }
        let kind_text = row.text("kind")?;
        let kind = SiteKind::parse(kind_text).ok_or_else(|| {
            let names: Vec<_> = SiteKind::ALL.iter().map(|k| k.name()).collect();
            row.error("kind", format!("'{kind_text}' is not one of {}", names.join(", ")))
        })?;
        let link_text = row.text("wan_link")?;
        let wan_link = WanLink::parse(link_text).ok_or_else(|| {
            let names: Vec<_> = WanLink::ALL.iter().map(|k| k.name()).collect();
            row.error("wan_link", format!("'{link_text}' is not one of {}", names.join(", ")))
        })?;
        let subnets_text = row.text("subnets")?;
        let subnets = subnets_text
            .split([' ', ',', '|'])
            .filter(|s| !s.is_empty())
            .map(|s| Subnet::parse(s).map_err(|message| row.error("subnets", message)))
            .collect::<Result<Vec<_>, _>>()?;
        if subnets.len() > MAX_SUBNETS_PER_SITE {
            return Err(
                row.error("subnets", format!("{} subnets, at most {MAX_SUBNETS_PER_SITE}", subnets.len()))
            );
        }
        sites.push(Site {
            code: code.to_string(),
            name: row.text("name")?.to_string(),
            kind,
            address: row.text("address")?.to_string(),
            wan_link,
            down_mbps: row.number("down_mbps")?,
            up_mbps: row.number("up_mbps")?,
            fibre: Rollout::parse(row.text("fibre")?).map_err(|m| row.error("fibre", m))?,
            wifi: Rollout::parse(row.text("wifi")?).map_err(|m| row.error("wifi", m))?,
            subnets,
            technician_group: row.text("technician_group")?.to_string(),
        });
    }
    Ok(sites)
}

/// Parses assets.csv. A serial twice in the file is an error: which row
/// is right is for a person to say.
pub fn parse_assets(file: &str, bytes: &[u8]) -> Result<Vec<Asset>, ImportError> {
    let table = Table::read(file, bytes, ASSET_COLUMNS)?;
    let mut assets = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let serial = serial_key(row.text("serial_number")?);
        if serial.is_empty() {
            return Err(row.error("serial_number", "is empty: assets are joined on it".into()));
        }
        if let Some(first) = seen.insert(serial.clone(), row.line) {
            return Err(row.error("serial_number", format!("'{serial}' is already on line {first}")));
        }
        let purchase_day = row.date("purchase_date")?;
        let warranty_end_day = row.date("warranty_end")?;
        if let (Some(purchase), Some(end)) = (purchase_day, warranty_end_day) {
            if end < purchase {
                return Err(row.error("warranty_end", "is before the purchase date".into()));
            }
        }
        assets.push(Asset {
            serial_number: serial,
            asset_tag: row.text("asset_tag")?.to_string(),
            purchase_day,
            warranty_end_day,
            assigned_user: row.text("assigned_user")?.to_string(),
            department: row.text("department")?.to_string(),
            teleworker: row.yes_no("teleworker")?,
        });
    }
    Ok(assets)
}

/// A spreadsheet read whole: its rows by column name. Other crates read
/// their own CSV files (technicians' returns) through it, so every import
/// takes the same encodings and reports errors the same way.
pub struct Table<'f> {
    pub rows: Vec<Row<'f>>,
}

pub struct Row<'f> {
    file: &'f str,
    /// The line in the file, for error messages.
    pub line: u64,
    cells: HashMap<&'static str, String>,
}

impl<'f> Table<'f> {
    /// Reads `bytes` with the given columns (`true`: required).
    pub fn read(
        file: &'f str,
        bytes: &[u8],
        columns: &[(&'static str, bool)],
    ) -> Result<Table<'f>, ImportError> {
        let file_error = |message: String| ImportError::File { file: file.to_string(), message };
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            file_error(format!("line {line} is not UTF-8 text: save the file as CSV UTF-8"))
        })?;
        let header_line = text.lines().next().unwrap_or_default();
        let delimiter =
            if header_line.matches(';').count() > header_line.matches(',').count() { b';' } else { b',' };
        let mut reader =
            csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| file_error(format!("header: {e}")))?.clone();
        let mut index: Vec<(&'static str, usize)> = Vec::new();
        for (position, header) in headers.iter().enumerate() {
            let name = fold(header);
            match columns.iter().find(|(column, _)| *column == name) {
                Some((column, _)) if index.iter().any(|(c, _)| c == column) => {
                    return Err(file_error(format!("header: column '{column}' appears twice")));
                }
                Some((column, _)) => index.push((column, position)),
                None => {
                    let known: Vec<_> = columns.iter().map(|(c, _)| *c).collect();
                    return Err(file_error(format!(
                        "header: unknown column '{}' (known columns: {})",
                        header.trim(),
                        known.join(", ")
                    )));
                }
            }
        }
        for (column, required) in columns {
            if *required && !index.iter().any(|(c, _)| c == column) {
                return Err(file_error(format!("header: the required column '{column}' is missing")));
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| match e.position() {
                Some(position) => ImportError::File {
                    file: file.to_string(),
                    message: format!("line {}: {}", position.line(), csv_reason(&e)),
                },
                None => file_error(csv_reason(&e)),
            })?;
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            if rows.len() == MAX_IMPORT_ROWS {
                return Err(file_error(format!("more than {MAX_IMPORT_ROWS} rows: split the file")));
            }
            let mut cells = HashMap::new();
            for (column, position) in &index {
                let value = record.get(*position).unwrap_or_default().trim();
                if value.chars().count() > MAX_CELL_CHARS {
                    return Err(ImportError::Cell {
                        file: file.to_string(),
                        line,
                        column: column.to_string(),
                        message: format!("longer than {MAX_CELL_CHARS} characters"),
                    });
                }
                cells.insert(*column, value.to_string());
            }
            rows.push(Row { file, line, cells });
        }
        Ok(Table { rows })
    }
}

fn csv_reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        _ => error.to_string(),
    }
}

impl Row<'_> {
    pub fn error(&self, column: &str, message: String) -> ImportError {
        ImportError::Cell {
            file: self.file.to_string(),
            line: self.line,
            column: column.to_string(),
            message,
        }
    }

    /// The cell's text, "" for an absent optional column.
    pub fn text(&self, column: &'static str) -> Result<&str, ImportError> {
        Ok(self.cells.get(column).map_or("", String::as_str))
    }

    pub fn number(&self, column: &'static str) -> Result<u32, ImportError> {
        let text = self.text(column)?;
        if text.is_empty() {
            return Ok(0);
        }
        text.replace([' ', '\u{a0}'], "")
            .parse()
            .map_err(|_| self.error(column, format!("'{text}' is not a whole number (Mb/s)")))
    }

    /// ISO dates, or DD/MM/YYYY as French spreadsheets write them.
    pub fn date(&self, column: &'static str) -> Result<Option<i64>, ImportError> {
        let text = self.text(column)?;
        if text.is_empty() {
            return Ok(None);
        }
        parc_model::civil::parse_date(text)
            .map(Some)
            .ok_or_else(|| self.error(column, format!("'{text}' is not a date (YYYY-MM-DD or DD/MM/YYYY)")))
    }

    pub fn yes_no(&self, column: &'static str) -> Result<Option<bool>, ImportError> {
        let text = self.text(column)?;
        match fold(text).as_str() {
            "" => Ok(None),
            "yes" | "y" | "oui" | "o" | "true" | "1" | "x" => Ok(Some(true)),
            "no" | "n" | "non" | "false" | "0" => Ok(Some(false)),
            _ => Err(self.error(column, format!("'{text}' is not yes or no (oui/non)"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITES: &str =
        "code;name;kind;address;wan_link;down_mbps;up_mbps;fibre;wifi;subnets;technician_group\n\
        MDS-ETAMPES;MDS d'Étampes;MDS;1 rue X, Étampes;copper;20;1;planned:2027-03-01;none;10.20.0.0/16;SUD\n\
        SIEGE;Hôtel du Département;siège;Évry;ftto;1000;1000;live;deployed;10.1.0.0/16 10.2.0.0/16;NORD\n";

    #[test]
    fn semicolon_files_with_a_bom_and_french_words_import() {
        let bytes = [b"\xEF\xBB\xBF".as_slice(), SITES.as_bytes()].concat();
        let sites = parse_sites("sites.csv", &bytes).expect("sites");
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[0].kind, SiteKind::SocialServicesCentre);
        assert_eq!(sites[0].name, "MDS d'Étampes");
        assert!(matches!(sites[0].fibre, Rollout::Planned(_)));
        assert_eq!(sites[1].kind, SiteKind::HeadOffice);
        assert_eq!(sites[1].subnets.len(), 2);
        assert_eq!(sites[1].down_mbps, 1000);
    }

    #[test]
    fn comma_files_with_columns_in_any_order_import() {
        let text = "wifi,fibre,wan_link,kind,name,code\nnone,none,4g,depot,Dépôt,CTR-1\n";
        let sites = parse_sites("sites.csv", text.as_bytes()).expect("sites");
        assert_eq!(sites[0].code, "CTR-1");
        assert_eq!(sites[0].wan_link, WanLink::FourG);
        assert!(sites[0].subnets.is_empty());
    }

    fn error_of(text: &str) -> String {
        parse_sites("sites.csv", text.as_bytes()).expect_err("bad file").to_string()
    }

    #[test]
    fn a_bad_cell_names_the_line_and_the_column() {
        let bad = SITES.replace("copper", "fiber");
        assert_eq!(
            error_of(&bad),
            "sites.csv line 2, column wan_link: 'fiber' is not one of ftto, ftth, copper, 4g, none"
        );
        let bad = SITES.replace("10.2.0.0/16", "10.2.3.0/16");
        assert!(
            error_of(&bad).starts_with("sites.csv line 3, column subnets: '10.2.3.0/16' has host bits set")
        );
        let bad = SITES.replace("planned:2027-03-01", "planned");
        assert!(error_of(&bad).starts_with("sites.csv line 2, column fibre:"));
        let bad = SITES.replace(";20;", ";vingt;");
        assert_eq!(
            error_of(&bad),
            "sites.csv line 2, column down_mbps: 'vingt' is not a whole number (Mb/s)"
        );
    }

    #[test]
    fn duplicate_codes_unknown_columns_and_short_rows_are_refused() {
        let twice = format!("{SITES}MDS-ETAMPES;x;mds;;copper;;;none;none;;\n");
        assert_eq!(error_of(&twice), "sites.csv line 4, column code: 'MDS-ETAMPES' is already on line 2");
        let unknown = SITES.replacen("technician_group", "tech", 1);
        assert!(error_of(&unknown).contains("unknown column 'tech'"), "{}", error_of(&unknown));
        let missing = "code;name;kind;wan_link;fibre\nA;B;mds;copper;none\n";
        assert_eq!(error_of(missing), "sites.csv: header: the required column 'wifi' is missing");
        let short = format!("{SITES}CTR;Dépôt;depot\n");
        assert_eq!(error_of(&short), "sites.csv: line 4: 3 fields where the header has 11");
        assert!(parse_sites("sites.csv", b"code;name\n\xff\xfe;x\n")
            .expect_err("latin-1")
            .to_string()
            .contains("line 2 is not UTF-8"));
    }

    #[test]
    fn the_sample_files_import() {
        let sites =
            parse_sites("sites.csv", include_bytes!("../../samples/sites.csv")).expect("samples/sites.csv");
        assert_eq!(sites.len(), 41);
        assert!(sites.iter().all(|s| s.subnets.len() == 1));
        let assets = parse_assets("assets.csv", include_bytes!("../../samples/assets.csv"))
            .expect("samples/assets.csv");
        assert_eq!(assets.len(), 3);
        assert_eq!(assets[2].teleworker, None);
    }

    #[test]
    fn assets_read_french_dates_and_yes_no_and_refuse_duplicate_serials() {
        let text = "serial_number;asset_tag;purchase_date;warranty_end;assigned_user;department;teleworker\n\
            pf1abc ;INV-1;14/03/2019;2024-03-14;m.dupont;Solidarités;oui\n\
            PF2;INV-2;;;;;\n";
        let assets = parse_assets("assets.csv", text.as_bytes()).expect("assets");
        assert_eq!(assets[0].serial_number, "PF1ABC");
        assert_eq!(assets[0].purchase_day, parc_model::civil::to_days(2019, 3, 14));
        assert_eq!(assets[0].teleworker, Some(true));
        assert_eq!(assets[1].teleworker, None);
        let twice = format!("{text}PF1ABC;INV-3;;;;;non\n");
        assert_eq!(
            parse_assets("assets.csv", twice.as_bytes()).expect_err("twice").to_string(),
            "assets.csv line 4, column serial_number: 'PF1ABC' is already on line 2"
        );
        let bad = text.replace("oui", "maybe");
        assert!(parse_assets("assets.csv", bad.as_bytes())
            .expect_err("bad")
            .to_string()
            .contains("column teleworker"));
        let bad = text.replace("14/03/2019", "2019-02-30");
        assert!(parse_assets("assets.csv", bad.as_bytes())
            .expect_err("bad")
            .to_string()
            .contains("line 2, column purchase_date"));
    }
}
