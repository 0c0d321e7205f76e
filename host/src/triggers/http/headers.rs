//! The `spin-*` request headers a component receives, computed from the route match, the
//! `Host` a client's request is served under, and the request id every hop shares.

use std::net::SocketAddr;

use http::header::{HeaderName, HeaderValue, CONNECTION, HOST};
use http::HeaderMap;

use super::router::RouteMatch;
use crate::capabilities::outbound_http::CHAINING_SUFFIX;

/// A client's `Host` the host does not serve.
#[derive(Debug, thiserror::Error)]
pub enum BadHost {
    #[error("a request may carry one Host header, this one has {0}")]
    Repeated(usize),
    #[error("the Host header is not a valid host and port")]
    Malformed,
}

/// Settles the `Host` of a client's request: a missing one, or one naming a chaining target
/// (`<id>.spin.internal`, private to the application), becomes `listen_host`; a repeated or
/// malformed one (not an ASCII host and optional port) is refused. An absolute-form target
/// (`GET http://host/path`) is reduced to its path, its authority becoming the `Host`.
pub fn settle_host(parts: &mut http::request::Parts, listen_host: &str) -> Result<(), BadHost> {
    if let Some(authority) = parts.uri.authority().cloned() {
        let value = HeaderValue::try_from(authority.as_str()).map_err(|_| BadHost::Malformed)?;
        parts.headers.insert(HOST, value);
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        parts.uri = path.parse().map_err(|_| BadHost::Malformed)?;
    }
    let sent: Vec<&HeaderValue> = parts.headers.get_all(HOST).iter().collect();
    let host = match sent.as_slice() {
        [] => None,
        [one] => Some(valid_host(one)?),
        many => return Err(BadHost::Repeated(many.len())),
    };
    if host.as_ref().is_none_or(is_chaining) {
        let value = HeaderValue::try_from(listen_host).map_err(|_| BadHost::Malformed)?;
        parts.headers.insert(HOST, value);
    }
    Ok(())
}

/// `value` as a host with an optional numeric port and no user info, or why not.
fn valid_host(value: &HeaderValue) -> Result<http::uri::Authority, BadHost> {
    let text = value.to_str().map_err(|_| BadHost::Malformed)?;
    let port_ok = match text.rsplit_once(':') {
        Some((_, port)) if !port.contains(']') => port.parse::<u16>().is_ok(),
        _ => true,
    };
    match text.parse::<http::uri::Authority>() {
        Ok(authority) if port_ok && !authority.host().is_empty() && !text.contains('@') => {
            Ok(authority)
        }
        _ => Err(BadHost::Malformed),
    }
}

/// Whether `authority` names a chaining target (case and a trailing dot aside).
fn is_chaining(authority: &http::uri::Authority) -> bool {
    let host = authority.host().trim_end_matches('.').to_ascii_lowercase();
    host.ends_with(CHAINING_SUFFIX) || host == CHAINING_SUFFIX.trim_start_matches('.')
}

/// Adds Spin's headers to `headers` for a request to `path_and_query` matched by `route`,
/// after removing every `spin-*` header the sender set. A `Host` naming a chaining target and
/// the hop-by-hop `Connection` are removed, as Spin does.
pub fn apply(
    headers: &mut HeaderMap,
    path_and_query: &str,
    route: &RouteMatch,
    client: SocketAddr,
    default_host: &str,
) {
    headers.remove(CONNECTION);
    let sent: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("spin-"))
        .cloned()
        .collect();
    for name in sent {
        headers.remove(name);
    }
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
    fn removes_spin_headers_the_sender_set() {
        let mut headers = HeaderMap::new();
        headers.insert("spin-client-addr", "6.6.6.6:1".parse().unwrap());
        headers.insert("spin-path-match-admin", "yes".parse().unwrap());
        headers.insert("spin-anything", "x".parse().unwrap());
        apply(
            &mut headers,
            "/x",
            &RouteMatch::synthetic("cart", "/x"),
            "127.0.0.1:1".parse().unwrap(),
            "localhost",
        );
        assert_eq!(headers.get("spin-client-addr").unwrap(), "127.0.0.1:1");
        assert!(headers.get("spin-path-match-admin").is_none());
        assert!(headers.get("spin-anything").is_none());
    }

    fn settled(uri: &str, hosts: &[&[u8]]) -> Result<http::request::Parts, BadHost> {
        let mut builder = http::Request::builder().uri(uri);
        for host in hosts {
            builder = builder.header(HOST, HeaderValue::from_bytes(host).unwrap());
        }
        let (mut parts, ()) = builder.body(()).unwrap().into_parts();
        settle_host(&mut parts, "127.0.0.1:3000").map(|()| parts)
    }

    #[test]
    fn a_chaining_or_missing_host_becomes_the_listen_address() {
        for hosts in [
            &[b"cart.spin.internal".as_slice()][..],
            &[b"Cart.SPIN.internal.:80"],
            &[],
        ] {
            let parts = settled("/x", hosts).unwrap();
            assert_eq!(parts.headers.get(HOST).unwrap(), "127.0.0.1:3000");
        }
        let parts = settled("http://orders.spin.internal/a?b", &[b"shop.test"]).unwrap();
        assert_eq!(parts.headers.get(HOST).unwrap(), "127.0.0.1:3000");
        assert_eq!(parts.uri, "/a?b");
        let parts = settled("/x", &[b"shop.test:8080"]).unwrap();
        assert_eq!(parts.headers.get(HOST).unwrap(), "shop.test:8080");
    }

    #[test]
    fn a_malformed_or_repeated_host_is_refused() {
        for host in [
            "bücher.test".as_bytes(),
            b"a b",
            b"user@shop.test",
            b"shop.test:port",
            b"",
        ] {
            assert!(settled("/x", &[host]).is_err(), "{host:?}");
        }
        assert!(matches!(
            settled("/x", &[b"a.test", b"b.test"]),
            Err(BadHost::Repeated(2))
        ));
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
