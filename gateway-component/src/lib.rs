//! `gateway`: the only public API, `/api/v1/...`. It routes to the private services by
//! Spin service chaining (base URLs from variables), verifies access tokens and passes the
//! caller on in headers it sets itself, limits request rates per client, puts deadlines,
//! retries and circuit breakers on every upstream call, assembles the storefront, health
//! and dead-letter views from several services at once, and answers every error as
//! `application/problem+json` carrying the request id.
//!
//! One request, in order: request id and trace context → CORS preflight → route →
//! authenticate → rate limit → authorize → body checks → upstream call(s) → response
//! headers.

mod aggregate;
mod auth;
mod breaker;
mod config;
mod edges;
mod error;
mod internal;
mod openapi;
mod rate_limit;
mod request_context;
mod routes;
mod timer;
mod traffic;
mod upstream;

use std::time::Duration;

use service_kit::context::Caller;
use service_kit::Problem;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;

use crate::config::Config;
use crate::error::GatewayError;
use crate::request_context::RequestIds;
use crate::routes::{LimitClass, Route, Target};
use crate::upstream::{Call, Upstreams};

/// The gateway's key-value store: rate-limit buckets, circuit breakers and traffic.
const STORE: &str = "gateway";

#[http_component]
async fn handle(request: Request) -> Response {
    if let Some(path) = internal_path(&request) {
        return internal::serve(&request, &path);
    }
    let ids = RequestIds::from_request(&request);
    let config = Config::load();
    let origin = config
        .as_ref()
        .ok()
        .and_then(|config| edges::allowed_origin(&request, &config.cors_allowed_origins));
    let outcome = match config {
        Err(error) => Err(error),
        Ok(_) if is_preflight(&request) => edges::preflight(origin.as_deref()),
        Ok(config) => serve(&config, &ids, request).await,
    };
    let mut response = outcome.unwrap_or_else(|error| error_response(error, &ids));
    edges::finish(&mut response, &ids.request_id, origin.as_deref());
    response
}

/// The path below [`internal::PREFIX`] when the request came by that route (or by service
/// chaining, which passes the whole path).
fn internal_path(request: &Request) -> Option<String> {
    let route = request
        .header("spin-component-route")
        .and_then(|value| value.as_str())
        .unwrap_or_default();
    let full = format!("{route}{}", service_kit::http::path_info(request));
    full.strip_prefix(internal::PREFIX)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(str::to_owned)
}

fn is_preflight(request: &Request) -> bool {
    request.method() == &Method::Options
        && request.header("access-control-request-method").is_some()
}

/// Routes, checks and answers one request.
async fn serve(
    config: &Config,
    ids: &RequestIds,
    request: Request,
) -> Result<Response, GatewayError> {
    let path = service_kit::http::path_info(&request);
    let route = routes::find(request.method(), &path).map_err(|allowed| {
        if allowed.is_empty() {
            GatewayError::NoRoute(format!("/api/v1{path}"))
        } else {
            GatewayError::MethodNotAllowed {
                method: request.method().to_string(),
                allowed: allowed.join(", "),
            }
        }
    })?;
    let now_ms = service_kit::clock::now_ms();
    let caller = auth::authenticate(&request, &config.jwt_signing_key, now_ms / 1000);
    let store = Store::open(STORE)
        .inspect_err(|error| eprintln!("gateway: opening the {STORE} store: {error:?}"))
        .ok();
    if let Some(store) = &store {
        limit_rate(
            config,
            store,
            route,
            &request,
            caller.as_ref().ok().and_then(Option::as_ref),
            now_ms,
        )?;
    }
    let caller = caller?;
    auth::authorize(caller.as_ref(), route.access)?;
    edges::check_body(&request, route.json_body)?;
    let upstreams = Upstreams {
        config,
        ids,
        caller: caller.as_ref(),
        timeout: Duration::from_millis(config.upstream_timeout_ms),
        store: store.as_ref(),
    };
    let params = service_kit::router::match_path(route.pattern, &path).unwrap_or_default();
    match route.target {
        Target::Proxy(service) => proxy(&upstreams, service, path, request).await,
        Target::ProxyAs(service, pattern) => {
            proxy(&upstreams, service, routes::fill(pattern, &params), request).await
        }
        Target::OpsOverview => Ok(aggregate::ops_overview(&upstreams).await),
        Target::Storefront => Ok(aggregate::storefront(&upstreams).await),
        Target::Health => Ok(aggregate::health(&upstreams).await),
        Target::OpenApi => openapi::serve(),
        Target::DeadLetters => Ok(aggregate::dead_letters(&upstreams).await),
        Target::ReplayDeadLetter => aggregate::replay(&upstreams, params.get("id"))
            .await
            .map(edges::relay),
    }
}

/// Counts the request against its client's bucket: the signed-in user, or else the client
/// address. Sign-in attempts always count per address.
fn limit_rate(
    config: &Config,
    store: &Store,
    route: &Route,
    request: &Request,
    caller: Option<&Caller>,
    now_ms: i64,
) -> Result<(), GatewayError> {
    let address = client_address(request);
    let (class, client, per_minute) = match (route.limit, caller) {
        (LimitClass::Login, _) => ("login", address, config.login_rate_limit_per_minute),
        (LimitClass::General, Some(caller)) => (
            "general",
            format!("user:{}", caller.user_id.as_str()),
            config.rate_limit_per_minute,
        ),
        (LimitClass::General, None) => ("general", address, config.rate_limit_per_minute),
    };
    let limit = rate_limit::Limit::per_minute(per_minute);
    rate_limit::check(store, class, &client, limit, now_ms)
        .map_err(|retry_after_secs| GatewayError::RateLimited { retry_after_secs })
}

/// The client's IP address as the runtime saw it (`spin-client-addr`, without the port).
fn client_address(request: &Request) -> String {
    let address = request
        .header("spin-client-addr")
        .and_then(|value| value.as_str())
        .unwrap_or("unknown");
    let ip = match address.rsplit_once(':') {
        Some((ip, port)) if port.bytes().all(|b| b.is_ascii_digit()) => ip,
        _ => address,
    };
    format!("ip:{}", ip.trim_start_matches('[').trim_end_matches(']'))
}

/// Passes the request to `service`'s private route `path`.
async fn proxy(
    upstreams: &Upstreams<'_>,
    service: config::Service,
    path: String,
    request: Request,
) -> Result<Response, GatewayError> {
    let query = request.query();
    let path_and_query = match query.is_empty() {
        true => path,
        false => format!("{path}?{query}"),
    };
    let method = request.method().clone();
    let retryable = matches!(
        method,
        Method::Get | Method::Head | Method::Put | Method::Delete
    ) || request.header("idempotency-key").is_some();
    let call = Call {
        service,
        method,
        path_and_query,
        headers: edges::forwarded_headers(&request),
        body: request.into_body(),
        retryable,
    };
    upstreams.send(&call).await.map(edges::relay)
}

/// The problem+json answer for `error`, with the request id, `Allow` for a 405 and
/// `WWW-Authenticate` for a 401.
fn error_response(error: GatewayError, ids: &RequestIds) -> Response {
    let allow = match &error {
        GatewayError::MethodNotAllowed { allowed, .. } => Some(allowed.clone()),
        _ => None,
    };
    let problem = Problem::from(error).with_request_id(Some(&ids.request_id));
    let unauthorized = problem.status == 401;
    let mut response = problem.into_response();
    if let Some(allow) = allow {
        response.set_header("allow", allow);
    }
    if unauthorized {
        response.set_header("www-authenticate", "Bearer");
    }
    response
}
