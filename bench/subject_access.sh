#!/bin/bash
# How long a subject access search takes over N items on SQLite (issue target: under 2 s
# for 10,000). Makes N forms of made-up people with clerk run, then times
# `clerk person search` for one of them, three times, and prints the figures.
#
#   bench/subject_access.sh [BUILD_DIR] [N]      e.g. bench/subject_access.sh build 10000
set -euo pipefail
build=${1:-build} count=${2:-10000}
clerk=$(cd "$build" && pwd)/runtime/app/clerk
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/forms.yaml" <<'BOT'
name: forms
version: 1
owner_team: ict
input:
  id: form_id
steps:
  - id: note
    type: set
    params: {values: {who: "{{ input.name }}", born: "{{ input.dob | iso_date }}"}}
BOT
python3 - "$work/forms.jsonl" "$count" <<'PY'
import json, sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(count - 1):
        f.write(json.dumps({"form_id": f"F{i}", "name": f"Person {i} Smith", "dob": "01/02/1950",
                            "nhs": f"{9000000000 + i}", "message": "Please call me about my request. " * 8}) + "\n")
    f.write(json.dumps({"form_id": "Z1", "name": "Zoe Okafor", "dob": "07/03/1984", "nhs": "943 476 5919",
                        "message": "Please call."}) + "\n")
PY
"$clerk" run "$work/forms.yaml" --input "$work/forms.jsonl" --db "$work/clerk.db" --wait 0s >/dev/null
echo "subject access search over $count items (SQLite, $(nproc) cores):"
for run in 1 2 3; do
  start=$(date +%s.%N)
  found=$("$clerk" person search "zoe okafor" 1984-03-07 9434765919 --db "$work/clerk.db" | head -1)
  end=$(date +%s.%N)
  printf '  run %d: %.2f s (%s)\n' "$run" "$(echo "$end - $start" | bc)" "$found"
done
