//! Host processes for tests that run the real CLI: `wasmart up` child processes, each
//! killed when its handle is dropped.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use wasmart_testing::workspace_root;

/// A `wasmart up` process; killed when dropped.
pub struct HostProcess {
    _child: Child,
    /// Where it serves, `http://127.0.0.1:PORT`.
    pub origin: String,
}

impl HostProcess {
    /// Runs `wasmart up` for `components` (all when empty) of `manifest` on `listen` with
    /// its state in `state_dir` and `env` added to its environment, and waits until it
    /// serves.
    pub async fn start(
        binary: &Path,
        manifest: &Path,
        state_dir: &Path,
        components: &[&str],
        variables: &[(String, String)],
        env: &[(String, String)],
        listen: &str,
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
            .args(["--listen", listen, "--quiet"])
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
            .envs(env.iter().map(|(name, value)| (name, value)))
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
