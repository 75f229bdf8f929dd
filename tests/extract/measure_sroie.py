#!/usr/bin/env python3
"""Measures date extraction on the SROIE receipts corpus (not a test; nothing is copied).

  measure_sroie.py DATA_DIR [--tool build/tests/extract/extract_fields] [--ocr]

DATA_DIR is e.g. ../shared/data/sroie_receipts. Text per receipt is the ground-truth
line transcription (box/<id>.csv, lines in file order) or, with --ocr, Tesseract's
output for img/<id>.jpg (run single-threaded). The gold date is key/<id>.json "date",
parsed here independently of clerk (day first, as printed on Malaysian receipts).
Prints precision and recall of the chosen date at confidence thresholds.
"""
import argparse
import csv
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}


def gold_date(text):
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    if m:
        d, mo, y = int(m[1]), int(m[2]), m[3]
    else:
        m = re.fullmatch(r"(\d{1,2})[ \-]?([A-Za-z]{3})[A-Za-z]*[ \-,]*(\d{2}|\d{4})", text)
        if not m:
            return None
        d, mo, y = int(m[1]), MONTHS.get(m[2].lower()), m[3]
    y = int(y) + (2000 if len(y) == 2 else 0)
    return f"{y:04d}-{mo:02d}-{d:02d}"


def receipt_text(data, rid, ocr):
    if ocr:
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        return subprocess.run(["tesseract", str(data / "img" / f"{rid}.jpg"), "-", "--psm", "4"],
                              capture_output=True, text=True, env=env, check=True).stdout
    lines = []
    with open(data / "box" / f"{rid}.csv", encoding="utf-8", errors="replace") as f:
        for row in f:
            parts = row.rstrip("\n").split(",", 8)
            if len(parts) == 9:
                lines.append(parts[8])
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=pathlib.Path)
    ap.add_argument("--tool", default="build/tests/extract/extract_fields")
    ap.add_argument("--ocr", action="store_true")
    args = ap.parse_args()
    ids = sorted(p.stem for p in (args.data / "key").glob("*.json"))
    gold = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for rid in ids:
            g = gold_date(json.load(open(args.data / "key" / f"{rid}.json"))["date"])
            if g is None:
                print(f"{rid}: gold date not parsed, skipped", file=sys.stderr)
                continue
            gold[rid] = g
            path = pathlib.Path(tmp) / f"{rid}.txt"
            path.write_text(receipt_text(args.data, rid, args.ocr), encoding="utf-8")
            files.append(str(path))
        # Receipts rarely label their date: measure with the "Date" label (the bot then
        # expects a label and marks down dates without one) and with no labels.
        for labels in (["Date"], []):
            label_args = [a for label in labels for a in ("--label", label)]
            out = subprocess.run([args.tool, "--type", "date", "--reference", "2026-03-02"] + label_args + files,
                                 capture_output=True, text=True, check=True).stdout
            report(out, gold, f"labels {labels}", args.ocr)


def report(out, gold, config, ocr):
    rows = []
    for line in out.splitlines():
        path, value, conf, n = line.split("\t")
        rows.append((pathlib.Path(path).stem, value, float(conf), int(n)))
    n = len(rows)
    print(f"receipts: {n} ({'tesseract --psm 4' if ocr else 'ground-truth transcription'}), {config}")
    for threshold in (0.0, 0.5, 0.8):
        chosen = [(r, v) for r, v, c, _ in rows if v and c >= threshold]
        right = sum(1 for r, v in chosen if v == gold[r])
        p = right / len(chosen) if chosen else 0.0
        print(f"  min_confidence {threshold:.1f}: output {len(chosen)}/{n}, correct {right}, "
              f"precision {p:.3f}, recall {right / n:.3f}")
    for r, v, c, k in rows:
        if v != gold[r]:
            print(f"  miss {r}: gold {gold[r]} got {v or '-'} conf {c:.2f} candidates {k}")

if __name__ == "__main__":
    main()
