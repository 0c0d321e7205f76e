//! OTLP trace export: an in-process collector receives the host's spans (OTLP/HTTP JSON)
//! while a customer checks out through the gateway, and the spans form one trace — the
//! gateway's request, the call into orders, the `OrderCreated` publish, and its delivery to
//! payments and notifications — in one host process, and across the processes of the split
//! topology.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wasmart_host::observability::otlp::{OtlpConfig, Protocol};

use crate::gateway::client::Api;
use crate::split::SplitShop;
use crate::support::{checkout_body, Deployment, ShopOptions};
use wasmart_testing::eventually;

/// An OTLP/HTTP JSON receiver on a free loopback port that keeps every span it is sent.
struct Collector {
    address: std::net::SocketAddr,
    spans: Arc<Mutex<Vec<Span>>>,
    _task: tokio::task::JoinHandle<()>,
}

/// One received span, with the fields the tests look at.
#[derive(Debug, Clone)]
struct Span {
    trace_id: String,
    span_id: String,
    parent_span_id: Option<String>,
    name: String,
    kind: u64,
    attributes: HashMap<String, String>,
    error: bool,
    service: String,
}

impl Span {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    fn describe(&self) -> String {
        format!(
            "{} (kind {}, span {}, parent {:?}, {:?})",
            self.name, self.kind, self.span_id, self.parent_span_id, self.attributes
        )
    }
}

/// `SpanKind` numbers.
const INTERNAL: u64 = 1;
const SERVER: u64 = 2;
const CLIENT: u64 = 3;
const CONSUMER: u64 = 5;

impl Collector {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let kept = spans.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, kept.clone()));
            }
        });
        Self {
            address,
            spans,
            _task: task,
        }
    }

    /// The exporter settings for this collector: JSON, batches sent after 100 ms.
    fn config(&self) -> OtlpConfig {
        let mut config = OtlpConfig::new(
            &format!("http://{}/v1/traces", self.address),
            Protocol::HttpJson,
        )
        .unwrap();
        config.service_name = Some("wasmart-test".into());
        config.batch.schedule_delay = Duration::from_millis(100);
        config
    }

    fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }
}

/// Answers export requests on one connection until it closes.
async fn serve(mut stream: TcpStream, spans: Arc<Mutex<Vec<Span>>>) {
    let mut data = Vec::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let head_end = loop {
            if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => data.extend_from_slice(&buffer[..read]),
            }
        };
        let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |value| value.trim().parse().unwrap());
        while data.len() < head_end + 4 + length {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => data.extend_from_slice(&buffer[..read]),
            }
        }
        let body: Vec<u8> = data
            .drain(..head_end + 4 + length)
            .skip(head_end + 4)
            .collect();
        let valid =
            head.starts_with("post /v1/traces ") && head.contains("content-type: application/json");
        let (status, answer) = match serde_json::from_slice::<Value>(&body) {
            Ok(request) if valid => {
                spans.lock().unwrap().extend(read_spans(&request));
                ("200 OK", "{}")
            }
            _ => ("400 Bad Request", "{}"),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The spans of an `ExportTraceServiceRequest` in the OTLP JSON mapping.
fn read_spans(request: &Value) -> Vec<Span> {
    let text = |value: &Value| match value {
        Value::Object(any) => any
            .get("stringValue")
            .or_else(|| any.get("intValue"))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let attributes = |list: &Value| -> HashMap<String, String> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|kv| (kv["key"].as_str().unwrap().to_owned(), text(&kv["value"])))
            .collect()
    };
    let mut spans = Vec::new();
    for resource_spans in request["resourceSpans"].as_array().unwrap() {
        let resource = attributes(&resource_spans["resource"]["attributes"]);
        for scope_spans in resource_spans["scopeSpans"].as_array().unwrap() {
            for span in scope_spans["spans"].as_array().unwrap() {
                spans.push(Span {
                    trace_id: span["traceId"].as_str().unwrap().to_owned(),
                    span_id: span["spanId"].as_str().unwrap().to_owned(),
                    // Proto3 JSON: a root span's empty id may be left out or be "".
                    parent_span_id: span["parentSpanId"]
                        .as_str()
                        .filter(|id| !id.is_empty())
                        .map(str::to_owned),
                    name: span["name"].as_str().unwrap().to_owned(),
                    kind: span["kind"].as_u64().unwrap(),
                    attributes: attributes(&span["attributes"]),
                    error: span["status"]["code"] == 2,
                    service: resource["service.name"].clone(),
                });
            }
        }
    }
    spans
}

/// The spans of one trace, by span id.
struct Trace(HashMap<String, Span>);

impl Trace {
    fn of(spans: &[Span], trace_id: &str) -> Self {
        Self(
            spans
                .iter()
                .filter(|span| span.trace_id == trace_id)
                .map(|span| (span.span_id.clone(), span.clone()))
                .collect(),
        )
    }

    fn find(&self, what: &str, test: impl Fn(&Span) -> bool) -> Result<&Span, String> {
        let mut found: Vec<&Span> = self.0.values().filter(|span| test(span)).collect();
        found.sort_by_key(|span| span.span_id.clone());
        found
            .first()
            .copied()
            .ok_or_else(|| format!("no {what} span"))
    }

    fn parent(&self, span: &Span) -> Option<&Span> {
        self.0.get(span.parent_span_id.as_ref()?)
    }

    /// Whether `ancestor` is `span`'s parent, grandparent, …
    fn descends_from(&self, span: &Span, ancestor: &Span) -> bool {
        let mut current = span;
        for _ in 0..64 {
            match self.parent(current) {
                Some(parent) if parent.span_id == ancestor.span_id => return true,
                Some(parent) => current = parent,
                None => return false,
            }
        }
        false
    }

    fn dump(&self) -> String {
        let mut lines: Vec<String> = self.0.values().map(Span::describe).collect();
        lines.sort();
        lines.join("\n")
    }
}

/// The structure one checkout must have; `Err` says what is missing yet.
/// `orders_url` is where the gateway reaches orders (`http://orders.spin.internal/` when
/// chained in one process).
fn check_checkout_trace(
    trace: &Trace,
    client_span_id: &str,
    orders_url: &str,
) -> Result<(), String> {
    let gateway = trace.find("gateway SERVER", |span| {
        span.kind == SERVER && span.attribute("wasmart.component") == Some("gateway")
    })?;
    if gateway.parent_span_id.as_deref() != Some(client_span_id) {
        return Err(format!(
            "the gateway span does not continue the client's traceparent: {}",
            gateway.describe()
        ));
    }
    if gateway.name != "POST /api/v1/..."
        || gateway.attribute("http.route") != Some("/api/v1/...")
        || gateway.attribute("http.response.status_code") != Some("202")
        || gateway.attribute("url.path") != Some("/api/v1/orders")
    {
        return Err(format!("gateway span: {}", gateway.describe()));
    }
    let execution = trace.find("gateway execution", |span| {
        span.kind == INTERNAL && trace.parent(span).map(|p| &p.span_id) == Some(&gateway.span_id)
    })?;
    if execution.name != "execute_wasm_component gateway" {
        return Err(format!("execution span: {}", execution.describe()));
    }

    // The gateway's call to orders: its CLIENT span is the parent of orders' SERVER.
    let orders = trace.find("orders SERVER under a CLIENT span", |span| {
        span.kind == SERVER
            && span.attribute("wasmart.component") == Some("orders")
            && trace.parent(span).is_some_and(|client| {
                client.kind == CLIENT
                    && client
                        .attribute("url.full")
                        .is_some_and(|url| url.starts_with(orders_url))
            })
    })?;
    if !trace.descends_from(orders, gateway) {
        return Err(format!(
            "orders is not below the gateway: {}",
            orders.describe()
        ));
    }
    let client = trace.parent(orders).unwrap();
    if trace.parent(client).map(|p| &p.span_id) != Some(&execution.span_id) {
        return Err(format!(
            "the CLIENT span is not a child of the gateway's execution: {}",
            client.describe()
        ));
    }

    // Orders stores the order and publishes OrderCreated, both inside its execution.
    let insert = trace.find("orders SQLite INSERT", |span| {
        span.kind == CLIENT
            && span.attribute("db.system.name") == Some("sqlite")
            && span.attribute("db.namespace") == Some("orders")
            && span.name == "INSERT"
    })?;
    let publish = trace.find("OrderCreated publish", |span| {
        span.name == "PUBLISH" && span.attribute("wasmart.event.type") == Some("OrderCreated")
    })?;
    for span in [insert, publish] {
        if !trace.descends_from(span, orders) {
            return Err(format!("not below orders: {}", span.describe()));
        }
        let parent = trace.parent(span).unwrap();
        if parent.name != "execute_wasm_component orders" {
            return Err(format!(
                "not a child of orders' execution: {}",
                span.describe()
            ));
        }
    }
    if publish.attribute("messaging.destination.name") != Some("wasmart.orders")
        || publish.attribute("messaging.message.id").is_none()
    {
        return Err(format!("publish span: {}", publish.describe()));
    }

    // Its delivery to payments and notifications continues the trace.
    for consumer in ["payments", "notifications"] {
        let delivery = trace.find(&format!("{consumer} CONSUMER"), |span| {
            span.kind == CONSUMER
                && span.attribute("wasmart.component") == Some(consumer)
                && span.attribute("wasmart.event.type") == Some("OrderCreated")
        })?;
        if !trace.descends_from(delivery, gateway) {
            return Err(format!(
                "{consumer}'s delivery is not below the gateway: {}",
                delivery.describe()
            ));
        }
        if delivery.name != "wasmart.orders receive"
            || delivery.attribute("messaging.message.id")
                != publish.attribute("messaging.message.id")
        {
            return Err(format!("delivery span: {}", delivery.describe()));
        }
        let handler = format!("execute_wasm_component {consumer}");
        trace.find(&format!("{consumer}'s execution"), |span| {
            span.name == handler
                && trace.parent(span).map(|p| &p.span_id) == Some(&delivery.span_id)
        })?;
    }

    // Nothing in the trace hangs loose: every parent but the client's was exported too.
    if let Some(orphan) = trace
        .0
        .values()
        .find(|span| span.span_id != gateway.span_id && trace.parent(span).is_none())
    {
        return Err(format!("a span without its parent: {}", orphan.describe()));
    }
    Ok(())
}

/// Checks out once for a new customer with the client's own `traceparent`, and waits until
/// `collector` holds the whole trace (see [`check_checkout_trace`]); its spans.
async fn traced_checkout<D: Deployment>(
    api: &Api<D>,
    collector: &Collector,
    orders_url: &str,
) -> Trace {
    let ada = api.customer().await;
    let product = api.products(1).await.remove(0);
    api.put_in_cart(&ada, &product, 1).await;

    // The client is traced too: the host continues its trace.
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let client_span_id = &uuid::Uuid::new_v4().simple().to_string()[..16];
    let traceparent = format!("00-{trace_id}-{client_span_id}-01");
    let order = api
        .post("/api/v1/orders")
        .token(&ada.token)
        .header("traceparent", &traceparent)
        .json(checkout_body("tok_visa"))
        .send()
        .await;
    assert_eq!(order.status, 202, "{}", order.text());

    let mut last = String::new();
    let checked = eventually(Duration::from_secs(15), || {
        let trace = Trace::of(&collector.spans(), &trace_id);
        let outcome = check_checkout_trace(&trace, client_span_id, orders_url);
        if let Err(problem) = &outcome {
            last = format!("{problem}\nspans of the trace:\n{}", trace.dump());
        }
        async move { outcome.ok() }
    })
    .await;
    assert!(checked.is_some(), "{last}");
    let trace = Trace::of(&collector.spans(), &trace_id);
    assert!(
        trace.0.values().all(|span| !span.error),
        "a successful checkout has no failed span:\n{}",
        trace.dump()
    );
    trace
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_checkout_through_the_gateway_is_one_exported_trace() {
    let collector = Collector::start().await;
    let api = Api::start_with(ShopOptions {
        otlp: Some(collector.config()),
        ..Default::default()
    })
    .await;
    let trace = traced_checkout(&api, &collector, "http://orders.spin.internal/").await;

    let spans = collector.spans();
    assert!(spans.iter().all(|span| span.service == "wasmart-test"));
    // The earlier requests are traces of their own, started by the host.
    let trace_id = &trace.0.values().next().unwrap().trace_id;
    let sign_ups: Vec<&Span> = spans
        .iter()
        .filter(|span| {
            span.kind == SERVER && span.attribute("url.path") == Some("/api/v1/accounts")
        })
        .collect();
    assert!(!sign_ups.is_empty());
    assert!(sign_ups
        .iter()
        .all(|span| &span.trace_id != trace_id && span.parent_span_id.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_checkout_across_host_processes_is_one_trace() {
    // Each process of the split topology exports on its own, under its group's name; the
    // gateway reaches orders in another process over loopback HTTP, `traceparent` included.
    let collector = Collector::start().await;
    let endpoint = format!("http://{}", collector.address);
    let shop = SplitShop::start_with(|group| {
        [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json".to_owned()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
            ("OTEL_SERVICE_NAME", format!("wasmart-{group}")),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    })
    .await;
    let orders_url = format!("{}/internal/orders/", shop.origin("orders"));
    let api = Api::over(shop);
    let trace = traced_checkout(&api, &collector, &orders_url).await;

    let service_of = |component: &str| {
        let span = trace
            .find(component, |span| {
                span.kind == SERVER && span.attribute("wasmart.component") == Some(component)
            })
            .unwrap();
        span.service.clone()
    };
    assert_eq!(service_of("gateway"), "wasmart-edge");
    assert_eq!(service_of("orders"), "wasmart-orders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_collector_costs_spans_not_requests() {
    // Nothing listens on this port: every export fails fast, and requests go on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = OtlpConfig::new(
        &format!("http://127.0.0.1:{port}/v1/traces"),
        Protocol::HttpProtobuf,
    )
    .unwrap();
    config.batch.schedule_delay = Duration::from_millis(50);
    let api = Api::start_with(ShopOptions {
        otlp: Some(config),
        ..Default::default()
    })
    .await;
    for _ in 0..5 {
        let response = api.get("/api/v1/categories").send().await;
        assert_eq!(response.status, 200);
    }
    let text = eventually(Duration::from_secs(5), || async {
        let text = api.shop.app.metrics_text();
        text.lines()
            .find_map(|line| {
                line.strip_prefix(r#"wasmart_trace_spans_dropped_total{reason="export_failed"} "#)
            })
            .and_then(|value| value.parse::<u64>().ok())
            .is_some_and(|lost| lost > 0)
            .then_some(text)
    })
    .await;
    assert!(text.is_some(), "{}", api.shop.app.metrics_text());
}
