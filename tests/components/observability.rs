//! The host measures every component with no code in it: request counts and latency by
//! component and route, service chaining, instantiation, event deliveries, and the
//! key-value, SQLite and Redis calls components make; served in the Prometheus format on the
//! metrics listener only, accepted by `promtool`, and scraped by a real Prometheus.

use std::time::Duration;

use serde_json::Value;

use crate::gateway::client::Api;
use wasmart_testing::{eventually, HttpClient};

/// `GET url`; returns the status and body (status 0 when nothing answers).
async fn get(url: &str) -> (u16, String) {
    match HttpClient::new().get(url).await {
        Ok(response) => (response.status, response.text()),
        Err(_) => (0, String::new()),
    }
}

/// The value of the series `name{labels}` in a Prometheus text exposition, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

/// Asserts that the histogram `name` has a sane series `labels` (without braces): some
/// observations, cumulative buckets ending at the count, and a mean under `max_mean`
/// seconds.
fn assert_sane_histogram(text: &str, name: &str, labels: &str, max_mean: f64) {
    let count = sample(text, &format!("{name}_count{{{labels}}}"))
        .unwrap_or_else(|| panic!("no {name}{{{labels}}} in\n{text}"));
    let sum = sample(text, &format!("{name}_sum{{{labels}}}")).unwrap();
    assert!(count >= 1.0, "{name}{{{labels}}}: count {count}");
    assert!(
        sum > 0.0 && sum / count < max_mean,
        "{name}{{{labels}}}: sum {sum}, count {count}"
    );
    let prefix = format!("{name}_bucket{{{labels},le=");
    let buckets: Vec<f64> = text
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(|rest| rest.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.len() > 5, "{name}{{{labels}}}: buckets {buckets:?}");
    assert!(
        buckets.windows(2).all(|pair| pair[0] <= pair[1]),
        "{buckets:?}"
    );
    assert_eq!(
        buckets.last(),
        Some(&count),
        "the +Inf bucket holds every observation"
    );
}

/// Asserts that `promtool check metrics` accepts `text` (format and naming conventions).
fn assert_promtool_accepts(text: &str) {
    use std::io::Write;
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running promtool (apt-get install prometheus)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = promtool.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_measures_every_component_on_the_metrics_listener_only() {
    let api = Api::start().await;
    let ada = api.customer().await;
    let product = api.products(1).await.remove(0);
    api.put_in_cart(&ada, &product, 1).await;
    let mut orders_channel = api.shop.redis.subscribe("wasmart.orders").await.unwrap();
    api.place_order(&ada, "tok_visa").await;
    api.get("/api/v1/nowhere").send().await;
    let metrics_url = api.shop.app.metrics_url().expect("a metrics listener");

    // The same OrderCreated once more, as an outbox would publish it again: a redelivery.
    let order_created = orders_channel
        .next_message(Duration::from_secs(5))
        .await
        .unwrap();
    api.shop
        .redis
        .publish("wasmart.orders", &order_created)
        .await
        .unwrap();
    let redelivered =
        r#"wasmart_event_redeliveries_total{component="payments",channel="wasmart.orders"}"#;

    let handled = r#"wasmart_event_deliveries_total{component="payments",channel="wasmart.orders",outcome="handled"}"#;
    let text = eventually(Duration::from_secs(5), || async {
        let (status, text) = get(&format!("{metrics_url}/metrics")).await;
        assert_eq!(status, 200);
        sample(&text, redelivered).is_some().then_some(text)
    })
    .await
    .expect("payments was delivered the order's event twice");
    for series in [
        r#"wasmart_http_requests_total{component="gateway",route="/api/v1/...",class="2xx"}"#,
        r#"wasmart_http_requests_total{component="gateway",route="/api/v1/...",class="4xx"}"#,
        r#"wasmart_http_requests_total{component="catalog",route="chained",class="2xx"}"#,
        r#"wasmart_http_requests_total{component="orders",route="chained",class="2xx"}"#,
        r#"wasmart_http_request_duration_seconds_count{component="gateway",route="/api/v1/..."}"#,
        r#"wasmart_instantiation_duration_seconds_count{component="gateway"}"#,
        handled,
        redelivered,
    ] {
        let value = sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
        assert!(value >= 1.0, "{series} = {value}");
    }
    assert_eq!(sample(&text, "wasmart_instances_queued"), Some(0.0));

    // The host calls behind that checkout, by component, label and operation.
    for series in [
        r#"wasmart_key_value_operations_total{component="cart",label="cart",operation="get",outcome="ok"}"#,
        r#"wasmart_key_value_operations_total{component="cart",label="cart",operation="set",outcome="ok"}"#,
        r#"wasmart_sqlite_operations_total{component="orders",label="orders",operation="insert",outcome="ok"}"#,
        r#"wasmart_sqlite_operations_total{component="orders",label="orders",operation="select",outcome="ok"}"#,
        r#"wasmart_sqlite_operations_total{component="payments",label="payments",operation="insert",outcome="ok"}"#,
        r#"wasmart_redis_operations_total{component="orders",operation="publish",outcome="ok"}"#,
        r#"wasmart_redis_messages_published_total{component="orders",channel="wasmart.orders"}"#,
    ] {
        let value = sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
        assert!(value >= 1.0, "{series} = {value}");
    }
    for (name, labels) in [
        (
            "wasmart_key_value_operation_duration_seconds",
            r#"component="cart",label="cart",operation="get""#,
        ),
        (
            "wasmart_sqlite_operation_duration_seconds",
            r#"component="orders",label="orders",operation="insert""#,
        ),
        (
            "wasmart_redis_operation_duration_seconds",
            r#"component="orders",operation="publish""#,
        ),
    ] {
        assert_sane_histogram(&text, name, labels, 0.5);
    }
    let published = sample(
        &text,
        r#"wasmart_redis_messages_published_total{component="orders",channel="wasmart.orders"}"#,
    )
    .unwrap();
    let publishes = sample(
        &text,
        r#"wasmart_redis_operations_total{component="orders",operation="publish",outcome="ok"}"#,
    )
    .unwrap();
    assert!(
        published <= publishes,
        "every message counted is a publish that worked"
    );
    assert_promtool_accepts(&text);

    let (status, _) = get(&format!("{metrics_url}/elsewhere")).await;
    assert_eq!(status, 404);
    let public = api.shop.app.get("/metrics").await.unwrap();
    assert!(
        !public.text().contains("wasmart_http_requests_total"),
        "metrics leak on the public port"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_host_and_answers_every_committed_query() {
    let api = Api::start().await;
    let metrics_url = api.shop.app.metrics_url().expect("a metrics listener");
    let target = metrics_url.trim_start_matches("http://");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: wasmart\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut prometheus = tokio::process::Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting prometheus (apt-get install prometheus)");

    let query = "http://127.0.0.1:{port}/api/v1/query?query=sum(rate(wasmart_http_requests_total%7Bcomponent%3D%22gateway%22%7D%5B10s%5D))";
    let query = query.replace("{port}", &port.to_string());
    let rate = eventually(Duration::from_secs(40), || async {
        for _ in 0..5 {
            api.get("/api/v1/categories").send().await;
        }
        let (status, body) = get(&query).await;
        if status != 200 {
            return None;
        }
        let answer: Value = serde_json::from_str(&body).ok()?;
        let value = answer["data"]["result"][0]["value"][1]
            .as_str()?
            .parse::<f64>()
            .ok()?;
        (value > 0.0).then_some(value)
    })
    .await;
    let targets = get(&format!("http://127.0.0.1:{port}/api/v1/targets"))
        .await
        .1;
    let rate =
        rate.unwrap_or_else(|| panic!("Prometheus never saw a request rate; targets: {targets}"));
    assert!(rate > 0.0);
    assert!(targets.contains(r#""health":"up""#), "{targets}");

    // Every query of the Grafana dashboard and the alert rules is valid PromQL, and every
    // metric it reads is one the host exports (after a checkout, so events and stores ran).
    let ada = api.customer().await;
    let product = api.products(1).await.remove(0);
    api.put_in_cart(&ada, &product, 1).await;
    api.place_order(&ada, "tok_visa").await;
    let handled = r#"wasmart_event_deliveries_total{component="payments",channel="wasmart.orders",outcome="handled"}"#;
    let exported = eventually(Duration::from_secs(5), || async {
        let text = get(&format!("{metrics_url}/metrics")).await.1;
        sample(&text, handled).is_some().then_some(text)
    })
    .await
    .expect("payments handled the order's event");
    let queries = committed_queries();
    assert!(queries.len() >= 20, "{queries:#?}");
    for (source, query) in &queries {
        for metric in metric_names(query) {
            assert!(
                exported.contains(&format!("# TYPE {metric} ")),
                "{source}: the host exports no {metric}"
            );
        }
        let concrete = query
            .replace("$__rate_interval", "10s")
            .replace("$component", ".*");
        let url = format!(
            "http://127.0.0.1:{port}/api/v1/query?query={}",
            percent_encode(&concrete)
        );
        let (status, body) = get(&url).await;
        assert!(
            status == 200 && body.contains(r#""status":"success""#),
            "{source}: Prometheus refused {concrete}: {body}"
        );
    }
    prometheus.kill().await.ok();
}

/// Every PromQL expression in `deploy/observability/`: the Grafana dashboard's targets and
/// the rules' `expr`s, each with where it comes from.
fn committed_queries() -> Vec<(String, String)> {
    let dir = wasmart_testing::workspace_root().join("deploy/observability");
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("grafana/wasmart-host.json")).unwrap(),
    )
    .unwrap();
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            queries.push((
                format!("grafana panel {:?}", panel["title"].as_str().unwrap()),
                target["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let rules: Value =
        serde_norway::from_str(&std::fs::read_to_string(dir.join("wasmart-rules.yml")).unwrap())
            .unwrap();
    for group in rules["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            let name = rule.get("alert").or_else(|| rule.get("record")).unwrap();
            queries.push((
                format!("rule {}", name.as_str().unwrap()),
                rule["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    queries
}

/// The `wasmart_*` metric families `query` reads (histogram suffixes removed).
fn metric_names(query: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = query;
    while let Some(start) = rest.find("wasmart_") {
        let name: String = rest[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[start + name.len()..];
        let family = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(&name)
            .to_owned();
        names.push(family);
    }
    names
}

/// `text` for a URL query value.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[test]
fn the_committed_prometheus_config_and_alert_rules_are_valid() {
    let dir = wasmart_testing::workspace_root().join("deploy/observability");
    for args in [
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "wasmart-rules.yml"],
    ] {
        let output = std::process::Command::new("promtool")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("running promtool (apt-get install prometheus)");
        assert!(
            output.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The JSON lines of the access log.
fn access_log(api: &Api) -> Vec<Value> {
    api.shop
        .app
        .access_log()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_id_ties_a_checkout_request_to_every_event_it_causes() {
    let api = Api::start().await;
    let ada = api.customer().await;
    let product = api.products(1).await.remove(0);
    api.put_in_cart(&ada, &product, 1).await;
    // No traceparent from the client: the host starts the trace, the gateway continues it.
    let order = api.place_order(&ada, "tok_visa").await;
    let order_id = order["id"].as_str().unwrap();

    let request = access_log(&api)
        .into_iter()
        .rev()
        .find(|line| {
            line["kind"] == "request"
                && line["method"] == "POST"
                && line["path"] == "/api/v1/orders"
        })
        .expect("the checkout request is logged");
    let trace = request["trace_id"].as_str().unwrap().to_owned();
    assert_eq!(trace.len(), 32, "{request}");
    assert!(request["request_id"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));

    let handled = eventually(Duration::from_secs(5), || async {
        let events: Vec<Value> = access_log(&api)
            .into_iter()
            .filter(|line| line["kind"] == "event" && line["trace_id"] == trace.as_str())
            .collect();
        let components: std::collections::BTreeSet<String> = events
            .iter()
            .filter(|line| line["outcome"] == "handled")
            .map(|line| line["component"].as_str().unwrap().to_owned())
            .collect();
        ["catalog", "payments", "notifications", "orders"]
            .iter()
            .all(|c| components.contains(*c))
            .then_some(events)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "events of order {order_id} with trace {trace}: {:#?}",
            access_log(&api)
        )
    });
    assert!(handled
        .iter()
        .all(|line| line["event_id"].is_string() && line["channel"].is_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_a_log() {
    let api = Api::start().await;
    let ada = api.customer().await;
    api.admin().await;
    let product = api.products(1).await.remove(0);
    api.put_in_cart(&ada, &product, 1).await;
    api.place_order(&ada, "tok_visa").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut logs = vec![("access".to_owned(), api.shop.app.access_log())];
    for component in crate::support::SERVICES {
        logs.push((component.to_string(), api.shop.app.component_log(component)));
    }
    for (name, log) in &logs {
        for secret in [
            crate::support::JWT_SIGNING_KEY,
            crate::support::ADMIN_PASSWORD,
            crate::support::INTERNAL_API_KEY,
        ] {
            assert!(!log.contains(secret), "the {name} log holds a secret");
        }
        assert!(
            !log.contains(&ada.token),
            "the {name} log holds an access token"
        );
    }
    assert!(
        logs[0].1.lines().count() > 5,
        "the access log records the requests"
    );
}
