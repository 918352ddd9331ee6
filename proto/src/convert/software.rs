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

/// Undoes front coding; refuses prefix lengths that point past the
/// previous name or inside a character.
fn expand_names(
    suffixes: Vec<String>,
    prefix_lengths: &[u32],
    field: &str,
) -> Result<Vec<String>, WireError> {
    if prefix_lengths.is_empty() {
        return Ok(suffixes);
    }
    if prefix_lengths.len() != suffixes.len() {
        return Err(WireError::new(
            format!("{field}.name_prefix_lengths"),
            format!(
                "{} entries for {} names; give one per name or none",
                prefix_lengths.len(),
                suffixes.len()
            ),
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(suffixes.len());
    for (i, (suffix, &shared)) in suffixes.into_iter().zip(prefix_lengths).enumerate() {
        let previous = names.last().map(String::as_str).unwrap_or("");
        let shared = shared as usize;
        if shared > previous.len() || !previous.is_char_boundary(shared) {
            return Err(WireError::new(
                format!("{field}.name_prefix_lengths[{i}]"),
                format!("{shared} is not a prefix of the previous name ({} bytes)", previous.len()),
            ));
        }
        let name = if shared == 0 {
            suffix
        } else {
            let mut name = String::with_capacity(shared + suffix.len());
            name.push_str(&previous[..shared]);
            name.push_str(&suffix);
            name
        };
        if name.len() > MAX_STRING_LEN {
            return Err(WireError::new(
                format!("{field}.names[{i}]"),
                format!("longer than the limit of {MAX_STRING_LEN}"),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

pub(super) fn software_from_wire(list: pb::SoftwareList) -> Result<Vec<m::SoftwarePackage>, WireError> {
    let field = "inventory.software";
    let c = Checker::at(field);
    let names = expand_names(c.list(list.names, "names", MAX_SOFTWARE)?, &list.name_prefix_lengths, field)?;
    let column = |values: Vec<String>, column: &str| -> Result<Vec<String>, WireError> {
        if values.len() != names.len() {
            return Err(WireError::new(
                format!("{field}.{column}"),
                format!(
                    "{} entries for {} names; every column has one entry per package",
                    values.len(),
                    names.len()
                ),
            ));
        }
        c.list(values, column, MAX_SOFTWARE)
    };
    let versions = column(list.versions, "versions")?;
    let publishers = c.list(list.publishers, "publishers", MAX_SOFTWARE)?;
    let architectures = c.list(list.architectures, "architectures", MAX_SOFTWARE)?;
    for (column_name, len) in [
        ("publisher_index", list.publisher_index.len()),
        ("install_days", list.install_days.len()),
        ("sources", list.sources.len()),
        ("architecture_index", list.architecture_index.len()),
    ] {
        if len != names.len() {
            return Err(WireError::new(
                format!("{field}.{column_name}"),
                format!("{len} entries for {} names; every column has one entry per package", names.len()),
            ));
        }
    }
    let mut packages = Vec::with_capacity(names.len());
    for (i, (name, version)) in names.into_iter().zip(versions).enumerate() {
        let lookup = |table: &[String], index: u32, column: &str| {
            table.get(index as usize).cloned().ok_or_else(|| {
                WireError::new(
                    format!("{field}.{column}[{i}]"),
                    format!("{index} is past the {} entries", table.len()),
                )
            })
        };
        let days = list.install_days[i];
        packages.push(m::SoftwarePackage {
            name,
            version,
            publisher: lookup(&publishers, list.publisher_index[i], "publisher_index")?,
            install_date: if days == 0 { String::new() } else { m::civil::iso(i64::from(days)) },
            source: source_from_wire(list.sources[i]),
            architecture: lookup(&architectures, list.architecture_index[i], "architecture_index")?,
        });
    }
    Ok(packages)
}
