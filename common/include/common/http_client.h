/*
 * http_client.h — outgoing HTTP on libcurl (PMS and payment connectors,
 * service-to-service calls), with keep-alive connections, timeouts, JSON and
 * form-encoded bodies, and typed transport errors.
 *
 * Usage:
 *     http_client_config_t cc = {.base_url = "http://127.0.0.1:8091", .total_timeout_ms = 5000};
 *     http_client_t *c = http_client_new(&cc);
 *     const char *form[] = {"propertyID", "hotel_123", "startDate", "2025-11-01", NULL};
 *     http_client_response_t r;
 *     if (http_client_post_form(c, "/api/v1.3/postReservation", NULL, form, &r) == HTTP_CLIENT_OK)
 *         use(r.status, r.body, r.latency_ms);
 *     http_client_response_clear(&r); http_client_free(c);
 *
 * Connections: a request takes a curl easy handle from the client's pool of
 * idle ones (or makes one) and gives it back when done, so keep-alive
 * connections are reused, a handle is never used by two requests at once, and
 * any number of threads — long-lived or not — may share a client. At most
 * HTTP_CLIENT_MAX_IDLE_HANDLES idle handles are kept; more are closed.
 * Request and response bodies and auth headers are never logged. When the
 * calling thread has a current trace (trace.h), every request carries
 * traceparent (a new span of that trace) and its tracestate.
 * Thread-safety: a client may be shared by any number of threads.
 * Ownership: the response body is malloc'd; http_client_response_clear frees it.
 */
#ifndef COMMON_HTTP_CLIENT_H
#define COMMON_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS 2000
#define HTTP_CLIENT_DEFAULT_TOTAL_TIMEOUT_MS 10000
#define HTTP_CLIENT_DEFAULT_MAX_RESPONSE_BYTES (8 * 1024 * 1024)
#define HTTP_CLIENT_MAX_IDLE_HANDLES 64

typedef enum {
    HTTP_CLIENT_OK = 0,           /* a response arrived (any status) */
    HTTP_CLIENT_ERR_TIMEOUT = -1, /* connect or total timeout */
    HTTP_CLIENT_ERR_CONNECT = -2, /* refused, unreachable, DNS */
    HTTP_CLIENT_ERR_TRANSPORT = -3,
    HTTP_CLIENT_ERR_TOO_LARGE = -4,
    HTTP_CLIENT_ERR_INVALID = -5, /* bad arguments or OOM */
} http_client_err_t;

typedef struct http_client_config {
    const char *base_url;               /* "https://api.cloudbeds.com" — paths are appended */
    long connect_timeout_ms;            /* default 2000 */
    long total_timeout_ms;              /* default 10000 */
    size_t max_response_bytes;          /* default 8 MiB */
    const char *user_agent;             /* default "lodging/0.1" */
    const char *const *default_headers; /* "Name: value" strings, NULL-terminated */
} http_client_config_t;

typedef struct http_client_response {
    int status; /* 0 when no response */
    char *body; /* NUL-terminated, may contain NULs; length in body_len */
    size_t body_len;
    double latency_ms;
    long retry_after_ms; /* from a Retry-After header, -1 when absent */
    char content_type[128];
    char error[256]; /* transport error text when not HTTP_CLIENT_OK */
} http_client_response_t;

typedef struct http_client http_client_t;

http_client_t *http_client_new(const http_client_config_t *cfg);
void http_client_free(http_client_t *c);

/* The general form. `query` and `headers` are NULL-terminated: query as
 * key, value pairs (URL-encoded here), headers as "Name: value" strings.
 * `body` may be NULL. Fills *resp (always; clear it afterwards). */
http_client_err_t http_client_request(http_client_t *c, const char *method, const char *path,
                                      const char *const *query, const char *const *headers,
                                      const char *body, size_t body_len,
                                      http_client_response_t *resp);

http_client_err_t http_client_get(http_client_t *c, const char *path, const char *const *query,
                                  const char *const *headers, http_client_response_t *resp);
/* POST a JSON text with Content-Type: application/json. */
http_client_err_t http_client_post_json(http_client_t *c, const char *path,
                                        const char *const *headers, const char *json,
                                        http_client_response_t *resp);
/* POST key, value pairs as application/x-www-form-urlencoded (UTF-8). */
http_client_err_t http_client_post_form(http_client_t *c, const char *path,
                                        const char *const *headers, const char *const *form,
                                        http_client_response_t *resp);

/* Encodes key, value pairs as a form/query string; malloc'd, NULL on OOM. */
char *http_client_form_encode(const char *const *pairs);

/* Retry-After value (delta-seconds or HTTP-date) in ms, or -1 when unusable. */
long http_client_parse_retry_after(const char *value);

const char *http_client_err_name(http_client_err_t err);

void http_client_response_clear(http_client_response_t *resp);

#endif /* COMMON_HTTP_CLIENT_H */
