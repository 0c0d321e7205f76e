//! Checkout across every service with a real Redis: the saga reaches its terminal states, stock
//! never goes negative, and nothing is lost or done twice when Redis dies mid-way.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{json, Value};

use crate::support::{checkout_body, Shop, User};
use wasmart_testing::eventually;

/// Order states no event moves an order out of (`paid` only moves by an admin's fulfil).
const TERMINAL: &[&str] = &["paid", "payment_failed", "cancelled", "fulfilled"];

/// Creates a product with `stock` through catalog's admin route and returns its id.
pub(crate) async fn create_product(shop: &Shop, stock: i64) -> String {
    let sku = format!("TEST-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]).to_uppercase();
    shop.create_product(json!({
        "sku": sku,
        "name": "Limited edition kettle",
        "description": "Only a few were made.",
        "category": first_category(shop).await,
        "price": {"amount": 4999, "currency": "USD"},
        "stock": stock
    }))
    .await
}

async fn first_category(shop: &Shop) -> String {
    let categories = shop.call("catalog", "GET", "/categories", None, None).await;
    assert_eq!(categories.status, 200, "{}", categories.text());
    let body = categories.json();
    let list = body
        .as_array()
        .or_else(|| body["items"].as_array())
        .expect("a list of categories");
    list[0]["slug"].as_str().unwrap().to_owned()
}

async fn stock_of(shop: &Shop, product_id: &str) -> i64 {
    let product = shop
        .call(
            "catalog",
            "GET",
            &format!("/products/{product_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(product.status, 200, "{}", product.text());
    product.json()["stock"].as_i64().unwrap()
}

pub(crate) async fn add_to_cart(shop: &Shop, user: &User, product_id: &str, quantity: u32) {
    let put = shop
        .call(
            "cart",
            "PUT",
            &format!("/cart/items/{product_id}"),
            Some(user),
            Some(json!({ "quantity": quantity })),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
}

/// Checks out `user`'s cart with `card_token`; returns the order id.
pub(crate) async fn checkout(shop: &Shop, user: &User, card_token: &str, key: &str) -> String {
    let response = shop
        .call_with_headers(
            "orders",
            "POST",
            "/orders",
            Some(user),
            Some(checkout_body(card_token)),
            &[("idempotency-key", key)],
        )
        .await;
    assert!(
        response.status == 202 || response.status == 200,
        "checkout: {} {}\norders log:\n{}",
        response.status,
        response.text(),
        tail(&shop.app.component_log("orders"), 20)
    );
    let order = response.json();
    assert_eq!(order["status"], "pending_payment", "{order}");
    order["id"].as_str().unwrap().to_owned()
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

async fn order_status(shop: &Shop, user: &User, order_id: &str) -> String {
    let order = shop
        .call(
            "orders",
            "GET",
            &format!("/orders/{order_id}"),
            Some(user),
            None,
        )
        .await;
    assert_eq!(order.status, 200, "{}", order.text());
    order.json()["status"].as_str().unwrap().to_owned()
}

/// Waits until the order is in one of `states`; panics with the last status otherwise.
pub(crate) async fn wait_for_status(
    shop: &Shop,
    user: &User,
    order_id: &str,
    states: &[&str],
    timeout: Duration,
) -> String {
    let reached = eventually(timeout, || async {
        let status = order_status(shop, user, order_id).await;
        states.contains(&status.as_str()).then_some(status)
    })
    .await;
    match reached {
        Some(status) => status,
        None => panic!(
            "order {order_id} is still {} after {timeout:?}",
            order_status(shop, user, order_id).await
        ),
    }
}

async fn notification_kinds(shop: &Shop, user: &User) -> Vec<String> {
    let list = shop
        .call(
            "notifications",
            "GET",
            "/notifications?page_size=100",
            Some(user),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text());
    list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_card_is_paid_within_two_seconds_with_stock_taken_and_notifications_sent() {
    let shop = Shop::start().await;
    let product = create_product(&shop, 5).await;
    let customer = User::customer();
    add_to_cart(&shop, &customer, &product, 2).await;

    let started = Instant::now();
    let order = checkout(&shop, &customer, "tok_visa", "approved-1").await;
    wait_for_status(&shop, &customer, &order, &["paid"], Duration::from_secs(2)).await;
    let elapsed = started.elapsed();
    eprintln!("checkout to paid: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "paid after {elapsed:?}");

    assert_eq!(stock_of(&shop, &product).await, 3);
    let cart = shop
        .call("cart", "GET", "/cart", Some(&customer), None)
        .await;
    assert_eq!(cart.json()["item_count"], 0, "{}", cart.text());
    let kinds = eventually(Duration::from_secs(5), || async {
        let kinds = notification_kinds(&shop, &customer).await;
        (kinds.contains(&"order_confirmed".to_owned())
            && kinds.contains(&"payment_received".to_owned()))
        .then_some(kinds)
    })
    .await
    .expect("order_confirmed and payment_received notifications");
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    let charges = shop.sql(
        "payments",
        &format!("SELECT status FROM payments WHERE order_id = '{order}'"),
    );
    assert_eq!(charges, vec![vec![json!("succeeded")]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_fails_the_payment_and_gives_the_stock_back() {
    let shop = Shop::start().await;
    let product = create_product(&shop, 4).await;
    let customer = User::customer();
    add_to_cart(&shop, &customer, &product, 3).await;

    let order = checkout(&shop, &customer, "tok_chargeDeclined", "declined-1").await;
    wait_for_status(
        &shop,
        &customer,
        &order,
        &["payment_failed"],
        Duration::from_secs(5),
    )
    .await;
    let restored = eventually(Duration::from_secs(5), || async {
        (stock_of(&shop, &product).await == 4).then_some(())
    })
    .await;
    assert!(
        restored.is_some(),
        "stock is {}",
        stock_of(&shop, &product).await
    );
    let kinds = eventually(Duration::from_secs(5), || async {
        let kinds = notification_kinds(&shop, &customer).await;
        kinds
            .contains(&"payment_failed".to_owned())
            .then_some(kinds)
    })
    .await
    .expect("a payment_failed notification");
    assert!(!kinds.contains(&"payment_received".to_owned()), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_checkout_with_the_same_key_creates_one_order() {
    let shop = Shop::start().await;
    let product = create_product(&shop, 10).await;
    let customer = User::customer();
    add_to_cart(&shop, &customer, &product, 1).await;

    let first = checkout(&shop, &customer, "tok_visa", "retry-key").await;
    let second = checkout(&shop, &customer, "tok_visa", "retry-key").await;
    assert_eq!(first, second);
    wait_for_status(&shop, &customer, &first, &["paid"], Duration::from_secs(5)).await;
    let orders = shop.sql("orders", "SELECT COUNT(*) FROM orders");
    assert_eq!(orders, vec![vec![json!(1)]]);
    assert_eq!(stock_of(&shop, &product).await, 9);
}

/// Runs `count` customers, each buying one unit of `product`, all checking out at once, and
/// returns (customer, order id) pairs. Every 50 ms meanwhile it checks that stock is never
/// negative.
async fn concurrent_checkouts(shop: &Shop, product: &str, count: usize) -> Vec<(User, String)> {
    let customers: Vec<User> = (0..count).map(|_| User::customer()).collect();
    for customer in &customers {
        add_to_cart(shop, customer, product, 1).await;
    }
    let checkouts = customers
        .iter()
        .enumerate()
        .map(|(index, customer)| async move {
            let order = checkout(shop, customer, "tok_visa", &format!("concurrent-{index}")).await;
            (customer.clone(), order)
        });
    join_all(checkouts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_checkouts_for_ten_in_stock_pay_exactly_ten() {
    let shop = Shop::start().await;
    let product = create_product(&shop, 10).await;

    let orders = concurrent_checkouts(&shop, &product, 50).await;
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for (customer, order) in &orders {
        let status =
            wait_for_status(&shop, customer, order, TERMINAL, Duration::from_secs(60)).await;
        *outcomes.entry(status).or_default() += 1;
    }
    assert_eq!(outcomes.get("paid"), Some(&10), "{outcomes:?}");
    let others: usize = outcomes
        .iter()
        .filter(|(status, _)| *status == "cancelled" || *status == "payment_failed")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(others, 40, "{outcomes:?}");
    assert_eq!(stock_of(&shop, &product).await, 0);
    let never_negative = shop.sql("catalog", "SELECT COUNT(*) FROM products WHERE stock < 0");
    assert_eq!(never_negative, vec![vec![json!(0)]]);
    let charged = shop.sql(
        "payments",
        "SELECT COUNT(*) FROM payments WHERE status = 'succeeded'",
    );
    assert_eq!(charged, vec![vec![json!(10)]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_redis_for_five_seconds_during_two_hundred_checkouts_loses_and_doubles_nothing() {
    let mut shop = Shop::start().await;
    let product = create_product(&shop, 1000).await;
    let customers: Vec<User> = (0..200).map(|_| User::customer()).collect();
    for customer in &customers {
        add_to_cart(&shop, customer, &product, 1).await;
    }

    // Checkouts run in waves of 10; Redis dies after the 6th wave and comes back 5 s later,
    // while checkouts go on.
    let mut orders = Vec::new();
    let mut killed_at = None;
    for (wave, chunk) in customers.chunks(10).enumerate() {
        if wave == 6 {
            shop.redis.kill().await.unwrap();
            killed_at = Some(Instant::now());
        }
        if let Some(at) = killed_at {
            if at.elapsed() >= Duration::from_secs(5) {
                shop.redis.start_again().await.unwrap();
                killed_at = None;
            }
        }
        let wave_orders = join_all(chunk.iter().enumerate().map(|(i, customer)| {
            let shop = &shop;
            async move {
                let key = format!("outage-{wave}-{i}");
                (
                    customer.clone(),
                    checkout(shop, customer, "tok_visa", &key).await,
                )
            }
        }))
        .await;
        orders.extend(wave_orders);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(at) = killed_at {
        tokio::time::sleep(Duration::from_secs(5).saturating_sub(at.elapsed())).await;
        shop.redis.start_again().await.unwrap();
    }
    assert_eq!(orders.len(), 200);

    for (customer, order) in &orders {
        wait_for_status(&shop, customer, order, TERMINAL, Duration::from_secs(120)).await;
    }
    let doubled = shop.sql(
        "payments",
        "SELECT order_id, COUNT(*) FROM payments GROUP BY order_id HAVING COUNT(*) > 1",
    );
    assert!(doubled.is_empty(), "orders with two payments: {doubled:?}");
    let paid = shop.sql(
        "orders",
        "SELECT COUNT(*) FROM orders WHERE status = 'paid'",
    );
    let succeeded = shop.sql(
        "payments",
        "SELECT COUNT(*) FROM payments WHERE status = 'succeeded'",
    );
    assert_eq!(
        paid, succeeded,
        "every paid order has exactly one succeeded payment"
    );
    let duplicated = shop.sql(
        "notifications",
        "SELECT order_id, kind, COUNT(*) FROM notifications GROUP BY order_id, kind HAVING COUNT(*) > 1",
    );
    assert!(
        duplicated.is_empty(),
        "duplicated notifications: {duplicated:?}"
    );
    assert_eq!(
        succeeded,
        vec![vec![json!(stock_sold(&shop, &product).await)]],
        "charges equal units sold"
    );
    // The processor's own ledger: no order was ever approved twice.
    for (_, order) in &orders {
        let Some(ledger) = shop
            .app
            .kv_get("fake-card-processor", &format!("charges:{order}"))
            .unwrap()
        else {
            continue;
        };
        let ledger: Value = serde_json::from_slice(&ledger).unwrap();
        let approvals = ledger["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|attempt| attempt["outcome"] == "approved" && attempt["replayed"] == false)
            .count();
        assert!(
            approvals <= 1,
            "order {order} charged {approvals} times: {ledger}"
        );
    }
}

/// Units of `product` sold so far (initial 1000 minus what is left).
async fn stock_sold(shop: &Shop, product: &str) -> i64 {
    1000 - stock_of(shop, product).await
}
