# Sourced by the e2e test and the front-door benchmark: start `tessera playground` on a free base
# port and block until it is ready.
#
# start_playground TESSERA OUT LOW [ARGS...]: runs `TESSERA playground --base-port B ARGS...` in
# the background with its output in OUT, for a random B in [LOW, LOW + 30000) (a multiple of 100;
# another B when the playground finds a port in use). Blocks until it prints "ready" (each line
# within 120 s). Sets PG_PID and B and returns 0; returns 1 (PG_PID empty) when it did not come up.
start_playground() {
  local tessera=$1 out=$2 low=$3 attempt line
  shift 3
  for attempt in $(seq 1 20); do
    B=$((low + (RANDOM % 300) * 100))
    : >"$out"
    "$tessera" playground --base-port "$B" "$@" >"$out" 2>&1 &
    PG_PID=$!
    while IFS= read -r -t 120 line; do
      [[ $line == ready || $line == *"is in use"* || $line == *"did not come up"* ]] && break
    done < <(tail --pid="$PG_PID" -n +1 -f "$out")
    grep -q '^ready$' "$out" && return 0
    wait "$PG_PID" 2>/dev/null || true
    PG_PID=""
    grep -q "is in use" "$out" || return 1
  done
  return 1
}
