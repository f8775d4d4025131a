/* Contract tests: the payment connector (common/payment, Stripe) against the
 * pay-sandbox speaking Stripe's wire format. Every operation, every typed
 * error, idempotent replay (sequential, concurrent, and after a client
 * timeout), the breaker (5 failures → open, half-open recovery), retry only
 * on retryable failures and honouring Retry-After, expiring authorisations,
 * malformed requests, and the fault control API. Each test runs its own
 * sandbox on a free port. */
#include <check.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/http_client.h"
#include "common/json.h"
#include "common/metrics.h"
#include "common/payment.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define API_KEY "sk_test_sandbox"
#define KRW_STAY 250000
#define POLL_TIMEOUT_MS 10000
#define CONCURRENT_CALLERS 6

static ts_sandbox_t sb;
static clock_manual_t manual;
static clock_source_t manual_clock;

/* ------------------------------------------------------------ fixtures -- */

static void start_sandbox_with(const char *extra_env)
{
    const char *env[] = {"LOG_LEVEL=info", "HTTP_THREADS=8", extra_env, NULL};
    ts_sandbox_start(&sb, "pay-sandbox", "PAY_SANDBOX_PORT", env);
    manual = (clock_manual_t){.now_ms = 1000000};
    manual_clock = clock_source_manual(&manual);
}

static void start_sandbox(void)
{
    start_sandbox_with(NULL);
}

/* Authorisations that expire after one second. */
static void start_sandbox_short_ttl(void)
{
    start_sandbox_with("PAY_SANDBOX_AUTH_TTL_SECONDS=1");
}

static void stop_sandbox(void)
{
    ts_sandbox_stop(&sb);
}

/* Backoff draws: the longest wait every time, or none. */
static uint64_t rng_max(void *ctx, uint64_t bound)
{
    (void)ctx;
    return bound;
}

static uint64_t rng_zero(void *ctx, uint64_t bound)
{
    (void)ctx;
    (void)bound;
    return 0;
}

typedef struct connector_opts {
    int max_retries;
    bool manual_time; /* retries and breaker on the manual clock (no real sleeping) */
    int64_t base_ms, cap_ms;
    retry_rng_fn rng;
    long timeout_ms;
    const char *api_key;
} connector_opts_t;

static payment_connector_t *connector_with(connector_opts_t o)
{
    payment_config_t cfg = PAYMENT_CONFIG_DEFAULT;
    cfg.base_url = sb.base_url;
    cfg.api_key = o.api_key ? o.api_key : API_KEY;
    cfg.timeout_ms = o.timeout_ms ? o.timeout_ms : 5000;
    cfg.retry.max_retries = o.max_retries;
    if (o.base_ms)
        cfg.retry.base_ms = o.base_ms;
    if (o.cap_ms)
        cfg.retry.cap_ms = o.cap_ms;
    cfg.retry.rng = o.rng ? o.rng : rng_zero;
    if (o.manual_time)
        cfg.clock = &manual_clock;
    char why[160];
    payment_connector_t *c = payment_connector_new("stripe", &cfg, why, sizeof why);
    ck_assert_msg(c != NULL, "%s", why);
    return c;
}

/* The usual connector: retries on the manual clock, so nothing sleeps. */
static payment_connector_t *connector(int max_retries)
{
    return connector_with((connector_opts_t){.max_retries = max_retries, .manual_time = true});
}

static pay_preauth_request_t stay(const char *token, const char *key)
{
    return (pay_preauth_request_t){.amount = KRW_STAY,
                                   .currency = "KRW",
                                   .card_token = token,
                                   .idempotency_key = key,
                                   .description = "hotel_123 2025-11-01..2025-11-03",
                                   .booking_id = "bk_contract"};
}

/* GET /_sandbox/ledger, parsed (caller puts). */
static json_object *ledger(void)
{
    return ts_sandbox_get_json(&sb, "/_sandbox/ledger", NULL);
}

/* An integer at a dotted path of the ledger ("summary.openAuthorizations"). */
static int64_t ledger_int(const char *path)
{
    json_object *o = ledger();
    int64_t v = -1;
    json_error_t err;
    ck_assert_msg(json_get_int64(o, path, true, INT64_MIN, INT64_MAX, 0, &v, &err) == 0, "%s",
                  err.message);
    json_object_put(o);
    return v;
}

static int64_t requests_of(const char *op)
{
    json_object *o = ledger(), *stats, *requests, *v;
    ck_assert(json_object_object_get_ex(o, "stats", &stats));
    ck_assert(json_object_object_get_ex(stats, "requests", &requests));
    ck_assert(json_object_object_get_ex(requests, op, &v));
    int64_t n = json_object_get_int64(v);
    json_object_put(o);
    return n;
}

/* ------------------------------------------------------- happy paths -- */

START_TEST(test_preauthorize_capture_refund_and_get_in_exact_krw)
{
    payment_connector_t *pay = connector(0);
    metric_t *calls = metrics_counter("payment_requests_total", "", 3, "gateway", "op", "outcome");
    double before = metrics_value(calls, "stripe", "preauthorize", "PAY_OK");
    pay_preauth_request_t rq = stay("tok_visa", "bk_contract:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    ck_assert(strncmp(p.id, "pi_", 3) == 0);
    ck_assert_int_eq(p.status, PAY_STATUS_AUTHORIZED);
    ck_assert_int_eq(p.amount, KRW_STAY);
    ck_assert_int_eq(p.amount_capturable, KRW_STAY);
    ck_assert_str_eq(p.currency, "KRW");
    ck_assert_str_eq(p.booking_id, "bk_contract");
    ck_assert_int_eq(e.attempts, 1);
    ck_assert(metrics_value(calls, "stripe", "preauthorize", "PAY_OK") == before + 1);
    ck_assert_int_eq(ledger_int("summary.openAuthorizations"), 1);
    ck_assert_int_eq(ledger_int("summary.amountsByCurrency.KRW.authorized"), KRW_STAY);

    char id[PAY_ID_MAX];
    snprintf(id, sizeof id, "%s", p.id);
    pay_payment_t got;
    ck_assert_int_eq(payment_get(pay, id, &got, &e), PAY_OK);
    ck_assert_int_eq(got.status, PAY_STATUS_AUTHORIZED);

    ck_assert_int_eq(payment_capture(pay, id, 0, "bk_contract:capture", &p, &e), PAY_OK);
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
    ck_assert_int_eq(p.amount_received, KRW_STAY);
    ck_assert_int_eq(p.amount_capturable, 0);

    pay_refund_t r;
    ck_assert_int_eq(payment_refund(pay, id, 100000, "bk_contract:refund1", &r, &e), PAY_OK);
    ck_assert(strncmp(r.id, "re_", 3) == 0);
    ck_assert_str_eq(r.payment_id, id);
    ck_assert_int_eq(r.amount, 100000);
    ck_assert_str_eq(r.currency, "KRW");
    ck_assert_int_eq(r.status, PAY_REFUND_SUCCEEDED);
    ck_assert_int_eq(payment_get(pay, id, &got, &e), PAY_OK);
    ck_assert_int_eq(got.amount_refunded, 100000);
    ck_assert_int_eq(payment_refund(pay, id, 0, "bk_contract:refund2", &r, &e), PAY_OK);
    ck_assert_int_eq(r.amount, KRW_STAY - 100000);

    ck_assert_int_eq(ledger_int("summary.captured"), 1);
    ck_assert_int_eq(ledger_int("summary.refunds"), 2);
    ck_assert_int_eq(ledger_int("summary.amountsByCurrency.KRW.refunded"), KRW_STAY);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_partial_capture_releases_the_rest_of_the_hold)
{
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_mastercard", NULL);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    char id[PAY_ID_MAX];
    snprintf(id, sizeof id, "%s", p.id);
    ck_assert_int_eq(payment_capture(pay, id, 200000, NULL, &p, &e), PAY_OK);
    ck_assert_int_eq(p.amount, KRW_STAY);
    ck_assert_int_eq(p.amount_received, 200000);
    ck_assert_int_eq(p.amount_capturable, 0);
    /* Refunds are bounded by what was captured, not by the hold. */
    pay_refund_t r;
    ck_assert_int_eq(payment_refund(pay, id, 200001, NULL, &r, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.param, "amount");
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_void_releases_the_authorisation_and_capture_then_fails_on_state)
{
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_visa_1234", "bk_void:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    char id[PAY_ID_MAX];
    snprintf(id, sizeof id, "%s", p.id);
    ck_assert_int_eq(payment_void(pay, id, "bk_void:void", &p, &e), PAY_OK);
    ck_assert_int_eq(p.status, PAY_STATUS_CANCELED);
    ck_assert_int_eq(p.amount_capturable, 0);
    ck_assert(p.canceled_at > 0);
    ck_assert_int_eq(ledger_int("summary.openAuthorizations"), 0);
    ck_assert_int_eq(payment_capture(pay, id, 0, "bk_void:capture", &p, &e), PAY_ERR_STATE);
    ck_assert_str_eq(e.vendor_code, "payment_intent_unexpected_state");
    ck_assert_int_eq(e.http_status, 400);
    ck_assert_str_eq(e.payment_id, id);
    ck_assert_int_eq(payment_void(pay, id, "bk_void:void2", &p, &e), PAY_ERR_STATE);
    /* The same void replayed by its key is the same success, not an error. */
    ck_assert_int_eq(payment_void(pay, id, "bk_void:void", &p, &e), PAY_OK);
    payment_connector_free(pay);
}
END_TEST

/* -------------------------------------------------------- typed errors -- */

static const struct {
    const char *token;
    pay_err_t expected;
    const char *code;
    const char *decline_code;
} DECLINES[] = {
    {"tok_chargeDeclined", PAY_ERR_CARD_DECLINED, "card_declined", "generic_decline"},
    {"tok_visa_chargeDeclined", PAY_ERR_CARD_DECLINED, "card_declined", "generic_decline"},
    {"tok_chargeDeclinedInsufficientFunds", PAY_ERR_INSUFFICIENT_FUNDS, "card_declined",
     "insufficient_funds"},
    {"tok_insufficient_funds", PAY_ERR_INSUFFICIENT_FUNDS, "card_declined", "insufficient_funds"},
    {"tok_chargeDeclinedExpiredCard", PAY_ERR_EXPIRED_CARD, "expired_card", "expired_card"},
    {"tok_chargeDeclinedIncorrectCvc", PAY_ERR_INCORRECT_CVC, "incorrect_cvc", "incorrect_cvc"},
    {"tok_chargeDeclinedProcessingError", PAY_ERR_PROCESSING, "processing_error",
     "processing_error"},
};

START_TEST(test_each_decline_token_is_its_typed_error_and_never_retried)
{
    payment_connector_t *pay = connector(3);
    pay_preauth_request_t rq = stay(DECLINES[_i].token, NULL);
    pay_payment_t p;
    pay_error_t e;
    pay_err_t rc = payment_preauthorize(pay, &rq, &p, &e);
    ck_assert_msg(rc == DECLINES[_i].expected, "%s: %s (%s)", DECLINES[_i].token, pay_err_name(rc),
                  e.message);
    ck_assert_int_eq(e.http_status, 402);
    ck_assert_str_eq(e.type, "card_error");
    ck_assert_str_eq(e.vendor_code, DECLINES[_i].code);
    ck_assert_str_eq(e.decline_code, DECLINES[_i].decline_code);
    ck_assert(strncmp(e.payment_id, "pi_", 3) == 0);
    ck_assert(e.message[0] != '\0');
    /* 402 is final: one request, one declined intent, the breaker untouched. */
    ck_assert_int_eq(e.attempts, 1);
    ck_assert_int_eq(requests_of("payment_intents.create"), 1);
    ck_assert_int_eq(ledger_int("summary.declined"), 1);
    ck_assert_int_eq(ledger_int("summary.openAuthorizations"), 0);
    ck_assert_int_eq(breaker_state(payment_connector_breaker(pay)), BREAKER_CLOSED);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_a_wrong_api_key_is_an_auth_error)
{
    payment_connector_t *pay = connector_with((connector_opts_t){
        .max_retries = 3, .manual_time = true, .api_key = "sk_test_wrong_key_1"});
    pay_preauth_request_t rq = stay("tok_visa", NULL);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_AUTH);
    ck_assert_int_eq(e.http_status, 401);
    ck_assert_int_eq(e.attempts, 1);
    ck_assert_ptr_nonnull(strstr(e.message, "Invalid API Key provided"));
    ck_assert_ptr_null(strstr(e.message, "sk_test_wrong_key_1"));
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 0);
    payment_connector_free(pay);
    char why[128];
    payment_config_t cfg = PAYMENT_CONFIG_DEFAULT;
    ck_assert_ptr_null(payment_connector_new("stripe", &cfg, why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "PAYMENT_API_KEY"));
    cfg.api_key = API_KEY;
    ck_assert_ptr_null(payment_connector_new("tosspayments", &cfg, why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "unknown payment gateway"));
}
END_TEST

START_TEST(test_unknown_payments_are_not_found)
{
    payment_connector_t *pay = connector(3);
    pay_payment_t p;
    pay_refund_t r;
    pay_error_t e;
    ck_assert_int_eq(payment_get(pay, "pi_doesnotexist", &p, &e), PAY_ERR_NOT_FOUND);
    ck_assert_int_eq(e.http_status, 404);
    ck_assert_str_eq(e.vendor_code, "resource_missing");
    ck_assert_int_eq(e.attempts, 1);
    ck_assert_int_eq(payment_capture(pay, "pi_doesnotexist", 0, NULL, &p, &e), PAY_ERR_NOT_FOUND);
    ck_assert_int_eq(payment_void(pay, "pi_doesnotexist", NULL, &p, &e), PAY_ERR_NOT_FOUND);
    ck_assert_int_eq(payment_refund(pay, "pi_doesnotexist", 0, NULL, &r, &e), PAY_ERR_NOT_FOUND);
    ck_assert_int_eq(e.http_status, 400); /* Stripe: the id came in the body */
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_invalid_requests_are_refused_by_the_connector_or_the_gateway)
{
    payment_connector_t *pay = connector(3);
    pay_payment_t p;
    pay_error_t e;
    /* Refused before sending: nothing reaches the gateway. */
    pay_preauth_request_t bad = stay("tok_visa", NULL);
    bad.amount = 0;
    ck_assert_int_eq(payment_preauthorize(pay, &bad, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.param, "amount");
    ck_assert_int_eq(e.attempts, 0);
    bad = stay("tok_visa", NULL);
    bad.currency = "XYZ";
    ck_assert_int_eq(payment_preauthorize(pay, &bad, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.param, "currency");
    bad = stay("", NULL);
    ck_assert_int_eq(payment_preauthorize(pay, &bad, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_int_eq(payment_get(pay, "pi_x/../../v1/refunds", &p, &e), PAY_ERR_INVALID_REQUEST);
    bad = stay("tok_visa", "key with spaces");
    ck_assert_int_eq(payment_preauthorize(pay, &bad, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_int_eq(requests_of("payment_intents.create"), 0);

    /* Refused by the gateway, never retried. */
    bad = stay("tok_bogus", NULL);
    ck_assert_int_eq(payment_preauthorize(pay, &bad, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_int_eq(e.http_status, 400);
    ck_assert_str_eq(e.param, "payment_method_data[card][token]");
    ck_assert_int_eq(e.attempts, 1);
    pay_preauth_request_t ok = stay("tok_visa", NULL);
    ck_assert_int_eq(payment_preauthorize(pay, &ok, &p, &e), PAY_OK);
    char id[PAY_ID_MAX];
    snprintf(id, sizeof id, "%s", p.id);
    ck_assert_int_eq(payment_capture(pay, id, KRW_STAY + 1, NULL, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.param, "amount_to_capture");
    ck_assert_int_eq(e.attempts, 1);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_state_errors_for_refunds_and_double_captures)
{
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_visa", NULL);
    pay_payment_t p;
    pay_refund_t r;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    char id[PAY_ID_MAX];
    snprintf(id, sizeof id, "%s", p.id);
    /* Nothing captured yet: nothing to refund. */
    ck_assert_int_eq(payment_refund(pay, id, 0, NULL, &r, &e), PAY_ERR_STATE);
    ck_assert_int_eq(payment_capture(pay, id, 0, NULL, &p, &e), PAY_OK);
    ck_assert_int_eq(payment_capture(pay, id, 0, NULL, &p, &e), PAY_ERR_STATE);
    ck_assert_int_eq(payment_void(pay, id, NULL, &p, &e), PAY_ERR_STATE);
    ck_assert_int_eq(payment_refund(pay, id, 0, NULL, &r, &e), PAY_OK);
    ck_assert_int_eq(payment_refund(pay, id, 0, NULL, &r, &e), PAY_ERR_STATE);
    ck_assert_str_eq(e.vendor_code, "charge_already_refunded");
    payment_connector_free(pay);
}
END_TEST

/* --------------------------------------------------------- idempotency -- */

START_TEST(test_the_same_key_twice_replays_one_authorisation)
{
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_visa", "bk_replay:preauth");
    pay_payment_t first, second;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &first, &e), PAY_OK);
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &second, &e), PAY_OK);
    ck_assert_str_eq(first.id, second.id);
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 1);
    ck_assert_int_eq(ledger_int("summary.openAuthorizations"), 1);
    ck_assert_int_eq(ledger_int("stats.idempotentReplays"), 1);
    /* A decline is replayed too (Stripe saves it once the endpoint ran). */
    pay_preauth_request_t declined = stay("tok_chargeDeclined", "bk_replay:declined");
    ck_assert_int_eq(payment_preauthorize(pay, &declined, &first, &e), PAY_ERR_CARD_DECLINED);
    char declined_id[PAY_ID_MAX];
    snprintf(declined_id, sizeof declined_id, "%s", e.payment_id);
    ck_assert_int_eq(payment_preauthorize(pay, &declined, &first, &e), PAY_ERR_CARD_DECLINED);
    ck_assert_str_eq(e.payment_id, declined_id);
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 2);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_a_key_reused_with_other_parameters_is_an_idempotency_error)
{
    payment_connector_t *pay = connector(3);
    pay_preauth_request_t rq = stay("tok_visa", "bk_mismatch:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    rq.amount = KRW_STAY + 1000;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_IDEMPOTENCY);
    ck_assert_int_eq(e.http_status, 400);
    ck_assert_str_eq(e.type, "idempotency_error");
    ck_assert_int_eq(e.attempts, 1);
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 1);
    payment_connector_free(pay);
}
END_TEST

typedef struct caller {
    payment_connector_t *pay;
    pay_err_t rc;
    pay_payment_t payment;
    pay_error_t err;
} caller_t;

static void *call_preauthorize(void *arg)
{
    caller_t *c = arg;
    pay_preauth_request_t rq = stay("tok_visa", "bk_concurrent:preauth");
    c->rc = payment_preauthorize(c->pay, &rq, &c->payment, &c->err);
    return NULL;
}

START_TEST(test_concurrent_identical_requests_make_one_authorisation)
{
    /* The first request holds the key for 300 ms; the others meet 409
     * (idempotency_key_in_use), retry, and get the first one's answer. */
    ts_sandbox_fault(&sb, "{\"op\":\"payment_intents.create\",\"latencyMs\":300,\"failNext\":1}");
    payment_connector_t *pay = connector_with(
        (connector_opts_t){.max_retries = 8, .base_ms = 50, .cap_ms = 200, .rng = rng_max});
    caller_t callers[CONCURRENT_CALLERS];
    pthread_t threads[CONCURRENT_CALLERS];
    for (int i = 0; i < CONCURRENT_CALLERS; i++) {
        callers[i] = (caller_t){.pay = pay};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, call_preauthorize, &callers[i]), 0);
    }
    for (int i = 0; i < CONCURRENT_CALLERS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < CONCURRENT_CALLERS; i++) {
        ck_assert_msg(callers[i].rc == PAY_OK, "caller %d: %s (%s)", i, pay_err_name(callers[i].rc),
                      callers[i].err.message);
        ck_assert_str_eq(callers[i].payment.id, callers[0].payment.id);
    }
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 1);
    ck_assert_int_eq(ledger_int("summary.openAuthorizations"), 1);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_a_timed_out_request_retried_with_its_key_authorises_once)
{
    /* The gateway takes 1.2 s on the first request; the client gives up
     * after 400 ms and retries with the same key until the first answer is
     * saved, then gets it. */
    ts_sandbox_fault(&sb, "{\"op\":\"payment_intents.create\",\"hangMs\":1200,\"failNext\":1}");
    payment_connector_t *pay = connector_with((connector_opts_t){
        .max_retries = 10, .base_ms = 100, .cap_ms = 400, .rng = rng_max, .timeout_ms = 400});
    pay_preauth_request_t rq = stay("tok_visa", "bk_timeout:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_msg(payment_preauthorize(pay, &rq, &p, &e) == PAY_OK, "%s", e.message);
    ck_assert(e.attempts >= 2);
    ck_assert_int_eq(p.status, PAY_STATUS_AUTHORIZED);
    ck_assert(TS_POLL_UNTIL(ledger_int("summary.paymentIntents") == 1, POLL_TIMEOUT_MS));
    ck_assert_int_eq(ledger_int("summary.openAuthorizations"), 1);
    payment_connector_free(pay);
}
END_TEST

typedef struct raw_call {
    const char *key;
    int status;
} raw_call_t;

/* One form POST creating an authorisation with a given key (thread body). */
static void *raw_create(void *arg)
{
    raw_call_t *call = arg;
    char idem[128];
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", call->key);
    const char *headers[] = {"Authorization: Bearer " API_KEY, idem, NULL};
    const char *form[] = {"amount",
                          "250000",
                          "currency",
                          "krw",
                          "capture_method",
                          "manual",
                          "confirm",
                          "true",
                          "payment_method_data[type]",
                          "card",
                          "payment_method_data[card][token]",
                          "tok_visa",
                          NULL};
    http_client_config_t cc = {.base_url = sb.base_url, .total_timeout_ms = 10000};
    http_client_t *c = http_client_new(&cc);
    http_client_response_t r;
    call->status =
        http_client_post_form(c, "/v1/payment_intents", headers, form, &r) == HTTP_CLIENT_OK
            ? r.status
            : -1;
    http_client_response_clear(&r);
    http_client_free(c);
    return NULL;
}

START_TEST(test_a_key_still_in_flight_answers_409_then_replays)
{
    /* The hang is the window in which the second request must arrive: long
     * enough for a loaded machine (ASan, parallel tests), short of the
     * client's 10 s timeout. */
    ts_sandbox_fault(&sb, "{\"op\":\"payment_intents.create\",\"hangMs\":4000,\"failNext\":1}");
    raw_call_t first = {.key = "bk_inflight:preauth"}, second = first, third = first;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, raw_create, &first), 0);
    /* The first request holds the key while the gateway "hangs". */
    ck_assert(TS_POLL_UNTIL(ledger_int("stats.idempotencyKeys") == 1, POLL_TIMEOUT_MS));
    raw_create(&second);
    ck_assert_int_eq(second.status, 409);
    pthread_join(t, NULL);
    ck_assert_int_eq(first.status, 200);
    raw_create(&third);
    ck_assert_int_eq(third.status, 200);
    ck_assert_int_eq(ledger_int("stats.idempotentReplays"), 1);
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 1);
}
END_TEST

/* ------------------------------------------------- breaker and retries -- */

START_TEST(test_breaker_opens_after_five_failures_and_recovers_half_open)
{
    ts_sandbox_fault(&sb, "{\"op\":\"*\",\"status\":500}");
    payment_connector_t *pay = connector(0);
    breaker_t *b = payment_connector_breaker(pay);
    ck_assert_str_eq(breaker_name(b), "payment:stripe");
    pay_payment_t p;
    pay_error_t e;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(payment_get(pay, "pi_any", &p, &e), PAY_ERR_TRANSIENT);
        ck_assert_int_eq(e.http_status, 500);
        ck_assert_str_eq(e.type, "api_error");
    }
    ck_assert_int_eq(breaker_state(b), BREAKER_OPEN);
    ck_assert_int_eq(payment_get(pay, "pi_any", &p, &e), PAY_ERR_UNAVAILABLE);
    ck_assert_int_eq(e.attempts, 0);
    ck_assert_int_eq(requests_of("payment_intents.retrieve"), 5); /* the 6th never left */

    /* Still failing when the open period ends: one trial, open again. */
    manual.now_ms += BREAKER_OPEN_MS + 1;
    ck_assert_int_eq(breaker_state(b), BREAKER_HALF_OPEN);
    ck_assert_int_eq(payment_get(pay, "pi_any", &p, &e), PAY_ERR_TRANSIENT);
    ck_assert_int_eq(breaker_state(b), BREAKER_OPEN);

    /* Recovered: two successful trials close it. */
    ts_sandbox_clear_faults(&sb);
    manual.now_ms += BREAKER_OPEN_MS + 1;
    pay_preauth_request_t rq = stay("tok_visa", NULL);
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    ck_assert_int_eq(breaker_state(b), BREAKER_HALF_OPEN);
    ck_assert_int_eq(payment_get(pay, p.id, &p, &e), PAY_OK);
    ck_assert_int_eq(breaker_state(b), BREAKER_CLOSED);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_declines_do_not_open_the_breaker)
{
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_chargeDeclined", NULL);
    pay_payment_t p;
    pay_error_t e;
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_CARD_DECLINED);
    ck_assert_int_eq(breaker_state(payment_connector_breaker(pay)), BREAKER_CLOSED);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_5xx_is_retried_with_the_same_key_until_it_succeeds)
{
    ts_sandbox_fault(&sb, "{\"op\":\"payment_intents.create\",\"status\":503,\"failNext\":2}");
    payment_connector_t *pay =
        connector_with((connector_opts_t){.max_retries = 3, .manual_time = true, .rng = rng_max});
    pay_preauth_request_t rq = stay("tok_visa", "bk_retry:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    ck_assert_int_eq(e.attempts, 3);
    /* Full jitter drawn at its ceiling: 500 then 1000 ms (base 500 ms, doubling). */
    ck_assert_int_eq(manual.sleep_count, 2);
    ck_assert_int_eq(manual.sleeps[0], 500);
    ck_assert_int_eq(manual.sleeps[1], 1000);
    ck_assert_int_eq(e.waited_ms, 1500);
    ck_assert_int_eq(requests_of("payment_intents.create"), 3);
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 1);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_5xx_after_every_retry_is_transient)
{
    ts_sandbox_fault(&sb, "{\"op\":\"payment_intents.capture\",\"status\":502}");
    payment_connector_t *pay = connector(3);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_capture(pay, "pi_any", 0, NULL, &p, &e), PAY_ERR_TRANSIENT);
    ck_assert_int_eq(e.attempts, 4);
    ck_assert_int_eq(e.http_status, 502);
    ck_assert_int_eq(requests_of("payment_intents.capture"), 4);
    ck_assert(pay_err_retryable(PAY_ERR_TRANSIENT));
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_429_waits_at_least_retry_after)
{
    ts_sandbox_fault(
        &sb, "{\"op\":\"payment_intents.create\",\"status\":429,\"retryAfter\":2,\"failNext\":1}");
    payment_connector_t *pay = connector(3); /* backoff draws 0: only Retry-After waits */
    pay_preauth_request_t rq = stay("tok_visa", "bk_429:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    ck_assert_int_eq(e.attempts, 2);
    ck_assert_int_eq(manual.sleep_count, 1);
    ck_assert(manual.sleeps[0] >= 2000);
    ck_assert(e.waited_ms >= 2000);
    payment_connector_free(pay);

    /* Rate limited on every attempt: typed, after the retries. */
    ts_sandbox_fault(&sb, "{\"op\":\"payment_intents.retrieve\",\"status\":429,\"retryAfter\":1}");
    pay = connector(2);
    ck_assert_int_eq(payment_get(pay, "pi_any", &p, &e), PAY_ERR_RATE_LIMITED);
    ck_assert_int_eq(e.attempts, 3);
    ck_assert_str_eq(e.vendor_code, "rate_limit");
    ck_assert(e.waited_ms >= 2000);
    ck_assert_int_eq(breaker_state(payment_connector_breaker(pay)), BREAKER_CLOSED);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_a_down_gateway_is_transient_and_a_timeout_too)
{
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/faults", "{\"down\":true}"), 201);
    payment_connector_t *pay = connector(1);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_get(pay, "pi_any", &p, &e), PAY_ERR_TRANSIENT);
    ck_assert_int_eq(e.http_status, 503);
    ck_assert_int_eq(e.attempts, 2);
    ts_sandbox_clear_faults(&sb);
    payment_connector_free(pay);

    ts_sandbox_fault(&sb, "{\"op\":\"payment_intents.retrieve\",\"hangMs\":1000}");
    pay = connector_with(
        (connector_opts_t){.max_retries = 1, .manual_time = true, .timeout_ms = 200});
    ck_assert_int_eq(payment_get(pay, "pi_any", &p, &e), PAY_ERR_TRANSIENT);
    ck_assert_int_eq(e.http_status, 0);
    ck_assert_int_eq(e.attempts, 2);
    payment_connector_free(pay);
}
END_TEST

/* -------------------------------------------------------------- expiry -- */

static bool is_expired(payment_connector_t *pay, const char *id, pay_payment_t *p)
{
    pay_error_t e;
    return payment_get(pay, id, p, &e) == PAY_OK && p->status == PAY_STATUS_CANCELED;
}

START_TEST(test_an_uncaptured_authorisation_expires_and_cannot_be_captured)
{
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_visa", NULL);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    char id[PAY_ID_MAX];
    snprintf(id, sizeof id, "%s", p.id);
    ck_assert(TS_POLL_UNTIL(is_expired(pay, id, &p), POLL_TIMEOUT_MS));
    ck_assert_str_eq(p.cancellation_reason, "automatic");
    ck_assert_int_eq(p.amount_capturable, 0);
    ck_assert_int_eq(payment_capture(pay, id, 0, NULL, &p, &e), PAY_ERR_STATE);
    ck_assert_str_eq(e.vendor_code, "payment_intent_unexpected_state");
    ck_assert_int_eq(ledger_int("summary.openAuthorizations"), 0);
    ck_assert_int_eq(ledger_int("summary.canceled"), 1);
    payment_connector_free(pay);
}
END_TEST

/* ----------------------------------------------------- malformed input -- */

/* POSTs a raw body to the sandbox with the right key; returns the response. */
static void raw(const char *method, const char *path, const char *body, size_t len,
                http_client_response_t *r)
{
    const char *headers[] = {"Authorization: Bearer " API_KEY,
                             "Content-Type: application/x-www-form-urlencoded", NULL};
    ck_assert_int_eq(http_client_request(sb.control, method, path, NULL, headers, body, len, r),
                     HTTP_CLIENT_OK);
}

/* Asserts a Stripe error object of `type` (and param, when given). */
static void assert_stripe_error(const http_client_response_t *r, int status, const char *type,
                                const char *param)
{
    ck_assert_msg(r->status == status, "status %d, expected %d: %s", r->status, status, r->body);
    json_object *o = json_tokener_parse(r->body), *err = NULL, *v = NULL;
    ck_assert_msg(o != NULL, "not JSON: %s", r->body);
    ck_assert(json_object_object_get_ex(o, "error", &err));
    ck_assert(json_object_object_get_ex(err, "type", &v));
    ck_assert_str_eq(json_object_get_string(v), type);
    ck_assert(json_object_object_get_ex(err, "message", &v));
    ck_assert(strlen(json_object_get_string(v)) > 0);
    if (param) {
        ck_assert(json_object_object_get_ex(err, "param", &v));
        ck_assert_str_eq(json_object_get_string(v), param);
    }
    json_object_put(o);
}

START_TEST(test_malformed_requests_get_stripe_errors_and_the_sandbox_stays_up)
{
    static const struct {
        const char *method, *path, *body;
        int status;
        const char *param;
    } cases[] = {
        {"POST", "/v1/payment_intents", "amount=%zz&currency=krw", 400, NULL},
        {"POST", "/v1/payment_intents", "currency=krw", 400, "amount"},
        {"POST", "/v1/payment_intents", "amount=12.5&currency=krw", 400, "amount"},
        {"POST", "/v1/payment_intents", "amount=-5&currency=krw", 400, "amount"},
        {"POST", "/v1/payment_intents", "amount=99999999999999999999&currency=krw", 400, "amount"},
        {"POST", "/v1/payment_intents", "amount=1000&currency=zzz", 400, "currency"},
        {"POST", "/v1/payment_intents", "amount=1000", 400, "currency"},
        {"POST", "/v1/payment_intents", "amount=1000&currency=krw&confirm=maybe", 400, "confirm"},
        {"POST", "/v1/payment_intents", "amount=1000&currency=krw&capture_method=later", 400,
         "capture_method"},
        {"POST", "/v1/payment_intents", "{\"amount\":1000,\"currency\":\"krw\"}", 400, NULL},
        {"POST", "/v1/payment_intents", "amount=1000&currency=krw&bogus=1", 400, "bogus"},
        {"POST", "/v1/payment_intents",
         "amount=1000&currency=krw&confirm=true&payment_method_data[type]=card", 400,
         "payment_method_data[card][token]"},
        {"POST", "/v1/payment_intents/pi_x/capture", "amount_to_capture=abc", 400,
         "amount_to_capture"},
        {"POST", "/v1/payment_intents/pi_x/cancel", "cancellation_reason=bored", 400,
         "cancellation_reason"},
        {"POST", "/v1/refunds", "amount=10", 400, "payment_intent"},
        {"GET", "/v1/payment_intents/pi_x?expand[]=customer", "", 400, "expand"},
        {"GET", "/v1/payment_intents/pi_x", "", 404, "intent"},
        {"GET", "/v1/customers", "", 404, NULL},
        {"DELETE", "/v1/payment_intents/pi_x", "", 404, NULL},
        {"POST", "/v1/payment_intents/pi_x/confirm/now", "", 404, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_client_response_t r;
        raw(cases[i].method, cases[i].path, cases[i].body, strlen(cases[i].body), &r);
        assert_stripe_error(&r, cases[i].status, "invalid_request_error", cases[i].param);
        http_client_response_clear(&r);
    }
    /* Binary garbage, a NUL byte, a huge key: still a Stripe error. */
    const char garbage[] = {'\x01', '\xff', '=', '\x00', '&', '&', '=', '\x80'};
    http_client_response_t r;
    raw("POST", "/v1/payment_intents", garbage, sizeof garbage, &r);
    assert_stripe_error(&r, 400, "invalid_request_error", NULL);
    http_client_response_clear(&r);
    /* No key at all. */
    ck_assert_int_eq(http_client_post_form(sb.control, "/v1/payment_intents", NULL,
                                           (const char *[]){"amount", "1", NULL}, &r),
                     HTTP_CLIENT_OK);
    assert_stripe_error(&r, 401, "invalid_request_error", NULL);
    http_client_response_clear(&r);

    ck_assert(ts_proc_alive(sb.proc));
    ck_assert(ts_http_wait_ok(sb.port, "/healthz", 1000));
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 0);
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_visa", NULL);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    payment_connector_free(pay);
}
END_TEST

/* Does the sandbox's log contain `needle`? */
static bool log_contains(const char *needle)
{
    FILE *f = fopen(sb.log_path, "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

START_TEST(test_sandbox_logs_requests_without_tokens_or_keys)
{
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_chargeDeclinedInsufficientFunds", NULL);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INSUFFICIENT_FUNDS);
    payment_connector_free(pay);
    ck_assert(TS_POLL_UNTIL(log_contains("insufficient_funds"), POLL_TIMEOUT_MS));
    ck_assert(log_contains("payment_intents.create"));
    ck_assert(!log_contains("tok_chargeDeclined"));
    ck_assert(!log_contains(API_KEY));
    ck_assert(!log_contains("Bearer"));
}
END_TEST

/* ------------------------------------------------------- control API -- */

START_TEST(test_fault_control_api_validates_lists_and_clears)
{
    static const struct {
        const char *body, *field;
    } bad[] = {
        {"{\"status\":503}", "op"},
        {"{\"op\":\"payment_intents.create\",\"status\":99}", "status"},
        {"{\"op\":\"payment_intents.create\",\"status\":503,\"failNext\":-1}", "failNext"},
        {"{\"op\":\"payment_intents.create\",\"latencyMs\":\"slow\"}", "latencyMs"},
        {"{\"op\":\"payment_intents.create\",\"status\":503,\"colour\":\"red\"}", "colour"},
        {"not json", "body"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_client_response_t r;
        ck_assert_int_eq(
            http_client_post_json(sb.control, "/_sandbox/faults", NULL, bad[i].body, &r),
            HTTP_CLIENT_OK);
        ck_assert_int_eq(r.status, 400);
        json_object *o = json_tokener_parse(r.body), *field = NULL;
        ck_assert(json_object_object_get_ex(o, "field", &field));
        ck_assert_str_eq(json_object_get_string(field), bad[i].field);
        json_object_put(o);
        http_client_response_clear(&r);
    }
    ts_sandbox_fault(&sb, "{\"op\":\"refunds.create\",\"status\":500,\"failNext\":2}");
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(sb.control, "/_sandbox/faults", NULL, NULL, &r),
                     HTTP_CLIENT_OK);
    ck_assert_ptr_nonnull(strstr(r.body, "refunds.create"));
    http_client_response_clear(&r);
    ts_sandbox_clear_faults(&sb);
    ck_assert_int_eq(http_client_get(sb.control, "/_sandbox/faults", NULL, NULL, &r),
                     HTTP_CLIENT_OK);
    ck_assert_ptr_null(strstr(r.body, "refunds.create"));
    http_client_response_clear(&r);

    /* Reset forgets intents, keys and faults. */
    payment_connector_t *pay = connector(0);
    pay_preauth_request_t rq = stay("tok_visa", "bk_reset:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    ts_sandbox_fault(&sb, "{\"op\":\"*\",\"status\":500}");
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/reset", "{}"), 200);
    ck_assert_int_eq(ledger_int("summary.paymentIntents"), 0);
    ck_assert_int_eq(ledger_int("stats.idempotencyKeys"), 0);
    ck_assert_int_eq(payment_get(pay, p.id, &p, &e), PAY_ERR_NOT_FOUND);
    payment_connector_free(pay);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("payment_contract");
    TCase *tc = tcase_create("contract");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, start_sandbox, stop_sandbox);
    tcase_add_test(tc, test_preauthorize_capture_refund_and_get_in_exact_krw);
    tcase_add_test(tc, test_partial_capture_releases_the_rest_of_the_hold);
    tcase_add_test(tc, test_void_releases_the_authorisation_and_capture_then_fails_on_state);
    tcase_add_loop_test(tc, test_each_decline_token_is_its_typed_error_and_never_retried, 0,
                        (int)(sizeof DECLINES / sizeof DECLINES[0]));
    tcase_add_test(tc, test_a_wrong_api_key_is_an_auth_error);
    tcase_add_test(tc, test_unknown_payments_are_not_found);
    tcase_add_test(tc, test_invalid_requests_are_refused_by_the_connector_or_the_gateway);
    tcase_add_test(tc, test_state_errors_for_refunds_and_double_captures);
    tcase_add_test(tc, test_the_same_key_twice_replays_one_authorisation);
    tcase_add_test(tc, test_a_key_reused_with_other_parameters_is_an_idempotency_error);
    tcase_add_test(tc, test_concurrent_identical_requests_make_one_authorisation);
    tcase_add_test(tc, test_a_timed_out_request_retried_with_its_key_authorises_once);
    tcase_add_test(tc, test_a_key_still_in_flight_answers_409_then_replays);
    tcase_add_test(tc, test_breaker_opens_after_five_failures_and_recovers_half_open);
    tcase_add_test(tc, test_declines_do_not_open_the_breaker);
    tcase_add_test(tc, test_5xx_is_retried_with_the_same_key_until_it_succeeds);
    tcase_add_test(tc, test_5xx_after_every_retry_is_transient);
    tcase_add_test(tc, test_429_waits_at_least_retry_after);
    tcase_add_test(tc, test_a_down_gateway_is_transient_and_a_timeout_too);
    tcase_add_test(tc, test_malformed_requests_get_stripe_errors_and_the_sandbox_stays_up);
    tcase_add_test(tc, test_sandbox_logs_requests_without_tokens_or_keys);
    tcase_add_test(tc, test_fault_control_api_validates_lists_and_clears);
    suite_add_tcase(s, tc);

    TCase *expiry = tcase_create("expiry");
    tcase_set_timeout(expiry, 60);
    tcase_add_checked_fixture(expiry, start_sandbox_short_ttl, stop_sandbox);
    tcase_add_test(expiry, test_an_uncaptured_authorisation_expires_and_cannot_be_captured);
    suite_add_tcase(s, expiry);
    return check_run(s);
}
