#!/usr/bin/env bash
# Measures the classify step's classifier on the shared corpora (never copied into the
# repository): trains on the text corpora with the evaluation letters' source rows
# excluded, and evaluates on the letters' printed body text (truth.csv `body_text`), a
# stand-in for OCR text until the ocr step is used end to end. Compares liblinear (clerk)
# with the fastText CLI on the same split.
#
#   CLERK=build/runtime/app/clerk bench/classify_eval.sh [../shared/data] [workdir]
set -euo pipefail
cd "$(dirname "$0")/.."
clerk=$(realpath "${CLERK:-build/runtime/app/clerk}")
data=$(realpath "${1:-../shared/data}")
work=${2:-$(mktemp -d)}
mkdir -p "$work"
echo "work folder: $work"

python3 - "$data" "$work" <<'PY'
import csv, sys, pathlib
csv.field_size_limit(10**8)
data, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])

def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))

def write(path, items):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["category", "text"])
        w.writerows(items)

def bot(path, name, categories):
    lines = [f"name: {name}", "version: 1", "owner_team: post-room", "steps:", "  - id: topic",
             "    type: classify", "    params:", "      text: \"{{ input.text }}\"", "      categories:"]
    for c in categories:
        lines.append(f"        \"{c}\": {{}}")
    path.write_text("\n".join(lines) + "\n")

# FixMyStreet -> 10 service groups; post_fms letters held out by source id.
groups = {r["raw_category"]: r["group"] for r in rows(data / "post_fms/category_map.csv") if r["group"]}
held = {r["source_id"] for r in rows(data / "post_fms/labels.csv")}
train = [(groups[r["category"]], r["text"]) for r in rows(data / "fixmystreet_reports/reports.csv")
         if r["category"] in groups and r["id"] not in held]
test = [(r["category"], r["body_text"]) for r in rows(data / "post_fms/truth.csv")]
(work / "fms").mkdir(exist_ok=True)
write(work / "fms/train.csv", train); write(work / "fms/test.csv", test)
bot(work / "fms/bot.yaml", "post-fms", sorted(set(groups.values())))
print(f"fms: train {len(train)}, test {len(test)}, excluded {len(held)} source ids")

held = {r["source_id"] for r in rows(data / "post_cfpb/labels.csv")}
train = [(r["category"], r["text"]) for r in rows(data / "cfpb_complaints/complaints.csv") if r["id"] not in held]
test = [(r["category"], r["body_text"]) for r in rows(data / "post_cfpb/truth.csv")]
(work / "cfpb").mkdir(exist_ok=True)
write(work / "cfpb/train.csv", train); write(work / "cfpb/test.csv", test)
bot(work / "cfpb/bot.yaml", "post-cfpb", sorted({c for c, _ in train}))
print(f"cfpb: train {len(train)}, test {len(test)}, excluded {len(held)} source ids")
PY

summarise() {  # summarise <folder> <label> <predictions file> [fasttext]
  python3 - "$@" <<'PY'
import csv, sys, pathlib
w, label, path = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if len(sys.argv) > 4:  # fastText predict-prob output beside the test file
    truth = [line.split(" ", 1)[0][len("__label__"):] for line in open(w / "test.ft", encoding="utf-8")]
    preds = []
    for t, line in zip(truth, open(path, encoding="utf-8")):
        lab, prob = line.split()
        preds.append((t, lab[len("__label__"):], float(prob)))
else:
    with open(path, newline="") as f:
        preds = [(r["truth"].replace(" ", "_"), r["predicted"].replace(" ", "_"), float(r["confidence"]))
                 for r in csv.DictReader(f)]
cats = sorted({t for t, _, _ in preds} | {p for _, p, _ in preds})
acc = sum(t == p for t, p, _ in preds) / len(preds)
f1s = []
for c in cats:
    tp = sum(t == c and p == c for t, p, _ in preds)
    fp = sum(t != c and p == c for t, p, _ in preds)
    fn = sum(t == c and p != c for t, p, _ in preds)
    f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
def straight_through(target):
    best = (0.0, None)
    for conf in sorted({c for _, _, c in preds}):
        auto = [(t, p) for t, p, c in preds if c >= conf]
        if auto and sum(t == p for t, p in auto) / len(auto) >= target and len(auto) / len(preds) > best[0]:
            best = (len(auto) / len(preds), conf)
    return best
st99, t99 = straight_through(0.99)
st95, t95 = straight_through(0.95)
# Calibration: mean confidence vs accuracy in confidence bins, and the expected calibration error.
bins = [(0, .5), (.5, .7), (.7, .8), (.8, .9), (.9, .95), (.95, 1.01)]
ece, cells = 0.0, []
for lo, hi in bins:
    inside = [(t == p, c) for t, p, c in preds if lo <= c < hi]
    if inside:
        a = sum(r for r, _ in inside) / len(inside); m = sum(c for _, c in inside) / len(inside)
        ece += len(inside) / len(preds) * abs(a - m)
        cells.append(f"[{lo:.2f},{min(hi,1):.2f}) n={len(inside)} conf={m:.2f} acc={a:.2f}")
print(f"{label:28s} accuracy {acc:.3f}  macro-F1 {sum(f1s)/len(f1s):.3f}  "
      f"straight-through @99% precision {st99:.3f} (threshold {t99})  @95% {st95:.3f}  ECE {ece:.3f}")
print("    calibration: " + "; ".join(cells))
PY
}

for set in fms cfpb; do
  for mode in "" "--balanced"; do
    echo "== $set: liblinear (clerk train $mode / clerk eval)"
    rm -f "$work/$set"/*.model.*
    /usr/bin/time -f "train: %es, %MKB" "$clerk" train "$work/$set/bot.yaml" --examples "$work/$set/train.csv" $mode
    "$clerk" eval "$work/$set/bot.yaml" --examples "$work/$set/test.csv" --target-precision 0.99 \
        --predictions "$work/$set/liblinear.predictions.csv" | tail -1
    summarise "$work/$set" "liblinear C=4 ${mode:-priors}" "$work/$set/liblinear.predictions.csv"
  done

  python3 - "$work/$set" <<'PY'
import csv, re, sys, pathlib
w = pathlib.Path(sys.argv[1])
def norm(t):  # the same normalisation as clerk's features
    t = re.sub(r"\d", "0", t.lower())
    return " ".join(re.sub(r"[^\w]|_", " ", t).split())
for name in ("train", "test"):
    with open(w / f"{name}.csv", newline="", encoding="utf-8") as f, open(w / f"{name}.ft", "w", encoding="utf-8") as out:
        for r in csv.DictReader(f):
            out.write("__label__" + r["category"].replace(" ", "_") + " " + norm(r["text"]) + "\n")
PY
  for ft in "-minn 3 -maxn 5" "-minn 0 -maxn 0"; do
    echo "== $set: fastText CLI (supervised, wordNgrams 2, $ft, dim 50, lr 0.5, 25 epochs)"
    fasttext supervised -input "$work/$set/train.ft" -output "$work/$set/ft" -wordNgrams 2 $ft \
        -epoch 25 -lr 0.5 -dim 50 -thread 1 -verbose 0
    fasttext predict-prob "$work/$set/ft.bin" "$work/$set/test.ft" 1 > "$work/$set/ft.pred"
    summarise "$work/$set" "fastText $ft" "$work/$set/ft.pred" fasttext
  done
done
