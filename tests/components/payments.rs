//! `payments` alone: real event envelopes published on its channels, its own events
//! observed on `wasmart.payments`, its table and the fake card processor's ledger read
//! directly, and its private routes.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{
    assert_dead_letters_admin_only, assert_field_error, assert_matches_schema, assert_problem,
    assert_replay_contract, dead_letters, envelope, Shop, User, WAIT,
};
use wasmart_testing::eventually;

const LEDGER: &str = "fake-card-processor";

async fn start() -> Shop {
    Shop::start_only(&["payments"]).await
}

/// The trace context of the test checkout; payments' events must carry it on.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// An envelope of the test checkout (with its trace context).
fn traced(event_type: &str, producer: &str, order_id: &str, payload: Value) -> Value {
    let mut event = envelope(event_type, producer, order_id, payload);
    event["traceparent"] = json!(TRACEPARENT);
    event
}

/// One checkout, as the events about it describe it.
struct Order {
    id: String,
    user: User,
    token: &'static str,
    /// Cents.
    total: i64,
}

impl Order {
    fn new(token: &'static str) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user: User::customer(),
            token,
            total: 2_468,
        }
    }

    fn created(&self) -> Value {
        let price = json!({"amount": self.total / 2, "currency": "USD"});
        traced(
            "OrderCreated",
            "orders",
            &self.id,
            json!({
                "order_id": self.id,
                "user_id": self.user.id,
                "email": self.user.email,
                "lines": [{
                    "product_id": uuid::Uuid::new_v4().to_string(),
                    "sku": "MUG-1",
                    "name": "Mug",
                    "quantity": 2,
                    "unit_price": price,
                    "line_total": {"amount": self.total, "currency": "USD"},
                }],
                "total": {"amount": self.total, "currency": "USD"},
                "card_token": self.token,
                "shipping_address": {
                    "name": "Ada Lovelace",
                    "line1": "1 Analytical Way",
                    "city": "London",
                    "postal_code": "N1 9GU",
                    "country": "GB",
                },
            }),
        )
    }

    fn stock_reserved(&self) -> Value {
        traced(
            "StockReserved",
            "catalog",
            &self.id,
            json!({
                "order_id": self.id,
                "lines": [{"product_id": uuid::Uuid::new_v4().to_string(), "quantity": 2}],
            }),
        )
    }

    fn stock_rejected(&self) -> Value {
        traced(
            "StockRejected",
            "catalog",
            &self.id,
            json!({
                "order_id": self.id,
                "product_id": uuid::Uuid::new_v4().to_string(),
                "requested": 2,
                "available": 1,
            }),
        )
    }

    fn cancelled(&self) -> Value {
        traced(
            "OrderCancelled",
            "orders",
            &self.id,
            json!({
                "order_id": self.id,
                "user_id": self.user.id,
                "email": self.user.email,
                "reason": "customer",
            }),
        )
    }
}

async fn publish(shop: &Shop, channel: &str, event: &Value) {
    shop.redis
        .publish(channel, event.to_string().as_bytes())
        .await
        .unwrap();
}

/// `status, attempts, charge_id, failure_reason, stock_reserved` of the order's row; `None`
/// also before the first message created the database.
fn payment_row(shop: &Shop, order_id: &str) -> Option<Vec<Value>> {
    let sql = format!(
        "SELECT status, attempts, charge_id, failure_reason, stock_reserved
         FROM payments WHERE order_id = '{order_id}'"
    );
    match shop.app.sqlite_query("payments", &sql) {
        Ok(rows) => rows.into_iter().next(),
        Err(error) if format!("{error:#}").contains("no such table") => None,
        Err(error) => panic!("{sql}: {error:#}"),
    }
}

async fn wait_for_status(shop: &Shop, order_id: &str, status: &str) -> Vec<Value> {
    eventually(WAIT, || async {
        payment_row(shop, order_id).filter(|row| row[0] == status)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "payment of {order_id} never became {status}: {:?}",
            payment_row(shop, order_id)
        )
    })
}

async fn wait_for_row(shop: &Shop, order_id: &str) {
    eventually(WAIT, || async { payment_row(shop, order_id) })
        .await
        .unwrap_or_else(|| panic!("no payment row for {order_id}"));
}

/// The fake processor's ledger for an order, validated against its schema.
fn ledger(shop: &Shop, order_id: &str) -> Option<Value> {
    let bytes = shop
        .app
        .kv_get(LEDGER, &format!("charges:{order_id}"))
        .unwrap()?;
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    assert_matches_schema("payments/charge-ledger.schema.json", &value);
    Some(value)
}

fn outbox_count(shop: &Shop, event_type: &str, order_id: &str) -> i64 {
    shop.sql(
        "payments",
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE event_type = '{event_type}' AND correlation_id = '{order_id}'"
        ),
    )[0][0]
        .as_i64()
        .unwrap()
}

/// Every message of the subscription within `window`, parsed.
async fn drain(
    subscription: &mut wasmart_testing::RedisSubscription,
    window: Duration,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + window;
    let mut messages = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return messages;
        }
        match subscription.next_message(left).await {
            Ok(bytes) => messages.push(serde_json::from_slice(&bytes).unwrap()),
            Err(_) => return messages,
        }
    }
}

/// Waits until an event of `event_type` about `order_id` is published, and returns it.
async fn expect_event(
    subscription: &mut wasmart_testing::RedisSubscription,
    event_type: &str,
    order_id: &str,
) -> Value {
    loop {
        let bytes = subscription
            .next_message(WAIT)
            .await
            .unwrap_or_else(|_| panic!("no {event_type} for {order_id}"));
        let event: Value = serde_json::from_slice(&bytes).unwrap();
        if event["type"] == event_type && event["correlation_id"] == order_id {
            return event;
        }
    }
}

/// Distinct event ids of `event_type` among `messages` (redelivery repeats an id).
fn distinct(messages: &[Value], event_type: &str) -> HashSet<String> {
    messages
        .iter()
        .filter(|m| m["type"] == event_type)
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_one_approved_charge(ledger: &Value, attempts: usize) {
    let recorded = ledger["attempts"].as_array().unwrap();
    assert_eq!(recorded.len(), attempts, "{ledger}");
    let approved = recorded
        .iter()
        .filter(|a| a["outcome"] == "approved")
        .count();
    assert_eq!(approved, 1, "{ledger}");
    assert!(ledger["charge"]["charge_id"].is_string(), "{ledger}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_then_stock_charges_once_and_announces_success_once() {
    let shop = start().await;
    let mut events = shop.redis.subscribe("wasmart.payments").await.unwrap();
    let order = Order::new("tok_visa");
    publish(&shop, "wasmart.orders", &order.created()).await;
    let waiting = wait_for_status(&shop, &order.id, "awaiting_stock").await;
    assert_eq!(waiting[4], 0, "stock not reserved yet");
    assert!(
        ledger(&shop, &order.id).is_none(),
        "charged before the stock was reserved"
    );

    publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    let succeeded = expect_event(&mut events, "PaymentSucceeded", &order.id).await;
    let payload = &succeeded["payload"];
    assert_eq!(payload["order_id"], order.id.as_str());
    assert_eq!(payload["user_id"], order.user.id.as_str());
    assert_eq!(payload["email"], order.user.email.as_str());
    assert_eq!(
        payload["amount"],
        json!({"amount": 2468, "currency": "USD"})
    );
    assert_eq!(succeeded["producer"], "payments");
    assert_eq!(succeeded["version"], 1);
    assert_eq!(
        succeeded["traceparent"], TRACEPARENT,
        "the checkout's trace continues"
    );

    let row = wait_for_status(&shop, &order.id, "succeeded").await;
    assert_eq!(row[1], 1, "one charge attempt");
    let ledger = ledger(&shop, &order.id).expect("the processor saw the charge");
    assert_one_approved_charge(&ledger, 1);
    assert_eq!(row[2], ledger["charge"]["charge_id"]);
    assert_eq!(
        ledger["charge"]["amount"],
        json!({"amount": 2468, "currency": "USD"})
    );
    let charge_id = ledger["charge"]["charge_id"].as_str().unwrap();
    let index = shop
        .app
        .kv_get(LEDGER, &format!("charge-ids:{charge_id}"))
        .unwrap()
        .expect("the charge is indexed for refunds");
    let index: Value = serde_json::from_slice(&index).unwrap();
    assert_matches_schema("payments/charge-index.schema.json", &index);
    assert_eq!(index["idempotency_key"], order.id.as_str());
    assert_eq!(
        payload["payment_id"],
        shop.sql(
            "payments",
            &format!("SELECT id FROM payments WHERE order_id = '{}'", order.id)
        )[0][0]
    );

    // Nobody confirms in this test, so the relay publishes again: always the same event.
    let later = drain(&mut events, Duration::from_millis(2500)).await;
    let mut ids = distinct(&later, "PaymentSucceeded");
    ids.insert(succeeded["id"].as_str().unwrap().to_owned());
    assert_eq!(ids.len(), 1, "PaymentSucceeded announced once: {later:?}");
    assert_eq!(outbox_count(&shop, "PaymentSucceeded", &order.id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_then_order_charges_once() {
    let shop = start().await;
    let mut events = shop.redis.subscribe("wasmart.payments").await.unwrap();
    let order = Order::new("tok_visa");
    publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    wait_for_row(&shop, &order.id).await;
    assert_eq!(
        payment_row(&shop, &order.id).unwrap()[4],
        1,
        "the reservation is remembered"
    );
    assert!(ledger(&shop, &order.id).is_none());
    // A row without its intent is no payment anybody can see.
    let admin = User::admin();
    let listed = shop
        .call(
            "payments",
            "GET",
            &format!("/payments?order_id={}", order.id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(listed.json()["items"], json!([]));

    publish(&shop, "wasmart.orders", &order.created()).await;
    expect_event(&mut events, "PaymentSucceeded", &order.id).await;
    let row = wait_for_status(&shop, &order.id, "succeeded").await;
    assert_eq!(row[1], 1);
    assert_one_approved_charge(&ledger(&shop, &order.id).unwrap(), 1);
    assert_eq!(outbox_count(&shop, "PaymentSucceeded", &order.id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_delivered_twice_changes_nothing() {
    let shop = start().await;
    let mut events = shop.redis.subscribe("wasmart.payments").await.unwrap();
    let order = Order::new("tok_visa");
    let created = order.created();
    let reserved = order.stock_reserved();
    for _ in 0..2 {
        publish(&shop, "wasmart.orders", &created).await;
        publish(&shop, "wasmart.catalog", &reserved).await;
    }
    expect_event(&mut events, "PaymentSucceeded", &order.id).await;
    wait_for_status(&shop, &order.id, "succeeded").await;
    // The same facts again, even under new event ids.
    publish(&shop, "wasmart.orders", &created).await;
    publish(&shop, "wasmart.orders", &order.created()).await;
    publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    let seen = eventually(WAIT, || async {
        let inbox = shop.sql("payments", "SELECT COUNT(*) FROM inbox")[0][0]
            .as_i64()
            .unwrap();
        (inbox == 4).then_some(())
    })
    .await;
    assert!(seen.is_some(), "the new event ids were recorded");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let payment = payment_row(&shop, &order.id).unwrap();
    assert_eq!(payment[0], "succeeded");
    assert_eq!(payment[1], 1, "charged once");
    assert_one_approved_charge(&ledger(&shop, &order.id).unwrap(), 1);
    assert_eq!(outbox_count(&shop, "PaymentSucceeded", &order.id), 1);
    assert_eq!(
        shop.sql("payments", "SELECT COUNT(*) FROM payments")[0][0],
        1,
        "one row per order"
    );

    // A cancellation delivered twice refunds once.
    let cancelled = order.cancelled();
    publish(&shop, "wasmart.orders", &cancelled).await;
    publish(&shop, "wasmart.orders", &cancelled).await;
    publish(&shop, "wasmart.orders", &order.cancelled()).await;
    expect_event(&mut events, "PaymentRefunded", &order.id).await;
    wait_for_status(&shop, &order.id, "refunded").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(outbox_count(&shop, "PaymentRefunded", &order.id), 1);
    assert_eq!(payment_row(&shop, &order.id).unwrap()[0], "refunded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_fails_the_payment_without_a_charge() {
    let shop = start().await;
    let mut events = shop.redis.subscribe("wasmart.payments").await.unwrap();
    let order = Order::new("tok_chargeDeclined");
    publish(&shop, "wasmart.orders", &order.created()).await;
    publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    let failed = expect_event(&mut events, "PaymentFailed", &order.id).await;
    assert_eq!(failed["payload"]["reason"], "card_declined");
    assert_eq!(failed["payload"]["amount"]["amount"], 2468);
    let row = wait_for_status(&shop, &order.id, "failed").await;
    assert_eq!(row[3], "card_declined");
    assert_eq!(row[2], Value::Null, "no charge id");
    let ledger = ledger(&shop, &order.id).unwrap();
    assert_eq!(
        ledger["attempts"].as_array().unwrap().len(),
        1,
        "declines are not retried"
    );
    assert_eq!(ledger["attempts"][0]["outcome"], "declined");
    assert_eq!(ledger["charge"], Value::Null, "nothing charged");
    assert_eq!(outbox_count(&shop, "PaymentSucceeded", &order.id), 0);

    // Any other test token declines too.
    let other = Order::new("tok_mastercard");
    publish(&shop, "wasmart.orders", &other.created()).await;
    publish(&shop, "wasmart.catalog", &other.stock_reserved()).await;
    let failed = expect_event(&mut events, "PaymentFailed", &other.id).await;
    assert_eq!(failed["payload"]["reason"], "card_declined");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processing_errors_are_retried_until_the_charge_succeeds() {
    let shop = start().await;
    let mut events = shop.redis.subscribe("wasmart.payments").await.unwrap();
    let order = Order::new("tok_processingError");
    publish(&shop, "wasmart.orders", &order.created()).await;
    publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    let retrying = eventually(WAIT, || async {
        payment_row(&shop, &order.id).filter(|row| row[0] == "charging" && row[1] == 1)
    })
    .await;
    assert!(
        retrying.is_some(),
        "the first attempt failed and will be retried"
    );
    expect_event(&mut events, "PaymentSucceeded", &order.id).await;
    let row = wait_for_status(&shop, &order.id, "succeeded").await;
    assert_eq!(row[1], 3, "two transient errors, then the approval");
    let ledger = ledger(&shop, &order.id).unwrap();
    let outcomes: Vec<&str> = ledger["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["transient_error", "transient_error", "approved"]);
    assert_one_approved_charge(&ledger, 3);
    assert_eq!(outbox_count(&shop, "PaymentFailed", &order.id), 0);
    assert_eq!(outbox_count(&shop, "PaymentSucceeded", &order.id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_processor_failures_is_announced_once_and_declines_do_not_count() {
    let shop = start().await;
    let mut events = shop.redis.subscribe("wasmart.payments").await.unwrap();
    // Declines are the card's answer, not the processor failing.
    for _ in 0..6 {
        let declined = Order::new("tok_chargeDeclined");
        publish(&shop, "wasmart.orders", &declined.created()).await;
        publish(&shop, "wasmart.catalog", &declined.stock_reserved()).await;
        expect_event(&mut events, "PaymentFailed", &declined.id).await;
    }
    let announced = |shop: &Shop| {
        shop.sql(
            "payments",
            "SELECT COUNT(*) FROM outbox WHERE event_type = 'CardProcessorFailuresDetected'",
        )[0][0]
            .as_i64()
            .unwrap()
    };
    assert_eq!(announced(&shop), 0);
    // Three flaky orders: two transient errors each, five of them within the window.
    let flaky: Vec<Order> = (0..3).map(|_| Order::new("tok_processingError")).collect();
    for order in &flaky {
        publish(&shop, "wasmart.orders", &order.created()).await;
        publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    }
    for order in &flaky {
        wait_for_status(&shop, &order.id, "succeeded").await;
    }
    let messages = drain(&mut events, Duration::from_millis(1500)).await;
    let bursts: Vec<&Value> = messages
        .iter()
        .filter(|m| m["type"] == "CardProcessorFailuresDetected")
        .collect();
    assert!(!bursts.is_empty(), "no burst announced: {messages:?}");
    assert_eq!(announced(&shop), 1, "one announcement per window");
    let payload = &bursts[0]["payload"];
    assert!(payload["failures"].as_u64().unwrap() >= 5, "{payload}");
    assert_eq!(payload["window_seconds"], 60);
    assert_eq!(bursts[0]["correlation_id"], payload["burst_id"]);
    assert!(crate::support::event_errors(bursts[0]).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_stock_voids_the_intent_in_either_order() {
    let shop = start().await;
    let first = Order::new("tok_visa");
    publish(&shop, "wasmart.orders", &first.created()).await;
    wait_for_status(&shop, &first.id, "awaiting_stock").await;
    publish(&shop, "wasmart.catalog", &first.stock_rejected()).await;
    let row = wait_for_status(&shop, &first.id, "voided").await;
    assert_eq!(row[3], "out_of_stock");

    let second = Order::new("tok_visa");
    publish(&shop, "wasmart.catalog", &second.stock_rejected()).await;
    wait_for_status(&shop, &second.id, "voided").await;
    publish(&shop, "wasmart.orders", &second.created()).await;
    let has_intent = eventually(WAIT, || async {
        let rows = shop.sql(
            "payments",
            &format!(
                "SELECT user_id, status FROM payments WHERE order_id = '{}'",
                second.id
            ),
        );
        (rows[0][0] == second.user.id.as_str()).then(|| rows[0][1].clone())
    })
    .await;
    assert_eq!(
        has_intent,
        Some(json!("voided")),
        "the late intent stays void"
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    for order in [&first, &second] {
        assert!(
            ledger(&shop, &order.id).is_none(),
            "never sent to the processor"
        );
        assert_eq!(outbox_count(&shop, "PaymentSucceeded", &order.id), 0);
        assert_eq!(outbox_count(&shop, "PaymentFailed", &order.id), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_paid_order_refunds_it() {
    let shop = start().await;
    let mut events = shop.redis.subscribe("wasmart.payments").await.unwrap();
    let order = Order::new("tok_visa");
    publish(&shop, "wasmart.orders", &order.created()).await;
    publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    let succeeded = expect_event(&mut events, "PaymentSucceeded", &order.id).await;
    wait_for_status(&shop, &order.id, "succeeded").await;

    publish(&shop, "wasmart.orders", &order.cancelled()).await;
    let refunded = expect_event(&mut events, "PaymentRefunded", &order.id).await;
    assert_eq!(
        refunded["payload"]["payment_id"],
        succeeded["payload"]["payment_id"]
    );
    assert_eq!(
        refunded["payload"]["amount"],
        json!({"amount": 2468, "currency": "USD"})
    );
    assert_eq!(refunded["payload"]["user_id"], order.user.id.as_str());
    wait_for_status(&shop, &order.id, "refunded").await;
    let ledger = ledger(&shop, &order.id).unwrap();
    assert!(ledger["charge"]["refunded_at"].is_string(), "{ledger}");
    assert_eq!(ledger["attempts"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_before_the_charge_voids_it_for_good() {
    let shop = start().await;
    let order = Order::new("tok_visa");
    publish(&shop, "wasmart.orders", &order.created()).await;
    wait_for_status(&shop, &order.id, "awaiting_stock").await;
    publish(&shop, "wasmart.orders", &order.cancelled()).await;
    let payment = wait_for_status(&shop, &order.id, "voided").await;
    assert_eq!(payment[3], "order_cancelled");
    publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    eventually(WAIT, || async {
        row_reserved(&shop, &order.id).then_some(())
    })
    .await
    .expect("the late reservation was recorded");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(payment_row(&shop, &order.id).unwrap()[0], "voided");
    assert!(ledger(&shop, &order.id).is_none(), "never charged");
    assert_eq!(outbox_count(&shop, "PaymentRefunded", &order.id), 0);
}

fn row_reserved(shop: &Shop, order_id: &str) -> bool {
    payment_row(shop, order_id).is_some_and(|row| row[4] == 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_are_shown_to_their_owner_and_admins_only() {
    let shop = start().await;
    let mut events = shop.redis.subscribe("wasmart.payments").await.unwrap();
    let order = Order::new("tok_visa");
    publish(&shop, "wasmart.orders", &order.created()).await;
    publish(&shop, "wasmart.catalog", &order.stock_reserved()).await;
    let succeeded = expect_event(&mut events, "PaymentSucceeded", &order.id).await;
    let payment_id = succeeded["payload"]["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for_status(&shop, &order.id, "succeeded").await;
    let owner = &order.user;
    let stranger = User::customer();
    let admin = User::admin();
    let by_order = format!("/payments?order_id={}", order.id);

    let mine = shop
        .call("payments", "GET", &by_order, Some(owner), None)
        .await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    assert!(
        !mine.text().contains("tok_visa"),
        "the card token leaked: {}",
        mine.text()
    );
    let items = mine.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let payment = &items[0];
    assert_eq!(payment["id"], payment_id.as_str());
    assert_eq!(payment["order_id"], order.id.as_str());
    assert_eq!(payment["status"], "succeeded");
    assert_eq!(payment["card_hint"], "visa");
    assert_eq!(
        payment["amount"],
        json!({"amount": 2468, "currency": "USD"})
    );
    assert_eq!(payment["attempts"], 1);
    assert!(payment["charge_id"].is_string());
    assert!(payment["created_at"].as_str().unwrap().ends_with('Z'));

    let all_mine = shop
        .call("payments", "GET", "/payments", Some(owner), None)
        .await;
    assert_eq!(all_mine.json()["items"].as_array().unwrap().len(), 1);
    let theirs = shop
        .call("payments", "GET", &by_order, Some(&stranger), None)
        .await;
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.json()["items"], json!([]), "a stranger sees nothing");
    let all_theirs = shop
        .call("payments", "GET", "/payments", Some(&stranger), None)
        .await;
    assert_eq!(all_theirs.json()["items"], json!([]));
    let as_admin = shop
        .call("payments", "GET", &by_order, Some(&admin), None)
        .await;
    assert_eq!(as_admin.json()["items"][0]["id"], payment_id.as_str());
    let everything = shop
        .call("payments", "GET", "/payments", Some(&admin), None)
        .await;
    assert_eq!(everything.json()["items"].as_array().unwrap().len(), 1);

    let one = format!("/payments/{payment_id}");
    let own = shop.call("payments", "GET", &one, Some(owner), None).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.json()["status"], "succeeded");
    assert!(!own.text().contains("tok_visa"));
    assert_eq!(
        shop.call("payments", "GET", &one, Some(&admin), None)
            .await
            .status,
        200
    );
    assert_problem(
        &shop
            .call("payments", "GET", &one, Some(&stranger), None)
            .await,
        404,
    );
    assert_problem(&shop.call("payments", "GET", &one, None, None).await, 401);
    assert_problem(
        &shop
            .call("payments", "GET", "/payments/nope", Some(owner), None)
            .await,
        404,
    );
    let unknown = format!("/payments/{}", uuid::Uuid::new_v4());
    assert_problem(
        &shop
            .call("payments", "GET", &unknown, Some(&admin), None)
            .await,
        404,
    );
    assert_problem(
        &shop.call("payments", "GET", "/payments", None, None).await,
        401,
    );
    assert_field_error(
        &shop
            .call(
                "payments",
                "GET",
                "/payments?order_id=42",
                Some(owner),
                None,
            )
            .await,
        "order_id",
    );
    assert_problem(
        &shop
            .call("payments", "DELETE", &one, Some(&admin), None)
            .await,
        405,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_for_admins_and_can_be_replayed() {
    let shop = start().await;
    let customer = User::customer();
    assert_dead_letters_admin_only(&shop, "payments", &customer).await;

    // A payload that breaks the contract, and a message that is no envelope at all.
    let order = Order::new("tok_visa");
    let mut broken = order.created();
    broken["payload"]["total"] = json!({"amount": -5, "currency": "USD"});
    publish(&shop, "wasmart.orders", &broken).await;
    shop.redis
        .publish("wasmart.catalog", b"not an envelope")
        .await
        .unwrap();
    let listed = dead_letters(&shop, "payments", 2, WAIT)
        .await
        .expect("both became dead letters");
    assert_eq!(listed["undelivered"], json!([]));
    let dead = listed["dead_letters"].as_array().unwrap();
    let contract = dead
        .iter()
        .find(|d| d["event_type"] == "OrderCreated")
        .unwrap();
    assert_eq!(contract["event_id"], broken["id"]);
    assert!(dead.iter().any(|d| d["event_type"] == "unreadable"));
    assert!(
        payment_row(&shop, &order.id).is_none(),
        "nothing recorded from a broken event"
    );

    assert_replay_contract(&shop, "payments", &broken["id"], &customer, "DeadLettered").await;
}
