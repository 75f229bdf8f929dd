#!/usr/bin/env bash
# Installs the Debian 12 packages clerk needs to build (and, with --test, to run its
# whole test suite). Safe to run again: installs only what is missing.
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config
          qt6-base-dev libqt6sql6-sqlite libqt6sql6-psql
          libyaml-cpp-dev libcurl4-openssl-dev
          libtesseract-dev libleptonica-dev tesseract-ocr-eng tesseract-ocr-osd
          libpoppler-qt6-dev libpoppler-private-dev liblinear-dev libfasttext-dev
          qt6-httpserver-dev qt6-websockets-dev libargon2-dev
          qt6-qpa-plugins fonts-dejavu-core)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(libgtest-dev libgmock-dev
             clang-19 libclang-rt-19-dev
             python3 python3-jsonschema python3-yaml
             poppler-utils
             postgresql prometheus dovecot-imapd exim4-daemon-light dovecot-lmtpd dovecot-sieve
             chromium openssl wrk curl lintian debootstrap)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
