//! Building one [`Component`] from its manifest entry: its stores (shared by label across
//! components), its capability grants with their host-call metrics, its environment and the
//! files it sees, then compiling and linking it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use wasmtime::component::Linker;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use super::options::AppOptions;
use crate::allowed_hosts::AllowedHosts;
use crate::bindings::redis_handler::RedisHandlerPre;
use crate::capabilities::key_value::{
    self, KeyValueGrants, KeyValueStore, RedisKeyValue, SqliteKeyValue,
};
use crate::capabilities::outbound_redis::{self, RedisConnections, RedisGrants};
use crate::capabilities::sqlite::{self, SqliteDatabase, SqliteGrants};
use crate::capabilities::variables::ResolvedVariables;
use crate::executor::{Component, Grants, HostState, Mount};
use crate::manifest::{ComponentDecl, FileMount};
use crate::observability::component_log::ComponentLog;
use crate::observability::metrics::{HostInterface, Metrics};
use crate::runtime_config::{KeyValueBackend, RuntimeConfig};
use crate::state_dir::StateDir;

/// Backends opened so far, so that components granted the same label share one.
pub struct StoreRegistry<'a> {
    config: &'a RuntimeConfig,
    key_value: BTreeMap<String, Arc<dyn KeyValueStore>>,
    sqlite: BTreeMap<String, Arc<SqliteDatabase>>,
    /// The Redis servers key-value labels are served by.
    pub redis_urls: Vec<String>,
    /// Outbound Redis connections, shared by every component.
    redis: Arc<RedisConnections>,
}

impl<'a> StoreRegistry<'a> {
    /// Opens backends as `config` defines them.
    pub fn new(config: &'a RuntimeConfig) -> Self {
        Self {
            config,
            key_value: BTreeMap::new(),
            sqlite: BTreeMap::new(),
            redis_urls: Vec::new(),
            redis: Arc::default(),
        }
    }

    fn key_value(&mut self, label: &str) -> anyhow::Result<Arc<dyn KeyValueStore>> {
        if let Some(store) = self.key_value.get(label) {
            return Ok(store.clone());
        }
        let store: Arc<dyn KeyValueStore> = match self.config.key_value(label) {
            Some(KeyValueBackend::Sqlite { path }) => Arc::new(SqliteKeyValue::open(path, label)?),
            Some(KeyValueBackend::Redis { url }) => {
                self.redis_urls.push(url.clone());
                Arc::new(RedisKeyValue::new(url.clone()))
            }
            None => bail!(
                "key_value_stores names {label:?}, which is not defined: add [key_value_store.{label}] to a runtime config file (--runtime-config-file)"
            ),
        };
        self.key_value.insert(label.to_string(), store.clone());
        Ok(store)
    }

    fn sqlite(&mut self, label: &str) -> anyhow::Result<Arc<SqliteDatabase>> {
        if let Some(db) = self.sqlite.get(label) {
            return Ok(db.clone());
        }
        let Some(backend) = self.config.sqlite(label) else {
            bail!(
                "sqlite_databases names {label:?}, which is not defined: add [sqlite_database.{label}] to a runtime config file (--runtime-config-file)"
            );
        };
        let db = SqliteDatabase::open(&backend.path)?;
        self.sqlite.insert(label.to_string(), db.clone());
        Ok(db)
    }
}

/// Builds one [`Component`] from its manifest entry.
pub struct ComponentLoader<'a> {
    pub engine: &'a wasmtime::Engine,
    pub linker: &'a Linker<HostState>,
    pub state: &'a StateDir,
    pub variables: &'a ResolvedVariables,
    pub metrics: &'a Metrics,
    pub options: &'a AppOptions,
    pub secrets: Arc<[String]>,
}

impl ComponentLoader<'_> {
    /// Loads the component `decl` declares, opening its stores in `stores`.
    pub fn load(
        &self,
        decl: &ComponentDecl,
        stores: &mut StoreRegistry<'_>,
    ) -> anyhow::Result<Component> {
        let grants = self.grants(decl, stores)?;
        let wasm =
            wasmtime::component::Component::from_file(self.engine, &decl.source).map_err(|e| {
                anyhow::Error::from(e).context(format!("compiling {}", decl.source.display()))
            })?;
        let pre = self.linker.instantiate_pre(&wasm).map_err(|e| {
            anyhow::Error::from(e).context("it imports something this host does not provide")
        })?;
        let mut environment: Vec<(String, String)> = decl.environment.clone().into_iter().collect();
        environment.extend(self.options.env.iter().cloned());
        Ok(Component {
            id: decl.id.clone(),
            grants,
            environment,
            mounts: self.mounts(decl)?,
            log: ComponentLog::open(
                &decl.id,
                &self.state.component_log(&decl.id),
                self.options.console_logs,
                self.secrets.clone(),
            )?,
            http: ProxyPre::new(pre.clone()).ok(),
            redis: RedisHandlerPre::new(pre).ok(),
        })
    }

    /// What the component may touch, each grant with its host-call series (none when
    /// metrics are off).
    fn grants(
        &self,
        decl: &ComponentDecl,
        stores: &mut StoreRegistry<'_>,
    ) -> anyhow::Result<Grants> {
        let id = decl.id.as_str();
        let label_stats = |interface, label: &str, operations| {
            self.metrics
                .operation_stats(interface, &[id, label], operations)
        };
        let mut key_value = KeyValueGrants::default();
        for label in &decl.key_value_stores {
            let stats = label_stats(HostInterface::KeyValue, label, key_value::OPERATIONS);
            key_value.grant(label.clone(), stores.key_value(label)?, stats);
        }
        let mut sqlite = SqliteGrants::default();
        for label in &decl.sqlite_databases {
            let stats = label_stats(HostInterface::Sqlite, label, sqlite::OPERATIONS);
            sqlite.grant(label.clone(), stores.sqlite(label)?, stats);
        }
        let mut variables = BTreeMap::new();
        for (name, template) in &decl.variables {
            variables.insert(name.clone(), self.variables.render(template)?);
        }
        let hosts = decl
            .allowed_outbound_hosts
            .iter()
            .map(|t| self.variables.render(t))
            .collect::<Result<Vec<_>, _>>()?;
        let allowed_hosts = Arc::new(AllowedHosts::parse(&hosts)?);
        let redis = RedisGrants {
            allowed_hosts: allowed_hosts.clone(),
            connections: stores.redis.clone(),
            stats: self.metrics.operation_stats(
                HostInterface::Redis,
                &[id],
                outbound_redis::OPERATIONS,
            ),
            published: self.metrics.published_messages(id),
        };
        Ok(Grants {
            key_value,
            sqlite,
            variables,
            redis,
            allowed_hosts,
        })
    }

    /// Folders the component sees: mapped folders directly, everything else staged.
    fn mounts(&self, decl: &ComponentDecl) -> anyhow::Result<Vec<Mount>> {
        let staged = self.state.staged_files(&decl.id);
        let _ = std::fs::remove_dir_all(&staged);
        let mut mounts = Vec::new();
        let mut staged_any = false;
        for files in &decl.files {
            match files {
                FileMount::Mapping {
                    source,
                    destination,
                } if source.is_dir() => {
                    mounts.push(Mount {
                        host: source.clone(),
                        guest: destination.clone(),
                    });
                }
                FileMount::Mapping {
                    source,
                    destination,
                } => {
                    stage(source, &staged.join(destination.trim_start_matches('/')))?;
                    staged_any = true;
                }
                FileMount::Glob(pattern) => {
                    let root = self
                        .options
                        .manifest
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    let root = std::path::absolute(root)?;
                    let full = root.join(pattern);
                    for path in glob::glob(&full.to_string_lossy())?
                        .filter_map(Result::ok)
                        .filter(|p| p.is_file())
                    {
                        let relative = path.strip_prefix(&root).unwrap_or(&path);
                        stage(&path, &staged.join(relative))?;
                        staged_any = true;
                    }
                }
            }
        }
        if staged_any {
            mounts.push(Mount {
                host: staged,
                guest: "/".into(),
            });
        }
        Ok(mounts)
    }
}

fn stage(source: &Path, destination: &Path) -> anyhow::Result<()> {
    if let Some(dir) = destination.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(source, destination)
        .with_context(|| format!("copying {} for `files`", source.display()))?;
    Ok(())
}
