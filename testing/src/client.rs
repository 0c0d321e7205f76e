//! [`HttpClient`]: a plain HTTP/1.1 client for tests that reads whole responses
//! ([`TestResponse`]).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct TestResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    /// The body as UTF-8 text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body text if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A plain HTTP/1.1 client for tests, reading whole responses.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// A client with its own connection pool.
    pub fn new() -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// `GET url` (a full URL, e.g. `http://127.0.0.1:9090/metrics?x=1`).
    pub async fn get(&self, url: &str) -> anyhow::Result<TestResponse> {
        self.request(url, "GET", "", &[], Bytes::new()).await
    }

    /// Sends `method` `base_url``path` with `headers` and `body`, and reads the whole response.
    pub async fn request(
        &self,
        base_url: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> anyhow::Result<TestResponse> {
        let request = request_builder(method, &format!("{base_url}{path}"), headers);
        let response = self
            .client
            .request(request.body(Full::new(body.into()))?)
            .await?;
        read_response(response).await
    }
}

pub(crate) fn request_builder(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> http::request::Builder {
    headers.iter().fold(
        http::Request::builder().method(method).uri(uri),
        |request, (name, value)| request.header(*name, *value),
    )
}

pub(crate) async fn read_response<B>(response: http::Response<B>) -> anyhow::Result<TestResponse>
where
    B: hyper::body::Body,
    B::Error: std::fmt::Debug,
{
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|error| anyhow::anyhow!("reading the body: {error:?}"))?
        .to_bytes();
    Ok(TestResponse {
        status,
        headers,
        body,
    })
}

/// A loopback port that was free a moment ago (for a server that must be told its port up
/// front).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}
