//! The Redis trigger: one subscriber per Redis address, subscribed to every channel a trigger
//! names there; each message runs each of the channel's components in turn, as Spin does.
//! A lost connection (Redis restarted) is re-established with backoff.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

pub mod delivery;

use delivery::RedisDelivery;

/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The channels (and their components) one Redis server delivers.
#[derive(Debug, Clone)]
pub struct RedisSubscription {
    pub address: String,
    channels: BTreeMap<String, Vec<String>>,
}

impl RedisSubscription {
    /// An empty subscription to the server at `address`.
    pub fn new(address: String) -> Self {
        Self {
            address,
            channels: BTreeMap::new(),
        }
    }

    /// Delivers `channel` to `component` too.
    pub fn add(&mut self, channel: String, component: String) {
        self.channels.entry(channel).or_default().push(component);
    }

    /// Runs the subscriber until `shutdown`; the receiver fires once first subscribed.
    pub fn spawn(
        self,
        delivery: Arc<RedisDelivery>,
        shutdown: CancellationToken,
    ) -> (tokio::task::JoinHandle<()>, oneshot::Receiver<()>) {
        let (subscribed, first) = oneshot::channel();
        (
            tokio::spawn(self.run(delivery, shutdown, subscribed)),
            first,
        )
    }

    async fn run(
        self,
        delivery: Arc<RedisDelivery>,
        shutdown: CancellationToken,
        subscribed: oneshot::Sender<()>,
    ) {
        let mut subscribed = Some(subscribed);
        let mut backoff = Duration::from_millis(100);
        while !shutdown.is_cancelled() {
            match self.listen(&delivery, &shutdown, &mut subscribed).await {
                Ok(true) => backoff = Duration::from_millis(100),
                Ok(false) => {}
                Err(e) => tracing::warn!(
                    "Redis trigger on {}: {e}; retrying in {backoff:?}",
                    self.address
                ),
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = shutdown.cancelled() => break,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Subscribes and dispatches until the connection ends; `Ok(true)` if it had subscribed.
    async fn listen(
        &self,
        delivery: &RedisDelivery,
        shutdown: &CancellationToken,
        subscribed: &mut Option<oneshot::Sender<()>>,
    ) -> redis::RedisResult<bool> {
        let client = redis::Client::open(self.address.as_str())?;
        let mut pubsub = client.get_async_pubsub().await?;
        for channel in self.channels.keys() {
            pubsub.subscribe(channel).await?;
        }
        for (channel, components) in &self.channels {
            tracing::info!(
                "subscribed to {}/{channel}: [{}]",
                self.address,
                components.join(",")
            );
        }
        if let Some(tx) = subscribed.take() {
            let _ = tx.send(());
        }
        let mut messages = pubsub.on_message();
        loop {
            let message = tokio::select! {
                message = messages.next() => message,
                () = shutdown.cancelled() => return Ok(true),
            };
            let Some(message) = message else {
                tracing::warn!("Redis trigger on {}: connection closed", self.address);
                return Ok(true);
            };
            let channel = message.get_channel_name().to_string();
            let payload = message.get_payload_bytes().to_vec();
            // Like Spin: messages one at a time, and the components subscribed to the
            // message's channel concurrently. A failing handler is reported by the delivery;
            // later messages still run.
            let handlers = self
                .channels
                .get(&channel)
                .into_iter()
                .flatten()
                .map(|component| delivery.deliver(component, &channel, &payload));
            futures::future::join_all(handlers).await;
        }
    }
}
