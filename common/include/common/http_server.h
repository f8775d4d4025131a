/*
 * http_server.h — the HTTP server every service runs (libmicrohttpd, thread
 * pool, poll()), with method + path routing, path parameters, buffered JSON
 * bodies, request ids, an access log, and the built-in /healthz, /readyz and
 * /metrics endpoints.
 *
 * Usage:
 *     http_server_config_t hc = { .service = "booking-svc", .port = 8081 };
 *     http_server_t *srv = http_server_new(&hc);
 *     http_server_route(srv, "POST", "/api/booking/checkout", handle_checkout, saga);
 *     http_server_route(srv, "GET", "/api/bookings/:bookingId", handle_get, store);
 *     http_server_start(srv);  ...  http_server_stop(srv); http_server_free(srv);
 *
 * Requests: the whole body is buffered (at most max_body_bytes, else 413)
 * before the handler runs. Unknown path → 404, known path with another method
 * → 405 (with an Allow header); every error the server itself produces has a
 * JSON body (see http_respond_error). A handler that returns without having
 * responded gets a 500 INTERNAL_ERROR response. The request id is taken from
 * an incoming X-Request-Id header when it is sane, otherwise generated; it is
 * echoed in the response and set as the thread's log request id while the
 * handler runs.
 *
 * Thread-safety: handlers run concurrently on the server's thread pool, so a
 * handler's ctx must be thread-safe. Route registration happens before
 * http_server_start(). Ownership: the request and every string obtained from
 * it belong to the server and are valid only during the handler call.
 */
#ifndef COMMON_HTTP_SERVER_H
#define COMMON_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

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
    size_t max_body_bytes;     /* default HTTP_DEFAULT_MAX_BODY_BYTES */
    unsigned drain_timeout_ms; /* how long stop waits for in-flight requests */
    http_ready_fn ready;       /* NULL = always ready */
    void *ready_ctx;
} http_server_config_t;

http_server_t *http_server_new(const http_server_config_t *cfg);
void http_server_free(http_server_t *srv); /* accepts NULL; stops first if running */

/* Registers a route. `pattern` segments starting with ':' are path parameters
 * ("/api/bookings/:bookingId/cancel"). Returns 0, or -1 on a bad pattern. */
int http_server_route(http_server_t *srv, const char *method, const char *pattern,
                      http_handler_fn fn, void *ctx);

/* Starts listening. Returns 0, or -1 (port taken: the error is logged). */
int http_server_start(http_server_t *srv);

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
/* Path parameter by name (without ':'), or NULL. */
const char *http_request_param(const http_request_t *req, const char *name);
/* Query-string argument (URL-decoded), or NULL. */
const char *http_request_query(const http_request_t *req, const char *name);
/* Request header (case-insensitive name), or NULL. */
const char *http_request_header(const http_request_t *req, const char *name);
/* Raw body (NUL-terminated for convenience) and its length; "" when none. */
const char *http_request_body(const http_request_t *req, size_t *len);
/* True when the Content-Type header names application/json, in any letter
 * case, with or without parameters ("application/json; charset=utf-8"). */
bool http_request_content_type_is_json(const http_request_t *req);

/* Parses the body as a JSON object. On failure responds 400 with
 * {"errorCode":"VALIDATION_ERROR","field":"body",...} itself and returns NULL.
 * The caller owns (json_object_put) the result. */
struct json_object *http_request_json_object(http_request_t *req);

/* --- responses: exactly one per request --- */
/* Adds a response header (before the respond call). */
int http_response_header(http_request_t *req, const char *name, const char *value);
int http_respond(http_request_t *req, int status, const char *content_type, const char *body,
                 size_t len);
/* Serialises `obj` (not consumed: the caller still owns it). */
int http_respond_json(http_request_t *req, int status, struct json_object *obj);
/* {"success":false,"error":message,"errorCode":code[,"field":field]} */
int http_respond_error(http_request_t *req, int status, const char *code, const char *field,
                       const char *message);

#endif /* COMMON_HTTP_SERVER_H */
