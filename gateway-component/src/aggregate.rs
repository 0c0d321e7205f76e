//! The gateway's own resources, assembled from several services called in parallel: the
//! storefront, health, and the dead letters of every consuming service. A failing service
//! takes out its part of the answer, never the whole answer.

use futures::future::join_all;
use serde_json::{json, Map, Value};
use spin_sdk::http::{Method, Response};

use crate::config::Service;
use crate::error::GatewayError;
use crate::upstream::{Call, Probe, Upstreams};

/// How many products the home page features.
const FEATURED_COUNT: u32 = 8;
/// A service answering its health probe slower than this is `degraded`.
const SLOW_PROBE_MS: u64 = 500;

/// `GET /storefront`: featured products, categories, and for a signed-in caller the cart
/// summary and unread notifications. Parts whose service fails are `null` and named in
/// `unavailable`.
pub async fn storefront(upstreams: &Upstreams<'_>) -> Response {
    let signed_in = upstreams.caller.is_some();
    let featured_call = Call::get(
        Service::Catalog,
        format!("/products?sort=newest&page_size={FEATURED_COUNT}"),
    );
    let categories_call = Call::get(Service::Catalog, "/categories");
    let cart_call = Call::get(Service::Cart, "/cart");
    let unread_call = Call::get(Service::Notifications, "/notifications/unread-count");
    let (featured, categories, cart, unread) = futures::join!(
        fetch_json(upstreams, &featured_call),
        fetch_json(upstreams, &categories_call),
        async {
            match signed_in {
                true => fetch_json(upstreams, &cart_call).await,
                false => Ok(Value::Null),
            }
        },
        async {
            match signed_in {
                true => fetch_json(upstreams, &unread_call).await,
                false => Ok(Value::Null),
            }
        },
    );
    let mut unavailable = Vec::new();
    let mut part = |name: &str, result: Result<Value, ()>, pick: fn(Value) -> Value| match result {
        Ok(value) if value.is_null() => Value::Null,
        Ok(value) => pick(value),
        Err(()) => {
            unavailable.push(name.to_owned());
            Value::Null
        }
    };
    let body = json!({
        "featured": part("featured", featured, |list| list),
        "categories": part("categories", categories, |list| list),
        "cart": part("cart", cart, |cart| json!({
            "item_count": cart["item_count"],
            "subtotal": cart["total"],
        })),
        "unread_notifications": part("notifications", unread, |body| body["unread"].clone()),
        "signed_in": signed_in,
        "unavailable": unavailable,
    });
    service_kit::http::json(200, &body)
}

/// `GET /health`: every service's liveness probe, with latency and circuit state.
pub async fn health(upstreams: &Upstreams<'_>) -> Response {
    let probes = join_all(Service::ALL.map(|service| upstreams.probe(service))).await;
    let mut services = vec![json!({
        "name": "gateway", "status": "up", "latency_ms": 0, "circuit": "closed",
    })];
    let mut down = 0;
    let mut degraded = 0;
    for (service, probe) in Service::ALL.iter().zip(probes) {
        let view = probe_view(*service, &probe);
        match view["status"].as_str() {
            Some("down") => down += 1,
            Some("degraded") => degraded += 1,
            _ => {}
        }
        services.push(view);
    }
    let overall = match (down, degraded) {
        (0, 0) => "up",
        (down, _) if down == Service::ALL.len() => "down",
        _ => "degraded",
    };
    service_kit::http::json(200, &json!({ "status": overall, "services": services }))
}

/// How a service answered its probe: `up`, `degraded` (slow, or its circuit not yet
/// closed) or `down`, with latency and circuit state.
fn probe_view(service: Service, probe: &Probe) -> Value {
    let (status, detail) = match probe.status {
        Some(200) if probe.circuit != crate::breaker::State::Closed => {
            ("degraded", "answering again; its circuit is not yet closed")
        }
        Some(200) if probe.latency_ms > SLOW_PROBE_MS => ("degraded", "slow to answer"),
        Some(200) => ("up", "answering"),
        Some(_) => ("down", "answering with errors"),
        None => ("down", "not answering"),
    };
    json!({
        "name": service.name(),
        "status": status,
        "latency_ms": probe.latency_ms,
        "circuit": probe.circuit.as_str(),
        "detail": detail,
    })
}

/// `GET /ops/overview`: telemetry's view of every service (events, failures, lag, request
/// rates and latency, dead letters) with each service's live health probe, asked at once.
/// Without telemetry the probes still answer, and `telemetry` is named in `unavailable`.
pub async fn ops_overview(upstreams: &Upstreams<'_>) -> Response {
    let overview_call = Call::get(Service::Telemetry, "/overview");
    let (overview, probes) = futures::join!(
        fetch_json(upstreams, &overview_call),
        join_all(Service::ALL.map(|service| upstreams.probe(service))),
    );
    let mut unavailable: Vec<Value> = Vec::new();
    let overview = overview.unwrap_or_else(|()| {
        unavailable.push(json!("telemetry"));
        Value::Null
    });
    unavailable.extend(
        overview["unavailable"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    let mut services: Vec<Value> = overview["services"].as_array().cloned().unwrap_or_default();
    for (service, probe) in Service::ALL.iter().zip(probes) {
        let health = probe_view(*service, &probe);
        match services
            .iter_mut()
            .find(|entry| entry["name"] == service.name())
        {
            Some(entry) => entry["health"] = health,
            None => services.push(json!({ "name": service.name(), "health": health })),
        }
    }
    services.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let body = json!({
        "window_seconds": overview["window_seconds"],
        "generated_at": service_kit::clock::now_rfc3339(),
        "payments": overview["payments"],
        "services": services,
        "unavailable": unavailable,
    });
    service_kit::http::json(200, &body)
}

/// `GET /admin/dead-letters`: every consuming service's dead letters and undelivered
/// events as one list; services that cannot be asked are named in `unavailable`.
pub async fn dead_letters(upstreams: &Upstreams<'_>) -> Response {
    let calls = Service::WITH_DEAD_LETTERS.map(|service| Call::get(service, "/admin/dead-letters"));
    let answers = join_all(calls.iter().map(|call| fetch_json(upstreams, call))).await;
    let mut items = Vec::new();
    let mut unavailable = Vec::new();
    for (service, answer) in Service::WITH_DEAD_LETTERS.iter().zip(answers) {
        let Ok(body) = answer else {
            unavailable.push(service.name());
            continue;
        };
        for (kind, list) in [
            ("dead_letter", "dead_letters"),
            ("undelivered", "undelivered"),
        ] {
            for entry in body[list].as_array().into_iter().flatten() {
                items.push(dead_letter_item(*service, kind, entry));
            }
        }
    }
    service_kit::http::json(200, &json!({ "items": items, "unavailable": unavailable }))
}

/// One entry of the combined list: the service's fields, plus `id` (`<service>:<event id>`,
/// what replay takes), `service` and `kind`.
fn dead_letter_item(service: Service, kind: &str, entry: &Value) -> Value {
    let mut item = entry.as_object().cloned().unwrap_or_else(Map::new);
    let event_id = item
        .get("event_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    item.insert("id".into(), json!(format!("{}:{event_id}", service.name())));
    item.insert("service".into(), json!(service.name()));
    item.insert("kind".into(), json!(kind));
    Value::Object(item)
}

/// `POST /admin/dead-letters/:id/replay` with an id from [`dead_letters`]: the service
/// that holds it replays it.
pub async fn replay(upstreams: &Upstreams<'_>, id: &str) -> Result<Response, GatewayError> {
    let not_found = || GatewayError::NotFound(format!("No dead letter {id}."));
    let (service, event_id) = id.split_once(':').ok_or_else(not_found)?;
    let service = Service::parse(service)
        .filter(|service| Service::WITH_DEAD_LETTERS.contains(service))
        .ok_or_else(not_found)?;
    let call = Call {
        method: Method::Post,
        retryable: false,
        ..Call::get(
            service,
            format!(
                "/admin/dead-letters/{}/replay",
                service_kit::http::percent_encode(event_id)
            ),
        )
    };
    upstreams.send(&call).await
}

/// The JSON body of a 2xx answer to `call`; `Err` for anything else.
async fn fetch_json(upstreams: &Upstreams<'_>, call: &Call) -> Result<Value, ()> {
    match upstreams.send(call).await {
        Ok(response) if (200..300).contains(response.status()) => {
            serde_json::from_slice(response.body()).map_err(|_| ())
        }
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letter_items_name_their_service() {
        let item = dead_letter_item(
            Service::Orders,
            "dead_letter",
            &json!({"event_id": "e1", "attempts": 3}),
        );
        assert_eq!(item["id"], "orders:e1");
        assert_eq!(item["service"], "orders");
        assert_eq!(item["kind"], "dead_letter");
        assert_eq!(item["attempts"], 3);
    }
}
