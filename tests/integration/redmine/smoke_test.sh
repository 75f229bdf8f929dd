#!/usr/bin/env bash
# Smoke test of the local Redmine the integration tests use (ctest label integration).
# Starts it from a new state folder on its own port, loads a few made-up people, finds
# one by the NHS number custom field, adds a note with PUT and sees it in the journals,
# assigns the case to a team, checks that the data outlives a restart, and stops it.
# Prints how long the start from a clean state folder and the restart took.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
  echo "SKIP: needs root or passwordless sudo (to install Redmine and run it as www-data)"
  exit 77
fi
# In /tmp: www-data, who runs Redmine, must be able to enter it.
state=$(mktemp -d /tmp/clerk-redmine-smoke.XXXXXX)
export CLERK_REDMINE_STATE=$state
export REDMINE_PORT=${CLERK_TEST_REDMINE_PORT:-3310}
redmine=$here/redmine.sh

cleanup() {
  "$redmine" stop >/dev/null 2>&1 || true
  rm -rf "$state" 2>/dev/null || sudo rm -rf "$state"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  "$redmine" log >&2 || true
  exit 1
}

# json EXPR [ARG...]: reads JSON on stdin as d, prints the Python expression EXPR
# (which may use the ARGs as sys.argv[1:]).
json() {
  local expr=$1
  shift
  python3 -c "import json,sys; d=json.load(sys.stdin); print($expr)" "$@"
}

t0=$(date +%s.%N)
"$redmine" start >/dev/null || fail "redmine.sh start failed"
t1=$(date +%s.%N)
set -a
# shellcheck disable=SC1091
. "$state/redmine.env"
set +a
key=(-H "X-Redmine-API-Key: $REDMINE_API_KEY")
api() { curl -sS --max-time 30 "${key[@]}" -H 'Content-Type: application/json' "$@"; }

# The API answers, as the clerk user, and refuses a caller without a key.
login=$(api "$REDMINE_URL/users/current.json" | json 'd["user"]["login"]') || fail "users/current.json"
[[ $login == clerk ]] || fail "API key belongs to '$login', not clerk"
code=$(curl -s -o /dev/null -w '%{http_code}' "$REDMINE_URL/issues.json?project_id=social-care")
[[ $code == 401 || $code == 403 ]] || fail "no key gave $code, not 401/403"
[[ $REDMINE_CF_FORENAME == 1 && $REDMINE_CF_NHS_NUMBER == 5 ]] ||
  fail "custom field ids are not the fixed 1..5 that connectors/redmine.yaml uses"

# A few people, loaded through the REST API.
head -n 21 "$here/people.csv" >"$state/people.csv"
ruby "$here/load_people.rb" --csv "$state/people.csv" --out "$state/ids.csv" || fail "load_people.rb"
[[ $(wc -l <"$state/ids.csv") -eq 21 ]] || fail "ids.csv should list 20 people"

# Found by NHS number: exactly the case that was created for that person.
IFS=, read -r ref _ surname dob _ nhs _ < <(awk -F, 'NR > 1 && $6 != "" {print; exit}' "$state/people.csv")
want_id=$(awk -F, -v r="$ref" '$1 == r {print $2}' "$state/ids.csv")
found=$(api "$REDMINE_URL/issues.json?status_id=*&cf_$REDMINE_CF_NHS_NUMBER=$nhs")
[[ $(json 'd["total_count"]' <<<"$found") == 1 ]] || fail "NHS number $ref: not exactly one case: $found"
[[ $(json 'd["issues"][0]["id"]' <<<"$found") == "$want_id" ]] || fail "NHS number search found the wrong case"
[[ $(json '[f["value"] for f in d["issues"][0]["custom_fields"] if f["name"] == "surname"][0]' <<<"$found") == \
   "$surname" ]] || fail "surname custom field does not read back"
found=$(api "$REDMINE_URL/issues.json?status_id=*&cf_$REDMINE_CF_SURNAME=~$surname&cf_$REDMINE_CF_DATE_OF_BIRTH=$dob")
json '[i["id"] for i in d["issues"]]' <<<"$found" | grep -qw "$want_id" || fail "surname + date of birth search"

# A note added with PUT lands once in the case's journals.
note="Contact form received $(date +%s%N): smoke test note"
code=$(api -o /dev/null -w '%{http_code}' -X PUT "$REDMINE_URL/issues/$want_id.json" \
  -d "{\"issue\":{\"notes\":\"$note\"}}")
[[ $code == 204 || $code == 200 ]] || fail "PUT note gave $code"
notes=$(api "$REDMINE_URL/issues/$want_id.json?include=journals" |
  json 'sum(1 for j in d["issue"]["journals"] if j.get("notes") == sys.argv[1])' "$note")
[[ $notes == 1 ]] || fail "the note is in the journals $notes times, not once"

# Assigned to a team (a group).
code=$(api -o /dev/null -w '%{http_code}' -X PUT "$REDMINE_URL/issues/$want_id.json" \
  -d "{\"issue\":{\"assigned_to_id\":$REDMINE_GROUP_CHILDREN,\"notes\":\"For the children's team\"}}")
[[ $code == 204 || $code == 200 ]] || fail "PUT assigned_to_id gave $code"
[[ $(api "$REDMINE_URL/issues/$want_id.json" | json 'd["issue"]["assigned_to"]["id"]') == "$REDMINE_GROUP_CHILDREN" ]] ||
  fail "the case is not assigned to the children group"

# cases.rb, which later tests use to check what bots did, sees the note and the team.
ruby "$here/cases.rb" --format jsonl --notes >"$state/cases.jsonl" || fail "cases.rb"
[[ $(wc -l <"$state/cases.jsonl") -eq 20 ]] || fail "cases.rb should list the 20 cases"
python3 - "$state/cases.jsonl" "$want_id" "$note" <<'PY' || fail "cases.rb does not show the note and the team"
import json, sys
rows = {r["id"]: r for r in map(json.loads, open(sys.argv[1]))}
case = rows[int(sys.argv[2])]
assert case["notes"] == [sys.argv[3], "For the children's team"], case["notes"]
assert case["team"] == "children", case["team"]
PY

# The data outlives a restart.
"$redmine" stop >/dev/null
"$redmine" status >/dev/null && fail "status says running after stop"
t2=$(date +%s.%N)
"$redmine" start >/dev/null || fail "restart failed"
t3=$(date +%s.%N)
[[ $(api "$REDMINE_URL/issues.json?status_id=*&cf_$REDMINE_CF_NHS_NUMBER=$nhs" | json 'd["issues"][0]["id"]') == "$want_id" ]] ||
  fail "the case is gone after a restart"
"$redmine" stop >/dev/null

awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
  printf "redmine smoke test passed: start from a clean state folder %.1f s, restart %.1f s\n", b - a, d - c }'
