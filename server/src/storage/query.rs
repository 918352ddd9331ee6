//! The query language's terms as SQL: what the stored columns can answer
//! becomes one parameterised condition on `devices d`; what needs the
//! readiness rules, the site placement or the asset register (sites come
//! from subnets, readiness is computed on query) is handed back as
//! *post* terms for `crate::search` to test on each candidate.
//!
//! Values are always bound as parameters (`?N`), never pasted into the
//! statement: the text of the SQL depends only on the shape of the query.

use super::links::BLOCK_DEVICES;
use parc_query::{Chassis, CmpOp, Filter, NumberField, NumberTest, Query, Term, TextField, WaveTest};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    Int(i64),
    Text(String),
}

impl rusqlite::ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            SqlValue::Int(value) => value.to_sql(),
            SqlValue::Text(value) => value.to_sql(),
        }
    }
}

/// A query split into what SQL answers and what it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledQuery {
    /// A condition on `devices d`; `1` when SQL has nothing to test.
    pub condition: String,
    /// The values of `?first`, `?first+1`, ... in `condition`.
    pub params: Vec<SqlValue>,
    /// Terms tested after SQL, on each candidate's readiness, site and
    /// asset row.
    pub post: Vec<Term>,
}

impl CompiledQuery {
    pub fn needs_post(&self) -> bool {
        !self.post.is_empty()
    }
}

/// The published plan's wave of `d`, NULL when in none.
const WAVE: &str = "(SELECT p.wave FROM plan_devices p JOIN plans pl ON pl.id = p.plan_id \
                    WHERE pl.state = 'published' AND p.device_id = d.id)";
/// The rollout status of `d`: its recorded one, else `planned` in the
/// published plan, else `none`.
const STATUS: &str = "coalesce((SELECT r.status FROM rollout_status r WHERE r.device_id = d.id), \
                      CASE WHEN EXISTS (SELECT 1 FROM plan_devices p JOIN plans pl ON pl.id = p.plan_id \
                      WHERE pl.state = 'published' AND p.device_id = d.id) THEN 'planned' ELSE 'none' END)";

struct Builder {
    first: usize,
    params: Vec<SqlValue>,
}

impl Builder {
    /// A new placeholder holding `value`.
    fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        format!("?{}", self.first + self.params.len() - 1)
    }

    fn text(&mut self, value: &str) -> String {
        self.bind(SqlValue::Text(value.to_lowercase()))
    }

    fn int(&mut self, value: i64) -> String {
        self.bind(SqlValue::Int(value))
    }

    /// `column contains one of values`, case ignored.
    fn contains_any(&mut self, column: &str, values: &[String]) -> String {
        let tests: Vec<String> =
            values.iter().map(|v| format!("instr(lower({column}), {}) > 0", self.text(v))).collect();
        any(tests)
    }

    fn one_of(&mut self, column: &str, names: Vec<&str>) -> String {
        let placeholders: Vec<String> =
            names.into_iter().map(|n| self.bind(SqlValue::Text(n.into()))).collect();
        format!("{column} IN ({})", placeholders.join(", "))
    }

    /// The condition of one filter; `None` when SQL cannot answer it.
    fn filter(&mut self, filter: &Filter, now: i64) -> Option<String> {
        Some(match filter {
            Filter::Text { field, values } => {
                let column = match field {
                    TextField::Hostname => "d.hostname",
                    TextField::Serial => "d.serial_number",
                    TextField::Model => "d.model",
                    TextField::Manufacturer => "d.manufacturer",
                    TextField::Cpu => "d.cpu_model",
                    TextField::Os => "(d.os_name || ' ' || d.os_version)",
                    TextField::Software => return Some(self.software(values)),
                    TextField::Label => {
                        // Labels are stored joined by commas, which a label cannot hold.
                        let tests: Vec<String> = values
                            .iter()
                            .map(|v| {
                                let wanted = self.text(&format!(",{},", v.trim()));
                                format!("instr(',' || lower(d.labels) || ',', {wanted}) > 0")
                            })
                            .collect();
                        return Some(any(tests));
                    }
                    TextField::User | TextField::Department | TextField::Site | TextField::Tag => {
                        return None
                    }
                };
                self.contains_any(column, values)
            }
            Filter::Chassis(kinds) => {
                let names = kinds.iter().map(|k| chassis_column_value(*k)).collect();
                self.one_of("d.chassis", names)
            }
            Filter::Disk(kinds) => {
                // The language's names are the stored ones (the model's serde names).
                let names = kinds.iter().map(|k| k.name()).collect();
                self.one_of("d.system_storage", names)
            }
            Filter::Status(statuses) => {
                // `planner::rollout::Status` names, and `none` as STATUS writes it.
                let names = statuses.iter().map(|s| s.name()).collect();
                self.one_of(STATUS, names)
            }
            Filter::Number { field, test } => {
                let column = match field {
                    NumberField::Ram => "d.ram_bytes",
                    NumberField::Cores => "d.cpu_cores",
                    NumberField::Id => "d.id",
                    NumberField::Age | NumberField::Score => return None,
                };
                match test {
                    NumberTest::OneOf(values) => {
                        let placeholders: Vec<String> = values.iter().map(|v| self.int(*v)).collect();
                        format!("{column} IN ({})", placeholders.join(", "))
                    }
                    NumberTest::Cmp { op, value } => format!("{column} {} {}", op.symbol(), self.int(*value)),
                }
            }
            Filter::NotSeen { op, seconds } => {
                let now = self.int(now);
                format!(
                    "({now} - coalesce(d.last_seen_at, d.enrolled_at)) {} {}",
                    op.symbol(),
                    self.int(*seconds)
                )
            }
            Filter::Wave(WaveTest::OneOf(waves)) => {
                let mut tests = Vec::new();
                let numbers: Vec<String> = waves.iter().flatten().map(|w| self.int(i64::from(*w))).collect();
                if !numbers.is_empty() {
                    tests.push(format!("{WAVE} IN ({})", numbers.join(", ")));
                }
                if waves.contains(&None) {
                    tests.push(format!("{WAVE} IS NULL"));
                }
                any(tests)
            }
            Filter::Wave(WaveTest::Cmp { op, wave }) => {
                format!("{WAVE} {} {}", op.symbol(), self.int(i64::from(*wave)))
            }
            Filter::FreeText(text) => {
                let value = self.text(text);
                // The asset row joins on the serial as `serial_key` writes it.
                format!(
                    "(instr(lower(d.hostname), {value}) > 0 OR instr(lower(d.serial_number), {value}) > 0 \
                     OR instr(lower(d.model), {value}) > 0 OR EXISTS (SELECT 1 FROM assets a \
                     WHERE a.serial_key = upper(trim(d.serial_number)) AND d.serial_number <> '' \
                     AND (instr(lower(a.asset_tag), {value}) > 0 OR instr(lower(a.assigned_user), {value}) > 0)))"
                )
            }
            Filter::Teleworker(_) | Filter::Readiness { .. } => return None,
        })
    }

    /// Devices with a package whose name contains one of `values`: the
    /// matching catalogue ids once (an uncorrelated subquery SQLite keeps),
    /// then per device one link-table seek per id in its block (`id / 512`,
    /// [`BLOCK_DEVICES`])
    /// and a test of its bit in its word.
    fn software(&mut self, values: &[String]) -> String {
        let names = self.contains_any("s.name", values);
        format!(
            "EXISTS (SELECT 1 FROM software_devices l WHERE l.block = d.id / {BLOCK_DEVICES} \
             AND l.software_id IN (SELECT s.id FROM software s WHERE {names}) \
             AND (CASE (d.id / 64) % 8 WHEN 0 THEN l.w0 WHEN 1 THEN l.w1 WHEN 2 THEN l.w2 \
             WHEN 3 THEN l.w3 WHEN 4 THEN l.w4 WHEN 5 THEN l.w5 WHEN 6 THEN l.w6 ELSE l.w7 END \
             >> (d.id % 64)) & 1)"
        )
    }
}

fn any(tests: Vec<String>) -> String {
    match tests.len() {
        0 => "0".to_string(),
        1 => tests.into_iter().next().unwrap_or_default(),
        _ => format!("({})", tests.join(" OR ")),
    }
}

/// How `devices.chassis` spells a chassis (the model's serde names).
fn chassis_column_value(kind: Chassis) -> &'static str {
    match kind {
        Chassis::Laptop => "laptop",
        Chassis::Desktop => "desktop",
        Chassis::AllInOne => "all_in_one",
        Chassis::Tablet => "tablet",
        Chassis::Server => "server",
        Chassis::Vm => "virtual_machine",
        Chassis::Other => "other",
        Chassis::Unknown => "unknown",
    }
}

/// Splits `query` into a SQL condition whose placeholders start at
/// `?first` and the terms SQL cannot answer. Pure.
pub fn compile(query: &Query, now: i64, first: usize) -> CompiledQuery {
    let mut builder = Builder { first, params: Vec::new() };
    let mut conditions = Vec::new();
    let mut post = Vec::new();
    for term in &query.terms {
        match builder.filter(&term.filter, now) {
            // A negated term also takes the devices whose value is unknown
            // (NULL): NOT coalesce(..., 0).
            Some(condition) if term.negated => conditions.push(format!("NOT coalesce({condition}, 0)")),
            Some(condition) => conditions.push(condition),
            None => post.push(term.clone()),
        }
    }
    let condition = if conditions.is_empty() { "1".to_string() } else { conditions.join(" AND ") };
    CompiledQuery { condition, params: builder.params, post }
}

/// `CmpOp` as a Rust comparison, for post terms.
pub fn compare(op: CmpOp, left: i64, right: i64) -> bool {
    match op {
        CmpOp::Lt => left < right,
        CmpOp::Le => left <= right,
        CmpOp::Gt => left > right,
        CmpOp::Ge => left >= right,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, condition: &str, params: &[SqlValue], post: usize) {
        let compiled = compile(&parc_query::parse(query).unwrap(), 1_000_000, 4);
        assert_eq!(compiled.condition, condition, "{query}");
        assert_eq!(compiled.params, params, "{query}");
        assert_eq!(compiled.post.len(), post, "{query}");
    }

    use SqlValue::{Int, Text};

    #[test]
    fn the_empty_query_is_everything() {
        check("", "1", &[], 0);
    }

    #[test]
    fn values_are_bound_never_pasted() {
        check(
            "ram<8GB os:\"Windows 10\"",
            "d.ram_bytes < ?4 AND instr(lower((d.os_name || ' ' || d.os_version)), ?5) > 0",
            &[Int(8 << 30), Text("windows 10".into())],
            0,
        );
        let hostile = compile(&parc_query::parse("hostname:\"x'); DROP TABLE devices; --\"").unwrap(), 0, 1);
        assert!(!hostile.condition.contains("DROP"), "{}", hostile.condition);
        assert_eq!(hostile.params, [Text("x'); drop table devices; --".into())]);
    }

    #[test]
    fn negation_takes_unknown_values_too() {
        check(
            "-chassis:laptop,all-in-one",
            "NOT coalesce(d.chassis IN (?4, ?5), 0)",
            &[Text("laptop".into()), Text("all_in_one".into())],
            0,
        );
    }

    #[test]
    fn not_seen_counts_from_now() {
        check(
            "not-seen>14d",
            "(?4 - coalesce(d.last_seen_at, d.enrolled_at)) > ?5",
            &[Int(1_000_000), Int(14 * 86_400)],
            0,
        );
    }

    #[test]
    fn waves_and_statuses_read_the_published_plan() {
        let compiled = compile(&parc_query::parse("wave:3,none status:done").unwrap(), 0, 1);
        assert!(
            compiled.condition.contains("IN (?1)") && compiled.condition.contains("IS NULL"),
            "{}",
            compiled.condition
        );
        assert!(compiled.condition.contains("'published'"));
        assert_eq!(compiled.params, [Int(3), Text("done".into())]);
    }

    #[test]
    fn software_seeks_the_link_table_by_block() {
        let compiled = compile(&parc_query::parse("software:\"Lotus Notes\"").unwrap(), 0, 1);
        assert!(compiled.condition.contains("l.block = d.id / 512"), "{}", compiled.condition);
        assert_eq!(compiled.params, [Text("lotus notes".into())]);
    }

    #[test]
    fn readiness_site_and_asset_terms_are_tested_after_sql() {
        check(
            "site:MDS-ETAMPES -wifi:ready user:dupont age>5y score>=80 teleworker:yes ram<8GB",
            "d.ram_bytes < ?4",
            &[Int(8 << 30)],
            6,
        );
    }
}
