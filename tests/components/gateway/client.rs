//! A client of the public API that holds the gateway to its contract: every response it
//! receives is checked against `docs/openapi.yaml`, must carry a request id, and must not be
//! a 5xx unless the test deliberately broke an upstream.

use serde_json::{json, Value};
use wasmart_testing::HttpClient;

use super::contract;
use crate::support::{
    checkout_body, Deployment, Shop, ShopOptions, TestResponse, ADMIN_EMAIL, ADMIN_PASSWORD,
};

/// The whole application, reached only through `/api/v1`: in one host process ([`Shop`])
/// unless `D` says otherwise.
pub struct Api<D: Deployment = Shop> {
    pub shop: D,
    client: HttpClient,
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub user_id: String,
    pub email: String,
}

impl Api {
    /// Every component, default settings.
    pub async fn start() -> Self {
        Self::start_with(ShopOptions::default()).await
    }

    pub async fn start_with(options: ShopOptions) -> Self {
        Self::over(Shop::start_with(options).await)
    }
}

impl<D: Deployment> Api<D> {
    /// The public API of `shop`.
    pub fn over(shop: D) -> Self {
        Self {
            shop,
            client: HttpClient::new(),
        }
    }

    /// A request to `path` (below the host, e.g. `/api/v1/products?q=x`).
    pub fn request<'a>(&'a self, method: &'a str, path: &'a str) -> Call<'a, D> {
        Call {
            api: self,
            method,
            path,
            headers: Vec::new(),
            body: Vec::new(),
            upstream_failure_expected: false,
        }
    }

    pub fn get<'a>(&'a self, path: &'a str) -> Call<'a, D> {
        self.request("GET", path)
    }

    pub fn post<'a>(&'a self, path: &'a str) -> Call<'a, D> {
        self.request("POST", path)
    }

    /// Registers a new customer and signs them in.
    pub async fn customer(&self) -> Session {
        let email = format!(
            "{}@example.test",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let password = "a long enough password";
        let registered = self
            .post("/api/v1/accounts")
            .json(json!({"email": email, "password": password, "name": "Grace Hopper"}))
            .send()
            .await;
        assert_eq!(registered.status, 201, "{}", registered.text());
        self.sign_in(&email, password).await
    }

    /// Signs in the first admin.
    pub async fn admin(&self) -> Session {
        self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Session {
        let response = self
            .post("/api/v1/sessions")
            .json(json!({"email": email, "password": password}))
            .send()
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
        let body = response.json();
        let token = body["token"].as_str().unwrap().to_owned();
        let me = self.get("/api/v1/me").token(&token).send().await;
        assert_eq!(me.status, 200, "{}", me.text());
        Session {
            token,
            user_id: me.json()["id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
        }
    }

    /// `GET path` as `session`; asserts a 200 and returns the JSON body.
    pub async fn fetch(&self, path: &str, session: &Session) -> Value {
        let response = self.get(path).token(&session.token).send().await;
        assert_eq!(response.status, 200, "GET {path}: {}", response.text());
        response.json()
    }

    /// Puts `quantity` units of `product` in the session's cart; returns the priced cart.
    pub async fn put_in_cart(&self, session: &Session, product: &Value, quantity: u32) -> Value {
        let path = format!("/api/v1/cart/items/{}", product["id"].as_str().unwrap());
        let response = self
            .request("PUT", &path)
            .token(&session.token)
            .json(json!({ "quantity": quantity }))
            .send()
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()
    }

    /// Checks out the session's cart paying with `card_token`; returns the accepted order.
    pub async fn place_order(&self, session: &Session, card_token: &str) -> Value {
        let response = self
            .post("/api/v1/orders")
            .token(&session.token)
            .json(checkout_body(card_token))
            .send()
            .await;
        assert_eq!(response.status, 202, "{}", response.text());
        response.json()
    }

    /// `GET /api/v1/health`, and its entry for the service `name`.
    pub async fn health_of(&self, name: &str) -> (Value, Value) {
        let health = self.get("/api/v1/health").send().await.json();
        let service = health["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|service| service["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {health}"))
            .clone();
        (health, service)
    }

    /// The first `count` products of the catalog's first page.
    pub async fn products(&self, count: usize) -> Vec<Value> {
        let path = format!("/api/v1/products?page_size={count}");
        let response = self.get(&path).send().await;
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()["items"].as_array().unwrap().clone()
    }
}

/// One request being built.
pub struct Call<'a, D: Deployment> {
    api: &'a Api<D>,
    method: &'a str,
    path: &'a str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    upstream_failure_expected: bool,
}

impl<D: Deployment> Call<'_, D> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// A JSON body.
    pub fn json(self, body: Value) -> Self {
        self.raw("application/json", body.to_string().into_bytes())
    }

    /// A body of any type.
    pub fn raw(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = body;
        self.header("content-type", content_type)
    }

    /// This test broke an upstream on purpose: a 503/504 is an acceptable answer.
    pub fn upstream_failure_expected(mut self) -> Self {
        self.upstream_failure_expected = true;
        self
    }

    /// Sends the request over loopback HTTP and checks the answer against the contract.
    pub async fn send(self) -> TestResponse {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let origin = self.api.shop.public_origin();
        let response = self
            .api
            .client
            .request(&origin, self.method, self.path, &headers, self.body)
            .await
            .unwrap_or_else(|error| panic!("{} {}: {error:#}", self.method, self.path));
        let what = format!(
            "{} {} -> {}: {}",
            self.method,
            self.path,
            response.status,
            response.text()
        );
        assert!(
            response.status < 500
                || (self.upstream_failure_expected && [503, 504].contains(&response.status)),
            "unexpected server error: {what}"
        );
        let request_id = response.headers.get("x-request-id");
        assert!(
            request_id.is_some_and(|id| !id.is_empty()),
            "no x-request-id: {what}"
        );
        let path = self.path.split('?').next().unwrap_or_default();
        let content_type = response
            .headers
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let violations = contract::violations(
            self.method,
            path,
            response.status,
            content_type,
            &response.body,
        );
        assert!(
            violations.is_empty(),
            "breaks docs/openapi.yaml: {violations:#?}\n{what}"
        );
        response
    }
}
