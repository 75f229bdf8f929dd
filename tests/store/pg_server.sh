#!/usr/bin/env bash
# A throwaway PostgreSQL on 127.0.0.1 for tests and benchmarks: no systemd, no Debian
# cluster, nothing outside its state folder.
#
#   pg_server.sh start STATE [--durable]   initdb + start; prints the URL
#   pg_server.sh stop STATE                stop the server and delete STATE
#   pg_server.sh url STATE                 print the URL of a running server
#
# start picks a free port from $CLERK_PG_PORT (default 15432) upwards, creates the role
# `clerk` (password `clerk-test`, may create databases) and its database `clerk`, and
# writes the URL postgresql://clerk:clerk-test@127.0.0.1:PORT/clerk to STATE/url.
# Connections over TCP need the password (scram-sha-256), so a wrong password is
# refused as it would be in production; the superuser is reached only on the socket in
# STATE. Without --durable the server runs with fsync off (tests: faster, and nothing
# in it needs to survive a crash of the machine); --durable keeps PostgreSQL's defaults.
#
# initdb refuses to run as root: as root the server runs as the user `postgres` (the
# Debian package creates it); otherwise as the calling user. PostgreSQL is installed
# with apt-get when missing and we are root (scripts/install-deps.sh --test does it too).
set -euo pipefail

usage() { echo "usage: $0 start STATE [--durable] | stop STATE | url STATE" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
command=$1 state=$2
durable=0
[[ ${3:-} == --durable ]] && durable=1

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [[ -n $dir && -x $dir/initdb ]] && echo "$dir"
}

# Runs a command as the user who owns the server.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_server() {
  local bin
  bin=$(find_bin) || true
  if [[ -n $bin && -f $state/data/postmaster.pid ]]; then
    as_owner "$bin/pg_ctl" -D "$state/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$state"
}

case $command in
  start)
    bin=$(find_bin) || true
    if [[ -z $bin ]]; then
      if [[ $(id -u) -ne 0 ]]; then
        echo "pg_server: PostgreSQL is not installed; run scripts/install-deps.sh --test" >&2
        exit 1
      fi
      echo "pg_server: installing postgresql" >&2
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
      bin=$(find_bin)
    fi
    if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
      echo "pg_server: running as root but there is no user postgres to run the server" >&2
      exit 1
    fi
    started=$(date +%s%N)
    stop_server  # whatever a crashed run left behind
    mkdir -p "$state"
    chmod 755 "$state"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$state"
    as_owner "$bin/initdb" -D "$state/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 || { cat "$state/initdb.log" >&2; exit 1; }
    options="-c listen_addresses=127.0.0.1 -k $state -c max_connections=200"
    [[ $durable -eq 1 ]] || options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    port=${CLERK_PG_PORT:-15432}
    for _ in $(seq 1 50); do
      if ! port_in_use "$port" \
         && as_owner "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 30 \
              -o "-p $port $options" start >/dev/null 2>&1; then
        break
      fi
      port=$((port + 1))
    done
    if ! port_in_use "$port"; then
      echo "pg_server: the server did not start; its log:" >&2
      tail -n 30 "$state/server.log" >&2 || true
      exit 1
    fi
    as_owner "$bin/psql" -h "$state" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
      -c "CREATE ROLE clerk LOGIN CREATEDB PASSWORD 'clerk-test'" \
      -c "CREATE DATABASE clerk OWNER clerk" >/dev/null
    url="postgresql://clerk:clerk-test@127.0.0.1:$port/clerk"
    echo "$url" >"$state/url"
    echo "$port" >"$state/port"
    elapsed_ms=$((($(date +%s%N) - started) / 1000000))
    printf 'pg_server: PostgreSQL on 127.0.0.1:%s in %d ms (%s)\n' "$port" "$elapsed_ms" \
      "$([[ $durable -eq 1 ]] && echo durable || echo fsync off)" >&2
    echo "$url"
    ;;
  stop) stop_server ;;
  url) cat "$state/url" ;;
  *) usage ;;
esac
