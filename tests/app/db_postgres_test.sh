#!/usr/bin/env bash
# The PostgreSQL backup procedure of docs/operations.md, end to end: a clerk database with
# work in it is dumped with pg_dump -Fc, restored with pg_restore --clean --if-exists into
# a new, empty database, and clerk reads the copy: `clerk db status` finds it current,
# `clerk status` finds the items, and new work is taken in (the ids carry on). `clerk
# backup` on a PostgreSQL location points to that procedure instead.
#
#   db_postgres_test.sh CLERK_BINARY
#
# Needs the clerk_postgres fixture (CLERK_TEST_PG_STATE, see tests/store/CMakeLists.txt),
# or CLERK_TEST_PG_URL; exits 77 (skipped) when neither names a server.
set -euo pipefail
clerk=${1:?usage: $0 CLERK_BINARY}
data=$(cd "$(dirname "$0")/../data" && pwd)
if [[ -n ${CLERK_TEST_PG_URL:-} ]]; then
  server=$CLERK_TEST_PG_URL
elif [[ -n ${CLERK_TEST_PG_STATE:-} && -f $CLERK_TEST_PG_STATE/url ]]; then
  server=$(cat "$CLERK_TEST_PG_STATE/url")  # postgresql://clerk:PASSWORD@127.0.0.1:PORT/clerk
else
  echo "SKIP: no PostgreSQL test server (CLERK_TEST_PG_STATE or CLERK_TEST_PG_URL)"
  exit 77
fi
for tool in psql pg_dump pg_restore; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

base="${server%/*}"
original="clerk_dump_from_$$"
copy="clerk_dump_to_$$"
work=$(mktemp -d)
cleanup() {
  for database in "$original" "$copy"; do
    psql "$server" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
psql "$server" -qc "CREATE DATABASE $original" >/dev/null
psql "$server" -qc "CREATE DATABASE $copy" >/dev/null

cd "$work"
cp "$data/bots/valid/intake.yaml" bot.yaml
{ echo "form_id,name"; for i in $(seq 1 20); do echo "F$i,Person $i"; done; } >forms.csv
{ echo "form_id,name"; for i in $(seq 21 25); do echo "F$i,Person $i"; done; } >more.csv

fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$clerk" run bot.yaml --input forms.csv --db "$base/$original" >/dev/null

set +e
refused=$("$clerk" backup --to "$work/copy.db" --db "$base/$original" 2>&1)
code=$?
set -e
[[ $code -eq 1 && $refused == *pg_dump* && $refused == *docs/operations.md* ]] \
  || fail "clerk backup on PostgreSQL did not point to pg_dump (exit $code): $refused"

pg_dump -Fc -f "$work/clerk.dump" "$base/$original"
pg_restore --clean --if-exists -d "$base/$copy" "$work/clerk.dump"

status=$("$clerk" db status --db "$base/$copy" --json)
[[ $(json 'd["state"]' <<<"$status") == up_to_date ]] || fail "the restored database is not current: $status"
[[ $(json 'd["version"] == d["clerk_version"]' <<<"$status") == True ]] || fail "versions differ: $status"

items=$("$clerk" status --db "$base/$copy" --json)
[[ $(json 'd["bots"][0]["done"]' <<<"$items") == 20 ]] || fail "the restored database does not hold 20 done items: $items"

# Identity columns carry on after the restore: new items get new ids, and the old ones stay.
"$clerk" run bot.yaml --input more.csv --db "$base/$copy" >/dev/null
items=$("$clerk" status --db "$base/$copy" --json)
[[ $(json 'd["bots"][0]["done"]' <<<"$items") == 25 ]] || fail "new work in the restored database: $items"
ids=$(psql "$base/$copy" -qAtc "SELECT COUNT(DISTINCT id), MAX(id) FROM work_items")
[[ $ids == "25|25" ]] || fail "work item ids after the restore (count|max): $ids"
echo "PostgreSQL: pg_dump and pg_restore into a new database give a current clerk database with its items"
