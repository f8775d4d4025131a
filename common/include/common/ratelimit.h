/*
 * ratelimit.h — a token bucket: `rate` tokens a second, at most `burst` saved
 * up. Used per hotel in front of every PMS call (PMS API calls are rate
 * limited per hotel), with the vendor's published limit as default.
 *
 * Usage:
 *     ratelimit_t *rl = ratelimit_new(5.0, 5.0, NULL);   // Cloudbeds: 5 requests/s a property
 *     if (!ratelimit_acquire(rl, 2000)) return PMS_ERR_RATE_LIMITED;  // waited 2 s, no token
 *
 * ratelimit_acquire sleeps (on the injected clock) until a token is due, but
 * never longer than max_wait_ms: when the wait would be longer it returns
 * false at once without taking a token, so a queue of callers cannot build up
 * unbounded latency. Thread-safety: all calls are thread-safe. Ownership: the
 * clock is borrowed.
 */
#ifndef COMMON_RATELIMIT_H
#define COMMON_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"

typedef struct ratelimit ratelimit_t;

/* rate > 0 tokens per second; burst >= 1 (the bucket starts full). NULL clock
 * = system clock. NULL on bad arguments or OOM. */
ratelimit_t *ratelimit_new(double rate, double burst, const clock_source_t *clock);
void ratelimit_free(ratelimit_t *rl);

/* Takes a token now if one is there. Otherwise returns false and, when
 * wait_ms is not NULL, says how long until the next token is due. */
bool ratelimit_try(ratelimit_t *rl, int64_t *wait_ms);

/* Takes a token, sleeping for it when it is due within max_wait_ms; false
 * (nothing taken) when it is not. The token is reserved before sleeping, so
 * concurrent callers are served in order and the rate is never exceeded. */
bool ratelimit_acquire(ratelimit_t *rl, int64_t max_wait_ms);

/* ratelimit_acquire without the sleep, for callers that sleep elsewhere (or
 * not on this clock): reserves a token due within max_wait_ms and returns
 * true; *wait_ms (optional) = how long until it is due, or, when false
 * (nothing taken), how long until the next token would be. */
bool ratelimit_reserve(ratelimit_t *rl, int64_t max_wait_ms, int64_t *wait_ms);

#endif /* COMMON_RATELIMIT_H */
