//! [`RedisServer`]: a private `redis-server` per test, to publish to, read from, subscribe
//! to, stop, kill and start again.

use std::time::Duration;

use anyhow::Context as _;
use wasmart_host::redis_server::PrivateRedis;

use crate::client::free_port;

/// A private `redis-server` on a free loopback port, with its data in a temporary folder.
pub struct RedisServer {
    server: Option<PrivateRedis>,
    port: u16,
    dir: tempfile::TempDir,
}

/// Messages of one subscribed channel.
pub struct RedisSubscription {
    messages: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
    _task: tokio::task::JoinHandle<()>,
}

impl RedisServer {
    /// Starts a server on a free port.
    pub async fn start() -> anyhow::Result<Self> {
        let port = free_port();
        let dir = tempfile::tempdir()?;
        let server = PrivateRedis::start(port, dir.path()).await?;
        Ok(Self {
            server: Some(server),
            port,
            dir,
        })
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server (to test reconnection).
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut server) = self.server.take() {
            server.stop().await;
        }
        Ok(())
    }

    /// Kills the server (SIGKILL, nothing saved: keys and in-flight messages are lost, as in
    /// a crash). `start_again` brings it back on the same port.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut server) = self.server.take() {
            server.kill().await;
        }
        Ok(())
    }

    /// Starts a stopped or killed server again on the same port, with the same data dir.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(self.server.is_none(), "the server is still running");
        self.server = Some(PrivateRedis::start(self.port, self.dir.path()).await?);
        Ok(())
    }

    /// Starts the server again on the same port.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        self.server = Some(PrivateRedis::start(self.port, self.dir.path()).await?);
        Ok(())
    }

    async fn connection(&self) -> anyhow::Result<redis::aio::MultiplexedConnection> {
        Ok(redis::Client::open(self.url())?
            .get_multiplexed_async_connection()
            .await?)
    }

    /// `PUBLISH channel payload`.
    pub async fn publish(&self, channel: &str, payload: &[u8]) -> anyhow::Result<()> {
        let _: i64 = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .query_async(&mut self.connection().await?)
            .await?;
        Ok(())
    }

    /// `SET key value PX ttl_ms`: a key Redis expires (and announces) after `ttl_ms`.
    pub async fn set_expiring(&self, key: &str, value: &[u8], ttl_ms: u64) -> anyhow::Result<()> {
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ttl_ms)
            .query_async(&mut self.connection().await?)
            .await?;
        Ok(())
    }

    /// `GET key`.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(redis::cmd("GET")
            .arg(key)
            .query_async(&mut self.connection().await?)
            .await?)
    }

    /// Subscribes to `channel`; returns once the subscription is active.
    pub async fn subscribe(&self, channel: &str) -> anyhow::Result<RedisSubscription> {
        use futures::StreamExt;
        let mut pubsub = redis::Client::open(self.url())?.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        let (sender, messages) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut stream = pubsub.into_on_message();
            while let Some(message) = stream.next().await {
                if sender.send(message.get_payload_bytes().to_vec()).is_err() {
                    break;
                }
            }
        });
        Ok(RedisSubscription {
            messages,
            _task: task,
        })
    }
}

impl RedisSubscription {
    /// The next message, or an error after `timeout`.
    pub async fn next_message(&mut self, timeout: Duration) -> anyhow::Result<Vec<u8>> {
        tokio::time::timeout(timeout, self.messages.recv())
            .await
            .context("no message within the timeout")?
            .context("subscription closed")
    }
}
