#!/usr/bin/env bash
# `clerk run --db postgresql://...` end to end: the CLI hands the location to the store
# unchanged. 60 forms run by 2 workers are each done once, `clerk status` reads the same
# database, offering the forms again enqueues nothing, and a wrong password is refused
# without being shown.
#
#   clerk_on_postgres.sh CLERK_BINARY
#
# Needs the clerk_postgres fixture (CLERK_TEST_PG_STATE, see tests/store/CMakeLists.txt).
set -euo pipefail
clerk=${1:?usage: $0 CLERK_BINARY}
data=$(cd "$(dirname "$0")/../data" && pwd)
: "${CLERK_TEST_PG_STATE:?set by ctest (fixture clerk_postgres)}"
server=$(cat "$CLERK_TEST_PG_STATE/url")  # postgresql://clerk:PASSWORD@127.0.0.1:PORT/clerk
database="clerk_cli_$$"
url="${server%/clerk}/$database"

work=$(mktemp -d)
trap 'psql "$server" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
psql "$server" -qc "CREATE DATABASE $database" >/dev/null

cd "$work"
cp "$data/bots/valid/intake.yaml" bot.yaml
{ echo "form_id,name"; for i in $(seq 1 60); do echo "F$i,Person $i"; done; } >forms.csv

fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

out=$("$clerk" run bot.yaml --input forms.csv --db "$url" --workers 2 --json)
[[ $(json 'd["done"]' <<<"$out") == 60 ]] || fail "clerk run did not finish 60 items: $out"

status=$("$clerk" status --db "$url" --json)
[[ $(json 'd["bots"][0]["done"]' <<<"$status") == 60 ]] || fail "clerk status does not show 60 done: $status"

again=$("$clerk" run bot.yaml --input forms.csv --db "$url" --json)
[[ $(json 'sum(1 for i in d["items"] if i.get("new"))' <<<"$again") == 0 ]] || fail "forms enqueued twice: $again"

# Each item was leased once, by one of the two workers.
leases=$(psql "$url" -qAtc "SELECT COUNT(*), COUNT(DISTINCT item_id) FROM events WHERE kind = 'leased'")
[[ $leases == "60|60" ]] || fail "leases (count|items): $leases"

wrong="postgresql://clerk:NotThePassword@${server#*@}"
set +e
err=$("$clerk" status --db "$wrong" --json 2>&1 >/dev/null)
code=$?
set -e
[[ $code -ne 0 ]] || fail "a wrong password was accepted"
[[ $err == *"refused the sign-in"* ]] || fail "unclear error for a wrong password: $err"
[[ $err != *NotThePassword* ]] || fail "the password is shown: $err"
echo "clerk on PostgreSQL: 60 items done once by 2 workers; status, re-offer and wrong password as expected"
