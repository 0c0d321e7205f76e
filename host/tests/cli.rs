//! CLI suite: the `wasmart` binary end to end: start-up errors and exit codes, `build`,
//! draining on SIGTERM, and the private Redis it starts when nothing answers.

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use wasmart_testing::{eventually, fixtures, free_port, HttpClient};

const WASMART: &str = env!("CARGO_BIN_EXE_wasmart");

/// `GET path` on 127.0.0.1:`port`: `(status, body)`.
async fn get(port: u16, path: &str) -> anyhow::Result<(u16, String)> {
    let response = HttpClient::new()
        .get(&format!("http://127.0.0.1:{port}{path}"))
        .await?;
    Ok((response.status, response.text()))
}

/// A `wasmart up` process, killed if a test fails before it exits.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `wasmart up` on `manifest`, returned once it printed its banner.
fn up(manifest: &Path, port: u16, extra: &[&str]) -> Server {
    let state = manifest.parent().unwrap().join("state");
    let mut child = Command::new(WASMART)
        .args(["up", "--quiet", "-f"])
        .arg(manifest)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--state-dir"])
        .arg(&state)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(
        banner.starts_with("Logging component stdio"),
        "unexpected first line {banner:?}"
    );
    let serving = lines.next().and_then(Result::ok).unwrap_or_default();
    assert_eq!(serving, format!("Serving http://127.0.0.1:{port}"));
    std::thread::spawn(move || lines.for_each(drop));
    Server(child)
}

fn sigterm(server: &Server) {
    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn wait_exit(server: &mut Server, within: Duration) -> std::process::ExitStatus {
    eventually(within, || std::future::ready(server.0.try_wait().unwrap()))
        .await
        .unwrap_or_else(|| panic!("wasmart did not exit within {within:?}"))
}

fn trap_app(dir: &Path) -> std::path::PathBuf {
    let manifest = dir.join("spin.toml");
    std::fs::write(
        &manifest,
        format!(
            "spin_manifest_version = 2\n[application]\nname = \"cli\"\n\
             [[trigger.http]]\nroute = \"/...\"\ncomponent = \"trap\"\n\
             [component.trap]\nsource = {}\n",
            fixtures::source("trap")
        ),
    )
    .unwrap();
    manifest
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = up(&trap_app(dir.path()), port, &[]);
    let slow = tokio::spawn(get(port, "/sleep?ms=1500"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    sigterm(&server);
    let (status, body) = slow
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!((status, body.as_str()), (200, "slept"));
    assert!(wait_exit(&mut server, Duration::from_secs(10))
        .await
        .success());
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port is released"
    );
}

#[test]
fn a_bad_manifest_fails_with_exit_code_one_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("spin.toml");
    std::fs::write(
        &manifest,
        "spin_manifest_version = 2\n[application]\nname = \"x\"\n[component.web]\nsource = \"x.wasm\"\nallowed_hosts = []\n",
    )
    .unwrap();
    let output = Command::new(WASMART)
        .args(["up", "-f"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&manifest.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("component.web") && stderr.contains("allowed_hosts"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn build_runs_each_build_command_in_its_workdir_and_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let manifest = dir.path().join("spin.toml");
    let write = |command: &str| {
        std::fs::write(
            &manifest,
            format!(
                "spin_manifest_version = 2\n[application]\nname = \"x\"\n[component.one]\nsource = \"x.wasm\"\n\
                 [component.one.build]\ncommand = \"{command}\"\nworkdir = \"sub\"\n"
            ),
        )
        .unwrap();
    };
    write("echo built > marker");
    let ok = Command::new(WASMART)
        .args(["build", "-f"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sub/marker")).unwrap(),
        "built\n"
    );

    write("exit 3");
    let failed = Command::new(WASMART)
        .args(["build", "-f"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("\"one\""));
}

#[tokio::test]
async fn starts_a_private_redis_when_nothing_answers_and_stops_it_on_exit() {
    let dir = tempfile::tempdir().unwrap();
    let redis_port = free_port();
    let manifest = dir.path().join("spin.toml");
    std::fs::write(
        &manifest,
        format!(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n\
             [application.trigger.redis]\naddress = \"redis://127.0.0.1:{redis_port}\"\n\
             [[trigger.redis]]\nchannel = \"events\"\ncomponent = \"sink\"\n\
             [component.sink]\nsource = {}\nkey_value_stores = [\"default\"]\n",
            fixtures::source("redis-in")
        ),
    )
    .unwrap();
    let mut server = up(&manifest, free_port(), &[]);

    let mut redis =
        TcpStream::connect(("127.0.0.1", redis_port)).expect("a private redis-server answers");
    redis.write_all(b"PUBLISH events hello\r\n").unwrap();
    let mut reply = [0u8; 16];
    let n = redis.read(&mut reply).unwrap();
    assert_eq!(&reply[..n], b":1\r\n", "one subscriber: the trigger");

    let kv = dir.path().join("state/sqlite_key_value.db");
    eventually(Duration::from_secs(10), || async {
        (read_kv_count(&kv).as_deref() == Some("1")).then_some(())
    })
    .await
    .expect("the message was not delivered");
    assert!(
        dir.path()
            .join(format!("state/redis/{redis_port}"))
            .is_dir(),
        "redis data lives in the state dir"
    );

    sigterm(&server);
    assert!(wait_exit(&mut server, Duration::from_secs(15))
        .await
        .success());
    assert!(
        TcpStream::connect(("127.0.0.1", redis_port)).is_err(),
        "the private redis stopped"
    );
}

fn read_kv_count(path: &Path) -> Option<String> {
    let connection = rusqlite::Connection::open(path).ok()?;
    let value: Vec<u8> = connection
        .query_row(
            "SELECT value FROM spin_key_value WHERE store = 'default' AND key = 'count'",
            [],
            |row| row.get(0),
        )
        .ok()?;
    String::from_utf8(value).ok()
}
