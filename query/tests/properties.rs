//! Properties of the language over generated input: `parse` never panics,
//! errors point inside the query, and the canonical form reads back to the
//! same filters.

use parc_query::*;
use proptest::prelude::*;
use proptest::sample::select;

const TEXT_FIELDS: [TextField; 12] = [
    TextField::Hostname,
    TextField::Serial,
    TextField::Model,
    TextField::Manufacturer,
    TextField::Cpu,
    TextField::Os,
    TextField::Software,
    TextField::User,
    TextField::Department,
    TextField::Site,
    TextField::Tag,
    TextField::Label,
];
const CHASSIS: [Chassis; 8] = [
    Chassis::Laptop,
    Chassis::Desktop,
    Chassis::AllInOne,
    Chassis::Tablet,
    Chassis::Server,
    Chassis::Vm,
    Chassis::Other,
    Chassis::Unknown,
];
const DISKS: [DiskKind; 4] = [DiskKind::Hdd, DiskKind::Ssd, DiskKind::Nvme, DiskKind::Unknown];
const STATUSES: [RolloutStatus; 8] = [
    RolloutStatus::Planned,
    RolloutStatus::Scheduled,
    RolloutStatus::Prepared,
    RolloutStatus::Delivered,
    RolloutStatus::Done,
    RolloutStatus::Postponed,
    RolloutStatus::Cancelled,
    RolloutStatus::NotInRollout,
];
const TELEWORKER: [Teleworker; 3] = [Teleworker::Yes, Teleworker::No, Teleworker::Unknown];
const STATES: [ReadinessState; 3] =
    [ReadinessState::Ready, ReadinessState::NotReady, ReadinessState::Unknown];
const OPS: [CmpOp; 4] = [CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];

/// Pieces of the language, so generated soup reaches past the first error.
const TOKENS: &[&str] = &[
    "site:",
    "ram<",
    "ram:",
    "8GB",
    "1.5G",
    "\"",
    "\\",
    "-",
    ",",
    " ",
    "  ",
    "\t",
    "wifi:",
    "ready",
    "not_ready",
    "replacement:",
    "fixable",
    "x",
    "é",
    "日本",
    "not-seen>",
    "14d",
    "2w",
    ":",
    "=",
    "<",
    ">=",
    ":>",
    "wave:",
    "none",
    "3",
    "0",
    "age:",
    "4.5",
    "4.25",
    "score>",
    "101",
    "chassis:",
    "laptp",
    "os:",
    "\"Windows 10\"",
    "\u{0}",
    "\u{7f}",
    "\n",
    "cores>=",
    "99999999999999999999999",
    "status:",
    "livré",
    "teleworker:",
    "oui",
    "-\"",
];

fn values<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(select(items), 1..=4)
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9._/-]{1,12}",
        "\\PC{1,20}",
        prop::collection::vec(select(&["\"", "\\", ",", " ", "-", ":", "a", "é", "<", "\t"][..]), 1..8)
            .prop_map(|parts| parts.concat()),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    prop_oneof![
        text_value().prop_map(Filter::FreeText),
        (select(&TEXT_FIELDS[..]), prop::collection::vec(text_value(), 1..=4))
            .prop_map(|(field, values)| Filter::Text { field, values }),
        values(&CHASSIS).prop_map(Filter::Chassis),
        values(&DISKS).prop_map(Filter::Disk),
        values(&STATUSES).prop_map(Filter::Status),
        values(&TELEWORKER).prop_map(Filter::Teleworker),
        (select(&Dimension::ALL[..]), prop::collection::vec((select(&STATES[..]), any::<u8>()), 1..=4))
            .prop_map(|(dimension, values)| {
                let values = values
                    .into_iter()
                    .map(|(state, n)| match (dimension, n % 3) {
                        (Dimension::Replacement, 1) => ReadinessValue::Group(ReplacementGroup::Fixable),
                        (Dimension::Replacement, 2) => ReadinessValue::Group(ReplacementGroup::Replace),
                        _ => ReadinessValue::State(state),
                    })
                    .collect();
                Filter::Readiness { dimension, values }
            }),
        number(),
        (select(&OPS[..]), 0..=i64::MAX / 60)
            .prop_map(|(op, minutes)| Filter::NotSeen { op, seconds: minutes * 60 }),
        prop::collection::vec(prop::option::of(1..=u32::MAX), 1..=4)
            .prop_map(|w| Filter::Wave(WaveTest::OneOf(w))),
        (select(&OPS[..]), 1..=u32::MAX).prop_map(|(op, wave)| Filter::Wave(WaveTest::Cmp { op, wave })),
    ]
}

fn number() -> impl Strategy<Value = Filter> {
    let value = |field: NumberField| match field {
        NumberField::Score => (0..=100i64).boxed(),
        NumberField::Ram => {
            prop_oneof![(0..=64i64).prop_map(|g| g << 30), (0..=1i64 << 40), 0..=i64::MAX].boxed()
        }
        _ => prop_oneof![0..=1000i64, 0..=i64::MAX].boxed(),
    };
    const FIELDS: [NumberField; 5] =
        [NumberField::Ram, NumberField::Cores, NumberField::Id, NumberField::Age, NumberField::Score];
    select(&FIELDS[..]).prop_flat_map(move |field| {
        let cmp = (select(&OPS[..]), value(field)).prop_map(move |(op, value)| NumberTest::Cmp { op, value });
        let test = if field == NumberField::Age {
            cmp.boxed()
        } else {
            prop_oneof![cmp, prop::collection::vec(value(field), 1..=4).prop_map(NumberTest::OneOf)].boxed()
        };
        test.prop_map(move |test| Filter::Number { field, test })
    })
}

fn query() -> impl Strategy<Value = Query> {
    prop::collection::vec((any::<bool>(), filter()), 0..=8).prop_map(|terms| Query {
        terms: terms
            .into_iter()
            .map(|(negated, filter)| Term { negated, filter, span: Span::default() })
            .collect(),
    })
}

fn meaning(query: &Query) -> Vec<(bool, Filter)> {
    query.terms.iter().map(|t| (t.negated, t.filter.clone())).collect()
}

/// Whatever `input` is, `parse` answers without panicking; an error points
/// inside (or just past) the query and renders; a query reads back.
fn total(input: &str) -> Result<(), TestCaseError> {
    let len = input.chars().count();
    match parse(input) {
        Err(error) => {
            prop_assert!(error.position <= len, "{error:?}");
            prop_assert!(error.len >= 1);
            prop_assert!(!error.message.is_empty());
            let rendered = error.render(input);
            prop_assert!(rendered.ends_with(&error.message));
            prop_assert_eq!(rendered.lines().count(), 3 + error.message.lines().count() - 1);
        }
        Ok(query) => {
            prop_assert!(query.terms.len() <= MAX_TERMS);
            for term in &query.terms {
                prop_assert!(term.span.start < term.span.end && term.span.end <= len, "{:?}", term.span);
            }
            let canonical = query.to_string();
            if canonical.chars().count() <= MAX_QUERY_CHARS {
                let again = parse(&canonical).map_err(|e| TestCaseError::fail(e.render(&canonical)))?;
                prop_assert_eq!(meaning(&again), meaning(&query));
                prop_assert_eq!(again.to_string(), canonical);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_any_string(input in any::<String>()) {
        total(&input)?;
    }

    #[test]
    fn parse_never_panics_on_near_queries(parts in prop::collection::vec(select(TOKENS), 0..40)) {
        total(&parts.concat())?;
    }

    #[test]
    fn parse_never_panics_on_long_input(input in "[a-z:<>=\", -]{1900,2100}") {
        total(&input)?;
    }

    #[test]
    fn canonical_form_reads_back(query in query()) {
        let canonical = query.to_string();
        prop_assume!(canonical.chars().count() <= MAX_QUERY_CHARS);
        let parsed = parse(&canonical).map_err(|e| TestCaseError::fail(e.render(&canonical)))?;
        prop_assert_eq!(meaning(&parsed), meaning(&query));
        prop_assert_eq!(parsed.to_string(), canonical.clone());
        // Parsed from its canonical form, the very same query, spans included.
        prop_assert_eq!(parse(&parsed.to_string()), Ok(parsed));
    }
}
