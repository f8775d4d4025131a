/* booking-svc crash recovery: booking-svc is killed (SIGKILL, by
 * the test-only hook BOOKING_TEST_CRASH_AFTER=<step>) right after each vendor
 * step returned and before its result was recorded; a fresh process must end
 * every saga confirmed or fully compensated from its step log — a hold whose
 * id was never recorded is found by reference, a pre-authorisation whose id
 * was never recorded is found by its idempotency key — with nothing charged
 * without a confirmed booking, and the client's retry with the same
 * Idempotency-Key gets the final answer. The same with Toss payers: an
 * approval whose paymentKey was never recorded is found by our orderId and
 * cancelled — never an orphan approval, never a second one. */
#include <check.h>
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

/* POST checkout that may get no answer (the service dies): the status or 0. */
static int checkout_may_die(const char *body, const char *key)
{
    char base[64], h[300];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    snprintf(h, sizeof h, "Idempotency-Key: %s", key);
    const char *headers[] = {h, NULL};
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 30000};
    http_client_t *c = http_client_new(&cc);
    http_client_response_t r;
    int status = 0;
    if (http_client_post_json(c, "/api/booking/checkout", headers, body, &r) == HTTP_CLIENT_OK)
        status = r.status;
    http_client_response_clear(&r);
    http_client_free(c);
    return status;
}

static bool dead(void)
{
    return !ts_proc_alive(f.svc);
}

static const struct {
    const char *step;
    bool confirmed; /* how recovery must end it */
} cases[] = {
    {"hold", false},
    {"preauth", false},
    {"confirm", true},
    {"capture", true},
};

/* Each crash case in turn with a payer of one provider; *confirmed counts
 * the bookings confirmed so far, *bookings the bookings made. */
static void crash_each_step(bool toss, int *confirmed, int *bookings)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hook[64], key[64], order[64];
        snprintf(hook, sizeof hook, "BOOKING_TEST_CRASH_AFTER=%s", cases[i].step);
        snprintf(key, sizeof key, "crash-%s-%s", toss ? "toss" : "stripe", cases[i].step);
        const char *env[] = {"BOOKING_TEST_HOOKS=1", hook, "BOOKING_SAGA_LEASE_S=2", NULL};
        bk_service_start(&f, env);
        int offset = 20 + (*bookings) * 3;
        char *body = toss ? bk_toss_body(&f, BK_ROOM, offset, 2, NULL, order, sizeof order)
                          : bk_body(&f, BK_ROOM, offset, 2, "tok_visa", 0);
        ck_assert_msg(checkout_may_die(body, key) == 0, "%s: the hook did not fire", cases[i].step);
        ck_assert_msg(TS_POLL_UNTIL(dead(), 10000), "%s: still alive", cases[i].step);
        bk_service_stop(&f, SIGKILL);
        ck_assert_int_eq(
            bk_db_int(&f, "SELECT COUNT(*) FROM saga_instance WHERE state = 'running'", NULL), 1);

        const char *after[] = {"BOOKING_SAGA_LEASE_S=2", NULL};
        bk_service_start(&f, after); /* no hook: recovery takes the saga over */
        if (cases[i].confirmed)
            (*confirmed)++;
        (*bookings)++;
        bk_assert_ledgers_clean(&f, *confirmed);

        /* the client's retry gets the saga's final answer, and books nothing new */
        int status;
        struct json_object *r = bk_checkout(&f, body, key, &status);
        if (cases[i].confirmed) {
            ck_assert_msg(status == 200, "%s: retry got %d %s", cases[i].step, status,
                          json_object_to_json_string(r));
            ck_assert(bk_str(r, "confirmationNumber") != NULL);
        } else {
            ck_assert_msg(status == 500, "%s: retry got %d %s", cases[i].step, status,
                          json_object_to_json_string(r));
            ck_assert_str_eq(bk_str(r, "errorCode"), "INTERNAL_ERROR");
        }
        json_object_put(r);
        ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking", NULL), *bookings);
        bk_service_stop(&f, SIGTERM);
        free(body);
    }
}

START_TEST(test_a_crash_after_each_step_is_recovered)
{
    int confirmed = 0, bookings = 0;
    crash_each_step(false, &confirmed, &bookings);
    ck_assert_int_eq(bk_summary(&f.pay, "captured") - bk_summary(&f.pay, "refunds"), confirmed);
}
END_TEST

START_TEST(test_a_crash_with_a_toss_payer_leaves_no_orphan_approval)
{
    int confirmed = 0, bookings = 0;
    crash_each_step(true, &confirmed, &bookings);
    /* one approval per booking at most; the failed ones cancelled */
    ck_assert_int_le(bk_toss_summary(&f, "approvals"), bookings);
    ck_assert_int_eq(bk_toss_summary(&f, "openApprovals"), confirmed);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_crash");
    TCase *tc = tcase_create("crash");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_crash_after_each_step_is_recovered);
    tcase_add_test(tc, test_a_crash_with_a_toss_payer_leaves_no_orphan_approval);
    suite_add_tcase(s, tc);
    return check_run(s);
}
