//! One host call a component makes (a key-value get, a SQL statement, a Redis command),
//! measured: its latency and outcome in the component's [`OperationStats`] when metrics are
//! on, and a span under the invocation's execution span when tracing is on. With both off,
//! a call costs two branches.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use super::metrics::OperationStats;
use super::trace::Span;

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
