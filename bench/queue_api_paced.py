#!/usr/bin/env python3
"""Sends GET requests at a fixed rate over keep-alive connections and prints latency
percentiles, counting from each request's scheduled start (so a slow server cannot hide
queueing delay by slowing the client: no coordinated omission)."""
import argparse
import http.client
import random
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--cookie", required=True)
parser.add_argument("--rate", type=float, default=500)
parser.add_argument("--seconds", type=float, default=15)
parser.add_argument("--path", required=True)
parser.add_argument("--ids", default="")
parser.add_argument("--label", default="")
parser.add_argument("--connections", type=int, default=8)
args = parser.parse_args()

low, high = (int(x) for x in args.ids.split(":")) if args.ids else (0, 0)
latencies = []
errors = [0]
lock = threading.Lock()
start = time.perf_counter() + 0.2
per_connection = args.rate / args.connections
total_per_connection = int(per_connection * args.seconds)


def run(index):
    rng = random.Random(index)
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    mine = []
    for n in range(total_per_connection):
        due = start + (n + index / args.connections) / per_connection
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        path = args.path.replace("{id}", str(rng.randint(low, high)))
        try:
            connection.request("GET", path, headers={"Cookie": args.cookie})
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            ok = False
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        mine.append(time.perf_counter() - due)
        if not ok:
            with lock:
                errors[0] += 1
    with lock:
        latencies.extend(mine)


threads = [threading.Thread(target=run, args=(i,)) for i in range(args.connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - start
latencies.sort()


def pct(p):
    return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000


print(f"{args.label}: {len(latencies)} requests in {elapsed:.1f} s ({len(latencies) / elapsed:.0f}/s), "
      f"errors {errors[0]}, p50 {pct(50):.2f} ms, p90 {pct(90):.2f} ms, p99 {pct(99):.2f} ms, max {latencies[-1] * 1000:.1f} ms")
