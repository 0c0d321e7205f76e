//! The whole shop against hostile clients: a thousand slow connections do not stall browsing
//! or checkout and are closed by the server; a 200 MB upload is refused with 413 before it is
//! read.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wasmart_host::triggers::http::limits::HttpLimits;

use crate::checkout::{add_to_cart, checkout, create_product, wait_for_status};
use crate::support::{Shop, ShopOptions, User};

// Shared with the conformance suite, which uses all of it.
#[allow(dead_code)]
#[path = "../conformance/slow_clients.rs"]
mod slow_clients;

use slow_clients::{assert_too_large, huge_upload, SlowClients};

fn address(shop: &Shop) -> SocketAddr {
    shop.app
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the shop's address")
}

/// `GET path` on the public address: its status and how long it took.
async fn timed_get(shop: &Shop, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(10), shop.app.get(path))
        .await
        .unwrap_or_else(|_| panic!("GET {path}: no answer within 10 s"))
        .unwrap_or_else(|e| panic!("GET {path}: {e:#}"));
    (response.status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_clients_do_not_stall_browsing_or_checkout() {
    let shop = Shop::start_with(ShopOptions {
        http_limits: Some(HttpLimits {
            header_read_timeout: Duration::from_secs(8),
            body_idle_timeout: Duration::from_secs(8),
            body_timeout: Duration::from_secs(10),
            ..HttpLimits::default()
        }),
        ..Default::default()
    })
    .await;
    let product = create_product(&shop, 5).await;
    let customer = User::customer();
    add_to_cart(&shop, &customer, &product, 1).await;

    let slow = SlowClients::open(
        address(&shop),
        "/api/v1/sessions",
        1000,
        8,
        Duration::from_secs(5),
        Duration::from_secs(40),
    )
    .await;
    let mut slowest = Duration::ZERO;
    for path in ["/api/v1/categories", "/", "/api/v1/categories", "/"] {
        let (status, took) = timed_get(&shop, path).await;
        assert_eq!(status, 200, "GET {path}");
        assert!(took < Duration::from_secs(1), "GET {path} took {took:?}");
        slowest = slowest.max(took);
    }
    let placed = Instant::now();
    let order = checkout(&shop, &customer, "tok_visa", "hostile-1").await;
    wait_for_status(&shop, &customer, &order, &["paid"], Duration::from_secs(2)).await;
    let to_paid = placed.elapsed();
    let held = slow.open_now();
    eprintln!(
        "with {held} slow connections held: GETs answered in at most {slowest:?}, \
         order paid {to_paid:?} after checkout"
    );
    assert_eq!(
        held, 1000,
        "a slow connection was closed before the probes ended"
    );
    assert!(to_paid < Duration::from_secs(2), "paid after {to_paid:?}");

    let outcomes = slow.outcomes().await;
    let still_open = outcomes.iter().filter(|o| o.closed_after.is_none()).count();
    assert_eq!(
        still_open, 0,
        "the server left {still_open} slow connections open"
    );
    let latest = outcomes.iter().filter_map(|o| o.closed_after).max();
    eprintln!("the last slow connection was closed {latest:?} after it opened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_upload_is_refused_with_413_before_it_is_read() {
    let shop = Shop::start().await;
    let idle = slow_clients::rss_bytes();
    for path in ["/api/v1/sessions", "/api/v1/products", "/"] {
        for chunked in [false, true] {
            let json = "Content-Type: application/json\r\n";
            let (answer, what) = huge_upload(address(&shop), path, chunked, json).await;
            assert_too_large(&answer, &what);
        }
    }
    let grown = slow_clients::rss_bytes().saturating_sub(idle);
    eprintln!("RSS grew by {} KiB over six 200 MB uploads", grown / 1024);
    assert!(grown < 50 * 1024 * 1024, "RSS grew by {grown} bytes");
}
