/*
 * retry.c — exponential backoff with full jitter (see retry.h).
 */
#include "common/retry.h"

#include <sys/random.h>

static uint64_t default_rng(void *ctx, uint64_t bound)
{
    (void)ctx;
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint64_t)clock_now_ms() * 6364136223846793005ULL;
    return bound == UINT64_MAX ? r : r % (bound + 1);
}

int64_t retry_backoff_ms(const retry_policy_t *p, int attempt)
{
    int64_t ceiling = p->base_ms;
    for (int i = 0; i < attempt && ceiling < p->cap_ms; i++)
        ceiling *= 2;
    if (ceiling > p->cap_ms)
        ceiling = p->cap_ms;
    if (ceiling <= 0)
        return 0;
    retry_rng_fn rng = p->rng ? p->rng : default_rng;
    return (int64_t)rng(p->rng_ctx, (uint64_t)ceiling);
}

retry_result_t retry_run(const retry_policy_t *p, retry_op_fn op, void *ctx)
{
    const clock_source_t *clock = p->clock ? p->clock : clock_source_system();
    retry_result_t result = {RETRY_FATAL, 0, 0};
    for (int attempt = 0;; attempt++) {
        int64_t retry_after_ms = 0;
        result.outcome = op(ctx, attempt, &retry_after_ms);
        result.attempts = attempt + 1;
        if (result.outcome != RETRY_RETRYABLE || attempt >= p->max_retries)
            return result;
        int64_t wait = retry_backoff_ms(p, attempt);
        if (retry_after_ms > 0) {
            if (retry_after_ms > p->max_retry_after_ms)
                retry_after_ms = p->max_retry_after_ms;
            if (retry_after_ms > wait)
                wait = retry_after_ms;
        }
        clock->sleep_ms(clock->ctx, wait);
        result.waited_ms += wait;
    }
}

retry_outcome_t retry_classify_http(int status)
{
    if (status >= 200 && status < 300)
        return RETRY_OK;
    if (status == 0 || status == 408 || status == 425 || status == 429 || status >= 500)
        return RETRY_RETRYABLE;
    return RETRY_FATAL;
}
