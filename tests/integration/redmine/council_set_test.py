#!/usr/bin/env python3
"""`clerk serve bots/`: the council's shipped bots, each with its own trigger, clear a
mixed batch against the shared Redmine (fixture clerk_redmine) and a real Dovecot
mailbox (fixture clerk_dovecot) with Exim relaying into it (fixture clerk_smtp):

  * scanned letters dropped in the post room's watched folder;
  * contact forms and incident reports posted to the bots' webhooks (the form's sender
    is acknowledged by email, once);
  * an assessment request posted by the case system;
  * a referral emailed to the referrals mailbox.

Every item ends done or waiting for a person (none fails); what the bots did is in
Redmine; the safeguarding report waits, urgent, at the top of the queue; the dashboard
API says why items went to people.

  council_set_test.py CLERK_BINARY REPO_ROOT
"""
import glob
import imaplib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from redmine_check import (Checks, Redmine, deliver, fixture_env, imap_fixture, new_mail_folder, people_and_cases,
                           point_referrals_at, uk_date)

clerk, root = sys.argv[1], sys.argv[2]
env = fixture_env()
state = env["CLERK_REDMINE_STATE"]
redmine = Redmine(env)
check = Checks()
tag = uuid.uuid4().hex[:8]

imap = imap_fixture()
folder, top = new_mail_folder(imap, "Council")
with open(os.path.join(os.environ["CLERK_SMTP_STATE"], "smtp.env")) as f:
    smtp = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)

# The shipped bots, pointed at this machine: the post room's folders, the test mailbox.
work = tempfile.mkdtemp()
bots = os.path.join(work, "bots")
os.makedirs(bots)
post = os.path.join(work, "post")
os.makedirs(os.path.join(post, "inbox"))
for path in glob.glob(os.path.join(root, "bots", "*.yaml")):
    with open(path) as f:
        text = f.read()
    text = text.replace("/srv/clerk/post", post)
    text = point_referrals_at(text, imap, folder)
    text = text.replace("server: smtp://127.0.0.1:25", f"server: smtp://127.0.0.1:{smtp['SMTP_PORT']}")
    with open(os.path.join(bots, os.path.basename(path)), "w") as f:
        f.write(text)
check(len(os.listdir(bots)) >= 5, f"the shipped bots: {sorted(os.listdir(bots))}")

db = os.path.join(work, "clerk.db")
tokens = {"CLERK_INCIDENT_REPORT_TOKEN": "incident-" + tag, "CLERK_CONTACT_FORM_TOKEN": "forms-" + tag,
          "CLERK_ASSESSMENT_TOKEN": "assessments-" + tag}
env.update(tokens)
env["CLERK_DB"] = db


def clerk_cli(*args):
    return subprocess.run([clerk, *args, "--db", db], env=env, capture_output=True, text=True, timeout=120)


password_file = os.path.join(work, "password")
with open(password_file, "w") as f:
    f.write("correct horse battery staple\n")
check(clerk_cli("user", "add", "ops", "--team", "customer-services", "--role", "admin",
                "--password-file", password_file).returncode == 0, "clerk user add ops")
api_token = clerk_cli("user", "token", "ops", "--label", "council-set-test").stdout.strip()

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
log_path = os.path.join(work, "serve.log")
log = open(log_path, "w")
server = subprocess.Popen([clerk, "serve", bots, "--db", db, "--listen", f"127.0.0.1:{port}", "--workers", "2",
                           "--connectors", os.path.join(root, "connectors")],
                          env=env, stdout=log, stderr=subprocess.STDOUT)
base = f"http://127.0.0.1:{port}"


def call(method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


for _ in range(60):
    try:
        if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
            break
    except Exception:
        time.sleep(0.5)

people, issue_of = people_and_cases(root, state)
known = next(p for p in people if p["team"] == "adult-social-care" and p["nhs_number"])


# The mixed batch.
shutil.copy(os.path.join(root, "examples/inbound-post/post/letter-02.pdf"), os.path.join(post, "inbox", "letter.pdf"))
form = {"form_id": f"CF-{tag}", "forename": known["forename"], "surname": known["surname"],
        "date_of_birth": uk_date(known["date_of_birth"]), "postcode": known["postcode"], "nhs_number": known["nhs_number"],
        "message": f"Please call about help at home. Ref {tag}-F.", "received": "2026-12-07",
        "email": smtp["SMTP_USER"]}
status, answer = call("POST", "/hooks/contact-form-matcher", form, tokens["CLERK_CONTACT_FORM_TOKEN"])
check(status == 202, f"the contact form is taken by its webhook ({status})")
check(call("POST", "/hooks/contact-form-matcher", form, "wrong")[0] == 401, "a wrong webhook token is refused")
pothole = {"report_id": f"IR-{tag}-1", "title": "Pothole", "description": f"Deep pothole, ref {tag}-P.",
           "location": f"Mill Lane {tag}", "postcode": "LS6 2AB", "reported_at": "2026-12-07T06:40:00Z"}
child = {"report_id": f"IR-{tag}-2", "title": "Child left alone", "description": f"A child left alone in the flat since Friday, ref {tag}-C.",
         "location": f"Hyde Park Close {tag}", "postcode": "LS6 1RT", "reported_at": "2026-12-07T07:00:00Z"}
for report in (pothole, child):
    status, _ = call("POST", "/hooks/incident-report-allocator", report, tokens["CLERK_INCIDENT_REPORT_TOKEN"])
    check(status == 202, f"incident report {report['report_id']} is taken ({status})")
status, _ = call("POST", "/hooks/financial-assessment",
                 {"request_id": f"FA-{tag}", "case_id": issue_of[known["ref"]], "confirmed": "no",
                  "requested_by": "adult social care"}, tokens["CLERK_ASSESSMENT_TOKEN"])
check(status == 202, f"the assessment request is taken ({status})")
raw = (f"From: Duty GP <gp@example.nhs.uk>\r\nSubject: Referral\r\nMessage-ID: <council-{tag}@example.nhs.uk>\r\n"
       f"Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
       f"Name: {known['forename']} {known['surname']}\r\nNHS number: {known['nhs_number']}\r\n"
       f"Date of birth: {uk_date(known['date_of_birth'])}\r\n\r\nFalls at home; needs a care package. Ref {tag}-R.\r\n")
deliver(top, f"council-{tag}", raw)

# Until every item has stopped moving.
expected = 6
settled = None
deadline = time.time() + 240
while time.time() < deadline and server.poll() is None:
    time.sleep(2)
    status = json.loads(clerk_cli("status", "--json").stdout or "{}")
    counts = {}
    for row in status.get("bots", []):
        for key, value in row.items():
            if key != "bot":
                counts[key] = counts.get(key, 0) + value
    if sum(counts.values()) >= expected and counts.get("queued", 0) == 0 and counts.get("leased", 0) == 0:
        settled = (counts, status)
        break
check(settled is not None, f"the batch settled (status: {status})")
if settled:
    counts, status = settled
    by_bot = {row["bot"]: row for row in status["bots"]}
    check(counts.get("failed", 0) == 0, f"no item failed: {by_bot}")
    check(set(by_bot) >= {"inbound-post", "contact-form-matcher", "incident-report-allocator", "financial-assessment",
                          "referral-intake"}, f"every bot had work: {sorted(by_bot)}")



def acknowledgements(form_id):
    """The messages in the mail fixture user's Notify folder whose subject holds `form_id`."""
    with open(imap["IMAP_PASSWORD_FILE"].strip()) as f:
        password = f.read().strip()
    box = imaplib.IMAP4("127.0.0.1", int(imap["IMAP_PORT"]))
    try:
        box.login(imap["IMAP_USER"], password)
        if box.select("Notify", readonly=True)[0] != "OK":  # nothing delivered there yet
            return []
        _, found = box.search(None, "SUBJECT", f'"{form_id}"')
        return [box.fetch(number, "(RFC822)")[1][0][1] for number in found[0].split()]
    finally:
        box.logout()


# The form's sender heard back, once, with nothing of what the form said.
# The relay delivers on its own time after taking the message: up to 10 s.
acks = []
for _ in range(50):
    acks = acknowledgements(form["form_id"])
    if acks:
        break
    time.sleep(0.2)
check(len(acks) == 1, f"the contact form is acknowledged by email once ({len(acks)} found)")
check(all(f"{tag}-F".encode() not in ack and b"help at home" not in ack for ack in acks),
      "the acknowledgement repeats nothing of the form's message")

# What landed in Redmine.
check(len(redmine.notes(issue_of[known["ref"]], f"{tag}-F")) == 1, "the contact form is noted on the person's case")
check(len(redmine.notes(issue_of[known["ref"]], f"{tag}-R")) == 1, "the emailed referral is noted on the person's case")
raised = redmine.get("/issues.json", status_id="*", description=f"~{tag}-P", limit=100)["issues"]
check(len(raised) == 1, f"the pothole is raised once (found {len(raised)})")
check(not redmine.get("/issues.json", status_id="*", description=f"~{tag}-C", limit=100)["issues"],
      "the concern about a child is not raised before a person sees it")

# The queue: the safeguarding report first, urgent; the dashboard says why items wait.
status, queue = call("GET", "/api/v1/exceptions", token=api_token)
items = (queue or {}).get("items", [])
check(status == 200 and items and items[0]["bot"] == "incident-report-allocator"
      and items[0]["urgency"] == "Safeguarding (child)", f"the child safeguarding report is first, urgent: {items[:2]}")
status, dashboard = call("GET", "/api/v1/dashboard?days=1", token=api_token)
reasons = {(r["bot"], r["reason"]) for r in (dashboard or {}).get("reasons", [])}
check(("incident-report-allocator", "always_person") in reasons, f"the dashboard says why: {sorted(reasons)}")
check(("financial-assessment", "other") in reasons or any(b == "financial-assessment" for b, _ in reasons),
      f"the unconfirmed assessment request is counted: {sorted(reasons)}")

server.send_signal(signal.SIGTERM)
try:
    server.wait(timeout=60)
except subprocess.TimeoutExpired:
    server.kill()
check(server.returncode == 0, f"clerk serve stopped cleanly ({server.returncode})")
log.close()
logged = open(log_path).read()
for secret in [tokens["CLERK_CONTACT_FORM_TOKEN"], known["surname"], "child left alone"]:
    check(secret not in logged, f"the log holds no token or personal text ({secret!r})")
if check.failures:
    print(logged[-6000:])
check.finish("clerk serve bots/: post, forms, reports, a request and an email cleared")
