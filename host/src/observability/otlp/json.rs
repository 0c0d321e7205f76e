//! `http/json`: an `ExportTraceServiceRequest` in the OTLP JSON mapping (camelCase fields,
//! ids as hex strings, 64-bit integers as decimal strings, enums as numbers).

use serde::Serialize;

use crate::observability::trace::{hex, SpanData, Value};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    resource_spans: [ResourceSpans<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans<'a> {
    resource: Resource<'a>,
    scope_spans: [ScopeSpans<'a>; 1],
}

#[derive(Serialize)]
struct Resource<'a> {
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Serialize)]
struct ScopeSpans<'a> {
    scope: Scope,
    spans: Vec<Span<'a>>,
}

#[derive(Serialize)]
struct Scope {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Span<'a> {
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<String>,
    name: &'a str,
    kind: u8,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    attributes: Vec<KeyValue<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status<'a>>,
}

#[derive(Serialize)]
struct KeyValue<'a> {
    key: &'a str,
    value: AnyValue<'a>,
}

#[derive(Serialize)]
enum AnyValue<'a> {
    #[serde(rename = "stringValue")]
    String(&'a str),
    #[serde(rename = "intValue")]
    Int(String),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Link {
    trace_id: String,
    span_id: String,
}

#[derive(Serialize)]
struct Status<'a> {
    code: u8,
    message: &'a str,
}

/// `spans` under `resource`, as the body of an OTLP/HTTP JSON export request.
pub fn encode(resource: &[(String, String)], spans: &[SpanData]) -> Vec<u8> {
    let request = Request {
        resource_spans: [ResourceSpans {
            resource: Resource {
                attributes: resource
                    .iter()
                    .map(|(key, value)| KeyValue {
                        key,
                        value: AnyValue::String(value),
                    })
                    .collect(),
            },
            scope_spans: [ScopeSpans {
                scope: Scope {
                    name: super::SCOPE_NAME,
                    version: env!("CARGO_PKG_VERSION"),
                },
                spans: spans.iter().map(span).collect(),
            }],
        }],
    };
    serde_json::to_vec(&request).unwrap_or_default()
}

fn span(data: &SpanData) -> Span<'_> {
    Span {
        trace_id: hex(&data.context.trace_id),
        span_id: hex(&data.context.span_id),
        parent_span_id: data.parent_span_id.as_ref().map(|id| hex(id)),
        name: &data.name,
        kind: data.kind as u8,
        start_time_unix_nano: data.start_unix_nanos.to_string(),
        end_time_unix_nano: data.end_unix_nanos.to_string(),
        attributes: data
            .attributes
            .iter()
            .map(|(key, value)| KeyValue {
                key,
                value: match value {
                    Value::Str(text) => AnyValue::String(text),
                    Value::Int(number) => AnyValue::Int(number.to_string()),
                },
            })
            .collect(),
        links: data
            .links
            .iter()
            .map(|link| Link {
                trace_id: hex(&link.trace_id),
                span_id: hex(&link.span_id),
            })
            .collect(),
        status: data.error.as_deref().map(|message| Status {
            code: super::STATUS_ERROR,
            message,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observability::otlp::tests::sample_span;

    #[test]
    fn spans_follow_the_otlp_json_mapping() {
        let resource = [("service.name".to_owned(), "shop".to_owned())];
        let body: serde_json::Value =
            serde_json::from_slice(&encode(&resource, &[sample_span()])).unwrap();
        let expected = serde_json::json!({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
            "scopeSpans": [{
                "scope": {"name": "wasmart", "version": env!("CARGO_PKG_VERSION")},
                "spans": [{
                    "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "spanId": "00f067aa0ba902b7",
                    "parentSpanId": "0102030405060708",
                    "name": "GET /api/...",
                    "kind": 2,
                    "startTimeUnixNano": "1700000000000000000",
                    "endTimeUnixNano": "1700000000001000000",
                    "attributes": [
                        {"key": "http.request.method", "value": {"stringValue": "GET"}},
                        {"key": "http.response.status_code", "value": {"intValue": "503"}}
                    ],
                    "links": [{"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "0a0b0c0d0e0f1011"}],
                    "status": {"code": 2, "message": "HTTP 503"}
                }]
            }]
        }]});
        assert_eq!(body, expected);
    }
}
