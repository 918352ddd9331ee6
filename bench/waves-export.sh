#!/usr/bin/env bash
# The waves path on a simulated fleet: plan, publish and export the wave
# list, each on a freshly started server so its peak RSS is that step's.
#
#   bench/waves-export.sh [DEVICES]          # default 100000; release build
#   PARC_BENCH_DIR=/tmp/w bench/waves-export.sh   # keep the database there,
#                                                 # reuse it on the next run
#
# Prints, per step: wall-clock seconds, the server's peak RSS during the
# step, and for exports the client's peak RSS and the file's size.
# Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-100000}

cargo build --release -q -p parc-server -p parc-load
bin=${CARGO_TARGET_DIR:-target}/release
dir=${PARC_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir"
fresh=$([ -e "$dir/parc.db" ] && echo no || echo yes)
server=
trap 'kill "$server" 2>/dev/null || true; [ -n "${PARC_BENCH_DIR:-}" ] || rm -rf "$dir"' EXIT
secret=bench-enroll-secret-0123
token=$("$bin/parc-server" token create --db "$dir/parc.db" --name "bench-$$" --role admin 2>/dev/null)
export PARC_TOKEN=$token PARC_CLI_CONFIG=/nonexistent

start_server() {
  [ -z "$server" ] || { kill "$server"; wait "$server" 2>/dev/null || true; }
  : >"$dir/server.log"
  PARC_ENROLL_SECRET=$secret RUST_LOG=warn,parc_server=info "$bin/parc-server" serve --db "$dir/parc.db" \
    --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --report-interval 1h 2>"$dir/server.log" &
  server=$!
  for _ in $(seq 100); do grep -q "parc-server listening" "$dir/server.log" 2>/dev/null && break; sleep 0.1; done
  PARC_SERVER_URL="http://$(grep -o 'address=[0-9.:]*' "$dir/server.log" | head -1 | cut -d= -f2)"
  export PARC_SERVER_URL
}

server_peak() { awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$server/status"; }

start_server
if [ "$fresh" = yes ]; then
  echo "loading $devices simulated PCs into $PARC_SERVER_URL ..."
  "$bin/parc-load" run --server "$PARC_SERVER_URL" --devices "$devices" --rounds 1 --enroll-secret "$secret" >/dev/null
  "$bin/parc" sites import samples/sites.csv >/dev/null
fi
cat >"$dir/spec.toml" <<'SPEC'
start = "2027-01-04"
capacity = 2400
max_sites_per_wave = 12
SPEC

step() {
  local name=$1
  shift
  start_server
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$dir/client.kb" "$@" >"$dir/step.out"
  end=$(date +%s.%N)
  printf '%-42s %6.1f s   server peak %s   parc peak %.0f MiB\n' "$name" "$(echo "$end - $start" | bc)" \
    "$(server_peak)" "$(echo "$(cat "$dir/client.kb") / 1024" | bc -l)"
}

step "parc waves plan --spec spec.toml" "$bin/parc" waves plan --spec "$dir/spec.toml"
plan=$(grep -o 'plan [0-9]*' "$dir/step.out" | head -1 | cut -d' ' -f2)
"$bin/parc" waves publish "$plan" >/dev/null
step "parc waves export --format xlsx" "$bin/parc" waves export --format xlsx --out "$dir/w.xlsx"
echo "  $(du -h "$dir/w.xlsx" | cut -f1) XLSX"
step "parc waves export --format csv --excel-fr" "$bin/parc" waves export --format csv --excel-fr --out "$dir/w.csv"
echo "  $(($(wc -l <"$dir/w.csv") - 1)) rows, $(du -h "$dir/w.csv" | cut -f1) CSV"
