/* booking-svc with Toss Payments (toss-sandbox) as the payment provider:
 * a checkout paid through Toss' payment window (easy pay recorded), a saved
 * card (billing key), automatic acquisition (capture scheduled), what the
 * guest is told for a decline, a virtual account, a late confirm or a
 * tampered redirect (Korean, never Toss' codes), the request checks
 * (provider, the other provider's fields, orderId rules, one orderId for
 * one booking), the guest's cancel (refund after acquisition), and Toss'
 * webhooks: a payment cancelled in Toss' console cancels the booking, a
 * partial cancel flags it, a delivery is handled once, and a forged body is
 * never believed. Ledgers agree at the end of every test. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"

static bk_fixture_t f;
static int offset;

static void setup(void)
{
    bk_setup(&f);
    bk_service_start(&f, NULL);
    offset = 30;
}

static void teardown(void)
{
    bk_teardown(&f);
}

static void settled(void)
{
    ck_assert_msg(TS_POLL_UNTIL(bk_sagas_settled(&f) && bk_summary(&f.pms, "openHolds") == 0,
                                20000),
                  "not settled (log: %s)", f.log_path);
}

/* The Korean message of a payment failure names none of Toss' codes. */
static void assert_guest_message(struct json_object *r, const char *must_contain)
{
    const char *msg = bk_str(r, "error");
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, must_contain) != NULL, "message %s lacks %s", msg, must_contain);
    static const char *const codes[] = {"REJECT_CARD", "NOT_FOUND_PAYMENT_SESSION",
                                        "VIRTUAL_ACCOUNT_REFUSED", "FAILED_INTERNAL", NULL};
    for (int i = 0; codes[i]; i++)
        ck_assert_msg(strstr(msg, codes[i]) == NULL, "message shows %s: %s", codes[i], msg);
}

START_TEST(test_a_toss_checkout_is_approved_settled_and_recorded)
{
    char order[64];
    char *body = bk_toss_body(&f, BK_ROOM, offset++, 2,
                              "\"method\":\"간편결제\",\"easyPay\":\"토스페이\"", order, sizeof order);
    int status;
    struct json_object *r = bk_checkout(&f, body, "toss-happy-1", &status);
    ck_assert_msg(status == 200, "%d %s (log %s)", status, json_object_to_json_string(r),
                  f.log_path);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND status = "
                               "'confirmed' AND payment_status = 'captured'",
                               id),
                     1);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM booking_payment WHERE booking_id = ? AND "
                               "provider = 'toss' AND method = 'EASY_PAY' AND easy_pay = "
                               "'토스페이'",
                               id),
                     1);
    /* GET shows the provider and the method, never the paymentKey */
    char *raw = NULL;
    struct json_object *g = bk_get_booking(&f, id, &raw);
    struct json_object *pay;
    ck_assert(json_object_object_get_ex(g, "payment", &pay));
    ck_assert_str_eq(bk_str(pay, "provider"), "toss");
    ck_assert_str_eq(bk_str(pay, "method"), "EASY_PAY");
    ck_assert_str_eq(bk_str(pay, "easyPay"), "토스페이");
    ck_assert_ptr_null(strstr(raw, "paymentKey"));
    json_object_put(g);
    free(raw);
    /* approval + settlement request (manual acquisition), nothing else */
    ck_assert_int_eq(bk_toss_summary(&f, "approvals"), 1);
    ck_assert_int_eq(bk_toss_summary(&f, "acquired"), 1);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents"), 0);
    /* the same Idempotency-Key replays, approving nothing again */
    r = bk_checkout(&f, body, "toss-happy-1", &status);
    ck_assert_int_eq(status, 200);
    json_object_put(r);
    ck_assert_int_eq(bk_toss_summary(&f, "approvals"), 1);
    /* the orderId pays for one booking only */
    r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 400, "%d %s", status, json_object_to_json_string(r));
    ck_assert_str_eq(bk_str(r, "field"), "payment.orderId");
    json_object_put(r);
    settled();
    bk_assert_ledgers_clean(&f, 1);
    free(body);
}
END_TEST

START_TEST(test_a_saved_card_and_automatic_acquisition)
{
    /* a second service under automatic acquisition: capture is scheduled */
    int port;
    char log[256];
    const char *env[] = {"TOSS_ACQUISITION=auto", NULL};
    ts_proc_t *svc = bk_spawn(&f, env, &port, log, sizeof log);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 30000};
    http_client_t *http = http_client_new(&cc);

    /* the billing window, then the billing key, as the booking site would */
    http_client_response_t hr;
    ck_assert_int_eq(http_client_post_json(f.toss.control, "/_sandbox/billing-auth", NULL,
                                           "{\"customerKey\":\"cust-aa11bb22\"}", &hr),
                     HTTP_CLIENT_OK);
    json_error_t je;
    struct json_object *o = json_parse_object(hr.body, hr.body_len, &je);
    http_client_response_clear(&hr);
    char issue[256];
    snprintf(issue, sizeof issue, "{\"authKey\":\"%s\",\"customerKey\":\"cust-aa11bb22\"}",
             bk_str(o, "authKey"));
    json_object_put(o);
    char *b64 = crypto_base64_encode("test_sk_sandbox:", 16), auth[128];
    snprintf(auth, sizeof auth, "Authorization: Basic %s", b64);
    free(b64);
    const char *h[] = {auth, NULL};
    ck_assert_int_eq(http_client_post_json(f.toss.control, "/v1/billing/authorizations/issue", h,
                                           issue, &hr),
                     HTTP_CLIENT_OK);
    ck_assert_int_eq(hr.status, 200);
    o = json_parse_object(hr.body, hr.body_len, &je);
    http_client_response_clear(&hr);
    char billing[128];
    snprintf(billing, sizeof billing, "%s", bk_str(o, "billingKey"));
    json_object_put(o);

    dates_day_t in = dates_today_utc() + offset++;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + 1, co);
    int64_t amount = bk_stay_amount(&f, BK_ROOM, in, 1);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" BK_HOTEL "\",\"roomTypeId\":\""
                       BK_ROOM "\",\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{"
                       "\"firstName\":\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\","
                       "\"phone\":\"+82-10-1234-5678\"},\"adults\":2,\"payment\":{\"provider\":"
                       "\"toss\",\"billingKey\":\"%s\",\"customerKey\":\"cust-aa11bb22\","
                       "\"amount\":%lld}}",
                       ci, co, billing, (long long)amount) > 0);
    http_client_response_t r;
    ck_assert_int_eq(http_client_post_json(http, "/api/booking/checkout", NULL, body, &r),
                     HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "%d %s (log %s)", r.status, r.body, log);
    o = json_parse_object(r.body, r.body_len, &je);
    http_client_response_clear(&r);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(o, "bookingId"));
    json_object_put(o);
    /* Toss acquires by itself: our capture is recorded as scheduled, no settlement sent */
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND status = "
                               "'confirmed' AND payment_status = 'capture_scheduled'",
                               id),
                     1);
    /* our orderId for a saved card is the booking id */
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM booking_payment WHERE booking_id = ? AND "
                               "order_id = booking_id AND method = 'CARD'",
                               id),
                     1);
    ck_assert_int_eq(bk_toss_summary(&f, "acquired"), 0);
    ck_assert_int_eq(bk_toss_summary(&f, "openApprovals"), 1);
    settled();
    bk_assert_reconciled(&f);
    free(body);
    http_client_free(http);
    ck_assert_int_eq(ts_proc_stop(svc, SIGTERM, 15000), 0);
}
END_TEST

START_TEST(test_refusals_tell_the_guest_what_to_do_in_korean)
{
    char order[64];
    int status;
    /* a decline: limit exceeded */
    char *body = bk_toss_body(&f, BK_ROOM, offset++, 1, "\"declineWith\":\"REJECT_CARD_PAYMENT\"",
                              order, sizeof order);
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 402);
    ck_assert_str_eq(bk_str(r, "errorCode"), "PAYMENT_PREAUTH_FAILED");
    ck_assert_str_eq(bk_str(r, "paymentError"), "INSUFFICIENT_FUNDS");
    assert_guest_message(r, "한도");
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    /* the provider's code is kept for operators, in the step log */
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM saga_step_log WHERE booking_id = ? AND step = "
                               "'preauth' AND outcome = 'failed' AND detail LIKE "
                               "'%REJECT_CARD_PAYMENT%'",
                               id),
                     1);
    free(body);

    /* past Toss' 10 minutes between the window and the approval */
    body = bk_toss_body(&f, BK_ROOM, offset++, 1, "\"authenticatedSecondsAgo\":601", order,
                        sizeof order);
    r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 402);
    ck_assert_str_eq(bk_str(r, "paymentError"), "SESSION_EXPIRED");
    assert_guest_message(r, "10분");
    json_object_put(r);
    free(body);

    /* a virtual account, found at Toss before anything is approved */
    body = bk_toss_body(&f, BK_ROOM, offset++, 1, "\"method\":\"가상계좌\"", order, sizeof order);
    r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 402);
    ck_assert_str_eq(bk_str(r, "paymentError"), "VIRTUAL_ACCOUNT_NOT_ACCEPTED");
    assert_guest_message(r, "가상계좌");
    json_object_put(r);
    free(body);
    ck_assert_int_eq(bk_toss_summary(&f, "approvals"), 0);
    settled();
    bk_assert_ledgers_clean(&f, 0);
}
END_TEST

/* Replaces the first occurrence of `from` in body (malloc'd result). */
static char *with(const char *body, const char *from, const char *to)
{
    const char *at = strstr(body, from);
    ck_assert_ptr_nonnull(at);
    char *out = NULL;
    ck_assert(asprintf(&out, "%.*s%s%s", (int)(at - body), body, to, at + strlen(from)) > 0);
    return out;
}

START_TEST(test_bad_payment_shapes_are_400_naming_the_field)
{
    char order[64];
    char *body = bk_toss_body(&f, BK_ROOM, offset++, 1, NULL, order, sizeof order);
    static const struct {
        const char *from, *to, *field;
    } cases[] = {
        {"\"provider\":\"toss\"", "\"provider\":\"paypal\"", "payment.provider"},
        {"\"provider\":\"toss\"", "\"provider\":\"toss\",\"cardToken\":\"tok_visa\"",
         "payment.cardToken"},
        {"\"provider\":\"toss\"", "\"provider\":\"toss\",\"method\":\"가상계좌\"",
         "payment.method"},
        {"\"orderId\":\"", "\"orderId\":\"a b", "payment.orderId"},
        {"\"paymentKey\":\"", "\"paymentKey\":\"bad/key", "payment.paymentKey"},
        {"\"currency\":\"KRW\"", "\"currency\":\"USD\"", "payment.currency"},
        {"\"provider\":\"toss\",", "", "payment.paymentKey"}, /* the default provider: Stripe */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *b = with(body, cases[i].from, cases[i].to);
        int status;
        struct json_object *r = bk_checkout(&f, b, NULL, &status);
        ck_assert_msg(status == 400, "%s: %d %s", cases[i].field, status,
                      json_object_to_json_string(r));
        ck_assert_str_eq(bk_str(r, "errorCode"), "VALIDATION_ERROR");
        ck_assert_str_eq(bk_str(r, "field"), cases[i].field);
        json_object_put(r);
        free(b);
    }
    ck_assert_int_eq(bk_toss_summary(&f, "approvals"), 0);
    free(body);
}
END_TEST

START_TEST(test_the_guest_cancel_refunds_an_acquired_approval)
{
    char order[64];
    char *body = bk_toss_body(&f, BK_ROOM, offset++, 2, NULL, order, sizeof order);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 200);
    char id[64], path[128];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    snprintf(path, sizeof path, "/api/bookings/%s/cancel", id);
    http_client_response_t hr;
    ck_assert_int_eq(http_client_request(f.http, "POST", path, NULL, NULL, NULL, 0, &hr),
                     HTTP_CLIENT_OK);
    ck_assert_msg(hr.status == 200, "cancel: %d %s", hr.status, hr.body);
    http_client_response_clear(&hr);
    /* settled (acquisition requested): the money comes back by refund, once */
    ck_assert_int_eq(bk_toss_summary(&f, "refunds"), 1);
    ck_assert_int_eq(bk_toss_summary(&f, "voids"), 0);
    ck_assert_int_eq(bk_toss_summary(&f, "openApprovals"), 0);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM outbox WHERE aggregate_id = ? AND event_type = "
                               "'lodging.booking.cancelled' AND payload LIKE "
                               "'%\"paymentReturned\":{\"kind\":\"refund\"%'",
                               id),
                     1);
    settled();
    bk_assert_reconciled(&f);
    free(body);
}
END_TEST

/* POSTs a webhook as Toss would (transmission id tid); the answer's outcome. */
static void webhook(const char *tid, const char *json, int *status, char *outcome, size_t size)
{
    char h[160];
    snprintf(h, sizeof h, "tosspayments-webhook-transmission-id: %s", tid);
    const char *headers[] = {h, "tosspayments-webhook-transmission-retried-count: 0", NULL};
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *http = http_client_new(&cc);
    http_client_response_t r;
    ck_assert_int_eq(http_client_post_json(http, "/api/webhooks/payment/toss", headers, json, &r),
                     HTTP_CLIENT_OK);
    *status = r.status;
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    snprintf(outcome, size, "%s", o && bk_str(o, "outcome") ? bk_str(o, "outcome") : "");
    json_object_put(o);
    http_client_response_clear(&r);
    http_client_free(http);
}

START_TEST(test_webhooks_are_believed_only_after_a_refetch)
{
    /* Toss delivers to us (no signature: unsigned, as Toss' payment webhooks) */
    char url[160], json[256];
    snprintf(url, sizeof url, "{\"url\":\"http://127.0.0.1:%d/api/webhooks/payment/toss\"}",
             f.port);
    ck_assert_int_eq(ts_sandbox_post(&f.toss, "/_sandbox/webhook", url), 200);

    char order[64];
    char *body = bk_toss_body(&f, BK_ROOM, offset++, 2, NULL, order, sizeof order);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_int_eq(status, 200);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    db_param_t p[] = {DB_STR(id)};
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(f.db, "SELECT payment_auth_id FROM booking WHERE booking_id = ?", p,
                              1, &res),
                     DB_OK);
    char key[128];
    snprintf(key, sizeof key, "%s", db_result_text(res, 0, 0));
    db_result_free(res);

    /* a forged "CANCELED" body changes nothing: Toss says DONE */
    snprintf(json, sizeof json,
             "{\"eventType\":\"PAYMENT_STATUS_CHANGED\",\"createdAt\":\"2026-01-02T14:46:59.65327\","
             "\"data\":{\"paymentKey\":\"%s\",\"status\":\"CANCELED\"}}",
             key);
    char outcome[32];
    webhook("whtrans_forged1", json, &status, outcome, sizeof outcome);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(outcome, "unchanged");
    /* the same delivery again is a duplicate; others are ignored or not ours */
    webhook("whtrans_forged1", json, &status, outcome, sizeof outcome);
    ck_assert_str_eq(outcome, "duplicate");
    webhook("whtrans_other1", "{\"eventType\":\"BILLING_DELETED\",\"data\":{}}", &status, outcome,
            sizeof outcome);
    ck_assert_str_eq(outcome, "ignored");
    webhook("whtrans_other2",
            "{\"eventType\":\"PAYMENT_STATUS_CHANGED\",\"data\":{\"paymentKey\":\"tnotours1\"}}",
            &status, outcome, sizeof outcome);
    ck_assert_str_eq(outcome, "not_ours");
    webhook("whtrans_bad1", "{\"data\":{}}", &status, outcome, sizeof outcome);
    ck_assert_int_eq(status, 400);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND status = "
                                   "'confirmed'",
                               id),
                     1);

    /* a partial cancel in Toss' console: flagged for an operator, still confirmed */
    char path[320];
    snprintf(path, sizeof path, "/_sandbox/payments/%s/console-cancel", key);
    ck_assert_int_eq(ts_sandbox_post(&f.toss, path, "{\"cancelAmount\":1000}"), 200);
    ck_assert_msg(TS_POLL_UNTIL(bk_db_int(&f,
                                          "SELECT COUNT(*) FROM saga_step_log WHERE booking_id = "
                                          "? AND step = 'payment_changed_at_provider'",
                                          id) == 1,
                                10000),
                  "not flagged (log %s)", f.log_path);
    /* the rest cancelled there too: the booking is cancelled, the room given back */
    ck_assert_int_eq(ts_sandbox_post(&f.toss, path, "{}"), 200);
    ck_assert_msg(TS_POLL_UNTIL(bk_db_int(&f,
                                          "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND "
                                          "status = 'cancelled'",
                                          id) == 1,
                                10000),
                  "not cancelled (log %s)", f.log_path);
    ck_assert_msg(TS_POLL_UNTIL(bk_summary(&f.pms, "confirmed") == 0, 15000),
                  "the PMS reservation is still confirmed");
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM outbox WHERE aggregate_id = ? AND event_type = "
                               "'lodging.booking.cancelled' AND payload LIKE "
                               "'%\"cancelledBy\":\"payment_provider\"%'",
                               id),
                     1);
    settled();
    bk_assert_reconciled(&f);
    free(body);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_toss");
    TCase *tc = tcase_create("toss");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_toss_checkout_is_approved_settled_and_recorded);
    tcase_add_test(tc, test_a_saved_card_and_automatic_acquisition);
    tcase_add_test(tc, test_refusals_tell_the_guest_what_to_do_in_korean);
    tcase_add_test(tc, test_bad_payment_shapes_are_400_naming_the_field);
    tcase_add_test(tc, test_the_guest_cancel_refunds_an_acquired_approval);
    tcase_add_test(tc, test_webhooks_are_believed_only_after_a_refetch);
    suite_add_tcase(s, tc);
    return check_run(s);
}
