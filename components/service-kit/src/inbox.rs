//! The idempotent consumer: every event is handled at most once per consumer, its effects
//! committed in the same transaction that records it, and confirmed to the producer with a
//! receipt only once that transaction is durable.
//!
//! When each step runs, for every message a Redis-trigger component receives:
//! 1. The envelope is parsed; an unreadable message is kept as a dead letter at once.
//! 2. An event already `done` (or dead) is only confirmed again: a duplicate changes nothing.
//! 3. Otherwise the handler runs inside `BEGIN IMMEDIATE`, and the event is recorded `done`
//!    in the same transaction. Then the receipt is written.
//! 4. A handler that fails with [`HandlerError::Retry`] leaves no receipt, so the producer's
//!    relay delivers the event again after a backoff; after [`MAX_ATTEMPTS`] failures, or at
//!    once for [`HandlerError::Reject`], the event becomes a dead letter (and is confirmed,
//!    so the producer stops). Operators list dead letters and replay them.

use serde::Serialize;
use spin_sdk::redis::{Connection, RedisParameter};
use spin_sdk::sqlite::Error;

use crate::clock::now_ms;
use crate::db::{int, text, Db, Migration, Rows};
use crate::events::Envelope;
use crate::receipts::confirm;

/// The inbox table. Services list it in their migrations.
pub const MIGRATION: Migration = Migration {
    version: 1001,
    name: "inbox",
    sql: "CREATE TABLE inbox (
        event_id TEXT PRIMARY KEY,
        event_type TEXT NOT NULL,
        producer TEXT NOT NULL,
        message TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('done', 'failed', 'dead')),
        attempts INTEGER NOT NULL,
        first_seen_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_error TEXT
    );
    CREATE INDEX inbox_dead ON inbox (status, updated_at)",
};

/// The Redis hash in which every consumer keeps its current number of dead letters (field:
/// the consumer's name), so that telemetry reports them without reading another service's
/// database. Written only when the number changes.
pub const DEAD_LETTER_COUNTS_KEY: &str = "wasmart:dead-letters";

/// Failed deliveries of one event before it becomes a dead letter.
pub const MAX_ATTEMPTS: i64 = 5;

/// Why a handler could not process an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth trying again later (a dependency failed, a race was lost).
    #[error("{0}")]
    Retry(String),
    /// Will never succeed (the payload breaks the contract): dead-letter it now.
    #[error("{0}")]
    Reject(String),
}

impl From<Error> for HandlerError {
    fn from(error: Error) -> Self {
        HandlerError::Retry(format!("sqlite: {error:?}"))
    }
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Handled now.
    Processed,
    /// Seen before; confirmed again and otherwise ignored.
    Duplicate,
    /// Failed; the producer will deliver it again.
    WillRetry,
    /// Kept as a dead letter.
    DeadLettered,
}

/// A dead letter, as operators see it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub event_id: String,
    pub event_type: String,
    pub producer: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub first_seen_at: i64,
    pub failed_at: i64,
    pub message: serde_json::Value,
}

/// One consuming service.
pub struct Consumer<'a> {
    /// The name the consumer confirms with; producers expect it in their subscriber list.
    pub name: &'a str,
    /// The Redis address receipts are written to; none with the HTTP transport, where the
    /// answer to the push is the receipt.
    pub redis_address: Option<&'a str>,
}

impl Consumer<'_> {
    /// Handles one message (see the module docs for the steps). `handle` runs inside a
    /// transaction on `db`: it must not open another one.
    pub fn receive(
        &self,
        db: &Db,
        message: &[u8],
        handle: impl FnOnce(&Db, &Envelope) -> Result<(), HandlerError>,
    ) -> Result<Delivery, Error> {
        let envelope = match serde_json::from_slice::<Envelope>(message) {
            Ok(envelope) => envelope,
            Err(error) => {
                let raw = String::from_utf8_lossy(message).into_owned();
                self.record_unreadable(db, &raw, &error.to_string())?;
                self.publish_dead_letter_count(db)?;
                return Ok(Delivery::DeadLettered);
            }
        };
        let seen = db.query(
            "SELECT status FROM inbox WHERE event_id = ?",
            &[text(envelope.id.as_str())],
        )?;
        let status = Rows::new(&seen).first().map(|row| row.text("status"));
        if matches!(status.as_deref(), Some("done" | "dead")) {
            self.confirm(envelope.id.as_str());
            return Ok(Delivery::Duplicate);
        }
        self.process(db, &envelope, message, handle)
    }

    /// Runs a dead letter's event through `handle` again; `None` if there is no such dead
    /// letter.
    pub fn replay(
        &self,
        db: &Db,
        event_id: &str,
        handle: impl FnOnce(&Db, &Envelope) -> Result<(), HandlerError>,
    ) -> Result<Option<Delivery>, Error> {
        let found = db.query(
            "SELECT message FROM inbox WHERE event_id = ? AND status = 'dead'",
            &[text(event_id)],
        )?;
        let Some(message) = Rows::new(&found).first().map(|row| row.text("message")) else {
            return Ok(None);
        };
        let Ok(envelope) = serde_json::from_str::<Envelope>(&message) else {
            return Ok(Some(Delivery::DeadLettered));
        };
        db.execute(
            "UPDATE inbox SET status = 'failed', attempts = 0, updated_at = ? WHERE event_id = ?",
            &[int(now_ms()), text(event_id)],
        )?;
        let delivery = self.process(db, &envelope, message.as_bytes(), handle)?;
        self.publish_dead_letter_count(db)?;
        Ok(Some(delivery))
    }

    fn process(
        &self,
        db: &Db,
        envelope: &Envelope,
        message: &[u8],
        handle: impl FnOnce(&Db, &Envelope) -> Result<(), HandlerError>,
    ) -> Result<Delivery, Error> {
        let message = String::from_utf8_lossy(message);
        let outcome = db.transaction(|db| {
            handle(db, envelope)?;
            self.upsert(db, envelope, &message, "done", None)?;
            Ok::<_, HandlerError>(())
        });
        let delivery = match outcome {
            Ok(()) => Delivery::Processed,
            Err(HandlerError::Reject(reason)) => {
                self.upsert(db, envelope, &message, "dead", Some(&reason))?;
                Delivery::DeadLettered
            }
            Err(HandlerError::Retry(reason)) => {
                let attempts = self.upsert(db, envelope, &message, "failed", Some(&reason))?;
                if attempts < MAX_ATTEMPTS {
                    eprintln!(
                        "{}: {} {} failed (attempt {attempts}), will retry: {reason}",
                        self.name, envelope.event_type, envelope.id
                    );
                    return Ok(Delivery::WillRetry);
                }
                db.execute(
                    "UPDATE inbox SET status = 'dead' WHERE event_id = ?",
                    &[text(envelope.id.as_str())],
                )?;
                Delivery::DeadLettered
            }
        };
        if delivery == Delivery::DeadLettered {
            eprintln!(
                "{}: {} {} is now a dead letter",
                self.name, envelope.event_type, envelope.id
            );
            self.publish_dead_letter_count(db)?;
        }
        self.confirm(envelope.id.as_str());
        Ok(delivery)
    }

    /// Records the event with `status`, counting one more attempt; returns the attempts.
    fn upsert(
        &self,
        db: &Db,
        envelope: &Envelope,
        message: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<i64, Error> {
        let now = now_ms();
        let result = db.query(
            "INSERT INTO inbox (event_id, event_type, producer, message, status, attempts, first_seen_at, updated_at, last_error)
             VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
             ON CONFLICT (event_id) DO UPDATE SET status = excluded.status,
                 attempts = inbox.attempts + 1, updated_at = excluded.updated_at,
                 last_error = COALESCE(excluded.last_error, inbox.last_error)
             RETURNING attempts",
            &[
                text(envelope.id.as_str()),
                text(envelope.event_type.clone()),
                text(envelope.producer.clone()),
                text(message),
                text(status),
                int(now),
                int(now),
                crate::db::opt_text(error),
            ],
        )?;
        let attempts = Rows::new(&result)
            .iter()
            .next()
            .map_or(1, |row| row.int("attempts"));
        Ok(attempts)
    }

    fn record_unreadable(&self, db: &Db, raw: &str, error: &str) -> Result<(), Error> {
        let now = now_ms();
        eprintln!(
            "{}: unreadable message kept as a dead letter: {error}",
            self.name
        );
        db.execute(
            "INSERT INTO inbox (event_id, event_type, producer, message, status, attempts, first_seen_at, updated_at, last_error)
             VALUES (?, 'unreadable', 'unknown', ?, 'dead', 1, ?, ?, ?)",
            &[
                text(crate::ids::random_uuid()),
                text(raw),
                int(now),
                int(now),
                text(format!("not an event envelope: {error}")),
            ],
        )
    }

    /// Writes this consumer's number of dead letters to [`DEAD_LETTER_COUNTS_KEY`].
    fn publish_dead_letter_count(&self, db: &Db) -> Result<(), Error> {
        let result = db.query(
            "SELECT COUNT(*) AS dead FROM inbox WHERE status = 'dead'",
            &[],
        )?;
        let dead = Rows::new(&result).first().map_or(0, |row| row.int("dead"));
        let Some(address) = self.redis_address else {
            return Ok(());
        };
        if let Ok(redis) = Connection::open(address) {
            let _ = redis.execute(
                "HSET",
                &[
                    RedisParameter::Binary(DEAD_LETTER_COUNTS_KEY.as_bytes().to_vec()),
                    RedisParameter::Binary(self.name.as_bytes().to_vec()),
                    RedisParameter::Int64(dead),
                ],
            );
        }
        Ok(())
    }

    fn confirm(&self, event_id: &str) {
        let Some(address) = self.redis_address else {
            return;
        };
        if let Ok(redis) = Connection::open(address) {
            confirm(&redis, event_id, self.name);
        }
    }
}

/// Dead letters, newest first.
pub fn dead_letters(db: &Db) -> Result<Vec<DeadLetter>, Error> {
    let result = db.query(
        "SELECT event_id, event_type, producer, attempts, last_error, first_seen_at, updated_at, message
         FROM inbox WHERE status = 'dead' ORDER BY updated_at DESC LIMIT 500",
        &[],
    )?;
    Ok(Rows::new(&result)
        .iter()
        .map(|row| {
            let raw = row.text("message");
            DeadLetter {
                event_id: row.text("event_id"),
                event_type: row.text("event_type"),
                producer: row.text("producer"),
                attempts: row.int("attempts"),
                last_error: row.opt_text("last_error"),
                first_seen_at: row.int("first_seen_at"),
                failed_at: row.int("updated_at"),
                message: serde_json::from_str(&raw).unwrap_or(serde_json::Value::String(raw)),
            }
        })
        .collect())
}
