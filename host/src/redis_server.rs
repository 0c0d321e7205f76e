//! The embedded default for Redis: when the application needs Redis on a loopback address and
//! nothing answers there, a private `redis-server` is started with its data in the state dir.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::allowed_hosts::Destination;

/// Why a private Redis could not be started.
#[derive(Debug, thiserror::Error)]
pub enum RedisServerError {
    #[error(
        "the application needs Redis at {0} and nothing answers there, but `redis-server` is not on PATH.\n\
         Install it: `sudo apt-get install redis-server` (Debian/Ubuntu), `sudo dnf install redis` (Fedora) or `brew install redis` (macOS)"
    )]
    NotInstalled(String),
    #[error("starting redis-server for {address}: {message}")]
    Failed { address: String, message: String },
}

/// A `redis-server` child process, stopped (with a final save) on [`PrivateRedis::stop`] and
/// killed if dropped.
pub struct PrivateRedis {
    child: tokio::process::Child,
    url: String,
}

impl PrivateRedis {
    /// Starts a server for `address` if it is on loopback and nothing answers there.
    pub async fn start_if_absent(
        address: &str,
        data_root: &Path,
    ) -> Result<Option<Self>, RedisServerError> {
        let Some(dest) = Destination::parse_url(address) else {
            return Ok(None);
        };
        let port = dest.port.unwrap_or(6379);
        let loopback = matches!(
            dest.host.as_str(),
            "127.0.0.1" | "localhost" | "::1" | "[::1]"
        );
        if !loopback || is_answering(port).await {
            return Ok(None);
        }
        Self::start(port, &data_root.join(port.to_string()))
            .await
            .map(Some)
    }

    /// Starts `redis-server` on 127.0.0.1:`port` with its files in `dir`.
    pub async fn start(port: u16, dir: &Path) -> Result<Self, RedisServerError> {
        let url = format!("redis://127.0.0.1:{port}");
        let failed = |message: String| RedisServerError::Failed {
            address: url.clone(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "60 1",
                "--appendonly",
                "no",
                // Expired-key events drive the services' ticks (see service-kit's `tick`).
                "--notify-keyspace-events",
                "Ex",
            ])
            .arg("--dir")
            .arg(dir)
            .arg("--logfile")
            .arg(dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => RedisServerError::NotInstalled(url.clone()),
                _ => failed(e.to_string()),
            })?;
        let mut server = Self {
            child,
            url: url.clone(),
        };
        for _ in 0..100 {
            if is_answering(port).await {
                tracing::info!(
                    "started a private redis-server at {url} (data in {})",
                    dir.display()
                );
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(failed(format!(
                    "exited with {status}; see {}",
                    dir.join("redis.log").display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.stop().await;
        Err(failed("did not answer within 5s".into()))
    }

    /// The server's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Asks the server to save and exit; kills it if it does not within 5 seconds.
    pub async fn stop(&mut self) {
        if let Ok(client) = redis::Client::open(self.url.as_str()) {
            if let Ok(mut connection) = client.get_multiplexed_async_connection().await {
                let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN")
                    .arg("SAVE")
                    .query_async(&mut connection)
                    .await;
            }
        }
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }

    /// Kills the server at once (SIGKILL): nothing is saved, as in a crash.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub async fn is_answering(port: u16) -> bool {
    let connect = tokio::net::TcpStream::connect(("127.0.0.1", port));
    matches!(
        tokio::time::timeout(Duration::from_millis(500), connect).await,
        Ok(Ok(_))
    )
}
