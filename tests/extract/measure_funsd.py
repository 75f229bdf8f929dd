#!/usr/bin/env python3
"""Measures date and name extraction on FUNSD forms (not a test; nothing is copied).

  measure_funsd.py DATA_DIR [--tool build/tests/extract/extract_fields]

DATA_DIR is e.g. ../shared/data/funsd. The text of a form is its ground-truth
entities, one per line, top to bottom then left to right. Gold values are the answers
linked from questions whose text is exactly a date label ("Date:", "DATE") or a name
label ("Name:", "NAME"); forms with one such answer are scored. Dates in FUNSD are US
(month first); the gold date is parsed both ways, so a day-first reading of an
ambiguous date is scored separately from a correct one.
"""
import argparse
import json
import pathlib
import re
import subprocess
import tempfile

DATE_Q = re.compile(r"^\s*date\s*:?\s*$", re.I)
NAME_Q = re.compile(r"^\s*(full\s+)?name\s*:?\s*$", re.I)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def parse_dates(text):
    """The ISO dates a printed date may mean: {day-first, month-first} for d/m/y forms."""
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    out = set()
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        y += 1900 if y < 100 else 0
        if 1 <= b <= 12 and 1 <= a <= 31:
            out.add(("day-first", f"{y:04d}-{b:02d}-{a:02d}"))
        if 1 <= a <= 12 and 1 <= b <= 31:
            out.add(("month-first", f"{y:04d}-{a:02d}-{b:02d}"))
        return out
    m = re.fullmatch(r"([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})", text) or None
    if m and m[1].lower() in MONTHS:
        out.add(("named", f"{int(m[3]):04d}-{MONTHS.index(m[1].lower()) + 1:02d}-{int(m[2]):02d}"))
    m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?,?\s+(\d{4})", text)
    if m and m[2].lower() in MONTHS:
        out.add(("named", f"{int(m[3]):04d}-{MONTHS.index(m[2].lower()) + 1:02d}-{int(m[1]):02d}"))
    return out


def form_text(entities):
    ordered = sorted(entities, key=lambda e: (round(e["box"][1] / 10), e["box"][0]))
    return "\n".join(e["text"] for e in ordered if e["text"].strip()) + "\n"


def run(tool, args, files):
    out = subprocess.run([tool] + args + files, capture_output=True, text=True, check=True).stdout
    return {pathlib.Path(line.split("\t")[0]).stem: (line.split("\t")[1], float(line.split("\t")[2]))
            for line in out.splitlines()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=pathlib.Path)
    ap.add_argument("--tool", default="build/tests/extract/extract_fields")
    args = ap.parse_args()
    dates, names = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for path in sorted((args.data / "annotations").glob("*.json")):
            form = json.load(open(path))["form"]
            by_id = {e["id"]: e for e in form}
            gold_dates, gold_names = [], []
            for e in form:
                if e["label"] != "question":
                    continue
                answers = [by_id[b]["text"] for a, b in e["linking"] if a == e["id"] and b in by_id]
                if DATE_Q.match(e["text"]):
                    gold_dates += [a for a in answers if parse_dates(a)]
                if NAME_Q.match(e["text"]):
                    gold_names += [a for a in answers if a.strip()]
            text_path = pathlib.Path(tmp) / f"{path.stem}.txt"
            text_path.write_text(form_text(form), encoding="utf-8")
            files[path.stem] = str(text_path)
            if len(gold_dates) == 1:
                dates[path.stem] = parse_dates(gold_dates[0])
            if len(gold_names) == 1:
                names[path.stem] = " ".join(gold_names[0].split())
        got_dates = run(args.tool, ["--type", "date", "--label", "Date", "--reference", "2026-03-02"],
                        [files[k] for k in dates])
        got_names = run(args.tool, ["--type", "name", "--label", "Name"], [files[k] for k in names])

    print(f"forms: {len(files)}; with one 'Date' answer: {len(dates)}; with one 'Name' answer: {len(names)}")
    for threshold in (0.0, 0.8):
        out = {k: v for k, (v, c) in got_dates.items() if v and c >= threshold}
        right = sum(1 for k, v in out.items() if any(v == iso for how, iso in dates[k] if how != "day-first"))
        swapped = sum(1 for k, v in out.items() if v in {iso for how, iso in dates[k] if how == "day-first"}
                      and v not in {iso for how, iso in dates[k] if how != "day-first"})
        print(f"  date, min_confidence {threshold:.1f}: output {len(out)}/{len(dates)}, correct {right}, "
              f"day/month swapped (US form read as UK) {swapped}, other wrong {len(out) - right - swapped}")
        out = {k: v for k, (v, c) in got_names.items() if v and c >= threshold}
        right = sum(1 for k, v in out.items() if v == names[k])
        print(f"  name, min_confidence {threshold:.1f}: output {len(out)}/{len(names)}, exact {right}, "
              f"precision {right / max(1, len(out)):.3f}, recall {right / max(1, len(names)):.3f}")


if __name__ == "__main__":
    main()
