/* Unit tests for http_server.c and http_client.c on loopback: routing, path
 * parameters, bad input (400/404/405/413) with JSON error bodies, built-in
 * endpoints, request ids, concurrency, garbage on the socket, graceful drain. */
#include <arpa/inet.h>
#include <check.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/trace.h"
#include "check_run.h"

#define SMALL_BODY_LIMIT 1024
#define WAIT_MS 10000

static http_server_t *srv;
static http_client_t *client;
static bool ready_flag = true;

/* A handler that blocks until the test releases it (drain test). */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static bool gate_entered;

/* Deferred answers: the handler parks its request here and returns; the
 * test answers later from its own thread. */
#define DEFERRED_MAX 8
static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;
static http_request_t *parked[DEFERRED_MAX];
static int parked_count;
static int defer_refused;

static int handle_booking(http_request_t *req, void *ctx)
{
    (void)ctx;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "bookingId",
                           json_object_new_string(http_request_param(req, "bookingId")));
    const char *q = http_request_query(req, "hotelId");
    json_object_object_add(o, "hotelId", json_object_new_string(q ? q : ""));
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

static int handle_echo(http_request_t *req, void *ctx)
{
    (void)ctx;
    json_object *body = http_request_json_object(req);
    if (!body)
        return 0; /* already answered 400 */
    int rc = http_respond_json(req, 201, body);
    json_object_put(body);
    return rc;
}

static int handle_forgetful(http_request_t *req, void *ctx)
{
    (void)req, (void)ctx;
    return -1;
}

static int handle_slow(http_request_t *req, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&gate_lock);
    gate_entered = true;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return http_respond(req, 200, "text/plain", "done", 4);
}

/* Answers the trace the handler runs in, and the request's own (the one a
 * thread answering it later takes on). */
static int handle_trace(http_request_t *req, void *ctx)
{
    (void)ctx;
    const trace_context_t *t = trace_current(), *own = http_request_trace(req);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "traceId", json_object_new_string(t ? t->trace_id : ""));
    json_object_object_add(o, "spanId", json_object_new_string(t ? t->span_id : ""));
    json_object_object_add(o, "tracestate", json_object_new_string(t ? t->tracestate : ""));
    json_object_object_add(o, "requestTraceId", json_object_new_string(own->trace_id));
    json_object_object_add(o, "requestSpanId", json_object_new_string(own->span_id));
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

static bool is_ready(void *ctx, const char **reason)
{
    (void)ctx;
    *reason = "redis: connection refused";
    return ready_flag;
}

static void setup(void)
{
    log_init("test", LOG_LEVEL_ERROR);
    http_server_config_t cfg = {.service = "test",
                                .bind_address = "127.0.0.1",
                                .port = 0,
                                .max_body_bytes = SMALL_BODY_LIMIT,
                                .ready = is_ready};
    srv = http_server_new(&cfg);
    ck_assert_int_eq(
        http_server_route(srv, "GET", "/api/bookings/:bookingId", AUTH_RULE_OPEN, handle_booking,
                          NULL), 0);
    ck_assert_int_eq(http_server_route(srv, "POST", "/api/echo", AUTH_RULE_OPEN, handle_echo,
                                       NULL), 0);
    ck_assert_int_eq(http_server_route(srv, "GET", "/forgetful", AUTH_RULE_OPEN, handle_forgetful,
                                       NULL), 0);
    ck_assert_int_eq(http_server_route(srv, "GET", "/slow", AUTH_RULE_OPEN, handle_slow, NULL), 0);
    ck_assert_int_eq(http_server_route(srv, "GET", "/trace", AUTH_RULE_OPEN, handle_trace, NULL),
                     0);
    ck_assert_int_eq(http_server_route(srv, "GET", "relative", AUTH_RULE_OPEN, handle_slow, NULL),
                     -1);
    ck_assert_int_eq(http_server_start(srv), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", http_server_port(srv));
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = WAIT_MS};
    client = http_client_new(&cc);
    ready_flag = true;
    gate_open = gate_entered = false;
}

static void teardown(void)
{
    http_client_free(client);
    http_server_free(srv);
    metrics_reset();
}

/* Parses a response body and returns the string member `key` (static copy). */
static const char *json_member(const http_client_response_t *r, const char *key)
{
    static char value[512];
    json_object *o = json_tokener_parse(r->body), *v = NULL;
    ck_assert_msg(o != NULL, "not JSON: %s", r->body);
    value[0] = '\0';
    if (json_object_object_get_ex(o, key, &v))
        snprintf(value, sizeof value, "%s", json_object_get_string(v));
    json_object_put(o);
    return value;
}

START_TEST(test_path_parameters_and_query_arguments_reach_the_handler)
{
    http_client_response_t r;
    const char *q[] = {"hotelId", "hotel 123&x", NULL};
    ck_assert_int_eq(http_client_get(client, "/api/bookings/bk_42", q, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_member(&r, "bookingId"), "bk_42");
    ck_assert_str_eq(json_member(&r, "hotelId"), "hotel 123&x");
    ck_assert_ptr_nonnull(strstr(r.content_type, "application/json"));
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_unknown_path_is_404_with_a_json_error)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(client, "/nope", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(json_member(&r, "errorCode"), "NOT_FOUND");
    ck_assert_str_eq(json_member(&r, "success"), "false");
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_wrong_method_is_405_naming_the_allowed_ones)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(client, "DELETE", "/api/echo", NULL, NULL, NULL, 0, &r),
                     HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(json_member(&r, "errorCode"), "METHOD_NOT_ALLOWED");
    ck_assert_ptr_nonnull(strstr(json_member(&r, "error"), "POST"));
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_bad_json_bodies_are_400_naming_the_body)
{
    static const char *bad[] = {"{\"a\":", "not json", "[1,2]", "{\"a\":1} trailing", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        http_client_response_t r;
        ck_assert_int_eq(http_client_post_json(client, "/api/echo", NULL, bad[i], &r),
                         HTTP_CLIENT_OK);
        ck_assert_msg(r.status == 400, "%s -> %d", bad[i], r.status);
        ck_assert_str_eq(json_member(&r, "errorCode"), "VALIDATION_ERROR");
        ck_assert_str_eq(json_member(&r, "field"), "body");
        http_client_response_clear(&r);
    }
}
END_TEST

START_TEST(test_a_valid_json_body_round_trips_with_unicode)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_post_json(client, "/api/echo", NULL, "{\"name\":\"홍길동\"}", &r),
                     HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(json_member(&r, "name"), "홍길동");
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_oversize_body_is_413)
{
    char big[SMALL_BODY_LIMIT * 4];
    memset(big, 'a', sizeof big - 1);
    big[0] = '"';
    big[sizeof big - 2] = '"';
    big[sizeof big - 1] = '\0';
    http_client_response_t r;
    ck_assert_int_eq(http_client_post_json(client, "/api/echo", NULL, big, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(json_member(&r, "errorCode"), "PAYLOAD_TOO_LARGE");
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_a_handler_that_does_not_respond_yields_500)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(client, "/forgetful", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(json_member(&r, "errorCode"), "INTERNAL_ERROR");
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_builtin_health_readiness_and_metrics)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(client, "/healthz", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_member(&r, "status"), "ok");
    http_client_response_clear(&r);

    ck_assert_int_eq(http_client_get(client, "/readyz", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    http_client_response_clear(&r);
    ready_flag = false;
    ck_assert_int_eq(http_client_get(client, "/readyz", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(json_member(&r, "reason"), "redis: connection refused");
    http_client_response_clear(&r);

    ck_assert_int_eq(http_client_get(client, "/api/bookings/b1", NULL, NULL, &r), HTTP_CLIENT_OK);
    http_client_response_clear(&r);
    ck_assert_int_eq(http_client_get(client, "/metrics", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    /* The route pattern, not the raw path, keeps label cardinality bounded. */
    ck_assert_ptr_nonnull(strstr(r.body, "route=\"/api/bookings/:bookingId\""));
    ck_assert_ptr_null(strstr(r.body, "/api/bookings/b1"));
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_request_ids_are_echoed_when_sane_and_generated_otherwise)
{
    http_client_response_t r;
    const char *mine[] = {"X-Request-Id: abc-123", NULL};
    ck_assert_int_eq(http_client_get(client, "/healthz", NULL, mine, &r), HTTP_CLIENT_OK);
    http_client_response_clear(&r);
    /* The id is visible through curl only as a header; check via a raw request. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)http_server_port(srv))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\n"
                      "Connection: close\r\n\r\n";
    ck_assert(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    char buf[4096] = {0};
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    ck_assert_ptr_nonnull(strstr(buf, "X-Request-Id: abc-123"));
}
END_TEST

START_TEST(test_a_handler_continues_the_callers_traceparent_or_starts_a_trace)
{
    http_client_response_t r;
    const char *given[] = {"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                           "tracestate: congo=t61rcWkgMzE", NULL};
    ck_assert_int_eq(http_client_get(client, "/trace", NULL, given, &r), HTTP_CLIENT_OK);
    ck_assert_str_eq(json_member(&r, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_str_ne(json_member(&r, "spanId"), "00f067aa0ba902b7"); /* a span of its own */
    ck_assert_uint_eq(strlen(json_member(&r, "spanId")), TRACE_SPAN_ID_LEN);
    ck_assert_str_eq(json_member(&r, "tracestate"), "congo=t61rcWkgMzE");
    ck_assert_str_eq(json_member(&r, "requestTraceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
    char span[TRACE_SPAN_ID_LEN + 1]; /* json_member's answer is overwritten by the next call */
    snprintf(span, sizeof span, "%s", json_member(&r, "spanId"));
    ck_assert_str_eq(json_member(&r, "requestSpanId"), span);
    http_client_response_clear(&r);

    const char *malformed[] = {"traceparent: 00-xyz", "tracestate: a=b", NULL};
    ck_assert_int_eq(http_client_get(client, "/trace", NULL, malformed, &r), HTTP_CLIENT_OK);
    char first[TRACE_ID_LEN + 1];
    snprintf(first, sizeof first, "%s", json_member(&r, "traceId"));
    ck_assert_uint_eq(strlen(first), TRACE_ID_LEN);
    ck_assert_str_eq(json_member(&r, "tracestate"), "");
    http_client_response_clear(&r);
    ck_assert_int_eq(http_client_get(client, "/trace", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_uint_eq(strlen(json_member(&r, "traceId")), TRACE_ID_LEN);
    ck_assert_str_ne(json_member(&r, "traceId"), first); /* a new trace per request */
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_the_client_sends_the_threads_trace_as_a_new_span)
{
    trace_context_t mine;
    ck_assert_int_eq(trace_parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                                 "rojo=00f067aa0ba902b7", &mine),
                     0);
    trace_set_current(&mine);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(client, "/trace", NULL, NULL, &r), HTTP_CLIENT_OK);
    trace_set_current(NULL);
    ck_assert_str_eq(json_member(&r, "traceId"), "0af7651916cd43dd8448eb211c80319c");
    ck_assert_str_ne(json_member(&r, "spanId"), "b7ad6b7169203331");
    ck_assert_str_eq(json_member(&r, "tracestate"), "rojo=00f067aa0ba902b7");
    http_client_response_clear(&r);
}
END_TEST

/* Sends raw bytes and hangs up. */
static void send_raw(const char *data, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)http_server_port(srv))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    ssize_t w = write(fd, data, len);
    (void)w;
    close(fd); /* no waiting for an answer: some of these never get one */
}

START_TEST(test_garbage_and_truncated_requests_never_crash_the_server)
{
    send_raw("GARBAGE\r\n\r\n", 11);
    static char huge[100 * 1024];
    const char *head = "GET /healthz HTTP/1.1\r\nX-Big: ";
    memset(huge, 'h', sizeof huge);
    memcpy(huge, head, strlen(head));
    send_raw(huge, sizeof huge);
    const char *truncated =
        "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"a\"";
    send_raw(truncated, strlen(truncated));
    const char *nul = "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{\0\0}\n";
    send_raw(nul, 60);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(client, "/healthz", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    http_client_response_clear(&r);
}
END_TEST

#define PARALLEL 8
#define REQUESTS_EACH 25

static void *parallel_client(void *arg)
{
    int *ok = arg;
    for (int i = 0; i < REQUESTS_EACH; i++) {
        http_client_response_t r;
        if (http_client_get(client, "/api/bookings/x", NULL, NULL, &r) == HTTP_CLIENT_OK &&
            r.status == 200)
            (*ok)++;
        http_client_response_clear(&r);
    }
    return NULL;
}

START_TEST(test_concurrent_requests_from_eight_threads_all_succeed)
{
    pthread_t t[PARALLEL];
    int ok[PARALLEL] = {0};
    for (int i = 0; i < PARALLEL; i++)
        pthread_create(&t[i], NULL, parallel_client, &ok[i]);
    int total = 0;
    for (int i = 0; i < PARALLEL; i++) {
        pthread_join(t[i], NULL);
        total += ok[i];
    }
    ck_assert_int_eq(total, PARALLEL * REQUESTS_EACH);
}
END_TEST

typedef struct slow_call {
    http_client_response_t resp;
    http_client_err_t err;
} slow_call_t;

static void *call_slow(void *arg)
{
    slow_call_t *c = arg;
    c->err = http_client_get(client, "/slow", NULL, NULL, &c->resp);
    return NULL;
}

static bool accepts_connections(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* Releases the slow handler once the stopping server refuses new connections,
 * so the request is provably in flight while stop() runs. */
static void *open_gate_when_stopping(void *arg)
{
    int port = *(int *)arg;
    int64_t deadline = clock_now_ms() + WAIT_MS;
    while (accepts_connections(port) && clock_now_ms() < deadline)
        clock_source_system()->sleep_ms(NULL, 5);
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    return NULL;
}

START_TEST(test_stop_lets_in_flight_requests_finish_then_refuses_new_ones)
{
    slow_call_t call = {0};
    pthread_t caller, opener;
    pthread_create(&caller, NULL, call_slow, &call);
    pthread_mutex_lock(&gate_lock);
    while (!gate_entered)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    int port = http_server_port(srv);
    pthread_create(&opener, NULL, open_gate_when_stopping, &port);
    http_server_stop(srv); /* returns only after the slow request drained */
    pthread_join(caller, NULL);
    pthread_join(opener, NULL);
    ck_assert_int_eq(call.err, HTTP_CLIENT_OK);
    ck_assert_int_eq(call.resp.status, 200);
    ck_assert_str_eq(call.resp.body, "done");
    http_client_response_clear(&call.resp);
    http_client_response_t r;
    ck_assert_int_ne(http_client_get(client, "/healthz", NULL, NULL, &r), HTTP_CLIENT_OK);
    http_client_response_clear(&r);
}
END_TEST

/* Answers the parked request once the gate opens (the listener is closed). */
static void *answer_parked_when_gate_opens(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    pthread_mutex_lock(&parked_lock);
    http_request_t *req = parked[0];
    pthread_mutex_unlock(&parked_lock);
    http_respond(req, 200, "text/plain", "in time", 7);
    return NULL;
}

/* Starts a server with `cfg` while the log goes to a scratch file and returns
 * whether anything libmicrohttpd said (its warnings come through our log)
 * mentions its thread pool. */
static bool start_logs_a_thread_pool_warning(const http_server_config_t *cfg)
{
    char path[] = "/tmp/test-http-server-log-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    log_init("test", LOG_LEVEL_WARN);
    log_set_fd(fd);
    http_server_t *s = http_server_new(cfg);
    ck_assert_int_eq(http_server_start(s), 0);
    http_server_free(s);
    log_set_fd(2);
    log_init("test", LOG_LEVEL_ERROR);

    char text[4096];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    ck_assert_int_ge(n, 0);
    text[n] = '\0';
    return strstr(text, "thread pool") != NULL;
}

START_TEST(test_starting_without_a_pool_logs_no_libmicrohttpd_warning)
{
    /* Thread per connection has no pool, and a pool of one thread is none
     * either: neither may make libmicrohttpd warn at every start. */
    http_server_config_t per_connection = {.service = "test",
                                           .bind_address = "127.0.0.1",
                                           .threads = 4,
                                           .thread_per_connection = true};
    ck_assert(!start_logs_a_thread_pool_warning(&per_connection));
    http_server_config_t one_thread = {.service = "test", .bind_address = "127.0.0.1", .threads = 1};
    ck_assert(!start_logs_a_thread_pool_warning(&one_thread));
    http_server_config_t pooled = {.service = "test", .bind_address = "127.0.0.1", .threads = 4};
    ck_assert(!start_logs_a_thread_pool_warning(&pooled));
}
END_TEST

START_TEST(test_thread_per_connection_a_blocked_handler_holds_up_only_its_own_connection)
{
    /* Replace the fixture's server with a one-thread-per-connection one. */
    http_client_free(client);
    http_server_free(srv);
    http_server_config_t cfg = {.service = "test",
                                .bind_address = "127.0.0.1",
                                .threads = 1,
                                .thread_per_connection = true};
    srv = http_server_new(&cfg);
    ck_assert_int_eq(http_server_route(srv, "GET", "/slow", AUTH_RULE_OPEN, handle_slow, NULL), 0);
    ck_assert_int_eq(http_server_start(srv), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", http_server_port(srv));
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = WAIT_MS};
    client = http_client_new(&cc);

    slow_call_t call = {0};
    pthread_t caller;
    pthread_create(&caller, NULL, call_slow, &call);
    pthread_mutex_lock(&gate_lock);
    while (!gate_entered)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    /* The slow handler is blocked: another connection is still served. */
    http_client_t *other = http_client_new(&cc);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(other, "/healthz", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    http_client_response_clear(&r);
    http_client_free(other);
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    pthread_join(caller, NULL);
    ck_assert_int_eq(call.err, HTTP_CLIENT_OK);
    ck_assert_int_eq(call.resp.status, 200);
    http_client_response_clear(&call.resp);
}
END_TEST

static int handle_deferred(http_request_t *req, void *ctx)
{
    (void)ctx;
    if (http_request_defer(req) != 0) {
        pthread_mutex_lock(&parked_lock);
        defer_refused++;
        pthread_mutex_unlock(&parked_lock);
        return http_respond(req, 200, "text/plain", "at once", 7);
    }
    pthread_mutex_lock(&parked_lock);
    parked[parked_count++] = req;
    pthread_mutex_unlock(&parked_lock);
    return 0;
}

/* Deferred and held, as a handler run whole on another thread is. */
static int handle_held(http_request_t *req, void *ctx)
{
    (void)ctx;
    ck_assert_int_eq(http_request_defer(req), 0);
    http_request_hold(req);
    pthread_mutex_lock(&parked_lock);
    parked[parked_count++] = req;
    pthread_mutex_unlock(&parked_lock);
    return 0;
}

static int parked_now(void)
{
    pthread_mutex_lock(&parked_lock);
    int n = parked_count;
    pthread_mutex_unlock(&parked_lock);
    return n;
}

/* Replaces the fixture's server with one that allows deferred answers. */
static void start_deferring_server(unsigned threads, bool per_connection, unsigned drain_ms)
{
    http_client_free(client);
    http_server_free(srv);
    http_server_config_t cfg = {.service = "test",
                                .bind_address = "127.0.0.1",
                                .threads = threads,
                                .thread_per_connection = per_connection,
                                .deferred_responses = true,
                                .drain_timeout_ms = drain_ms};
    srv = http_server_new(&cfg);
    ck_assert_int_eq(
        http_server_route(srv, "GET", "/deferred", AUTH_RULE_OPEN, handle_deferred, NULL), 0);
    ck_assert_int_eq(http_server_route(srv, "POST", "/held", AUTH_RULE_OPEN, handle_held, NULL), 0);
    ck_assert_int_eq(http_server_start(srv), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", http_server_port(srv));
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = WAIT_MS};
    client = http_client_new(&cc);
    pthread_mutex_lock(&parked_lock);
    parked_count = defer_refused = 0;
    pthread_mutex_unlock(&parked_lock);
}

typedef struct deferred_call {
    int port;
    bool held; /* POST /held with a body, not GET /deferred */
    http_client_response_t resp;
    http_client_err_t err;
} deferred_call_t;

static void *call_deferred(void *arg)
{
    deferred_call_t *c = arg;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", c->port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = WAIT_MS};
    http_client_t *own = http_client_new(&cc);
    static const char body[] = "{\"secret\":\"wiped after the answer\"}";
    c->err = c->held ? http_client_request(own, "POST", "/held", NULL, NULL, body, sizeof body - 1,
                                           &c->resp)
                     : http_client_get(own, "/deferred", NULL, NULL, &c->resp);
    http_client_free(own);
    return NULL;
}

static void wait_parked(int n)
{
    int64_t deadline = clock_now_ms() + WAIT_MS;
    while (parked_now() < n && clock_now_ms() < deadline)
        clock_source_system()->sleep_ms(NULL, 5);
    ck_assert_int_eq(parked_now(), n);
}

START_TEST(test_deferred_requests_hold_no_thread_and_are_answered_from_another_one)
{
    /* One server thread, four requests waiting at once: none holds it. */
    start_deferring_server(1, false, 0);
    deferred_call_t calls[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        calls[i] = (deferred_call_t){.port = http_server_port(srv)};
        pthread_create(&t[i], NULL, call_deferred, &calls[i]);
    }
    wait_parked(4);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(client, "/healthz", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    http_client_response_clear(&r);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(http_response_header(parked[i], "Retry-After", "7"), 0);
        char *body = strdup("{\"later\":true}");
        ck_assert_int_eq(http_respond_take(parked[i], 202, "application/json", body, strlen(body)),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(calls[i].err, HTTP_CLIENT_OK);
        ck_assert_int_eq(calls[i].resp.status, 202);
        ck_assert_str_eq(calls[i].resp.body, "{\"later\":true}");
        ck_assert_int_eq(calls[i].resp.retry_after_ms, 7000);
        http_client_response_clear(&calls[i].resp);
    }
    /* the server goes on serving after resumed answers */
    ck_assert_int_eq(http_client_get(client, "/healthz", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    http_client_response_clear(&r);
    ck_assert_int_eq(defer_refused, 0);
}
END_TEST

START_TEST(test_stop_waits_for_a_deferred_request_then_answers_it_503_itself)
{
    start_deferring_server(2, false, 300);
    deferred_call_t call = {.port = http_server_port(srv)};
    pthread_t t;
    pthread_create(&t, NULL, call_deferred, &call);
    wait_parked(1);
    int64_t t0 = clock_now_ms();
    http_server_stop(srv); /* the drain timeout passes with the request unanswered */
    ck_assert_int_ge(clock_now_ms() - t0, 300);
    pthread_join(t, NULL);
    ck_assert_int_eq(call.err, HTTP_CLIENT_OK);
    ck_assert_int_eq(call.resp.status, 503);
    ck_assert_str_eq(json_member(&call.resp, "errorCode"), "SHUTTING_DOWN");
    http_client_response_clear(&call.resp);
    /* the owner's late answer only releases the request (no leak, no use after free) */
    ck_assert_int_eq(http_respond(parked[0], 200, "text/plain", "late", 4), -1);
}
END_TEST

START_TEST(test_stop_drains_a_deferred_request_answered_in_time)
{
    start_deferring_server(2, false, 5000);
    deferred_call_t call = {.port = http_server_port(srv)};
    pthread_t t;
    pthread_create(&t, NULL, call_deferred, &call);
    wait_parked(1);
    int port = http_server_port(srv);
    pthread_t opener, answerer;
    pthread_create(&opener, NULL, open_gate_when_stopping, &port);
    /* answered once the listener is closed: provably while stop() waits */
    pthread_create(&answerer, NULL, answer_parked_when_gate_opens, NULL);
    http_server_stop(srv);
    pthread_join(opener, NULL);
    pthread_join(answerer, NULL);
    pthread_join(t, NULL);
    ck_assert_int_eq(call.err, HTTP_CLIENT_OK);
    ck_assert_int_eq(call.resp.status, 200);
    ck_assert_str_eq(call.resp.body, "in time");
    http_client_response_clear(&call.resp);
}
END_TEST

/* A held request stays valid after its answer went out and the connection
 * finished with it (the handler may still wipe its body, say), until its
 * release; a held handler that answered nothing gets the worker's 500. */
START_TEST(test_a_held_request_outlives_its_answer_until_released)
{
    start_deferring_server(1, false, 0);
    deferred_call_t calls[2] = {{.port = http_server_port(srv), .held = true},
                                {.port = http_server_port(srv), .held = true}};
    pthread_t t[2];
    pthread_create(&t[0], NULL, call_deferred, &calls[0]);
    wait_parked(1);
    pthread_create(&t[1], NULL, call_deferred, &calls[1]);
    wait_parked(2);
    ck_assert_int_eq(http_respond(parked[0], 201, "text/plain", "answered", 8), 0);
    pthread_join(t[0], NULL); /* the answer is out: libmicrohttpd is done with it */
    ck_assert_int_eq(calls[0].err, HTTP_CLIENT_OK);
    ck_assert_int_eq(calls[0].resp.status, 201);
    ck_assert_str_eq(calls[0].resp.body, "answered");
    http_client_response_clear(&calls[0].resp);
    struct json_object *body = http_request_json_object(parked[0]); /* still ours */
    ck_assert_str_eq(json_object_get_string(json_object_object_get(body, "secret")),
                     "wiped after the answer");
    json_object_put(body);
    http_request_wipe_body(parked[0]);
    http_request_release(parked[0], 0);

    http_request_release(parked[1], -1); /* returned without answering */
    pthread_join(t[1], NULL);
    ck_assert_int_eq(calls[1].err, HTTP_CLIENT_OK);
    ck_assert_int_eq(calls[1].resp.status, 500);
    ck_assert_str_eq(json_member(&calls[1].resp, "errorCode"), "INTERNAL_ERROR");
    http_client_response_clear(&calls[1].resp);
}
END_TEST

/* A held request whose handler is still running when the server stops: the
 * server answers it 503 itself; the handler's late answer and the release
 * afterwards only free it (no use after free under the sanitizers). */
START_TEST(test_stop_answers_a_held_request_and_its_late_release_frees_it)
{
    start_deferring_server(2, false, 200);
    deferred_call_t call = {.port = http_server_port(srv), .held = true};
    pthread_t t;
    pthread_create(&t, NULL, call_deferred, &call);
    wait_parked(1);
    http_server_stop(srv);
    pthread_join(t, NULL);
    ck_assert_int_eq(call.err, HTTP_CLIENT_OK);
    ck_assert_int_eq(call.resp.status, 503);
    ck_assert_str_eq(json_member(&call.resp, "errorCode"), "SHUTTING_DOWN");
    http_client_response_clear(&call.resp);
    http_request_wipe_body(parked[0]); /* still held */
    ck_assert_int_eq(http_respond(parked[0], 200, "text/plain", "late", 4), -1);
    http_request_release(parked[0], 0);
}
END_TEST

START_TEST(test_deferral_is_refused_with_a_thread_per_connection)
{
    start_deferring_server(1, true, 0);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(client, "/deferred", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "at once");
    http_client_response_clear(&r);
    ck_assert_int_eq(defer_refused, 1);
}
END_TEST

START_TEST(test_client_reports_connection_refused_and_parses_retry_after)
{
    http_client_config_t cc = {.base_url = "http://127.0.0.1:1", .connect_timeout_ms = 2000};
    http_client_t *c = http_client_new(&cc);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(c, "/", NULL, NULL, &r), HTTP_CLIENT_ERR_CONNECT);
    ck_assert_int_eq(r.status, 0);
    ck_assert(r.error[0] != '\0');
    http_client_response_clear(&r);
    http_client_free(c);
    ck_assert_int_eq(http_client_parse_retry_after("120"), 120000);
    ck_assert_int_eq(http_client_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), 0);
    ck_assert_int_eq(http_client_parse_retry_after("soon"), -1);
}
END_TEST

START_TEST(test_form_encoding_escapes_reserved_and_utf8_characters)
{
    const char *form[] = {"guestFirstName", "홍", "note", "a+b&c=d e", NULL};
    char *s = http_client_form_encode(form);
    ck_assert_str_eq(s, "guestFirstName=%ED%99%8D&note=a%2Bb%26c%3Dd%20e");
    free(s);
}
END_TEST

/* ------------------------------------------------------ abuse limits -- */

static http_server_t *limited;

static int handle_whoami(http_request_t *req, void *ctx)
{
    (void)ctx;
    const char *a = http_request_client_address(req);
    return http_respond(req, 200, "text/plain", a, strlen(a));
}

/* A server with small limits; trusted = TRUSTED_PROXIES. */
static void limited_start(const char *trusted)
{
    http_server_config_t cfg = {.service = "limited",
                                .bind_address = "127.0.0.1",
                                .max_header_bytes = 4096,
                                .max_connections = 8,
                                .max_connections_per_ip = 2,
                                .connection_timeout_s = 1,
                                .request_timeout_ms = 1000,
                                .trusted_proxies = trusted};
    limited = http_server_new(&cfg);
    ck_assert(limited != NULL);
    ck_assert_int_eq(http_server_route(limited, "GET", "/whoami", AUTH_RULE_OPEN, handle_whoami, NULL), 0);
    ck_assert_int_eq(http_server_route(limited, "POST", "/api/echo", AUTH_RULE_OPEN, handle_echo, NULL), 0);
    ck_assert_int_eq(http_server_start(limited), 0);
}

static int connect_to(http_server_t *s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_server_port(s))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Everything the server sends until it closes (or 10 s pass), into out. */
static size_t read_all(int fd, char *out, size_t size)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, out + n, size - 1 - n);
        if (r <= 0 || n + (size_t)r >= size - 1)
            break;
        n += (size_t)r;
    }
    out[n] = '\0';
    return n;
}

START_TEST(test_an_oversize_request_head_is_refused_431)
{
    limited_start(NULL);
    int fd = connect_to(limited);
    char req[16384];
    int n = snprintf(req, sizeof req, "GET /whoami HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', 10000);
    memcpy(req + n + 10000, "\r\n\r\n", 5);
    ssize_t w = write(fd, req, strlen(req));
    (void)w;
    static char answer[8192];
    read_all(fd, answer, sizeof answer);
    close(fd);
    ck_assert_msg(strncmp(answer, "HTTP/1.1 431", 12) == 0, "answer: %.80s", answer);
    /* a normal head still passes */
    fd = connect_to(limited);
    const char ok[] = "GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    w = write(fd, ok, sizeof ok - 1);
    read_all(fd, answer, sizeof answer);
    close(fd);
    ck_assert_msg(strncmp(answer, "HTTP/1.1 200", 12) == 0, "answer: %.80s", answer);
    http_server_free(limited);
}
END_TEST

START_TEST(test_a_slow_client_is_cut_off)
{
    limited_start(NULL);
    /* half a request head, then silence: closed after the idle timeout */
    int fd = connect_to(limited);
    const char part[] = "GET /whoami HTTP/1.1\r\nHost: x\r\n";
    ssize_t w = write(fd, part, sizeof part - 1);
    int64_t t0 = clock_now_ms();
    char answer[512];
    read_all(fd, answer, sizeof answer);
    int64_t waited = clock_now_ms() - t0;
    close(fd);
    ck_assert_msg(waited < 5000, "closed after %lld ms", (long long)waited);
    /* a body trickling in, a byte each 300 ms: cut at the request deadline */
    fd = connect_to(limited);
    const char head[] = "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 100\r\n\r\n";
    w = write(fd, head, sizeof head - 1);
    bool cut = false;
    t0 = clock_now_ms();
    for (int i = 0; i < 100 && !cut; i++) {
        clock_source_system()->sleep_ms(NULL, 300); /* the slow client's pace, not a sync */
        char probe;
        cut = write(fd, " ", 1) < 0 || recv(fd, &probe, 1, MSG_DONTWAIT) == 0;
    }
    waited = clock_now_ms() - t0;
    close(fd);
    ck_assert_msg(cut && waited < 10000, "not cut off after %lld ms", (long long)waited);
    (void)w;
    http_server_free(limited);
}
END_TEST

static void whoami(http_server_t *s, const char *xff, char *out, size_t size)
{
    char base[64], h[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", http_server_port(s));
    snprintf(h, sizeof h, "X-Forwarded-For: %s", xff ? xff : "");
    const char *headers[] = {h, NULL};
    http_client_t *c =
        http_client_new(&(http_client_config_t){.base_url = base, .total_timeout_ms = WAIT_MS});
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(c, "/whoami", NULL, xff ? headers : NULL, &r),
                     HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    snprintf(out, size, "%s", r.body);
    http_client_response_clear(&r);
    http_client_free(c);
}

START_TEST(test_the_client_address_believes_forwarded_for_only_from_trusted_proxies)
{
    char who[64];
    limited_start(NULL); /* nobody trusted: the header is a spoof */
    whoami(limited, NULL, who, sizeof who);
    ck_assert_str_eq(who, "127.0.0.1");
    whoami(limited, "203.0.113.9", who, sizeof who);
    ck_assert_str_eq(who, "127.0.0.1");
    http_server_free(limited);
    limited_start("127.0.0.0/8"); /* the loopback peer is our proxy */
    whoami(limited, "6.6.6.6, 203.0.113.9", who, sizeof who);
    ck_assert_str_eq(who, "203.0.113.9");
    whoami(limited, NULL, who, sizeof who);
    ck_assert_str_eq(who, "127.0.0.1");
    http_server_free(limited);
    http_server_config_t bad = {.service = "bad", .trusted_proxies = "10.0.0.0/99"};
    ck_assert(http_server_new(&bad) == NULL);
}
END_TEST

START_TEST(test_connections_per_client_ip_are_capped)
{
    limited_start(NULL);
    int held[2];
    for (int i = 0; i < 2; i++) {
        held[i] = connect_to(limited);
        const char part[] = "GET /whoami HTTP/1.1\r\n";
        ssize_t w = write(held[i], part, sizeof part - 1);
        (void)w;
    }
    /* the third from the same address is closed without an answer */
    int fd = connect_to(limited);
    const char req[] = "GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ssize_t w = write(fd, req, sizeof req - 1);
    (void)w;
    char answer[512];
    size_t n = read_all(fd, answer, sizeof answer);
    close(fd);
    ck_assert_msg(n == 0 || strncmp(answer, "HTTP/1.1 200", 12) != 0, "answer: %s", answer);
    for (int i = 0; i < 2; i++)
        close(held[i]);
    http_server_free(limited);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_server");
    TCase *tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_path_parameters_and_query_arguments_reach_the_handler);
    tcase_add_test(tc, test_unknown_path_is_404_with_a_json_error);
    tcase_add_test(tc, test_wrong_method_is_405_naming_the_allowed_ones);
    tcase_add_test(tc, test_bad_json_bodies_are_400_naming_the_body);
    tcase_add_test(tc, test_a_valid_json_body_round_trips_with_unicode);
    tcase_add_test(tc, test_oversize_body_is_413);
    tcase_add_test(tc, test_a_handler_that_does_not_respond_yields_500);
    tcase_add_test(tc, test_builtin_health_readiness_and_metrics);
    tcase_add_test(tc, test_a_handler_continues_the_callers_traceparent_or_starts_a_trace);
    tcase_add_test(tc, test_the_client_sends_the_threads_trace_as_a_new_span);
    tcase_add_test(tc, test_request_ids_are_echoed_when_sane_and_generated_otherwise);
    tcase_add_test(tc, test_garbage_and_truncated_requests_never_crash_the_server);
    tcase_add_test(tc, test_concurrent_requests_from_eight_threads_all_succeed);
    tcase_add_test(tc, test_stop_lets_in_flight_requests_finish_then_refuses_new_ones);
    tcase_add_test(tc,
                   test_thread_per_connection_a_blocked_handler_holds_up_only_its_own_connection);
    tcase_add_test(tc, test_starting_without_a_pool_logs_no_libmicrohttpd_warning);
    tcase_add_test(tc, test_deferred_requests_hold_no_thread_and_are_answered_from_another_one);
    tcase_add_test(tc, test_stop_waits_for_a_deferred_request_then_answers_it_503_itself);
    tcase_add_test(tc, test_stop_drains_a_deferred_request_answered_in_time);
    tcase_add_test(tc, test_a_held_request_outlives_its_answer_until_released);
    tcase_add_test(tc, test_stop_answers_a_held_request_and_its_late_release_frees_it);
    tcase_add_test(tc, test_deferral_is_refused_with_a_thread_per_connection);
    tcase_add_test(tc, test_client_reports_connection_refused_and_parses_retry_after);
    tcase_add_test(tc, test_form_encoding_escapes_reserved_and_utf8_characters);
    suite_add_tcase(s, tc);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, test_an_oversize_request_head_is_refused_431);
    tcase_add_test(limits, test_a_slow_client_is_cut_off);
    tcase_add_test(limits, test_the_client_address_believes_forwarded_for_only_from_trusted_proxies);
    tcase_add_test(limits, test_connections_per_client_ip_are_capped);
    suite_add_tcase(s, limits);
    return check_run(s);
}
