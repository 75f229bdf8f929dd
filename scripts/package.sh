#!/bin/bash
# Builds the Debian package (clerk_VERSION-1_amd64.deb) in build-package/, without the
# tests, from a fresh Debian 12 with scripts/install-deps.sh run first.
#
#   scripts/package.sh                 # then: sudo apt install ./build-package/clerk_*.deb
#   CLERK_DEB_MAINTAINER="ICT <ict@council.gov.uk>" scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
args=(-DCMAKE_BUILD_TYPE=Release -DCLERK_BUILD_TESTS=OFF)
[[ -n ${CLERK_DEB_MAINTAINER:-} ]] && args+=(-DCLERK_DEB_MAINTAINER="$CLERK_DEB_MAINTAINER")
cmake -S . -B build-package -G Ninja "${args[@]}" >/dev/null
cmake --build build-package -j"$(nproc)"
(cd build-package && cpack -G DEB)
if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 build-package/clerk_*.deb || true
fi
