#!/usr/bin/env python3
"""A contact form posted to `clerk serve`'s webhook is acknowledged in the citizen's
mailbox on a real mail server (tests/integration/mail/smtp.sh: Exim delivering into the
Dovecot fixture, read back over IMAP) within 5 s, and exactly once even when clerk serve
is killed with SIGKILL between the send and its record.

  * Latency: from the POST to the message being readable over IMAP, printed.
  * kill -9: a second bot sends through the Exim that answers QUIT 3 s late, so clerk
    waits there after the server took the message; the test kills clerk serve as soon as
    Exim logs the message in (the outbox still says "started"), starts it again, and the
    item is sent again with the same Message-ID, which Exim takes twice and Dovecot's
    Sieve delivers once. The figures count it sent once.

  acknowledge_test.py CLERK_BINARY

Needs CLERK_IMAP_STATE and CLERK_SMTP_STATE (ctest fixtures clerk_dovecot, clerk_smtp).
"""
import imaplib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

clerk = sys.argv[1]
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def read_env(path):
    values = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                key, value = line.rstrip("\n").split("=", 1)
                values[key] = value
    return values


imap_state, smtp_state = os.environ.get("CLERK_IMAP_STATE"), os.environ.get("CLERK_SMTP_STATE")
if not imap_state or not smtp_state or not os.path.exists(os.path.join(smtp_state, "smtp.env")):
    print("no mail servers: run through ctest (fixtures clerk_dovecot and clerk_smtp)")
    sys.exit(77)
imap = read_env(os.path.join(imap_state, "imap.env"))
smtp = read_env(os.path.join(smtp_state, "smtp.env"))
with open(imap["IMAP_PASSWORD_FILE"]) as f:
    imap_password = f.read().strip()

tag = uuid.uuid4().hex[:8]
work = tempfile.mkdtemp()
bots = os.path.join(work, "bots")
os.makedirs(bots)
BOT = """name: {name}
version: 1
owner_team: contact-centre
trigger:
  webhook:
    token: ${{env:CLERK_ACK_TOKEN}}
input:
  id: form_id
retry:
  max_attempts: 5
steps:
  - id: acknowledge
    type: notify
    params:
      server: smtp://127.0.0.1:{port}
      from: no-reply@council.example
      to: "{{{{ input.email }}}}"
      subject: "We have your form {{{{ input.form_id }}}}"
      text: "Dear {{{{ input.name }}}},\\nthank you: we have your form {{{{ input.form_id }}}} and will reply within 10 working days.\\n"
"""
for name, port in (("form-acknowledger", smtp["SMTP_PORT"]), ("slow-acknowledger", smtp["SMTP_SLOW_PORT"])):
    with open(os.path.join(bots, name + ".yaml"), "w") as f:
        f.write(BOT.format(name=name, port=port))

db = os.path.join(work, "clerk.db")
env = dict(os.environ, CLERK_ACK_TOKEN="ack-" + tag, CLERK_CONFIG=os.path.join(work, "clerk.conf"))
open(env["CLERK_CONFIG"], "w").close()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    http_port = s.getsockname()[1]
base = f"http://127.0.0.1:{http_port}"
log = open(os.path.join(work, "serve.log"), "a")


def serve():
    process = subprocess.Popen([clerk, "serve", bots, "--db", db, "--listen", f"127.0.0.1:{http_port}", "--workers", "1",
                                "--lease", "8s"], env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                return process
        except Exception:
            time.sleep(0.1)
    check(False, "clerk serve became ready")
    return process


def post(bot, form):
    request = urllib.request.Request(f"{base}/hooks/{bot}", method="POST", data=json.dumps(form).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {env['CLERK_ACK_TOKEN']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def delivered(subject_tag):
    """The messages in the user's Notify folder whose subject holds `subject_tag`."""
    box = imaplib.IMAP4("127.0.0.1", int(imap["IMAP_PORT"]))
    try:
        box.login(imap["IMAP_USER"], imap_password)
        box.select("Notify", readonly=True)
        _, found = box.search(None, "SUBJECT", f'"{subject_tag}"')
        messages = []
        for number in found[0].split():
            _, data = box.fetch(number, "(RFC822)")
            messages.append(data[0][1])
        return messages
    finally:
        box.logout()


def receptions(log_dir, domain):
    """Exim's lines that took in a message whose Message-ID ends @domain."""
    path = os.path.join(smtp_state, log_dir, "mainlog")
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return [line for line in f if " <= " in line and f"@{domain} " in line.rstrip("\n") + " "]


def query(sql, *args):
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


server = serve()

# 1. A form by webhook; the acknowledgement readable over IMAP within 5 s.
form_id = f"CF-{tag}-1"
started = time.monotonic()
check(post("form-acknowledger", {"form_id": form_id, "name": "Ada Resident", "email": smtp["SMTP_USER"]}) == 202,
      "the webhook took the form")
messages = []
while time.monotonic() - started < 10 and not messages:
    messages = delivered(form_id)
    if not messages:
        time.sleep(0.05)
latency = time.monotonic() - started
print(f"acknowledgement latency: {latency:.2f} s from the webhook POST to the message over IMAP", flush=True)
check(len(messages) == 1, f"the acknowledgement arrived ({len(messages)} found)")
check(latency < 5.0, f"within 5 s ({latency:.2f} s)")
check(b"thank you: we have your form " + form_id.encode() in messages[0] if messages else False, "with its text")
time.sleep(1)
check(len(delivered(form_id)) == 1, "exactly once")

# The figures count it: clerk report and /metrics.
report = subprocess.run([clerk, "report", "--db", db], env=env, capture_output=True, text=True, timeout=60)
lines = report.stdout.splitlines()
check("Acknowledgements and notices" in lines, "clerk report has the acknowledgements table")
notices = lines[lines.index("Acknowledgements and notices") + 2:] if "Acknowledgements and notices" in lines else []
check(any(line.split()[:1] == ["form-acknowledger"] and line.split()[2:] == ["1", "0", "0", "0", "0"] for line in notices),
      "clerk report: form-acknowledger sent 1, none failed\n" + report.stdout)
with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
    metrics = response.read().decode()
check('clerk_notifications_total{bot="form-acknowledger",outcome="sent"} 1' in metrics,
      "/metrics: clerk_notifications_total sent 1")

# 2. kill -9 between the send and its record.
slow_id = f"CF-{tag}-2"
before = len(receptions("log-slow", "slow-acknowledger.clerk"))
check(post("slow-acknowledger", {"form_id": slow_id, "name": "Ben Resident", "email": smtp["SMTP_USER"]}) == 202,
      "the webhook took the second form")
deadline = time.monotonic() + 15
while time.monotonic() < deadline and len(receptions("log-slow", "slow-acknowledger.clerk")) == before:
    time.sleep(0.02)
server.send_signal(signal.SIGKILL)
server.wait(timeout=30)
check(len(receptions("log-slow", "slow-acknowledger.clerk")) == before + 1, "Exim took the message in before the kill")
outbox = query("SELECT o.state FROM outbox o JOIN work_items w ON w.id = o.item_id WHERE w.bot = 'slow-acknowledger'")
check(outbox == [("started",)], f"killed between the send and its record (outbox {outbox})")

server = serve()
deadline = time.monotonic() + 60
state = None
while time.monotonic() < deadline:
    state = query("SELECT state FROM work_items WHERE bot = 'slow-acknowledger'")
    if state == [("done",)]:
        break
    time.sleep(0.2)
check(state == [("done",)], f"after the restart the item is done ({state})")
taken = receptions("log-slow", "slow-acknowledger.clerk")[before:]
check(len(taken) == 2 and len({line.split(" id=")[1].split()[0] for line in taken}) == 1,
      f"sent again with the same Message-ID ({len(taken)} receptions)")
time.sleep(1.5)
check(len(delivered(slow_id)) == 1, f"and exactly one acknowledgement arrived ({len(delivered(slow_id))})")
sent = query("SELECT COUNT(*) FROM events WHERE kind = 'notice_sent' AND bot = 'slow-acknowledger'")
check(sent == [(1,)], f"the figures count it sent once ({sent})")

server.send_signal(signal.SIGTERM)
try:
    server.wait(timeout=60)
except subprocess.TimeoutExpired:
    server.kill()
if failures:
    with open(os.path.join(work, "serve.log"), errors="replace") as f:
        print(f.read()[-4000:])
    sys.exit(1)
print("webhook to mailbox: acknowledged within 5 s, exactly once across kill -9")
