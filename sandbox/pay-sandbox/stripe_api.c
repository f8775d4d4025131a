/*
 * stripe_api.c — the pay-sandbox's request pipeline and routes (see
 * stripe_api.h): faults → API key → form → idempotency → operation →
 * answer (saved for replay when the operation executed) → log line.
 */
#include "stripe_api.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/json.h"
#include "common/log.h"
#include "idempotency.h"
#include "pay_store.h"
#include "sandbox_faults.h"
#include "sandbox_form.h"
#include "stripe_ops.h"

#define JSON_TYPE "application/json"
#define MASK_KEEP_PREFIX 8 /* "sk_test_" */
#define MASK_KEEP_SUFFIX 4
#define MASK_MIN_LEN 16
#define FINGERPRINT_HEAD_MAX 300
#define REQUEST_ID_PREFIX "req_"

typedef void (*op_fn)(const op_request_t *rq, answer_t *ans);

/* One Stripe endpoint: its operation name (for faults, stats and logs). */
typedef struct endpoint {
    const char *method;
    const char *pattern;
    const char *op;
    op_fn fn;
} endpoint_t;

static const endpoint_t ENDPOINTS[] = {
    {"POST", "/v1/payment_intents", "payment_intents.create", op_create_payment_intent},
    {"GET", "/v1/payment_intents/:id", "payment_intents.retrieve", op_retrieve_payment_intent},
    {"POST", "/v1/payment_intents/:id/capture", "payment_intents.capture",
     op_capture_payment_intent},
    {"POST", "/v1/payment_intents/:id/cancel", "payment_intents.cancel", op_cancel_payment_intent},
    {"POST", "/v1/refunds", "refunds.create", op_create_refund},
    {"GET", "/v1/refunds/:id", "refunds.retrieve", op_retrieve_refund},
};
#define ENDPOINT_COUNT (sizeof ENDPOINTS / sizeof ENDPOINTS[0])

/* A route's context: the API and which endpoint. */
typedef struct route_ctx {
    struct stripe_api *api;
    const endpoint_t *endpoint;
    int index;
} route_ctx_t;

struct stripe_api {
    char *api_key;
    pay_store_t *store;
    idem_store_t *idem;
    sandbox_faults_t *faults;
    route_ctx_t routes[ENDPOINT_COUNT];
    pthread_mutex_t stats_mu; /* guards the counters below */
    long requests[ENDPOINT_COUNT];
    long replays;
};

/* ----------------------------------------------------------- lifecycle -- */

stripe_api_t *stripe_api_new(const stripe_api_config_t *cfg)
{
    stripe_api_t *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    pthread_mutex_init(&api->stats_mu, NULL);
    api->api_key = strdup(cfg->api_key ? cfg->api_key : PAY_SANDBOX_DEFAULT_API_KEY);
    api->store = pay_store_new(cfg->auth_ttl_s);
    api->idem = idem_store_new(cfg->idempotency_ttl_s);
    api->faults = sandbox_faults_new();
    if (!api->api_key || !api->store || !api->idem || !api->faults) {
        stripe_api_free(api);
        return NULL;
    }
    for (size_t i = 0; i < ENDPOINT_COUNT; i++)
        api->routes[i] = (route_ctx_t){api, &ENDPOINTS[i], (int)i};
    return api;
}

void stripe_api_free(stripe_api_t *api)
{
    if (!api)
        return;
    if (api->api_key)
        crypto_wipe(api->api_key, strlen(api->api_key));
    free(api->api_key);
    pay_store_free(api->store);
    idem_store_free(api->idem);
    sandbox_faults_free(api->faults);
    pthread_mutex_destroy(&api->stats_mu);
    free(api);
}

/* ------------------------------------------------------------ answering -- */

/* Sends a serialised body with the headers every Stripe answer carries. */
static int send_text(http_request_t *req, int status, const char *text, size_t len)
{
    char request_id[96];
    snprintf(request_id, sizeof request_id, REQUEST_ID_PREFIX "%s", http_request_id(req));
    http_response_header(req, "Request-Id", request_id);
    const char *key = http_request_header(req, "Idempotency-Key");
    if (key && strlen(key) <= IDEM_KEY_MAX_LEN && strcmp(http_request_method(req), "POST") == 0)
        http_response_header(req, "Idempotency-Key", key);
    return http_respond(req, status, JSON_TYPE, text, len);
}

static int send_json(http_request_t *req, int status, json_object *o)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        &len);
    return send_text(req, status, text, len);
}

static int send_error(http_request_t *req, int status, const stripe_error_spec_t *e)
{
    char request_id[96];
    snprintf(request_id, sizeof request_id, REQUEST_ID_PREFIX "%s", http_request_id(req));
    json_object *o = stripe_json_error(e, request_id, NULL);
    int rc = send_json(req, status, o);
    json_object_put(o);
    return rc;
}

/* The vendor error for an injected fault (sandbox_faults.h). */
static void fault_error(http_request_t *req, int status, const char *message, long retry_after_s,
                        void *ctx)
{
    (void)retry_after_s;
    (void)ctx;
    stripe_error_spec_t e = {.type = "api_error", .message = message};
    if (status == 429) {
        e.type = "invalid_request_error";
        e.code = "rate_limit";
        e.message = "Request rate limit exceeded. Learn more about rate limits here "
                    "https://stripe.com/docs/rate-limits.";
    } else if (status == 402) {
        e.type = "card_error";
        e.code = "card_declined";
        e.decline_code = "generic_decline";
        e.message = "Your card was declined.";
    } else if (status == 409) {
        e.type = "idempotency_error";
        e.code = "idempotency_key_in_use";
    } else if (status < 500) {
        e.type = "invalid_request_error";
    }
    send_error(req, status, &e);
}

static void log_request(const char *op, int status, const char *outcome, const char *object_id,
                        bool replayed)
{
    char status_text[16];
    snprintf(status_text, sizeof status_text, "%d", status);
    log_kv(LOG_LEVEL_INFO, "stripe request", "op", op, "status", status_text, "outcome", outcome,
           "object", object_id && object_id[0] ? object_id : NULL, "replayed",
           replayed ? "true" : "false", NULL);
}

/* ----------------------------------------------------------------- auth -- */

/* "sk_test_****************1234": enough to recognise, not to use. */
static void mask_key(const char *key, char *out, size_t size)
{
    size_t n = strlen(key), o = 0;
    for (size_t i = 0; i < n && o + 1 < size; i++) {
        bool keep = n >= MASK_MIN_LEN && (i < MASK_KEEP_PREFIX || i >= n - MASK_KEEP_SUFFIX);
        out[o++] = keep ? key[i] : '*';
    }
    out[o] = '\0';
}

/* The key from "Bearer <key>" or "Basic base64(<key>:)"; malloc'd or NULL. */
static char *presented_key(const char *header)
{
    if (!header)
        return NULL;
    if (strncasecmp(header, "Bearer ", 7) == 0)
        return strdup(header + 7);
    if (strncasecmp(header, "Basic ", 6) != 0)
        return NULL;
    size_t len = 0;
    uint8_t *raw = crypto_base64_decode(header + 6, &len);
    if (!raw)
        return NULL;
    char *key = calloc(1, len + 1);
    if (key) {
        memcpy(key, raw, len);
        char *colon = strchr(key, ':');
        if (colon)
            *colon = '\0';
    }
    crypto_wipe(raw, len);
    free(raw);
    return key;
}

/* True when the request carries the sandbox's key; otherwise answers 401. */
static bool authorized(stripe_api_t *api, http_request_t *req)
{
    char *key = presented_key(http_request_header(req, "Authorization"));
    bool ok =
        key && crypto_equal_constant_time(key, strlen(key), api->api_key, strlen(api->api_key));
    if (ok) {
        crypto_wipe(key, strlen(key));
        free(key);
        return true;
    }
    char message[320], masked[128];
    stripe_error_spec_t e = {.type = "invalid_request_error", .message = message};
    if (!key || !key[0]) {
        snprintf(message, sizeof message,
                 "You did not provide an API key. You need to provide your API key in the "
                 "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                 "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.");
    } else {
        mask_key(key, masked, sizeof masked);
        snprintf(message, sizeof message, "Invalid API Key provided: %s", masked);
    }
    if (key) {
        crypto_wipe(key, strlen(key));
        free(key);
    }
    http_response_header(req, "WWW-Authenticate", "Basic realm=\"Stripe\"");
    send_error(req, 401, &e);
    return false;
}

/* ------------------------------------------------------------- pipeline -- */

/* Counts a request reaching an endpoint, or (replay) one answered from the
 * idempotency table. */
static void count_request(stripe_api_t *api, int index, bool replay)
{
    pthread_mutex_lock(&api->stats_mu);
    if (replay)
        api->replays++;
    else
        api->requests[index]++;
    pthread_mutex_unlock(&api->stats_mu);
}

/* "POST /v1/refunds\n<sorted params>": what a reused key must match. */
static char *fingerprint(http_request_t *req, const sandbox_form_t *form)
{
    char *params = sandbox_form_canonical(form);
    if (!params)
        return NULL;
    size_t n = strlen(params) + FINGERPRINT_HEAD_MAX;
    char *fp = malloc(n);
    if (fp)
        snprintf(fp, n, "%s %.256s\n%s", http_request_method(req), http_request_path(req), params);
    free(params);
    return fp;
}

/* Answers from the idempotency table when it can. Returns true when the
 * request was answered; false with *reserved set when it should run. */
static bool idempotency_gate(stripe_api_t *api, http_request_t *req, const route_ctx_t *rc,
                             const char *key, const sandbox_form_t *form, bool *reserved)
{
    *reserved = false;
    char message[512];
    stripe_error_spec_t e = {.type = "idempotency_error", .message = message};
    if (strlen(key) > IDEM_KEY_MAX_LEN) {
        e.type = "invalid_request_error";
        snprintf(message, sizeof message, "Idempotency-Key must be at most %d characters.",
                 IDEM_KEY_MAX_LEN);
        send_error(req, 400, &e);
        return true;
    }
    char *fp = fingerprint(req, form);
    idem_result_t stored;
    idem_outcome_t outcome = fp ? idem_begin(api->idem, key, fp, &stored) : IDEM_ERROR;
    free(fp);
    switch (outcome) {
    case IDEM_NEW:
        *reserved = true;
        return false;
    case IDEM_REPLAY:
        count_request(api, rc->index, true);
        http_response_header(req, "Idempotent-Replayed", "true");
        send_text(req, stored.status, stored.body, stored.body_len);
        log_request(rc->endpoint->op, stored.status, "replayed", NULL, true);
        idem_result_clear(&stored);
        return true;
    case IDEM_MISMATCH:
        snprintf(message, sizeof message,
                 "Keys for idempotent requests can only be used with the same parameters they "
                 "were first used with. Try using a key other than '%.255s' if you meant to "
                 "execute a different request.",
                 key);
        send_error(req, 400, &e);
        return true;
    case IDEM_IN_FLIGHT:
        e.code = "idempotency_key_in_use";
        snprintf(message, sizeof message,
                 "There is currently another in-progress request using this Idempotent Key (that "
                 "probably means you submitted twice, and the other request is still going "
                 "through): '%.255s'. Please try again later.",
                 key);
        send_error(req, 409, &e);
        return true;
    default:
        e.type = "api_error";
        snprintf(message, sizeof message, "out of memory");
        send_error(req, 500, &e);
        return true;
    }
}

/* The query string: expand in both of Stripe's spellings (expand[]=x, and
 * expand[0]=x as its own libraries send it); any other parameter is unknown. */
typedef struct query_scan {
    const char *expand;
    char bad[80];
} query_scan_t;

static bool is_expand(const char *name)
{
    if (strncmp(name, "expand[", 7) != 0)
        return false;
    const char *p = name + 7;
    while (*p >= '0' && *p <= '9')
        p++;
    return p[0] == ']' && p[1] == '\0';
}

static int scan_query(void *ctx, const char *name, const char *value)
{
    query_scan_t *q = ctx;
    if (is_expand(name)) {
        if (!q->expand && value)
            q->expand = value;
        return 0;
    }
    snprintf(q->bad, sizeof q->bad, "%s", name);
    return 1;
}

/* Every Stripe endpoint: the pipeline of stripe_api.h. */
static int handle_endpoint(http_request_t *req, void *ctx)
{
    const route_ctx_t *rc = ctx;
    stripe_api_t *api = rc->api;
    const char *op = rc->endpoint->op;
    count_request(api, rc->index, false);
    if (!authorized(api, req))
        return 0;
    bool post = strcmp(rc->endpoint->method, "POST") == 0;
    query_scan_t query = {0};
    http_request_query_each(req, scan_query, &query);
    if (query.bad[0]) {
        char message[160];
        snprintf(message, sizeof message, "Received unknown parameter: %.64s", query.bad);
        stripe_error_spec_t e = {.type = "invalid_request_error",
                                 .code = "parameter_unknown",
                                 .param = query.bad,
                                 .message = message};
        return send_error(req, 400, &e);
    }
    sandbox_form_t *form = NULL; /* NULL, read as empty, for a GET */
    char why[160];
    size_t len = 0;
    const char *body = http_request_body(req, &len);
    if (post && !(form = sandbox_form_parse(body, len, why, sizeof why))) {
        stripe_error_spec_t e = {.type = "invalid_request_error", .message = why};
        return send_error(req, 400, &e);
    }
    const char *key = post ? http_request_header(req, "Idempotency-Key") : NULL;
    bool reserved = false;
    if (key && idempotency_gate(api, req, rc, key, form, &reserved)) {
        sandbox_form_free(form);
        return 0;
    }
    /* Faults act while the key is reserved, as a slow gateway would: a
     * retry of a hanging request meets 409 until the first one finishes.
     * An injected error means the endpoint never ran: nothing is saved. */
    if (sandbox_faults_apply(api->faults, req, op, fault_error, api)) {
        if (reserved)
            idem_abandon(api->idem, key);
        sandbox_form_free(form);
        return 0;
    }
    char request_id[96];
    snprintf(request_id, sizeof request_id, REQUEST_ID_PREFIX "%s", http_request_id(req));
    op_request_t rq = {.store = api->store,
                       .request_id = request_id,
                       .path_id = http_request_param(req, "id"),
                       .form = form,
                       .expand = post ? NULL : query.expand};
    answer_t ans = {0};
    rc->endpoint->fn(&rq, &ans);
    size_t text_len = 0;
    const char *text = json_object_to_json_string_length(
        ans.body,
        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        &text_len);
    if (reserved && ans.saveable)
        idem_finish(api->idem, key, ans.status, text, text_len);
    else if (reserved)
        idem_abandon(api->idem, key);
    int result = send_text(req, ans.status, text, text_len);
    log_request(op, ans.status, ans.outcome, ans.object_id, false);
    answer_clear(&ans);
    sandbox_form_free(form);
    return result;
}

/* Any other /v1 path, whatever the method: Stripe's 404. */
static int handle_unrecognized(http_request_t *req, void *ctx)
{
    (void)ctx;
    char message[384];
    snprintf(message, sizeof message,
             "Unrecognized request URL (%.8s: %.200s). Please see https://stripe.com/docs or we "
             "can help at https://support.stripe.com/.",
             http_request_method(req), http_request_path(req));
    stripe_error_spec_t e = {.type = "invalid_request_error", .message = message};
    return send_error(req, 404, &e);
}

/* ---------------------------------------------------------- control API -- */

static int handle_reset(http_request_t *req, void *ctx)
{
    stripe_api_t *api = ctx;
    pay_store_reset(api->store);
    idem_clear(api->idem);
    sandbox_faults_clear(api->faults);
    pthread_mutex_lock(&api->stats_mu);
    memset(api->requests, 0, sizeof api->requests);
    api->replays = 0;
    pthread_mutex_unlock(&api->stats_mu);
    log_info("sandbox reset");
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reset", json_object_new_boolean(1));
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

static int handle_ledger(http_request_t *req, void *ctx)
{
    stripe_api_t *api = ctx;
    json_object *o = pay_store_ledger(api->store);
    json_object *requests = json_object_new_object();
    pthread_mutex_lock(&api->stats_mu);
    for (size_t i = 0; i < ENDPOINT_COUNT; i++)
        json_object_object_add(requests, ENDPOINTS[i].op, json_object_new_int64(api->requests[i]));
    long replays = api->replays;
    pthread_mutex_unlock(&api->stats_mu);
    json_object *stats = json_object_new_object();
    json_object_object_add(stats, "requests", requests);
    json_object_object_add(stats, "idempotentReplays", json_object_new_int64(replays));
    json_object_object_add(stats, "idempotencyKeys",
                           json_object_new_int64((int64_t)idem_count(api->idem)));
    json_object_object_add(o, "stats", stats);
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

int stripe_api_routes(stripe_api_t *api, http_server_t *srv)
{
    static const char *const catch_all[] = {"/v1/:a", "/v1/:a/:b", "/v1/:a/:b/:c",
                                            "/v1/:a/:b/:c/:d"};
    static const char *const methods[] = {"GET", "POST", "DELETE"};
    int rc = 0;
    for (size_t i = 0; i < ENDPOINT_COUNT; i++)
        rc |= http_server_route(srv, ENDPOINTS[i].method, ENDPOINTS[i].pattern, AUTH_RULE_OPEN,
                                handle_endpoint,
                                &api->routes[i]);
    rc |= sandbox_faults_routes(api->faults, srv);
    rc |= http_server_route(srv, "POST", "/_sandbox/reset", AUTH_RULE_OPEN, handle_reset, api);
    rc |= http_server_route(srv, "GET", "/_sandbox/ledger", AUTH_RULE_OPEN, handle_ledger, api);
    /* Registered last: the router takes the first route that matches. */
    for (size_t p = 0; p < sizeof catch_all / sizeof catch_all[0]; p++)
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
            rc |= http_server_route(srv, methods[m], catch_all[p], AUTH_RULE_OPEN,
                                    handle_unrecognized, NULL);
    return rc ? -1 : 0;
}
