"""Shared by the bots' integration tests: the fixture's settings, clerk, and reading
Redmine with the administrator's key to see what the bots did."""
import json
import os
import subprocess
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
