//! `wasmart`: the command line, mirroring `spin build` and `spin up`.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use wasmart_host::engine::EngineOptions;
use wasmart_host::manifest::Manifest;
use wasmart_host::observability::access_log::LogFormat;
use wasmart_host::observability::otlp::OtlpConfig;
use wasmart_host::triggers::http::limits::HttpLimits;
use wasmart_host::{App, AppOptions, DEFAULT_MAX_EVENT_INSTANCES};

/// Runs Spin applications on wasmtime.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run each component's build command (like `spin build`).
    Build(BuildArgs),
    /// Serve the application (like `spin up`).
    Up(Box<UpArgs>),
}

#[derive(Args)]
struct BuildArgs {
    /// The application manifest.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    manifest: PathBuf,
    /// Build only these components.
    #[arg(short = 'c', long = "component-id")]
    component_ids: Vec<String>,
}

#[derive(Args)]
struct UpArgs {
    /// The application manifest.
    #[arg(short = 'f', long = "from", default_value = "spin.toml")]
    manifest: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// How requests and event deliveries are echoed on the console (the access log file is
    /// always JSON).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Serve Prometheus metrics at http://ADDR/metrics (an admin address, off the public one).
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
    /// Build the components first.
    #[arg(long)]
    build: bool,
    /// Runtime configuration: key-value and SQLite backends per label.
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
    /// Where databases, logs and the private Redis live [default: .spin next to the manifest].
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Run only this component (repeatable).
    #[arg(short = 'c', long = "component-id")]
    component_ids: Vec<String>,
    /// Environment variable for every component, KEY=VALUE (repeatable).
    #[arg(short = 'e', long = "env", value_parser = parse_pair)]
    env: Vec<(String, String)>,
    /// Application variable, name=value (repeatable); also SPIN_VARIABLE_<NAME>.
    #[arg(long = "variable", value_parser = parse_pair)]
    variables: Vec<(String, String)>,
    /// Instances that may serve client requests at once; more requests wait in a queue.
    #[arg(long, default_value_t = 256)]
    max_instances: u32,
    /// Instances that may handle Redis events at once (a budget apart from requests').
    #[arg(long, default_value_t = DEFAULT_MAX_EVENT_INSTANCES)]
    max_event_instances: u32,
    /// Memory cap per instance, in MiB.
    #[arg(long, default_value_t = 128)]
    instance_memory_mb: u64,
    /// Deadline of one request or event, in seconds.
    #[arg(long, default_value_t = 30)]
    request_timeout_secs: u64,
    #[command(flatten)]
    http: HttpLimitArgs,
    /// Do not echo component output to the console (it is still written to the logs).
    #[arg(long)]
    quiet: bool,
}

/// What the HTTP server allows one client (see docs/security.md).
#[derive(Args)]
struct HttpLimitArgs {
    /// Seconds a client has to send a request head (also closes idle keep-alive connections).
    #[arg(long, default_value_t = defaults().header_read_timeout.as_secs())]
    header_read_timeout_secs: u64,
    /// Header fields allowed in one request.
    #[arg(long, default_value_t = defaults().max_headers)]
    max_headers: usize,
    /// Bytes allowed in one request head.
    #[arg(long, default_value_t = defaults().max_header_bytes)]
    max_header_bytes: usize,
    /// Longest pause, in seconds, between two pieces of a request body.
    #[arg(long, default_value_t = defaults().body_idle_timeout.as_secs())]
    body_idle_timeout_secs: u64,
    /// Seconds a client has to send a whole request body.
    #[arg(long, default_value_t = defaults().body_timeout.as_secs())]
    body_timeout_secs: u64,
    /// Request body bytes allowed (413 beyond).
    #[arg(long, default_value_t = defaults().max_body_bytes)]
    max_body_bytes: u64,
    /// A component's own request body limit, ID=BYTES (repeatable).
    #[arg(long, value_parser = parse_pair)]
    component_max_body_bytes: Vec<(String, String)>,
    /// Connections open at once; more wait in the listen backlog.
    #[arg(long, default_value_t = defaults().max_connections)]
    max_connections: usize,
    /// Connections open at once from one client address (IPv6: per /64); more are closed.
    #[arg(long, default_value_t = defaults().max_connections_per_client)]
    max_connections_per_client: usize,
}

fn defaults() -> HttpLimits {
    HttpLimits::default()
}

impl HttpLimitArgs {
    fn limits(self) -> anyhow::Result<HttpLimits> {
        let component_max_body_bytes = self
            .component_max_body_bytes
            .into_iter()
            .map(|(id, bytes)| {
                let bytes = bytes.parse().with_context(|| {
                    format!("--component-max-body-bytes {id}={bytes}: not a number of bytes")
                })?;
                Ok((id, bytes))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(HttpLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            max_headers: self.max_headers,
            max_header_bytes: self.max_header_bytes,
            body_idle_timeout: Duration::from_secs(self.body_idle_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
            max_body_bytes: self.max_body_bytes,
            component_max_body_bytes,
            max_connections: self.max_connections,
            max_connections_per_client: self.max_connections_per_client,
        })
    }
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {text:?}"))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "wasmart_host=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build(args) => {
            let manifest = Manifest::load(&args.manifest)?;
            wasmart_host::build::build_components(&manifest, &args.component_ids)
        }
        Command::Up(args) => up(*args).await,
    }
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    // Like `spin up`: OTLP trace export is configured by the standard OTEL_* variables.
    let otlp = OtlpConfig::from_env(|name| std::env::var(name).ok())
        .context("tracing (OTEL_* environment variables)")?;
    if args.build {
        let manifest = Manifest::load(&args.manifest)?;
        wasmart_host::build::build_components(&manifest, &args.component_ids)?;
    }
    let options = AppOptions {
        manifest: args.manifest,
        state_dir: args.state_dir,
        runtime_config_file: args.runtime_config_file,
        variables: args.variables,
        env: args.env,
        component_ids: args.component_ids,
        listen: args.listen,
        metrics_listen: args.metrics_listen,
        engine: EngineOptions {
            max_instances: args.max_instances,
            instance_memory_mb: args.instance_memory_mb,
            ..EngineOptions::default()
        },
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        max_event_instances: args.max_event_instances,
        http_limits: args.http.limits()?,
        console_logs: !args.quiet,
        log_format: args.log_format,
        otlp,
    };
    let running = App::load(&options).await?.start().await?;
    println!(
        "Logging component stdio to {}",
        running.state_dir().logs().display()
    );
    print!("{}", running.banner());
    wait_for_signal().await?;
    println!("Shutting down: finishing in-flight requests");
    running.shutdown().await
}

/// Resolves on Ctrl-C or SIGTERM.
async fn wait_for_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
