#!/usr/bin/env python3
"""The web queue's JSON API and its security, against a real `clerk serve` on loopback
with a real SQLite file.

A bot whose one step asks a person when a form's topic is not one it knows is fed through
its webhook; people of two teams sign in and clear the queue; the checks cover sign-in,
sessions, CSRF, team separation (queues, items, bots, dashboard), API tokens (expiry,
listing, revocation), slowing down guessing per name and address, bounded sign-in input
(the database does not grow from refused sign-ins), client addresses behind a trusted
proxy, the trusted user header from trusted proxies only, the __Host- cookie behind a TLS
proxy, hostile input, the audit trail and items resuming after an answer.

Loopback stands in for the network: the service trusts 127.0.0.1 as its proxy, whose
X-Forwarded-For names the (made-up) client addresses, and a client connecting from
127.0.0.2 is a stranger that reached the port around the proxy.

Usage: api_test.py CLERK_BINARY
"""
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

CLERK = os.path.abspath(sys.argv[1])
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)
    return condition


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One browser or machine: keeps its cookie and CSRF token."""

    def __init__(self, port, token=None, source=None, forwarded_for=None):
        self.port = port
        self.cookie = None
        self.csrf = None
        self.token = token
        self.source = source                # the address to connect from, e.g. 127.0.0.2
        self.forwarded_for = forwarded_for  # X-Forwarded-For to send

    def call(self, method, path, body=None, csrf=True, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                                source_address=(self.source, 0) if self.source else None)
        sent = dict(headers or {})
        if self.forwarded_for:
            sent["X-Forwarded-For"] = self.forwarded_for
        if self.cookie:
            sent["Cookie"] = self.cookie
        if self.token:
            sent["Authorization"] = "Bearer " + self.token
        if csrf and self.csrf and method != "GET":
            sent["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        result = {"status": response.status, "headers": {k.lower(): v for k, v in response.getheaders()}, "raw": raw}
        try:
            result["json"] = json.loads(raw) if raw else None
        except ValueError:
            result["json"] = None
        connection.close()
        return result

    def sign_in(self, name, password, headers=None):
        answer = self.call("POST", "/api/v1/session", {"name": name, "password": password}, headers=headers)
        if answer["status"] == 200:
            self.cookie = answer["headers"]["set-cookie"].split(";")[0]
            self.csrf = answer["json"]["csrf_token"]
        return answer


def main():
    work = tempfile.mkdtemp(prefix="clerk-api-test-")
    db = os.path.join(work, "clerk.db")
    bot = os.path.join(work, "topics.yaml")
    with open(bot, "w") as f:
        f.write("""name: topics
version: "1"
owner_team: post-room
manual_minutes: 6
trigger:
  webhook:
    token: ${env:TOPICS_HOOK_TOKEN}
exceptions:
  team: post-room
  sla: 1h
steps:
  - id: topic
    type: require
    params:
      value: "{{ input.topic }}"
      field: topic
      one_of: [council-tax, housing, waste]
      choices: [council-tax, housing, waste]
      reason: The form's topic is not one the bot knows
""")
    # A match step that learns, of a team nobody here belongs to: its row in the
    # dashboard's "learning" is for admins alone.
    voters = os.path.join(work, "voters.yaml")
    with open(os.path.join(work, "people.csv"), "w") as f:
        f.write("person_id,surname\np1,okafor\np2,smith\n")
    with open(voters, "w") as f:
        f.write("""name: voters
version: "1"
owner_team: electoral-services
steps:
  - id: person
    type: match
    params:
      index: {path: people.csv, id_column: person_id}
      fields:
        surname: {value: "{{ input.surname }}", m: {exact: 0.9, different: 0.1}, u: {exact: 0.1, different: 0.9}}
      blocking: ["value(surname)"]
      prior: 0.1
      learning: {min_answers: 8}
""")
    password_file = os.path.join(work, "password")
    with open(password_file, "w") as f:
        f.write("correct horse battery\n")

    def clerk(*args, stdin=None):
        return subprocess.run([CLERK, *args, "--db", db], input=stdin, capture_output=True, text=True, timeout=60)

    for name, team, role in [("alice", "post-room", "operator"), ("bob", "housing", "operator"),
                             ("carol", "post-room", "admin"), ("erin", "housing", "lead"),
                             ("frank", "post-room", "lead")]:
        added = clerk("user", "add", name, "--team", team, "--role", role, "--password-file", password_file)
        check(added.returncode == 0, f"clerk user add {name}: {added.stderr}")
    short = clerk("user", "add", "dave", "--team", "post-room", stdin="short\n")
    check(short.returncode != 0 and "at least" in short.stderr, "a short password is refused")
    listed = clerk("user", "list", "--json")
    check([u["name"] for u in json.loads(listed.stdout)] == ["alice", "bob", "carol", "erin", "frank"],
          "clerk user list")
    check("argon2" not in listed.stdout, "no hash in clerk user list")
    token_run = clerk("user", "token", "alice", "--label", "portal")
    api_token = token_run.stdout.strip()
    check(token_run.returncode == 0 and len(api_token) >= 40, "clerk user token prints a token")

    port = free_port()
    env = dict(os.environ, TOPICS_HOOK_TOKEN="hook-secret-123", CLERK_DB=db)
    log = open(os.path.join(work, "serve.log"), "w")
    serve = subprocess.Popen([CLERK, "serve", bot, voters, "--db", db, "--workers", "1", "--listen", f"127.0.0.1:{port}",
                              "--trusted-proxy", "127.0.0.1"],
                             stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        anonymous = Client(port)
        wait_for_health(anonymous)
        run_checks(port, anonymous, api_token, clerk, db)
    finally:
        stop(serve)
        log.close()

    # A second service behind a TLS-terminating single sign-on proxy.
    try:
        refused = clerk("serve", bot, "--listen", f"127.0.0.1:{free_port()}", "--trusted-user-header", "X-Remote-User")
        check(refused.returncode != 0 and "--trusted-proxy" in refused.stderr,
              f"--trusted-user-header without --trusted-proxy is refused: {refused.stderr}")
    except subprocess.TimeoutExpired:
        check(False, "--trusted-user-header without --trusted-proxy is refused (it served instead)")
    port = free_port()
    proxy_log = open(os.path.join(work, "serve-sso.log"), "w")
    serve = subprocess.Popen([CLERK, "serve", bot, "--db", db, "--workers", "1", "--listen", f"127.0.0.1:{port}",
                              "--trusted-proxy", "127.0.0.1/32,10.9.0.0/16", "--trusted-user-header", "X-Remote-User",
                              "--public-url", "https://clerk.example.org"],
                             stdout=proxy_log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_health(Client(port))
        run_proxy_checks(port, os.path.join(work, "serve-sso.log"))
    finally:
        stop(serve)
        proxy_log.close()

    served_log = ""
    for name in ["serve.log", "serve-sso.log"]:
        with open(os.path.join(work, name)) as f:
            served_log += f.read()
    check("correct horse" not in served_log and "hook-secret" not in served_log, "no secret in the service log")
    check("<script>" not in served_log, "no form content in the service log")
    if failures:
        print(served_log[-4000:])
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all API checks passed")


def wait_for_health(client):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if client.call("GET", "/healthz")["status"] == 200:
                return
        except OSError:
            time.sleep(0.1)


def stop(serve):
    serve.terminate()
    try:
        serve.wait(timeout=30)
    except subprocess.TimeoutExpired:
        serve.kill()


def database_bytes(db):
    """The database's size on disk, with its write-ahead log."""
    return sum(os.path.getsize(db + suffix) for suffix in ["", "-wal"] if os.path.exists(db + suffix))


def wait_for(predicate, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    check(False, "timed out waiting for " + what)
    return None


def run_checks(port, anonymous, api_token, clerk, db):
    check(anonymous.call("GET", "/healthz")["status"] == 200, "/healthz answers")
    ready = wait_for(lambda: anonymous.call("GET", "/readyz")["status"] == 200, "/readyz")
    check(ready, "/readyz is 200 once workers run")

    # --- webhook intake --------------------------------------------------------------------
    hook = Client(port)
    check(hook.call("POST", "/hooks/topics", {"topic": "x"})["status"] == 401, "webhook without its token: 401")
    hook.token = "wrong"
    check(hook.call("POST", "/hooks/topics", {"topic": "x"})["status"] == 401, "webhook with a wrong token: 401")
    hook.token = "hook-secret-123"
    check(hook.call("POST", "/hooks/topics", b"not json")["status"] == 400, "webhook with a non-JSON body: 400")
    check(hook.call("POST", "/hooks/nobody", {"topic": "x"})["status"] == 404, "webhook of an unknown bot: 404")
    forms = [{"topic": "parking", "n": 1}, {"topic": "<script>alert(1)</script><b>bold</b>", "n": 2},
             {"topic": "noise", "n": 3}, {"topic": "pothole", "n": 4}, {"topic": "council-tax", "n": 5}]
    items = []
    for form in forms:
        answer = hook.call("POST", "/hooks/topics", form)
        check(answer["status"] == 202 and answer["json"]["created"], f"webhook enqueues form {form['n']}")
        items.append(answer["json"]["item_id"])
    again = hook.call("POST", "/hooks/topics", forms[0])
    check(again["status"] == 202 and not again["json"]["created"] and again["json"]["item_id"] == items[0],
          "the same form posted twice is one item")

    # --- without a session every API route is closed ----------------------------------------
    routes = [("GET", "/api/v1/session"), ("DELETE", "/api/v1/session"), ("GET", "/api/v1/exceptions"),
              ("POST", "/api/v1/exceptions/next"), ("GET", "/api/v1/exceptions/1"),
              ("GET", "/api/v1/exceptions/1/document"), ("POST", "/api/v1/exceptions/1/claim"),
              ("POST", "/api/v1/exceptions/1/release"), ("POST", "/api/v1/exceptions/1/resolve"),
              ("POST", "/api/v1/exceptions/1/reject"), ("POST", "/api/v1/exceptions/1/reassign"),
              ("GET", "/api/v1/items"), ("GET", "/api/v1/items/1"), ("GET", "/api/v1/bots"),
              ("GET", "/api/v1/teams"), ("GET", "/api/v1/dashboard")]
    for method, path in routes:
        status = anonymous.call(method, path, {} if method != "GET" else None)["status"]
        check(status == 401, f"{method} {path} without a session: {status}, expected 401")
    forged = Client(port)
    forged.cookie = "clerk_session=made-up-value"
    check(forged.call("GET", "/api/v1/exceptions")["status"] == 401, "a made-up session cookie: 401")

    # --- signing in -------------------------------------------------------------------------
    alice = Client(port)
    wrong = alice.sign_in("alice", "not the password")
    check(wrong["status"] == 401 and "set-cookie" not in wrong["headers"], "a wrong password: 401, no cookie")
    unknown = Client(port).sign_in("nobody", "whatever it is")
    check(unknown["status"] == 401 and unknown["json"]["error"] == wrong["json"]["error"],
          "an unknown name reads exactly like a wrong password")
    signed = alice.sign_in("alice", "correct horse battery")
    check(signed["status"] == 200, "alice signs in")
    cookie = signed["headers"].get("set-cookie", "")
    check("HttpOnly" in cookie and "SameSite=Strict" in cookie, f"session cookie flags: {cookie}")
    check(signed["json"]["user"] == {"name": "alice", "team": "post-room", "role": "operator"}, "who signed in")
    session = alice.call("GET", "/api/v1/session")
    check(session["status"] == 200 and session["json"]["csrf_token"] == alice.csrf, "GET session gives the CSRF token")
    check("default-src 'self'" in session["headers"].get("content-security-policy", ""), "CSP header on answers")
    check(session["headers"].get("x-content-type-options") == "nosniff", "nosniff on answers")

    # --- sign-in input is bounded before anything is written ----------------------------------
    stranger = Client(port)
    long_name = stranger.sign_in("n" * 129, "whatever it is")
    check(long_name["status"] == 400, f"a 129-character name: 400, got {long_name['status']}")
    long_password = stranger.sign_in("alice", "p" * 1025)
    check(long_password["status"] == 400, f"a 1025-character password: 400, got {long_password['status']}")
    before = database_bytes(db)
    statuses = set()
    for n in range(200):
        statuses.add(stranger.sign_in(f"{n}" + "x" * 500_000, "whatever it is")["status"])
    grown = database_bytes(db) - before
    check(statuses == {413}, f"a 500 kB sign-in body: 413, got {statuses}")
    check(grown < 1024 * 1024, f"200 sign-ins with 500 kB names grew the database by {grown} bytes (< 1 MiB)")
    print(f"200 sign-ins with 500 kB names grew the database by {grown} bytes", flush=True)

    # --- the queue ----------------------------------------------------------------------------
    listed = wait_for(lambda: (lambda a: a if a["json"] and a["json"]["total"] == 4 else None)(
        alice.call("GET", "/api/v1/exceptions")), "four items to need a person")
    if not listed:
        return
    queue = listed["json"]["items"]
    check(all(i["team"] == "post-room" and i["state"] == "open" for i in queue), "alice sees her team's open items")
    check([i["item_id"] for i in queue] == items[:4], "listed by SLA due time (arrival order here)")
    check(all(i["sla_due_at"] and i["breached"] is False for i in queue), "SLA due times, none breached")
    paged = alice.call("GET", "/api/v1/exceptions?limit=2&offset=1")["json"]
    check(paged["total"] == 4 and len(paged["items"]) == 2 and paged["next_offset"] == 3, "paging")
    check(alice.call("GET", "/api/v1/exceptions?team=housing")["status"] == 403, "another team's queue: 403")
    check(alice.call("GET", "/api/v1/exceptions?limit=0")["status"] == 400, "limit out of range: 400")
    for nasty in ["' OR 1=1 --", "%", "_", "\"; DROP TABLE exception_items; --", "\\"]:
        answer = alice.call("GET", "/api/v1/exceptions?reason=" + urllib.parse.quote(nasty))
        check(answer["status"] == 200 and answer["json"]["total"] == 0, f"reason filter {nasty!r} is plain text")
    check(alice.call("GET", "/api/v1/exceptions")["json"]["total"] == 4, "the queue is intact after the filters")
    by_reason = alice.call("GET", "/api/v1/exceptions?reason=not%20one")["json"]
    check(by_reason["total"] == 4, "filter by reason text")

    hostile = next(i for i in queue if i["item_id"] == items[1])
    detail = alice.call("GET", f"/api/v1/exceptions/{hostile['id']}")
    check(detail["status"] == 200 and detail["headers"]["content-type"].startswith("application/json"),
          "an item's detail is JSON")
    body = detail["json"]
    check(body["input"]["topic"] == "<script>alert(1)</script><b>bold</b>", "form text comes back as data")
    check([c["value"] for c in body["choices"]] == ["council-tax", "housing", "waste"], "choices in order")
    check(body["fields"] == ["topic"] and body["document"] is None, "fields; no document for a form")
    check(body["evidence"]["problem"] == "topic is not one of the accepted values", "evidence says why")
    check(alice.call("GET", f"/api/v1/exceptions/{hostile['id']}/document")["status"] == 404, "no document: 404")

    # --- CSRF -----------------------------------------------------------------------------------
    first = queue[0]
    no_csrf = alice.call("POST", f"/api/v1/exceptions/{first['id']}/claim", {}, csrf=False)
    check(no_csrf["status"] == 403, f"claim without the CSRF token: {no_csrf['status']}")
    bad_csrf = alice.call("POST", f"/api/v1/exceptions/{first['id']}/claim", {}, csrf=False,
                          headers={"X-CSRF-Token": "guess"})
    check(bad_csrf["status"] == 403, "claim with a wrong CSRF token: 403")

    # --- another team ---------------------------------------------------------------------------
    bob = Client(port)
    check(bob.sign_in("bob", "correct horse battery")["status"] == 200, "bob signs in")
    check(bob.call("GET", "/api/v1/exceptions")["json"]["total"] == 0, "bob's team has nothing")
    check(bob.call("GET", f"/api/v1/exceptions/{first['id']}")["status"] == 404, "another team's item: 404")
    check(bob.call("POST", f"/api/v1/exceptions/{first['id']}/claim", {})["status"] == 404, "claiming it: 404")
    check(bob.call("POST", f"/api/v1/exceptions/{first['id']}/resolve", {"choice": "waste"})["status"] == 404,
          "answering it: 404")

    # --- clearing: claim, resolve, and the item finishes ------------------------------------------
    claimed = alice.call("POST", f"/api/v1/exceptions/{first['id']}/claim", {})
    check(claimed["status"] == 200 and claimed["json"]["claimed_by"] == "alice", "alice claims")
    carol = Client(port)
    check(carol.sign_in("carol", "correct horse battery")["status"] == 200, "carol (admin) signs in")
    check(carol.call("POST", f"/api/v1/exceptions/{first['id']}/claim", {})["status"] == 409,
          "a claimed item cannot be taken by another: 409")
    check(alice.call("POST", f"/api/v1/exceptions/{first['id']}/resolve", {"choice": "parking"})["status"] == 400,
          "a choice not offered: 400")
    refused = alice.call("POST", f"/api/v1/exceptions/{first['id']}/resolve", {"fields": {"topic": "parking"}})
    check(refused["status"] == 400 and "not one of the accepted values" in (refused["json"] or {}).get("error", ""),
          f"a typed answer the step itself would refuse: 400 with the step's reason: {refused['json']}")
    resolved = alice.call("POST", f"/api/v1/exceptions/{first['id']}/resolve", {"choice": "waste"})
    check(resolved["status"] == 200 and resolved["json"]["item_id"] == items[0], "alice answers")
    done = wait_for(lambda: alice.call("GET", f"/api/v1/items/{items[0]}")["json"]["state"] == "done",
                    "the answered item to finish")
    check(done, "the item resumes and finishes")
    trail = alice.call("GET", f"/api/v1/items/{items[0]}")["json"]["events"]
    answer_event = next((e for e in trail if e["kind"] == "resolved"), None)
    check(answer_event and answer_event["actor"] == "alice" and answer_event["detail"].get("address") == "127.0.0.1",
          "the answer is in the audit trail with who and from where")
    check(alice.call("POST", f"/api/v1/exceptions/{first['id']}/resolve", {"choice": "waste"})["status"] == 409,
          "answering twice: 409")
    check(alice.call("GET", f"/api/v1/items/{items[3]}")["status"] == 404,
          "an operator cannot browse items they never worked on")
    check(alice.call("GET", "/api/v1/items")["status"] == 403, "listing all items needs a lead")
    check(items[4] in [i["id"] for i in carol.call("GET", "/api/v1/items?state=done")["json"]["items"]],
          "an admin lists items; the known topic went straight through")

    # --- next, reject, reassign ----------------------------------------------------------------
    nxt = alice.call("POST", "/api/v1/exceptions/next", {})
    check(nxt["status"] == 200 and nxt["json"]["item_id"] == items[1] and nxt["json"]["claimed_by"] == "alice",
          "next gives the next open item, claimed")
    check(alice.call("POST", f"/api/v1/exceptions/{nxt['json']['id']}/reject", {})["status"] == 400,
          "a rejection needs a reason")
    # From a peer that is not a trusted proxy, X-Forwarded-For is ignored: the audit trail
    # has the peer's own address.
    around = Client(port, source="127.0.0.2", forwarded_for="192.0.2.99")
    around.cookie, around.csrf = alice.cookie, alice.csrf
    rejected = around.call("POST", f"/api/v1/exceptions/{nxt['json']['id']}/reject", {"reason": "spam"})
    check(rejected["status"] == 200, "alice rejects the hostile form")
    rejection = next((e for e in alice.call("GET", f"/api/v1/items/{items[1]}")["json"]["events"]
                      if e["kind"] == "rejected"), {})
    check(rejection.get("detail", {}).get("address") == "127.0.0.2",
          f"X-Forwarded-For from an untrusted peer is ignored: {rejection}")
    check(alice.call("GET", f"/api/v1/items/{items[1]}")["json"]["state"] == "cancelled", "rejected: cancelled")
    third = next(i for i in queue if i["item_id"] == items[2])
    moved = alice.call("POST", f"/api/v1/exceptions/{third['id']}/reassign", {"team": "housing", "reason": "noise"},
                       headers={"X-Forwarded-For": "6.6.6.6, 192.0.2.44"})
    check(moved["status"] == 204, "alice passes an item to housing")
    passed = next((e for e in alice.call("GET", f"/api/v1/items/{items[2]}")["json"]["events"]
                   if e["kind"] == "reassigned"), {})
    check(passed.get("detail", {}).get("address") == "192.0.2.44",
          f"behind the trusted proxy the audit trail has the client's address: {passed}")
    check([i["id"] for i in bob.call("GET", "/api/v1/exceptions")["json"]["items"]] == [third["id"]],
          "bob now sees it")
    check(alice.call("GET", f"/api/v1/exceptions/{third['id']}")["status"] == 404, "and alice no longer does")

    # --- API token: no CSRF needed, acts as its user ---------------------------------------------
    machine = Client(port, token=api_token)
    fourth = next(i for i in queue if i["item_id"] == items[3])
    check(machine.call("GET", "/api/v1/exceptions")["json"]["total"] == 1, "the token sees alice's team")
    check(machine.call("POST", f"/api/v1/exceptions/{fourth['id']}/resolve", {"choice": "housing"})["status"] == 200,
          "a machine answers with its token")
    check(Client(port, token="x" * 43).call("GET", "/api/v1/exceptions")["status"] == 401, "an unknown token: 401")
    check(alice.call("POST", "/api/v1/exceptions/next", {})["status"] == 204, "an empty queue: next gives 204")

    # --- API tokens are listed by id, expire and can be revoked -------------------------------------
    token_id = hashlib.sha256(api_token.encode()).hexdigest()[:12]
    expiring = clerk("user", "token", "alice", "--label", "nightly", "--expires", "30d")
    check(expiring.returncode == 0 and "expires" in expiring.stderr, f"a token with an expiry: {expiring.stderr}")
    listed = clerk("user", "tokens", "alice")
    check(listed.returncode == 0 and token_id in listed.stdout and "portal" in listed.stdout
          and "never expires" in listed.stdout, f"clerk user tokens lists id, label, expiry: {listed.stdout}")
    check(api_token not in listed.stdout and expiring.stdout.strip() not in listed.stdout,
          "clerk user tokens never shows a secret")
    tokens = json.loads(clerk("user", "tokens", "alice", "--json").stdout or "[]")
    nightly = next((t for t in tokens if t["label"] == "nightly"), {})
    check(nightly.get("expires_at") and nightly.get("created_at") and nightly.get("revoked_at") is None,
          f"clerk user tokens --json: {tokens}")
    check(Client(port, token=expiring.stdout.strip()).call("GET", "/api/v1/session")["status"] == 200,
          "a token before its expiry works")
    revoked = clerk("user", "revoke", token_id)
    check(revoked.returncode == 0, f"clerk user revoke: {revoked.stderr}")
    check(machine.call("GET", "/api/v1/exceptions")["status"] == 401, "a revoked token: 401")
    check(clerk("user", "revoke", "000000000000").returncode != 0, "revoking an unknown token fails")
    teams = carol.call("GET", "/api/v1/teams")["json"]["teams"]
    check({t["team"]: t["open"] for t in teams}.get("housing") == 1, "teams with their queue sizes")
    seen_by_bob = {t["team"]: t for t in bob.call("GET", "/api/v1/teams")["json"]["teams"]}
    check(seen_by_bob.get("housing", {}).get("open") == 1 and seen_by_bob.get("post-room") == {"team": "post-room"},
          f"a person sees every team's name but only their own team's figures: {seen_by_bob}")
    bots = carol.call("GET", "/api/v1/bots")["json"]["bots"]
    check(bots and bots[0]["name"] == "topics" and bots[0]["cancelled"] == 1, "bots with their counts")

    # --- the dashboard and /metrics ------------------------------------------------------------
    dashboard = carol.call("GET", "/api/v1/dashboard?days=7")
    check(dashboard["status"] == 200, "GET /api/v1/dashboard")
    figures = {b["bot"]: b for b in dashboard["json"]["bots"]}.get("topics", {})
    check(figures.get("arrived") == 5 and figures.get("straight_through") == 1 and figures.get("to_person") == 4,
          f"dashboard counts: {figures}")
    check(figures.get("hours_saved") == 0.1, "hours saved: 1 item x 6 minutes")
    check(carol.call("GET", "/api/v1/dashboard?days=nine")["status"] == 400, "dashboard days must be a number")
    check({q["team"] for q in dashboard["json"]["queues"]} >= {"post-room", "housing"},
          f"an admin's dashboard shows every team's queue: {dashboard['json']['queues']}")
    learning = dashboard["json"]["learning"]
    check(learning == [{"kind": "match", "bot": "voters", "step": "person", "answered": 0, "min_answers": 8,
                        "more_needed": 8, "every": 20, "next_challenger_at": 20, "model": None, "version": None,
                        "last_challenger": None}],
          f"an admin's dashboard shows the learning match step, on the bot file's weights: {learning}")

    # --- team separation on every route ---------------------------------------------------------
    seen = bob.call("GET", "/api/v1/dashboard?days=7")["json"]
    check([q["team"] for q in seen["queues"]] == ["housing"] and seen["bots"] == [] and seen["days"] == [],
          f"bob's dashboard has his own team's queue and no other team's bot: {seen['queues']} {seen['bots']}")
    check(seen["reasons"] == [] and seen["live_precision"] == [] and seen["learning"] == [],
          f"nor why another team's items went to people: {seen['reasons']}")
    check(seen.get("notices") == [], f"nor another team's notices: {seen.get('notices')}")
    seen = alice.call("GET", "/api/v1/dashboard?days=7")["json"]
    check({q["team"] for q in seen["queues"]} == {"post-room"} and [b["bot"] for b in seen["bots"]] == ["topics"],
          f"alice's dashboard has her team's queue and bot: {seen['queues']}")
    check(seen["learning"] == [], f"nor another team's learning match step: {seen['learning']}")
    check({r["bot"] for r in seen["reasons"]} == {"topics"} and sum(r["opened"] for r in seen["reasons"]) > 0,
          f"alice's dashboard says why her bot's items went to people: {seen['reasons']}")
    check(bob.call("GET", "/api/v1/bots")["json"]["bots"] == [], "bob lists no other team's bots")
    check([b["name"] for b in alice.call("GET", "/api/v1/bots")["json"]["bots"]] == ["topics"],
          "alice lists her team's bot")
    erin = Client(port)
    check(erin.sign_in("erin", "correct horse battery")["status"] == 200, "erin (housing lead) signs in")
    check(erin.call("GET", "/api/v1/items")["json"]["items"] == [], "a lead lists no other team's items")
    check(erin.call("GET", "/api/v1/items?bot=topics")["json"]["items"] == [], "not even by naming the bot")
    check(erin.call("GET", f"/api/v1/items/{items[4]}")["status"] == 404, "another team's item reads as missing")
    frank = Client(port)
    check(frank.sign_in("frank", "correct horse battery")["status"] == 200, "frank (post-room lead) signs in")
    check(len(frank.call("GET", "/api/v1/items")["json"]["items"]) == 5, "a lead lists their team's items")
    check(frank.call("GET", f"/api/v1/items/{items[4]}")["status"] == 200, "and reads them")
    metrics = anonymous.call("GET", "/metrics")
    check(metrics["status"] == 200 and metrics["headers"]["content-type"].startswith("text/plain; version=0.0.4"),
          "/metrics in the Prometheus text format")
    text = metrics["raw"].decode()
    check('clerk_items_arrived_total{bot="topics"} 5' in text, "/metrics counts arrivals")
    check('clerk_exceptions_by_reason_total{bot="topics",' in text, "/metrics breaks exceptions down by reason")
    promtool = shutil.which("promtool")
    if check(promtool is not None, "promtool is installed (scripts/install-deps.sh --test)"):
        linted = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        check(linted.returncode == 0, "promtool check metrics: " + linted.stdout + linted.stderr)

    # --- guessing is slowed down, per name and address -------------------------------------------
    guesser = Client(port)
    statuses = [guesser.sign_in("carol", f"guess number {n}")["status"] for n in range(7)]
    check(statuses == [401] * 5 + [429] * 2, f"after 5 failures sign-in is slowed: {statuses}")
    slowed = guesser.sign_in("carol", "correct horse battery")
    check(slowed["status"] == 429 and int(slowed["headers"].get("retry-after", "0")) > 0,
          "even the right password waits, with Retry-After")
    # Attempts refused while slowed do not extend the wait: after Retry-After, one more try.
    for _ in range(10):
        guesser.sign_in("carol", "guess again")
    wait = int(guesser.sign_in("carol", "guess again")["headers"].get("retry-after", "0"))
    check(0 < wait <= 1, f"hammering does not lengthen the wait: Retry-After {wait}")
    time.sleep(wait + 0.2)
    allowed = Client(port).sign_in("carol", "correct horse battery")
    check(allowed["status"] == 200, f"after the wait the right password signs in: {allowed['status']}")

    # A stranger elsewhere cannot lock alice out: six bad passwords from another address,
    # again and again, and alice still signs in from hers (the proxy names both addresses).
    stranger = Client(port, forwarded_for="203.0.113.66")
    for _ in range(3):
        statuses = [stranger.sign_in("alice", f"guess {n}")["status"] for n in range(6)]
        at_desk = Client(port, forwarded_for="198.51.100.10").sign_in("alice", "correct horse battery")
        check(at_desk["status"] == 200, f"alice signs in while a stranger guesses ({statuses}): {at_desk['status']}")
    check(statuses[-1] == 429, f"the stranger is slowed: {statuses}")
    # Trying many names from one address: after 50 failures that address waits too, and what
    # it sends meanwhile is not written anywhere.
    sprayer = Client(port, forwarded_for="203.0.113.77")
    statuses = [sprayer.sign_in(f"name{n}", "guess it")["status"] for n in range(56)]
    check(statuses == [401] * 50 + [429] * 6, f"one address trying many names is slowed: {statuses[45:]}")
    check(Client(port, forwarded_for="198.51.100.10").sign_in("alice", "correct horse battery")["status"] == 200,
          "and no one elsewhere")
    # Behind the proxy the stranger's own address is what counts, not the proxy's.
    check(Client(port).sign_in("alice", "correct horse battery")["status"] == 200,
          "the proxy's own address is not slowed down by the clients behind it")

    # --- clearing junk: every undecided item of a bot, in the caller's team ---------------------------
    for n in (6, 7):
        check(hook.call("POST", "/hooks/topics", {"topic": f"junk {n}", "n": n})["status"] == 202, f"junk form {n}")
    junk = wait_for(lambda: alice.call("GET", "/api/v1/exceptions?bot=topics")["json"]["total"] == 2,
                    "two junk forms to need a person")
    check(junk, "two junk forms wait in alice's queue")
    check(alice.call("POST", "/api/v1/exceptions/reject", {"reason": "junk"})["status"] == 400, "reject all needs a bot")
    check(alice.call("POST", "/api/v1/exceptions/reject", {"bot": "topics"})["status"] == 400, "and a reason")
    check(alice.call("POST", "/api/v1/exceptions/reject", {"bot": "topics", "reason": "junk"}, csrf=False)["status"]
          == 403, "reject all without the CSRF token: 403")
    check(alice.call("POST", "/api/v1/exceptions/reject", {"bot": "topics", "reason": "junk", "team": "housing"})
          ["status"] == 403, "reject all in another team's queue: 403")
    cleared = alice.call("POST", "/api/v1/exceptions/reject", {"bot": "topics", "reason": "test forms"})
    check(cleared["status"] == 200 and len(cleared["json"]["rejected"]) == 2 and cleared["json"]["not_rejected"] == [],
          f"alice rejects her team's two junk items: {cleared['json']}")
    check(alice.call("GET", "/api/v1/exceptions")["json"]["total"] == 0, "alice's queue is empty")
    check(bob.call("GET", "/api/v1/exceptions")["json"]["total"] == 1, "bob's team's item of the same bot is left")
    check(all(alice.call("GET", f"/api/v1/items/{r['item_id']}")["json"]["state"] == "cancelled"
              for r in cleared["json"]["rejected"]), "the rejected junk items are cancelled")

    # --- a path a webhook body names is never shown ----------------------------------------------------
    # A real picture on the server, outside every folder of the bot: the item still goes to
    # a person (its topic is unknown), but the scan view shows nothing of the file.
    secret = os.path.join(os.path.dirname(db), "not-a-scan.png")
    with open(secret, "wb") as f:
        f.write(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                              "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"))
    check(hook.call("POST", "/hooks/topics", {"topic": "snooping", "n": 8, "file": secret})["status"] == 202,
          "a form naming a file on the server is taken as data")
    snooped = wait_for(lambda: alice.call("GET", "/api/v1/exceptions?reason=not%20one")["json"]["total"] == 1,
                       "the form to need a person")
    check(snooped, "the form naming a file waits for a person")
    question = alice.call("GET", "/api/v1/exceptions")["json"]["items"][0]
    shown = alice.call("GET", f"/api/v1/exceptions/{question['id']}")["json"]
    check(shown["document"] is None, f"its detail shows no document: {shown.get('document')}")
    check(alice.call("GET", f"/api/v1/exceptions/{question['id']}/document")["status"] == 404,
          "the file it names is not rendered: 404")

    # --- signing out ------------------------------------------------------------------------------
    out = alice.call("DELETE", "/api/v1/session")
    check(out["status"] == 204 and "Max-Age=0" in out["headers"].get("set-cookie", ""), "sign out clears the cookie")
    check(alice.call("GET", "/api/v1/exceptions")["status"] == 401, "the old cookie no longer works")
    password_change = clerk("user", "passwd", "bob", "--password-file", os.devnull)
    check(password_change.returncode != 0, "an empty new password is refused")
    disabled = clerk("user", "disable", "bob")
    check(disabled.returncode == 0, "clerk user disable")
    check(bob.call("GET", "/api/v1/exceptions")["status"] == 401, "a disabled person is signed out")


def run_proxy_checks(port, log_path):
    proxy = Client(port)                   # the single sign-on proxy, a trusted peer
    around = Client(port, source="127.0.0.2")  # someone reaching the port around it
    forged = around.call("GET", "/api/v1/session", headers={"X-Remote-User": "carol"})
    check(forged["status"] == 401, f"the trusted user header from an untrusted peer: {forged['status']}, expected 401")
    check(around.call("GET", "/api/v1/exceptions", headers={"X-Remote-User": "carol"})["status"] == 401,
          "and on every route")
    time.sleep(0.2)
    with open(log_path) as f:
        log = f.read()
    check("<4>" in log and "not a --trusted-proxy" in log and "127.0.0.2" in log,
          "the refused trusted header is a warning in the log")
    via_proxy = proxy.call("GET", "/api/v1/session", headers={"X-Remote-User": "carol"})
    check(via_proxy["status"] == 200 and via_proxy["json"]["user"]["name"] == "carol",
          f"the trusted user header from the proxy signs carol in: {via_proxy['status']}")
    cookie = via_proxy["headers"].get("set-cookie", "")
    check(cookie.startswith("__Host-clerk_session=") and "Secure" in cookie and "Path=/" in cookie
          and "Domain" not in cookie, f"behind a TLS proxy the cookie is __Host- and Secure: {cookie}")
    signed = Client(port).sign_in("alice", "correct horse battery")
    cookie = signed["headers"].get("set-cookie", "")
    check(signed["status"] == 200 and cookie.startswith("__Host-clerk_session=") and "; Secure" in cookie,
          f"a password sign-in behind a TLS proxy gets the __Host- cookie: {cookie}")


if __name__ == "__main__":
    main()
