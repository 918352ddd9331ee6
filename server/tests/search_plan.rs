//! The query language's `wave:` and `status:` terms, and the issue's whole
//! example query, over real gRPC on a real database file: a small fleet
//! built by hand (each PC differs from the target in one term), a plan
//! published and statuses set through the API, and each query's answer
//! compared with the set the plan's own export and the fixture give.

use crate::util::{import_sites, inventory, TestServer};
use parc_model::{ChassisKind, Inventory, SoftwarePackage};
use parc_proto::pb;
use parc_server::storage::Report;
use std::collections::{BTreeMap, BTreeSet};

const SITES: &str = "code;name;kind;address;wan_link;fibre;wifi;subnets\n\
    MDS-ETAMPES;MDS d'Étampes;MDS;Étampes;copper;none;none;10.20.0.0/16\n\
    SIEGE;Hôtel du Département;siège;Évry;ftto;live;live;10.1.0.0/16\n";

/// Six waves of two PCs: twelve of the fourteen PCs are planned.
const SPEC: &str = "start = \"2027-01-04\"\nwaves = 6\ncapacity = 2\n\
    [select]\ngroups = [\"replace\", \"fixable\", \"unknown\", \"ready\"]\n";

/// The issue's example query, as docs/query.md gives it.
const EXAMPLE: &str = "site:MDS-ETAMPES ram<8GB os:\"Windows 10\" -wifi:ready software:\"Lotus Notes\" \
    not-seen>14d chassis:laptop wave:3";

const DAY: i64 = 86_400;

/// What makes a control PC differ from the example's target.
type Change = fn(&mut Inventory);

/// A PC as the example query wants it (an old Windows 10 laptop with 4 GB
/// and Lotus Notes at MDS-ETAMPES), then changed by `change`.
fn pc(name: &str, n: u8, change: impl FnOnce(&mut Inventory)) -> Inventory {
    let mut pc = inventory(name, &format!("{n:0>32}"));
    if let Some(system) = pc.system.as_mut() {
        system.chassis = ChassisKind::Laptop;
        system.serial_number = format!("SN-{name}");
    }
    if let Some(os) = pc.os.as_mut() {
        os.name = "Windows 10 Pro".into();
        os.version = "22H2".into();
    }
    if let Some(memory) = pc.memory.as_mut() {
        memory.total_bytes = 4 << 30;
        memory.modules.truncate(1);
        if let Some(module) = memory.modules.first_mut() {
            module.size_bytes = 4 << 30;
        }
    }
    let software = pc.software.get_or_insert_with(Vec::new);
    software.retain(|p| !p.name.contains("Lotus"));
    software.push(SoftwarePackage {
        name: "Lotus Notes".into(),
        version: "9.0.1".into(),
        ..Default::default()
    });
    set_address(&mut pc, &format!("10.20.0.{n}"));
    change(&mut pc);
    pc
}

fn set_address(pc: &mut Inventory, address: &str) {
    for interface in pc.network_interfaces.iter_mut().flatten() {
        interface.addresses = vec![format!("{address}/16")];
    }
}

/// Every device the query selects, through pages of 3.
async fn query(server: &TestServer, text: &str) -> BTreeSet<u64> {
    let mut fleet = server.fleet().await;
    let mut found = BTreeSet::new();
    let mut page_token = String::new();
    loop {
        let page = fleet
            .list_devices(pb::ListDevicesRequest {
                page_size: 3,
                page_token,
                query: text.into(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("{text}: {status}"))
            .into_inner();
        found.extend(page.devices.iter().map(|d| d.id));
        if page.next_page_token.is_empty() {
            return found;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test]
async fn wave_and_status_terms_and_the_issues_example_follow_the_published_plan() {
    let server = TestServer::start().await;
    let now = parc_server::now_unix();
    let mut fleet = server.fleet().await;
    import_sites(&mut fleet, SITES).await;

    // Eight PCs the example's other terms select, then one PC per term
    // that differs from them in that term alone.
    let mut pcs: Vec<(Inventory, i64)> =
        (0..8).map(|i| (pc(&format!("MATCH-{i}"), i, |_| ()), now - 20 * DAY)).collect();
    let controls: [(&str, Change); 5] = [
        ("CTRL-DESKTOP", |pc| pc.system.as_mut().unwrap().chassis = ChassisKind::Desktop),
        ("CTRL-16GB", |pc| pc.memory.as_mut().unwrap().total_bytes = 16 << 30),
        ("CTRL-WIN11", |pc| pc.os.as_mut().unwrap().name = "Windows 11 Pro".into()),
        ("CTRL-NO-NOTES", |pc| pc.software.as_mut().unwrap().retain(|p| p.name != "Lotus Notes")),
        ("CTRL-SIEGE", |pc| set_address(pc, "10.1.0.9")),
    ];
    for (i, (name, change)) in controls.into_iter().enumerate() {
        pcs.push((pc(name, 20 + i as u8, change), now - 20 * DAY));
    }
    // Reported an hour ago: not silent for 14 days.
    pcs.push((pc("CTRL-FRESH", 30, |_| ()), now - 3600));

    // Stored as the server stores an agent's report, stamped with the time
    // it came: an agent's report through gRPC is always stamped now.
    let mut by_name = BTreeMap::new();
    for (pc, received_at) in pcs {
        let key = format!("key-{}", pc.hostname);
        let id = server.storage.enroll(&pc.machine_id, &pc.hostname, &key, received_at).unwrap();
        by_name.insert(pc.hostname.clone(), id);
        let outcome = server.storage.record_report(Report::full(&key, 1, pc, received_at)).unwrap();
        assert_eq!(outcome.device_id(), Some(id));
    }
    let all: BTreeSet<u64> = by_name.values().copied().collect();
    assert_eq!(query(&server, "").await, all);
    let matching: BTreeSet<u64> =
        by_name.iter().filter(|(name, _)| name.starts_with("MATCH-")).map(|(_, id)| *id).collect();
    // Each control is left out by its term alone.
    assert_eq!(
        query(&server, &EXAMPLE.replace(" wave:3", "")).await,
        matching,
        "the example without its wave term"
    );

    // A plan published; which wave holds whom is read from its export.
    let plan =
        pb::PlanWavesRequest { spec_toml: SPEC.into(), spec_file: "spec.toml".into(), ..Default::default() };
    fleet.plan_waves(plan).await.unwrap();
    fleet.publish_plan(pb::PublishPlanRequest { id: 1 }).await.unwrap();
    let mut rows = fleet.export_waves(pb::ExportWavesRequest::default()).await.unwrap().into_inner();
    let mut waves: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
    while let Some(chunk) = rows.message().await.unwrap() {
        for row in chunk.rows {
            waves.entry(row.wave).or_default().insert(row.device_id);
        }
    }
    assert_eq!(waves.keys().copied().collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6], "{waves:?}");
    assert!(waves.values().all(|w| w.len() == 2), "{waves:?}");
    let planned: BTreeSet<u64> = waves.values().flatten().copied().collect();
    let unplanned: BTreeSet<u64> = all.difference(&planned).copied().collect();
    assert_eq!(unplanned.len(), 2);
    let wave = |n: u32| waves[&n].clone();
    let union =
        |sets: &[&BTreeSet<u64>]| sets.iter().flat_map(|s| s.iter().copied()).collect::<BTreeSet<u64>>();

    assert_eq!(query(&server, "wave:1").await, wave(1));
    assert_eq!(query(&server, "wave:2").await, wave(2));
    assert_eq!(query(&server, "wave:1,3").await, union(&[&wave(1), &wave(3)]));
    assert_eq!(query(&server, "wave<=2").await, union(&[&wave(1), &wave(2)]));
    assert_eq!(query(&server, "wave>4").await, union(&[&wave(5), &wave(6)]));
    assert_eq!(query(&server, "wave:none").await, unplanned);
    assert_eq!(query(&server, "-wave:none").await, planned);
    assert_eq!(query(&server, "-wave:1").await, all.difference(&wave(1)).copied().collect());

    // Statuses: one PC of wave 1 done, one of wave 2 scheduled.
    let done = *wave(1).first().unwrap();
    let scheduled = *wave(2).first().unwrap();
    for (device, status) in [(done, "done"), (scheduled, "scheduled")] {
        fleet
            .set_rollout_status(pb::SetRolloutStatusRequest {
                device: device.to_string(),
                status: status.into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let still_planned: BTreeSet<u64> =
        planned.iter().copied().filter(|id| ![done, scheduled].contains(id)).collect();
    assert_eq!(query(&server, "status:planned").await, still_planned);
    assert_eq!(query(&server, "status:done").await, BTreeSet::from([done]));
    assert_eq!(query(&server, "status:fait").await, BTreeSet::from([done]), "the technicians' word");
    assert_eq!(query(&server, "status:scheduled,done").await, BTreeSet::from([done, scheduled]));
    assert_eq!(
        query(&server, "-status:done").await,
        all.difference(&BTreeSet::from([done])).copied().collect()
    );
    assert_eq!(query(&server, "status:none").await, unplanned);
    assert_eq!(
        query(&server, "wave:1 -status:done").await,
        wave(1).difference(&BTreeSet::from([done])).copied().collect()
    );
    // With a term only the readiness scan answers, the same sets.
    assert_eq!(
        query(&server, "site:MDS-ETAMPES status:planned").await,
        still_planned.difference(&BTreeSet::from([by_name["CTRL-SIEGE"]])).copied().collect()
    );

    // The issue's example, whole: the PCs of wave 3 that match the rest.
    let expected: BTreeSet<u64> = matching.intersection(&wave(3)).copied().collect();
    assert!(!expected.is_empty(), "wave 3 holds a matching PC: {waves:?}, matching {matching:?}");
    assert_eq!(query(&server, EXAMPLE).await, expected);
    let mut other_waves = all.difference(&wave(3)).copied().collect::<BTreeSet<u64>>();
    other_waves.retain(|id| matching.contains(id));
    assert_eq!(query(&server, &EXAMPLE.replace("wave:3", "-wave:3")).await, other_waves);
}
