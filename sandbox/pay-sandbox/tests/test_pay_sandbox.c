/* Unit tests for the pay-sandbox's own modules, without a network: the
 * idempotency table, the test tokens and the ledger's state
 * machine. The HTTP behaviour is tested end to end by
 * tests/integration/it_payment_contract.c. */
#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "idempotency.h"
#include "pay_store.h"
#include "test_tokens.h"

/* --------------------------------------------------------- idempotency -- */

START_TEST(test_idempotency_replays_refuses_mismatch_and_in_flight)
{
    idem_store_t *s = idem_store_new(0);
    idem_result_t r;
    ck_assert_int_eq(idem_begin(s, "k1", "POST /x\na=1", &r), IDEM_NEW);
    ck_assert_int_eq(idem_begin(s, "k1", "POST /x\na=1", &r), IDEM_IN_FLIGHT);
    idem_finish(s, "k1", 402, "{\"error\":{}}", 12);
    ck_assert_int_eq(idem_begin(s, "k1", "POST /x\na=1", &r), IDEM_REPLAY);
    ck_assert_int_eq(r.status, 402);
    ck_assert_str_eq(r.body, "{\"error\":{}}");
    idem_result_clear(&r);
    ck_assert_int_eq(idem_begin(s, "k1", "POST /x\na=2", &r), IDEM_MISMATCH);
    ck_assert_int_eq(idem_begin(s, "k2", "POST /x\na=2", &r), IDEM_NEW);
    idem_abandon(s, "k2");
    ck_assert_int_eq(idem_begin(s, "k2", "POST /x\na=3", &r), IDEM_NEW);
    ck_assert_uint_eq(idem_count(s), 2);
    idem_clear(s);
    ck_assert_uint_eq(idem_count(s), 0);
    idem_store_free(s);
}
END_TEST

/* -------------------------------------------------------------- tokens -- */

START_TEST(test_tokens_drive_the_documented_outcomes)
{
    ck_assert(test_token_lookup("tok_visa")->approved);
    ck_assert(test_token_lookup("tok_mastercard")->approved);
    ck_assert(test_token_lookup("tok_visa_1234")->approved);
    const test_token_outcome_t *o = test_token_lookup("tok_chargeDeclined");
    ck_assert(!o->approved);
    ck_assert_str_eq(o->code, "card_declined");
    ck_assert_str_eq(o->decline_code, "generic_decline");
    ck_assert_str_eq(test_token_lookup("tok_insufficient_funds")->decline_code,
                     "insufficient_funds");
    ck_assert_str_eq(test_token_lookup("tok_chargeDeclinedInsufficientFunds")->decline_code,
                     "insufficient_funds");
    ck_assert_str_eq(test_token_lookup("tok_chargeDeclinedExpiredCard")->code, "expired_card");
    ck_assert_str_eq(test_token_lookup("tok_chargeDeclinedIncorrectCvc")->code, "incorrect_cvc");
    ck_assert_str_eq(test_token_lookup("tok_chargeDeclinedProcessingError")->code,
                     "processing_error");
    ck_assert(!test_token_lookup("tok_visa_chargeDeclinedSomethingNew")->approved);
    ck_assert_ptr_null(test_token_lookup("tok_unknown"));
    ck_assert_ptr_null(test_token_lookup(NULL));
}
END_TEST

/* --------------------------------------------------------------- store -- */

static pi_create_params_t authorisation(const char *token, int64_t amount)
{
    return (pi_create_params_t){.amount = amount,
                                .currency = "krw",
                                .manual_capture = true,
                                .confirm = true,
                                .card = test_token_lookup(token),
                                .booking_id = "bk_1"};
}

START_TEST(test_store_authorises_captures_partially_and_refunds_exactly)
{
    pay_store_t *st = pay_store_new(0);
    pi_create_params_t p = authorisation("tok_visa", 250000);
    pay_intent_t pi;
    ck_assert_int_eq(pay_store_create(st, &p, &pi), STORE_OK);
    ck_assert_int_eq(pi.status, PI_REQUIRES_CAPTURE);
    ck_assert_int_eq(pi.amount_capturable, 250000);
    char id[PAY_OBJECT_ID_LEN];
    strcpy(id, pi.id);
    pay_intent_clear(&pi);

    ck_assert_int_eq(pay_store_capture(st, id, 250001, &pi), STORE_BAD_AMOUNT);
    pay_intent_clear(&pi);
    ck_assert_int_eq(pay_store_capture(st, id, 200000, &pi), STORE_OK);
    ck_assert_int_eq(pi.status, PI_SUCCEEDED);
    ck_assert_int_eq(pi.amount_received, 200000);
    ck_assert_int_eq(pi.amount_capturable, 0);
    pay_intent_clear(&pi);
    ck_assert_int_eq(pay_store_capture(st, id, -1, &pi), STORE_BAD_STATE);
    pay_intent_clear(&pi);

    pay_refund_t r;
    ck_assert_int_eq(pay_store_refund(st, id, 200001, NULL, NULL, &r, NULL), STORE_BAD_AMOUNT);
    pay_refund_clear(&r);
    ck_assert_int_eq(pay_store_refund(st, id, 50000, NULL, NULL, &r, NULL), STORE_OK);
    ck_assert_int_eq(r.amount, 50000);
    pay_refund_clear(&r);
    ck_assert_int_eq(pay_store_refund(st, id, -1, NULL, NULL, &r, &pi), STORE_OK);
    ck_assert_int_eq(r.amount, 150000);
    ck_assert_int_eq(pi.amount_refunded, 200000);
    pay_refund_clear(&r);
    pay_intent_clear(&pi);
    ck_assert_int_eq(pay_store_refund(st, id, -1, NULL, NULL, &r, NULL), STORE_ALREADY_REFUNDED);
    pay_refund_clear(&r);
    pay_store_free(st);
}
END_TEST

START_TEST(test_store_declines_cancels_and_lists_the_ledger)
{
    pay_store_t *st = pay_store_new(0);
    pi_create_params_t declined = authorisation("tok_chargeDeclined", 1000);
    pi_create_params_t held = authorisation("tok_visa", 2000);
    pay_intent_t a, b, c;
    ck_assert_int_eq(pay_store_create(st, &declined, &a), STORE_OK);
    ck_assert_int_eq(a.status, PI_REQUIRES_PAYMENT_METHOD);
    ck_assert_str_eq(a.payment_method, "");
    ck_assert_int_eq(pay_store_create(st, &held, &b), STORE_OK);
    ck_assert_int_eq(pay_store_cancel(st, b.id, "abandoned", &c), STORE_OK);
    ck_assert_int_eq(c.status, PI_CANCELED);
    pay_intent_clear(&c);
    ck_assert_int_eq(pay_store_cancel(st, b.id, NULL, &c), STORE_BAD_STATE);
    pay_intent_clear(&c);
    ck_assert_int_eq(pay_store_get(st, "pi_nope", &c), STORE_NOT_FOUND);

    json_object *ledger = pay_store_ledger(st), *summary = NULL, *v = NULL;
    ck_assert(json_object_object_get_ex(ledger, "summary", &summary));
    ck_assert(json_object_object_get_ex(summary, "paymentIntents", &v));
    ck_assert_int_eq(json_object_get_int(v), 2);
    ck_assert(json_object_object_get_ex(summary, "declined", &v));
    ck_assert_int_eq(json_object_get_int(v), 1);
    ck_assert(json_object_object_get_ex(summary, "openAuthorizations", &v));
    ck_assert_int_eq(json_object_get_int(v), 0);
    json_object_put(ledger);
    pay_intent_clear(&a);
    pay_intent_clear(&b);
    pay_store_reset(st);
    ck_assert_int_eq(pay_store_get(st, b.id, &c), STORE_NOT_FOUND);
    pay_store_free(st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pay_sandbox");
    TCase *tc = tcase_create("modules");
    tcase_add_test(tc, test_idempotency_replays_refuses_mismatch_and_in_flight);
    tcase_add_test(tc, test_tokens_drive_the_documented_outcomes);
    tcase_add_test(tc, test_store_authorises_captures_partially_and_refunds_exactly);
    tcase_add_test(tc, test_store_declines_cancels_and_lists_the_ledger);
    suite_add_tcase(s, tc);
    return check_run(s);
}
