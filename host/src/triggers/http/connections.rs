//! Who may hold a connection: at most `--max-connections` at once (the accept loop waits for
//! a free slot, leaving further clients in the listen backlog) and at most
//! `--max-connections-per-client` from one client address (more are closed on accept). An
//! IPv6 client is counted by its /64, the block one host is usually given.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The connections open now, in all and per client.
pub struct Connections {
    slots: Arc<Semaphore>,
    per_client: Mutex<HashMap<IpAddr, usize>>,
    max_per_client: usize,
}

/// One admitted connection; its slot is given back when dropped.
pub struct ConnectionSlot {
    _slot: OwnedSemaphorePermit,
    client: IpAddr,
    connections: Arc<Connections>,
}

impl Connections {
    pub fn new(max: usize, max_per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            slots: Arc::new(Semaphore::new(max.max(1))),
            per_client: Mutex::new(HashMap::new()),
            max_per_client: max_per_client.max(1),
        })
    }

    /// Waits until fewer than the maximum connections are open.
    pub async fn free_slot(&self) -> OwnedSemaphorePermit {
        self.slots
            .clone()
            .acquire_owned()
            .await
            .expect("the connection semaphore is never closed")
    }

    /// Admits a connection from `client` into `slot`, unless that client already holds its
    /// maximum.
    pub fn admit(
        self: &Arc<Self>,
        slot: OwnedSemaphorePermit,
        client: IpAddr,
    ) -> Option<ConnectionSlot> {
        let client = client_key(client);
        let mut per_client = self
            .per_client
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let open = per_client.entry(client).or_default();
        if *open >= self.max_per_client {
            return None;
        }
        *open += 1;
        Some(ConnectionSlot {
            _slot: slot,
            client,
            connections: self.clone(),
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut per_client = self
            .connections
            .per_client
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = per_client.get_mut(&self.client) {
            *open -= 1;
            if *open == 0 {
                per_client.remove(&self.client);
            }
        }
    }
}

/// The address a client is counted by: IPv4 as is (also when mapped into IPv6), IPv6 by /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_connections_per_client() {
        let connections = Connections::new(10, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = connections.admit(connections.free_slot().await, a);
        let second = connections.admit(connections.free_slot().await, a);
        assert!(first.is_some() && second.is_some());
        assert!(connections
            .admit(connections.free_slot().await, a)
            .is_none());
        assert!(connections
            .admit(connections.free_slot().await, b)
            .is_some());
        drop(first);
        assert!(connections
            .admit(connections.free_slot().await, a)
            .is_some());
    }

    #[tokio::test]
    async fn waits_for_a_free_slot() {
        let connections = Connections::new(1, 5);
        let held = connections.free_slot().await;
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            connections.free_slot(),
        );
        assert!(waiting.await.is_err());
        drop(held);
        drop(connections.free_slot().await);
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(one), client_key(other));
        assert_ne!(client_key(one), client_key(elsewhere));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
