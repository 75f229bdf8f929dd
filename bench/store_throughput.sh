#!/usr/bin/env bash
# No-op items per second through the work store: SQLite and PostgreSQL, 1, 2 and 4
# workers, in one run, printed with ratios to SQLite with one worker.
#
#   bench/store_throughput.sh [BUILD_DIR] [ITEMS]
#
# Each run enqueues ITEMS (default 2000) items into a new database, then the workers
# (threads with a connection each, as clerk's workers have) lease and complete them, one
# no-op step each (tests/store/store_throughput.cpp); the time is that of draining.
# SQLite is a new file in a temporary folder (WAL, synchronous=FULL). PostgreSQL is a
# throwaway server on 127.0.0.1 started by tests/store/pg_server.sh with its default
# durability (fsync on, synchronous_commit on), a new database per run. Every item
# committed is durable on both. Each item is two commits (lease, complete), so on a
# disk with slow flushes both are bound by the flush time, which is printed first
# (bench/flush_rate.py: synchronous 4 KiB writes a second); the last row, PostgreSQL with
# fsync off (not for production), shows what the store costs without it.
#
# Then `clerk run` itself on SQLite: a bot with one `set` step over ITEMS JSON lines, with
# 1, 2 and 4 workers, three runs each (the median), its "seconds" of processing. clerk's
# workers lease quick items in batches and store their last steps together, one flush a
# batch, so it is printed beside the disk's flush rate with the flushes it used per item.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
items=${2:-2000}
bench="$build/tests/store/store_throughput"
[[ -x $bench ]] || { echo "build the store_throughput target first: cmake --build $build --target store_throughput" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  for s in "$work/pg" "$work/pg-nofsync"; do "$root/tests/store/pg_server.sh" stop "$s" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
declare -A url state
state[postgresql]="$work/pg"
state[postgresql-nofsync]="$work/pg-nofsync"
url[postgresql]=$("$root/tests/store/pg_server.sh" start "${state[postgresql]}" --durable)
url[postgresql-nofsync]=$("$root/tests/store/pg_server.sh" start "${state[postgresql-nofsync]}")
# New databases are made on the server's socket as its superuser.
psql_admin() {  # backend, sql
  local dir=${state[$1]} port
  port=$(cat "$dir/port")
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- psql -h "$dir" -p "$port" -U postgres -d postgres -qAt -c "$2"
  else
    psql -h "$dir" -p "$port" -U postgres -d postgres -qAt -c "$2"
  fi
}

echo "store throughput: $items no-op items per run; $(nproc) cores; $(uptime | sed 's/.*load average/load average/')"
# The disk's own limit, measured where the SQLite files go: every commit is one flush.
flush=$(python3 "$root/bench/flush_rate.py" "$work" 2)
flushes=$(sed -n 's/.*flushes_per_s=\([0-9]*\).*/\1/p' <<<"$flush")
echo "disk: $flush (a flush per commit, two commits an item: at most $((flushes / 2)) items/s)"
declare -A rate
backends=(sqlite postgresql postgresql-nofsync)
for backend in "${backends[@]}"; do
  for workers in 1 2 4; do
    if [[ $backend == sqlite ]]; then
      location="$work/bench-$workers.db"
    else
      psql_admin "$backend" "CREATE DATABASE bench_$workers OWNER clerk"
      location="${url[$backend]%/clerk}/bench_$workers"
    fi
    line=$("$bench" "$location" "$items" "$workers" 2>/dev/null)
    echo "$backend: $line"
    rate[$backend-$workers]=$(sed -n 's/.*items_per_s=\([0-9]*\).*/\1/p' <<<"$line")
  done
done

base=${rate[sqlite-1]}
echo
printf '%-20s %14s %14s %14s   (workers; items/s and ratio to SQLite with 1 worker)\n' backend 1 2 4
for backend in "${backends[@]}"; do
  printf '%-20s' "$backend"
  for workers in 1 2 4; do
    r=${rate[$backend-$workers]}
    printf ' %14s' "$r ($(awk -v a="$r" -v b="$base" 'BEGIN { printf "%.2fx", a / b }'))"
  done
  echo
done
echo "SQLite with 1 worker is $(awk -v a="$base" -v b="$flushes" 'BEGIN { printf "%.2f", 2 * a / b }') of the disk's flush limit (2 x items/s / flushes/s)"

clerk="$build/runtime/app/clerk"
if [[ -x $clerk ]]; then
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
import json
with open('$work/items.jsonl', 'w') as f:
    for n in range($items): f.write(json.dumps({'n': n}) + '\\n')
"
  echo
  echo "clerk run, one-step bot, SQLite (WAL, synchronous=FULL), $items items; disk: $flushes flushes/s"
  for workers in 1 2 4; do
    runs=()
    for run in 1 2 3; do
      db="$work/run-$workers-$run.db"
      seconds=$("$clerk" run "$work/noop.yaml" --input "$work/items.jsonl" --workers "$workers" --wait 0s --db "$db" --json \
                  | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])")
      runs+=("$(python3 -c "print(round($items / $seconds))")")
    done
    median=$(python3 -c "import statistics,sys; print(round(statistics.median(map(float, sys.argv[1:]))))" "${runs[@]}")
    echo "clerk run, $workers workers: $median items/s (runs: ${runs[*]}); $(awk -v a="$median" -v b="$flushes" 'BEGIN { printf "%.2f", a / b }') x the disk's flushes/s (two flushes an item would cap it at 0.50)"
  done
else
  echo "(build the clerk target to measure clerk run as well)"
fi
