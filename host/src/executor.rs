//! The lifecycle of component instances: one pre-instantiated component per id, a fresh
//! [`Store`] per request or event whose data composes each capability's own state, a
//! per-invocation deadline, and a queue in front of the instance pool. The triggers decide
//! what to call; this module only makes and admits the instances.
//!
//! Every guest failure (trap, timeout, no response) stays inside the one invocation: it is
//! reported (log, metrics, the component's log) and the host carries on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::allowed_hosts::AllowedHosts;
use crate::bindings::redis_handler::RedisHandlerPre;
use crate::capabilities::key_value::{self, KeyValueGrants, KeyValueView};
use crate::capabilities::outbound_http::{self, InProcessRequests, OutboundHttp};
use crate::capabilities::outbound_redis::{self, RedisGrants, RedisView};
use crate::capabilities::sqlite::{self, SqliteGrants, SqliteView};
use crate::capabilities::variables::{self, VariableGrants, VariablesView};
use crate::observability::access_log::AccessLog;
use crate::observability::component_log::{ComponentLog, Correlation};
use crate::observability::host_call::CallTrace;
use crate::observability::metrics::{GaugeGuard, Metrics};
use crate::observability::spans::execution_span;
use crate::observability::trace::{Span, SpanContext, Tracer};

/// What one component may touch, fixed at start-up from its manifest entry: each
/// capability's grants, with the component's host-call metrics.
pub struct Grants {
    pub key_value: KeyValueGrants,
    pub sqlite: SqliteGrants,
    pub variables: VariableGrants,
    pub redis: RedisGrants,
    /// `allowed_outbound_hosts`, for outbound HTTP.
    pub allowed_hosts: Arc<AllowedHosts>,
}

/// A host folder a component sees at `guest` (read-only).
pub struct Mount {
    pub host: PathBuf,
    pub guest: String,
}

/// A compiled, linked component ready to instantiate.
pub struct Component {
    pub id: String,
    pub grants: Grants,
    pub environment: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    pub log: Arc<ComponentLog>,
    /// Set when the component exports `wasi:http/incoming-handler`.
    pub http: Option<ProxyPre<HostState>>,
    /// Set when the component exports `fermyon:spin/inbound-redis`.
    pub redis: Option<RedisHandlerPre<HostState>>,
}

/// The data of one `Store`: WASI contexts, the resource table, and the component whose
/// grants each capability's view borrows.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    outbound: OutboundHttp,
    component: Arc<Component>,
    trace: CallTrace,
    deadline: Instant,
}

impl HostState {
    fn key_value(&mut self) -> KeyValueView<'_> {
        KeyValueView {
            grants: &self.component.grants.key_value,
            table: &mut self.table,
            trace: &self.trace,
        }
    }

    fn sqlite(&mut self) -> SqliteView<'_> {
        SqliteView {
            grants: &self.component.grants.sqlite,
            table: &mut self.table,
            trace: &self.trace,
        }
    }

    fn variables(&mut self) -> VariablesView<'_> {
        VariablesView {
            grants: &self.component.grants.variables,
        }
    }

    fn redis(&mut self) -> RedisView<'_> {
        RedisView {
            grants: &self.component.grants.redis,
            table: &mut self.table,
            trace: &self.trace,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

/// A linker with everything a component may import: WASI, outbound HTTP and Spin's
/// interfaces, each reached through its capability's view of the [`HostState`].
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::<HostState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    outbound_http::add_to_linker(&mut linker)?;
    key_value::add_to_linker(&mut linker, HostState::key_value)?;
    sqlite::add_to_linker(&mut linker, HostState::sqlite)?;
    variables::add_to_linker(&mut linker, HostState::variables)?;
    outbound_redis::add_to_linker(&mut linker, HostState::redis)?;
    Ok(linker)
}

/// How a guest invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum GuestFailure {
    #[error("component {0:?} is not part of this application")]
    UnknownComponent(String),
    #[error("component {0:?} does not export the handler this trigger calls")]
    NoHandler(String),
    #[error("trapped: {0:?}")]
    Trap(wasmtime::Error),
    #[error("did not finish within its {0:?} deadline")]
    Timeout(Duration),
    #[error("returned without sending a response")]
    NoResponse,
    #[error("handler returned an error")]
    HandlerError,
}

impl GuestFailure {
    /// The `kind` label of `wasmart_component_failures_total`.
    fn kind(&self) -> &'static str {
        match self {
            Self::UnknownComponent(_) | Self::NoHandler(_) => "no_handler",
            Self::Trap(_) => "trap",
            Self::Timeout(_) => "timeout",
            Self::NoResponse => "no_response",
            Self::HandlerError => "handler_error",
        }
    }
}

/// Limits on guest execution.
#[derive(Debug, Clone)]
pub struct ExecutionLimits {
    pub request_timeout: Duration,
    /// Client requests running at once (`--max-instances`).
    pub max_instances: u32,
    /// Event deliveries running at once (`--max-event-instances`).
    pub max_event_instances: u32,
}

/// The instance permits a top-level invocation draws from: client requests and event
/// deliveries have a budget each, so a flood of one never starves the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Http,
    Events,
}

/// Whom one invocation works for.
pub struct Invocation {
    /// What its log lines are prefixed with.
    pub correlation: Correlation,
    /// The span it runs under (a request's SERVER span, a delivery's CONSUMER span), when
    /// traced: the parent of its execution span.
    pub parent: Option<SpanContext>,
    /// Where its chained and self requests go.
    pub in_process: Arc<dyn InProcessRequests>,
}

/// A top-level invocation's place in the instance pool, held while it runs.
pub struct Admission<'a> {
    _permit: Option<tokio::sync::SemaphorePermit<'a>>,
    _running: GaugeGuard<'a>,
}

/// The application's components and what every invocation of them shares.
pub struct Executor {
    engine: Engine,
    components: HashMap<String, Arc<Component>>,
    limits: ExecutionLimits,
    http_permits: tokio::sync::Semaphore,
    event_permits: tokio::sync::Semaphore,
    access_log: AccessLog,
    metrics: Arc<Metrics>,
    tracer: Tracer,
}

impl Executor {
    /// Assembles an executor from linked components.
    pub fn new(
        engine: Engine,
        components: HashMap<String, Arc<Component>>,
        limits: ExecutionLimits,
        access_log: AccessLog,
        metrics: Arc<Metrics>,
        tracer: Tracer,
    ) -> Arc<Self> {
        let permits = |n: u32| tokio::sync::Semaphore::new(n.max(1) as usize);
        Arc::new(Self {
            engine,
            components,
            http_permits: permits(limits.max_instances),
            event_permits: permits(limits.max_event_instances),
            limits,
            access_log,
            metrics,
            tracer,
        })
    }

    /// What the host measures of the application (see `--metrics-listen`).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Starts the spans of the application's work (disabled without OTLP export).
    pub fn tracer(&self) -> &Tracer {
        &self.tracer
    }

    /// Where requests and event deliveries are recorded.
    pub fn access_log(&self) -> &AccessLog {
        &self.access_log
    }

    /// The deadline of every invocation.
    pub fn request_timeout(&self) -> Duration {
        self.limits.request_timeout
    }

    /// Component `id`.
    pub fn component(&self, id: &str) -> Result<&Arc<Component>, GuestFailure> {
        self.components
            .get(id)
            .ok_or_else(|| GuestFailure::UnknownComponent(id.to_string()))
    }

    /// Waits for an instance permit of `budget` (queueing when all of them are busy);
    /// chained and self requests run under their caller's admission instead.
    pub async fn admit(&self, budget: Budget) -> Admission<'_> {
        let permits = match budget {
            Budget::Http => &self.http_permits,
            Budget::Events => &self.event_permits,
        };
        let queued = self.metrics.queued();
        let permit = permits.acquire().await.ok();
        drop(queued);
        Admission {
            _permit: permit,
            _running: self.metrics.running(),
        }
    }

    /// A store for one `invocation` of `component`, with its deadline armed, and the
    /// invocation's execution span, the parent of its host calls' spans.
    pub fn new_store(
        &self,
        component: &Arc<Component>,
        invocation: Invocation,
    ) -> wasmtime::Result<(Store<HostState>, Span)> {
        let execution = execution_span(&self.tracer, &component.id, invocation.parent.as_ref());
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(component.log.stream(&invocation.correlation))
            .stderr(component.log.stream(&invocation.correlation))
            .envs(&component.environment);
        for mount in &component.mounts {
            wasi.preopened_dir(&mount.host, &mount.guest, FsPerms::ReadOnly)?;
        }
        let trace = CallTrace::new(self.tracer.clone(), execution.context());
        let state = HostState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outbound: OutboundHttp::new(
                component.grants.allowed_hosts.clone(),
                invocation.in_process,
                trace.clone(),
            ),
            component: component.clone(),
            trace,
            deadline: Instant::now() + self.limits.request_timeout,
        };
        let mut store = Store::new(&self.engine, state);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|store| {
            Ok(if Instant::now() >= store.data().deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        Ok((store, execution))
    }

    /// Reports `failure` of an invocation of `component`: the host's log, the failure
    /// metric, and a note in the component's log under the invocation's `correlation`.
    pub fn report(&self, component: &str, failure: &GuestFailure, correlation: &Correlation) {
        tracing::error!(component, "component failed: {failure}");
        self.metrics.record_failure(component, failure.kind());
        if let Ok(c) = self.component(component) {
            c.log
                .host_note(correlation, &format!("request failed: {failure}"));
        }
    }
}
