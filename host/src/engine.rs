//! The wasmtime [`Engine`] every component of an application shares: pooling instance
//! allocation sized by flags, a memory cap per instance, the on-disk compilation cache, and the
//! epoch ticker that lets the host interrupt guests that run past their deadline.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
};

/// How often the epoch advances; guests are checked against their deadline at this rate.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Sizing of the engine, from the command line.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Instances that may run at once; further requests wait in a queue.
    pub max_instances: u32,
    /// Linear memory cap per instance, in MiB.
    pub instance_memory_mb: u64,
    /// Where compiled code is cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_instances: 256,
            instance_memory_mb: 128,
            cache_dir: default_cache_dir(),
        }
    }
}

/// `$XDG_CACHE_HOME/wasmart` or `~/.cache/wasmart`.
pub fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("wasmart"))
}

/// Core instances, memories and tables one component instance may use: a Rust component
/// has its main module plus a few adapter and shim modules.
const CORE_PER_COMPONENT: u32 = 8;

/// Builds the engine. Chained requests need instances beyond `max_instances` (a gateway
/// instance waits for the service it calls), so the pool has room for four times as many.
pub fn build(options: &EngineOptions) -> anyhow::Result<Engine> {
    let slots = options.max_instances.max(1) * 4;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots * CORE_PER_COMPONENT)
        .total_memories(slots * 2)
        .total_tables(slots * CORE_PER_COMPONENT)
        .total_stacks(slots)
        .max_memories_per_component(CORE_PER_COMPONENT)
        .max_tables_per_component(CORE_PER_COMPONENT)
        .max_core_instances_per_component(CORE_PER_COMPONENT)
        .max_memory_size(usize::try_from(options.instance_memory_mb * 1024 * 1024)?);
    let mut config = Config::new();
    config
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if let Some(dir) = &options.cache_dir {
        let mut cache = CacheConfig::new();
        cache.with_directory(dir);
        let cache = Cache::new(cache)
            .map_err(|e| anyhow::Error::from(e).context("configuring the compilation cache"))?;
        config.cache(Some(cache));
    }
    Engine::new(&config).map_err(|e| anyhow::Error::from(e).context("creating the wasmtime engine"))
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    /// Starts the ticker thread for `engine`.
    pub fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch ticker thread");
        Self { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
