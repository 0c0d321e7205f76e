//! The split topology: the same `spin.toml` and `.wasm` files run by four `wasmart up`
//! processes, each with `--component-id`s of one service group on its own loopback port,
//! sharing one Redis for events. The gateway reaches the services through their
//! `<service>_origin`/`<service>_path` variables; services in one process still chain. The
//! customer and admin journeys pass on it exactly as on one process.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use wasmart_host::testing::{HttpClient, RedisServer};

use crate::gateway::client::Api;
use crate::gateway::journeys::{admin_journey, customer_journey};
use crate::support::{manifest_with_built, required_variables, Deployment, TestResponse, SERVICES};
use crate::{built_components, workspace_root};

/// The service groups, one host process each, in start order (a group only calls groups
/// before it); the same groups as the SpinApps in `deploy/spinkube/split/`.
pub const GROUPS: &[(&str, &[&str])] = &[
    ("catalog", &["catalog"]),
    ("shopping", &["accounts", "cart"]),
    ("orders", &["orders", "payments", "notifications"]),
    ("edge", &["web", "gateway", "telemetry", "alerts"]),
];

/// A `wasmart up` process serving one group; killed when dropped.
struct HostProcess {
    _child: Child,
    origin: String,
}

/// The shop split over one host process per group.
pub struct SplitShop {
    processes: Vec<(&'static str, HostProcess)>,
    _redis: RedisServer,
    client: HttpClient,
    _dir: tempfile::TempDir,
}

impl SplitShop {
    /// Starts every group in order, each told where the services of earlier groups listen.
    pub async fn start() -> Self {
        let mut packages: Vec<&str> = vec!["web"];
        packages.extend_from_slice(SERVICES);
        let manifest_text = manifest_with_built(&built_components(&packages));
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("spin.toml");
        std::fs::write(&manifest, manifest_text).unwrap();
        let redis = RedisServer::start().await.expect("starting redis-server");
        let redis_host = redis.url().trim_start_matches("redis://").to_owned();
        let binary = host_binary();
        let mut processes: Vec<(&'static str, HostProcess)> = Vec::new();
        for (group, components) in GROUPS {
            let mut variables = required_variables(&redis_host);
            for (started, process) in &processes {
                let (_, served) = GROUPS.iter().find(|(name, _)| name == started).unwrap();
                for service in served.iter().filter(|c| SERVICES.contains(c)) {
                    variables.push((format!("{service}_origin"), process.origin.clone()));
                    variables.push((format!("{service}_path"), format!("/internal/{service}")));
                }
            }
            let state_dir = dir.path().join(group);
            std::fs::create_dir_all(&state_dir).unwrap();
            let process =
                HostProcess::start(&binary, &manifest, &state_dir, components, &variables).await;
            processes.push((group, process));
        }
        Self {
            processes,
            _redis: redis,
            client: HttpClient::new(),
            _dir: dir,
        }
    }

    /// Where group `name` listens, `http://127.0.0.1:PORT`.
    pub fn origin(&self, name: &str) -> &str {
        let (_, process) = self
            .processes
            .iter()
            .find(|(group, _)| *group == name)
            .unwrap_or_else(|| panic!("no group {name}"));
        &process.origin
    }
}

impl Deployment for SplitShop {
    async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> anyhow::Result<TestResponse> {
        self.client
            .request(self.origin("edge"), method, path, headers, body)
            .await
    }
}

impl HostProcess {
    /// Runs `wasmart up` for `components` on a free loopback port and waits until it serves.
    async fn start(
        binary: &Path,
        manifest: &Path,
        state_dir: &Path,
        components: &[&str],
        variables: &[(String, String)],
    ) -> Self {
        let runtime_config = state_dir.join("runtime-config.toml");
        std::fs::copy(
            workspace_root().join("runtime-config.toml"),
            &runtime_config,
        )
        .unwrap();
        let mut command = Command::new(binary);
        command
            .arg("up")
            .arg("--from")
            .arg(manifest)
            .args(["--listen", "127.0.0.1:0", "--quiet"])
            .arg("--state-dir")
            .arg(state_dir)
            .arg("--runtime-config-file")
            .arg(&runtime_config);
        for component in components {
            command.args(["--component-id", component]);
        }
        for (name, value) in variables {
            command.arg("--variable").arg(format!("{name}={value}"));
        }
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("running {}: {error}", binary.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let serving = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(origin) = line.strip_prefix("Serving ") {
                    return Some(origin.trim().to_owned());
                }
            }
            None
        })
        .await;
        let origin = match serving {
            Ok(Some(origin)) => origin,
            other => panic!("{components:?} did not start serving: {other:?}"),
        };
        // Keep reading the banner and later output so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            _child: child,
            origin,
        }
    }
}

/// `<target>/release/wasmart`, built unless `WASMART_COMPONENTS_PREBUILT` says the suite's
/// build made it (`cargo test -p wasmart-host` does, for the CLI tests).
fn host_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    if std::env::var_os("WASMART_COMPONENTS_PREBUILT").is_none() {
        let status =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args([
                    "build",
                    "--quiet",
                    "--release",
                    "-p",
                    "wasmart-host",
                    "--bin",
                    "wasmart",
                ])
                .current_dir(workspace_root())
                .status()
                .expect("running cargo");
        assert!(status.success(), "building the host failed");
    }
    target.join("release").join("wasmart")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journeys_pass_on_four_host_processes() {
    let api = Api::over(SplitShop::start().await);
    customer_journey(&api).await;
    admin_journey(&api).await;

    // Each process serves only its group: a service's process answers its internal route
    // (to the key only) but not the public API.
    let catalog = api.shop.origin("catalog").to_owned();
    let client = HttpClient::new();
    let at = |origin: &str, path: &str| {
        let client = client.clone();
        let url = format!("{origin}{path}");
        async move {
            client
                .request(&url, "GET", "", &[], Vec::new())
                .await
                .unwrap()
        }
    };
    assert_eq!(at(&catalog, "/api/v1/products").await.status, 404);
    assert_eq!(at(&catalog, "/internal/catalog/products").await.status, 401);
    let health = api.get("/api/v1/health").send().await.json();
    for service in health["services"].as_array().unwrap() {
        assert_eq!(service["status"], "up", "{health}");
    }
}
