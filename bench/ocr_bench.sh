#!/usr/bin/env bash
# OCR throughput and accuracy on a folder of scanned letters, e.g. a corpus in
# ../shared/data (read in place, never copied):
#
#   bench/ocr_bench.sh ../shared/data/post_fms/docs [BUILD_DIR]
#
# Compares, on the same files:
#   (a) the tesseract command, one file after another
#   (b) the tesseract command, two at a time (xargs -P2)
#   (c) clerk's OcrEngine on two threads (tests/ocr/ocr_bench)
# and prints pages/s with ratios. When DIR/../truth.csv has a page_text column (the
# post_* corpora), it also prints the character error rate of (a) and (c) against it:
# whitespace normalised, form feeds ignored, edit distance / truth length over the
# whole corpus.
#
# The tesseract command cannot read PDFs: they are rendered first with pdftoppm at
# 300 dpi grey, outside the timing (clerk renders in process, inside it). Every run
# has OMP_THREAD_LIMIT=1, as clerk sets for itself.
set -euo pipefail
dir=${1:?usage: bench/ocr_bench.sh DIR [BUILD_DIR]}
build=${2:-$(cd "$(dirname "$0")/.." && pwd)/build-ocr}
bench="$build/tests/ocr/ocr_bench"
[[ -x $bench ]] || { echo "build the ocr_bench target first: cmake --build $build --target ocr_bench" >&2; exit 1; }
export OMP_THREAD_LIMIT=1 LC_ALL=C

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cli_input" "$work/a" "$work/b" "$work/c"

mapfile -t files < <(find "$dir" -maxdepth 1 -type f \( -iname '*.tif' -o -iname '*.tiff' -o -iname '*.png' \
                        -o -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.pdf' \) | sort)
echo "documents: ${#files[@]} in $dir"

# Inputs the tesseract command can read: images as they are, PDFs as multi-page TIFF.
for f in "${files[@]}"; do
    name=$(basename "$f")
    if [[ ${name,,} == *.pdf ]]; then
        pdftoppm -r 300 -gray -tiff -tiffcompression lzw "$f" "$work/cli_input/$name.page"
        # tesseract reads a list file as one document, pages in order.
        ls "$work/cli_input/$name".page*.tif > "$work/cli_input/$name.txt.list"
    else
        ln -s "$f" "$work/cli_input/$name"
    fi
done
mapfile -t cli_inputs < <(cd "$work/cli_input" && ls | grep -v '\.page' | sort)

run_cli() {  # INPUT OUTDIR
    local input=$1 out=$2 name
    name=$(basename "$input"); name=${name%.txt.list}
    tesseract "$work/cli_input/$input" "$out/$name" >/dev/null 2>&1 || true
}
export -f run_cli
export work

start=$(date +%s.%N)
for input in "${cli_inputs[@]}"; do run_cli "$input" "$work/a"; done
end=$(date +%s.%N)
secs_a=$(echo "$end - $start" | bc)

start=$(date +%s.%N)
printf '%s\n' "${cli_inputs[@]}" | xargs -P2 -I{} bash -c 'run_cli "$1" "$2"' _ {} "$work/b"
end=$(date +%s.%N)
secs_b=$(echo "$end - $start" | bc)

line=$("$bench" --threads 2 --out "$work/c" "${files[@]}" 2>/dev/null)
pages=$(echo "$line" | awk '{print $4}')
secs_c=$(echo "$line" | awk '{print $6}')

truth="$dir/../truth.csv"
python3 - "$pages" "$secs_a" "$secs_b" "$secs_c" "$work" "$truth" "$dir" <<'PY'
import csv, os, re, sys
pages, a, b, c = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
work, truth_path, folder = sys.argv[5], sys.argv[6], sys.argv[7]
print(f"pages: {pages} (blank backs included)\n")
print(f"{'run':44} {'seconds':>8} {'pages/s':>8} {'vs (a)':>7}")
for label, s in (("(a) tesseract CLI, serial", a), ("(b) tesseract CLI, xargs -P2", b), ("(c) clerk OcrEngine, 2 threads", c)):
    print(f"{label:44} {s:8.1f} {pages / s:8.3f} {a / s:7.2f}x")

def lev(x, y):
    # Bit-parallel edit distance (Hyyro 2001), exact, O(len(y) * len(x) / wordsize).
    if not x:
        return len(y)
    m, full = len(x), (1 << len(x)) - 1
    peq = {}
    for i, ch in enumerate(x):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score, top = full, 0, m, 1 << (m - 1)
    for ch in y:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score

norm = lambda t: re.sub(r"\s+", " ", t.replace("\f", " ")).strip()
if not os.path.exists(truth_path):
    sys.exit(0)
rows = {r["file"]: r for r in csv.DictReader(open(truth_path, newline="", encoding="utf-8")) if "page_text" in r}
totals = {"a": [0, 0], "c": [0, 0]}
missing = {"a": 0, "c": 0}
for name, row in rows.items():
    if not os.path.exists(os.path.join(folder, name)):
        continue
    want = norm(row["page_text"])
    for run in ("a", "c"):
        path = os.path.join(work, run, name + ".txt")
        got = norm(open(path, encoding="utf-8", errors="replace").read()) if os.path.exists(path) else ""
        missing[run] += 0 if os.path.exists(path) else 1
        totals[run][0] += lev(want, got)
        totals[run][1] += len(want)
print(f"\ncharacter error rate against {truth_path} (page_text):")
for run, label in (("a", "(a) tesseract CLI"), ("c", "(c) clerk OcrEngine")):
    errors, length = totals[run]
    if length:
        print(f"  {label:22} {100.0 * errors / length:6.2f} %  ({errors} edits / {length} chars, {missing[run]} documents without output)")
PY
echo
echo "per-document readability, confidence and times: run $bench --threads 2 --out DIR FILE... (DIR/summary.tsv)"
