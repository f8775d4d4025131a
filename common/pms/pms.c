/*
 * pms.c — the vendor-neutral half of the PMS connector (see pms.h): the
 * factory, per-hotel request budgets (pms_budget.c; the in-process bucket
 * here) and circuit breakers, the retry loop around each vendor HTTP request,
 * metrics, and argument checks done once for every vendor.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pms_budget.h"
#include "common/ratelimit.h"
#include "pms_internal.h"

static const pms_vendor_t *const VENDORS[] = {&pms_vendor_cloudbeds, &pms_vendor_opera, NULL};
static const char *const VENDOR_NAMES[] = {"cloudbeds", "opera", NULL};
#define KNOWN_VENDORS "cloudbeds, opera"

/* A wait longer than this would outlast the hold it is for. */
#define PMS_MAX_BUDGET_WAIT_MS 120000

/* A vendor answer this slow counts in pms_hotel_slow_requests_total. */
#define PMS_SLOW_REQUEST_MS 1000.0
#define PMS_SLOW_REQUEST_TEXT "1 s"

/* Per-hotel resilience state, created on the hotel's first call. */
typedef struct hotel_state {
    char hotel_id[PMS_ID_MAX];
    breaker_t *breaker;
    ratelimit_t *limiter; /* the budget's in-process half (no Redis, or Redis failing) */
    struct hotel_state *next;
} hotel_state_t;

struct pms_connector {
    const pms_vendor_t *vendor;
    pms_config_t cfg;
    char base_url[512];
    http_client_t *http;
    pms_budget_t *budget;
    pthread_mutex_t mu; /* guards hotels */
    hotel_state_t *hotels;
    metric_t *requests;
    metric_t *latency;
    /* Per hotel, only what needs a look: a latency histogram per hotel would
     * be thousands of hotels times the buckets, so a hotel gets a series only
     * once its vendor failed it or answered slowly. */
    metric_t *hotel_errors;
    metric_t *hotel_slow;
    void *vendor_state;
    /* Connectors of the other vendors this connector's hotels use, made on
     * first use (guarded by mu); a sub-connector has none. */
    struct pms_connector *subs[PMS_MAX_VENDORS];
    bool is_sub;
};

const char *const *pms_vendors(void)
{
    return VENDOR_NAMES;
}

static const pms_vendor_t *find_vendor(const char *name)
{
    for (size_t i = 0; name && VENDORS[i]; i++)
        if (strcmp(VENDORS[i]->name, name) == 0)
            return VENDORS[i];
    return NULL;
}

bool pms_vendor_known(const char *vendor)
{
    return find_vendor(vendor) != NULL;
}

bool pms_vendor_traits(const char *vendor, pms_vendor_traits_t *out)
{
    const pms_vendor_t *v = find_vendor(vendor);
    memset(out, 0, sizeof *out);
    if (!v)
        return false;
    *out = v->traits;
    return true;
}

pms_err_t pms_fail(pms_error_t *err, pms_err_t code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *pms_config_from_env(config_t *cfg, pms_config_t *out)
{
    *out = PMS_CONFIG_DEFAULT;
    const char *vendor = config_get_str(cfg, "PMS_VENDOR", VENDOR_NAMES[0]);
    if (!find_vendor(vendor))
        config_add_error(cfg, "PMS_VENDOR", "unknown PMS vendor (known: " KNOWN_VENDORS ")");
    out->base_url = config_get_str(cfg, "PMS_BASE_URL", NULL);
    size_t n = 0;
    for (size_t i = 0; VENDORS[i] && n < PMS_MAX_VENDORS; i++) {
        if (strcmp(VENDORS[i]->name, vendor) == 0)
            continue;
        char name[64];
        snprintf(name, sizeof name, "PMS_%s_BASE_URL", VENDORS[i]->name);
        for (char *p = name; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        const char *url = config_get_str(cfg, name, NULL);
        if (url && *url)
            out->vendor_urls[n++] = (pms_vendor_url_t){.vendor = VENDORS[i]->name, .base_url = url};
    }
    out->timeout_ms = config_get_int(cfg, "PMS_TIMEOUT_MS", PMS_DEFAULT_TIMEOUT_MS, 100, 120000);
    out->rate_per_second = config_get_double(cfg, "PMS_RATE_LIMIT_PER_SECOND", 0, 0, 1000);
    out->rate_burst = config_get_double(cfg, "PMS_RATE_LIMIT_BURST", 0, 0, 10000);
    out->checkout_wait_ms = config_get_int(cfg, "PMS_BUDGET_CHECKOUT_WAIT_MS",
                                           PMS_DEFAULT_CHECKOUT_WAIT_MS, 0, PMS_MAX_BUDGET_WAIT_MS);
    /* PMS_RATE_LIMIT_WAIT_MS was the one wait before there were priorities;
     * it limited the reads that now yield, so it is the background wait's
     * older name. */
    long legacy_wait = config_get_int(cfg, "PMS_RATE_LIMIT_WAIT_MS", PMS_DEFAULT_BACKGROUND_WAIT_MS,
                                      0, PMS_MAX_BUDGET_WAIT_MS);
    out->background_wait_ms = config_get_int(cfg, "PMS_BUDGET_BACKGROUND_WAIT_MS", legacy_wait, 0,
                                             PMS_MAX_BUDGET_WAIT_MS);
    return vendor;
}

pms_connector_t *pms_connector_new(const char *vendor, const pms_config_t *cfg, char *err,
                                   size_t err_size)
{
    const pms_vendor_t *v = find_vendor(vendor);
    if (!v) {
        snprintf(err, err_size, "unknown PMS vendor '%s' (known: " KNOWN_VENDORS ")",
                 vendor ? vendor : "(null)");
        return NULL;
    }
    pms_connector_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    c->vendor = v;
    c->cfg = cfg ? *cfg : PMS_CONFIG_DEFAULT;
    if (c->cfg.timeout_ms <= 0)
        c->cfg.timeout_ms = PMS_DEFAULT_TIMEOUT_MS;
    if (c->cfg.rate_per_second <= 0)
        c->cfg.rate_per_second = v->default_rate_per_second;
    if (c->cfg.rate_burst <= 0)
        c->cfg.rate_burst = c->cfg.rate_per_second < 1 ? 1 : c->cfg.rate_per_second;
    if (c->cfg.checkout_wait_ms < 0)
        c->cfg.checkout_wait_ms = PMS_DEFAULT_CHECKOUT_WAIT_MS;
    if (c->cfg.background_wait_ms < 0)
        c->cfg.background_wait_ms = PMS_DEFAULT_BACKGROUND_WAIT_MS;
    if (!c->cfg.key_fn)
        c->cfg.key_fn = pms_key_from_env;
    const char *base = c->cfg.base_url && *c->cfg.base_url ? c->cfg.base_url : v->default_base_url;
    snprintf(c->base_url, sizeof c->base_url, "%s", base);
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->cfg.base_url = c->base_url;
    http_client_config_t hc = {.base_url = c->base_url,
                               .connect_timeout_ms =
                                   c->cfg.timeout_ms < 2000 ? c->cfg.timeout_ms : 2000,
                               .total_timeout_ms = c->cfg.timeout_ms,
                               .user_agent = "lodging-pms-connector/0.1"};
    c->http = http_client_new(&hc);
    if (!c->http) {
        snprintf(err, err_size, "cannot create the HTTP client for %s", c->base_url);
        free(c);
        return NULL;
    }
    pms_budget_config_t bc = {.redis = c->cfg.budget_redis,
                              .vendor = v->name,
                              .rate_per_second = c->cfg.rate_per_second,
                              .burst = c->cfg.rate_burst,
                              .checkout_wait_ms = c->cfg.checkout_wait_ms,
                              .background_wait_ms = c->cfg.background_wait_ms,
                              .clock = c->cfg.clock};
    if (!(c->budget = pms_budget_new(&bc)) ||
        (v->state_new && !(c->vendor_state = v->state_new()))) {
        snprintf(err, err_size, "out of memory");
        pms_budget_free(c->budget);
        http_client_free(c->http);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->requests =
        metrics_counter("pms_requests_total", "PMS vendor HTTP requests by method and outcome", 3,
                        "vendor", "method", "outcome");
    c->latency = metrics_histogram("pms_request_duration_seconds",
                                   "PMS vendor HTTP request latency", METRICS_LATENCY_BUCKETS_S,
                                   METRICS_LATENCY_BUCKET_COUNT, 2, "vendor", "method");
    c->hotel_errors = metrics_counter(
        "pms_hotel_errors_total",
        "PMS requests of a hotel that failed (transient, rate_limited, protocol, auth)", 3,
        "vendor", "hotel", "error");
    c->hotel_slow = metrics_counter("pms_hotel_slow_requests_total",
                                    "PMS requests of a hotel slower than " PMS_SLOW_REQUEST_TEXT, 2,
                                    "vendor", "hotel");
    return c;
}

void pms_connector_free(pms_connector_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < PMS_MAX_VENDORS; i++)
        pms_connector_free(c->subs[i]);
    for (hotel_state_t *h = c->hotels, *next; h; h = next) {
        next = h->next;
        breaker_free(h->breaker);
        ratelimit_free(h->limiter);
        free(h);
    }
    if (c->vendor->state_free)
        c->vendor->state_free(c->vendor_state);
    pms_budget_free(c->budget);
    http_client_free(c->http);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void *pms_vendor_state(const pms_connector_t *c)
{
    return c->vendor_state;
}

const char *pms_connector_vendor(const pms_connector_t *c)
{
    return c->vendor->name;
}

const pms_config_t *pms_connector_config(const pms_connector_t *c)
{
    return &c->cfg;
}

http_client_t *pms_connector_http(const pms_connector_t *c)
{
    return c->http;
}

int pms_connector_key(const pms_connector_t *c, const char *hotel_id, char *out, size_t size)
{
    return c->cfg.key_fn(c->cfg.key_ctx, c->vendor->name, hotel_id, out, size);
}

int pms_vendor_from_env(void *ctx, const char *hotel_id, char *out, size_t out_size)
{
    (void)ctx;
    char name[PMS_ID_MAX + 16];
    snprintf(name, sizeof name, "PMS_%s_VENDOR", hotel_id);
    const char *v = getenv(name);
    if (!v || !*v) {
        for (char *p = name + 4; *p && strcmp(p, "_VENDOR") != 0; p++)
            *p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
        v = getenv(name);
    }
    if (!v || !*v || strlen(v) >= out_size)
        return -1;
    snprintf(out, out_size, "%s", v);
    return 0;
}

/* The connector of vendor v behind c, made on first use with c's settings
 * and v's base URL from vendor_urls; NULL when it cannot be made (logged). */
static pms_connector_t *sub_connector(pms_connector_t *c, const pms_vendor_t *v)
{
    size_t slot = 0;
    while (VENDORS[slot] != v)
        slot++;
    pthread_mutex_lock(&c->mu);
    pms_connector_t *sub = c->subs[slot];
    if (!sub) {
        pms_config_t cfg = c->cfg;
        cfg.base_url = NULL;
        cfg.rate_per_second = 0; /* the vendor's own published limit */
        cfg.rate_burst = 0;
        for (size_t i = 0; i < PMS_MAX_VENDORS; i++)
            if (cfg.vendor_urls[i].vendor && strcmp(cfg.vendor_urls[i].vendor, v->name) == 0)
                cfg.base_url = cfg.vendor_urls[i].base_url;
        char err[256];
        sub = pms_connector_new(v->name, &cfg, err, sizeof err);
        if (sub) {
            sub->is_sub = true;
            c->subs[slot] = sub;
        } else {
            log_kv(LOG_LEVEL_ERROR, "cannot make the PMS connector", "vendor", v->name, "error",
                   err, NULL);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return sub;
}

/* The connector serving the hotel: this one, or the one of the hotel's
 * vendor (made on first use). A hotel whose vendor is unknown to this build
 * stays with this connector (logged). */
static pms_connector_t *route(pms_connector_t *c, const char *hotel_id)
{
    if (c->is_sub || !hotel_id)
        return c;
    char vendor[PMS_VENDOR_NAME_MAX];
    pms_vendor_fn fn = c->cfg.vendor_fn ? c->cfg.vendor_fn : pms_vendor_from_env;
    if (fn(c->cfg.vendor_ctx, hotel_id, vendor, sizeof vendor) != 0 ||
        strcmp(vendor, c->vendor->name) == 0)
        return c;
    const pms_vendor_t *v = find_vendor(vendor);
    if (!v) {
        log_kv(LOG_LEVEL_WARN, "hotel has an unknown PMS vendor", "hotel", hotel_id, "vendor",
               vendor, NULL);
        return c;
    }
    pms_connector_t *sub = sub_connector(c, v);
    return sub ? sub : c;
}

pms_connector_t *pms_connector_for_vendor(pms_connector_t *c, const char *vendor)
{
    const pms_vendor_t *v = find_vendor(vendor);
    if (!v)
        return NULL;
    if (v == c->vendor)
        return c;
    return c->is_sub ? NULL : sub_connector(c, v);
}

const char *pms_hotel_vendor(pms_connector_t *c, const char *hotel_id)
{
    return route(c, hotel_id)->vendor->name;
}

/* The hotel's breaker and limiter, created on first use; NULL on OOM. */
static hotel_state_t *hotel_state(pms_connector_t *c, const char *hotel_id, bool create)
{
    pthread_mutex_lock(&c->mu);
    hotel_state_t *h = c->hotels;
    while (h && strcmp(h->hotel_id, hotel_id) != 0)
        h = h->next;
    if (!h && create && (h = calloc(1, sizeof *h))) {
        snprintf(h->hotel_id, sizeof h->hotel_id, "%s", hotel_id);
        char name[128];
        snprintf(name, sizeof name, "pms:%s:%s", c->vendor->name, hotel_id);
        breaker_config_t bc = c->cfg.breaker;
        bc.name = name;
        h->breaker = breaker_new(&bc);
        h->limiter = ratelimit_new(c->cfg.rate_per_second, c->cfg.rate_burst, c->cfg.clock);
        if (!h->breaker || !h->limiter) {
            breaker_free(h->breaker);
            ratelimit_free(h->limiter);
            free(h);
            h = NULL;
        } else {
            h->next = c->hotels;
            c->hotels = h;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return h;
}

breaker_state_t pms_breaker_state(pms_connector_t *c, const char *hotel_id)
{
    c = route(c, hotel_id);
    hotel_state_t *h = hotel_id ? hotel_state(c, hotel_id, false) : NULL;
    return h ? breaker_state(h->breaker) : BREAKER_CLOSED;
}

/* Does this outcome mean the PMS is failing (as opposed to saying "no")? */
static bool counts_as_failure(pms_err_t e)
{
    return e == PMS_ERR_TRANSIENT || e == PMS_ERR_RATE_LIMITED || e == PMS_ERR_PROTOCOL;
}

typedef struct attempt_ctx {
    pms_connector_t *c;
    const pms_http_call_t *call;
    hotel_state_t *hotel;
    const char **headers;
    char (*header_buf)[PMS_HEADER_MAX];
    int fixed_headers; /* headers[] before the vendor's per-attempt ones */
    bool auth_retried; /* the vendor's token was dropped after a 401 once */
    bool auth_pending; /* ... and the request is to be made again with a fresh one */
    const char *body;
    size_t body_len;
    http_client_response_t *resp;
    pms_error_t *err;
    pms_err_t result;
} attempt_ctx_t;

/* Waits for the hotel's next budget slot. True when the request may go now;
 * false with a->result and err set (PMS_ERR_RATE_LIMITED, nothing sent). */
static bool take_budget_slot(attempt_ctx_t *a)
{
    pms_connector_t *c = a->c;
    pms_budget_request_t req = {.hotel_id = a->call->hotel_id,
                                .operation = a->call->op,
                                .priority = c->cfg.priority,
                                .local = a->hotel->limiter};
    pms_budget_grant_t grant;
    if (pms_budget_acquire(c->budget, &req, &grant))
        return true;
    a->result = pms_fail(
        a->err, PMS_ERR_RATE_LIMITED,
        "PMS request budget for hotel %s is spent: next slot in %lld ms "
        "(%s requests wait at most %lld ms; %.1f requests/s)",
        a->call->hotel_id, (long long)grant.wait_ms, pms_priority_name(c->cfg.priority),
        (long long)pms_budget_max_wait_ms(c->budget, c->cfg.priority), c->cfg.rate_per_second);
    a->err->retry_after_ms = grant.wait_ms > 0 ? grant.wait_ms : 1;
    metrics_counter_inc(c->requests, c->vendor->name, a->call->op, "budget_refused");
    return false;
}

static retry_outcome_t attempt(void *arg, int n, int64_t *retry_after_ms)
{
    attempt_ctx_t *a = arg;
    pms_connector_t *c = a->c;
    a->err->attempts = n + 1;
    a->err->retry_after_ms = 0;
    http_client_response_clear(a->resp);
    if (breaker_state(a->hotel->breaker) == BREAKER_OPEN) {
        a->result = pms_fail(a->err, PMS_ERR_UNAVAILABLE, "%s circuit is open for hotel %s",
                             c->vendor->name, a->call->hotel_id);
        return RETRY_FATAL;
    }
    if (!take_budget_slot(a))
        return RETRY_FATAL;
    if (!breaker_allow(a->hotel->breaker)) {
        a->result = pms_fail(a->err, PMS_ERR_UNAVAILABLE, "%s circuit is open for hotel %s",
                             c->vendor->name, a->call->hotel_id);
        return RETRY_FATAL;
    }
    if (c->vendor->request_headers) {
        int count = 0;
        pms_err_t he = c->vendor->request_headers(c, a->call, a->header_buf, &count, a->err);
        if (he != PMS_OK) {
            /* nothing was sent for the hotel: a failing token endpoint is the
             * vendor failing (retried), missing credentials are not */
            a->result = he;
            if (counts_as_failure(he))
                breaker_record_failure(a->hotel->breaker);
            else
                breaker_record_success(a->hotel->breaker);
            return he == PMS_ERR_TRANSIENT ? RETRY_RETRYABLE : RETRY_FATAL;
        }
        for (int i = 0; i < count; i++)
            a->headers[a->fixed_headers + i] = a->header_buf[i];
        a->headers[a->fixed_headers + count] = NULL;
    }
    http_client_err_t hr =
        http_client_request(c->http, a->call->method, a->call->path, a->call->query, a->headers,
                            a->body, a->body_len, a->resp);
    a->err->http_status = a->resp->status;
    if (hr != HTTP_CLIENT_OK) {
        a->result = pms_fail(a->err, PMS_ERR_TRANSIENT, "%s %s: %s", c->vendor->name, a->call->op,
                             http_client_err_name(hr));
    } else {
        a->err->message[0] = '\0';
        a->result = c->vendor->classify(a->resp, a->err);
        a->err->code = a->result;
    }
    metrics_histogram_observe(c->latency, a->resp->latency_ms / 1000.0, c->vendor->name,
                              a->call->op);
    metrics_counter_inc(c->requests, c->vendor->name, a->call->op, pms_err_name(a->result));
    if (counts_as_failure(a->result) || a->result == PMS_ERR_AUTH)
        metrics_counter_inc(c->hotel_errors, c->vendor->name, a->call->hotel_id,
                            pms_err_name(a->result));
    if (a->resp->latency_ms >= PMS_SLOW_REQUEST_MS)
        metrics_counter_inc(c->hotel_slow, c->vendor->name, a->call->hotel_id);
    if (counts_as_failure(a->result))
        breaker_record_failure(a->hotel->breaker);
    else
        breaker_record_success(a->hotel->breaker);
    if (a->result == PMS_OK)
        return RETRY_OK;
    if (a->result == PMS_ERR_AUTH && c->vendor->auth_rejected && !a->auth_retried) {
        /* a token revoked or expired early: once more with a fresh one (a
         * refused request was not acted on, a create included) */
        c->vendor->auth_rejected(c);
        a->auth_retried = true;
        a->auth_pending = true;
        return RETRY_FATAL;
    }
    bool surely_not_acted = a->result == PMS_ERR_RATE_LIMITED || hr == HTTP_CLIENT_ERR_CONNECT;
    if (a->call->not_idempotent && !surely_not_acted)
        return RETRY_FATAL;
    if (a->result == PMS_ERR_TRANSIENT || a->result == PMS_ERR_RATE_LIMITED) {
        if (a->resp->retry_after_ms > 0) {
            *retry_after_ms = a->resp->retry_after_ms;
            a->err->retry_after_ms = a->resp->retry_after_ms; /* kept if no retry is left */
        }
        return RETRY_RETRYABLE;
    }
    return RETRY_FATAL;
}

pms_err_t pms_http(pms_connector_t *c, const pms_http_call_t *call, http_client_response_t *resp,
                   pms_error_t *err)
{
    memset(resp, 0, sizeof *resp);
    hotel_state_t *hotel = hotel_state(c, call->hotel_id, true);
    if (!hotel)
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    char header_buf[PMS_MAX_HEADERS + 1][PMS_HEADER_MAX];
    const char *headers[2 * PMS_MAX_HEADERS + 2] = {0};
    int count = 0;
    if (!c->vendor->request_headers) {
        char key[512];
        if (c->cfg.key_fn(c->cfg.key_ctx, c->vendor->name, call->hotel_id, key, sizeof key) != 0 ||
            !*key)
            return pms_fail(err, PMS_ERR_AUTH, "no %s API key configured for hotel %s",
                            c->vendor->name, call->hotel_id);
        c->vendor->auth_headers(key, call->hotel_id, header_buf, &count);
        crypto_wipe(key, sizeof key);
        for (int i = 0; i < count; i++)
            headers[i] = header_buf[i];
    }
    char *body = NULL;
    if (call->form) {
        body = http_client_form_encode(call->form);
        if (!body)
            return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
        headers[count++] = "Content-Type: application/x-www-form-urlencoded";
    } else if (call->json) {
        headers[count++] = "Content-Type: application/json; charset=utf-8";
    }
    attempt_ctx_t a = {.c = c,
                       .call = call,
                       .hotel = hotel,
                       .headers = headers,
                       .header_buf = header_buf,
                       .fixed_headers = count,
                       .body = body ? body : call->json,
                       .body_len = body ? strlen(body) : call->json ? strlen(call->json) : 0,
                       .resp = resp,
                       .err = err,
                       .result = PMS_ERR_TRANSIENT};
    retry_policy_t policy = c->cfg.retry;
    if (policy.max_retries < 0)
        policy.max_retries = 0;
    retry_run(&policy, attempt, &a);
    if (a.auth_pending) { /* outside the retry budget: it was a stale token, not a failure */
        a.auth_pending = false;
        retry_run(&policy, attempt, &a);
    }
    free(body);
    crypto_wipe(header_buf, sizeof header_buf);
    if (a.result != PMS_OK) {
        http_client_response_clear(resp);
        log_kv(LOG_LEVEL_WARN, "pms call failed", "vendor", c->vendor->name, "method", call->op,
               "hotel", call->hotel_id, "error", pms_err_name(a.result), "detail", err->message,
               NULL);
    }
    return a.result;
}

/* --- argument checks shared by every vendor --- */

static bool id_ok(const char *id)
{
    if (!id || !*id || strlen(id) >= PMS_ID_MAX)
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return false;
    return true;
}

static pms_err_t start(pms_error_t *err)
{
    memset(err, 0, sizeof *err);
    return PMS_OK;
}

#define CHECK_ID(err, name, value)                                                                 \
    do {                                                                                           \
        if (!id_ok(value))                                                                         \
            return pms_fail(err, PMS_ERR_INVALID,                                                  \
                            name " must be 1-%d characters of letters, digits, '_', '-' or '.'",   \
                            PMS_ID_MAX - 1);                                                       \
    } while (0)

pms_err_t pms_get_hotel(pms_connector_t *c, const char *hotel_id, pms_hotel_t *out,
                        pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    return c->vendor->get_hotel(c, hotel_id, out, err);
}

pms_err_t pms_get_room_types(pms_connector_t *c, const char *hotel_id, pms_room_types_t *out,
                             pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    return c->vendor->get_room_types(c, hotel_id, out, err);
}

static pms_err_t get_nights(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t first_night, int nights, bool inventory, pms_nights_t *out,
                            pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    CHECK_ID(err, "roomTypeId", room_type_id);
    if (nights < 1 || nights > PMS_MAX_NIGHTS)
        return pms_fail(err, PMS_ERR_INVALID, "nights must be between 1 and %d", PMS_MAX_NIGHTS);
    pms_err_t e =
        c->vendor->get_nights(c, hotel_id, room_type_id, first_night, nights, inventory, out, err);
    if (e != PMS_OK)
        pms_nights_free(out);
    return e;
}

pms_err_t pms_get_inventory(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                            dates_day_t first_night, int nights, pms_nights_t *out,
                            pms_error_t *err)
{
    return get_nights(c, hotel_id, room_type_id, first_night, nights, true, out, err);
}

pms_err_t pms_get_rates(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                        dates_day_t first_night, int nights, pms_nights_t *out, pms_error_t *err)
{
    return get_nights(c, hotel_id, room_type_id, first_night, nights, false, out, err);
}

void pms_rate_plans_free(pms_rate_plans_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        free(p->items[i].nights);
    free(p->items);
    p->items = NULL;
    p->count = 0;
}

const pms_rate_plan_t *pms_rate_plan_find(const pms_rate_plans_t *p, const char *id)
{
    for (size_t i = 0; p && i < p->count; i++)
        if ((!id || !*id) ? p->items[i].is_base : strcmp(p->items[i].id, id) == 0)
            return &p->items[i];
    return NULL;
}

/* A vendor without plans: its nightly rates as the one base plan. */
static pms_err_t rates_as_base_plan(pms_connector_t *c, const char *hotel_id,
                                    const char *room_type_id, dates_day_t first, int nights,
                                    pms_rate_plans_t *out, pms_error_t *err)
{
    pms_nights_t n = {0};
    pms_err_t e = c->vendor->get_nights(c, hotel_id, room_type_id, first, nights, false, &n, err);
    if (e != PMS_OK) {
        pms_nights_free(&n);
        return e;
    }
    out->items = calloc(1, sizeof *out->items);
    pms_plan_night_t *pn = calloc((size_t)nights, sizeof *pn);
    if (!out->items || !pn) {
        free(pn);
        pms_nights_free(&n);
        return pms_fail(err, PMS_ERR_TRANSIENT, "out of memory");
    }
    out->count = 1;
    out->items[0].is_base = true;
    out->items[0].nights = pn;
    snprintf(out->items[0].id, sizeof out->items[0].id, "base");
    snprintf(out->items[0].name, sizeof out->items[0].name, "Base rate");
    memcpy(out->currency, n.currency, sizeof out->currency);
    for (size_t i = 0; i < n.count; i++)
        if (n.items[i].date >= first && n.items[i].date < first + nights) {
            pn[n.items[i].date - first].rate = n.items[i].rate;
            pn[n.items[i].date - first].taxes = n.items[i].taxes;
        }
    pms_nights_free(&n);
    return PMS_OK;
}

pms_err_t pms_get_rate_plans(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                             dates_day_t first_night, int nights, pms_rate_plans_t *out,
                             pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    CHECK_ID(err, "roomTypeId", room_type_id);
    if (nights < 1 || nights > PMS_MAX_NIGHTS)
        return pms_fail(err, PMS_ERR_INVALID, "nights must be between 1 and %d", PMS_MAX_NIGHTS);
    out->first = first_night;
    out->nights = nights;
    pms_err_t e = c->vendor->get_rate_plans
                      ? c->vendor->get_rate_plans(c, hotel_id, room_type_id, first_night, nights,
                                                  out, err)
                      : rates_as_base_plan(c, hotel_id, room_type_id, first_night, nights, out,
                                           err);
    if (e != PMS_OK)
        pms_rate_plans_free(out);
    return e;
}

pms_err_t pms_create_hold(pms_connector_t *c, const pms_hold_request_t *req, pms_hold_t *out,
                          pms_error_t *err)
{
    start(err);
    c = route(c, req->hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", req->hotel_id);
    CHECK_ID(err, "roomTypeId", req->room_type_id);
    if (req->rate_plan_id && *req->rate_plan_id)
        CHECK_ID(err, "ratePlanId", req->rate_plan_id);
    if (req->check_out <= req->check_in || req->check_out - req->check_in > 30)
        return pms_fail(err, PMS_ERR_INVALID, "a stay must be 1 to 30 nights");
    if (req->rooms < 0 || req->rooms > 10 || req->adults < 1 || req->adults > 20 ||
        req->children < 0 || req->children > 20)
        return pms_fail(err, PMS_ERR_INVALID, "rooms must be 1-10, adults 1-20 and children 0-20");
    if (!req->guest.first_name || !*req->guest.first_name || !req->guest.last_name ||
        !*req->guest.last_name || !req->guest.email || !*req->guest.email)
        return pms_fail(err, PMS_ERR_INVALID,
                        "the guest's first name, last name and email are "
                        "required");
    if (req->ttl_seconds < 0 || req->ttl_seconds > 24 * 3600)
        return pms_fail(err, PMS_ERR_INVALID, "ttl_seconds must be between 1 and 86400");
    return c->vendor->create_hold(c, req, out, err);
}

pms_err_t pms_check_stay_plan(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                              dates_day_t check_in, dates_day_t check_out, int rooms, int adults,
                              int children, const char *rate_plan_id, pms_stay_check_t *out,
                              pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    out->total = out->first_night = PMS_TOTAL_UNKNOWN;
    CHECK_ID(err, "hotelId", hotel_id);
    CHECK_ID(err, "roomTypeId", room_type_id);
    if (rate_plan_id && *rate_plan_id)
        CHECK_ID(err, "ratePlanId", rate_plan_id);
    if (check_out <= check_in || check_out - check_in > 30)
        return pms_fail(err, PMS_ERR_INVALID, "a stay must be 1 to 30 nights");
    if (rooms < 1 || rooms > 10 || adults < 1 || adults > 20 || children < 0 || children > 20)
        return pms_fail(err, PMS_ERR_INVALID, "rooms must be 1-10, adults 1-20 and children 0-20");
    if (!c->vendor->check_stay)
        return pms_fail(err, PMS_ERR_REJECTED, "%s has no stay check", c->vendor->name);
    return c->vendor->check_stay(c, hotel_id, room_type_id, check_in, check_out, rooms, adults,
                                 children, rate_plan_id && *rate_plan_id ? rate_plan_id : NULL, out,
                                 err);
}

pms_err_t pms_check_setup(pms_connector_t *c, const char *hotel_id, pms_setup_checks_t *out,
                          pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    if (c->vendor->check_setup)
        c->vendor->check_setup(c, hotel_id, out);
    return PMS_OK;
}

const char *pms_setup_state_name(pms_setup_state_t state)
{
    switch (state) {
    case PMS_SETUP_OK:
        return "ok";
    case PMS_SETUP_MISSING:
        return "missing";
    default:
        return "unknown";
    }
}

pms_err_t pms_check_stay(pms_connector_t *c, const char *hotel_id, const char *room_type_id,
                         dates_day_t check_in, dates_day_t check_out, int rooms, int adults,
                         int children, bool *bookable, int64_t *total, char currency[4],
                         pms_error_t *err)
{
    pms_stay_check_t s;
    pms_err_t e = pms_check_stay_plan(c, hotel_id, room_type_id, check_in, check_out, rooms, adults,
                                      children, NULL, &s, err);
    *bookable = e == PMS_OK && s.bookable;
    *total = s.total;
    memcpy(currency, s.currency, 4);
    return e;
}

pms_err_t pms_release_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                           pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    CHECK_ID(err, "hotelId", hotel_id);
    CHECK_ID(err, "holdId", hold_id);
    return c->vendor->release_hold(c, hotel_id, hold_id, err);
}

pms_err_t pms_confirm_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                           pms_reservation_t *out, pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    CHECK_ID(err, "holdId", hold_id);
    return c->vendor->confirm_hold(c, hotel_id, hold_id, out, err);
}

pms_err_t pms_confirm_own_hold(pms_connector_t *c, const char *hotel_id, const char *hold_id,
                               int64_t expires_at_ms, pms_reservation_t *out, pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    CHECK_ID(err, "holdId", hold_id);
    if (!c->vendor->confirm_own_hold)
        return c->vendor->confirm_hold(c, hotel_id, hold_id, out, err);
    return c->vendor->confirm_own_hold(c, hotel_id, hold_id, expires_at_ms, out, err);
}

pms_err_t pms_cancel_reservation(pms_connector_t *c, const char *hotel_id,
                                 const char *reservation_id, pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    CHECK_ID(err, "hotelId", hotel_id);
    CHECK_ID(err, "reservationId", reservation_id);
    return c->vendor->cancel_reservation(c, hotel_id, reservation_id, err);
}

pms_err_t pms_get_reservation(pms_connector_t *c, const char *hotel_id, const char *reservation_id,
                              pms_reservation_t *out, pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    CHECK_ID(err, "reservationId", reservation_id);
    return c->vendor->get_reservation(c, hotel_id, reservation_id, out, err);
}

pms_err_t pms_find_reservation(pms_connector_t *c, const char *hotel_id, const char *reference,
                               dates_day_t check_in, pms_reservation_t *out, pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    if (!reference || !*reference || strlen(reference) >= sizeof out->reference)
        return pms_fail(err, PMS_ERR_INVALID, "reference must be 1-%zu characters",
                        sizeof out->reference - 1);
    return c->vendor->find_reservation(c, hotel_id, reference, check_in, out, err);
}

pms_err_t pms_list_reservations(pms_connector_t *c, const char *hotel_id, dates_day_t check_in_from,
                                dates_day_t check_in_to, pms_reservation_list_t *out,
                                pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    if (check_in_to < check_in_from)
        return pms_fail(err, PMS_ERR_INVALID, "the check-in range ends before it starts");
    if (!c->vendor->list_reservations)
        return pms_fail(err, PMS_ERR_REJECTED, "%s cannot list reservations", c->vendor->name);
    pms_err_t e = c->vendor->list_reservations(c, hotel_id, check_in_from, check_in_to, out, err);
    if (e != PMS_OK)
        pms_reservation_list_free(out);
    return e;
}

pms_err_t pms_take_booking_events(pms_connector_t *c, const char *hotel_id,
                                  pms_booking_events_t *out, pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    if (!c->vendor->take_booking_events)
        return pms_fail(err, PMS_ERR_REJECTED, "%s has no reservation change feed to read",
                        c->vendor->name);
    return c->vendor->take_booking_events(c, hotel_id, out, err);
}

pms_err_t pms_subscribe_webhooks(pms_connector_t *c, const char *hotel_id, const char *endpoint_url,
                                 pms_subscriptions_t *out, pms_error_t *err)
{
    start(err);
    c = route(c, hotel_id);
    memset(out, 0, sizeof *out);
    CHECK_ID(err, "hotelId", hotel_id);
    if (!endpoint_url ||
        (strncmp(endpoint_url, "https://", 8) != 0 && strncmp(endpoint_url, "http://", 7) != 0) ||
        strlen(endpoint_url) > 1024)
        return pms_fail(err, PMS_ERR_INVALID, "endpoint_url must be an http(s) URL");
    return c->vendor->subscribe_webhooks(c, hotel_id, endpoint_url, out, err);
}

/* --- results and names --- */

void pms_room_types_free(pms_room_types_t *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->count; i++) {
        for (size_t j = 0; j < rt->items[i].photo_count; j++)
            free(rt->items[i].photos[j]);
        free(rt->items[i].photos);
    }
    free(rt->items);
    memset(rt, 0, sizeof *rt);
}

void pms_reservation_list_free(pms_reservation_list_t *list)
{
    if (!list)
        return;
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

void pms_nights_free(pms_nights_t *n)
{
    if (!n)
        return;
    free(n->items);
    memset(n, 0, sizeof *n);
}

const char *pms_err_name(pms_err_t e)
{
    switch (e) {
    case PMS_OK:
        return "ok";
    case PMS_ERR_NOT_FOUND:
        return "not_found";
    case PMS_ERR_NO_AVAILABILITY:
        return "no_availability";
    case PMS_ERR_CONFLICT:
        return "conflict";
    case PMS_ERR_REJECTED:
        return "rejected";
    case PMS_ERR_AUTH:
        return "auth";
    case PMS_ERR_RATE_LIMITED:
        return "rate_limited";
    case PMS_ERR_UNAVAILABLE:
        return "unavailable";
    case PMS_ERR_TRANSIENT:
        return "transient";
    case PMS_ERR_PROTOCOL:
        return "protocol";
    case PMS_ERR_INVALID:
        return "invalid";
    }
    return "unknown";
}

bool pms_err_retryable(pms_err_t e)
{
    return e == PMS_ERR_RATE_LIMITED || e == PMS_ERR_UNAVAILABLE || e == PMS_ERR_TRANSIENT;
}

const char *pms_res_status_name(pms_res_status_t s)
{
    switch (s) {
    case PMS_RES_HOLD:
        return "hold";
    case PMS_RES_CONFIRMED:
        return "confirmed";
    case PMS_RES_CANCELLED:
        return "cancelled";
    case PMS_RES_UNKNOWN:
        break;
    }
    return "unknown";
}

int pms_key_from_env(void *ctx, const char *vendor, const char *hotel_id, char *out,
                     size_t out_size)
{
    (void)ctx;
    (void)vendor;
    char name[PMS_ID_MAX + 16];
    snprintf(name, sizeof name, "PMS_%s_API_KEY", hotel_id);
    const char *v = getenv(name);
    if (!v || !*v) {
        char *p = name + 4;
        for (; *p && strcmp(p, "_API_KEY") != 0; p++)
            *p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
        v = getenv(name);
    }
    if (!v || !*v || strlen(v) >= out_size)
        return -1;
    snprintf(out, out_size, "%s", v);
    return 0;
}

static const char *const TAX_BASIS_NAMES[] = {
    [PMS_TAX_PER_NIGHT] = "night",
    [PMS_TAX_PER_PERSON_NIGHT] = "person_night",
    [PMS_TAX_PER_ROOM_STAY] = "room_stay",
    [PMS_TAX_PER_STAY] = "stay",
};

const char *pms_tax_basis_name(pms_tax_basis_t b)
{
    return (unsigned)b < sizeof TAX_BASIS_NAMES / sizeof *TAX_BASIS_NAMES ? TAX_BASIS_NAMES[b]
                                                                          : "night";
}

int pms_tax_basis_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof TAX_BASIS_NAMES / sizeof *TAX_BASIS_NAMES; i++)
        if (strcmp(name, TAX_BASIS_NAMES[i]) == 0)
            return (int)i;
    return -1;
}
