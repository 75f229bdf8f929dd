#!/usr/bin/env python3
"""How many synchronous 4 KiB writes a second the disk under DIR takes: the physical limit
of a store that flushes every commit (SQLite with synchronous=FULL, PostgreSQL with fsync
on). Benches print it beside their items/s.

  bench/flush_rate.py [DIR] [SECONDS]     (default: the current folder, 2 s)

Prints one line: flushes_per_s=N ms_per_flush=M
"""
import os
import sys
import tempfile
import time


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    block = os.urandom(4096)
    fd, path = tempfile.mkstemp(dir=folder, prefix="flush-rate-")
    try:
        count, start = 0, time.monotonic()
        while time.monotonic() - start < seconds:
            os.pwrite(fd, block, (count % 256) * 4096)
            os.fdatasync(fd)
            count += 1
        elapsed = time.monotonic() - start
    finally:
        os.close(fd)
        os.unlink(path)
    print(f"flushes_per_s={count / elapsed:.0f} ms_per_flush={1000 * elapsed / count:.3f}")


if __name__ == "__main__":
    main()
