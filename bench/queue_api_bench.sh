#!/usr/bin/env bash
# The exception-queue API under load: 10,000 open exception items in a real SQLite file,
# a real `clerk serve`, and
#  - wrk (Debian package) at full speed on the list and the item view: throughput and
#    latency percentiles (wrk 4 cannot hold a fixed rate; at full speed the latencies are
#    an upper bound for any lower rate);
#  - a paced client at 500 requests/s (queue_api_paced.py): p50/p99 at the issue's rate.
#
# Usage: bench/queue_api_bench.sh [--build DIR] [--items N] [--seconds S]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$here/../build"
items=10000
seconds=15
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --items) items="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--items N] [--seconds S]" >&2; exit 2 ;;
  esac
done
clerk="$(cd "$build" && pwd)/runtime/app/clerk"
[[ -x "$clerk" ]] || { echo "no clerk binary in $build" >&2; exit 1; }
command -v wrk >/dev/null || { sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }

work="$(mktemp -d)"
trap 'kill $serve_pid 2>/dev/null || true; rm -rf "$work"' EXIT
db="$work/clerk.db"
cat > "$work/always-ask.yaml" <<'YAML'
name: always-ask
version: "1"
owner_team: post-room
exceptions:
  team: post-room
  sla: 8h
steps:
  - id: topic
    type: require
    params:
      value: "{{ input.topic }}"
      field: topic
      one_of: [council-tax, housing, waste]
      choices: [council-tax, housing, waste]
      reason: The form's topic is not one the bot knows
YAML
python3 - "$work/forms.jsonl" "$items" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for n in range(int(sys.argv[2])):
        f.write(json.dumps({"id": n, "topic": f"topic {n % 97}", "name": f"Person {n}",
                            "message": "A made-up message of some length. " * 8}) + "\n")
PY
start=$(date +%s.%N)
"$clerk" run "$work/always-ask.yaml" --input "$work/forms.jsonl" --db "$db" >/dev/null 2>&1 || true
echo "seeded $items exception items in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
printf 'bench password 123\n' > "$work/password"
"$clerk" user add bench --team post-room --password-file "$work/password" --db "$db" >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OMP_THREAD_LIMIT=1 "$clerk" serve "$work/always-ask.yaml" --db "$db" --workers 1 --listen "127.0.0.1:$port" \
  > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
cookie=$(curl -fs -D - -o /dev/null -H 'Content-Type: application/json' \
  -d '{"name":"bench","password":"bench password 123"}' "http://127.0.0.1:$port/api/v1/session" \
  | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
open=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/exceptions?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "open exception items: $open"
first=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/exceptions?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

cat > "$work/items.lua" <<LUA
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/exceptions/" .. math.random($first, $first + $open - 1))
end
LUA
echo
echo "== wrk, full speed, 2 threads, 8 connections, ${seconds}s =="
echo "-- list (GET /api/v1/exceptions?limit=50, the first page of the team's queue)"
wrk -t2 -c8 -d"${seconds}s" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/exceptions?limit=50" \
  | grep -E "Requests/sec|^ +(50|90|99)%"
echo "-- list, a deep page (offset 9000)"
wrk -t2 -c8 -d"${seconds}s" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/exceptions?limit=50&offset=9000" \
  | grep -E "Requests/sec|^ +(50|90|99)%"
echo "-- item view (GET /api/v1/exceptions/ID, random ids)"
wrk -t2 -c8 -d"${seconds}s" --latency -s "$work/items.lua" -H "Cookie: $cookie" "http://127.0.0.1:$port" \
  | grep -E "Requests/sec|^ +(50|90|99)%"
echo
for rate in 250 500; do
  echo "== paced, $rate requests/s for ${seconds}s =="
  python3 "$here/queue_api_paced.py" --port "$port" --cookie "$cookie" --rate "$rate" --seconds "$seconds" \
    --path "/api/v1/exceptions?limit=50" --label list
done
python3 "$here/queue_api_paced.py" --port "$port" --cookie "$cookie" --rate 500 --seconds "$seconds" \
  --path "/api/v1/exceptions/{id}" --ids "$first:$((first + open - 1))" --label "item view"
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; load $(cut -d' ' -f1-3 /proc/loadavg)"
