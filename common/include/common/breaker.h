/*
 * breaker.h — circuit breaker with consecutive-failure counting.
 *
 * CLOSED: calls flow; `failure_threshold` (5) consecutive failures → OPEN.
 * OPEN: calls are rejected at once for `open_ms` (60 s), then → HALF_OPEN.
 * HALF_OPEN: at most `half_open_max_trials` (2) calls are let through at a
 * time; `half_open_successes` (2) consecutive successes → CLOSED; any failure
 * → OPEN again with a fresh timer.
 *
 * Usage:
 *     breaker_config_t bc = BREAKER_CONFIG_DEFAULT("pms:cloudbeds:hotel_123");
 *     breaker_t *b = breaker_new(&bc);
 *     if (!breaker_allow(b)) return PMS_ERR_UNAVAILABLE;        // fail fast
 *     int rc = call_pms(...);
 *     rc == 0 ? breaker_record_success(b) : breaker_record_failure(b);
 *
 * Every breaker_allow() that returned true must be followed by exactly one
 * record_success/record_failure (in HALF_OPEN it holds a trial slot).
 * Thread-safety: all functions are thread-safe. Metrics: gauge
 * circuit_breaker_state{breaker} (0 closed, 1 open, 2 half-open) and counter
 * circuit_breaker_transitions_total{breaker,to}. Ownership: the breaker copies
 * its name; the callback's ctx is borrowed.
 */
#ifndef COMMON_BREAKER_H
#define COMMON_BREAKER_H

#include <stdbool.h>

#include "common/clock.h"

typedef enum { BREAKER_CLOSED = 0, BREAKER_OPEN = 1, BREAKER_HALF_OPEN = 2 } breaker_state_t;

#define BREAKER_FAILURE_THRESHOLD 5
#define BREAKER_OPEN_MS 60000
#define BREAKER_HALF_OPEN_SUCCESSES 2
#define BREAKER_HALF_OPEN_MAX_TRIALS 2

/* Called (outside the breaker's lock) on every state change, e.g. to publish
 * an ops.alerts breaker.opened event. */
typedef void (*breaker_change_fn)(const char *name, breaker_state_t from, breaker_state_t to,
                                  void *ctx);

typedef struct breaker_config {
    const char *name;
    int failure_threshold;
    int open_ms;
    int half_open_successes;
    int half_open_max_trials;
    const clock_source_t *clock; /* NULL = system clock */
    breaker_change_fn on_change; /* optional */
    void *on_change_ctx;
} breaker_config_t;

#define BREAKER_CONFIG_DEFAULT(breaker_name)                                                       \
    ((breaker_config_t){.name = (breaker_name),                                                    \
                        .failure_threshold = BREAKER_FAILURE_THRESHOLD,                            \
                        .open_ms = BREAKER_OPEN_MS,                                                \
                        .half_open_successes = BREAKER_HALF_OPEN_SUCCESSES,                        \
                        .half_open_max_trials = BREAKER_HALF_OPEN_MAX_TRIALS})

typedef struct breaker breaker_t;

/* Zero or negative numbers in cfg take the defaults above. NULL on OOM. */
breaker_t *breaker_new(const breaker_config_t *cfg);
void breaker_free(breaker_t *b);

/* May a call go through now? (In HALF_OPEN this takes a trial slot.) */
bool breaker_allow(breaker_t *b);
void breaker_record_success(breaker_t *b);
void breaker_record_failure(breaker_t *b);

/* Current state (OPEN turns into HALF_OPEN here once open_ms passed). */
breaker_state_t breaker_state(breaker_t *b);
const char *breaker_state_name(breaker_state_t s);
const char *breaker_name(const breaker_t *b);

#endif /* COMMON_BREAKER_H */
