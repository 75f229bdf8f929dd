#!/usr/bin/env bash
# The shared Redmine of the integration suite, as a ctest fixture:
#   fixture.sh setup     a fresh case system with the 300 made-up people loaded
#   fixture.sh cleanup   stop it and delete its state folder
# ctest sets CLERK_REDMINE_STATE and REDMINE_PORT (tests/integration/CMakeLists.txt);
# tests that need the case system read $CLERK_REDMINE_STATE/redmine.env. A failed setup
# prints the end of the server's logs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CLERK_REDMINE_STATE:?set by ctest}" "${REDMINE_PORT:?set by ctest}"

remove_state() {
  "$here/redmine.sh" stop >/dev/null 2>&1 || true
  rm -rf "$CLERK_REDMINE_STATE" 2>/dev/null || sudo rm -rf "$CLERK_REDMINE_STATE"
}

case ${1:-} in
  setup)
    if [[ $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
      echo "SKIP: needs root or passwordless sudo (to install Redmine and run it as www-data)"
      exit 77
    fi
    remove_state
    "$here/redmine.sh" start >/dev/null || { "$here/redmine.sh" log >&2 || true; exit 1; }
    ruby "$here/load_people.rb" || { "$here/redmine.sh" log >&2 || true; exit 1; }
    ;;
  cleanup) remove_state ;;
  *) echo "usage: $0 setup|cleanup" >&2; exit 2 ;;
esac
