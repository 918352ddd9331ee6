#!/usr/bin/env bash
# The query language on a simulated fleet: how long `parc devices --query`
# takes for a query the SQL answers alone (columns, software, waves) and
# for one that needs the readiness rules, the sites or the asset register
# (a scan of the fleet), next to the plain listing as the baseline.
#
#   bench/queries.sh [DEVICES]        # default 20000; release build
#   PARC_BENCH_DIR=/tmp/q bench/queries.sh   # keep the database there, and
#                                            # reuse it on the next run
#
# Prints one line per query: matches, best of 3 wall-clock seconds, and
# the ratio to the plain listing. Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
devices=${1:-20000}

cargo build --release -q -p parc-server -p parc-load
bin=target/release
dir=${PARC_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir"
fresh=$([ -e "$dir/parc.db" ] && echo no || echo yes)
trap 'kill "$server" 2>/dev/null || true; [ -n "${PARC_BENCH_DIR:-}" ] || rm -rf "$dir"' EXIT
secret=bench-enroll-secret-0123
token=$("$bin/parc-server" token create --db "$dir/parc.db" --name "bench-$$" --role admin 2>/dev/null)
PARC_ENROLL_SECRET=$secret RUST_LOG=warn,parc_server=info "$bin/parc-server" serve --db "$dir/parc.db" \
  --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 2>"$dir/server.log" &
sleep 0.2
server=$!
for _ in $(seq 100); do grep -q "parc-server listening" "$dir/server.log" 2>/dev/null && break; sleep 0.1; done
address=$(grep -o 'address=[0-9.:]*' "$dir/server.log" | head -1 | cut -d= -f2)
url="http://$address"
export PARC_SERVER_URL=$url PARC_TOKEN=$token PARC_CLI_CONFIG=/nonexistent

if [ "$fresh" = yes ]; then
  echo "loading $devices simulated PCs into $url ..."
  "$bin/parc-load" run --server "$url" --devices "$devices" --rounds 1 --enroll-secret "$secret" >/dev/null
  "$bin/parc" sites import samples/sites.csv >/dev/null
fi

best_of_3() {
  local best=
  for _ in 1 2 3; do
    local start end took
    start=$(date +%s.%N)
    "$bin/parc" devices --output csv --query "$1" >"$dir/out.csv"
    end=$(date +%s.%N)
    took=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$took < $best" | bc)" = 1 ]; then best=$took; fi
  done
  echo "$best"
}

baseline=$(best_of_3 "")
printf '%-55s %8s %8s %6s\n' "query" "matches" "seconds" "ratio"
for query in "" "ram<8GB" "chassis:laptop ram<8GB" "os:\"Windows 10\"" "software:firefox" \
  "not-seen>14d" "PC-00" "-wifi:ready" "site:SIEGE-EVRY" "replacement:replace score>=80" \
  "site:SIEGE-EVRY chassis:laptop -softphone:ready"; do
  seconds=$(best_of_3 "$query")
  matches=$(($(wc -l <"$dir/out.csv") - 1))
  printf '%-55s %8d %8.3f %6.1f\n' "${query:-(everything)}" "$matches" "$seconds" "$(echo "$seconds / $baseline" | bc -l)"
done
