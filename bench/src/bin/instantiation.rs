//! Mean time to create a fresh `Store` and instantiate a component: the fixed cost wasmart
//! pays on every request before the guest runs.
//!
//! Usage: `instantiation [MANIFEST] [COMPONENT] [ITERATIONS]`
//! (defaults: `bench/manifests/hello.toml`, `hello`, `2000`).

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Duration;

use wasmart_host::{App, AppOptions};

/// Iterations run and discarded first, so the pool's slots and caches are warm.
const WARM_UP: u32 = 200;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let manifest = args.next().map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("manifests/hello.toml"),
        PathBuf::from,
    );
    let component = args.next().unwrap_or_else(|| "hello".into());
    let iterations: u32 = args.next().map_or(Ok(2000), |n| n.parse())?;

    let state = tempfile::tempdir()?;
    let mut options = AppOptions::new(&manifest);
    options.listen = "127.0.0.1:0".parse()?;
    options.state_dir = Some(state.path().to_path_buf());
    options.console_logs = false;
    let running = App::load(&options).await?.start().await?;

    running.time_instantiation(&component, WARM_UP).await?;
    // Several rounds, so a single noisy round shows up as spread rather than as the mean.
    let mut rounds = Vec::new();
    for _ in 0..5 {
        rounds.push(running.time_instantiation(&component, iterations).await?);
    }
    rounds.sort();
    let mean = rounds.iter().sum::<Duration>() / rounds.len() as u32;
    println!(
        "instantiation component={component} iterations={iterations}x{} mean_us={:.1} min_round_us={:.1} max_round_us={:.1}",
        rounds.len(),
        micros(mean),
        micros(rounds[0]),
        micros(rounds[rounds.len() - 1]),
    );
    running.shutdown().await
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
