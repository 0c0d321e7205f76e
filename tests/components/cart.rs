//! `cart`: one cart per user, priced from the catalog, validated, private to its owner.

use serde_json::{json, Value};

use crate::support::{
    assert_field_error, assert_matches_schema, assert_problem, Shop, ShopOptions, User,
};

async fn shop() -> Shop {
    Shop::start_only(&["cart", "catalog"]).await
}

/// Two real products from the seeded catalog.
async fn two_products(shop: &Shop) -> (Value, Value) {
    let list = shop
        .call("catalog", "GET", "/products?page_size=2", None, None)
        .await;
    let items = list.json()["items"].as_array().unwrap().clone();
    (items[0].clone(), items[1].clone())
}

async fn put(
    shop: &Shop,
    user: &User,
    product: &str,
    quantity: Value,
) -> crate::support::TestResponse {
    shop.call(
        "cart",
        "PUT",
        &format!("/cart/items/{product}"),
        Some(user),
        Some(json!({ "quantity": quantity })),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adds_changes_removes_and_clears_with_catalog_prices() {
    let shop = shop().await;
    let (a, b) = two_products(&shop).await;
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let user = User::customer();

    let empty = shop.call("cart", "GET", "/cart", Some(&user), None).await;
    assert_eq!(empty.json()["item_count"], 0);

    assert_eq!(put(&shop, &user, a_id, json!(2)).await.status, 200);
    let cart = put(&shop, &user, b_id, json!(1)).await.json();
    assert_eq!(cart["item_count"], 3);
    let expected =
        a["price"]["amount"].as_i64().unwrap() * 2 + b["price"]["amount"].as_i64().unwrap();
    assert_eq!(
        cart["total"],
        json!({"amount": expected, "currency": "USD"})
    );
    assert_eq!(cart["items"][0]["name"], a["name"]);
    assert_eq!(cart["items"][0]["unit_price"], a["price"]);

    let changed = put(&shop, &user, a_id, json!(5)).await.json();
    assert_eq!(changed["items"][0]["quantity"], 5);
    assert_eq!(changed["item_count"], 6);

    let stored = shop
        .app
        .kv_get("cart", &format!("cart:{}", user.id))
        .unwrap()
        .unwrap();
    let stored: Value = serde_json::from_slice(&stored).unwrap();
    assert_matches_schema("cart/cart.schema.json", &stored);
    assert!(
        stored["items"][0].get("unit_price").is_none(),
        "prices are never stored"
    );

    let removed = shop
        .call(
            "cart",
            "DELETE",
            &format!("/cart/items/{a_id}"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(removed.json()["item_count"], 1);
    let again = shop
        .call(
            "cart",
            "DELETE",
            &format!("/cart/items/{a_id}"),
            Some(&user),
            None,
        )
        .await;
    assert_problem(&again, 404);

    let cleared = shop
        .call("cart", "DELETE", "/cart", Some(&user), None)
        .await;
    assert_eq!(cleared.status, 204);
    let after = shop.call("cart", "GET", "/cart", Some(&user), None).await;
    assert_eq!(after.json()["items"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_bad_quantities_unknown_products_and_anonymous_callers() {
    let shop = shop().await;
    let (a, _) = two_products(&shop).await;
    let a_id = a["id"].as_str().unwrap();
    let user = User::customer();
    for quantity in [json!(0), json!(100), json!(-1), json!("two"), json!(1.5)] {
        assert_field_error(&put(&shop, &user, a_id, quantity).await, "quantity");
    }
    assert_field_error(
        &put(&shop, &user, "not-a-uuid", json!(1)).await,
        "product_id",
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_problem(&put(&shop, &user, &unknown, json!(1)).await, 404);
    let anonymous = shop.call("cart", "GET", "/cart", None, None).await;
    assert_problem(&anonymous, 401);
    let not_json = shop
        .call_raw(
            "cart",
            "PUT",
            &format!("/cart/items/{a_id}"),
            &[user.headers(), vec![("content-type", "text/plain")]].concat(),
            "quantity=1",
        )
        .await;
    assert_problem(&not_json, 415);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_never_sees_or_changes_another_customers_cart() {
    let shop = shop().await;
    let (a, _) = two_products(&shop).await;
    let a_id = a["id"].as_str().unwrap();
    let alice = User::customer();
    let bob = User::customer();
    assert_eq!(put(&shop, &alice, a_id, json!(3)).await.status, 200);

    let bobs = shop.call("cart", "GET", "/cart", Some(&bob), None).await;
    assert_eq!(bobs.json()["items"], json!([]));
    let steal = shop
        .call(
            "cart",
            "DELETE",
            &format!("/cart/items/{a_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_problem(&steal, 404);
    let cleared = shop.call("cart", "DELETE", "/cart", Some(&bob), None).await;
    assert_eq!(cleared.status, 204);
    let alices = shop.call("cart", "GET", "/cart", Some(&alice), None).await;
    assert_eq!(alices.json()["item_count"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_removed_from_the_catalog_shows_as_unavailable() {
    let shop = shop().await;
    let admin = User::admin();
    let id = shop
        .create_product(json!({
            "sku": "TEST-GONE", "name": "Soon gone", "description": "", "category": "books",
            "price": {"amount": 1000, "currency": "USD"}, "stock": 3
        }))
        .await;
    let user = User::customer();
    assert_eq!(put(&shop, &user, &id, json!(1)).await.status, 200);
    shop.call(
        "catalog",
        "DELETE",
        &format!("/products/{id}"),
        Some(&admin),
        None,
    )
    .await;
    let cart = shop
        .call("cart", "GET", "/cart", Some(&user), None)
        .await
        .json();
    assert_eq!(cart["items"][0]["available"], false);
    assert_eq!(cart["total"]["amount"], 0);
    assert_eq!(cart["item_count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cart_reaches_the_catalog_where_its_variables_say() {
    // Nothing listens on this port: a cart that followed the variable cannot price anything,
    // although the catalog component runs in the same app.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let shop = Shop::start_with(ShopOptions {
        components: vec!["cart", "catalog"],
        variables: vec![
            ("catalog_origin".into(), format!("http://127.0.0.1:{port}")),
            ("catalog_path".into(), "/internal/catalog".into()),
        ],
        ..Default::default()
    })
    .await;
    let (product, _) = two_products(&shop).await;
    let user = User::customer();
    let response = put(&shop, &user, product["id"].as_str().unwrap(), json!(1)).await;
    assert_problem(&response, 503);
}
