/* Contract tests: the payment connector's Toss Payments gateway
 * (common/payment/toss.c) against the toss-sandbox speaking Toss' core API
 * v1: approval (confirm and billing-key charge), capture under automatic
 * and manual acquisition, void before acquisition and refund after it,
 * partial refunds, typed errors and declines (never retried), the
 * 10-minute confirm limit, unknown outcomes resolved by looking the payment
 * up (a lost, a 500-replaced and a timed-out answer after the work was
 * done: one approval, one cancel), the sandbox's own wire rules (Basic auth
 * with the colon, TossPayments-Test-Code, Idempotency-Key replay and 409),
 * and the payment window's expiry. Each test runs its own sandbox. */
#include <check.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/crypto.h"
#include "common/http_client.h"
#include "common/json.h"
#include "common/payment.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define SECRET_KEY "test_sk_sandbox"
#define KRW_STAY 250000
#define POLL_TIMEOUT_MS 10000

static ts_sandbox_t sb;

static void start_with(const char *a, const char *b)
{
    const char *env[] = {"LOG_LEVEL=info", a, b, NULL};
    ts_sandbox_start(&sb, "toss-sandbox", "TOSS_SANDBOX_PORT", env);
}

static void start_auto(void)
{
    start_with(NULL, NULL);
}

static void start_manual(void)
{
    start_with("TOSS_SANDBOX_ACQUISITION=manual", NULL);
}

static void start_short_limits(void)
{
    start_with("TOSS_SANDBOX_CONFIRM_LIMIT_SECONDS=1", "TOSS_SANDBOX_WINDOW_TTL_SECONDS=1");
}

static void stop(void)
{
    ts_sandbox_stop(&sb);
}

static payment_connector_t *connector_ex(bool manual, long timeout_ms, int retries)
{
    payment_config_t cfg = PAYMENT_CONFIG_DEFAULT;
    cfg.base_url = sb.base_url;
    cfg.api_key = SECRET_KEY;
    cfg.timeout_ms = timeout_ms;
    cfg.retry.max_retries = retries;
    cfg.retry.base_ms = 10;
    cfg.retry.cap_ms = 50;
    cfg.manual_settlement = manual;
    char why[160];
    payment_connector_t *c = payment_connector_new("toss", &cfg, why, sizeof why);
    ck_assert_msg(c != NULL, "%s", why);
    ck_assert(payment_connector_approves(c));
    return c;
}

static payment_connector_t *connector(bool manual)
{
    return connector_ex(manual, 5000, 2);
}

/* POSTs JSON to a control path; the parsed answer (caller puts) and status. */
static json_object *control_post(const char *path, const char *json, int *status)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_post_json(sb.control, path, NULL, json, &r), HTTP_CLIENT_OK);
    *status = r.status;
    json_error_t je;
    json_object *o = json_parse_object(r.body, r.body_len, &je);
    http_client_response_clear(&r);
    ck_assert(o != NULL);
    return o;
}

/* Plays the payment window; copies the paymentKey the redirect carries. */
static void window(const char *order_id, int64_t amount, const char *extra, char *key,
                   size_t size)
{
    char body[512];
    snprintf(body, sizeof body, "{\"orderId\":\"%s\",\"amount\":%lld%s%s}", order_id,
             (long long)amount, extra ? "," : "", extra ? extra : "");
    int status;
    json_object *o = control_post("/_sandbox/window", body, &status);
    ck_assert_msg(status == 200, "window: %d %s", status, json_object_to_json_string(o));
    json_object *v;
    ck_assert(json_object_object_get_ex(o, "paymentKey", &v));
    snprintf(key, size, "%s", json_object_get_string(v));
    ck_assert(json_object_object_get_ex(o, "paymentType", &v));
    ck_assert_str_eq(json_object_get_string(v), "NORMAL");
    json_object_put(o);
}

static int64_t summary(const char *field)
{
    json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/ledger", NULL), *s, *v;
    ck_assert(json_object_object_get_ex(o, "summary", &s));
    ck_assert_msg(json_object_object_get_ex(s, field, &v), "no summary.%s", field);
    int64_t n = json_object_get_int64(v);
    json_object_put(o);
    return n;
}

static int64_t requests_of(const char *op)
{
    json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/ledger", NULL), *stats, *req, *v;
    ck_assert(json_object_object_get_ex(o, "stats", &stats));
    ck_assert(json_object_object_get_ex(stats, "requests", &req));
    ck_assert(json_object_object_get_ex(req, op, &v));
    int64_t n = json_object_get_int64(v);
    json_object_put(o);
    return n;
}

static pay_preauth_request_t approval(const char *payment_key, const char *order_id,
                                      const char *idem)
{
    return (pay_preauth_request_t){.amount = KRW_STAY,
                                   .currency = "KRW",
                                   .payment_key = payment_key,
                                   .order_id = order_id,
                                   .idempotency_key = idem};
}

/* A raw /v1 request with our key (or `auth` instead); status and body. */
static int raw(const char *method, const char *path, const char *body, const char *auth,
               const char *extra_header, char **out_body)
{
    char *b64 = crypto_base64_encode(SECRET_KEY ":", strlen(SECRET_KEY ":"));
    char h[256];
    snprintf(h, sizeof h, "Authorization: Basic %s", auth ? auth : b64);
    free(b64);
    const char *headers[] = {h, "Content-Type: application/json", extra_header, NULL};
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(sb.control, method, path, NULL, headers, body,
                                         body ? strlen(body) : 0, &r),
                     HTTP_CLIENT_OK);
    int status = r.status;
    if (out_body)
        *out_body = strdup(r.body ? r.body : "");
    http_client_response_clear(&r);
    return status;
}

/* ------------------------------------------------------- happy paths -- */

START_TEST(test_approve_then_automatic_acquisition_then_void)
{
    payment_connector_t *pay = connector(false);
    char key[128];
    window("bk_contract_auto01", KRW_STAY, "\"method\":\"간편결제\",\"easyPay\":\"토스페이\"", key,
           sizeof key);
    pay_preauth_request_t rq = approval(key, "bk_contract_auto01", "bk_contract_auto01:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_msg(payment_preauthorize(pay, &rq, &p, &e) == PAY_OK, "%s", e.message);
    ck_assert_str_eq(p.id, key);
    ck_assert_str_eq(p.gateway_status, "DONE");
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED); /* Toss acquires it by itself */
    ck_assert_str_eq(p.method, "EASY_PAY");
    ck_assert_str_eq(p.easy_pay, "토스페이");
    ck_assert_str_eq(p.acquire_status, "READY");
    ck_assert_int_eq(p.amount, KRW_STAY);

    /* capture under automatic acquisition sends nothing: it is scheduled */
    ck_assert_int_eq(payment_capture(pay, key, KRW_STAY, "bk_contract_auto01:capture", &p, &e),
                     PAY_OK);
    ck_assert(p.capture_scheduled);
    ck_assert_int_eq(requests_of("settlements.request"), 0);

    ck_assert_int_eq(payment_find_by_order(pay, "bk_contract_auto01", &p, &e), PAY_OK);
    ck_assert_str_eq(p.id, key);

    /* not acquired yet: the cancel is a void */
    ck_assert_int_eq(payment_void(pay, key, "bk_contract_auto01:void_preauth", &p, &e), PAY_OK);
    ck_assert_int_eq(p.status, PAY_STATUS_CANCELED);
    ck_assert_int_eq(summary("voids"), 1);
    ck_assert_int_eq(summary("refunds"), 0);
    ck_assert_int_eq(summary("openApprovals"), 0);
    /* voiding again finds its own cancel: nothing more is sent */
    ck_assert_int_eq(payment_void(pay, key, "bk_contract_auto01:void_preauth", &p, &e), PAY_OK);
    ck_assert_int_eq(requests_of("payments.cancel"), 1);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_manual_settlement_then_refunds_partial_and_the_rest)
{
    payment_connector_t *pay = connector(true);
    char key[128];
    window("bk_contract_manual1", KRW_STAY, NULL, key, sizeof key);
    pay_preauth_request_t rq = approval(key, "bk_contract_manual1", "bk_contract_manual1:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    ck_assert_int_eq(p.status, PAY_STATUS_AUTHORIZED); /* held until the settlement request */
    ck_assert_str_eq(p.method, "CARD");
    ck_assert_int_eq(payment_capture(pay, key, 1000, "bk_contract_manual1:capture", &p, &e),
                     PAY_ERR_INVALID_REQUEST); /* Toss has no partial acquisition */
    ck_assert_int_eq(payment_capture(pay, key, KRW_STAY, "bk_contract_manual1:capture", &p, &e),
                     PAY_OK);
    ck_assert_int_eq(p.status, PAY_STATUS_CAPTURED);
    ck_assert(!p.capture_scheduled);
    ck_assert_int_eq(requests_of("settlements.request"), 1);
    ck_assert_int_eq(payment_get(pay, key, &p, &e), PAY_OK);
    ck_assert_str_eq(p.acquire_status, "REQUESTED");

    /* acquired: a void is refused, the money comes back by refund */
    ck_assert_int_eq(payment_void(pay, key, "bk_contract_manual1:void_preauth", &p, &e),
                     PAY_ERR_STATE);
    pay_refund_t r;
    ck_assert_int_eq(payment_refund(pay, key, 200000, "bk_contract_manual1:refund", &r, &e),
                     PAY_OK);
    ck_assert_int_eq(r.amount, 200000);
    ck_assert_str_ne(r.id, "");
    /* the same refund again: found in cancels[], not made twice */
    ck_assert_int_eq(payment_refund(pay, key, 200000, "bk_contract_manual1:refund", &r, &e),
                     PAY_OK);
    ck_assert_int_eq(requests_of("payments.cancel"), 1);
    ck_assert_int_eq(payment_get(pay, key, &p, &e), PAY_OK);
    ck_assert_str_eq(p.gateway_status, "PARTIAL_CANCELED");
    ck_assert_int_eq(p.amount_refunded, 200000);
    /* more than what is left is refused; the rest (0 = all) is fine */
    ck_assert_int_eq(payment_refund(pay, key, 60000, "bk_contract_manual1:refund2", &r, &e),
                     PAY_ERR_STATE);
    ck_assert_int_eq(payment_refund(pay, key, 0, "bk_contract_manual1:refund3", &r, &e), PAY_OK);
    ck_assert_int_eq(r.amount, 50000);
    ck_assert_int_eq(summary("refunds"), 2);
    ck_assert_int_eq(summary("keptAmount"), 0);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_billing_key_charge_is_an_approval)
{
    payment_connector_t *pay = connector(false);
    int status;
    json_object *o =
        control_post("/_sandbox/billing-auth", "{\"customerKey\":\"cust-7f3a9c\"}", &status);
    ck_assert_int_eq(status, 200);
    char body[256];
    snprintf(body, sizeof body, "{\"authKey\":\"%s\",\"customerKey\":\"cust-7f3a9c\"}",
             json_object_get_string(json_object_object_get(o, "authKey")));
    json_object_put(o);
    char *answer = NULL;
    ck_assert_int_eq(raw("POST", "/v1/billing/authorizations/issue", body, NULL, NULL, &answer),
                     200);
    json_error_t je;
    o = json_parse_object(answer, strlen(answer), &je);
    free(answer);
    char billing[128];
    snprintf(billing, sizeof billing, "%s",
             json_object_get_string(json_object_object_get(o, "billingKey")));
    json_object_put(o);

    pay_preauth_request_t rq = {.amount = KRW_STAY,
                                .currency = "KRW",
                                .billing_key = billing,
                                .customer_key = "cust-7f3a9c",
                                .order_id = "bk_contract_billing",
                                .idempotency_key = "bk_contract_billing:preauth"};
    pay_payment_t p;
    pay_error_t e;
    ck_assert_msg(payment_preauthorize(pay, &rq, &p, &e) == PAY_OK, "%s", e.message);
    ck_assert_str_eq(p.gateway_status, "DONE");
    ck_assert_str_eq(p.order_id, "bk_contract_billing");
    rq.customer_key = "someone-else";
    rq.order_id = "bk_contract_billing2";
    rq.idempotency_key = "bk_contract_billing2:preauth";
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.vendor_code, "NOT_MATCHES_CUSTOMER_KEY");
    ck_assert_int_eq(summary("approvals"), 1);
    payment_connector_free(pay);
}
END_TEST

/* ------------------------------------------------------------ refusals -- */

START_TEST(test_a_decline_is_typed_and_never_retried)
{
    payment_connector_t *pay = connector(false);
    char key[128];
    window("bk_contract_decl01", KRW_STAY, "\"declineWith\":\"REJECT_CARD_PAYMENT\"", key,
           sizeof key);
    pay_preauth_request_t rq = approval(key, "bk_contract_decl01", "bk_contract_decl01:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INSUFFICIENT_FUNDS);
    ck_assert_str_eq(e.vendor_code, "REJECT_CARD_PAYMENT");
    ck_assert_int_eq(e.http_status, 403);
    ck_assert_int_eq(e.attempts, 1);
    ck_assert_int_eq(requests_of("payments.confirm"), 1);
    ck_assert_int_eq(summary("aborted"), 1);
    /* asked again (a recovery), the ABORTED payment gives the same answer without a confirm */
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INSUFFICIENT_FUNDS);
    ck_assert_int_eq(requests_of("payments.confirm"), 1);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_a_virtual_account_or_a_tampered_redirect_is_refused_before_approval)
{
    payment_connector_t *pay = connector(false);
    char key[128];
    window("bk_contract_vacct1", KRW_STAY, "\"method\":\"가상계좌\"", key, sizeof key);
    pay_preauth_request_t rq = approval(key, "bk_contract_vacct1", "bk_contract_vacct1:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.vendor_code, "VIRTUAL_ACCOUNT_REFUSED");
    ck_assert_str_eq(e.param, "method");

    window("bk_contract_tamper", KRW_STAY, NULL, key, sizeof key);
    rq = approval(key, "bk_contract_tamper", "bk_contract_tamper:preauth");
    rq.amount = 1000; /* the redirect's amount was changed in the browser */
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.vendor_code, "AMOUNT_MISMATCH");
    rq.amount = KRW_STAY;
    rq.order_id = "bk_contract_other";
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.vendor_code, "ORDER_ID_MISMATCH");
    ck_assert_int_eq(requests_of("payments.confirm"), 0);
    ck_assert_int_eq(summary("approvals"), 0);

    /* the connector refuses what Toss would (orderId rules, KRW only) */
    rq = approval(key, "short", "k1");
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.param, "order_id");
    rq = approval(key, "bk_contract_tamper", "k2");
    rq.currency = "USD";
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_INVALID_REQUEST);
    ck_assert_str_eq(e.param, "currency");
    ck_assert_int_eq(e.attempts, 0);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_a_confirm_past_the_ten_minute_limit_fails_cleanly)
{
    payment_connector_t *pay = connector(false);
    char key[128];
    window("bk_contract_late01", KRW_STAY, "\"authenticatedSecondsAgo\":601", key, sizeof key);
    pay_preauth_request_t rq = approval(key, "bk_contract_late01", "bk_contract_late01:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_STATE);
    ck_assert_str_eq(e.vendor_code, "NOT_FOUND_PAYMENT_SESSION");
    ck_assert_int_eq(summary("approvals"), 0);
    ck_assert_int_eq(summary("expired"), 1);
    payment_connector_free(pay);
}
END_TEST

START_TEST(test_window_and_confirm_timers_expire_payments)
{
    payment_connector_t *pay = connector(false);
    char ready[128], authed[128];
    window("bk_contract_timer1", KRW_STAY, "\"notAuthenticated\":true", ready, sizeof ready);
    window("bk_contract_timer2", KRW_STAY, NULL, authed, sizeof authed);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_msg(TS_POLL_UNTIL(summary("expired") == 2, POLL_TIMEOUT_MS), "not expired");
    ck_assert_int_eq(payment_get(pay, authed, &p, &e), PAY_OK);
    ck_assert_str_eq(p.gateway_status, "EXPIRED");
    ck_assert_int_eq(p.status, PAY_STATUS_CANCELED);
    pay_preauth_request_t rq = approval(authed, "bk_contract_timer2", "bk_contract_timer2:pre");
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_ERR_STATE);
    payment_connector_free(pay);
}
END_TEST

/* ----------------------------------------------------- unknown outcomes -- */

/* An approval whose answer is lost after Toss did it: exactly one approval. */
static void approve_through(const char *fault, long timeout_ms, const char *order)
{
    payment_connector_t *pay = connector_ex(false, timeout_ms, 2);
    char key[128], idem[96];
    window(order, KRW_STAY, NULL, key, sizeof key);
    ts_sandbox_fault(&sb, fault);
    snprintf(idem, sizeof idem, "%s:preauth", order);
    pay_preauth_request_t rq = approval(key, order, idem);
    pay_payment_t p;
    pay_error_t e;
    ck_assert_msg(payment_preauthorize(pay, &rq, &p, &e) == PAY_OK, "%s: %s %s", fault,
                  pay_err_name(e.code), e.message);
    ck_assert_str_eq(p.id, key);
    ck_assert_str_eq(p.gateway_status, "DONE");
    ck_assert_int_eq(summary("approvals"), 1);
    ck_assert_int_eq(summary("openApprovals"), 1);
    payment_connector_free(pay);
}

START_TEST(test_a_dropped_confirm_answer_is_resolved_by_lookup)
{
    approve_through("{\"op\":\"payments.confirm\",\"afterCommit\":true,\"drop\":true,"
                    "\"failNext\":1}",
                    5000, "bk_contract_drop01");
}
END_TEST

START_TEST(test_a_500_after_the_confirm_is_resolved_by_lookup)
{
    approve_through("{\"op\":\"payments.confirm\",\"afterCommit\":true,\"status\":500,"
                    "\"failNext\":1}",
                    5000, "bk_contract_500a01");
}
END_TEST

START_TEST(test_a_timed_out_confirm_is_resolved_by_lookup)
{
    approve_through("{\"op\":\"payments.confirm\",\"afterCommit\":true,\"hangMs\":1500,"
                    "\"failNext\":1}",
                    700, "bk_contract_slow01");
}
END_TEST

START_TEST(test_a_5xx_before_the_confirm_is_retried_with_the_same_key)
{
    approve_through("{\"op\":\"payments.confirm\",\"status\":503,\"failNext\":1}", 5000,
                    "bk_contract_503b01");
    ck_assert_int_eq(requests_of("payments.confirm"), 2);
}
END_TEST

START_TEST(test_a_lost_cancel_answer_never_cancels_twice)
{
    payment_connector_t *pay = connector(true);
    char key[128];
    window("bk_contract_lostc1", KRW_STAY, NULL, key, sizeof key);
    pay_preauth_request_t rq = approval(key, "bk_contract_lostc1", "bk_contract_lostc1:preauth");
    pay_payment_t p;
    pay_error_t e;
    ck_assert_int_eq(payment_preauthorize(pay, &rq, &p, &e), PAY_OK);
    ck_assert_int_eq(payment_capture(pay, key, 0, "bk_contract_lostc1:capture", &p, &e), PAY_OK);
    ts_sandbox_fault(&sb, "{\"op\":\"payments.cancel\",\"afterCommit\":true,\"drop\":true,"
                          "\"failNext\":1}");
    pay_refund_t r;
    ck_assert_msg(payment_refund(pay, key, 100000, "bk_contract_lostc1:refund", &r, &e) == PAY_OK,
                  "%s", e.message);
    ck_assert_int_eq(r.amount, 100000);
    /* and a second try under another key cannot return the same money again
     * unnoticed: it states the balance it expects */
    ck_assert_int_eq(summary("refunds"), 1);
    ck_assert_int_eq(summary("canceledAmount"), 100000);
    payment_connector_free(pay);
}
END_TEST

/* ----------------------------------------------------------- wire rules -- */

typedef struct confirm_call {
    const char *body;
    int status;
} confirm_call_t;

static void *confirm_thread(void *arg)
{
    confirm_call_t *c = arg;
    char *b64 = crypto_base64_encode(SECRET_KEY ":", strlen(SECRET_KEY ":"));
    char h[256];
    snprintf(h, sizeof h, "Authorization: Basic %s", b64);
    free(b64);
    const char *headers[] = {h, "Content-Type: application/json", "Idempotency-Key: idem-2",
                             NULL};
    http_client_config_t cc = {.base_url = sb.base_url, .total_timeout_ms = 10000};
    http_client_t *http = http_client_new(&cc);
    http_client_response_t r;
    if (http_client_request(http, "POST", "/v1/payments/confirm", NULL, headers, c->body,
                            strlen(c->body), &r) == HTTP_CLIENT_OK)
        c->status = r.status;
    http_client_response_clear(&r);
    http_client_free(http);
    return NULL;
}

START_TEST(test_wire_rules_auth_test_codes_and_idempotency)
{
    char *body = NULL;
    /* the colon after the key is required */
    char *nocolon = crypto_base64_encode(SECRET_KEY, strlen(SECRET_KEY));
    ck_assert_int_eq(raw("GET", "/v1/payments/orders/bk_none_000", NULL, nocolon, NULL, &body),
                     400);
    ck_assert_ptr_nonnull(strstr(body, "INCORRECT_BASIC_AUTH_FORMAT"));
    free(body);
    free(nocolon);
    char *wrong = crypto_base64_encode("test_sk_other:", 14);
    ck_assert_int_eq(raw("GET", "/v1/payments/orders/bk_none_000", NULL, wrong, NULL, &body),
                     401);
    ck_assert_ptr_nonnull(strstr(body, "UNAUTHORIZED_KEY"));
    free(body);
    free(wrong);
    ck_assert_int_eq(raw("GET", "/v1/payments/orders/bk_none_000", NULL, NULL, NULL, &body), 404);
    ck_assert_ptr_nonnull(strstr(body, "\"NOT_FOUND_PAYMENT\""));
    free(body);

    /* TossPayments-Test-Code answers that error, before the paymentKey is looked at */
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm",
                         "{\"paymentKey\":\"bogus\",\"orderId\":\"bk_000000\",\"amount\":1000}",
                         NULL, "TossPayments-Test-Code: REJECT_CARD_PAYMENT", &body),
                     403);
    ck_assert_ptr_nonnull(strstr(body, "REJECT_CARD_PAYMENT"));
    free(body);
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm", "{}", NULL,
                         "TossPayments-Test-Code: NO_SUCH_CODE", &body),
                     400);
    ck_assert_ptr_nonnull(strstr(body, "INVALID_TEST_CODE"));
    free(body);

    /* the same Idempotency-Key replays the first answer */
    char key[128], req[256], *first = NULL, *second = NULL;
    window("bk_contract_idem01", KRW_STAY, NULL, key, sizeof key);
    snprintf(req, sizeof req, "{\"paymentKey\":\"%s\",\"orderId\":\"bk_contract_idem01\","
                              "\"amount\":250000}", key);
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm", req, NULL, "Idempotency-Key: idem-1",
                         &first),
                     200);
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm", req, NULL, "Idempotency-Key: idem-1",
                         &second),
                     200);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    /* without a key, a second confirm is refused by state */
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm", req, NULL, NULL, &body), 400);
    ck_assert_ptr_nonnull(strstr(body, "ALREADY_PROCESSED_PAYMENT"));
    free(body);
    char longkey[340] = "Idempotency-Key: ";
    memset(longkey + 17, 'k', 301);
    longkey[318] = '\0';
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm", req, NULL, longkey, &body), 400);
    ck_assert_ptr_nonnull(strstr(body, "INVALID_IDEMPOTENCY_KEY"));
    free(body);
    ck_assert_int_eq(summary("approvals"), 1);

    /* a second request while the first runs meets 409, then the replay */
    window("bk_contract_idem02", KRW_STAY, NULL, key, sizeof key);
    ts_sandbox_fault(&sb, "{\"op\":\"payments.confirm\",\"latencyMs\":1500,\"failNext\":1}");
    snprintf(req, sizeof req, "{\"paymentKey\":\"%s\",\"orderId\":\"bk_contract_idem02\","
                              "\"amount\":250000}", key);
    confirm_call_t first_call = {.body = req, .status = 0};
    int64_t before = requests_of("payments.confirm");
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, confirm_thread, &first_call), 0);
    ck_assert_msg(TS_POLL_UNTIL(requests_of("payments.confirm") > before, POLL_TIMEOUT_MS),
                  "the first confirm did not arrive");
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm", req, NULL, "Idempotency-Key: idem-2",
                         &body),
                     409);
    ck_assert_ptr_nonnull(strstr(body, "IDEMPOTENT_REQUEST_PROCESSING"));
    free(body);
    pthread_join(t, NULL);
    ck_assert_int_eq(first_call.status, 200);
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm", req, NULL, "Idempotency-Key: idem-2",
                         &body),
                     200);
    free(body);
    ck_assert_int_eq(summary("approvals"), 2);
}
END_TEST

START_TEST(test_unknown_paths_and_bad_bodies_are_toss_errors)
{
    char *body = NULL;
    ck_assert_int_eq(raw("GET", "/v1/nothing/here", NULL, NULL, NULL, &body), 404);
    ck_assert_ptr_nonnull(strstr(body, "\"code\""));
    free(body);
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm", "{not json", NULL, NULL, &body), 400);
    ck_assert_ptr_nonnull(strstr(body, "INVALID_REQUEST"));
    free(body);
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm",
                         "{\"paymentKey\":\"k\",\"orderId\":\"bad id!\",\"amount\":1}", NULL, NULL,
                         &body),
                     400);
    ck_assert_ptr_nonnull(strstr(body, "INVALID_ORDER_ID"));
    free(body);
    ck_assert_int_eq(raw("POST", "/v1/payments/confirm",
                         "{\"paymentKey\":\"k\",\"orderId\":\"bk_000000\",\"amount\":1.5}", NULL,
                         NULL, &body),
                     400);
    free(body);
    int status;
    json_object *o = control_post("/_sandbox/window", "{\"orderId\":\"x\",\"amount\":1}", &status);
    ck_assert_int_eq(status, 400);
    json_object_put(o);
    o = control_post("/_sandbox/faults", "{\"op\":\"x\",\"drop\":true}", &status);
    ck_assert_int_eq(status, 400); /* drop needs afterCommit */
    json_object_put(o);
    ck_assert(ts_http_wait_ok(sb.port, "/healthz", 2000));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("toss_contract");
    TCase *tc = tcase_create("auto");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, start_auto, stop);
    tcase_add_test(tc, test_approve_then_automatic_acquisition_then_void);
    tcase_add_test(tc, test_billing_key_charge_is_an_approval);
    tcase_add_test(tc, test_a_decline_is_typed_and_never_retried);
    tcase_add_test(tc, test_a_virtual_account_or_a_tampered_redirect_is_refused_before_approval);
    tcase_add_test(tc, test_a_confirm_past_the_ten_minute_limit_fails_cleanly);
    tcase_add_test(tc, test_a_dropped_confirm_answer_is_resolved_by_lookup);
    tcase_add_test(tc, test_a_500_after_the_confirm_is_resolved_by_lookup);
    tcase_add_test(tc, test_a_timed_out_confirm_is_resolved_by_lookup);
    tcase_add_test(tc, test_a_5xx_before_the_confirm_is_retried_with_the_same_key);
    tcase_add_test(tc, test_wire_rules_auth_test_codes_and_idempotency);
    tcase_add_test(tc, test_unknown_paths_and_bad_bodies_are_toss_errors);
    suite_add_tcase(s, tc);
    TCase *manual = tcase_create("manual");
    tcase_set_timeout(manual, 60);
    tcase_add_checked_fixture(manual, start_manual, stop);
    tcase_add_test(manual, test_manual_settlement_then_refunds_partial_and_the_rest);
    tcase_add_test(manual, test_a_lost_cancel_answer_never_cancels_twice);
    suite_add_tcase(s, manual);
    TCase *timers = tcase_create("timers");
    tcase_set_timeout(timers, 60);
    tcase_add_checked_fixture(timers, start_short_limits, stop);
    tcase_add_test(timers, test_window_and_confirm_timers_expire_payments);
    suite_add_tcase(s, timers);
    return check_run(s);
}
