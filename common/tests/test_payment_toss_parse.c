/* Unit tests for the Toss Payments gateway's parsing (common/payment/toss.c)
 * against real-format Toss responses in proto/examples/payment/toss/:
 * payments in every status the connector meets (both locales), cancels
 * found by their marker, and every error the connector maps. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../payment/toss_internal.h"
#include "check_run.h"
#include "common/payment.h"

#define EXAMPLES LODGING_SOURCE_DIR "/proto/examples/payment/toss/"

static char *read_example(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, EXAMPLES "%s", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return text;
}

static void parse(const char *name, bool manual, pay_payment_t *p)
{
    size_t len;
    char *text = read_example(name, &len);
    pay_error_t err = {0};
    ck_assert_msg(toss_parse_payment(text, len, manual, p, &err) == 0, "%s: %s", name,
                  err.message);
    free(text);
}

START_TEST(test_an_approval_is_captured_under_automatic_acquisition)
{
    pay_payment_t p;
    parse("payment-done-card.json", false, &p);
    ck_assert_str_eq(p.id, "tgen_20261207141230AbCd1");
    ck_assert_str_eq(p.order_id, "bk_3q5x7z9b2d4f6h8j0k2m4n6p");
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
    ck_assert_str_eq(p.gateway_status, "DONE");
    ck_assert_int_eq(p.amount, 250000);
    ck_assert_int_eq(p.amount_received, 250000);
    ck_assert_int_eq(p.amount_refunded, 0);
    ck_assert_str_eq(p.currency, "KRW");
    ck_assert_str_eq(p.method, "CARD");
    ck_assert_str_eq(p.easy_pay, "");
    ck_assert_str_eq(p.acquire_status, "READY");
}
END_TEST

START_TEST(test_an_approval_not_acquired_is_a_hold_under_manual_settlement)
{
    pay_payment_t p;
    parse("payment-done-card.json", true, &p);
    ck_assert_int_eq(p.status, PAY_STATUS_AUTHORIZED);
    ck_assert_int_eq(p.amount_capturable, 250000);
    ck_assert_int_eq(p.amount_received, 0);
    parse("payment-done-card-acquired.json", true, &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
    ck_assert_str_eq(p.acquire_status, "COMPLETED");
}
END_TEST

START_TEST(test_easy_pay_and_english_locale_give_the_same_words)
{
    pay_payment_t p;
    parse("payment-done-easypay.json", false, &p);
    ck_assert_str_eq(p.method, "EASY_PAY");
    ck_assert_str_eq(p.easy_pay, "토스페이");
    ck_assert_int_eq(p.amount, 1000);
    /* 2024-02-13T12:17:57+09:00 */
    ck_assert_int_eq(p.created, 1707794277);
    parse("payment-done-card-en.json", false, &p);
    ck_assert_str_eq(p.method, "CARD");
    parse("payment-waiting-for-deposit.json", false, &p);
    ck_assert_str_eq(p.method, "VIRTUAL_ACCOUNT");
    ck_assert_int_eq(p.status, PAY_STATUS_PROCESSING);
    parse("payment-billing-done.json", false, &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
}
END_TEST

START_TEST(test_cancelled_expired_and_unapproved_payments)
{
    pay_payment_t p;
    parse("payment-canceled.json", false, &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CANCELED);
    ck_assert_int_eq(p.amount_refunded, 1000);
    ck_assert_int_gt(p.canceled_at, 0);
    parse("payment-expired.json", false, &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CANCELED);
    ck_assert_str_eq(p.cancellation_reason, "automatic");
    ck_assert_str_eq(p.acquire_status, ""); /* card: null */
    parse("payment-in-progress.json", false, &p);
    ck_assert_int_eq(p.status, PAY_STATUS_FAILED);
    parse("payment-partial-canceled.json", false, &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
    ck_assert_int_eq(p.amount_refunded, 200000);
}
END_TEST

START_TEST(test_a_cancel_is_found_by_its_key_in_the_reason)
{
    size_t len;
    char *text = read_example("payment-partial-canceled.json", &len);
    pay_refund_t r;
    ck_assert_int_eq(toss_find_cancel(text, len, "bk_3q5x7z9b2d4f6h8j0k2m4n6p:refund", &r), 1);
    ck_assert_str_eq(r.id, "txcn_f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5");
    ck_assert_int_eq(r.amount, 200000);
    ck_assert_int_eq(r.status, PAY_REFUND_SUCCEEDED);
    ck_assert_str_eq(r.payment_id, "tgen_20261207141230AbCd1");
    ck_assert_int_eq(toss_find_cancel(text, len, "bk_other:refund", &r), 0);
    ck_assert_int_eq(toss_find_cancel("{", 1, "x", &r), -1);
    free(text);
}
END_TEST

static const struct {
    const char *file;
    int status;
    pay_err_t kind;
    bool unknown_outcome;
} ERRORS[] = {
    {"error-403-REJECT_CARD_PAYMENT.json", 403, PAY_ERR_INSUFFICIENT_FUNDS, false},
    {"error-403-REJECT_CARD_COMPANY.json", 403, PAY_ERR_CARD_DECLINED, false},
    {"error-400-INVALID_CARD_EXPIRATION.json", 400, PAY_ERR_EXPIRED_CARD, false},
    {"error-404-NOT_FOUND_PAYMENT_SESSION.json", 404, PAY_ERR_STATE, false},
    {"error-400-ALREADY_PROCESSED_PAYMENT.json", 400, PAY_ERR_STATE, false},
    {"error-400-ALREADY_CANCELED_PAYMENT.json", 400, PAY_ERR_STATE, false},
    {"error-400-DUPLICATED_ORDER_ID.json", 400, PAY_ERR_STATE, false},
    {"error-400-PROVIDER_ERROR.json", 400, PAY_ERR_TRANSIENT, true},
    {"error-500-FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING.json", 500, PAY_ERR_TRANSIENT, true},
    {"error-500-FAILED_INTERNAL_SYSTEM_PROCESSING.json", 500, PAY_ERR_TRANSIENT, true},
    {"error-409-IDEMPOTENT_REQUEST_PROCESSING.json", 409, PAY_ERR_IDEMPOTENCY, false},
    {"error-403-FORBIDDEN_CONSECUTIVE_REQUEST.json", 403, PAY_ERR_RATE_LIMITED, false},
    {"error-403-NOT_CANCELABLE_AMOUNT.json", 403, PAY_ERR_STATE, false},
    {"error-404-NOT_FOUND_PAYMENT.json", 404, PAY_ERR_NOT_FOUND, false},
    {"error-401-UNAUTHORIZED_KEY.json", 401, PAY_ERR_AUTH, false},
    {"error-400-INVALID_REQUEST.json", 400, PAY_ERR_INVALID_REQUEST, false},
};

START_TEST(test_each_documented_error_maps_to_its_typed_error)
{
    size_t len;
    char *text = read_example(ERRORS[_i].file, &len);
    pay_error_t err = {0};
    pay_err_t kind = toss_parse_error(ERRORS[_i].status, text, len, &err);
    ck_assert_msg(kind == ERRORS[_i].kind, "%s: %s", ERRORS[_i].file, pay_err_name(kind));
    ck_assert_int_eq(err.code, kind);
    ck_assert_int_eq(err.http_status, ERRORS[_i].status);
    ck_assert_ptr_nonnull(strstr(ERRORS[_i].file, err.vendor_code));
    ck_assert_str_ne(err.message, "");
    ck_assert_int_eq(toss_code_outcome_unknown(err.vendor_code), ERRORS[_i].unknown_outcome);
    free(text);
}
END_TEST

START_TEST(test_unreadable_answers_are_classified_by_status)
{
    pay_error_t err = {0};
    ck_assert_int_eq(toss_parse_error(502, "<html>bad gateway</html>", 24, &err), PAY_ERR_TRANSIENT);
    ck_assert_int_eq(toss_parse_error(400, "", 0, &err), PAY_ERR_PROTOCOL);
    ck_assert_int_eq(toss_parse_error(429, NULL, 0, &err), PAY_ERR_RATE_LIMITED);
    pay_payment_t p;
    ck_assert_int_eq(toss_parse_payment("{\"status\":\"DONE\"}", 17, false, &p, &err), -1);
    ck_assert_int_eq(err.code, PAY_ERR_PROTOCOL);
    /* a fraction of a won is not an amount */
    const char *frac = "{\"paymentKey\":\"k\",\"status\":\"DONE\",\"totalAmount\":100.5}";
    ck_assert_int_eq(toss_parse_payment(frac, strlen(frac), false, &p, &err), -1);
    const char *dbl = "{\"paymentKey\":\"k\",\"status\":\"DONE\",\"totalAmount\":250000.0,"
                      "\"balanceAmount\":250000.0}";
    ck_assert_int_eq(toss_parse_payment(dbl, strlen(dbl), false, &p, &err), 0);
    ck_assert_int_eq(p.amount, 250000);
}
END_TEST

START_TEST(test_times_and_order_ids)
{
    ck_assert_int_eq(toss_parse_time("2024-02-13T12:18:14+09:00"), 1707794294);
    ck_assert_int_eq(toss_parse_time("2024-02-13T03:18:14Z"), 1707794294);
    ck_assert_int_eq(toss_parse_time("2026-01-02T14:46:59.65327"), 1767365219);
    ck_assert_int_eq(toss_parse_time("garbage"), 0);
    ck_assert(payment_order_id_valid("bk_3q5x7z9b2d4f6h8j0k2m4n6p"));
    ck_assert(payment_order_id_valid("order-2026_12"));
    ck_assert(!payment_order_id_valid("short"));
    ck_assert(!payment_order_id_valid("has space 123"));
    ck_assert(!payment_order_id_valid("dots.are.out"));
    ck_assert(!payment_order_id_valid(
        "x1234567890123456789012345678901234567890123456789012345678901234"));
}
END_TEST

static const char *fake_env(const char *name, void *ctx)
{
    const char *const *pairs = ctx;
    for (int i = 0; pairs[i]; i += 2)
        if (strcmp(pairs[i], name) == 0)
            return pairs[i + 1];
    return NULL;
}

START_TEST(test_toss_config_from_env)
{
    const char *env[] = {"TOSS_SECRET_KEY", "test_sk_x", "TOSS_BASE_URL", "http://127.0.0.1:8093",
                         "TOSS_ACQUISITION", "manual", NULL};
    config_t *cfg = config_new_with_lookup(fake_env, env);
    payment_config_t pc;
    ck_assert(payment_toss_config_from_env(cfg, &pc));
    ck_assert_str_eq(pc.api_key, "test_sk_x");
    ck_assert_str_eq(pc.base_url, "http://127.0.0.1:8093");
    ck_assert(pc.manual_settlement);
    ck_assert_uint_eq(config_error_count(cfg), 0);
    config_free(cfg);

    const char *none[] = {"TOSS_ACQUISITION", "sometimes", NULL};
    cfg = config_new_with_lookup(fake_env, none);
    ck_assert(!payment_toss_config_from_env(cfg, &pc)); /* no key: Toss not offered */
    ck_assert_uint_eq(config_error_count(cfg), 0);
    config_free(cfg);

    const char *bad[] = {"TOSS_SECRET_KEY", "test_sk_x", "TOSS_ACQUISITION", "sometimes", NULL};
    cfg = config_new_with_lookup(fake_env, bad);
    payment_toss_config_from_env(cfg, &pc);
    ck_assert_ptr_nonnull(strstr(config_errors(cfg), "TOSS_ACQUISITION"));
    config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("payment_toss_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_an_approval_is_captured_under_automatic_acquisition);
    tcase_add_test(tc, test_an_approval_not_acquired_is_a_hold_under_manual_settlement);
    tcase_add_test(tc, test_easy_pay_and_english_locale_give_the_same_words);
    tcase_add_test(tc, test_cancelled_expired_and_unapproved_payments);
    tcase_add_test(tc, test_a_cancel_is_found_by_its_key_in_the_reason);
    tcase_add_loop_test(tc, test_each_documented_error_maps_to_its_typed_error, 0,
                        (int)(sizeof ERRORS / sizeof ERRORS[0]));
    tcase_add_test(tc, test_unreadable_answers_are_classified_by_status);
    tcase_add_test(tc, test_times_and_order_ids);
    tcase_add_test(tc, test_toss_config_from_env);
    suite_add_tcase(s, tc);
    return check_run(s);
}
