#!/usr/bin/env bash
# Every figure of the inbound-post issue in one run, on the shared corpora (read in
# place, never copied into the repository):
#
#   bench/inbound_post_bench.sh [DATA] [--build DIR] [--quick] [--only ocr,classify,speed]
#                               [--subset N] [--limit N] [--work DIR]
#
#   DATA      the corpora (default ../shared/data beside the checkout)
#   --build   a build tree with the clerk and ocr_bench targets (default build/)
#   --quick   OCR quality on the first 40 documents of each corpus only, classification
#             skipped (it needs every scan); the speed section is the same
#   --limit   OCR quality on the first N documents of each corpus (a smoke test)
#   --subset  documents per corpus that OCRmyPDF reads (default 60; the same documents are
#             also scored for clerk and tesseract, so the three compare like for like)
#   --only    run some sections: ocr (quality), classify (needs ocr), speed (throughput)
#   --speed-pages  pages for the throughput section (default 100)
#   --corpora  OCR only these corpora (comma-separated), e.g. to finish a run in the same
#             --work folder; the score covers every corpus read there
#   --work    keep the work folder (default: a temporary one, removed at the end)
#
# Sections:
#   1. OCR quality on post_fms, post_cfpb (truth.csv page_text), funsd, sroie_receipts and
#      uw3_lines: clerk's OcrEngine, `tesseract FILE -` and `ocrmypdf --rotate-pages
#      --deskew --clean` (its sidecar text).
#   2. Classification on the scans: clerk (liblinear) on clerk's OCR text against a
#      scikit-learn TF-IDF + logistic regression peer on plain tesseract text, both
#      trained on the text corpora with the threshold chosen on held-out text.
#   3. Throughput on 2 cores over the first post_fms documents reaching 100 pages:
#      (a) serial `tesseract FILE -`, (b) `xargs -P2 tesseract`, (c) bare reused
#      TessBaseAPIs on two threads (ocr_bench --raw), (c') clerk's OcrEngine alone on two
#      threads, (d) `clerk run` of a copy of bots/inbound-post.yaml end to end, with peak
#      memory (max RSS) for 1 and 2 workers.
#
# The tesseract command cannot read PDFs: (a), (b), (c) and the tesseract column get them
# rendered with pdftoppm at 300 dpi grey, outside the timing; clerk renders in process,
# inside it. Every run has OMP_THREAD_LIMIT=1, as clerk sets for itself. The machine may
# be shared: the load average is printed before each timed run; trust ratios from one run.
#
# Bench-only Debian packages (ocrmypdf, unpaper, python3-sklearn, time) are installed
# when missing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
data="$repo/../shared/data"
build="$repo/build"
quick=0
subset=60
only="ocr,classify,speed"
work=""
limit=0
speed_pages=100
chosen=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        --subset) subset=$2; shift 2 ;;
        --limit) limit=$2; shift 2 ;;
        --speed-pages) speed_pages=$2; shift 2 ;;
        --corpora) IFS=, read -r -a chosen <<< "$2"; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) data=$1; shift ;;
    esac
done
data=$(realpath "$data")
build=$(realpath "$build")
clerk="$build/runtime/app/clerk"
bench="$build/tests/ocr/ocr_bench"
py=/usr/bin/python3
helper="$repo/bench/inbound_post_bench.py"
for exe in "$clerk" "$bench"; do
    [[ -x $exe ]] || { echo "missing $exe: cmake --build $build --target clerk ocr_bench" >&2; exit 1; }
done
[[ -d $data/post_fms ]] || { echo "no corpora in $data (pass the shared data folder)" >&2; exit 1; }
has() { [[ ",$only," == *",$1,"* ]]; }

# Bench-only packages.
need=()
for p in ocrmypdf unpaper python3-sklearn python3-img2pdf python3-pil time poppler-utils tesseract-ocr-osd; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "installing bench packages: ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

export OMP_THREAD_LIMIT=1 LC_ALL=C.UTF-8
if [[ -z $work ]]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
echo "inbound-post bench, $(date -u +%Y-%m-%dT%H:%MZ), $(getconf _NPROCESSORS_ONLN) cores, data $data, work $work"
echo "commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown); $(tesseract --version 2>&1 | head -1); ocrmypdf $(ocrmypdf --version 2>/dev/null)"
load() { echo "  [load average: $(cut -d' ' -f1-3 /proc/loadavg)]"; }
load
now() { date +%s.%N; }

# tesseract-readable inputs for the files in LIST: images linked, PDFs rendered to a
# list of page TIFFs. Prints one input per line.
cli_inputs() {  # LIST DIR
    local list=$1 dir=$2 f name
    mkdir -p "$dir"
    while read -r f; do
        name=$(basename "$f")
        if [[ ${name,,} == *.pdf ]]; then
            [[ -f $dir/$name.txt.list ]] || {
                pdftoppm -r 300 -gray -tiff -tiffcompression lzw "$f" "$dir/$name.page"
                ls "$dir/$name".page*.tif > "$dir/$name.txt.list"
            }
            echo "$dir/$name.txt.list"
        else
            ln -sf "$f" "$dir/$name"
            echo "$dir/$name"
        fi
    done < "$list"
}
tess_to() {  # INPUT OUTDIR: tesseract's text in OUTDIR/<file name>.txt
    local name; name=$(basename "$1"); name=${name%.txt.list}
    tesseract "$1" "$2/$name" >/dev/null 2>&1 || true
}
ocrmypdf_to() {  # PDF OUTDIR
    local name; name=$(basename "$1" .pdf)
    ocrmypdf --rotate-pages --deskew --clean -O 0 --output-type pdf --jobs 1 -q \
        --sidecar "$2/$name.txt" "$1" "$2/$name.out.pdf" >/dev/null 2>&1 || true
    rm -f "$2/$name.out.pdf"
}
export -f tess_to ocrmypdf_to

corpora=(post_fms post_cfpb funsd sroie_receipts uw3_lines)
[[ ${#chosen[@]} -gt 0 ]] && corpora=("${chosen[@]}")
[[ $quick == 1 ]] && limit=40
[[ $limit -gt 0 && $subset -gt $limit ]] && subset=$limit

# ---------------------------------------------------------------- 1. OCR quality
if has ocr; then
    echo; echo "== 1. OCR quality"
    for c in "${corpora[@]}"; do
        $py "$helper" select "$data" "$c" "$limit" > "$work/$c.all"
        head -n "$subset" "$work/$c.all" > "$work/$c.subset"
        mkdir -p "$work/ocr/clerk/$c" "$work/ocr/tesseract/$c" "$work/ocr/ocrmypdf/$c"
        cli_inputs "$work/$c.all" "$work/cli/$c" > "$work/$c.cli"
        load
        t0=$(now)
        mapfile -t files < "$work/$c.all"
        "$bench" --threads 2 --out "$work/ocr/clerk/$c" "${files[@]}" 2>/dev/null > "$work/$c.clerk.line"
        t1=$(now)
        xargs -a "$work/$c.cli" -P2 -I{} bash -c 'tess_to "$1" "$2"' _ {} "$work/ocr/tesseract/$c"
        t2=$(now)
        $py "$helper" to-pdf "$work/$c.subset" "$work/ocrmypdf_in/$c" 2>/dev/null
        t3=$(now)
        sed 's#.*/##; s#$#.pdf#' "$work/$c.subset" | sed "s#^#$work/ocrmypdf_in/$c/#" |
            xargs -P2 -I{} bash -c 'ocrmypdf_to "$1" "$2"' _ {} "$work/ocr/ocrmypdf/$c"
        t4=$(now)
        # ocrmypdf names the sidecar after the PDF (<file>.<ext>.pdf -> <file>.<ext>.txt).
        printf '%-15s %4d docs: clerk 2 threads %6.1f s, tesseract -P2 %6.1f s | %3d docs: OCRmyPDF -P2 %6.1f s\n' \
            "$c" "${#files[@]}" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" \
            "$(wc -l < "$work/$c.subset")" "$(echo "$t4 - $t3" | bc)"
    done
    echo
    $py "$helper" ocr-score "$data" "$work" "$subset"
fi

# ---------------------------------------------------------------- 2. classification
if has classify && [[ $limit == 0 ]]; then
    echo; echo "== 2. Classification on the scans"
    [[ -d $work/ocr/clerk/post_cfpb ]] || { echo "needs section 1's OCR output (--only ocr,classify)" >&2; exit 1; }
    $py "$helper" classify "$data" "$work" "$clerk"
fi

# ---------------------------------------------------------------- 3. throughput
if has speed; then
    echo; echo "== 3. Throughput on 2 cores"
    s="$work/speed"
    rm -rf "$s"; mkdir -p "$s/out_a" "$s/out_c" "$s/out_cp"
    $py "$helper" speed-set "$data" "$speed_pages" > "$s/files" 2> "$s/pages"
    pages=$(awk '{print $2}' "$s/pages")
    docs=$(wc -l < "$s/files")
    cli_inputs "$s/files" "$s/cli" > "$s/cli.list"
    echo "the first $docs post_fms documents: $pages pages (blank duplex backs included)"

    # (d) needs a bot whose folders are in the work folder, a trained model and its own
    # copy of the inputs (move_file moves them). Threshold 0 lets every letter run all
    # five steps (ocr, classify, extract, move_file, append_line): no letter stops early
    # for a person.
    mkdir -p "$s/bot"
    sed -e "s#/srv/clerk/post#$s/post#g" -e 's#^  classify: 0.9#  classify: 0.0#' \
        "$repo/bots/inbound-post.yaml" > "$s/bot/inbound-post.yaml"
    "$clerk" train "$s/bot/inbound-post.yaml" --examples "$repo/examples/inbound-post/train.csv" >/dev/null
    inbox() { rm -rf "$s/post"; mkdir -p "$s/post/inbox" "$s/post/filed"; xargs -a "$s/files" cp -t "$s/post/inbox"; }
    clerk_run() {  # WORKERS
        inbox
        rm -f "$s/run$1.db"*
        local t0 t1
        t0=$(now)
        /usr/bin/time -v -o "$s/time$1" "$clerk" run "$s/bot/inbound-post.yaml" --input "$s/post/inbox" \
            --db "$s/run$1.db" --workers "$1" --json > "$s/run$1.json" 2> "$s/run$1.err" || true
        t1=$(now)
        echo "$t1 - $t0" | bc
    }

    load; t0=$(now)
    while read -r f; do tesseract "$f" - >/dev/null 2>&1 || true; done < "$s/cli.list"
    t1=$(now); secs_a=$(echo "$t1 - $t0" | bc)
    load; t0=$(now)
    xargs -a "$s/cli.list" -P2 -I{} sh -c 'tesseract "$1" - >/dev/null 2>&1 || true' _ {}
    t1=$(now); secs_b=$(echo "$t1 - $t0" | bc)
    load
    mapfile -t cli < "$s/cli.list"
    secs_c=$("$bench" --raw --threads 2 --out "$s/out_c" "${cli[@]}" 2>/dev/null | awk '{print $6}')
    load
    mapfile -t originals < "$s/files"
    secs_cp=$("$bench" --threads 2 --out "$s/out_cp" "${originals[@]}" 2>/dev/null | awk '{print $6}')
    load; secs_d=$(clerk_run 2)
    load; secs_d1=$(clerk_run 1)
    load

    $py - "$pages" "$secs_a" "$secs_b" "$secs_c" "$secs_cp" "$secs_d" "$secs_d1" "$s" <<'PY'
import json, re, sys
pages = int(sys.argv[1])
a, b, c, cp, d, d1 = map(float, sys.argv[2:8])
s = sys.argv[8]
def rss(n):
    text = open(f"{s}/time{n}").read()
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
def states(n):
    try:
        items = json.load(open(f"{s}/run{n}.json"))["items"]
    except Exception as e:
        return f"no JSON summary ({e})"
    counts = {}
    for item in items:
        counts[item.get("state", "?")] = counts.get(item.get("state", "?"), 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
print(f"\n{'run':58} {'seconds':>8} {'pages/s':>8} {'vs (a)':>7}")
for label, t in (("(a) tesseract FILE -, serial loop", a), ("(b) xargs -P2 tesseract", b),
                 ("(c) reused TessBaseAPI, 2 threads, no preprocessing", c),
                 ("(c') clerk OcrEngine alone, 2 threads", cp),
                 ("(d) clerk run inbound-post end to end, 2 workers", d),
                 ("(d1) clerk run inbound-post end to end, 1 worker", d1)):
    print(f"{label:58} {t:8.1f} {pages / t:8.3f} {a / t:6.2f}x")
print(f"\nratios (pages/s): d/c = {c / d:.2f}   d/b = {b / d:.2f}   c'/c = {c / cp:.2f}   d/c' = {cp / d:.2f}")
print(f"(d) 2 workers: {states(2)}; 1 worker: {states(1)}")
r1, r2 = rss(1), rss(2)
print(f"peak memory (max RSS, /usr/bin/time -v): clerk run 1 worker {r1:.0f} MiB, 2 workers {r2:.0f} MiB "
      f"(the second worker adds {r2 - r1:.0f} MiB; {r2 / 2:.0f} MiB a worker at 2)")
PY
fi
echo; echo "done $(date -u +%H:%MZ)"; load
