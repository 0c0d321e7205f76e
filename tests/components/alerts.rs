//! Ops monitoring end to end, through the public API: payments failing for a burst raises an
//! alert within seconds (telemetry counts the failures, alerts evaluates on its tick), every
//! admin is notified, the alert resolves once payments go through again; the ops routes are
//! for admins only and refuse bad rule changes.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::gateway::client::{Api, Session};
use crate::support::{Shop, ShopOptions, INTERNAL_API_KEY, INTERNAL_KEY_HEADER};

/// Polls `GET path` as `session` every 250 ms (well inside the rate limit) until `found`
/// picks something out of the body, or `timeout` passes.
async fn poll(
    api: &Api,
    session: &Session,
    path: &str,
    timeout: Duration,
    found: impl Fn(&Value) -> Option<Value>,
) -> Option<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = found(&api.fetch(path, session).await) {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The alert of `rule_id` in the list `list` (`active` or `recent`) of an alerts body.
fn alert_of(body: &Value, list: &str, rule_id: &str) -> Option<Value> {
    body[list]
        .as_array()?
        .iter()
        .find(|alert| alert["rule_id"] == rule_id)
        .cloned()
}

fn notification_of(body: &Value, kind: &str) -> Option<Value> {
    body["items"]
        .as_array()?
        .iter()
        .find(|item| item["kind"] == kind)
        .cloned()
}

/// A shop whose telemetry window and alert evaluation are short, so bursts come and go fast.
async fn quick_shop() -> Api {
    Api::start_with(ShopOptions {
        variables: vec![
            ("telemetry_window_seconds".to_owned(), "8".to_owned()),
            ("alert_evaluation_interval_ms".to_owned(), "300".to_owned()),
        ],
        ..ShopOptions::default()
    })
    .await
}

/// Checks out `count` orders as `customer`, each paying with `card_token`.
async fn checkouts(api: &Api, customer: &Session, product: &Value, card_token: &str, count: usize) {
    for _ in 0..count {
        api.put_in_cart(customer, product, 1).await;
        api.place_order(customer, card_token).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_failed_payments_raises_an_alert_that_notifies_admins_and_resolves() {
    let api = quick_shop().await;
    let admin = api.admin().await;
    let rule = "payment-failure-rate";
    let changed = api
        .request("PUT", "/api/v1/ops/alert-rules/payment-failure-rate")
        .token(&admin.token)
        .json(json!({"threshold": 50, "min_count": 4, "enabled": true}))
        .send()
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["min_count"], 4);
    let alerts = api.fetch("/api/v1/ops/alerts", &admin).await;
    assert_eq!(alerts["active"], json!([]), "{alerts}");

    let customer = api.customer().await;
    let product = api.products(1).await.remove(0);
    checkouts(&api, &customer, &product, "tok_chargeDeclined", 4).await;
    let burst_ended = Instant::now();

    let alert = poll(
        &api,
        &admin,
        "/api/v1/ops/alerts",
        Duration::from_secs(10),
        |body| alert_of(body, "active", rule),
    )
    .await
    .expect("no payment failure alert within 10 s of the burst");
    let took = burst_ended.elapsed();
    assert!(took < Duration::from_secs(10));
    eprintln!("alert raised {} ms after the burst", took.as_millis());
    assert_eq!(alert["service"], "payments");
    assert_eq!(alert["metric"], "payment_failure_rate");
    assert_eq!(alert["value"], 100.0, "{alert}");
    let raised = poll(
        &api,
        &admin,
        "/api/v1/notifications",
        Duration::from_secs(10),
        |body| notification_of(body, "alert_raised"),
    )
    .await
    .expect("admins are notified of the alert");
    assert_eq!(raised["order_id"], Value::Null);
    assert!(raised["body"]
        .as_str()
        .unwrap()
        .contains("payment failure rate"));
    let theirs = api.fetch("/api/v1/notifications", &customer).await;
    assert!(
        notification_of(&theirs, "alert_raised").is_none(),
        "{theirs}"
    );

    let overview = api.fetch("/api/v1/ops/overview", &admin).await;
    assert!(
        overview["payments"]["failed"].as_i64().unwrap() >= 4,
        "{overview}"
    );
    let payments = overview["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|service| service["name"] == "payments")
        .unwrap_or_else(|| panic!("{overview}"));
    assert!(
        payments["events"]["failures"].as_i64().unwrap() >= 4,
        "{payments}"
    );
    assert_eq!(payments["health"]["status"], "up", "{payments}");
    // The dashboard's own polling of alerts is traffic the gateway measured in the window.
    let alerts_service = overview["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|service| service["name"] == "alerts")
        .unwrap_or_else(|| panic!("{overview}"));
    let requests = &alerts_service["requests"];
    assert!(requests["count"].as_u64().unwrap() >= 1, "{alerts_service}");
    assert!(requests["p99_ms"].is_u64(), "{alerts_service}");
    assert_eq!(requests["errors"], 0, "{alerts_service}");

    // Payments go through again: the rate falls under the threshold (and the window moves
    // past the burst), and the alert resolves.
    checkouts(&api, &customer, &product, "tok_visa", 5).await;
    let resolved = poll(
        &api,
        &admin,
        "/api/v1/ops/alerts",
        Duration::from_secs(20),
        |body| alert_of(body, "recent", rule).filter(|found| found["id"] == alert["id"]),
    )
    .await
    .expect("the alert resolves once payments succeed again");
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["resolved_at"].is_string());
    let alerts = api.fetch("/api/v1/ops/alerts", &admin).await;
    assert!(alert_of(&alerts, "active", rule).is_none(), "{alerts}");
    poll(
        &api,
        &admin,
        "/api/v1/notifications",
        Duration::from_secs(10),
        |body| notification_of(body, "alert_resolved"),
    )
    .await
    .expect("admins are told the alert resolved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_routes_are_for_admins_and_refuse_bad_rule_changes() {
    let api = Api::start().await;
    let admin = api.admin().await;
    let customer = api.customer().await;
    for path in [
        "/api/v1/ops/overview",
        "/api/v1/ops/alerts",
        "/api/v1/ops/alert-rules",
    ] {
        assert_eq!(api.get(path).send().await.status, 401, "{path}");
        let refused = api.get(path).token(&customer.token).send().await;
        assert_eq!(refused.status, 403, "{path}");
    }
    let rules = api.fetch("/api/v1/ops/alert-rules", &admin).await;
    let ids: Vec<&str> = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    for id in [
        "request-error-rate",
        "request-latency-p99",
        "payment-failure-rate",
        "dead-letters",
        "producer-silent",
    ] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    let put = |path: &'static str, body: Value| {
        api.request("PUT", path)
            .token(&admin.token)
            .json(body)
            .send()
    };
    let bad = put(
        "/api/v1/ops/alert-rules/request-error-rate",
        json!({"threshold": 150, "min_count": 0, "enabled": true}),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    let fields: Vec<Value> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].clone())
        .collect();
    assert_eq!(fields, [json!("threshold"), json!("min_count")]);
    let extra = put(
        "/api/v1/ops/alert-rules/request-error-rate",
        json!({"threshold": 5, "min_count": 1, "enabled": true, "severity": "high"}),
    )
    .await;
    assert_eq!(extra.status, 400, "{}", extra.text());
    let unknown = put(
        "/api/v1/ops/alert-rules/vibes",
        json!({"threshold": 5, "min_count": 1, "enabled": true}),
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    let refused = api
        .request("PUT", "/api/v1/ops/alert-rules/request-error-rate")
        .token(&customer.token)
        .json(json!({"threshold": 5, "min_count": 1, "enabled": false}))
        .send()
        .await;
    assert_eq!(refused.status, 403);
    let disabled = put(
        "/api/v1/ops/alert-rules/request-latency-p99",
        json!({"threshold": 2500.5, "min_count": 50, "enabled": false}),
    )
    .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text());
    let rule = disabled.json();
    assert_eq!(
        (rule["threshold"].as_f64(), rule["enabled"].as_bool()),
        (Some(2500.5), Some(false))
    );
    assert!(rule["updated_at"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_tells_telemetry_its_traffic_only_with_the_internal_key() {
    let shop = Shop::start().await;
    let api = Api::over(shop);
    api.products(1).await;
    let path = "/internal/gateway/traffic?window_seconds=60";
    let refused = api
        .shop
        .app
        .request("GET", path, &[], Vec::new())
        .await
        .unwrap();
    assert_eq!(refused.status, 401, "{}", refused.text());
    let traffic = api
        .shop
        .app
        .request(
            "GET",
            path,
            &[(INTERNAL_KEY_HEADER, INTERNAL_API_KEY)],
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(traffic.status, 200, "{}", traffic.text());
    let body = traffic.json();
    assert_eq!(body["window_seconds"], 60);
    assert!(
        body["services"]["catalog"]["requests"].as_u64().unwrap() >= 1,
        "{body}"
    );
    let bad = api
        .shop
        .app
        .request(
            "GET",
            "/internal/gateway/traffic?window_seconds=0",
            &[(INTERNAL_KEY_HEADER, INTERNAL_API_KEY)],
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 400, "{}", bad.text());
}
