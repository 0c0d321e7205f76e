//! The Spin manifest version 2 as it is written in `spin.toml`, before validation.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    pub spin_manifest_version: u32,
    pub application: RawApplication,
    #[serde(default)]
    pub variables: BTreeMap<String, RawVariable>,
    #[serde(default)]
    pub trigger: RawTriggers,
    #[serde(default)]
    pub component: BTreeMap<String, RawComponent>,
}

/// `[application]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApplication {
    pub name: String,
    #[serde(default, rename = "version")]
    _version: Option<IgnoredAny>,
    #[serde(default, rename = "description")]
    _description: Option<IgnoredAny>,
    #[serde(default, rename = "authors")]
    _authors: Option<IgnoredAny>,
    #[serde(default)]
    pub trigger: RawApplicationTriggers,
}

/// `[application.trigger.*]`: settings shared by every trigger of a type.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApplicationTriggers {
    #[serde(default)]
    pub http: Option<RawHttpSettings>,
    #[serde(default)]
    pub redis: Option<RawRedisSettings>,
}

/// `[application.trigger.http]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttpSettings {
    #[serde(default)]
    pub base: Option<String>,
}

/// `[application.trigger.redis]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedisSettings {
    pub address: String,
}

/// An entry of `[variables]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariable {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default, rename = "description")]
    _description: Option<IgnoredAny>,
}

/// `[[trigger.*]]` tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTriggers {
    #[serde(default)]
    pub http: Vec<RawHttpTrigger>,
    #[serde(default)]
    pub redis: Vec<RawRedisTrigger>,
}

/// One `[[trigger.http]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttpTrigger {
    #[serde(default, rename = "id")]
    _id: Option<IgnoredAny>,
    pub route: RawRoute,
    pub component: String,
    #[serde(default)]
    pub executor: Option<RawExecutor>,
}

/// `route = "/x"` or `route = { private = true }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawRoute {
    Path(String),
    Private { private: bool },
}

/// `executor = { type = "spin" }`: only the Spin executor exists here.
#[derive(Debug, Deserialize)]
pub struct RawExecutor {
    #[serde(rename = "type")]
    pub kind: String,
}

/// One `[[trigger.redis]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedisTrigger {
    #[serde(default, rename = "id")]
    _id: Option<IgnoredAny>,
    pub channel: String,
    pub component: String,
    #[serde(default)]
    pub address: Option<String>,
}

/// One `[component.<id>]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawComponent {
    pub source: RawSource,
    #[serde(default, rename = "description")]
    _description: Option<IgnoredAny>,
    #[serde(default)]
    pub files: Vec<RawFiles>,
    #[serde(default)]
    pub exclude_files: Vec<String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    #[serde(default)]
    pub ai_models: Vec<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub build: Option<RawBuild>,
    /// `[component.<id>.tool.<name>]`: settings of tools, which Spin ignores; this host reads
    /// `tool.wasmart` (see [`RawWasmartTool`]).
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
}

/// `[component.<id>.tool.wasmart]`: this host's own settings of a component.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWasmartTool {
    /// The component's request body limit (as `--component-max-body-bytes`).
    #[serde(default)]
    pub max_body_bytes: Option<u64>,
}

/// `source = "x.wasm"` or `source = { url = .., digest = .. }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawSource {
    Path(String),
    Remote {
        url: String,
        #[serde(rename = "digest")]
        _digest: IgnoredAny,
    },
}

/// A `files` entry: a glob, or a `{ source, destination }` mapping.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawFiles {
    Pattern(String),
    Mapping { source: String, destination: String },
}

/// `[component.<id>.build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuild {
    pub command: RawCommand,
    #[serde(default)]
    pub workdir: Option<String>,
    #[serde(default)]
    pub watch: Vec<String>,
}

/// A build command: one string or several run in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawCommand {
    One(String),
    Many(Vec<String>),
}
