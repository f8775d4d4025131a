/*
 * retry.h — retry with exponential backoff and full jitter.
 *
 * Attempt n (0-based) that failed retryably waits random(0, min(cap, base·2^n))
 * before the next one: with the brief's base 500 ms the caps are 500, 1000,
 * 2000 ms; at most 3 retries (4 calls). A server's Retry-After is honoured:
 * the wait is max(backoff, retry_after), bounded by max_retry_after_ms.
 * Fatal failures (4xx other than 408/429, validation, auth) are never retried.
 *
 * Usage:
 *     retry_policy_t p = RETRY_POLICY_DEFAULT;
 *     retry_result_t r = retry_run(&p, call_pms_once, &call);
 *     if (r.outcome != RETRY_OK) ... r.attempts calls were made
 *
 * Thread-safety: a policy is read-only during retry_run and may be shared.
 * The default rng is thread-safe (getrandom). Ownership: nothing is retained.
 */
#ifndef COMMON_RETRY_H
#define COMMON_RETRY_H

#include <stdint.h>

#include "common/clock.h"

#define RETRY_MAX_RETRIES 3
#define RETRY_BASE_MS 500
#define RETRY_CAP_MS 2000
#define RETRY_MAX_RETRY_AFTER_MS 30000

typedef enum {
    RETRY_OK = 0,        /* the operation succeeded */
    RETRY_RETRYABLE = 1, /* transient: timeout, 5xx, 429, connection error */
    RETRY_FATAL = 2,     /* do not try again */
} retry_outcome_t;

/* Returns a uniformly random integer in [0, bound] (inclusive). */
typedef uint64_t (*retry_rng_fn)(void *ctx, uint64_t bound);

typedef struct retry_policy {
    int max_retries;
    int64_t base_ms;
    int64_t cap_ms;
    int64_t max_retry_after_ms;
    const clock_source_t *clock; /* NULL = system clock */
    retry_rng_fn rng;            /* NULL = getrandom-based */
    void *rng_ctx;
} retry_policy_t;

#define RETRY_POLICY_DEFAULT                                                                       \
    ((retry_policy_t){.max_retries = RETRY_MAX_RETRIES,                                            \
                      .base_ms = RETRY_BASE_MS,                                                    \
                      .cap_ms = RETRY_CAP_MS,                                                      \
                      .max_retry_after_ms = RETRY_MAX_RETRY_AFTER_MS})

/* One attempt. `attempt` counts from 0. May set *retry_after_ms (> 0) when
 * the server said how long to wait. */
typedef retry_outcome_t (*retry_op_fn)(void *ctx, int attempt, int64_t *retry_after_ms);

typedef struct retry_result {
    retry_outcome_t outcome; /* of the last attempt */
    int attempts;            /* calls made, 1 .. max_retries + 1 */
    int64_t waited_ms;       /* total time slept between attempts */
} retry_result_t;

/* The wait before retry number attempt+1: random(0, min(cap, base·2^attempt)). */
int64_t retry_backoff_ms(const retry_policy_t *p, int attempt);

/* Runs `op` until it succeeds, fails fatally, or retries are exhausted. */
retry_result_t retry_run(const retry_policy_t *p, retry_op_fn op, void *ctx);

/* Classifies an HTTP status: 2xx OK; 408, 425, 429, 5xx retryable; else fatal.
 * Status 0 (no response: timeout, connection refused) is retryable. */
retry_outcome_t retry_classify_http(int status);

#endif /* COMMON_RETRY_H */
