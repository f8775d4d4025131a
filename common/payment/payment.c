/*
 * payment.c — the gateway-independent half of the payment connector (see
 * payment.h): the factory, argument checks, idempotency keys, and the
 * resilience wrapper (breaker per attempt, retry with backoff for retryable
 * answers only, metrics per call) around one gateway's single attempts.
 */
#include "common/payment.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/money.h"
#include "payment_internal.h"

#define BREAKER_NAME_PREFIX "payment:"
#define GENERATED_KEY_PREFIX "pay_"
#define IDEMPOTENCY_KEY_MAX 255 /* Stripe's limit (Toss allows 300) */

static const payment_gateway_t *const GATEWAYS[] = {&payment_gateway_stripe, &payment_gateway_toss,
                                                    NULL};
static const char *const GATEWAY_NAMES[] = {"stripe", "toss", NULL};

struct payment_connector {
    const payment_gateway_t *gw;
    void *impl;
    breaker_t *breaker;
    retry_policy_t retry;
    metric_t *requests_total;
    metric_t *latency_seconds;
};

/* ------------------------------------------------------------- names -- */

static const char *const ERR_NAMES[] = {
    "PAY_OK",
    "PAY_ERR_CARD_DECLINED",
    "PAY_ERR_INSUFFICIENT_FUNDS",
    "PAY_ERR_EXPIRED_CARD",
    "PAY_ERR_INCORRECT_CVC",
    "PAY_ERR_PROCESSING",
    "PAY_ERR_RATE_LIMITED",
    "PAY_ERR_AUTH",
    "PAY_ERR_NOT_FOUND",
    "PAY_ERR_INVALID_REQUEST",
    "PAY_ERR_IDEMPOTENCY",
    "PAY_ERR_STATE",
    "PAY_ERR_UNAVAILABLE",
    "PAY_ERR_TRANSIENT",
    "PAY_ERR_PROTOCOL",
};

const char *pay_err_name(pay_err_t e)
{
    if ((int)e < 0 || (size_t)e >= sizeof ERR_NAMES / sizeof ERR_NAMES[0])
        return "PAY_ERR_UNKNOWN";
    return ERR_NAMES[e];
}

bool pay_err_retryable(pay_err_t e)
{
    return e == PAY_ERR_RATE_LIMITED || e == PAY_ERR_UNAVAILABLE || e == PAY_ERR_TRANSIENT ||
           e == PAY_ERR_PROCESSING;
}

bool pay_err_is_decline(pay_err_t e)
{
    return e == PAY_ERR_CARD_DECLINED || e == PAY_ERR_INSUFFICIENT_FUNDS ||
           e == PAY_ERR_EXPIRED_CARD || e == PAY_ERR_INCORRECT_CVC || e == PAY_ERR_PROCESSING;
}

const char *pay_status_name(pay_status_t s)
{
    switch (s) {
    case PAY_STATUS_AUTHORIZED:
        return "authorized";
    case PAY_STATUS_CAPTURED:
        return "captured";
    case PAY_STATUS_CANCELED:
        return "canceled";
    case PAY_STATUS_FAILED:
        return "failed";
    case PAY_STATUS_PROCESSING:
        return "processing";
    default:
        return "unknown";
    }
}

const char *const *payment_gateways(void)
{
    return GATEWAY_NAMES;
}

pay_err_t pay_error_set(pay_error_t *err, pay_err_t code, const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

/* ----------------------------------------------------------- lifecycle -- */

#define PAYMENT_TIMEOUT_MIN_MS 100
#define PAYMENT_TIMEOUT_MAX_MS 120000

const char *payment_config_from_env(config_t *cfg, payment_config_t *out)
{
    *out = PAYMENT_CONFIG_DEFAULT;
    const char *gateway = config_get_str(cfg, "PAYMENT_GATEWAY", GATEWAY_NAMES[0]);
    bool known = false;
    for (int i = 0; GATEWAY_NAMES[i]; i++)
        known |= strcmp(GATEWAY_NAMES[i], gateway) == 0;
    if (!known)
        config_add_error(cfg, "PAYMENT_GATEWAY", "unknown payment gateway (known: stripe, toss)");
    out->base_url = config_get_str(cfg, "PAYMENT_BASE_URL", NULL);
    out->api_key = config_require_str(cfg, "PAYMENT_API_KEY");
    out->timeout_ms = config_get_int(cfg, "PAYMENT_TIMEOUT_MS", PAYMENT_DEFAULT_TIMEOUT_MS,
                                     PAYMENT_TIMEOUT_MIN_MS, PAYMENT_TIMEOUT_MAX_MS);
    return gateway;
}

bool payment_toss_config_from_env(config_t *cfg, payment_config_t *out)
{
    *out = PAYMENT_CONFIG_DEFAULT;
    out->api_key = config_get_str(cfg, "TOSS_SECRET_KEY", NULL);
    if (!out->api_key || !out->api_key[0])
        return false;
    out->base_url = config_get_str(cfg, "TOSS_BASE_URL", NULL);
    out->timeout_ms = config_get_int(cfg, "TOSS_TIMEOUT_MS", PAYMENT_DEFAULT_TIMEOUT_MS,
                                     PAYMENT_TIMEOUT_MIN_MS, PAYMENT_TIMEOUT_MAX_MS);
    const char *mode = config_get_str(cfg, "TOSS_ACQUISITION", "auto");
    if (strcmp(mode, "auto") != 0 && strcmp(mode, "manual") != 0)
        config_add_error(cfg, "TOSS_ACQUISITION", "must be auto or manual");
    out->manual_settlement = strcmp(mode, "manual") == 0;
    return true;
}

bool payment_connector_approves(const payment_connector_t *c)
{
    return c->gw->approves;
}

bool payment_order_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < PAY_ORDER_ID_MIN || n > PAY_ORDER_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

payment_connector_t *payment_connector_new(const char *gateway, const payment_config_t *cfg,
                                           char *why, size_t why_size)
{
    const payment_gateway_t *gw = NULL;
    for (int i = 0; gateway && GATEWAYS[i]; i++)
        if (strcmp(GATEWAYS[i]->name, gateway) == 0)
            gw = GATEWAYS[i];
    if (!gw) {
        snprintf(why, why_size, "unknown payment gateway \"%.32s\" (known: stripe, toss)",
                 gateway ? gateway : "");
        return NULL;
    }
    if (!cfg || !cfg->api_key || !cfg->api_key[0]) {
        snprintf(why, why_size, "no API key for the %s gateway (set PAYMENT_API_KEY)", gw->name);
        return NULL;
    }
    payment_config_t c = *cfg;
    if (!c.base_url || !c.base_url[0])
        c.base_url = gw->default_base_url;
    if (c.connect_timeout_ms <= 0)
        c.connect_timeout_ms = PAYMENT_DEFAULT_CONNECT_TIMEOUT_MS;
    if (c.timeout_ms <= 0)
        c.timeout_ms = PAYMENT_DEFAULT_TIMEOUT_MS;

    payment_connector_t *pc = calloc(1, sizeof *pc);
    if (!pc) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    pc->gw = gw;
    pc->retry = c.retry;
    if (pc->retry.max_retries < 0)
        pc->retry.max_retries = 0;
    if (!pc->retry.clock)
        pc->retry.clock = c.clock;

    char breaker_name[64];
    snprintf(breaker_name, sizeof breaker_name, BREAKER_NAME_PREFIX "%s", gw->name);
    breaker_config_t bc = c.breaker;
    if (!bc.name)
        bc.name = breaker_name;
    if (!bc.clock)
        bc.clock = c.clock;
    pc->breaker = breaker_new(&bc);
    pc->impl = gw->create(&c, why, why_size);
    if (!pc->breaker || !pc->impl) {
        if (!pc->breaker)
            snprintf(why, why_size, "out of memory");
        payment_connector_free(pc);
        return NULL;
    }
    pc->requests_total =
        metrics_counter("payment_requests_total", "Payment gateway calls by operation and outcome",
                        3, "gateway", "op", "outcome");
    pc->latency_seconds = metrics_histogram(
        "payment_request_duration_seconds", "Payment gateway call latency, retries included",
        METRICS_LATENCY_BUCKETS_S, METRICS_LATENCY_BUCKET_COUNT, 2, "gateway", "op");
    return pc;
}

void payment_connector_free(payment_connector_t *c)
{
    if (!c)
        return;
    if (c->impl)
        c->gw->destroy(c->impl);
    breaker_free(c->breaker);
    free(c);
}

const char *payment_connector_gateway(const payment_connector_t *c)
{
    return c->gw->name;
}

breaker_t *payment_connector_breaker(payment_connector_t *c)
{
    return c->breaker;
}

/* --------------------------------------------------- resilience wrapper -- */

typedef struct call call_t;
typedef pay_err_t (*attempt_fn)(call_t *call, pay_error_t *err);

/* One operation's arguments and results, carried through retry_run. */
struct call {
    payment_connector_t *c;
    attempt_fn attempt;
    const pay_preauth_request_t *preauth;
    const char *id;
    int64_t amount;
    const char *idempotency_key;
    pay_payment_t *payment_out;
    pay_refund_t *refund_out;
    pay_error_t *err;
    int attempts;
};

/* Answers worth another attempt with the same request: the gateway did not
 * act on it (5xx, timeout, 429), or another request with the same
 * idempotency key is still running (409). */
static bool attempt_retryable(const pay_error_t *e)
{
    return e->code == PAY_ERR_TRANSIENT || e->code == PAY_ERR_RATE_LIMITED ||
           (e->code == PAY_ERR_IDEMPOTENCY && e->http_status == 409);
}

static retry_outcome_t run_attempt(void *ctx, int attempt, int64_t *retry_after_ms)
{
    (void)attempt;
    call_t *call = ctx;
    if (!breaker_allow(call->c->breaker)) {
        char last[sizeof call->err->message];
        snprintf(last, sizeof last, "%s", call->err->message);
        memset(call->err, 0, sizeof *call->err);
        if (call->attempts > 0)
            pay_error_set(call->err, PAY_ERR_UNAVAILABLE,
                          "circuit %s is open after %d attempt(s); last: %.180s",
                          breaker_name(call->c->breaker), call->attempts, last);
        else
            pay_error_set(call->err, PAY_ERR_UNAVAILABLE,
                          "circuit %s is open: the gateway is failing, not calling it",
                          breaker_name(call->c->breaker));
        return RETRY_FATAL;
    }
    memset(call->err, 0, sizeof *call->err);
    call->attempts++;
    pay_err_t rc = call->attempt(call, call->err);
    if (rc == PAY_ERR_TRANSIENT)
        breaker_record_failure(call->c->breaker);
    else
        breaker_record_success(call->c->breaker);
    if (rc == PAY_OK)
        return RETRY_OK;
    if (attempt_retryable(call->err)) {
        *retry_after_ms = call->err->retry_after_ms;
        return RETRY_RETRYABLE;
    }
    return RETRY_FATAL;
}

/* Runs `call` with retries and records its metrics. `op` names it. */
static pay_err_t run_call(call_t *call, const char *op)
{
    payment_connector_t *c = call->c;
    int64_t started = clock_now_ms();
    retry_result_t r = retry_run(&c->retry, run_attempt, call);
    pay_error_t *err = call->err;
    err->attempts = call->attempts;
    err->waited_ms = r.waited_ms;
    pay_err_t code = r.outcome == RETRY_OK ? PAY_OK : err->code;
    if (code == PAY_OK)
        err->code = PAY_OK;
    metrics_counter_inc(c->requests_total, c->gw->name, op, pay_err_name(code));
    metrics_histogram_observe(c->latency_seconds, (double)(clock_now_ms() - started) / 1000.0,
                              c->gw->name, op);
    if (code != PAY_OK) {
        log_kv(pay_err_is_decline(code) ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "payment call failed",
               "gateway", c->gw->name, "op", op, "error", pay_err_name(code), "vendor_code",
               err->vendor_code, "decline_code", err->decline_code,
               LOG_INT("http_status", err->http_status), LOG_INT("attempts", err->attempts), NULL);
    }
    return code;
}

/* -------------------------------------------------------- argument checks -- */

/* Ids travel in URL paths: letters, digits and '_' only. */
static bool id_is_sane(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= PAY_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '_')
            return false;
    return true;
}

static bool key_is_sane(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return false;
    return true;
}

/* Uses the caller's key, or writes a fresh one into buf. NULL when the
 * caller's key is unusable (err filled). */
static const char *idempotency_key(const char *given, char *buf, size_t size, pay_error_t *err)
{
    if (given) {
        if (key_is_sane(given))
            return given;
        pay_error_set(err, PAY_ERR_INVALID_REQUEST,
                      "idempotency key must be 1..%d printable ASCII characters without spaces",
                      IDEMPOTENCY_KEY_MAX);
        return NULL;
    }
    char uuid[CRYPTO_UUID_LEN + 1];
    if (crypto_uuid_v4(uuid) != 0) {
        pay_error_set(err, PAY_ERR_INVALID_REQUEST, "could not generate an idempotency key");
        return NULL;
    }
    snprintf(buf, size, GENERATED_KEY_PREFIX "%s", uuid);
    return buf;
}

/* Fails a call before anything is sent: counted in metrics, 0 attempts. */
static pay_err_t refuse(payment_connector_t *c, const char *op, pay_error_t *err)
{
    err->attempts = 0;
    metrics_counter_inc(c->requests_total, c->gw->name, op, pay_err_name(err->code));
    return err->code;
}

static bool valid_id_or_refuse(const char *id, const char *what, pay_error_t *err)
{
    if (id_is_sane(id))
        return true;
    pay_error_set(err, PAY_ERR_INVALID_REQUEST, "%s must be a payment id of letters, digits and _",
                  what);
    snprintf(err->param, sizeof err->param, "%s", what);
    return false;
}

/* ----------------------------------------------------------- operations -- */

static pay_err_t attempt_preauth(call_t *call, pay_error_t *err)
{
    return call->c->gw->preauthorize(call->c->impl, call->preauth, call->idempotency_key,
                                     call->payment_out, err);
}

static pay_err_t attempt_capture(call_t *call, pay_error_t *err)
{
    return call->c->gw->capture(call->c->impl, call->id, call->amount, call->idempotency_key,
                                call->payment_out, err);
}

static pay_err_t attempt_cancel(call_t *call, pay_error_t *err)
{
    return call->c->gw->cancel(call->c->impl, call->id, call->idempotency_key, call->payment_out,
                               err);
}

static pay_err_t attempt_refund(call_t *call, pay_error_t *err)
{
    return call->c->gw->refund(call->c->impl, call->id, call->amount, call->idempotency_key,
                               call->refund_out, err);
}

static pay_err_t attempt_get(call_t *call, pay_error_t *err)
{
    return call->c->gw->get(call->c->impl, call->id, call->payment_out, err);
}

static pay_err_t attempt_find(call_t *call, pay_error_t *err)
{
    return call->c->gw->find_by_order(call->c->impl, call->id, call->payment_out, err);
}

/* Checks a pre-authorisation before anything is sent. */
static bool preauth_valid(const payment_gateway_t *gw, const pay_preauth_request_t *req,
                          pay_error_t *err)
{
    char upper[4] = {0};
    if (req->currency && strlen(req->currency) == 3)
        for (int i = 0; i < 3; i++)
            upper[i] = (char)toupper((unsigned char)req->currency[i]);
    const char *field = NULL, *why = NULL;
    if (req->amount <= 0 || req->amount > MONEY_MAX_MINOR) {
        field = "amount";
        why = "amount must be a positive integer in minor units";
    } else if (!money_currency_known(upper)) {
        field = "currency";
        why = "currency must be a known ISO 4217 code";
    } else if ((field = gw->preauth_missing(req))) {
        why = "the payment request lacks a field this gateway needs (or it is malformed)";
    }
    if (!field)
        return true;
    pay_error_set(err, PAY_ERR_INVALID_REQUEST, "%s", why);
    snprintf(err->param, sizeof err->param, "%s", field);
    return false;
}

pay_err_t payment_preauthorize(payment_connector_t *c, const pay_preauth_request_t *req,
                               pay_payment_t *out, pay_error_t *err)
{
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    char keybuf[64];
    const char *key = preauth_valid(c->gw, req, err)
                          ? idempotency_key(req->idempotency_key, keybuf, sizeof keybuf, err)
                          : NULL;
    if (!key)
        return refuse(c, "preauthorize", err);
    call_t call = {.c = c,
                   .attempt = attempt_preauth,
                   .preauth = req,
                   .idempotency_key = key,
                   .payment_out = out,
                   .err = err};
    return run_call(&call, "preauthorize");
}

/* Copies an id argument before the results are cleared: callers may pass
 * out->id itself ("payment_get(c, p.id, &p, &e)"). */
static const char *keep_id(const char *id, char buf[PAY_ID_MAX])
{
    if (!id)
        return NULL;
    snprintf(buf, PAY_ID_MAX, "%s", id);
    return strlen(id) < PAY_ID_MAX ? buf : id;
}

/* Capture, void and refund: checks the id (and the amount, 0 = all, when the
 * operation has one), settles the idempotency key, then runs the call. */
static pay_err_t id_call(call_t *call, const char *op, const char *id_given, const char *id_name,
                         bool has_amount, const char *key_given)
{
    char idbuf[PAY_ID_MAX];
    call->id = keep_id(id_given, idbuf);
    memset(call->err, 0, sizeof *call->err);
    if (call->payment_out)
        memset(call->payment_out, 0, sizeof *call->payment_out);
    if (call->refund_out)
        memset(call->refund_out, 0, sizeof *call->refund_out);
    char keybuf[64];
    const char *key = NULL;
    if (has_amount && (call->amount < 0 || call->amount > MONEY_MAX_MINOR)) {
        pay_error_set(call->err, PAY_ERR_INVALID_REQUEST, "%s amount must be 0 (all) or positive",
                      op);
        snprintf(call->err->param, sizeof call->err->param, "amount");
    } else if (valid_id_or_refuse(call->id, id_name, call->err)) {
        key = idempotency_key(key_given, keybuf, sizeof keybuf, call->err);
    }
    if (!key)
        return refuse(call->c, op, call->err);
    call->idempotency_key = key;
    return run_call(call, op);
}

pay_err_t payment_capture(payment_connector_t *c, const char *auth_id, int64_t amount,
                          const char *idempotency_key, pay_payment_t *out, pay_error_t *err)
{
    call_t call = {
        .c = c, .attempt = attempt_capture, .amount = amount, .payment_out = out, .err = err};
    return id_call(&call, "capture", auth_id, "auth_id", true, idempotency_key);
}

pay_err_t payment_void(payment_connector_t *c, const char *auth_id, const char *idempotency_key,
                       pay_payment_t *out, pay_error_t *err)
{
    call_t call = {.c = c, .attempt = attempt_cancel, .payment_out = out, .err = err};
    return id_call(&call, "void", auth_id, "auth_id", false, idempotency_key);
}

pay_err_t payment_refund(payment_connector_t *c, const char *payment_id, int64_t amount,
                         const char *idempotency_key, pay_refund_t *out, pay_error_t *err)
{
    call_t call = {
        .c = c, .attempt = attempt_refund, .amount = amount, .refund_out = out, .err = err};
    return id_call(&call, "refund", payment_id, "payment_id", true, idempotency_key);
}

pay_err_t payment_get(payment_connector_t *c, const char *id_given, pay_payment_t *out,
                      pay_error_t *err)
{
    char idbuf[PAY_ID_MAX];
    const char *id = keep_id(id_given, idbuf);
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    if (!valid_id_or_refuse(id, "id", err))
        return refuse(c, "get", err);
    call_t call = {.c = c, .attempt = attempt_get, .id = id, .payment_out = out, .err = err};
    return run_call(&call, "get");
}

pay_err_t payment_find_by_order(payment_connector_t *c, const char *order_id, pay_payment_t *out,
                                pay_error_t *err)
{
    char idbuf[PAY_ID_MAX];
    const char *id = keep_id(order_id, idbuf);
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    if (!c->gw->find_by_order) {
        pay_error_set(err, PAY_ERR_INVALID_REQUEST, "the %s gateway cannot look payments up by order",
                      c->gw->name);
        return refuse(c, "find_by_order", err);
    }
    if (!payment_order_id_valid(id)) {
        pay_error_set(err, PAY_ERR_INVALID_REQUEST, "order_id must be 6..64 of A-Z a-z 0-9 - _");
        snprintf(err->param, sizeof err->param, "order_id");
        return refuse(c, "find_by_order", err);
    }
    call_t call = {.c = c, .attempt = attempt_find, .id = id, .payment_out = out, .err = err};
    return run_call(&call, "find_by_order");
}
