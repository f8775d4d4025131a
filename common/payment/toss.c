/*
 * toss.c — the Toss Payments gateway (core API v1, version 2022-11-16).
 *
 * Wire (https://docs.tosspayments.com/reference): JSON bodies, Basic auth
 * with base64(secretKey + ":"), an Idempotency-Key on every POST, and:
 *   pre-authorise  POST /v1/payments/confirm {paymentKey, orderId, amount}   (approval, 승인)
 *                  or POST /v1/billing/{billingKey} {amount, customerKey, orderId, orderName}
 *   capture        manual settlement: POST /v1/settlements {paymentKey}       (acquisition, 매입)
 *                  automatic: nothing to send; Toss acquires by itself (verified by a GET)
 *   void / refund  POST /v1/payments/{paymentKey}/cancel {cancelReason, [cancelAmount]}
 *   get            GET /v1/payments/{paymentKey}
 *   find by order  GET /v1/payments/orders/{orderId}
 *
 * Toss has no hold: its approval already takes the money from the card's
 * limit. So every attempt here looks before it acts, which is also how an
 * unknown outcome (timeout, lost answer, 5xx, PROVIDER_ERROR-class codes) is
 * resolved without a second approval or a second refund: the approval
 * looks the payment up first (already DONE = ours, done), and by orderId
 * after an unknown answer; a cancel carries its idempotency key in its
 * cancelReason, so a cancel already made is found in cancels[]; a refund
 * states refundableAmount, so a cancel made twice under two keys fails
 * instead of returning money twice. One function here is one attempt (with
 * its look-ups); retries with the same key and the breaker are payment.c's.
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/crypto.h"
#include "common/http_client.h"
#include "common/json.h"
#include "payment_internal.h"
#include "toss_internal.h"

#define PATH_MAX_LEN 320
#define HEADER_MAX_LEN 400
#define USER_AGENT "lodging-payment/0.1"
#define CANCEL_REASON "숙박 예약 취소"
#define ORDER_NAME "숙박 예약"
#define CUSTOMER_KEY_MAX 300

typedef struct toss {
    http_client_t *http;
    char *auth_header; /* "Authorization: Basic base64(key:)"; wiped on free */
    bool manual_settlement;
} toss_t;

/* ------------------------------------------------------------- parsing -- */

static const char *get_str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *get_obj(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}

/* A whole-won amount: Toss sends numbers (floating point since v1.4). */
static bool get_amount(json_object *o, const char *key, int64_t *out)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        return false;
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return true;
    }
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (d < 0 || d > 1e15 || (double)(int64_t)d != d)
            return false; /* KRW has no fractions */
        *out = (int64_t)d;
        return true;
    }
    return false;
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

int64_t toss_parse_time(const char *text)
{
    int y, mo, d, h, mi, s;
    if (!text || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
        return 0;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = s};
    int64_t t = (int64_t)timegm(&tm);
    /* the offset after the seconds (and any fraction): ±hh:mm */
    const char *p = text + 19;
    while (*p == '.' || isdigit((unsigned char)*p))
        p++;
    int oh = 0, om = 0;
    if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
        t -= (*p == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
    return t;
}

/* Toss' localised method names → one English word. */
static const char *method_word(const char *m)
{
    static const struct {
        const char *ko, *en;
    } map[] = {{"카드", "CARD"},
               {"가상계좌", "VIRTUAL_ACCOUNT"},
               {"간편결제", "EASY_PAY"},
               {"휴대폰", "MOBILE_PHONE"},
               {"계좌이체", "TRANSFER"},
               {"문화상품권", "CULTURE_GIFT_CERTIFICATE"},
               {"도서문화상품권", "BOOK_GIFT_CERTIFICATE"},
               {"게임문화상품권", "GAME_GIFT_CERTIFICATE"}};
    for (size_t i = 0; m && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].ko, m) == 0)
            return map[i].en;
    return m ? m : "";
}

static int protocol_error(pay_error_t *err, const char *what)
{
    pay_error_set(err, PAY_ERR_PROTOCOL, "unexpected answer from Toss Payments: %s", what);
    return -1;
}

static bool acquired(const char *acquire_status)
{
    return eq(acquire_status, "REQUESTED") || eq(acquire_status, "COMPLETED") ||
           eq(acquire_status, "CANCEL_REQUESTED") || eq(acquire_status, "CANCELED");
}

static int payment_from_json(json_object *o, bool manual, pay_payment_t *out, pay_error_t *err)
{
    memset(out, 0, sizeof *out);
    const char *key = get_str(o, "paymentKey"), *status = get_str(o, "status");
    int64_t total = 0, balance = 0;
    if (!key || !key[0] || strlen(key) >= PAY_ID_MAX || !status ||
        !get_amount(o, "totalAmount", &total))
        return protocol_error(err, "a payment without paymentKey, status or totalAmount");
    if (!get_amount(o, "balanceAmount", &balance))
        balance = total;
    copy(out->id, sizeof out->id, key);
    copy(out->gateway_status, sizeof out->gateway_status, status);
    copy(out->order_id, sizeof out->order_id, get_str(o, "orderId"));
    copy(out->currency, sizeof out->currency, get_str(o, "currency"));
    if (!out->currency[0])
        copy(out->currency, sizeof out->currency, "KRW");
    copy(out->method, sizeof out->method, method_word(get_str(o, "method")));
    json_object *card = get_obj(o, "card"), *easy = get_obj(o, "easyPay");
    copy(out->acquire_status, sizeof out->acquire_status, get_str(card, "acquireStatus"));
    copy(out->easy_pay, sizeof out->easy_pay, get_str(easy, "provider"));
    out->amount = total;
    out->amount_refunded = total - balance;
    int64_t tax_free;
    out->tax_free_amount = get_amount(o, "taxFreeAmount", &tax_free) ? tax_free : -1;
    out->created = toss_parse_time(get_str(o, "requestedAt"));
    bool done = eq(status, "DONE") || eq(status, "PARTIAL_CANCELED");
    if (done) {
        /* an approval not yet acquired is a hold only under manual settlement:
         * otherwise Toss acquires it by itself */
        bool held = manual && !acquired(out->acquire_status);
        out->status = held ? PAY_STATUS_AUTHORIZED : PAY_STATUS_CAPTURED;
        out->amount_capturable = held ? balance : 0;
        out->amount_received = held ? 0 : total;
    } else if (eq(status, "CANCELED")) {
        out->status = PAY_STATUS_CANCELED;
        json_object *cancels = NULL;
        if (json_object_object_get_ex(o, "cancels", &cancels) &&
            json_object_is_type(cancels, json_type_array) &&
            json_object_array_length(cancels) > 0) {
            json_object *last =
                json_object_array_get_idx(cancels, json_object_array_length(cancels) - 1);
            out->canceled_at = toss_parse_time(get_str(last, "canceledAt"));
        }
        copy(out->cancellation_reason, sizeof out->cancellation_reason, "requested");
    } else if (eq(status, "EXPIRED")) {
        out->status = PAY_STATUS_CANCELED;
        copy(out->cancellation_reason, sizeof out->cancellation_reason, "automatic");
    } else if (eq(status, "WAITING_FOR_DEPOSIT")) {
        out->status = PAY_STATUS_PROCESSING;
    } else {
        /* READY, IN_PROGRESS (never approved), ABORTED (declined) */
        out->status = PAY_STATUS_FAILED;
    }
    return 0;
}

static json_object *parse_object(const char *body, size_t len, pay_error_t *err)
{
    json_error_t jerr;
    json_object *o = json_parse_object(body, len, &jerr);
    if (!o)
        protocol_error(err, jerr.message);
    return o;
}

int toss_parse_payment(const char *body, size_t len, bool manual_settlement, pay_payment_t *out,
                       pay_error_t *err)
{
    json_object *o = parse_object(body, len, err);
    if (!o)
        return -1;
    int rc = payment_from_json(o, manual_settlement, out, err);
    json_object_put(o);
    return rc;
}

int toss_find_cancel(const char *body, size_t len, const char *marker, pay_refund_t *out)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_object *o = json_parse_object(body, len, &jerr), *cancels = NULL;
    if (!o)
        return -1;
    int found = 0;
    if (json_object_object_get_ex(o, "cancels", &cancels) &&
        json_object_is_type(cancels, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(cancels) && !found; i++) {
            json_object *c = json_object_array_get_idx(cancels, i);
            const char *reason = get_str(c, "cancelReason");
            if (!reason || !marker || !marker[0] || !strstr(reason, marker))
                continue;
            found = 1;
            copy(out->id, sizeof out->id, get_str(c, "transactionKey"));
            copy(out->payment_id, sizeof out->payment_id, get_str(o, "paymentKey"));
            get_amount(c, "cancelAmount", &out->amount);
            const char *st = get_str(c, "cancelStatus");
            out->status = !st || eq(st, "DONE")     ? PAY_REFUND_SUCCEEDED
                          : eq(st, "IN_PROGRESS") ? PAY_REFUND_PENDING
                                                  : PAY_REFUND_FAILED;
            copy(out->currency, sizeof out->currency, get_str(o, "currency"));
            out->created = toss_parse_time(get_str(c, "canceledAt"));
        }
    }
    json_object_put(o);
    return found;
}

static bool in_list(const char *code, const char *const *list)
{
    for (int i = 0; code && list[i]; i++)
        if (strcmp(code, list[i]) == 0)
            return true;
    return false;
}

bool toss_code_outcome_unknown(const char *code)
{
    static const char *const codes[] = {"PROVIDER_ERROR",
                                        "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING",
                                        "FAILED_INTERNAL_SYSTEM_PROCESSING",
                                        "UNKNOWN_PAYMENT_ERROR",
                                        "COMMON_ERROR",
                                        "CARD_PROCESSING_ERROR",
                                        "FAILED_METHOD_HANDLING_CANCEL",
                                        "FAILED_REFUND_PROCESS",
                                        "FAILED_PARTIAL_REFUND",
                                        NULL};
    return in_list(code, codes);
}

pay_err_t toss_error_kind(int http_status, const char *code)
{
    static const char *const limit[] = {"REJECT_CARD_PAYMENT", "EXCEED_MAX_AMOUNT",
                                        "EXCEED_MAX_PAYMENT_AMOUNT",
                                        "EXCEED_MAX_DAILY_PAYMENT_COUNT", NULL};
    static const char *const declined[] = {"REJECT_CARD_COMPANY",
                                           "FDS_ERROR",
                                           "EXCEED_MAX_AUTH_COUNT",
                                           "INVALID_PASSWORD",
                                           "REJECT_ACCOUNT_PAYMENT",
                                           "INVALID_STOPPED_CARD",
                                           "INVALID_CARD_LOST_OR_STOLEN",
                                           "INVALID_REJECT_CARD",
                                           "INVALID_CARD_NUMBER",
                                           "EXCEED_MAX_CARD_INSTALLMENT_PLAN",
                                           "BELOW_MINIMUM_AMOUNT",
                                           "PAY_PROCESS_CANCELED",
                                           "PAY_PROCESS_ABORTED",
                                           NULL};
    static const char *const state[] = {"NOT_FOUND_PAYMENT_SESSION",
                                        "ALREADY_PROCESSED_PAYMENT",
                                        "ALREADY_CANCELED_PAYMENT",
                                        "ALREADY_REFUND_PAYMENT",
                                        "DUPLICATED_ORDER_ID",
                                        "NOT_CANCELABLE_AMOUNT",
                                        "NOT_CANCELABLE_PAYMENT",
                                        "EXCEED_MAX_REFUND_DUE",
                                        "NOT_ALLOWED_PARTIAL_REFUND",
                                        "NOT_ALLOWED_PARTIAL_REFUND_WAITING_DEPOSIT",
                                        "NOT_MATCHES_REFUNDABLE_AMOUNT",
                                        "EXPIRED_PAYMENT",
                                        NULL};
    static const char *const auth[] = {"UNAUTHORIZED_KEY", "INVALID_API_KEY",
                                       "INCORRECT_BASIC_AUTH_FORMAT", NULL};
    static const char *const missing[] = {"NOT_FOUND_PAYMENT", "NOT_FOUND_BILLING", "NOT_FOUND",
                                          NULL};
    if (in_list(code, limit))
        return PAY_ERR_INSUFFICIENT_FUNDS;
    if (eq(code, "INVALID_CARD_EXPIRATION"))
        return PAY_ERR_EXPIRED_CARD;
    if (in_list(code, declined))
        return PAY_ERR_CARD_DECLINED;
    if (in_list(code, state))
        return PAY_ERR_STATE;
    if (toss_code_outcome_unknown(code) || http_status >= 500 || http_status == 0)
        return PAY_ERR_TRANSIENT;
    if (eq(code, "IDEMPOTENT_REQUEST_PROCESSING") || http_status == 409)
        return PAY_ERR_IDEMPOTENCY;
    if (http_status == 429 || eq(code, "FORBIDDEN_CONSECUTIVE_REQUEST") ||
        eq(code, "TOO_MANY_REQUESTS"))
        return PAY_ERR_RATE_LIMITED;
    if (in_list(code, auth) || http_status == 401)
        return PAY_ERR_AUTH;
    if (in_list(code, missing) || http_status == 404)
        return PAY_ERR_NOT_FOUND;
    if (http_status >= 400)
        return PAY_ERR_INVALID_REQUEST;
    return PAY_ERR_PROTOCOL;
}

pay_err_t toss_parse_error(int http_status, const char *body, size_t len, pay_error_t *err)
{
    err->http_status = http_status;
    json_error_t jerr;
    json_object *o = body && len ? json_parse_object(body, len, &jerr) : NULL;
    const char *code = get_str(o, "code"), *message = get_str(o, "message");
    if (!code) {
        json_object_put(o);
        pay_err_t kind = toss_error_kind(http_status, NULL);
        return pay_error_set(err, kind == PAY_ERR_INVALID_REQUEST ? PAY_ERR_PROTOCOL : kind,
                             "HTTP %d from Toss Payments without a readable error object",
                             http_status);
    }
    copy(err->vendor_code, sizeof err->vendor_code, code);
    copy(err->type, sizeof err->type, "toss_error");
    pay_err_t kind = toss_error_kind(http_status, code);
    pay_error_set(err, kind, "%s", message ? message : code);
    json_object_put(o);
    return kind;
}

/* ------------------------------------------------------------- requests -- */

static void *toss_create(const payment_config_t *cfg, char *why, size_t why_size)
{
    toss_t *t = calloc(1, sizeof *t);
    char *userpass = NULL, *b64 = NULL;
    if (!t)
        goto oom;
    t->manual_settlement = cfg->manual_settlement;
    size_t n = strlen(cfg->api_key) + 2;
    userpass = malloc(n);
    if (!userpass)
        goto oom;
    /* the secret key as user name, an empty password: the colon is required */
    snprintf(userpass, n, "%s:", cfg->api_key);
    b64 = crypto_base64_encode(userpass, strlen(userpass));
    if (!b64)
        goto oom;
    n = strlen("Authorization: Basic ") + strlen(b64) + 1;
    t->auth_header = malloc(n);
    if (!t->auth_header)
        goto oom;
    snprintf(t->auth_header, n, "Authorization: Basic %s", b64);
    http_client_config_t hc = {.base_url = cfg->base_url,
                               .connect_timeout_ms = cfg->connect_timeout_ms,
                               .total_timeout_ms = cfg->timeout_ms,
                               .user_agent = USER_AGENT};
    t->http = http_client_new(&hc);
    if (!t->http)
        goto oom;
    crypto_wipe(userpass, strlen(userpass));
    free(userpass);
    crypto_wipe(b64, strlen(b64));
    free(b64);
    return t;
oom:
    snprintf(why, why_size, "cannot create the Toss Payments client (out of memory or bad URL)");
    if (userpass) {
        crypto_wipe(userpass, strlen(userpass));
        free(userpass);
    }
    if (b64) {
        crypto_wipe(b64, strlen(b64));
        free(b64);
    }
    if (t) {
        free(t->auth_header);
        free(t);
    }
    return NULL;
}

static void toss_destroy(void *impl)
{
    toss_t *t = impl;
    http_client_free(t->http);
    crypto_wipe(t->auth_header, strlen(t->auth_header));
    free(t->auth_header);
    free(t);
}

/* One request. PAY_OK when a 2xx arrived (resp holds it); otherwise err
 * says what happened. `body` is a JSON object (not consumed) or NULL. */
static pay_err_t send(toss_t *t, const char *method, const char *path, json_object *body,
                      const char *idempotency_key, http_client_response_t *resp, pay_error_t *err)
{
    char idem[HEADER_MAX_LEN];
    const char *headers[] = {t->auth_header, "Content-Type: application/json", NULL, NULL};
    if (idempotency_key) {
        snprintf(idem, sizeof idem, "Idempotency-Key: %s", idempotency_key);
        headers[2] = idem;
    }
    const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
    http_client_err_t rc = http_client_request(t->http, method, path, NULL, headers, text,
                                               text ? strlen(text) : 0, resp);
    if (rc != HTTP_CLIENT_OK) {
        err->http_status = 0;
        pay_err_t kind = rc == HTTP_CLIENT_ERR_TIMEOUT || rc == HTTP_CLIENT_ERR_CONNECT ||
                                 rc == HTTP_CLIENT_ERR_TRANSPORT
                             ? PAY_ERR_TRANSIENT
                             : PAY_ERR_PROTOCOL;
        return pay_error_set(err, kind, "Toss %s %s: %s (%s)", method, path,
                             http_client_err_name(rc), resp->error);
    }
    err->http_status = resp->status;
    if (resp->retry_after_ms > 0)
        err->retry_after_ms = resp->retry_after_ms;
    if (resp->status >= 200 && resp->status < 300)
        return PAY_OK;
    return toss_parse_error(resp->status, resp->body, resp->body_len, err);
}

/* Sends and reads a Payment answer into *out; *raw (when not NULL) keeps
 * the body for cancels[] (caller frees). */
static pay_err_t payment_call(toss_t *t, const char *method, const char *path, json_object *body,
                              const char *key, pay_payment_t *out, char **raw, pay_error_t *err)
{
    http_client_response_t resp;
    pay_err_t rc = send(t, method, path, body, key, &resp, err);
    if (rc == PAY_OK &&
        toss_parse_payment(resp.body, resp.body_len, t->manual_settlement, out, err) != 0)
        rc = PAY_ERR_PROTOCOL;
    if (rc == PAY_OK && raw)
        *raw = strndup(resp.body, resp.body_len);
    http_client_response_clear(&resp);
    return rc;
}

static pay_err_t fetch(toss_t *t, const char *id, pay_payment_t *out, char **raw,
                       pay_error_t *err)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "/v1/payments/%s", id);
    return payment_call(t, "GET", path, NULL, NULL, out, raw, err);
}

static pay_err_t fetch_by_order(toss_t *t, const char *order_id, pay_payment_t *out,
                                pay_error_t *err)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "/v1/payments/orders/%s", order_id);
    return payment_call(t, "GET", path, NULL, NULL, out, NULL, err);
}

/* An approval's failure recorded on the payment (ABORTED: failure.code). */
static pay_err_t failed_payment(const pay_payment_t *p, const char *failure_code, pay_error_t *err)
{
    copy(err->payment_id, sizeof err->payment_id, p->id);
    copy(err->vendor_code, sizeof err->vendor_code, failure_code);
    pay_err_t kind = toss_error_kind(403, failure_code);
    if (!pay_err_is_decline(kind))
        kind = PAY_ERR_CARD_DECLINED;
    return pay_error_set(err, kind, "the approval failed (%s)",
                         failure_code && failure_code[0] ? failure_code : "ABORTED");
}

static pay_err_t expired(pay_error_t *err, const char *status)
{
    copy(err->vendor_code, sizeof err->vendor_code, "NOT_FOUND_PAYMENT_SESSION");
    return pay_error_set(err, PAY_ERR_STATE,
                         "the payment can no longer be approved (status %s: Toss allows 10 "
                         "minutes between the payment window and the approval)",
                         status);
}

/* What a payment already at Toss means for an approval of req: 0 go on and
 * approve (IN_PROGRESS), or the outcome (PAY_OK: already approved by us). */
static int judge_existing(const pay_preauth_request_t *req, const pay_payment_t *p,
                          const char *failure_code, pay_err_t *outcome, pay_error_t *err)
{
    const char *st = p->gateway_status;
    if (!eq(p->order_id, req->order_id)) {
        copy(err->param, sizeof err->param, "orderId");
        copy(err->vendor_code, sizeof err->vendor_code, "ORDER_ID_MISMATCH");
        *outcome = pay_error_set(err, PAY_ERR_INVALID_REQUEST,
                                 "the paymentKey belongs to another orderId");
    } else if (p->amount != req->amount) {
        copy(err->param, sizeof err->param, "amount");
        copy(err->vendor_code, sizeof err->vendor_code, "AMOUNT_MISMATCH");
        *outcome = pay_error_set(err, PAY_ERR_INVALID_REQUEST,
                                 "the amount differs from what the guest authenticated");
    } else if (eq(st, "IN_PROGRESS") && req->tax_free_amount >= 0 && p->tax_free_amount >= 0 &&
               p->tax_free_amount != req->tax_free_amount) {
        /* the window requested the payment with another taxable / tax-free
         * split than the stay's: approving it would misstate the VAT */
        copy(err->param, sizeof err->param, "taxFreeAmount");
        copy(err->vendor_code, sizeof err->vendor_code, "TAX_FREE_MISMATCH");
        *outcome = pay_error_set(err, PAY_ERR_INVALID_REQUEST,
                                 "the payment window stated a tax-free amount of %lld, the stay "
                                 "has %lld",
                                 (long long)p->tax_free_amount, (long long)req->tax_free_amount);
    } else if (eq(p->method, "VIRTUAL_ACCOUNT")) {
        copy(err->param, sizeof err->param, "method");
        copy(err->vendor_code, sizeof err->vendor_code, "VIRTUAL_ACCOUNT_REFUSED");
        *outcome = pay_error_set(err, PAY_ERR_INVALID_REQUEST,
                                 "a virtual account is paid later by deposit and cannot back a "
                                 "room hold");
    } else if (eq(st, "DONE")) {
        *outcome = PAY_OK; /* approved already: by our earlier attempt (the orderId is ours) */
    } else if (eq(st, "IN_PROGRESS")) {
        return 0;
    } else if (eq(st, "ABORTED")) {
        *outcome = failed_payment(p, failure_code, err);
    } else if (eq(st, "EXPIRED") || eq(st, "READY")) {
        *outcome = expired(err, st);
    } else {
        copy(err->vendor_code, sizeof err->vendor_code, st);
        *outcome = pay_error_set(err, PAY_ERR_STATE, "the payment is %s", st);
    }
    return 1;
}

/* The failure code of a payment read as raw JSON ("" when none). */
static void failure_code_of(const char *raw, char *out, size_t size)
{
    out[0] = '\0';
    json_error_t jerr;
    json_object *o = raw ? json_parse_object(raw, strlen(raw), &jerr) : NULL;
    copy(out, size, get_str(get_obj(o, "failure"), "code"));
    json_object_put(o);
}

/* After an approval whose outcome is unknown: what Toss has under our
 * orderId. PAY_OK (approved: *out), or the error to report (TRANSIENT when
 * trying again with the same key is right). */
static pay_err_t resolve_approval(toss_t *t, const pay_preauth_request_t *req, pay_err_t first,
                                  pay_payment_t *out, pay_error_t *err)
{
    pay_payment_t seen;
    pay_error_t ge = {0};
    char *raw = NULL;
    pay_err_t g = fetch_by_order(t, req->order_id, &seen, &ge);
    if (g == PAY_OK && seen.id[0])
        g = fetch(t, seen.id, &seen, &raw, &ge); /* the full object, failure included */
    if (g != PAY_OK) {
        free(raw);
        return first; /* still unknown: report the first answer (retried when transient) */
    }
    char failure[64];
    failure_code_of(raw, failure, sizeof failure);
    free(raw);
    if (req->payment_key && !eq(seen.id, req->payment_key))
        return first;
    pay_err_t outcome;
    pay_error_t je = *err;
    if (judge_existing(req, &seen, failure, &outcome, &je) == 0)
        return first == PAY_OK ? PAY_ERR_TRANSIENT : first; /* IN_PROGRESS: not approved yet */
    *err = je;
    if (outcome == PAY_OK) {
        memset(err, 0, sizeof *err);
        *out = seen;
    }
    return outcome;
}

static bool outcome_unknown(pay_err_t rc, const pay_error_t *err)
{
    return rc == PAY_ERR_TRANSIENT || rc == PAY_ERR_PROTOCOL ||
           toss_code_outcome_unknown(err->vendor_code) ||
           eq(err->vendor_code, "ALREADY_PROCESSED_PAYMENT") ||
           eq(err->vendor_code, "NOT_FOUND_PAYMENT_SESSION") ||
           eq(err->vendor_code, "DUPLICATED_ORDER_ID");
}

static pay_err_t billing_charge(toss_t *t, const pay_preauth_request_t *req, const char *key,
                                pay_payment_t *out, pay_error_t *err)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "/v1/billing/%s", req->billing_key);
    json_object *b = json_object_new_object();
    json_object_object_add(b, "amount", json_object_new_int64(req->amount));
    json_object_object_add(b, "customerKey", json_object_new_string(req->customer_key));
    json_object_object_add(b, "orderId", json_object_new_string(req->order_id));
    json_object_object_add(b, "orderName", json_object_new_string(ORDER_NAME));
    if (req->tax_free_amount >= 0)
        json_object_object_add(b, "taxFreeAmount", json_object_new_int64(req->tax_free_amount));
    pay_err_t rc = payment_call(t, "POST", path, b, key, out, NULL, err);
    json_object_put(b);
    if (rc != PAY_OK && outcome_unknown(rc, err))
        rc = resolve_approval(t, req, rc, out, err);
    return rc;
}

static pay_err_t toss_preauthorize(void *impl, const pay_preauth_request_t *req,
                                   const char *idempotency_key, pay_payment_t *out,
                                   pay_error_t *err)
{
    toss_t *t = impl;
    if (req->billing_key)
        return billing_charge(t, req, idempotency_key, out, err);
    /* look first: an approval already made (our earlier attempt whose answer
     * was lost) is never made again, and what the guest chose in the window
     * (a virtual account) is refused before anything is approved */
    pay_payment_t seen;
    char *raw = NULL;
    pay_err_t g = fetch(t, req->payment_key, &seen, &raw, err);
    if (g == PAY_OK) {
        char failure[64];
        failure_code_of(raw, failure, sizeof failure);
        free(raw);
        pay_err_t outcome;
        if (judge_existing(req, &seen, failure, &outcome, err)) {
            if (outcome == PAY_OK)
                *out = seen;
            return outcome;
        }
    } else if (g != PAY_ERR_NOT_FOUND) {
        return g;
    }
    memset(err, 0, sizeof *err);
    json_object *b = json_object_new_object();
    json_object_object_add(b, "paymentKey", json_object_new_string(req->payment_key));
    json_object_object_add(b, "orderId", json_object_new_string(req->order_id));
    json_object_object_add(b, "amount", json_object_new_int64(req->amount));
    /* confirm takes paymentKey, orderId and amount only: the taxable /
     * tax-free split was stated where the payment was requested (the
     * window's requestPayment), and was checked above */
    pay_err_t rc =
        payment_call(t, "POST", "/v1/payments/confirm", b, idempotency_key, out, NULL, err);
    json_object_put(b);
    if (rc != PAY_OK && outcome_unknown(rc, err))
        rc = resolve_approval(t, req, rc, out, err);
    return rc;
}

/* The cancel reason carries the call's idempotency key, so a cancel already
 * made is recognised in cancels[] whatever answer was lost. */
static void cancel_reason(const char *key, char *out, size_t size)
{
    snprintf(out, size, CANCEL_REASON " [%.150s]", key);
}

static bool is_approved(const pay_payment_t *p)
{
    return eq(p->gateway_status, "DONE") || eq(p->gateway_status, "PARTIAL_CANCELED");
}

static pay_err_t toss_capture(void *impl, const char *id, int64_t amount,
                              const char *idempotency_key, pay_payment_t *out, pay_error_t *err)
{
    toss_t *t = impl;
    pay_err_t rc = fetch(t, id, out, NULL, err);
    if (rc != PAY_OK)
        return rc;
    if (!is_approved(out)) {
        copy(err->vendor_code, sizeof err->vendor_code, out->gateway_status);
        return pay_error_set(err, PAY_ERR_STATE, "the payment is %s, not approved",
                             out->gateway_status);
    }
    if (amount > 0 && amount != out->amount - out->amount_refunded) {
        copy(err->param, sizeof err->param, "amount");
        return pay_error_set(err, PAY_ERR_INVALID_REQUEST,
                             "Toss acquires the whole approval: partial capture is not supported");
    }
    if (!t->manual_settlement) {
        out->capture_scheduled = !acquired(out->acquire_status);
        return PAY_OK; /* Toss acquires by itself; reconciliation verifies it */
    }
    if (acquired(out->acquire_status))
        return PAY_OK;
    json_object *b = json_object_new_object();
    json_object_object_add(b, "paymentKey", json_object_new_string(id));
    http_client_response_t resp;
    rc = send(t, "POST", "/v1/settlements", b, idempotency_key, &resp, err);
    http_client_response_clear(&resp);
    json_object_put(b);
    if (rc != PAY_OK && outcome_unknown(rc, err)) {
        pay_error_t ge = {0};
        pay_payment_t again;
        if (fetch(t, id, &again, NULL, &ge) == PAY_OK && acquired(again.acquire_status)) {
            memset(err, 0, sizeof *err);
            *out = again;
            return PAY_OK;
        }
    }
    if (rc != PAY_OK)
        return rc;
    copy(out->acquire_status, sizeof out->acquire_status, "REQUESTED");
    out->status = PAY_STATUS_CAPTURED;
    out->amount_received = out->amount;
    out->amount_capturable = 0;
    return PAY_OK;
}

/* POST .../cancel for `amount` (0 = the balance), then the outcome found
 * in the answer or, when unknown, by reading the payment again. */
static pay_err_t cancel_call(toss_t *t, const char *id, int64_t amount, int64_t balance,
                             const char *key, pay_payment_t *out, pay_refund_t *refund,
                             pay_error_t *err)
{
    char path[PATH_MAX_LEN], reason[200];
    snprintf(path, sizeof path, "/v1/payments/%s/cancel", id);
    cancel_reason(key, reason, sizeof reason);
    json_object *b = json_object_new_object();
    json_object_object_add(b, "cancelReason", json_object_new_string(reason));
    if (amount > 0)
        json_object_object_add(b, "cancelAmount", json_object_new_int64(amount));
    /* an optimistic check: a second cancel of the same money (made under
     * another key) fails instead of returning it twice */
    json_object_object_add(b, "refundableAmount", json_object_new_int64(balance));
    char *raw = NULL;
    pay_err_t rc = payment_call(t, "POST", path, b, key, out, &raw, err);
    json_object_put(b);
    if (rc != PAY_OK && (outcome_unknown(rc, err) ||
                         eq(err->vendor_code, "ALREADY_CANCELED_PAYMENT") ||
                         eq(err->vendor_code, "NOT_MATCHES_REFUNDABLE_AMOUNT"))) {
        pay_error_t ge = {0};
        if (fetch(t, id, out, &raw, &ge) == PAY_OK) {
            pay_refund_t found;
            if (toss_find_cancel(raw, strlen(raw), key, &found) == 1) {
                memset(err, 0, sizeof *err);
                rc = PAY_OK;
            }
        }
    }
    if (rc == PAY_OK && refund && raw && toss_find_cancel(raw, strlen(raw), key, refund) != 1) {
        free(raw);
        return pay_error_set(err, PAY_ERR_PROTOCOL, "the cancel is missing from cancels[]");
    }
    free(raw);
    return rc;
}

static pay_err_t toss_void(void *impl, const char *id, const char *idempotency_key,
                           pay_payment_t *out, pay_error_t *err)
{
    toss_t *t = impl;
    char *raw = NULL;
    pay_err_t rc = fetch(t, id, out, &raw, err);
    if (rc != PAY_OK) {
        free(raw);
        return rc;
    }
    pay_refund_t found;
    int mine = toss_find_cancel(raw, strlen(raw), idempotency_key, &found);
    free(raw);
    if (mine == 1 || !is_approved(out))
        return PAY_OK; /* cancelled already (by us or at Toss), or never approved */
    if (acquired(out->acquire_status)) {
        copy(err->vendor_code, sizeof err->vendor_code, out->acquire_status);
        return pay_error_set(err, PAY_ERR_STATE,
                             "acquisition %s: the money moved, a refund is needed",
                             out->acquire_status);
    }
    int64_t balance = out->amount - out->amount_refunded;
    return cancel_call(t, id, 0, balance, idempotency_key, out, NULL, err);
}

static pay_err_t toss_refund(void *impl, const char *id, int64_t amount,
                             const char *idempotency_key, pay_refund_t *out, pay_error_t *err)
{
    toss_t *t = impl;
    pay_payment_t p;
    char *raw = NULL;
    pay_err_t rc = fetch(t, id, &p, &raw, err);
    if (rc != PAY_OK) {
        free(raw);
        return rc;
    }
    int mine = toss_find_cancel(raw, strlen(raw), idempotency_key, out);
    free(raw);
    if (mine == 1)
        return PAY_OK; /* made already: never a second refund */
    int64_t balance = p.amount - p.amount_refunded;
    if (eq(p.gateway_status, "CANCELED")) {
        /* nothing left to return (cancelled at Toss by someone else) */
        copy(out->payment_id, sizeof out->payment_id, id);
        copy(out->currency, sizeof out->currency, p.currency);
        out->status = PAY_REFUND_SUCCEEDED;
        return PAY_OK;
    }
    if (!is_approved(&p)) {
        copy(err->vendor_code, sizeof err->vendor_code, p.gateway_status);
        return pay_error_set(err, PAY_ERR_STATE, "the payment is %s: nothing to refund",
                             p.gateway_status);
    }
    if (amount > balance) {
        copy(err->vendor_code, sizeof err->vendor_code, "NOT_CANCELABLE_AMOUNT");
        return pay_error_set(err, PAY_ERR_STATE, "only %lld is left to refund",
                             (long long)balance);
    }
    return cancel_call(t, id, amount, balance, idempotency_key, &p, out, err);
}

static pay_err_t toss_get(void *impl, const char *id, pay_payment_t *out, pay_error_t *err)
{
    return fetch(impl, id, out, NULL, err);
}

static pay_err_t toss_find_by_order(void *impl, const char *order_id, pay_payment_t *out,
                                    pay_error_t *err)
{
    return fetch_by_order(impl, order_id, out, err);
}

static bool chars_ok(const char *s, size_t min, size_t max, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
            return false;
    return true;
}

static const char *toss_preauth_missing(const pay_preauth_request_t *req)
{
    if (!req->currency || strcasecmp(req->currency, "KRW") != 0)
        return "currency";
    if (!payment_order_id_valid(req->order_id))
        return "order_id";
    if (req->billing_key) {
        if (!chars_ok(req->billing_key, 1, PAY_KEY_MAX, "-_="))
            return "billing_key";
        if (!chars_ok(req->customer_key, 2, CUSTOMER_KEY_MAX, "-_=.@"))
            return "customer_key";
        return NULL;
    }
    /* stored as the booking's payment id: it must fit one */
    if (!chars_ok(req->payment_key, 1, PAY_ID_MAX - 1, "_"))
        return "payment_key";
    return NULL;
}

const payment_gateway_t payment_gateway_toss = {
    .name = "toss",
    .create = toss_create,
    .destroy = toss_destroy,
    .preauthorize = toss_preauthorize,
    .capture = toss_capture,
    .cancel = toss_void,
    .refund = toss_refund,
    .get = toss_get,
    .find_by_order = toss_find_by_order,
    .preauth_missing = toss_preauth_missing,
    .default_base_url = PAYMENT_TOSS_DEFAULT_BASE_URL,
    .approves = true,
};
