/* Unit tests for the toss-sandbox's store (toss_store.c): the payment's
 * status and acquisition timers, cancel arithmetic (balance, VAT,
 * cancels[]), Toss' refusals, billing keys, webhook events and the ledger. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "common/clock.h"
#include "toss_store.h"

#define STAY 250000

static toss_store_t *st;

static void setup_with(bool manual, int64_t confirm_limit_ms)
{
    toss_store_config_t cfg = {.mid = "tlodging01",
                               .window_ttl_ms = 1800000,
                               .confirm_limit_ms = confirm_limit_ms,
                               .manual_settlement = manual,
                               .acquire_after_ms = 86400000,
                               .complete_after_ms = 86400000};
    st = toss_store_new(&cfg);
    ck_assert_ptr_nonnull(st);
}

static void setup(void)
{
    setup_with(false, 600000);
}

static void teardown(void)
{
    toss_store_free(st);
}

static const char *str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static int64_t num(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

/* The payment window; copies the paymentKey. */
static void window(const char *order, const char *decline, char *key, size_t size)
{
    toss_window_t w = {.order_id = order, .amount = STAY, .decline_with = decline};
    toss_result_t r;
    toss_store_window(st, &w, &r);
    ck_assert_int_eq(r.status, 200);
    snprintf(key, size, "%s", str(r.body, "paymentKey"));
    toss_result_clear(&r);
}

static int64_t summary(const char *field)
{
    json_object *l = toss_store_ledger(st), *s;
    ck_assert(json_object_object_get_ex(l, "summary", &s));
    int64_t n = num(s, field);
    json_object_put(l);
    return n;
}

START_TEST(test_confirm_then_cancels_keep_the_arithmetic)
{
    char key[80];
    window("order-000001", NULL, key, sizeof key);
    toss_result_t r;
    toss_store_confirm(st, key, "order-000001", STAY, false, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str(r.body, "status"), "DONE");
    ck_assert_str_eq(str(r.body, "method"), "카드");
    ck_assert_int_eq(num(r.body, "vat"), 22727);
    ck_assert_int_eq(num(r.body, "suppliedAmount"), 227273);
    json_object *card;
    ck_assert(json_object_object_get_ex(r.body, "card", &card));
    ck_assert_str_eq(str(card, "acquireStatus"), "READY");
    toss_result_clear(&r);
    /* a second confirm is refused; so is another amount for a new window */
    toss_store_confirm(st, key, "order-000001", STAY, false, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.code, "ALREADY_PROCESSED_PAYMENT");
    toss_result_clear(&r);
    /* a partial cancel, then more than the balance, then the rest */
    toss_store_cancel(st, key, "fee kept", 200000, -1, true, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str(r.body, "status"), "PARTIAL_CANCELED");
    ck_assert_str_eq(str(r.body, "method"), "CARD"); /* English asked */
    ck_assert_int_eq(num(r.body, "balanceAmount"), 50000);
    toss_result_clear(&r);
    toss_store_cancel(st, key, "too much", 60000, -1, false, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(r.code, "NOT_CANCELABLE_AMOUNT");
    toss_result_clear(&r);
    toss_store_cancel(st, key, "wrong balance", -1, 49999, false, &r);
    ck_assert_str_eq(r.code, "NOT_MATCHES_REFUNDABLE_AMOUNT");
    toss_result_clear(&r);
    toss_store_cancel(st, key, "the rest", -1, 50000, false, &r);
    ck_assert_str_eq(str(r.body, "status"), "CANCELED");
    json_object *cancels;
    ck_assert(json_object_object_get_ex(r.body, "cancels", &cancels));
    ck_assert_int_eq(json_object_array_length(cancels), 2);
    ck_assert_str_eq(str(r.body, "lastTransactionKey"),
                     str(json_object_array_get_idx(cancels, 1), "transactionKey"));
    toss_result_clear(&r);
    toss_store_cancel(st, key, "again", -1, -1, false, &r);
    ck_assert_str_eq(r.code, "ALREADY_CANCELED_PAYMENT");
    toss_result_clear(&r);
    ck_assert_int_eq(summary("voids"), 2);
    ck_assert_int_eq(summary("keptAmount"), 0);
    /* DONE, PARTIAL_CANCELED, CANCELED: three webhook events */
    json_object *events = toss_store_take_events(st);
    ck_assert_int_eq(json_object_array_length(events), 3);
    ck_assert_str_eq(str(json_object_array_get_idx(events, 0), "eventType"),
                     "PAYMENT_STATUS_CHANGED");
    json_object_put(events);
}
END_TEST

START_TEST(test_declines_duplicates_and_unknown_payments)
{
    char key[80];
    window("order-000002", "REJECT_CARD_PAYMENT", key, sizeof key);
    toss_result_t r;
    toss_store_confirm(st, key, "order-000002", STAY, false, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(r.code, "REJECT_CARD_PAYMENT");
    toss_result_clear(&r);
    toss_store_get(st, key, false, &r);
    ck_assert_str_eq(str(r.body, "status"), "ABORTED");
    toss_result_clear(&r);
    toss_store_confirm(st, "nosuchkey", "order-000002", STAY, false, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.code, "NOT_FOUND_PAYMENT_SESSION");
    toss_result_clear(&r);
    toss_store_get_by_order(st, "order-999999", false, &r);
    ck_assert_str_eq(r.code, "NOT_FOUND_PAYMENT");
    toss_result_clear(&r);
    /* an approved orderId cannot open a window again */
    window("order-000003", NULL, key, sizeof key);
    toss_store_confirm(st, key, "order-000003", STAY, false, &r);
    toss_result_clear(&r);
    toss_window_t w = {.order_id = "order-000003", .amount = STAY};
    toss_store_window(st, &w, &r);
    ck_assert_str_eq(r.code, "DUPLICATED_ORDER_ID");
    toss_result_clear(&r);
}
END_TEST

START_TEST(test_billing_keys_charge_without_webhooks)
{
    toss_result_t r;
    toss_store_billing_auth(st, "cust-1", NULL, &r);
    char auth[80], billing[80];
    snprintf(auth, sizeof auth, "%s", str(r.body, "authKey"));
    toss_result_clear(&r);
    toss_store_billing_issue(st, auth, "cust-1", false, &r);
    ck_assert_int_eq(r.status, 200);
    snprintf(billing, sizeof billing, "%s", str(r.body, "billingKey"));
    toss_result_clear(&r);
    toss_store_billing_charge(st, billing, "cust-2", "order-b00001", "숙박", STAY, false, &r);
    ck_assert_str_eq(r.code, "NOT_MATCHES_CUSTOMER_KEY");
    toss_result_clear(&r);
    toss_store_billing_charge(st, billing, "cust-1", "order-b00001", "숙박", STAY, false, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str(r.body, "type"), "BILLING");
    toss_result_clear(&r);
    json_object *events = toss_store_take_events(st);
    ck_assert_int_eq(json_object_array_length(events), 0);
    json_object_put(events);
    toss_store_billing_delete(st, billing, &r);
    ck_assert_int_eq(r.status, 200);
    toss_result_clear(&r);
    toss_store_billing_charge(st, billing, "cust-1", "order-b00002", "숙박", STAY, false, &r);
    ck_assert_str_eq(r.code, "NOT_FOUND_BILLING");
    toss_result_clear(&r);
}
END_TEST

START_TEST(test_settlement_needs_the_contract)
{
    char key[80];
    window("order-000004", NULL, key, sizeof key);
    toss_result_t r;
    toss_store_confirm(st, key, "order-000004", STAY, false, &r);
    toss_result_clear(&r);
    toss_store_settle(st, key, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(r.code, "FORBIDDEN_REQUEST");
    toss_result_clear(&r);
    /* the card company's side: acquired; a cancel now is a refund */
    toss_store_force_acquire(st, key, &r);
    toss_result_clear(&r);
    toss_store_cancel(st, key, "refund", -1, -1, false, &r);
    toss_result_clear(&r);
    ck_assert_int_eq(summary("refunds"), 1);
}
END_TEST

START_TEST(test_manual_settlement_requests_acquisition)
{
    toss_store_free(st);
    setup_with(true, 600000);
    char key[80];
    window("order-000005", NULL, key, sizeof key);
    toss_result_t r;
    toss_store_confirm(st, key, "order-000005", STAY, false, &r);
    toss_result_clear(&r);
    toss_store_settle(st, key, &r);
    ck_assert_int_eq(r.status, 200);
    toss_result_clear(&r);
    ck_assert_int_eq(summary("acquired"), 1);
}
END_TEST

START_TEST(test_the_confirm_limit_expires_a_payment)
{
    toss_store_free(st);
    setup_with(false, 30);
    char key[80];
    window("order-000006", NULL, key, sizeof key);
    /* poll (no fixed sleep): the timer fires on the next look */
    int64_t deadline = clock_now_ms() + 5000;
    toss_result_t r = {0};
    while (clock_now_ms() < deadline) {
        toss_store_get(st, key, false, &r);
        bool expired = strcmp(str(r.body, "status"), "EXPIRED") == 0;
        toss_result_clear(&r);
        if (expired)
            break;
        usleep(5000);
    }
    toss_store_get(st, key, false, &r);
    ck_assert_str_eq(str(r.body, "status"), "EXPIRED");
    json_object *failure;
    ck_assert(json_object_object_get_ex(r.body, "failure", &failure));
    ck_assert_str_eq(str(failure, "code"), "EXPIRED_PAYMENT");
    toss_result_clear(&r);
    toss_store_confirm(st, key, "order-000006", STAY, false, &r);
    ck_assert_str_eq(r.code, "NOT_FOUND_PAYMENT_SESSION");
    toss_result_clear(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("toss_store");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_confirm_then_cancels_keep_the_arithmetic);
    tcase_add_test(tc, test_declines_duplicates_and_unknown_payments);
    tcase_add_test(tc, test_billing_keys_charge_without_webhooks);
    tcase_add_test(tc, test_settlement_needs_the_contract);
    tcase_add_test(tc, test_manual_settlement_requests_acquisition);
    tcase_add_test(tc, test_the_confirm_limit_expires_a_payment);
    suite_add_tcase(s, tc);
    return check_run(s);
}
