//! Bad input to any service route gets a 4xx `application/problem+json` answer, never a 5xx:
//! every route of every service, with malformed bodies, ids and query parameters.

use serde_json::json;

use crate::support::{assert_problem, Shop, User};

/// Routes that take a JSON body: (component, method, path).
const BODY_ROUTES: &[(&str, &str, &str)] = &[
    ("accounts", "POST", "/accounts"),
    ("accounts", "POST", "/sessions"),
    ("accounts", "PATCH", "/me"),
    ("catalog", "POST", "/products"),
    ("catalog", "PUT", "/products/{product}"),
    ("catalog", "POST", "/products/lookup"),
    ("cart", "PUT", "/cart/items/{product}"),
    ("orders", "POST", "/orders"),
];

/// Routes with a malformed id in the path: each must answer 404 (or 400), never 5xx.
const MALFORMED_IDS: &[(&str, &str, &str)] = &[
    ("catalog", "GET", "/products/not-a-uuid"),
    ("catalog", "PUT", "/products/not-a-uuid"),
    ("catalog", "DELETE", "/products/not-a-uuid"),
    ("catalog", "GET", "/images/not-a-uuid.svg"),
    ("catalog", "GET", "/images/..%2F..%2Fetc%2Fpasswd"),
    ("cart", "PUT", "/cart/items/not-a-uuid"),
    ("cart", "DELETE", "/cart/items/not-a-uuid"),
    ("orders", "GET", "/orders/not-a-uuid"),
    ("orders", "POST", "/orders/not-a-uuid/cancel"),
    ("orders", "POST", "/orders/not-a-uuid/fulfil"),
    ("payments", "GET", "/payments/not-a-uuid"),
    ("notifications", "POST", "/notifications/not-a-uuid/read"),
    ("catalog", "POST", "/admin/dead-letters/not-a-uuid/replay"),
    ("orders", "POST", "/admin/dead-letters/not-a-uuid/replay"),
    ("payments", "POST", "/admin/dead-letters/not-a-uuid/replay"),
    (
        "notifications",
        "POST",
        "/admin/dead-letters/not-a-uuid/replay",
    ),
];

/// Query strings that are out of range or of the wrong type.
const BAD_QUERIES: &[(&str, &str, &str)] = &[
    ("catalog", "/products", "page=0"),
    ("catalog", "/products", "page=abc"),
    ("catalog", "/products", "page_size=1000"),
    ("catalog", "/products", "min_price=-5"),
    ("catalog", "/products", "min_price=500&max_price=100"),
    ("catalog", "/products", "sort=sideways"),
    ("accounts", "/accounts", "page=-1"),
    ("orders", "/orders", "page=x"),
    ("orders", "/orders", "page_size=0"),
    ("payments", "/payments", "order_id=nope"),
    ("notifications", "/notifications", "unread=maybe"),
    ("notifications", "/notifications", "page_size=100000"),
];

/// Bodies that are not what any route expects: (content type, body, expected status).
fn bad_bodies() -> Vec<(&'static str, Vec<u8>, u16)> {
    vec![
        ("text/plain", b"hello".to_vec(), 415),
        ("application/json", b"{not json".to_vec(), 400),
        ("application/json", b"[1, 2, 3]".to_vec(), 400),
        ("application/json", b"42".to_vec(), 400),
        ("application/json", b"{}".to_vec(), 400),
        (
            "application/json",
            json!({"email": 5, "password": [], "quantity": "many", "price": {"amount": -1}})
                .to_string()
                .into_bytes(),
            400,
        ),
        ("application/json", vec![b' '; 200 * 1024], 413),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_4xx_problems_from_every_route() {
    let shop = Shop::start().await;
    let admin = User::admin();
    let product = uuid::Uuid::new_v4().to_string();
    for (component, method, path) in BODY_ROUTES {
        let path = path.replace("{product}", &product);
        for (content_type, body, expected) in bad_bodies() {
            let mut headers = admin.headers();
            headers.push(("content-type", content_type));
            let response = shop
                .call_raw(component, method, &path, &headers, body.clone())
                .await;
            let context = format!(
                "{method} {component}{path} with {content_type} {:?}",
                String::from_utf8_lossy(&body[..body.len().min(60)])
            );
            assert!(
                (400..500).contains(&response.status),
                "{context}: {} {}",
                response.status,
                response.text()
            );
            // A 404 for an unknown product may come before the body is read.
            if response.status != 404 {
                assert_eq!(response.status, expected, "{context}: {}", response.text());
            }
            assert_problem(&response, response.status);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_ids_and_queries_get_4xx_problems() {
    let shop = Shop::start().await;
    let admin = User::admin();
    for (component, method, path) in MALFORMED_IDS {
        let body = (*method != "GET" && *method != "DELETE").then(|| json!({"quantity": 1}));
        let response = shop.call(component, method, path, Some(&admin), body).await;
        assert!(
            matches!(response.status, 400 | 404),
            "{method} {component}{path}: {} {}",
            response.status,
            response.text()
        );
        assert_problem(&response, response.status);
    }
    for (component, path, query) in BAD_QUERIES {
        let response = shop
            .call(
                component,
                "GET",
                &format!("{path}?{query}"),
                Some(&admin),
                None,
            )
            .await;
        let problem = assert_problem(&response, 400);
        let names_a_parameter = problem["errors"].as_array().is_some_and(|errors| {
            errors.iter().any(|error| {
                error["field"]
                    .as_str()
                    .is_some_and(|field| query.contains(&format!("{field}=")))
            })
        });
        assert!(
            names_a_parameter,
            "{component}{path}?{query} names no parameter: {problem}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_are_problems_too() {
    let shop = Shop::start().await;
    let customer = User::customer();
    for component in crate::support::SERVICES {
        let missing = shop
            .call(component, "GET", "/no/such/route", Some(&customer), None)
            .await;
        assert_problem(&missing, 404);
    }
    let wrong_method = shop
        .call("catalog", "PATCH", "/categories", None, None)
        .await;
    assert_problem(&wrong_method, 405);
    assert!(wrong_method.headers.contains_key("allow"));
}
