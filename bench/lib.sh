# Shared by the bench/run_*.sh scripts (sourced): free loopback ports, executables that must
# exist, and stopping exactly the server processes a script started.

# free_ports N: prints N distinct free loopback ports (all bound at once, then released).
free_ports() {
  python3 -c "
import socket
socks = [socket.socket() for _ in range($1)]
for s in socks: s.bind(('127.0.0.1', 0))
print(' '.join(str(s.getsockname()[1]) for s in socks))"
}

# require_executables FILE...: exits unless every FILE is executable.
require_executables() {
  local f
  for f in "$@"; do
    [[ -x "$f" ]] || { echo "missing executable: $f (build it first: make build)" >&2; exit 1; }
  done
}

# PIDS holds the processes the script started; stop_pids stops them (SIGTERM, then SIGKILL after
# 30 s) and empties it.
PIDS=()
stop_pids() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    timeout 30 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

# with_workdir PREFIX: makes WORK, a temporary directory removed on exit, after stop_pids.
with_workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  trap 'stop_pids; rm -rf "$WORK"' EXIT
  trap 'exit 130' INT TERM
}
