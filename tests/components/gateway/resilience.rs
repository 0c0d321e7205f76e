//! When a service is down or slow, the gateway degrades that feature only: checkout still
//! takes orders while payments is down, a slow catalog times out within its deadline while
//! orders keeps answering, and retries and circuit breakers behave.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::client::Api;
use crate::support::{assert_problem, ShopOptions};

/// A stand-in for a service on loopback HTTP: answers every request after `delay`, with
/// `statuses[n]` for the n-th request (the last one repeats) and `body`.
struct FakeUpstream {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl FakeUpstream {
    async fn start(delay: Duration, statuses: Vec<u16>, body: serde_json::Value) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let index = counter.fetch_add(1, Ordering::SeqCst);
                let status = statuses[index.min(statuses.len() - 1)];
                let body = body.to_string();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    tokio::time::sleep(delay).await;
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        Self { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// The shop with catalog reached at `url` instead of its component.
async fn with_catalog_at(url: &str, timeout_ms: u32) -> Api {
    Api::start_with(ShopOptions {
        variables: vec![
            ("catalog_origin".into(), url.into()),
            ("upstream_timeout_ms".into(), timeout_ms.to_string()),
        ],
        ..Default::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_payments_down_checkout_still_takes_orders_and_they_wait() {
    let api = Api::start_with(ShopOptions {
        components: vec![
            "gateway",
            "catalog",
            "accounts",
            "cart",
            "orders",
            "notifications",
        ],
        ..Default::default()
    })
    .await;
    let ada = api.customer().await;
    let product = api.products(1).await.remove(0);
    api.put_in_cart(&ada, &product, 1).await;
    let placed = api.place_order(&ada, "tok_visa").await;
    let order = format!("/api/v1/orders/{}", placed["id"].as_str().unwrap());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = api.fetch(&order, &ada).await;
    assert_eq!(waiting["status"], "pending_payment", "{waiting}");
    // The customer can still give up on it.
    let cancelled = api
        .post(&format!("{order}/cancel"))
        .token(&ada.token)
        .send()
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    assert_eq!(cancelled.json()["status"], "cancelled");
    // Health says which service is missing.
    let (health, payments) = api.health_of("payments").await;
    assert_eq!(payments["status"], "down", "{health}");
    assert_eq!(health["status"], "degraded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_catalog_times_out_within_its_deadline_and_orders_keeps_answering() {
    let slow = FakeUpstream::start(Duration::from_secs(5), vec![200], json!({})).await;
    // The deadline leaves room for accounts' argon2id on a busy machine.
    let api = with_catalog_at(&slow.url, 800).await;
    let ada = api.customer().await;

    let started = Instant::now();
    let products = api
        .get("/api/v1/products")
        .upstream_failure_expected()
        .send()
        .await;
    let took = started.elapsed();
    let problem = assert_problem(&products, 504);
    assert!(
        took < Duration::from_millis(2000),
        "answered after {took:?}"
    );
    assert!(problem["request_id"].is_string());

    let started = Instant::now();
    let orders = api.get("/api/v1/orders").token(&ada.token).send().await;
    assert_eq!(orders.status, 200, "{}", orders.text());
    assert!(started.elapsed() < Duration::from_millis(1000));

    // The storefront renders without the catalog's parts.
    let storefront = api.fetch("/api/v1/storefront", &ada).await;
    assert_eq!(
        storefront["unavailable"],
        json!(["featured", "categories"]),
        "{storefront}"
    );
    assert_eq!(storefront["cart"]["item_count"], 0);

    // Enough failures open the circuit: calls then fail fast, with Retry-After.
    for _ in 0..3 {
        api.get("/api/v1/categories")
            .upstream_failure_expected()
            .send()
            .await;
    }
    let before = slow.requests();
    let started = Instant::now();
    let refused = api
        .get("/api/v1/products")
        .upstream_failure_expected()
        .send()
        .await;
    assert_problem(&refused, 503);
    assert!(refused.headers.contains_key("retry-after"));
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(slow.requests(), before, "an open circuit sends nothing");
    let (_, catalog) = api.health_of("catalog").await;
    assert_eq!(catalog["status"], "down", "{catalog}");
    assert_eq!(catalog["circuit"], "open", "{catalog}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_calls_are_retried_and_others_are_not() {
    let empty = json!({"items": [], "page": 1, "page_size": 20, "total": 0});
    let flaky = FakeUpstream::start(Duration::ZERO, vec![503, 200], empty).await;
    let api = with_catalog_at(&flaky.url, 2000).await;
    let listed = api.get("/api/v1/products").send().await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(flaky.requests(), 2, "one failure, one retry");

    let failing = FakeUpstream::start(
        Duration::ZERO,
        vec![503],
        json!({"error": "panicked at db.rs:42"}),
    )
    .await;
    let api = with_catalog_at(&failing.url, 2000).await;
    let admin = api.admin().await;
    let created = api
        .post("/api/v1/products")
        .token(&admin.token)
        .json(
            json!({"sku": "WM-X", "name": "x", "description": "", "category": "x",
                     "price": {"amount": 1, "currency": "USD"}, "stock": 1}),
        )
        .upstream_failure_expected()
        .send()
        .await;
    let problem = assert_problem(&created, 503);
    assert!(
        !problem.to_string().contains("db.rs"),
        "upstream text leaked: {problem}"
    );
    assert_eq!(failing.requests(), 1, "a POST is sent once");
    let listed = api
        .get("/api/v1/categories")
        .upstream_failure_expected()
        .send()
        .await;
    assert_problem(&listed, 503);
    assert_eq!(failing.requests(), 4, "a GET gets three attempts");
}
