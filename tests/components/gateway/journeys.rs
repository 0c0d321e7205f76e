//! A customer and an admin use the whole API, start to finish. The journeys are generic
//! over the deployment: `split.rs` runs the same two on three host processes.

use std::time::Duration;

use serde_json::{json, Value};

use super::client::{Api, Session};
use crate::support::{assert_problem, checkout_body, Deployment};
use wasmart_testing::eventually;

/// Polls `GET /api/v1/orders/{id}` until the order's status is `status`.
async fn wait_for_status<D: Deployment>(
    api: &Api<D>,
    session: &Session,
    id: &str,
    status: &str,
) -> Value {
    let path = format!("/api/v1/orders/{id}");
    let reached = eventually(Duration::from_secs(5), || async {
        let order = api.fetch(&path, session).await;
        (order["status"] == status).then_some(order)
    })
    .await;
    reached.unwrap_or_else(|| panic!("order {id} never became {status}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_registers_shops_pays_is_notified_and_cancels() {
    customer_journey(&Api::start().await).await;
}

/// Registers, signs in, browses, fills and changes a cart, checks out (idempotently), is paid
/// and notified, cancels in vain, and is declined.
pub async fn customer_journey<D: Deployment>(api: &Api<D>) {
    let ada = register_and_sign_in(api).await;
    browse(api, &ada).await;
    let products = fill_the_cart(api, &ada).await;
    let order_id = check_out_paid_and_notified(api, &ada).await;

    // A paid order cannot be cancelled by its customer; a declined one ends payment_failed.
    let cancel = api
        .post(&format!("/api/v1/orders/{order_id}/cancel"))
        .token(&ada.token)
        .send()
        .await;
    assert_problem(&cancel, 409);
    api.put_in_cart(&ada, &products[2], 1).await;
    let declined = api.place_order(&ada, "tok_chargeDeclined").await;
    let declined_id = declined["id"].as_str().unwrap();
    wait_for_status(api, &ada, declined_id, "payment_failed").await;
}

/// Registers Ada and signs her in; the email is taken afterwards, and a wrong password is a
/// 401.
async fn register_and_sign_in<D: Deployment>(api: &Api<D>) -> Session {
    let email = "ada@example.test";
    let registration = json!({"email": email, "password": "analytical engine", "name": "Ada"});
    let registered = api
        .post("/api/v1/accounts")
        .json(registration.clone())
        .send()
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text());
    assert!(registered.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/api/v1/"));
    let again = api.post("/api/v1/accounts").json(registration).send().await;
    assert_problem(&again, 409);
    let wrong = api
        .post("/api/v1/sessions")
        .json(json!({"email": email, "password": "difference engine"}))
        .send()
        .await;
    assert_problem(&wrong, 401);
    let ada = api.sign_in(email, "analytical engine").await;
    let profile = api
        .request("PATCH", "/api/v1/me")
        .token(&ada.token)
        .json(json!({"name": "Ada Lovelace"}))
        .send()
        .await;
    assert_eq!(profile.status, 200, "{}", profile.text());
    assert_eq!(profile.json()["name"], "Ada Lovelace");

    ada
}

/// Browses: the storefront, categories, a search, a category page sorted by price, the
/// second page, a product and its picture.
async fn browse<D: Deployment>(api: &Api<D>, ada: &Session) {
    let storefront = api.fetch("/api/v1/storefront", ada).await;
    assert_eq!(storefront["signed_in"], true);
    assert_eq!(storefront["unavailable"], json!([]));
    assert_eq!(storefront["cart"]["item_count"], 0);
    assert!(!storefront["featured"]["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let categories = api.get("/api/v1/categories").send().await.json();
    let category = categories[0]["slug"].as_str().unwrap().to_owned();
    let first = api.products(1).await.remove(0);
    let word = first["name"]
        .as_str()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let found = api
        .get(&format!("/api/v1/products?q={word}"))
        .send()
        .await
        .json();
    assert!(found["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == first["id"]));
    let by_price = api
        .get(&format!(
            "/api/v1/products?category={category}&sort=price_asc&page_size=5"
        ))
        .send()
        .await
        .json();
    let prices: Vec<i64> = by_price["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price"]["amount"].as_i64().unwrap())
        .collect();
    assert!(
        prices.windows(2).all(|pair| pair[0] <= pair[1]),
        "{prices:?}"
    );
    assert!(by_price["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["category"] == category.as_str()));
    let page_two = api
        .get("/api/v1/products?page=2&page_size=5")
        .send()
        .await
        .json();
    assert_eq!(page_two["page"], 2);
    let product = api
        .get(&format!(
            "/api/v1/products/{}",
            first["id"].as_str().unwrap()
        ))
        .send()
        .await;
    assert_eq!(product.status, 200);
    let picture = api.get(first["image_url"].as_str().unwrap()).send().await;
    assert_eq!(picture.status, 200);
    assert_eq!(picture.headers["content-type"], "image/svg+xml");
}

/// Fills the cart, changes a quantity, takes a product out; returns three products.
async fn fill_the_cart<D: Deployment>(api: &Api<D>, ada: &Session) -> Vec<Value> {
    let products = api.products(3).await;
    api.put_in_cart(ada, &products[0], 1).await;
    api.put_in_cart(ada, &products[1], 3).await;
    api.put_in_cart(ada, &products[0], 2).await;
    let removed = api
        .request(
            "DELETE",
            &format!("/api/v1/cart/items/{}", products[1]["id"].as_str().unwrap()),
        )
        .token(&ada.token)
        .send()
        .await;
    assert!(
        removed.status == 200 || removed.status == 204,
        "{}",
        removed.text()
    );
    let cart = api.fetch("/api/v1/cart", ada).await;
    assert_eq!(cart["item_count"], 2);

    products
}

/// Checks out (a retry with the same key is the same order); it becomes paid, and a
/// notification says so. Returns the order's id.
async fn check_out_paid_and_notified<D: Deployment>(api: &Api<D>, ada: &Session) -> String {
    let checkout = || {
        api.post("/api/v1/orders")
            .token(&ada.token)
            .header("idempotency-key", "ada-first-order")
            .json(checkout_body("tok_visa"))
    };
    let placed = checkout().send().await;
    assert_eq!(placed.status, 202, "{}", placed.text());
    let order = placed.json();
    assert_eq!(order["status"], "pending_payment");
    let retried = checkout().send().await;
    assert_eq!(retried.json()["id"], order["id"]);
    let order_id = order["id"].as_str().unwrap();
    wait_for_status(api, ada, order_id, "paid").await;
    let notifications = eventually(Duration::from_secs(5), || async {
        let list = api.fetch("/api/v1/notifications", ada).await;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        items
            .into_iter()
            .find(|n| n.to_string().contains(order_id))
            .map(|n| (n, list["unread"].as_i64().unwrap()))
    })
    .await;
    let (notification, unread) = notifications.expect("a notification about the order");
    let read = api
        .post(&format!(
            "/api/v1/notifications/{}/read",
            notification["id"].as_str().unwrap()
        ))
        .token(&ada.token)
        .send()
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    let storefront = api.fetch("/api/v1/storefront", ada).await;
    assert_eq!(storefront["unread_notifications"], unread - 1);
    assert_eq!(
        storefront["cart"]["item_count"], 0,
        "checkout empties the cart"
    );
    let history = api.fetch("/api/v1/orders", ada).await;
    assert!(history["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == order["id"]));

    order_id.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_products_and_fulfils_orders() {
    admin_journey(&Api::start().await).await;
}

/// Creates, replaces and deletes a product (others may not), and fulfils an order.
pub async fn admin_journey<D: Deployment>(api: &Api<D>) {
    let admin = api.admin().await;
    let customer = api.customer().await;
    let category = api.get("/api/v1/categories").send().await.json()[0]["slug"].clone();
    let product = json!({
        "sku": "WM-GATEWAY-1",
        "name": "Gateway mug",
        "description": "Holds one coffee and one request id.",
        "price": {"amount": 1250, "currency": "USD"},
        "category": category,
        "stock": 5
    });

    // Only admins may change the catalog: anonymous 401, a customer 403.
    let anonymous = api
        .post("/api/v1/products")
        .json(product.clone())
        .send()
        .await;
    assert_problem(&anonymous, 401);
    let refused = api
        .post("/api/v1/products")
        .token(&customer.token)
        .json(product.clone())
        .send()
        .await;
    assert_problem(&refused, 403);
    let created = api
        .post("/api/v1/products")
        .token(&admin.token)
        .json(product.clone())
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/products/{id}");
    let mut changed = product.clone();
    changed["name"] = json!("Gateway mug, large");
    let replaced = api
        .request("PUT", &path)
        .token(&admin.token)
        .json(changed)
        .send()
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert_eq!(
        api.get(&path).send().await.json()["name"],
        "Gateway mug, large"
    );

    // A customer buys it; the admin fulfils the paid order (a customer may not).
    api.put_in_cart(&customer, &json!({ "id": id }), 1).await;
    let order = api.place_order(&customer, "tok_visa").await;
    let order_id = order["id"].as_str().unwrap();
    wait_for_status(api, &customer, order_id, "paid").await;
    let fulfil = format!("/api/v1/orders/{order_id}/fulfil");
    assert_problem(&api.post(&fulfil).token(&customer.token).send().await, 403);
    let fulfilled = api.post(&fulfil).token(&admin.token).send().await;
    assert_eq!(fulfilled.status, 200, "{}", fulfilled.text());
    assert_eq!(fulfilled.json()["status"], "fulfilled");

    // Dead letters: none yet; unknown ids are 404; customers may not look.
    let letters = api
        .get("/api/v1/admin/dead-letters")
        .token(&admin.token)
        .send()
        .await;
    assert_eq!(letters.status, 200, "{}", letters.text());
    assert_eq!(letters.json()["unavailable"], json!([]));
    assert_problem(
        &api.get("/api/v1/admin/dead-letters")
            .token(&customer.token)
            .send()
            .await,
        403,
    );
    for unknown in [
        "orders:00000000-0000-4000-8000-000000000000",
        "nobody:x",
        "no-colon",
    ] {
        let replay = api
            .post(&format!("/api/v1/admin/dead-letters/{unknown}/replay"))
            .token(&admin.token)
            .send()
            .await;
        assert_problem(&replay, 404);
    }

    // Deleting the product takes it out of the catalog.
    let deleted = api
        .request("DELETE", &path)
        .token(&admin.token)
        .send()
        .await;
    assert!(
        deleted.status == 204 || deleted.status == 200,
        "{}",
        deleted.text()
    );
    assert_problem(&api.get(&path).send().await, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sees_a_dead_letter_of_any_service_and_replays_it() {
    let api = Api::start().await;
    let admin = api.admin().await;
    // A payment for an order orders has never heard of: orders gives up on it.
    let order_id = uuid::Uuid::new_v4().to_string();
    let event = crate::support::envelope(
        "PaymentSucceeded",
        "payments",
        &order_id,
        json!({
            "order_id": order_id,
            "user_id": uuid::Uuid::new_v4().to_string(),
            "payment_id": uuid::Uuid::new_v4().to_string(),
            "amount": {"amount": 100, "currency": "USD"},
        }),
    );
    api.shop
        .redis
        .publish("wasmart.payments", event.to_string().as_bytes())
        .await
        .unwrap();
    let expected_id = format!("orders:{}", event["id"].as_str().unwrap());
    let item = eventually(Duration::from_secs(10), || async {
        let list = api.fetch("/api/v1/admin/dead-letters", &admin).await;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == expected_id.as_str())
            .cloned()
    })
    .await
    .expect("the dead letter shows up in the combined list");
    assert_eq!(item["service"], "orders");
    assert_eq!(item["kind"], "dead_letter");
    let replayed = api
        .post(&format!("/api/v1/admin/dead-letters/{expected_id}/replay"))
        .token(&admin.token)
        .send()
        .await;
    assert_eq!(replayed.status, 202, "{}", replayed.text());
}
