/*
 * stripe.c — the Stripe gateway: PaymentIntents with manual capture.
 *
 * Wire (https://docs.stripe.com/api): form-encoded POST bodies, Bearer auth,
 * an Idempotency-Key header on every POST, the API version pinned with
 * Stripe-Version, and these calls:
 *   pre-authorise  POST /v1/payment_intents  amount, currency (lower case),
 *                  capture_method=manual, confirm=true, payment_method_types[]=card,
 *                  payment_method_data[type]=card, payment_method_data[card][token]=<tok>,
 *                  error_on_requires_action=true, metadata[booking_id], description
 *   capture        POST /v1/payment_intents/{id}/capture  [amount_to_capture]
 *   void           POST /v1/payment_intents/{id}/cancel
 *   refund         POST /v1/refunds  payment_intent, [amount]
 *   get            GET  /v1/payment_intents/{id}?expand[]=latest_charge
 * Errors are Stripe's error object, mapped to pay_err_t in
 * stripe_error_kind(). One function here is one HTTP attempt; retries and
 * the breaker are payment.c's.
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/http_client.h"
#include "common/json.h"
#include "payment_internal.h"
#include "stripe_internal.h"

#define PATH_MAX_LEN 256
#define HEADER_MAX_LEN 320
#define AMOUNT_TEXT_LEN 24
#define USER_AGENT "lodging-payment/0.1"

typedef struct stripe {
    http_client_t *http;
    char *auth_header; /* "Authorization: Bearer <key>"; wiped on free */
} stripe_t;

/* ------------------------------------------------------------- parsing -- */

static const char *get_str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* An integer member; false when absent or not an integer. */
static bool get_int(json_object *o, const char *key, int64_t *out)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void copy_upper_currency(char dst[4], const char *src)
{
    memset(dst, 0, 4);
    for (int i = 0; src && i < 3 && src[i]; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
}

pay_status_t stripe_status_from_text(const char *status)
{
    static const struct {
        const char *text;
        pay_status_t status;
    } map[] = {
        {"requires_capture", PAY_STATUS_AUTHORIZED},
        {"succeeded", PAY_STATUS_CAPTURED},
        {"canceled", PAY_STATUS_CANCELED},
        {"processing", PAY_STATUS_PROCESSING},
        {"requires_payment_method", PAY_STATUS_FAILED},
        {"requires_confirmation", PAY_STATUS_FAILED},
        {"requires_action", PAY_STATUS_FAILED},
    };
    for (size_t i = 0; status && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].text, status) == 0)
            return map[i].status;
    return PAY_STATUS_UNKNOWN;
}

static int protocol_error(pay_error_t *err, const char *what)
{
    pay_error_set(err, PAY_ERR_PROTOCOL, "unexpected answer from Stripe: %s", what);
    return -1;
}

/* Fills *out from a PaymentIntent object already parsed. 0 or -1. */
static int payment_from_json(json_object *o, pay_payment_t *out, pay_error_t *err)
{
    memset(out, 0, sizeof *out);
    const char *object = get_str(o, "object");
    const char *id = get_str(o, "id");
    const char *status = get_str(o, "status");
    const char *currency = get_str(o, "currency");
    if (!object || strcmp(object, "payment_intent") != 0)
        return protocol_error(err, "not a payment_intent object");
    if (!id || !id[0] || strlen(id) >= PAY_ID_MAX || !status || !currency ||
        strlen(currency) != 3 || !get_int(o, "amount", &out->amount))
        return protocol_error(err, "payment_intent without id, status, amount or currency");
    copy(out->id, sizeof out->id, id);
    copy(out->gateway_status, sizeof out->gateway_status, status);
    out->status = stripe_status_from_text(status);
    copy_upper_currency(out->currency, currency);
    get_int(o, "amount_capturable", &out->amount_capturable);
    get_int(o, "amount_received", &out->amount_received);
    get_int(o, "created", &out->created);
    get_int(o, "canceled_at", &out->canceled_at);
    copy(out->cancellation_reason, sizeof out->cancellation_reason,
         get_str(o, "cancellation_reason"));
    json_object *metadata = NULL, *charge = NULL;
    if (json_object_object_get_ex(o, "metadata", &metadata) &&
        json_object_is_type(metadata, json_type_object))
        copy(out->booking_id, sizeof out->booking_id, get_str(metadata, "booking_id"));
    /* latest_charge is an id unless expanded into the Charge object. */
    if (json_object_object_get_ex(o, "latest_charge", &charge) &&
        json_object_is_type(charge, json_type_object))
        get_int(charge, "amount_refunded", &out->amount_refunded);
    return 0;
}

/* Parses text that must be one JSON object. NULL with err set otherwise. */
static json_object *parse_object(const char *body, size_t len, pay_error_t *err)
{
    json_error_t jerr;
    json_object *o = json_parse_object(body, len, &jerr);
    if (!o)
        protocol_error(err, jerr.message);
    return o;
}

int stripe_parse_payment_intent(const char *body, size_t len, pay_payment_t *out, pay_error_t *err)
{
    json_object *o = parse_object(body, len, err);
    if (!o)
        return -1;
    int rc = payment_from_json(o, out, err);
    json_object_put(o);
    return rc;
}

static pay_refund_status_t refund_status_from_text(const char *status)
{
    if (!status)
        return PAY_REFUND_UNKNOWN;
    if (strcmp(status, "succeeded") == 0)
        return PAY_REFUND_SUCCEEDED;
    if (strcmp(status, "pending") == 0 || strcmp(status, "requires_action") == 0)
        return PAY_REFUND_PENDING;
    if (strcmp(status, "failed") == 0)
        return PAY_REFUND_FAILED;
    if (strcmp(status, "canceled") == 0)
        return PAY_REFUND_CANCELED;
    return PAY_REFUND_UNKNOWN;
}

int stripe_parse_refund(const char *body, size_t len, pay_refund_t *out, pay_error_t *err)
{
    memset(out, 0, sizeof *out);
    json_object *o = parse_object(body, len, err);
    if (!o)
        return -1;
    int rc = 0;
    const char *object = get_str(o, "object");
    const char *id = get_str(o, "id");
    const char *currency = get_str(o, "currency");
    if (!object || strcmp(object, "refund") != 0)
        rc = protocol_error(err, "not a refund object");
    else if (!id || !id[0] || strlen(id) >= PAY_ID_MAX || !currency || strlen(currency) != 3 ||
             !get_int(o, "amount", &out->amount))
        rc = protocol_error(err, "refund without id, amount or currency");
    if (rc == 0) {
        copy(out->id, sizeof out->id, id);
        copy(out->payment_id, sizeof out->payment_id, get_str(o, "payment_intent"));
        copy_upper_currency(out->currency, currency);
        out->status = refund_status_from_text(get_str(o, "status"));
        get_int(o, "created", &out->created);
    }
    json_object_put(o);
    return rc;
}

/* Stripe error codes that mean "this payment's state forbids it". */
static bool code_is_state(const char *code)
{
    static const char *const codes[] = {
        "payment_intent_unexpected_state", "charge_already_refunded", "charge_already_captured",
        "charge_expired_for_capture",      "charge_disputed",         NULL};
    for (int i = 0; code && codes[i]; i++)
        if (strcmp(code, codes[i]) == 0)
            return true;
    return false;
}

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* A card error's kind, from its code and the issuer's decline code. */
static pay_err_t card_error_kind(const char *code, const char *decline_code)
{
    const char *reason = eq(code, "card_declined") && decline_code ? decline_code : code;
    if (eq(reason, "insufficient_funds"))
        return PAY_ERR_INSUFFICIENT_FUNDS;
    if (eq(reason, "expired_card"))
        return PAY_ERR_EXPIRED_CARD;
    if (eq(reason, "incorrect_cvc"))
        return PAY_ERR_INCORRECT_CVC;
    if (eq(reason, "processing_error"))
        return PAY_ERR_PROCESSING;
    return PAY_ERR_CARD_DECLINED;
}

/* Parameters that name the payment itself: a resource_missing on them means
 * the payment does not exist (Stripe answers 400 when the id came in the
 * body, 404 when it came in the path). */
static bool param_names_payment(const char *param)
{
    return eq(param, "intent") || eq(param, "payment_intent") || eq(param, "charge") ||
           eq(param, "id");
}

pay_err_t stripe_error_kind(int http_status, const char *type, const char *code,
                            const char *decline_code, const char *param)
{
    if (http_status >= 500 || http_status == 0)
        return PAY_ERR_TRANSIENT;
    if (http_status == 429 || eq(code, "rate_limit"))
        return PAY_ERR_RATE_LIMITED;
    if (http_status == 401 || http_status == 403 || eq(type, "authentication_error"))
        return PAY_ERR_AUTH;
    if (http_status == 409 || eq(type, "idempotency_error") || eq(code, "idempotency_key_in_use"))
        return PAY_ERR_IDEMPOTENCY;
    if (http_status == 402 || eq(type, "card_error"))
        return card_error_kind(code, decline_code);
    if (http_status == 404 || (eq(code, "resource_missing") && param_names_payment(param)))
        return PAY_ERR_NOT_FOUND;
    if (code_is_state(code))
        return PAY_ERR_STATE;
    if (http_status >= 400)
        return PAY_ERR_INVALID_REQUEST;
    return PAY_ERR_PROTOCOL;
}

pay_err_t stripe_parse_error(int http_status, const char *body, size_t len, pay_error_t *err)
{
    err->http_status = http_status;
    json_error_t jerr;
    json_object *o = body && len ? json_parse_object(body, len, &jerr) : NULL;
    json_object *e = NULL;
    if (!o || !json_object_object_get_ex(o, "error", &e) ||
        !json_object_is_type(e, json_type_object)) {
        json_object_put(o);
        pay_err_t kind = stripe_error_kind(http_status, NULL, NULL, NULL, NULL);
        return pay_error_set(err, kind == PAY_ERR_INVALID_REQUEST ? PAY_ERR_PROTOCOL : kind,
                             "HTTP %d from Stripe without a readable error object", http_status);
    }
    copy(err->type, sizeof err->type, get_str(e, "type"));
    copy(err->vendor_code, sizeof err->vendor_code, get_str(e, "code"));
    copy(err->decline_code, sizeof err->decline_code, get_str(e, "decline_code"));
    copy(err->param, sizeof err->param, get_str(e, "param"));
    const char *message = get_str(e, "message");
    json_object *pi = NULL;
    if (json_object_object_get_ex(e, "payment_intent", &pi) &&
        json_object_is_type(pi, json_type_object))
        copy(err->payment_id, sizeof err->payment_id, get_str(pi, "id"));
    pay_err_t kind = stripe_error_kind(http_status, get_str(e, "type"), get_str(e, "code"),
                                       get_str(e, "decline_code"), get_str(e, "param"));
    pay_error_set(err, kind, "%s", message ? message : "Stripe returned an error without message");
    json_object_put(o);
    return kind;
}

/* ------------------------------------------------------------- requests -- */

static void *stripe_create(const payment_config_t *cfg, char *why, size_t why_size)
{
    stripe_t *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    size_t n = strlen("Authorization: Bearer ") + strlen(cfg->api_key) + 1;
    s->auth_header = malloc(n);
    if (!s->auth_header)
        goto oom;
    snprintf(s->auth_header, n, "Authorization: Bearer %s", cfg->api_key);
    http_client_config_t hc = {.base_url = cfg->base_url,
                               .connect_timeout_ms = cfg->connect_timeout_ms,
                               .total_timeout_ms = cfg->timeout_ms,
                               .user_agent = USER_AGENT};
    s->http = http_client_new(&hc);
    if (!s->http)
        goto oom;
    return s;
oom:
    snprintf(why, why_size, "cannot create the Stripe client (out of memory or bad base URL)");
    if (s) {
        free(s->auth_header);
        free(s);
    }
    return NULL;
}

static void stripe_destroy(void *impl)
{
    stripe_t *s = impl;
    http_client_free(s->http);
    crypto_wipe(s->auth_header, strlen(s->auth_header));
    free(s->auth_header);
    free(s);
}

/* Sends one request. PAY_OK when a 2xx arrived (resp then holds it);
 * otherwise err says what happened (transport or Stripe's error object). */
static pay_err_t send(stripe_t *s, const char *method, const char *path, const char *const *query,
                      const char *const *form, const char *idempotency_key,
                      http_client_response_t *resp, pay_error_t *err)
{
    char idem[HEADER_MAX_LEN];
    const char *headers[] = {s->auth_header, "Stripe-Version: " STRIPE_API_VERSION, NULL, NULL};
    if (idempotency_key) {
        snprintf(idem, sizeof idem, "Idempotency-Key: %s", idempotency_key);
        headers[2] = idem;
    }
    http_client_err_t rc;
    if (form)
        rc = http_client_post_form(s->http, path, headers, form, resp);
    else
        rc = http_client_request(s->http, method, path, query, headers, NULL, 0, resp);
    if (rc != HTTP_CLIENT_OK) {
        err->http_status = 0;
        pay_err_t kind = rc == HTTP_CLIENT_ERR_TIMEOUT || rc == HTTP_CLIENT_ERR_CONNECT ||
                                 rc == HTTP_CLIENT_ERR_TRANSPORT
                             ? PAY_ERR_TRANSIENT
                             : PAY_ERR_PROTOCOL;
        return pay_error_set(err, kind, "Stripe %s %s: %s (%s)", method, path,
                             http_client_err_name(rc), resp->error);
    }
    err->http_status = resp->status;
    if (resp->retry_after_ms > 0)
        err->retry_after_ms = resp->retry_after_ms;
    if (resp->status >= 200 && resp->status < 300)
        return PAY_OK;
    return stripe_parse_error(resp->status, resp->body, resp->body_len, err);
}

/* Sends, then parses a PaymentIntent answer into *out. */
static pay_err_t payment_call(stripe_t *s, const char *method, const char *path,
                              const char *const *query, const char *const *form,
                              const char *idempotency_key, pay_payment_t *out, pay_error_t *err)
{
    http_client_response_t resp;
    pay_err_t rc = send(s, method, path, query, form, idempotency_key, &resp, err);
    if (rc == PAY_OK && stripe_parse_payment_intent(resp.body, resp.body_len, out, err) != 0)
        rc = PAY_ERR_PROTOCOL;
    http_client_response_clear(&resp);
    return rc;
}

static pay_err_t stripe_preauthorize(void *impl, const pay_preauth_request_t *req,
                                     const char *idempotency_key, pay_payment_t *out,
                                     pay_error_t *err)
{
    char amount[AMOUNT_TEXT_LEN], currency[4] = {0};
    snprintf(amount, sizeof amount, "%lld", (long long)req->amount);
    for (int i = 0; i < 3; i++)
        currency[i] = (char)tolower((unsigned char)req->currency[i]);
    const char *form[24] = {"amount",
                            amount,
                            "currency",
                            currency,
                            "capture_method",
                            "manual",
                            "confirm",
                            "true",
                            "payment_method_types[]",
                            "card",
                            "payment_method_data[type]",
                            "card",
                            "payment_method_data[card][token]",
                            req->card_token,
                            "error_on_requires_action",
                            "true"};
    int n = 16;
    if (req->description) {
        form[n++] = "description";
        form[n++] = req->description;
    }
    if (req->booking_id) {
        form[n++] = "metadata[booking_id]";
        form[n++] = req->booking_id;
    }
    form[n] = NULL;
    pay_err_t rc =
        payment_call(impl, "POST", "/v1/payment_intents", NULL, form, idempotency_key, out, err);
    if (rc == PAY_OK && out->status != PAY_STATUS_AUTHORIZED) {
        /* Confirmed without a hold: the card did not authorise. */
        copy(err->payment_id, sizeof err->payment_id, out->id);
        copy(err->vendor_code, sizeof err->vendor_code, out->gateway_status);
        return pay_error_set(err, PAY_ERR_CARD_DECLINED,
                             "the card was not authorised (payment intent status %s)",
                             out->gateway_status);
    }
    return rc;
}

static pay_err_t stripe_capture(void *impl, const char *id, int64_t amount,
                                const char *idempotency_key, pay_payment_t *out, pay_error_t *err)
{
    char path[PATH_MAX_LEN], text[AMOUNT_TEXT_LEN];
    snprintf(path, sizeof path, "/v1/payment_intents/%s/capture", id);
    snprintf(text, sizeof text, "%lld", (long long)amount);
    const char *form[] = {amount > 0 ? "amount_to_capture" : NULL, text, NULL};
    return payment_call(impl, "POST", path, NULL, form, idempotency_key, out, err);
}

static pay_err_t stripe_cancel(void *impl, const char *id, const char *idempotency_key,
                               pay_payment_t *out, pay_error_t *err)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "/v1/payment_intents/%s/cancel", id);
    const char *form[] = {NULL};
    return payment_call(impl, "POST", path, NULL, form, idempotency_key, out, err);
}

static pay_err_t stripe_refund(void *impl, const char *id, int64_t amount,
                               const char *idempotency_key, pay_refund_t *out, pay_error_t *err)
{
    char text[AMOUNT_TEXT_LEN];
    snprintf(text, sizeof text, "%lld", (long long)amount);
    const char *form[] = {"payment_intent", id, amount > 0 ? "amount" : NULL, text, NULL};
    http_client_response_t resp;
    pay_err_t rc = send(impl, "POST", "/v1/refunds", NULL, form, idempotency_key, &resp, err);
    if (rc == PAY_OK && stripe_parse_refund(resp.body, resp.body_len, out, err) != 0)
        rc = PAY_ERR_PROTOCOL;
    http_client_response_clear(&resp);
    return rc;
}

static pay_err_t stripe_get(void *impl, const char *id, pay_payment_t *out, pay_error_t *err)
{
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "/v1/payment_intents/%s", id);
    const char *query[] = {"expand[]", "latest_charge", NULL};
    return payment_call(impl, "GET", path, query, NULL, NULL, out, err);
}

static const char *stripe_preauth_missing(const pay_preauth_request_t *req)
{
    if (!req->card_token || !req->card_token[0] || strlen(req->card_token) > 255)
        return "card_token";
    return NULL;
}

const payment_gateway_t payment_gateway_stripe = {
    .name = "stripe",
    .create = stripe_create,
    .destroy = stripe_destroy,
    .preauthorize = stripe_preauthorize,
    .capture = stripe_capture,
    .cancel = stripe_cancel,
    .refund = stripe_refund,
    .get = stripe_get,
    .find_by_order = NULL,
    .preauth_missing = stripe_preauth_missing,
    .default_base_url = PAYMENT_STRIPE_DEFAULT_BASE_URL,
};
