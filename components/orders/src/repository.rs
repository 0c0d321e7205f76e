//! orders' SQLite database: orders, their lines and status history.

use serde::{Serialize, Serializer};
use service_kit::clock::{now_ms, rfc3339};
use service_kit::db::{int, opt_text, text, Database, Db, Migration, RowView, Rows};
use service_kit::events::{Address, CancelReason, OrderLine};
use service_kit::ids::{OrderId, ProductId, UserId};
use service_kit::money::{Currency, Money};
use spin_sdk::sqlite::Error;

use crate::domain::{self, IdempotencyKey, Status};

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
    Migration {
        version: 2,
        name: "watchdog column name, history index",
        sql: "ALTER TABLE orders RENAME COLUMN nudged_at TO last_nudged_at;
        CREATE INDEX status_history_by_order ON status_history (order_id, at)",
    },
    service_kit::outbox::MIGRATION,
    service_kit::inbox::MIGRATION,
];

/// orders's database.
pub const DATABASE: Database = Database::new("orders", MIGRATIONS);

/// An order as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: Status,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub shipping_address: Address,
    pub cancel_reason: Option<CancelReason>,
    pub status_history: Vec<StatusChange>,
    #[serde(serialize_with = "as_rfc3339")]
    pub created_at: i64,
    /// The last status change (Unix ms).
    #[serde(serialize_with = "as_rfc3339")]
    pub updated_at: i64,
    /// The caller's email at checkout, for the events about this order.
    #[serde(skip)]
    pub email: Option<String>,
    /// [`domain::Checkout::fingerprint`] of the request that created it.
    #[serde(skip)]
    pub fingerprint: Option<String>,
    /// When the watchdog last published this order's events again (Unix ms).
    #[serde(skip)]
    pub last_nudged_at: Option<i64>,
}

/// One step of an order's history.
#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    pub status: Status,
    #[serde(serialize_with = "as_rfc3339")]
    pub at: i64,
}

fn as_rfc3339<S: Serializer>(unix_ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*unix_ms))
}

/// A new order, priced and ready to store.
pub struct NewOrder<'a> {
    pub id: &'a OrderId,
    pub user_id: &'a UserId,
    pub email: Option<&'a str>,
    pub lines: &'a [OrderLine],
    pub total: &'a Money,
    pub shipping_address: &'a Address,
    pub idempotency_key: Option<&'a IdempotencyKey>,
    pub fingerprint: &'a str,
}

/// Stores a new `pending_payment` order with its lines and first history entry; `false` if
/// its user already has an order with this idempotency key (nothing is written then).
pub fn insert(db: &Db, order: &NewOrder<'_>) -> Result<bool, Error> {
    let now = now_ms();
    let inserted = db.query(
        "INSERT INTO orders (id, user_id, email, status, total_amount, currency, shipping_address,
             idempotency_key, fingerprint, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING id",
        &[
            text(order.id.as_str()),
            text(order.user_id.as_str()),
            opt_text(order.email),
            text(Status::PendingPayment.as_str()),
            int(order.total.amount),
            text(order.total.currency.as_str()),
            text(serde_json::to_string(order.shipping_address).unwrap_or_default()),
            opt_text(order.idempotency_key.map(IdempotencyKey::as_str)),
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
                text(line.sku.as_str()),
                text(line.name.as_str()),
                int(line.quantity),
                int(line.unit_price.amount),
            ],
        )?;
    }
    record(db, order.id, Status::PendingPayment, now)?;
    Ok(true)
}

fn record(db: &Db, id: &OrderId, status: Status, at: i64) -> Result<(), Error> {
    db.execute(
        "INSERT INTO status_history (order_id, status, at) VALUES (?, ?, ?)",
        &[text(id.as_str()), text(status.as_str()), int(at)],
    )
}

/// What a status change did to an order.
pub struct Change {
    /// The order afterwards.
    pub order: Order,
    /// Whether it moved (`false`: its status does not lead to the one asked for).
    pub moved: bool,
}

/// Moves order `id` to `to` if its current status may become `to` (checked and changed in
/// one statement), recording the step; `None` if there is no such order.
pub fn transition(
    db: &Db,
    id: &OrderId,
    to: Status,
    cancel_reason: Option<CancelReason>,
) -> Result<Option<Change>, Error> {
    let from: Vec<String> = to
        .predecessors()
        .iter()
        .map(|status| format!("'{}'", status.as_str()))
        .collect();
    let now = now_ms();
    let moved = !db
        .query(
            &format!(
                "UPDATE orders SET status = ?, cancel_reason = COALESCE(?, cancel_reason),
                     updated_at = ?
                 WHERE id = ? AND status IN ({}) RETURNING id",
                from.join(", ")
            ),
            &[
                text(to.as_str()),
                opt_text(cancel_reason.map(domain::reason_name)),
                int(now),
                text(id.as_str()),
            ],
        )?
        .rows
        .is_empty();
    if moved {
        record(db, id, to, now)?;
    }
    Ok(find(db, id)?.map(|order| Change { order, moved }))
}

const ORDER_COLUMNS: &str =
    "id, user_id, email, status, total_amount, currency, shipping_address, cancel_reason, \
     fingerprint, created_at, updated_at, last_nudged_at";

/// The order `id`, with its lines and history.
pub fn find(db: &Db, id: &OrderId) -> Result<Option<Order>, Error> {
    let result = db.query(
        &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?"),
        &[text(id.as_str())],
    )?;
    Rows::new(&result)
        .first()
        .map(|row| hydrate(db, &row))
        .transpose()
}

/// The order `user_id` created with `key`, if any.
pub fn find_by_key(
    db: &Db,
    user_id: &UserId,
    key: &IdempotencyKey,
) -> Result<Option<Order>, Error> {
    let result = db.query(
        &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE user_id = ? AND idempotency_key = ?"),
        &[text(user_id.as_str()), text(key.as_str())],
    )?;
    Rows::new(&result)
        .first()
        .map(|row| hydrate(db, &row))
        .transpose()
}

/// One page (1-based) of orders, newest first, of `user_id` (everyone's if `None`), and how
/// many there are in all.
pub fn list(
    db: &Db,
    user_id: Option<&UserId>,
    page: u32,
    page_size: u32,
) -> Result<(Vec<Order>, i64), Error> {
    let filter = if user_id.is_some() {
        "WHERE user_id = ?"
    } else {
        ""
    };
    let mut params: Vec<_> = user_id.map(|id| text(id.as_str())).into_iter().collect();
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
            "SELECT {ORDER_COLUMNS} FROM orders {filter}
             ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"
        ),
        &params,
    )?;
    let orders = Rows::new(&result)
        .iter()
        .map(|row| hydrate(db, &row))
        .collect::<Result<_, _>>()?;
    Ok((orders, total))
}

/// Orders waiting for payment whose last change, and last nudge, are older than `idle_ms`.
pub fn stale_pending(db: &Db, idle_ms: i64) -> Result<Vec<OrderId>, Error> {
    let before = now_ms() - idle_ms;
    let result = db.query(
        "SELECT id FROM orders WHERE status = 'pending_payment' AND updated_at < ?
             AND (last_nudged_at IS NULL OR last_nudged_at < ?)
         ORDER BY updated_at LIMIT 100",
        &[int(before), int(before)],
    )?;
    Rows::new(&result)
        .iter()
        .map(|row| parse(&row, "id", OrderId::parse))
        .collect()
}

/// Claims the nudge of order `id`: sets `last_nudged_at` if the order still waits for
/// payment and neither changed nor was nudged in the last `idle_ms`. `false` if another run
/// got there first or the order moved on.
pub fn claim_nudge(db: &Db, id: &OrderId, idle_ms: i64) -> Result<bool, Error> {
    let now = now_ms();
    let before = now - idle_ms;
    let claimed = db.query(
        "UPDATE orders SET last_nudged_at = ?
         WHERE id = ? AND status = 'pending_payment' AND updated_at < ?
             AND (last_nudged_at IS NULL OR last_nudged_at < ?)
         RETURNING id",
        &[int(now), text(id.as_str()), int(before), int(before)],
    )?;
    Ok(!claimed.rows.is_empty())
}

/// Whether any order waits for payment.
pub fn any_pending(db: &Db) -> Result<bool, Error> {
    let found = db.query(
        "SELECT 1 FROM orders WHERE status = 'pending_payment' LIMIT 1",
        &[],
    )?;
    Ok(!found.rows.is_empty())
}

/// Reads `column` with `parse`; a value that does not parse means the file was damaged.
fn parse<T>(row: &RowView<'_>, column: &str, read: impl Fn(&str) -> Option<T>) -> Result<T, Error> {
    let value = row.text(column);
    read(&value).ok_or_else(|| damaged(format!("{column} `{value}`")))
}

fn damaged(what: impl std::fmt::Display) -> Error {
    Error::Io(format!("orders: unreadable {what}"))
}

fn hydrate(db: &Db, row: &RowView<'_>) -> Result<Order, Error> {
    let id = parse(row, "id", OrderId::parse)?;
    let currency = parse(row, "currency", |code| {
        Currency::try_from(code.to_owned()).ok()
    })?;
    let money = |amount: i64| Money::new(amount, currency.clone()).map_err(damaged);
    let lines = db.query(
        "SELECT product_id, sku, name, quantity, unit_amount FROM order_lines
         WHERE order_id = ? ORDER BY position",
        &[text(id.as_str())],
    )?;
    let lines = Rows::new(&lines)
        .iter()
        .map(|line| {
            let unit_price = money(line.int("unit_amount"))?;
            let quantity = u32::try_from(line.int("quantity")).map_err(damaged)?;
            Ok(OrderLine {
                product_id: parse(&line, "product_id", ProductId::parse)?,
                sku: line.text("sku"),
                name: line.text("name"),
                quantity,
                line_total: domain::line_total(&unit_price, quantity).map_err(damaged)?,
                unit_price,
            })
        })
        .collect::<Result<_, Error>>()?;
    let history = db.query(
        "SELECT status, at FROM status_history WHERE order_id = ? ORDER BY at, rowid",
        &[text(id.as_str())],
    )?;
    let status_history = Rows::new(&history)
        .iter()
        .map(|change| {
            Ok(StatusChange {
                status: parse(&change, "status", Status::parse)?,
                at: change.int("at"),
            })
        })
        .collect::<Result<_, Error>>()?;
    let cancel_reason = match row.opt_text("cancel_reason") {
        Some(_) => Some(parse(row, "cancel_reason", domain::parse_reason)?),
        None => None,
    };
    Ok(Order {
        user_id: parse(row, "user_id", UserId::parse)?,
        status: parse(row, "status", Status::parse)?,
        lines,
        total: money(row.int("total_amount"))?,
        shipping_address: parse(row, "shipping_address", |json| {
            serde_json::from_str(json).ok()
        })?,
        cancel_reason,
        status_history,
        created_at: row.int("created_at"),
        updated_at: row.int("updated_at"),
        email: row.opt_text("email"),
        fingerprint: row.opt_text("fingerprint"),
        last_nudged_at: row.opt_int("last_nudged_at"),
        id,
    })
}
