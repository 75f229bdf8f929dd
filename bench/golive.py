#!/usr/bin/env python3
"""Helpers of bench/golive.sh: prepare a go-live replay from the shared corpora, and
replay the scikit-learn peer the same honest way.

  golive.py prep DATA STREAM WORK       writes WORK/STREAM/{examples.csv,letters.csv,holdout.csv,bot.yaml}
  golive.py peer WORK/STREAM [--every 100] [--weight 3] [--target 0.99] [--qa 0.03]

STREAM is post_fms_stream or post_cfpb_stream. The text the models start from is the
text corpus the letters were made from, without any row that became a letter of the
stream or of its companion set (post_fms / post_cfpb), which is the hold-out: letters no
model ever trains on.
"""
import csv
import pathlib
import random
import sys

csv.field_size_limit(10**8)

SETS = {
    "post_fms_stream": ("fms", "post_fms"),
    "post_cfpb_stream": ("cfpb", "post_cfpb"),
}


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(path, header, items):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(items)


def letters(data, work, name):
    """(file, category, OCR text) in arrival order (labels.csv is sorted by file name, a hash)."""
    out = []
    for r in rows(data / name / "labels.csv"):
        path = work / "ocr" / name / (r["file"] + ".txt")
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        out.append((r["file"], r["category"], text))
    return out


def prep(data, stream, work):
    data, work = pathlib.Path(data), pathlib.Path(work)
    kind, holdout = SETS[stream]
    held = {r["source_id"] for r in rows(data / stream / "labels.csv")}
    held |= {r["source_id"] for r in rows(data / holdout / "labels.csv")}
    if kind == "fms":
        groups = {r["raw_category"]: r["group"] for r in rows(data / "post_fms/category_map.csv") if r["group"]}
        examples = [(groups[r["category"]], r["text"]) for r in rows(data / "fixmystreet_reports/reports.csv")
                    if r["category"] in groups and r["id"] not in held]
    else:
        examples = [(r["category"], r["text"]) for r in rows(data / "cfpb_complaints/complaints.csv") if r["id"] not in held]
    folder = work / stream
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "examples.csv", ["category", "text"], examples)
    write(folder / "letters.csv", ["file", "category", "text"], letters(data, work, stream))
    write(folder / "holdout.csv", ["file", "category", "text"], letters(data, work, holdout))
    return folder, sorted({c for c, _ in examples}), len(held)


def bot(folder, name, categories, settings):
    lines = [f"name: {name}", "version: 1", "owner_team: post-room", "manual_minutes: 1.5", "steps:",
             "  - id: topic", "    type: classify", "    params:", "      text: \"{{ input.text }}\"",
             "      learning:", "        examples: examples.csv"]
    lines += [f"        {k}: {v}" for k, v in settings.items()]
    lines.append("      categories:")
    lines += [f"        \"{c}\": {{}}" for c in categories]
    (folder / "bot.yaml").write_text("\n".join(lines) + "\n")
    for old in folder.glob(f"{name}.topic.model.*"):
        old.unlink()


# --- the peer: scikit-learn TF-IDF + logistic regression, replayed the same way -------------

def peer_model(train, weights):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union
    model = make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        LogisticRegression(C=10, max_iter=2000, class_weight="balanced"))
    model.fit([t for _, t in train], [c for c, _ in train], logisticregression__sample_weight=weights)
    return model


def peer_scores(model, texts):
    probs = model.predict_proba(texts)
    classes = list(model.classes_)
    return [(classes[max(range(len(p)), key=lambda i: p[i])], float(max(p))) for p in probs]


def point_threshold(scored, target):
    """The lowest confidence whose answered items at or above it are >= target right (a point estimate)."""
    best, right = None, 0
    for i, (conf, ok) in enumerate(sorted(scored, key=lambda x: -x[0])):
        right += ok
        if right / (i + 1) >= target:
            best = conf
    return best


def peer(folder, every=100, weight=3, target=0.99, qa=0.03, folds=5):
    folder = pathlib.Path(folder)
    examples = [(r["category"], r["text"]) for r in rows(folder / "examples.csv")]
    stream = [(r["category"], r["text"]) for r in rows(folder / "letters.csv")]
    rng = random.Random(20261207)
    answers, model, threshold = [], peer_model(examples, [1.0] * len(examples)), None
    log = []
    for t, (truth, text) in enumerate(stream):
        if t and t % every == 0 and answers:
            model = peer_model(examples + answers, [1.0] * len(examples) + [float(weight)] * len(answers))
            # out-of-fold scores of the answered letters, the examples always trained on
            order = list(range(len(answers)))
            random.Random(t).shuffle(order)
            scored = []
            for f in range(folds):
                test = [i for j, i in enumerate(order) if j % folds == f]
                train = [answers[i] for j, i in enumerate(order) if j % folds != f]
                if not test:
                    continue
                m = peer_model(examples + train, [1.0] * len(examples) + [float(weight)] * len(train))
                for i, (p, c) in zip(test, peer_scores(m, [answers[i][1] for i in test])):
                    scored.append((c, p == answers[i][0]))
            threshold = point_threshold(scored, target)
        predicted, conf = peer_scores(model, [text])[0]
        through = threshold is not None and conf >= threshold
        checked = through and rng.random() < qa
        if not through or checked:
            answers.append((truth, text))
        log.append((through and not checked, predicted == truth))
        if (t + 1) % 100 == 0 or t + 1 == len(stream):
            w = log[-((t % 100) + 1):]
            st = [ok for th, ok in w if th]
            print(f"  peer {t + 1:4d}: {100 * len(st) / len(w):5.1f}% through, "
                  f"{(100 * sum(st) / len(st)) if st else 0:5.1f}% right", flush=True)
    st = [ok for th, ok in log if th]
    tail = {n: sum(th for th, _ in log[-n:]) / min(n, len(log)) for n in (200, 100)}
    print(f"peer: {len(st)} of {len(log)} straight through ({100 * len(st) / len(log):.1f}%), "
          f"{(100 * sum(st) / len(st)) if st else 0:.1f}% right; last 200 {100 * tail[200]:.1f}%, last 100 {100 * tail[100]:.1f}%")


def main():
    cmd = sys.argv[1]
    if cmd == "prep":
        data, stream, work = sys.argv[2:5]
        settings = dict(a.split("=", 1) for a in sys.argv[5:])
        folder, categories, held = prep(data, stream, work)
        bot(folder, stream.replace("_", "-"), categories, settings)
        print(f"{stream}: {len(rows(folder / 'examples.csv'))} examples "
              f"({held} source rows of the stream and its hold-out left out), {len(categories)} categories")
    elif cmd == "peer":
        opts = dict(a.lstrip("-").split("=", 1) for a in sys.argv[3:])
        peer(sys.argv[2], int(opts.get("every", 100)), float(opts.get("weight", 3)), float(opts.get("target", 0.99)),
             float(opts.get("qa", 0.03)))


if __name__ == "__main__":
    main()
