#!/usr/bin/env python3
"""/healthz latency while `clerk serve` renders document pages (issue 12's target: p99
under 50 ms while 20 page renders of a 200-inch-square PDF page run).

Writes a PDF by hand (tests/server/big_pdf.py: pages of 14400 x 14400 points with drawn
content, each rendered at the viewer's 100 Mpx limit), starts a real `clerk serve` with a
webhook bot whose item waits for a person with that document (the file lies under the
bot's allowed_paths), signs a person in, fires RENDERS concurrent requests for distinct
pages, and while they run asks /healthz SAMPLES times, one new connection each, paced
PACE_MS apart. Prints p50, p99 and max of /healthz, how many samples were taken while
renders were still running, and the renders' own times and statuses (a render still
waiting after the pool's 20 s time limit is answered 503).

Usage: healthz_under_render.py CLERK [--renders 20] [--samples 500] [--pace-ms 10]
       [--pool-threads N] [--pool-queue N]
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "server"))
from big_pdf import write_pdf  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body)
        sent["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, raw


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clerk")
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--pace-ms", type=float, default=10)
    parser.add_argument("--pool-threads", type=int, default=2)
    parser.add_argument("--pool-queue", type=int, default=32)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="clerk-healthz-bench-")
    db = os.path.join(work, "clerk.db")
    docs = os.path.join(work, "scans")
    os.mkdir(docs)
    document = write_pdf(os.path.join(docs, "plan.pdf"), args.renders)
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
steps:
  - id: look
    type: require
    params:
      value: "{{{{ input.topic }}}}"
      field: topic
      one_of: [council-tax]
      reason: A person looks at the scan
""")
    password_file = os.path.join(work, "password")
    with open(password_file, "w") as f:
        f.write("bench password 123\n")
    subprocess.run([args.clerk, "user", "add", "reader", "--team", "post-room", "--password-file", password_file,
                    "--db", db], check=True, capture_output=True, timeout=60)
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "w")
    serve = subprocess.Popen([args.clerk, "serve", bot, "--db", db, "--workers", "1",
                              "--listen", f"127.0.0.1:{port}", "--pool-threads", str(args.pool_threads),
                              "--pool-queue", str(args.pool_queue)],
                             stdout=log, stderr=subprocess.STDOUT,
                             env=dict(os.environ, SCANS_HOOK_TOKEN="bench-hook-token"))
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if call(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, headers, _ = call(port, "POST", "/api/v1/session", {"name": "reader", "password": "bench password 123"})
        assert status == 200, f"sign-in: {status}"
        cookie = {"Cookie": headers["set-cookie"].split(";")[0]}
        status, _, raw = call(port, "POST", "/hooks/scans", {"topic": "unknown", "file": document},
                              headers={"Authorization": "Bearer bench-hook-token"})
        assert status == 202, f"webhook: {status} {raw[:200]}"
        exception_id = None
        while exception_id is None and time.time() < deadline + 30:
            status, _, raw = call(port, "GET", "/api/v1/exceptions", headers=cookie)
            items = json.loads(raw)["items"] if status == 200 else []
            exception_id = items[0]["id"] if items else None
            time.sleep(0.1)
        assert exception_id is not None, "the item never reached the queue"

        renders = []
        lock = threading.Lock()

        def render(page):
            started = time.perf_counter()
            status, headers, body = call(port, "GET", f"/api/v1/exceptions/{exception_id}/document?page={page}",
                                         headers=cookie)
            with lock:
                renders.append((time.perf_counter() - started, status, headers.get("x-clerk-render"), len(body)))

        threads = [threading.Thread(target=render, args=(page,)) for page in range(1, args.renders + 1)]
        render_start = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(0.2)  # every render request is in
        latencies = []
        during = 0
        for _ in range(args.samples):
            started = time.perf_counter()
            status, _, _ = call(port, "GET", "/healthz")
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200
            with lock:
                during += len(renders) < args.renders
            time.sleep(args.pace_ms / 1000)
        for thread in threads:
            thread.join()
        all_done = time.perf_counter() - render_start
    finally:
        serve.terminate()
        serve.wait(timeout=120)
        log.close()

    times = [r[0] for r in renders]
    print(f"{args.renders} concurrent renders of distinct {14400}x{14400} pt pages, pool of {args.pool_threads} "
          f"threads, on {os.cpu_count()} cores")
    counted = {}
    for r in renders:
        counted[(r[1], r[2] or "-")] = counted.get((r[1], r[2] or "-"), 0) + 1
    print("  render answers: " + ", ".join(f"{n} x {status} {how}" for (status, how), n in sorted(counted.items()))
          + " (503: past the pool's 20 s time limit or its queue)")
    print(f"  render answer time: p50 {percentile(times, 0.5):.2f} s, max {max(times):.2f} s; all done in "
          f"{all_done:.2f} s")
    print(f"/healthz, {len(latencies)} requests (new connection each, {args.pace_ms:g} ms apart), "
          f"{during} of them while renders were running:")
    print(f"  p50 {percentile(latencies, 0.5):.2f} ms, p99 {percentile(latencies, 0.99):.2f} ms, "
          f"max {max(latencies):.2f} ms")
    target = percentile(latencies, 0.99) < 50 and during == len(latencies)
    print("target (p99 < 50 ms, every sample during the renders):", "met" if target else "NOT met")


if __name__ == "__main__":
    main()
