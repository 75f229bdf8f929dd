"""Shared by the bots' integration tests: the fixture's settings, clerk, and reading
Redmine with the administrator's key to see what the bots did."""
import csv
import json
import os
import subprocess
import time
import uuid
import urllib.parse
import urllib.request


def fixture_env():
    """The environment with the fixture's redmine.env added (REDMINE_URL, keys, ids)."""
    env = dict(os.environ)
    with open(os.path.join(env["CLERK_REDMINE_STATE"], "redmine.env")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key] = value.strip().strip('"').strip("'")
    return env


class Checks:
    """Collects failed checks, so one run reports all of them."""

    def __init__(self):
        self.failures = []

    def __call__(self, condition, message):
        if not condition:
            self.failures.append(message)
            print("FAIL:", message)

    def finish(self, passed_message):
        if self.failures:
            print(f"{len(self.failures)} checks failed")
            raise SystemExit(1)
        print(passed_message)


class Redmine:
    def __init__(self, env):
        self.url = env["REDMINE_URL"].rstrip("/")
        self.key = env["REDMINE_ADMIN_API_KEY"]

    def get(self, path, **query):
        full = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(full, headers={"X-Redmine-API-Key": self.key})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def download(self, url):
        """The bytes at `url` (an attachment's content_url), as the admin."""
        request = urllib.request.Request(url, headers={"X-Redmine-API-Key": self.key})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def notes(self, issue_id, marker):
        """The notes on an issue that hold `marker`."""
        journals = self.get(f"/issues/{issue_id}.json", include="journals")["issue"].get("journals", [])
        return [j for j in journals if marker in (j.get("notes") or "")]


def clerk_runner(clerk, db, env):
    """A function running `clerk ARGS... --db DB`, printing output of unexpected failures."""
    def run(*args):
        result = subprocess.run([clerk, *args, "--db", db], env=env, capture_output=True, text=True, timeout=600)
        if result.returncode not in (0, 3):
            print(result.stdout, result.stderr)
        return result
    return run


# --- the Dovecot fixture (clerk_dovecot) and the people of the Redmine fixture ------------------

def imap_fixture():
    """The Dovecot fixture's settings (imap.env): IMAP_PORT, IMAP_USER, IMAP_PASSWORD_FILE, IMAP_MAILDIR."""
    with open(os.path.join(os.environ["CLERK_IMAP_STATE"], "imap.env")) as f:
        return dict(line.split("=", 1) for line in f.read().split() if "=" in line)


def new_mail_folder(imap, prefix):
    """A fresh folder in the fixture user's Maildir, open to the server's user; (name, path)."""
    folder = prefix + uuid.uuid4().hex[:10]
    top = os.path.join(imap["IMAP_MAILDIR"], "." + folder)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(top, sub), exist_ok=True)
        os.chmod(os.path.join(top, sub), 0o777)
    os.chmod(top, 0o777)
    return folder, top


def deliver(top, name, raw):
    """Puts message `raw` into the folder at `top`, as a delivery agent would."""
    path = os.path.join(top, "new", f"{time.time_ns()}.{name}.clerk-test")
    with open(path, "w") as f:
        f.write(raw)
    os.chmod(path, 0o666)


def point_referrals_at(text, imap, folder):
    """bots/referral-intake.yaml's mailbox settings pointed at the fixture's folder, read every 2 s."""
    text = text.replace("url: imaps://mail.example.gov.uk/Referrals", f"url: imap://127.0.0.1:{imap['IMAP_PORT']}/{folder}")
    text = text.replace("username: referrals@example.gov.uk", f"username: {imap['IMAP_USER']}")
    text = text.replace("password: ${env:CLERK_REFERRALS_MAIL_PASSWORD}", f"password: ${{file:{imap['IMAP_PASSWORD_FILE']}}}")
    return text.replace("after: move\n    move_to: Processed\n", "after: flag\n").replace("every: 1m", "every: 2s")


def people_and_cases(root, state):
    """The fixture's people (people.csv) and each one's case (Redmine issue id) by ref."""
    people = list(csv.DictReader(open(os.path.join(root, "tests/integration/redmine/people.csv"))))
    issue_of = {row["ref"]: row["issue_id"] for row in csv.DictReader(open(os.path.join(state, "people-ids.csv")))}
    return people, issue_of


def uk_date(iso):
    """2026-03-07 as a form writes it: 07/03/2026."""
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"

