#!/bin/bash
# The Debian package on a fresh Debian 12: debootstrap makes a minimal bookworm root from
# the Debian mirror this machine's apt uses, the .deb is installed in it with apt (which
# brings its dependencies from that mirror, nothing from this machine), and the service
# is started as the unit starts it, without systemd: the unit's ExecStart, its
# Environment and EnvironmentFile, as its User, with listen set in /etc/clerk/clerk.conf.
# /healthz must answer 200 and the process must run as the clerk user the package made,
# not root.
#
#   fresh_root_test.sh DEB                  # a package scripts/package.sh built (build-package/clerk_*.deb)
#   fresh_root_test.sh --build BUILD_DIR    # makes the package from BUILD_DIR with cpack first
#
# Exits 77 (skipped) when not root, without debootstrap, or when debootstrap cannot reach
# the mirror. Under ctest it runs only with CLERK_TEST_FRESH_ROOT=1 (scripts/test.sh sets
# it). Takes about 2-3 minutes, most of it downloading.
set -euo pipefail
skip() { echo "skipped: $*"; exit 77; }
if [[ ${1:-} == --ctest ]]; then
  shift
  [[ ${CLERK_TEST_FRESH_ROOT:-} == 1 ]] || skip "set CLERK_TEST_FRESH_ROOT=1 to install the package into a fresh Debian root"
fi
[[ $(id -u) == 0 ]] || skip "debootstrap, chroot and mounts need root"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/install-deps.sh --test)"

work=$(mktemp -d /var/tmp/clerk-fresh-root.XXXXXX)
root="$work/root"
serve=
cleanup() {
  set +e
  if [[ -n $serve ]]; then kill -TERM "$serve" 2>/dev/null; wait "$serve" 2>/dev/null; fi
  for mount in dev/pts dev proc; do
    mountpoint -q "$root/$mount" 2>/dev/null && umount -l "$root/$mount"
  done
  # Never delete through a mount that is still there (the host's /dev).
  if grep -q " $work/" /proc/mounts; then
    echo "left $work: something is still mounted in it" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

case ${1:-} in
  --build)
    build=$(cd "$2" && pwd)
    (cd "$build" && cpack -G DEB -B "$work/package" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
    deb=$(ls "$work"/package/clerk_*_amd64.deb)
    ;;
  "") echo "usage: $0 DEB | --build BUILD_DIR" >&2; exit 2 ;;
  *) deb=$(realpath "$1") ;;
esac
[[ -f $deb ]] || { echo "no package at $deb" >&2; exit 1; }

# The Debian mirror apt already uses here (deb822 .sources or a sources.list line).
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' | grep -v security | grep -m1 debian || true)
[[ -n $mirror ]] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' \
                               | grep -v security | grep -m1 debian || true)
[[ -n $mirror ]] || skip "no Debian mirror in this machine's apt sources"

started=$(date +%s)
failures=0
check() { if eval "$1"; then echo "ok - $2"; else echo "FAIL - $2"; failures=$((failures + 1)); fi; }

if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -5 "$work/debootstrap.log"
  if grep -qiE "Failed getting release file|couldn't download|Temporary failure|Could not resolve|Connection" "$work/debootstrap.log"; then
    skip "debootstrap cannot reach $mirror"
  fi
  echo "debootstrap failed"; exit 1
fi
echo "ok - debootstrap made a bookworm root from $mirror in $(( $(date +%s) - started )) s"

mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
echo "deb $mirror bookworm-updates main" >>"$root/etc/apt/sources.list"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

check '! in_root test -e /usr/bin/clerk' "the fresh root has no clerk"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
if ! in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >>"$work/apt.log" 2>&1; then
  tail -30 "$work/apt.log"; exit 1
fi
echo "ok - apt installed $(basename "$deb") and its dependencies in $(( $(date +%s) - started )) s so far"
check 'in_root getent passwd clerk >/dev/null' "the package made the clerk user"
check '[[ $(in_root stat -c "%U %a" /var/lib/clerk) == "clerk 750" ]]' "/var/lib/clerk belongs to clerk"
check '[[ $(in_root stat -c "%U %G %a" /etc/clerk/clerk.env) == "root clerk 640" ]]' "/etc/clerk/clerk.env is root:clerk 0640"

# The service as its unit starts it: User, Environment, EnvironmentFile and ExecStart.
unit="$root/usr/lib/systemd/system/clerk.service"
[[ -f $unit ]] || unit="$root/lib/systemd/system/clerk.service"
check '[[ -f $unit ]]' "the package installed the unit"
user=$(sed -n 's/^User=//p' "$unit")
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
mapfile -t environment < <(sed -n 's/^Environment=//p' "$unit")
check '[[ $user == clerk && $exec_start == /usr/bin/clerk\ serve* ]]' "the unit runs /usr/bin/clerk serve as clerk"
while IFS= read -r line; do
  [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] && environment+=("$line")
done < <(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit" | while read -r file; do cat "$root$file" 2>/dev/null; done)

cat >"$root/etc/clerk/bots/fresh-root.yaml" <<'BOT'
name: fresh-root
version: 1
owner_team: ict
trigger:
  every: 1h
steps:
  - type: set
    params: {values: {ok: "yes"}}
BOT
uid=$(in_root id -u "$user") gid=$(in_root id -g "$user")  # the root's own clerk, not this machine's
chown "0:$gid" "$root/etc/clerk/bots/fresh-root.yaml"
chmod 0640 "$root/etc/clerk/bots/fresh-root.yaml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '[serve]\nlisten = 127.0.0.1:%s\n' "$port" >"$root/etc/clerk/clerk.conf"
read -r -a command <<<"$exec_start"
chroot --userspec="$uid:$gid" --groups="$gid" "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/var/lib/clerk \
  "${environment[@]}" "${command[@]}" >"$work/serve.log" 2>&1 &
serve=$!

status=000
for _ in $(seq 1 100); do
  status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
  [[ $status == 200 ]] && break
  kill -0 "$serve" 2>/dev/null || break
  sleep 0.2
done
check '[[ $status == 200 ]]' "clerk serve in the fresh root answers /healthz with 200"
process_uid=$(awk '/^Uid:/ {print $2}' "/proc/$serve/status" 2>/dev/null || echo gone)
check '[[ $process_uid == "$uid" && $process_uid != 0 ]]' "the service runs as clerk (uid $uid), not root (it runs as $process_uid)"
check '[[ -f $root/var/lib/clerk/clerk.db && $(stat -c %u "$root/var/lib/clerk/clerk.db") == "$uid" ]]' \
  "its database is /var/lib/clerk/clerk.db, owned by clerk"
kill -TERM "$serve" 2>/dev/null || true
wait "$serve" 2>/dev/null || true
serve=
if ((failures > 0)); then
  tail -40 "$work/serve.log"
  ls -ln "$root/etc/clerk" "$root/etc/clerk/bots"
  chroot --userspec="$uid:$gid" --groups="$gid" "$root" /usr/bin/clerk validate /etc/clerk/bots/fresh-root.yaml || true
  echo "fresh root: $failures checks failed"
  exit 1
fi
echo "fresh root: all checks passed in $(( $(date +%s) - started )) s"
