#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (apt) and, from the npm
# registry, playwright-core and axe-core at the versions of package-lock.json, into
# DEST (a folder in the build tree, never the repository). Safe to run again: does
# nothing when both are there already.
#
#   tests/web/setup.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: setup.sh DEST}

if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "web setup: installing chromium"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "web setup: npm is missing (Node.js 18 or later with npm is needed)" >&2
  exit 1
fi

mkdir -p "$dest"
stamp="$dest/.lock-installed"
if [[ -f "$stamp" ]] && cmp -s "$stamp" "$here/package-lock.json" && [[ -d "$dest/node_modules/playwright-core" ]]; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
echo "web setup: npm ci in $dest"
# No browser download: the tests drive /usr/bin/chromium.
(cd "$dest" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
cp "$here/package-lock.json" "$stamp"
