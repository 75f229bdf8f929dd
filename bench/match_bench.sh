#!/usr/bin/env bash
# Record matching figures on the shared person corpora (read in place, never copied into
# the repository): quality with `clerk eval` on FEBRL4 and the Splink sets, each with all
# fields and without the identifier column, against the deterministic rule a team would
# script (exact surname + date of birth); then the speed of one query against an
# in-memory index of 1,000,000 records (match_bench).
#
#   bench/match_bench.sh [DATA] [--build DIR] [--records N] [--only quality,speed]
#
#   DATA       the corpora (default ../shared/data beside the checkout)
#   --build    a build tree with the clerk and match_bench targets (default build/)
#   --records  index size for the speed section (default 1000000; about 650 MB of memory)
#
# Weights are fitted on each data set without labels, except on the "labels" line, which
# learns them from fake_1000's clerical pair labels (those pairs overlap the queries) (`clerk eval --estimate`: u from
# random pairs, m by EM per blocking key, then the prior); the thresholds are the bot's:
# upper 0.99, lower 0.5, margin 0.1. The bots are written to a temporary folder.
# Lines marked "half 2" measure the people of --part 2/2 only: blocking keys for them are
# chosen by `clerk eval --suggest-blocking --part 1/2`, so the figures are on people the
# choice never saw. "term frequencies" and "among candidates" turn on the step's
# term_frequency (names and places) and thresholds.among_candidates; "one record per
# person" turns on index.one_record_per_person (EM lets a query's candidates compete for
# one match); "short forms" turns on short_forms on the forename (Harry and Henry).
# The speed section also prints where the index build's time goes (adding the records,
# sorting the entries, making the synthetic people) and its memory: the index's resident
# size after the build and at its peak, and the whole process's peak. It then writes the
# same people to a temporary CSV export (about 100 MB) and measures building the index
# from it as a match step does, reading the file included.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data
build=build
records=1000000
only=quality,speed
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) data=$1; shift ;;
  esac
done
data=$(realpath "$data")
clerk=$(realpath "$build/runtime/app/clerk")
bench=$(realpath "$build/tests/match/match_bench")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bot() { # bot NAME INDEX_CSV ID_COLUMN FIELDS BLOCKING [MORE_THRESHOLDS] [MORE_INDEX]
  cat > "$work/$1.yaml" <<YAML
name: $1
version: 1
owner_team: bench
steps:
  - id: person
    type: match
    params:
      index: {path: $2, id_column: $3${7:+, $7}}
      fields:
$4
      blocking: $5
      thresholds: {upper: 0.99, lower: 0.5, margin: 0.1${6:+, $6}}
YAML
}

febrl_fields='        given_name: {value: "{{ input.given_name }}", comparator: name}
        surname: {value: "{{ input.surname }}", comparator: name}
        street_number: {value: "{{ input.street_number }}", comparator: exact}
        address_1: {value: "{{ input.address_1 }}", comparator: jaro_winkler}
        address_2: {value: "{{ input.address_2 }}", comparator: jaro_winkler}
        suburb: {value: "{{ input.suburb }}", comparator: jaro_winkler}
        postcode: {value: "{{ input.postcode }}", comparator: postcode}
        state: {value: "{{ input.state }}", comparator: exact}
        date_of_birth: {value: "{{ input.date_of_birth }}", comparator: date}'
febrl_blocking='[date_of_birth, "phonetic(given_name)+year(date_of_birth)", "phonetic(surname)+year(date_of_birth)", "phonetic(given_name)+phonetic(surname)", "postcode+initial(given_name)", "postcode+initial(surname)", "street_number+suburb", "phonetic(surname)+suburb"]'
bot febrl "$data/febrl/febrl4a.csv" rec_id "$febrl_fields" "$febrl_blocking"
bot febrl_id "$data/febrl/febrl4a.csv" rec_id "$febrl_fields
        soc_sec_id: {value: \"{{ input.soc_sec_id }}\", comparator: identifier}" "[soc_sec_id, ${febrl_blocking:1}"

fake_fields='        first_name: {value: "{{ input.first_name }}", comparator: name}
        surname: {value: "{{ input.surname }}", comparator: name}
        dob: {value: "{{ input.dob }}", comparator: date}
        city: {value: "{{ input.city }}", comparator: jaro_winkler}'
fake_blocking='[dob, "phonetic(first_name)+phonetic(surname)", "phonetic(first_name)", "phonetic(surname)", "year(dob)+initial(surname)", "city+initial(first_name)"'
bot fake "$data/splink/fake_1000.csv" unique_id "$fake_fields" "$fake_blocking]"
bot fake_id "$data/splink/fake_1000.csv" unique_id "$fake_fields
        email: {value: \"{{ input.email }}\", comparator: levenshtein}" "$fake_blocking, email]"

hist_fields='        first_name: {value: "{{ input.first_name }}", comparator: name}
        surname: {value: "{{ input.surname }}", comparator: name}
        dob: {value: "{{ input.dob }}", comparator: date}
        birth_place: {value: "{{ input.birth_place }}", comparator: jaro_winkler}
        postcode_fake: {value: "{{ input.postcode_fake }}", comparator: postcode}
        gender: {value: "{{ input.gender }}", comparator: exact}
        occupation: {value: "{{ input.occupation }}", comparator: jaro_winkler}'
hist_blocking='[dob, "phonetic(first_name)+year(dob)", "phonetic(surname)+year(dob)", "phonetic(first_name)+phonetic(surname)", "sector(postcode_fake)+initial(first_name)", "sector(postcode_fake)+initial(surname)", "phonetic(first_name)+birth_place", "phonetic(surname)+birth_place", "district(postcode_fake)+phonetic(first_name)", "phonetic(surname)+occupation", "phonetic(first_name)+occupation"]'
bot hist "$data/splink/historical_50k.csv" unique_id "$hist_fields" "$hist_blocking"

# The same fields with term-frequency adjustment on the names and the places.
tf() { sed -E 's/(comparator: name|(suburb|city|birth_place): \{value: "[^"]*", comparator: jaro_winkler)\}/\1, term_frequency: true}/' <<< "$1"; }
bot febrl_tf "$data/febrl/febrl4a.csv" rec_id "$(tf "$febrl_fields")" "$febrl_blocking"
bot fake_tf "$data/splink/fake_1000.csv" unique_id "$(tf "$fake_fields")" "$fake_blocking]"
bot hist_tf "$data/splink/historical_50k.csv" unique_id "$(tf "$hist_fields")" "$hist_blocking"
# Probabilities among the candidates (thresholds.among_candidates).
among="among_candidates: true"
bot febrl_among "$data/febrl/febrl4a.csv" rec_id "$febrl_fields" "$febrl_blocking" "$among"
bot fake_among "$data/splink/fake_1000.csv" unique_id "$fake_fields" "$fake_blocking]" "$among"
bot hist_among "$data/splink/historical_50k.csv" unique_id "$hist_fields" "$hist_blocking" "$among"
# The same, and EM taking each index to hold a person once (index.one_record_per_person).
one="one_record_per_person: true"
bot febrl_one "$data/febrl/febrl4a.csv" rec_id "$febrl_fields" "$febrl_blocking" "$among" "$one"
bot fake_one "$data/splink/fake_1000.csv" unique_id "$fake_fields" "$fake_blocking]" "$among" "$one"

summary() { # the figures of one `clerk eval --json` run, on one line
  python3 -c '
import json, sys
r = json.load(sys.stdin)
line = "P %.2f%%  R %.2f%%  F1 %.4f  auto %.2f%% of true at %.2f%% precision  person %d  blocking recall %.2f%% at %.1f a query" % (
    100 * r["precision"], 100 * r["recall"], r["f1"], 100 * r["auto_share"], 100 * r["auto_precision"],
    r["needs_person"], 100 * r["blocking_recall"], r["mean_candidates"])
if "rule" in r:
    line += "\n    rule exact %s: P %.2f%%  R %.2f%%  F1 %.4f" % (r["rule"]["fields"], 100 * r["rule"]["precision"],
                                                            100 * r["rule"]["recall"], r["rule"]["f1"])
print(line)'
}

run() { # run LABEL BOT ARGS...
  local label=$1 name=$2; shift 2
  printf '%-44s ' "$label"
  local fit=--estimate
  [[ " $* " == *" --labels "* ]] && fit=
  "$clerk" eval "$work/$name.yaml" $fit --json "$@" | summary
}

if [[ $only == *quality* ]]; then
  echo "== quality (clerk eval --estimate; thresholds upper 0.99, lower 0.5, margin 0.1) =="
  febrl=(--layout febrl4 --records "$data/febrl/febrl4a.csv" --queries "$data/febrl/febrl4b.csv")
  run "FEBRL4 without soc_sec_id" febrl "${febrl[@]}" --rule surname,date_of_birth
  run "FEBRL4 without soc_sec_id, term frequencies" febrl_tf "${febrl[@]}"
  run "FEBRL4 without soc_sec_id, among candidates" febrl_among "${febrl[@]}"
  run "  the same, one record per person" febrl_one "${febrl[@]}"
  run "FEBRL4 with soc_sec_id" febrl_id "${febrl[@]}"
  run "Splink fake_1000 without email" fake --layout clusters --records "$data/splink/fake_1000.csv" --rule surname,dob
  run "fake_1000 without email, term frequencies" fake_tf --layout clusters --records "$data/splink/fake_1000.csv"
  run "fake_1000 without email, among candidates" fake_among --layout clusters --records "$data/splink/fake_1000.csv"
  run "  the same, one record per person" fake_one --layout clusters --records "$data/splink/fake_1000.csv"
  fake_data=(--layout clusters --records "$data/splink/fake_1000.csv")
  "$clerk" eval "$work/fake.yaml" "${fake_data[@]}" --suggest-blocking --part 1/2 --max-comparisons 200 > "$work/fake_suggested.txt"
  fake_suggested=$(sed -n 's/^blocking: //p' "$work/fake_suggested.txt")
  bot fake_suggested "$data/splink/fake_1000.csv" unique_id "$fake_fields" "$fake_suggested" "$among"
  bot fake_suggested_tf "$data/splink/fake_1000.csv" unique_id "$(tf "$fake_fields")" "$fake_suggested" "$among"
  run "fake_1000 half 2, hand-written keys" fake "${fake_data[@]}" --part 2/2
  run "  keys chosen on half 1, among candidates" fake_suggested "${fake_data[@]}" --part 2/2
  run "  the same, term frequencies" fake_suggested_tf "${fake_data[@]}" --part 2/2
  echo "    keys chosen on half 1: $fake_suggested"
  run "Splink fake_1000 with email" fake_id --layout clusters --records "$data/splink/fake_1000.csv"
  run "Splink fake_1000 with email, labels" fake_id --layout clusters --records "$data/splink/fake_1000.csv" \
      --labels "$data/splink/fake_1000_labels.csv"
  run "Splink historical_50k (no identifier column)" hist --layout clusters --records "$data/splink/historical_50k.csv" --rule surname,dob
  # Blocking keys chosen from data on one half of the people (--part 1/2), measured on
  # the other half (--part 2/2) beside the hand-written keys on that same half.
  hist_data=(--layout clusters --records "$data/splink/historical_50k.csv")
  "$clerk" eval "$work/hist.yaml" "${hist_data[@]}" --suggest-blocking --part 1/2 --max-comparisons 200 > "$work/suggested.txt"
  hist_suggested=$(sed -n 's/^blocking: //p' "$work/suggested.txt")
  bot hist_suggested "$data/splink/historical_50k.csv" unique_id "$hist_fields" "$hist_suggested"
  bot hist_suggested_tf "$data/splink/historical_50k.csv" unique_id "$(tf "$hist_fields")" "$hist_suggested"
  run "historical_50k half 2, hand-written keys" hist "${hist_data[@]}" --part 2/2
  run "  the same, term frequencies" hist_tf "${hist_data[@]}" --part 2/2
  run "historical_50k half 2, keys chosen on half 1" hist_suggested "${hist_data[@]}" --part 2/2
  run "  the same, term frequencies" hist_suggested_tf "${hist_data[@]}" --part 2/2
  bot hist_suggested_among "$data/splink/historical_50k.csv" unique_id "$hist_fields" "$hist_suggested" "$among"
  bot hist_suggested_among_tf "$data/splink/historical_50k.csv" unique_id "$(tf "$hist_fields")" "$hist_suggested" "$among"
  run "  keys chosen on half 1, among candidates" hist_suggested_among "${hist_data[@]}" --part 2/2
  run "  the same, term frequencies" hist_suggested_among_tf "${hist_data[@]}" --part 2/2
  bot hist_suggested_one "$data/splink/historical_50k.csv" unique_id "$hist_fields" "$hist_suggested" "$among" "$one"
  run "  among candidates, one record per person" hist_suggested_one "${hist_data[@]}" --part 2/2
  run "  the same on half 1" hist_suggested_one "${hist_data[@]}" --part 1/2
  # The same with short forms of forenames (short_forms on first_name).
  sf() { sed -E 's/(first_name: \{value: "[^"]*", comparator: name)\}/\1, short_forms: true}/' <<< "$1"; }
  bot hist_suggested_one_sf "$data/splink/historical_50k.csv" unique_id "$(sf "$hist_fields")" "$hist_suggested" "$among" "$one"
  run "  the same, short forms of forenames" hist_suggested_one_sf "${hist_data[@]}" --part 2/2
  run "  the same on half 1" hist_suggested_one_sf "${hist_data[@]}" --part 1/2
  run "historical_50k, all queries, among candidates" hist_among "${hist_data[@]}"
  echo "    keys chosen on half 1 (clerk eval --suggest-blocking --part 1/2 --max-comparisons 200):"
  echo "    $hist_suggested"
  sed -n 's/^  the suggested keys: /    on half 1: /p' "$work/suggested.txt"
  echo
  echo "FEBRL4 without soc_sec_id, the threshold table:"
  "$clerk" eval "$work/febrl.yaml" --estimate "${febrl[@]}" | sed -n '/^upper/,/^$/p'
  echo "Splink historical_50k, the threshold table:"
  "$clerk" eval "$work/hist.yaml" --estimate --layout clusters --records "$data/splink/historical_50k.csv" | sed -n '/^upper/,/^$/p'
fi

if [[ $only == *speed* ]]; then
  echo "== speed: FEBRL4B queries against $records records (FEBRL4A + synthetic people), one core =="
  taskset -c 0 "$bench" "$data/febrl/febrl4a.csv" "$data/febrl/febrl4b.csv" --records "$records"
  echo "== the same people read from a CSV export by RecordIndex::loadCsv, as a match step reads its index, one core =="
  "$bench" "$data/febrl/febrl4a.csv" "$data/febrl/febrl4b.csv" --records "$records" --write-csv "$work/people.csv" > /dev/null
  taskset -c 0 "$bench" "$data/febrl/febrl4a.csv" "$data/febrl/febrl4b.csv" --records "$records" --csv "$work/people.csv" | grep -v '^key '
  rm -f "$work/people.csv"
fi
