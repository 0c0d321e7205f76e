//! Loading an application the way `spin up` does: validate the manifest, resolve variables and
//! stores, compile and link every selected component once, then start its triggers.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio_util::sync::CancellationToken;
use wasmtime::component::{HasSelf, Linker};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::allowed_hosts::AllowedHosts;
use crate::bindings::redis_handler::RedisHandlerPre;
use crate::bindings::spin_imports::SpinImports;
use crate::capabilities::key_value::{self, KeyValueStore, RedisKeyValue, SqliteKeyValue};
use crate::capabilities::outbound_http;
use crate::capabilities::outbound_redis;
use crate::capabilities::sqlite::{self, SqliteDatabase};
use crate::capabilities::variables::ResolvedVariables;
use crate::engine::{self, EngineOptions, EpochTicker};
use crate::executor::{
    Component, ExecutionLimits, Executor, Grants, HostCallMetrics, HostState, Mount,
};
use crate::manifest::{ComponentDecl, FileMount, Manifest, Route};
use crate::observability::access_log::{AccessLog, LogFormat};
use crate::observability::component_log::ComponentLog;
use crate::observability::metrics::{HostInterface, Metrics};
use crate::observability::otlp::{self, ExportTask, OtlpConfig};
use crate::observability::trace::{TraceCounters, Tracer};
use crate::redis_server::PrivateRedis;
use crate::runtime_config::{KeyValueBackend, RuntimeConfig};
use crate::state_dir::StateDir;
use crate::triggers::http::router::Router;
use crate::triggers::redis::RedisSubscription;

/// How to run an application: the `up` command's flags.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub manifest: PathBuf,
    /// Defaults to `.spin` next to the manifest.
    pub state_dir: Option<PathBuf>,
    pub runtime_config_file: Option<PathBuf>,
    /// `--variable name=value`.
    pub variables: Vec<(String, String)>,
    /// `--env KEY=VALUE`: environment variables for every component.
    pub env: Vec<(String, String)>,
    /// `--component-id`: run only these components (and their triggers); empty runs all.
    pub component_ids: Vec<String>,
    pub listen: SocketAddr,
    /// `--metrics-listen`: where to serve `GET /metrics` (Prometheus); off when `None`.
    pub metrics_listen: Option<SocketAddr>,
    pub engine: EngineOptions,
    pub request_timeout: Duration,
    /// Echo component output to the console, prefixed with the component id, and every
    /// request and event delivery in `log_format`.
    pub console_logs: bool,
    /// `--log-format`: how requests and event deliveries are echoed on the console.
    pub log_format: LogFormat,
    /// Where to export spans (from the `OTEL_*` environment variables); off when `None`.
    pub otlp: Option<OtlpConfig>,
}

impl AppOptions {
    /// Defaults for the manifest at `manifest`.
    pub fn new(manifest: impl Into<PathBuf>) -> Self {
        Self {
            manifest: manifest.into(),
            state_dir: None,
            runtime_config_file: None,
            variables: Vec::new(),
            env: Vec::new(),
            component_ids: Vec::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            metrics_listen: None,
            engine: EngineOptions::default(),
            request_timeout: Duration::from_secs(30),
            console_logs: true,
            log_format: LogFormat::Text,
            otlp: None,
        }
    }
}

/// A loaded application: components compiled and linked, stores opened, not yet serving.
pub struct App {
    manifest: Manifest,
    state: StateDir,
    executor: Arc<Executor>,
    redis_subscriptions: Vec<RedisSubscription>,
    redis_addresses: Vec<String>,
    listen: SocketAddr,
    metrics_listen: Option<SocketAddr>,
    export: Option<(ExportTask, String)>,
    _ticker: EpochTicker,
}

impl App {
    /// Loads and validates everything `options` names; nothing is served yet.
    pub async fn load(options: &AppOptions) -> anyhow::Result<Self> {
        let manifest = Manifest::load(&options.manifest)?;
        let selected = select_components(&manifest, &options.component_ids)?;
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
        let secrets: Arc<[String]> = Arc::from(variables.secrets().to_vec());

        let engine = engine::build(&options.engine)?;
        let ticker = EpochTicker::start(&engine);
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        outbound_http::add_to_linker(&mut linker)?;
        SpinImports::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |state| state)?;

        let trace_counters = Arc::new(TraceCounters::default());
        let mut metrics = Metrics::new(options.metrics_listen.is_some());
        if options.otlp.is_some() {
            metrics = metrics.with_trace_counters(trace_counters.clone());
        }
        let metrics = Arc::new(metrics);

        let mut stores = StoreRegistry::default();
        let mut components = HashMap::new();
        for decl in &selected {
            let component = ComponentLoader {
                engine: &engine,
                linker: &linker,
                state: &state,
                variables: &variables,
                metrics: &metrics,
                options,
            }
            .load(decl, &runtime_config, &mut stores, secrets.clone())
            .await
            .with_context(|| format!("component {:?}", decl.id))?;
            components.insert(decl.id.clone(), Arc::new(component));
        }

        let public_routes: Vec<(&str, &str)> = manifest
            .http_triggers
            .iter()
            .filter(|t| components.contains_key(&t.component))
            .filter_map(|t| match &t.route {
                Route::Path(route) => Some((route.as_str(), t.component.as_str())),
                Route::Private => None,
            })
            .collect();
        let router = Router::new(public_routes)?;
        for trigger in manifest
            .http_triggers
            .iter()
            .filter(|t| components.contains_key(&t.component))
        {
            if components[&trigger.component].http.is_none() {
                bail!("component {:?} has an HTTP trigger but does not export wasi:http/incoming-handler", trigger.component);
            }
        }
        let mut redis_subscriptions = Vec::<RedisSubscription>::new();
        for trigger in manifest
            .redis_triggers
            .iter()
            .filter(|t| components.contains_key(&t.component))
        {
            if components[&trigger.component].redis.is_none() {
                bail!("component {:?} has a Redis trigger but does not export fermyon:spin/inbound-redis", trigger.component);
            }
            let address = variables.render(&trigger.address)?;
            let channel = variables.render(&trigger.channel)?;
            match redis_subscriptions
                .iter_mut()
                .find(|s| s.address == address)
            {
                Some(s) => s.add(channel, trigger.component.clone()),
                None => {
                    let mut s = RedisSubscription::new(address);
                    s.add(channel, trigger.component.clone());
                    redis_subscriptions.push(s);
                }
            }
        }
        let mut redis_addresses: Vec<String> = redis_subscriptions
            .iter()
            .map(|s| s.address.clone())
            .collect();
        redis_addresses.extend(stores.redis_urls);
        redis_addresses.sort();
        redis_addresses.dedup();

        let console = options.console_logs.then_some(options.log_format);
        let access_log =
            AccessLog::open(&state.access_log(), console).context("opening the access log")?;
        let limits = ExecutionLimits {
            request_timeout: options.request_timeout,
            max_instances: options.engine.max_instances,
        };
        let (tracer, export) = match &options.otlp {
            Some(config) => {
                let resource = config.resource(&manifest.name);
                let described = format!("{} ({})", config.endpoint, config.protocol);
                let (tracer, task) = otlp::start(config.clone(), resource, trace_counters)
                    .context("starting the trace exporter")?;
                (tracer, Some((task, described)))
            }
            None => (Tracer::default(), None),
        };
        let executor = Executor::new(
            engine, components, router, limits, access_log, metrics, tracer,
        );
        Ok(Self {
            manifest,
            state,
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
        self.executor.set_listen_addr(addr);
        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();
        for subscription in self.redis_subscriptions {
            let (task, subscribed) = subscription.spawn(self.executor.clone(), shutdown.clone());
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
                let listener = tokio::net::TcpListener::bind(address)
                    .await
                    .with_context(|| format!("listening for metrics on {address}"))?;
                let bound = listener.local_addr()?;
                tasks.push(tokio::spawn(crate::observability::metrics_server::serve(
                    listener,
                    self.executor.metrics().clone(),
                    shutdown.clone(),
                )));
                Some(bound)
            }
            None => None,
        };
        let server = tokio::spawn(crate::triggers::http::server::serve(
            listener,
            self.executor.clone(),
            shutdown.clone(),
        ));
        Ok(RunningApp {
            addr,
            metrics_addr,
            export: self.export,
            executor: self.executor,
            state: self.state,
            shutdown,
            server,
            tasks,
            private_redis,
            _ticker: self._ticker,
        })
    }
}

/// An application serving requests.
pub struct RunningApp {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    /// The trace exporter and where it sends.
    export: Option<(ExportTask, String)>,
    executor: Arc<Executor>,
    state: StateDir,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    private_redis: Vec<PrivateRedis>,
    _ticker: EpochTicker,
}

impl RunningApp {
    /// The address the HTTP trigger listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the metrics listener, if one was asked for.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The metrics as `GET /metrics` renders them.
    pub fn metrics_text(&self) -> String {
        self.executor.metrics().render()
    }

    /// Sends `request` to component `id` the way service chaining does
    /// (`http://<id>.spin.internal/...`): private routes included, in-process.
    pub async fn call_component(
        &self,
        id: &str,
        request: http::Request<bytes::Bytes>,
    ) -> anyhow::Result<http::Response<crate::executor::ResponseBody>> {
        use http_body_util::{BodyExt, Full};
        let request = request.map(|body| {
            Full::new(body)
                .map_err(|never| match never {})
                .boxed_unsync()
        });
        self.executor
            .handle_chained_request(id, request)
            .await
            .map_err(|error| anyhow::anyhow!("calling component {id}: {error}"))
    }

    /// The application's state dir.
    pub fn state_dir(&self) -> &StateDir {
        &self.state
    }

    /// `spin up`'s banner: the address and every public route.
    pub fn banner(&self) -> String {
        let mut out = format!("Serving http://{}\n", self.addr);
        if let Some(metrics) = self.metrics_addr {
            out.push_str(&format!("Metrics at http://{metrics}/metrics\n"));
        }
        if let Some((_, endpoint)) = &self.export {
            out.push_str(&format!("Exporting traces to {endpoint}\n"));
        }
        out.push_str("Available Routes:\n");
        for (route, component, wildcard) in self.executor.router().routes() {
            let path = route.strip_suffix("/...").unwrap_or(route);
            let path = if path.is_empty() { "/" } else { path };
            let suffix = if wildcard { " (wildcard)" } else { "" };
            out.push_str(&format!(
                "  {component}: http://{}{path}{suffix}\n",
                self.addr
            ));
        }
        out
    }

    /// Mean time to create a store and instantiate component `id` (see
    /// [`Executor::time_instantiation`]).
    pub async fn time_instantiation(&self, id: &str, iterations: u32) -> anyhow::Result<Duration> {
        self.executor.time_instantiation(id, iterations).await
    }

    /// Stops accepting, lets in-flight requests finish, stops triggers, exports the last
    /// spans, and stops private Redis.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        let served = self.server.await.context("HTTP server task")?;
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        if let Some((export, _)) = self.export.take() {
            export.shutdown().await;
        }
        for server in &mut self.private_redis {
            server.stop().await;
        }
        served
    }
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

/// Backends opened so far, so that components granted the same label share one.
#[derive(Default)]
struct StoreRegistry {
    key_value: BTreeMap<String, Arc<dyn KeyValueStore>>,
    sqlite: BTreeMap<String, Arc<SqliteDatabase>>,
    redis_urls: Vec<String>,
}

impl StoreRegistry {
    async fn key_value(
        &mut self,
        label: &str,
        config: &RuntimeConfig,
    ) -> anyhow::Result<Arc<dyn KeyValueStore>> {
        if let Some(store) = self.key_value.get(label) {
            return Ok(store.clone());
        }
        let store: Arc<dyn KeyValueStore> = match config.key_value(label) {
            Some(KeyValueBackend::Sqlite { path }) => Arc::new(SqliteKeyValue::open(path, label)?),
            Some(KeyValueBackend::Redis { url }) => {
                self.redis_urls.push(url.clone());
                Arc::new(RedisKeyValue::new(url.clone()))
            }
            None => bail!(
                "key_value_stores names {label:?}, which is not defined: add [key_value_store.{label}] to a runtime config file (--runtime-config-file)"
            ),
        };
        self.key_value.insert(label.to_string(), store.clone());
        Ok(store)
    }

    fn sqlite(
        &mut self,
        label: &str,
        config: &RuntimeConfig,
    ) -> anyhow::Result<Arc<SqliteDatabase>> {
        if let Some(db) = self.sqlite.get(label) {
            return Ok(db.clone());
        }
        let Some(backend) = config.sqlite(label) else {
            bail!(
                "sqlite_databases names {label:?}, which is not defined: add [sqlite_database.{label}] to a runtime config file (--runtime-config-file)"
            );
        };
        let db = SqliteDatabase::open(&backend.path)?;
        self.sqlite.insert(label.to_string(), db.clone());
        Ok(db)
    }
}

/// Builds one [`Component`] from its manifest entry.
struct ComponentLoader<'a> {
    engine: &'a wasmtime::Engine,
    linker: &'a Linker<HostState>,
    state: &'a StateDir,
    variables: &'a ResolvedVariables,
    metrics: &'a Metrics,
    options: &'a AppOptions,
}

impl ComponentLoader<'_> {
    async fn load(
        &self,
        decl: &ComponentDecl,
        runtime_config: &RuntimeConfig,
        stores: &mut StoreRegistry,
        secrets: Arc<[String]>,
    ) -> anyhow::Result<Component> {
        let mut key_value = HashMap::new();
        for label in &decl.key_value_stores {
            key_value.insert(
                label.clone(),
                stores.key_value(label, runtime_config).await?,
            );
        }
        let mut sqlite = HashMap::new();
        for label in &decl.sqlite_databases {
            sqlite.insert(label.clone(), stores.sqlite(label, runtime_config)?);
        }
        let metrics = self.host_call_metrics(decl);
        let mut variables = BTreeMap::new();
        for (name, template) in &decl.variables {
            variables.insert(name.clone(), self.variables.render(template)?);
        }
        let hosts = decl
            .allowed_outbound_hosts
            .iter()
            .map(|t| self.variables.render(t))
            .collect::<Result<Vec<_>, _>>()?;
        let allowed_hosts = Arc::new(AllowedHosts::parse(&hosts)?);

        let wasm =
            wasmtime::component::Component::from_file(self.engine, &decl.source).map_err(|e| {
                anyhow::Error::from(e).context(format!("compiling {}", decl.source.display()))
            })?;
        let pre = self.linker.instantiate_pre(&wasm).map_err(|e| {
            anyhow::Error::from(e).context("it imports something this host does not provide")
        })?;
        let http = ProxyPre::new(pre.clone()).ok();
        let redis = RedisHandlerPre::new(pre).ok();

        let mut environment: Vec<(String, String)> = decl.environment.clone().into_iter().collect();
        environment.extend(self.options.env.iter().cloned());
        Ok(Component {
            id: decl.id.clone(),
            grants: Grants {
                key_value,
                sqlite,
                variables,
                allowed_hosts,
            },
            environment,
            mounts: self.mounts(decl)?,
            log: ComponentLog::open(
                &decl.id,
                &self.state.component_log(&decl.id),
                self.options.console_logs,
                secrets,
            )?,
            metrics,
            http,
            redis,
        })
    }

    /// The component's host-call series, one per granted label (none when metrics are off).
    fn host_call_metrics(&self, decl: &ComponentDecl) -> HostCallMetrics {
        let id = decl.id.as_str();
        let per_label = |interface, labels: &[String], operations| {
            labels
                .iter()
                .filter_map(|label| {
                    let stats =
                        self.metrics
                            .operation_stats(interface, &[id, label], operations)?;
                    Some((label.clone(), stats))
                })
                .collect()
        };
        HostCallMetrics {
            key_value: per_label(
                HostInterface::KeyValue,
                &decl.key_value_stores,
                key_value::OPERATIONS,
            ),
            sqlite: per_label(
                HostInterface::Sqlite,
                &decl.sqlite_databases,
                sqlite::OPERATIONS,
            ),
            redis: self.metrics.operation_stats(
                HostInterface::Redis,
                &[id],
                outbound_redis::OPERATIONS,
            ),
            published: self.metrics.published_messages(id),
        }
    }

    /// Folders the component sees: mapped folders directly, everything else staged.
    fn mounts(&self, decl: &ComponentDecl) -> anyhow::Result<Vec<Mount>> {
        let staged = self.state.staged_files(&decl.id);
        let _ = std::fs::remove_dir_all(&staged);
        let mut mounts = Vec::new();
        let mut staged_any = false;
        for files in &decl.files {
            match files {
                FileMount::Mapping {
                    source,
                    destination,
                } if source.is_dir() => {
                    mounts.push(Mount {
                        host: source.clone(),
                        guest: destination.clone(),
                    });
                }
                FileMount::Mapping {
                    source,
                    destination,
                } => {
                    stage(source, &staged.join(destination.trim_start_matches('/')))?;
                    staged_any = true;
                }
                FileMount::Glob(pattern) => {
                    let root = self
                        .options
                        .manifest
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    let root = std::path::absolute(root)?;
                    let full = root.join(pattern);
                    for path in glob::glob(&full.to_string_lossy())?
                        .filter_map(Result::ok)
                        .filter(|p| p.is_file())
                    {
                        let relative = path.strip_prefix(&root).unwrap_or(&path);
                        stage(&path, &staged.join(relative))?;
                        staged_any = true;
                    }
                }
            }
        }
        if staged_any {
            mounts.push(Mount {
                host: staged,
                guest: "/".into(),
            });
        }
        Ok(mounts)
    }
}

fn stage(source: &Path, destination: &Path) -> anyhow::Result<()> {
    if let Some(dir) = destination.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(source, destination)
        .with_context(|| format!("copying {} for `files`", source.display()))?;
    Ok(())
}
