#!/bin/bash
# The Debian package: built with cpack from this build tree, checked by lintian (no
# errors), its contents and maintainer scripts checked, its unit checked by
# systemd-analyze, and its binary run from the extracted package. As root with
# CLERK_TEST_PACKAGE_INSTALL=1 (scripts/test.sh sets it), it is also installed with
# apt, the service's user and folders checked, `clerk serve` started as that user with a
# shipped bot and its web queue asked if it is ready, and the package purged again,
# keeping the council's data.
#
#   package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() { if eval "$1"; then echo "ok - $2"; else echo "FAIL - $2"; failures=$((failures + 1)); fi; }

version=$(sed -n 's/^project(clerk VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
deb="$build/clerk_${version}-1_amd64.deb"
rm -f "$deb"
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
check '[[ -f $deb ]]' "cpack makes $(basename "$deb")"

if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1 || true
  check '! grep -q "^E: " "$work/lintian.log"' "lintian reports no errors"
  grep -E "^[EW]: " "$work/lintian.log" || true
fi

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents"
for path in ./usr/bin/clerk ./usr/lib/systemd/system/clerk.service ./usr/share/clerk/bots/inbound-post.yaml \
            ./usr/share/clerk/connectors/redmine.yaml ./usr/share/doc/clerk/copyright ./usr/share/doc/clerk/README.Debian; do
  check 'grep -qx "$path" "$work/contents"' "the package holds $path"
done
check '! grep -q "test" "$work/contents"' "no test binary or data in the package"
dpkg-deb -f "$deb" Depends >"$work/depends"
for dependency in libqt6core6 libqt6sql6-sqlite libqt6sql6-psql qt6-qpa-plugins tesseract-ocr-eng libcurl4 adduser; do
  check 'grep -q "$dependency" "$work/depends"' "it depends on $dependency"
done
check '! grep -q -- "-dev" "$work/depends"' "no -dev package among its dependencies"

dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/control"
for script in postinst prerm postrm; do
  check 'sh -n "$work/control/$script"' "$script is valid shell"
done
check '"$work/root/usr/bin/clerk" --help | grep -q "clerk serve"' "the packaged binary runs"
check 'grep -q "^ExecStart=/usr/bin/clerk serve" "$work/root/usr/lib/systemd/system/clerk.service"' \
  "the unit starts the packaged binary"
if command -v systemd-analyze >/dev/null; then
  # The unit's own binary must exist where it says: point it at the extracted one.
  sed "s#/usr/bin/clerk#$work/root/usr/bin/clerk#" "$work/root/usr/lib/systemd/system/clerk.service" >"$work/clerk.service"
  check 'systemd-analyze verify "$work/clerk.service" >"$work/verify.log" 2>&1 || ! grep -qi "error\|invalid\|unknown" "$work/verify.log"' \
    "systemd-analyze finds nothing wrong with the unit"
  cat "$work/verify.log" 2>/dev/null | head -5 || true
fi

if [[ ${CLERK_TEST_PACKAGE_INSTALL:-} == 1 && $(id -u) == 0 ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
  check 'getent passwd clerk >/dev/null' "installing makes the clerk user"
  check '[[ $(stat -c "%U %a" /var/lib/clerk) == "clerk 750" ]]' "/var/lib/clerk belongs to clerk, mode 0750"
  check '[[ $(stat -c "%U %G %a" /etc/clerk/clerk.env) == "root clerk 640" ]]' "/etc/clerk/clerk.env is root:clerk 0640"
  check '[[ -d /etc/clerk/bots && -d /etc/clerk/connectors ]]' "/etc/clerk/bots and connectors exist"
  check '/usr/bin/clerk validate /usr/share/clerk/bots/*.yaml >/dev/null' "the shipped bots validate"
  # The service as the unit runs it, without systemd: as clerk, on its state folder.
  cat >"$work/intake.yaml" <<'BOT'
name: package-check
version: 1
owner_team: ict
trigger:
  every: 1h
steps:
  - type: set
    params: {values: {ok: "yes"}}
BOT
  install -m 0640 -o root -g clerk "$work/intake.yaml" /etc/clerk/bots/package-check.yaml
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  runuser -u clerk -- env CLERK_DB=/var/lib/clerk/package-check.db OMP_THREAD_LIMIT=1 \
    /usr/bin/clerk serve /etc/clerk/bots --connectors /etc/clerk/connectors --listen "127.0.0.1:$port" \
    >"$work/serve.log" 2>&1 &
  serve=$!
  ready=no
  for _ in $(seq 1 50); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=yes; break; fi
    sleep 0.2
  done
  check '[[ $ready == yes ]]' "clerk serve runs as the clerk user and answers /readyz"
  kill -TERM "$serve" 2>/dev/null || true
  wait "$serve" 2>/dev/null || true
  rm -f /etc/clerk/bots/package-check.yaml
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq clerk >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; exit 1; }
  check '[[ ! -e /usr/bin/clerk ]]' "purging removes the binary"
  check '[[ -f /var/lib/clerk/package-check.db ]]' "and keeps the council's data in /var/lib/clerk"
  rm -f /var/lib/clerk/package-check.db*
fi

if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "package: all checks passed"
