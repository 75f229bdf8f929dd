#!/usr/bin/env bash
# Latency from a time trigger's due time to its item's first step starting, under
# `clerk serve`: a bot fires every second for SECONDS (default 60) on SQLite; for each
# fire, the time from the slot's due time to the item's lease (when its first step
# starts) is read from the store's events. Prints p50, p99 and max in ms.
#
#   bench/trigger_latency.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
seconds=${2:-60}
clerk="$build/runtime/app/clerk"
[[ -x $clerk ]] || { echo "build clerk first: cmake --build $build --target clerk" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/ticker.yaml" <<'YAML'
name: ticker
version: 1
owner_team: ops
trigger:
  every: 1s
steps:
  - id: tick
    type: set
    params:
      values: {at: "{{ input.fired_at }}"}
YAML
echo "trigger latency: 1 fire a second for $seconds s; $(nproc) cores; $(uptime | sed 's/.*load average/load average/')"
"$clerk" serve "$work/ticker.yaml" --db "$work/work.db" --workers 2 --listen off >"$work/serve.log" 2>&1 &
pid=$!
sleep "$seconds"
kill -TERM "$pid"
wait "$pid" || true
python3 - "$work/work.db" <<'PY'
import datetime, sqlite3, statistics, sys
db = sqlite3.connect(sys.argv[1])
latencies = []
for source, leased in db.execute(
        "SELECT w.source_ref, min(e.at) FROM work_items w JOIN events e ON e.item_id = w.id AND e.kind = 'leased' "
        "GROUP BY w.id"):
    due = datetime.datetime.fromisoformat(source.split(":", 1)[1].replace("Z", "+00:00")).timestamp() * 1000
    latencies.append(leased - due)
latencies.sort()
p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(f"fires: {len(latencies)}; due -> first step: p50 {statistics.median(latencies):.0f} ms, "
      f"p99 {p(0.99):.0f} ms, max {latencies[-1]:.0f} ms (target p99 < 100 ms on an idle system)")
PY
