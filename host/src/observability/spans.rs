//! The spans of the host's own work, named and attributed as OpenTelemetry's semantic
//! conventions say: a SERVER span per request, a CONSUMER span per event delivery, and an
//! INTERNAL execution span per component invocation under either.

use super::envelope::EventEnvelope;
use super::trace::{Span, SpanContext, SpanKind, Tracer, TRACEPARENT};

/// Starts the SERVER span of a request that arrived with `headers`, a child of its
/// `traceparent`, and writes the span's context into `traceparent` for the component.
/// Without tracing, a well-formed `traceparent` is kept, and a trace is started for a
/// request that has none when `correlate` is set (requests from clients, so that their
/// log lines share a trace id). Returns the span and the trace the component sees.
pub fn server_span(
    tracer: &Tracer,
    headers: &mut http::HeaderMap,
    correlate: bool,
) -> (Span, Option<SpanContext>) {
    let incoming = headers
        .get(TRACEPARENT)
        .and_then(|value| value.to_str().ok())
        .and_then(SpanContext::parse);
    let span = tracer.start("HTTP request", SpanKind::Server, incoming.as_ref());
    let context = match (span.context(), incoming) {
        (Some(context), _) => context,
        (None, Some(incoming)) => return (span, Some(incoming)),
        (None, None) if correlate => SpanContext::new_root(),
        (None, None) => return (span, None),
    };
    if let Ok(value) = http::HeaderValue::from_str(&context.traceparent()) {
        headers.insert(TRACEPARENT, value);
    }
    (span, Some(context))
}

/// The route a request matched, as its SERVER span names it.
pub struct ServedRoute<'a> {
    /// The route as the manifest writes it (`/items/:id/...`).
    pub route: &'a str,
    pub component: &'a str,
}

/// Names a SERVER span after its route and records what the response was.
pub fn end_server_span(
    span: &mut Span,
    method: &http::Method,
    path: &str,
    route: Option<ServedRoute<'_>>,
    status: u16,
) {
    if !span.is_recording() {
        return;
    }
    span.set("http.request.method", method.as_str().to_owned());
    span.set("url.path", path.to_owned());
    span.set("url.scheme", "http");
    span.set("http.response.status_code", i64::from(status));
    match route {
        Some(served) => {
            span.set_name(format!("{method} {}", served.route));
            span.set("http.route", served.route.to_owned());
            span.set("wasmart.component", served.component.to_owned());
        }
        None => span.set_name(method.as_str().to_owned()),
    }
    if status >= 500 {
        span.set_error(format!("HTTP {status}"));
    }
}

/// Starts the INTERNAL span of one invocation of component `id`, under `parent`.
pub fn execution_span(tracer: &Tracer, id: &str, parent: Option<&SpanContext>) -> Span {
    if parent.is_none() {
        return Span::DISABLED;
    }
    let mut span = tracer.child(
        format!("execute_wasm_component {id}"),
        SpanKind::Internal,
        parent,
    );
    if span.is_recording() {
        span.set("wasmart.component", id.to_owned());
    }
    span
}

/// Starts the CONSUMER span of delivering a message on `channel` to component `id`: a
/// child of the event's `traceparent`, else the root of a new trace.
pub fn delivery_span(tracer: &Tracer, id: &str, channel: &str, envelope: &EventEnvelope) -> Span {
    if !tracer.is_enabled() {
        return Span::DISABLED;
    }
    let parent = envelope.trace_context();
    let mut span = tracer.start(
        format!("{channel} receive"),
        SpanKind::Consumer,
        parent.as_ref(),
    );
    if span.is_recording() {
        span.set("messaging.system", "redis");
        span.set("messaging.operation.type", "process");
        span.set("messaging.destination.name", channel.to_owned());
        span.set("wasmart.component", id.to_owned());
        if let Some(event_id) = &envelope.id {
            span.set("messaging.message.id", event_id.clone());
        }
        if let Some(event_type) = &envelope.event_type {
            span.set("wasmart.event.type", event_type.clone());
        }
    }
    span
}
