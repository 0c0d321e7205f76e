//! HTTP plumbing for services: JSON in and out, query strings, a router whose misses are
//! problems, and calls to other services by Spin service chaining.

use serde::de::DeserializeOwned;
use serde::Serialize;
use spin_sdk::http::{Method, Request, Response};

use crate::context::RequestContext;
use crate::{FieldError, Problem};

/// The largest request body a service reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A `200`-style JSON response.
pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap_or_default())
        .build()
}

/// `204 No Content`.
pub fn no_content() -> Response {
    Response::builder().status(204).body(()).build()
}

/// Parses a JSON request body into `T`: 415 unless `content-type` is JSON, 413 when too
/// large, 400 naming the offending field when the shape or a value is wrong.
pub fn parse_json<T: DeserializeOwned>(request: &Request) -> Result<T, Problem> {
    if !declares_json(request) {
        return Err(Problem::unsupported_media_type(
            "Send the body as application/json.",
        ));
    }
    if request.body().len() > MAX_BODY_BYTES {
        return Err(Problem::payload_too_large(format!(
            "The body may be at most {MAX_BODY_BYTES} bytes."
        )));
    }
    parse_json_bytes(request.body())
}

/// Whether the request's `content-type` is `application/json` (parameters aside).
pub fn declares_json(request: &Request) -> bool {
    let content_type = request
        .header("content-type")
        .and_then(|value| value.as_str())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case("application/json")
}

/// Parses JSON bytes into `T`, naming the offending field on failure. Every body is a JSON
/// object: serde would also read a struct from an array of its fields (`[null, null]`).
pub fn parse_json_bytes<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    if body.trim_ascii_start().starts_with(b"[") {
        return Err(Problem::validation(vec![FieldError::new(
            "body",
            "must be a JSON object",
        )]));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path.is_empty() || path == "." {
            if inner.is_syntax() || inner.is_eof() {
                Problem::bad_request(format!("The body is not valid JSON: {inner}"))
            } else {
                // Top-level shape problems, e.g. a missing field.
                Problem::validation(vec![FieldError::new(
                    missing_field(&inner.to_string()).unwrap_or("body"),
                    inner.to_string(),
                )])
            }
        } else {
            Problem::invalid_field(path, strip_position(&inner.to_string()))
        }
    })
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// The path below the component's route (`spin-path-info`), or the full path.
pub fn path_info(request: &Request) -> String {
    request
        .header("spin-path-info")
        .and_then(|value| value.as_str())
        .unwrap_or(request.path())
        .to_owned()
}

/// Decoded query parameters, in order.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn from_request(request: &Request) -> Self {
        Self::parse(request.query())
    }

    pub fn parse(query: &str) -> Self {
        Self(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(name), percent_decode(value))
                })
                .collect(),
        )
    }

    /// The first value of `name`, if present and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// Parses `name` with `parse`; a present but unparsable value is a 400 naming it.
    pub fn parse_opt<T>(
        &self,
        name: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, FieldError> {
        // A parameter sent empty (`page=`) is checked like any other value.
        let value = self.0.iter().find(|(key, _)| key == name);
        match value.map(|(_, value)| value.as_str()) {
            None => Ok(None),
            Some(text) => parse(text)
                .map(Some)
                .ok_or_else(|| FieldError::new(name, format!("must be {expected}"))),
        }
    }
}

/// Decodes `%XX` escapes and `+` as space; invalid escapes are kept as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |byte: u8| (byte as char).to_digit(16).map(|digit| digit as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = match bytes.get(index..index + 3) {
            Some([b'%', high, low]) => hex(*high).zip(hex(*low)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, bytes[index]) {
            (Some(byte), _) => {
                out.push(byte);
                index += 3;
                continue;
            }
            (None, b'+') => out.push(b' '),
            (None, byte) => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a query value (unreserved characters stay, everything else is `%XX`).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

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

/// A handler: the request, its context and path parameters in; a response or a problem out.
pub type Handler = Box<dyn Fn(&Request, &RequestContext, &Params) -> Result<Response, Problem>>;

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

    /// Adds a route; `pattern` segments starting with `:` capture.
    pub fn route(
        mut self,
        method: Method,
        pattern: &'static str,
        handler: impl Fn(&Request, &RequestContext, &Params) -> Result<Response, Problem> + 'static,
    ) -> Self {
        let segments = pattern.split('/').filter(|s| !s.is_empty()).collect();
        self.routes.push((method, segments, Box::new(handler)));
        self
    }

    /// Runs the matching handler on the request's `spin-path-info`. Problems carry the
    /// request id, and every response echoes it.
    pub fn handle(&self, request: Request) -> Response {
        let context = RequestContext::from_request(&request);
        if let Err(problem) = crate::internal_auth::verify(&request) {
            return problem
                .with_request_id(context.request_id.as_deref())
                .into_response();
        }
        let path = path_info(&request);
        if path == HEALTH_PATH && request.method() == &Method::Get {
            return json(200, &serde_json::json!({ "status": "up" }));
        }
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut allowed: Vec<String> = Vec::new();
        let mut outcome = None;
        for (method, pattern, handler) in &self.routes {
            let Some(params) = match_pattern(pattern, &segments) else {
                continue;
            };
            if method == request.method() {
                outcome = Some(handler(&request, &context, &params));
                break;
            }
            allowed.push(method.to_string());
        }
        let outcome = outcome.unwrap_or_else(|| {
            Err(if allowed.is_empty() {
                Problem::not_found(format!("No resource at {path}."))
            } else {
                Problem::method_not_allowed(format!(
                    "{} is not allowed here; use {}.",
                    request.method(),
                    allowed.join(", ")
                ))
            })
        });
        let mut response = match outcome {
            Ok(response) => response,
            Err(problem) => {
                let is_405 = problem.status == 405;
                let mut response = problem
                    .with_request_id(context.request_id.as_deref())
                    .into_response();
                if is_405 {
                    response.set_header("allow", allowed.join(", "));
                }
                response
            }
        };
        if let Some(id) = &context.request_id {
            response.set_header(crate::context::REQUEST_ID, id.as_str());
        }
        response
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

/// A failed call to another service.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The service could not be reached, or answered 5xx.
    #[error("{service} is unavailable: {reason}")]
    Unavailable { service: String, reason: String },
    /// The service answered with a 4xx problem.
    #[error("{service} rejected the call: {problem}")]
    Rejected {
        service: String,
        problem: Box<Problem>,
    },
}

impl From<CallError> for Problem {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Unavailable { .. } => Problem::unavailable(error.to_string()),
            CallError::Rejected { problem, .. } => *problem,
        }
    }
}

/// The base URL of the service `name`: the component variable `<name>_url` when the
/// manifest sets it (a service deployed elsewhere is then reached by changing a variable),
/// else `http://<name>.spin.internal` (Spin service chaining within this app).
pub fn upstream_url(name: &str) -> String {
    spin_sdk::variables::get(&format!("{name}_url"))
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| format!("http://{name}.spin.internal"))
}

/// Calls another service at `base_url` (e.g. `http://catalog.spin.internal` by Spin service
/// chaining), presenting the internal key and forwarding the request context, and parses its
/// JSON answer. A 404 or a 204 is returned as `Ok(None)`.
pub fn call_json<T: DeserializeOwned>(
    context: &RequestContext,
    method: Method,
    base_url: &str,
    path_and_query: &str,
    body: Option<&serde_json::Value>,
) -> Result<Option<T>, CallError> {
    let service = base_url.trim_start_matches("http://").to_owned();
    let mut builder = Request::builder();
    builder.method(method).uri(format!(
        "{}{}",
        base_url.trim_end_matches('/'),
        path_and_query
    ));
    context.forward(&mut builder);
    let key = crate::internal_auth::key().map_err(|_| CallError::Unavailable {
        service: service.clone(),
        reason: "internal_api_key is not set".to_owned(),
    })?;
    builder.header(crate::internal_auth::HEADER, key);
    if let Some(body) = body {
        builder
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response: Response =
        spin_sdk::http::run(spin_sdk::http::send(builder.build())).map_err(|error| {
            CallError::Unavailable {
                service: service.clone(),
                reason: error.to_string(),
            }
        })?;
    let status = *response.status();
    match status {
        204 => Ok(None),
        200..=299 => serde_json::from_slice(response.body())
            .map(Some)
            .map_err(|error| CallError::Unavailable {
                service,
                reason: format!("unreadable answer: {error}"),
            }),
        404 => Ok(None),
        400..=499 => {
            let detail = serde_json::from_slice::<serde_json::Value>(response.body())
                .ok()
                .and_then(|body| {
                    body.get("detail")
                        .and_then(|d| d.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| format!("status {status}"));
            Err(CallError::Rejected {
                service,
                problem: Box::new(Problem::new(
                    status,
                    "upstream-rejected",
                    "Rejected",
                    detail,
                )),
            })
        }
        _ => Err(CallError::Unavailable {
            service,
            reason: format!("status {status}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let query = Query::parse("q=red+shoes&category=a%2Fb&page=&bad=%zz");
        assert_eq!(query.get("q"), Some("red shoes"));
        assert_eq!(query.get("category"), Some("a/b"));
        assert_eq!(query.get("page"), None);
        assert_eq!(query.get("bad"), Some("%zz"));
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%4"), "a%4");
        assert_eq!(percent_encode("a b/c"), "a%20b%2Fc");
    }

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

    #[test]
    fn json_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            quantity: u32,
        }
        let problem = parse_json_bytes::<Body>(br#"{"quantity": -1}"#).unwrap_err();
        assert_eq!(problem.errors[0].field, "quantity");
        let problem = parse_json_bytes::<Body>(br#"{}"#).unwrap_err();
        assert_eq!(problem.errors[0].field, "quantity");
        let problem = parse_json_bytes::<Body>(b"nope").unwrap_err();
        assert_eq!(problem.status, 400);
        assert!(problem.errors.is_empty());
        // serde would read a struct from an array of its fields; the API takes objects only.
        let problem = parse_json_bytes::<Body>(b" [3]").unwrap_err();
        assert_eq!(problem.errors[0].field, "body");
        assert_eq!(problem.errors[0].message, "must be a JSON object");
    }

    #[test]
    fn an_empty_parameter_is_checked_not_skipped() {
        let query = Query::parse("page=&page_size=5");
        let page = query.parse_opt("page", "an integer", |t| t.parse::<u32>().ok());
        assert_eq!(page.unwrap_err().field, "page");
        let size = query.parse_opt("page_size", "an integer", |t| t.parse::<u32>().ok());
        assert_eq!(size.unwrap(), Some(5));
        let absent = query.parse_opt("sort", "anything", |t| Some(t.to_owned()));
        assert_eq!(absent.unwrap(), None);
    }
}
