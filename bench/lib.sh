# Shared by bench/run and bench/observability: logging, servers started and stopped on
# loopback ports, measuring only while no compile runs, and reading wrk's output.
#
# The sourcing script sets $root (the repository), $out (where logs and results go) and
# $scratch (a temporary folder, removed on exit); sourcing installs the exit trap that stops
# every server still running.

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# ---------------------------------------------------------------- servers and clean-up
servers=()
cleanup() {
  local pid
  for pid in "${servers[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${servers[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$scratch" "${TMPDIR:-/tmp}/wasmart-bench-ports-$$"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: nothing answers a connect.
free_port() {
  # Ports handed out earlier in this run (nothing listens on them yet, so the probe alone
  # would hand one out twice); $$ is the script's own PID, also inside $(...).
  local port taken="${TMPDIR:-/tmp}/wasmart-bench-ports-$$"
  while :; do
    port=$((20000 + RANDOM % 40000))
    grep -qx "$port" "$taken" 2>/dev/null && continue
    if ! (: 2>/dev/null <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port" >>"$taken"
      echo "$port"
      return
    fi
  done
}

# Prints the status code of `GET /` on 127.0.0.1:$1, or fails if nothing answers. Pure bash
# (no curl fork) so that start-up polling is fine-grained.
http_status() {
  local version status
  {
    printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    read -r -t 5 version status _ <&3
  } 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  echo "$status"
}

# start NAME PORT STATUS CMD...: starts a server in the background (pid in $server_pid,
# output in $out/NAME.log) and waits until `GET /` answers STATUS; sets $startup_ms to the
# time from process start to that response.
start() {
  local name=$1 port=$2 want=$3 t0 t1
  shift 3
  t0=$EPOCHREALTIME
  "$@" >"$out/$name.log" 2>&1 9>&- &
  server_pid=$!
  servers+=("$server_pid")
  until [[ "$(http_status "$port" || true)" == "$want" ]]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      log "$name exited before serving; see $out/$name.log"
      exit 1
    fi
    if (($(date +%s) - ${t0%.*} > 120)); then
      log "$name did not serve a 200 within 120 s"
      exit 1
    fi
    sleep 0.005
  done
  t1=$EPOCHREALTIME
  startup_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
}

# Stops a server started by `start` (SIGTERM, then wait) and forgets its pid, so that the
# exit trap never signals a pid the system may have reused.
stop() {
  local pid keep=()
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for pid in "${servers[@]}"; do
    [[ $pid == "$1" ]] || keep+=("$pid")
  done
  servers=("${keep[@]}")
}

# The server commands `exec`, so that `$!` of `start` is the server process itself.
wasmart_up() { # wasmart_up PORT MANIFEST [extra flags...]
  local port=$1 manifest=$2
  shift 2
  exec target/release/wasmart up -f "$manifest" --listen "127.0.0.1:$port" --quiet \
    --state-dir "$(mktemp -d -p "$scratch")" "$@"
}

# ---------------------------------------------------------------- a quiet machine
# Compiles (and other load generators) on these 2 cores distort every number. `busy` tells
# whether any rustc, cargo or foreign wrk runs; `wait_quiet` waits until none does.
busy() {
  pgrep -x rustc >/dev/null || pgrep -x cargo >/dev/null ||
    { [[ -z "${measuring:-}" ]] && pgrep -x wrk >/dev/null; }
}
wait_quiet() {
  local waited=0
  while busy; do
    ((waited % 60 == 0)) && log "waiting for running rustc/cargo/wrk processes to finish"
    sleep 5
    waited=$((waited + 5))
  done
}
# quietly CMD...: runs CMD on a quiet machine while watching for compiles that start
# meanwhile; if one does, the measurement is thrown away and repeated (up to 5 times).
quietly() {
  local attempt flag="$scratch/disturbed" watcher
  for attempt in 1 2 3 4 5; do
    wait_quiet
    rm -f "$flag"
    (
      measuring=1
      while :; do
        busy && : >"$flag"
        sleep 0.5
      done
    ) &
    watcher=$!
    "$@"
    kill "$watcher"
    wait "$watcher" 2>/dev/null || true
    [[ -e "$flag" ]] || return 0
    log "a compile ran during '$*'; measuring again (attempt $((attempt + 1)))"
    echo "$*" >>"$out/disturbed.txt"
  done
  log "the machine never stayed quiet; keeping the last measurement of '$*'"
}

# ---------------------------------------------------------------- wasmtime serve
WASMTIME_VERSION=48.0.8 # the wasmtime the host links
is_wanted_wasmtime() { [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -qx "wasmtime $WASMTIME_VERSION.*"; }
# A wasmtime $WASMTIME_VERSION CLI: $WASMTIME_BIN, else `wasmtime` on PATH, else the one
# bench/run installs under ${WASMTIME_ROOT:-~/.cache/wasmart/wasmtime-cli}; nothing if none.
find_wasmtime() {
  local candidate
  for candidate in "${WASMTIME_BIN:-}" "$(command -v wasmtime || true)" \
    "${WASMTIME_ROOT:-$HOME/.cache/wasmart/wasmtime-cli}/bin/wasmtime"; do
    if [[ -n "$candidate" ]] && is_wanted_wasmtime "$candidate"; then
      echo "$candidate"
      return
    fi
  done
}

# ---------------------------------------------------------------- processes
# CPU time (user + system, in clock ticks, all threads) the processes $@ have used together.
cpu_ticks() {
  local pid
  for pid in "$@"; do cat "/proc/$pid/stat"; done |
    awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}
# Resident memory (VmRSS, KiB) of the processes $@ together.
rss_kib() {
  local pid
  for pid in "$@"; do cat "/proc/$pid/status"; done | awk '/^VmRSS:/ { k += $2 } END { print k + 0 }'
}
# Samples the summed VmRSS of $@ every 100 ms until killed (TERM) or one of them exits;
# prints the peak.
sample_peak_rss() {
  local peak=0 rss
  trap 'echo "$peak"; exit 0' TERM
  while rss=$(rss_kib "$@" 2>/dev/null) && kill -0 "$@" 2>/dev/null; do
    ((rss > peak)) && peak=$rss
    sleep 0.1
  done
  echo "$peak"
}

# ---------------------------------------------------------------- results
# What every results folder records about the machine (the sourcing script adds its own).
describe_machine() {
  echo "date: $(date -Is)"
  echo "cpus: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "git: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (dirty)')"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Parses one wrk output: "req_per_s p50_ms p99_ms non2xx socket_errors".
wrk_stats() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      return v * 1000
    }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { non2xx = $NF }
    /Socket errors/ { gsub(",", ""); sock = $4 + $6 + $8 + $10 }
    END { printf "%.0f %.2f %.2f %d %d\n", rps, p50, p99, non2xx, sock }
  ' "$1"
}
