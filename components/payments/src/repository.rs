//! Every SQL statement of payments: the `payments` table (one row per order) and its
//! migrations.
//!
//! A row can exist before its intent: `StockReserved`, `StockRejected` or `OrderCancelled`
//! may arrive before `OrderCreated`, and are remembered on a row whose intent columns are
//! still NULL. Reads only ever return rows with an intent (see [`Payment`]).

use service_kit::db::{int, opt_text, text, Database, Db, Migration, RowView, Rows};
use service_kit::events::OrderCreated;
use service_kit::ids::{OrderId, UserId};
use service_kit::money::{Currency, Money};
use service_kit::{inbox, outbox};
use spin_sdk::sqlite::{Error, Value};

use crate::domain::{
    CardToken, FailureWindow, Payment, PaymentId, PaymentStatus, CLAIM_LEASE_MS,
    PROCESSOR_FAILURE_WINDOW_MS,
};

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "payments",
        sql: "CREATE TABLE payments (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL UNIQUE,
            user_id TEXT,
            email TEXT,
            amount INTEGER CHECK (amount >= 0),
            currency TEXT,
            card_token TEXT,
            stock_reserved INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN
                ('awaiting_stock', 'charging', 'succeeded', 'failed', 'voided', 'refunded')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            claimed_at INTEGER,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            charge_id TEXT,
            failure_reason TEXT,
            traceparent TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            CHECK (user_id IS NOT NULL OR status IN ('awaiting_stock', 'voided'))
        );
        CREATE INDEX payments_user ON payments (user_id, created_at);
        CREATE INDEX payments_due ON payments (next_attempt_at) WHERE next_attempt_at IS NOT NULL",
    },
    outbox::MIGRATION,
    inbox::MIGRATION,
    Migration {
        version: 2,
        name: "processor_failures",
        sql: "CREATE TABLE processor_failures (
            id INTEGER PRIMARY KEY,
            failed_at INTEGER NOT NULL
        );
        CREATE INDEX processor_failures_at ON processor_failures (failed_at)",
    },
];

/// payments's database.
pub const DATABASE: Database = Database::new("payments", MIGRATIONS);

const COLUMNS: &str = "id, order_id, user_id, email, amount, currency, card_token, stock_reserved, \
    status, attempts, next_attempt_at, charge_id, failure_reason, traceparent, created_at, updated_at";

/// Records the intent of `OrderCreated` (with the trace context the payment's events will
/// carry); if the stock is already reserved, the payment becomes due at once. A repeated
/// intent changes nothing.
pub fn record_intent(
    db: &Db,
    order: &OrderCreated,
    traceparent: Option<&str>,
    now: i64,
) -> Result<(), Error> {
    db.execute(
        "INSERT INTO payments (id, order_id, user_id, email, amount, currency, card_token,
             traceparent, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'awaiting_stock', ?, ?)
         ON CONFLICT (order_id) DO UPDATE SET
             user_id = excluded.user_id, email = excluded.email, amount = excluded.amount,
             currency = excluded.currency, card_token = excluded.card_token,
             traceparent = excluded.traceparent,
             status = CASE WHEN payments.status = 'awaiting_stock' AND payments.stock_reserved = 1
                 THEN 'charging' ELSE payments.status END,
             next_attempt_at = CASE WHEN payments.status = 'awaiting_stock' AND payments.stock_reserved = 1
                 THEN excluded.updated_at ELSE payments.next_attempt_at END,
             updated_at = excluded.updated_at
         WHERE payments.user_id IS NULL",
        &[
            text(PaymentId::new().as_str()),
            text(order.order_id.as_str()),
            text(order.user_id.as_str()),
            opt_text(order.email.as_deref()),
            int(order.total.amount),
            text(order.total.currency.as_str()),
            text(order.card_token.as_str()),
            opt_text(traceparent),
            int(now),
            int(now),
        ],
    )
}

/// Records that the order's stock is reserved; if the intent is already there, the payment
/// becomes due at once. A repeated reservation changes nothing.
pub fn record_stock_reserved(db: &Db, order_id: &OrderId, now: i64) -> Result<(), Error> {
    db.execute(
        "INSERT INTO payments (id, order_id, stock_reserved, status, created_at, updated_at)
         VALUES (?, ?, 1, 'awaiting_stock', ?, ?)
         ON CONFLICT (order_id) DO UPDATE SET
             stock_reserved = 1,
             status = CASE WHEN payments.status = 'awaiting_stock' AND payments.user_id IS NOT NULL
                 THEN 'charging' ELSE payments.status END,
             next_attempt_at = CASE WHEN payments.status = 'awaiting_stock' AND payments.user_id IS NOT NULL
                 THEN excluded.updated_at ELSE payments.next_attempt_at END,
             updated_at = excluded.updated_at
         WHERE payments.stock_reserved = 0",
        &[
            text(PaymentId::new().as_str()),
            text(order_id.as_str()),
            int(now),
            int(now),
        ],
    )
}

/// Voids the order's payment if nothing was or is being charged: it is waiting for stock,
/// or due but not claimed by a charge attempt. An order not seen yet gets a voided row, so
/// its intent arriving later is never charged.
pub fn void(db: &Db, order_id: &OrderId, reason: &str, now: i64) -> Result<(), Error> {
    db.execute(
        "INSERT INTO payments (id, order_id, status, failure_reason, created_at, updated_at)
         VALUES (?, ?, 'voided', ?, ?, ?)
         ON CONFLICT (order_id) DO UPDATE SET
             status = 'voided', failure_reason = excluded.failure_reason,
             next_attempt_at = NULL, updated_at = excluded.updated_at
         WHERE payments.status = 'awaiting_stock'
            OR (payments.status = 'charging' AND payments.claimed_at IS NULL)",
        &[
            text(PaymentId::new().as_str()),
            text(order_id.as_str()),
            text(reason),
            int(now),
            int(now),
        ],
    )
}

/// Marks a payment whose charge is in flight, or already succeeded, for a refund; a
/// succeeded one is due for the refund at once.
pub fn request_cancel(db: &Db, order_id: &OrderId, now: i64) -> Result<(), Error> {
    db.execute(
        "UPDATE payments SET cancel_requested = 1, updated_at = ?,
             next_attempt_at = CASE WHEN status = 'succeeded' THEN ? ELSE next_attempt_at END
         WHERE order_id = ? AND status IN ('charging', 'succeeded') AND cancel_requested = 0",
        &[int(now), int(now), text(order_id.as_str())],
    )
}

/// A payment with work due: a charge attempt, or a refund.
pub struct Due {
    pub id: PaymentId,
    pub status: PaymentStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// Payments whose charge attempt or refund is due at `now`, oldest first.
pub fn due(db: &Db, now: i64) -> Result<Vec<Due>, Error> {
    let result = db.query(
        "SELECT id, status, attempts, next_attempt_at FROM payments
         WHERE next_attempt_at <= ?
           AND (status = 'charging' OR (status = 'succeeded' AND cancel_requested = 1))
         ORDER BY next_attempt_at LIMIT 50",
        &[int(now)],
    )?;
    Ok(Rows::new(&result)
        .iter()
        .filter_map(|row| {
            Some(Due {
                id: PaymentId::parse(&row.text("id"))?,
                status: PaymentStatus::parse(&row.text("status"))?,
                attempts: row.int("attempts"),
                next_attempt_at: row.int("next_attempt_at"),
            })
        })
        .collect())
}

/// Takes a due charge attempt for this instance: counts the attempt and leases the row, so
/// no other instance charges it meanwhile. `None` if another instance took it first.
pub fn claim_charge(db: &Db, due: &Due, now: i64) -> Result<Option<Payment>, Error> {
    let result = db.query(
        &format!(
            "UPDATE payments SET attempts = attempts + 1, claimed_at = ?, next_attempt_at = ?
             WHERE id = ? AND status = 'charging' AND next_attempt_at <= ? AND attempts = ?
             RETURNING {COLUMNS}"
        ),
        &[
            int(now),
            int(now + CLAIM_LEASE_MS),
            text(due.id.as_str()),
            int(now),
            int(due.attempts),
        ],
    )?;
    Ok(first(&result))
}

/// Takes a due refund for this instance (see [`claim_charge`]).
pub fn claim_refund(db: &Db, due: &Due, now: i64) -> Result<Option<Payment>, Error> {
    let result = db.query(
        &format!(
            "UPDATE payments SET claimed_at = ?, next_attempt_at = ?
             WHERE id = ? AND status = 'succeeded' AND cancel_requested = 1 AND next_attempt_at = ?
             RETURNING {COLUMNS}"
        ),
        &[
            int(now),
            int(now + CLAIM_LEASE_MS),
            text(due.id.as_str()),
            int(due.next_attempt_at),
        ],
    )?;
    Ok(first(&result))
}

/// Whether this instance still holds the claim of charge attempt `attempts` on `id` (a
/// lease that ran out may have been taken over), and if so whether the order was cancelled
/// meanwhile. Call inside the transaction that records the attempt's outcome.
pub fn charge_claim(db: &Db, id: &PaymentId, attempts: i64) -> Result<Option<bool>, Error> {
    let result = db.query(
        "SELECT cancel_requested FROM payments WHERE id = ? AND status = 'charging' AND attempts = ?",
        &[text(id.as_str()), int(attempts)],
    )?;
    let held = Rows::new(&result)
        .iter()
        .next()
        .map(|row| row.int("cancel_requested") == 1);
    Ok(held)
}

/// How a charge attempt or refund ended for a payment.
pub struct Settlement<'a> {
    pub status: PaymentStatus,
    pub charge_id: Option<&'a str>,
    pub failure_reason: Option<&'a str>,
    /// When the next charge attempt or refund is due, if any.
    pub next_attempt_at: Option<i64>,
}

/// Records how an attempt ended and releases the claim.
pub fn settle(db: &Db, id: &PaymentId, settlement: &Settlement<'_>, now: i64) -> Result<(), Error> {
    db.execute(
        "UPDATE payments SET status = ?, charge_id = COALESCE(?, charge_id), failure_reason = ?,
             next_attempt_at = ?, claimed_at = NULL, updated_at = ?
         WHERE id = ?",
        &[
            text(settlement.status.as_str()),
            opt_text(settlement.charge_id),
            opt_text(settlement.failure_reason),
            settlement
                .next_attempt_at
                .map_or(Value::Null, Value::Integer),
            int(now),
            text(id.as_str()),
        ],
    )
}

/// Whether this instance still holds the refund claim on `id`; inside the recording
/// transaction.
pub fn refund_claim(db: &Db, id: &PaymentId, claimed_at: i64) -> Result<bool, Error> {
    let result = db.query(
        "SELECT 1 FROM payments WHERE id = ? AND status = 'succeeded' AND cancel_requested = 1
             AND claimed_at = ?",
        &[text(id.as_str()), int(claimed_at)],
    )?;
    Ok(!result.rows.is_empty())
}

/// Stops refunding a payment the processor will not refund.
pub fn abandon_refund(db: &Db, id: &PaymentId, reason: &str, now: i64) -> Result<(), Error> {
    db.execute(
        "UPDATE payments SET cancel_requested = 0, claimed_at = NULL, next_attempt_at = NULL,
             failure_reason = ?, updated_at = ?
         WHERE id = ?",
        &[text(reason), int(now), text(id.as_str())],
    )
}

/// When the next charge attempt or refund is due, if any.
pub fn next_due_at(db: &Db) -> Result<Option<i64>, Error> {
    let result = db.query(
        "SELECT MIN(next_attempt_at) AS due FROM payments
         WHERE status = 'charging' OR (status = 'succeeded' AND cancel_requested = 1)",
        &[],
    )?;
    let due = Rows::new(&result)
        .iter()
        .next()
        .and_then(|row| row.opt_int("due"));
    Ok(due)
}

/// Records a processor failure at `now` (forgetting those older than the window) and
/// returns the window it falls in.
pub fn record_processor_failure(db: &Db, now: i64) -> Result<FailureWindow, Error> {
    let since = now - PROCESSOR_FAILURE_WINDOW_MS;
    db.execute(
        "DELETE FROM processor_failures WHERE failed_at <= ?",
        &[int(since)],
    )?;
    db.execute(
        "INSERT INTO processor_failures (failed_at) VALUES (?)",
        &[int(now)],
    )?;
    let result = db.query(
        "SELECT COUNT(*) AS failures, MIN(failed_at) AS first_at, MAX(failed_at) AS last_at,
             EXISTS (SELECT 1 FROM outbox WHERE event_type = 'CardProcessorFailuresDetected'
                 AND created_at > ?) AS announced
         FROM processor_failures",
        &[int(since)],
    )?;
    let row = Rows::new(&result).first();
    Ok(FailureWindow {
        failures: row.as_ref().map_or(0, |row| row.int("failures")) as u32,
        first_at: row.as_ref().map_or(now, |row| row.int("first_at")),
        last_at: row.as_ref().map_or(now, |row| row.int("last_at")),
        announced: row.is_some_and(|row| row.int("announced") == 1),
    })
}

/// The payment `id`.
pub fn find(db: &Db, id: &PaymentId) -> Result<Option<Payment>, Error> {
    let result = db.query(
        &format!("SELECT {COLUMNS} FROM payments WHERE id = ? AND user_id IS NOT NULL"),
        &[text(id.as_str())],
    )?;
    Ok(first(&result))
}

/// The payment of order `order_id`.
pub fn find_by_order(db: &Db, order_id: &OrderId) -> Result<Option<Payment>, Error> {
    let result = db.query(
        &format!("SELECT {COLUMNS} FROM payments WHERE order_id = ? AND user_id IS NOT NULL"),
        &[text(order_id.as_str())],
    )?;
    Ok(first(&result))
}

/// The most recent payments (at most `limit`) of `user`, or of everyone.
pub fn list(db: &Db, user: Option<&UserId>, limit: u32) -> Result<Vec<Payment>, Error> {
    let result = match user {
        Some(user) => db.query(
            &format!(
                "SELECT {COLUMNS} FROM payments WHERE user_id = ?
                 ORDER BY created_at DESC, id LIMIT ?"
            ),
            &[text(user.as_str()), int(limit)],
        )?,
        None => db.query(
            &format!(
                "SELECT {COLUMNS} FROM payments WHERE user_id IS NOT NULL
                 ORDER BY created_at DESC, id LIMIT ?"
            ),
            &[int(limit)],
        )?,
    };
    Ok(Rows::new(&result)
        .iter()
        .filter_map(|row| read(&row))
        .collect())
}

fn first(result: &spin_sdk::sqlite::QueryResult) -> Option<Payment> {
    Rows::new(result).iter().next().and_then(|row| read(&row))
}

/// A row as a [`Payment`]; `None` for a row without its intent.
fn read(row: &RowView<'_>) -> Option<Payment> {
    let currency = Currency::try_from(row.opt_text("currency")?).ok()?;
    Some(Payment {
        id: PaymentId::parse(&row.text("id"))?,
        order_id: OrderId::parse(&row.text("order_id"))?,
        user_id: UserId::parse(&row.opt_text("user_id")?)?,
        email: row.opt_text("email"),
        amount: Money::new(row.opt_int("amount")?, currency).ok()?,
        card_token: CardToken::new(row.opt_text("card_token")?),
        stock_reserved: row.int("stock_reserved") == 1,
        status: PaymentStatus::parse(&row.text("status"))?,
        attempts: row.int("attempts"),
        next_attempt_at: row.opt_int("next_attempt_at"),
        charge_id: row.opt_text("charge_id"),
        failure_reason: row.opt_text("failure_reason"),
        traceparent: row.opt_text("traceparent"),
        created_at: row.int("created_at"),
        updated_at: row.int("updated_at"),
    })
}
