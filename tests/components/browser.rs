//! The React app in a real browser against a whole shop: `frontend/e2e` (Vitest driving
//! Debian's `/usr/bin/chromium` headless through `playwright-core`) pointed at a fresh shop
//! served on the host through `wasmart_testing`. Each e2e test leaves a screenshot in
//! `frontend/e2e-artifacts/`. Needs `frontend/node_modules` and `frontend/dist`, which
//! `scripts/test` builds first.

use crate::support::{Shop, ShopOptions, ADMIN_EMAIL, ADMIN_PASSWORD, SERVICES};
use wasmart_testing::workspace_root;

/// Runs the e2e test file `file` (below `frontend/`) against `shop`; returns its output.
async fn run_e2e(shop: &Shop, file: &str) -> String {
    let output = tokio::process::Command::new("npm")
        .args(["run", "--prefix", "frontend", "--silent", "e2e", "--", file])
        .current_dir(workspace_root())
        .env("E2E_BASE_URL", shop.app.base_url())
        .env("E2E_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("E2E_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("running npm (the frontend needs Node.js 20.19+ with npm)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser tests in {file} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("skipped"),
        "no browser test may be skipped:\n{stdout}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storefront_and_dashboard_work_in_headless_chromium() {
    let shop = Shop::start().await;
    let output = run_e2e(&shop, "e2e/shop.test.ts").await;
    for line in output.lines().filter(|line| line.contains("first render")) {
        println!("{}", line.trim());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storefront_still_renders_in_chromium_with_catalog_stopped() {
    let without_catalog = ["web"]
        .into_iter()
        .chain(SERVICES.iter().copied())
        .filter(|component| *component != "catalog")
        .collect();
    let shop = Shop::start_with(ShopOptions {
        components: without_catalog,
        ..Default::default()
    })
    .await;
    run_e2e(&shop, "e2e/degraded.test.ts").await;
}
