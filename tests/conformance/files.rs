//! Mounted files: `files = [{ source, destination }]` and glob patterns expose host
//! files read-only inside the guest, and nothing outside them.

use wasmart_testing::TestOptions;

use crate::support::{http_component, manifest, new_dir, route, write_file, Running};
use wasmart_testing::fixtures::source;

/// `mapped` mounts `static/` at `/`; `globbed` mounts `static/*.txt` at their relative
/// paths; `bare` mounts nothing.
async fn files_app() -> Running {
    let dir = new_dir();
    write_file(dir.path(), "static/hello.txt", "hello from a file\n");
    write_file(dir.path(), "static/sub/nested.txt", "nested\n");
    write_file(dir.path(), "outside.txt", "must not be reachable\n");
    let files = source("files");
    let body = [
        http_component(
            "mapped",
            &route("/mapped/..."),
            &files,
            r#"files = [{ source = "static", destination = "/" }]"#,
        ),
        http_component(
            "globbed",
            &route("/globbed/..."),
            &files,
            r#"files = ["static/*.txt"]"#,
        ),
        http_component("bare", &route("/bare/..."), &files, ""),
    ]
    .concat();
    Running::start_in(dir, &manifest("files", &body), TestOptions::default()).await
}

async fn read(app: &Running, path: &str) -> (u16, String) {
    let response = app.fetch(path).await;
    (response.status, response.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapped_directory_is_served() {
    let app = files_app().await;
    assert_eq!(
        read(&app, "/mapped/hello.txt").await,
        (200, "hello from a file\n".into())
    );
    assert_eq!(
        read(&app, "/mapped/sub/nested.txt").await,
        (200, "nested\n".into())
    );
    assert_eq!(read(&app, "/mapped/missing.txt").await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glob_pattern_mounts_matching_files_at_their_relative_paths() {
    let app = files_app().await;
    assert_eq!(
        read(&app, "/globbed/static/hello.txt").await,
        (200, "hello from a file\n".into())
    );
    assert_ne!(read(&app, "/globbed/static/sub/nested.txt").await.0, 200);
    assert_ne!(read(&app, "/globbed/hello.txt").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_without_files_see_none() {
    let app = files_app().await;
    assert_ne!(read(&app, "/bare/hello.txt").await.0, 200);
    assert_ne!(read(&app, "/bare/static/hello.txt").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_cannot_escape_the_mount() {
    let app = files_app().await;
    for path in [
        "/mapped/../outside.txt",
        "/mapped/../../outside.txt",
        "/mapped/../spin.toml",
    ] {
        let (status, body) = read(&app, path).await;
        assert_ne!(status, 200, "{path} escaped the mount: {body}");
        assert!(!body.contains("must not be reachable") && !body.contains("spin_manifest_version"));
    }
}
