/* Unit tests for retry.c — backoff with full jitter, on a manual clock. */
#include <check.h>
#include <stdlib.h>

#include "common/retry.h"
#include "check_run.h"

/* An rng that always returns the bound (the largest wait full jitter allows). */
static uint64_t rng_max(void *ctx, uint64_t bound)
{
    (void)ctx;
    return bound;
}

static uint64_t rng_seq_state;
static uint64_t rng_lcg(void *ctx, uint64_t bound)
{
    (void)ctx;
    rng_seq_state = rng_seq_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng_seq_state >> 33) % (bound + 1);
}

typedef struct script {
    retry_outcome_t outcomes[8];
    int64_t retry_after_ms[8];
    int calls;
} script_t;

static retry_outcome_t scripted(void *ctx, int attempt, int64_t *retry_after_ms)
{
    script_t *s = ctx;
    ck_assert_int_eq(attempt, s->calls);
    *retry_after_ms = s->retry_after_ms[s->calls];
    return s->outcomes[s->calls++];
}

static clock_manual_t manual;
static clock_source_t clk;

static retry_policy_t policy(retry_rng_fn rng)
{
    manual = (clock_manual_t){0};
    clk = clock_source_manual(&manual);
    retry_policy_t p = RETRY_POLICY_DEFAULT;
    p.clock = &clk;
    p.rng = rng;
    return p;
}

START_TEST(test_waits_are_capped_at_500_1000_2000_ms)
{
    retry_policy_t p = policy(rng_max);
    script_t s = {{RETRY_RETRYABLE, RETRY_RETRYABLE, RETRY_RETRYABLE, RETRY_RETRYABLE}};
    retry_result_t r = retry_run(&p, scripted, &s);
    ck_assert_int_eq(r.outcome, RETRY_RETRYABLE);
    ck_assert_int_eq(r.attempts, 4);
    ck_assert_int_eq(manual.sleep_count, 3);
    ck_assert_int_eq(manual.sleeps[0], 500);
    ck_assert_int_eq(manual.sleeps[1], 1000);
    ck_assert_int_eq(manual.sleeps[2], 2000);
}
END_TEST

START_TEST(test_full_jitter_stays_between_zero_and_the_cap)
{
    retry_policy_t p = policy(rng_lcg);
    rng_seq_state = 42;
    int64_t min_seen = 1 << 30, max_seen = -1;
    for (int i = 0; i < 5000; i++) {
        int64_t w = retry_backoff_ms(&p, 2);
        ck_assert(w >= 0 && w <= 2000);
        min_seen = w < min_seen ? w : min_seen;
        max_seen = w > max_seen ? w : max_seen;
    }
    ck_assert(min_seen < 100); /* the whole range is used, not just the top */
    ck_assert(max_seen > 1900);
    ck_assert(retry_backoff_ms(&p, 10) <= 2000);
}
END_TEST

START_TEST(test_fatal_errors_are_not_retried)
{
    retry_policy_t p = policy(rng_max);
    script_t s = {{RETRY_FATAL}};
    retry_result_t r = retry_run(&p, scripted, &s);
    ck_assert_int_eq(r.outcome, RETRY_FATAL);
    ck_assert_int_eq(r.attempts, 1);
    ck_assert_int_eq(manual.sleep_count, 0);
}
END_TEST

START_TEST(test_success_on_the_second_attempt_stops_retrying)
{
    retry_policy_t p = policy(rng_max);
    script_t s = {{RETRY_RETRYABLE, RETRY_OK}};
    retry_result_t r = retry_run(&p, scripted, &s);
    ck_assert_int_eq(r.outcome, RETRY_OK);
    ck_assert_int_eq(r.attempts, 2);
    ck_assert_int_eq(r.waited_ms, 500);
}
END_TEST

START_TEST(test_retry_after_from_the_server_is_honoured_and_bounded)
{
    retry_policy_t p = policy(rng_max);
    script_t s = {{RETRY_RETRYABLE, RETRY_RETRYABLE, RETRY_OK}, {3000, 999999}};
    retry_result_t r = retry_run(&p, scripted, &s);
    ck_assert_int_eq(r.outcome, RETRY_OK);
    ck_assert_int_eq(manual.sleeps[0], 3000);
    ck_assert_int_eq(manual.sleeps[1], RETRY_MAX_RETRY_AFTER_MS);
}
END_TEST

START_TEST(test_http_statuses_are_classified)
{
    ck_assert_int_eq(retry_classify_http(200), RETRY_OK);
    ck_assert_int_eq(retry_classify_http(0), RETRY_RETRYABLE);
    ck_assert_int_eq(retry_classify_http(429), RETRY_RETRYABLE);
    ck_assert_int_eq(retry_classify_http(503), RETRY_RETRYABLE);
    ck_assert_int_eq(retry_classify_http(408), RETRY_RETRYABLE);
    ck_assert_int_eq(retry_classify_http(400), RETRY_FATAL);
    ck_assert_int_eq(retry_classify_http(401), RETRY_FATAL);
    ck_assert_int_eq(retry_classify_http(404), RETRY_FATAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("retry");
    TCase *tc = tcase_create("backoff");
    tcase_add_test(tc, test_waits_are_capped_at_500_1000_2000_ms);
    tcase_add_test(tc, test_full_jitter_stays_between_zero_and_the_cap);
    tcase_add_test(tc, test_fatal_errors_are_not_retried);
    tcase_add_test(tc, test_success_on_the_second_attempt_stops_retrying);
    tcase_add_test(tc, test_retry_after_from_the_server_is_honoured_and_bounded);
    tcase_add_test(tc, test_http_statuses_are_classified);
    suite_add_tcase(s, tc);
    return check_run(s);
}
