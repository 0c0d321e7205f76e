//! SQLite through both interfaces (`fermyon:spin/sqlite@2.0.0` and
//! `spin:sqlite/sqlite@3.0.0`): statements run, rows persist, labels follow the same
//! grant rules as key-value (`access-denied`, undefined label = start-up error).

use serde_json::json;
use wasmart_testing::{TestOptions, TestResponse};

use crate::support::{error_of, http_component, manifest, new_dir, route, write_file, Running};
use wasmart_testing::fixtures::source;

const RUNTIME_CONFIG: &str = r#"
[sqlite_database.other]
type = "spin"
path = "other-sqlite.db"
"#;

/// `db` (at `/db/...`) may use `default` and `other`; `nodb` (at `/nodb/...`) nothing.
fn sqlite_manifest() -> String {
    let sqlite = source("sqlite");
    let body = [
        http_component(
            "db",
            &route("/db/..."),
            &sqlite,
            r#"sqlite_databases = ["default", "other"]"#,
        ),
        http_component("nodb", &route("/nodb/..."), &sqlite, ""),
    ]
    .concat();
    manifest("sqlite", &body)
}

async fn start_sqlite_in(dir: tempfile::TempDir) -> Running {
    let config = write_file(dir.path(), "runtime-config.toml", RUNTIME_CONFIG);
    let options = TestOptions {
        runtime_config: Some(config),
        ..Default::default()
    };
    Running::start_in(dir, &sqlite_manifest(), options).await
}

/// Runs `sql` through `/<route>` (e.g. `db/v3/default`).
async fn sql(app: &Running, route: &str, sql: &'static str) -> TestResponse {
    app.send("POST", &format!("/{route}"), &[], sql).await
}

/// Runs `sql` and asserts it succeeded; returns the JSON result.
async fn sql_ok(app: &Running, route: &str, statement: &'static str) -> serde_json::Value {
    let response = sql(app, route, statement).await;
    assert_eq!(
        response.status,
        200,
        "{route}: {statement}: {}",
        response.text()
    );
    response.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_interfaces_run_statements_on_the_same_database() {
    let app = start_sqlite_in(new_dir()).await;
    sql_ok(
        &app,
        "db/v2/default",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, missing TEXT)",
    )
    .await;
    let inserted = sql_ok(
        &app,
        "db/v3/default",
        "INSERT INTO t (name, score, data) VALUES ('ann', 1.5, x'0102ff')",
    )
    .await;
    assert_eq!(inserted["changes"], 1);
    assert_eq!(inserted["last_insert_rowid"], 1);
    sql_ok(
        &app,
        "db/v2/default",
        "INSERT INTO t (name, score) VALUES ('bob', -2)",
    )
    .await;

    let expected = json!({
        "columns": ["id", "name", "score", "data", "missing"],
        "rows": [[1, "ann", 1.5, [1, 2, 255], null], [2, "bob", -2.0, null, null]],
    });
    let select = "SELECT id, name, score, data, missing FROM t ORDER BY id";
    let v2 = sql_ok(&app, "db/v2/default", select).await;
    assert_eq!(v2["columns"], expected["columns"]);
    assert_eq!(v2["rows"], expected["rows"]);
    let v3 = sql_ok(&app, "db/v3/default", select).await;
    assert_eq!(v3["rows"], expected["rows"]);

    let rows = app
        .sqlite_query("default", "SELECT name FROM t ORDER BY id")
        .unwrap();
    assert_eq!(rows, vec![vec![json!("ann")], vec![json!("bob")]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ungranted_database_is_access_denied_on_both_interfaces() {
    let app = start_sqlite_in(new_dir()).await;
    for route in [
        "nodb/v2/default",
        "nodb/v3/default",
        "db/v2/unlisted",
        "db/v3/unlisted",
    ] {
        let response = sql(&app, route, "SELECT 1").await;
        assert_eq!(
            (response.status, error_of(&response).as_str()),
            (403, "access-denied"),
            "{route}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granted_but_undefined_database_fails_at_start() {
    let body = http_component(
        "db",
        &route("/..."),
        &source("sqlite"),
        r#"sqlite_databases = ["nowhere"]"#,
    );
    let error = Running::start_error(
        &manifest("sqlite-undefined", &body),
        "an app granting an undefined SQLite label",
    )
    .await;
    assert!(
        error.contains("nowhere"),
        "the error does not name the label: {error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_errors_are_io_errors() {
    let app = start_sqlite_in(new_dir()).await;
    for route in ["db/v2/default", "db/v3/default"] {
        let response = sql(&app, route, "SELEC nonsense").await;
        assert_eq!(response.status, 400, "{route}: {}", response.text());
        assert!(
            error_of(&response).starts_with("io:"),
            "{route}: {}",
            response.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_separate_databases() {
    let app = start_sqlite_in(new_dir()).await;
    sql_ok(&app, "db/v3/other", "CREATE TABLE only_other (x INTEGER)").await;
    let response = sql(&app, "db/v3/default", "SELECT * FROM only_other").await;
    assert!(
        error_of(&response).contains("no such table"),
        "{}",
        response.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_persist_across_restarts() {
    let app = start_sqlite_in(new_dir()).await;
    sql_ok(&app, "db/v2/other", "CREATE TABLE notes (body TEXT)").await;
    sql_ok(&app, "db/v3/other", "INSERT INTO notes VALUES ('durable')").await;
    let dir = app.stop().await;
    assert!(
        dir.path().join("other-sqlite.db").is_file(),
        "`other` is not in other-sqlite.db"
    );

    let app = start_sqlite_in(dir).await;
    let rows = sql_ok(&app, "db/v2/other", "SELECT body FROM notes").await;
    assert_eq!(rows["rows"], json!([["durable"]]));
    assert_eq!(
        app.sqlite_query("other", "SELECT body FROM notes").unwrap(),
        vec![vec![json!("durable")]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_and_vacuum_into_another_file_fail_as_io_errors() {
    let dir = new_dir();
    let other = dir.path().join("other-sqlite.db");
    let copy = dir.path().join("copy.db");
    let app = start_sqlite_in(dir).await;
    sql_ok(&app, "db/v3/other", "CREATE TABLE secrets (x TEXT)").await;
    let leak = |sql: String| -> &'static str { Box::leak(sql.into_boxed_str()) };
    let statements = [
        leak(format!("ATTACH DATABASE '{}' AS o", other.display())),
        leak(format!("ATTACH 'file:{}?mode=ro' AS o", other.display())),
        leak(format!("VACUUM INTO '{}'", copy.display())),
    ];
    for route in ["db/v2/default", "db/v3/default"] {
        for statement in statements {
            let response = sql(&app, route, statement).await;
            assert_eq!(
                response.status,
                400,
                "{route} {statement}: {}",
                response.text()
            );
            let error = error_of(&response);
            assert!(error.starts_with("io:"), "{route} {statement}: {error}");
            assert!(error.contains("authoriz"), "{route} {statement}: {error}");
        }
    }
    assert!(!copy.exists(), "VACUUM INTO wrote {}", copy.display());
    // A plain VACUUM of the component's own database still works.
    sql_ok(&app, "db/v3/default", "VACUUM").await;
}
