/* The reconciliation's comparison (reconcile_compare) on ledgers built in
 * memory: every kind of mismatch, and silence when the ledgers agree. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "common/reconcile.h"

/* A booking of 250000 KRW with the given ids ("" for none). */
static reconcile_booking_t booking(const char *id, const char *status, const char *reservation,
                                   const char *payment)
{
    reconcile_booking_t b = {.amount = 250000, .currency = "KRW"};
    snprintf(b.booking_id, sizeof b.booking_id, "%s", id);
    snprintf(b.status, sizeof b.status, "%s", status);
    snprintf(b.reservation_id, sizeof b.reservation_id, "%s", reservation);
    snprintf(b.payment_auth_id, sizeof b.payment_auth_id, "%s", payment);
    return b;
}

static pms_reservation_t reservation(const char *id, pms_res_status_t status, const char *ref,
                                     int64_t total)
{
    pms_reservation_t r = {.status = status, .total = total, .currency = "KRW"};
    snprintf(r.reservation_id, sizeof r.reservation_id, "%s", id);
    snprintf(r.reference, sizeof r.reference, "%s", ref);
    return r;
}

static pay_payment_t payment(const char *id, pay_status_t status, int64_t received,
                             int64_t refunded)
{
    pay_payment_t p = {.status = status,
                       .amount = 250000,
                       .amount_received = received,
                       .amount_refunded = refunded,
                       .currency = "KRW"};
    snprintf(p.id, sizeof p.id, "%s", id);
    snprintf(p.gateway_status, sizeof p.gateway_status, "%s",
             status == PAY_STATUS_AUTHORIZED ? "requires_capture"
             : status == PAY_STATUS_CAPTURED ? "succeeded"
                                             : "canceled");
    return p;
}

typedef struct ledgers {
    reconcile_booking_t b[8];
    pms_reservation_t r[8];
    pay_payment_t p[8];
    size_t nb, nr, np;
    bool ignore_other_channels;
    int64_t now_s;
} ledgers_t;

/* Compares the ledgers; the caller frees the report. */
static reconcile_report_t compare(const ledgers_t *l)
{
    reconcile_input_t in = {l->b,  l->nb, l->r, l->nr, l->p, l->np, l->ignore_other_channels,
                            l->now_s};
    reconcile_report_t rep;
    ck_assert_int_eq(reconcile_compare(&in, &rep), 0);
    return rep;
}

/* The only mismatch of the report; fails unless there is exactly one. */
static const reconcile_mismatch_t *only(const reconcile_report_t *rep, reconcile_kind_t kind)
{
    ck_assert_msg(rep->count == 1, "%zu mismatches, first %s", rep->count,
                  rep->count ? reconcile_kind_name(rep->items[0].kind) : "-");
    ck_assert_str_eq(reconcile_kind_name(rep->items[0].kind), reconcile_kind_name(kind));
    ck_assert(rep->items[0].action && *rep->items[0].action);
    return &rep->items[0];
}

/* A confirmed, paid booking whose PMS reservation is confirmed. */
static void add_good(ledgers_t *l, const char *bk, const char *res, const char *pi)
{
    l->b[l->nb++] = booking(bk, "confirmed", res, pi);
    l->r[l->nr++] = reservation(res, PMS_RES_CONFIRMED, bk, 250000);
    l->p[l->np++] = payment(pi, PAY_STATUS_CAPTURED, 250000, 0);
}

START_TEST(test_agreeing_ledgers_have_no_mismatch)
{
    ledgers_t l = {0};
    add_good(&l, "bk_1", "R1", "pi_1");
    add_good(&l, "bk_2", "R2", "pi_2");
    l.b[l.nb++] = booking("bk_3", "failed", "", "pi_3");
    l.p[l.np++] = payment("pi_3", PAY_STATUS_CANCELED, 0, 0);
    l.b[l.nb++] = booking("bk_4", "cancelled", "R4", "pi_4");
    l.r[l.nr++] = reservation("R4", PMS_RES_CANCELLED, "bk_4", 250000);
    l.p[l.np++] = payment("pi_4", PAY_STATUS_CAPTURED, 250000, 250000);
    l.b[l.nb++] = booking("bk_5", "pending", "", "pi_5"); /* in flight */
    l.r[l.nr++] = reservation("R5", PMS_RES_HOLD, "bk_5", PMS_TOTAL_UNKNOWN);
    l.p[l.np++] = payment("pi_5", PAY_STATUS_AUTHORIZED, 0, 0);
    reconcile_report_t rep = compare(&l);
    ck_assert_uint_eq(rep.count, 0);
    ck_assert_uint_eq(rep.bookings, 5);
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_a_confirmed_reservation_without_booking_is_pms_confirmed_not_booked)
{
    ledgers_t l = {0};
    add_good(&l, "bk_1", "R1", "pi_1");
    l.r[l.nr++] = reservation("R9", PMS_RES_CONFIRMED, "", PMS_TOTAL_UNKNOWN);
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_PMS_CONFIRMED_NOT_BOOKED);
    ck_assert_str_eq(m->reservation_id, "R9");
    ck_assert_str_eq(m->ours, "absent");
    ck_assert_str_eq(m->theirs, "confirmed");
    reconcile_report_free(&rep);
    l.ignore_other_channels = true; /* no reference: another channel's */
    rep = compare(&l);
    ck_assert_uint_eq(rep.count, 0);
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_a_second_reservation_of_a_booking_is_pms_confirmed_not_booked)
{
    ledgers_t l = {0};
    add_good(&l, "bk_1", "R1", "pi_1");
    l.r[l.nr++] = reservation("R2", PMS_RES_CONFIRMED, "bk_1", 250000);
    l.ignore_other_channels = true; /* it carries our reference: still reported */
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_PMS_CONFIRMED_NOT_BOOKED);
    ck_assert_str_eq(m->booking_id, "bk_1");
    ck_assert_str_eq(m->reservation_id, "R2");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_a_confirmed_booking_absent_from_the_pms_is_booked_not_in_pms)
{
    ledgers_t l = {0};
    add_good(&l, "bk_1", "R1", "pi_1");
    l.nr = 0;
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_BOOKED_NOT_IN_PMS);
    ck_assert_str_eq(m->booking_id, "bk_1");
    ck_assert_str_eq(m->reservation_id, "R1");
    ck_assert_str_eq(m->theirs, "absent");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_confirmed_on_one_side_only_is_status_differs)
{
    ledgers_t l = {0};
    add_good(&l, "bk_1", "R1", "pi_1");
    l.r[0].status = PMS_RES_CANCELLED;
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_STATUS_DIFFERS);
    ck_assert_str_eq(m->ours, "confirmed");
    ck_assert_str_eq(m->theirs, "canceled");
    reconcile_report_free(&rep);

    ledgers_t k = {0};
    k.b[k.nb++] = booking("bk_2", "failed", "", "");
    k.r[k.nr++] = reservation("R2", PMS_RES_CONFIRMED, "bk_2", 250000);
    rep = compare(&k);
    m = only(&rep, RECONCILE_STATUS_DIFFERS);
    ck_assert_str_eq(m->booking_id, "bk_2");
    ck_assert_str_eq(m->ours, "failed");
    ck_assert_str_eq(m->theirs, "confirmed");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_a_different_total_is_amount_differs)
{
    ledgers_t l = {0};
    add_good(&l, "bk_1", "R1", "pi_1");
    l.r[0].total = 240000;
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_AMOUNT_DIFFERS);
    ck_assert_str_eq(m->ours, "250000 KRW");
    ck_assert_str_eq(m->theirs, "240000 KRW");
    reconcile_report_free(&rep);

    l.r[0].total = 250000;
    l.p[0].amount_refunded = 50000; /* a partial refund of a confirmed stay */
    rep = compare(&l);
    m = only(&rep, RECONCILE_AMOUNT_DIFFERS);
    ck_assert_str_eq(m->payment_id, "pi_1");
    ck_assert_str_eq(m->theirs, "200000 KRW");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_money_kept_for_a_failed_booking_is_captured_without_booking)
{
    ledgers_t l = {0};
    l.b[l.nb++] = booking("bk_1", "cancelled", "R1", "pi_1");
    l.r[l.nr++] = reservation("R1", PMS_RES_CANCELLED, "bk_1", 250000);
    l.p[l.np++] = payment("pi_1", PAY_STATUS_CAPTURED, 250000, 0);
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_CAPTURED_WITHOUT_BOOKING);
    ck_assert_str_eq(m->payment_id, "pi_1");
    ck_assert_str_eq(m->ours, "cancelled");
    ck_assert_str_eq(m->theirs, "250000 KRW");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_a_cancellation_fee_kept_after_a_partial_refund_agrees)
{
    ledgers_t l = {0};
    /* the policy kept the first night: half refunded, half kept by right */
    l.b[l.nb] = booking("bk_1", "cancelled", "R1", "pi_1");
    l.b[l.nb++].cancel_fee = 125000;
    l.r[l.nr++] = reservation("R1", PMS_RES_CANCELLED, "bk_1", 250000);
    l.p[l.np++] = payment("pi_1", PAY_STATUS_CAPTURED, 250000, 125000);
    /* non-refundable: everything kept */
    l.b[l.nb] = booking("bk_2", "cancelled", "R2", "pi_2");
    l.b[l.nb++].cancel_fee = 250000;
    l.r[l.nr++] = reservation("R2", PMS_RES_CANCELLED, "bk_2", 250000);
    l.p[l.np++] = payment("pi_2", PAY_STATUS_CAPTURED, 250000, 0);
    reconcile_report_t rep = compare(&l);
    ck_assert_uint_eq(rep.count, 0);
    reconcile_report_free(&rep);
    /* more kept than the fee is money without a booking */
    l.p[0].amount_refunded = 100000;
    rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_CAPTURED_WITHOUT_BOOKING);
    ck_assert_str_eq(m->payment_id, "pi_1");
    ck_assert_str_eq(m->theirs, "150000 KRW");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_an_authorisation_left_open_is_preauth_open)
{
    ledgers_t l = {0};
    l.b[l.nb++] = booking("bk_1", "failed", "", "pi_1");
    l.p[l.np++] = payment("pi_1", PAY_STATUS_AUTHORIZED, 0, 0);
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_PREAUTH_OPEN);
    ck_assert_str_eq(m->theirs, "requires_capture");
    reconcile_report_free(&rep);

    ledgers_t k = {0};
    add_good(&k, "bk_2", "R2", "pi_2");
    k.p[0] = payment("pi_2", PAY_STATUS_AUTHORIZED, 0, 0); /* confirmed, never captured */
    rep = compare(&k);
    m = only(&rep, RECONCILE_PREAUTH_OPEN);
    ck_assert_str_eq(m->ours, "confirmed");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_a_hold_of_an_ended_or_unknown_booking_is_hold_open)
{
    ledgers_t l = {0};
    l.b[l.nb++] = booking("bk_1", "failed", "", "");
    l.r[l.nr++] = reservation("R1", PMS_RES_HOLD, "bk_1", PMS_TOTAL_UNKNOWN);
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_HOLD_OPEN);
    ck_assert_str_eq(m->booking_id, "bk_1");
    ck_assert_str_eq(m->ours, "failed");
    reconcile_report_free(&rep);

    ledgers_t k = {0};
    k.r[k.nr++] = reservation("R2", PMS_RES_HOLD, "bk_gone", PMS_TOTAL_UNKNOWN);
    k.r[k.nr++] = reservation("R3", PMS_RES_HOLD, "", PMS_TOTAL_UNKNOWN); /* not ours */
    rep = compare(&k);
    m = only(&rep, RECONCILE_HOLD_OPEN);
    ck_assert_str_eq(m->reservation_id, "R2");
    ck_assert_str_eq(m->ours, "absent");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_a_confirmed_booking_without_money_is_payment_missing)
{
    ledgers_t l = {0};
    add_good(&l, "bk_1", "R1", "pi_1");
    l.np = 0; /* the gateway does not know it */
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_PAYMENT_MISSING);
    ck_assert_str_eq(m->theirs, "absent");
    reconcile_report_free(&rep);

    l.p[l.np++] = payment("pi_1", PAY_STATUS_CANCELED, 0, 0);
    rep = compare(&l);
    m = only(&rep, RECONCILE_PAYMENT_MISSING);
    ck_assert_str_eq(m->theirs, "canceled");
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_a_toss_approval_not_acquired_in_time_is_acquisition_overdue)
{
    ledgers_t l = {.now_s = 1800000000};
    add_good(&l, "bk_1", "res_1", "tpay_1");
    add_good(&l, "bk_2", "res_2", "tpay_2");
    /* approved three days ago, still READY; the other one yesterday */
    snprintf(l.p[0].acquire_status, sizeof l.p[0].acquire_status, "READY");
    l.p[0].created = l.now_s - 3 * 24 * 3600;
    snprintf(l.p[1].acquire_status, sizeof l.p[1].acquire_status, "READY");
    l.p[1].created = l.now_s - 24 * 3600;
    reconcile_report_t rep = compare(&l);
    const reconcile_mismatch_t *m = only(&rep, RECONCILE_ACQUISITION_OVERDUE);
    ck_assert_str_eq(m->payment_id, "tpay_1");
    reconcile_report_free(&rep);
    /* acquired, or no clock given: nothing to say */
    snprintf(l.p[0].acquire_status, sizeof l.p[0].acquire_status, "COMPLETED");
    rep = compare(&l);
    ck_assert_uint_eq(rep.count, 0);
    reconcile_report_free(&rep);
    snprintf(l.p[0].acquire_status, sizeof l.p[0].acquire_status, "READY");
    l.now_s = 0;
    rep = compare(&l);
    ck_assert_uint_eq(rep.count, 0);
    reconcile_report_free(&rep);
}
END_TEST

START_TEST(test_kind_names_are_stable_and_the_report_is_json)
{
    ck_assert_str_eq(reconcile_kind_name(RECONCILE_PMS_CONFIRMED_NOT_BOOKED),
                     "pms_confirmed_not_booked");
    ck_assert_str_eq(reconcile_kind_name(RECONCILE_PAYMENT_MISSING), "payment_missing");
    ck_assert_str_eq(reconcile_kind_name(RECONCILE_KIND_COUNT), "unknown");
    for (int k = 0; k < RECONCILE_KIND_COUNT; k++)
        ck_assert_str_ne(reconcile_kind_name((reconcile_kind_t)k), "unknown");
    ledgers_t l = {0};
    l.r[l.nr++] = reservation("R9", PMS_RES_CONFIRMED, "", PMS_TOTAL_UNKNOWN);
    reconcile_report_t rep = compare(&l);
    snprintf(rep.hotel_id, sizeof rep.hotel_id, "hotel_123");
    struct json_object *j = reconcile_report_json(&rep);
    ck_assert_ptr_nonnull(j);
    struct json_object *list, *first, *kind;
    ck_assert(json_object_object_get_ex(j, "mismatches", &list));
    ck_assert_uint_eq(json_object_array_length(list), 1);
    first = json_object_array_get_idx(list, 0);
    ck_assert(json_object_object_get_ex(first, "kind", &kind));
    ck_assert_str_eq(json_object_get_string(kind), "pms_confirmed_not_booked");
    json_object_put(j);
    reconcile_report_free(&rep);
    reconcile_report_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reconcile");
    TCase *tc = tcase_create("compare");
    tcase_add_test(tc, test_agreeing_ledgers_have_no_mismatch);
    tcase_add_test(tc, test_a_confirmed_reservation_without_booking_is_pms_confirmed_not_booked);
    tcase_add_test(tc, test_a_second_reservation_of_a_booking_is_pms_confirmed_not_booked);
    tcase_add_test(tc, test_a_confirmed_booking_absent_from_the_pms_is_booked_not_in_pms);
    tcase_add_test(tc, test_confirmed_on_one_side_only_is_status_differs);
    tcase_add_test(tc, test_a_different_total_is_amount_differs);
    tcase_add_test(tc, test_money_kept_for_a_failed_booking_is_captured_without_booking);
    tcase_add_test(tc, test_a_cancellation_fee_kept_after_a_partial_refund_agrees);
    tcase_add_test(tc, test_an_authorisation_left_open_is_preauth_open);
    tcase_add_test(tc, test_a_hold_of_an_ended_or_unknown_booking_is_hold_open);
    tcase_add_test(tc, test_a_confirmed_booking_without_money_is_payment_missing);
    tcase_add_test(tc, test_a_toss_approval_not_acquired_in_time_is_acquisition_overdue);
    tcase_add_test(tc, test_kind_names_are_stable_and_the_report_is_json);
    suite_add_tcase(s, tc);
    return check_run(s);
}
