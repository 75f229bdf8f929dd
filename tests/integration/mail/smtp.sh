#!/usr/bin/env bash
# A throwaway mail server on 127.0.0.1 for clerk's notify step: Exim receives SMTP and
# hands local mail over LMTP to a private Dovecot LMTP, which delivers into the Maildir of
# the Dovecot fixture's user (dovecot.sh) with a Sieve script that discards a message
# whose Message-ID it has already delivered (the `duplicate` extension): a message clerk
# sends again after a crash between send and record lands once. Mail lands in the
# folder "Notify", not INBOX, which the mailbox trigger's tests read. No systemd, no system
# configuration (Exim's /etc/exim4 and Dovecot's /etc/dovecot are never read or
# written): configs, spool, logs and sockets are all under STATE.
#
#   smtp.sh start STATE IMAP_STATE   start; write STATE/smtp.env (SMTP_PORT, SMTP_USER,
#                                    SMTP_TLS_PORT, SMTP_TLS_CA, SMTP_TLS_USER,
#                                    SMTP_TLS_PASSWORD_FILE, SMTP_SLOW_PORT)
#   smtp.sh stop STATE               stop the servers and delete STATE
#
# IMAP_STATE is the Dovecot fixture's state folder (its imap.env names the user and its
# Maildir). Exim accepts mail for <IMAP_USER>@localhost only: any other recipient gets
# "550 no such user here" at RCPT; <try-later@localhost> gets a 451 (a temporary
# refusal). The port is the first free one from $CLERK_SMTP_PORT (default 11025); it
# offers neither TLS nor sign-in.
#
# A second Exim on SMTP_TLS_PORT (the next free port) offers STARTTLS with a certificate
# for 127.0.0.1 and localhost signed by a certificate authority made here (SMTP_TLS_CA),
# and sign-in (AUTH PLAIN and LOGIN, offered over TLS only) for SMTP_TLS_USER with the
# random password in SMTP_TLS_PASSWORD_FILE; it refuses every recipient of a client that
# has not signed in, and delivers as the first does.
#
# A third Exim on SMTP_SLOW_PORT behaves as the first but answers QUIT only after 3 s: a
# client that sent a message waits there after the server took it, which is where a
# test kills clerk between a send and its record (logs under STATE/log-slow).
#
# Needs root (Exim's daemon and Dovecot's LMTP switch users; the packages
# exim4-daemon-light, dovecot-lmtpd and dovecot-sieve are installed with apt-get when
# missing, as scripts/install-deps.sh --test does). Without them, or without root, it
# exits 77 (ctest: skipped).
set -euo pipefail

usage() { echo "usage: $0 start STATE IMAP_STATE | stop STATE" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
command=$1 state=$2

# shellcheck source=server_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/server_lib.sh"

stop_servers() {
  stop_pid "$state/exim.pid"
  stop_pid "$state/exim-tls.pid"
  stop_pid "$state/exim-slow.pid"
  stop_pid "$state/dovecot/master.pid"
  rm -rf "$state"
}

case $command in
  start)
    [[ $# -eq 3 ]] || usage
    imap_state=$3
    if [[ $(id -u) -ne 0 ]]; then
      echo "smtp.sh: Exim and Dovecot LMTP need root here; skipping" >&2
      exit 77
    fi
    if ! command -v exim >/dev/null 2>&1 || [[ ! -x /usr/lib/dovecot/lmtp ]] \
       || [[ ! -e /usr/lib/dovecot/modules/lib90_sieve_plugin.so ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        exim4-daemon-light dovecot-lmtpd dovecot-sieve >/dev/null || exit 77
    fi
    [[ -f $imap_state/imap.env ]] || { echo "smtp.sh: no $imap_state/imap.env (start dovecot.sh first)" >&2; exit 1; }
    # shellcheck disable=SC1091
    source "$imap_state/imap.env"
    imap_state=$(cd "$imap_state" && pwd)
    stop_servers
    mkdir -p "$state"/{spool,log,spool-tls,log-tls,spool-slow,log-slow,tls,dovecot,dovecot-state}
    state=$(cd "$state" && pwd)
    port=${CLERK_SMTP_PORT:-11025}
    while port_in_use "$port"; do port=$((port + 1)); done
    tls_port=$((port + 1))
    while port_in_use "$tls_port"; do tls_port=$((tls_port + 1)); done
    slow_port=$((tls_port + 1))
    while port_in_use "$slow_port"; do slow_port=$((slow_port + 1)); done
    tls_user=clerk-sender
    tls_password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$tls_password" >"$state/tls/password"
    chmod 600 "$state/tls/password"
    # A certificate authority of this run, and the server's certificate it signs.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=clerk test CA" \
      -keyout "$state/tls/ca.key" -out "$state/tls/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$state/tls/server.key" -out "$state/tls/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$state/tls/server.ext"
    openssl x509 -req -in "$state/tls/server.csr" -CA "$state/tls/ca.pem" -CAkey "$state/tls/ca.key" \
      -CAcreateserial -days 2 -extfile "$state/tls/server.ext" -out "$state/tls/server.pem" 2>/dev/null
    chown Debian-exim:Debian-exim "$state/tls/server.key" "$state/tls/server.pem"
    chmod 600 "$state/tls/server.key"
    owner=$(stat -c %U "$IMAP_MAILDIR")
    group=$(stat -c %G "$IMAP_MAILDIR")

    # Sieve: a Message-ID seen before is discarded (RFC 7352; the default key is the
    # Message-ID header). Compiled now, as the delivering user cannot write here.
    cat >"$state/dedupe.sieve" <<'SIEVE'
require ["duplicate", "fileinto", "mailbox"];
if duplicate {
  discard;
  stop;
}
fileinto :create "Notify";
SIEVE
    cat >"$state/dovecot.conf" <<CONF
base_dir = $state/dovecot
state_dir = $state/dovecot-state
instance_name = clerk-smtp-$port
log_path = $state/log/dovecot.log
info_log_path = $state/log/dovecot.log
protocols = lmtp
ssl = no
default_internal_user = $owner
default_internal_group = $group
default_login_user = $owner
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
lmtp_save_to_detail_mailbox = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $imap_state/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $imap_state/users
}
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve_before = $state/dedupe.sieve
  sieve_extensions = +duplicate
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service anvil {
  chroot =
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
    # exim_config PORT NAME MAIN ACL AUTHENTICATORS [ACLS]: one daemon's configuration.
    exim_config() {
      cat >"$state/$2.conf" <<CONF
primary_hostname = clerk-test.localhost
qualify_domain = localhost
domainlist local_domains = localhost
daemon_smtp_ports = $1
local_interfaces = <; 127.0.0.1
spool_directory = $state/spool${2#exim}
log_file_path = $state/log${2#exim}/%slog
pid_file_path = $state/$2.pid
exim_user = Debian-exim
exim_group = Debian-exim
host_lookup =
keep_environment =
message_size_limit = 20M
acl_smtp_rcpt = acl_check_rcpt
$3

begin acl
${6:-}
acl_check_rcpt:
$4
  defer   message = try later
          local_parts = try-later
  deny    message = no such user here
          domains = +local_domains
          !verify = recipient
  accept  domains = +local_domains
  deny    message = relay not permitted

begin routers
dovecot_user:
  driver = accept
  domains = +local_domains
  local_parts = $IMAP_USER
  transport = dovecot_lmtp

begin transports
dovecot_lmtp:
  driver = lmtp
  socket = $state/dovecot/lmtp
  user = Debian-exim
  batch_max = 1
$5
CONF
      chmod 644 "$state/$2.conf"
    }
    exim_config "$port" exim "tls_advertise_hosts =" "" ""
    exim_config "$slow_port" exim-slow "tls_advertise_hosts =
acl_smtp_quit = acl_slow_quit" "" "" "acl_slow_quit:
  accept  delay = 3s"
    exim_config "$tls_port" exim-tls "tls_advertise_hosts = *
tls_certificate = $state/tls/server.pem
tls_privatekey = $state/tls/server.key" \
"  deny    message = sign in first
          !authenticated = *" \
"
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{$tls_user}}{eq{\$auth3}{$tls_password}}}}
  server_set_id = \$auth2
  server_advertise_condition = \${if def:tls_in_cipher}
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and {{eq{\$auth1}{$tls_user}}{eq{\$auth2}{$tls_password}}}}
  server_set_id = \$auth1
  server_advertise_condition = \${if def:tls_in_cipher}"
    chown -R Debian-exim:Debian-exim "$state/spool" "$state/log" "$state/spool-tls" "$state/log-tls" \
      "$state/spool-slow" "$state/log-slow"
    chmod 755 "$state" "$state/tls"
    sievec "$state/dedupe.sieve"
    dovecot -c "$state/dovecot.conf" </dev/null >>"$state/log/dovecot.log" 2>&1
    exim -C "$state/exim.conf" -bd -q1m </dev/null >>"$state/log/exim-start.log" 2>&1
    exim -C "$state/exim-tls.conf" -bd -q1m </dev/null >>"$state/log-tls/exim-start.log" 2>&1
    exim -C "$state/exim-slow.conf" -bd -q1m </dev/null >>"$state/log-slow/exim-start.log" 2>&1
    for _ in $(seq 1 100); do
      port_in_use "$port" && port_in_use "$tls_port" && port_in_use "$slow_port" && [[ -S $state/dovecot/lmtp ]] && break
      sleep 0.1
    done
    if ! port_in_use "$port" || ! port_in_use "$tls_port" || ! port_in_use "$slow_port" || [[ ! -S $state/dovecot/lmtp ]]; then
      echo "smtp.sh: the servers did not start; their logs:" >&2
      cat "$state"/log/* "$state"/log-tls/* "$state"/log-slow/* >&2 || true
      exit 1
    fi
    cat >"$state/smtp.env" <<ENV
SMTP_PORT=$port
SMTP_USER=$IMAP_USER@localhost
SMTP_TLS_PORT=$tls_port
SMTP_TLS_CA=$state/tls/ca.pem
SMTP_TLS_USER=$tls_user
SMTP_TLS_PASSWORD_FILE=$state/tls/password
SMTP_SLOW_PORT=$slow_port
ENV
    echo "smtp://127.0.0.1:$port"
    ;;
  stop)
    stop_servers
    ;;
  *) usage ;;
esac
