//! Redis: the outbound interface (commands, allow-list) and the Redis trigger (delivery,
//! surviving a trapping handler, reconnecting after a server restart). Each test runs
//! its own `redis-server` on a free port. Like Spin, the trigger is expected to handle a
//! channel's messages one at a time, in order.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wasmart_testing::eventually;
use wasmart_testing::{RedisServer, TestOptions};

use crate::support::{error_of, manifest, Running};
use wasmart_testing::fixtures::source;

/// `redis-out` at `/redis/...`, allowed to reach `url` (its `redis_address`).
fn outbound_manifest(url: &str) -> String {
    let body = format!(
        r#"
[variables]
redis_address = {{ default = "{url}" }}

[[trigger.http]]
route = "/redis/..."
component = "redis"

[component.redis]
source = {source}
allowed_outbound_hosts = ["{url}"]

[component.redis.variables]
redis_address = "{{{{ redis_address }}}}"
"#,
        source = source("redis-out"),
    );
    manifest("redis-out", &body)
}

/// `redis-in` subscribed to channel `events` on `url`, recording into KV `default`.
fn trigger_manifest(url: &str) -> String {
    let body = format!(
        r#"
[application.trigger.redis]
address = "{url}"

[[trigger.redis]]
channel = "events"
component = "sink"

[component.sink]
source = {source}
key_value_stores = ["default"]
"#,
        source = source("redis-in"),
    );
    manifest("redis-in", &body)
}

async fn redis() -> RedisServer {
    RedisServer::start()
        .await
        .expect("starting redis-server (is it on PATH?)")
}

async fn call(app: &Running, method: &str, path: &str, body: &'static str) -> serde_json::Value {
    let response = app.send(method, path, &[], body).await;
    assert_eq!(response.status, 200, "{method} {path}: {}", response.text());
    response.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_key_commands() {
    let server = redis().await;
    let app = Running::start(&outbound_manifest(&server.url()), TestOptions::default()).await;

    call(&app, "PUT", "/redis/set/greeting", "hello").await;
    assert_eq!(
        server.get("greeting").await.unwrap().as_deref(),
        Some(&b"hello"[..])
    );
    assert_eq!(app.fetch("/redis/get/greeting").await.text(), "hello");
    assert_eq!(app.fetch("/redis/get/missing").await.status, 404);

    assert_eq!(
        call(&app, "POST", "/redis/incr/counter", "").await,
        json!({ "value": 1 })
    );
    assert_eq!(
        call(&app, "POST", "/redis/incr/counter", "").await,
        json!({ "value": 2 })
    );
    assert_eq!(
        server.get("counter").await.unwrap().as_deref(),
        Some(&b"2"[..])
    );

    assert_eq!(
        call(&app, "DELETE", "/redis/del/greeting", "").await,
        json!({ "deleted": 1 })
    );
    assert_eq!(server.get("greeting").await.unwrap(), None);
    assert_eq!(
        call(&app, "DELETE", "/redis/del/greeting", "").await,
        json!({ "deleted": 0 })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_set_commands() {
    let server = redis().await;
    let app = Running::start(&outbound_manifest(&server.url()), TestOptions::default()).await;
    assert_eq!(
        call(&app, "POST", "/redis/sadd/letters", "a,b,c").await,
        json!({ "added": 3 })
    );
    assert_eq!(
        call(&app, "POST", "/redis/sadd/letters", "c,d").await,
        json!({ "added": 1 })
    );
    assert_eq!(
        call(&app, "GET", "/redis/smembers/letters", "").await,
        json!(["a", "b", "c", "d"])
    );
    assert_eq!(
        call(&app, "POST", "/redis/srem/letters", "b,z").await,
        json!({ "removed": 1 })
    );
    assert_eq!(
        call(&app, "GET", "/redis/smembers/letters", "").await,
        json!(["a", "c", "d"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_execute() {
    let server = redis().await;
    let app = Running::start(&outbound_manifest(&server.url()), TestOptions::default()).await;
    let set = call(&app, "POST", "/redis/execute", r#"["SET", "k", "v"]"#).await;
    assert_eq!(set, json!([{ "status": "OK" }]));
    assert_eq!(
        call(&app, "POST", "/redis/execute", r#"["GET", "k"]"#).await,
        json!(["v"])
    );
    assert_eq!(
        call(&app, "POST", "/redis/execute", r#"["GET", "nope"]"#).await,
        json!([null])
    );
    let incr = call(&app, "POST", "/redis/execute", r#"["INCRBY", "n", 5]"#).await;
    assert_eq!(incr, json!([5]));
    assert_eq!(server.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_publish() {
    let server = redis().await;
    let app = Running::start(&outbound_manifest(&server.url()), TestOptions::default()).await;
    let mut subscription = server.subscribe("news").await.unwrap();
    call(&app, "POST", "/redis/publish/news", "breaking").await;
    let message = subscription
        .next_message(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(message, b"breaking");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_not_in_allow_list_is_invalid_address() {
    let server = redis().await;
    let app = Running::start(&outbound_manifest(&server.url()), TestOptions::default()).await;
    for address in ["redis://127.0.0.1:1", "redis://example.com:6379"] {
        let response = app
            .send("GET", "/redis/get/k", &[("x-address", address)], "")
            .await;
        assert_eq!(response.status, 403, "{address}: {}", response.text());
        assert_eq!(error_of(&response), "invalid-address", "{address}");
    }
}

/// The trigger's `count` in KV, as a number (0 when unset).
fn count(app: &Running) -> u64 {
    app.kv_get("default", "count")
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap().parse().unwrap())
        .unwrap_or(0)
}

fn last(app: &Running) -> Option<String> {
    app.kv_get("default", "last")
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

/// How many clients are subscribed to `channel` (`PUBSUB NUMSUB`, over a raw
/// connection); 0 if the server cannot be reached.
async fn subscribers(server: &RedisServer, channel: &str) -> u64 {
    let address = server.url().trim_start_matches("redis://").to_owned();
    let Ok(mut stream) = TcpStream::connect(&address).await else {
        return 0;
    };
    let command = format!("PUBSUB NUMSUB {channel}\r\n");
    if stream.write_all(command.as_bytes()).await.is_err() {
        return 0;
    }
    // The reply is `*2\r\n$<len>\r\n<channel>\r\n:<count>\r\n`.
    let mut reply = Vec::new();
    let mut buffer = [0u8; 256];
    while let Ok(n @ 1..) = stream.read(&mut buffer).await {
        reply.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&reply);
        if let Some(count) = text
            .rsplit_once(':')
            .and_then(|(_, c)| c.strip_suffix("\r\n"))
        {
            return count.parse().unwrap_or(0);
        }
    }
    0
}

/// Waits until the trigger is subscribed to `events`.
async fn wait_for_subscription(server: &RedisServer, timeout: Duration) {
    eventually(timeout, || async {
        (subscribers(server, "events").await >= 1).then_some(())
    })
    .await
    .expect("timed out waiting for the trigger's subscription to `events`");
}

/// Publishes `payload` once and waits until the trigger has handled it (`last`).
async fn deliver(server: &RedisServer, app: &Running, payload: &str) {
    server.publish("events", payload.as_bytes()).await.unwrap();
    eventually(Duration::from_secs(10), || async {
        (last(app).as_deref() == Some(payload)).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("timed out waiting for delivery of {payload:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_delivers_published_messages() {
    let server = redis().await;
    let app = Running::start(&trigger_manifest(&server.url()), TestOptions::default()).await;
    wait_for_subscription(&server, Duration::from_secs(10)).await;

    let before = count(&app);
    for payload in ["first", "second", "third"] {
        server.publish("events", payload.as_bytes()).await.unwrap();
    }
    eventually(Duration::from_secs(10), || async {
        (count(&app) >= before + 3).then_some(())
    })
    .await
    .expect("timed out waiting for three more messages");
    assert_eq!(count(&app), before + 3);
    let stored: Vec<String> = (before + 1..=before + 3)
        .map(|n| {
            String::from_utf8(app.kv_get("default", &format!("msg:{n}")).unwrap().unwrap()).unwrap()
        })
        .collect();
    assert_eq!(stored, ["first", "second", "third"]);
    // Component output is written by an async stream, so it may trail the KV write.
    let line = format!("redis-in: message {}", before + 3);
    eventually(Duration::from_secs(10), || async {
        app.component_log("sink").contains(&line).then_some(())
    })
    .await
    .expect("timed out waiting for the handler's log line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trapping_message_does_not_stop_delivery() {
    let server = redis().await;
    let app = Running::start(&trigger_manifest(&server.url()), TestOptions::default()).await;
    wait_for_subscription(&server, Duration::from_secs(10)).await;
    deliver(&server, &app, "before-trap").await;
    let before = count(&app);

    server.publish("events", b"trap").await.unwrap();
    server.publish("events", b"after-trap").await.unwrap();
    eventually(Duration::from_secs(10), || async {
        (last(&app).as_deref() == Some("after-trap")).then_some(())
    })
    .await
    .expect("timed out waiting for the message after the trap");
    assert_eq!(count(&app), before + 1, "the trapping message was counted");
    deliver(&server, &app, "later").await;
    assert_eq!(count(&app), before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_reconnects_after_server_restart() {
    let mut server = redis().await;
    let app = Running::start(&trigger_manifest(&server.url()), TestOptions::default()).await;
    wait_for_subscription(&server, Duration::from_secs(10)).await;
    deliver(&server, &app, "before-restart").await;

    server.stop().await.unwrap();
    server.restart().await.unwrap();
    // The trigger must notice, reconnect and subscribe again on its own.
    wait_for_subscription(&server, Duration::from_secs(20)).await;
    deliver(&server, &app, "after-restart").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_of_a_delivery_carry_its_event_and_trace_ids() {
    let server = redis().await;
    let app = Running::start(&trigger_manifest(&server.url()), TestOptions::default()).await;
    wait_for_subscription(&server, Duration::from_secs(10)).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let envelope = format!(
        r#"{{"id":"evt-log-1","type":"Tested","traceparent":"00-{trace_id}-00f067aa0ba902b7-01"}}"#
    );
    deliver(&server, &app, &envelope).await;
    let prefix = format!("[event=evt-log-1 trace={trace_id}] redis-in: message");
    eventually(Duration::from_secs(10), || async {
        let log = app.component_log("sink");
        log.lines().any(|l| l.starts_with(&prefix)).then_some(())
    })
    .await
    .expect("timed out waiting for the delivery's prefixed line");
}
