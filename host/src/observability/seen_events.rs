//! Which events each component was recently delivered, so that a delivery of the same
//! event id again — a producer's outbox publishing it again, or the saga watchdog — can be
//! counted as a redelivery by the host, with no code in the component.

use std::collections::{HashSet, VecDeque};

/// How many (component, event id) pairs are remembered; the oldest are forgotten first. At
/// the relay's longest backoff (30 s) this covers hundreds of events per second.
const CAPACITY: usize = 16_384;

/// A bounded, first-in-first-out set of the (component, event id) pairs delivered.
#[derive(Debug, Default)]
pub struct SeenEvents {
    members: HashSet<(String, String)>,
    order: VecDeque<(String, String)>,
}

impl SeenEvents {
    /// Records that `component` was delivered `event_id`; true if it had been already.
    pub fn redelivered(&mut self, component: &str, event_id: &str) -> bool {
        let key = (component.to_owned(), event_id.to_owned());
        if self.members.contains(&key) {
            return true;
        }
        if self.order.len() == CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.members.remove(&oldest);
            }
        }
        self.order.push_back(key.clone());
        self.members.insert(key);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_delivery_to_the_same_component_is_a_redelivery() {
        let mut seen = SeenEvents::default();
        assert!(!seen.redelivered("payments", "e1"));
        assert!(!seen.redelivered("notifications", "e1"), "another consumer");
        assert!(seen.redelivered("payments", "e1"));
        assert!(!seen.redelivered("payments", "e2"));
    }

    #[test]
    fn the_oldest_pairs_are_forgotten_beyond_capacity() {
        let mut seen = SeenEvents::default();
        for id in 0..=CAPACITY {
            assert!(!seen.redelivered("c", &id.to_string()));
        }
        assert_eq!(seen.order.len(), CAPACITY);
        assert!(!seen.redelivered("c", "0"), "the first pair was evicted");
        assert!(seen.redelivered("c", &CAPACITY.to_string()));
    }
}
