/* Token bucket: burst, steady rate, bounded waits, no over-admission under
 * concurrency. Time is a manual clock: nothing here sleeps for real. */
#include <check.h>
#include <pthread.h>

#include "check_run.h"
#include "common/ratelimit.h"

START_TEST(test_burst_then_refuses_until_refilled)
{
    clock_manual_t m = {.now_ms = 1000};
    clock_source_t clk = clock_source_manual(&m);
    ratelimit_t *rl = ratelimit_new(5.0, 5.0, &clk);
    for (int i = 0; i < 5; i++)
        ck_assert(ratelimit_try(rl, NULL));
    int64_t wait = 0;
    ck_assert(!ratelimit_try(rl, &wait));
    ck_assert_int_eq(wait, 200); /* 5/s → one token every 200 ms */
    m.now_ms += 199;
    ck_assert(!ratelimit_try(rl, NULL));
    m.now_ms += 1;
    ck_assert(ratelimit_try(rl, NULL));
    ck_assert(!ratelimit_try(rl, NULL));
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_refill_is_capped_at_burst)
{
    clock_manual_t m = {.now_ms = 0};
    clock_source_t clk = clock_source_manual(&m);
    ratelimit_t *rl = ratelimit_new(10.0, 3.0, &clk);
    m.now_ms += 60000; /* a quiet minute saves up only `burst` tokens */
    int taken = 0;
    while (ratelimit_try(rl, NULL))
        taken++;
    ck_assert_int_eq(taken, 3);
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_acquire_sleeps_for_a_due_token_and_refuses_a_late_one)
{
    clock_manual_t m = {.now_ms = 0};
    clock_source_t clk = clock_source_manual(&m);
    ratelimit_t *rl = ratelimit_new(2.0, 1.0, &clk);
    ck_assert(ratelimit_acquire(rl, 0));    /* the saved token */
    ck_assert(!ratelimit_acquire(rl, 499)); /* next one is 500 ms away */
    ck_assert_int_eq(m.sleep_count, 0);     /* refused without sleeping */
    ck_assert(ratelimit_acquire(rl, 500));
    ck_assert_int_eq(m.sleep_count, 1);
    ck_assert_int_eq(m.sleeps[0], 500);
    /* Reservations queue up: the next caller waits behind the debt. */
    ck_assert(!ratelimit_acquire(rl, 100));
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_reserve_queues_callers_in_order_without_sleeping)
{
    clock_manual_t m = {.now_ms = 1000};
    clock_source_t clk = clock_source_manual(&m);
    ratelimit_t *rl = ratelimit_new(5.0, 1.0, &clk);
    int64_t wait = -1;
    ck_assert(ratelimit_reserve(rl, 1000, &wait));
    ck_assert_int_eq(wait, 0);
    ck_assert(ratelimit_reserve(rl, 1000, &wait));
    ck_assert_int_eq(wait, 200); /* second in line: one interval behind the first */
    ck_assert(ratelimit_reserve(rl, 1000, &wait));
    ck_assert_int_eq(wait, 400);
    ck_assert(!ratelimit_reserve(rl, 500, &wait)); /* the line is longer than this caller waits */
    ck_assert_int_eq(wait, 600);
    ck_assert(ratelimit_reserve(rl, 600, &wait)); /* the refusal took nothing */
    ck_assert_int_eq(wait, 600);
    ck_assert_int_eq(m.sleep_count, 0);
    ratelimit_free(rl);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    ck_assert_ptr_null(ratelimit_new(0, 1, NULL));
    ck_assert_ptr_null(ratelimit_new(-1, 1, NULL));
    ck_assert_ptr_null(ratelimit_new(1, 0.5, NULL));
}
END_TEST

typedef struct {
    ratelimit_t *rl;
    int taken;
} worker_t;

static void *take_all(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < 1000; i++)
        if (ratelimit_try(w->rl, NULL))
            w->taken++;
    return NULL;
}

START_TEST(test_concurrent_callers_never_take_more_than_the_bucket)
{
    /* A slow rate so the real clock adds (almost) nothing while the threads run. */
    ratelimit_t *rl = ratelimit_new(0.001, 20.0, NULL);
    pthread_t t[8];
    worker_t w[8] = {0};
    for (int i = 0; i < 8; i++) {
        w[i].rl = rl;
        pthread_create(&t[i], NULL, take_all, &w[i]);
    }
    int total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        total += w[i].taken;
    }
    ck_assert_int_eq(total, 20);
    ratelimit_free(rl);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_burst_then_refuses_until_refilled);
    tcase_add_test(tc, test_refill_is_capped_at_burst);
    tcase_add_test(tc, test_acquire_sleeps_for_a_due_token_and_refuses_a_late_one);
    tcase_add_test(tc, test_reserve_queues_callers_in_order_without_sleeping);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    tcase_add_test(tc, test_concurrent_callers_never_take_more_than_the_bucket);
    suite_add_tcase(s, tc);
    return check_run(s);
}
