/* Unit tests for breaker.c — the state machine of breaker.h, on a manual clock. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/breaker.h"
#include "common/metrics.h"
#include "check_run.h"

static clock_manual_t manual;
static clock_source_t clk;
static int changes;
static breaker_state_t last_to;

static void on_change(const char *name, breaker_state_t from, breaker_state_t to, void *ctx)
{
    (void)name, (void)from, (void)ctx;
    changes++;
    last_to = to;
}

static breaker_t *make(void)
{
    manual = (clock_manual_t){.now_ms = 1000};
    clk = clock_source_manual(&manual);
    changes = 0;
    breaker_config_t cfg = BREAKER_CONFIG_DEFAULT("pms:test:hotel_1");
    cfg.clock = &clk;
    cfg.on_change = on_change;
    return breaker_new(&cfg);
}

static void fail_n(breaker_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        ck_assert(breaker_allow(b));
        breaker_record_failure(b);
    }
}

START_TEST(test_breaker_opens_after_five_consecutive_failures)
{
    breaker_t *b = make();
    fail_n(b, 4);
    ck_assert_int_eq(breaker_state(b), BREAKER_CLOSED);
    fail_n(b, 1);
    ck_assert_int_eq(breaker_state(b), BREAKER_OPEN);
    ck_assert_int_eq(changes, 1);
    ck_assert_int_eq(last_to, BREAKER_OPEN);
    breaker_free(b);
}
END_TEST

START_TEST(test_a_success_resets_the_consecutive_failure_count)
{
    breaker_t *b = make();
    fail_n(b, 4);
    ck_assert(breaker_allow(b));
    breaker_record_success(b);
    fail_n(b, 4);
    ck_assert_int_eq(breaker_state(b), BREAKER_CLOSED);
    breaker_free(b);
}
END_TEST

START_TEST(test_open_breaker_rejects_calls_until_sixty_seconds_pass)
{
    breaker_t *b = make();
    fail_n(b, 5);
    ck_assert(!breaker_allow(b));
    manual.now_ms += 59999;
    ck_assert(!breaker_allow(b));
    ck_assert_int_eq(breaker_state(b), BREAKER_OPEN);
    manual.now_ms += 1;
    ck_assert_int_eq(breaker_state(b), BREAKER_HALF_OPEN);
    breaker_free(b);
}
END_TEST

START_TEST(test_half_open_allows_a_bounded_number_of_trials)
{
    breaker_t *b = make();
    fail_n(b, 5);
    manual.now_ms += 60000;
    ck_assert(breaker_allow(b));
    ck_assert(breaker_allow(b));
    ck_assert(!breaker_allow(b));
    breaker_record_success(b);
    ck_assert_int_eq(breaker_state(b), BREAKER_HALF_OPEN);
    breaker_free(b);
}
END_TEST

START_TEST(test_two_half_open_successes_close_the_breaker)
{
    breaker_t *b = make();
    fail_n(b, 5);
    manual.now_ms += 60000;
    ck_assert(breaker_allow(b));
    breaker_record_success(b);
    ck_assert(breaker_allow(b));
    breaker_record_success(b);
    ck_assert_int_eq(breaker_state(b), BREAKER_CLOSED);
    ck_assert_int_eq(last_to, BREAKER_CLOSED);
    breaker_free(b);
}
END_TEST

START_TEST(test_a_half_open_failure_reopens_with_a_fresh_timer)
{
    breaker_t *b = make();
    fail_n(b, 5);
    manual.now_ms += 60000;
    ck_assert(breaker_allow(b));
    breaker_record_failure(b);
    ck_assert_int_eq(breaker_state(b), BREAKER_OPEN);
    manual.now_ms += 30000;
    ck_assert(!breaker_allow(b));
    manual.now_ms += 30000;
    ck_assert(breaker_allow(b));
    breaker_free(b);
}
END_TEST

START_TEST(test_state_is_exported_as_a_metric)
{
    breaker_t *b = make();
    metric_t *g = metrics_gauge("circuit_breaker_state", "", 1, "breaker");
    ck_assert_double_eq(metrics_value(g, "pms:test:hotel_1"), 0);
    fail_n(b, 5);
    ck_assert_double_eq(metrics_value(g, "pms:test:hotel_1"), 1);
    manual.now_ms += 60000;
    breaker_state(b);
    ck_assert_double_eq(metrics_value(g, "pms:test:hotel_1"), 2);
    breaker_free(b);
}
END_TEST

#define THREADS 4
#define CALLS 1000

static void *hammer(void *arg)
{
    breaker_t *b = arg;
    for (int i = 0; i < CALLS; i++)
        if (breaker_allow(b))
            breaker_record_success(b);
    return NULL;
}

START_TEST(test_concurrent_successes_keep_the_breaker_closed)
{
    breaker_config_t cfg = BREAKER_CONFIG_DEFAULT("concurrent");
    breaker_t *b = breaker_new(&cfg);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, b);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(breaker_state(b), BREAKER_CLOSED);
    breaker_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("breaker");
    TCase *tc = tcase_create("state machine");
    tcase_add_test(tc, test_breaker_opens_after_five_consecutive_failures);
    tcase_add_test(tc, test_a_success_resets_the_consecutive_failure_count);
    tcase_add_test(tc, test_open_breaker_rejects_calls_until_sixty_seconds_pass);
    tcase_add_test(tc, test_half_open_allows_a_bounded_number_of_trials);
    tcase_add_test(tc, test_two_half_open_successes_close_the_breaker);
    tcase_add_test(tc, test_a_half_open_failure_reopens_with_a_fresh_timer);
    tcase_add_test(tc, test_state_is_exported_as_a_metric);
    tcase_add_test(tc, test_concurrent_successes_keep_the_breaker_closed);
    suite_add_tcase(s, tc);
    int rc = check_run(s);
    metrics_reset();
    return rc;
}
