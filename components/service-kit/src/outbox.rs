//! The transactional outbox: an event is written to the producer's own database in the same
//! transaction as the state change it announces, then published by a relay until every
//! subscriber has confirmed it (see `docs/events.md`).
//!
//! When each step runs:
//! 1. [`enqueue`] inside the transaction that changes state.
//! 2. [`Relay::run`] right after the commit, again whenever the service handles a request or
//!    an event, and on the service's tick while anything is unconfirmed.
//! 3. Each run publishes due rows, and for rows published before, reads the receipts the
//!    subscribers left in Redis: all present means confirmed; otherwise the row is published
//!    again after a growing delay, until [`MAX_ATTEMPTS`], then it is kept as undelivered for
//!    an operator to replay. With the HTTP transport (see [`crate::transport`]) each run
//!    pushes due rows to every subscriber instead, and all answering 2xx confirms the row.

use serde::Serialize;
use spin_sdk::redis::Connection;
use spin_sdk::sqlite::{Error, QueryResult};

use crate::clock::now_ms;
use crate::db::{int, text, Db, Migration, Rows};
use crate::events::{Envelope, IntegrationEvent};
use crate::receipts::confirmed_by_all;
use crate::transport::{self, Transport};

/// The outbox table. Services list it in their migrations.
pub const MIGRATION: Migration = Migration {
    version: 1000,
    name: "outbox",
    sql: "CREATE TABLE outbox (
        event_id TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        event_type TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        envelope TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        confirmed_at INTEGER,
        undelivered_at INTEGER,
        last_error TEXT
    );
    CREATE INDEX outbox_pending ON outbox (next_attempt_at)
        WHERE confirmed_at IS NULL AND undelivered_at IS NULL;
    CREATE INDEX outbox_correlation ON outbox (correlation_id)",
};

/// Publications before an event counts as undelivered (about four minutes of backoff).
pub const MAX_ATTEMPTS: i64 = 12;

/// Records `event` for publication; call inside the transaction that changes state.
pub fn enqueue<E: IntegrationEvent>(
    db: &Db,
    producer: &str,
    event: &E,
    traceparent: Option<&str>,
) -> Result<Envelope, Error> {
    let envelope = Envelope::new(producer, event, traceparent);
    let now = now_ms();
    db.execute(
        "INSERT INTO outbox (event_id, channel, event_type, correlation_id, envelope, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            text(envelope.id.as_str()),
            text(E::CHANNEL),
            text(E::TYPE),
            text(envelope.correlation_id.clone()),
            text(serde_json::to_string(&envelope).unwrap_or_default()),
            int(now),
            int(now),
        ],
    )?;
    Ok(envelope)
}

/// Publishes again every event of `correlation_id` (an order), even confirmed ones: used to
/// wake subscribers after an outage. Consumers are idempotent, so this is always safe.
pub fn republish(db: &Db, correlation_id: &str) -> Result<(), Error> {
    db.execute(
        "UPDATE outbox SET confirmed_at = NULL, undelivered_at = NULL, attempts = 0, next_attempt_at = ?
         WHERE correlation_id = ?",
        &[int(now_ms()), text(correlation_id)],
    )
}

/// What one relay run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RelayReport {
    pub published: u32,
    pub confirmed: u32,
    pub undelivered: u32,
    /// Events still waiting for confirmation after this run.
    pub pending: u32,
    /// When the next pending event is due (Unix ms), if any.
    pub next_due_at: Option<i64>,
}

/// Publishes and confirms one service's outbox.
pub struct Relay<'a> {
    /// How events travel (Redis pub/sub or HTTP push).
    pub transport: &'a Transport,
    /// The consumer names expected to confirm each channel's events.
    pub subscribers: &'a dyn Fn(&str) -> Vec<String>,
}

/// An event the relay gave up on.
#[derive(Debug, Clone, Serialize)]
pub struct Undelivered {
    pub event_id: String,
    pub event_type: String,
    pub channel: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

impl Relay<'_> {
    /// Delivers what is due and confirms what subscribers received. An unreachable
    /// transport is not an error: the rows stay and the next run tries again.
    pub fn run(&self, db: &Db) -> Result<RelayReport, Error> {
        let due = db.query(
            "SELECT event_id, channel, envelope, attempts FROM outbox
             WHERE confirmed_at IS NULL AND undelivered_at IS NULL AND next_attempt_at <= ?
             ORDER BY created_at LIMIT 200",
            &[int(now_ms())],
        )?;
        let mut report = RelayReport::default();
        match self.transport {
            Transport::Redis { address } => self.publish(db, &due, address, &mut report)?,
            Transport::Http => self.push(db, &due, &mut report)?,
        }
        let pending = db.query(
            "SELECT COUNT(*) AS pending, MIN(next_attempt_at) AS next_due_at FROM outbox
             WHERE confirmed_at IS NULL AND undelivered_at IS NULL",
            &[],
        )?;
        if let Some(row) = Rows::new(&pending).first() {
            report.pending = row.int("pending") as u32;
            report.next_due_at = row.opt_int("next_due_at");
        }
        Ok(report)
    }

    /// Redis: publishes due rows, and confirms rows published before by their receipts.
    fn publish(
        &self,
        db: &Db,
        due: &QueryResult,
        address: &str,
        report: &mut RelayReport,
    ) -> Result<(), Error> {
        let now = now_ms();
        // After the first Redis failure the rest of the run only postpones: each further call
        // would wait for a reconnection that is not coming.
        let mut redis = Connection::open(address).ok();
        for row in Rows::new(due).iter() {
            let event_id = row.text("event_id");
            let channel = row.text("channel");
            let attempts = row.int("attempts");
            let expected = (self.subscribers)(&channel);
            let Some(connection) = &redis else {
                self.postpone(db, &event_id, attempts, "redis unreachable")?;
                continue;
            };
            if attempts > 0 {
                match confirmed_by_all(connection, &event_id, &expected) {
                    Ok(true) => {
                        self.mark(db, "confirmed_at", &event_id, now)?;
                        report.confirmed += 1;
                        continue;
                    }
                    Ok(false) => {}
                    Err(_) => {
                        redis = None;
                        self.postpone(db, &event_id, attempts, "redis unreachable")?;
                        continue;
                    }
                }
            }
            if !self.take(db, &event_id, attempts, report)? {
                continue;
            }
            match connection.publish(&channel, &row.text("envelope").into_bytes()) {
                Ok(()) if expected.is_empty() => {
                    self.mark(db, "confirmed_at", &event_id, now)?;
                    report.confirmed += 1;
                }
                Ok(()) => report.published += 1,
                Err(error) => {
                    redis = None;
                    self.failed(db, &event_id, &format!("publish failed: {error:?}"))?;
                }
            }
        }
        Ok(())
    }

    /// HTTP: pushes each due row to every subscriber; all answering 2xx confirms it.
    fn push(&self, db: &Db, due: &QueryResult, report: &mut RelayReport) -> Result<(), Error> {
        for row in Rows::new(due).iter() {
            let event_id = row.text("event_id");
            if !self.take(db, &event_id, row.int("attempts"), report)? {
                continue;
            }
            let envelope = row.text("envelope");
            let failures: Vec<String> = (self.subscribers)(&row.text("channel"))
                .iter()
                .filter_map(|subscriber| transport::push(subscriber, &envelope).err())
                .collect();
            if failures.is_empty() {
                self.mark(db, "confirmed_at", &event_id, now_ms())?;
                report.confirmed += 1;
            } else {
                report.published += 1;
                self.failed(db, &event_id, &failures.join("; "))?;
            }
        }
        Ok(())
    }

    /// Gives up on a row out of attempts (`false`), or claims it for this delivery.
    fn take(
        &self,
        db: &Db,
        event_id: &str,
        attempts: i64,
        report: &mut RelayReport,
    ) -> Result<bool, Error> {
        if attempts >= MAX_ATTEMPTS {
            self.mark(db, "undelivered_at", event_id, now_ms())?;
            report.undelivered += 1;
            return Ok(false);
        }
        self.claim(db, event_id, attempts)
    }

    fn failed(&self, db: &Db, event_id: &str, error: &str) -> Result<(), Error> {
        db.execute(
            "UPDATE outbox SET last_error = ? WHERE event_id = ?",
            &[text(error), text(event_id)],
        )
    }

    /// Takes the row for this run (another instance may be relaying too) and schedules the
    /// confirmation check: one attempt more, due after the backoff.
    fn claim(&self, db: &Db, event_id: &str, attempts: i64) -> Result<bool, Error> {
        let claimed = db.query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?
             WHERE event_id = ? AND attempts = ? RETURNING event_id",
            &[
                int(now_ms() + backoff_ms(attempts + 1)),
                text(event_id),
                int(attempts),
            ],
        )?;
        Ok(!claimed.rows.is_empty())
    }

    fn postpone(&self, db: &Db, event_id: &str, attempts: i64, reason: &str) -> Result<(), Error> {
        db.execute(
            "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE event_id = ?",
            &[
                int(now_ms() + backoff_ms(attempts.max(1))),
                text(reason),
                text(event_id),
            ],
        )
    }

    fn mark(&self, db: &Db, column: &str, event_id: &str, at: i64) -> Result<(), Error> {
        db.execute(
            &format!("UPDATE outbox SET {column} = ? WHERE event_id = ?"),
            &[int(at), text(event_id)],
        )
    }
}

/// Events the relay gave up on, newest first.
pub fn undelivered(db: &Db) -> Result<Vec<Undelivered>, Error> {
    let result = db.query(
        "SELECT event_id, event_type, channel, attempts, last_error, created_at FROM outbox
         WHERE undelivered_at IS NOT NULL ORDER BY undelivered_at DESC LIMIT 500",
        &[],
    )?;
    Ok(Rows::new(&result)
        .iter()
        .map(|row| Undelivered {
            event_id: row.text("event_id"),
            event_type: row.text("event_type"),
            channel: row.text("channel"),
            attempts: row.int("attempts"),
            last_error: row.opt_text("last_error"),
            created_at: row.int("created_at"),
        })
        .collect())
}

/// Puts an undelivered event back in the queue; `false` if there is no such event.
pub fn redeliver(db: &Db, event_id: &str) -> Result<bool, Error> {
    let updated = db.query(
        "UPDATE outbox SET undelivered_at = NULL, attempts = 0, next_attempt_at = ?
         WHERE event_id = ? AND undelivered_at IS NOT NULL RETURNING event_id",
        &[int(now_ms()), text(event_id)],
    )?;
    Ok(!updated.rows.is_empty())
}

/// Delay before the check after publication `attempt` (1-based): 1 s, 2 s, 4 s … capped at
/// 30 s, with up to 20 % random jitter so that instances do not relay in lockstep.
pub fn backoff_ms(attempt: i64) -> i64 {
    let base = 1000_i64 << (attempt.clamp(1, 6) - 1);
    let base = base.min(30_000);
    let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as i64 * base / 5000;
    base + jitter
}

/// Reads a `subscribers` variable: `channel=consumer+consumer;channel=…`, e.g.
/// `wasmart.orders=catalog+payments+notifications`.
pub fn parse_subscribers(spec: &str, channel: &str) -> Vec<String> {
    spec.split(';')
        .filter_map(|entry| entry.split_once('='))
        .filter(|(name, _)| name.trim() == channel)
        .flat_map(|(_, consumers)| consumers.split('+'))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert!((1000..=1200).contains(&backoff_ms(1)));
        assert!((4000..=4800).contains(&backoff_ms(3)));
        assert!((30_000..=36_000).contains(&backoff_ms(12)));
    }

    #[test]
    fn subscriber_spec() {
        let spec = "wasmart.orders=catalog+payments+notifications; wasmart.catalog=orders+payments";
        assert_eq!(
            parse_subscribers(spec, "wasmart.catalog"),
            ["orders", "payments"]
        );
        assert_eq!(parse_subscribers(spec, "wasmart.orders").len(), 3);
        assert!(parse_subscribers(spec, "other").is_empty());
    }
}
