//! The `spin-*` request headers a component receives, computed from the route match, and
//! the request id every hop shares.

use std::net::SocketAddr;

use http::header::{HeaderName, HeaderValue, CONNECTION, HOST};
use http::HeaderMap;

use super::router::RouteMatch;
use crate::capabilities::outbound_http::CHAINING_SUFFIX;

/// Adds Spin's headers to `headers` for a request to `path_and_query` matched by `route`.
/// A `Host` naming a chaining target and the hop-by-hop `Connection` are removed, as Spin does.
pub fn apply(
    headers: &mut HeaderMap,
    path_and_query: &str,
    route: &RouteMatch,
    client: SocketAddr,
    default_host: &str,
) {
    headers.remove(CONNECTION);
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or(default_host)
        .to_string();
    if host
        .split(':')
        .next()
        .is_some_and(|h| h.ends_with(CHAINING_SUFFIX))
    {
        headers.remove(HOST);
    }
    let mut set = |name: &str, value: &str| {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    };
    set("spin-full-url", &format!("http://{host}{path_and_query}"));
    set("spin-path-info", &route.path_info);
    set("spin-matched-route", &route.raw_route);
    set("spin-base-path", "/");
    set("spin-raw-component-route", &route.raw_route);
    set("spin-component-route", route.component_route());
    set("spin-client-addr", &client.to_string());
    for (name, value) in &route.params {
        set(
            &format!("spin-path-match-{}", name.to_ascii_lowercase()),
            value,
        );
    }
}

/// The request id of an incoming request: the client's `X-Request-Id` when well-formed,
/// else a new one written into the request, so that the component, the access log and every
/// later hop share it.
pub fn request_id(headers: &mut HeaderMap) -> String {
    match sent_request_id(headers) {
        Some(id) => id.to_string(),
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            if let Ok(value) = HeaderValue::from_str(&id) {
                headers.insert("x-request-id", value);
            }
            id
        }
    }
}

/// The request's `X-Request-Id`, when well-formed.
pub fn sent_request_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_spin_headers_from_the_match() {
        let route = RouteMatch {
            component: "api".into(),
            raw_route: "/items/:id/...".into(),
            path_info: "/reviews".into(),
            params: vec![("id".into(), "7".into())],
        };
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "shop.test:3000".parse().unwrap());
        headers.insert(CONNECTION, "keep-alive".parse().unwrap());
        apply(
            &mut headers,
            "/items/7/reviews?x=1",
            &route,
            "127.0.0.1:5000".parse().unwrap(),
            "localhost",
        );
        let get = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_string();
        assert_eq!(
            get("spin-full-url"),
            "http://shop.test:3000/items/7/reviews?x=1"
        );
        assert_eq!(get("spin-path-info"), "/reviews");
        assert_eq!(get("spin-component-route"), "/items/:id");
        assert_eq!(get("spin-path-match-id"), "7");
        assert_eq!(get("spin-client-addr"), "127.0.0.1:5000");
        assert!(headers.get(CONNECTION).is_none());
    }

    #[test]
    fn strips_chaining_host() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "cart.spin.internal".parse().unwrap());
        apply(
            &mut headers,
            "/x",
            &RouteMatch::synthetic("cart", "/x"),
            "127.0.0.1:1".parse().unwrap(),
            "localhost",
        );
        assert!(headers.get(HOST).is_none());
        assert_eq!(headers.get("spin-path-info").unwrap(), "/x");
        assert_eq!(headers.get("spin-matched-route").unwrap(), "/...");
    }
}
