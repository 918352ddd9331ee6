//! The schema, as an append-only list of migrations. `PRAGMA user_version`
//! holds how many have been applied. Never edit a migration that has
//! shipped: add a new one.

use super::StorageError;
use rusqlite::Transaction;

/// A data move run inside a migration's transaction.
pub type DataMove = fn(&Transaction<'_>) -> Result<(), StorageError>;

pub struct Migration {
    pub sql: &'static str,
    /// Data moves SQL cannot express, run in the same transaction after `sql`.
    pub then: Option<DataMove>,
}

pub const MIGRATIONS: &[Migration] = &[
    // 1: enrolled devices, their summary and their latest inventory.
    Migration {
        sql: r#"
    CREATE TABLE devices (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        machine_id      TEXT    NOT NULL,
        hostname        TEXT    NOT NULL,
        node_key_hash   TEXT    NOT NULL UNIQUE,
        enrolled_at     INTEGER NOT NULL,
        revoked_at      INTEGER,
        last_seen_at    INTEGER,
        last_sequence   INTEGER NOT NULL DEFAULT 0,
        os_name         TEXT    NOT NULL DEFAULT '',
        os_version      TEXT    NOT NULL DEFAULT '',
        manufacturer    TEXT    NOT NULL DEFAULT '',
        model           TEXT    NOT NULL DEFAULT '',
        chassis         TEXT    NOT NULL DEFAULT 'unknown',
        cpu_model       TEXT    NOT NULL DEFAULT '',
        cpu_cores       INTEGER NOT NULL DEFAULT 0,
        ram_bytes       INTEGER NOT NULL DEFAULT 0,
        system_storage  TEXT    NOT NULL DEFAULT 'unknown',
        serial_number   TEXT    NOT NULL DEFAULT ''
    );
    CREATE INDEX devices_machine_id ON devices (machine_id);
    CREATE INDEX devices_hostname ON devices (hostname COLLATE NOCASE);

    CREATE TABLE inventories (
        device_id       INTEGER PRIMARY KEY REFERENCES devices (id),
        received_at     INTEGER NOT NULL,
        sequence        INTEGER NOT NULL,
        inventory_json  TEXT    NOT NULL
    );
    "#,
        then: None,
    },
    // 2: the inventory normalised: one row per device and section holding
    // its hash and wire encoding, software in a shared catalogue with a link
    // table, and the history of changes. Version 1's JSON inventories are
    // moved over, then dropped.
    Migration {
        sql: r#"
    ALTER TABLE devices ADD COLUMN smbios_uuid TEXT NOT NULL DEFAULT '';
    ALTER TABLE devices ADD COLUMN agent_version TEXT NOT NULL DEFAULT '';
    ALTER TABLE devices ADD COLUMN collected_at INTEGER;
    ALTER TABLE devices ADD COLUMN resync_requested INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX devices_serial_number ON devices (serial_number) WHERE serial_number <> '';
    CREATE INDEX devices_smbios_uuid ON devices (smbios_uuid) WHERE smbios_uuid <> '';
    CREATE INDEX devices_seen ON devices (coalesce(last_seen_at, enrolled_at));

    CREATE TABLE device_sections (
        device_id       INTEGER NOT NULL REFERENCES devices (id),
        section         INTEGER NOT NULL,
        hash            BLOB,
        content         BLOB,
        unknown_reason  TEXT,
        changed_at      INTEGER NOT NULL,
        PRIMARY KEY (device_id, section)
    ) WITHOUT ROWID;

    CREATE TABLE software (
        id              INTEGER PRIMARY KEY,
        name            TEXT    NOT NULL,
        version         TEXT    NOT NULL,
        publisher       TEXT    NOT NULL,
        architecture    TEXT    NOT NULL,
        UNIQUE (name, version, publisher, architecture)
    );

    -- Who has each package: the link table, compressed. Devices go by
    -- blocks of 64 ids, and each row holds the bitmap of the block's devices
    -- that have the package (bit n: device 64 * block + n). Keyed by block
    -- first: the reports of one transaction come from a few blocks, so their
    -- changes land on a few pages instead of one page per package, and the
    -- table's working set stays small however large the fleet. "Who has
    -- Lotus Notes" seeks (block, package) for each block: a few thousand
    -- seeks for 100,000 PCs. A device's own list, with where each package
    -- was found and when it was installed, is packed in its software
    -- section (storage/software.rs). No foreign keys: the writer is the only
    -- author, and neither catalogue rows nor devices are ever deleted.
    CREATE TABLE software_devices (
        block           INTEGER NOT NULL,
        software_id     INTEGER NOT NULL,
        devices         INTEGER NOT NULL,
        PRIMARY KEY (block, software_id)
    ) WITHOUT ROWID;

    CREATE TABLE history (
        id              INTEGER PRIMARY KEY,
        device_id       INTEGER NOT NULL REFERENCES devices (id),
        at              INTEGER NOT NULL,
        section         INTEGER NOT NULL,
        kind            INTEGER NOT NULL,
        subject         TEXT    NOT NULL,
        before          TEXT    NOT NULL,
        after           TEXT    NOT NULL
    );
    CREATE INDEX history_by_device ON history (device_id, at);
    "#,
        then: Some(super::ingest::move_v1_inventories),
    },
    // 3: what agents cannot know. Sites (their WAN link and the fibre and
    // Wi-Fi rollouts) with the history of every change, the asset register
    // joined on serial numbers, manual site assignments, and the daily
    // readiness counts behind `parc readiness --trend`.
    Migration {
        sql: r#"
    CREATE TABLE sites (
        code             TEXT    PRIMARY KEY,
        name             TEXT    NOT NULL,
        kind             TEXT    NOT NULL,
        address          TEXT    NOT NULL,
        wan_link         TEXT    NOT NULL,
        down_mbps        INTEGER NOT NULL,
        up_mbps          INTEGER NOT NULL,
        fibre            TEXT    NOT NULL,
        wifi             TEXT    NOT NULL,
        subnets          TEXT    NOT NULL,
        technician_group TEXT    NOT NULL,
        updated_at       INTEGER NOT NULL
    );
    CREATE TABLE site_changes (
        id               INTEGER PRIMARY KEY,
        site_code        TEXT    NOT NULL REFERENCES sites (code),
        at               INTEGER NOT NULL,
        field            TEXT    NOT NULL,
        before           TEXT    NOT NULL,
        after            TEXT    NOT NULL,
        source           TEXT    NOT NULL
    );
    CREATE INDEX site_changes_by_site ON site_changes (site_code, at);

    CREATE TABLE assets (
        serial_key       TEXT    PRIMARY KEY,
        asset_tag        TEXT    NOT NULL,
        purchase_day     INTEGER,
        warranty_end_day INTEGER,
        assigned_user    TEXT    NOT NULL,
        department       TEXT    NOT NULL,
        teleworker       INTEGER,
        imported_at      INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE device_sites (
        device_id        INTEGER PRIMARY KEY REFERENCES devices (id),
        site_code        TEXT    NOT NULL REFERENCES sites (code),
        assigned_at      INTEGER NOT NULL
    );

    CREATE TABLE readiness_daily (
        day              INTEGER NOT NULL,
        site_code        TEXT    NOT NULL,
        dimension        TEXT    NOT NULL,
        ready            INTEGER NOT NULL,
        not_ready        INTEGER NOT NULL,
        unknown          INTEGER NOT NULL,
        PRIMARY KEY (day, site_code, dimension)
    ) WITHOUT ROWID;
    "#,
        then: None,
    },
    // 4: wave plans (drafts and published versions, each device's wave
    // and reason) and the rollout status of each device, with its history.
    Migration {
        sql: r#"
    CREATE TABLE plans (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        state            TEXT    NOT NULL CHECK (state IN ('draft', 'published', 'superseded')),
        created_at       INTEGER NOT NULL,
        published_at     INTEGER,
        based_on         INTEGER REFERENCES plans (id),
        spec             TEXT    NOT NULL,
        summary          TEXT    NOT NULL
    );

    CREATE TABLE plan_devices (
        plan_id          INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
        device_id        INTEGER NOT NULL,
        wave             INTEGER NOT NULL,
        position         INTEGER NOT NULL,
        site_code        TEXT    NOT NULL,
        class            TEXT    NOT NULL,
        reason           TEXT    NOT NULL,
        fixed            INTEGER NOT NULL,
        PRIMARY KEY (plan_id, device_id)
    ) WITHOUT ROWID;
    CREATE INDEX plan_devices_by_wave ON plan_devices (plan_id, wave, position);

    CREATE TABLE rollout_status (
        device_id        INTEGER PRIMARY KEY,
        status           TEXT    NOT NULL,
        reason           TEXT    NOT NULL,
        wave             INTEGER,
        updated_at       INTEGER NOT NULL,
        source           TEXT    NOT NULL
    );

    CREATE TABLE rollout_events (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id        INTEGER NOT NULL,
        at               INTEGER NOT NULL,
        previous         TEXT    NOT NULL,
        status           TEXT    NOT NULL,
        reason           TEXT    NOT NULL,
        wave             INTEGER,
        technician       TEXT    NOT NULL,
        source           TEXT    NOT NULL
    );
    CREATE INDEX rollout_events_by_device ON rollout_events (device_id, at);
    "#,
        then: None,
    },
    // 5: who may ask what, and who changed what. API tokens by the SHA-256
    // of their secret (never the secret), and the audit log of every change
    // made through the API, written in the change's own transaction.
    Migration {
        sql: r#"
    CREATE TABLE tokens (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        name             TEXT    NOT NULL,
        role             TEXT    NOT NULL CHECK (role IN ('viewer', 'planner', 'admin')),
        hash             TEXT    NOT NULL UNIQUE,
        created_at       INTEGER NOT NULL,
        created_by       TEXT    NOT NULL,
        revoked_at       INTEGER
    );
    CREATE UNIQUE INDEX tokens_live_name ON tokens (name COLLATE NOCASE) WHERE revoked_at IS NULL;

    CREATE TABLE audit (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        at               INTEGER NOT NULL,
        actor            TEXT    NOT NULL,
        role             TEXT    NOT NULL,
        token_id         INTEGER,
        action           TEXT    NOT NULL,
        target           TEXT    NOT NULL,
        detail           TEXT    NOT NULL
    );
    CREATE INDEX audit_by_time ON audit (at);
    "#,
        then: None,
    },
    // 6: the labels each agent reports (agent.toml `labels`, the MSI's
    // TAGS), joined by commas.
    Migration {
        sql: r#"
    ALTER TABLE devices ADD COLUMN labels TEXT NOT NULL DEFAULT '';
    "#,
        then: None,
    },
    // 7: the section content last. Each report reads every section's hash
    // and unknown flag; with the content before them, a row whose content
    // spilled into overflow pages (the software list) had those pages read
    // to reach the flag.
    Migration {
        sql: r#"
    CREATE TABLE device_sections_new (
        device_id       INTEGER NOT NULL REFERENCES devices (id),
        section         INTEGER NOT NULL,
        hash            BLOB,
        unknown_reason  TEXT,
        changed_at      INTEGER NOT NULL,
        content         BLOB,
        PRIMARY KEY (device_id, section)
    ) WITHOUT ROWID;
    INSERT INTO device_sections_new (device_id, section, hash, unknown_reason, changed_at, content)
        SELECT device_id, section, hash, unknown_reason, changed_at, content FROM device_sections;
    DROP TABLE device_sections;
    ALTER TABLE device_sections_new RENAME TO device_sections;
    "#,
        then: None,
    },
    // 8: server settings changed through the API, one row each, with who
    // set them and when: the readiness policy `parc policy set` stores.
    Migration {
        sql: r#"
    CREATE TABLE settings (
        name             TEXT    PRIMARY KEY,
        value            TEXT    NOT NULL,
        source           TEXT    NOT NULL,
        set_by           TEXT    NOT NULL,
        set_at           INTEGER NOT NULL
    );
    "#,
        then: None,
    },
    // 9: every device a plan leaves out, with why: the plan's record lists
    // the first thousand; `parc waves export --left-out` streams them all.
    Migration {
        sql: r#"
    CREATE TABLE plan_left_out (
        plan_id          INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
        device_id        INTEGER NOT NULL,
        position         INTEGER NOT NULL,
        site_code        TEXT    NOT NULL,
        class            TEXT    NOT NULL,
        reason           TEXT    NOT NULL,
        PRIMARY KEY (plan_id, device_id)
    ) WITHOUT ROWID;
    CREATE INDEX plan_left_out_in_order ON plan_left_out (plan_id, position);
    "#,
        then: None,
    },
    // 10: the link table by blocks of 512 devices, in eight 64-bit words,
    // rather than one row per block of 64. A block of 64 PCs holds thousands
    // of distinct packages between them (the long tail), so a full report
    // upserted about 125 rows; eight times wider blocks cut the rows a
    // transaction writes by about five, and the words a row leaves at zero
    // cost no bytes. Each old row becomes one word of a new one.
    Migration {
        sql: r#"
    CREATE TABLE software_devices_new (
        block           INTEGER NOT NULL,
        software_id     INTEGER NOT NULL,
        w0              INTEGER NOT NULL DEFAULT 0,
        w1              INTEGER NOT NULL DEFAULT 0,
        w2              INTEGER NOT NULL DEFAULT 0,
        w3              INTEGER NOT NULL DEFAULT 0,
        w4              INTEGER NOT NULL DEFAULT 0,
        w5              INTEGER NOT NULL DEFAULT 0,
        w6              INTEGER NOT NULL DEFAULT 0,
        w7              INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (block, software_id)
    ) WITHOUT ROWID;
    INSERT INTO software_devices_new (block, software_id, w0, w1, w2, w3, w4, w5, w6, w7)
        SELECT block / 8, software_id,
            sum(CASE block % 8 WHEN 0 THEN devices ELSE 0 END),
            sum(CASE block % 8 WHEN 1 THEN devices ELSE 0 END),
            sum(CASE block % 8 WHEN 2 THEN devices ELSE 0 END),
            sum(CASE block % 8 WHEN 3 THEN devices ELSE 0 END),
            sum(CASE block % 8 WHEN 4 THEN devices ELSE 0 END),
            sum(CASE block % 8 WHEN 5 THEN devices ELSE 0 END),
            sum(CASE block % 8 WHEN 6 THEN devices ELSE 0 END),
            sum(CASE block % 8 WHEN 7 THEN devices ELSE 0 END)
        FROM software_devices GROUP BY block / 8, software_id ORDER BY block / 8, software_id;
    DROP TABLE software_devices;
    ALTER TABLE software_devices_new RENAME TO software_devices;
    "#,
        then: None,
    },
    // 11: the blocks of the link table whose rows may lack changes the
    // writer holds in memory. Under load the writer merges the link changes
    // of several transactions before writing them (storage/software.rs);
    // each transaction notes here the blocks it left unwritten, so that a
    // crash loses nothing: on open, those blocks are rebuilt from the
    // devices' software sections.
    Migration {
        sql: r#"
    CREATE TABLE link_pending (
        block            INTEGER PRIMARY KEY
    );
    "#,
        then: None,
    },
];

/// The schema version this build writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;
    use rusqlite::Connection;

    fn migrate_to(db: &mut Connection, version: usize) {
        let from: usize = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        for (index, migration) in MIGRATIONS.iter().enumerate().take(version).skip(from) {
            let tx = db.transaction().unwrap();
            tx.execute_batch(migration.sql).unwrap();
            if let Some(then) = migration.then {
                then(&tx).unwrap();
            }
            tx.pragma_update(None, "user_version", index + 1).unwrap();
            tx.commit().unwrap();
        }
    }

    #[test]
    fn migration_10_moves_every_link_bit_into_the_wider_blocks() {
        let mut db = Connection::open_in_memory().unwrap();
        migrate_to(&mut db, 9);
        // Blocks of 64: device 64 * block + bit. Bit 63 makes a negative word.
        let old: &[(i64, i64, i64)] = &[
            (0, 7, 0b101),    // devices 0 and 2
            (1, 7, 1),        // device 64
            (7, 7, i64::MIN), // device 511
            (8, 7, 1 << 5),   // device 517, block 1 of the new table
            (3, 9, -1),       // devices 192 to 255
            (15, 9, 1 << 62), // device 1022
        ];
        for (block, software_id, devices) in old {
            db.execute(
                "INSERT INTO software_devices (block, software_id, devices) VALUES (?1, ?2, ?3)",
                [block, software_id, devices],
            )
            .unwrap();
        }
        migrate_to(&mut db, 10);
        let rows: Vec<(i64, i64, [i64; 8])> = db
            .prepare("SELECT block, software_id, w0, w1, w2, w3, w4, w5, w6, w7 FROM software_devices")
            .unwrap()
            .query_map([], |row| {
                let mut words = [0; 8];
                for (i, word) in words.iter_mut().enumerate() {
                    *word = row.get(2 + i)?;
                }
                Ok((row.get(0)?, row.get(1)?, words))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (0, 7, [0b101, 1, 0, 0, 0, 0, 0, i64::MIN]),
                (0, 9, [0, 0, 0, -1, 0, 0, 0, 0]),
                (1, 7, [1 << 5, 0, 0, 0, 0, 0, 0, 0]),
                (1, 9, [0, 0, 0, 0, 0, 0, 0, 1 << 62]),
            ]
        );
    }
}
