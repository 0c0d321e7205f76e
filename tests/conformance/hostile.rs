//! The host defending itself against hostile clients: slow heads and bodies, oversized
//! uploads, too many connections, a `Host` naming a private chaining target or not a host at
//! all, forged `spin-*` headers, and a flood of requests next to event deliveries.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wasmart_host::triggers::http::limits::HttpLimits;
use wasmart_testing::fixtures::source;
use wasmart_testing::{eventually, RedisServer, TestOptions};

use crate::slow_clients::{
    self, assert_too_large, connect_from, exchange, huge_upload, SlowClients, Slowness,
};
use crate::support::{echo_component, manifest, route, Running};

fn address(app: &Running) -> SocketAddr {
    app.base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the app's address")
}

/// `echo` at `/echo/...` and `big` (an echo with its own body limit) at `/big/...`.
async fn echo_app(limits: HttpLimits, max_instances: u32) -> Running {
    let body = [
        echo_component("echo", &route("/echo/...")),
        echo_component("big", &route("/big/...")),
    ]
    .concat();
    let options = TestOptions {
        http_limits: Some(limits),
        max_instances: Some(max_instances),
        ..Default::default()
    };
    Running::start(&manifest("hostile", &body), options).await
}

/// Sends `GET path` (or a small `POST`) and returns the status and how long it took.
async fn probe(app: &Running, method: &str, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let body = if method == "POST" {
        "{\"probe\":1}"
    } else {
        ""
    };
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        app.request(method, path, &[], body),
    )
    .await
    .unwrap_or_else(|_| panic!("{method} {path}: no answer within 10 s"))
    .unwrap_or_else(|e| panic!("{method} {path}: {e:#}"));
    (response.status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_clients_neither_stall_the_app_nor_stay_connected() {
    let limits = HttpLimits {
        header_read_timeout: Duration::from_secs(6),
        body_idle_timeout: Duration::from_secs(8),
        body_timeout: Duration::from_secs(9),
        ..HttpLimits::default()
    };
    // Few instances: were a slow body read under a permit, they would all be taken.
    let app = echo_app(limits, 8).await;
    let every = Duration::from_secs(5);
    let opening = Instant::now();
    let slow = SlowClients::open(
        address(&app),
        "/echo/sessions",
        1000,
        8,
        every,
        Duration::from_secs(30),
    )
    .await;
    eprintln!("1000 slow connections open after {:?}", opening.elapsed());
    let mut slowest = Duration::ZERO;
    let mut held = usize::MAX;
    for round in 0..3 {
        for (method, path) in [("GET", "/echo/categories"), ("POST", "/echo/orders")] {
            let (status, took) = probe(&app, method, path).await;
            assert_eq!(status, 200, "round {round}: {method} {path}");
            assert!(
                took < Duration::from_secs(1),
                "{method} {path} took {took:?}"
            );
            slowest = slowest.max(took);
        }
        held = held.min(slow.open_now());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("probes answered in at most {slowest:?} while {held} slow connections were held");
    assert_eq!(held, 1000, "every slow connection was held while probing");
    let outcomes = slow.outcomes().await;
    let still_open = outcomes.iter().filter(|o| o.closed_after.is_none()).count();
    assert_eq!(
        still_open, 0,
        "the server left {still_open} slow connections open"
    );
    for outcome in &outcomes {
        let after = outcome.closed_after.unwrap();
        match outcome.slowness {
            Slowness::Head => assert!(after < Duration::from_secs(12), "{outcome:?}"),
            Slowness::Body { .. } => {
                assert!(after < Duration::from_secs(15), "{outcome:?}");
                let answer = outcome.answer.as_deref().unwrap_or_default();
                assert!(answer.starts_with("HTTP/1.1 408"), "{outcome:?}");
            }
        }
    }
    let (status, _) = probe(&app, "GET", "/echo/after").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_are_refused_with_413_before_they_are_read() {
    let app = echo_app(HttpLimits::default(), 8).await;
    let limit = HttpLimits::default().max_body_bytes;
    let idle = slow_clients::rss_bytes();
    // A component's route refuses both framings; elsewhere a declared size is refused and
    // a chunked body is never read (the answer closes the connection).
    for (path, routed) in [
        ("/echo/sessions", true),
        ("/big/upload", true),
        ("/nowhere", false),
        ("/.well-known/spin/health", false),
    ] {
        for chunked in [false, true] {
            let (answer, what) = huge_upload(address(&app), path, chunked, "").await;
            if routed || !chunked {
                assert_too_large(&answer, &what);
            } else {
                assert!(answer.starts_with("HTTP/1.1 "), "{what}");
                assert!(!answer.starts_with("HTTP/1.1 5"), "{what}");
            }
        }
    }
    let grown = slow_clients::rss_bytes().saturating_sub(idle);
    eprintln!("RSS grew by {} KiB over six 200 MB uploads", grown / 1024);
    assert!(grown < 50 * 1024 * 1024, "RSS grew by {grown} bytes");
    // A body within the limit still arrives whole.
    let body = "x".repeat(limit as usize);
    let response = app
        .request("POST", "/echo/ok", &[], body.clone())
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["body"], body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_may_have_its_own_body_limit_by_flag_or_manifest() {
    let body = [
        echo_component("echo", &route("/echo/...")),
        echo_component("big", &route("/big/...")),
        echo_component("tooled", &route("/tooled/...")),
        "\n[component.tooled.tool.wasmart]\nmax_body_bytes = 4096\n".to_owned(),
    ]
    .concat();
    let limits = HttpLimits {
        max_body_bytes: 1024,
        component_max_body_bytes: HashMap::from([("big".to_owned(), 4096)]),
        ..HttpLimits::default()
    };
    let options = TestOptions {
        http_limits: Some(limits),
        ..Default::default()
    };
    let app = Running::start(&manifest("limits", &body), options).await;
    let body = "y".repeat(2000);
    let small = app
        .request("POST", "/echo/x", &[], body.clone())
        .await
        .unwrap();
    assert_eq!(small.status, 413, "{}", small.text());
    assert_eq!(small.json()["status"], 413);
    for path in ["/big/x", "/tooled/x"] {
        let response = app.request("POST", path, &[], body.clone()).await.unwrap();
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        assert_eq!(response.json()["body"], body);
    }
    let over = app
        .request("POST", "/tooled/x", &[], "z".repeat(5000))
        .await
        .unwrap();
    assert_eq!(over.status, 413, "{}", over.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_capped_per_client_and_in_all() {
    let limits = HttpLimits {
        max_connections: 6,
        max_connections_per_client: 3,
        ..HttpLimits::default()
    };
    let app = echo_app(limits, 8).await;
    let server = address(&app);
    let from = |last: u8| std::net::Ipv4Addr::new(127, 0, 0, last);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from(server, from(5)).await.unwrap());
    }
    // A fourth from the same address is closed at once.
    let mut fourth = connect_from(server, from(5)).await.unwrap();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::io::AsyncReadExt::read(&mut fourth, &mut byte),
    );
    assert!(
        matches!(read.await, Ok(Ok(0)) | Ok(Err(_))),
        "the fourth connection was not closed"
    );
    // Another address fills the remaining slots; a seventh connection waits for a free one.
    for _ in 0..3 {
        held.push(connect_from(server, from(6)).await.unwrap());
    }
    let waiting = tokio::spawn({
        let url = app.base_url();
        async move {
            wasmart_testing::HttpClient::new()
                .request(&url, "GET", "/echo/waited", &[], "")
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "a seventh connection was served");
    held.pop();
    let answered = tokio::time::timeout(Duration::from_secs(5), waiting).await;
    assert_eq!(answered.unwrap().unwrap().unwrap().status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chaining_host_is_served_as_the_listen_address() {
    let app = echo_app(HttpLimits::default(), 8).await;
    let server = address(&app);
    for request in [
        "GET /echo/a?b=1 HTTP/1.1\r\nHost: orders.spin.internal\r\nConnection: close\r\n\r\n",
        "GET /echo/a?b=1 HTTP/1.1\r\nHost: ORDERS.Spin.Internal.:80\r\nConnection: close\r\n\r\n",
        "GET http://orders.spin.internal/echo/a?b=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ] {
        let (status, answer) = exchange(server, request.as_bytes()).await;
        assert_eq!(status, 200, "{request}: {answer}");
        let expected = format!("\"spin-full-url\":\"http://{server}/echo/a?b=1\"");
        assert!(answer.contains(&expected), "{request}: {answer}");
        let uri = format!("\"uri\":\"http://{server}/echo/a?b=1\"");
        assert!(answer.contains(&uri), "{request}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_host_is_refused_with_400_on_every_route() {
    let app = echo_app(HttpLimits::default(), 8).await;
    let server = address(&app);
    for path in ["/echo/a", "/big/b", "/nowhere", "/.well-known/spin/health"] {
        for host in [
            "Host: b\u{fc}cher.test".as_bytes().to_vec(),
            b"Host: shop.test\r\nHost: other.test".to_vec(),
            b"Host: user@shop.test".to_vec(),
            b"Host: shop.test:http".to_vec(),
        ] {
            let mut request = format!("GET {path} HTTP/1.1\r\n").into_bytes();
            request.extend_from_slice(&host);
            request.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
            let (status, answer) = exchange(server, &request).await;
            assert_eq!(
                status,
                400,
                "{path} {:?}: {answer}",
                String::from_utf8_lossy(&host)
            );
            assert!(answer.contains("application/problem+json"), "{answer}");
        }
    }
    let entries = app.access_entries();
    assert!(entries.iter().all(|e| e["status"] != 500), "{entries:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spin_headers_a_client_sends_never_reach_the_component() {
    let app = echo_app(HttpLimits::default(), 8).await;
    let forged = [
        ("spin-client-addr", "6.6.6.6:666"),
        ("spin-path-match-admin", "true"),
        ("spin-full-url", "https://bank.test/"),
        ("spin-anything", "x"),
    ];
    let response = app.request("GET", "/echo/x", &forged, "").await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let headers = &response.json()["headers"];
    let client = headers["spin-client-addr"].as_str().unwrap();
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    assert!(headers["spin-path-match-admin"].is_null(), "{headers}");
    assert!(headers["spin-anything"].is_null(), "{headers}");
    let url = headers["spin-full-url"].as_str().unwrap();
    assert_eq!(url, format!("{}/echo/x", app.base_url()));
}

/// `outbound` at `/hang` (may call `upstream`) and `redis-in` on `events` at `redis_url`.
fn busy_manifest(upstream: SocketAddr, redis_url: &str) -> String {
    let body = format!(
        r#"
[application.trigger.redis]
address = "{redis_url}"

[[trigger.http]]
route = "/hang"
component = "hang"

[component.hang]
source = {outbound}
allowed_outbound_hosts = ["http://{upstream}"]

[[trigger.redis]]
channel = "events"
component = "sink"

[component.sink]
source = {sink}
key_value_stores = ["default"]
"#,
        outbound = source("outbound"),
        sink = source("redis-in"),
    );
    manifest("busy", &body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_delivered_while_every_request_instance_is_busy() {
    let redis = RedisServer::start().await.unwrap();
    // An upstream that accepts and never answers keeps the `hang` instances busy.
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let _holding = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = upstream.accept().await {
            held.push(stream);
        }
    });
    let options = TestOptions {
        max_instances: Some(2),
        request_timeout: Some(Duration::from_secs(20)),
        ..Default::default()
    };
    let app = Running::start(&busy_manifest(upstream_addr, &redis.url()), options).await;
    let target = format!("http://{upstream_addr}/");
    let mut hanging = Vec::new();
    for _ in 0..4 {
        let url = app.base_url();
        let target = target.clone();
        hanging.push(tokio::spawn(async move {
            wasmart_testing::HttpClient::new()
                .request(&url, "GET", "/hang", &[("x-target", target.as_str())], "")
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        hanging.iter().all(|h| !h.is_finished()),
        "the requests did not hang"
    );
    let published = Instant::now();
    redis.publish("events", b"while busy").await.unwrap();
    eventually(Duration::from_secs(3), || async {
        app.kv_get("default", "last")
            .unwrap()
            .filter(|v| v == b"while busy")
    })
    .await
    .expect("the event to be handled");
    let took = published.elapsed();
    eprintln!("event handled {took:?} after publishing, all request instances busy");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        hanging.iter().all(|h| !h.is_finished()),
        "the requests stopped hanging"
    );
}
