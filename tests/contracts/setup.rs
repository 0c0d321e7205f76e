//! The set-up steps `scripts/up`, `scripts/test` and `.ci/run` share (`scripts/lib.sh`), run
//! by bash against a sandbox: a PATH holding only stub package managers (each records how it
//! was called and "installs" a package by putting its programs on that PATH), a stub `id`
//! (root or not) and a stub `sudo` (passwordless or not). So the installer path is exercised
//! on a machine where the tools are present.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use wasmart_testing::workspace_root;

/// Each package the stub managers know, with the programs it puts on PATH.
const PACKAGES: &[(&str, &[&str])] = &[
    ("redis-server", &["redis-server"]),
    ("redis", &["redis-server"]),
    ("chromium", &["chromium"]),
    ("prometheus", &["prometheus", "promtool"]),
    ("golang-github-prometheus", &["prometheus", "promtool"]),
    ("python3-venv", &["python3"]),
    ("python3", &["python3"]),
    ("python", &["python3"]),
];

/// A PATH of stubs in a temporary directory.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// A sandbox whose `id -u` answers `uid`; `bash`, `env` and `ls` are the real ones.
    fn new(uid: u32) -> Self {
        let sandbox = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(sandbox.bin()).unwrap();
        for tool in ["bash", "env", "ls"] {
            let real = which(tool);
            std::os::unix::fs::symlink(real, sandbox.bin().join(tool)).unwrap();
        }
        sandbox.script("id", &format!("echo {uid}"));
        sandbox
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// Where the stubs record their calls, one line each.
    fn calls_file(&self) -> PathBuf {
        self.dir.path().join("calls")
    }

    /// An executable `bin/<name>` running the bash `body`.
    fn script(&self, name: &str, body: &str) {
        let path = self.bin().join(name);
        let bash = which("bash");
        std::fs::write(&path, format!("#!{}\n{body}\n", bash.display())).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Programs that are already installed (stubs that succeed).
    fn with_tools(self, programs: &[&str]) -> Self {
        for program in programs {
            self.script(program, "exit 0");
        }
        self
    }

    /// A package manager `name` that records its calls and, on `install`, puts the
    /// programs of each named package on PATH (or nothing when `effective` is false).
    fn with_manager(self, name: &str, effective: bool) -> Self {
        let chmod = which("chmod");
        let mut cases = String::new();
        for (package, programs) in PACKAGES {
            let creates: Vec<String> = programs
                .iter()
                .map(|program| {
                    format!(
                        "printf '#!/bin/sh\\nexit 0\\n' >\"$bin/{program}\"; {} +x \"$bin/{program}\"",
                        chmod.display()
                    )
                })
                .collect();
            cases.push_str(&format!("    {package}) {} ;;\n", creates.join("; ")));
        }
        let install = if effective {
            format!("[[ $1 == install ]] && for package in \"$@\"; do case $package in\n{cases}    esac; done")
        } else {
            String::new()
        };
        self.script(
            name,
            &format!(
                "bin={bin}\necho \"{name} $* ${{DEBIAN_FRONTEND:+(DEBIAN_FRONTEND=$DEBIAN_FRONTEND)}}\" >>{calls}\n{install}\nexit 0",
                bin = self.bin().display(),
                calls = self.calls_file().display(),
            ),
        );
        self
    }

    /// A `sudo` that records its calls; it runs them only when `passwordless`.
    fn with_sudo(self, passwordless: bool) -> Self {
        let run = if passwordless {
            "exec env \"$@\""
        } else {
            "echo 'sudo: a password is required' >&2; exit 1"
        };
        self.script(
            "sudo",
            &format!(
                "echo \"sudo $*\" >>{calls}\n[[ $1 == -n ]] && shift\n[[ $1 == true ]] && {probe}\n{run}",
                calls = self.calls_file().display(),
                probe = if passwordless { "exit 0" } else { "exit 1" },
            ),
        );
        self
    }

    /// `require_tools tools...` from scripts/lib.sh with only the sandbox on PATH.
    fn require(&self, tools: &[&str]) -> Output {
        Command::new(which("bash"))
            .arg("-c")
            .arg("set -euo pipefail; source scripts/lib.sh; require_tools \"$@\"")
            .arg("require_tools")
            .args(tools)
            .current_dir(workspace_root())
            .env_clear()
            .env("PATH", self.bin())
            .env("HOME", self.dir.path())
            .output()
            .unwrap()
    }

    /// The recorded calls, sudo's probe (`sudo -n true`) left out.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.calls_file())
            .unwrap_or_default()
            .lines()
            .filter(|line| *line != "sudo -n true")
            .map(|line| line.trim_end().to_string())
            .collect()
    }
}

/// The absolute path of program `name` on this machine's PATH.
fn which(name: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{name} is not on PATH"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `script` (bash, after sourcing scripts/lib.sh) with this machine's PATH.
fn lib_sh(script: &str, args: &[&str]) -> Output {
    Command::new(which("bash"))
        .arg("-c")
        .arg(format!(
            "set -euo pipefail; source scripts/lib.sh; {script}"
        ))
        .arg("lib.sh")
        .args(args)
        .current_dir(workspace_root())
        .env_remove("SPIN_VARIABLE_ADMIN_EMAIL")
        .output()
        .unwrap()
}

#[test]
fn as_root_apt_get_installs_exactly_the_missing_tools_and_announces_each() {
    let sandbox = Sandbox::new(0)
        .with_tools(&["redis-server"])
        .with_manager("apt-get", true);
    let output = sandbox.require(&["redis-server", "chromium", "prometheus", "python-venv"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert_eq!(
        sandbox.calls(),
        [
            "apt-get update -qq (DEBIAN_FRONTEND=noninteractive)",
            "apt-get install -y -qq chromium prometheus python3-venv (DEBIAN_FRONTEND=noninteractive)",
        ]
    );
    let announced: Vec<&str> = stdout.lines().filter(|l| l.starts_with("==>")).collect();
    assert_eq!(
        announced,
        [
            "==> Installing chromium: apt-get install -y chromium",
            "==> Installing prometheus: apt-get install -y prometheus",
            "==> Installing python-venv: apt-get install -y python3-venv",
        ]
    );
}

#[test]
fn with_passwordless_sudo_dnf_installs_through_sudo_n() {
    let sandbox = Sandbox::new(1000).with_sudo(true).with_manager("dnf", true);
    let output = sandbox.require(&["redis-server", "prometheus"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        sandbox.calls(),
        [
            "sudo -n dnf install -y -q redis golang-github-prometheus",
            "dnf install -y -q redis golang-github-prometheus",
        ]
    );
    assert!(text(&output.stdout)
        .contains("==> Installing redis-server: sudo -n dnf install -y redis\n"));
}

#[test]
fn homebrew_installs_as_the_user_and_chromium_as_a_cask() {
    let sandbox = Sandbox::new(501).with_manager("brew", true);
    let output = sandbox.require(&["chromium", "redis-server"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        sandbox.calls(),
        ["brew install --cask chromium", "brew install redis"]
    );
}

#[test]
fn without_root_or_sudo_it_stops_with_the_command_for_each_platform() {
    let sandbox = Sandbox::new(1000)
        .with_sudo(false)
        .with_tools(&["prometheus", "promtool"])
        .with_manager("apt-get", true);
    let output = sandbox.require(&["redis-server", "chromium", "prometheus", "python-venv"]);
    assert!(!output.status.success());
    assert_eq!(
        sandbox.calls(),
        Vec::<String>::new(),
        "nothing is installed"
    );
    assert_eq!(
        text(&output.stderr),
        "Missing: redis-server chromium python-venv. Install with the line for your platform, then run this again:\n\
         \x20 Debian/Ubuntu: sudo apt-get install -y redis-server chromium python3-venv\n\
         \x20 Fedora:        sudo dnf install -y redis chromium python3\n\
         \x20 macOS:         brew install redis python && brew install --cask chromium\n"
    );
}

#[test]
fn python3_for_the_code_checks_comes_from_each_platforms_package() {
    let sandbox = Sandbox::new(1000)
        .with_sudo(false)
        .with_manager("apt-get", true);
    let output = sandbox.require(&["python3"]);
    assert!(!output.status.success());
    assert_eq!(
        text(&output.stderr),
        "Missing: python3. Install with the line for your platform, then run this again:\n\
         \x20 Debian/Ubuntu: sudo apt-get install -y python3\n\
         \x20 Fedora:        sudo dnf install -y python3\n\
         \x20 macOS:         brew install python\n"
    );
}

#[test]
fn with_nothing_missing_no_package_manager_runs_and_nothing_is_printed() {
    let sandbox = Sandbox::new(0)
        .with_tools(&[
            "redis-server",
            "chromium",
            "prometheus",
            "promtool",
            "python3",
        ])
        .with_manager("apt-get", true);
    let output = sandbox.require(&["redis-server", "chromium", "prometheus", "python-venv"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(sandbox.calls(), Vec::<String>::new());
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn a_tool_still_missing_after_the_install_stops_the_command() {
    let sandbox = Sandbox::new(0).with_manager("apt-get", false);
    let output = sandbox.require(&["redis-server"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr)
        .contains("redis-server is still missing after installing it with apt-get"));
}

#[test]
fn a_long_step_says_it_is_still_running_and_how_long_it_took() {
    let output = lib_sh(
        "run_step 'Waiting' bash -c 'echo begun; sleep 9; echo ended'",
        &[],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[..2], ["==> Waiting", "begun"], "{stdout}");
    assert!(
        lines[2].starts_with("    ... Waiting: ") && lines[2].ends_with(" so far"),
        "{stdout}"
    );
    assert_eq!(lines[3], "ended", "{stdout}");
    assert!(lines[4].starts_with("    done in "), "{stdout}");
}

#[test]
fn a_failing_step_fails_with_its_status() {
    let output = lib_sh("run_step 'Failing' bash -c 'exit 3'", &[]);
    assert_eq!(output.status.code(), Some(3));
    assert!(text(&output.stderr).contains("    failed after "));
}

#[test]
fn the_last_line_announces_the_shop_once_its_address_accepts_connections() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = listener.local_addr().unwrap().to_string();
    // `$$` (the host after scripts/up's exec) is the bash running this, alive throughout.
    let output = lib_sh(
        "SPIN_VARIABLE_ADMIN_PASSWORD=secret announce_when_serving \"$@\"",
        &[
            "--quiet",
            &format!("--listen={listen}"),
            "--state-dir",
            "/x",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "\n==> Wasmart is serving http://{listen}/ — admin sign-in: admin@wasmart.local / secret \
             (from .spin/dev-secrets.env); logs in /x/logs/; Ctrl-C stops it\n"
        )
    );
}

/// Writes `path` (creating its folder) with the modification time `seconds` from now: later
/// than the folders' own times, which count too (a removed source changes its folder).
fn write_at(path: &std::path::Path, seconds: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, "x").unwrap();
    let time = std::time::SystemTime::now() + std::time::Duration::from_secs(seconds);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

#[test]
fn the_react_app_is_built_again_only_when_one_of_its_sources_is_newer_than_the_build() {
    let checkout = tempfile::tempdir().unwrap();
    let frontend = checkout.path().join("frontend");
    let is_built = || {
        let script = format!("cd '{}' && frontend_is_built", checkout.path().display());
        lib_sh(&script, &[]).status.success()
    };
    write_at(&frontend.join("src/main.tsx"), 1_000);
    assert!(!is_built(), "never built");

    write_at(&frontend.join("dist/index.html"), 2_000);
    assert!(is_built(), "built after its only source");

    write_at(&frontend.join("src/pages/Cart.tsx"), 3_000);
    assert!(!is_built(), "a source changed after the build");

    write_at(&frontend.join("dist/index.html"), 4_000);
    write_at(&frontend.join("package.json"), 5_000);
    assert!(!is_built(), "the package manifest changed after the build");
}
