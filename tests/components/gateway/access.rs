//! Who may see and change what: tokens are verified, identities come only from the gateway,
//! and one customer's cart, orders and notifications are invisible to another.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use service_kit::token::{self, Claims};

use super::client::{Api, Session};
use crate::support::{assert_problem, JWT_SIGNING_KEY};
use wasmart_testing::eventually;

fn claims(session: &Session, role: &str, exp: i64) -> Claims {
    Claims {
        iss: token::ISSUER.to_owned(),
        sub: session.user_id.clone(),
        email: session.email.clone(),
        role: role.to_owned(),
        iat: exp - 3600,
        exp,
        jti: uuid::Uuid::new_v4().to_string(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_and_unsigned_tokens_are_refused() {
    let api = Api::start().await;
    let ada = api.customer().await;
    let forged = token::issue(
        &claims(&ada, "admin", now() + 3600),
        b"not-the-signing-key-not-the-signing-key",
    )
    .unwrap();
    let expired = token::issue(
        &claims(&ada, "customer", now() - 1),
        JWT_SIGNING_KEY.as_bytes(),
    )
    .unwrap();
    let payload = ada.token.split('.').nth(1).unwrap();
    let unsigned = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    let mut tampered_claims = claims(&ada, "admin", now() + 3600);
    tampered_claims.role = "admin".into();
    let tampered_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered_claims).unwrap());
    let parts: Vec<&str> = ada.token.split('.').collect();
    let tampered = format!("{}.{tampered_payload}.{}", parts[0], parts[2]);
    for bad in [
        &forged,
        &expired,
        &unsigned,
        &tampered,
        &"garbage".to_owned(),
    ] {
        for path in ["/api/v1/me", "/api/v1/orders", "/api/v1/products"] {
            let response = api.get(path).token(bad).send().await;
            let problem = assert_problem(&response, 401);
            assert_eq!(response.headers["www-authenticate"], "Bearer", "{problem}");
        }
    }
    let basic = api
        .get("/api/v1/me")
        .header("authorization", "Basic YTpi")
        .send()
        .await;
    assert_problem(&basic, 401);
    // Missing token on a private resource: 401, not 403.
    assert_problem(&api.get("/api/v1/cart").send().await, 401);
    // The genuine token still works.
    assert_eq!(
        api.get("/api/v1/me").token(&ada.token).send().await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_headers_from_clients_never_reach_a_service() {
    let api = Api::start().await;
    let ada = api.customer().await;
    let admin_id = api.admin().await.user_id;
    let forged = [
        ("x-wasmart-user-id", admin_id.as_str()),
        ("x-wasmart-user-role", "admin"),
        ("x-wasmart-user-email", "admin@wasmart.test"),
    ];
    let mut anonymous = api.get("/api/v1/me");
    for (name, value) in forged {
        anonymous = anonymous.header(name, value);
    }
    assert_problem(&anonymous.send().await, 401);
    let mut customer = api.get("/api/v1/admin/dead-letters").token(&ada.token);
    for (name, value) in forged {
        customer = customer.header(name, value);
    }
    assert_problem(&customer.send().await, 403);
    let mut me = api.get("/api/v1/me").token(&ada.token);
    for (name, value) in forged {
        me = me.header(name, value);
    }
    assert_eq!(me.send().await.json()["id"], ada.user_id.as_str());

    // Were a forged role to reach orders, an "admin" listing would show everyone's orders.
    let bob = api.customer().await;
    let product = api.products(1).await.remove(0);
    api.put_in_cart(&bob, &product, 1).await;
    api.place_order(&bob, "tok_visa").await;
    let mut listing = api.get("/api/v1/orders").token(&ada.token);
    for (name, value) in forged {
        listing = listing.header(name, value);
    }
    let listing = listing.send().await.json();
    assert_eq!(
        listing["total"], 0,
        "ada sees only her own orders: {listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_never_see_each_others_carts_orders_or_notifications() {
    let api = Api::start().await;
    let ada = api.customer().await;
    let bob = api.customer().await;
    let product = api.products(1).await.remove(0);
    let item = format!("/api/v1/cart/items/{}", product["id"].as_str().unwrap());
    api.put_in_cart(&ada, &product, 2).await;
    assert_eq!(api.fetch("/api/v1/cart", &bob).await["item_count"], 0);
    // Bob's DELETE of the same product changes his cart only.
    api.request("DELETE", &item).token(&bob.token).send().await;
    assert_eq!(api.fetch("/api/v1/cart", &ada).await["item_count"], 2);

    let order_id = api.place_order(&ada, "tok_visa").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = format!("/api/v1/orders/{order_id}");
    assert_problem(&api.get(&order).token(&bob.token).send().await, 404);
    assert_problem(
        &api.post(&format!("{order}/cancel"))
            .token(&bob.token)
            .send()
            .await,
        404,
    );
    let bobs_orders = api.fetch("/api/v1/orders", &bob).await;
    assert_eq!(bobs_orders["total"], 0);

    let notification = eventually(Duration::from_secs(5), || async {
        let list = api.fetch("/api/v1/notifications", &ada).await;
        list["items"]
            .as_array()
            .and_then(|items| items.first().cloned())
    })
    .await
    .expect("ada is notified");
    let read = format!(
        "/api/v1/notifications/{}/read",
        notification["id"].as_str().unwrap()
    );
    assert_problem(&api.post(&read).token(&bob.token).send().await, 404);
    let bobs = api.fetch("/api/v1/notifications", &bob).await;
    assert_eq!(bobs["total"], 0);
}
