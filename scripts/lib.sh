# Shared by the scripts in this folder.

step() { printf '\n==> %s\n' "$*"; }

# The wasm32-wasip2 target: rust-toolchain.toml names it, but rustup installs nothing by
# itself when RUSTUP_AUTO_INSTALL=0, so add it explicitly (a no-op when present).
require_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    step "Adding the wasm32-wasip2 target"
    rustup target add wasm32-wasip2
  fi
}

require_redis_server() {
  if ! command -v redis-server >/dev/null; then
    echo "redis-server is not installed. Install it with: sudo apt-get install redis-server" >&2
    echo "(Fedora: sudo dnf install redis; macOS: brew install redis)" >&2
    exit 1
  fi
}

# `-p fixture-x` for every conformance fixture crate, and their shared support crate.
fixture_packages() {
  printf -- '-p fixture-support '
  for dir in tests/conformance/fixtures/*/; do
    printf -- '-p fixture-%s ' "$(basename "$dir")"
  done
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
# production build into frontend/dist that the `web` component serves.
build_frontend() {
  require_npm
  if [[ ! frontend/node_modules/.package-lock.json -nt frontend/package-lock.json ]]; then
    npm ci --prefix frontend --no-audit --no-fund
  fi
  npm run --prefix frontend --silent build
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
