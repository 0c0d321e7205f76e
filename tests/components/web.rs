//! `web`: static files with content types, ETags, caching rules, precompressed variants and
//! the single-page-app fallback.

use wasmart_testing::{TestApp, TestOptions};

use crate::support::Shop;
use wasmart_testing::built_components;

/// Starts `web` serving a site written to a temp dir: `index.html`, a hashed asset with a
/// brotli sibling, and a plain file.
async fn site() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("assets")).unwrap();
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><title>shop</title>",
    )
    .unwrap();
    std::fs::write(site.join("assets/app-1a2b.js"), "console.log('app')").unwrap();
    std::fs::write(site.join("assets/app-1a2b.js.br"), b"\x0bbrotli-bytes").unwrap();
    std::fs::write(site.join("robots.txt"), "User-agent: *").unwrap();
    let manifest = format!(
        "spin_manifest_version = 2\n[application]\nname = \"web-test\"\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"web\"\n\
         [component.web]\nsource = '{}'\nfiles = [{{ source = \"site\", destination = \"/\" }}]\n",
        built_components(&["web"]).join("web.wasm").display()
    );
    let app = TestApp::start_toml(dir.path(), &manifest, TestOptions::default())
        .await
        .unwrap();
    (app, dir)
}

fn header<'a>(response: &'a wasmart_testing::TestResponse, name: &str) -> &'a str {
    response
        .headers
        .get(name)
        .map_or("", |v| v.to_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_index_assets_and_files_with_types_and_cache_rules() {
    let (app, _dir) = site().await;
    let index = app.get("/").await.unwrap();
    assert_eq!(index.status, 200);
    assert_eq!(index.text(), "<!doctype html><title>shop</title>");
    assert_eq!(header(&index, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&index, "cache-control"), "no-cache");

    let asset = app.get("/assets/app-1a2b.js").await.unwrap();
    assert_eq!(asset.text(), "console.log('app')");
    assert_eq!(
        header(&asset, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&asset, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&asset, "content-encoding"), "");

    let robots = app.get("/robots.txt").await.unwrap();
    assert_eq!(header(&robots, "cache-control"), "public, max-age=300");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etags_answer_304_and_change_with_content() {
    let (app, dir) = site().await;
    let first = app.get("/robots.txt").await.unwrap();
    let etag = header(&first, "etag").to_string();
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    let again = app
        .request("GET", "/robots.txt", &[("if-none-match", &etag)], "")
        .await
        .unwrap();
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    std::fs::write(dir.path().join("site/robots.txt"), "User-agent: none").unwrap();
    let changed = app
        .request("GET", "/robots.txt", &[("if-none-match", &etag)], "")
        .await
        .unwrap();
    assert_eq!(changed.status, 200);
    assert_ne!(header(&changed, "etag"), etag);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_precompressed_variant_only_when_accepted() {
    let (app, _dir) = site().await;
    let br = app
        .request(
            "GET",
            "/assets/app-1a2b.js",
            &[("accept-encoding", "gzip, br")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(&br.body[..], b"\x0bbrotli-bytes");
    assert_eq!(header(&br, "vary"), "accept-encoding");
    let gzip_only = app
        .request(
            "GET",
            "/assets/app-1a2b.js",
            &[("accept-encoding", "gzip")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(gzip_only.text(), "console.log('app')");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_routes_fall_back_to_index_but_missing_files_and_api_do_not() {
    let (app, _dir) = site().await;
    let route = app.get("/orders/42").await.unwrap();
    assert_eq!(
        (route.status, route.text().contains("<title>shop</title>")),
        (200, true)
    );
    assert_eq!(app.get("/assets/missing.js").await.unwrap().status, 404);
    assert_eq!(app.get("/api/v1/products").await.unwrap().status, 404);
    assert_eq!(app.get("/../spin.toml").await.unwrap().status, 404);
    assert_eq!(
        app.get("/assets/../../spin.toml").await.unwrap().status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_get_and_head_are_allowed() {
    let (app, _dir) = site().await;
    let post = app.request("POST", "/", &[], "x").await.unwrap();
    assert_eq!((post.status, header(&post, "allow")), (405, "GET, HEAD"));
    let head = app.request("HEAD", "/robots.txt", &[], "").await.unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_application_serves_its_home_page() {
    let shop = Shop::start().await;
    let home = shop.app.get("/").await.unwrap();
    assert_eq!(home.status, 200);
    let page = home.text();
    assert!(page.contains(r#"<div id="root">"#), "{page}");
    assert!(
        page.contains(r#"src="/assets/index-"#),
        "the built app, not a source page: {page}"
    );
}
