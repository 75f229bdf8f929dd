#!/usr/bin/env bash
# First five minutes: install what clerk needs, build it, and run the shipped
# contact-form example on an embedded SQLite database (no server to set up).
# Safe to run again: inputs already processed are recognised and not done twice.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLERK_BUILD_TESTS=OFF >/dev/null
cmake --build build --target clerk

export CLERK_DB="$PWD/.clerk/quickstart.db"
clerk=build/runtime/app/clerk

echo
echo "== clerk validate examples/contact-form-triage/bot.yaml"
$clerk validate examples/contact-form-triage/bot.yaml
echo
echo "== clerk run examples/contact-form-triage/bot.yaml --input examples/contact-form-triage/forms"
$clerk run examples/contact-form-triage/bot.yaml --input examples/contact-form-triage/forms
echo
echo "== clerk queue list"
$clerk queue list
echo
echo "== clerk train examples/inbound-post/bot.yaml --examples examples/inbound-post/train.csv"
$clerk train examples/inbound-post/bot.yaml --examples examples/inbound-post/train.csv
echo
echo "== clerk run examples/inbound-post/bot.yaml --input examples/inbound-post/post   (OCR, classify, extract)"
$clerk run examples/inbound-post/bot.yaml --input examples/inbound-post/post
echo "-- examples/inbound-post/filed/post-log.csv (item,file,category,team,confidence,reference):"
cat examples/inbound-post/filed/post-log.csv
echo
echo "The database is $CLERK_DB; the export is examples/contact-form-triage/clerk-out/contact-forms.csv."
echo "Next: export CLERK_DB=$CLERK_DB, then answer the queue, e.g."
echo "  $clerk queue show ID"
echo "  $clerk queue resolve ID --field postcode=\"LS2 8BH\""
