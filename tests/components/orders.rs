//! `orders`: checkout validation and idempotency, who may see and change an order, and what
//! catalog's and payments' events do to it.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::support::{
    assert_field_error, assert_problem, checkout_body, envelope, eventually, Shop, ShopOptions,
    TestResponse, User,
};

/// orders with cart and catalog; no payments or catalog consumers' effects matter here, the
/// tests publish catalog's and payments' events themselves.
async fn shop() -> Shop {
    Shop::start_with(ShopOptions {
        components: vec!["orders", "cart", "catalog"],
        ..Default::default()
    })
    .await
}

/// Fills `user`'s cart with one unit of the first seeded product.
async fn fill_cart(shop: &Shop, user: &User) -> Value {
    let list = shop
        .call("catalog", "GET", "/products?page_size=1", None, None)
        .await;
    let product = list.json()["items"][0].clone();
    let put = shop
        .call(
            "cart",
            "PUT",
            &format!("/cart/items/{}", product["id"].as_str().unwrap()),
            Some(user),
            Some(json!({"quantity": 2})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
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

async fn get_order(shop: &Shop, user: &User, id: &str) -> TestResponse {
    shop.call("orders", "GET", &format!("/orders/{id}"), Some(user), None)
        .await
}

async fn publish(shop: &Shop, channel: &str, event: &Value) {
    shop.redis
        .publish(channel, event.to_string().as_bytes())
        .await
        .unwrap();
}

async fn wait_for(shop: &Shop, user: &User, id: &str, status: &str) {
    let reached = eventually(Duration::from_secs(5), || async {
        (get_order(shop, user, id).await.json()["status"] == status).then_some(())
    })
    .await;
    assert!(
        reached.is_some(),
        "order {id} never became {status}: {}",
        get_order(shop, user, id).await.text()
    );
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
    envelope(kind, "payments", order["id"].as_str().unwrap(), payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_records_a_priced_order_announces_it_and_empties_the_cart() {
    let shop = shop().await;
    let user = User::customer();
    let product = fill_cart(&shop, &user).await;
    let mut published = shop.redis.subscribe("wasmart.orders").await.unwrap();

    let response = checkout(&shop, &user, checkout_body("tok_visa"), None).await;
    assert_eq!(response.status, 202, "{}", response.text());
    let order = response.json();
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["user_id"], user.id.as_str());
    assert_eq!(order["lines"][0]["unit_price"], product["price"]);
    assert_eq!(
        order["total"]["amount"],
        product["price"]["amount"].as_i64().unwrap() * 2
    );
    assert_eq!(
        response.headers["location"],
        format!("/orders/{}", order["id"].as_str().unwrap()).as_str()
    );

    let event: Value = serde_json::from_slice(
        &published
            .next_message(Duration::from_secs(5))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(event["type"], "OrderCreated");
    assert_eq!(event["producer"], "orders");
    assert_eq!(event["correlation_id"], order["id"]);
    assert_eq!(event["payload"]["card_token"], "tok_visa");
    assert_eq!(event["payload"]["email"], user.email.as_str());
    assert_eq!(event["payload"]["total"], order["total"]);

    let cart = shop.call("cart", "GET", "/cart", Some(&user), None).await;
    assert_eq!(cart.json()["item_count"], 0);
    let again = checkout(&shop, &user, checkout_body("tok_visa"), None).await;
    assert_problem(&again, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_makes_retries_and_concurrent_twins_return_one_order() {
    let shop = shop().await;
    let user = User::customer();
    fill_cart(&shop, &user).await;

    let twins =
        join_all((0..10).map(|_| checkout(&shop, &user, checkout_body("tok_visa"), Some("key-1"))))
            .await;
    let ids: Vec<Value> = twins
        .iter()
        .map(|response| {
            assert!(matches!(response.status, 200 | 202), "{}", response.text());
            response.json()["id"].clone()
        })
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] == pair[1]), "{ids:?}");
    let retry = checkout(&shop, &user, checkout_body("tok_visa"), Some("key-1")).await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.json()["id"], ids[0]);
    let orders = shop.sql("orders", "SELECT COUNT(*) FROM orders");
    assert_eq!(orders, vec![vec![json!(1)]]);
    let events = shop.sql(
        "orders",
        "SELECT COUNT(*) FROM outbox WHERE event_type = 'OrderCreated'",
    );
    assert_eq!(events, vec![vec![json!(1)]]);

    let different = checkout(
        &shop,
        &user,
        checkout_body("tok_chargeDeclined"),
        Some("key-1"),
    )
    .await;
    assert_problem(&different, 422);
    let bad_key = checkout(&shop, &user, checkout_body("tok_visa"), Some("with space")).await;
    assert_field_error(&bad_key, "Idempotency-Key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_checkouts_name_the_field() {
    let shop = shop().await;
    let user = User::customer();
    fill_cart(&shop, &user).await;
    let mut cases = Vec::new();
    for (pointer, value, field) in [
        ("/shipping_address/city", json!(""), "shipping_address.city"),
        (
            "/shipping_address/country",
            json!("Britain"),
            "shipping_address.country",
        ),
        (
            "/shipping_address/line1",
            json!(42),
            "shipping_address.line1",
        ),
        (
            "/payment/card_token",
            json!("4242424242424242"),
            "payment.card_token",
        ),
    ] {
        let mut request = checkout_body("tok_visa");
        *request.pointer_mut(pointer).unwrap() = value;
        cases.push((request, field));
    }
    let mut missing = checkout_body("tok_visa");
    missing.as_object_mut().unwrap().remove("payment");
    cases.push((missing, "payment"));
    for (request, field) in cases {
        assert_field_error(&checkout(&shop, &user, request, None).await, field);
    }
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
    let none = shop.sql("orders", "SELECT COUNT(*) FROM orders");
    assert_eq!(
        none,
        vec![vec![json!(0)]],
        "no invalid checkout left an order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_private_to_their_owner_and_admins() {
    let shop = shop().await;
    let alice = User::customer();
    let bob = User::customer();
    fill_cart(&shop, &alice).await;
    let order = checkout(&shop, &alice, checkout_body("tok_visa"), None)
        .await
        .json();
    let id = order["id"].as_str().unwrap();

    assert_eq!(get_order(&shop, &alice, id).await.status, 200);
    assert_problem(&get_order(&shop, &bob, id).await, 404);
    assert_eq!(get_order(&shop, &User::admin(), id).await.status, 200);
    let bobs = shop
        .call("orders", "GET", "/orders", Some(&bob), None)
        .await
        .json();
    assert_eq!(bobs["total"], 0);
    let alices = shop
        .call("orders", "GET", "/orders", Some(&alice), None)
        .await
        .json();
    assert_eq!(alices["items"][0]["id"], id);
    let steal = shop
        .call(
            "orders",
            "POST",
            &format!("/orders/{id}/cancel"),
            Some(&bob),
            None,
        )
        .await;
    assert_problem(&steal, 404);
    let fulfil = shop
        .call(
            "orders",
            "POST",
            &format!("/orders/{id}/fulfil"),
            Some(&alice),
            None,
        )
        .await;
    assert_problem(&fulfil, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_move_the_order_and_repeats_change_nothing() {
    let shop = shop().await;
    let user = User::customer();
    let mut orders = Vec::new();
    for _ in 0..4 {
        fill_cart(&shop, &user).await;
        orders.push(
            checkout(&shop, &user, checkout_body("tok_visa"), None)
                .await
                .json(),
        );
    }
    let [paid, failed, rejected, cancelled] = orders.try_into().unwrap();

    let success = payment_event("PaymentSucceeded", &paid);
    publish(&shop, "wasmart.payments", &success).await;
    publish(&shop, "wasmart.payments", &success).await;
    wait_for(&shop, &user, paid["id"].as_str().unwrap(), "paid").await;

    publish(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentFailed", &failed),
    )
    .await;
    wait_for(
        &shop,
        &user,
        failed["id"].as_str().unwrap(),
        "payment_failed",
    )
    .await;
    // A late success after a failure changes nothing.
    publish(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentSucceeded", &failed),
    )
    .await;

    let mut published = shop.redis.subscribe("wasmart.orders").await.unwrap();
    let stock_rejected = envelope(
        "StockRejected",
        "catalog",
        rejected["id"].as_str().unwrap(),
        json!({
            "order_id": rejected["id"], "product_id": rejected["lines"][0]["product_id"],
            "requested": 2, "available": 0
        }),
    );
    publish(&shop, "wasmart.catalog", &stock_rejected).await;
    wait_for(&shop, &user, rejected["id"].as_str().unwrap(), "cancelled").await;
    let announced = loop {
        let event: Value = serde_json::from_slice(
            &published
                .next_message(Duration::from_secs(5))
                .await
                .unwrap(),
        )
        .unwrap();
        if event["type"] == "OrderCancelled" {
            break event;
        }
    };
    assert_eq!(announced["payload"]["reason"], "out_of_stock");
    assert_eq!(announced["correlation_id"], rejected["id"]);

    let id = cancelled["id"].as_str().unwrap();
    let cancel = shop
        .call(
            "orders",
            "POST",
            &format!("/orders/{id}/cancel"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.text());
    assert_eq!(cancel.json()["cancel_reason"], "customer");
    // A charge that raced the cancel does not revive the order (payments refunds it).
    publish(
        &shop,
        "wasmart.payments",
        &payment_event("PaymentSucceeded", &cancelled),
    )
    .await;
    let twice = shop
        .call(
            "orders",
            "POST",
            &format!("/orders/{id}/cancel"),
            Some(&user),
            None,
        )
        .await;
    assert_problem(&twice, 409);

    tokio::time::sleep(Duration::from_millis(500)).await;
    let statuses = shop.sql("orders", "SELECT status FROM orders ORDER BY created_at");
    let statuses: Vec<&str> = statuses
        .iter()
        .map(|row| row[0].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["paid", "payment_failed", "cancelled", "cancelled"]
    );
    let history = shop.sql(
        "orders",
        &format!(
            "SELECT COUNT(*) FROM status_history WHERE order_id = '{}'",
            paid["id"].as_str().unwrap()
        ),
    );
    assert_eq!(
        history,
        vec![vec![json!(2)]],
        "a repeated success is recorded once"
    );

    let admin = User::admin();
    let fulfilled = shop
        .call(
            "orders",
            "POST",
            &format!("/orders/{}/fulfil", paid["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(fulfilled.json()["status"], "fulfilled");
    let not_paid = shop
        .call(
            "orders",
            "POST",
            &format!("/orders/{id}/fulfil"),
            Some(&admin),
            None,
        )
        .await;
    assert_problem(&not_paid, 409);
}
