#!/usr/bin/env python3
"""bots/referral-intake.yaml end to end: referrals emailed into a real Dovecot mailbox
(fixture clerk_dovecot) are read by `clerk serve` as one item per message (items: body),
classified, matched against the shared Redmine (fixture clerk_redmine) and noted there.

  * a referral about a person the case system holds is noted on their case, once;
  * a referral about someone it does not hold becomes one new case;
  * a safeguarding concern is not acted on: it waits for a person, marked urgent, with
    a 1 h SLA, first in the queue;
  * every message is flagged as handled; serving again reads nothing twice.

  referral_test.py CLERK_BINARY REPO_ROOT
"""
import imaplib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from redmine_check import (Checks, Redmine, clerk_runner, deliver, fixture_env, imap_fixture, new_mail_folder,
                           people_and_cases, point_referrals_at, uk_date)

clerk, root = sys.argv[1], sys.argv[2]
env = fixture_env()
state = env["CLERK_REDMINE_STATE"]
redmine = Redmine(env)
check = Checks()

imap = imap_fixture()
folder, top = new_mail_folder(imap, "Referrals")

people, issue_of = people_and_cases(root, state)
adults = [p for p in people if p["team"] == "adult-social-care" and p["nhs_number"]]
known, concern = adults[0], adults[1]
tag = uuid.uuid4().hex[:8]


def send(message_id, subject, body, html=False):
    kind = "text/html" if html else "text/plain"
    raw = (f"From: Duty GP <gp@example.nhs.uk>\r\nTo: referrals@example.gov.uk\r\nSubject: {subject}\r\n"
           f"Message-ID: <{message_id}@example.nhs.uk>\r\nDate: Mon, 7 Dec 2026 09:00:00 +0000\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: {kind}; charset=utf-8\r\n\r\n{body}\r\n")
    deliver(top, message_id, raw)


send(f"known-{tag}", "Referral: falls at home",
     f"Name: {known['forename']} {known['surname']}\r\nNHS number: {known['nhs_number']}\r\n"
     f"Date of birth: {uk_date(known['date_of_birth'])}\r\nPostcode: {known['postcode']}\r\n\r\n"
     f"Two falls at home this month; needs a care package. Ref {tag}-A.")
send(f"unknown-{tag}", "New referral",
     "<p>Name: Marguerite Quennell-Ashby<br>Date of birth: 02/02/1941<br>Postcode: LS17 9QQ</p>"
     f"<p>Recently widowed, struggling with personal care and mobility. Ref {tag}-B.</p>", html=True)
send(f"concern-{tag}", "Concern",
     f"Name: {concern['forename']} {concern['surname']}\r\nNHS number: {concern['nhs_number']}\r\n"
     f"Date of birth: {uk_date(concern['date_of_birth'])}\r\n\r\n"
     f"Neighbour reports possible financial abuse by a relative. Ref {tag}-C.")

work = tempfile.mkdtemp()
db = os.path.join(work, "clerk.db")
with open(os.path.join(root, "bots/referral-intake.yaml")) as f:
    yaml = f.read()
yaml = point_referrals_at(yaml, imap, folder)
check("imap://127.0.0.1" in yaml and "after: flag" in yaml, "the shipped bot points at the test mailbox")
bot = os.path.join(work, "referral-intake.yaml")
with open(bot, "w") as f:
    f.write(yaml)
run_clerk = clerk_runner(clerk, db, env)


def serve_until_settled(expected, seconds=90, at_least=0):
    """Runs clerk serve (at least `at_least` seconds) until `expected` items have
    stopped moving, then stops it."""
    server = subprocess.Popen([clerk, "serve", bot, "--db", db, "--listen", "off", "--workers", "2",
                               "--connectors", os.path.join(root, "connectors")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.time()
    deadline = started + seconds
    settled = None
    while time.time() < deadline:
        time.sleep(1)
        if time.time() - started < at_least:
            continue
        status = json.loads(run_clerk("status", "--json").stdout or "{}")
        counts = {k: v for b in status.get("bots", []) for k, v in b.items() if k != "bot"}
        if sum(counts.values()) >= expected and counts.get("queued", 0) == 0 and counts.get("leased", 0) == 0:
            settled = counts
            break
    server.send_signal(signal.SIGTERM)
    output = server.communicate(timeout=60)[0]
    check(server.returncode == 0, f"clerk serve stopped cleanly (exit {server.returncode})")
    for secret in ("Quennell", "financial abuse", known["surname"]):
        check(secret not in output, f"the log holds no referral text or name ({secret!r})")
    if settled is None:
        print(output[-4000:])
    return settled


counts = serve_until_settled(3)
check(counts is not None, f"the three referrals were read and worked (status: {counts})")
if counts:
    check(counts.get("done") == 2 and counts.get("waiting_for_human") == 1 and counts.get("failed", 0) == 0,
          f"two done, the safeguarding concern waits for a person ({counts})")

# The known person's case has the referral as a note, once.
noted = redmine.notes(issue_of[known["ref"]], f"{tag}-A")
check(len(noted) == 1, f"the referral is noted on {known['ref']}'s case once (found {len(noted)})")
# The person the case system did not know has one new case.
created = redmine.get("/issues.json", status_id="*", description=f"~{tag}-B", limit=100)["issues"]
check(len(created) == 1, f"one new case for the unknown person (found {len(created)})")
# The safeguarding concern is not on the case: it waits, urgent, first in the queue.
check(not redmine.notes(issue_of[concern["ref"]], f"{tag}-C"), "the concern is not acted on before a person sees it")
queue = json.loads(run_clerk("queue", "list", "--json", "--bot", "referral-intake").stdout)
check(len(queue) == 1, f"one referral waits for a person (found {len(queue)})")
if queue:
    first = queue[0]
    check(first["urgency"] == "Safeguarding" and first["priority"] == 200, f"it is urgent: {first}")
    check(first["team"] in ("adult-safeguarding", "emergency-duty"), f"for the safeguarding duty team: {first['team']}")
    check(first["reason"].startswith("always a person: Safeguarding concern"), f"reason: {first['reason']}")

# Every message is flagged as handled; serving again makes nothing new.
box = imaplib.IMAP4("127.0.0.1", int(imap["IMAP_PORT"]))
box.login(imap["IMAP_USER"], open(imap["IMAP_PASSWORD_FILE"]).read().strip())
box.select(folder)
flagged = box.search(None, "KEYWORD", "$ClerkDone")[1][0].split()
check(len(flagged) == 3, f"the three messages are flagged (found {len(flagged)})")
box.logout()
again = serve_until_settled(3, seconds=30, at_least=8)  # several polls of the folder
check(again == counts, f"serving again read nothing twice ({again})")
check(len(redmine.notes(issue_of[known["ref"]], f"{tag}-A")) == 1, "still one note")

# The README's example: the same bot over referrals as the mailbox makes them.
example_db = os.path.join(work, "example.db")
example = subprocess.run([clerk, "run", os.path.join(root, "bots/referral-intake.yaml"), "--input",
                          os.path.join(root, "examples/referral-intake/referrals.jsonl"), "--json", "--db", example_db],
                         env=env, capture_output=True, text=True, timeout=600)
summary = json.loads(example.stdout or "{}")
check(summary.get("done") == 2 and summary.get("waiting_for_human") == 1,
      f"the example: two referrals done, the concern waits ({summary or example.stderr[-2000:]})")

check.finish("referrals by email: noted, new case, safeguarding to a person")
