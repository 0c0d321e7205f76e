//! Every SQL statement of telemetry: event counts per producer, type and second (kept for
//! [`RETENTION_SECONDS`]), and when each producer was last heard from.

use service_kit::db::{int, text, Database, Db, Migration, Rows};
use service_kit::{inbox, outbox};
use spin_sdk::sqlite::Error;

use crate::domain::{Counted, RETENTION_SECONDS};

/// Every migration, in order. telemetry produces no events, but the relay that runs on
/// every message reads the outbox table, so it exists (and stays empty).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event_counts",
        sql: "CREATE TABLE event_counts (
            producer TEXT NOT NULL,
            event_type TEXT NOT NULL,
            second INTEGER NOT NULL,
            events INTEGER NOT NULL,
            lag_ms_total INTEGER NOT NULL,
            lag_ms_max INTEGER NOT NULL,
            PRIMARY KEY (producer, event_type, second)
        );
        CREATE INDEX event_counts_second ON event_counts (second);
        CREATE TABLE producers (
            producer TEXT PRIMARY KEY,
            last_event_at INTEGER NOT NULL
        )",
    },
    outbox::MIGRATION,
    inbox::MIGRATION,
];

/// telemetry's database.
pub const DATABASE: Database = Database::new("telemetry", MIGRATIONS);

/// Counts one event of `producer` received at `now_ms`, `lag_ms` after it occurred, and
/// forgets counts older than the retention.
pub fn record(
    db: &Db,
    producer: &str,
    event_type: &str,
    lag_ms: i64,
    now_ms: i64,
) -> Result<(), Error> {
    let second = now_ms / 1000;
    db.execute(
        "INSERT INTO event_counts (producer, event_type, second, events, lag_ms_total, lag_ms_max)
         VALUES (?, ?, ?, 1, ?, ?)
         ON CONFLICT (producer, event_type, second) DO UPDATE SET
             events = events + 1,
             lag_ms_total = lag_ms_total + excluded.lag_ms_total,
             lag_ms_max = MAX(lag_ms_max, excluded.lag_ms_max)",
        &[
            text(producer),
            text(event_type),
            int(second),
            int(lag_ms),
            int(lag_ms),
        ],
    )?;
    db.execute(
        "INSERT INTO producers (producer, last_event_at) VALUES (?, ?)
         ON CONFLICT (producer) DO UPDATE SET last_event_at = MAX(last_event_at, excluded.last_event_at)",
        &[text(producer), int(now_ms)],
    )?;
    db.execute(
        "DELETE FROM event_counts WHERE second < ?",
        &[int(second - RETENTION_SECONDS)],
    )
}

/// Events per producer and type since `since_s` (a second).
pub fn counted_since(db: &Db, since_s: i64) -> Result<Vec<Counted>, Error> {
    let result = db.query(
        "SELECT producer, event_type, SUM(events) AS events, SUM(lag_ms_total) AS lag_ms_total,
             MAX(lag_ms_max) AS lag_ms_max
         FROM event_counts WHERE second >= ? GROUP BY producer, event_type",
        &[int(since_s)],
    )?;
    Ok(Rows::new(&result)
        .iter()
        .map(|row| Counted {
            producer: row.text("producer"),
            event_type: row.text("event_type"),
            events: row.int("events"),
            lag_ms_total: row.int("lag_ms_total"),
            lag_ms_max: row.int("lag_ms_max"),
        })
        .collect())
}

/// Events per producer and slot (`second / slot_seconds`) since `since_s`.
pub fn slots_since(
    db: &Db,
    since_s: i64,
    slot_seconds: i64,
) -> Result<Vec<(String, i64, i64)>, Error> {
    let result = db.query(
        "SELECT producer, second / ? AS slot, SUM(events) AS events
         FROM event_counts WHERE second >= ? GROUP BY producer, slot",
        &[int(slot_seconds), int(since_s)],
    )?;
    Ok(Rows::new(&result)
        .iter()
        .map(|row| (row.text("producer"), row.int("slot"), row.int("events")))
        .collect())
}

/// When each producer was last heard from (Unix ms).
pub fn last_heard(db: &Db) -> Result<Vec<(String, i64)>, Error> {
    let result = db.query("SELECT producer, last_event_at FROM producers", &[])?;
    Ok(Rows::new(&result)
        .iter()
        .map(|row| (row.text("producer"), row.int("last_event_at")))
        .collect())
}
