#!/usr/bin/env python3
"""Slow work off the HTTP thread, against a real `clerk serve` on loopback.

A webhook bot's item waits for a person with a document of 200-inch-square pages (each
rendered at the viewer's 100 Mpx limit, seconds of work). The checks: a page is rendered
once and then comes from the cache (X-Clerk-Render), byte for byte the same; a deferred
answer has the headers every answer has; /healthz answers while a page renders (order,
not time: the health answer arrives while the render's has not); answers on one
connection keep their order and the connection keeps working, with and without
keep-alive; past --pool-queue the answer is 503 with Retry-After; sign-in, whose password
check runs on the pool too, still signs in, refuses, and slows guessing per name and
address; a body over the limit is refused from its headers (or as its chunks arrive),
before it is buffered.

Usage: render_test.py CLERK_BINARY
"""
import http.client
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from big_pdf import write_pdf  # noqa: E402

CLERK = os.path.abspath(sys.argv[1])
PAGES = 12
POOL_QUEUE = 4
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


def call(port, method, path, body=None, headers=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body)
        sent["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    raw = response.read()
    if own:
        connection.close()
    return {"status": response.status, "headers": {k.lower(): v for k, v in response.getheaders()}, "raw": raw}


def raw_request(path, cookie, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: clerk\r\nCookie: {cookie}\r\n{extra}\r\n".encode()


def read_answers(sock, count):
    """Reads `count` HTTP answers off `sock`: [(status, headers dict, body)]."""
    data = b""
    answers = []
    while len(answers) < count:
        match = re.match(rb"HTTP/1\.1 (\d{3}) [^\r]*\r\n((?:[^\r]+\r\n)*)\r\n", data)
        if match:
            headers = {}
            for line in match.group(2).split(b"\r\n"):
                if line:
                    name, _, value = line.partition(b":")
                    headers[name.decode().lower()] = value.strip().decode()
            length = int(headers.get("content-length", "0"))
            end = match.end() + length
            if len(data) >= end:
                answers.append((int(match.group(1)), headers, data[match.end():end]))
                data = data[end:]
                continue
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    return answers


def main():
    work = tempfile.mkdtemp(prefix="clerk-render-test-")
    db = os.path.join(work, "clerk.db")
    docs = os.path.join(work, "scans")
    os.mkdir(docs)
    document = write_pdf(os.path.join(docs, "plan.pdf"), PAGES)
    bot = os.path.join(work, "scans.yaml")
    with open(bot, "w") as f:
        f.write(f"""name: scans
version: "1"
owner_team: post-room
manual_minutes: 6
allowed_paths: [{docs}]
trigger:
  webhook:
    token: ${{env:SCANS_HOOK_TOKEN}}
exceptions:
  team: post-room
  sla: 1h
steps:
  - id: look
    type: require
    params:
      value: "{{{{ input.topic }}}}"
      field: topic
      one_of: [council-tax]
      choices: [council-tax]
      reason: A person looks at the scan
""")
    password_file = os.path.join(work, "password")
    with open(password_file, "w") as f:
        f.write("correct horse battery\n")
    added = subprocess.run([CLERK, "user", "add", "alice", "--team", "post-room", "--role", "operator",
                            "--password-file", password_file, "--db", db], capture_output=True, text=True, timeout=60)
    check(added.returncode == 0, f"clerk user add: {added.stderr}")

    port = free_port()
    env = dict(os.environ, SCANS_HOOK_TOKEN="hook-secret-456")
    log = open(os.path.join(work, "serve.log"), "w")
    serve = subprocess.Popen([CLERK, "serve", bot, "--db", db, "--workers", "1", "--listen", f"127.0.0.1:{port}",
                              "--trusted-proxy", "127.0.0.1", "--pool-threads", "1", "--pool-queue", str(POOL_QUEUE)],
                             stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if call(port, "GET", "/healthz")["status"] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        run_checks(port, document)
    finally:
        serve.terminate()
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()
    with open(os.path.join(work, "serve.log")) as f:
        served_log = f.read()
    check("correct horse" not in served_log, "no password in the service log")
    if failures:
        print(served_log[-4000:])
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("all render checks passed")


def run_checks(port, document):
    # --- sign-in: the password check runs on the pool ---------------------------------------
    signed = call(port, "POST", "/api/v1/session", {"name": "alice", "password": "correct horse battery"})
    check(signed["status"] == 200 and "set-cookie" in signed["headers"], f"alice signs in: {signed['status']}")
    check(signed["headers"].get("x-content-type-options") == "nosniff"
          and "default-src 'self'" in signed["headers"].get("content-security-policy", "")
          and signed["headers"].get("content-length") == str(len(signed["raw"])),
          f"a deferred sign-in answer has its security headers and length: {signed['headers']}")
    cookie = signed["headers"]["set-cookie"].split(";")[0]
    unknown = call(port, "POST", "/api/v1/session", {"name": "nobody", "password": "correct horse battery"})
    wrong = call(port, "POST", "/api/v1/session", {"name": "alice", "password": "wrong password 1"})
    check(unknown["status"] == 401 and wrong["status"] == 401 and unknown["raw"] == wrong["raw"],
          "an unknown name and a wrong password get the same 401")
    guesser = {"X-Forwarded-For": "198.51.100.7"}
    statuses = [call(port, "POST", "/api/v1/session", {"name": "alice", "password": f"guess number {n}"},
                     headers=guesser)["status"] for n in range(6)]
    slowed = call(port, "POST", "/api/v1/session", {"name": "alice", "password": "correct horse battery"},
                  headers=guesser)
    check(statuses[:5] == [401] * 5 and statuses[5] == 429 and slowed["status"] == 429
          and "retry-after" in slowed["headers"],
          f"guessing alice's password from one address is slowed: {statuses}, then {slowed['status']}")
    elsewhere = call(port, "POST", "/api/v1/session", {"name": "alice", "password": "correct horse battery"},
                     headers={"X-Forwarded-For": "203.0.113.9"})
    check(elsewhere["status"] == 200, f"alice still signs in from elsewhere: {elsewhere['status']}")

    # --- an item waiting for a person, with the document --------------------------------------
    queued = call(port, "POST", "/hooks/scans", {"topic": "unknown", "file": document},
                  headers={"Authorization": "Bearer hook-secret-456"})
    check(queued["status"] == 202, f"the webhook queues the scan: {queued['status']} {queued['raw'][:200]}")
    me = {"Cookie": cookie}
    exception_id = None
    deadline = time.time() + 60
    while time.time() < deadline and exception_id is None:
        listed = call(port, "GET", "/api/v1/exceptions", headers=me)
        items = json.loads(listed["raw"]).get("items", []) if listed["status"] == 200 else []
        exception_id = items[0]["id"] if items else None
        time.sleep(0.2)
    if not check(exception_id is not None, "the scan waits for a person"):
        return
    page_path = f"/api/v1/exceptions/{exception_id}/document?page="

    # --- rendered once, then from the cache ---------------------------------------------------
    first = call(port, "GET", page_path + "1", headers=me)
    second = call(port, "GET", page_path + "1", headers=me)
    check(first["status"] == 200 and first["raw"].startswith(b"\x89PNG\r\n\x1a\n"),
          f"page 1 is a PNG: {first['status']} {first['raw'][:60]}")
    check(first["headers"].get("x-clerk-render") == "rendered" and second["headers"].get("x-clerk-render") == "cached",
          f"page 1 is rendered, then cached: {first['headers'].get('x-clerk-render')}, "
          f"{second['headers'].get('x-clerk-render')}")
    check(second["raw"] == first["raw"], "the cached page is the same PNG")
    for name, answer in [("rendered", first), ("cached", second)]:
        headers = answer["headers"]
        check(headers.get("content-type") == "image/png" and headers.get("content-length") == str(len(answer["raw"]))
              and headers.get("x-content-type-options") == "nosniff" and headers.get("x-frame-options") == "DENY"
              and "frame-ancestors 'none'" in headers.get("content-security-policy", "")
              and headers.get("cache-control") == "private, max-age=300",
              f"the {name} page's headers: {headers}")
    missing = call(port, "GET", page_path + str(PAGES + 1), headers=me)
    check(missing["status"] == 404, f"a page past the end: 404, got {missing['status']}")

    # --- /healthz answers while a page renders ------------------------------------------------
    rendering = socket.create_connection(("127.0.0.1", port), timeout=120)
    rendering.sendall(raw_request(page_path + "2", cookie))
    health = call(port, "GET", "/healthz")
    still_rendering = not select.select([rendering], [], [], 0)[0]
    check(health["status"] == 200 and still_rendering,
          "/healthz answers while page 2 renders, before the page's answer arrives")
    answers = read_answers(rendering, 1)
    check(len(answers) == 1 and answers[0][0] == 200 and answers[0][1].get("x-clerk-render") == "rendered",
          "then page 2 arrives")
    rendering.close()

    # --- one connection: order kept, shared render, keep-alive and close --------------------------
    piped = socket.create_connection(("127.0.0.1", port), timeout=120)
    piped.sendall(raw_request(page_path + "3", cookie) + raw_request("/healthz", cookie)
                  + raw_request(page_path + "3", cookie) + raw_request(page_path + "1", cookie, "Connection: close\r\n"))
    answers = read_answers(piped, 4)
    closed = piped.recv(1) == b""
    piped.close()
    check([a[0] for a in answers] == [200, 200, 200, 200] and answers[1][2] == b"ok\n"
          and answers[0][2] == answers[2][2] and answers[0][2].startswith(b"\x89PNG")
          and answers[3][2] == first["raw"],
          f"pipelined answers come in the requests' order: {[(a[0], len(a[2])) for a in answers]}")
    check(answers[0][1].get("x-clerk-render") == "rendered" and answers[2][1].get("x-clerk-render") == "rendered"
          and answers[3][1].get("x-clerk-render") == "cached",
          "two requests for a page being rendered share the one render")
    check(answers[3][1].get("connection") == "close" and closed,
          "a request asking to close gets Connection: close, and the connection is closed after it")
    kept = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    page4 = call(port, "GET", page_path + "4", headers=me, connection=kept)
    after = call(port, "GET", "/healthz", connection=kept)
    again = call(port, "GET", page_path + "4", headers=me, connection=kept)
    kept.close()
    check(page4["status"] == 200 and after["status"] == 200 and after["raw"] == b"ok\n"
          and again["headers"].get("x-clerk-render") == "cached" and again["raw"] == page4["raw"],
          "a kept-alive connection keeps working after a deferred answer")

    # --- past --pool-queue: 503 with Retry-After ------------------------------------------------
    pages = range(5, 5 + POOL_QUEUE + 3)
    sockets = []
    for page in pages:
        s = socket.create_connection(("127.0.0.1", port), timeout=180)
        s.sendall(raw_request(page_path + str(page), cookie))
        sockets.append(s)
    outcomes = []
    for s in sockets:
        answers = read_answers(s, 1)
        s.close()
        outcomes.append(answers[0] if answers else (0, {}, b""))
    busy = [o for o in outcomes if o[0] == 503]
    check(len(busy) >= 1 and all("retry-after" in o[1] and json.loads(o[2])["code"] == "busy" for o in busy),
          f"renders past the pool's queue get 503 with Retry-After: {[o[0] for o in outcomes]}")
    # The queued ones are rendered (on a slow build the last may meet the 20 s time limit).
    check(all(o[0] in (200, 503) for o in outcomes) and outcomes[0][0] == 200,
          f"the renders in the queue are answered: {[o[0] for o in outcomes]}")
    check(call(port, "GET", "/healthz")["status"] == 200, "/healthz after the flood")

    # --- bodies too large are refused as they arrive ----------------------------------------------
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"POST /hooks/scans HTTP/1.1\r\nHost: clerk\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000000000\r\n\r\n")
        answers = read_answers(s, 1)  # no byte of the body was sent
        closed = s.recv(1) == b""
    check(len(answers) == 1 and answers[0][0] == 413 and answers[0][1].get("connection") == "close"
          and answers[0][1].get("x-content-type-options") == "nosniff" and closed
          and json.loads(answers[0][2])["code"] == "too_large",
          f"a declared 1 GB body is refused from its headers, and the connection closed: {answers}")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: clerk\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + b"1800\r\n" + b"x" * 6144 + b"\r\n" + b"1800\r\n" + b"x" * 100)
        answers = read_answers(s, 1)
    check(len(answers) == 1 and answers[0][0] == 413, "a chunked sign-in past 8 KiB is refused as it arrives")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        body = json.dumps({"topic": "unknown", "n": 2}).encode()
        s.sendall(b"POST /hooks/scans HTTP/1.1\r\nHost: clerk\r\nAuthorization: Bearer hook-secret-456\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
                  + b"GET /healthz HTTP/1.1\r\nHost: clerk\r\n\r\n")
        answers = read_answers(s, 2)
    check([a[0] for a in answers] == [202, 200], f"a body within the limit, then a request on the same connection: "
          f"{[a[0] for a in answers]}")


if __name__ == "__main__":
    main()
