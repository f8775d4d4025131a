/*
 * api_limits.h — what the real vendor does to clients that call too often,
 * and what tests need to count calls: a per-property request limit (a token
 * bucket, Cloudbeds publishes 5 requests a second per property) and request
 * counters per property and API method, with how many got 429.
 *
 * Usage:
 *     api_limits_t *lim = api_limits_new(5, 5, NULL);      // 0 = no limit
 *     long retry_after_s;
 *     if (!api_limits_admit(lim, "hotel_123", "postReservation", &retry_after_s))
 *         ... answer 429 with Retry-After: retry_after_s ...
 *     json_object *stats = api_limits_stats_json(lim, NULL);
 *
 * Every request the limit sees is counted, a refused one too (it reached
 * the vendor), and a refusal takes no token: a client that waits
 * Retry-After gets through. Changing the limit refills every bucket.
 * Thread-safety: every function is thread-safe (one mutex over the table).
 * Ownership: the clock is borrowed; JSON returned is the caller's.
 */
#ifndef PMS_SANDBOX_API_LIMITS_H
#define PMS_SANDBOX_API_LIMITS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common/clock.h"

#define API_LIMITS_MAX_PER_SECOND 1000
#define API_LIMITS_MAX_BURST 10000
#define API_LIMITS_MAX_METHODS 32

typedef struct api_limits api_limits_t;

/* per_second <= 0: no limit; burst < 1: = per_second. NULL clock = system.
 * NULL on OOM. */
api_limits_t *api_limits_new(double per_second, double burst, const clock_source_t *clock);
void api_limits_free(api_limits_t *l); /* accepts NULL */

/* Sets the limit (as for api_limits_new) and refills every bucket. */
void api_limits_set(api_limits_t *l, double per_second, double burst);
/* The limit in force (0, 0 when off). */
void api_limits_get(api_limits_t *l, double *per_second, double *burst);

/* Counts one request of `method` for `property`. True when it is within the
 * limit; false when it must be answered 429, with *retry_after_s (>= 1) the
 * whole seconds until a token is due. */
bool api_limits_admit(api_limits_t *l, const char *property, const char *method,
                      long *retry_after_s);

/* {"requests":{"<property>":{"<method>":n,...}},"rateLimited":{"<property>":n}}
 * for every property that was called, or for `property` alone (listed even
 * when it was not called). NULL on OOM. */
json_object *api_limits_stats_json(api_limits_t *l, const char *property);

/* Zeroes every counter (the limit stays). */
void api_limits_clear_stats(api_limits_t *l);

/* Zeroes every counter and refills every bucket (sandbox reset; the limit
 * stays as configured). */
void api_limits_reset(api_limits_t *l);

#endif /* PMS_SANDBOX_API_LIMITS_H */
