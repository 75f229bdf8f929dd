#!/usr/bin/env bash
# /healthz latency while `clerk serve` renders 20 pages of a 200-inch-square PDF at once
# (issue 12: p99 under 50 ms). The PDF is written by hand at run time (no shared data);
# see healthz_under_render.py for what is measured.
#
# Usage: bench/healthz_under_render.sh [--build DIR] [options of healthz_under_render.py]
#   e.g. bench/healthz_under_render.sh --renders 20 --samples 500 --pool-threads 2
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$here/../build"
if [[ "${1:-}" == "--build" ]]; then build="$2"; shift 2; fi
clerk="$(cd "$build" && pwd)/runtime/app/clerk"
[[ -x "$clerk" ]] || { echo "no clerk binary in $build" >&2; exit 1; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
exec python3 "$here/healthz_under_render.py" "$clerk" "$@"
