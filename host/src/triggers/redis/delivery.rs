//! One Redis message delivered to one component: an admitted instance runs its
//! `inbound-redis` handler under a CONSUMER span, and the delivery is recorded in the
//! access log and the metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bindings::redis_handler::RedisHandlerPre;
use crate::capabilities::outbound_http::InProcessRequests;
use crate::executor::{Budget, Executor, GuestFailure, HostState, Invocation};
use crate::observability::access_log::{self, EventRecord};
use crate::observability::component_log::Correlation;
use crate::observability::envelope::EventEnvelope;
use crate::observability::metrics::Delivery;
use crate::observability::spans::delivery_span;

/// Delivers messages to components; their chained and self requests go to `in_process`.
pub struct RedisDelivery {
    executor: Arc<Executor>,
    in_process: Arc<dyn InProcessRequests>,
}

impl RedisDelivery {
    /// Delivers to the components of `executor`.
    pub fn new(executor: Arc<Executor>, in_process: Arc<dyn InProcessRequests>) -> Self {
        Self {
            executor,
            in_process,
        }
    }

    /// Runs component `id`'s Redis handler for one message on `channel`.
    pub async fn deliver(
        &self,
        id: &str,
        channel: &str,
        payload: &Vec<u8>,
    ) -> Result<(), GuestFailure> {
        let component = self.executor.component(id)?.clone();
        let pre = component
            .redis
            .clone()
            .ok_or_else(|| GuestFailure::NoHandler(id.to_string()))?;
        let envelope = EventEnvelope::read(payload);
        let trace_id = envelope.trace_context().map(|c| c.trace_id_hex());
        let correlation = Correlation::event(envelope.id.as_deref(), trace_id.as_deref());
        let mut delivery = delivery_span(self.executor.tracer(), id, channel, &envelope);
        let _admission = self.executor.admit(Budget::Events).await;
        let started = Instant::now();
        let invocation = Invocation {
            correlation: correlation.clone(),
            parent: delivery.context(),
            in_process: self.in_process.clone(),
        };
        let (mut store, mut execution) = self
            .executor
            .new_store(&component, invocation)
            .map_err(GuestFailure::Trap)?;
        let outcome = self.handle(&pre, &mut store, id, payload, started).await;
        if let Err(failure) = &outcome {
            self.executor.report(id, failure, &correlation);
            if execution.is_recording() {
                execution.set_error(failure.to_string());
                delivery.set_error(failure.to_string());
            }
        }
        drop(execution);
        drop(delivery);
        let delivered = Delivered {
            id,
            channel,
            envelope: &envelope,
            trace_id: trace_id.as_deref(),
            handled: outcome.is_ok(),
            elapsed: started.elapsed(),
        };
        self.record(&delivered);
        outcome
    }

    /// Instantiates the component and calls its handler, within the request deadline.
    async fn handle(
        &self,
        pre: &RedisHandlerPre<HostState>,
        store: &mut wasmtime::Store<HostState>,
        id: &str,
        payload: &Vec<u8>,
        started: Instant,
    ) -> Result<(), GuestFailure> {
        let timeout = self.executor.request_timeout();
        let run = async {
            let handler = pre.instantiate_async(&mut *store).await?;
            self.executor
                .metrics()
                .record_instantiation(id, started.elapsed());
            handler
                .fermyon_spin_inbound_redis()
                .call_handle_message(&mut *store, payload)
                .await
        };
        match tokio::time::timeout(timeout, run).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(_))) => Err(GuestFailure::HandlerError),
            Ok(Err(trap)) => Err(GuestFailure::Trap(trap)),
            Err(_) => Err(GuestFailure::Timeout(timeout)),
        }
    }

    /// The metrics and the access-log line of one delivery.
    fn record(&self, delivered: &Delivered<'_>) {
        self.executor.metrics().record_event(&Delivery {
            component: delivered.id,
            channel: delivered.channel,
            event_id: delivered.envelope.id.as_deref(),
            handled: delivered.handled,
            elapsed: delivered.elapsed,
        });
        self.executor.access_log().record(&EventRecord {
            kind: "event",
            ts: access_log::unix_now(),
            component: delivered.id,
            channel: delivered.channel,
            outcome: if delivered.handled {
                "handled"
            } else {
                "failed"
            },
            duration_ms: delivered.elapsed.as_secs_f64() * 1000.0,
            event_id: delivered.envelope.id.as_deref(),
            trace_id: delivered.trace_id,
        });
    }
}

/// What the records of one delivery are made of.
struct Delivered<'a> {
    id: &'a str,
    channel: &'a str,
    envelope: &'a EventEnvelope,
    trace_id: Option<&'a str>,
    handled: bool,
    elapsed: Duration,
}
