/*
 * ratelimit.c — see ratelimit.h. The bucket is kept as a token count that may
 * go negative: a caller that reserves a future token makes it negative, and
 * the debt is what later callers wait behind.
 */
#include "common/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>

struct ratelimit {
    pthread_mutex_t mu;
    double rate_per_ms;
    double burst;
    double tokens;
    int64_t last_ms;
    const clock_source_t *clock;
};

ratelimit_t *ratelimit_new(double rate, double burst, const clock_source_t *clock)
{
    if (!(rate > 0) || !(burst >= 1))
        return NULL;
    ratelimit_t *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    pthread_mutex_init(&rl->mu, NULL);
    rl->rate_per_ms = rate / 1000.0;
    rl->burst = burst;
    rl->tokens = burst;
    rl->clock = clock ? clock : clock_source_system();
    rl->last_ms = rl->clock->now_ms(rl->clock->ctx);
    return rl;
}

void ratelimit_free(ratelimit_t *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

/* Adds the tokens earned since the last refill; caller holds the lock. */
static void refill(ratelimit_t *rl)
{
    int64_t now = rl->clock->now_ms(rl->clock->ctx);
    if (now > rl->last_ms) {
        rl->tokens += (double)(now - rl->last_ms) * rl->rate_per_ms;
        if (rl->tokens > rl->burst)
            rl->tokens = rl->burst;
        rl->last_ms = now;
    }
}

/* Milliseconds until the bucket holds one whole token; caller holds the lock. */
static int64_t wait_for_token(const ratelimit_t *rl)
{
    if (rl->tokens >= 1.0)
        return 0;
    double ms = (1.0 - rl->tokens) / rl->rate_per_ms;
    int64_t whole = (int64_t)ms;
    return whole < ms ? whole + 1 : whole;
}

bool ratelimit_try(ratelimit_t *rl, int64_t *wait_ms)
{
    pthread_mutex_lock(&rl->mu);
    refill(rl);
    int64_t wait = wait_for_token(rl);
    if (wait == 0)
        rl->tokens -= 1.0;
    pthread_mutex_unlock(&rl->mu);
    if (wait_ms)
        *wait_ms = wait;
    return wait == 0;
}

bool ratelimit_reserve(ratelimit_t *rl, int64_t max_wait_ms, int64_t *wait_ms)
{
    pthread_mutex_lock(&rl->mu);
    refill(rl);
    int64_t wait = wait_for_token(rl);
    bool ok = wait <= max_wait_ms;
    if (ok)
        rl->tokens -= 1.0; /* reserved now, even if it is only due after the wait */
    pthread_mutex_unlock(&rl->mu);
    if (wait_ms)
        *wait_ms = wait;
    return ok;
}

bool ratelimit_acquire(ratelimit_t *rl, int64_t max_wait_ms)
{
    int64_t wait = 0;
    if (!ratelimit_reserve(rl, max_wait_ms, &wait))
        return false;
    if (wait > 0)
        rl->clock->sleep_ms(rl->clock->ctx, wait);
    return true;
}
