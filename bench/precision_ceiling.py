#!/usr/bin/env python3
"""How precise can the most confident letters of a stream be? The ceiling behind the
go-live figures, measured with a plain TF-IDF + logistic regression model (scikit-learn),
on the same prepared replay as bench/golive.sh (run that first: it OCRs the letters and
writes WORK/STREAM/{examples.csv,letters.csv}).

  bench/precision_ceiling.py WORK/STREAM [--at 300,500,700,900] [--weight 3]

At each checkpoint N the first N letters of the stream are the post room's answers:
  - out of fold (5 folds, the text corpus always trained on, answers weighted), the share
    right among the most confident 10 %, 20 %, ... 50 % of the answers, and the rank of
    the first few wrong ones: what any threshold on this model's confidence can reach;
  - per-category thresholds chosen on the older half of the answers (the lowest
    confidence whose answers at or above it are all right, at least 5 of them), then
    applied to the newer half (out of fold) and to the next 200 letters (a model trained
    on all N): the share they send through and how many of those are right.
Prints figures only, never a letter's text.
"""
import csv
import pathlib
import sys

csv.field_size_limit(10**8)


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main():
    import numpy as np
    from scipy.sparse import vstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_union

    folder = pathlib.Path(sys.argv[1])
    opts = dict(a.lstrip("-").split("=", 1) for a in sys.argv[2:])
    checkpoints = [int(n) for n in opts.get("at", "300,500,700,900").split(",")]
    weight = float(opts.get("weight", 3))
    examples = rows(folder / "examples.csv")
    letters = rows(folder / "letters.csv")
    features = make_union(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True,
                                          max_features=60000))
    features.fit([r["text"] for r in examples])  # the vocabulary comes from the text corpus only
    x_examples = features.transform([r["text"] for r in examples])
    y_examples = np.array([r["category"] for r in examples])
    x_letters = features.transform([r["text"] for r in letters])
    y_letters = np.array([r["category"] for r in letters])

    def fit(rows_):
        x = vstack([x_examples, x_letters[rows_]])
        y = np.concatenate([y_examples, y_letters[rows_]])
        w = np.concatenate([np.ones(len(y_examples)), np.full(len(rows_), weight)])
        return LogisticRegression(C=10, max_iter=2000, class_weight="balanced").fit(x, y, sample_weight=w)

    def predict(model, rows_):
        p = model.predict_proba(x_letters[rows_])
        return model.classes_[p.argmax(1)], p.max(1)

    def per_category(conf, pred, right):
        chosen = {}
        for category in set(pred):
            mine = pred == category
            order = np.argsort(-conf[mine])
            c, ok = conf[mine][order], right[mine][order]
            for m in range(5, len(c) + 1):
                if ok[:m].all() and (m == len(c) or c[m] < c[m - 1]):
                    chosen[category] = c[m - 1]
        return chosen

    def through(chosen, pred, conf):
        return np.array([p in chosen and c >= chosen[p] for p, c in zip(pred, conf)])

    print(f"{folder.name}: {len(examples)} texts, {len(letters)} letters, answers weighted {weight:g}")
    for n in [n for n in checkpoints if n < len(letters)]:
        order = np.random.RandomState(n).permutation(n)
        conf, pred = np.zeros(n), np.empty(n, dtype=object)
        for fold in np.array_split(order, 5):
            p, c = predict(fit(np.setdiff1d(order, fold)), fold)
            pred[fold], conf[fold] = p, c
        right = pred == y_letters[:n]
        ranked = right[np.argsort(-conf, kind="stable")]
        shares = " ".join(f"{int(100 * s)}%:{100 * ranked[:max(1, int(s * n))].mean():.1f}"
                          for s in (0.1, 0.2, 0.3, 0.4, 0.5))
        wrong = list(np.where(~ranked)[0][:5] + 1)
        print(f"  N={n}: out-of-fold accuracy {right.mean():.3f}; right among the most confident {shares}; "
              f"first wrong at ranks {wrong}")
        half = n // 2
        chosen = per_category(conf[:half], pred[:half], right[:half])
        newer = through(chosen, pred[half:], conf[half:])
        nxt = np.arange(n, min(n + 200, len(letters)))
        p, c = predict(fit(np.arange(n)), nxt)
        later = through(chosen, p, c)
        later_right = (p == y_letters[nxt])[later]
        print(f"    per-category thresholds from the older {half} answers ({len(chosen)} categories): newer half "
              f"{newer.mean():.2f} through, {right[half:][newer].mean() if newer.any() else 0:.3f} right "
              f"({right[half:][newer].sum()}/{newer.sum()}); next {len(nxt)} letters {later.mean():.2f} through, "
              f"{later_right.mean() if later.any() else 0:.3f} right ({later_right.sum()}/{later.sum()})", flush=True)


if __name__ == "__main__":
    main()
