#!/usr/bin/env bash
# test_stack_pids.sh — `stack` must judge a component by the process itself:
# one that runs is running; one that crashed and is not reaped yet (a zombie
# still has its pid and start time) is stopped, so `stack up` restarts it and
# `stack down` does not wait for it. Uses a pid file the way `stack up` writes
# one, and no infrastructure at all.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
stack="$here/../stack"
tmp="$(mktemp -d)"
holder=""
live=""
cleanup() {
    set +e
    [ -n "$holder" ] && kill "$holder" 2>/dev/null
    [ -n "$live" ] && kill "$live" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

export LOCAL_STACK_DIR="$tmp/stack" BUILD_DIR="$tmp/no-build" STOP_TIMEOUT_S=20
mkdir -p "$LOCAL_STACK_DIR/run"
# Fields of /proc/PID/stat after the command name: 1 is the state, 20 the start time.
stat_field() {
    local s n="$2"
    s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    s="${s##*) }"
    # shellcheck disable=SC2086
    set -- $s
    echo "${!n}"
}
start_time() { stat_field "$1" 20; }
state() { stat_field "$1" 1 || echo gone; }
record() { echo "$2 $(start_time "$2")" >"$LOCAL_STACK_DIR/run/$1.pid"; }
status_of() { "$stack" status | awk -v n="$1" '$1 == n { print $2 }'; }

# A running process recorded as redis: reported running.
sleep 300 &
live=$!
record redis "$live"
[ "$(status_of redis)" = running ] || fail "a running component is not reported running"

# A zombie recorded as kafka: its parent (an exec'd sleep) never reaps it.
sh -c 'sleep 0 & echo $! >"$1"; exec sleep 300' sh "$tmp/zombie.pid" &
holder=$!
deadline=$((SECONDS + 10))
until [ -s "$tmp/zombie.pid" ] && [ "$(state "$(cat "$tmp/zombie.pid")")" = Z ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "could not make a zombie process"
    sleep 0.05
done
zombie="$(cat "$tmp/zombie.pid")"
record kafka "$zombie"
[ "$(status_of kafka)" = stopped ] || fail "a zombie component is reported running"

# down: forgets the zombie at once (no wait for it to exit) and stops the live one.
started=$SECONDS
"$stack" down >/dev/null 2>&1 || fail "stack down failed"
[ $((SECONDS - started)) -lt 10 ] || fail "stack down waited for a zombie"
[ ! -e "$LOCAL_STACK_DIR/run/kafka.pid" ] || fail "the zombie's pid file is left"
deadline=$((SECONDS + 10))
until [ "$(state "$live")" = gone ] || [ "$(state "$live")" = Z ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "stack down did not stop the running component"
    sleep 0.05
done
echo "ok: running, zombie and down"
