/*
 * sandbox_faults.c — the fault table behind every sandbox's /_sandbox/faults
 * (see sandbox_faults.h).
 *
 * A fault is a row keyed by operation name. sandbox_faults_apply() picks the
 * row for the exact op (else the "*" row), counts it down under the lock, and
 * then — outside the lock, so a slow request never blocks the others —
 * sleeps and answers with the vendor's error function when the fault has a
 * status.
 */
#include "sandbox_faults.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"

#define WILDCARD_OP "*"
#define DOWN_STATUS 503
#define DOWN_MESSAGE "the service is down for maintenance (sandbox fault)"
#define STATUS_MIN 400
#define STATUS_MAX 599

typedef struct fault {
    char op[SANDBOX_FAULT_OP_MAX_LEN + 1];
    int latency_ms;
    int status;         /* 0: answer normally */
    long retry_after_s; /* 0: no Retry-After header */
    int hang_ms;
    long remaining; /* requests still affected; -1: until cleared */
    long hits;      /* requests this fault affected so far */
    bool after;     /* afterCommit: acts once the operation has executed */
    bool drop;      /* afterCommit only: the connection is closed unanswered */
} fault_t;

struct sandbox_faults {
    pthread_mutex_t mu; /* guards everything below */
    fault_t rows[SANDBOX_FAULTS_MAX];
    int count;
    bool down;
};

/* ------------------------------------------------------------- table -- */

sandbox_faults_t *sandbox_faults_new(void)
{
    sandbox_faults_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    if (pthread_mutex_init(&f->mu, NULL) != 0) {
        free(f);
        return NULL;
    }
    return f;
}

void sandbox_faults_free(sandbox_faults_t *faults)
{
    if (!faults)
        return;
    pthread_mutex_destroy(&faults->mu);
    free(faults);
}

void sandbox_faults_clear(sandbox_faults_t *faults)
{
    pthread_mutex_lock(&faults->mu);
    faults->count = 0;
    faults->down = false;
    pthread_mutex_unlock(&faults->mu);
}

/* Index of the row for `op` acting before (after = false) or after the
 * operation, or -1. Caller holds the lock. */
static int find_row(const sandbox_faults_t *faults, const char *op, bool after)
{
    for (int i = 0; i < faults->count; i++)
        if (strcmp(faults->rows[i].op, op) == 0 && faults->rows[i].after == after)
            return i;
    return -1;
}

/* Removes row i, keeping the order of the rest. Caller holds the lock. */
static void remove_row(sandbox_faults_t *faults, int i)
{
    memmove(&faults->rows[i], &faults->rows[i + 1],
            (size_t)(faults->count - i - 1) * sizeof faults->rows[0]);
    faults->count--;
}

/* Inserts or replaces the row for f->op. 0, or -1 when the table is full. */
static int put_row(sandbox_faults_t *faults, const fault_t *f)
{
    int rc = 0;
    pthread_mutex_lock(&faults->mu);
    int i = find_row(faults, f->op, f->after);
    if (i >= 0)
        faults->rows[i] = *f;
    else if (faults->count < SANDBOX_FAULTS_MAX)
        faults->rows[faults->count++] = *f;
    else
        rc = -1;
    pthread_mutex_unlock(&faults->mu);
    return rc;
}

/* ------------------------------------------------------------- apply -- */

/* Picks and counts down the row for op (else "*") of one kind. */
static bool take_row(sandbox_faults_t *faults, const char *op, bool after, fault_t *hit)
{
    int i = find_row(faults, op, after);
    if (i < 0)
        i = find_row(faults, WILDCARD_OP, after);
    if (i < 0)
        return false;
    faults->rows[i].hits++;
    *hit = faults->rows[i];
    if (faults->rows[i].remaining > 0 && --faults->rows[i].remaining == 0)
        remove_row(faults, i);
    return true;
}

bool sandbox_faults_apply_after(sandbox_faults_t *faults, http_request_t *req, const char *op,
                                sandbox_error_fn fn, void *ctx)
{
    fault_t hit = {0};
    pthread_mutex_lock(&faults->mu);
    bool matched = take_row(faults, op, true, &hit);
    pthread_mutex_unlock(&faults->mu);
    if (!matched)
        return false;
    const clock_source_t *clock = clock_source_system();
    clock->sleep_ms(clock->ctx, (int64_t)hit.latency_ms + hit.hang_ms);
    if (hit.drop) {
        log_kv(LOG_LEVEL_INFO, "sandbox fault: response dropped after commit", "op", op, NULL);
        http_request_abort(req);
        return true;
    }
    if (hit.status == 0)
        return false;
    char message[128];
    snprintf(message, sizeof message, "injected fault after commit: status %d for %s", hit.status,
             op);
    log_kv(LOG_LEVEL_INFO, "sandbox fault: status after commit", "op", op, NULL);
    fn(req, hit.status, message, hit.retry_after_s, ctx);
    return true;
}

bool sandbox_faults_apply(sandbox_faults_t *faults, http_request_t *req, const char *op,
                          sandbox_error_fn fn, void *ctx)
{
    fault_t hit = {0};
    bool matched = false, down;
    pthread_mutex_lock(&faults->mu);
    down = faults->down;
    if (!down)
        matched = take_row(faults, op, false, &hit);
    pthread_mutex_unlock(&faults->mu);

    if (down) {
        log_kv(LOG_LEVEL_INFO, "sandbox fault: down", "op", op, NULL);
        fn(req, DOWN_STATUS, DOWN_MESSAGE, 0, ctx);
        return true;
    }
    if (!matched)
        return false;
    const clock_source_t *clock = clock_source_system();
    clock->sleep_ms(clock->ctx, (int64_t)hit.latency_ms + hit.hang_ms);
    if (hit.status == 0)
        return false;
    char status[16];
    snprintf(status, sizeof status, "%d", hit.status);
    log_kv(LOG_LEVEL_INFO, "sandbox fault: status", "op", op, "status", status, NULL);
    if (hit.retry_after_s > 0) {
        char value[32];
        snprintf(value, sizeof value, "%ld", hit.retry_after_s);
        http_response_header(req, "Retry-After", value);
    }
    char message[128];
    snprintf(message, sizeof message, "injected fault: status %d for %s", hit.status, op);
    fn(req, hit.status, message, hit.retry_after_s, ctx);
    return true;
}

/* ---------------------------------------------------- control routes -- */

static const char *const KNOWN_FIELDS[] = {"op",     "latencyMs", "status",      "failNext",
                                           "retryAfter", "hangMs", "down",   "afterCommit",
                                           "drop",       NULL};

/* The first key of `body` that is not a known field, or NULL. */
static const char *unknown_field(json_object *body)
{
    json_object_object_foreach(body, key, value)
    {
        (void)value;
        bool known = false;
        for (int i = 0; KNOWN_FIELDS[i] && !known; i++)
            known = strcmp(KNOWN_FIELDS[i], key) == 0;
        if (!known)
            return key;
    }
    return NULL;
}

/* Reads a fault from the control body. 0, or -1 with err filled. *has_down
 * and *down tell whether "down" was given and its value. */
static int parse_fault(json_object *body, fault_t *f, bool *has_down, bool *down, json_error_t *err)
{
    memset(f, 0, sizeof *f);
    const char *bad = unknown_field(body);
    if (bad) {
        snprintf(err->field, sizeof err->field, "%s", bad);
        snprintf(err->message, sizeof err->message,
                 "unknown field %.64s (known: op, latencyMs, status, failNext, retryAfter, "
                 "hangMs, down, afterCommit, drop)",
                 bad);
        return -1;
    }
    *has_down = json_object_object_get_ex(body, "down", NULL);
    if (json_get_bool(body, "down", false, false, down, err) != 0)
        return -1;
    bool after = false, drop = false;
    if (json_get_bool(body, "afterCommit", false, false, &after, err) != 0 ||
        json_get_bool(body, "drop", false, false, &drop, err) != 0)
        return -1;
    if (drop && !after) {
        snprintf(err->field, sizeof err->field, "drop");
        snprintf(err->message, sizeof err->message, "drop needs afterCommit: true");
        return -1;
    }
    const char *op = NULL;
    int64_t latency, status, fail_next, retry_after, hang;
    if (json_get_string(body, "op", !*has_down, 1, SANDBOX_FAULT_OP_MAX_LEN, &op, err) != 0 ||
        json_get_int64(body, "latencyMs", false, 0, SANDBOX_FAULT_MAX_DELAY_MS, 0, &latency, err) !=
            0 ||
        json_get_int64(body, "status", false, STATUS_MIN, STATUS_MAX, 0, &status, err) != 0 ||
        json_get_int64(body, "failNext", false, 1, SANDBOX_FAULT_MAX_FAIL_NEXT, -1, &fail_next,
                       err) != 0 ||
        json_get_int64(body, "retryAfter", false, 0, SANDBOX_FAULT_MAX_RETRY_AFTER_S, 0,
                       &retry_after, err) != 0 ||
        json_get_int64(body, "hangMs", false, 0, SANDBOX_FAULT_MAX_DELAY_MS, 0, &hang, err) != 0)
        return -1;
    if (op) {
        if (retry_after > 0 && status == 0) {
            snprintf(err->field, sizeof err->field, "retryAfter");
            snprintf(err->message, sizeof err->message, "retryAfter needs a status");
            return -1;
        }
        if (latency == 0 && status == 0 && hang == 0 && !drop) {
            snprintf(err->field, sizeof err->field, "status");
            snprintf(err->message, sizeof err->message,
                     "a fault needs at least one of status, latencyMs, hangMs or drop");
            return -1;
        }
        snprintf(f->op, sizeof f->op, "%s", op);
    }
    f->latency_ms = (int)latency;
    f->status = (int)status;
    f->remaining = fail_next;
    f->retry_after_s = (long)retry_after;
    f->hang_ms = (int)hang;
    f->after = after;
    f->drop = drop;
    return 0;
}

static json_object *fault_to_json(const fault_t *f)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "op", json_object_new_string(f->op));
    json_object_object_add(o, "latencyMs", json_object_new_int(f->latency_ms));
    json_object_object_add(o, "status", json_object_new_int(f->status));
    json_object_object_add(o, "retryAfter", json_object_new_int64(f->retry_after_s));
    json_object_object_add(o, "hangMs", json_object_new_int(f->hang_ms));
    if (f->after) {
        json_object_object_add(o, "afterCommit", json_object_new_boolean(1));
        json_object_object_add(o, "drop", json_object_new_boolean(f->drop));
    }
    json_object_object_add(o, "remaining",
                           f->remaining < 0 ? NULL : json_object_new_int64(f->remaining));
    json_object_object_add(o, "hits", json_object_new_int64(f->hits));
    return o;
}

static int respond_and_put(http_request_t *req, int status, json_object *o)
{
    int rc = http_respond_json(req, status, o);
    json_object_put(o);
    return rc;
}

static int handle_post(http_request_t *req, void *ctx)
{
    sandbox_faults_t *faults = ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0; /* answered 400 */
    fault_t f;
    bool has_down = false, down = false;
    json_error_t err;
    int rc = parse_fault(body, &f, &has_down, &down, &err);
    json_object_put(body);
    if (rc != 0)
        return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    if (f.op[0] && put_row(faults, &f) != 0)
        return http_respond_error(req, 409, "TOO_MANY_FAULTS", "op",
                                  "the fault table is full; DELETE /_sandbox/faults first");
    if (has_down) {
        pthread_mutex_lock(&faults->mu);
        faults->down = down;
        pthread_mutex_unlock(&faults->mu);
    }
    log_kv(LOG_LEVEL_INFO, "sandbox fault set", "op", f.op[0] ? f.op : NULL, "down",
           has_down ? (down ? "true" : "false") : NULL, NULL);
    json_object *o = f.op[0] ? fault_to_json(&f) : json_object_new_object();
    if (has_down)
        json_object_object_add(o, "down", json_object_new_boolean(down));
    return respond_and_put(req, 201, o);
}

static int handle_get(http_request_t *req, void *ctx)
{
    sandbox_faults_t *faults = ctx;
    json_object *o = json_object_new_object();
    json_object *list = json_object_new_array();
    pthread_mutex_lock(&faults->mu);
    json_object_object_add(o, "down", json_object_new_boolean(faults->down));
    for (int i = 0; i < faults->count; i++)
        json_object_array_add(list, fault_to_json(&faults->rows[i]));
    pthread_mutex_unlock(&faults->mu);
    json_object_object_add(o, "faults", list);
    return respond_and_put(req, 200, o);
}

static int handle_delete(http_request_t *req, void *ctx)
{
    sandbox_faults_t *faults = ctx;
    const char *op = http_request_query(req, "op");
    int cleared = 0;
    pthread_mutex_lock(&faults->mu);
    if (op) {
        for (int after = 0; after < 2; after++) {
            int i = find_row(faults, op, after);
            if (i >= 0) {
                remove_row(faults, i);
                cleared++;
            }
        }
    } else {
        cleared = faults->count;
        faults->count = 0;
        faults->down = false;
    }
    pthread_mutex_unlock(&faults->mu);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cleared", json_object_new_int(cleared));
    return respond_and_put(req, 200, o);
}

int sandbox_faults_routes(sandbox_faults_t *faults, http_server_t *srv)
{
    if (http_server_route(srv, "POST", SANDBOX_FAULTS_PATH, AUTH_RULE_OPEN, handle_post,
                          faults) != 0 ||
        http_server_route(srv, "GET", SANDBOX_FAULTS_PATH, AUTH_RULE_OPEN, handle_get,
                          faults) != 0 ||
        http_server_route(srv, "DELETE", SANDBOX_FAULTS_PATH, AUTH_RULE_OPEN, handle_delete,
                          faults) != 0)
        return -1;
    return 0;
}
