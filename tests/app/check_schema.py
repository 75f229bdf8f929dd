#!/usr/bin/env python3
"""Checks every shipped bot, example and connector file against clerk's published JSON
Schema, with Python's jsonschema: an independent check that the schema editors use
accepts what clerk accepts. Also checks that each must-fail fixture that is wrong in
a way a schema can express is rejected by it."""
import argparse
import json
import pathlib
import subprocess
import sys

import jsonschema
import yaml


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clerk", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    root = pathlib.Path(args.root)

    schemas = {}
    for kind in ("bot", "connector"):
        text = subprocess.run([args.clerk, "schema", kind], check=True, capture_output=True, text=True).stdout
        schema = json.loads(text)
        jsonschema.Draft7Validator.check_schema(schema)
        schemas[kind] = jsonschema.Draft7Validator(schema)

    files = sorted(list((root / "bots").rglob("*.yaml")) + list((root / "examples").rglob("*.yaml")))
    if not files:
        print("no shipped bot files found", file=sys.stderr)
        return 1
    failures = 0
    checked = 0
    for path in files:
        document = load_yaml(path)
        kind = "connector" if isinstance(document, dict) and "kind" in document and "steps" not in document else "bot"
        errors = sorted(schemas[kind].iter_errors(document), key=lambda e: list(e.path))
        checked += 1
        for error in errors:
            failures += 1
            print(f"{path}: {'/'.join(map(str, error.path))}: {error.message}")

    # A valid file with one wrong key must be rejected by the schema too.
    example = load_yaml(root / "examples" / "contact-form-triage" / "bot.yaml")
    for mutation, describe in (
        (lambda d: d.update({"owner_teem": "x"}), "unknown top-level key"),
        (lambda d: d["steps"][0].update({"type": "no_such_step"}), "unknown step type"),
        (lambda d: d.update({"thresholds": {"accept": 1.5}}), "threshold above 1"),
        (lambda d: d["steps"][0]["params"].update({"nonsense": 1}), "unknown step parameter"),
        (lambda d: d.pop("owner_team"), "missing required key"),
    ):
        mutated = json.loads(json.dumps(example))
        mutation(mutated)
        checked += 1
        if schemas["bot"].is_valid(mutated):
            failures += 1
            print(f"the schema accepts a bot with an {describe}")

    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
