//! One host call a component makes (a key-value get, a SQL statement, a Redis command),
//! measured: its latency and outcome in the component's [`OperationStats`] when metrics are
//! on, and a span under the invocation's execution span when tracing is on. With both off,
//! a call costs two branches.

use std::borrow::Cow;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use super::metrics::OperationStats;
use super::trace::{Span, SpanContext, SpanKind, Tracer};

/// Where the spans of one invocation's host calls go: the tracer and the execution span
/// they are children of (none when the invocation is not traced).
#[derive(Clone, Default)]
pub struct CallTrace {
    tracer: Tracer,
    parent: Option<SpanContext>,
}

impl CallTrace {
    /// Host calls traced by `tracer` under the execution span `parent`.
    pub fn new(tracer: Tracer, parent: Option<SpanContext>) -> Self {
        Self { tracer, parent }
    }

    /// Starts the span of a host call (disabled when the invocation is not traced).
    pub fn span(&self, name: impl Into<Cow<'static, str>>, kind: SpanKind) -> Span {
        self.tracer.child(name, kind, self.parent.as_ref())
    }

    /// The execution span's context, when traced.
    pub fn parent(&self) -> Option<&SpanContext> {
        self.parent.as_ref()
    }
}

/// A host call in progress; [`HostCall::finish`] records it.
pub struct HostCall {
    stats: Option<(Arc<OperationStats>, usize, Instant)>,
    /// The call's span, to add attributes to (see [`Span::is_recording`]).
    pub span: Span,
}

impl HostCall {
    /// Starts measuring operation number `operation` of `stats`, traced by `span`.
    pub fn start(stats: Option<&Arc<OperationStats>>, operation: usize, span: Span) -> Self {
        Self {
            stats: stats.map(|stats| (stats.clone(), operation, Instant::now())),
            span,
        }
    }

    /// Records the call's outcome and ends its span.
    pub fn finish<T, E: Debug>(mut self, result: &Result<T, E>) {
        if let Some((stats, operation, started)) = &self.stats {
            stats.record(*operation, result.is_ok(), started.elapsed());
        }
        if let Err(error) = result {
            if self.span.is_recording() {
                self.span.set_error(format!("{error:?}"));
            }
        }
    }
}
