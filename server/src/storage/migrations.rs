//! The schema, as an append-only list of migrations. `PRAGMA user_version`
//! holds how many have been applied. Never edit a migration that has
//! shipped: add a new one.

pub const MIGRATIONS: &[&str] = &[
    // 1: enrolled devices, their summary and their latest inventory.
    r#"
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
];

/// The schema version this build writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}
