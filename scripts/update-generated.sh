#!/usr/bin/env bash
# Regenerates the files made from clerk's own schema: the published JSON Schemas and
# the generated tables in docs/bot-reference.md. Tests fail when these are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
clerk=${CLERK:-build/runtime/app/clerk}
mkdir -p runtime/bot/schema
"$clerk" schema bot > runtime/bot/schema/bot.schema.json
"$clerk" schema connector > runtime/bot/schema/connector.schema.json
tables=$(mktemp)
"$clerk" steps > "$tables"
python3 - "$tables" <<'PY'
import pathlib, sys
doc = pathlib.Path("docs/bot-reference.md")
text = doc.read_text()
begin, end = "<!-- BEGIN GENERATED: clerk steps -->\n", "<!-- END GENERATED -->"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
doc.write_text(head + begin + pathlib.Path(sys.argv[1]).read_text() + end + tail)
PY
rm -f "$tables"
echo "updated runtime/bot/schema/*.schema.json and docs/bot-reference.md"
