//! Stock reservations, driven by order and payment events. Handlers run inside the inbox's
//! `BEGIN IMMEDIATE` transaction: no other writer runs between the stock check and the
//! update, so stock never goes below zero (and a CHECK constraint backs that up).

use std::collections::BTreeMap;

use service_kit::clock::now_ms;
use service_kit::db::{int, text, Db, Rows};
use service_kit::events::{
    Envelope, OrderCancelled, OrderCreated, PaymentFailed, StockLine, StockRejected, StockReleased,
    StockReserved,
};
use service_kit::ids::{OrderId, ProductId};
use service_kit::inbox::HandlerError;
use service_kit::outbox;

/// The producer name on catalog's events.
pub const SERVICE: &str = "catalog";

/// Handles one event from orders or payments; other types are ignored.
pub fn handle(db: &Db, envelope: &Envelope) -> Result<(), HandlerError> {
    let trace = envelope.traceparent.as_deref();
    let reject = HandlerError::Reject;
    if envelope.is::<OrderCreated>() {
        reserve(
            db,
            &envelope.decode::<OrderCreated>().map_err(reject)?,
            trace,
        )
    } else if envelope.is::<PaymentFailed>() {
        release(
            db,
            &envelope.decode::<PaymentFailed>().map_err(reject)?.order_id,
            trace,
        )
    } else if envelope.is::<OrderCancelled>() {
        release(
            db,
            &envelope
                .decode::<OrderCancelled>()
                .map_err(reject)?
                .order_id,
            trace,
        )
    } else {
        Ok(())
    }
}

/// Takes every line's quantity out of stock, or nothing if any line is short.
fn reserve(db: &Db, order: &OrderCreated, trace: Option<&str>) -> Result<(), HandlerError> {
    let existing = db.query(
        "SELECT 1 FROM reservations WHERE order_id = ? LIMIT 1",
        &[text(order.order_id.as_str())],
    )?;
    if !existing.rows.is_empty() {
        return Ok(());
    }
    let mut wanted: BTreeMap<ProductId, u32> = BTreeMap::new();
    for line in &order.lines {
        *wanted.entry(line.product_id.clone()).or_default() += line.quantity;
    }
    for (product_id, quantity) in &wanted {
        let available = stock_of(db, product_id)?;
        if available < i64::from(*quantity) {
            let rejected = StockRejected {
                order_id: order.order_id.clone(),
                product_id: product_id.clone(),
                requested: *quantity,
                available: available.max(0) as u32,
            };
            outbox::enqueue(db, SERVICE, &rejected, trace)?;
            return Ok(());
        }
    }
    let now = now_ms();
    for (product_id, quantity) in &wanted {
        db.execute(
            "UPDATE products SET stock = stock - ?, updated_at = ? WHERE id = ?",
            &[int(*quantity), int(now), text(product_id.as_str())],
        )?;
        db.execute(
            "INSERT INTO reservations (order_id, product_id, quantity, status, updated_at)
             VALUES (?, ?, ?, 'reserved', ?)",
            &[
                text(order.order_id.as_str()),
                text(product_id.as_str()),
                int(*quantity),
                int(now),
            ],
        )?;
    }
    let reserved = StockReserved {
        order_id: order.order_id.clone(),
        lines: stock_lines(&wanted),
    };
    outbox::enqueue(db, SERVICE, &reserved, trace)?;
    Ok(())
}

/// Puts back what was reserved for `order_id`, once; nothing if nothing was reserved.
fn release(db: &Db, order_id: &OrderId, trace: Option<&str>) -> Result<(), HandlerError> {
    let now = now_ms();
    let released = db.query(
        "UPDATE reservations SET status = 'released', updated_at = ?
         WHERE order_id = ? AND status = 'reserved' RETURNING product_id, quantity",
        &[int(now), text(order_id.as_str())],
    )?;
    let mut lines: BTreeMap<ProductId, u32> = BTreeMap::new();
    for row in Rows::new(&released).iter() {
        let quantity = row.int("quantity");
        db.execute(
            "UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ?",
            &[int(quantity), int(now), text(row.text("product_id"))],
        )?;
        if let Some(id) = ProductId::parse(&row.text("product_id")) {
            lines.insert(id, quantity as u32);
        }
    }
    if !lines.is_empty() {
        let event = StockReleased {
            order_id: order_id.clone(),
            lines: stock_lines(&lines),
        };
        outbox::enqueue(db, SERVICE, &event, trace)?;
    }
    Ok(())
}

fn stock_of(db: &Db, product_id: &ProductId) -> Result<i64, HandlerError> {
    let result = db.query(
        "SELECT stock FROM products WHERE id = ?",
        &[text(product_id.as_str())],
    )?;
    // A product deleted since the order was placed has no stock.
    Ok(Rows::new(&result).first().map_or(0, |row| row.int("stock")))
}

fn stock_lines(quantities: &BTreeMap<ProductId, u32>) -> Vec<StockLine> {
    quantities
        .iter()
        .map(|(product_id, quantity)| StockLine {
            product_id: product_id.clone(),
            quantity: *quantity,
        })
        .collect()
}
