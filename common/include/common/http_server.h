/*
 * http_server.h — the HTTP server every service runs (libmicrohttpd: a
 * thread pool waiting with epoll behind our own accepting thread, or a thread
 * per connection), with method + path routing, path parameters, buffered JSON
 * bodies, request ids, an access log, and the built-in /healthz, /readyz and
 * /metrics endpoints.
 *
 * Usage:
 *     http_server_config_t hc = { .service = "booking-svc", .port = 8081 };
 *     http_server_t *srv = http_server_new(&hc);
 *     http_server_route(srv, "POST", "/api/booking/checkout", AUTH_RULE_PUBLIC, checkout, app);
 *     http_server_route(srv, "GET", "/api/bookings/:bookingId", AUTH_RULE_BOOKING, get, app);
 *     http_server_start(srv);  ...  http_server_stop(srv); http_server_free(srv);
 *
 * Requests: the whole body is buffered (at most max_body_bytes, else 413)
 * before the handler runs. Limits on every server: the request head
 * (max_header_bytes, else 431 from libmicrohttpd), open connections in all
 * and per client IP, an idle connection's timeout and a deadline for a
 * request's body to arrive (a slow client is cut off). Unknown path → 404, known path with another method
 * → 405 (with an Allow header); every error the server itself produces has a
 * JSON body (see http_respond_error). A handler that returns without having
 * responded gets a 500 INTERNAL_ERROR response. The request id is taken from
 * an incoming X-Request-Id header when it is sane, otherwise generated; it is
 * echoed in the response and set as the thread's log request id while the
 * handler runs. W3C trace context: a valid traceparent (with its tracestate)
 * is continued, anything else starts a new trace; the handler runs with it as
 * the thread's current trace (trace.h), so its log lines, outgoing HTTP calls
 * and produced events carry the trace id, and so does the access log line.
 *
 * Access control: every route carries an auth_rule_t (auth.h), so no route
 * exists without one. Before the handler runs the server resolves the caller
 * with cfg.auth (NULL: only OPEN, PUBLIC and WEBHOOK routes can be used, and
 * booking tokens are still recognised) and answers 401 UNAUTHORIZED (with
 * WWW-Authenticate), 403 FORBIDDEN or CSRF_REQUIRED, or 503 AUTH_UNAVAILABLE
 * itself; the handler reads the caller with http_request_principal().
 * Credentials never reach the access log; the principal's kind and id do.
 *
 * Thread-safety: handlers run concurrently on the server's thread pool, so a
 * handler's ctx must be thread-safe. Route registration happens before
 * http_server_start(). Ownership: the request and every string obtained from
 * it belong to the server and are valid only during the handler call (for a
 * deferred request: until its respond call, see http_request_defer).
 */
#ifndef COMMON_HTTP_SERVER_H
#define COMMON_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/auth.h"
#include "common/trace.h"

struct json_object;

typedef struct http_server http_server_t;
typedef struct http_request http_request_t;

/* A handler answers with one of the http_respond* calls and returns 0.
 * Returning non-zero without responding yields a 500. */
typedef int (*http_handler_fn)(http_request_t *req, void *ctx);

/* Readiness probe for /readyz: returns true when ready; may set *reason to a
 * static or ctx-owned string explaining why not. */
typedef bool (*http_ready_fn)(void *ctx, const char **reason);

#define HTTP_DEFAULT_MAX_BODY_BYTES (1024 * 1024)
#define HTTP_DEFAULT_THREADS 4
#define HTTP_DEFAULT_DRAIN_TIMEOUT_MS 10000
/* Request line plus headers; a larger head is refused 431 by libmicrohttpd. */
#define HTTP_DEFAULT_MAX_HEADER_BYTES (32 * 1024)
/* Open connections at once (the listener stops accepting beyond). */
#define HTTP_DEFAULT_MAX_CONNECTIONS 512
/* Per client IP; 0 = no per-IP limit (the default: behind a load balancer
 * every client arrives from a handful of addresses). */
#define HTTP_DEFAULT_MAX_CONNECTIONS_PER_IP 0
/* A connection with nothing received or sent for this long is closed. */
#define HTTP_DEFAULT_CONNECTION_TIMEOUT_S 30
/* From the first byte of a request to the last byte of its body. */
#define HTTP_DEFAULT_REQUEST_TIMEOUT_MS 30000

typedef struct http_server_config {
    const char *service;      /* for logs and metrics labels */
    const char *bind_address; /* default "0.0.0.0" */
    int port;                 /* 0 = any free port (see http_server_port) */
    unsigned threads;         /* default HTTP_DEFAULT_THREADS */
    /* One thread per connection instead of the pool: for handlers that may
     * block for long (the vendor sandboxes' injected hangs). In the pool a
     * connection is served by the worker that accepted it, so a handler
     * blocked for seconds holds up every other connection of its worker;
     * here it holds up only its own. `threads` is then unused. */
    bool thread_per_connection;
    /* Handlers may answer later, from another thread (http_request_defer):
     * the connection is suspended meanwhile, so a worker thread is not held
     * while a handler waits for something slow. Not with
     * thread_per_connection (libmicrohttpd cannot suspend those). */
    bool deferred_responses;
    size_t max_body_bytes;     /* default HTTP_DEFAULT_MAX_BODY_BYTES */
    unsigned drain_timeout_ms; /* how long stop waits for in-flight requests */
    /* Abuse limits (0 = the HTTP_DEFAULT_* value, except per-IP where 0 is off). */
    size_t max_header_bytes;
    unsigned max_connections;
    unsigned max_connections_per_ip;
    unsigned connection_timeout_s;
    unsigned request_timeout_ms; /* a body still arriving after it: connection closed */
    /* Comma-separated CIDRs of our own proxies, whose X-Forwarded-For is
     * believed (client_address.h); NULL or "" = never read X-Forwarded-For. */
    const char *trusted_proxies;
    http_ready_fn ready;       /* NULL = always ready */
    void *ready_ctx;
    auth_t *auth; /* resolves callers (borrowed); NULL = no credential store */
} http_server_config_t;

/* One row of a service's route table: the table is what the service
 * registers and what `<binary> --routes` prints. */
typedef struct http_route {
    const char *method;
    const char *pattern;
    auth_rule_t rule;
    http_handler_fn fn;
} http_route_t;

http_server_t *http_server_new(const http_server_config_t *cfg);
void http_server_free(http_server_t *srv); /* accepts NULL; stops first if running */

/* Registers a route under `rule`. `pattern` segments starting with ':' are
 * path parameters ("/api/bookings/:bookingId/cancel"). Returns 0, or -1 on a
 * bad pattern or rule. */
int http_server_route(http_server_t *srv, const char *method, const char *pattern,
                      auth_rule_t rule, http_handler_fn fn, void *ctx);

/* Registers every row of a route table with the same ctx. 0 or -1. */
int http_server_routes(http_server_t *srv, const http_route_t *table, size_t n, void *ctx);

/* The built-in routes every server has (/healthz, /readyz, /metrics), as a
 * table with NULL handlers, for printing; *n gets the count. */
const http_route_t *http_server_builtin_routes(size_t *n);

/* Registered routes, built-ins included: the count, and row i's method,
 * pattern and rule (0, or -1 when i is out of range). */
size_t http_server_route_count(const http_server_t *srv);
int http_server_route_at(const http_server_t *srv, size_t i, const char **method,
                         const char **pattern, auth_rule_t *rule);

/* Writes one JSON line {"method":…,"path":…,"rule":…} per route of `table`. */
void http_route_table_print(const http_route_t *table, size_t n, FILE *out);

/* Starts listening. Returns 0, or -1 (port taken: the error is logged). */
int http_server_start(http_server_t *srv);

/* Begins draining, before a stop: the listener keeps serving, but every
 * response from now on carries `Connection: close`, so a client holding a
 * keep-alive connection to this replica (which the load balancer has taken
 * out already) opens its next one elsewhere. Any thread; safe to call twice. */
void http_server_drain(http_server_t *srv);

/* Graceful stop: stops accepting new connections, lets in-flight requests
 * finish (up to drain_timeout_ms), then closes. Safe to call twice. */
void http_server_stop(http_server_t *srv);

/* The port actually bound (useful when cfg.port was 0). */
int http_server_port(const http_server_t *srv);

/* Routes `method` `path` the way a request is routed, without serving it
 * (for tests and fuzzing the router on untrusted paths): the pattern of the
 * route it reaches, or NULL with *path_known telling 404 from 405.
 * *param_count is the number of path parameters the handler would see. */
const char *http_server_match(http_server_t *srv, const char *method, const char *path,
                              bool *path_known, int *param_count);

/* --- request accessors (valid during the handler call only) --- */
const char *http_request_method(const http_request_t *req);
const char *http_request_path(const http_request_t *req);
const char *http_request_id(const http_request_t *req);
/* The trace context the handler runs with (the caller's traceparent continued,
 * or a new trace). A thread that answers a deferred request makes it current
 * (trace_set_current), with the request id as its log request id, so its log
 * lines carry the same ids as the handler's. */
const trace_context_t *http_request_trace(const http_request_t *req);
/* Path parameter by name (without ':'), or NULL. */
const char *http_request_param(const http_request_t *req, const char *name);
/* Query-string argument (URL-decoded), or NULL. */
const char *http_request_query(const http_request_t *req, const char *name);
/* Request header (case-insensitive name), or NULL. */
const char *http_request_header(const http_request_t *req, const char *name);
/* Calls fn(ctx, name, value) for each query parameter (decoded; value NULL
 * for a bare "?flag"), in order, until fn returns non-zero. */
typedef int (*http_query_fn)(void *ctx, const char *name, const char *value);
void http_request_query_each(const http_request_t *req, http_query_fn fn, void *ctx);
/* The client's address (text, e.g. "203.0.113.9" or "2001:db8::1"): the
 * connection's peer, or the right-most untrusted X-Forwarded-For entry when
 * the peer is a trusted proxy (client_address.h). Never NULL ("" when
 * unknown). */
const char *http_request_client_address(http_request_t *req);
/* Raw body (NUL-terminated for convenience) and its length; "" when none. */
const char *http_request_body(const http_request_t *req, size_t *len);
/* Overwrites the buffered request body with zeros (a password or a card
 * token must not linger in freed memory); the body reads as zeros after. */
void http_request_wipe_body(http_request_t *req);
/* True when the Content-Type header names application/json, in any letter
 * case, with or without parameters ("application/json; charset=utf-8"). */
bool http_request_content_type_is_json(const http_request_t *req);

/* The caller as resolved for this route (anonymous on OPEN routes). */
const auth_principal_t *http_request_principal(const http_request_t *req);
/* The peer's IP address as text into buf ("" when unknown). Returns buf. */
const char *http_request_remote_address(const http_request_t *req, char *buf, size_t size);

/* Parses the body as a JSON object. On failure responds 400 with
 * {"errorCode":"VALIDATION_ERROR","field":"body",...} itself and returns NULL.
 * The caller owns (json_object_put) the result. */
struct json_object *http_request_json_object(http_request_t *req);

/* --- responses: exactly one per request --- */
/* Adds a response header (before the respond call). */
int http_response_header(http_request_t *req, const char *name, const char *value);
int http_respond(http_request_t *req, int status, const char *content_type, const char *body,
                 size_t len);
/* http_respond with a malloc'd body the server takes (frees it when sent,
 * or at once on failure): no copy of a large body. */
int http_respond_take(http_request_t *req, int status, const char *content_type, char *body,
                      size_t len);
/* Serialises `obj` (not consumed: the caller still owns it). */
int http_respond_json(http_request_t *req, int status, struct json_object *obj);
/* The text http_respond_json sends for obj, its length in *len; owned by
 * obj (valid until it changes or is put), NULL when out of memory. */
const char *http_json_text(struct json_object *obj, size_t *len);
/* {"success":false,"error":message,"errorCode":code[,"field":field]} */
int http_respond_error(http_request_t *req, int status, const char *code, const char *field,
                       const char *message);

/* Deferred answers (cfg.deferred_responses). Called in the handler, before
 * any response: the handler then returns 0 without answering, and the answer
 * is given later with exactly one http_respond* call, from any thread
 * (http_response_header before it, from that same thread); after that call
 * `req` must not be touched. Meanwhile the request counts as in flight, so
 * http_server_stop waits for it (drain_timeout_ms); one still unanswered then
 * is answered 503 SHUTTING_DOWN by the server, and the owner's later respond
 * call only releases it (and returns -1). Every deferred request must have
 * had its respond call before http_server_free. Returns 0, or -1 when the
 * server does not allow deferral or the request was answered already (the
 * handler then answers as usual). */
int http_request_defer(http_request_t *req);
/* A whole handler run on another thread (a pool) after http_request_defer:
 * http_request_hold, called before the handler may answer, keeps req and
 * what it owns (the body, the path parameters, the principal) valid past
 * its respond call, so a handler written for the worker (one that wipes the
 * body after answering, say) runs there unchanged; the request line, query
 * and headers are libmicrohttpd's and end with the answer, as before.
 * The holder ends with http_request_release(req, the handler's return
 * value), after which req must not be touched: it answers 500 for a handler
 * that returned without answering, as the worker does, and drops the hold.
 * Every hold is released before http_server_free. */
void http_request_hold(http_request_t *req);
void http_request_release(http_request_t *req, int rc);

/* Closes the connection without any answer, as a peer that crashed mid-way
 * would (vendor sandboxes use it to play a response lost after the work was
 * done). Counts as the request's one response. */
void http_request_abort(http_request_t *req);

#endif /* COMMON_HTTP_SERVER_H */
