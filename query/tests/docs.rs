//! `docs/query.md` follows the field registry, and what it shows is what
//! Parc does: its examples parse, its error messages are the real ones.

use parc_query::{field_help, parse};

const DOC: &str = include_str!("../../docs/query.md");

/// The rows of the tables under `## heading` (header rows, which have no
/// code in them, left out).
fn table_rows(heading: &str) -> Vec<&'static str> {
    let section =
        DOC.split(&format!("\n## {heading}\n")).nth(1).unwrap_or_else(|| panic!("no '## {heading}'"));
    let section = section.split("\n## ").next().unwrap_or_default();
    section.lines().filter(|l| l.starts_with("| ") && l.contains('`')).collect()
}

/// The cells of a table row.
fn cells(row: &str) -> Vec<&str> {
    row.trim().trim_matches('|').split(" | ").map(str::trim).collect()
}

/// The text of the first `code` span in `cell`.
fn code(cell: &str) -> &str {
    cell.split('`').nth(1).unwrap_or_default()
}

#[test]
fn the_field_table_follows_the_registry() {
    let rows = table_rows("Fields");
    let names: Vec<&str> = rows.iter().map(|row| code(row)).collect();
    let registry: Vec<&str> = field_help().iter().map(|h| h.name).collect();
    assert_eq!(names, registry, "docs/query.md's field table, in the registry's order");
    for (row, help) in rows.iter().zip(field_help()) {
        let cells = cells(row);
        assert_eq!(code(cells[2]), help.example, "{}'s example", help.name);
        for value in help.values {
            assert!(cells[1].contains(&format!("`{value}`")), "{}: value {value} missing", help.name);
        }
    }
}

#[test]
fn the_examples_parse() {
    let rows = table_rows("Examples");
    assert!(rows.len() >= 10);
    for row in rows {
        let query = code(cells(row)[1]);
        assert!(!query.is_empty(), "{row}");
        if let Err(e) = parse(query) {
            panic!("docs/query.md example does not parse:\n{}", e.render(query));
        }
    }
}

#[test]
fn the_error_examples_are_what_parc_says() {
    let rows = table_rows("When a query is wrong");
    assert!(rows.len() >= 5);
    for row in rows {
        let cells = cells(row);
        let (input, said) = (code(cells[0]), code(cells[1]));
        let message = match parse(input) {
            Ok(query) => panic!("{input:?} parsed: {query}"),
            Err(e) => e.message,
        };
        // "..." stands for the long list of fields.
        match said.split_once("...") {
            Some((start, end)) => {
                assert!(message.starts_with(start) && message.ends_with(end), "{input}: {message}")
            }
            None => assert_eq!(message, said, "{input}"),
        }
    }
}
