# Shared by the scripts in this folder.

step() { printf '\n==> %s\n' "$*"; }

# How long since `$1` (a value of $SECONDS): "8 s" or "3m20s".
elapsed() {
  local seconds=$((SECONDS - $1))
  if ((seconds < 60)); then echo "$seconds s"; else printf '%dm%02ds\n' $((seconds / 60)) $((seconds % 60)); fi
}

# Copies lines through; after 8 s without one it says that `$1` (begun at SECONDS=$2) is
# still running, so a long build never looks stuck.
heartbeat() {
  local line partial=''
  while true; do
    if IFS= read -r -t 8 line; then
      printf '%s\n' "$partial$line"
      partial=''
    elif (($? > 128)); then
      partial+=$line
      printf '    ... %s: %s so far\n' "$1" "$(elapsed "$2")"
    else
      [[ -z $partial$line ]] || printf '%s\n' "$partial$line"
      return 0
    fi
  done
}

# Runs a long command (`$2...`) as a step named `$1`: the command's own output (cargo's
# "Compiling" lines, npm's), a line every 8 s when it prints nothing, and how long it took.
run_step() {
  local what=$1 start=$SECONDS
  local - # pipefail only here: the step fails with the command's status
  set -o pipefail
  shift
  step "$what"
  # cargo colours its lines when it writes to a terminal; through heartbeat it does not.
  [[ -t 1 ]] && export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-always}
  if "$@" 2>&1 | heartbeat "$what" "$start"; then
    echo "    done in $(elapsed "$start")"
  else
    local status=$?
    echo "    failed after $(elapsed "$start")" >&2
    return $status
  fi
}

# The wasm32-wasip2 target: rust-toolchain.toml names it, but rustup installs nothing by
# itself when RUSTUP_AUTO_INSTALL=0, so add it explicitly (a no-op when present).
require_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    step "Installing the wasm32-wasip2 target: rustup target add wasm32-wasip2"
    rustup target add wasm32-wasip2
  fi
}

# ---- Tools from the platform's package manager: redis-server, chromium, prometheus, python3,
# python-venv (`python3 -m venv` with pip). `require_tools TOOL...` installs the missing ones
# when that needs no prompt (root, `sudo -n`, or Homebrew), announcing one line each;
# otherwise it stops with the command to run on Debian/Ubuntu, Fedora and macOS.

require_redis_server() { require_tools redis-server; }
require_python_venv() { require_tools python-venv; }

# Whether `$1` is usable. Chromium is looked up where Debian, Fedora and Homebrew put it,
# and CHROMIUM_PATH (read by frontend/e2e) is set to the one found.
has_tool() {
  case $1 in
    redis-server) command -v redis-server >/dev/null ;;
    python3) command -v python3 >/dev/null ;;
    prometheus) command -v prometheus >/dev/null && command -v promtool >/dev/null ;;
    python-venv) command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null ;;
    chromium)
      local found
      found=${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser ||
        ls /Applications/Chromium.app/Contents/MacOS/Chromium 2>/dev/null)} &&
        [[ -x $found ]] && export CHROMIUM_PATH=$found
      ;;
    *) echo "has_tool: unknown tool $1" >&2 && return 2 ;;
  esac
}

# The package providing tool `$2` for package manager `$1`.
package_of() {
  case $1:$2 in
    apt-get:redis-server) echo redis-server ;;
    dnf:redis-server | brew:redis-server) echo redis ;;
    apt-get:python-venv) echo python3-venv ;;
    dnf:python-venv) echo python3 ;;
    brew:python-venv | brew:python3) echo python ;;
    *:python3) echo python3 ;;
    dnf:prometheus) echo golang-github-prometheus ;;
    *:prometheus | *:chromium) echo "$2" ;;
  esac
}

# The command that installs packages `$3...` with manager `$2`, run through `$1` (`sudo`,
# `sudo -n` or nothing), as a user would type it.
install_command() {
  local prefix=${1:+$1 } manager=$2
  shift 2
  case $manager in
    apt-get | dnf) echo "$prefix$manager install -y $*" ;;
    brew) # Chromium is a cask (an app), the rest are formulae.
      local package formulae=() commands=() joined
      for package in "$@"; do [[ $package == chromium ]] || formulae+=("$package"); done
      ((${#formulae[@]} == 0)) || commands+=("brew install ${formulae[*]}")
      [[ " $* " != *" chromium "* ]] || commands+=("brew install --cask chromium")
      printf -v joined ' && %s' "${commands[@]}"
      echo "${joined:4}"
      ;;
  esac
}

# The first package manager on PATH, if any.
package_manager() {
  local manager
  for manager in apt-get dnf brew; do
    command -v "$manager" >/dev/null && echo "$manager" && return
  done
  return 1
}

# How to run the package manager `$1` without a prompt: nothing (root, or Homebrew, which
# runs as the user), `sudo -n`, or fails.
unprompted_prefix() {
  if [[ $1 == brew || $(id -u) == 0 ]]; then
    echo ''
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo 'sudo -n'
  else
    return 1
  fi
}

require_tools() {
  local tool missing=() manager prefix
  for tool in "$@"; do
    has_tool "$tool" || missing+=("$tool")
  done
  ((${#missing[@]})) || return 0
  if manager=$(package_manager) && prefix=$(unprompted_prefix "$manager"); then
    install_tools "$manager" "$prefix" "${missing[@]}"
  else
    explain_install "${missing[@]}"
  fi
}

# Installs tools `$3...` with manager `$1` run through `$2` (`sudo -n` or nothing).
install_tools() {
  local manager=$1 prefix=$2 tool package packages=()
  shift 2
  for tool in "$@"; do
    package=$(package_of "$manager" "$tool")
    packages+=("$package")
    step "Installing $tool: $(install_command "$prefix" "$manager" "$package")"
  done
  case $manager in
    apt-get)
      $prefix env DEBIAN_FRONTEND=noninteractive apt-get update -qq
      $prefix env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
      ;;
    dnf) $prefix dnf install -y -q "${packages[@]}" ;;
    brew)
      for package in "${packages[@]}"; do
        if [[ $package == chromium ]]; then brew install --cask chromium; else brew install "$package"; fi
      done
      ;;
  esac
  for tool in "$@"; do
    has_tool "$tool" || { echo "$tool is still missing after installing it with $manager" >&2 && exit 1; }
  done
}

# Stops with the commands that install tools `$@` on each platform.
explain_install() {
  local manager tool packages
  {
    echo "Missing: $*. Install with the line for your platform, then run this again:"
    for manager in apt-get dnf brew; do
      packages=()
      for tool in "$@"; do packages+=("$(package_of "$manager" "$tool")"); done
      case $manager in apt-get) printf '  Debian/Ubuntu: ' ;; dnf) printf '  Fedora:        ' ;; brew) printf '  macOS:         ' ;; esac
      install_command sudo "$manager" "${packages[@]}"
    done
  } >&2
  exit 1
}

# The code checks CI and scripts/test share: formatting, clippy with the workspace lints
# (host side and guest side), no cycles between modules of the host and service-kit, and no
# function over its length limit (each check proves first that it can fail).
check_code() {
  step "cargo fmt --check"
  cargo fmt --all --check
  step "Module cycles and function lengths (scripts/checks)"
  python3 scripts/checks/module_cycles.py --self-test
  python3 scripts/checks/module_cycles.py
  python3 scripts/checks/function_length.py --self-test
  python3 scripts/checks/function_length.py
  run_step "cargo clippy (host, testing, tests, bench)" \
    cargo clippy --release -p wasmart-host -p wasmart-testing -p wasmart-tests -p wasmart-bench --all-targets -- -D warnings
  run_step "cargo clippy (guest components and fixtures)" \
    cargo clippy --release --target wasm32-wasip2 $(component_packages) $(fixture_packages) -- -D warnings
}

# `-p fixture-x` for every conformance fixture crate, and their shared support crate.
fixture_packages() {
  printf -- '-p fixture-support '
  for dir in tests/conformance/fixtures/*/; do
    printf -- '-p fixture-%s ' "$(basename "$dir")"
  done
}

# `-p <name>` for every package scripts/test runs the tests of, in one cargo run (so the
# host is built with the features the test build needs: see workspace-hack/Cargo.toml).
test_packages() {
  printf -- '-p wasmart-host -p wasmart-testing %s-p wasmart-tests' "$(component_packages)"
}

# `-p <name>` for every component: the gateway, and each one under components/ (the folder
# name is the package name).
component_packages() {
  printf -- '-p gateway '
  for dir in components/*/; do
    printf -- '-p %s ' "$(basename "$dir")"
  done
}

require_npm() {
  if ! command -v npm >/dev/null; then
    echo "npm is not installed: the frontend needs Node.js 20.19 or newer with npm." >&2
    echo "Install it from https://nodejs.org or your package manager (e.g. sudo apt-get install nodejs npm)." >&2
    exit 1
  fi
}

# The React app: its dependencies (again only when package-lock.json changed), then the
# production build into frontend/dist that the `web` component serves (again only when a
# source of it is newer than the last build).
build_frontend() {
  require_npm
  if [[ ! frontend/node_modules/.package-lock.json -nt frontend/package-lock.json ]]; then
    npm ci --prefix frontend --no-audit --no-fund
  fi
  if frontend_is_built; then
    echo "    frontend/dist is newer than every source of it: not rebuilt"
  else
    npm run --prefix frontend --silent build
  fi
}

# Whether frontend/dist was built after the last change to anything it is built from.
frontend_is_built() {
  local stamp=frontend/dist/index.html
  [[ -f $stamp ]] || return 1
  [[ -z $(find frontend/src frontend/public frontend/index.html frontend/vite.config.ts \
    frontend/tsconfig.json frontend/package.json frontend/scripts \
    frontend/node_modules/.package-lock.json -newer "$stamp" -print -quit 2>/dev/null) ]]
}

# Secrets the app requires (spin.toml declares them `required`): generated once per checkout
# into .spin/dev-secrets.env and exported as SPIN_VARIABLE_*, unless already set. Redis
# gets a port of its own (6479), so that a private redis-server with the expiry events the
# services' ticks use starts even when a system Redis listens on 6379.
load_dev_secrets() {
  local secrets=.spin/dev-secrets.env name value
  mkdir -p .spin
  touch "$secrets" && chmod 600 "$secrets"
  add_secret() { # name bytes: appends a random value unless the file has one
    grep -q "^$1=" "$secrets" || echo "$1=$(head -c "$2" /dev/urandom | base64 | tr -d '/+=\n')" >>"$secrets"
  }
  add_secret SPIN_VARIABLE_JWT_SIGNING_KEY 48
  add_secret SPIN_VARIABLE_INTERNAL_API_KEY 48
  add_secret SPIN_VARIABLE_ADMIN_PASSWORD 12
  while IFS='=' read -r name value; do
    [[ -n ${!name:-} ]] || export "$name=$value"
  done <"$secrets"
  export SPIN_VARIABLE_REDIS_HOST=${SPIN_VARIABLE_REDIS_HOST:-127.0.0.1:6479}
}

# The value of `wasmart up` flag `$1` among the arguments `$3...`, else `$2`.
up_flag() {
  local name=$1 value=$2
  shift 2
  while (($#)); do
    case $1 in
      "$name") value=${2:-$value} && shift ;;
      "$name"=*) value=${1#*=} ;;
    esac
    shift
  done
  echo "$value"
}

# Once the host started by this script (its pid is $$ after `exec`) accepts connections on
# its --listen address, says last where the shop is, how to sign in as admin and where the
# logs are. Called with the `wasmart up` arguments as `(announce_when_serving "$@" &)` just
# before the exec, so it is nobody's child to wait for.
announce_when_serving() {
  local listen host port logs
  listen=$(up_flag --listen 127.0.0.1:3000 "$@")
  host=${listen%:*} port=${listen##*:}
  [[ $host != 0.0.0.0 ]] || host=127.0.0.1
  logs=$(up_flag --state-dir .spin "$@")/logs
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    kill -0 $$ 2>/dev/null || return 0
    sleep 0.2
  done
  # The host prints its routes right after it starts listening; this line comes after them.
  sleep 1
  step "Wasmart is serving http://$listen/ — admin sign-in: ${SPIN_VARIABLE_ADMIN_EMAIL:-admin@wasmart.local} / $SPIN_VARIABLE_ADMIN_PASSWORD (from .spin/dev-secrets.env); logs in $logs/; Ctrl-C stops it"
}

