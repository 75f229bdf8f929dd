#!/usr/bin/env python3
"""bots/incident-report-allocator.yaml and bots/financial-assessment.yaml against the
shared Redmine (ctest fixture clerk_redmine), and the mail servers (clerk_dovecot,
clerk_smtp) the assessment letter is emailed through.

Incident reports: each lands once, in the owning service's project, assigned to the
team; one the bot cannot place waits for a person, and so does a safeguarding concern
(always_person) until a person confirms its kind. Financial assessments: a confirmed
request creates the assessment from the person's case, writes the letter with the
person's name, the reference and the figures, attaches it to the assessment (byte for
byte, once), emails it when the request has an address (once, the same bytes), records
it as sent and notes the case, once; an unconfirmed one waits until a person confirms
it. Running everything again writes and sends nothing.

  allocation_test.py CLERK_BINARY REPO_ROOT
"""
import csv
import email
import email.policy
import imaplib
import json
import os
import subprocess
import sys
import tempfile
import time

from redmine_check import Checks, Redmine, clerk_runner, fixture_env

clerk, root = sys.argv[1], sys.argv[2]
env = fixture_env()
state = env["CLERK_REDMINE_STATE"]
redmine = Redmine(env)
api = redmine.get
download = redmine.download
check = Checks()


def read_env(path):
    with open(path) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def delivered(subject):
    """The raw messages in the mail fixture user's Notify folder whose subject holds `subject`."""
    with open(imap["IMAP_PASSWORD_FILE"]) as f:
        password = f.read().strip()
    box = imaplib.IMAP4("127.0.0.1", int(imap["IMAP_PORT"]))
    try:
        box.login(imap["IMAP_USER"], password)
        box.select("Notify", readonly=True)
        _, numbers = box.search(None, "SUBJECT", f'"{subject}"')
        return [box.fetch(n, "(RFC822)")[1][0][1] for n in numbers[0].split()]
    finally:
        box.logout()


def issues_mentioning(text, project=None):
    """Issues whose description holds `text` (Redmine's ~ is 'contains')."""
    query = {"status_id": "*", "description": "~" + text, "limit": 100}
    if project:
        query["project_id"] = project
    return api("/issues.json", **query)["issues"]


work = tempfile.mkdtemp()
db = os.path.join(work, "clerk.db")
tag = str(int(time.time()))


env["CLERK_CONNECTOR_PATH"] = os.path.join(root, "connectors")  # for the bot copied below
run_clerk = clerk_runner(clerk, db, env)


# --- incident reports -----------------------------------------------------------------
reports = [json.loads(line) for line in open(os.path.join(root, "examples/incident-reports/reports.jsonl"))]
expected = {  # report -> (project identifier, team)
    "IR-1001": ("highways", "highways"), "IR-1002": ("highways", "highways"), "IR-1003": ("highways", "highways"),
    "IR-1004": ("social-care", "adult-social-care"), "IR-1005": ("revenues", "revenues"), "IR-1006": (None, None),
}
for report in reports:
    report["report_id"] = f"{report['report_id']}-{tag}"
    report["location"] = f"{report['location']} {tag}"  # no open incident there from earlier runs
inputs = os.path.join(work, "reports.jsonl")
with open(inputs, "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in reports)
incident_bot = os.path.join(root, "bots/incident-report-allocator.yaml")
for attempt in (1, 2):
    summary = json.loads(run_clerk("run", incident_bot, "--input", inputs, "--json").stdout)
    check(summary["failed"] == 0, f"run {attempt}: no report failed")
    check(summary["waiting_for_human"] == 2,
          f"run {attempt}: the noise complaint and the concern about an adult wait for a person")
# The concern about an adult is not raised before a person has seen it; once they
# confirm its kind, it is raised and allocated like the others.
check(not issues_mentioning(f"Report {reports[3]['report_id']} "), "IR-1004: not raised before a person confirms it")
waiting = json.loads(run_clerk("queue", "list", "--json", "--bot", "incident-report-allocator").stdout)
concerns = [e for e in waiting if e["reason"].startswith("always a person: Concern about an adult")]
check(len(concerns) == 1, f"IR-1004 waits as always a person (reasons: {[e['reason'] for e in waiting]})")
for exception in concerns:
    result = run_clerk("queue", "resolve", str(exception["id"]), "--choice", "adult_safeguarding", "--as", "tester")
    check(result.returncode == 0, f"confirming the concern: {result.stderr.strip()}")
# A second report of the first one's pothole, sent later: added to that incident.
duplicate = dict(reports[0], report_id=f"IR-1099-{tag}", description="Still there, and deeper.")
with open(os.path.join(work, "more.jsonl"), "w") as f:
    f.write(json.dumps(duplicate) + "\n")
summary = json.loads(run_clerk("run", incident_bot, "--input", os.path.join(work, "more.jsonl"), "--json").stdout)
check(summary["done"] == 1, "the second report of the pothole is done")
first = issues_mentioning(f"Report {reports[0]['report_id']} ")
check(not issues_mentioning(f"Report {duplicate['report_id']} "), "the second report raised no new incident")
if first:
    check(len(redmine.notes(first[0]["id"], duplicate["report_id"])) == 1,
          "the second report is a note on the first one's incident")

for report in reports:
    base = report["report_id"].rsplit("-", 1)[0]
    project, team = expected[base]
    found = issues_mentioning(f"Report {report['report_id']} ")
    if project is None:
        check(not found, f"{base}: not raised before a person decides")
        continue
    check(len(found) == 1, f"{base}: raised once (found {len(found)}) after two runs")
    if found:
        issue = found[0]
        projects = {p["id"]: p["identifier"] for p in api("/projects.json")["projects"]}
        check(projects.get(issue["project"]["id"]) == project, f"{base}: in project {project}")
        check(issue.get("assigned_to", {}).get("name") == team, f"{base}: assigned to {team}")

# --- financial assessments ------------------------------------------------------------
ids = {row["ref"]: row["issue_id"] for row in csv.DictReader(open(os.path.join(state, "people-ids.csv")))}
people = {row["ref"]: row for row in csv.DictReader(open(os.path.join(root, "tests/integration/redmine/people.csv")))}
confirmed_ref, pending_ref = "P0002", "P0003"
smtp = read_env(os.path.join(os.environ["CLERK_SMTP_STATE"], "smtp.env"))
imap = read_env(os.path.join(os.environ["CLERK_IMAP_STATE"], "imap.env"))
figures = {"weekly_income": "212.40", "savings": "4500.00", "weekly_charge": "84.50"}
requests = [
    {"request_id": f"FA-{tag}-1", "case_id": ids[confirmed_ref], "confirmed": "Yes", "requested_by": "adult social care",
     "email": smtp["SMTP_USER"], **figures},
    {"request_id": f"FA-{tag}-2", "case_id": ids[pending_ref], "confirmed": "pending", "requested_by": "hospital team",
     **figures},
]
inputs = os.path.join(work, "requests.jsonl")
with open(inputs, "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in requests)
# The shipped bot, sending through the test's Exim instead of this machine's port 25.
bots = os.path.join(work, "bots")
os.makedirs(bots)
with open(os.path.join(root, "bots/financial-assessment.yaml")) as f:
    text = f.read()
check("server: smtp://127.0.0.1:25" in text, "the shipped bot sends through the local relay")
assessment_bot = os.path.join(bots, "financial-assessment.yaml")
with open(assessment_bot, "w") as f:
    f.write(text.replace("server: smtp://127.0.0.1:25", f"server: smtp://127.0.0.1:{smtp['SMTP_PORT']}"))
summary = json.loads(run_clerk("run", assessment_bot, "--input", inputs, "--json").stdout)
check(summary["done"] == 1 and summary["waiting_for_human"] == 1, "one assessment done, one waiting for confirmation")

# A person confirms the pending request; the bot carries on.
queue = json.loads(run_clerk("queue", "list", "--json", "--bot", "financial-assessment").stdout)
check(len(queue) == 1, f"one request waits for a person (found {len(queue)})")
for exception in queue:
    result = run_clerk("queue", "resolve", str(exception["id"]), "--choice", "yes", "--as", "tester")
    check(result.returncode == 0, f"confirming: {result.stderr.strip()}")
run_clerk("run", assessment_bot, "--input", inputs, "--json")  # again: nothing new

for request, ref in ((requests[0], confirmed_ref), (requests[1], pending_ref)):
    person = people[ref]
    found = issues_mentioning(f"(request {request['request_id']})", project="revenues")
    check(len(found) == 1, f"{request['request_id']}: one assessment (found {len(found)})")
    if not found:
        continue
    assessment = api(f"/issues/{found[0]['id']}.json", include="journals,attachments")["issue"]
    check(f"Date of birth: {person['date_of_birth']}" in assessment["description"],
          f"{request['request_id']}: filled in from the case")
    check(assessment.get("assigned_to", {}).get("name") == "revenues", f"{request['request_id']}: with revenues")
    # The document step's letter, beside the bot file, named by the assessment.
    letter = os.path.join(bots, "letters", f"assessment-{found[0]['id']}.pdf")
    text = subprocess.run(["pdftotext", "-layout", letter, "-"], capture_output=True, text=True).stdout \
        if os.path.exists(letter) else ""
    check(f"{person['forename']} {person['surname']}" in text and f"FA-{found[0]['id']}" in text and "Page 1 of" in text,
          f"{request['request_id']}: the letter names the person and the assessment")
    check(all(f"£{figures[k]}" in text for k in figures), f"{request['request_id']}: the letter states the figures")
    # The same letter attached to the assessment, once, byte for byte.
    attached = [a for a in assessment.get("attachments", []) if a.get("filename") == f"assessment-{found[0]['id']}.pdf"]
    check(len(attached) == 1, f"{request['request_id']}: the letter is attached once (found {len(attached)})")
    if attached and os.path.exists(letter):
        check(attached[0].get("content_type") == "application/pdf" and attached[0].get("filesize") == os.path.getsize(letter),
              f"{request['request_id']}: the attachment is the letter ({attached[0].get('filesize')} bytes)")
        got = download(attached[0]["content_url"])
        check(got == open(letter, "rb").read(), f"{request['request_id']}: the attachment's bytes are the letter's")
    sent = [j for j in assessment.get("journals", []) if "Assessment letter sent" in (j.get("notes") or "")]
    check(len(sent) == 1, f"{request['request_id']}: recorded as sent once (found {len(sent)})")
    case = api(f"/issues/{ids[ref]}.json", include="journals")["issue"]
    noted = [j for j in case.get("journals", []) if request["request_id"] in (j.get("notes") or "")]
    check(len(noted) == 1, f"{request['request_id']}: the case is noted once (found {len(noted)})")

# The letter by email, once, to the request that gave an address; none for the other.
emailed = delivered("Your financial assessment for care charges")
found = issues_mentioning(f"(request {requests[0]['request_id']})", project="revenues")
mine = [m for m in emailed if found and f"FA-{found[0]['id']}".encode() in m]
check(len(mine) == 1, f"the first assessment is emailed once (found {len(mine)})")
if mine:
    message = email.message_from_bytes(mine[0], policy=email.policy.default)
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    letter = os.path.join(bots, "letters", f"assessment-{found[0]['id']}.pdf")
    check(len(parts) == 1 and parts[0].get_content() == open(letter, "rb").read(),
          "the email carries the letter, byte for byte")
other = issues_mentioning(f"(request {requests[1]['request_id']})", project="revenues")
check(not other or not [m for m in emailed if f"FA-{other[0]['id']}".encode() in m], "no email without an address")

check.finish("incident reports and financial assessments: all checks passed")
