//! The public API v1: every route the gateway answers, below `/api/v1`. `docs/openapi.yaml`
//! documents exactly these (a unit test holds the two together).

use spin_sdk::http::Method;

use crate::auth::Access;
use crate::config::Service;

/// What answers a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The service's private route of the same path.
    Proxy(Service),
    /// The service's private route at another path: the pattern's `:name` segments take
    /// the values of the public route's.
    ProxyAs(Service, &'static str),
    /// Telemetry's overview of every service with each one's live health probe.
    OpsOverview,
    /// The home page's data, gathered from several services at once.
    Storefront,
    /// The gateway's and every service's health.
    Health,
    /// This API's OpenAPI document.
    OpenApi,
    /// The dead letters of every service that keeps them.
    DeadLetters,
    /// Replays one dead letter in the service that holds it.
    ReplayDeadLetter,
}

/// Which rate limit a route counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitClass {
    General,
    /// Sign-in: stricter, to slow password guessing.
    Login,
}

/// One public route.
#[derive(Debug)]
pub struct Route {
    pub method: Method,
    /// The path below `/api/v1`, with `:name` segments.
    pub pattern: &'static str,
    pub target: Target,
    pub access: Access,
    /// Whether the route takes a JSON body (checked for size and content type).
    pub json_body: bool,
    pub limit: LimitClass,
}

const fn route(method: Method, pattern: &'static str, target: Target, access: Access) -> Route {
    Route {
        method,
        pattern,
        target,
        access,
        json_body: false,
        limit: LimitClass::General,
    }
}

const fn with_body(mut route: Route) -> Route {
    route.json_body = true;
    route
}

const fn login(mut route: Route) -> Route {
    route.limit = LimitClass::Login;
    route
}

use Access::{Admin, Public, SignedIn};
use Service::{Accounts, Alerts, Cart, Catalog, Notifications, Orders};

/// Every public route.
pub static ROUTES: &[Route] = &[
    with_body(route(
        Method::Post,
        "/accounts",
        Target::Proxy(Accounts),
        Public,
    )),
    login(with_body(route(
        Method::Post,
        "/sessions",
        Target::Proxy(Accounts),
        Public,
    ))),
    route(Method::Get, "/me", Target::Proxy(Accounts), SignedIn),
    with_body(route(
        Method::Patch,
        "/me",
        Target::Proxy(Accounts),
        SignedIn,
    )),
    route(Method::Get, "/categories", Target::Proxy(Catalog), Public),
    route(Method::Get, "/products", Target::Proxy(Catalog), Public),
    with_body(route(
        Method::Post,
        "/products",
        Target::Proxy(Catalog),
        Admin,
    )),
    route(Method::Get, "/products/:id", Target::Proxy(Catalog), Public),
    with_body(route(
        Method::Put,
        "/products/:id",
        Target::Proxy(Catalog),
        Admin,
    )),
    route(
        Method::Delete,
        "/products/:id",
        Target::Proxy(Catalog),
        Admin,
    ),
    route(Method::Get, "/images/:file", Target::Proxy(Catalog), Public),
    route(Method::Get, "/cart", Target::Proxy(Cart), SignedIn),
    with_body(route(
        Method::Put,
        "/cart/items/:product_id",
        Target::Proxy(Cart),
        SignedIn,
    )),
    route(
        Method::Delete,
        "/cart/items/:product_id",
        Target::Proxy(Cart),
        SignedIn,
    ),
    with_body(route(
        Method::Post,
        "/orders",
        Target::Proxy(Orders),
        SignedIn,
    )),
    route(Method::Get, "/orders", Target::Proxy(Orders), SignedIn),
    route(Method::Get, "/orders/:id", Target::Proxy(Orders), SignedIn),
    route(
        Method::Post,
        "/orders/:id/cancel",
        Target::Proxy(Orders),
        SignedIn,
    ),
    route(
        Method::Post,
        "/orders/:id/fulfil",
        Target::Proxy(Orders),
        Admin,
    ),
    route(
        Method::Get,
        "/notifications",
        Target::Proxy(Notifications),
        SignedIn,
    ),
    route(
        Method::Post,
        "/notifications/:id/read",
        Target::Proxy(Notifications),
        SignedIn,
    ),
    route(Method::Get, "/storefront", Target::Storefront, Public),
    route(Method::Get, "/health", Target::Health, Public),
    route(Method::Get, "/openapi.json", Target::OpenApi, Public),
    route(
        Method::Get,
        "/admin/dead-letters",
        Target::DeadLetters,
        Admin,
    ),
    route(
        Method::Post,
        "/admin/dead-letters/:id/replay",
        Target::ReplayDeadLetter,
        Admin,
    ),
    route(Method::Get, "/ops/overview", Target::OpsOverview, Admin),
    route(
        Method::Get,
        "/ops/alerts",
        Target::ProxyAs(Alerts, "/alerts"),
        Admin,
    ),
    route(
        Method::Get,
        "/ops/alert-rules",
        Target::ProxyAs(Alerts, "/rules"),
        Admin,
    ),
    with_body(route(
        Method::Put,
        "/ops/alert-rules/:id",
        Target::ProxyAs(Alerts, "/rules/:id"),
        Admin,
    )),
];

/// `pattern` with each `:name` segment replaced by the (encoded) value `params` captured.
pub fn fill(pattern: &str, params: &service_kit::router::Params) -> String {
    pattern
        .split('/')
        .map(|segment| match segment.strip_prefix(':') {
            Some(name) => service_kit::http::percent_encode(params.get(name)),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The route for `method` on `path`; otherwise the methods the path allows (empty when
/// nothing is there).
pub fn find(method: &Method, path: &str) -> Result<&'static Route, Vec<String>> {
    let mut allowed = Vec::new();
    for route in ROUTES {
        if service_kit::router::match_path(route.pattern, path).is_none() {
            continue;
        }
        if &route.method == method {
            return Ok(route);
        }
        allowed.push(route.method.to_string());
    }
    Err(allowed)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// `(METHOD, /path/{param})` of every route, as OpenAPI writes them.
    fn table() -> BTreeSet<(String, String)> {
        ROUTES
            .iter()
            .map(|route| {
                let path: Vec<String> = route
                    .pattern
                    .split('/')
                    .map(|segment| match segment.strip_prefix(':') {
                        Some(name) => format!("{{{name}}}"),
                        None => segment.to_owned(),
                    })
                    .collect();
                (
                    route.method.to_string().to_uppercase(),
                    format!("/api/v1{}", path.join("/")),
                )
            })
            .collect()
    }

    fn documented() -> BTreeSet<(String, String)> {
        let document: serde_json::Value =
            serde_norway::from_str(crate::openapi::DOCUMENT).expect("docs/openapi.yaml parses");
        let paths = document["paths"]
            .as_object()
            .expect("the document has paths");
        let methods = ["get", "put", "post", "delete", "patch", "head", "options"];
        paths
            .iter()
            .flat_map(|(path, item)| {
                methods
                    .iter()
                    .filter(|method| item.get(**method).is_some())
                    .map(|method| (method.to_uppercase(), path.clone()))
            })
            .collect()
    }

    #[test]
    fn every_route_is_documented_and_every_documented_route_exists() {
        let routes = table();
        let documented = documented();
        let undocumented: Vec<_> = routes.difference(&documented).collect();
        let missing: Vec<_> = documented.difference(&routes).collect();
        assert!(
            undocumented.is_empty(),
            "routes docs/openapi.yaml lacks: {undocumented:?}"
        );
        assert!(
            missing.is_empty(),
            "documented routes the gateway lacks: {missing:?}"
        );
    }

    #[test]
    fn finds_routes_and_names_the_allowed_methods() {
        let route = find(&Method::Post, "/orders/abc/cancel").unwrap();
        assert_eq!(route.target, Target::Proxy(Orders));
        assert_eq!(
            find(&Method::Get, "/nothing").unwrap_err(),
            Vec::<String>::new()
        );
        let allowed = find(&Method::Patch, "/products/1").unwrap_err();
        assert_eq!(allowed, ["GET", "PUT", "DELETE"]);
    }

    #[test]
    fn proxied_paths_take_the_public_values() {
        let route = find(&Method::Put, "/ops/alert-rules/payment-failure-rate").unwrap();
        let Target::ProxyAs(service, pattern) = route.target else {
            panic!("{route:?}");
        };
        assert_eq!(service, Alerts);
        let params =
            service_kit::router::match_path(route.pattern, "/ops/alert-rules/a%20b").unwrap();
        assert_eq!(fill(pattern, &params), "/rules/a%20b");
    }
}
