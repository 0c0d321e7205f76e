//! The shop under test: the root `spin.toml` with fresh state, a private Redis, and
//! identities to call services with.

use std::time::Duration;

use serde_json::Value;
use wasmart_host::observability::otlp::OtlpConfig;
use wasmart_host::triggers::http::limits::HttpLimits;
use wasmart_testing::eventually;
pub use wasmart_testing::TestResponse;
use wasmart_testing::{RedisServer, TestApp, TestOptions};

use wasmart_testing::{built_components, workspace_root};

/// How long a test waits for an event to be handled.
pub const WAIT: Duration = Duration::from_secs(15);

/// The header services read the internal key from.
pub const INTERNAL_KEY_HEADER: &str = "x-wasmart-internal-key";

/// Every component behind `web`: the gateway and the services.
pub const SERVICES: &[&str] = &[
    "gateway",
    "catalog",
    "accounts",
    "cart",
    "orders",
    "payments",
    "notifications",
    "telemetry",
    "alerts",
];

/// The signing key tests start the shop with.
pub const JWT_SIGNING_KEY: &str = "test-signing-key-0123456789abcdef0123456789";
/// The key services require of their callers (`internal_api_key`).
pub const INTERNAL_API_KEY: &str = "test-internal-key-0123456789abcdef0123456789";
/// The first admin's credentials.
pub const ADMIN_EMAIL: &str = "admin@wasmart.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// The root application with fresh SQLite and key-value files in a temp dir, its own Redis,
/// and every component built.
pub struct Shop {
    pub app: TestApp,
    pub redis: RedisServer,
    _dir: tempfile::TempDir,
}

/// How to start a [`Shop`].
#[derive(Default)]
pub struct ShopOptions {
    /// Run only these components (`-c`); empty runs all.
    pub components: Vec<&'static str>,
    /// Extra `--variable name=value`s.
    pub variables: Vec<(String, String)>,
    /// Export spans over OTLP.
    pub otlp: Option<OtlpConfig>,
    /// What the HTTP server allows a client (default: as `up`).
    pub http_limits: Option<HttpLimits>,
}

impl Shop {
    /// Starts every component.
    pub async fn start() -> Self {
        Self::start_with(ShopOptions::default()).await
    }

    /// Starts only `components` (and `web`), with default settings.
    pub async fn start_only(components: &[&'static str]) -> Self {
        Self::start_with(ShopOptions {
            components: components.to_vec(),
            ..Default::default()
        })
        .await
    }

    /// Starts the shop as `options` say.
    pub async fn start_with(options: ShopOptions) -> Self {
        let mut packages = vec!["web"];
        if options.components.is_empty() {
            packages.extend_from_slice(SERVICES);
        } else {
            packages.extend_from_slice(&options.components);
        }
        let wasm_dir = built_components(&packages);
        let redis = RedisServer::start().await.expect("starting redis-server");
        let dir = tempfile::tempdir().unwrap();
        let manifest = manifest_with_built(&wasm_dir);
        let runtime_config = dir.path().join("runtime-config.toml");
        std::fs::copy(
            workspace_root().join("runtime-config.toml"),
            &runtime_config,
        )
        .unwrap();
        let redis_host = redis.url().trim_start_matches("redis://").to_owned();
        let mut variables = required_variables(&redis_host);
        variables.extend(options.variables);
        let app = TestApp::start_toml(
            dir.path(),
            &manifest,
            TestOptions {
                variables,
                runtime_config: Some(runtime_config),
                component_ids: options.components.iter().map(|c| c.to_string()).collect(),
                max_instances: Some(64),
                metrics: true,
                otlp: options.otlp,
                http_limits: options.http_limits,
                ..Default::default()
            },
        )
        .await
        .expect("starting the shop");
        Self {
            app,
            redis,
            _dir: dir,
        }
    }

    /// Calls `component` on `path` as service chaining would, presenting the internal key,
    /// as `user` (or anonymously), with an optional JSON body.
    pub async fn call(
        &self,
        component: &str,
        method: &str,
        path: &str,
        user: Option<&User>,
        body: Option<Value>,
    ) -> TestResponse {
        self.call_with_headers(component, method, path, user, body, &[])
            .await
    }

    /// [`Shop::call`] with extra headers.
    pub async fn call_with_headers(
        &self,
        component: &str,
        method: &str,
        path: &str,
        user: Option<&User>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let mut headers: Vec<(&str, &str)> = extra.to_vec();
        if let Some(user) = user {
            headers.extend(user.headers());
        }
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.call_raw(component, method, path, &headers, body).await
    }

    /// Calls `component` on `path` as service chaining would, presenting the internal key,
    /// with exactly `headers` and `body`.
    pub async fn call_raw(
        &self,
        component: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<bytes::Bytes>,
    ) -> TestResponse {
        let mut headers = headers.to_vec();
        headers.push((INTERNAL_KEY_HEADER, INTERNAL_API_KEY));
        self.app
            .call_component(component, method, path, &headers, body)
            .await
            .unwrap_or_else(|error| panic!("{method} {component}{path}: {error:#}"))
    }

    /// Creates `product` through catalog's admin route (as a new admin); returns its id.
    pub async fn create_product(&self, product: Value) -> String {
        let created = self
            .call(
                "catalog",
                "POST",
                "/products",
                Some(&User::admin()),
                Some(product),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        created.json()["id"].as_str().unwrap().to_owned()
    }

    /// Rows of `sql` in SQLite database `label` (read straight from its file).
    pub fn sql(&self, label: &str, sql: &str) -> Vec<Vec<Value>> {
        self.app
            .sqlite_query(label, sql)
            .unwrap_or_else(|error| panic!("{sql} on {label}: {error:#}"))
    }
}

/// A running Wasmart whose public API tests call: one host process ([`Shop`]) or several
/// (`split::SplitShop`).
pub trait Deployment {
    /// Where its public listener serves, `http://127.0.0.1:PORT`.
    fn public_origin(&self) -> String;
}

impl Deployment for Shop {
    fn public_origin(&self) -> String {
        self.app.base_url()
    }
}

/// The root `spin.toml`, pointing at the components in `wasm_dir` and the built frontend by
/// absolute paths, so that it runs from any folder.
pub fn manifest_with_built(wasm_dir: &std::path::Path) -> String {
    manifest_with_built_from("spin.toml", wasm_dir)
}

/// [`manifest_with_built`] for the manifest `file` of the workspace root.
pub fn manifest_with_built_from(file: &str, wasm_dir: &std::path::Path) -> String {
    std::fs::read_to_string(workspace_root().join(file))
        .unwrap()
        .replace(
            "source = \"target/wasm32-wasip2/release/",
            &format!("source = \"{}/", wasm_dir.display()),
        )
        .replace(
            "files = [{ source = \"frontend/dist\"",
            &format!(
                "files = [{{ source = \"{}\"",
                workspace_root().join("frontend/dist").display()
            ),
        )
}

/// The variables every run of the shop needs: secrets, the first admin, and where Redis is.
pub fn required_variables(redis_host: &str) -> Vec<(String, String)> {
    vec![
        ("redis_host".to_owned(), redis_host.to_owned()),
        ("jwt_signing_key".to_owned(), JWT_SIGNING_KEY.to_owned()),
        ("admin_email".to_owned(), ADMIN_EMAIL.to_owned()),
        ("admin_password".to_owned(), ADMIN_PASSWORD.to_owned()),
        ("internal_api_key".to_owned(), INTERNAL_API_KEY.to_owned()),
    ]
}

/// An identity as the gateway passes it on (`x-wasmart-user-*` headers).
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub role: &'static str,
    pub email: String,
}

impl User {
    /// A new customer with a random id.
    pub fn customer() -> Self {
        let id = uuid::Uuid::new_v4().to_string();
        Self {
            email: format!("{}@example.test", &id[..8]),
            id,
            role: "customer",
        }
    }

    /// A new admin with a random id.
    pub fn admin() -> Self {
        Self {
            role: "admin",
            ..Self::customer()
        }
    }

    /// The identity headers.
    pub fn headers(&self) -> Vec<(&str, &str)> {
        vec![
            ("x-wasmart-user-id", self.id.as_str()),
            ("x-wasmart-user-role", self.role),
            ("x-wasmart-user-email", self.email.as_str()),
        ]
    }
}

/// Asserts `response` is an `application/problem+json` with `status`, and returns its body.
pub fn assert_problem(response: &TestResponse, status: u16) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    let content_type = response
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(
        content_type,
        "application/problem+json",
        "{}",
        response.text()
    );
    let body = response.json();
    assert_eq!(body["status"], status, "{body}");
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "problem without {field}: {body}");
    }
    body
}

/// Asserts a 400 problem names `field` among its errors.
pub fn assert_field_error(response: &TestResponse, field: &str) {
    let body = assert_problem(response, 400);
    let named = body["errors"]
        .as_array()
        .is_some_and(|errors| errors.iter().any(|e| e["field"] == field));
    assert!(named, "expected an error for `{field}`: {body}");
}

/// An event envelope as a producer publishes it (see `service_kit::events::Envelope`).
///
/// Consumers are tested with what the contract allows: the envelope must match
/// `kv-schemas/events/`.
pub fn envelope(event_type: &str, producer: &str, order_id: &str, payload: Value) -> Value {
    let event = serde_json::json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "type": event_type,
        "version": 1,
        "occurred_at": "2026-11-24T00:00:00.000Z",
        "correlation_id": order_id,
        "producer": producer,
        "payload": payload
    });
    let errors = event_errors(&event);
    assert!(
        errors.is_empty(),
        "a test event breaks the contract: {errors:?}\n{event}"
    );
    event
}

/// Why `value` is not valid against the JSON Schema at `kv-schemas/<schema>` (empty if it
/// is).
pub fn schema_errors(schema: &str, value: &Value) -> Vec<String> {
    let path = workspace_root().join("kv-schemas").join(schema);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    validator
        .iter_errors(value)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

/// Asserts `value` is valid against the JSON Schema at `kv-schemas/<schema>`.
pub fn assert_matches_schema(schema: &str, value: &Value) {
    let errors = schema_errors(schema, value);
    assert!(errors.is_empty(), "{value} breaks {schema}: {errors:?}");
}

/// Why `event` breaks the event contract: its envelope, or its payload's schema.
pub fn event_errors(event: &Value) -> Vec<String> {
    let mut errors = schema_errors("events/envelope.schema.json", event);
    if let Some(kind) = event["type"].as_str() {
        let file = format!("events/{}.v{}.schema.json", kebab(kind), event["version"]);
        if workspace_root().join("kv-schemas").join(&file).is_file() {
            errors.extend(schema_errors(&file, &event["payload"]));
        } else {
            errors.push(format!("no schema {file} for this type and version"));
        }
    }
    errors
}

/// `OrderCreated` -> `order-created`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A valid checkout request paying with `card_token`.
pub fn checkout_body(card_token: &str) -> Value {
    serde_json::json!({
        "shipping_address": {
            "name": "Ada Lovelace", "line1": "12 Analytical Way", "city": "London",
            "postal_code": "N1 9GU", "country": "GB"
        },
        "payment": { "card_token": card_token }
    })
}

/// `component`'s dead letters are for admins: listing them anonymously is a 401, as
/// `customer` a 403.
pub async fn assert_dead_letters_admin_only(shop: &Shop, component: &str, customer: &User) {
    let path = "/admin/dead-letters";
    assert_problem(&shop.call(component, "GET", path, None, None).await, 401);
    assert_problem(
        &shop
            .call(component, "GET", path, Some(customer), None)
            .await,
        403,
    );
}

/// `component`'s dead letters as an admin lists them, once there are `count` (`None` after
/// `timeout`).
pub async fn dead_letters(
    shop: &Shop,
    component: &str,
    count: usize,
    timeout: Duration,
) -> Option<Value> {
    let admin = User::admin();
    eventually(timeout, || async {
        let body = shop
            .call(component, "GET", "/admin/dead-letters", Some(&admin), None)
            .await
            .json();
        (body["dead_letters"].as_array().unwrap().len() == count).then_some(body)
    })
    .await
}

/// The dead-letter replay contract every consuming service keeps: customers get 403, an
/// admin's replay of `event_id` answers 202 with `outcome`, an unknown id 404.
pub async fn assert_replay_contract(
    shop: &Shop,
    component: &str,
    event_id: &Value,
    customer: &User,
    outcome: &str,
) {
    let admin = User::admin();
    let replay = format!("/admin/dead-letters/{}/replay", event_id.as_str().unwrap());
    let refused = shop
        .call(component, "POST", &replay, Some(customer), None)
        .await;
    assert_problem(&refused, 403);
    let replayed = shop
        .call(component, "POST", &replay, Some(&admin), None)
        .await;
    assert_eq!(replayed.status, 202, "{}", replayed.text());
    assert_eq!(
        replayed.json(),
        serde_json::json!({"event_id": event_id, "outcome": outcome})
    );
    let missing = format!("/admin/dead-letters/{}/replay", uuid::Uuid::new_v4());
    let unknown = shop
        .call(component, "POST", &missing, Some(&admin), None)
        .await;
    assert_problem(&unknown, 404);
}
