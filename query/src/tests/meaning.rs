//! What queries read into, and their canonical form.

use super::*;

#[test]
fn the_example_query() {
    let input = r#"site:MDS-ETAMPES ram<8GB os:"Windows 10" -wifi:ready software:"Lotus Notes" not-seen>14d chassis:laptop wave:3"#;
    let expected = Query {
        terms: vec![
            term(false, text(TextField::Site, &["MDS-ETAMPES"]), 0, 16),
            term(
                false,
                Filter::Number {
                    field: NumberField::Ram,
                    test: NumberTest::Cmp { op: CmpOp::Lt, value: 8 * GIB },
                },
                17,
                24,
            ),
            term(false, text(TextField::Os, &["Windows 10"]), 25, 40),
            term(
                true,
                Filter::Readiness {
                    dimension: Dimension::Wifi,
                    values: vec![ReadinessValue::State(ReadinessState::Ready)],
                },
                41,
                52,
            ),
            term(false, text(TextField::Software, &["Lotus Notes"]), 53, 75),
            term(false, Filter::NotSeen { op: CmpOp::Gt, seconds: 14 * DAY }, 76, 88),
            term(false, Filter::Chassis(vec![Chassis::Laptop]), 89, 103),
            term(false, Filter::Wave(WaveTest::OneOf(vec![Some(3)])), 104, 110),
        ],
    };
    let query = parsed(input);
    assert_eq!(query, expected);
    assert_eq!(query.to_string(), input, "the example is in canonical form");
    assert_eq!(parsed(&query.to_string()), query);
    assert_eq!(
        query.fields(),
        [
            Field::Site,
            Field::Ram,
            Field::Os,
            Field::Wifi,
            Field::Software,
            Field::NotSeen,
            Field::Chassis,
            Field::Wave
        ]
    );
}

#[test]
fn empty_queries_select_everything() {
    for input in ["", " ", "\t\n  "] {
        let query = parsed(input);
        assert!(query.is_empty());
        assert_eq!(query.to_string(), "");
    }
}

#[test]
fn text_fields() {
    assert_eq!(filter("hostname:PC-0042"), text(TextField::Hostname, &["PC-0042"]));
    assert_eq!(filter("serial:5CG1234"), text(TextField::Serial, &["5CG1234"]));
    assert_eq!(filter(r#"model:"EliteBook 840""#), text(TextField::Model, &["EliteBook 840"]));
    assert_eq!(filter("manufacturer:lenovo"), text(TextField::Manufacturer, &["lenovo"]));
    assert_eq!(filter("cpu:i5-8"), text(TextField::Cpu, &["i5-8"]));
    assert_eq!(filter(r#"os:"Windows 11 (23H2)""#), text(TextField::Os, &["Windows 11 (23H2)"]));
    assert_eq!(filter("os:Debian"), text(TextField::Os, &["Debian"]));
    assert_eq!(filter(r#"software:"Lotus Notes""#), text(TextField::Software, &["Lotus Notes"]));
    assert_eq!(filter("user:dupont"), text(TextField::User, &["dupont"]));
    assert_eq!(filter(r#"department:"Action sociale""#), text(TextField::Department, &["Action sociale"]));
    assert_eq!(filter("site:MDS-ETAMPES"), text(TextField::Site, &["MDS-ETAMPES"]));
    assert_eq!(filter("tag:CD91-004512"), text(TextField::Tag, &["CD91-004512"]));
    assert_eq!(TextField::Site.matching(), TextMatch::Exact);
    assert_eq!(TextField::Tag.matching(), TextMatch::Exact);
    assert_eq!(filter("label:pilot"), text(TextField::Label, &["pilot"]));
    assert_eq!(TextField::Label.matching(), TextMatch::Exact);
    assert_eq!(TextField::Os.matching(), TextMatch::Contains);
}

#[test]
fn equals_is_colon() {
    assert_eq!(filter("site=MDS-ETAMPES"), filter("site:MDS-ETAMPES"));
    assert_eq!(filter("cores=4"), filter("cores:4"));
    check("site=MDS-ETAMPES", "site:MDS-ETAMPES");
}

#[test]
fn choice_fields() {
    assert_eq!(
        filter("chassis:laptop,desktop,all-in-one,tablet,server,vm,other,unknown"),
        Filter::Chassis(vec![
            Chassis::Laptop,
            Chassis::Desktop,
            Chassis::AllInOne,
            Chassis::Tablet,
            Chassis::Server,
            Chassis::Vm,
            Chassis::Other,
            Chassis::Unknown
        ])
    );
    assert_eq!(filter("chassis:All_In_One,AIO"), Filter::Chassis(vec![Chassis::AllInOne, Chassis::AllInOne]));
    assert_eq!(
        filter("disk:hdd,ssd,nvme,unknown"),
        Filter::Disk(vec![DiskKind::Hdd, DiskKind::Ssd, DiskKind::Nvme, DiskKind::Unknown])
    );
    assert_eq!(
        filter("status:planned,scheduled,prepared,delivered,done,postponed,cancelled,none"),
        Filter::Status(vec![
            RolloutStatus::Planned,
            RolloutStatus::Scheduled,
            RolloutStatus::Prepared,
            RolloutStatus::Delivered,
            RolloutStatus::Done,
            RolloutStatus::Postponed,
            RolloutStatus::Cancelled,
            RolloutStatus::NotInRollout
        ])
    );
    assert_eq!(
        filter("status:livré,Annulé,canceled"),
        Filter::Status(vec![RolloutStatus::Delivered, RolloutStatus::Cancelled, RolloutStatus::Cancelled])
    );
    assert_eq!(
        filter("teleworker:yes,no,unknown"),
        Filter::Teleworker(vec![Teleworker::Yes, Teleworker::No, Teleworker::Unknown])
    );
    assert_eq!(
        filter("teleworker:TRUE,oui,false,non"),
        Filter::Teleworker(vec![Teleworker::Yes, Teleworker::Yes, Teleworker::No, Teleworker::No])
    );
    check("Chassis:LAPTOP,aio", "chassis:laptop,all-in-one");
    check("status:fait", "status:done");
    check("teleworker:oui", "teleworker:yes");
}

#[test]
fn readiness_fields() {
    use ReadinessState::*;
    let readiness =
        |dimension, values: &[ReadinessValue]| Filter::Readiness { dimension, values: values.to_vec() };
    let states =
        [ReadinessValue::State(Ready), ReadinessValue::State(NotReady), ReadinessValue::State(Unknown)];
    for dimension in Dimension::ALL {
        let input = format!("{dimension}:ready,not-ready,unknown");
        assert_eq!(filter(&input), readiness(dimension, &states), "{input}");
        assert_eq!(dimension.field().kind(), FieldKind::Readiness);
    }
    let not_ready = [ReadinessValue::State(NotReady)];
    assert_eq!(filter("wifi:not_ready"), readiness(Dimension::Wifi, &not_ready));
    assert_eq!(filter("wifi:notready"), readiness(Dimension::Wifi, &not_ready));
    assert_eq!(filter("WIFI:Not-Ready"), readiness(Dimension::Wifi, &not_ready));
    assert_eq!(
        filter("replacement:fixable,replace,ready"),
        readiness(
            Dimension::Replacement,
            &[
                ReadinessValue::Group(ReplacementGroup::Fixable),
                ReadinessValue::Group(ReplacementGroup::Replace),
                ReadinessValue::State(Ready)
            ]
        )
    );
    check("wifi:not_ready,unknown", "wifi:not-ready,unknown");
    check("replacement:replace", "replacement:replace");
}

#[test]
fn number_fields() {
    let cmp = |field, op, value| Filter::Number { field, test: NumberTest::Cmp { op, value } };
    let one_of = |field, values: &[i64]| Filter::Number { field, test: NumberTest::OneOf(values.to_vec()) };
    assert_eq!(filter("ram<8GB"), cmp(NumberField::Ram, CmpOp::Lt, 8 * GIB));
    assert_eq!(filter("ram<=8G"), cmp(NumberField::Ram, CmpOp::Le, 8 * GIB));
    assert_eq!(filter("ram>8GiB"), cmp(NumberField::Ram, CmpOp::Gt, 8 * GIB));
    assert_eq!(filter("ram>=512MB"), cmp(NumberField::Ram, CmpOp::Ge, 512 << 20));
    assert_eq!(filter("ram:8GB,16GB"), one_of(NumberField::Ram, &[8 * GIB, 16 * GIB]));
    assert_eq!(filter(r#"ram<"8 GB""#), cmp(NumberField::Ram, CmpOp::Lt, 8 * GIB));
    assert_eq!(filter("cores>=4"), cmp(NumberField::Cores, CmpOp::Ge, 4));
    assert_eq!(filter("cores:2,4"), one_of(NumberField::Cores, &[2, 4]));
    assert_eq!(filter("id:1042"), one_of(NumberField::Id, &[1042]));
    assert_eq!(filter("id>1000"), cmp(NumberField::Id, CmpOp::Gt, 1000));
    assert_eq!(filter("score>=80"), cmp(NumberField::Score, CmpOp::Ge, 80));
    assert_eq!(filter("score:0,100"), one_of(NumberField::Score, &[0, 100]));
    assert_eq!(filter("age>5"), cmp(NumberField::Age, CmpOp::Gt, 50));
    assert_eq!(filter("age<4.5"), cmp(NumberField::Age, CmpOp::Lt, 45));
    assert_eq!(filter("age<=5y"), cmp(NumberField::Age, CmpOp::Le, 50));
    assert_eq!(filter("age:5y"), cmp(NumberField::Age, CmpOp::Ge, 50), "age: means at least");
    // GitHub's spelling.
    assert_eq!(filter("ram:<8GB"), filter("ram<8GB"));
    assert_eq!(filter("cores:>=4"), filter("cores>=4"));
    check("RAM<8gib", "ram<8GB");
    check("ram<1.5GB", "ram<1536MB");
    check("ram:8GB,16Go", "ram:8GB,16GB");
    check("age:4.5", "age>=4.5y");
    check("cores:>4", "cores>4");
}

#[test]
fn not_seen() {
    let not_seen = |op, seconds| Filter::NotSeen { op, seconds };
    assert_eq!(filter("not-seen>14d"), not_seen(CmpOp::Gt, 14 * DAY));
    assert_eq!(filter("not-seen:14d"), not_seen(CmpOp::Ge, 14 * DAY));
    assert_eq!(filter("not-seen>=2w"), not_seen(CmpOp::Ge, 14 * DAY));
    assert_eq!(filter("not-seen<1d"), not_seen(CmpOp::Lt, DAY));
    assert_eq!(filter("not-seen<=12h"), not_seen(CmpOp::Le, 12 * 3600));
    assert_eq!(filter("not_seen>30m"), not_seen(CmpOp::Gt, 1800));
    assert_eq!(filter("Not_Seen>30M"), not_seen(CmpOp::Gt, 1800));
    check("not_seen:2w", "not-seen>=14d");
    check("not-seen>36h", "not-seen>36h");
    check("not-seen<90m", "not-seen<90m");
}

#[test]
fn waves() {
    assert_eq!(filter("wave:3"), Filter::Wave(WaveTest::OneOf(vec![Some(3)])));
    assert_eq!(filter("wave:none"), Filter::Wave(WaveTest::OneOf(vec![None])));
    assert_eq!(filter("wave:1,2,NONE"), Filter::Wave(WaveTest::OneOf(vec![Some(1), Some(2), None])));
    assert_eq!(filter("wave>2"), Filter::Wave(WaveTest::Cmp { op: CmpOp::Gt, wave: 2 }));
    assert_eq!(filter("wave<=3"), Filter::Wave(WaveTest::Cmp { op: CmpOp::Le, wave: 3 }));
    check("wave:None,4", "wave:none,4");
    check("-wave:none", "-wave:none");
}

#[test]
fn free_text() {
    assert_eq!(filter("PC-0042"), Filter::FreeText("PC-0042".into()));
    assert_eq!(filter(r#""Jean Dupont""#), Filter::FreeText("Jean Dupont".into()));
    assert_eq!(filter("8GB"), Filter::FreeText("8GB".into()), "a word that is not a field term");
    assert_eq!(filter("a,b"), Filter::FreeText("a,b".into()), "no alternatives in free text");
    assert_eq!(filter("http//x:y"), Filter::FreeText("http//x:y".into()));
    assert_eq!(filter(r#""os:Windows""#), Filter::FreeText("os:Windows".into()));
    check("pc-0042", "pc-0042");
    check(r#""Jean Dupont""#, r#""Jean Dupont""#);
    check("x/y:z", r#""x/y:z""#);
}

#[test]
fn negation() {
    let query = parsed(r#"-wifi:ready -"Lotus Notes" -PC-0042 --x site:A"#);
    let negated: Vec<bool> = query.terms.iter().map(|t| t.negated).collect();
    assert_eq!(negated, [true, true, true, true, false]);
    assert_eq!(query.terms[1].filter, Filter::FreeText("Lotus Notes".into()));
    assert_eq!(query.terms[2].filter, Filter::FreeText("PC-0042".into()));
    assert_eq!(query.terms[3].filter, Filter::FreeText("-x".into()));
    assert_eq!(query.terms[0].span, Span { start: 0, end: 11 });
    check(r#"-wifi:ready -"Lotus Notes" --x"#, r#"-wifi:ready -"Lotus Notes" -"-x""#);
    check(r#""-x""#, r#""-x""#);
}

#[test]
fn quotes_and_escapes() {
    assert_eq!(filter(r#"software:"say \"hi\"""#), text(TextField::Software, &[r#"say "hi""#]));
    assert_eq!(filter(r#"software:"back\\slash""#), text(TextField::Software, &[r"back\slash"]));
    assert_eq!(filter(r#"software:"C:\Program Files""#), text(TextField::Software, &[r"C:\Program Files"]));
    assert_eq!(filter(r#"software:"\"x""#), text(TextField::Software, &[r#""x"#]));
    assert_eq!(filter(r#"site:"A,B""#), text(TextField::Site, &["A,B"]), "a comma in quotes is a comma");
    assert_eq!(filter("os:\"Windows\t10\""), text(TextField::Os, &["Windows\t10"]));
    assert_eq!(filter(r#"os:"Windows 10","Windows 11""#), text(TextField::Os, &["Windows 10", "Windows 11"]));
    assert_eq!(filter(r#"os:"Windows 10",Debian"#), text(TextField::Os, &["Windows 10", "Debian"]));
    check(r#"software:"say \"hi\"""#, r#"software:"say \"hi\"""#);
    check(r#"software:"C:\Program Files""#, r#"software:"C:\\Program Files""#);
    check(r#"site:"MDS-ETAMPES""#, "site:MDS-ETAMPES");
    check(r#"site:"A,B",C"#, r#"site:"A,B",C"#);
    check("hostname:a=b", r#"hostname:"a=b""#);
}

#[test]
fn alternatives() {
    assert_eq!(filter("site:A,B,C"), text(TextField::Site, &["A", "B", "C"]));
    assert_eq!(filter("chassis:laptop,desktop"), Filter::Chassis(vec![Chassis::Laptop, Chassis::Desktop]));
    let sixteen = (1..=16).map(|n| n.to_string()).collect::<Vec<_>>().join(",");
    let query = parsed(&format!("id:{sixteen}"));
    assert_eq!(
        query.terms[0].filter,
        Filter::Number { field: NumberField::Id, test: NumberTest::OneOf((1..=16).collect()) }
    );
}

#[test]
fn field_names_ignore_case_and_dashes() {
    for input in ["not-seen>1d", "not_seen>1d", "NOT_SEEN>1d", "Not-Seen>1d"] {
        assert_eq!(filter(input), Filter::NotSeen { op: CmpOp::Gt, seconds: DAY }, "{input}");
    }
    check("HOSTNAME:PC-1", "hostname:PC-1");
}

#[test]
fn spans_count_characters_not_bytes() {
    let query = parsed("département  user:Hélène");
    assert_eq!(query.terms[0].span, Span { start: 0, end: 11 });
    assert_eq!(query.terms[1].span, Span { start: 13, end: 24 });
    check_err(
        "département rm<1",
        ErrorKind::UnknownField,
        12,
        2,
        &format!("unknown field 'rm': expected one of {}; did you mean 'ram'?", field_names()),
    );
}

#[test]
fn canonical_form_reads_back_exactly() {
    for input in [
        r#"site:MDS-ETAMPES ram<8GB os:"Windows 10" -wifi:ready software:"Lotus Notes" not-seen>14d chassis:laptop wave:3"#,
        "replacement:fixable,replace score>=80 age>=4.5y",
        r#"-"Lotus Notes" tag:"A B" status:none teleworker:unknown"#,
    ] {
        let query = parsed(input);
        assert_eq!(query.to_string(), input);
        assert_eq!(parsed(&query.to_string()), query, "spans included");
    }
}
