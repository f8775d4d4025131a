# shellcheck shell=bash disable=SC2034  # variables used by the scripts that source this
# lib.sh — shared definitions for deploy/local/{setup,stack,test,run}.
# Sourced, never executed. Every path is project-local; every port is an
# environment variable with a default (README "Configuration").

# mariadbd and mariadb-install-db live in /usr/sbin, which not every PATH has.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT_DIR

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
CACHE_DIR="${LODGING_CACHE_DIR:-$ROOT_DIR/.local/cache}"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
VENV_DIR="$ROOT_DIR/.local/venv"
# Helm, for the chart's tests (deploy/k8s/tests); setup builds it here.
HELM_VERSION="${HELM_VERSION:-3.16.4}"
HELM_BIN="$CACHE_DIR/helm-$HELM_VERSION/bin/helm"
BUILD_DIR="${BUILD_DIR:-$ROOT_DIR/build}"

LOCAL_STACK_DIR="${LOCAL_STACK_DIR:-$ROOT_DIR/.local/stack}"
case "$LOCAL_STACK_DIR" in /*) ;; *) LOCAL_STACK_DIR="$ROOT_DIR/$LOCAL_STACK_DIR" ;; esac

KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
REDIS_PORT="${REDIS_PORT:-16379}"
MYSQL_PORT="${MYSQL_PORT:-13306}"
BOOKING_SVC_PORT="${BOOKING_SVC_PORT:-8081}"
INVENTORY_SVC_PORT="${INVENTORY_SVC_PORT:-8082}"
WEBHOOK_INGEST_PORT="${WEBHOOK_INGEST_PORT:-8083}"
POLLER_PORT="${POLLER_PORT:-8084}"
PMS_SANDBOX_PORT="${PMS_SANDBOX_PORT:-8091}"
PAY_SANDBOX_PORT="${PAY_SANDBOX_PORT:-8092}"
TOSS_SANDBOX_PORT="${TOSS_SANDBOX_PORT:-8093}"
OPERA_SANDBOX_PORT="${OPERA_SANDBOX_PORT:-8094}"

# The sandboxes' demo credentials (sandbox/pms-sandbox/seed.json,
# sandbox/pay-sandbox, sandbox/toss-sandbox): local only, never real keys.
SANDBOX_PAYMENT_KEY="sk_test_sandbox"
SANDBOX_TOSS_SECRET_KEY="test_sk_sandbox"
SANDBOX_WEBHOOK_SECRET="whsec_sandbox"
SANDBOX_PMS_KEYS=(
    PMS_hotel_123_API_KEY=cbk_sandbox_hotel_123
    PMS_hotel_busan_API_KEY=cbk_sandbox_hotel_busan
    PMS_hotel_tokyo_API_KEY=cbk_sandbox_hotel_tokyo
    PMS_hotel_nyc_API_KEY=cbk_sandbox_hotel_nyc
    PMS_hotel_gangnam_API_KEY=cbk_sandbox_hotel_gangnam
)
# The opera-sandbox's integration user and channel (sandbox/opera-sandbox):
# one OHIP credential for every OPERA hotel of the environment.
SANDBOX_OPERA_SETTINGS=(
    PMS_opera_jeju_VENDOR=opera
    PMS_opera_jeju_API_KEY=lodging_integration:opera_sandbox_password
    PMS_OPERA_USERNAME=lodging_integration
    PMS_OPERA_PASSWORD=opera_sandbox_password
    PMS_OPERA_CHANNEL_CODE=LODGING
)

MYSQL_USER_NAME="lodging"
MYSQL_USER_PASSWORD="lodging"
MYSQL_DATABASE="lodging"

# Kafka topics: the declarative file the chart's topic Job applies too
# (proto/topics.md); one broker here, so replication factor 1 and
# min.insync.replicas 1 instead of the file's production 3 / 2.
KAFKA_TOPICS_FILE="$ROOT_DIR/deploy/k8s/lodging/files/topics.json"
KAFKA_LOCAL_REPLICATION=1
KAFKA_PARTITIONS=3 # the broker's default for topics made by anything else

# Readiness deadlines, in seconds.
READY_TIMEOUT_S="${READY_TIMEOUT_S:-90}"
STOP_TIMEOUT_S="${STOP_TIMEOUT_S:-30}"

info() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() {
    printf '\033[1;31merror:\033[0m %s\n' "$*" >&2
    exit 1
}

# Runs a command as root (directly, or through sudo when not root).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_until SECONDS DESCRIPTION COMMAND... — polls COMMAND until it succeeds
# or the deadline passes (then returns 1). Never a fixed sleep.
wait_until() {
    local timeout_s="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + timeout_s))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            warn "timed out after ${timeout_s}s waiting for $what"
            return 1
        fi
        sleep 0.2
    done
}
