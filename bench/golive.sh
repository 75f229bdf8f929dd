#!/usr/bin/env bash
# A go-live, replayed: a stream of scanned letters arrives in order, clerk reads them
# (its own OCR), decides what it can prove, a simulated post room answers the rest from
# the labels, quality checks sample the straight-through letters, and the learning loop
# retrains, judges and promotes models as answers arrive. The scikit-learn peer (TF-IDF +
# logistic regression, retrained every 100 letters on the same kind of answers, threshold
# at 99 % out-of-fold precision as a point estimate, 3 % checks) is replayed beside it.
#
#   bench/golive.sh [DATA] [--build DIR] [--work DIR] [--stream post_fms_stream|post_cfpb_stream]
#                   [--no-peer] [-- KEY=VALUE ...]
#
# DATA      the shared corpora (default ../shared/data); never copied into the repository
# --stream  one stream (default: both)
# KEY=VALUE the classify step's learning settings (default: every=50 answer_weight=3
#           target_precision=0.97 confidence=0.9 qa_sample=0.03)
#
# Every 100 letters it prints the share that went straight through and how many of those
# were right (exact, from the labels), the quality checks so far with the share the bot
# had right (and its 90 % lower bound), people's letters and minutes, and the model in
# use. The end gives the whole stream, the last 200 and 100 letters, the worst window,
# and the final model's accuracy on the companion set (post_fms / post_cfpb), whose
# letters no model trained on.
#
# The text the models start from leaves out every row that became a letter of the stream
# or its companion set. OCR text is kept in WORK/ocr and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data
build=build
work=${TMPDIR:-/tmp}/clerk-golive
streams=(post_fms_stream post_cfpb_stream)
peer=1
settings=(every=50 answer_weight=3 target_precision=0.97 confidence=0.9 qa_sample=0.03)
while [[ $# -gt 0 ]]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --stream) streams=("$2"); shift 2 ;;
        --no-peer) peer=0; shift ;;
        --) shift; settings=("$@"); break ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) data=$1; shift ;;
    esac
done
data=$(realpath "$data")
build=$(realpath "$build")
mkdir -p "$work"
work=$(realpath "$work")
for exe in "$build/tests/engine/golive_replay" "$build/tests/ocr/ocr_bench"; do
    [[ -x $exe ]] || { echo "missing $exe: cmake --build $build --target golive_replay ocr_bench" >&2; exit 1; }
done
py=python3
if [[ $peer == 1 ]] && ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
    sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get install -y -q python3-sklearn >/dev/null
fi
[[ $peer == 1 ]] && py=/usr/bin/python3
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); settings: ${settings[*]}; work folder $work"

companion() { case $1 in post_fms_stream) echo post_fms ;; post_cfpb_stream) echo post_cfpb ;; esac; }
for stream in "${streams[@]}"; do
    for set in "$stream" "$(companion "$stream")"; do
        out="$work/ocr/$set"
        mkdir -p "$out"
        if [[ $(find "$out" -name '*.txt' | wc -l) -lt $(($(wc -l < "$data/$set/labels.csv") - 1)) ]]; then
            echo "OCR of $set (clerk's OcrEngine, 2 threads)..."
            OMP_THREAD_LIMIT=1 "$build/tests/ocr/ocr_bench" --threads 2 --out "$out" "$data/$set"/docs/* | sed 's/^/  /'
        fi
    done
    $py bench/golive.py prep "$data" "$stream" "$work" "${settings[@]}"
    echo "== clerk on $stream"
    ( cd "$work/$stream" && time "$build/tests/engine/golive_replay" --bot bot.yaml --letters letters.csv \
        --holdout holdout.csv --predictions predictions.csv )
    if [[ $peer == 1 ]]; then
        echo "== peer on $stream"
        $py bench/golive.py peer "$work/$stream"
    fi
done
