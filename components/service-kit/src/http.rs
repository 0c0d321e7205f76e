//! HTTP plumbing for services: JSON in and out, query strings and paths. Routing is in
//! [`crate::router`], calls to other services in [`crate::client`].

use serde::de::DeserializeOwned;
use serde::Serialize;
use spin_sdk::http::{Request, Response};

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
