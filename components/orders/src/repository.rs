//! orders' SQLite database.

use serde::Serialize;
use service_kit::clock::{now_ms, rfc3339};
use service_kit::db::{int, opt_text, text, Db, Migration, RowView, Rows};
use service_kit::events::{Address, OrderLine};
use service_kit::ids::{OrderId, UserId};
use service_kit::money::{Currency, Money};
use spin_sdk::sqlite::Error;

use crate::domain::Status;

/// orders' schema, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "orders",
        sql: "CREATE TABLE orders (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            email TEXT,
            status TEXT NOT NULL CHECK (status IN
                ('pending_payment', 'paid', 'fulfilled', 'payment_failed', 'cancelled')),
            total_amount INTEGER NOT NULL,
            currency TEXT NOT NULL,
            shipping_address TEXT NOT NULL,
            cancel_reason TEXT,
            idempotency_key TEXT,
            fingerprint TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            nudged_at INTEGER);
        CREATE UNIQUE INDEX orders_idempotency ON orders (user_id, idempotency_key)
            WHERE idempotency_key IS NOT NULL;
        CREATE INDEX orders_by_user ON orders (user_id, created_at);
        CREATE INDEX orders_pending ON orders (updated_at) WHERE status = 'pending_payment';
        CREATE TABLE order_lines (
            order_id TEXT NOT NULL REFERENCES orders (id),
            position INTEGER NOT NULL,
            product_id TEXT NOT NULL,
            sku TEXT NOT NULL,
            name TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            unit_amount INTEGER NOT NULL,
            PRIMARY KEY (order_id, position));
        CREATE TABLE status_history (
            order_id TEXT NOT NULL REFERENCES orders (id),
            status TEXT NOT NULL,
            at INTEGER NOT NULL)",
    },
    service_kit::outbox::MIGRATION,
    service_kit::inbox::MIGRATION,
];

/// Opens the database, migrating it on first use.
pub fn open() -> Result<Db, Error> {
    Db::open("orders", MIGRATIONS)
}

/// An order as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub shipping_address: Option<Address>,
    pub cancel_reason: Option<String>,
    pub status_history: Vec<StatusChange>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub email: Option<String>,
    #[serde(skip)]
    pub fingerprint: Option<String>,
}

/// One step of an order's history.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    pub status: String,
    pub at: String,
}

/// A new order, priced and ready to store.
pub struct NewOrder<'a> {
    pub id: &'a OrderId,
    pub user_id: &'a UserId,
    pub email: Option<&'a str>,
    pub lines: &'a [OrderLine],
    pub total: &'a Money,
    pub shipping_address: &'a Address,
    pub idempotency_key: Option<&'a str>,
    pub fingerprint: &'a str,
}

/// Stores a new `pending_payment` order; `false` if the caller already has an order with
/// this idempotency key (nothing is written then).
pub fn insert(db: &Db, order: &NewOrder<'_>) -> Result<bool, Error> {
    let now = now_ms();
    let inserted = db.query(
        "INSERT INTO orders (id, user_id, email, status, total_amount, currency, shipping_address,
             idempotency_key, fingerprint, created_at, updated_at)
         VALUES (?, ?, ?, 'pending_payment', ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING id",
        &[
            text(order.id.as_str()),
            text(order.user_id.as_str()),
            opt_text(order.email),
            int(order.total.amount),
            text(order.total.currency.as_str()),
            text(serde_json::to_string(order.shipping_address).unwrap_or_default()),
            opt_text(order.idempotency_key),
            text(order.fingerprint),
            int(now),
            int(now),
        ],
    )?;
    if inserted.rows.is_empty() {
        return Ok(false);
    }
    for (position, line) in order.lines.iter().enumerate() {
        db.execute(
            "INSERT INTO order_lines (order_id, position, product_id, sku, name, quantity, unit_amount)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                text(order.id.as_str()),
                int(position as i64),
                text(line.product_id.as_str()),
                text(line.sku.clone()),
                text(line.name.clone()),
                int(line.quantity),
                int(line.unit_price.amount),
            ],
        )?;
    }
    record(db, order.id.as_str(), Status::PendingPayment, now)?;
    Ok(true)
}

fn record(db: &Db, order_id: &str, status: Status, at: i64) -> Result<(), Error> {
    db.execute(
        "INSERT INTO status_history (order_id, status, at) VALUES (?, ?, ?)",
        &[text(order_id), text(status.as_str()), int(at)],
    )
}

/// Moves order `id` to `to` if it is in a state `to` may follow; returns the order as it is
/// afterwards and whether it moved.
pub fn transition(
    db: &Db,
    id: &str,
    to: Status,
    cancel_reason: Option<&str>,
) -> Result<Option<(Order, bool)>, Error> {
    let from: Vec<String> = to
        .allowed_from()
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let now = now_ms();
    let moved = db.query(
        &format!(
            "UPDATE orders SET status = ?, cancel_reason = COALESCE(?, cancel_reason), updated_at = ?
             WHERE id = ? AND status IN ({}) RETURNING id",
            from.join(", ")
        ),
        &[text(to.as_str()), opt_text(cancel_reason), int(now), text(id)],
    )?;
    let moved = !moved.rows.is_empty();
    if moved {
        record(db, id, to, now)?;
    }
    Ok(find(db, id)?.map(|order| (order, moved)))
}

const ORDER_COLUMNS: &str =
    "id, user_id, email, status, total_amount, currency, shipping_address, \
     cancel_reason, fingerprint, created_at, updated_at";

/// The order `id`, with its lines and history.
pub fn find(db: &Db, id: &str) -> Result<Option<Order>, Error> {
    let result = db.query(
        &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"),
        &[text(id)],
    )?;
    match Rows::new(&result).first() {
        Some(row) => Ok(Some(hydrate(db, &row)?)),
        None => Ok(None),
    }
}

/// The caller's order with `idempotency_key`, if any.
pub fn find_by_key(db: &Db, user_id: &UserId, key: &str) -> Result<Option<Order>, Error> {
    let result = db.query(
        &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE user_id = ? AND idempotency_key = ?"),
        &[text(user_id.as_str()), text(key)],
    )?;
    match Rows::new(&result).first() {
        Some(row) => Ok(Some(hydrate(db, &row)?)),
        None => Ok(None),
    }
}

/// One page of orders, newest first (all users' if `user_id` is `None`), and the total.
pub fn list(
    db: &Db,
    user_id: Option<&str>,
    page: u32,
    page_size: u32,
) -> Result<(Vec<Order>, i64), Error> {
    let filter = if user_id.is_some() {
        "WHERE user_id = ?"
    } else {
        ""
    };
    let mut params: Vec<_> = user_id.map(text).into_iter().collect();
    let total = db.query(
        &format!("SELECT COUNT(*) AS n FROM orders {filter}"),
        &params,
    )?;
    let total = Rows::new(&total).first().map_or(0, |row| row.int("n"));
    params.extend([
        int(i64::from(page_size)),
        int(i64::from(page - 1) * i64::from(page_size)),
    ]);
    let result = db.query(
        &format!(
            "SELECT {ORDER_COLUMNS} FROM orders {filter} ORDER BY created_at DESC, id LIMIT ? OFFSET ?"
        ),
        &params,
    )?;
    let orders = Rows::new(&result)
        .iter()
        .map(|row| hydrate(db, &row))
        .collect::<Result<_, _>>()?;
    Ok((orders, total))
}

/// Orders waiting for payment with no change for `idle_ms` and not nudged for as long.
pub fn stale_pending(db: &Db, idle_ms: i64) -> Result<Vec<String>, Error> {
    let before = now_ms() - idle_ms;
    let result = db.query(
        "SELECT id FROM orders WHERE status = 'pending_payment' AND updated_at < ?
             AND (nudged_at IS NULL OR nudged_at < ?) ORDER BY updated_at LIMIT 100",
        &[int(before), int(before)],
    )?;
    Ok(Rows::new(&result)
        .iter()
        .map(|row| row.text("id"))
        .collect())
}

/// Notes that order `id`'s events were published again now.
pub fn mark_nudged(db: &Db, id: &str) -> Result<(), Error> {
    db.execute(
        "UPDATE orders SET nudged_at = ? WHERE id = ?",
        &[int(now_ms()), text(id)],
    )
}

/// Whether any order waits for payment.
pub fn any_pending(db: &Db) -> Result<bool, Error> {
    Ok(!db
        .query(
            "SELECT 1 FROM orders WHERE status = 'pending_payment' LIMIT 1",
            &[],
        )?
        .rows
        .is_empty())
}

fn hydrate(db: &Db, row: &RowView<'_>) -> Result<Order, Error> {
    let id = row.text("id");
    let currency = Currency::try_from(row.text("currency")).unwrap_or_else(|_| Currency::usd());
    let lines = db.query(
        "SELECT product_id, sku, name, quantity, unit_amount FROM order_lines
         WHERE order_id = ? ORDER BY position",
        &[text(id.clone())],
    )?;
    let lines = Rows::new(&lines)
        .iter()
        .filter_map(|line| {
            let unit_price = Money {
                amount: line.int("unit_amount"),
                currency: currency.clone(),
            };
            let quantity = line.int("quantity") as u32;
            Some(OrderLine {
                product_id: service_kit::ids::ProductId::parse(&line.text("product_id"))?,
                sku: line.text("sku"),
                name: line.text("name"),
                quantity,
                line_total: unit_price.times(quantity).ok()?,
                unit_price,
            })
        })
        .collect();
    let history = db.query(
        "SELECT status, at FROM status_history WHERE order_id = ? ORDER BY at, rowid",
        &[text(id.clone())],
    )?;
    let status_history = Rows::new(&history)
        .iter()
        .map(|change| StatusChange {
            status: change.text("status"),
            at: rfc3339(change.int("at")),
        })
        .collect();
    Ok(Order {
        user_id: row.text("user_id"),
        status: row.text("status"),
        lines,
        total: Money {
            amount: row.int("total_amount"),
            currency,
        },
        shipping_address: serde_json::from_str(&row.text("shipping_address")).ok(),
        cancel_reason: row.opt_text("cancel_reason"),
        status_history,
        created_at: rfc3339(row.int("created_at")),
        updated_at: rfc3339(row.int("updated_at")),
        email: row.opt_text("email"),
        fingerprint: row.opt_text("fingerprint"),
        id,
    })
}
