//! Services sit on `/internal/<service>/...` routes, reachable over the network when a
//! service runs in a host process of its own; only callers presenting the internal key get
//! an answer, and identity headers count for nothing without it.

use serde_json::Value;

use crate::support::{
    assert_problem, Shop, TestResponse, User, INTERNAL_API_KEY, INTERNAL_KEY_HEADER, SERVICES,
};

/// Every service, and a route of it that answers 200 to the internal key alone.
const OPEN_ROUTES: &[(&str, &str)] = &[
    ("catalog", "/products"),
    ("accounts", "/health"),
    ("cart", "/health"),
    ("orders", "/health"),
    ("payments", "/health"),
    ("notifications", "/health"),
    ("telemetry", "/health"),
    ("alerts", "/health"),
];

async fn over_http(
    shop: &Shop,
    service: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> TestResponse {
    shop.app
        .request(
            "GET",
            &format!("/internal/{service}{path}"),
            headers,
            Vec::new(),
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_route_answers_only_the_internal_key() {
    let shop = Shop::start().await;
    let admin = User::admin();
    let wrong_key = "test-internal-key-0123456789abcdef0123456788";
    assert_eq!(wrong_key.len(), INTERNAL_API_KEY.len());
    for (service, path) in OPEN_ROUTES {
        assert!(SERVICES.contains(service));
        let with_key = over_http(
            &shop,
            service,
            path,
            &[(INTERNAL_KEY_HEADER, INTERNAL_API_KEY)],
        )
        .await;
        assert_eq!(with_key.status, 200, "{service}{path}: {}", with_key.text());

        let mut refusals = vec![
            over_http(&shop, service, path, &[]).await,
            over_http(&shop, service, path, &[(INTERNAL_KEY_HEADER, wrong_key)]).await,
            over_http(&shop, service, path, &[(INTERNAL_KEY_HEADER, "")]).await,
        ];
        let mut forged = admin.headers();
        forged.push(("authorization", "Bearer anything"));
        refusals.push(over_http(&shop, service, "/admin/dead-letters", &forged).await);
        refusals.push(
            shop.app
                .call_component(service, "GET", path, &admin.headers(), Vec::new())
                .await
                .unwrap(),
        );
        for refused in &refusals {
            let problem: Value = assert_problem(refused, 401);
            assert!(
                problem["detail"].as_str().unwrap().contains("internal"),
                "{service}: {problem}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_route_over_http_sees_the_path_below_its_prefix() {
    let shop = Shop::start().await;
    let user = User::customer();
    let mut headers = user.headers();
    headers.push((INTERNAL_KEY_HEADER, INTERNAL_API_KEY));
    let cart = over_http(&shop, "cart", "/cart", &headers).await;
    assert_eq!(cart.status, 200, "{}", cart.text());
    let body: Value = cart.json();
    assert_eq!(body["items"], serde_json::json!([]), "{body}");
    assert_eq!(body["item_count"], 0, "{body}");
}
