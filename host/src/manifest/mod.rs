//! `spin.toml` (manifest version 2) parsed into a validated [`Manifest`].
//!
//! Every problem is reported as a [`ManifestError`] naming the file and the key, so a typo in
//! the manifest reads like a compiler error, never a panic.

mod raw;
pub mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use raw::{
    RawCommand, RawComponent, RawFiles, RawHttpTrigger, RawManifest, RawRedisTrigger, RawRoute,
    RawSource, RawWasmartTool,
};
pub use template::Template;

/// Why a manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// A validated Spin application manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The `spin.toml` file itself.
    pub path: PathBuf,
    /// The folder relative paths in the manifest are resolved against.
    pub root: PathBuf,
    pub name: String,
    pub variables: BTreeMap<String, VariableDecl>,
    pub http_triggers: Vec<HttpTrigger>,
    pub redis_triggers: Vec<RedisTrigger>,
    pub components: BTreeMap<String, ComponentDecl>,
}

/// An application variable from `[variables]`.
#[derive(Debug, Clone)]
pub struct VariableDecl {
    pub default: Option<String>,
    pub required: bool,
    pub secret: bool,
}

/// One `[[trigger.http]]`.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    pub component: String,
    pub route: Route,
}

/// Where an HTTP trigger listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A public route pattern such as `/api/...` or `/items/:id`.
    Path(String),
    /// `{ private = true }`: reachable only by service chaining.
    Private,
}

/// One `[[trigger.redis]]`, with the address it listens on (its own or the application's).
#[derive(Debug, Clone)]
pub struct RedisTrigger {
    pub component: String,
    pub channel: Template,
    pub address: Template,
}

/// One `[component.<id>]`.
#[derive(Debug, Clone)]
pub struct ComponentDecl {
    pub id: String,
    /// Absolute path of the `.wasm` file.
    pub source: PathBuf,
    pub files: Vec<FileMount>,
    pub environment: BTreeMap<String, String>,
    pub allowed_outbound_hosts: Vec<Template>,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    pub variables: BTreeMap<String, Template>,
    pub build: Option<BuildDecl>,
    /// `tool.wasmart.max_body_bytes`: the component's request body limit, if set.
    pub max_body_bytes: Option<u64>,
}

/// Files a component sees in its filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileMount {
    /// A glob relative to the application root; matches keep their relative path.
    Glob(String),
    /// A host folder (or file) mounted at `destination`.
    Mapping {
        source: PathBuf,
        destination: String,
    },
}

/// `[component.<id>.build]`.
#[derive(Debug, Clone)]
pub struct BuildDecl {
    pub commands: Vec<String>,
    pub workdir: PathBuf,
    pub watch: Vec<String>,
}

impl Manifest {
    /// Reads and validates the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Validates manifest `text` as if it were read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ManifestError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let value: toml::Table = toml::from_str(text).map_err(|e| ManifestError::Syntax {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let raw: RawManifest = serde_path_to_error::deserialize(toml::Value::Table(value))
            .map_err(|e| ManifestError::Invalid {
                path: path.clone(),
                key: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        let root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Validator {
            path: &path,
            root: &root,
        }
        .manifest(raw)
    }
}

/// Turns the raw manifest into the validated model, naming the key of every problem.
struct Validator<'a> {
    path: &'a Path,
    root: &'a Path,
}

impl Validator<'_> {
    fn invalid(&self, key: impl Into<String>, message: impl Into<String>) -> ManifestError {
        ManifestError::Invalid {
            path: self.path.to_path_buf(),
            key: key.into(),
            message: message.into(),
        }
    }

    fn manifest(&self, raw: RawManifest) -> Result<Manifest, ManifestError> {
        if raw.spin_manifest_version != 2 {
            return Err(self.invalid(
                "spin_manifest_version",
                format!(
                    "version {} is not supported; use 2",
                    raw.spin_manifest_version
                ),
            ));
        }
        let variables = self.variables(raw.variables)?;
        let mut components = BTreeMap::new();
        for (id, component) in raw.component {
            let decl = self.component(&id, component, &variables)?;
            components.insert(id, decl);
        }
        if let Some(http) = &raw.application.trigger.http {
            if http.base.as_deref().is_some_and(|b| b != "/") {
                return Err(
                    self.invalid("application.trigger.http.base", "only \"/\" is supported")
                );
            }
        }
        let http_triggers = self.http_triggers(raw.trigger.http, &components)?;
        let app_address = raw.application.trigger.redis.map(|r| r.address);
        let redis_triggers =
            self.redis_triggers(raw.trigger.redis, app_address, &components, &variables)?;
        Ok(Manifest {
            path: self.path.to_path_buf(),
            root: self.root.to_path_buf(),
            name: raw.application.name,
            variables,
            http_triggers,
            redis_triggers,
            components,
        })
    }

    fn http_triggers(
        &self,
        raw: Vec<RawHttpTrigger>,
        components: &BTreeMap<String, ComponentDecl>,
    ) -> Result<Vec<HttpTrigger>, ManifestError> {
        let mut http_triggers = Vec::new();
        for (i, trigger) in raw.into_iter().enumerate() {
            let key = format!("trigger.http[{i}]");
            self.known_component(components, &trigger.component, &format!("{key}.component"))?;
            if let Some(executor) = trigger.executor {
                if executor.kind != "spin" {
                    return Err(self.invalid(
                        format!("{key}.executor"),
                        format!(
                            "executor {:?} is not supported; only \"spin\"",
                            executor.kind
                        ),
                    ));
                }
            }
            http_triggers.push(HttpTrigger {
                component: trigger.component,
                route: self.route(&key, trigger.route)?,
            });
        }
        Ok(http_triggers)
    }

    fn route(&self, key: &str, raw: RawRoute) -> Result<Route, ManifestError> {
        match raw {
            RawRoute::Private { private: true } => Ok(Route::Private),
            RawRoute::Private { private: false } => Err(self.invalid(
                format!("{key}.route"),
                "must be a route pattern or `{ private = true }`",
            )),
            RawRoute::Path(route) if route.starts_with('/') => Ok(Route::Path(route)),
            RawRoute::Path(route) => Err(self.invalid(
                format!("{key}.route"),
                format!("{route:?} must start with '/'"),
            )),
        }
    }

    fn redis_triggers(
        &self,
        raw: Vec<RawRedisTrigger>,
        app_address: Option<String>,
        components: &BTreeMap<String, ComponentDecl>,
        variables: &BTreeMap<String, VariableDecl>,
    ) -> Result<Vec<RedisTrigger>, ManifestError> {
        let mut redis_triggers = Vec::new();
        for (i, trigger) in raw.into_iter().enumerate() {
            let key = format!("trigger.redis[{i}]");
            self.known_component(components, &trigger.component, &format!("{key}.component"))?;
            let address = trigger
                .address
                .or_else(|| app_address.clone())
                .ok_or_else(|| {
                    self.invalid(
                        "application.trigger.redis.address",
                        format!("{key} needs a Redis address here or in its own `address`"),
                    )
                })?;
            redis_triggers.push(RedisTrigger {
                component: trigger.component,
                channel: self.template(&format!("{key}.channel"), &trigger.channel, variables)?,
                address: self.template(&format!("{key}.address"), &address, variables)?,
            });
        }
        Ok(redis_triggers)
    }

    fn variables(
        &self,
        raw: BTreeMap<String, raw::RawVariable>,
    ) -> Result<BTreeMap<String, VariableDecl>, ManifestError> {
        let mut out = BTreeMap::new();
        for (name, var) in raw {
            let key = format!("variables.{name}");
            if !template::is_variable_name(&name) {
                return Err(self.invalid(
                    key,
                    "variable names use lowercase letters, digits and '_', starting with a letter",
                ));
            }
            match (var.required, &var.default) {
                (true, Some(_)) => {
                    return Err(self.invalid(
                        key,
                        "a variable cannot be both `required` and have a `default`",
                    ))
                }
                (false, None) => {
                    return Err(self.invalid(key, "give it a `default` or `required = true`"))
                }
                _ => {}
            }
            out.insert(
                name,
                VariableDecl {
                    default: var.default,
                    required: var.required,
                    secret: var.secret,
                },
            );
        }
        Ok(out)
    }

    fn known_component(
        &self,
        components: &BTreeMap<String, ComponentDecl>,
        id: &str,
        key: &str,
    ) -> Result<(), ManifestError> {
        if components.contains_key(id) {
            Ok(())
        } else {
            Err(self.invalid(key, format!("there is no [component.{id}]")))
        }
    }

    fn template(
        &self,
        key: &str,
        text: &str,
        variables: &BTreeMap<String, VariableDecl>,
    ) -> Result<Template, ManifestError> {
        let template = Template::parse(text).map_err(|e| self.invalid(key, e.to_string()))?;
        if let Some(unknown) = template.references().find(|r| !variables.contains_key(*r)) {
            return Err(self.invalid(
                key,
                format!("refers to {unknown:?}, which is not in [variables]"),
            ));
        }
        Ok(template)
    }

    fn source(&self, key: &str, raw: &RawSource) -> Result<PathBuf, ManifestError> {
        match raw {
            RawSource::Path(path) => Ok(self.root.join(path)),
            RawSource::Remote { url, .. } => Err(self.invalid(
                format!("{key}.source"),
                format!(
                    "remote sources ({url}) are not supported here; build the component locally"
                ),
            )),
        }
    }

    /// Rejects what this host does not run, and empty store labels.
    fn supported(&self, key: &str, raw: &RawComponent) -> Result<(), ManifestError> {
        if !raw.ai_models.is_empty() {
            return Err(self.invalid(
                format!("{key}.ai_models"),
                "LLM inferencing is not supported by this host",
            ));
        }
        if !raw.exclude_files.is_empty() {
            return Err(self.invalid(format!("{key}.exclude_files"), "not supported by this host"));
        }
        for (field, labels) in [
            ("key_value_stores", &raw.key_value_stores),
            ("sqlite_databases", &raw.sqlite_databases),
        ] {
            if let Some(bad) = labels.iter().find(|l| l.is_empty()) {
                return Err(self.invalid(
                    format!("{key}.{field}"),
                    format!("{bad:?} is not a valid label"),
                ));
            }
        }
        Ok(())
    }

    fn component(
        &self,
        id: &str,
        raw: RawComponent,
        variables: &BTreeMap<String, VariableDecl>,
    ) -> Result<ComponentDecl, ManifestError> {
        let key = format!("component.{id}");
        if !is_component_id(id) {
            return Err(self.invalid(
                &key,
                "component ids use lowercase letters, digits and single '-' separators",
            ));
        }
        let source = self.source(&key, &raw.source)?;
        self.supported(&key, &raw)?;
        let wasmart = self.wasmart_tool(&key, &raw.tool)?;
        let files = raw
            .files
            .into_iter()
            .map(|f| match f {
                RawFiles::Pattern(glob) => FileMount::Glob(glob),
                RawFiles::Mapping {
                    source,
                    destination,
                } => FileMount::Mapping {
                    source: self.root.join(source),
                    destination,
                },
            })
            .collect();
        let allowed_outbound_hosts = raw
            .allowed_outbound_hosts
            .iter()
            .enumerate()
            .map(|(i, host)| {
                self.template(
                    &format!("{key}.allowed_outbound_hosts[{i}]"),
                    host,
                    variables,
                )
            })
            .collect::<Result<_, _>>()?;
        let mut component_variables = BTreeMap::new();
        for (name, value) in raw.variables {
            let var_key = format!("{key}.variables.{name}");
            if !template::is_variable_name(&name) {
                return Err(self.invalid(var_key, "not a valid variable name"));
            }
            let template = self.template(&var_key, &value, variables)?;
            component_variables.insert(name, template);
        }
        let build = raw.build.map(|b| BuildDecl {
            commands: match b.command {
                RawCommand::One(c) => vec![c],
                RawCommand::Many(cs) => cs,
            },
            workdir: self.root.join(b.workdir.unwrap_or_default()),
            watch: b.watch,
        });
        Ok(ComponentDecl {
            id: id.to_string(),
            source,
            files,
            environment: raw.environment,
            allowed_outbound_hosts,
            key_value_stores: raw.key_value_stores,
            sqlite_databases: raw.sqlite_databases,
            variables: component_variables,
            build,
            max_body_bytes: wasmart.max_body_bytes,
        })
    }

    /// `[<key>.tool.wasmart]`, this host's own settings (Spin ignores every `tool` table).
    fn wasmart_tool(
        &self,
        key: &str,
        tools: &BTreeMap<String, toml::Table>,
    ) -> Result<RawWasmartTool, ManifestError> {
        let Some(table) = tools.get("wasmart") else {
            return Ok(RawWasmartTool::default());
        };
        table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| self.invalid(format!("{key}.tool.wasmart"), e.message()))
    }
}

/// Spin's rule for component ids: kebab case with lowercase letters and digits.
fn is_component_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && id.starts_with(|c: char| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests;
