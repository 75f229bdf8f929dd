#!/usr/bin/env bash
# A local Redmine (Debian 12 package, SQLite, thin) that stands in for a council's
# case system in clerk's integration tests.
#
#   redmine.sh start    install if needed, set up once, start on 127.0.0.1, write the env file
#   redmine.sh stop     stop the server (the data stays)
#   redmine.sh status   say whether it runs (exit 0) or not (exit 3)
#   redmine.sh env      print the env file (REDMINE_URL, REDMINE_API_KEY, ids)
#   redmine.sh log      print the end of the server's logs
#
# Environment:
#   CLERK_REDMINE_STATE  state directory (default /tmp/clerk-redmine): the SQLite
#                        database, thin's pid and log, and redmine.env. Delete it for a
#                        fresh case system.
#   REDMINE_PORT         port on 127.0.0.1 (default 3300)
#   CLERK_REDMINE_MIGRATE  when set, a new state folder's database is migrated from
#                        scratch instead of copied from the package's (slower)
#
# Installing needs root (or sudo). Every step is safe to repeat. The database starts as
# a copy of the one the package migrated (much quicker than migrating again); if that
# copy is not fresh, a new one is migrated. setup.rb then makes the projects, trackers,
# custom fields (ids 1..5 on a fresh database), groups and the clerk user.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state=${CLERK_REDMINE_STATE:-/tmp/clerk-redmine}
port=${REDMINE_PORT:-3300}
run_dir=$state/run          # owned by www-data: database, pid, thin log
env_file=$state/redmine.env
db=$run_dir/redmine.sqlite3
pid_file=$run_dir/thin.pid
thin_log=$run_dir/thin.log
url=http://127.0.0.1:$port
redmine_root=/usr/share/redmine
package_db=/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default
rails_log=/var/log/redmine/default/production.log
# Debian 12's Ruby update ships Bundler 2.3.27, which treats Debian-packaged gems as
# missing; Debian's own ruby-bundler (2.3.15) works.
export BUNDLER_VERSION=2.3.15

log() { echo "redmine.sh: $*" >&2; }
die() { log "$*"; exit 1; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# Runs a command as www-data in Redmine's folder with our database.
as_redmine() {
  local cmd=(env BUNDLER_VERSION=$BUNDLER_VERSION REDMINE_INSTANCE=default RAILS_ENV=production
             DATABASE_URL="sqlite3:$db" HOME=/var/lib/redmine "$@")
  if [[ $(id -un) == www-data ]]; then
    (cd "$redmine_root" && "${cmd[@]}")
  elif [[ $(id -u) -eq 0 ]]; then
    (cd "$redmine_root" && runuser -u www-data -- "${cmd[@]}")
  else
    (cd "$redmine_root" && sudo -u www-data "${cmd[@]}")
  fi
}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

install_packages() {
  local packages=(redmine redmine-sqlite thin ruby-bundler curl)
  local missing=() p
  for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]} (once; about a minute with downloads)"
    echo "redmine redmine/instances/default/database-type select sqlite3" | as_root debconf-set-selections 2>/dev/null || true
    local apt=(env DEBIAN_FRONTEND=noninteractive BUNDLER_VERSION=$BUNDLER_VERSION
               apt-get -o DPkg::Lock::Timeout=600 -y -q)
    # After a purge, ucf may still remember the instance's database.yml and then
    # refuses to write it again ("Not replacing deleted config file"), which breaks
    # the package's configuration: forget it.
    local dbyml=/etc/redmine/default/database.yml
    if [[ ! -e $dbyml ]] && command -v ucf >/dev/null; then
      as_root ucf --purge "$dbyml" 2>/dev/null || true
      as_root ucfr --purge redmine "$dbyml" 2>/dev/null || true
    fi
    # A half-configured redmine (an earlier install without BUNDLER_VERSION, or the
    # above) is finished first.
    as_root env BUNDLER_VERSION=$BUNDLER_VERSION DEBIAN_FRONTEND=noninteractive \
      dpkg --configure -a >"$state/dpkg-configure.log" 2>&1 || true
    if ! apt-cache show redmine >/dev/null 2>&1; then
      as_root "${apt[@]}" update -qq
    fi
    if ! as_root "${apt[@]}" install --no-install-recommends "${missing[@]}" >"$state/apt.log" 2>&1; then
      as_root "${apt[@]}" update -qq
      as_root "${apt[@]}" install --no-install-recommends "${missing[@]}" >"$state/apt.log" 2>&1 ||
        { tail -n 30 "$state/apt.log" >&2; die "apt-get install failed (log: $state/apt.log)"; }
    fi
  fi
  # thin is only usable through bundler if it was installed when Redmine resolved its
  # gems; resolve again if it is missing from the lock file.
  if ! grep -q '^    thin ' /var/lib/redmine/Gemfile.lock 2>/dev/null; then
    log "resolving Redmine's gems again so that thin is found"
    as_root sh -c "rm -f /var/lib/redmine/Gemfile.lock && cd $redmine_root &&
      BUNDLER_VERSION=$BUNDLER_VERSION bundle install --local --quiet &&
      chown www-data:www-data /var/lib/redmine/Gemfile.lock"
  fi
}

make_state_dir() {
  mkdir -p "$state"
  as_root mkdir -p "$run_dir"
  as_root chown www-data:www-data "$run_dir"
  # www-data must reach the run folder through the state folder (and its parents).
  chmod o+x "$state"
  as_redmine test -w "$run_dir" ||
    die "www-data cannot write $run_dir; choose a CLERK_REDMINE_STATE that others may enter"
  # Run with sudo, the state folder and env file still belong to the caller.
  if [[ $(id -u) -eq 0 && -n ${SUDO_UID:-} ]]; then
    chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$state"
  fi
}

migrate_fresh_db() {
  log "migrating a new database (takes about 30 s)"
  as_redmine rm -f "$db"
  as_redmine env SCHEMA=/dev/null bundle exec rake db:migrate >"$state/migrate.log" 2>&1 ||
    { tail -n 30 "$state/migrate.log" >&2; die "db:migrate failed"; }
  # A second process: the migrating one has stale column information.
  as_redmine env REDMINE_LANG=en bundle exec rake redmine:load_default_data >>"$state/migrate.log" 2>&1 ||
    { tail -n 30 "$state/migrate.log" >&2; die "load_default_data failed"; }
}

run_setup() {
  local out=$state/setup.log status=0
  # www-data may not be able to read the checkout (e.g. a clone under /root).
  as_root install -o www-data -g www-data -m 644 "$here/setup.rb" "$run_dir/setup.rb"
  as_redmine bundle exec rails runner -e production "$run_dir/setup.rb" >"$out" 2>&1 || status=$?
  if [[ $status -eq 3 ]]; then
    return 3
  elif [[ $status -ne 0 ]]; then
    tail -n 30 "$out" >&2
    die "setup.rb failed"
  fi
  {
    echo "# Written by tests/integration/redmine/redmine.sh; source it."
    echo "REDMINE_URL=$url"
    echo "REDMINE_PORT=$port"
    echo "CLERK_REDMINE_STATE=$state"
    sed -n 's/^CLERK_ENV //p' "$out"
  } >"$env_file.tmp"
  chmod 600 "$env_file.tmp"
  if [[ $(id -u) -eq 0 && -n ${SUDO_UID:-} ]]; then
    chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$env_file.tmp"
  fi
  mv "$env_file.tmp" "$env_file"
}

set_up_once() {
  [[ -s $env_file ]] && grep -q '^REDMINE_API_KEY=' "$env_file" && [[ -s $db ]] && return 0
  if [[ ! -s $db ]]; then
    if [[ -n ${CLERK_REDMINE_MIGRATE:-} ]]; then
      migrate_fresh_db
    elif [[ -r $package_db ]] || as_root test -r "$package_db"; then
      as_root cp "$package_db" "$db"
      as_root chown www-data:www-data "$db"
      as_root chmod 600 "$db"
    else
      migrate_fresh_db
    fi
  fi
  log "setting up projects, trackers, custom fields, groups and the clerk user"
  local status=0
  run_setup || status=$?
  if [[ $status -eq 3 ]]; then
    log "the package's database was not fresh"
    migrate_fresh_db
    run_setup || die "setup.rb failed on a new database"
  fi
}

server_pid() {
  local pid
  pid=$(cat "$pid_file" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# True when Redmine answers an API call with the clerk user's key.
answers() {
  local key
  key=$(sed -n 's/^REDMINE_API_KEY=//p' "$env_file" 2>/dev/null) || return 1
  [[ -n $key ]] || return 1
  curl -fsS -o /dev/null --max-time 5 -H "X-Redmine-API-Key: $key" "$url/issue_statuses.json" 2>/dev/null
}

print_logs() {
  echo "---- $thin_log (last 40 lines)" >&2
  as_root tail -n 40 "$thin_log" >&2 2>/dev/null || true
  echo "---- $rails_log (last 40 lines)" >&2
  as_root tail -n 40 "$rails_log" >&2 2>/dev/null || true
}

start() {
  local t0=$SECONDS
  mkdir -p "$state"
  install_packages
  local t_installed=$SECONDS
  make_state_dir
  if server_pid >/dev/null && answers; then
    log "already running at $url"
    cat "$env_file"
    return 0
  fi
  if curl -s -o /dev/null --max-time 2 "$url/"; then
    die "something else answers on $url; choose another REDMINE_PORT"
  fi
  set_up_once
  local t_set_up=$SECONDS
  # A pid file left by a killed server would stop thin from starting.
  server_pid >/dev/null || as_root rm -f "$pid_file"
  as_redmine bundle exec thin start -e production -a 127.0.0.1 -p "$port" -R config.ru \
    -d -l "$thin_log" -P "$pid_file" >"$state/thin-start.log" 2>&1 ||
    { cat "$state/thin-start.log" >&2; print_logs; die "thin did not start"; }
  local deadline=$((SECONDS + ${REDMINE_START_TIMEOUT:-120}))
  until answers; do
    if ((SECONDS > deadline)); then
      print_logs
      stop >/dev/null 2>&1 || true
      die "Redmine did not answer on $url within ${REDMINE_START_TIMEOUT:-120} s"
    fi
    # thin writes its pid file just after it forks; once written, a dead pid means
    # the server gave up.
    if [[ -s $pid_file ]] && ! server_pid >/dev/null; then
      print_logs
      die "thin exited before Redmine answered on $url"
    fi
    sleep 0.5
  done
  log "running at $url (pid $(server_pid)) after $((SECONDS - t0)) s (packages $((t_installed - t0)) s," \
      "setup $((t_set_up - t_installed)) s, server $((SECONDS - t_set_up)) s); env: $env_file"
  cat "$env_file"
}

stop() {
  local pid
  if ! pid=$(server_pid); then
    log "not running"
    as_root rm -f "$pid_file"
    return 0
  fi
  as_root kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { log "stopped"; as_root rm -f "$pid_file"; return 0; }
    sleep 0.1
  done
  log "pid $pid did not stop within 10 s; killing it"
  as_root kill -9 "$pid" 2>/dev/null || true
  as_root rm -f "$pid_file"
}

status() {
  if server_pid >/dev/null && answers; then
    echo "running at $url (pid $(server_pid))"
  else
    echo "not running"
    return 3
  fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) [[ -s $env_file ]] || die "no $env_file yet: run start"; cat "$env_file" ;;
  log) print_logs 2>&1 ;;
  *) echo "usage: $0 start|stop|status|env|log" >&2; exit 2 ;;
esac
