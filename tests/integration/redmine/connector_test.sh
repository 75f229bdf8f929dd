#!/usr/bin/env bash
# connectors/redmine.yaml with clerk's rest step against the shared Redmine
# (ctest fixture clerk_redmine): a bot creates an incident report in highways, assigned
# to the highways team, and notes it; the test checks that exactly one such issue
# landed, with the team, the note once and clerk's action keys.
#   connector_test.sh CLERK_BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
clerk=${1:?usage: connector_test.sh CLERK_BINARY}
: "${CLERK_REDMINE_STATE:?set by ctest}"
set -a
# shellcheck disable=SC1091
. "$CLERK_REDMINE_STATE/redmine.env"
set +a
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

subject="Pothole test $(date +%s%N)"
cat >"$work/bot.yaml" <<YAML
name: redmine-connector-test
description: Creates an incident report in Redmine and notes it.
version: 1
owner_team: highways
input:
  fields: [subject, details]
connectors: [redmine]
steps:
  - id: create
    type: rest
    params:
      connector: redmine
      operation: create_incident
      params:
        project: highways
        subject: "{{ input.subject }}"
        description: "{{ input.details }}"
        team_id: "$REDMINE_GROUP_HIGHWAYS"
      check:
        operation: find_by_key
  - id: note
    type: rest
    params:
      connector: redmine
      operation: add_note
      params:
        id: "{{ create.id }}"
        note: Allocated to highways
      check:
        operation: get_case
        params:
          id: "{{ create.id }}"
YAML
printf '{"subject": "%s", "details": "Deep pothole by the bus stop"}\n' "$subject" >"$work/report.json"

"$clerk" run --db "$work/clerk.db" --connectors "$here/../../../connectors" -i "$work/report.json" \
  "$work/bot.yaml"
# The subject is unique to this run: exactly one issue has it, in highways, assigned to
# the highways team, with the note once (read with the administrator's key).
api() { curl -sS --max-time 30 -H "X-Redmine-API-Key: $REDMINE_ADMIN_API_KEY" "$@"; }
found=$(api -G "$REDMINE_URL/issues.json" --data-urlencode "status_id=*" --data-urlencode "subject=$subject")
id=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["total_count"] == 1, d["total_count"]; print(d["issues"][0]["id"])' "$found") ||
  { echo "FAIL: not exactly one issue with subject '$subject'" >&2; exit 1; }
api "$REDMINE_URL/issues/$id.json?include=journals" | python3 -c '
import json, sys
issue = json.load(sys.stdin)["issue"]
assert issue["project"]["name"] == "Highways", issue["project"]
assert issue["tracker"]["name"] == "Incident report", issue["tracker"]
assert issue["assigned_to"]["name"] == "highways", issue.get("assigned_to")
notes = [j["notes"] for j in issue["journals"] if (j.get("notes") or "").startswith("Allocated to highways")]
assert len(notes) == 1, notes
assert "(clerk: " in notes[0] and "(clerk: " in issue["description"], "no action key written"
print("connector_test: incident", issue["id"], "in highways, assigned to the team, noted once")
' || { echo "FAIL: issue $id is not as the bot left it" >&2; exit 1; }
