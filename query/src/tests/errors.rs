//! Mistakes: what each is reported as, where, and the limits.

use super::*;

#[test]
fn errors_in_fields_and_values() {
    check_err(
        "rm<8GB",
        ErrorKind::UnknownField,
        0,
        2,
        &format!("unknown field 'rm': expected one of {}; did you mean 'ram'?", field_names()),
    );
    check_err(
        "colour:red",
        ErrorKind::UnknownField,
        0,
        6,
        &format!("unknown field 'colour': expected one of {}", field_names()),
    );
    check_err(
        "site:A ram<8XB",
        ErrorKind::BadValue,
        11,
        3,
        "ram: '8XB' is not a size: expected a number with a unit such as 8GB or 512MB",
    );
    check_err(
        "ram<8",
        ErrorKind::BadValue,
        4,
        1,
        "ram: '8' is not a size: expected a number with a unit such as 8GB or 512MB",
    );
    check_err(
        "chassis:laptp",
        ErrorKind::UnknownValue,
        8,
        5,
        "chassis: 'laptp' is not one of laptop, desktop, all-in-one, tablet, server, vm, other, unknown; did you mean 'laptop'?",
    );
    check_err(
        "chassis:laptop,phone",
        ErrorKind::UnknownValue,
        15,
        5,
        "chassis: 'phone' is not one of laptop, desktop, all-in-one, tablet, server, vm, other, unknown",
    );
    check_err(
        "status:schedulde",
        ErrorKind::UnknownValue,
        7,
        9,
        "status: 'schedulde' is not one of planned, scheduled, prepared, delivered, done, postponed, cancelled, none; did you mean 'scheduled'?",
    );
    check_err(
        "teleworker:ready",
        ErrorKind::UnknownValue,
        11,
        5,
        "teleworker: 'ready' is not one of yes, no, unknown (telework:ready is the readiness for working from home)",
    );
    check_err(
        "telework:yes",
        ErrorKind::UnknownValue,
        9,
        3,
        "telework: 'yes' is not one of ready, not-ready, unknown (teleworker:yes is the user who works from home)",
    );
    check_err(
        "disk:sdd",
        ErrorKind::UnknownValue,
        5,
        3,
        "disk: 'sdd' is not one of hdd, ssd, nvme, unknown; did you mean 'ssd'?",
    );
    check_err(
        "teleworker:maybe",
        ErrorKind::UnknownValue,
        11,
        5,
        "teleworker: 'maybe' is not one of yes, no, unknown",
    );
    check_err(
        "wifi:fixable",
        ErrorKind::UnknownValue,
        5,
        7,
        "wifi: 'fixable' is not one of ready, not-ready, unknown (fixable and replace are for replacement)",
    );
    check_err(
        "replacement:redy",
        ErrorKind::UnknownValue,
        12,
        4,
        "replacement: 'redy' is not one of ready, not-ready, unknown, fixable, replace; did you mean 'ready'?",
    );
    check_err("os<10", ErrorKind::OperatorNotAllowed, 2, 1, "'<' needs a number: os is a text field");
    check_err(
        "chassis>=laptop",
        ErrorKind::OperatorNotAllowed,
        7,
        2,
        "'>=' needs a number: chassis is a choice field",
    );
    check_err(
        "wifi:>ready",
        ErrorKind::OperatorNotAllowed,
        4,
        2,
        "'>' needs a number: wifi is a readiness field",
    );
    check_err("ram<8GB,16GB", ErrorKind::ListNotAllowed, 7, 5, "'ram<' takes one value, not a list");
    check_err("age:5,6", ErrorKind::ListNotAllowed, 5, 2, "'age:' takes one value, not a list");
    check_err("not-seen:1d,2d", ErrorKind::ListNotAllowed, 11, 3, "'not-seen:' takes one value, not a list");
    check_err(
        "not-seen>14",
        ErrorKind::BadValue,
        9,
        2,
        "not-seen: '14' is not a duration: expected a number with a unit such as 14d, 2w, 12h or 30m",
    );
    check_err(
        "age>4.25",
        ErrorKind::BadValue,
        4,
        4,
        "age: '4.25' is not an age: expected years such as 5, 4.5 or 5y",
    );
    check_err(
        "cores:four",
        ErrorKind::BadValue,
        6,
        4,
        "cores: 'four' is not a whole number: expected a whole number such as 4",
    );
    check_err(
        "id:-1",
        ErrorKind::BadValue,
        3,
        2,
        "id: '-1' is not a whole number: expected a whole number such as 4",
    );
    check_err(
        "cores>99999999999999999999",
        ErrorKind::BadValue,
        6,
        20,
        "cores: '99999999999999999999' is too large: expected a whole number such as 4",
    );
    check_err(
        "score>120",
        ErrorKind::BadValue,
        6,
        3,
        "score: '120' is out of range: expected a number from 0 to 100",
    );
    check_err(
        "wave:0",
        ErrorKind::BadValue,
        5,
        1,
        "wave: '0' is not a wave: expected a wave number from 1, or none",
    );
    check_err(
        "wave:3,next",
        ErrorKind::BadValue,
        7,
        4,
        "wave: 'next' is not a wave: expected a wave number from 1, or none",
    );
    check_err(
        "wave>none",
        ErrorKind::BadValue,
        5,
        4,
        "wave: 'none' can't be compared: use wave:none or -wave:none",
    );
}

#[test]
fn errors_in_the_shape() {
    check_err(
        r#"site:MDS os:"Windows 10"#,
        ErrorKind::UnterminatedQuote,
        12,
        11,
        "unterminated quote starting at column 13",
    );
    check_err(r#"""#, ErrorKind::UnterminatedQuote, 0, 1, "unterminated quote starting at column 1");
    check_err(r#"a:"x\""#, ErrorKind::UnterminatedQuote, 2, 4, "unterminated quote starting at column 3");
    check_err("site:", ErrorKind::EmptyValue, 5, 1, "empty value after 'site:'");
    check_err("Site= ram<8GB", ErrorKind::EmptyValue, 5, 1, "empty value after 'Site='");
    check_err(r#"site:"""#, ErrorKind::EmptyValue, 5, 2, "empty value after 'site:'");
    check_err("chassis:laptop,", ErrorKind::EmptyValue, 14, 1, "empty alternative after ','");
    check_err("chassis:laptop,,vm", ErrorKind::EmptyValue, 14, 1, "empty alternative after ','");
    check_err(r#"x """#, ErrorKind::EmptyValue, 2, 2, "empty quotes: put a word or phrase between them");
    check_err("- wifi:ready", ErrorKind::Syntax, 0, 1, "'-' needs a term right after it, as in -wifi:ready");
    check_err("site:A -", ErrorKind::Syntax, 7, 1, "'-' needs a term right after it, as in -wifi:ready");
    check_err(
        r#"os:Windows"10""#,
        ErrorKind::Syntax,
        10,
        1,
        r#"unexpected '"' inside a value: quotes go around a whole value, as in os:"Windows 10""#,
    );
    check_err(
        r#"Lotus"Notes""#,
        ErrorKind::Syntax,
        5,
        1,
        r#"unexpected '"' inside a word: quotes go around a whole phrase, as in "Lotus Notes""#,
    );
    check_err(r#""Lotus Notes"x"#, ErrorKind::Syntax, 13, 1, "expected a space after the closing quote");
    check_err(r#"site:"A"B"#, ErrorKind::Syntax, 8, 1, "expected a space or ',' after the closing quote");
    check_err("a\u{7}b", ErrorKind::ControlCharacter, 1, 1, "control character U+0007 is not allowed");
}

#[test]
fn the_first_error_is_reported() {
    check_err(
        "rm:1 \"x",
        ErrorKind::UnknownField,
        0,
        2,
        &format!("unknown field 'rm': expected one of {}; did you mean 'ram'?", field_names()),
    );
    check_err(
        "\"x\u{0}\" rm:1",
        ErrorKind::ControlCharacter,
        2,
        1,
        "control character U+0000 is not allowed",
    );
}

#[test]
fn errors_say_what_was_expected() {
    let error = parse("chassis:laptp").unwrap_err();
    assert_eq!(
        error.expected,
        ["laptop", "desktop", "all-in-one", "tablet", "server", "vm", "other", "unknown"]
    );
    assert_eq!(error.suggestion.as_deref(), Some("laptop"));
    let error = parse("hots:x").unwrap_err();
    assert_eq!(error.expected, field_help().iter().map(|h| h.name).collect::<Vec<_>>());
    assert_eq!(error.suggestion, None);
    let error = parse("ram<8XB").unwrap_err();
    assert_eq!(error.expected, ["a number with a unit such as 8GB or 512MB"]);
    assert_eq!(parse("host:x").unwrap_err().suggestion.as_deref(), Some("hostname"));
}

#[test]
fn rendered_errors() {
    let input = "site:MDS-ETAMPES ram<8XB";
    assert_eq!(
        parse(input).unwrap_err().render(input),
        "site:MDS-ETAMPES ram<8XB\n\
         \x20                    ^^^\n\
         ram: '8XB' is not a size: expected a number with a unit such as 8GB or 512MB"
    );
    let input = "chassis:laptp -wifi:ready";
    assert_eq!(
        parse(input).unwrap_err().render(input),
        "chassis:laptp -wifi:ready\n\
         \x20       ^^^^^\n\
         chassis: 'laptp' is not one of laptop, desktop, all-in-one, tablet, server, vm, other, unknown; did you mean 'laptop'?"
    );
    let input = r#"site:MDS os:"Windows 10"#;
    assert_eq!(
        parse(input).unwrap_err().render(input),
        "site:MDS os:\"Windows 10\n\
         \x20           ^^^^^^^^^^^\n\
         unterminated quote starting at column 13"
    );
}

#[test]
fn limits() {
    let long = "a".repeat(MAX_QUERY_CHARS);
    assert!(parse(&long).is_err(), "one word of 2,000 characters is too long a value");
    let at_limit = "ab ".repeat(MAX_QUERY_CHARS / 3) + "ab";
    assert_eq!(at_limit.chars().count(), MAX_QUERY_CHARS);
    assert!(matches!(parse(&at_limit), Err(QueryError { kind: ErrorKind::TooManyTerms, .. })));
    check_err(
        &"é".repeat(2001),
        ErrorKind::QueryTooLong,
        2000,
        1,
        "query is too long: 2,001 characters, at most 2,000",
    );
    check_err(
        &" ".repeat(5000),
        ErrorKind::QueryTooLong,
        2000,
        3000,
        "query is too long: 5,000 characters, at most 2,000",
    );

    let terms = vec!["ab"; MAX_TERMS].join(" ");
    assert_eq!(parsed(&terms).terms.len(), MAX_TERMS);
    check_err(&format!("{terms} abc d"), ErrorKind::TooManyTerms, 96, 3, "too many terms: at most 32");

    let seventeen = (1..=17).map(|n| n.to_string()).collect::<Vec<_>>().join(",");
    check_err(
        &format!("id:{seventeen}"),
        ErrorKind::TooManyAlternatives,
        42,
        2,
        "too many alternatives: at most 16 in one term",
    );

    let value = "x".repeat(MAX_VALUE_CHARS);
    assert_eq!(filter(&format!("user:{value}")), text(TextField::User, &[&value]));
    assert_eq!(filter(&format!(r#""{value}""#)), Filter::FreeText(value.clone()));
    check_err(
        &format!("user:{value}y"),
        ErrorKind::ValueTooLong,
        5,
        257,
        "value is too long: 257 characters, at most 256",
    );
    check_err(
        &format!(r#"x "{value}y""#),
        ErrorKind::ValueTooLong,
        2,
        259,
        "value is too long: 257 characters, at most 256",
    );
    check_err(
        &format!("{value}y"),
        ErrorKind::ValueTooLong,
        0,
        257,
        "value is too long: 257 characters, at most 256",
    );
}
