//! Where an application's local state lives: database files, logs and the private Redis.

use std::path::{Path, PathBuf};

/// The `.spin`-like folder of one running application.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// Creates (if needed) the state dir at `root` and its `logs/` folder.
    pub fn create(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = std::path::absolute(root.into())?;
        std::fs::create_dir_all(root.join("logs"))?;
        Ok(Self { root })
    }

    /// The state dir itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of component logs and the access log.
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// The log file of one component's stdout and stderr.
    pub fn component_log(&self, component_id: &str) -> PathBuf {
        self.logs().join(format!("{component_id}.log"))
    }

    /// The access log: one JSON line per request.
    pub fn access_log(&self) -> PathBuf {
        self.logs().join("access.log")
    }

    /// The data folder of a private `redis-server`.
    pub fn redis(&self) -> PathBuf {
        self.root.join("redis")
    }

    /// Files staged for a component's `files` globs.
    pub fn staged_files(&self, component_id: &str) -> PathBuf {
        self.root.join("files").join(component_id)
    }
}
