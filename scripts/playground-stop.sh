#!/usr/bin/env bash
# Stops the playground's nodes: exactly the pids recorded in .playground/pids (SIGTERM, then
# waits for them to exit).
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=.playground
[ -f "$DIR/pids" ] || { echo "No playground is running."; exit 0; }
while read -r pid; do kill -TERM "$pid" 2>/dev/null; done <"$DIR/pids"
for _ in $(seq 1 100); do
  alive=0
  while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$DIR/pids"
  [ "$alive" = 0 ] && break
  sleep 0.1
done
rm -f "$DIR/pids"
echo "Playground stopped (data kept in $DIR/; remove it to start afresh)."
