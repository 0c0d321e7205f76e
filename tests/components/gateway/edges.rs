//! What every request and answer goes through: request ids and trace context, CORS and
//! security headers, body limits, rate limits, unknown routes, malformed input, and the
//! served contract.

use std::time::Duration;

use serde_json::{json, Value};

use super::client::Api;
use crate::support::{assert_problem, checkout_body, ShopOptions, SERVICES};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_kept_or_made_and_trace_context_reaches_the_events() {
    let api = Api::start().await;
    let kept = api
        .get("/api/v1/nowhere")
        .header("x-request-id", "req-42.a")
        .send()
        .await;
    assert_eq!(kept.headers["x-request-id"], "req-42.a");
    assert_eq!(assert_problem(&kept, 404)["request_id"], "req-42.a");
    let unsafe_id = api
        .get("/api/v1/categories")
        .header("x-request-id", "<script>")
        .send()
        .await;
    let made = unsafe_id.headers["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(made).is_ok(), "{made}");
    let fresh = api.get("/api/v1/categories").send().await;
    assert_ne!(
        fresh.headers["x-request-id"],
        unsafe_id.headers["x-request-id"]
    );

    // A client's trace continues through the gateway and orders into the event it publishes.
    let ada = api.customer().await;
    let product = api.products(1).await.remove(0);
    api.put_in_cart(&ada, &product, 1).await;
    let mut events = api.shop.redis.subscribe("wasmart.orders").await.unwrap();
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let placed = api
        .post("/api/v1/orders")
        .token(&ada.token)
        .header("traceparent", &format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(checkout_body("tok_visa"))
        .send()
        .await;
    assert_eq!(placed.status, 202, "{}", placed.text());
    let event: Value =
        serde_json::from_slice(&events.next_message(Duration::from_secs(5)).await.unwrap())
            .unwrap();
    assert_eq!(event["type"], "OrderCreated");
    let traceparent = event["traceparent"].as_str().unwrap();
    assert!(
        traceparent.starts_with(&format!("00-{trace}-")),
        "{traceparent}"
    );
    assert!(
        !traceparent.contains("00f067aa0ba902b7"),
        "the gateway adds its own span"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_the_dev_server_only_and_every_answer_has_security_headers() {
    let api = Api::start().await;
    let preflight = api
        .request("OPTIONS", "/api/v1/orders")
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let allowed = preflight.headers["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(allowed.contains("authorization") && allowed.contains("idempotency-key"));
    let stranger = api
        .request("OPTIONS", "/api/v1/orders")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert_problem(&stranger, 403);
    assert!(!stranger.headers.contains_key("access-control-allow-origin"));

    let simple = api
        .get("/api/v1/categories")
        .header("origin", "http://127.0.0.1:5173")
        .send()
        .await;
    assert_eq!(
        simple.headers["access-control-allow-origin"],
        "http://127.0.0.1:5173"
    );
    let exposed = simple.headers["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.contains("x-request-id"));
    for response in [&simple, &api.get("/api/v1/nowhere").send().await] {
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
        ] {
            assert_eq!(response.headers[name], value);
        }
        assert!(response.headers.contains_key("content-security-policy"));
    }
    let private = api.get("/api/v1/cart").send().await;
    assert_eq!(private.headers["cache-control"], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_routes_and_methods_are_checked_before_any_service_runs() {
    let api = Api::start().await;
    let ada = api.customer().await;
    let huge = vec![b' '; 70 * 1024];
    let too_large = api
        .post("/api/v1/orders")
        .token(&ada.token)
        .raw("application/json", huge)
        .send()
        .await;
    assert_problem(&too_large, 413);
    let form = api
        .post("/api/v1/orders")
        .token(&ada.token)
        .raw("application/x-www-form-urlencoded", b"card=1".to_vec())
        .send()
        .await;
    assert_problem(&form, 415);
    assert_problem(&api.get("/api/v1/nowhere").send().await, 404);
    assert_problem(&api.get("/api/v1").send().await, 404);
    let wrong_method = api.request("PATCH", "/api/v1/products").send().await;
    assert_problem(&wrong_method, 405);
    assert_eq!(wrong_method.headers["allow"], "GET, POST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_4xx_problems_never_5xx() {
    let api = Api::start().await;
    let ada = api.customer().await;
    let product = api.products(1).await.remove(0);
    let item = format!("/api/v1/cart/items/{}", product["id"].as_str().unwrap());
    let bodies: Vec<(&str, &str, Vec<u8>)> = vec![
        ("POST", "/api/v1/accounts", b"{".to_vec()),
        ("POST", "/api/v1/accounts", b"[]".to_vec()),
        (
            "POST",
            "/api/v1/accounts",
            br#"{"email": 1, "password": null}"#.to_vec(),
        ),
        ("POST", "/api/v1/sessions", br#"{"email": "x"}"#.to_vec()),
        ("PATCH", "/api/v1/me", br#"{"name": 7}"#.to_vec()),
        ("PUT", item.as_str(), br#"{"quantity": -1}"#.to_vec()),
        ("PUT", item.as_str(), br#"{"quantity": 1e40}"#.to_vec()),
        (
            "PUT",
            "/api/v1/cart/items/not-a-uuid",
            br#"{"quantity": 1}"#.to_vec(),
        ),
        (
            "POST",
            "/api/v1/orders",
            br#"{"shipping_address": "here"}"#.to_vec(),
        ),
        (
            "POST",
            "/api/v1/orders",
            "\u{0}\u{ffff}".as_bytes().to_vec(),
        ),
    ];
    for (method, path, body) in bodies {
        let response = api
            .request(method, path)
            .token(&ada.token)
            .raw("application/json", body)
            .send()
            .await;
        assert!(
            (400..500).contains(&response.status),
            "{method} {path}: {}",
            response.text()
        );
        assert_eq!(response.headers["content-type"], "application/problem+json");
    }
    for path in [
        "/api/v1/products?page=0",
        "/api/v1/products?page_size=1000",
        "/api/v1/products?min_price=-5",
        "/api/v1/products?sort=sideways",
        "/api/v1/products/not-a-uuid",
        "/api/v1/orders/%00",
        "/api/v1/images/..%2F..%2Fetc%2Fpasswd",
    ] {
        let response = api.get(path).token(&ada.token).send().await;
        assert!(
            (400..500).contains(&response.status),
            "{path}: {}",
            response.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_and_requests_are_rate_limited_per_client() {
    let api = Api::start_with(ShopOptions {
        variables: vec![
            ("login_rate_limit_per_minute".into(), "3".into()),
            ("rate_limit_per_minute".into(), "20".into()),
        ],
        ..Default::default()
    })
    .await;
    let guess = json!({"email": "admin@wasmart.test", "password": "guess guess guess"});
    for _ in 0..3 {
        let attempt = api
            .post("/api/v1/sessions")
            .json(guess.clone())
            .send()
            .await;
        assert_problem(&attempt, 401);
    }
    let limited = api.post("/api/v1/sessions").json(guess).send().await;
    assert_problem(&limited, 429);
    let wait: u32 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "{wait}");

    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(api.get("/api/v1/categories").send().await.status);
    }
    assert!(statuses[..15].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_contract_is_docs_openapi_yaml() {
    let api = Api::start().await;
    let served = api.get("/api/v1/openapi.json").send().await;
    assert_eq!(served.status, 200);
    assert_eq!(&served.json(), super::contract::document());
    let health = api.get("/api/v1/health").send().await.json();
    assert_eq!(health["status"], "up", "{health}");
    let names: Vec<&str> = health["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, SERVICES, "the gateway, then every service, in order");
}
