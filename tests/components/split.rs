//! The split topology: the same `spin.toml` and `.wasm` files run by four `wasmart up`
//! processes, each with `--component-id`s of one service group on its own loopback port,
//! sharing one Redis for events. The gateway reaches the services through their
//! `<service>_origin`/`<service>_path` variables; services in one process still chain. The
//! customer and admin journeys pass on it exactly as on one process.

use wasmart_testing::{HttpClient, RedisServer};

use crate::gateway::client::Api;
use crate::gateway::journeys::{admin_journey, customer_journey};
use crate::processes::HostProcess;
use crate::support::{manifest_with_built, required_variables, Deployment, SERVICES};
use wasmart_testing::built_components;
use wasmart_testing::host_binary;

/// The service groups, one host process each, in start order (a group only calls groups
/// before it); the same groups as the SpinApps in `deploy/spinkube/split/`.
pub const GROUPS: &[(&str, &[&str])] = &[
    ("catalog", &["catalog"]),
    ("shopping", &["accounts", "cart"]),
    ("orders", &["orders", "payments", "notifications"]),
    ("edge", &["web", "gateway", "telemetry", "alerts"]),
];

/// The shop split over one host process per group.
pub struct SplitShop {
    processes: Vec<(&'static str, HostProcess)>,
    _redis: RedisServer,
    _dir: tempfile::TempDir,
}

impl SplitShop {
    /// Starts every group in order, each told where the services of earlier groups listen.
    pub async fn start() -> Self {
        Self::start_with(|_| Vec::new()).await
    }

    /// [`Self::start`], each group's process with the environment `env(group)` adds.
    pub async fn start_with(env: impl Fn(&str) -> Vec<(String, String)>) -> Self {
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
            let process = HostProcess::start(
                &binary,
                &manifest,
                &state_dir,
                components,
                &variables,
                &env(group),
                "127.0.0.1:0",
            )
            .await;
            processes.push((group, process));
        }
        Self {
            processes,
            _redis: redis,
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
    fn public_origin(&self) -> String {
        self.origin("edge").to_owned()
    }
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
