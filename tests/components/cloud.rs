//! `spin.cloud.toml`, the manifest for platforms without the Redis trigger or service
//! chaining (Fermyon Cloud): the same `.wasm` files, events pushed over HTTP, services called
//! at the app's own origin — and no Redis anywhere. The journeys pass on it as on
//! `spin.toml`.

use wasmart_testing::free_port;

use crate::gateway::client::Api;
use crate::gateway::journeys::{admin_journey, customer_journey};
use crate::processes::HostProcess;
use crate::support::{
    manifest_with_built_from, Deployment, ADMIN_EMAIL, ADMIN_PASSWORD, INTERNAL_API_KEY,
    JWT_SIGNING_KEY, SERVICES,
};
use wasmart_testing::built_components;
use wasmart_testing::host_binary;

/// The whole app from `spin.cloud.toml`, in one `wasmart up` process.
pub struct CloudShop {
    process: HostProcess,
    _dir: tempfile::TempDir,
}

impl CloudShop {
    async fn start() -> Self {
        let mut packages: Vec<&str> = vec!["web"];
        packages.extend_from_slice(SERVICES);
        let manifest_text =
            manifest_with_built_from("spin.cloud.toml", &built_components(&packages));
        assert!(
            !manifest_text.contains("redis"),
            "spin.cloud.toml still names Redis"
        );
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("spin.toml");
        std::fs::write(&manifest, manifest_text).unwrap();
        // The app calls itself at its public origin, so the port is chosen up front.
        let listen = format!("127.0.0.1:{}", free_port());
        let variables: Vec<(String, String)> = [
            ("app_origin", format!("http://{listen}")),
            ("jwt_signing_key", JWT_SIGNING_KEY.to_owned()),
            ("admin_email", ADMIN_EMAIL.to_owned()),
            ("admin_password", ADMIN_PASSWORD.to_owned()),
            ("internal_api_key", INTERNAL_API_KEY.to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        let process = HostProcess::start(
            &host_binary(),
            &manifest,
            dir.path(),
            &[],
            &variables,
            &[],
            &listen,
        )
        .await;
        Self { process, _dir: dir }
    }
}

impl Deployment for CloudShop {
    fn public_origin(&self) -> String {
        self.process.origin.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journeys_pass_on_the_cloud_manifest_without_redis() {
    let api = Api::over(CloudShop::start().await);
    // The customer is paid and notified only if OrderCreated, StockReserved and
    // PaymentSucceeded were pushed between orders, catalog, payments and notifications.
    customer_journey(&api).await;
    admin_journey(&api).await;
}
