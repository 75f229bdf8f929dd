#!/usr/bin/env python3
"""bots/contact-form-matcher.yaml against the shared Redmine (ctest fixture clerk_redmine).

Makes contact forms for people the case system holds (as they are, and with typos and
no NHS number) and for people it does not, runs the bot, and checks in Redmine:
  * every note a form caused is on that person's case, exactly once;
  * every unknown person got exactly one new case;
  * forms the bot was unsure of wait for a person with the true case among the choices;
    answering them puts the note on the chosen case;
  * running the same forms again writes nothing.
Prints the figures (straight-through share, precision, forms/s over loopback).

  contact_forms_test.py CLERK_BINARY REPO_ROOT
"""
import csv
import json
import os
import random
import sys
import tempfile
import time

from redmine_check import Checks, Redmine, clerk_runner, fixture_env

clerk, root = sys.argv[1], sys.argv[2]
env = fixture_env()
state = env["CLERK_REDMINE_STATE"]
redmine = Redmine(env)
check = Checks()


def notes_for(issue_id, marker):
    return redmine.notes(issue_id, marker)


people = list(csv.DictReader(open(os.path.join(root, "tests/integration/redmine/people.csv"))))
issue_of = {row["ref"]: row["issue_id"] for row in csv.DictReader(open(os.path.join(state, "people-ids.csv")))}
rng = random.Random(20261123)
run_tag = str(int(time.time()))


def uk_date(iso):
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def typo(name):
    i = rng.randrange(1, len(name))
    return name[:i] + rng.choice("aeiou") + name[i + 1:]


# Twins: same surname, date of birth and address. A form naming only "the Okafor twin"
# (no forename, no NHS number) cannot be told apart: a person decides.
by_family = {}
for p in people:
    by_family.setdefault((p["surname"], p["date_of_birth"]), []).append(p)
twins = [group[0] for group in by_family.values() if len(group) > 1]

forms, truth = [], {}
for kind, count in (("exact", 40), ("typo", 10), ("unknown", 5), ("twin", 3)):
    if kind == "unknown":
        chosen = [None] * count
    elif kind == "twin":
        chosen = rng.sample(twins, count)
    else:
        chosen = rng.sample(people, count)
    for p in chosen:
        form_id = f"CF-{run_tag}-{len(forms) + 1:03d}"
        if p is None:
            # Nobody like them in the case system, nor like each other.
            # (Different on every run too: the shared fixture keeps earlier runs' cases.)
            n = len(forms)
            fresh = random.Random(f"{run_tag}-{n}")
            form = dict(forename=["Marguerite", "Ottoline", "Peregrine", "Wilhelmina", "Thaddeus"][n % 5],
                        surname=fresh.choice(["Quennell", "Abernethy", "Villiers", "Ravensworth", "Tolliver"])
                        + fresh.choice(["ley", "worth", "ton", "by", "ham"]),
                        date_of_birth=f"{fresh.randint(1, 28):02d}/{fresh.randint(1, 12):02d}/{fresh.randint(1920, 1950)}",
                        postcode=f"YO{fresh.randint(10, 60)} {fresh.randint(1, 9)}ZZ", nhs_number="")
            truth[form_id] = None
        else:
            nhs = p["nhs_number"]
            form = dict(forename="" if kind == "twin" else p["forename"],
                        surname=typo(p["surname"]) if kind == "typo" else p["surname"],
                        date_of_birth=uk_date(p["date_of_birth"]), postcode=p["postcode"],
                        nhs_number=f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if nhs and kind == "exact" else "")
            truth[form_id] = issue_of[p["ref"]]
        form.update(form_id=form_id, message="Please call about support at home.", received="2026-11-23")
        forms.append(form)

work = tempfile.mkdtemp()
inputs = os.path.join(work, "forms.jsonl")
with open(inputs, "w") as f:
    for form in forms:
        f.write(json.dumps(form) + "\n")
db = os.path.join(work, "clerk.db")
bot = os.path.join(root, "bots/contact-form-matcher.yaml")


run_clerk = clerk_runner(clerk, db, env)


started = time.monotonic()
first = run_clerk("run", bot, "--input", inputs, "--json")
seconds = time.monotonic() - started
summary = json.loads(first.stdout)
check(summary["failed"] == 0, f"no form failed (failed: {summary['failed']})")
# One item a line, in the file's order.
check(len(summary["items"]) == len(forms), f"one item per form ({len(summary['items'])} for {len(forms)})")
items = {form["form_id"]: item for form, item in zip(forms, summary["items"])}

auto_right = auto_wrong = waiting = new_cases = 0
for form in forms:
    form_id, expected = form["form_id"], truth[form["form_id"]]
    item = json.loads(run_clerk("item", "show", str(items[form_id]["id"]), "--json").stdout)
    outputs = item.get("step_outputs", {})
    person = outputs.get("person", {})
    if item["state"] == "waiting_for_human":
        waiting += 1
        continue
    if person.get("decision") == "matched":
        if expected is not None and person.get("record_id") == expected:
            auto_right += 1
        else:
            auto_wrong += 1
            check(False, f"{form_id}: matched to case {person.get('record_id')}, truth {expected}")
    else:
        check(expected is None, f"{form_id}: no match, but the person has case {expected}")
        new_id = outputs.get("new_case", {}).get("id")
        check(new_id is not None, f"{form_id}: no new case id")
        new_cases += 1

# Notes landed once, on the right case only.
for form in forms:
    expected = truth[form["form_id"]]
    if expected is None or items[form["form_id"]]["state"] == "waiting_for_human":
        continue
    check(len(notes_for(expected, form["form_id"])) == 1, f"{form['form_id']}: one note on case {expected}")

# A person answers each form the bot was unsure of, choosing the true case (or none).
queue = json.loads(run_clerk("queue", "list", "--json", "--bot", "contact-form-matcher").stdout)
answered = 0
for exception in queue:
    item = json.loads(run_clerk("item", "show", str(exception["item_id"]), "--json").stdout)
    form_id = item["source"].removeprefix("record:")
    if not form_id.startswith(f"CF-{run_tag}-"):
        continue
    expected = truth[form_id]
    offered = [choice["value"] for choice in exception["choices"]]
    choice = expected if expected in offered else "none"
    check(expected is None or expected in offered, f"{form_id}: the true case {expected} is among {offered}")
    result = run_clerk("queue", "resolve", str(exception["id"]), "--choice", choice, "--as", "tester")
    check(result.returncode == 0, f"{form_id}: resolving exception {exception['id']}: {result.stderr.strip()}")
    answered += 1
    if expected is not None and choice == expected:
        check(len(notes_for(expected, form_id)) == 1, f"{form_id}: one note after a person chose case {expected}")

# The same forms again: nothing new is written anywhere.
again = json.loads(run_clerk("run", bot, "--input", inputs, "--json").stdout)
check(all(not item["new"] for item in again["items"]), "the second run enqueued nothing new")
for form in forms:
    expected = truth[form["form_id"]]
    if expected is not None:
        check(len(notes_for(expected, form["form_id"])) <= 1, f"{form['form_id']}: still at most one note")

auto = auto_right + auto_wrong
print(f"contact forms: {len(forms)} ({sum(t is not None for t in truth.values())} known people, "
      f"{sum(t is None for t in truth.values())} unknown)")
print(f"  matched without a person: {auto} ({auto_right} right, {auto_wrong} wrong; "
      f"precision {auto_right / auto if auto else 1:.3f})")
print(f"  new cases: {new_cases}; waited for a person: {waiting}, answered: {answered}")
print(f"  straight through: {(auto + new_cases) / len(forms):.1%}")
print(f"  first run: {seconds:.1f} s for {len(forms)} forms = {len(forms) / seconds:.1f} forms/s "
      "(search, match, note or new case, over loopback)")
check.finish("all checks passed")
