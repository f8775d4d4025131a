/* Unit tests for the Stripe gateway's parsing (common/payment/stripe.c)
 * against recorded real-format Stripe responses in
 * proto/examples/payment/stripe/: PaymentIntents in every state the
 * connector meets, a refund, and every error the connector maps. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../payment/stripe_internal.h"
#include "check_run.h"
#include "common/payment.h"

#define EXAMPLES LODGING_SOURCE_DIR "/proto/examples/payment/stripe/"

/* Reads an example file (caller frees). */
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

static void parse_payment(const char *name, pay_payment_t *p)
{
    size_t len;
    char *text = read_example(name, &len);
    pay_error_t err = {0};
    ck_assert_msg(stripe_parse_payment_intent(text, len, p, &err) == 0, "%s: %s", name,
                  err.message);
    free(text);
}

START_TEST(test_requires_capture_is_an_authorisation_in_exact_krw)
{
    pay_payment_t p;
    parse_payment("payment_intent-requires_capture.json", &p);
    ck_assert_str_eq(p.id, "pi_3QJ5bK2eZvKYlo2C0x8mT1aQ");
    ck_assert_int_eq(p.status, PAY_STATUS_AUTHORIZED);
    ck_assert_str_eq(p.gateway_status, "requires_capture");
    ck_assert_int_eq(p.amount, 250000); /* zero-decimal: 250000 KRW is 250000 */
    ck_assert_int_eq(p.amount_capturable, 250000);
    ck_assert_int_eq(p.amount_received, 0);
    ck_assert_str_eq(p.currency, "KRW");
    ck_assert_str_eq(p.booking_id, "bk_8f2c41");
    ck_assert_int_eq(p.created, 1761955200);
    ck_assert_int_eq(p.canceled_at, 0);
}
END_TEST

START_TEST(test_succeeded_is_captured_with_the_amount_received)
{
    pay_payment_t p;
    parse_payment("payment_intent-succeeded.json", &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
    ck_assert_int_eq(p.amount_received, 250000);
    ck_assert_int_eq(p.amount_capturable, 0);
    parse_payment("payment_intent-succeeded-partial.json", &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
    ck_assert_int_eq(p.amount, 250000);
    ck_assert_int_eq(p.amount_received, 200000);
}
END_TEST

START_TEST(test_canceled_and_expired_authorisations_are_canceled)
{
    pay_payment_t p;
    parse_payment("payment_intent-canceled.json", &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CANCELED);
    ck_assert_str_eq(p.cancellation_reason, "requested_by_customer");
    ck_assert_int_eq(p.canceled_at, 1761955800);
    parse_payment("payment_intent-canceled-expired.json", &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CANCELED);
    ck_assert_str_eq(p.cancellation_reason, "automatic");
}
END_TEST

START_TEST(test_expanded_latest_charge_gives_the_amount_refunded)
{
    pay_payment_t p;
    parse_payment("payment_intent-expanded-latest_charge.json", &p);
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
    ck_assert_int_eq(p.amount_refunded, 50000);
}
END_TEST

START_TEST(test_refund_parses)
{
    size_t len;
    char *text = read_example("refund.json", &len);
    pay_refund_t r;
    pay_error_t err = {0};
    ck_assert_int_eq(stripe_parse_refund(text, len, &r, &err), 0);
    ck_assert_str_eq(r.id, "re_3QJ5bK2eZvKYlo2C0aS9kD2w");
    ck_assert_str_eq(r.payment_id, "pi_3QJ5bK2eZvKYlo2C0x8mT1aQ");
    ck_assert_int_eq(r.amount, 50000);
    ck_assert_str_eq(r.currency, "KRW");
    ck_assert_int_eq(r.status, PAY_REFUND_SUCCEEDED);
    /* A refund is not a payment intent, and the other way round. */
    pay_payment_t p;
    ck_assert_int_eq(stripe_parse_payment_intent(text, len, &p, &err), -1);
    ck_assert_int_eq(err.code, PAY_ERR_PROTOCOL);
    free(text);
}
END_TEST

/* Every recorded error, with the HTTP status it came with. */
static const struct {
    const char *file;
    int status;
    pay_err_t expected;
    const char *code;
    const char *decline_code;
    bool names_payment;
} ERRORS[] = {
    {"error-402-card_declined-generic_decline.json", 402, PAY_ERR_CARD_DECLINED, "card_declined",
     "generic_decline", true},
    {"error-402-card_declined-insufficient_funds.json", 402, PAY_ERR_INSUFFICIENT_FUNDS,
     "card_declined", "insufficient_funds", true},
    {"error-402-expired_card.json", 402, PAY_ERR_EXPIRED_CARD, "expired_card", "expired_card",
     true},
    {"error-402-incorrect_cvc.json", 402, PAY_ERR_INCORRECT_CVC, "incorrect_cvc", "incorrect_cvc",
     true},
    {"error-402-processing_error.json", 402, PAY_ERR_PROCESSING, "processing_error",
     "processing_error", true},
    {"error-429-rate_limit.json", 429, PAY_ERR_RATE_LIMITED, "rate_limit", "", false},
    {"error-400-idempotency_error.json", 400, PAY_ERR_IDEMPOTENCY, "", "", false},
    {"error-409-idempotency_key_in_use.json", 409, PAY_ERR_IDEMPOTENCY, "idempotency_key_in_use",
     "", false},
    {"error-400-parameter_missing.json", 400, PAY_ERR_INVALID_REQUEST, "parameter_missing", "",
     false},
    {"error-400-payment_intent_unexpected_state.json", 400, PAY_ERR_STATE,
     "payment_intent_unexpected_state", "", true},
    {"error-404-resource_missing.json", 404, PAY_ERR_NOT_FOUND, "resource_missing", "", false},
    {"error-400-charge_already_refunded.json", 400, PAY_ERR_STATE, "charge_already_refunded", "",
     false},
    {"error-401-invalid_api_key.json", 401, PAY_ERR_AUTH, "", "", false},
    {"error-500-api_error.json", 500, PAY_ERR_TRANSIENT, "", "", false},
};

START_TEST(test_each_recorded_error_maps_to_its_typed_error)
{
    size_t len;
    char *text = read_example(ERRORS[_i].file, &len);
    pay_error_t err = {0};
    pay_err_t kind = stripe_parse_error(ERRORS[_i].status, text, len, &err);
    ck_assert_msg(kind == ERRORS[_i].expected, "%s: %s, expected %s", ERRORS[_i].file,
                  pay_err_name(kind), pay_err_name(ERRORS[_i].expected));
    ck_assert_int_eq(err.code, kind);
    ck_assert_int_eq(err.http_status, ERRORS[_i].status);
    ck_assert_str_eq(err.vendor_code, ERRORS[_i].code);
    ck_assert_str_eq(err.decline_code, ERRORS[_i].decline_code);
    ck_assert(err.message[0] != '\0');
    ck_assert(err.type[0] != '\0');
    if (ERRORS[_i].names_payment)
        ck_assert(strncmp(err.payment_id, "pi_", 3) == 0);
    /* The masked key in a 401 is Stripe's text; it is never the whole key. */
    ck_assert_ptr_null(strstr(err.message, "sk_test_sandbox"));
    free(text);
}
END_TEST

START_TEST(test_unreadable_answers_are_classified_by_status)
{
    pay_error_t err = {0};
    const char *html = "<html><body>502 Bad Gateway</body></html>";
    ck_assert_int_eq(stripe_parse_error(502, html, strlen(html), &err), PAY_ERR_TRANSIENT);
    ck_assert_int_eq(stripe_parse_error(503, "", 0, &err), PAY_ERR_TRANSIENT);
    ck_assert_int_eq(stripe_parse_error(429, html, strlen(html), &err), PAY_ERR_RATE_LIMITED);
    ck_assert_int_eq(stripe_parse_error(400, html, strlen(html), &err), PAY_ERR_PROTOCOL);
    ck_assert_int_eq(stripe_parse_error(400, "{\"error\":\"x\"}", 13, &err), PAY_ERR_PROTOCOL);
    pay_payment_t p;
    ck_assert_int_eq(stripe_parse_payment_intent("{\"object\":\"payment_intent\"}", 27, &p, &err),
                     -1);
    ck_assert_int_eq(err.code, PAY_ERR_PROTOCOL);
    ck_assert_int_eq(stripe_parse_payment_intent("{trunc", 6, &p, &err), -1);
    ck_assert_int_eq(err.code, PAY_ERR_PROTOCOL);
    const char *float_amount = "{\"object\":\"payment_intent\",\"id\":\"pi_1\",\"status\":"
                               "\"succeeded\",\"amount\":2500.5,\"currency\":\"krw\"}";
    ck_assert_int_eq(stripe_parse_payment_intent(float_amount, strlen(float_amount), &p, &err), -1);
}
END_TEST

START_TEST(test_resource_missing_is_not_found_only_for_the_payment)
{
    ck_assert_int_eq(
        stripe_error_kind(400, "invalid_request_error", "resource_missing", NULL, "payment_intent"),
        PAY_ERR_NOT_FOUND);
    ck_assert_int_eq(stripe_error_kind(400, "invalid_request_error", "resource_missing", NULL,
                                       "payment_method_data[card][token]"),
                     PAY_ERR_INVALID_REQUEST);
    ck_assert_int_eq(stripe_error_kind(403, NULL, NULL, NULL, NULL), PAY_ERR_AUTH);
    ck_assert_int_eq(stripe_error_kind(402, "card_error", "card_declined", "lost_card", NULL),
                     PAY_ERR_CARD_DECLINED);
}
END_TEST

START_TEST(test_names_and_classes_of_errors)
{
    ck_assert_str_eq(pay_err_name(PAY_OK), "PAY_OK");
    ck_assert_str_eq(pay_err_name(PAY_ERR_INSUFFICIENT_FUNDS), "PAY_ERR_INSUFFICIENT_FUNDS");
    ck_assert_str_eq(pay_err_name(PAY_ERR_PROTOCOL), "PAY_ERR_PROTOCOL");
    ck_assert_str_eq(pay_err_name((pay_err_t)99), "PAY_ERR_UNKNOWN");
    ck_assert(pay_err_retryable(PAY_ERR_TRANSIENT));
    ck_assert(pay_err_retryable(PAY_ERR_UNAVAILABLE));
    ck_assert(!pay_err_retryable(PAY_ERR_CARD_DECLINED));
    ck_assert(!pay_err_retryable(PAY_ERR_STATE));
    ck_assert(pay_err_is_decline(PAY_ERR_EXPIRED_CARD));
    ck_assert(!pay_err_is_decline(PAY_ERR_AUTH));
    ck_assert_int_eq(stripe_status_from_text("requires_action"), PAY_STATUS_FAILED);
    ck_assert_int_eq(stripe_status_from_text("processing"), PAY_STATUS_PROCESSING);
    ck_assert_int_eq(stripe_status_from_text("new_status"), PAY_STATUS_UNKNOWN);
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

START_TEST(test_config_from_env_reads_the_gateway_settings_and_requires_the_key)
{
    const char *env[] = {"PAYMENT_BASE_URL",
                         "http://127.0.0.1:8092",
                         "PAYMENT_API_KEY",
                         "sk_test_sandbox",
                         "PAYMENT_TIMEOUT_MS",
                         "3000",
                         NULL};
    config_t *cfg = config_new_with_lookup(fake_env, env);
    payment_config_t pc;
    ck_assert_str_eq(payment_config_from_env(cfg, &pc), "stripe");
    ck_assert_str_eq(pc.base_url, "http://127.0.0.1:8092");
    ck_assert_str_eq(pc.api_key, "sk_test_sandbox");
    ck_assert_int_eq(pc.timeout_ms, 3000);
    ck_assert_int_eq(pc.retry.max_retries, RETRY_MAX_RETRIES);
    ck_assert_uint_eq(config_error_count(cfg), 0);
    config_free(cfg);

    const char *missing[] = {"PAYMENT_GATEWAY", "paypal", NULL};
    cfg = config_new_with_lookup(fake_env, missing);
    payment_config_from_env(cfg, &pc);
    ck_assert_uint_eq(config_error_count(cfg), 2);
    ck_assert_ptr_nonnull(strstr(config_errors(cfg), "PAYMENT_API_KEY"));
    ck_assert_ptr_nonnull(strstr(config_errors(cfg), "PAYMENT_GATEWAY"));
    config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("payment_stripe_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_requires_capture_is_an_authorisation_in_exact_krw);
    tcase_add_test(tc, test_succeeded_is_captured_with_the_amount_received);
    tcase_add_test(tc, test_canceled_and_expired_authorisations_are_canceled);
    tcase_add_test(tc, test_expanded_latest_charge_gives_the_amount_refunded);
    tcase_add_test(tc, test_refund_parses);
    tcase_add_loop_test(tc, test_each_recorded_error_maps_to_its_typed_error, 0,
                        (int)(sizeof ERRORS / sizeof ERRORS[0]));
    tcase_add_test(tc, test_unreadable_answers_are_classified_by_status);
    tcase_add_test(tc, test_resource_missing_is_not_found_only_for_the_payment);
    tcase_add_test(tc, test_names_and_classes_of_errors);
    tcase_add_test(tc, test_config_from_env_reads_the_gateway_settings_and_requires_the_key);
    suite_add_tcase(s, tc);
    return check_run(s);
}
