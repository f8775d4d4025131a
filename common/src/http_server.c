/*
 * http_server.c — libmicrohttpd-based HTTP server (see http_server.h).
 *
 * Request lifecycle (libmicrohttpd calls the access handler several times per
 * request): the first call allocates an http_request_t and, when the declared
 * Content-Length is over the limit, answers 413 straight away; the following
 * calls append body chunks (or discard them once over the limit); the last
 * call (upload size 0) routes and runs the handler. The completion callback is
 * the one free point of a request: it records metrics, writes the access log
 * line, decrements the in-flight count and frees everything.
 *
 * A deferred request (http_request_defer) suspends its connection when the
 * handler returns unanswered. Its owner's respond call, on any thread, only
 * builds the response, parks it on the request and resumes the connection;
 * libmicrohttpd then calls the access handler again on the connection's own
 * thread, which queues the parked response (MHD_queue_response belongs to
 * that thread). Such a request has two references, libmicrohttpd's (dropped
 * by the completion callback) and the owner's (dropped by its respond call),
 * because either may come last: the server answers a deferred request itself
 * when it stops before the owner did, and the owner's call comes later.
 */
#include "common/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/client_address.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/trace.h"

#define MAX_ROUTES 64
#define MAX_SEGMENTS 16
#define MAX_PARAMS 8
#define MAX_RESPONSE_HEADERS 16
#define REQUEST_ID_MAX_LEN 64
/* libmicrohttpd's per-connection memory holds the request head and, later,
 * the response head and its buffers: the head limit plus this much. */
#define CONNECTION_MEMORY_RESERVE_BYTES (4 * 1024)
#define FORWARDED_FOR_MAX 1024
#define DRAIN_POLL_MS 10
/* after accept() failed for want of descriptors or memory */
#define ACCEPT_RETRY_MS 10
#define UNMATCHED_ROUTE "unmatched"
/* After the drain timeout, how long stop waits for the deferred requests it
 * answered itself to be sent. */
#define DEFER_ABANDON_WAIT_MS 1000
static const char SHUTTING_DOWN_BODY[] = "{\"success\":false,\"error\":\"the server is "
                                         "stopping; retry\",\"errorCode\":\"SHUTTING_DOWN\"}";

/* Where a deferred request is (guarded by the server's defer_lock). */
typedef enum {
    DEFER_WAITING = 1, /* suspended, the owner has not answered */
    DEFER_ANSWERED,    /* the owner's response is parked, the connection resumed */
    DEFER_ABANDONED,   /* answered by the server at stop; the owner's call only releases */
} defer_state_t;

/* A route's metric series by status, resolved once (no label lookup per
 * request); slots are claimed with a compare-and-swap, a full table falls
 * back to the lookup. */
#define ROUTE_STATUS_SLOTS 8
typedef struct status_series {
    _Atomic int status;
    _Atomic(metric_series_t *) series;
} status_series_t;

typedef struct route {
    char method[16];
    char *pattern;
    char *segments[MAX_SEGMENTS];
    int segment_count;
    auth_rule_t rule;
    http_handler_fn fn;
    void *ctx;
    status_series_t requests[ROUTE_STATUS_SLOTS];
    _Atomic(metric_series_t *) seconds;
} route_t;

struct http_server {
    http_server_config_t cfg;
    char *service;
    char *bind_address;
    struct MHD_Daemon *daemon;
    /* The thread pool's listener is ours (see http_server_start): its
     * socket and the thread that accepts on it. */
    int listen_fd;
    pthread_t accept_thread;
    bool accept_running;
    atomic_bool accept_stopping;
    route_t routes[MAX_ROUTES];
    int route_count;
    atomic_int in_flight; /* requests between first call and completion */
    atomic_bool draining; /* answers close their connection (http_server_drain) */
    bool can_defer;       /* deferred_responses granted (not thread-per-connection) */
    pthread_mutex_t defer_lock;   /* every request's defer_* fields, the waiting list */
    struct http_request *waiting; /* deferred requests not answered yet */
    int deferred_owned;           /* owner references not released yet */
    int port;
    client_proxies_t *proxies; /* read-only after new */
    metric_t *requests_total;
    metric_t *request_seconds;
};

typedef struct header_pair {
    char *name;
    char *value;
} header_pair_t;

struct http_request {
    http_server_t *srv;
    struct MHD_Connection *conn;
    const char *method; /* owned by libmicrohttpd for the request's lifetime */
    const char *path;
    char id[REQUEST_ID_MAX_LEN + 1];
    char *body;
    size_t body_len;
    size_t body_cap;
    bool too_large;
    bool responded;
    bool aborted; /* http_request_abort: the connection is closed unanswered */
    bool client_resolved;
    char client[CLIENT_ADDRESS_MAX];
    int status;
    size_t response_bytes;
    const char *route_pattern;
    struct route *route; /* the matched route, NULL before or without one */
    char *param_names[MAX_PARAMS];
    char *param_values[MAX_PARAMS];
    int param_count;
    header_pair_t headers[MAX_RESPONSE_HEADERS];
    int header_count;
    int64_t started_ms;
    auth_principal_t principal;
    trace_context_t trace; /* the caller's trace (traceparent) continued, or a new one */
    /* http_request_defer: `deferred` is set by the handler's thread before the
     * owner sees the request; the rest is guarded by srv->defer_lock. */
    bool deferred;
    defer_state_t defer_state;
    int defer_refs;
    bool owner_answered;         /* the owner's respond call has been made */
    struct MHD_Response *parked; /* the answer, for the connection's thread to queue */
    unsigned parked_status;
    struct http_request *defer_prev, *defer_next; /* srv->waiting */
};

/* ------------------------------------------------------------ routing -- */

/* Splits a path into segments, in place, in `buf`. Returns the count or -1. */
static int split_path(char *buf, char **segments)
{
    int n = 0;
    char *save = NULL;
    for (char *s = strtok_r(buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGMENTS)
            return -1;
        segments[n++] = s;
    }
    return n;
}

int http_server_route(http_server_t *srv, const char *method, const char *pattern,
                      auth_rule_t rule, http_handler_fn fn, void *ctx)
{
    if (!srv || !method || !pattern || pattern[0] != '/' || !fn || srv->route_count == MAX_ROUTES ||
        strlen(method) >= sizeof srv->routes[0].method || strcmp(auth_rule_name(rule), "?") == 0)
        return -1;
    route_t *r = &srv->routes[srv->route_count];
    memset(r, 0, sizeof *r);
    r->pattern = strdup(pattern);
    char *copy = strdup(pattern);
    if (!r->pattern || !copy)
        goto fail;
    char *segs[MAX_SEGMENTS];
    int n = split_path(copy, segs);
    if (n < 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        r->segments[i] = strdup(segs[i]);
        if (!r->segments[i])
            goto fail;
    }
    r->segment_count = n;
    free(copy);
    snprintf(r->method, sizeof r->method, "%s", method);
    r->rule = rule;
    r->fn = fn;
    r->ctx = ctx;
    srv->route_count++;
    return 0;
fail:
    free(copy);
    free(r->pattern);
    for (int i = 0; i < MAX_SEGMENTS; i++)
        free(r->segments[i]);
    memset(r, 0, sizeof *r);
    return -1;
}

int http_server_routes(http_server_t *srv, const http_route_t *table, size_t n, void *ctx)
{
    for (size_t i = 0; i < n; i++)
        if (http_server_route(srv, table[i].method, table[i].pattern, table[i].rule, table[i].fn,
                              ctx) != 0)
            return -1;
    return 0;
}

size_t http_server_route_count(const http_server_t *srv)
{
    return (size_t)srv->route_count;
}

int http_server_route_at(const http_server_t *srv, size_t i, const char **method,
                         const char **pattern, auth_rule_t *rule)
{
    if (i >= (size_t)srv->route_count)
        return -1;
    *method = srv->routes[i].method;
    *pattern = srv->routes[i].pattern;
    *rule = srv->routes[i].rule;
    return 0;
}

void http_route_table_print(const http_route_t *table, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "method", json_object_new_string(table[i].method));
        json_object_object_add(o, "path", json_object_new_string(table[i].pattern));
        json_object_object_add(o, "rule", json_object_new_string(auth_rule_name(table[i].rule)));
        fprintf(out, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    }
}

/* Does `r` match the path segments? Fills the request's params when it does
 * and `req` is given. */
static bool route_matches(const route_t *r, char **segs, int n, http_request_t *req)
{
    if (r->segment_count != n)
        return false;
    for (int i = 0; i < n; i++)
        if (r->segments[i][0] != ':' && strcmp(r->segments[i], segs[i]) != 0)
            return false;
    if (!req)
        return true;
    for (int i = 0; i < n && req->param_count < MAX_PARAMS; i++) {
        if (r->segments[i][0] != ':')
            continue;
        req->param_names[req->param_count] = strdup(r->segments[i] + 1);
        req->param_values[req->param_count] = strdup(segs[i]);
        req->param_count++;
    }
    return true;
}

/* Finds the route for the request. NULL: *path_known tells 404 from 405, and
 * `allow` lists the methods the path supports. */
static const route_t *route_find(http_server_t *srv, http_request_t *req, bool *path_known,
                                 char *allow, size_t allow_size)
{
    char buf[2048];
    char *segs[MAX_SEGMENTS];
    *path_known = false;
    allow[0] = '\0';
    if (strlen(req->path) >= sizeof buf)
        return NULL;
    strcpy(buf, req->path);
    int n = split_path(buf, segs);
    if (n < 0)
        return NULL;
    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    for (int i = 0; i < srv->route_count; i++) {
        const route_t *r = &srv->routes[i];
        if (!route_matches(r, segs, n, NULL))
            continue;
        if (strcmp(r->method, method) == 0) {
            route_matches(r, segs, n, req);
            return r;
        }
        *path_known = true;
        size_t used = strlen(allow);
        snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", r->method);
    }
    return NULL;
}

const char *http_server_match(http_server_t *srv, const char *method, const char *path,
                              bool *path_known, int *param_count)
{
    http_request_t req = {.srv = srv, .method = method, .path = path};
    char allow[128];
    const route_t *r = route_find(srv, &req, path_known, allow, sizeof allow);
    *param_count = req.param_count;
    for (int i = 0; i < req.param_count; i++) {
        free(req.param_names[i]);
        free(req.param_values[i]);
    }
    return r ? r->pattern : NULL;
}

/* ---------------------------------------------------------- responses -- */

int http_response_header(http_request_t *req, const char *name, const char *value)
{
    if (req->header_count == MAX_RESPONSE_HEADERS)
        return -1;
    header_pair_t *h = &req->headers[req->header_count];
    h->name = strdup(name);
    h->value = strdup(value);
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        return -1;
    }
    req->header_count++;
    return 0;
}

static void request_free(http_request_t *req);

static void waiting_unlink(http_server_t *srv, http_request_t *req)
{
    if (req->defer_prev)
        req->defer_prev->defer_next = req->defer_next;
    else
        srv->waiting = req->defer_next;
    if (req->defer_next)
        req->defer_next->defer_prev = req->defer_prev;
    req->defer_prev = req->defer_next = NULL;
}

/* Drops one reference of a deferred request; the caller holds defer_lock.
 * True when it was the last (the caller then frees the request, unlocked). */
static bool defer_unref(http_request_t *req)
{
    return --req->defer_refs == 0;
}

/* The owner's answer to a deferred request (NULL: close unanswered), parked
 * for the connection's own thread, which libmicrohttpd wakes by the resume.
 * Releases the owner's reference in every case. */
static int defer_answer(http_request_t *req, int status, struct MHD_Response *resp, size_t len)
{
    http_server_t *srv = req->srv;
    pthread_mutex_lock(&srv->defer_lock);
    srv->deferred_owned--;
    req->owner_answered = true;
    if (req->defer_state != DEFER_WAITING) { /* the server answered it at stop */
        bool last = defer_unref(req);
        pthread_mutex_unlock(&srv->defer_lock);
        if (resp)
            MHD_destroy_response(resp);
        if (last)
            request_free(req);
        return -1;
    }
    req->parked = resp;
    req->parked_status = (unsigned)status;
    req->responded = true;
    req->status = status;
    req->response_bytes = len;
    req->defer_state = DEFER_ANSWERED;
    waiting_unlink(srv, req);
    defer_unref(req); /* libmicrohttpd's reference is still held: never the last */
    MHD_resume_connection(req->conn);
    pthread_mutex_unlock(&srv->defer_lock);
    return resp ? 0 : -1;
}

int http_request_defer(http_request_t *req)
{
    http_server_t *srv = req->srv;
    if (!srv->can_defer || req->responded || req->deferred || req->aborted)
        return -1;
    pthread_mutex_lock(&srv->defer_lock);
    req->deferred = true;
    req->defer_state = DEFER_WAITING;
    req->defer_refs = 2; /* libmicrohttpd's and the owner's */
    req->defer_next = srv->waiting;
    if (srv->waiting)
        srv->waiting->defer_prev = req;
    srv->waiting = req;
    srv->deferred_owned++;
    pthread_mutex_unlock(&srv->defer_lock);
    MHD_suspend_connection(req->conn);
    return 0;
}

void http_request_hold(http_request_t *req)
{
    http_server_t *srv = req->srv;
    pthread_mutex_lock(&srv->defer_lock);
    req->defer_refs++;
    pthread_mutex_unlock(&srv->defer_lock);
}

void http_request_release(http_request_t *req, int rc)
{
    http_server_t *srv = req->srv;
    pthread_mutex_lock(&srv->defer_lock);
    bool answered = req->owner_answered;
    pthread_mutex_unlock(&srv->defer_lock);
    if (!answered) { /* as request_dispatch does for a handler on the worker */
        if (rc == 0)
            log_error("handler for %s %s returned without responding", req->method,
                      req->route_pattern ? req->route_pattern : req->path);
        http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "internal error");
    }
    pthread_mutex_lock(&srv->defer_lock);
    bool last = defer_unref(req);
    pthread_mutex_unlock(&srv->defer_lock);
    if (last)
        request_free(req);
}

/* At stop, after the drain timeout: every deferred request still waiting is
 * answered 503 by the server (libmicrohttpd must not be stopped with a
 * connection suspended). Returns how many. */
static int defer_abandon_all(http_server_t *srv)
{
    int n = 0;
    pthread_mutex_lock(&srv->defer_lock);
    while (srv->waiting) {
        http_request_t *req = srv->waiting;
        waiting_unlink(srv, req);
        struct MHD_Response *resp = MHD_create_response_from_buffer(
            sizeof SHUTTING_DOWN_BODY - 1, (void *)SHUTTING_DOWN_BODY, MHD_RESPMEM_PERSISTENT);
        if (resp) {
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    "application/json; charset=utf-8");
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
            MHD_add_response_header(resp, "Retry-After", "1");
            MHD_add_response_header(resp, "X-Request-Id", req->id);
        }
        req->parked = resp; /* NULL (out of memory): the connection is closed unanswered */
        req->parked_status = 503;
        req->responded = true;
        req->status = 503;
        req->response_bytes = sizeof SHUTTING_DOWN_BODY - 1;
        req->defer_state = DEFER_ABANDONED;
        MHD_resume_connection(req->conn);
        n++;
    }
    pthread_mutex_unlock(&srv->defer_lock);
    return n;
}

/* The access handler called again for a resumed deferred request: queues the
 * parked answer. MHD_NO (close) when there is none. */
static enum MHD_Result defer_queue_parked(http_request_t *req)
{
    http_server_t *srv = req->srv;
    pthread_mutex_lock(&srv->defer_lock);
    struct MHD_Response *resp = req->parked;
    unsigned status = req->parked_status;
    req->parked = NULL;
    pthread_mutex_unlock(&srv->defer_lock);
    if (!resp)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static int respond_buffer(http_request_t *req, int status, const char *content_type, char *body,
                          size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        if (req->deferred) /* the connection is closed unanswered */
            return defer_answer(req, 500, NULL, 0);
        return -1;
    }
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "X-Request-Id", req->id);
    if (atomic_load(&req->srv->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    for (int i = 0; i < req->header_count; i++)
        MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
    if (req->deferred)
        return defer_answer(req, status, resp, len);
    enum MHD_Result rc = MHD_queue_response(req->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    req->responded = true;
    req->status = status;
    req->response_bytes = len;
    return rc == MHD_YES ? 0 : -1;
}

int http_respond(http_request_t *req, int status, const char *content_type, const char *body,
                 size_t len)
{
    if (!req->deferred && req->responded)
        return -1;
    return respond_buffer(req, status, content_type, (char *)(body ? body : ""), len,
                          MHD_RESPMEM_MUST_COPY);
}

int http_respond_take(http_request_t *req, int status, const char *content_type, char *body,
                      size_t len)
{
    if (!req->deferred && req->responded) {
        free(body);
        return -1;
    }
    return respond_buffer(req, status, content_type, body, len, MHD_RESPMEM_MUST_FREE);
}

const char *http_json_text(struct json_object *obj, size_t *len)
{
    return json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

int http_respond_json(http_request_t *req, int status, struct json_object *obj)
{
    size_t len = 0;
    const char *text = http_json_text(obj, &len);
    return http_respond(req, status, "application/json; charset=utf-8", text, len);
}

int http_respond_error(http_request_t *req, int status, const char *code, const char *field,
                       const char *message)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(0));
    json_object_object_add(o, "error", json_object_new_string(message ? message : ""));
    json_object_object_add(o, "errorCode", json_object_new_string(code ? code : "ERROR"));
    if (field)
        json_object_object_add(o, "field", json_object_new_string(field));
    int rc = http_respond_json(req, status, o);
    json_object_put(o);
    return rc;
}

/* ----------------------------------------------------------- requests -- */

const char *http_request_method(const http_request_t *req)
{
    return req->method;
}

const char *http_request_path(const http_request_t *req)
{
    return req->path;
}

const char *http_request_id(const http_request_t *req)
{
    return req->id;
}

const trace_context_t *http_request_trace(const http_request_t *req)
{
    return &req->trace;
}

const char *http_request_param(const http_request_t *req, const char *name)
{
    for (int i = 0; i < req->param_count; i++)
        if (req->param_names[i] && strcmp(req->param_names[i], name) == 0)
            return req->param_values[i];
    return NULL;
}

const auth_principal_t *http_request_principal(const http_request_t *req)
{
    return &req->principal;
}

const char *http_request_remote_address(const http_request_t *req, char *buf, size_t size)
{
    buf[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return buf;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)size);
    return buf;
}

const char *http_request_query(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct query_walk {
    http_query_fn fn;
    void *ctx;
} query_walk_t;

static enum MHD_Result query_step(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    query_walk_t *w = cls;
    return w->fn(w->ctx, key, value) == 0 ? MHD_YES : MHD_NO;
}

void http_request_query_each(const http_request_t *req, http_query_fn fn, void *ctx)
{
    query_walk_t w = {fn, ctx};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_step, &w);
}

const char *http_request_header(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* Appends one X-Forwarded-For header line to the list being built. */
static enum MHD_Result collect_forwarded_for(void *cls, enum MHD_ValueKind kind, const char *key,
                                             const char *value)
{
    (void)kind;
    char *list = cls;
    if (key && value && strcasecmp(key, "X-Forwarded-For") == 0) {
        size_t used = strlen(list);
        snprintf(list + used, FORWARDED_FOR_MAX - used, "%s%s", used ? ", " : "", value);
    }
    return MHD_YES;
}

/* The peer's address as text into out; "" when it is not an IP socket. */
static void peer_address(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

const char *http_request_client_address(http_request_t *req)
{
    if (req->client_resolved)
        return req->client;
    char peer[CLIENT_ADDRESS_MAX], forwarded[FORWARDED_FOR_MAX] = "";
    peer_address(req->conn, peer, sizeof peer);
    /* every X-Forwarded-For line, in order: a proxy may add its own line */
    if (client_proxies_count(req->srv->proxies) > 0)
        MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_forwarded_for, forwarded);
    client_address_resolve(req->srv->proxies, peer, forwarded[0] ? forwarded : NULL, req->client,
                           sizeof req->client);
    req->client_resolved = true;
    return req->client;
}

const char *http_request_body(const http_request_t *req, size_t *len)
{
    if (len)
        *len = req->body_len;
    return req->body ? req->body : "";
}

void http_request_wipe_body(http_request_t *req)
{
    if (req->body && req->body_len)
        crypto_wipe(req->body, req->body_len);
}

bool http_request_content_type_is_json(const http_request_t *req)
{
    static const char json_type[] = "application/json";
    const char *v = http_request_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!v)
        return false;
    v += strspn(v, " \t");
    if (strncasecmp(v, json_type, sizeof json_type - 1) != 0)
        return false;
    v += sizeof json_type - 1;
    v += strspn(v, " \t");
    return *v == '\0' || *v == ';';
}

struct json_object *http_request_json_object(http_request_t *req)
{
    json_error_t err;
    json_object *obj = json_parse_object(req->body, req->body_len, &err);
    if (!obj)
        http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    return obj;
}

/* -------------------------------------------------------- built-in routes -- */

static int handle_healthz(http_request_t *req, void *ctx)
{
    http_server_t *srv = ctx;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "service", json_object_new_string(srv->service));
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

static int handle_readyz(http_request_t *req, void *ctx)
{
    http_server_t *srv = ctx;
    const char *reason = NULL;
    bool ready = !srv->cfg.ready || srv->cfg.ready(srv->cfg.ready_ctx, &reason);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string(ready ? "ready" : "not_ready"));
    if (!ready)
        json_object_object_add(o, "reason", json_object_new_string(reason ? reason : "unknown"));
    int rc = http_respond_json(req, ready ? 200 : 503, o);
    json_object_put(o);
    return rc;
}

static int handle_metrics(http_request_t *req, void *ctx)
{
    (void)ctx;
    char *text = metrics_render();
    if (!text)
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "out of memory");
    int rc = http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
    return rc;
}

static const http_route_t BUILTIN_ROUTES[] = {
    {"GET", "/healthz", AUTH_RULE_OPEN, NULL},
    {"GET", "/readyz", AUTH_RULE_OPEN, NULL},
    {"GET", "/metrics", AUTH_RULE_OPEN, NULL},
};

const http_route_t *http_server_builtin_routes(size_t *n)
{
    *n = sizeof BUILTIN_ROUTES / sizeof *BUILTIN_ROUTES;
    return BUILTIN_ROUTES;
}

/* ------------------------------------------------------ access control -- */

/* 401 with the challenge a client needs to know which credential to send. */
static void respond_unauthorized(http_request_t *req)
{
    http_response_header(req, "WWW-Authenticate", "Bearer realm=\"lodging\"");
    http_respond_error(req, 401, "UNAUTHORIZED", NULL,
                       "authentication required: a valid credential must be sent");
}

/* Resolves the caller and applies the route's rule. True when the handler
 * may run; otherwise the answer has been given. OPEN routes never look at
 * credentials; PUBLIC and WEBHOOK routes treat a bad one as no credential. */
static bool request_authorize(http_request_t *req, const route_t *r)
{
    auth_principal_anonymous(&req->principal);
    if (r->rule == AUTH_RULE_OPEN)
        return true;
    bool lenient = r->rule == AUTH_RULE_PUBLIC || r->rule == AUTH_RULE_WEBHOOK;
    auth_err_t rc = auth_authenticate(req->srv->cfg.auth, http_request_header(req, "Authorization"),
                                      http_request_header(req, "Cookie"), &req->principal);
    if (rc != AUTH_OK && lenient) {
        auth_principal_anonymous(&req->principal);
        return true;
    }
    if (rc == AUTH_ERR_UNAVAILABLE) {
        http_response_header(req, "Retry-After", "1");
        http_respond_error(req, 503, "AUTH_UNAVAILABLE", NULL,
                           "credentials cannot be checked right now; retry shortly");
        return false;
    }
    if (rc != AUTH_OK) {
        respond_unauthorized(req);
        return false;
    }
    switch (auth_rule_check(r->rule, &req->principal, req->method,
                            http_request_header(req, "X-CSRF-Token"))) {
    case AUTH_ALLOW:
        return true;
    case AUTH_DENY_UNAUTHENTICATED:
        respond_unauthorized(req);
        return false;
    case AUTH_DENY_CSRF:
        http_respond_error(req, 403, "CSRF_REQUIRED", "X-CSRF-Token",
                           "this change needs the session's CSRF token in X-CSRF-Token");
        return false;
    default:
        http_respond_error(req, 403, "FORBIDDEN", NULL,
                           "the caller may not use this endpoint");
        return false;
    }
}

/* --------------------------------------------------- libmicrohttpd glue -- */

static bool request_id_is_sane(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > REQUEST_ID_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(id[i] == '.' || id[i] == '_' || id[i] == '-' || (id[i] >= '0' && id[i] <= '9') ||
              (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')))
            return false;
    return true;
}

/* 16 hex digits: unique enough to correlate logs, not a secret. Each thread
 * draws from its own SplitMix64 sequence seeded once from the system's
 * random source, instead of asking the CSPRNG for every request. */
static void new_request_id(char *out)
{
    static _Thread_local uint64_t state;
    static const char hex[] = "0123456789abcdef";
    if (state == 0 && crypto_random_bytes(&state, sizeof state) != 0)
        state = (uint64_t)clock_now_ms() ^ (uint64_t)(uintptr_t)&state;
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    for (int i = 15; i >= 0; i--, z >>= 4)
        out[i] = hex[z & 15];
    out[16] = '\0';
}

static http_request_t *request_new(http_server_t *srv, struct MHD_Connection *conn, const char *url,
                                   const char *method)
{
    http_request_t *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->srv = srv;
    req->conn = conn;
    req->method = method;
    req->path = url;
    req->started_ms = clock_now_ms();
    req->route_pattern = UNMATCHED_ROUTE;
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (request_id_is_sane(given)) {
        snprintf(req->id, sizeof req->id, "%s", given);
    } else {
        new_request_id(req->id);
    }
    /* W3C trace context: the caller's traceparent/tracestate continued, else a new trace. */
    trace_continue_or_start(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "traceparent"),
                            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "tracestate"),
                            &req->trace);
    atomic_fetch_add(&srv->in_flight, 1);
    return req;
}

static void request_free(http_request_t *req)
{
    for (int i = 0; i < req->param_count; i++) {
        free(req->param_names[i]);
        free(req->param_values[i]);
    }
    for (int i = 0; i < req->header_count; i++) {
        free(req->headers[i].name);
        free(req->headers[i].value);
    }
    free(req->body);
    free(req);
}

/* Appends a chunk; marks the request too large instead of growing past the limit. */
static void request_append(http_request_t *req, const char *data, size_t len)
{
    if (req->too_large)
        return;
    if (req->body_len + len > req->srv->cfg.max_body_bytes) {
        req->too_large = true;
        return;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = (req->body_len + len + 1) * 2;
        if (cap > req->srv->cfg.max_body_bytes + 1)
            cap = req->srv->cfg.max_body_bytes + 1;
        char *p = realloc(req->body, cap);
        if (!p) {
            req->too_large = true;
            return;
        }
        req->body = p;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
}

static void respond_too_large(http_request_t *req)
{
    char msg[128];
    snprintf(msg, sizeof msg, "request body is larger than %zu bytes",
             req->srv->cfg.max_body_bytes);
    http_respond_error(req, 413, "PAYLOAD_TOO_LARGE", "body", msg);
}

/* Routes and runs the handler once the whole body is in. */
static void request_dispatch(http_request_t *req)
{
    http_server_t *srv = req->srv;
    if (req->too_large) {
        respond_too_large(req);
        return;
    }
    bool path_known = false;
    char allow[128];
    const route_t *r = route_find(srv, req, &path_known, allow, sizeof allow);
    if (!r) {
        if (path_known && strcmp(req->method, "OPTIONS") == 0) {
            http_response_header(req, "Allow", allow);
            http_respond(req, 204, NULL, "", 0);
        } else if (path_known) {
            char msg[192];
            http_response_header(req, "Allow", allow);
            snprintf(msg, sizeof msg, "method %.16s is not allowed here; allowed: %s", req->method,
                     allow);
            http_respond_error(req, 405, "METHOD_NOT_ALLOWED", NULL, msg);
        } else {
            http_respond_error(req, 404, "NOT_FOUND", NULL, "no such endpoint");
        }
        return;
    }
    req->route_pattern = r->pattern;
    req->route = (route_t *)r; /* only its series cache is written after start */
    log_set_request_id(req->id);
    trace_set_current(&req->trace);
    if (!request_authorize(req, r)) {
        log_set_request_id(NULL);
        trace_set_current(NULL);
        return;
    }
    int rc = r->fn(req, r->ctx);
    log_set_request_id(NULL);
    trace_set_current(NULL);
    if (req->deferred) /* answered later, maybe already, by its owner */
        return;
    if (!req->responded) {
        if (rc == 0)
            log_error("handler for %s %s returned without responding", r->method, r->pattern);
        http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "internal error");
    }
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_server_t *srv = cls;
    http_request_t *req = *con_cls;
    if (!req) {
        req = request_new(srv, conn, url, method);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > srv->cfg.max_body_bytes) {
            req->too_large = true;
            respond_too_large(req);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* a body trickling in holds a connection (and a thread): cut it off */
        if (clock_now_ms() - req->started_ms > (int64_t)srv->cfg.request_timeout_ms) {
            log_kv(LOG_LEVEL_WARN, "request body too slow: connection closed", "path", req->path,
                   NULL);
            return MHD_NO;
        }
        request_append(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->deferred) /* resumed: its answer is parked */
        return defer_queue_parked(req);
    if (!req->responded)
        request_dispatch(req);
    return req->aborted ? MHD_NO : MHD_YES;
}

void http_request_abort(http_request_t *req)
{
    req->aborted = true;
    req->responded = true;
    req->status = 0;
}

/* http_requests_total and http_request_duration_seconds for req, through
 * its route's resolved series when it matched one. */
static void count_request(http_server_t *srv, http_request_t *req, const char *status_text,
                          double seconds)
{
    route_t *r = req->route;
    if (!r || !req->responded || strcmp(r->method, req->method) != 0) {
        metrics_counter_inc(srv->requests_total, srv->service, req->route_pattern, req->method,
                            status_text);
        metrics_histogram_observe(srv->request_seconds, seconds, srv->service, req->route_pattern);
        return;
    }
    int status = req->status; /* answered: never 0, the empty slot's mark */
    metric_series_t *count = NULL;
    for (int i = 0; i < ROUTE_STATUS_SLOTS && !count; i++) {
        int seen = atomic_load(&r->requests[i].status);
        if (seen == status) {
            count = atomic_load(&r->requests[i].series);
            break;
        }
        if (seen == 0) {
            count = metrics_series(srv->requests_total, srv->service, r->pattern, r->method,
                                   status_text);
            int expected = 0;
            if (count && atomic_compare_exchange_strong(&r->requests[i].status, &expected, status))
                atomic_store(&r->requests[i].series, count);
        }
    }
    if (!count) /* slots full, or a slot claimed but not filled yet */
        count =
            metrics_series(srv->requests_total, srv->service, r->pattern, r->method, status_text);
    metrics_series_add(count, 1);
    metric_series_t *lat = atomic_load(&r->seconds);
    if (!lat) {
        lat = metrics_series(srv->request_seconds, srv->service, r->pattern);
        atomic_store(&r->seconds, lat);
    }
    metrics_series_observe(lat, seconds);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    http_server_t *srv = cls;
    http_request_t *req = *con_cls;
    if (!req)
        return;
    *con_cls = NULL;
    int64_t elapsed_ms = clock_now_ms() - req->started_ms;
    char status[16];
    snprintf(status, sizeof status, "%d", req->responded ? req->status : 0);
    count_request(srv, req, status, (double)elapsed_ms / 1000.0);
    log_set_request_id(req->id);
    trace_set_current(&req->trace);
    /* The path only: query strings may carry personal data. */
    log_kv(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? LOG_LEVEL_INFO : LOG_LEVEL_WARN,
           "http request", "method", req->method, "path", req->path, "route", req->route_pattern,
           "caller", auth_kind_name(req->principal.kind), "callerId", req->principal.id,
           LOG_INT("status", req->responded ? req->status : 0), LOG_INT("duration_ms", elapsed_ms),
           LOG_INT("bytes", req->response_bytes),
           LOG_BOOL("completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK), NULL);
    log_set_request_id(NULL);
    trace_set_current(NULL);
    bool last = true;
    if (req->deferred) {
        pthread_mutex_lock(&srv->defer_lock);
        if (req->defer_state == DEFER_WAITING) { /* closed while suspended: only at stop */
            waiting_unlink(srv, req);
            req->defer_state = DEFER_ABANDONED;
        }
        if (req->parked) {
            MHD_destroy_response(req->parked);
            req->parked = NULL;
        }
        last = defer_unref(req);
        pthread_mutex_unlock(&srv->defer_lock);
    }
    if (last)
        request_free(req);
    atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_kv(LOG_LEVEL_WARN, "libmicrohttpd", "detail", msg, NULL);
}

/* ----------------------------------------------------------- lifecycle -- */

http_server_t *http_server_new(const http_server_config_t *cfg)
{
    http_server_t *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    pthread_mutex_init(&srv->defer_lock, NULL);
    srv->cfg = *cfg;
    srv->service = strdup(cfg->service ? cfg->service : "service");
    srv->bind_address = strdup(cfg->bind_address ? cfg->bind_address : "0.0.0.0");
    if (!srv->service || !srv->bind_address) {
        http_server_free(srv);
        return NULL;
    }
    if (srv->cfg.threads == 0)
        srv->cfg.threads = HTTP_DEFAULT_THREADS;
    if (srv->cfg.max_body_bytes == 0)
        srv->cfg.max_body_bytes = HTTP_DEFAULT_MAX_BODY_BYTES;
    if (srv->cfg.drain_timeout_ms == 0)
        srv->cfg.drain_timeout_ms = HTTP_DEFAULT_DRAIN_TIMEOUT_MS;
    if (srv->cfg.max_header_bytes == 0)
        srv->cfg.max_header_bytes = HTTP_DEFAULT_MAX_HEADER_BYTES;
    if (srv->cfg.max_connections == 0)
        srv->cfg.max_connections = HTTP_DEFAULT_MAX_CONNECTIONS;
    if (srv->cfg.connection_timeout_s == 0)
        srv->cfg.connection_timeout_s = HTTP_DEFAULT_CONNECTION_TIMEOUT_S;
    if (srv->cfg.request_timeout_ms == 0)
        srv->cfg.request_timeout_ms = HTTP_DEFAULT_REQUEST_TIMEOUT_MS;
    char err[160];
    srv->proxies = client_proxies_parse(cfg->trusted_proxies, err, sizeof err);
    srv->cfg.trusted_proxies = NULL; /* parsed; the caller's string is not kept */
    if (!srv->proxies) {
        log_kv(LOG_LEVEL_ERROR, "bad trusted proxy list", "error", err, NULL);
        http_server_free(srv);
        return NULL;
    }
    atomic_init(&srv->in_flight, 0);
    atomic_init(&srv->draining, false);
    srv->can_defer = srv->cfg.deferred_responses && !srv->cfg.thread_per_connection;
    atomic_init(&srv->accept_stopping, false);
    srv->listen_fd = -1;
    srv->requests_total =
        metrics_counter("http_requests_total", "HTTP requests by route and status", 4, "service",
                        "route", "method", "status");
    srv->request_seconds = metrics_histogram("http_request_duration_seconds",
                                             "HTTP request latency", METRICS_LATENCY_BUCKETS_S,
                                             METRICS_LATENCY_BUCKET_COUNT, 2, "service", "route");
    http_server_route(srv, "GET", "/healthz", AUTH_RULE_OPEN, handle_healthz, srv);
    http_server_route(srv, "GET", "/readyz", AUTH_RULE_OPEN, handle_readyz, srv);
    http_server_route(srv, "GET", "/metrics", AUTH_RULE_OPEN, handle_metrics, NULL);
    return srv;
}

/* The pool's accept loop: every new connection goes to libmicrohttpd,
 * which hands it to a worker. Ends when http_server_stop shuts the socket
 * down (accept fails with EINVAL). */
static void *accept_run(void *arg)
{
    http_server_t *srv = arg;
    while (!atomic_load(&srv->accept_stopping)) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd =
            accept4(srv->listen_fd, (struct sockaddr *)&addr, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (atomic_load(&srv->accept_stopping) || errno == EINVAL || errno == EBADF)
                break;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_kv(LOG_LEVEL_WARN, "accept failed: connection left in the backlog", "error",
                       strerror(errno), NULL);
                clock_source_system()->sleep_ms(NULL, ACCEPT_RETRY_MS);
            }
            continue; /* EINTR, ECONNABORTED, a peer's error passed on */
        }
        /* closes fd itself when it cannot take it (connection limits) */
        MHD_add_connection(srv->daemon, fd, (struct sockaddr *)&addr, len);
    }
    return NULL;
}

/* Our listening socket on addr; -1 when it cannot be had (logged by the
 * caller). */
static int listen_socket(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, SOMAXCONN) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int http_server_start(http_server_t *srv)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->cfg.port)};
    if (inet_pton(AF_INET, srv->bind_address, &addr.sin_addr) != 1) {
        log_error("invalid bind address %s", srv->bind_address);
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    unsigned pool = srv->cfg.threads;
    /* A thread pool waits with epoll, on connections only: the listening
     * socket is ours, and one thread accepts on it and hands each new
     * connection over (MHD_add_connection). libmicrohttpd 0.9.75 races with
     * itself when a thread-pooled epoll daemon owns its listener and is
     * quiesced (MHD_quiesce_daemon and a worker both remove the listen socket
     * from the worker's epoll set; the loser aborts the process: "Failed to
     * remove listen FD from epoll set"); with our own listener there is no
     * quiesce: stopping to accept is ending our thread and closing our
     * socket. Thread per connection (the sandboxes, the services whose
     * handlers wait long) keeps libmicrohttpd's own listener and poll(). */
    bool own_listener = !srv->cfg.thread_per_connection && pool > 1;
    if (srv->cfg.thread_per_connection) {
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
        pool = 0; /* no pool: the listening thread starts one thread per connection */
    } else if (own_listener) {
        flags |= MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET;
    } else {
        flags |= MHD_USE_POLL;
    }
    if (own_listener) {
        srv->listen_fd = listen_socket(&addr);
        if (srv->listen_fd < 0) {
            log_error("cannot listen on %s:%d (port in use or not permitted)", srv->bind_address,
                      srv->cfg.port);
            return -1;
        }
    }
    if (srv->can_defer)
        flags |= MHD_ALLOW_SUSPEND_RESUME;
    /* The pool size is passed only for a real pool (two threads or more):
     * libmicrohttpd warns on stderr about a size of 0 or 1 ("is ignored.
     * Thread pool is not used") and then runs without a pool anyway, which is
     * what we asked for. An empty option array passes nothing. */
    unsigned per_ip = srv->cfg.max_connections_per_ip;
    struct MHD_OptionItem pool_options[] = {
        {pool > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)pool, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem per_ip_options[] = {
        {per_ip > 0 ? MHD_OPTION_PER_IP_CONNECTION_LIMIT : MHD_OPTION_END, (intptr_t)per_ip, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem listen_options[] = {
        {own_listener ? MHD_OPTION_END : MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)srv->cfg.port, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_error, NULL, MHD_OPTION_ARRAY, listen_options, MHD_OPTION_ARRAY, pool_options,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
        srv->cfg.connection_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        srv->cfg.max_header_bytes + (size_t)CONNECTION_MEMORY_RESERVE_BYTES,
        MHD_OPTION_CONNECTION_LIMIT, srv->cfg.max_connections, MHD_OPTION_ARRAY, per_ip_options,
        MHD_OPTION_END);
    if (!srv->daemon) {
        log_error("cannot listen on %s:%d (port in use or not permitted)", srv->bind_address,
                  srv->cfg.port);
        goto fail;
    }
    if (own_listener) {
        struct sockaddr_in bound;
        socklen_t len = sizeof bound;
        srv->port = getsockname(srv->listen_fd, (struct sockaddr *)&bound, &len) == 0
                        ? ntohs(bound.sin_port)
                        : srv->cfg.port;
        atomic_store(&srv->accept_stopping, false);
        if (pthread_create(&srv->accept_thread, NULL, accept_run, srv) != 0) {
            log_error("cannot start the HTTP accept thread");
            MHD_stop_daemon(srv->daemon);
            srv->daemon = NULL;
            goto fail;
        }
        srv->accept_running = true;
    } else {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
        srv->port = info ? info->port : srv->cfg.port;
    }
    log_kv(LOG_LEVEL_INFO, "http server listening", "address", srv->bind_address,
           LOG_INT("port", srv->port), NULL);
    return 0;
fail:
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    srv->listen_fd = -1;
    return -1;
}

void http_server_drain(http_server_t *srv)
{
    if (srv)
        atomic_store(&srv->draining, true);
}

/* Stops accepting: new connections are refused by the kernel from here on. */
static MHD_socket stop_accepting(http_server_t *srv)
{
    if (srv->listen_fd >= 0) {
        /* shutdown() of a listening socket wakes the blocked accept() with
         * EINVAL and refuses what waits in the backlog */
        atomic_store(&srv->accept_stopping, true);
        shutdown(srv->listen_fd, SHUT_RDWR);
        if (srv->accept_running)
            pthread_join(srv->accept_thread, NULL);
        srv->accept_running = false;
        close(srv->listen_fd);
        srv->listen_fd = -1;
        return MHD_INVALID_SOCKET;
    }
    /* libmicrohttpd's own listener: quiescing takes it from the workers, and
     * shutdown() makes the kernel refuse new connections at once. The socket
     * itself stays open until MHD_stop_daemon has returned, as libmicrohttpd
     * requires with internal threads. */
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        shutdown(fd, SHUT_RDWR);
    return fd;
}

void http_server_stop(http_server_t *srv)
{
    if (!srv || !srv->daemon)
        return;
    http_server_drain(srv);
    MHD_socket fd = stop_accepting(srv);
    int64_t deadline = clock_now_ms() + srv->cfg.drain_timeout_ms;
    while (atomic_load(&srv->in_flight) > 0 && clock_now_ms() < deadline)
        clock_source_system()->sleep_ms(NULL, DRAIN_POLL_MS);
    /* libmicrohttpd must not be stopped with a connection suspended: deferred
     * requests still unanswered are answered now, and sent before the stop. */
    int abandoned = srv->can_defer ? defer_abandon_all(srv) : 0;
    if (abandoned > 0) {
        log_warn("stopping: %d deferred request(s) unanswered after %u ms answered 503", abandoned,
                 srv->cfg.drain_timeout_ms);
        int64_t until = clock_now_ms() + DEFER_ABANDON_WAIT_MS;
        while (atomic_load(&srv->in_flight) > 0 && clock_now_ms() < until)
            clock_source_system()->sleep_ms(NULL, DRAIN_POLL_MS);
    }
    if (atomic_load(&srv->in_flight) > 0)
        log_warn("stopping with %d requests still in flight after %u ms",
                 atomic_load(&srv->in_flight), srv->cfg.drain_timeout_ms);
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

int http_server_port(const http_server_t *srv)
{
    return srv->port;
}

void http_server_free(http_server_t *srv)
{
    if (!srv)
        return;
    http_server_stop(srv);
    for (int i = 0; i < srv->route_count; i++) {
        free(srv->routes[i].pattern);
        for (int j = 0; j < srv->routes[i].segment_count; j++)
            free(srv->routes[i].segments[j]);
    }
    if (srv->deferred_owned > 0) /* their memory is the owner's to release: leaked, not freed */
        log_error("http server freed with %d deferred request(s) never answered",
                  srv->deferred_owned);
    pthread_mutex_destroy(&srv->defer_lock);
    client_proxies_free(srv->proxies);
    free(srv->service);
    free(srv->bind_address);
    free(srv);
}
