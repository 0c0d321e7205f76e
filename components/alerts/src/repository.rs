//! Every SQL statement of alerts: the rules (seeded with defaults), and every alert raised,
//! active until resolved, kept as history.

use service_kit::db::{int, text, Database, Db, Migration, RowView, Rows};
use service_kit::{inbox, outbox};
use spin_sdk::sqlite::{Error, QueryResult, Value};

use crate::domain::{Rule, RuleChange, RuleKind};

/// Every migration, in order. alerts consumes no events (the inbox table is there for the
/// shared replay route); it produces `AlertRaised` and `AlertResolved` through its outbox.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "rules_and_alerts",
        sql: "CREATE TABLE rules (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('request_error_rate', 'request_latency_p99',
                'payment_failure_rate', 'dead_letters', 'producer_silent',
                'card_processor_failures')),
            threshold REAL NOT NULL CHECK (threshold >= 0),
            min_count INTEGER NOT NULL CHECK (min_count >= 1),
            enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
            updated_at INTEGER NOT NULL
        );
        INSERT INTO rules VALUES
            ('request-error-rate', 'Request error rate', 'request_error_rate', 5, 20, 1, 0),
            ('request-latency-p99', 'Request latency p99', 'request_latency_p99', 1000, 20, 1, 0),
            ('payment-failure-rate', 'Payment failure rate', 'payment_failure_rate', 50, 5, 1, 0),
            ('dead-letters', 'Dead letters', 'dead_letters', 0, 1, 1, 0),
            ('card-processor-failures', 'Card processor failure bursts', 'card_processor_failures', 0, 1, 1, 0),
            ('producer-silent', 'Producer silent', 'producer_silent', 600, 1, 0, 0);
        CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            rule_id TEXT NOT NULL REFERENCES rules (id),
            service TEXT NOT NULL,
            metric TEXT NOT NULL,
            value REAL NOT NULL,
            threshold REAL NOT NULL,
            summary TEXT NOT NULL,
            raised_at INTEGER NOT NULL,
            resolved_at INTEGER
        );
        CREATE UNIQUE INDEX alerts_active ON alerts (rule_id, service) WHERE resolved_at IS NULL;
        CREATE INDEX alerts_raised ON alerts (raised_at)",
    },
    outbox::MIGRATION,
    inbox::MIGRATION,
];

/// alerts's database.
pub const DATABASE: Database = Database::new("alerts", MIGRATIONS);

const RULE_COLUMNS: &str = "id, name, kind, threshold, min_count, enabled, updated_at";
const ALERT_COLUMNS: &str =
    "id, rule_id, service, metric, value, threshold, summary, raised_at, resolved_at";

/// Every rule, by id.
pub fn rules(db: &Db) -> Result<Vec<Rule>, Error> {
    let result = db.query(
        &format!("SELECT {RULE_COLUMNS} FROM rules ORDER BY id"),
        &[],
    )?;
    Ok(all_rules(&result))
}

/// The rule `id`.
pub fn rule(db: &Db, id: &str) -> Result<Option<Rule>, Error> {
    let result = db.query(
        &format!("SELECT {RULE_COLUMNS} FROM rules WHERE id = ?"),
        &[text(id)],
    )?;
    Ok(all_rules(&result).into_iter().next())
}

/// Applies `change` to rule `id`; the rule as it is now.
pub fn update_rule(
    db: &Db,
    id: &str,
    change: &RuleChange,
    now: i64,
) -> Result<Option<Rule>, Error> {
    let result = db.query(
        &format!(
            "UPDATE rules SET threshold = ?, min_count = ?, enabled = ?, updated_at = ?
             WHERE id = ? RETURNING {RULE_COLUMNS}"
        ),
        &[
            Value::Real(change.threshold),
            int(change.min_count as i64),
            int(i64::from(change.enabled)),
            int(now),
            text(id),
        ],
    )?;
    Ok(all_rules(&result).into_iter().next())
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: String,
    pub rule_id: String,
    pub service: String,
    pub metric: String,
    pub value: f64,
    pub threshold: f64,
    pub summary: String,
    pub raised_at: i64,
    pub resolved_at: Option<i64>,
}

/// Every active alert, newest first.
pub fn active(db: &Db) -> Result<Vec<Alert>, Error> {
    let result = db.query(
        &format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE resolved_at IS NULL ORDER BY raised_at DESC"
        ),
        &[],
    )?;
    Ok(all_alerts(&result))
}

/// The latest `limit` resolved alerts, newest first.
pub fn resolved(db: &Db, limit: u32) -> Result<Vec<Alert>, Error> {
    let result = db.query(
        &format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE resolved_at IS NOT NULL
             ORDER BY resolved_at DESC LIMIT ?"
        ),
        &[int(limit)],
    )?;
    Ok(all_alerts(&result))
}

/// Records a new active alert.
pub fn raise(db: &Db, alert: &Alert) -> Result<(), Error> {
    db.execute(
        "INSERT INTO alerts (id, rule_id, service, metric, value, threshold, summary, raised_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            text(alert.id.as_str()),
            text(alert.rule_id.as_str()),
            text(alert.service.as_str()),
            text(alert.metric.as_str()),
            Value::Real(alert.value),
            Value::Real(alert.threshold),
            text(alert.summary.as_str()),
            int(alert.raised_at),
        ],
    )
}

/// Marks the active alert `id` resolved.
pub fn resolve(db: &Db, id: &str, now: i64) -> Result<(), Error> {
    db.execute(
        "UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL",
        &[int(now), text(id)],
    )
}

fn real(row: &RowView<'_>, column: &str) -> f64 {
    row.opt_real(column).unwrap_or_default()
}

fn all_rules(result: &QueryResult) -> Vec<Rule> {
    Rows::new(result)
        .iter()
        .filter_map(|row| {
            Some(Rule {
                id: row.text("id"),
                name: row.text("name"),
                kind: RuleKind::parse(&row.text("kind"))?,
                threshold: real(&row, "threshold"),
                min_count: row.int("min_count").max(1) as u64,
                enabled: row.int("enabled") == 1,
                updated_at: row.int("updated_at"),
            })
        })
        .collect()
}

fn all_alerts(result: &QueryResult) -> Vec<Alert> {
    Rows::new(result)
        .iter()
        .map(|row| Alert {
            id: row.text("id"),
            rule_id: row.text("rule_id"),
            service: row.text("service"),
            metric: row.text("metric"),
            value: real(&row, "value"),
            threshold: real(&row, "threshold"),
            summary: row.text("summary"),
            raised_at: row.int("raised_at"),
            resolved_at: row.opt_int("resolved_at"),
        })
        .collect()
}
