/* The hotel's PMS request budget (common/pms/pms_budget.c) against the real
 * Redis and the pms-sandbox enforcing Cloudbeds' 5 requests a second: two
 * connectors as two replicas share one budget and together never send more
 * than rate × time + burst; slots are handed out in order of arrival, one
 * queue for both replicas; a background read is refused at once (nothing
 * sent, retry_after_ms set) behind a checkout backlog, and takes nothing from
 * it; a checkout waits its turn and succeeds; with Redis unreachable the
 * in-process bucket still limits. Requests are counted by the sandbox
 * (/_sandbox/stats) and slots compared on Redis' clock: the assertions are
 * on counts and order, never on how long something took. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "common/metrics.h"
#include "common/pms.h"
#include "common/pms_budget.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define HOTEL "hotel_123"
#define VENDOR "cloudbeds"
#define RATE 5.0     /* Cloudbeds' limit, the connector's default */
#define BURST 5.0    /* = the rate */
#define INTERVAL_MS 200
#define REPLICAS 2
#define THREADS_PER_REPLICA 3
#define CALLS_PER_THREAD 4

static ts_sandbox_t sb;
static int redis_db = -1;
static char redis_url[160];
static redis_pool_t *pool;

static void setup(void)
{
    metrics_reset(); /* the suite may run unforked: each test counts from zero */
    const char *env[] = {"PMS_SANDBOX_RATE_LIMIT_PER_SECOND=5", NULL};
    ts_sandbox_start(&sb, "pms-sandbox", "PMS_SANDBOX_PORT", env);
    setenv("PMS_hotel_123_API_KEY", "cbk_sandbox_hotel_123", 1);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_gt(redis_db, 0);
    char err[160];
    pool = redis_pool_new(redis_url, REPLICAS * THREADS_PER_REPLICA, 2000, 2000, err, sizeof err);
    ck_assert_msg(pool != NULL, "%s", err);
}

static void teardown(void)
{
    redis_pool_free(pool);
    pool = NULL;
    ts_redis_db_release(redis_db);
    ts_sandbox_stop(&sb);
}

/* A connector on the sandbox with the vendor's own limit, sharing `redis`. */
static pms_connector_t *connector(redis_pool_t *redis, pms_priority_t priority)
{
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = sb.base_url;
    cfg.timeout_ms = 5000;
    cfg.budget_redis = redis;
    cfg.priority = priority;
    char err[160];
    pms_connector_t *c = pms_connector_new(VENDOR, &cfg, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

/* A budget like a connector's, for reserving slots without sending anything. */
static pms_budget_t *budget(redis_pool_t *redis)
{
    pms_budget_config_t bc = {.redis = redis,
                              .vendor = VENDOR,
                              .rate_per_second = RATE,
                              .burst = BURST,
                              .checkout_wait_ms = PMS_DEFAULT_CHECKOUT_WAIT_MS,
                              .background_wait_ms = PMS_DEFAULT_BACKGROUND_WAIT_MS};
    pms_budget_t *b = pms_budget_new(&bc);
    ck_assert_ptr_nonnull(b);
    return b;
}

static const pms_budget_request_t CHECKOUT = {
    .hotel_id = HOTEL, .operation = "postReservation", .priority = PMS_PRIORITY_CHECKOUT};

/* The sandbox's count of getHotelDetails for the hotel, and its 429s. */
static long sandbox_requests(long *rate_limited)
{
    const char *q[] = {"propertyID", HOTEL, NULL};
    json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/stats", q), *requests, *methods, *n,
                *limited, *l;
    ck_assert(json_object_object_get_ex(o, "requests", &requests) &&
              json_object_object_get_ex(requests, HOTEL, &methods));
    long count =
        json_object_object_get_ex(methods, "getHotelDetails", &n) ? json_object_get_int64(n) : 0;
    ck_assert(json_object_object_get_ex(o, "rateLimited", &limited) &&
              json_object_object_get_ex(limited, HOTEL, &l));
    if (rate_limited)
        *rate_limited = json_object_get_int64(l);
    json_object_put(o);
    return count;
}

static double budget_outcomes(const char *outcome)
{
    metric_t *m = metrics_counter("pms_budget_requests_total", "", 4, "vendor", "hotel",
                                  "operation", "outcome");
    return metrics_value(m, VENDOR, HOTEL, "getHotelDetails", outcome);
}

/* ------------------------------------------------- two replicas, one budget -- */

typedef struct caller {
    pms_connector_t *c;
    int ok;
} caller_t;

static void *call_repeatedly(void *arg)
{
    caller_t *k = arg;
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        pms_hotel_t h;
        pms_error_t e;
        if (pms_get_hotel(k->c, HOTEL, &h, &e) == PMS_OK)
            k->ok++;
    }
    return NULL;
}

START_TEST(test_two_replicas_together_never_exceed_rate_times_time_plus_burst)
{
    pms_connector_t *replica[REPLICAS];
    for (int r = 0; r < REPLICAS; r++)
        replica[r] = connector(pool, PMS_PRIORITY_CHECKOUT);
    caller_t callers[REPLICAS * THREADS_PER_REPLICA] = {{0}};
    pthread_t threads[REPLICAS * THREADS_PER_REPLICA];
    int64_t t0 = ts_now_ms();
    for (int i = 0; i < REPLICAS * THREADS_PER_REPLICA; i++) {
        callers[i].c = replica[i % REPLICAS];
        ck_assert_int_eq(pthread_create(&threads[i], NULL, call_repeatedly, &callers[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < REPLICAS * THREADS_PER_REPLICA; i++) {
        pthread_join(threads[i], NULL);
        ok += callers[i].ok;
    }
    int64_t elapsed_ms = ts_now_ms() - t0;
    const int calls = REPLICAS * THREADS_PER_REPLICA * CALLS_PER_THREAD;
    ck_assert_int_eq(ok, calls); /* every checkout waited its turn instead of failing */
    long limited = 0, sent = sandbox_requests(&limited);
    ck_assert_int_ge(sent, calls); /* plus a retry for any 429 */
    /* Every request went in a slot handed out within [t0, t0 + elapsed]: at
     * most the burst plus one per interval. Separate buckets per replica
     * would have let twice the burst and twice the rate through. */
    long bound = (long)BURST + (long)(elapsed_ms / INTERVAL_MS);
    ck_assert_msg(sent <= bound, "%ld requests in %lld ms (at most %ld)", sent,
                  (long long)elapsed_ms, bound);
    /* Each request the vendor saw took exactly one slot, most after a wait. */
    ck_assert_double_eq(budget_outcomes("immediate") + budget_outcomes("waited"), sent);
    ck_assert_double_gt(budget_outcomes("waited"), 0);
    ck_assert_double_eq(budget_outcomes("fallback"), 0);
    for (int r = 0; r < REPLICAS; r++)
        pms_connector_free(replica[r]);
}
END_TEST

/* ------------------------------------------------------------ FIFO order -- */

START_TEST(test_slots_are_granted_in_order_of_arrival_across_replicas)
{
    pms_budget_t *replica[REPLICAS] = {budget(pool), budget(pool)};
    pms_budget_grant_t g[16];
    for (int i = 0; i < 16; i++) {
        ck_assert(pms_budget_reserve(replica[i % REPLICAS], &CHECKOUT, &g[i]));
        ck_assert(g[i].shared && !g[i].fallback);
    }
    for (int i = 1; i < 16; i++)
        ck_assert_msg(g[i].slot_ms > g[i - 1].slot_ms, "slot %d not after slot %d", i, i - 1);
    /* Past the burst the line is one queue: each slot one interval after the last. */
    for (int i = (int)BURST; i < 16; i++)
        ck_assert_int_eq(g[i].slot_ms - g[i - 1].slot_ms, INTERVAL_MS);
    ck_assert_int_gt(g[15].wait_ms, 0);
    for (int r = 0; r < REPLICAS; r++)
        pms_budget_free(replica[r]);
}
END_TEST

/* -------------------------------------------------------------- priority -- */

/* Reserves `n` checkout slots (a backlog of about (n - BURST) intervals);
 * returns the last grant. */
static pms_budget_grant_t checkout_backlog(pms_budget_t *b, int n)
{
    pms_budget_grant_t g = {0};
    for (int i = 0; i < n; i++)
        ck_assert(pms_budget_reserve(b, &CHECKOUT, &g));
    return g;
}

START_TEST(test_a_background_read_is_refused_at_once_behind_a_checkout_backlog)
{
    pms_budget_t *booking = budget(pool);
    pms_connector_t *inventory = connector(pool, PMS_PRIORITY_BACKGROUND);
    pms_budget_grant_t last = checkout_backlog(booking, 15); /* ~2 s of checkouts queued */
    ck_assert_int_gt(last.wait_ms, PMS_DEFAULT_BACKGROUND_WAIT_MS);
    pms_hotel_t h;
    pms_error_t e;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(pms_get_hotel(inventory, HOTEL, &h, &e), PMS_ERR_RATE_LIMITED);
        ck_assert_int_eq(e.http_status, 0);
        ck_assert_int_gt(e.retry_after_ms, PMS_DEFAULT_BACKGROUND_WAIT_MS);
        ck_assert_msg(strstr(e.message, "budget for hotel " HOTEL " is spent"), "%s", e.message);
    }
    ck_assert_int_eq(sandbox_requests(NULL), 0); /* nothing reached the vendor */
    ck_assert_double_eq(budget_outcomes("refused"), 3);
    /* The refusals took nothing: the next checkout is right behind the last. */
    pms_budget_grant_t next;
    ck_assert(pms_budget_reserve(booking, &CHECKOUT, &next));
    ck_assert_int_eq(next.slot_ms - last.slot_ms, INTERVAL_MS);
    ck_assert_int_eq(pms_breaker_state(inventory, HOTEL), BREAKER_CLOSED);
    pms_connector_free(inventory);
    pms_budget_free(booking);
}
END_TEST

START_TEST(test_a_checkout_waits_its_turn_and_succeeds_within_its_deadline)
{
    pms_budget_t *other = budget(pool);
    pms_connector_t *booking = connector(pool, PMS_PRIORITY_CHECKOUT);
    pms_budget_grant_t last = checkout_backlog(other, 10); /* ~1 s queued ahead of it */
    ck_assert_int_gt(last.wait_ms, 0);
    pms_hotel_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_get_hotel(booking, HOTEL, &h, &e), PMS_OK);
    ck_assert_str_eq(h.id, HOTEL);
    ck_assert_double_eq(budget_outcomes("waited"), 1);
    long limited = -1;
    ck_assert_int_eq(sandbox_requests(&limited), 1);
    ck_assert_int_eq(limited, 0);
    /* After it, the line is one interval longer than the backlog it joined. */
    pms_budget_grant_t next;
    ck_assert(pms_budget_reserve(other, &CHECKOUT, &next));
    ck_assert_int_eq(next.slot_ms - last.slot_ms, 2 * INTERVAL_MS);
    pms_connector_free(booking);
    pms_budget_free(other);
}
END_TEST

/* ---------------------------------------------------------- Redis down -- */

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

START_TEST(test_with_redis_down_the_in_process_bucket_still_limits)
{
    char url[64], err[160];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", closed_port());
    redis_pool_t *dead = redis_pool_new(url, 1, 200, 200, err, sizeof err);
    ck_assert_msg(dead != NULL, "%s", err);
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = sb.base_url;
    cfg.budget_redis = dead;
    cfg.priority = PMS_PRIORITY_BACKGROUND;
    cfg.background_wait_ms = 0; /* refuse rather than wait: the count is then exact */
    pms_connector_t *c = pms_connector_new(VENDOR, &cfg, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    pms_hotel_t h;
    pms_error_t e;
    int ok = 0;
    pms_err_t rc;
    while ((rc = pms_get_hotel(c, HOTEL, &h, &e)) == PMS_OK && ok < 50)
        ok++;
    ck_assert_int_eq(rc, PMS_ERR_RATE_LIMITED);
    ck_assert_int_gt(e.retry_after_ms, 0);
    /* The burst, and whatever refilled while it was sent — never the 50. */
    ck_assert_int_ge(ok, (int)BURST);
    ck_assert_int_lt(ok, 50);
    ck_assert_int_eq(sandbox_requests(NULL), ok);
    ck_assert_double_eq(budget_outcomes("fallback"), ok);
    metric_t *errors = metrics_counter("pms_budget_redis_errors_total", "", 1, "vendor");
    ck_assert_double_ge(metrics_value(errors, VENDOR), 1);
    pms_connector_free(c);
    redis_pool_free(dead);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_budget");
    TCase *tc = tcase_create("redis");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_two_replicas_together_never_exceed_rate_times_time_plus_burst);
    tcase_add_test(tc, test_slots_are_granted_in_order_of_arrival_across_replicas);
    tcase_add_test(tc, test_a_background_read_is_refused_at_once_behind_a_checkout_backlog);
    tcase_add_test(tc, test_a_checkout_waits_its_turn_and_succeeds_within_its_deadline);
    tcase_add_test(tc, test_with_redis_down_the_in_process_bucket_still_limits);
    suite_add_tcase(s, tc);
    return check_run(s);
}
