//! The React app in a real browser against the whole shop: `frontend/e2e` (Vitest driving
//! Debian's `/usr/bin/chromium` headless through `playwright-core`) pointed at a fresh shop
//! served by the host harness. Needs `frontend/node_modules` and `frontend/dist`, which
//! `scripts/test` builds first.

use crate::support::{Shop, ADMIN_EMAIL, ADMIN_PASSWORD};
use crate::workspace_root;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storefront_and_dashboard_work_in_headless_chromium() {
    let shop = Shop::start().await;
    let output = tokio::process::Command::new("npm")
        .args(["run", "--prefix", "frontend", "--silent", "e2e"])
        .current_dir(workspace_root())
        .env("E2E_BASE_URL", shop.app.base_url())
        .env("E2E_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("E2E_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("running npm (the frontend needs Node.js 20.19+ with npm)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser tests failed:\n{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("skipped"),
        "no browser test may be skipped:\n{stdout}"
    );
    for line in stdout.lines().filter(|line| line.contains("first render")) {
        println!("{}", line.trim());
    }
}
