/* The PMS request budget without a Redis server: priorities, bounded FIFO
 * waits and refusals on the in-process bucket, and the fallback when Redis
 * cannot be reached (a closed port on loopback). Time is a manual clock:
 * nothing here sleeps for real. The shared (Redis) half is proven by
 * tests/integration/it_pms_budget.c. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "common/metrics.h"
#include "common/pms_budget.h"

#define HOTEL "hotel_123"
#define RATE 5.0 /* one slot every 200 ms */

static clock_manual_t manual;
static clock_source_t clk;
static ratelimit_t *local;

static void setup(void)
{
    metrics_reset(); /* the suite may run unforked: each test counts from zero */
    manual = (clock_manual_t){.now_ms = 1000000};
    clk = clock_source_manual(&manual);
    local = ratelimit_new(RATE, 1, &clk);
    ck_assert_ptr_nonnull(local);
}

static void teardown(void)
{
    ratelimit_free(local);
}

/* A budget of RATE a second, burst 1, on the manual clock; redis may be NULL. */
static pms_budget_t *budget(redis_pool_t *redis)
{
    pms_budget_config_t cfg = {.redis = redis,
                               .vendor = "cloudbeds",
                               .rate_per_second = RATE,
                               .burst = 1,
                               .checkout_wait_ms = 1000,
                               .background_wait_ms = 300,
                               .clock = &clk};
    pms_budget_t *b = pms_budget_new(&cfg);
    ck_assert_ptr_nonnull(b);
    return b;
}

static pms_budget_request_t request(pms_priority_t priority)
{
    return (pms_budget_request_t){
        .hotel_id = HOTEL, .operation = "getHotelDetails", .priority = priority, .local = local};
}

/* The requests_total series of one outcome. */
static double outcome_count(const char *outcome)
{
    metric_t *m = metrics_counter("pms_budget_requests_total", "", 4, "vendor", "hotel",
                                  "operation", "outcome");
    return metrics_value(m, "cloudbeds", HOTEL, "getHotelDetails", outcome);
}

START_TEST(test_checkouts_queue_in_order_one_interval_apart)
{
    pms_budget_t *b = budget(NULL);
    pms_budget_request_t req = request(PMS_PRIORITY_CHECKOUT);
    pms_budget_grant_t g;
    for (int i = 0; i < 6; i++) {
        ck_assert(pms_budget_reserve(b, &req, &g));
        ck_assert_int_eq(g.wait_ms, 200 * i); /* each waits behind everyone before it */
        ck_assert_int_eq(g.outcome, i == 0 ? PMS_BUDGET_IMMEDIATE : PMS_BUDGET_WAITED);
        ck_assert(!g.fallback && !g.shared);
    }
    /* The seventh would wait 1200 ms, past the 1000 ms deadline: refused, and
     * told how long until its turn. */
    ck_assert(!pms_budget_reserve(b, &req, &g));
    ck_assert_int_eq(g.outcome, PMS_BUDGET_REFUSED);
    ck_assert_int_eq(g.wait_ms, 1200);
    pms_budget_free(b);
}
END_TEST

START_TEST(test_background_reads_yield_to_a_checkout_backlog)
{
    pms_budget_t *b = budget(NULL);
    pms_budget_request_t checkout = request(PMS_PRIORITY_CHECKOUT);
    pms_budget_request_t read = request(PMS_PRIORITY_BACKGROUND);
    pms_budget_grant_t g;
    ck_assert(pms_budget_reserve(b, &read, &g)); /* an idle budget serves reads at once */
    ck_assert_int_eq(g.wait_ms, 0);
    ck_assert(pms_budget_reserve(b, &read, &g)); /* and lets them join a short line */
    ck_assert_int_eq(g.wait_ms, 200);
    for (int i = 0; i < 3; i++)
        ck_assert(pms_budget_reserve(b, &checkout, &g));
    ck_assert_int_eq(g.wait_ms, 800);
    /* The line is 1000 ms long now: reads are refused at once, take nothing,
     * and the next checkout is exactly one interval behind the last. */
    for (int i = 0; i < 5; i++) {
        ck_assert(!pms_budget_reserve(b, &read, &g));
        ck_assert_int_eq(g.wait_ms, 1000);
    }
    ck_assert(pms_budget_reserve(b, &checkout, &g));
    ck_assert_int_eq(g.wait_ms, 1000);
    pms_budget_free(b);
}
END_TEST

START_TEST(test_acquire_sleeps_until_the_slot_and_counts_outcomes)
{
    pms_budget_t *b = budget(NULL);
    pms_budget_request_t checkout = request(PMS_PRIORITY_CHECKOUT);
    pms_budget_request_t read = request(PMS_PRIORITY_BACKGROUND);
    pms_budget_grant_t g;
    ck_assert(pms_budget_acquire(b, &checkout, &g));
    ck_assert_int_eq(manual.sleep_count, 0);
    ck_assert(pms_budget_acquire(b, &checkout, &g));
    ck_assert_int_eq(manual.sleep_count, 1);
    ck_assert_int_eq(manual.sleeps[0], 200);
    /* The sleep moved the clock to the slot: the budget is spent again. */
    ck_assert(pms_budget_reserve(b, &checkout, &g));
    ck_assert(pms_budget_reserve(b, &checkout, &g));
    ck_assert(!pms_budget_acquire(b, &read, &g));
    ck_assert_int_eq(manual.sleep_count, 1); /* a refusal never sleeps */
    ck_assert_double_eq(outcome_count("immediate"), 1);
    ck_assert_double_eq(outcome_count("waited"), 1);
    ck_assert_double_eq(outcome_count("refused"), 1);
    metric_t *backlog = metrics_gauge("pms_budget_backlog_seconds", "", 2, "vendor", "hotel");
    ck_assert_double_eq_tol(metrics_value(backlog, "cloudbeds", HOTEL), 0.6, 1e-9);
    metric_t *wait = metrics_histogram("pms_budget_wait_seconds", "", (const double[]){1}, 1, 2,
                                       "vendor", "priority");
    ck_assert_double_eq(metrics_value(wait, "cloudbeds", "checkout"), 2);
    pms_budget_free(b);
}
END_TEST

/* A TCP port on loopback nobody listens on (bound, then closed). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

START_TEST(test_redis_down_falls_back_to_the_local_bucket_and_rests_redis)
{
    char url[64], err[128];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", closed_port());
    redis_pool_t *pool = redis_pool_new(url, 1, 200, 200, err, sizeof err);
    ck_assert_msg(pool != NULL, "%s", err);
    pms_budget_t *b = budget(pool);
    pms_budget_request_t checkout = request(PMS_PRIORITY_CHECKOUT);
    pms_budget_request_t read = request(PMS_PRIORITY_BACKGROUND);
    pms_budget_grant_t g;
    /* A checkout is never refused because Redis is down... */
    ck_assert(pms_budget_acquire(b, &checkout, &g));
    ck_assert(g.fallback && !g.shared);
    ck_assert_int_eq(g.wait_ms, 0);
    /* ...but the local bucket still limits: a read behind a long line is refused. */
    for (int i = 0; i < 2; i++)
        ck_assert(pms_budget_reserve(b, &checkout, &g));
    ck_assert(!pms_budget_acquire(b, &read, &g));
    ck_assert(g.fallback);
    ck_assert_int_eq(g.wait_ms, 600);
    ck_assert_double_eq(outcome_count("fallback"), 1);
    ck_assert_double_eq(outcome_count("refused"), 1);
    /* Redis was asked once, then rested: a dead Redis costs one attempt a second. */
    metric_t *errors = metrics_counter("pms_budget_redis_errors_total", "", 1, "vendor");
    ck_assert_double_eq(metrics_value(errors, "cloudbeds"), 1);
    manual.now_ms += PMS_BUDGET_REDIS_RETRY_MS;
    ck_assert(pms_budget_reserve(b, &checkout, &g));
    ck_assert(g.fallback);
    ck_assert_double_eq(metrics_value(errors, "cloudbeds"), 2);
    pms_budget_free(b);
    redis_pool_free(pool);
}
END_TEST

START_TEST(test_bad_configs_are_refused_and_names_are_stable)
{
    pms_budget_config_t cfg = {.vendor = "cloudbeds", .rate_per_second = 0, .burst = 1};
    ck_assert_ptr_null(pms_budget_new(&cfg));
    cfg.rate_per_second = 5;
    cfg.burst = 0.5;
    ck_assert_ptr_null(pms_budget_new(&cfg));
    cfg.burst = 5;
    cfg.vendor = NULL;
    ck_assert_ptr_null(pms_budget_new(&cfg));
    pms_budget_free(NULL);
    ck_assert_str_eq(pms_priority_name(PMS_PRIORITY_CHECKOUT), "checkout");
    ck_assert_str_eq(pms_priority_name(PMS_PRIORITY_BACKGROUND), "background");
    pms_budget_grant_t g = {.outcome = PMS_BUDGET_WAITED, .fallback = true};
    ck_assert_str_eq(pms_budget_outcome_name(&g), "fallback");
    g.outcome = PMS_BUDGET_REFUSED;
    ck_assert_str_eq(pms_budget_outcome_name(&g), "refused");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_budget");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_checkouts_queue_in_order_one_interval_apart);
    tcase_add_test(tc, test_background_reads_yield_to_a_checkout_backlog);
    tcase_add_test(tc, test_acquire_sleeps_until_the_slot_and_counts_outcomes);
    tcase_add_test(tc, test_redis_down_falls_back_to_the_local_bucket_and_rests_redis);
    tcase_add_test(tc, test_bad_configs_are_refused_and_names_are_stable);
    suite_add_tcase(s, tc);
    return check_run(s);
}
