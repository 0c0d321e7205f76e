//! `runtime-config.toml`: which backend serves each key-value store and SQLite database label,
//! with the same keys Spin reads. Labels not named here get Spin's defaults: `default` for
//! both kinds lives in a SQLite file in the state dir; any other label must be configured.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a runtime-config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeConfigError {
    #[error("cannot read runtime config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("runtime config {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Where one key-value label's data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueBackend {
    /// A SQLite file (Spin's `type = "spin"`).
    Sqlite { path: PathBuf },
    /// A Redis server (`type = "redis"`, `url = "redis://..."`).
    Redis { url: String },
}

/// Where one SQLite label's database file lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteBackend {
    pub path: PathBuf,
}

/// The resolved runtime configuration.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    key_value: BTreeMap<String, KeyValueBackend>,
    sqlite: BTreeMap<String, SqliteBackend>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    key_value_store: BTreeMap<String, RawStore>,
    #[serde(default)]
    sqlite_database: BTreeMap<String, RawStore>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

impl RuntimeConfig {
    /// Spin's defaults: the `default` labels in SQLite files under `state_dir`.
    pub fn defaults(state_dir: &Path) -> Self {
        let mut config = Self::default();
        config.key_value.insert(
            "default".into(),
            KeyValueBackend::Sqlite {
                path: state_dir.join("sqlite_key_value.db"),
            },
        );
        config.sqlite.insert(
            "default".into(),
            SqliteBackend {
                path: state_dir.join("sqlite_db.db"),
            },
        );
        config
    }

    /// The defaults overlaid with the file at `path`; relative paths in the file are
    /// resolved against the file's folder.
    pub fn load(path: &Path, state_dir: &Path) -> Result<Self, RuntimeConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuntimeConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |message: String| RuntimeConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let table: toml::Table = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let raw: RawConfig =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let key = e.path().to_string();
                let inner = e.into_inner().to_string();
                if key == "." {
                    invalid(format!(
                        "{inner}; this host supports [key_value_store.*] and [sqlite_database.*]"
                    ))
                } else {
                    invalid(format!("`{key}`: {inner}"))
                }
            })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut config = Self::defaults(state_dir);
        for (label, store) in raw.key_value_store {
            let key = format!("key_value_store.{label}");
            let backend = match store.kind.as_str() {
                "spin" => KeyValueBackend::Sqlite {
                    path: base.join(store.path.ok_or_else(|| invalid(format!("`{key}` needs `path`")))?),
                },
                "redis" => KeyValueBackend::Redis {
                    url: store.url.ok_or_else(|| invalid(format!("`{key}` needs `url`")))?,
                },
                other => {
                    return Err(invalid(format!(
                        "`{key}.type` is {other:?}; this host supports \"spin\" (SQLite file) and \"redis\""
                    )))
                }
            };
            config.key_value.insert(label, backend);
        }
        for (label, db) in raw.sqlite_database {
            let key = format!("sqlite_database.{label}");
            match db.kind.as_str() {
                "spin" => {
                    let file = db.path.ok_or_else(|| invalid(format!("`{key}` needs `path`")))?;
                    config.sqlite.insert(label, SqliteBackend { path: base.join(file) });
                }
                "libsql" => {
                    return Err(invalid(format!(
                        "`{key}.type` is \"libsql\" (a libSQL/Turso server): Spin supports it, this \
                         host does not; serve this runtime config with `spin up`, or use \
                         `type = \"spin\"` (a local SQLite file) as runtime-config.toml does"
                    )))
                }
                other => {
                    return Err(invalid(format!(
                        "`{key}.type` is {other:?}; this host supports only \"spin\" (a local SQLite file)"
                    )))
                }
            }
            let _ = (db.url, db.token);
        }
        Ok(config)
    }

    /// The backend of a key-value label, if the label is defined.
    pub fn key_value(&self, label: &str) -> Option<&KeyValueBackend> {
        self.key_value.get(label)
    }

    /// The database of a SQLite label, if the label is defined.
    pub fn sqlite(&self, label: &str) -> Option<&SqliteBackend> {
        self.sqlite.get(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<RuntimeConfig, RuntimeConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rc.toml");
        std::fs::write(&path, text).unwrap();
        RuntimeConfig::load(&path, Path::new("/state"))
    }

    #[test]
    fn defaults_and_overrides() {
        let config = load(
            "[key_value_store.cart]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n\
             [sqlite_database.orders]\ntype = \"spin\"\npath = \"/data/orders.db\"\n",
        )
        .unwrap();
        assert_eq!(
            config.key_value("default"),
            Some(&KeyValueBackend::Sqlite {
                path: "/state/sqlite_key_value.db".into()
            })
        );
        assert_eq!(
            config.key_value("cart"),
            Some(&KeyValueBackend::Redis {
                url: "redis://127.0.0.1:6379".into()
            })
        );
        assert_eq!(
            config.sqlite("orders").unwrap().path,
            PathBuf::from("/data/orders.db")
        );
        assert!(config.sqlite("nope").is_none());
    }

    #[test]
    fn rejects_unknown_backends_and_sections() {
        let libsql =
            load("[sqlite_database.x]\ntype = \"libsql\"\nurl = \"https://db\"\ntoken = \"t\"\n");
        let libsql = libsql.unwrap_err().to_string();
        assert!(
            libsql.contains("\"libsql\"") && libsql.contains("spin up"),
            "{libsql}"
        );
        let section = load("[llm_compute]\ntype = \"remote_http\"\n")
            .unwrap_err()
            .to_string();
        assert!(section.contains("llm_compute"), "{section}");
        let missing = load("[key_value_store.x]\ntype = \"spin\"\n")
            .unwrap_err()
            .to_string();
        assert!(missing.contains("needs `path`"), "{missing}");
    }
}
