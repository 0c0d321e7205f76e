//! The event contract (`kv-schemas/events/`): every event the services publish during real
//! checkouts matches its envelope and payload schema, and the schemas refuse broken events.
//! (Consumers are held to the same schemas: every test event goes through
//! `support::envelope`, which validates it.)

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{checkout_body, event_errors, Shop, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_published_during_checkouts_matches_its_schema() {
    let shop = Shop::start().await;
    let mut subscriptions = Vec::new();
    for channel in ["wasmart.orders", "wasmart.catalog", "wasmart.payments"] {
        subscriptions.push(shop.redis.subscribe(channel).await.unwrap());
    }
    let list = shop
        .call("catalog", "GET", "/products?page_size=1", None, None)
        .await;
    let product = list.json()["items"][0]["id"].as_str().unwrap().to_owned();
    // An approved order, a declined one, and one the customer cancels.
    let mut orders = Vec::new();
    for token in ["tok_visa", "tok_chargeDeclined", "tok_processingError"] {
        let customer = User::customer();
        shop.call(
            "cart",
            "PUT",
            &format!("/cart/items/{product}"),
            Some(&customer),
            Some(json!({"quantity": 1})),
        )
        .await;
        let order = shop
            .call(
                "orders",
                "POST",
                "/orders",
                Some(&customer),
                Some(checkout_body(token)),
            )
            .await;
        assert_eq!(order.status, 202, "{}", order.text());
        orders.push((customer, order.json()["id"].as_str().unwrap().to_owned()));
    }
    let (customer, order) = &orders[2];
    shop.call(
        "orders",
        "POST",
        &format!("/orders/{order}/cancel"),
        Some(customer),
        None,
    )
    .await;

    let expected: BTreeSet<&str> = [
        "OrderCreated",
        "OrderCancelled",
        "StockReserved",
        "StockReleased",
        "PaymentSucceeded",
        "PaymentFailed",
    ]
    .into();
    let mut seen = BTreeSet::new();
    let mut checked = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !expected.iter().all(|kind| seen.contains(*kind)) && std::time::Instant::now() < deadline
    {
        for subscription in subscriptions.iter_mut() {
            while let Ok(message) = subscription.next_message(Duration::from_millis(20)).await {
                let event: Value = serde_json::from_slice(&message).unwrap();
                let errors = event_errors(&event);
                assert!(
                    errors.is_empty(),
                    "{event}\nbreaks the contract: {errors:?}"
                );
                seen.insert(event["type"].as_str().unwrap().to_owned());
                checked += 1;
            }
        }
    }
    let all_seen = expected.iter().all(|kind| seen.contains(*kind));
    assert!(all_seen, "saw only {seen:?}");
    assert!(checked >= expected.len());
}

#[test]
fn the_schemas_refuse_broken_events() {
    let valid = crate::support::envelope(
        "StockRejected",
        "catalog",
        "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
        json!({
            "order_id": "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            "product_id": "0b7e1f2a-3c4d-4e5f-8a9b-c0d1e2f3a4b5",
            "requested": 2,
            "available": 1
        }),
    );
    assert!(event_errors(&valid).is_empty());
    let broken = [
        ("/payload/requested", json!("two")),
        ("/payload/order_id", json!("not-a-uuid")),
        ("/type", json!("StockStolen")),
        ("/occurred_at", json!("yesterday")),
    ];
    for (pointer, value) in broken {
        let mut event = valid.clone();
        *event.pointer_mut(pointer).unwrap() = value;
        assert!(
            !event_errors(&event).is_empty(),
            "{pointer} was accepted: {event}"
        );
    }
    let mut missing = valid.clone();
    missing["payload"]
        .as_object_mut()
        .unwrap()
        .remove("available");
    assert!(!event_errors(&missing).is_empty());
    let mut extra = valid;
    extra["payload"]["secret"] = json!(1);
    assert!(!event_errors(&extra).is_empty());
}

/// Every service that subscribes to Redis' expiry channel for its tick.
const EXPIRY_SUBSCRIBERS: &[&str] = &["catalog", "orders", "payments", "notifications"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_that_expires_becomes_no_dead_letter() {
    let shop = Shop::start().await;
    let mut expiries = shop
        .redis
        .subscribe("__keyevent@0__:expired")
        .await
        .unwrap();
    // A consumer receipt whose day is over, made to expire now rather than in 24 hours.
    let key = "wasmart:receipts:6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
    shop.redis.set_expiring(key, b"catalog", 200).await.unwrap();
    let announced = expiries.next_message(Duration::from_secs(5)).await;
    assert_eq!(
        announced.unwrap(),
        key.as_bytes(),
        "Redis announced the expiry"
    );
    // The subscribers received the same announcement; what they made of it shows at once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let admin = User::admin();
    for service in EXPIRY_SUBSCRIBERS {
        let listed = shop
            .call(service, "GET", "/admin/dead-letters", Some(&admin), None)
            .await;
        assert_eq!(listed.status, 200, "{service}: {}", listed.text());
        assert_eq!(listed.json()["dead_letters"], json!([]), "{service}");
    }
}
