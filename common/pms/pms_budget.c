/*
 * pms_budget.c — a hotel's PMS request budget shared through Redis, with the
 * in-process token bucket as fallback (see pms_budget.h).
 *
 * OVERALL DESIGN
 *
 * The Redis key pms:budget:{<hotel>}:<vendor> holds the hotel's next free
 * slot in Unix ms (GCRA's "theoretical arrival time"), on Redis' own clock so
 * that replicas with skewed clocks still share one timeline. A request asks
 * for the next slot:
 *
 *     slot = max(tat, now - (burst - 1) * interval)     -- a saved-up burst
 *     wait = max(0, slot - now)
 *     wait > max_wait  → refused, nothing taken
 *     otherwise        → tat = slot + interval, expiring once the budget
 *                        would be full again (an idle hotel leaves no key)
 *
 * Slots are handed out one interval apart in the order the script runs, which
 * is the order requests arrive at Redis: waiting is FIFO per hotel, and no
 * interval ever holds more than `burst` requests more than the rate allows.
 * Priorities need no second queue: a background request simply refuses to
 * join a line longer than its short deadline, so it never takes a slot a
 * checkout would otherwise have had by more than that deadline.
 */
#include "common/pms_budget.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/metrics.h"

#define KEY_MAX 160

/* The whole reservation, atomically. ARGV: interval (ms, may be fractional),
 * burst, max_wait (ms). Returns "<granted 0|1> <wait ms> <slot Unix ms>".
 * replicate_commands lets a script that read TIME write on Redis < 5 (later
 * versions replicate effects anyway). */
static const char RESERVE_SCRIPT[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local interval = tonumber(ARGV[1])\n"
    "local burst = tonumber(ARGV[2])\n"
    "local max_wait = tonumber(ARGV[3])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0\n"
    "local slot = math.max(tat, now - (burst - 1) * interval)\n"
    "local wait = math.max(0, math.ceil(slot - now))\n"
    "if wait > max_wait then\n"
    "  return string.format('0 %d %d', wait, math.floor(slot))\n"
    "end\n"
    "local next_free = slot + interval\n"
    "local ttl = math.ceil(next_free - now + (burst - 1) * interval) + 1\n"
    "redis.call('SET', KEYS[1], string.format('%.3f', next_free), 'PX', ttl)\n"
    "return string.format('1 %d %d', wait, math.floor(slot))\n";

static const double WAIT_BUCKETS_S[] = {0.001, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30};

struct pms_budget {
    pms_budget_config_t cfg;
    char vendor[64];
    char interval_arg[32]; /* the script's ARGV, formatted once */
    char burst_arg[32];
    pthread_mutex_t mu;         /* guards the three fields below */
    int64_t redis_resting_until; /* no Redis before this (clock ms) after a failure */
    int64_t last_warning_ms;
    bool warned;
    metric_t *requests;
    metric_t *wait;
    metric_t *backlog;
    metric_t *redis_errors;
};

/* ------------------------------------------------------------ lifecycle -- */

pms_budget_t *pms_budget_new(const pms_budget_config_t *cfg)
{
    if (!cfg || !cfg->vendor || !*cfg->vendor || !(cfg->rate_per_second > 0) ||
        !(cfg->burst >= 1) || cfg->checkout_wait_ms < 0 || cfg->background_wait_ms < 0)
        return NULL;
    pms_budget_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cfg = *cfg;
    if (!b->cfg.clock)
        b->cfg.clock = clock_source_system();
    snprintf(b->vendor, sizeof b->vendor, "%s", cfg->vendor);
    b->cfg.vendor = b->vendor;
    snprintf(b->interval_arg, sizeof b->interval_arg, "%.3f", 1000.0 / cfg->rate_per_second);
    snprintf(b->burst_arg, sizeof b->burst_arg, "%.0f", cfg->burst);
    pthread_mutex_init(&b->mu, NULL);
    b->requests = metrics_counter("pms_budget_requests_total",
                                  "PMS requests by how the hotel's request budget admitted them", 4,
                                  "vendor", "hotel", "operation", "outcome");
    b->wait = metrics_histogram("pms_budget_wait_seconds",
                                "Time PMS requests queued for a slot of the hotel's budget",
                                WAIT_BUCKETS_S, sizeof WAIT_BUCKETS_S / sizeof *WAIT_BUCKETS_S, 2,
                                "vendor", "priority");
    b->backlog = metrics_gauge("pms_budget_backlog_seconds",
                               "Queue ahead of the hotel's last PMS request (its wait)", 2,
                               "vendor", "hotel");
    b->redis_errors =
        metrics_counter("pms_budget_redis_errors_total",
                        "Budget decisions left to the in-process bucket because Redis failed", 1,
                        "vendor");
    return b;
}

void pms_budget_free(pms_budget_t *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    free(b);
}

int64_t pms_budget_max_wait_ms(const pms_budget_t *b, pms_priority_t priority)
{
    return priority == PMS_PRIORITY_BACKGROUND ? b->cfg.background_wait_ms
                                               : b->cfg.checkout_wait_ms;
}

/* ------------------------------------------------------------- deciding -- */

static int64_t now_ms(const pms_budget_t *b)
{
    return b->cfg.clock->now_ms(b->cfg.clock->ctx);
}

/* Is Redis to be asked now (configured, and not resting after a failure)? */
static bool redis_usable(pms_budget_t *b)
{
    if (!b->cfg.redis)
        return false;
    pthread_mutex_lock(&b->mu);
    bool ok = now_ms(b) >= b->redis_resting_until;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

/* Rests Redis for a while, counts the failure and warns at most once a
 * minute: the fallback works on its own, a log line per request would bury
 * everything else. */
static void note_redis_failure(pms_budget_t *b, const char *hotel_id, const char *detail)
{
    int64_t now = now_ms(b);
    pthread_mutex_lock(&b->mu);
    b->redis_resting_until = now + PMS_BUDGET_REDIS_RETRY_MS;
    bool warn = !b->warned || now - b->last_warning_ms >= PMS_BUDGET_WARN_INTERVAL_MS;
    if (warn) {
        b->warned = true;
        b->last_warning_ms = now;
    }
    pthread_mutex_unlock(&b->mu);
    metrics_counter_inc(b->redis_errors, b->vendor);
    if (warn)
        log_kv(LOG_LEVEL_WARN,
               "PMS budget: Redis failed, this replica limits its own requests until it is back",
               "vendor", b->vendor, "hotel", hotel_id, "error", detail, NULL);
}

/* Runs the reservation script. 0 with *out filled, or -1 (Redis failed or
 * answered something else; detail says what). */
static int reserve_shared(pms_budget_t *b, const char *hotel_id, int64_t max_wait_ms,
                          pms_budget_grant_t *out, char *detail, size_t detail_size)
{
    char key[KEY_MAX], max_wait[32];
    snprintf(key, sizeof key, PMS_BUDGET_KEY_PREFIX "{%s}:%s", hotel_id, b->vendor);
    snprintf(max_wait, sizeof max_wait, "%lld", (long long)max_wait_ms);
    const char *keys[] = {key};
    const char *args[] = {b->interval_arg, b->burst_arg, max_wait};
    char *reply = NULL;
    redis_client_t *r = redis_pool_acquire(b->cfg.redis);
    redis_client_err_t rc = redis_eval(r, RESERVE_SCRIPT, keys, 1, args, 3, NULL, &reply);
    if (rc != REDIS_CLIENT_OK)
        snprintf(detail, detail_size, "%s", redis_client_error(r));
    redis_pool_release(b->cfg.redis, r);
    int granted = 0;
    long long wait = 0, slot = 0;
    int ok = rc == REDIS_CLIENT_OK && reply &&
             sscanf(reply, "%d %lld %lld", &granted, &wait, &slot) == 3 && wait >= 0;
    if (rc == REDIS_CLIENT_OK && !ok)
        snprintf(detail, detail_size, "unexpected reply from the budget script");
    free(reply);
    if (!ok)
        return -1;
    out->shared = true;
    out->wait_ms = wait;
    out->slot_ms = slot;
    out->outcome = !granted ? PMS_BUDGET_REFUSED
                   : wait > 0 ? PMS_BUDGET_WAITED
                              : PMS_BUDGET_IMMEDIATE;
    return 0;
}

/* The in-process bucket's decision (no bucket: always immediate). */
static void reserve_local(ratelimit_t *local, int64_t max_wait_ms, pms_budget_grant_t *out)
{
    int64_t wait = 0;
    bool ok = !local || ratelimit_reserve(local, max_wait_ms, &wait);
    out->wait_ms = wait;
    out->outcome = !ok ? PMS_BUDGET_REFUSED : wait > 0 ? PMS_BUDGET_WAITED : PMS_BUDGET_IMMEDIATE;
}

bool pms_budget_reserve(pms_budget_t *b, const pms_budget_request_t *req, pms_budget_grant_t *out)
{
    memset(out, 0, sizeof *out);
    int64_t max_wait = pms_budget_max_wait_ms(b, req->priority);
    if (redis_usable(b)) {
        char detail[256] = "";
        if (reserve_shared(b, req->hotel_id, max_wait, out, detail, sizeof detail) == 0)
            return out->outcome != PMS_BUDGET_REFUSED;
        note_redis_failure(b, req->hotel_id, detail);
        out->fallback = true;
    } else if (b->cfg.redis) {
        out->fallback = true; /* resting after a failure */
    }
    reserve_local(req->local, max_wait, out);
    return out->outcome != PMS_BUDGET_REFUSED;
}

bool pms_budget_acquire(pms_budget_t *b, const pms_budget_request_t *req, pms_budget_grant_t *out)
{
    bool ok = pms_budget_reserve(b, req, out);
    metrics_counter_inc(b->requests, b->vendor, req->hotel_id, req->operation,
                        pms_budget_outcome_name(out));
    metrics_gauge_set(b->backlog, (double)out->wait_ms / 1000.0, b->vendor, req->hotel_id);
    if (!ok)
        return false;
    metrics_histogram_observe(b->wait, (double)out->wait_ms / 1000.0, b->vendor,
                              pms_priority_name(req->priority));
    if (out->wait_ms > 0)
        b->cfg.clock->sleep_ms(b->cfg.clock->ctx, out->wait_ms);
    return true;
}

/* ---------------------------------------------------------------- names -- */

const char *pms_priority_name(pms_priority_t p)
{
    return p == PMS_PRIORITY_BACKGROUND ? "background" : "checkout";
}

const char *pms_budget_outcome_name(const pms_budget_grant_t *g)
{
    if (g->outcome == PMS_BUDGET_REFUSED)
        return "refused";
    if (g->fallback)
        return "fallback";
    return g->outcome == PMS_BUDGET_WAITED ? "waited" : "immediate";
}
