#!/usr/bin/env bash
# Installs what the tests need, builds clerk with warnings as errors, and runs every
# test suite: unit and end-to-end tests, the kill -9 test (label slow), the schema
# check; then, in a clang build with AddressSanitizer and UndefinedBehaviorSanitizer,
# the HTTP server's suites (label sanitize) and the bot-loader and API fuzzers (label
# fuzz). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
jobs=$(nproc)
fuzz_seconds=${CLERK_FUZZ_SECONDS:-60}

summary=()
passed=0
failed=0
run_ctest() {  # name, build dir, ctest args...
  local name=$1 dir=$2; shift 2
  local log
  log=$(mktemp)
  set +e
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n1 || true)
  if [[ $line =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=$((failed + BASH_REMATCH[1]))
    passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
  else
    # No summary line: ctest found no tests or could not run; that is a failure too.
    failed=$((failed + 1))
  fi
  summary+=("$name: ${line:-exit $status}")
  rm -f "$log"
}

echo "== build (gcc, warnings as errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLERK_WERROR=ON -DCLERK_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
# The package test also installs, runs and purges the .deb when it runs as root, and the
# fresh-root test installs it into a new Debian 12 root made with debootstrap.
export CLERK_TEST_PACKAGE_INSTALL=1
export CLERK_TEST_FRESH_ROOT=1
run_ctest "unit, end-to-end and slow tests" build

echo "== build (clang, ASan/UBSan, libFuzzer)"
CC=clang-19 CXX=clang++-19 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLERK_FUZZ=ON -DCLERK_SANITIZE=ON -DCLERK_BUILD_TESTS=OFF -DCLERK_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build build-fuzz -j"$jobs" --target clerk bot_loader_fuzzer api_server_fuzzer
echo "== HTTP server under ASan/UBSan"
run_ctest "server under ASan/UBSan" build-fuzz -L sanitize
echo "== fuzz (${fuzz_seconds}s each)"
# One fuzzer at a time: each is given the whole time, and two would share the cores.
run_ctest "fuzz" build-fuzz -L fuzz -j1

echo
printf '%s\n' "${summary[@]}"
echo "all suites: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
