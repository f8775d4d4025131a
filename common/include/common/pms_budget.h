/*
 * pms_budget.h — a hotel's PMS request budget (the vendor's per-property
 * limit, Cloudbeds: 5 requests a second), shared by every replica of every
 * service through Redis, because the vendor counts all of them together.
 *
 * Each request reserves the next free slot of the hotel's budget (GCRA: one
 * Lua script, one clock — Redis TIME — for all replicas). A request that finds
 * the budget spent is not refused at once: it is given the slot after the
 * last one handed out and sleeps until then, so callers are served in order of
 * arrival and the rate is never exceeded. How long a request may wait depends
 * on its priority:
 *   PMS_PRIORITY_CHECKOUT    holds, confirms, cancels, compensations: may wait
 *                            up to checkout_wait_ms (15 s, well inside the
 *                            180 s hold and a guest's patience);
 *   PMS_PRIORITY_BACKGROUND  cache fills, refreshes, sync: only joins a
 *                            backlog shorter than background_wait_ms (500 ms),
 *                            so while checkouts queue up, reads are refused at
 *                            once (inventory-svc serves its stale copy) and
 *                            never push a checkout back by more than that.
 * A refused request takes nothing and learns how long until its turn would
 * come (for a Retry-After).
 *
 * Without Redis (redis NULL) or while Redis fails, the caller's in-process
 * token bucket decides instead (per replica, so the shared guarantee is lost
 * until Redis is back): a hiccup of Redis never refuses a checkout. Failures
 * are logged at most once a minute and counted.
 *
 * Usage:
 *     pms_budget_config_t bc = {.redis = pool, .vendor = "cloudbeds", .rate_per_second = 5,
 *                               .burst = 5, .checkout_wait_ms = 15000,
 *                               .background_wait_ms = 500};
 *     pms_budget_t *b = pms_budget_new(&bc);
 *     pms_budget_grant_t g;
 *     if (!pms_budget_acquire(b, &(pms_budget_request_t){.hotel_id = "hotel_123",
 *             .operation = "postReservation", .priority = PMS_PRIORITY_CHECKOUT,
 *             .local = limiter}, &g))
 *         return refuse(g.wait_ms);          // budget spent: retry after g.wait_ms
 *     send_the_request();
 *
 * Metrics: pms_budget_requests_total{vendor,hotel,operation,outcome}
 * (immediate | waited | refused | fallback), pms_budget_wait_seconds{vendor,
 * priority}, pms_budget_backlog_seconds{vendor,hotel} (the backlog the last
 * request of the hotel found) and pms_budget_redis_errors_total{vendor}.
 *
 * Thread-safety: all functions are thread-safe. Ownership: the budget borrows
 * the Redis pool, the clock and the callers' local limiters, and copies the
 * vendor name.
 */
#ifndef COMMON_PMS_BUDGET_H
#define COMMON_PMS_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/ratelimit.h"
#include "common/redis.h"

#define PMS_DEFAULT_CHECKOUT_WAIT_MS 15000
#define PMS_DEFAULT_BACKGROUND_WAIT_MS 500
/* After Redis failed, how long requests use the in-process bucket before
 * Redis is tried again (so a dead Redis costs one timeout a second, not one
 * per request). */
#define PMS_BUDGET_REDIS_RETRY_MS 1000
#define PMS_BUDGET_WARN_INTERVAL_MS 60000
#define PMS_BUDGET_KEY_PREFIX "pms:budget:"

typedef struct pms_budget pms_budget_t;

/* Who yields to whom when a hotel's budget is spent. */
typedef enum {
    PMS_PRIORITY_CHECKOUT = 0, /* waits its turn, up to checkout_wait_ms */
    PMS_PRIORITY_BACKGROUND,   /* refused unless its turn is within background_wait_ms */
} pms_priority_t;

typedef struct pms_budget_config {
    redis_pool_t *redis;         /* the shared budget; NULL = the in-process bucket only */
    const char *vendor;          /* key and label: pms:budget:{<hotel>}:<vendor> */
    double rate_per_second;      /* > 0 */
    double burst;                /* >= 1 */
    int64_t checkout_wait_ms;    /* >= 0 */
    int64_t background_wait_ms;  /* >= 0 */
    const clock_source_t *clock; /* sleeps and the Redis retry timer; NULL = system */
} pms_budget_config_t;

/* One request for a slot. */
typedef struct pms_budget_request {
    const char *hotel_id;
    const char *operation; /* the vendor method, a metric label */
    pms_priority_t priority;
    ratelimit_t *local; /* the hotel's in-process bucket (same rate and burst) */
} pms_budget_request_t;

typedef enum {
    PMS_BUDGET_IMMEDIATE = 0, /* a slot was free */
    PMS_BUDGET_WAITED,        /* queued behind others for wait_ms */
    PMS_BUDGET_REFUSED,       /* the wait would have exceeded the priority's deadline */
} pms_budget_outcome_t;

typedef struct pms_budget_grant {
    pms_budget_outcome_t outcome;
    int64_t wait_ms; /* the wait granted, or for a refusal the wait it would have had */
    bool fallback;   /* decided by the in-process bucket because Redis failed */
    bool shared;     /* decided by the Redis budget */
    int64_t slot_ms; /* shared only: the slot's time on Redis' clock (Unix ms) */
} pms_budget_grant_t;

/* A budget, or NULL on bad arguments (rate <= 0, burst < 1, no vendor) or
 * OOM. Free with pms_budget_free (accepts NULL). */
pms_budget_t *pms_budget_new(const pms_budget_config_t *cfg);
void pms_budget_free(pms_budget_t *b);

/* Reserves the request's slot without sleeping: true with the wait until the
 * slot is due in *out (the caller must not send before then), or false when
 * the wait would exceed the priority's deadline (nothing taken; *out says how
 * long). Records no metrics (pms_budget_acquire does). */
bool pms_budget_reserve(pms_budget_t *b, const pms_budget_request_t *req, pms_budget_grant_t *out);

/* pms_budget_reserve, then sleeps (on the configured clock) until the slot
 * is due, and records the metrics. True when the request may be sent now;
 * false when refused (*out as for reserve). */
bool pms_budget_acquire(pms_budget_t *b, const pms_budget_request_t *req, pms_budget_grant_t *out);

/* The longest wait of a priority in this budget. */
int64_t pms_budget_max_wait_ms(const pms_budget_t *b, pms_priority_t priority);

const char *pms_priority_name(pms_priority_t p);
const char *pms_budget_outcome_name(const pms_budget_grant_t *g);

#endif /* COMMON_PMS_BUDGET_H */
