/* booking-svc fault matrix: for each saga step, the PMS or the
 * payment gateway answering an error, timing out, or answering slowly gives
 * the right error code (or a booking, when a retry can succeed), complete
 * compensation, and clean ledgers — including a capture failing after the
 * confirm (retried, then cancel + void) and a compensation that only the
 * worker can finish. The same matrix runs with each payment provider: Stripe
 * (pay-sandbox) and Toss Payments (toss-sandbox, manual settlement: the
 * approval is the pre-authorisation, the settlement request the capture),
 * where Toss' answers lost after the work was done (dropped, replaced by a
 * 500, too slow) are resolved by looking the payment up. One booking-svc and
 * one sandbox per vendor; the ledgers of all cases so far must agree after
 * each case. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"

static bk_fixture_t f;
static int offset;
static int confirmed_so_far;      /* Stripe bookings confirmed by the cases before */
static int toss_confirmed_so_far; /* Toss bookings confirmed by the cases before */

static void setup(void)
{
    bk_setup(&f);
    const char *env[] = {"PMS_TIMEOUT_MS=1000", "PAYMENT_TIMEOUT_MS=1000", "TOSS_TIMEOUT_MS=1000",
                         NULL};
    bk_service_start(&f, env);
    offset = 20;
    confirmed_so_far = 0;
    toss_confirmed_so_far = 0;
}

static void teardown(void)
{
    bk_teardown(&f);
}

enum { WANT_FAILED = 0, WANT_CONFIRMED = 1, WANT_EITHER = 2 };

typedef struct fault_case {
    const char *name;
    ts_sandbox_t *target;   /* where the fault goes (NULL: none) */
    const char *fault;      /* sandbox_faults JSON */
    const char *token;      /* card token; Toss: more JSON for the payment window, or NULL */
    int status;             /* expected HTTP status (0: 200 or 402 both fine) */
    const char *error_code; /* expected errorCode, NULL on success */
    int outcome;
    const char *fault2; /* a second fault on the same sandbox, or NULL */
} fault_case_t;

/* Runs one case with a payer of `provider` and checks the answer and the ends. */
static void run_case_with(const fault_case_t *c, bool toss)
{
    char order[64];
    char *body = toss ? bk_toss_body(&f, BK_ROOM, offset++, 2, c->token, order, sizeof order)
                      : bk_body(&f, BK_ROOM, offset++, 2, c->token, 0);
    if (c->target)
        ts_sandbox_fault(c->target, c->fault);
    if (c->target && c->fault2)
        ts_sandbox_fault(c->target, c->fault2);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    if (c->status)
        ck_assert_msg(status == c->status, "%s: status %d: %s (log: %s)", c->name, status,
                      json_object_to_json_string(r), f.log_path);
    else
        ck_assert_msg(status == 200 || status == 402, "%s: status %d: %s", c->name, status,
                      json_object_to_json_string(r));
    if (c->error_code)
        ck_assert_msg(bk_str(r, "errorCode") && strcmp(bk_str(r, "errorCode"), c->error_code) == 0,
                      "%s: %s", c->name, json_object_to_json_string(r));
    const char *id = bk_str(r, "bookingId");
    ck_assert_msg(id != NULL, "%s: no bookingId in %s", c->name, json_object_to_json_string(r));
    char booking[64];
    snprintf(booking, sizeof booking, "%s", id);
    json_object_put(r);
    if (c->target)
        ts_sandbox_clear_faults(c->target);

    /* every saga at its end, no hold and no authorisation left open; at Toss
     * no approval kept beyond the confirmed bookings */
    bool confirmed = false;
    ck_assert_msg(
        TS_POLL_UNTIL(bk_sagas_settled(&f) && bk_summary(&f.pms, "openHolds") == 0 &&
                          bk_summary(&f.pay, "openAuthorizations") == 0 &&
                          bk_toss_summary(&f, "openApprovals") ==
                              toss_confirmed_so_far +
                                  ((confirmed = bk_db_int(&f,
                                                          "SELECT COUNT(*) FROM booking WHERE "
                                                          "booking_id = ? AND status = "
                                                          "'confirmed' AND payment_status = "
                                                          "'captured'",
                                                          booking) == 1) &&
                                   toss),
                      30000),
        "%s: not settled (holds %lld, auths %lld, Toss approvals %lld, log: %s)", c->name,
        (long long)bk_summary(&f.pms, "openHolds"),
        (long long)bk_summary(&f.pay, "openAuthorizations"),
        (long long)bk_toss_summary(&f, "openApprovals"), f.log_path);
    if (c->outcome != WANT_EITHER)
        ck_assert_msg(confirmed == (c->outcome == WANT_CONFIRMED), "%s: confirmed %d", c->name,
                      confirmed);
    if (status == 200)
        ck_assert_msg(confirmed, "%s: 200 but not confirmed", c->name);
    /* the ledgers agree with the bookings */
    if (toss)
        toss_confirmed_so_far += confirmed ? 1 : 0;
    else
        confirmed_so_far += confirmed ? 1 : 0;
    ck_assert_int_eq(bk_summary(&f.pms, "confirmed"), confirmed_so_far + toss_confirmed_so_far);
    ck_assert_int_eq(bk_summary(&f.pay, "captured") - bk_summary(&f.pay, "refunds"),
                     confirmed_so_far);
    ck_assert_int_eq(bk_toss_summary(&f, "openApprovals"), toss_confirmed_so_far);
    /* acquisition (the settlement request) only for the bookings kept */
    ck_assert_int_eq(bk_toss_summary(&f, "acquired") - bk_toss_summary(&f, "refunds"),
                     toss_confirmed_so_far);
    bk_assert_reconciled(&f);
    if (!confirmed)
        ck_assert_int_eq(bk_db_int(&f,
                                   "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND status "
                                   "= 'failed'",
                                   booking),
                         1);
    if (!confirmed && c->error_code) {
        /* the reason survives compensation and recovery (what the guest and
         * GET /api/bookings/:id are told) */
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND error_code = '%s' AND "
                 "error_message <> ''",
                 c->error_code);
        ck_assert_msg(bk_db_int(&f, sql, booking) == 1, "%s: the booking lost its reason %s",
                      c->name, c->error_code);
    }
    free(body);
}

static void run_case(const fault_case_t *c)
{
    run_case_with(c, false);
}

START_TEST(test_pms_faults_at_each_step)
{
    const fault_case_t cases[] = {
        /* the checkout reads no rates from the PMS: the hold states the price */
        {"rates error", &f.pms, "{\"op\":\"getRatePlans\",\"status\":500,\"failNext\":4}",
         "tok_visa", 200, NULL, WANT_CONFIRMED},
        {"hold refused by the rate limit", &f.pms,
         "{\"op\":\"postReservation\",\"status\":429,\"failNext\":4}", "tok_visa", 503,
         "PMS_BUSY", WANT_FAILED},
        {"confirm refused by the rate limit", &f.pms,
         "{\"op\":\"putReservation\",\"status\":429,\"failNext\":4}", "tok_visa", 503,
         "PMS_BUSY", WANT_FAILED},
        {"hold error", &f.pms, "{\"op\":\"postReservation\",\"status\":500,\"failNext\":1}",
         "tok_visa", 409, "HOLD_FAILED", WANT_FAILED},
        {"hold timeout", &f.pms, "{\"op\":\"postReservation\",\"hangMs\":2500,\"failNext\":1}",
         "tok_visa", 409, "HOLD_FAILED", WANT_FAILED},
        {"hold slow", &f.pms, "{\"op\":\"postReservation\",\"latencyMs\":400}", "tok_visa", 200,
         NULL, WANT_CONFIRMED},
        {"confirm error", &f.pms, "{\"op\":\"putReservation\",\"status\":500,\"failNext\":4}",
         "tok_visa", 409, "BOOKING_CONFIRM_FAILED", WANT_FAILED},
        {"confirm timeout", &f.pms, "{\"op\":\"putReservation\",\"hangMs\":2500,\"failNext\":4}",
         "tok_visa", 409, "BOOKING_CONFIRM_FAILED", WANT_FAILED},
        {"confirm slow", &f.pms, "{\"op\":\"putReservation\",\"latencyMs\":400}", "tok_visa", 200,
         NULL, WANT_CONFIRMED},
        {"release left to the worker", &f.pms,
         "{\"op\":\"putReservation\",\"status\":500,\"failNext\":4}", "tok_chargeDeclined", 402,
         "PAYMENT_PREAUTH_FAILED", WANT_FAILED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}
END_TEST

START_TEST(test_a_key_refused_for_a_busy_pms_may_be_sent_again)
{
    /* 503 PMS_BUSY rolled everything back: the client's retry with the same
     * Idempotency-Key books, instead of replaying the 503 for a day */
    char *body = bk_body(&f, BK_ROOM, offset++, 2, "tok_visa", 0);
    ts_sandbox_fault(&f.pms, "{\"op\":\"postReservation\",\"status\":429,\"failNext\":4}");
    int status;
    struct json_object *r = bk_checkout(&f, body, "retry-after-busy", &status);
    ck_assert_msg(status == 503, "%d %s", status, json_object_to_json_string(r));
    ck_assert_str_eq(bk_str(r, "errorCode"), "PMS_BUSY");
    ck_assert_int_ge(json_object_get_int(json_object_object_get(r, "retryAfterSeconds")), 1);
    json_object_put(r);
    ts_sandbox_clear_faults(&f.pms);
    r = bk_checkout(&f, body, "retry-after-busy", &status);
    ck_assert_msg(status == 200, "%d %s", status, json_object_to_json_string(r));
    json_object_put(r);
    confirmed_so_far++;
    bk_assert_ledgers_clean(&f, confirmed_so_far + toss_confirmed_so_far);
    free(body);
}
END_TEST

START_TEST(test_payment_faults_at_each_step)
{
    const fault_case_t cases[] = {
        {"preauth declined", NULL, NULL, "tok_chargeDeclined", 402, "PAYMENT_PREAUTH_FAILED",
         WANT_FAILED},
        {"preauth error", &f.pay,
         "{\"op\":\"payment_intents.create\",\"status\":500,\"failNext\":4}", "tok_visa", 402,
         "PAYMENT_PREAUTH_FAILED", WANT_FAILED},
        {"preauth timeout", &f.pay,
         "{\"op\":\"payment_intents.create\",\"hangMs\":2500,\"failNext\":1}", "tok_visa", 0, NULL,
         WANT_EITHER},
        {"preauth slow", &f.pay, "{\"op\":\"payment_intents.create\",\"latencyMs\":400}",
         "tok_visa", 200, NULL, WANT_CONFIRMED},
        {"capture refused", &f.pay,
         "{\"op\":\"payment_intents.capture\",\"status\":400,\"failNext\":1}", "tok_visa", 402,
         "PAYMENT_CAPTURE_FAILED", WANT_FAILED},
        {"capture error then retried", &f.pay,
         "{\"op\":\"payment_intents.capture\",\"status\":503,\"failNext\":4}", "tok_visa", 200,
         NULL, WANT_CONFIRMED},
        {"capture rate-limited twice", &f.pay,
         "{\"op\":\"payment_intents.capture\",\"status\":429,\"failNext\":8}", "tok_visa", 402,
         "PAYMENT_CAPTURE_FAILED", WANT_FAILED},
        {"capture timeout", &f.pay,
         "{\"op\":\"payment_intents.capture\",\"hangMs\":2500,\"failNext\":1}", "tok_visa", 0, NULL,
         WANT_EITHER},
        {"void left to the worker", &f.pay,
         "{\"op\":\"payment_intents.capture\",\"status\":400,\"failNext\":1}", "tok_visa", 402,
         "PAYMENT_CAPTURE_FAILED", WANT_FAILED,
         "{\"op\":\"payment_intents.cancel\",\"status\":500,\"failNext\":4}"},
        {"capture slow", &f.pay, "{\"op\":\"payment_intents.capture\",\"latencyMs\":400}",
         "tok_visa", 200, NULL, WANT_CONFIRMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}
END_TEST

/* The matrix with Toss payers: approval (payments.confirm), capture (the
 * settlement request), compensation (payments.cancel), each failing before
 * the work, after it (answer dropped / replaced by 500 / too slow), or late. */
START_TEST(test_toss_faults_at_each_step)
{
#define TOSS_FAULT(op, rest) "{\"op\":\"" op "\"," rest "}"
    const fault_case_t cases[] = {
        {"approval declined", NULL, NULL, "\"declineWith\":\"REJECT_CARD_PAYMENT\"", 402,
         "PAYMENT_PREAUTH_FAILED", WANT_FAILED},
        {"approval past the 10-minute limit", NULL, NULL, "\"authenticatedSecondsAgo\":601", 402,
         "PAYMENT_PREAUTH_FAILED", WANT_FAILED},
        {"approval error", &f.toss, TOSS_FAULT("payments.confirm", "\"status\":500,\"failNext\":4"),
         NULL, 402, "PAYMENT_PREAUTH_FAILED", WANT_FAILED},
        {"approval timeout", &f.toss,
         TOSS_FAULT("payments.confirm", "\"hangMs\":2500,\"failNext\":1"), NULL, 0, NULL,
         WANT_EITHER},
        {"approval slow", &f.toss, TOSS_FAULT("payments.confirm", "\"latencyMs\":400"), NULL, 200,
         NULL, WANT_CONFIRMED},
        {"approval answer dropped after the work", &f.toss,
         TOSS_FAULT("payments.confirm", "\"afterCommit\":true,\"drop\":true,\"failNext\":1"),
         NULL, 200, NULL, WANT_CONFIRMED},
        {"approval answer replaced by a 500", &f.toss,
         TOSS_FAULT("payments.confirm", "\"afterCommit\":true,\"status\":500,\"failNext\":1"),
         NULL, 200, NULL, WANT_CONFIRMED},
        {"approval answered too late", &f.toss,
         TOSS_FAULT("payments.confirm", "\"afterCommit\":true,\"hangMs\":2500,\"failNext\":1"),
         NULL, 200, NULL, WANT_CONFIRMED},
        {"settlement refused", &f.toss,
         TOSS_FAULT("settlements.request", "\"status\":403,\"failNext\":1"), NULL, 402,
         "PAYMENT_CAPTURE_FAILED", WANT_FAILED},
        {"settlement error then retried", &f.toss,
         TOSS_FAULT("settlements.request", "\"status\":503,\"failNext\":4"), NULL, 200, NULL,
         WANT_CONFIRMED},
        {"settlement timeout", &f.toss,
         TOSS_FAULT("settlements.request", "\"hangMs\":2500,\"failNext\":1"), NULL, 0, NULL,
         WANT_EITHER},
        {"settlement answer dropped after the work", &f.toss,
         TOSS_FAULT("settlements.request",
                    "\"afterCommit\":true,\"drop\":true,\"failNext\":1"),
         NULL, 200, NULL, WANT_CONFIRMED},
        {"void left to the worker", &f.toss,
         TOSS_FAULT("settlements.request", "\"status\":403,\"failNext\":1"), NULL, 402,
         "PAYMENT_CAPTURE_FAILED", WANT_FAILED,
         TOSS_FAULT("payments.cancel", "\"status\":500,\"failNext\":8")},
        {"void answer dropped after the work", &f.toss,
         TOSS_FAULT("settlements.request", "\"status\":403,\"failNext\":1"), NULL, 402,
         "PAYMENT_CAPTURE_FAILED", WANT_FAILED,
         TOSS_FAULT("payments.cancel", "\"afterCommit\":true,\"drop\":true,\"failNext\":1")},
        {"PMS confirm error: the approval is voided", &f.pms,
         "{\"op\":\"putReservation\",\"status\":500,\"failNext\":4}", NULL, 409,
         "BOOKING_CONFIRM_FAILED", WANT_FAILED},
        {"PMS hold error: nothing approved", &f.pms,
         "{\"op\":\"postReservation\",\"status\":500,\"failNext\":1}", NULL, 409,
         "HOLD_FAILED", WANT_FAILED},
    };
#undef TOSS_FAULT
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case_with(&cases[i], true);
    /* nothing was ever approved twice for one order */
    ck_assert_int_le(bk_toss_summary(&f, "approvals"), (int64_t)(sizeof cases / sizeof cases[0]));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pms_faults_at_each_step);
    tcase_add_test(tc, test_payment_faults_at_each_step);
    tcase_add_test(tc, test_toss_faults_at_each_step);
    tcase_add_test(tc, test_a_key_refused_for_a_busy_pms_may_be_sent_again);
    suite_add_tcase(s, tc);
    return check_run(s);
}
