//! Software lists as columns, with front-coded names in reports.

use super::*;

// ---- software, as columns ----------------------------------------------------

/// How to encode software names: whole (readable in grpcurl, for the fleet
/// API) or front-coded (smallest, for agents' reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameCoding {
    Whole,
    FrontCoded,
}

/// The inventory as an agent sends it: software names front-coded.
pub fn report_inventory_to_wire(inv: &m::Inventory) -> pb::Inventory {
    let mut wire = inventory_to_wire(inv);
    if let Some(packages) = inv.software.as_deref() {
        wire.software = Some(software_to_wire(packages, NameCoding::FrontCoded));
    }
    wire
}

pub(super) fn software_to_wire(packages: &[m::SoftwarePackage], coding: NameCoding) -> pb::SoftwareList {
    let mut list = pb::SoftwareList::default();
    let mut previous = "";
    let mut publisher_slots: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut architecture_slots: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for p in packages {
        let next = u32::try_from(list.publishers.len()).unwrap_or(u32::MAX);
        let slot = *publisher_slots.entry(p.publisher.as_str()).or_insert_with(|| {
            list.publishers.push(p.publisher.clone());
            next
        });
        match coding {
            NameCoding::Whole => list.names.push(p.name.clone()),
            NameCoding::FrontCoded => {
                let shared = shared_prefix(previous, &p.name);
                list.name_prefix_lengths.push(u32::try_from(shared).unwrap_or(0));
                list.names.push(p.name[shared..].to_string());
                previous = &p.name;
            }
        }
        list.versions.push(p.version.clone());
        list.publisher_index.push(slot);
        list.install_days.push(
            m::civil::parse_iso(&p.install_date).and_then(|days| u32::try_from(days).ok()).unwrap_or(0),
        );
        list.sources.push(source_to_wire(p.source));
        let next = u32::try_from(list.architectures.len()).unwrap_or(u32::MAX);
        let slot = *architecture_slots.entry(p.architecture.as_str()).or_insert_with(|| {
            list.architectures.push(p.architecture.clone());
            next
        });
        list.architecture_index.push(slot);
    }
    list
}

/// Bytes two names share at the start, on a character boundary.
fn shared_prefix(a: &str, b: &str) -> usize {
    let mut shared = 0;
    for ((i, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            break;
        }
        shared = i + x.len_utf8();
    }
    shared
}

/// A validated software list still in columns, as it came on the wire: the
/// server ingests a report's hundreds of packages without a `String` per
/// field of each (names and versions sit in one buffer each, publishers and
/// architectures in their small tables).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareColumns {
    names: String,
    name_ends: Vec<u32>,
    versions: String,
    version_ends: Vec<u32>,
    publishers: Vec<String>,
    publisher_index: Vec<u32>,
    architectures: Vec<String>,
    architecture_index: Vec<u32>,
    install_days: Vec<u32>,
    sources: Vec<m::SoftwareSource>,
}

/// One package of a [`SoftwareColumns`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageRef<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub publisher: &'a str,
    pub architecture: &'a str,
    /// Days since the epoch; 0 when unknown.
    pub install_day: u32,
    pub source: m::SoftwareSource,
}

impl PackageRef<'_> {
    pub fn to_package(&self) -> m::SoftwarePackage {
        m::SoftwarePackage {
            name: self.name.to_string(),
            version: self.version.to_string(),
            publisher: self.publisher.to_string(),
            install_date: if self.install_day == 0 {
                String::new()
            } else {
                m::civil::iso(i64::from(self.install_day))
            },
            source: self.source,
            architecture: self.architecture.to_string(),
        }
    }
}

impl SoftwareColumns {
    /// Validates a list from the wire: the same limits and field paths as
    /// the rest of the inventory, front coding undone.
    pub fn from_wire(list: pb::SoftwareList) -> Result<SoftwareColumns, WireError> {
        let field = "inventory.software";
        let c = Checker::at(field);
        let count = list.names.len();
        if count > MAX_SOFTWARE {
            return Err(WireError::new(
                format!("{field}.names"),
                format!("{count} entries, more than the limit of {MAX_SOFTWARE}"),
            ));
        }
        for (column_name, len) in [
            ("versions", list.versions.len()),
            ("publisher_index", list.publisher_index.len()),
            ("install_days", list.install_days.len()),
            ("sources", list.sources.len()),
            ("architecture_index", list.architecture_index.len()),
        ] {
            if len != count {
                return Err(WireError::new(
                    format!("{field}.{column_name}"),
                    format!("{len} entries for {count} names; every column has one entry per package"),
                ));
            }
        }
        if !list.name_prefix_lengths.is_empty() && list.name_prefix_lengths.len() != count {
            return Err(WireError::new(
                format!("{field}.name_prefix_lengths"),
                format!(
                    "{} entries for {count} names; give one per name or none",
                    list.name_prefix_lengths.len()
                ),
            ));
        }
        let publishers = c.list(list.publishers, "publishers", MAX_SOFTWARE)?;
        let architectures = c.list(list.architectures, "architectures", MAX_SOFTWARE)?;
        let too_long = |column: &str, i: usize, len: usize| {
            WireError::new(
                format!("{field}.{column}[{i}]"),
                format!("{len} bytes, more than the limit of {MAX_STRING_LEN}"),
            )
        };
        let past_end = |column: &str, i: usize, index: u32, table: usize| {
            WireError::new(format!("{field}.{column}[{i}]"), format!("{index} is past the {table} entries"))
        };
        let mut columns = SoftwareColumns {
            names: String::with_capacity(list.names.iter().map(String::len).sum::<usize>() * 2),
            name_ends: Vec::with_capacity(count),
            versions: String::with_capacity(list.versions.iter().map(String::len).sum()),
            version_ends: Vec::with_capacity(count),
            sources: list.sources.iter().map(|source| source_from_wire(*source)).collect(),
            install_days: list.install_days,
            publishers,
            architectures,
            publisher_index: list.publisher_index,
            architecture_index: list.architecture_index,
        };
        let mut previous = 0..0;
        for (i, (suffix, version)) in list.names.iter().zip(&list.versions).enumerate() {
            if suffix.len() > MAX_STRING_LEN {
                return Err(too_long("names", i, suffix.len()));
            }
            // Front coding: the first bytes of the previous name, then the suffix.
            let shared = list.name_prefix_lengths.get(i).map_or(0, |&shared| shared as usize);
            let previous_name = &columns.names[previous.clone()];
            if shared > previous_name.len() || !previous_name.is_char_boundary(shared) {
                return Err(WireError::new(
                    format!("{field}.name_prefix_lengths[{i}]"),
                    format!("{shared} is not a prefix of the previous name ({} bytes)", previous_name.len()),
                ));
            }
            let start = columns.names.len();
            if shared + suffix.len() > MAX_STRING_LEN {
                return Err(too_long("names", i, shared + suffix.len()));
            }
            columns.names.extend_from_within(previous.start..previous.start + shared);
            columns.names.push_str(suffix);
            previous = start..columns.names.len();
            columns.name_ends.push(offset(columns.names.len()));
            if version.len() > MAX_STRING_LEN {
                return Err(too_long("versions", i, version.len()));
            }
            columns.versions.push_str(version);
            columns.version_ends.push(offset(columns.versions.len()));
            let publisher = columns.publisher_index[i];
            if publisher as usize >= columns.publishers.len() {
                return Err(past_end("publisher_index", i, publisher, columns.publishers.len()));
            }
            let architecture = columns.architecture_index[i];
            if architecture as usize >= columns.architectures.len() {
                return Err(past_end("architecture_index", i, architecture, columns.architectures.len()));
            }
        }
        Ok(columns)
    }

    /// The columns of packages already in the domain's form, as they are:
    /// no limit is checked (they were when the packages came in).
    pub fn from_packages(packages: &[m::SoftwarePackage]) -> SoftwareColumns {
        let mut columns = SoftwareColumns::default();
        let slot = |table: &mut Vec<String>, value: &str| match table.iter().position(|v| v == value) {
            Some(at) => offset(at),
            None => {
                table.push(value.to_string());
                offset(table.len() - 1)
            }
        };
        for p in packages {
            columns.names.push_str(&p.name);
            columns.name_ends.push(offset(columns.names.len()));
            columns.versions.push_str(&p.version);
            columns.version_ends.push(offset(columns.versions.len()));
            columns.publisher_index.push(slot(&mut columns.publishers, &p.publisher));
            columns.architecture_index.push(slot(&mut columns.architectures, &p.architecture));
            columns.install_days.push(
                m::civil::parse_iso(&p.install_date).and_then(|days| u32::try_from(days).ok()).unwrap_or(0),
            );
            columns.sources.push(p.source);
        }
        columns
    }

    pub fn len(&self) -> usize {
        self.name_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.name_ends.is_empty()
    }

    /// The package at `i`; panics past the end, like a slice.
    pub fn get(&self, i: usize) -> PackageRef<'_> {
        let span = |ends: &[u32], i: usize| {
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            start..ends[i] as usize
        };
        PackageRef {
            name: &self.names[span(&self.name_ends, i)],
            version: &self.versions[span(&self.version_ends, i)],
            publisher: &self.publishers[self.publisher_index[i] as usize],
            architecture: &self.architectures[self.architecture_index[i] as usize],
            install_day: self.install_days[i],
            source: self.sources[i],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = PackageRef<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub fn to_packages(&self) -> Vec<m::SoftwarePackage> {
        self.iter().map(|package| package.to_package()).collect()
    }
}

/// A buffer offset: the limits (20,000 names of at most 1 KiB) keep it
/// far below `u32::MAX`.
fn offset(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

pub(super) fn software_from_wire(list: pb::SoftwareList) -> Result<Vec<m::SoftwarePackage>, WireError> {
    SoftwareColumns::from_wire(list).map(|columns| columns.to_packages())
}
