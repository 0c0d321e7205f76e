//! `accounts`: registration, sign-in with argon2id and signed tokens, profiles, the first
//! admin from variables.

use std::time::Instant;

use serde_json::{json, Value};

use crate::support::{
    assert_field_error, assert_problem, Shop, User, ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SIGNING_KEY,
};

async fn shop() -> Shop {
    Shop::start_only(&["accounts"]).await
}

async fn register(shop: &Shop, email: &str, password: &str) -> crate::support::TestResponse {
    shop.call(
        "accounts",
        "POST",
        "/accounts",
        None,
        Some(json!({ "email": email, "password": password, "name": "Ada Lovelace" })),
    )
    .await
}

async fn sign_in(shop: &Shop, email: &str, password: &str) -> crate::support::TestResponse {
    shop.call(
        "accounts",
        "POST",
        "/sessions",
        None,
        Some(json!({ "email": email, "password": password })),
    )
    .await
}

/// The claims of `token`, after checking its HS256 signature with the test key.
fn verified_claims(token: &str) -> Value {
    let claims = service_kit::token::verify(
        token,
        JWT_SIGNING_KEY.as_bytes(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    )
    .expect("a valid token");
    serde_json::to_value(claims).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_signs_in_and_issues_a_signed_expiring_token() {
    let shop = shop().await;
    let created = register(&shop, " Ada@Example.com ", "analytical engine").await;
    assert_eq!(created.status, 201, "{}", created.text());
    let user = created.json();
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["role"], "customer");
    assert!(user.get("password_hash").is_none());

    let stored = shop.sql(
        "accounts",
        "SELECT password_hash FROM users WHERE email = 'ada@example.com'",
    );
    let hash = stored[0][0].as_str().unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );

    let duplicate = register(&shop, "ADA@example.com", "another password").await;
    assert_problem(&duplicate, 409);

    let started = Instant::now();
    let session = sign_in(&shop, "ada@example.com", "analytical engine").await;
    eprintln!("sign-in with argon2id took {:?}", started.elapsed());
    assert_eq!(session.status, 200, "{}", session.text());
    let session = session.json();
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 3600);
    let claims = verified_claims(session["token"].as_str().unwrap());
    assert_eq!(claims["sub"], user["id"]);
    assert_eq!(claims["role"], "customer");
    assert_eq!(claims["iss"], "wasmart");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_get_the_same_401() {
    let shop = shop().await;
    register(&shop, "grace@example.com", "compilers rule").await;
    let wrong = sign_in(&shop, "grace@example.com", "wrong password").await;
    let unknown = sign_in(&shop, "nobody@example.com", "wrong password").await;
    let wrong = assert_problem(&wrong, 401);
    let unknown = assert_problem(&unknown, 401);
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_name_the_field() {
    let shop = shop().await;
    for (body, field) in [
        (
            json!({"email": "not-an-email", "password": "long enough pw", "name": "A"}),
            "email",
        ),
        (
            json!({"email": "a@b.co", "password": "short", "name": "A"}),
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": "long enough pw", "name": " "}),
            "name",
        ),
        (
            json!({"email": "a@b.co", "password": "long enough pw"}),
            "name",
        ),
        (
            json!({"email": 7, "password": "long enough pw", "name": "A"}),
            "email",
        ),
    ] {
        let response = shop
            .call("accounts", "POST", "/accounts", None, Some(body))
            .await;
        assert_field_error(&response, field);
    }
    let user = User::customer();
    let bad_address = json!({"shipping_address": {
        "name": "A", "line1": "", "city": "C", "postal_code": "1", "country": "gb"
    }});
    let response = shop
        .call("accounts", "PATCH", "/me", Some(&user), Some(bad_address))
        .await;
    let problem = assert_problem(&response, 400);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["shipping_address.line1", "shipping_address.country"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_belong_to_their_owner() {
    let shop = shop().await;
    let created = register(&shop, "alan@example.com", "turing complete")
        .await
        .json();
    let alan = User {
        id: created["id"].as_str().unwrap().to_owned(),
        role: "customer",
        email: "alan@example.com".to_owned(),
    };
    let address = json!({
        "name": "Alan Turing", "line1": "Bletchley Park", "city": "Milton Keynes",
        "postal_code": "MK3 6EB", "country": "GB"
    });
    let changed = shop
        .call(
            "accounts",
            "PATCH",
            "/me",
            Some(&alan),
            Some(json!({"shipping_address": address})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let me = shop
        .call("accounts", "GET", "/me", Some(&alan), None)
        .await
        .json();
    assert_eq!(me["shipping_address"]["city"], "Milton Keynes");
    assert_eq!(me["name"], "Ada Lovelace", "a name left out stays");

    let stranger = shop
        .call("accounts", "GET", "/me", Some(&User::customer()), None)
        .await;
    assert_problem(&stranger, 404);
    let anonymous = shop.call("accounts", "GET", "/me", None, None).await;
    assert_problem(&anonymous, 401);
    let listing = shop
        .call("accounts", "GET", "/accounts", Some(&alan), None)
        .await;
    assert_problem(&listing, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_comes_from_variables() {
    let shop = shop().await;
    let session = sign_in(&shop, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(session.status, 200, "{}", session.text());
    let claims = verified_claims(session.json()["token"].as_str().unwrap());
    assert_eq!(claims["role"], "admin");
    let admin = User {
        id: claims["sub"].as_str().unwrap().to_owned(),
        role: "admin",
        email: ADMIN_EMAIL.to_owned(),
    };
    let listing = shop
        .call("accounts", "GET", "/accounts", Some(&admin), None)
        .await;
    assert_eq!(listing.status, 200, "{}", listing.text());
    let admins = shop.sql(
        "accounts",
        "SELECT COUNT(*) FROM users WHERE role = 'admin'",
    );
    assert_eq!(admins, vec![vec![json!(1)]]);
}
