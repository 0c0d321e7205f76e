//! `catalog`: the seeded catalogue, search and filters, admin changes, images, and stock
//! reservations driven by events over a real Redis.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{assert_field_error, assert_problem, envelope, Shop, User};
use wasmart_testing::eventually;

async fn catalog() -> Shop {
    Shop::start_only(&["catalog"]).await
}

async fn products(shop: &Shop, query: &str) -> Value {
    let response = shop
        .call("catalog", "GET", &format!("/products?{query}"), None, None)
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn draft(sku: &str, stock: i64) -> Value {
    json!({
        "sku": sku,
        "name": "Test Lamp",
        "description": "A lamp for tests.",
        "category": "kitchen",
        "price": {"amount": 2500, "currency": "USD"},
        "stock": stock
    })
}

async fn create(shop: &Shop, sku: &str, stock: i64) -> String {
    let created = shop
        .call(
            "catalog",
            "POST",
            "/products",
            Some(&User::admin()),
            Some(draft(sku, stock)),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["id"].as_str().unwrap().to_owned()
}

async fn stock_of(shop: &Shop, id: &str) -> i64 {
    let product = shop
        .call("catalog", "GET", &format!("/products/{id}"), None, None)
        .await;
    product.json()["stock"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_a_catalogue_and_lists_searches_filters_sorts_and_pages_it() {
    let shop = catalog().await;
    let categories = shop.call("catalog", "GET", "/categories", None, None).await;
    let categories = categories.json();
    let categories = categories.as_array().unwrap();
    assert!(categories.len() >= 6, "{categories:?}");
    assert!(categories
        .iter()
        .all(|c| c["product_count"].as_i64().unwrap() > 0));

    let all = products(&shop, "page_size=100").await;
    assert!(all["total"].as_i64().unwrap() >= 60, "{all}");
    let first = &all["items"][0];
    for field in [
        "id",
        "sku",
        "name",
        "description",
        "category",
        "stock",
        "image_url",
    ] {
        assert!(!first[field].is_null(), "missing {field}: {first}");
    }
    assert_eq!(first["price"]["currency"], "USD");

    let books = products(&shop, "category=books&sort=price_asc&page_size=100").await;
    let prices: Vec<i64> = books["items"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|p| assert_eq!(p["category"], "books"))
        .map(|p| p["price"]["amount"].as_i64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    assert_eq!(books["total"].as_i64().unwrap() as usize, prices.len());

    let ranged = products(&shop, "min_price=2000&max_price=3000&page_size=100").await;
    assert!(ranged["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| { (2000..=3000).contains(&p["price"]["amount"].as_i64().unwrap()) }));

    let found = products(&shop, "q=HEADPHONES").await;
    assert!(
        found["items"][0]["name"]
            .as_str()
            .unwrap()
            .contains("Headphones"),
        "{found}"
    );

    let page2 = products(&shop, "page=2&page_size=5&sort=name").await;
    let page1 = products(&shop, "page=1&page_size=10&sort=name").await;
    assert_eq!(page2["items"][0], page1["items"][5]);
    assert_eq!(page2["page"], 2);
    assert_eq!(page2["page_size"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_queries_and_drafts_name_the_field() {
    let shop = catalog().await;
    for (query, field) in [
        ("page=0", "page"),
        ("page_size=101", "page_size"),
        ("min_price=abc", "min_price"),
        ("max_price=-1", "max_price"),
        ("sort=random", "sort"),
        ("min_price=10&max_price=5", "min_price"),
    ] {
        let response = shop
            .call("catalog", "GET", &format!("/products?{query}"), None, None)
            .await;
        assert_field_error(&response, field);
    }
    let admin = User::admin();
    for (change, field) in [
        (json!({"sku": "lower"}), "sku"),
        (json!({"name": ""}), "name"),
        (json!({"category": "weapons"}), "category"),
        (json!({"price": {"amount": -1, "currency": "USD"}}), "price"),
        (
            json!({"price": {"amount": 1, "currency": "EUR"}}),
            "price.currency",
        ),
        (json!({"stock": -3}), "stock"),
    ] {
        let mut body = draft("TEST-SKU-1", 1);
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let response = shop
            .call("catalog", "POST", "/products", Some(&admin), Some(body))
            .await;
        assert_field_error(&response, field);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_create_replace_and_delete_products_and_others_cannot() {
    let shop = catalog().await;
    let anonymous = shop
        .call(
            "catalog",
            "POST",
            "/products",
            None,
            Some(draft("TEST-A", 1)),
        )
        .await;
    assert_problem(&anonymous, 401);
    let customer = shop
        .call(
            "catalog",
            "POST",
            "/products",
            Some(&User::customer()),
            Some(draft("TEST-A", 1)),
        )
        .await;
    assert_problem(&customer, 403);

    let id = create(&shop, "TEST-A", 4).await;
    let duplicate = shop
        .call(
            "catalog",
            "POST",
            "/products",
            Some(&User::admin()),
            Some(draft("TEST-A", 1)),
        )
        .await;
    assert_problem(&duplicate, 409);

    let mut changed = draft("TEST-A", 9);
    changed["name"] = json!("Renamed Lamp");
    let replaced = shop
        .call(
            "catalog",
            "PUT",
            &format!("/products/{id}"),
            Some(&User::admin()),
            Some(changed),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert_eq!(replaced.json()["name"], "Renamed Lamp");
    assert_eq!(stock_of(&shop, &id).await, 9);

    let lookup = shop
        .call(
            "catalog",
            "POST",
            "/products/lookup",
            None,
            Some(json!({"ids": [id, uuid::Uuid::new_v4().to_string()]})),
        )
        .await;
    assert_eq!(lookup.json()["items"].as_array().unwrap().len(), 1);

    let image = shop
        .call("catalog", "GET", &format!("/images/{id}.svg"), None, None)
        .await;
    assert_eq!(image.status, 200);
    assert_eq!(image.headers["content-type"], "image/svg+xml");
    assert!(image.text().contains("Renamed Lamp"));

    let deleted = shop
        .call(
            "catalog",
            "DELETE",
            &format!("/products/{id}"),
            Some(&User::admin()),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let gone = shop
        .call("catalog", "GET", &format!("/products/{id}"), None, None)
        .await;
    assert_problem(&gone, 404);
}

fn order_created(order_id: &str, product_id: &str, quantity: u32) -> Value {
    let line = json!({
        "product_id": product_id, "sku": "TEST-A", "name": "Test Lamp", "quantity": quantity,
        "unit_price": {"amount": 2500, "currency": "USD"},
        "line_total": {"amount": 2500 * quantity, "currency": "USD"}
    });
    envelope(
        "OrderCreated",
        "orders",
        order_id,
        json!({
            "order_id": order_id,
            "user_id": uuid::Uuid::new_v4().to_string(),
            "lines": [line],
            "total": {"amount": 2500 * quantity, "currency": "USD"},
            "card_token": "tok_visa",
            "shipping_address": {"name": "A", "line1": "B", "city": "C", "postal_code": "D", "country": "GB"}
        }),
    )
}

fn payment_failed(order_id: &str) -> Value {
    envelope(
        "PaymentFailed",
        "payments",
        order_id,
        json!({
            "order_id": order_id,
            "user_id": uuid::Uuid::new_v4().to_string(),
            "payment_id": uuid::Uuid::new_v4().to_string(),
            "amount": {"amount": 100, "currency": "USD"},
            "reason": "card_declined"
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_events_reserve_and_release_stock_exactly_once() {
    let shop = catalog().await;
    let product = create(&shop, "TEST-EVENTS", 3).await;
    let mut published = shop.redis.subscribe("wasmart.catalog").await.unwrap();

    let order = uuid::Uuid::new_v4().to_string();
    let created = order_created(&order, &product, 2);
    for _ in 0..2 {
        shop.redis
            .publish("wasmart.orders", created.to_string().as_bytes())
            .await
            .unwrap();
    }
    let reserved: Value = serde_json::from_slice(
        &published
            .next_message(Duration::from_secs(5))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(reserved["type"], "StockReserved", "{reserved}");
    assert_eq!(reserved["correlation_id"], order.as_str());
    assert_eq!(reserved["payload"]["lines"][0]["quantity"], 2);
    assert_eq!(stock_of(&shop, &product).await, 1);

    let short = uuid::Uuid::new_v4().to_string();
    shop.redis
        .publish(
            "wasmart.orders",
            order_created(&short, &product, 2).to_string().as_bytes(),
        )
        .await
        .unwrap();
    let rejected: Value = serde_json::from_slice(
        &published
            .next_message(Duration::from_secs(5))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rejected["type"], "StockRejected", "{rejected}");
    assert_eq!(rejected["payload"]["available"], 1);
    assert_eq!(stock_of(&shop, &product).await, 1);

    let failed = payment_failed(&order);
    for _ in 0..2 {
        shop.redis
            .publish("wasmart.payments", failed.to_string().as_bytes())
            .await
            .unwrap();
    }
    let restored = eventually(Duration::from_secs(5), || async {
        (stock_of(&shop, &product).await == 3).then_some(())
    })
    .await;
    assert!(
        restored.is_some(),
        "stock {}",
        stock_of(&shop, &product).await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stock_of(&shop, &product).await, 3, "released twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_orders_never_take_stock_below_zero() {
    let shop = catalog().await;
    let product = create(&shop, "TEST-RACE", 5).await;
    for _ in 0..20 {
        let order = uuid::Uuid::new_v4().to_string();
        shop.redis
            .publish(
                "wasmart.orders",
                order_created(&order, &product, 1).to_string().as_bytes(),
            )
            .await
            .unwrap();
    }
    let settled = eventually(Duration::from_secs(10), || async {
        let rows = shop.sql("catalog", "SELECT COUNT(*) FROM inbox");
        (rows[0][0] == json!(20)).then_some(())
    })
    .await;
    assert!(settled.is_some(), "not every order was handled");
    assert_eq!(stock_of(&shop, &product).await, 0);
    let reserved = shop.sql(
        "catalog",
        "SELECT COUNT(*) FROM reservations WHERE status = 'reserved'",
    );
    assert_eq!(reserved, vec![vec![json!(5)]]);
    let rejected = shop.sql(
        "catalog",
        "SELECT COUNT(*) FROM outbox WHERE event_type = 'StockRejected'",
    );
    assert_eq!(rejected, vec![vec![json!(15)]]);
}
