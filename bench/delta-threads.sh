#!/usr/bin/env bash
# Where parc-server's CPU goes on delta reports, thread by thread: the writer
# thread against everything else (gRPC, HTTP/2, validation). Starts the given
# parc-server on a fresh database, drives `parc-load run` at it, reads each
# thread's CPU time from /proc every 2 s, and counts only the intervals in
# which delta reports (and no full ones) were stored. To compare two builds,
# run them in turn, twice each: this host's speed drifts from minute to minute.
#
#   bench/delta-threads.sh [SERVER_BINARY] [DEVICES] [ROUNDS]
#   bench/delta-threads.sh /tmp/old/parc-server 20000 3
set -euo pipefail
cd "$(dirname "$0")/.."
server=${1:-target/release/parc-server}
devices=${2:-20000}
rounds=${3:-3}
load=target/release/parc-load
[ -x "$load" ] || cargo build --release -q -p parc-server -p parc-load
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
PARC_ENROLL_SECRET=parc-load-enroll-secret RUST_LOG=warn "$server" serve --db "$dir/p.db" \
  --listen 127.0.0.1:4750 --http-listen 127.0.0.1:4751 --report-interval 1h >"$dir/server.log" 2>&1 &
pid=$!
sleep 1
token=$("$server" token create --db "$dir/p.db" --name bench --role admin | tail -1)

sample() {
  local metrics writer=0 other=0 stat name ticks
  metrics=$(curl -s -H "Authorization: Bearer $token" 127.0.0.1:4751/metrics)
  for stat in /proc/"$pid"/task/*/stat; do
    read -r line <"$stat" 2>/dev/null || continue
    name=${line#*(}; name=${name%%)*}
    # utime and stime, fields 14 and 15, are the 12th and 13th after "(comm) ".
    ticks=$(awk '{print $12 + $13}' <<<"${line##*) }")
    if [ "$name" = parc-writer ]; then writer=$((writer + ticks)); else other=$((other + ticks)); fi
  done
  echo "$(awk '/^parc_reports_total\{kind="full"/{print $2}' <<<"$metrics") \
$(awk '/^parc_reports_total\{kind="delta"/{print $2}' <<<"$metrics") $writer $other \
$(awk '/^parc_write_transactions_total/{print $2}' <<<"$metrics")"
}

(while kill -0 "$pid" 2>/dev/null; do sample; sleep 2; done) >"$dir/samples" 2>/dev/null &
"$load" run --server http://127.0.0.1:4750 --devices "$devices" --rounds "$rounds" >"$dir/run.json"
sleep 2.5
python3 - "$dir/samples" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    fields = line.split()
    if len(fields) == 5:
        rows.append([float(x) for x in fields])
deltas = writer = other = transactions = 0
for before, after in zip(rows, rows[1:]):
    if after[0] == before[0] and after[1] > before[1]:  # delta reports only
        deltas += after[1] - before[1]
        writer += after[2] - before[2]
        other += after[3] - before[3]
        transactions += after[4] - before[4]
if not deltas:
    sys.exit("no interval held delta reports only: more devices or rounds")
tick_ms = 10.0  # USER_HZ = 100
print(f"{deltas:.0f} delta reports: writer {writer * tick_ms / deltas:.3f} ms a report, "
      f"other threads {other * tick_ms / deltas:.3f} ms, "
      f"{deltas / max(transactions, 1):.1f} reports a transaction")
PY
