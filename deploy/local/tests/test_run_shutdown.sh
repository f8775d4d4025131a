#!/usr/bin/env bash
# test_run_shutdown.sh — `run` (make run) must stop what it started however it
# ends: when its log follower is already gone (so killing it fails), and on
# SIGTERM while it follows the logs. Runs the real `run` script in a scratch
# copy of deploy/local whose setup, stack and cmake are stand-ins recording
# what they were asked to do.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
run_pid=""
cleanup() {
    set +e
    [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

root="$tmp/root"
mkdir -p "$root/deploy/local" "$tmp/bin"
cp "$here/../run" "$here/../lib.sh" "$root/deploy/local/"
printf '#!/bin/sh\nexit 0\n' >"$root/deploy/local/setup"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/cmake"
cat >"$root/deploy/local/stack" <<'STACK'
#!/bin/sh
echo "$1" >>"$STACK_CALLS"
STACK
chmod +x "$root/deploy/local/setup" "$root/deploy/local/stack" "$tmp/bin/cmake"
export PATH="$tmp/bin:$PATH" LOCAL_STACK_DIR="$tmp/stack" STACK_CALLS="$tmp/calls"
mkdir -p "$LOCAL_STACK_DIR/logs"
: >"$LOCAL_STACK_DIR/logs/component.log"

# Waits (with a deadline) for run's log follower and prints its pid.
follower_of() {
    local deadline=$((SECONDS + 20)) pid
    until pid="$(pgrep -P "$1" -x tail)"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "run never started following the logs"
        sleep 0.05
    done
    echo "$pid"
}

# Waits for run to exit and checks it called `stack down` after `stack up`.
expect_down() {
    local deadline=$((SECONDS + 20))
    while kill -0 "$run_pid" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$1: run did not exit"
        sleep 0.05
    done
    wait "$run_pid" || true
    run_pid=""
    grep -qx up "$STACK_CALLS" || fail "$1: stack up was never called"
    [ "$(tail -n 1 "$STACK_CALLS")" = down ] || fail "$1: stack down was not called last"
}

# 1. The follower dies first: run ends, and its handler's kill fails.
: >"$STACK_CALLS"
"$root/deploy/local/run" >"$tmp/out1" 2>&1 &
run_pid=$!
kill "$(follower_of "$run_pid")"
expect_down "follower gone"

# 2. SIGTERM while following the logs.
: >"$STACK_CALLS"
"$root/deploy/local/run" >"$tmp/out2" 2>&1 &
run_pid=$!
follower="$(follower_of "$run_pid")"
kill -TERM "$run_pid"
expect_down "SIGTERM"
! kill -0 "$follower" 2>/dev/null || fail "SIGTERM: the log follower is left running"
echo "ok: stack down after the follower died and after SIGTERM"
