#!/usr/bin/env bash
# A throwaway Dovecot IMAP server on 127.0.0.1 for clerk's mailbox tests: no systemd, no
# system configuration, nothing outside its state folder.
#
#   dovecot.sh start STATE   write a config, start on a free port, write STATE/imap.env
#   dovecot.sh stop STATE    stop the server and delete STATE
#
# STATE/imap.env holds IMAP_PORT, IMAP_USER, IMAP_PASSWORD_FILE (the password, for
# ${file:...}) and IMAP_MAILDIR (the user's Maildir: tests deliver messages by writing
# files into its new/ folder). The folder "Processed" exists for move tests. Plain-text
# sign-in is allowed (loopback only, no TLS); the one user is in a passwd-file. The same
# server at 127.0.0.2 claims neither MOVE nor UIDPLUS, for the fallback of a move.
#
# The server never runs as root: as root it runs as the user `dovecot` (the Debian
# package creates it), otherwise as the calling user. dovecot-imapd is installed with
# apt-get when missing and we are root (scripts/install-deps.sh --test does it too);
# without it and without root the script exits 77 (ctest: skipped). The port is the
# first free one from $CLERK_IMAP_PORT (default 11143) upwards.
set -euo pipefail

usage() { echo "usage: $0 start STATE | stop STATE" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
command=$1 state=$2

# shellcheck source=server_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/server_lib.sh"

stop_server() {
  stop_pid "$state/run/master.pid"
  rm -rf "$state"
}

case $command in
  start)
    if ! command -v dovecot >/dev/null 2>&1 || [[ ! -x /usr/lib/dovecot/imap ]]; then
      if [[ $(id -u) -ne 0 ]]; then
        echo "dovecot.sh: dovecot-imapd is not installed and we are not root; skipping" >&2
        exit 77
      fi
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dovecot-imapd >/dev/null
    fi
    stop_server
    mkdir -p "$state"
    state=$(cd "$state" && pwd)
    if [[ $(id -u) -eq 0 ]]; then
      owner=dovecot
    else
      owner=$(id -un)
    fi
    group=$(id -gn "$owner")
    port=${CLERK_IMAP_PORT:-11143}
    while port_in_use "$port" || (exec 3<>"/dev/tcp/127.0.0.2/$port") 2>/dev/null; do port=$((port + 1)); done

    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    user=clerk-intake
    home=$state/home/$user
    maildir=$home/Maildir
    mkdir -p "$state/run" "$state/state" "$maildir"/{cur,new,tmp} "$maildir"/.Processed/{cur,new,tmp}
    printf '%s' "$password" >"$state/password"
    chmod 600 "$state/password"
    uid=$(id -u "$owner") gid=$(id -g "$owner")
    printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$user" "$password" "$uid" "$gid" "$home" >"$state/users"
    cat >"$state/dovecot.conf" <<CONF
base_dir = $state/run
state_dir = $state/state
log_path = $state/dovecot.log
info_log_path = $state/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $owner
default_internal_group = $group
default_login_user = $owner
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $state/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $state/users
}
# Reached at 127.0.0.2, the server offers neither MOVE nor UIDPLUS: clients must fall
# back to COPY, \\Deleted and EXPUNGE.
local 127.0.0.2 {
  protocol imap {
    imap_capability = IMAP4rev1 LITERAL+
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1, 127.0.0.2
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service auth {
  unix_listener auth-userdb {
    user = $owner
  }
}
service stats {
  unix_listener stats-reader {
    user = $owner
  }
  unix_listener stats-writer {
    user = $owner
  }
}
CONF
    if [[ $(id -u) -eq 0 ]]; then
      chown -R "$owner:$group" "$state"
      # Tests running as root write messages into the Maildir; the server must read them.
      chmod -R a+rwX "$state/home"
    fi
    # The server outlives this script: it must not hold ctest's output pipe open.
    dovecot -c "$state/dovecot.conf" </dev/null >>"$state/dovecot.log" 2>&1
    for _ in $(seq 1 100); do
      port_in_use "$port" && break
      sleep 0.1
    done
    if ! port_in_use "$port"; then
      echo "dovecot.sh: the server did not start; its log:" >&2
      cat "$state/dovecot.log" >&2 || true
      exit 1
    fi
    cat >"$state/imap.env" <<ENV
IMAP_PORT=$port
IMAP_USER=$user
IMAP_PASSWORD_FILE=$state/password
IMAP_MAILDIR=$maildir
ENV
    echo "imap://127.0.0.1:$port/INBOX"
    ;;
  stop)
    stop_server
    ;;
  *) usage ;;
esac
