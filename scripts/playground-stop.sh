#!/usr/bin/env bash
# Stops the playground's nodes: exactly the pids recorded in .playground/pids (SIGTERM, then
# waits, at most 15 s each, for them to exit).
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=.playground
[ -f "$DIR/pids" ] || { echo "No playground is running."; exit 0; }
while read -r pid; do kill -TERM "$pid" 2>/dev/null; done <"$DIR/pids"
# tail --pid returns when the process exits: a wait on the condition, not a fixed sleep.
while read -r pid; do timeout 15 tail --pid="$pid" -f /dev/null 2>/dev/null; done <"$DIR/pids"
rm -f "$DIR/pids"
echo "Playground stopped (data kept in $DIR/; remove it to start afresh)."
