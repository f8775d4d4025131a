/* The HTTP client against our own server on loopback: any number of threads,
 * short-lived or not, share one client; answers, statuses and transport
 * errors come back typed. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "common/http_client.h"
#include "common/http_server.h"

static http_server_t *srv;
static http_client_t *client;

static int handle_echo(http_request_t *req, void *ctx)
{
    (void)ctx;
    const char *who = http_request_query(req, "who");
    char body[128];
    snprintf(body, sizeof body, "{\"hello\":\"%s\"}", who ? who : "");
    return http_respond(req, 200, "application/json", body, strlen(body));
}

static void setup(void)
{
    http_server_config_t hc = {
        .service = "test-http-client", .bind_address = "127.0.0.1", .threads = 4};
    srv = http_server_new(&hc);
    http_server_route(srv, "GET", "/echo", AUTH_RULE_OPEN, handle_echo, NULL);
    ck_assert_int_eq(http_server_start(srv), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", http_server_port(srv));
    http_client_config_t cc = {
        .base_url = base, .connect_timeout_ms = 10000, .total_timeout_ms = 20000};
    client = http_client_new(&cc);
}

static void teardown(void)
{
    http_client_free(client);
    http_server_free(srv);
}

typedef struct worker {
    int ok;
} worker_t;

static void *one_request(void *arg)
{
    worker_t *w = arg;
    const char *q[] = {"who", "thread", NULL};
    http_client_response_t r;
    w->ok = http_client_get(client, "/echo", q, NULL, &r) == HTTP_CLIENT_OK && r.status == 200 &&
            strcmp(r.body, "{\"hello\":\"thread\"}") == 0;
    http_client_response_clear(&r);
    return NULL;
}

START_TEST(test_more_short_lived_threads_than_idle_handles_all_get_answers)
{
    enum { WAVES = 4, THREADS = 40 }; /* 160 threads, more than HTTP_CLIENT_MAX_IDLE_HANDLES */
    for (int wave = 0; wave < WAVES; wave++) {
        pthread_t t[THREADS];
        worker_t w[THREADS] = {0};
        for (int i = 0; i < THREADS; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, one_request, &w[i]), 0);
        for (int i = 0; i < THREADS; i++) {
            pthread_join(t[i], NULL);
            ck_assert_msg(w[i].ok, "wave %d thread %d got no answer", wave, i);
        }
    }
}
END_TEST

START_TEST(test_statuses_and_transport_errors_are_told_apart)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(client, "/nope", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 404);
    http_client_response_clear(&r);
    http_client_config_t cc = {.base_url = "http://127.0.0.1:9", .connect_timeout_ms = 2000};
    http_client_t *nowhere = http_client_new(&cc);
    ck_assert_int_eq(http_client_get(nowhere, "/", NULL, NULL, &r), HTTP_CLIENT_ERR_CONNECT);
    ck_assert_int_eq(r.status, 0);
    ck_assert(strlen(r.error) > 0);
    http_client_response_clear(&r);
    http_client_free(nowhere);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_client");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_more_short_lived_threads_than_idle_handles_all_get_answers);
    tcase_add_test(tc, test_statuses_and_transport_errors_are_told_apart);
    suite_add_tcase(s, tc);
    return check_run(s);
}
