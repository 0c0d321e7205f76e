//! `orders` with cart and catalog: checkout (pricing, idempotency, validation), who may see
//! and change an order, what catalog's and payments' events do to it (the tests publish
//! those events themselves), and the saga watchdog.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{json, Value};
use wasmart_testing::RedisSubscription;

use crate::support::{
    assert_field_error, assert_problem, assert_replay_contract, checkout_body, envelope,
    event_errors, Shop, ShopOptions, TestResponse, User,
};
use wasmart_testing::eventually;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn shop() -> Shop {
    shop_with(Vec::new()).await
}

async fn shop_with(variables: Vec<(String, String)>) -> Shop {
    Shop::start_with(ShopOptions {
        components: vec!["orders", "cart", "catalog"],
        variables,
        ..Default::default()
    })
    .await
}

/// The first `count` products of the seeded catalog.
async fn products(shop: &Shop, count: usize) -> Vec<Value> {
    let list = shop
        .call(
            "catalog",
            "GET",
            &format!("/products?page_size={count}"),
            None,
            None,
        )
        .await;
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), count, "{}", list.text());
    items
}

async fn put_in_cart(shop: &Shop, user: &User, product: &Value, quantity: u32) {
    let put = shop
        .call(
            "cart",
            "PUT",
            &format!("/cart/items/{}", product["id"].as_str().unwrap()),
            Some(user),
            Some(json!({ "quantity": quantity })),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
}

/// Puts two units of the first product in `user`'s cart; returns the product.
async fn fill_cart(shop: &Shop, user: &User) -> Value {
    let product = products(shop, 1).await.remove(0);
    put_in_cart(shop, user, &product, 2).await;
    product
}

async fn checkout(shop: &Shop, user: &User, body: Value, key: Option<&str>) -> TestResponse {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    shop.call_with_headers(
        "orders",
        "POST",
        "/orders",
        Some(user),
        Some(body),
        &headers,
    )
    .await
}

/// A new `pending_payment` order of `user` (fills the cart first).
async fn place_order(shop: &Shop, user: &User) -> Value {
    fill_cart(shop, user).await;
    let response = checkout(shop, user, checkout_body("tok_visa"), None).await;
    assert_eq!(response.status, 202, "{}", response.text());
    response.json()
}

fn id(order: &Value) -> &str {
    order["id"].as_str().unwrap()
}

async fn get_order(shop: &Shop, user: &User, id: &str) -> TestResponse {
    shop.call("orders", "GET", &format!("/orders/{id}"), Some(user), None)
        .await
}

/// `POST /orders/:id/<action>` as `user`.
async fn act(shop: &Shop, user: &User, id: &str, action: &str) -> TestResponse {
    shop.call(
        "orders",
        "POST",
        &format!("/orders/{id}/{action}"),
        Some(user),
        None,
    )
    .await
}

fn count(shop: &Shop, sql: &str) -> i64 {
    shop.sql("orders", sql)[0][0].as_i64().unwrap()
}

async fn publish(shop: &Shop, channel: &str, event: &Value) {
    shop.redis
        .publish(channel, event.to_string().as_bytes())
        .await
        .unwrap();
}

/// Publishes `event` and waits until orders' inbox has recorded it; returns its status
/// there (`done` or `dead`). The trigger handles messages one at a time, so everything
/// published before has been handled too.
async fn deliver(shop: &Shop, channel: &str, event: &Value) -> String {
    publish(shop, channel, event).await;
    let sql = format!(
        "SELECT status FROM inbox WHERE event_id = '{}' AND status IN ('done', 'dead')",
        event["id"].as_str().unwrap()
    );
    eventually(Duration::from_secs(5), || async {
        shop.sql("orders", &sql)
            .first()
            .map(|row| row[0].as_str().unwrap().to_owned())
    })
    .await
    .unwrap_or_else(|| panic!("orders never handled {event}"))
}

/// The next event of `event_type` about order `order_id` on `subscription`.
async fn next_event(
    subscription: &mut RedisSubscription,
    event_type: &str,
    order_id: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = subscription
            .next_message(left)
            .await
            .unwrap_or_else(|_| panic!("no {event_type} for order {order_id}"));
        let event: Value = serde_json::from_slice(&message).unwrap();
        if event["type"] == event_type && event["correlation_id"] == order_id {
            return event;
        }
    }
}

/// The next event about `order` on `subscription` within `timeout`.
async fn next_about(
    subscription: &mut RedisSubscription,
    order: &Value,
    timeout: Duration,
) -> Option<Value> {
    let deadline = Instant::now() + timeout;
    while let Ok(message) = subscription
        .next_message(deadline.saturating_duration_since(Instant::now()))
        .await
    {
        let event: Value = serde_json::from_slice(&message).unwrap();
        if event["correlation_id"] == order["id"] {
            return Some(event);
        }
    }
    None
}

fn payment_event(kind: &str, order: &Value) -> Value {
    let mut payload = json!({
        "order_id": order["id"],
        "user_id": order["user_id"],
        "payment_id": uuid::Uuid::new_v4().to_string(),
        "amount": order["total"],
    });
    if kind == "PaymentFailed" {
        payload["reason"] = json!("card_declined");
    }
    envelope(kind, "payments", id(order), payload)
}

fn stock_event(kind: &str, order: &Value) -> Value {
    let line = &order["lines"][0];
    let payload = if kind == "StockRejected" {
        json!({
            "order_id": order["id"], "product_id": line["product_id"],
            "requested": line["quantity"], "available": 0
        })
    } else {
        json!({
            "order_id": order["id"],
            "lines": [{ "product_id": line["product_id"], "quantity": line["quantity"] }]
        })
    };
    envelope(kind, "catalog", id(order), payload)
}

fn statuses(order: &Value) -> Vec<&str> {
    order["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["status"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_prices_from_the_catalog_announces_the_order_and_empties_the_cart() {
    let shop = shop().await;
    let user = User::customer();
    let [mut dearer, other]: [Value; 2] = products(&shop, 2).await.try_into().unwrap();
    put_in_cart(&shop, &user, &dearer, 2).await;
    put_in_cart(&shop, &user, &other, 1).await;
    // The price changes after the product went into the cart: checkout charges today's.
    dearer["price"]["amount"] = json!(dearer["price"]["amount"].as_i64().unwrap() + 101);
    let draft: serde_json::Map<String, Value> = ["sku", "name", "description", "category"]
        .into_iter()
        .chain(["price", "stock"])
        .map(|field| (field.to_owned(), dearer[field].clone()))
        .collect();
    let repriced = shop
        .call(
            "catalog",
            "PUT",
            &format!("/products/{}", id(&dearer)),
            Some(&User::admin()),
            Some(Value::Object(draft)),
        )
        .await;
    assert_eq!(repriced.status, 200, "{}", repriced.text());
    let mut published = shop.redis.subscribe("wasmart.orders").await.unwrap();

    let response = shop
        .call_with_headers(
            "orders",
            "POST",
            "/orders",
            Some(&user),
            Some(checkout_body("tok_visa")),
            &[("traceparent", TRACEPARENT)],
        )
        .await;
    assert_eq!(response.status, 202, "{}", response.text());
    let order = response.json();
    assert_eq!(
        response.headers["location"],
        format!("/orders/{}", id(&order)).as_str()
    );
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["user_id"], user.id.as_str());
    assert_eq!(order["cancel_reason"], Value::Null);
    assert_eq!(
        order["shipping_address"],
        checkout_body("x")["shipping_address"]
    );
    assert_eq!(statuses(&order), ["pending_payment"]);
    for field in ["created_at", "updated_at"] {
        assert!(order[field].as_str().unwrap().ends_with('Z'), "{order}");
    }
    let lines = order["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{order}");
    let expected = [(&dearer, 2), (&other, 1)];
    let mut total = 0;
    for (line, (product, quantity)) in lines.iter().zip(expected) {
        assert_eq!(line["product_id"], product["id"]);
        assert_eq!(line["sku"], product["sku"]);
        assert_eq!(line["name"], product["name"]);
        assert_eq!(line["quantity"], quantity);
        assert_eq!(line["unit_price"], product["price"]);
        let line_total = product["price"]["amount"].as_i64().unwrap() * quantity;
        assert_eq!(line["line_total"]["amount"], line_total);
        total += line_total;
    }
    assert_eq!(order["total"], json!({"amount": total, "currency": "USD"}));

    let event: Value = serde_json::from_slice(
        &published
            .next_message(Duration::from_secs(5))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(event_errors(&event), Vec::<String>::new(), "{event}");
    assert_eq!(event["type"], "OrderCreated");
    assert_eq!(event["version"], 1);
    assert_eq!(event["producer"], "orders");
    assert_eq!(event["correlation_id"], order["id"]);
    assert_eq!(event["traceparent"], TRACEPARENT);
    let payload = &event["payload"];
    assert_eq!(payload["order_id"], order["id"]);
    assert_eq!(payload["user_id"], user.id.as_str());
    assert_eq!(payload["email"], user.email.as_str());
    assert_eq!(payload["lines"], order["lines"]);
    assert_eq!(payload["total"], order["total"]);
    assert_eq!(payload["card_token"], "tok_visa");
    assert_eq!(payload["shipping_address"], order["shipping_address"]);

    let cart = shop.call("cart", "GET", "/cart", Some(&user), None).await;
    assert_eq!(cart.json()["item_count"], 0, "{}", cart.text());
    let stored = get_order(&shop, &user, id(&order)).await;
    assert_eq!(stored.status, 200);
    assert_eq!(stored.json(), order);
    assert_eq!(count(&shop, "SELECT COUNT(*) FROM order_lines"), 2);
    assert_eq!(
        count(
            &shop,
            "SELECT COUNT(*) FROM outbox WHERE event_type = 'OrderCreated'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_with_the_same_idempotency_key_returns_the_same_order() {
    let shop = shop().await;
    let user = User::customer();
    fill_cart(&shop, &user).await;

    let first = checkout(&shop, &user, checkout_body("tok_visa"), Some("retry-1")).await;
    assert_eq!(first.status, 202, "{}", first.text());
    // The cart is empty now: only the key can bring the order back.
    let retry = checkout(&shop, &user, checkout_body("tok_visa"), Some("retry-1")).await;
    assert!(matches!(retry.status, 200 | 202), "{}", retry.text());
    assert_eq!(retry.json(), first.json());
    assert_eq!(retry.headers["location"], first.headers["location"]);
    assert_eq!(count(&shop, "SELECT COUNT(*) FROM orders"), 1);
    assert_eq!(
        count(
            &shop,
            "SELECT COUNT(*) FROM outbox WHERE event_type = 'OrderCreated'"
        ),
        1
    );

    let different = checkout(
        &shop,
        &user,
        checkout_body("tok_chargeDeclined"),
        Some("retry-1"),
    )
    .await;
    let problem = assert_problem(&different, 422);
    assert!(problem["type"]
        .as_str()
        .unwrap()
        .ends_with("idempotency-key-reused"));

    // Keys belong to their user: another customer's "retry-1" is another checkout.
    let other = User::customer();
    fill_cart(&shop, &other).await;
    let theirs = checkout(&shop, &other, checkout_body("tok_visa"), Some("retry-1")).await;
    assert_eq!(theirs.status, 202, "{}", theirs.text());
    assert_ne!(theirs.json()["id"], first.json()["id"]);

    let long = "k".repeat(256);
    for bad in ["with space", "tab\tkey", long.as_str(), "clé"] {
        fill_cart(&shop, &user).await;
        let response = checkout(&shop, &user, checkout_body("tok_visa"), Some(bad)).await;
        assert_field_error(&response, "Idempotency-Key");
    }
    let longest = "k".repeat(255);
    let accepted = checkout(&shop, &user, checkout_body("tok_visa"), Some(&longest)).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    assert_eq!(count(&shop, "SELECT COUNT(*) FROM orders"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_checkouts_with_one_key_make_one_order() {
    let shop = shop().await;
    let user = User::customer();
    fill_cart(&shop, &user).await;

    let twins =
        join_all((0..10).map(|_| checkout(&shop, &user, checkout_body("tok_visa"), Some("twins"))))
            .await;
    for response in &twins {
        assert!(matches!(response.status, 200 | 202), "{}", response.text());
        assert_eq!(response.json()["id"], twins[0].json()["id"]);
    }
    let created = twins.iter().filter(|r| r.status == 202).count();
    assert_eq!(created, 1, "exactly one request created the order");
    assert_eq!(count(&shop, "SELECT COUNT(*) FROM orders"), 1);
    assert_eq!(count(&shop, "SELECT COUNT(*) FROM status_history"), 1);
    assert_eq!(
        count(
            &shop,
            "SELECT COUNT(*) FROM outbox WHERE event_type = 'OrderCreated'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_cart_or_a_product_the_catalog_dropped_is_a_conflict() {
    let shop = shop().await;
    let user = User::customer();
    let empty = checkout(&shop, &user, checkout_body("tok_visa"), None).await;
    let problem = assert_problem(&empty, 409);
    assert!(
        problem["type"].as_str().unwrap().ends_with("/cart-empty"),
        "{problem}"
    );

    let product = fill_cart(&shop, &user).await;
    let deleted = shop
        .call(
            "catalog",
            "DELETE",
            &format!("/products/{}", id(&product)),
            Some(&User::admin()),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let gone = checkout(&shop, &user, checkout_body("tok_visa"), None).await;
    let problem = assert_problem(&gone, 409);
    assert!(
        problem["detail"].as_str().unwrap().contains(id(&product)),
        "{problem}"
    );
    assert_eq!(count(&shop, "SELECT COUNT(*) FROM orders"), 0);
    let cart = shop.call("cart", "GET", "/cart", Some(&user), None).await;
    assert_eq!(
        cart.json()["items"][0]["product_id"],
        product["id"],
        "the cart is left as it was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_is_unavailable_while_the_cart_cannot_be_reached() {
    let shop = Shop::start_only(&["orders"]).await;
    let user = User::customer();
    let response = checkout(&shop, &user, checkout_body("tok_visa"), Some("k")).await;
    assert_problem(&response, 503);
    assert_eq!(count(&shop, "SELECT COUNT(*) FROM orders"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_checkouts_name_every_field() {
    let shop = shop().await;
    let user = User::customer();
    fill_cart(&shop, &user).await;
    let mut cases = Vec::new();
    for (object, member, value, field) in [
        (
            "shipping_address",
            "name",
            json!("  "),
            "shipping_address.name",
        ),
        (
            "shipping_address",
            "line1",
            json!(42),
            "shipping_address.line1",
        ),
        (
            "shipping_address",
            "line2",
            json!("x".repeat(201)),
            "shipping_address.line2",
        ),
        (
            "shipping_address",
            "city",
            json!(""),
            "shipping_address.city",
        ),
        (
            "shipping_address",
            "postal_code",
            json!("1".repeat(21)),
            "shipping_address.postal_code",
        ),
        (
            "shipping_address",
            "country",
            json!("Britain"),
            "shipping_address.country",
        ),
        (
            "payment",
            "card_token",
            json!("4242424242424242"),
            "payment.card_token",
        ),
        ("payment", "card_token", json!("tok_"), "payment.card_token"),
        (
            "payment",
            "card_number",
            json!("4242"),
            "payment.card_number",
        ),
    ] {
        let mut request = checkout_body("tok_visa");
        request[object][member] = value;
        cases.push((request, field));
    }
    let mut not_an_object = checkout_body("tok_visa");
    not_an_object["payment"] = json!("tok_visa");
    cases.push((not_an_object, "payment"));
    for (object, member, field) in [
        ("", "shipping_address", "shipping_address"),
        ("", "payment", "payment"),
        ("/shipping_address", "city", "shipping_address.city"),
        ("/shipping_address", "country", "shipping_address.country"),
        ("/payment", "card_token", "payment.card_token"),
    ] {
        let mut request = checkout_body("tok_visa");
        request
            .pointer_mut(object)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(member);
        cases.push((request, field));
    }
    for (request, field) in cases {
        assert_field_error(&checkout(&shop, &user, request, None).await, field);
    }
    // Several bad fields are named together.
    let mut several = checkout_body("tok_nope nope");
    several["shipping_address"]["city"] = json!("");
    let problem = assert_problem(&checkout(&shop, &user, several, None).await, 400);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");

    let anonymous = shop
        .call(
            "orders",
            "POST",
            "/orders",
            None,
            Some(checkout_body("tok_visa")),
        )
        .await;
    assert_problem(&anonymous, 401);
    assert_eq!(
        count(&shop, "SELECT COUNT(*) FROM orders"),
        0,
        "no invalid checkout left an order"
    );
    let cart = shop.call("cart", "GET", "/cart", Some(&user), None).await;
    assert_eq!(cart.json()["item_count"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_private_to_their_owner_and_admins() {
    let shop = shop().await;
    let alice = User::customer();
    let bob = User::customer();
    let admin = User::admin();
    let mut alices = Vec::new();
    for _ in 0..3 {
        alices.push(place_order(&shop, &alice).await);
    }
    let bobs = place_order(&shop, &bob).await;
    let first = id(&alices[0]);

    assert_eq!(get_order(&shop, &alice, first).await.status, 200);
    assert_eq!(get_order(&shop, &admin, first).await.status, 200);
    assert_problem(&get_order(&shop, &bob, first).await, 404);
    assert_problem(&get_order(&shop, &alice, "not-a-uuid").await, 404);
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_problem(&get_order(&shop, &alice, &unknown).await, 404);
    let anonymous = shop
        .call("orders", "GET", &format!("/orders/{first}"), None, None)
        .await;
    assert_problem(&anonymous, 401);

    // Alice sees her own orders only, newest first, a page at a time.
    let page = shop
        .call(
            "orders",
            "GET",
            "/orders?page=1&page_size=2",
            Some(&alice),
            None,
        )
        .await
        .json();
    assert_eq!(page["total"], 3);
    assert_eq!(
        (page["page"].clone(), page["page_size"].clone()),
        (json!(1), json!(2))
    );
    let ids: Vec<&str> = page["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&alices[2]), id(&alices[1])]);
    let rest = shop
        .call(
            "orders",
            "GET",
            "/orders?page=2&page_size=2",
            Some(&alice),
            None,
        )
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["id"], first);
    // A customer's `user_id=` does not reach anyone else's orders.
    let sneaky = shop
        .call(
            "orders",
            "GET",
            &format!("/orders?user_id={}", bob.id),
            Some(&alice),
            None,
        )
        .await
        .json();
    assert_eq!(sneaky["total"], 3);
    assert!(sneaky["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["user_id"] == alice.id.as_str()));

    admin_lists(&shop, &admin, &bob, &bobs).await;

    // Changing another's order: customers get 404, and fulfilling is for admins only.
    assert_problem(&act(&shop, &bob, first, "cancel").await, 404);
    assert_problem(&act(&shop, &admin, first, "cancel").await, 403);
    assert_problem(&act(&shop, &alice, first, "fulfil").await, 403);
    assert_problem(&act(&shop, &bob, first, "fulfil").await, 403);
    assert_problem(&act(&shop, &alice, "not-a-uuid", "cancel").await, 404);
    assert_problem(&act(&shop, &admin, "not-a-uuid", "fulfil").await, 404);
    let dead_letters = shop
        .call("orders", "GET", "/admin/dead-letters", Some(&alice), None)
        .await;
    assert_problem(&dead_letters, 403);
    assert_eq!(
        get_order(&shop, &alice, first).await.json()["status"],
        "pending_payment"
    );
}

/// An admin lists everyone's orders (four: `bob` placed `bobs`), or one user's; bad
/// paging or a bad user id names the field.
async fn admin_lists(shop: &Shop, admin: &User, bob: &User, bobs: &Value) {
    let all = shop
        .call("orders", "GET", "/orders", Some(admin), None)
        .await
        .json();
    assert_eq!(all["total"], 4);
    let only_bob = shop
        .call(
            "orders",
            "GET",
            &format!("/orders?user_id={}", bob.id),
            Some(admin),
            None,
        )
        .await
        .json();
    assert_eq!(only_bob["total"], 1);
    assert_eq!(only_bob["items"][0]["id"], bobs["id"]);
    for (query, field) in [
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=101", "page_size"),
        ("user_id=nobody", "user_id"),
    ] {
        let response = shop
            .call(
                "orders",
                "GET",
                &format!("/orders?{query}"),
                Some(admin),
                None,
            )
            .await;
        assert_field_error(&response, field);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_pending_order_can_be_cancelled_and_only_a_paid_one_fulfilled() {
    let shop = shop().await;
    let user = User::customer();
    let admin = User::admin();
    let pending = place_order(&shop, &user).await;
    let paid = place_order(&shop, &user).await;
    let mut published = shop.redis.subscribe("wasmart.orders").await.unwrap();

    let cancelled = act(&shop, &user, id(&pending), "cancel").await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    let cancelled = cancelled.json();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "customer");
    assert_eq!(statuses(&cancelled), ["pending_payment", "cancelled"]);
    let event = next_event(&mut published, "OrderCancelled", id(&pending)).await;
    assert_eq!(event_errors(&event), Vec::<String>::new(), "{event}");
    assert_eq!(
        event["payload"],
        json!({
            "order_id": pending["id"], "user_id": user.id, "email": user.email,
            "reason": "customer"
        })
    );
    let again = assert_problem(&act(&shop, &user, id(&pending), "cancel").await, 409);
    assert!(
        again["detail"].as_str().unwrap().contains("cancelled"),
        "{again}"
    );
    assert_problem(&act(&shop, &admin, id(&pending), "fulfil").await, 409);

    assert_problem(&act(&shop, &admin, id(&paid), "fulfil").await, 409);
    deliver(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentSucceeded", &paid),
    )
    .await;
    assert_eq!(
        get_order(&shop, &user, id(&paid)).await.json()["status"],
        "paid"
    );
    assert_problem(&act(&shop, &user, id(&paid), "cancel").await, 409);
    assert_problem(&act(&shop, &user, id(&paid), "fulfil").await, 403);
    let fulfilled = act(&shop, &admin, id(&paid), "fulfil").await;
    assert_eq!(fulfilled.status, 200, "{}", fulfilled.text());
    assert_eq!(
        statuses(&fulfilled.json()),
        ["pending_payment", "paid", "fulfilled"]
    );
    assert_problem(&act(&shop, &admin, id(&paid), "fulfil").await, 409);
    assert_eq!(
        count(
            &shop,
            "SELECT COUNT(*) FROM outbox WHERE event_type = 'OrderCancelled'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_rejected_cancels_the_order_and_announces_it_once() {
    let shop = shop().await;
    let user = User::customer();
    let order = place_order(&shop, &user).await;
    let mut published = shop.redis.subscribe("wasmart.orders").await.unwrap();

    let rejected = stock_event("StockRejected", &order);
    assert_eq!(deliver(&shop, "wasmart.catalog", &rejected).await, "done");
    let cancelled = get_order(&shop, &user, id(&order)).await.json();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "out_of_stock");
    let event = next_event(&mut published, "OrderCancelled", id(&order)).await;
    assert_eq!(event_errors(&event), Vec::<String>::new(), "{event}");
    assert_eq!(event["producer"], "orders");
    assert_eq!(event["payload"]["reason"], "out_of_stock");
    assert_eq!(event["payload"]["user_id"], user.id.as_str());
    assert_eq!(event["payload"]["email"], user.email.as_str());

    // The same event again, and another rejection: nothing changes, nothing is announced.
    publish(&shop, "wasmart.catalog", &rejected).await;
    deliver(
        &shop,
        "wasmart.catalog",
        &stock_event("StockRejected", &order),
    )
    .await;
    let after = get_order(&shop, &user, id(&order)).await.json();
    assert_eq!(after, cancelled);
    assert_eq!(
        count(
            &shop,
            "SELECT COUNT(*) FROM outbox WHERE event_type = 'OrderCancelled'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_events_move_a_pending_order_once_and_late_ones_change_nothing() {
    let shop = shop().await;
    let user = User::customer();
    let paid = place_order(&shop, &user).await;
    let failed = place_order(&shop, &user).await;
    let untouched = place_order(&shop, &user).await;

    let success = payment_event("PaymentSucceeded", &paid);
    deliver(&shop, "wasmart.payments", &success).await;
    let after_success = get_order(&shop, &user, id(&paid)).await.json();
    assert_eq!(after_success["status"], "paid");
    publish(&shop, "wasmart.payments", &success).await;
    deliver(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentSucceeded", &paid),
    )
    .await;
    deliver(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentFailed", &paid),
    )
    .await;
    assert_eq!(
        get_order(&shop, &user, id(&paid)).await.json(),
        after_success
    );

    deliver(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentFailed", &failed),
    )
    .await;
    let after_failure = get_order(&shop, &user, id(&failed)).await.json();
    assert_eq!(after_failure["status"], "payment_failed");
    assert_eq!(
        statuses(&after_failure),
        ["pending_payment", "payment_failed"]
    );
    deliver(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentSucceeded", &failed),
    )
    .await;
    assert_eq!(
        get_order(&shop, &user, id(&failed)).await.json(),
        after_failure
    );

    // Events orders has nothing to do for are recorded and confirmed, and change nothing.
    for (channel, event) in [
        ("wasmart.catalog", stock_event("StockReserved", &untouched)),
        ("wasmart.catalog", stock_event("StockReleased", &untouched)),
        (
            "wasmart.payments",
            payment_event("PaymentRefunded", &untouched),
        ),
    ] {
        assert_eq!(deliver(&shop, channel, &event).await, "done");
    }
    let still = get_order(&shop, &user, id(&untouched)).await.json();
    assert_eq!(still["status"], "pending_payment");
    assert_eq!(statuses(&still), ["pending_payment"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_after_the_customer_cancelled_leaves_the_order_cancelled() {
    let shop = shop().await;
    let user = User::customer();
    let order = place_order(&shop, &user).await;
    let cancel = act(&shop, &user, id(&order), "cancel").await;
    assert_eq!(cancel.status, 200, "{}", cancel.text());

    deliver(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentSucceeded", &order),
    )
    .await;
    let after = get_order(&shop, &user, id(&order)).await.json();
    assert_eq!(after["status"], "cancelled");
    assert_eq!(after["cancel_reason"], "customer");
    assert_eq!(statuses(&after), ["pending_payment", "cancelled"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_about_an_unknown_order_is_a_dead_letter_an_admin_can_replay() {
    let shop = shop().await;
    let customer = User::customer();
    // The first request opens (and migrates) orders' database.
    let mine = shop
        .call("orders", "GET", "/orders", Some(&customer), None)
        .await;
    assert_eq!(mine.json()["total"], 0);
    let stranger = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "user_id": customer.id,
        "total": {"amount": 100, "currency": "USD"},
    });
    let event = payment_event("PaymentSucceeded", &stranger);
    assert_eq!(deliver(&shop, "wasmart.payments", &event).await, "dead");

    let listed = shop
        .call(
            "orders",
            "GET",
            "/admin/dead-letters",
            Some(&User::admin()),
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json();
    assert_eq!(listed["dead_letters"][0]["event_id"], event["id"]);
    assert!(listed["dead_letters"][0]["last_error"]
        .as_str()
        .unwrap()
        .contains(id(&stranger)));
    assert!(listed["undelivered"].is_array());
    // Still no such order: the replay leaves it dead.
    assert_replay_contract(&shop, "orders", &event["id"], &customer, "DeadLettered").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchdog_publishes_a_stuck_orders_events_again_every_ten_seconds() {
    // No consumer needs to confirm orders' events: each is published once, and only the
    // watchdog publishes it again.
    let shop = shop_with(vec![(
        "event_subscribers".to_owned(),
        "wasmart.catalog=orders;wasmart.payments=orders".to_owned(),
    )])
    .await;
    let user = User::customer();
    let mut published = shop.redis.subscribe("wasmart.orders").await.unwrap();
    let started = Instant::now();
    let stuck = place_order(&shop, &user).await;
    let moving = place_order(&shop, &user).await;
    deliver(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentSucceeded", &moving),
    )
    .await;

    let first = next_event(&mut published, "OrderCreated", id(&stuck)).await;
    let again = next_about(&mut published, &stuck, Duration::from_secs(20))
        .await
        .expect("the stuck order's OrderCreated was never published again");
    let waited = started.elapsed();
    assert_eq!(again["id"], first["id"], "the same event, published again");
    assert!(
        waited >= Duration::from_millis(9_900),
        "nudged after {waited:?}"
    );

    let nudged = shop.sql(
        "orders",
        "SELECT id FROM orders WHERE last_nudged_at IS NOT NULL",
    );
    assert_eq!(
        nudged,
        vec![vec![stuck["id"].clone()]],
        "only the stuck order"
    );
    // At most once per ten seconds.
    let soon = next_about(&mut published, &stuck, Duration::from_secs(5)).await;
    assert_eq!(soon, None, "published again within five seconds");
}

/// orders' migration 1 as it was released (frozen: the schema an older release left).
const ORDERS_MIGRATION_1: &str = "CREATE TABLE orders (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, email TEXT,
    status TEXT NOT NULL CHECK (status IN
        ('pending_payment', 'paid', 'fulfilled', 'payment_failed', 'cancelled')),
    total_amount INTEGER NOT NULL, currency TEXT NOT NULL, shipping_address TEXT NOT NULL,
    cancel_reason TEXT, idempotency_key TEXT, fingerprint TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, nudged_at INTEGER);
CREATE UNIQUE INDEX orders_idempotency ON orders (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_by_user ON orders (user_id, created_at);
CREATE INDEX orders_pending ON orders (updated_at) WHERE status = 'pending_payment';
CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id), position INTEGER NOT NULL,
    product_id TEXT NOT NULL, sku TEXT NOT NULL, name TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0), unit_amount INTEGER NOT NULL,
    PRIMARY KEY (order_id, position));
CREATE TABLE status_history (
    order_id TEXT NOT NULL REFERENCES orders (id), status TEXT NOT NULL, at INTEGER NOT NULL)";

/// A database left by a release that had orders' migration 1 and the shared outbox and inbox
/// (1000, 1001) but not migration 2 is upgraded by migration 2 when the current orders opens
/// it, although 2 is below the highest version applied.
#[tokio::test]
async fn an_older_database_gets_every_pending_migration() {
    let shop = Shop::start_with(ShopOptions {
        components: vec!["orders"],
        ..Default::default()
    })
    .await;
    let scripts = [
        ORDERS_MIGRATION_1,
        service_kit::outbox::MIGRATION.sql,
        service_kit::inbox::MIGRATION.sql,
        "CREATE TABLE schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
        INSERT INTO schema_migrations VALUES (1, 'orders', 0), (1000, 'outbox', 0), (1001, 'inbox', 0)",
    ];
    for statement in scripts.iter().flat_map(|script| script.split(";\n")) {
        shop.sql("orders", statement.trim());
    }

    let customer = User::customer();
    let list = shop
        .call("orders", "GET", "/orders", Some(&customer), None)
        .await;
    assert_eq!(list.status, 200, "{}", list.text());

    let versions = shop.sql(
        "orders",
        "SELECT version FROM schema_migrations ORDER BY version",
    );
    assert_eq!(
        versions,
        [[json!(1)], [json!(2)], [json!(1000)], [json!(1001)]]
    );
    let columns = shop.sql(
        "orders",
        "SELECT name FROM pragma_table_info('orders') WHERE name LIKE '%nudged_at'",
    );
    assert_eq!(columns, [[json!("last_nudged_at")]]);
    let index = shop.sql(
        "orders",
        "SELECT name FROM sqlite_master WHERE name = 'status_history_by_order'",
    );
    assert_eq!(index.len(), 1, "migration 2's index exists");
}
