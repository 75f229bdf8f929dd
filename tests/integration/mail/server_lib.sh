# Shell helpers the mail fixtures (dovecot.sh, smtp.sh) share; sourced, not run.

# True when something listens on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Stops the process whose id is in file $1 (if any): TERM, up to 5 s, then KILL.
stop_pid() {
  local file=$1 pid
  [[ -f $file ]] || return 0
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
