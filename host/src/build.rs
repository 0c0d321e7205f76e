//! `build`: runs each component's `[component.<id>.build] command` in its workdir, in manifest
//! order, as `spin build` does.

use std::process::Command;

use anyhow::{bail, Context as _};

use crate::manifest::Manifest;

/// Builds every component of `manifest` that has a build command (or only `only`, if given).
pub fn build_components(manifest: &Manifest, only: &[String]) -> anyhow::Result<()> {
    for (id, component) in &manifest.components {
        if !only.is_empty() && !only.contains(id) {
            continue;
        }
        let Some(build) = &component.build else {
            continue;
        };
        for command in &build.commands {
            println!("Building component {id} with `{command}`");
            let status = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&build.workdir)
                .status()
                .with_context(|| format!("running the build command of component {id:?}"))?;
            if !status.success() {
                bail!("build command for component {id:?} failed with {status}: `{command}`");
            }
        }
    }
    println!("Finished building all Spin components");
    Ok(())
}
