/* A booking-svc that is paused, not dead, in the middle of a checkout (a long
 * GC-like stall, SIGSTOP here) while its short lease lapses: a replica takes
 * the saga over and compensates it; when the paused process wakes up it must
 * change nothing — its writes are fenced by the lease (conditional on the
 * drive that holds it) and it calls no vendor for a saga it no longer holds —
 * so the ledgers stay clean and its client gets an error, not a booking. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"

static bk_fixture_t f;

static void setup(void)
{
    bk_setup(&f);
}

static void teardown(void)
{
    bk_teardown(&f);
}

typedef struct client {
    char *body;
    int port;
    int status;
} client_t;

static void *checkout_thread(void *arg)
{
    client_t *c = arg;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", c->port);
    const char *headers[] = {"Idempotency-Key: paused-1", NULL};
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 60000};
    http_client_t *h = http_client_new(&cc);
    http_client_response_t r;
    c->status = -1;
    if (http_client_post_json(h, "/api/booking/checkout", headers, c->body, &r) == HTTP_CLIENT_OK)
        c->status = r.status;
    http_client_response_clear(&r);
    http_client_free(h);
    return NULL;
}

static int64_t step_rows(const char *step, const char *outcome)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM saga_step_log WHERE step = '%s' AND outcome = ?", step);
    return bk_db_int(&f, sql, outcome);
}

START_TEST(test_a_paused_process_changes_nothing_after_its_lease_was_taken_over)
{
    const char *lease[] = {"BOOKING_SAGA_LEASE_S=2", NULL};
    bk_service_start(&f, lease);
    /* the pre-authorisation answers slowly: the process is paused inside it */
    ts_sandbox_fault(&f.pay, "{\"op\":\"payment_intents.create\",\"latencyMs\":1000}");
    client_t c = {.body = bk_body(&f, BK_ROOM, 40, 1, "tok_visa", 0), .port = f.port};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, checkout_thread, &c), 0);
    ck_assert_msg(TS_POLL_UNTIL(step_rows("preauth", "started") == 1, 15000),
                  "the checkout never reached the pre-authorisation (log: %s)", f.log_path);
    pid_t paused = ts_proc_pid(f.svc);
    ck_assert_int_eq(kill(paused, SIGSTOP), 0);

    /* a replica takes the lapsed lease and compensates the saga */
    int port;
    char log[256];
    ts_proc_t *replica = bk_spawn(&f, lease, &port, log, sizeof log);
    ck_assert_msg(TS_POLL_UNTIL(bk_sagas_settled(&f), 30000),
                  "the replica did not end the saga "
                  "(log: %s)",
                  log);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE status = 'failed'", NULL),
                     1);

    /* the paused process wakes up: its client gets an error, the saga is
     * not touched again */
    ck_assert_int_eq(kill(paused, SIGCONT), 0);
    pthread_join(t, NULL);
    ck_assert_msg(c.status >= 500, "the woken process answered %d (log: %s)", c.status, f.log_path);
    ck_assert_int_eq(step_rows("preauth", "succeeded"), 0);
    ck_assert_int_eq(step_rows("confirm", "started"), 0);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE status = 'failed'", NULL),
                     1);
    ts_sandbox_clear_faults(&f.pay);
    bk_assert_ledgers_clean(&f, 0);
    ck_assert_int_eq(ts_proc_stop(replica, SIGTERM, 15000), 0);
    free(c.body);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_paused");
    TCase *tc = tcase_create("paused");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_paused_process_changes_nothing_after_its_lease_was_taken_over);
    suite_add_tcase(s, tc);
    return check_run(s);
}
