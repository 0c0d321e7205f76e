//! Isolation and limits: a trap, a CPU loop, a long host wait or an oversized allocation
//! fails only its own request (500/504), within the deadline, and the app keeps serving.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmart_testing::TestOptions;

use crate::support::{http_component, manifest, route, Running};
use wasmart_testing::fixtures::source;

/// `trap` at `/trap/...`.
fn trap_manifest() -> String {
    let body = http_component("trap", &route("/trap/..."), &source("trap"), "");
    manifest("isolation", &body)
}

async fn start(options: TestOptions) -> Running {
    Running::start(&trap_manifest(), options).await
}

fn with_timeout(seconds: u64) -> TestOptions {
    TestOptions {
        request_timeout: Some(Duration::from_secs(seconds)),
        ..Default::default()
    }
}

/// Asserts `/trap/ok` still answers `200 ok`.
async fn assert_still_serving(app: &Running) {
    let response = app.fetch("/trap/ok").await;
    assert_eq!((response.status, response.text().as_str()), (200, "ok"));
}

fn assert_failed(status: u16, what: &str) {
    assert!(
        status == 500 || status == 504,
        "{what}: expected 500 or 504, got {status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_fails_only_its_request() {
    let app = start(TestOptions::default()).await;
    for _ in 0..3 {
        assert_eq!(app.fetch("/trap/panic").await.status, 500);
        assert_still_serving(&app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_loop_is_stopped_by_the_deadline() {
    let app = start(with_timeout(1)).await;
    let started = Instant::now();
    let response = app.fetch("/trap/loop").await;
    let elapsed = started.elapsed();
    assert_failed(response.status, "/loop");
    assert!(
        elapsed < Duration::from_secs(3),
        "/loop answered after {elapsed:?}"
    );
    assert_still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_wait_is_stopped_by_the_deadline() {
    let app = start(with_timeout(1)).await;
    let short = app.fetch("/trap/sleep?ms=10").await;
    assert_eq!((short.status, short.text().as_str()), (200, "slept"));

    let started = Instant::now();
    let response = app.fetch("/trap/sleep?ms=3000").await;
    let elapsed = started.elapsed();
    assert_failed(response.status, "/sleep?ms=3000");
    assert!(
        elapsed < Duration::from_millis(2500),
        "/sleep answered after {elapsed:?}"
    );
    assert_still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_cap_fails_only_the_oversized_request() {
    let options = TestOptions {
        instance_memory_mb: Some(64),
        ..Default::default()
    };
    let app = start(options).await;
    assert_eq!(app.fetch("/trap/alloc?mb=8").await.status, 200);
    let response = app.fetch("/trap/alloc?mb=200").await;
    assert_eq!(
        response.status,
        500,
        "200 MiB under a 64 MiB cap: {}",
        response.text()
    );
    assert_eq!(app.fetch("/trap/alloc?mb=8").await.status, 200);
    assert_still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_succeed_while_others_trap() {
    let app = Arc::new(start(with_timeout(5)).await);
    let looping = {
        let app = app.clone();
        tokio::spawn(async move { app.fetch("/trap/loop").await.status })
    };
    let mut others = tokio::task::JoinSet::new();
    for i in 0..12 {
        let app = app.clone();
        let path = if i % 3 == 0 {
            "/trap/panic"
        } else {
            "/trap/ok"
        };
        others.spawn(async move { (path, app.fetch(path).await.status) });
    }
    while let Some(result) = others.join_next().await {
        let (path, status) = result.unwrap();
        let expected = if path == "/trap/ok" { 200 } else { 500 };
        assert_eq!(status, expected, "{path} while another request loops");
    }
    assert!(
        !looping.is_finished(),
        "the loop ended before the other requests did"
    );
    assert_failed(looping.await.unwrap(), "/loop");
    assert_still_serving(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_instance_limit_wait_their_turn() {
    let options = TestOptions {
        max_instances: Some(1),
        ..Default::default()
    };
    let app = Arc::new(start(options).await);
    let started = Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let app = app.clone();
        requests.spawn(async move { app.fetch("/trap/sleep?ms=300").await.status });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(
            status.unwrap(),
            200,
            "a request over the instance limit failed"
        );
    }
    // One instance at a time: four 300 ms requests cannot finish in under 1.2 s.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1150),
        "4 requests took only {elapsed:?}"
    );
}
