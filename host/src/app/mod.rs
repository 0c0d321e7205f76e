//! Loading an application the way `spin up` does: validate the manifest, resolve variables and
//! stores, compile and link every selected component once, then start its triggers.

mod components;
mod options;
mod running;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio_util::sync::CancellationToken;

use crate::capabilities::variables::ResolvedVariables;
use crate::engine::{self, EpochTicker};
use crate::executor::{self, Component, ExecutionLimits, Executor};
use crate::manifest::{ComponentDecl, Manifest, Route};
use crate::observability::access_log::AccessLog;
use crate::observability::metrics::Metrics;
use crate::observability::otlp::{self, ExportTask};
use crate::observability::trace::{TraceCounters, Tracer};
use crate::redis_server::PrivateRedis;
use crate::runtime_config::RuntimeConfig;
use crate::state_dir::StateDir;
use crate::triggers::http::dispatch::HttpTrigger;
use crate::triggers::http::limits::HttpLimits;
use crate::triggers::http::router::Router;
use crate::triggers::redis::delivery::RedisDelivery;
use crate::triggers::redis::RedisSubscription;
use components::{ComponentLoader, StoreRegistry};
pub use options::{AppOptions, DEFAULT_MAX_EVENT_INSTANCES};
pub use running::RunningApp;

/// A loaded application: components compiled and linked, stores opened, not yet serving.
pub struct App {
    manifest: Manifest,
    state: StateDir,
    executor: Arc<Executor>,
    http: Arc<HttpTrigger>,
    redis_subscriptions: Vec<RedisSubscription>,
    redis_addresses: Vec<String>,
    listen: SocketAddr,
    metrics_listen: Option<SocketAddr>,
    export: Option<(ExportTask, String)>,
    _ticker: EpochTicker,
}

/// The components of an application, loaded, and the Redis servers their stores use.
struct Loaded {
    components: HashMap<String, Arc<Component>>,
    redis_urls: Vec<String>,
}

impl App {
    /// Loads and validates everything `options` names; nothing is served yet.
    pub async fn load(options: &AppOptions) -> anyhow::Result<Self> {
        let manifest = Manifest::load(&options.manifest)?;
        let selected = select_components(&manifest, &options.component_ids)?;
        let http_limits = http_limits(&manifest, &options.http_limits)?;
        let state = StateDir::create(
            options
                .state_dir
                .clone()
                .unwrap_or_else(|| manifest.root.join(".spin")),
        )
        .context("creating the state dir")?;
        let runtime_config = match &options.runtime_config_file {
            Some(path) => RuntimeConfig::load(path, state.root())?,
            None => RuntimeConfig::defaults(state.root()),
        };
        let variables = ResolvedVariables::resolve(&manifest.variables, &options.variables, |k| {
            std::env::var(k).ok()
        })?;
        // The pool holds both budgets of top-level instances (see `executor::Budget`).
        let engine = engine::build(&engine::EngineOptions {
            max_instances: options.engine.max_instances + options.max_event_instances,
            ..options.engine.clone()
        })?;
        let ticker = EpochTicker::start(&engine);
        let trace_counters = Arc::new(TraceCounters::default());
        let mut metrics = Metrics::new(options.metrics_listen.is_some());
        if options.otlp.is_some() {
            metrics = metrics.with_trace_counters(trace_counters.clone());
        }
        let metrics = Arc::new(metrics);
        let loader = ComponentLoader {
            engine: &engine,
            linker: &executor::linker(&engine)?,
            state: &state,
            variables: &variables,
            metrics: &metrics,
            options,
            secrets: Arc::from(variables.secrets().to_vec()),
        };
        let loaded = load_components(&loader, &selected, &runtime_config)?;
        let components = loaded.components;
        let router = http_routes(&manifest, &components)?;
        let redis_subscriptions = redis_subscriptions(&manifest, &components, &variables)?;
        let mut redis_addresses: Vec<String> = redis_subscriptions
            .iter()
            .map(|s| s.address.clone())
            .chain(loaded.redis_urls)
            .collect();
        redis_addresses.sort();
        redis_addresses.dedup();

        let console = options.console_logs.then_some(options.log_format);
        let access_log =
            AccessLog::open(&state.access_log(), console).context("opening the access log")?;
        let limits = ExecutionLimits {
            request_timeout: options.request_timeout,
            max_instances: options.engine.max_instances,
            max_event_instances: options.max_event_instances,
        };
        let (tracer, export) = start_tracing(options, &manifest, trace_counters)?;
        let executor = Executor::new(engine, components, limits, access_log, metrics, tracer);
        Ok(Self {
            manifest,
            state,
            http: HttpTrigger::new(executor.clone(), router, http_limits),
            executor,
            redis_subscriptions,
            redis_addresses,
            listen: options.listen,
            metrics_listen: options.metrics_listen,
            export,
            _ticker: ticker,
        })
    }

    /// The loaded manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Binds the listener, starts a private Redis where one is needed and nothing answers,
    /// subscribes the Redis triggers and serves HTTP until [`RunningApp::shutdown`].
    pub async fn start(self) -> anyhow::Result<RunningApp> {
        let mut private_redis = Vec::new();
        for address in &self.redis_addresses {
            if let Some(server) =
                PrivateRedis::start_if_absent(address, &self.state.redis()).await?
            {
                private_redis.push(server);
            }
        }
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("listening on {}", self.listen))?;
        let addr = listener.local_addr()?;
        self.http.set_listen_addr(addr);
        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();
        let delivery = Arc::new(RedisDelivery::new(self.executor.clone(), self.http.clone()));
        for subscription in self.redis_subscriptions {
            let (task, subscribed) = subscription.spawn(delivery.clone(), shutdown.clone());
            tasks.push(task);
            if tokio::time::timeout(Duration::from_secs(10), subscribed)
                .await
                .is_err()
            {
                tracing::warn!("a Redis trigger is not subscribed yet; it keeps retrying");
            }
        }
        let metrics_addr = match self.metrics_listen {
            Some(address) => {
                let (bound, task) = serve_metrics(address, &self.executor, &shutdown).await?;
                tasks.push(task);
                Some(bound)
            }
            None => None,
        };
        let server = tokio::spawn(crate::triggers::http::server::serve(
            listener,
            self.http.clone(),
            shutdown.clone(),
        ));
        Ok(RunningApp {
            addr,
            metrics_addr,
            export: self.export,
            executor: self.executor,
            http: self.http,
            state: self.state,
            shutdown,
            server,
            tasks,
            private_redis,
            _ticker: self._ticker,
        })
    }
}

/// `limits` with each component's `tool.wasmart.max_body_bytes` where no
/// `--component-max-body-bytes` names it (the flag wins); a flag naming no component is an error.
fn http_limits(manifest: &Manifest, limits: &HttpLimits) -> anyhow::Result<HttpLimits> {
    if let Some(id) = limits
        .component_max_body_bytes
        .keys()
        .find(|id| !manifest.components.contains_key(*id))
    {
        bail!("--component-max-body-bytes {id}=...: the manifest has no component {id:?}");
    }
    let mut limits = limits.clone();
    for (id, component) in &manifest.components {
        if let Some(bytes) = component.max_body_bytes {
            limits
                .component_max_body_bytes
                .entry(id.clone())
                .or_insert(bytes);
        }
    }
    Ok(limits)
}

/// Serves `GET /metrics` on `address` until `shutdown`; returns the bound address.
async fn serve_metrics(
    address: SocketAddr,
    executor: &Executor,
    shutdown: &CancellationToken,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("listening for metrics on {address}"))?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(crate::observability::metrics_server::serve(
        listener,
        executor.metrics().clone(),
        shutdown.clone(),
    ));
    Ok((bound, task))
}

/// Compiles and links every selected component, opening the stores they are granted.
fn load_components(
    loader: &ComponentLoader<'_>,
    selected: &[&ComponentDecl],
    runtime_config: &RuntimeConfig,
) -> anyhow::Result<Loaded> {
    let mut stores = StoreRegistry::new(runtime_config);
    let mut components = HashMap::new();
    for decl in selected {
        let component = loader
            .load(decl, &mut stores)
            .with_context(|| format!("component {:?}", decl.id))?;
        components.insert(decl.id.clone(), Arc::new(component));
    }
    Ok(Loaded {
        components,
        redis_urls: stores.redis_urls,
    })
}

/// The public routes of the loaded components; each HTTP-triggered component must export
/// the HTTP handler.
fn http_routes(
    manifest: &Manifest,
    components: &HashMap<String, Arc<Component>>,
) -> anyhow::Result<Router> {
    let triggers = manifest
        .http_triggers
        .iter()
        .filter(|t| components.contains_key(&t.component));
    let mut public_routes = Vec::new();
    for trigger in triggers {
        if components[&trigger.component].http.is_none() {
            bail!(
                "component {:?} has an HTTP trigger but does not export wasi:http/incoming-handler",
                trigger.component
            );
        }
        if let Route::Path(route) = &trigger.route {
            public_routes.push((route.as_str(), trigger.component.as_str()));
        }
    }
    Ok(Router::new(public_routes)?)
}

/// One subscription per Redis address, with the channels of the loaded components' triggers.
fn redis_subscriptions(
    manifest: &Manifest,
    components: &HashMap<String, Arc<Component>>,
    variables: &ResolvedVariables,
) -> anyhow::Result<Vec<RedisSubscription>> {
    let mut subscriptions = Vec::<RedisSubscription>::new();
    for trigger in manifest
        .redis_triggers
        .iter()
        .filter(|t| components.contains_key(&t.component))
    {
        if components[&trigger.component].redis.is_none() {
            bail!(
                "component {:?} has a Redis trigger but does not export fermyon:spin/inbound-redis",
                trigger.component
            );
        }
        let address = variables.render(&trigger.address)?;
        let channel = variables.render(&trigger.channel)?;
        match subscriptions.iter_mut().find(|s| s.address == address) {
            Some(s) => s.add(channel, trigger.component.clone()),
            None => {
                let mut s = RedisSubscription::new(address);
                s.add(channel, trigger.component.clone());
                subscriptions.push(s);
            }
        }
    }
    Ok(subscriptions)
}

/// The tracer of the application's spans and, when `OTEL_*` asks for export, the exporter
/// and a description of where it sends.
fn start_tracing(
    options: &AppOptions,
    manifest: &Manifest,
    counters: Arc<TraceCounters>,
) -> anyhow::Result<(Tracer, Option<(ExportTask, String)>)> {
    let Some(config) = &options.otlp else {
        return Ok((Tracer::default(), None));
    };
    let resource = config.resource(&manifest.name);
    let described = format!("{} ({})", config.endpoint, config.protocol);
    let (tracer, task) =
        otlp::start(config.clone(), resource, counters).context("starting the trace exporter")?;
    Ok((tracer, Some((task, described))))
}

fn select_components<'m>(
    manifest: &'m Manifest,
    ids: &[String],
) -> anyhow::Result<Vec<&'m ComponentDecl>> {
    if ids.is_empty() {
        return Ok(manifest.components.values().collect());
    }
    ids.iter()
        .map(|id| {
            manifest.components.get(id).with_context(|| {
                let known: Vec<_> = manifest.components.keys().collect();
                format!("--component-id {id:?}: no such component; the manifest has {known:?}")
            })
        })
        .collect()
}
