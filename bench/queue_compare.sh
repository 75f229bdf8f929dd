#!/usr/bin/env bash
# clerk against graphile-worker (npm), the best-known PostgreSQL job queue, on the same
# throwaway PostgreSQL (durable: fsync and synchronous commit on), with the same number of
# workers: no-op items per second, printed with the ratios of clerk to graphile-worker in
# its default mode and in its batched mode.
#
#   bench/queue_compare.sh [BUILD_DIR] [ITEMS] [RUNS]
#
# clerk: `clerk run` over a JSON-lines file of ITEMS (default 4000) records for a bot with
# one `set` step, with --workers W; the time is its processing time (the "seconds" of
# --json; the items are enqueued before it starts). graphile-worker 0.17.3 (the last
# release for Debian 12's Node 20): ITEMS jobs added in one transaction, then a runner
# with concurrency W and a no-op task, timed until every job succeeded, once in its
# default mode and once batched (its local queue fetching 100 jobs at a time, and job
# completions batched: bench/graphile_worker_drain.js). Each run uses a new database; the
# three run in turn (clerk, default, batched, clerk, ...) so that load on the machine hits
# them alike, RUNS (default 5) times for each number of workers, and the medians are
# printed. graphile-worker is installed with npm into a temporary folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
items=${2:-4000}
runs=${3:-5}
clerk="$build/runtime/app/clerk"
[[ -x $clerk ]] || { echo "build clerk first: cmake --build $build --target clerk" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "needs node and npm (apt-get install nodejs npm)" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
cleanup() { "$root/tests/store/pg_server.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
url=$("$root/tests/store/pg_server.sh" start "$work/pg" --durable)
port=$(cat "$work/pg/port")
psql_admin() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- psql -h "$work/pg" -p "$port" -U postgres -d postgres -qAt -c "$1"
  else psql -h "$work/pg" -p "$port" -U postgres -d postgres -qAt -c "$1"; fi
}
# A copy of the binary: a build that relinks it during the runs cannot break or change them.
cp "$clerk" "$work/clerk"
clerk="$work/clerk"
(cd "$work" && npm init -y >/dev/null 2>&1 && npm install --no-audit --no-fund --silent graphile-worker@0.17.3 >/dev/null 2>&1)
cp "$root/bench/graphile_worker_drain.js" "$work/"

cat >"$work/noop.yaml" <<'YAML'
name: noop
version: 1
owner_team: bench
steps:
  - id: noop
    type: set
    params:
      values: {n: "{{ input.n }}"}
YAML
python3 -c "
import json, sys
with open('$work/items.jsonl', 'w') as f:
    for n in range($items): f.write(json.dumps({'n': n}) + '\n')
"

echo "queue comparison: $items no-op items per run, $runs runs each; $(nproc) cores; $(uptime | sed 's/.*load average/load average/')"
printf '%-8s %36s %36s %36s %9s %9s\n' workers "clerk items/s (runs)" "graphile default (runs)" "graphile batched (runs)" "/default" "/batched"
base=${url%/clerk}
median() { python3 -c "import statistics,sys; print(round(statistics.median(map(float, sys.argv[1:]))))" "$@"; }
graphile() {  # database, workers, mode
  (cd "$work" && node graphile_worker_drain.js "$base/$1" "$items" "$2" "$3") | sed -n 's/.*items_per_s=\([0-9]*\).*/\1/p'
}
for workers in 1 2 4; do
  clerk_runs=() default_runs=() batched_runs=()
  for run in $(seq 1 "$runs"); do
    for db in clerk default batched; do psql_admin "CREATE DATABASE ${db}_${workers}_$run OWNER clerk"; done
    seconds=$("$clerk" run "$work/noop.yaml" --input "$work/items.jsonl" --workers "$workers" --wait 0s \
                --db "$base/clerk_${workers}_$run" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])")
    clerk_runs+=("$(python3 -c "print(round($items / $seconds))")")
    default_runs+=("$(graphile "default_${workers}_$run" "$workers" default)")
    batched_runs+=("$(graphile "batched_${workers}_$run" "$workers" batched)")
  done
  clerk_rate=$(median "${clerk_runs[@]}")
  default_rate=$(median "${default_runs[@]}")
  batched_rate=$(median "${batched_runs[@]}")
  printf '%-8s %36s %36s %36s %9s %9s\n' "$workers" "$clerk_rate (${clerk_runs[*]})" "$default_rate (${default_runs[*]})" \
    "$batched_rate (${batched_runs[*]})" "$(python3 -c "print(f'{$clerk_rate / $default_rate:.2f}x')")" \
    "$(python3 -c "print(f'{$clerk_rate / $batched_rate:.2f}x')")"
done
