//! RFC 9457 problem details: every error a service returns.

use serde::Serialize;
use spin_sdk::http::Response;

/// One invalid input field: `field` is a JSON pointer-like path (`items.0.quantity`) or a
/// query parameter or header name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An `application/problem+json` answer. Build one with the constructors; each service maps
/// its own error enum into a `Problem` in exactly one `From` impl.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The problem type's slug; serialized as the URI [`PROBLEM_TYPE_BASE`] + slug.
    #[serde(rename = "type", serialize_with = "type_uri")]
    pub slug: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Seconds the client should wait (sets `Retry-After`); not part of the body.
    #[serde(skip)]
    pub retry_after_secs: Option<u32>,
}

/// The base of every problem `type` URI.
pub const PROBLEM_TYPE_BASE: &str = "https://wasmart.dev/problems/";

impl Problem {
    /// A problem with a slug (`type` is [`PROBLEM_TYPE_BASE`] + slug), title and detail.
    pub fn new(
        status: u16,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            slug,
            title,
            status,
            detail: detail.into(),
            errors: Vec::new(),
            request_id: None,
            retry_after_secs: None,
        }
    }

    /// 400: the input is invalid; `errors` names every bad field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self {
            errors,
            ..Self::new(400, "validation", "Invalid input", detail)
        }
    }

    /// 400 for one invalid field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 400 for a request that cannot be read at all (not JSON, wrong shape).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "bad-request", "Bad request", detail)
    }

    /// 401: no or invalid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", "Unauthorized", detail)
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", "Forbidden", detail)
    }

    /// 404: nothing here (also for resources that belong to someone else).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, "not-found", "Not found", detail)
    }

    /// 405 for a path that exists with other methods.
    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(405, "method-not-allowed", "Method not allowed", detail)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(slug: &'static str, detail: impl Into<String>) -> Self {
        Self::new(409, slug, "Conflict", detail)
    }

    /// 413: the body is larger than allowed.
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(413, "payload-too-large", "Payload too large", detail)
    }

    /// 415: the body is not `application/json`.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            detail,
        )
    }

    /// 503: a dependency is unavailable; the client may retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(503, "unavailable", "Service unavailable", detail)
    }

    /// 500 with a generic detail; what went wrong is logged, never sent.
    pub fn internal(logged_cause: impl std::fmt::Display) -> Self {
        eprintln!("internal error: {logged_cause}");
        Self::new(
            500,
            "internal",
            "Internal error",
            "The request could not be completed.",
        )
    }

    /// Stamps the request id into the body.
    pub fn with_request_id(mut self, request_id: Option<&str>) -> Self {
        self.request_id = request_id.map(str::to_owned);
        self
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut builder = Response::builder();
        builder
            .status(self.status)
            .header("content-type", "application/problem+json");
        if let Some(id) = &self.request_id {
            builder.header("x-request-id", id.as_str());
        }
        if let Some(seconds) = self.retry_after_secs {
            builder.header("retry-after", seconds.to_string());
        }
        builder.body(body).build()
    }
}

fn type_uri<S: serde::Serializer>(slug: &&'static str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{PROBLEM_TYPE_BASE}{slug}"))
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl std::error::Error for Problem {}

impl From<spin_sdk::sqlite::Error> for Problem {
    fn from(error: spin_sdk::sqlite::Error) -> Self {
        Problem::internal(format!("sqlite: {error:?}"))
    }
}

impl From<spin_sdk::key_value::Error> for Problem {
    fn from(error: spin_sdk::key_value::Error) -> Self {
        Problem::internal(format!("key-value: {error:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let problem = Problem::invalid_field("quantity", "must be between 1 and 99");
        let body = serde_json::to_value(&problem).unwrap();
        assert_eq!(body["status"], 400);
        assert_eq!(body["type"], "https://wasmart.dev/problems/validation");
        assert_eq!(body["errors"][0]["field"], "quantity");
        assert_eq!(body["detail"], "quantity: must be between 1 and 99");
        assert!(body.get("request_id").is_none());
    }
}
