//! The batch span processor: finished spans wait in a bounded queue (the [`Tracer`] drops
//! and counts what does not fit), and one background task sends them in batches — when a
//! batch is full, when its first span has waited the schedule delay, and at shutdown.
//!
//! The task looks at the queue every [`POLL`] instead of waiting on it: a span then costs
//! the request a lock-free push, never the wake-up (a context switch) of the exporter.
//!
//! [`Tracer`]: crate::observability::trace::Tracer

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::config::BatchConfig;
use crate::observability::trace::SpanData;

/// How often the queue is emptied (more often when the schedule delay is shorter).
const POLL: Duration = Duration::from_millis(10);

/// Where batches go.
pub trait Export {
    /// Sends one batch; failures are the implementation's to count.
    fn export(&mut self, spans: Vec<SpanData>) -> impl Future<Output = ()> + Send;
}

/// Batches `queue` into `exporter` until `stop` is cancelled or every sender is gone, then
/// exports what is left and returns.
pub async fn run(
    mut queue: mpsc::Receiver<SpanData>,
    config: BatchConfig,
    stop: CancellationToken,
    mut exporter: impl Export,
) {
    let mut batch = Vec::with_capacity(config.max_batch_size);
    let mut oldest: Option<Instant> = None;
    let mut ticker = tokio::time::interval(
        POLL.min(config.schedule_delay)
            .max(Duration::from_millis(1)),
    );
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            biased;
            () = stop.cancelled() => true,
            _ = ticker.tick() => false,
        };
        let closed = loop {
            match queue.try_recv() {
                Ok(span) => {
                    oldest.get_or_insert_with(Instant::now);
                    batch.push(span);
                    if batch.len() >= config.max_batch_size {
                        oldest = None;
                        exporter.export(std::mem::take(&mut batch)).await;
                    }
                }
                Err(TryRecvError::Empty) => break false,
                Err(TryRecvError::Disconnected) => break true,
            }
        };
        if stopping || closed {
            break;
        }
        if oldest.is_some_and(|since| since.elapsed() >= config.schedule_delay) {
            oldest = None;
            exporter.export(std::mem::take(&mut batch)).await;
        }
    }
    queue.close();
    while let Ok(span) = queue.try_recv() {
        batch.push(span);
        if batch.len() >= config.max_batch_size {
            exporter.export(std::mem::take(&mut batch)).await;
        }
    }
    if !batch.is_empty() {
        exporter.export(batch).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::observability::trace::{SpanKind, TraceCounters, Tracer};

    /// Records the size of every batch.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<usize>>>);

    impl Export for Recorder {
        async fn export(&mut self, spans: Vec<SpanData>) {
            self.0.lock().unwrap().push(spans.len());
        }
    }

    fn config(max_queue_size: usize, max_batch_size: usize, delay_ms: u64) -> BatchConfig {
        BatchConfig {
            max_queue_size,
            max_batch_size,
            schedule_delay: Duration::from_millis(delay_ms),
        }
    }

    fn spans(tracer: &Tracer, count: usize) {
        for _ in 0..count {
            drop(tracer.start("span", SpanKind::Internal, None));
        }
    }

    #[tokio::test]
    async fn full_batches_go_at_once_and_the_rest_at_shutdown() {
        let (queue, receiver) = mpsc::channel(100);
        let tracer = Tracer::new(queue, Arc::default());
        let recorder = Recorder::default();
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            receiver,
            config(100, 3, 60_000),
            stop.clone(),
            recorder.clone(),
        ));
        spans(&tracer, 7);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(*recorder.0.lock().unwrap(), [3, 3], "the 7th waits");
        stop.cancel();
        task.await.unwrap();
        assert_eq!(*recorder.0.lock().unwrap(), [3, 3, 1]);
    }

    #[tokio::test]
    async fn a_partial_batch_goes_after_the_schedule_delay() {
        let (queue, receiver) = mpsc::channel(100);
        let tracer = Tracer::new(queue, Arc::default());
        let recorder = Recorder::default();
        let task = tokio::spawn(run(
            receiver,
            config(100, 512, 50),
            CancellationToken::new(),
            recorder.clone(),
        ));
        spans(&tracer, 2);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(*recorder.0.lock().unwrap(), [2]);
        spans(&tracer, 1);
        drop(tracer);
        task.await.unwrap();
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [2, 1],
            "flushed when senders are gone"
        );
    }

    #[tokio::test]
    async fn spans_beyond_the_queue_are_dropped_and_counted_without_waiting() {
        let (queue, receiver) = mpsc::channel(4);
        let counters = Arc::new(TraceCounters::default());
        let tracer = Tracer::new(queue, counters.clone());
        // Nothing consumes yet (a collector that hangs): ending spans never blocks.
        let started = std::time::Instant::now();
        spans(&tracer, 10);
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 6);
        let recorder = Recorder::default();
        let stop = CancellationToken::new();
        stop.cancel();
        run(receiver, config(4, 512, 60_000), stop, recorder.clone()).await;
        assert_eq!(*recorder.0.lock().unwrap(), [4]);
    }
}
