//! A small router: method and path pattern (`/products/:id`) to handler, whose misses are
//! problems too, behind the internal key every service requires.

use spin_sdk::http::{Method, Request, Response};

use crate::http::{json, path_info, percent_decode};
use crate::scope::Scope;
use crate::Problem;

/// Path parameters captured by a [`Router`] pattern (`:name` segments).
#[derive(Debug, Default)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    /// The captured segment `name` (percent-decoded). Patterns define their names, so a
    /// missing name is a programming error and yields "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_default()
    }
}

/// A handler: the request, its scope (context, database) and path parameters in; a response
/// or a problem out.
pub type Handler = Box<dyn Fn(&Request, &Scope, &Params) -> Result<Response, Problem>>;

/// The liveness route every [`Router`] answers (`200 {"status":"up"}`): the gateway's
/// health check probes it.
pub const HEALTH_PATH: &str = "/health";

/// Routes by method and path pattern (`/products/:id`); a path no pattern matches is a 404
/// problem, a matched path with another method a 405 problem with `Allow`. Every router
/// also answers `GET` [`HEALTH_PATH`].
#[derive(Default)]
pub struct Router {
    routes: Vec<(Method, Vec<&'static str>, Handler)>,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route; `pattern` segments starting with `:` capture. The handler may fail
    /// with any error that converts into a [`Problem`].
    pub fn route<E: Into<Problem>>(
        mut self,
        method: Method,
        pattern: &'static str,
        handler: impl Fn(&Request, &Scope, &Params) -> Result<Response, E> + 'static,
    ) -> Self {
        let segments = pattern.split('/').filter(|s| !s.is_empty()).collect();
        let handler = move |request: &Request, scope: &Scope, params: &Params| {
            handler(request, scope, params).map_err(Into::into)
        };
        self.routes.push((method, segments, Box::new(handler)));
        self
    }

    /// Runs the matching handler on the request's `spin-path-info` (the caller has checked
    /// the internal key). Problems carry the request id, and every response echoes it.
    pub fn handle(&self, request: &Request, scope: &Scope) -> Response {
        let request_id = scope.request_id.as_deref();
        let path = path_info(request);
        let mut allowed = Vec::new();
        let mut response = match self.dispatch(request, scope, &path, &mut allowed) {
            Ok(response) => response,
            Err(problem) => {
                let is_405 = problem.status == 405;
                let mut response = problem.with_request_id(request_id).into_response();
                if is_405 {
                    response.set_header("allow", allowed.join(", "));
                }
                response
            }
        };
        if let Some(id) = request_id {
            response.set_header(crate::context::REQUEST_ID, id);
        }
        response
    }

    /// The answer of the route matching `path`, or a 404 or 405 problem; `allowed` collects
    /// the methods of the routes whose pattern matches.
    fn dispatch(
        &self,
        request: &Request,
        scope: &Scope,
        path: &str,
        allowed: &mut Vec<String>,
    ) -> Result<Response, Problem> {
        if path == HEALTH_PATH && request.method() == &Method::Get {
            return Ok(json(200, &serde_json::json!({ "status": "up" })));
        }
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for (method, pattern, handler) in &self.routes {
            let Some(params) = match_pattern(pattern, &segments) else {
                continue;
            };
            if method == request.method() {
                return handler(request, scope, &params);
            }
            allowed.push(method.to_string());
        }
        Err(if allowed.is_empty() {
            Problem::not_found(format!("No resource at {path}."))
        } else {
            Problem::method_not_allowed(format!(
                "{} is not allowed here; use {}.",
                request.method(),
                allowed.join(", ")
            ))
        })
    }
}

/// Matches `path` against `pattern` (`/products/:id`), capturing its `:name` segments.
pub fn match_path(pattern: &'static str, path: &str) -> Option<Params> {
    let pattern: Vec<&'static str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match_pattern(&pattern, &segments)
}

fn match_pattern(pattern: &[&'static str], segments: &[&str]) -> Option<Params> {
    if pattern.len() != segments.len() {
        return None;
    }
    let mut params = Params::default();
    for (expected, actual) in pattern.iter().zip(segments) {
        if let Some(name) = expected.strip_prefix(':') {
            params.0.push((name, percent_decode(actual)));
        } else if expected != actual {
            return None;
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_capture() {
        let params = match_pattern(&["products", ":id"], &["products", "a%20b"]).unwrap();
        assert_eq!(params.get("id"), "a b");
        assert!(match_pattern(&["products", ":id"], &["products"]).is_none());
        assert!(match_pattern(&["products"], &["orders"]).is_none());
        assert_eq!(
            match_path("/orders/:id/cancel", "/orders/7/cancel")
                .unwrap()
                .get("id"),
            "7"
        );
        assert!(match_path("/orders/:id/cancel", "/orders/7").is_none());
    }
}
