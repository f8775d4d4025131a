/*
 * http_client.c — libcurl client with a pool of keep-alive handles (see
 * http_client.h).
 */
#include "common/http_client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/trace.h"

#define URL_MAX 4096
#define DEFAULT_USER_AGENT "lodging/0.1"

struct http_client {
    char *base_url;
    long connect_timeout_ms;
    long total_timeout_ms;
    size_t max_response_bytes;
    char *user_agent;
    struct curl_slist *default_headers;
    pthread_mutex_t lock;                     /* guards idle[] and idle_count */
    CURL *idle[HTTP_CLIENT_MAX_IDLE_HANDLES]; /* handles not in use, with their connections */
    int idle_count;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

http_client_t *http_client_new(const http_client_config_t *cfg)
{
    pthread_once(&curl_once, curl_init_once);
    http_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->base_url = strdup(cfg->base_url ? cfg->base_url : "");
    c->user_agent = strdup(cfg->user_agent ? cfg->user_agent : DEFAULT_USER_AGENT);
    c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
                                                        : HTTP_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS;
    c->total_timeout_ms =
        cfg->total_timeout_ms > 0 ? cfg->total_timeout_ms : HTTP_CLIENT_DEFAULT_TOTAL_TIMEOUT_MS;
    c->max_response_bytes = cfg->max_response_bytes > 0 ? cfg->max_response_bytes
                                                        : HTTP_CLIENT_DEFAULT_MAX_RESPONSE_BYTES;
    for (const char *const *h = cfg->default_headers; h && *h; h++) {
        struct curl_slist *next = curl_slist_append(c->default_headers, *h);
        if (!next)
            goto fail;
        c->default_headers = next;
    }
    if (!c->base_url || !c->user_agent)
        goto fail;
    return c;
fail:
    http_client_free(c);
    return NULL;
}

void http_client_free(http_client_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->idle_count; i++)
        curl_easy_cleanup(c->idle[i]);
    curl_slist_free_all(c->default_headers);
    pthread_mutex_destroy(&c->lock);
    free(c->base_url);
    free(c->user_agent);
    free(c);
}

/* A handle for one request: an idle one (its keep-alive connection comes
 * with it) or a new one. NULL on OOM. */
static CURL *handle_acquire(http_client_t *c)
{
    CURL *easy = NULL;
    pthread_mutex_lock(&c->lock);
    if (c->idle_count > 0)
        easy = c->idle[--c->idle_count];
    pthread_mutex_unlock(&c->lock);
    if (easy)
        curl_easy_reset(easy); /* keeps the connection cache */
    else
        easy = curl_easy_init();
    return easy;
}

/* Gives a handle back for the next request; beyond the idle cap it is closed. */
static void handle_release(http_client_t *c, CURL *easy)
{
    pthread_mutex_lock(&c->lock);
    if (c->idle_count < HTTP_CLIENT_MAX_IDLE_HANDLES) {
        c->idle[c->idle_count++] = easy;
        easy = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (easy)
        curl_easy_cleanup(easy);
}

/* ---------------------------------------------------------------- encoding -- */

static bool unreserved(unsigned char ch)
{
    return isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

char *http_client_form_encode(const char *const *pairs)
{
    size_t cap = 1;
    for (const char *const *p = pairs; p && p[0] && p[1]; p += 2)
        cap += 3 * (strlen(p[0]) + strlen(p[1])) + 2;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    static const char hex[] = "0123456789ABCDEF";
    for (const char *const *p = pairs; p && p[0] && p[1]; p += 2) {
        if (o != out)
            *o++ = '&';
        for (int part = 0; part < 2; part++) {
            for (const unsigned char *s = (const unsigned char *)p[part]; *s; s++) {
                if (unreserved(*s)) {
                    *o++ = (char)*s;
                } else {
                    *o++ = '%';
                    *o++ = hex[*s >> 4];
                    *o++ = hex[*s & 15];
                }
            }
            if (part == 0)
                *o++ = '=';
        }
    }
    *o = '\0';
    return out;
}

long http_client_parse_retry_after(const char *value)
{
    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    if (isdigit((unsigned char)*value)) {
        char *end = NULL;
        long s = strtol(value, &end, 10);
        while (end && isspace((unsigned char)*end))
            end++;
        return (end && *end == '\0' && s >= 0 && s < 86400L * 365) ? s * 1000 : -1;
    }
    time_t when = curl_getdate(value, NULL);
    if (when < 0)
        return -1;
    long delta = (long)(when - time(NULL));
    return delta > 0 ? delta * 1000 : 0;
}

const char *http_client_err_name(http_client_err_t err)
{
    switch (err) {
    case HTTP_CLIENT_OK:
        return "ok";
    case HTTP_CLIENT_ERR_TIMEOUT:
        return "timeout";
    case HTTP_CLIENT_ERR_CONNECT:
        return "connect";
    case HTTP_CLIENT_ERR_TRANSPORT:
        return "transport";
    case HTTP_CLIENT_ERR_TOO_LARGE:
        return "too_large";
    case HTTP_CLIENT_ERR_INVALID:
        return "invalid";
    }
    return "unknown";
}

/* ------------------------------------------------------------- callbacks -- */

typedef struct sink {
    http_client_response_t *resp;
    size_t cap;
    size_t limit;
    bool too_large;
} sink_t;

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    sink_t *s = userdata;
    size_t len = size * n;
    http_client_response_t *r = s->resp;
    if (r->body_len + len > s->limit) {
        s->too_large = true;
        return 0; /* aborts the transfer */
    }
    if (r->body_len + len + 1 > s->cap) {
        size_t cap = (r->body_len + len + 1) * 2;
        char *p = realloc(r->body, cap);
        if (!p)
            return 0;
        r->body = p;
        s->cap = cap;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
    http_client_response_t *r = userdata;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        char value[128];
        size_t vlen = len - (sizeof name - 1);
        if (vlen >= sizeof value)
            vlen = sizeof value - 1;
        memcpy(value, data + sizeof name - 1, vlen);
        value[vlen] = '\0';
        value[strcspn(value, "\r\n")] = '\0';
        r->retry_after_ms = http_client_parse_retry_after(value);
    }
    return len;
}

/* ---------------------------------------------------------------- request -- */

static http_client_err_t map_curl_error(CURLcode rc, bool too_large)
{
    if (too_large)
        return HTTP_CLIENT_ERR_TOO_LARGE;
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return HTTP_CLIENT_ERR_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return HTTP_CLIENT_ERR_CONNECT;
    default:
        return HTTP_CLIENT_ERR_TRANSPORT;
    }
}

static http_client_err_t perform(http_client_t *c, CURL *easy, const char *method, const char *url,
                                 const char *const *headers, const char *body, size_t body_len,
                                 http_client_response_t *resp);

http_client_err_t http_client_request(http_client_t *c, const char *method, const char *path,
                                      const char *const *query, const char *const *headers,
                                      const char *body, size_t body_len,
                                      http_client_response_t *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->retry_after_ms = -1;
    char url[URL_MAX];
    char *qs = query ? http_client_form_encode(query) : NULL;
    int n = snprintf(url, sizeof url, "%s%s%s%s", c->base_url, path ? path : "",
                     qs && *qs ? "?" : "", qs && *qs ? qs : "");
    free(qs);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(resp->error, sizeof resp->error, "URL too long");
        return HTTP_CLIENT_ERR_INVALID;
    }
    CURL *easy = handle_acquire(c);
    if (!easy) {
        snprintf(resp->error, sizeof resp->error, "no curl handle (out of memory)");
        return HTTP_CLIENT_ERR_INVALID;
    }
    http_client_err_t result = perform(c, easy, method, url, headers, body, body_len, resp);
    handle_release(c, easy);
    return result;
}

/* One request on a handle of our own. */
static http_client_err_t perform(http_client_t *c, CURL *easy, const char *method, const char *url,
                                 const char *const *headers, const char *body, size_t body_len,
                                 http_client_response_t *resp)
{
    struct curl_slist *hdrs = NULL;
    for (struct curl_slist *h = c->default_headers; h; h = h->next)
        hdrs = curl_slist_append(hdrs, h->data);
    for (const char *const *h = headers; h && *h; h++)
        hdrs = curl_slist_append(hdrs, *h);
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    /* W3C trace context: the call is a span of the thread's current trace. */
    const trace_context_t *trace = trace_current();
    trace_context_t span;
    if (trace && trace_child(trace, &span) == 0) {
        char line[32 + TRACE_STATE_MAX_LEN];
        char tp[TRACE_TRACEPARENT_LEN + 1];
        trace_format(&span, tp);
        snprintf(line, sizeof line, "traceparent: %s", tp);
        hdrs = curl_slist_append(hdrs, line);
        if (span.tracestate[0]) {
            snprintf(line, sizeof line, "tracestate: %s", span.tracestate);
            hdrs = curl_slist_append(hdrs, line);
        }
    }

    sink_t sink = {.resp = resp, .limit = c->max_response_bytes};
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, c->total_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, resp);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = curl_easy_perform(easy);
    curl_slist_free_all(hdrs);

    double total_s = 0;
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &total_s);
    resp->latency_ms = total_s * 1000.0;
    if (rc != CURLE_OK) {
        snprintf(resp->error, sizeof resp->error, "%s", curl_easy_strerror(rc));
        free(resp->body);
        resp->body = NULL;
        resp->body_len = 0;
        return map_curl_error(rc, sink.too_large);
    }
    long status = 0;
    char *ct = NULL;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct);
    resp->status = (int)status;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", ct ? ct : "");
    if (!resp->body) {
        resp->body = calloc(1, 1);
        if (!resp->body)
            return HTTP_CLIENT_ERR_INVALID;
    }
    return HTTP_CLIENT_OK;
}

http_client_err_t http_client_get(http_client_t *c, const char *path, const char *const *query,
                                  const char *const *headers, http_client_response_t *resp)
{
    return http_client_request(c, "GET", path, query, headers, NULL, 0, resp);
}

/* Headers plus one more, into a caller-provided array. */
static const char *const *with_header(const char **buf, size_t cap, const char *const *headers,
                                      const char *extra)
{
    size_t n = 0;
    for (const char *const *h = headers; h && *h && n + 2 < cap; h++)
        buf[n++] = *h;
    buf[n++] = extra;
    buf[n] = NULL;
    return buf;
}

#define MAX_EXTRA_HEADERS 32

http_client_err_t http_client_post_json(http_client_t *c, const char *path,
                                        const char *const *headers, const char *json,
                                        http_client_response_t *resp)
{
    const char *buf[MAX_EXTRA_HEADERS];
    return http_client_request(
        c, "POST", path, NULL,
        with_header(buf, MAX_EXTRA_HEADERS, headers, "Content-Type: application/json"), json,
        json ? strlen(json) : 0, resp);
}

http_client_err_t http_client_post_form(http_client_t *c, const char *path,
                                        const char *const *headers, const char *const *form,
                                        http_client_response_t *resp)
{
    const char *buf[MAX_EXTRA_HEADERS];
    char *body = http_client_form_encode(form);
    if (!body) {
        memset(resp, 0, sizeof *resp);
        return HTTP_CLIENT_ERR_INVALID;
    }
    http_client_err_t rc =
        http_client_request(c, "POST", path, NULL,
                            with_header(buf, MAX_EXTRA_HEADERS, headers,
                                        "Content-Type: application/x-www-form-urlencoded"),
                            body, strlen(body), resp);
    free(body);
    return rc;
}

void http_client_response_clear(http_client_response_t *resp)
{
    if (!resp)
        return;
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}
