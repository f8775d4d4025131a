/* Unit tests for client_limit.c without a Redis server: the GCRA arithmetic
 * (burst, sustained rate, retry-after) on an injected clock, independent
 * scopes and clients, "off" rules, API keys hashed, the one-call 429 helper,
 * and Redis failing → the in-process limit still applies, never an error. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "common/client_limit.h"
#include "common/config.h"
#include "common/http_client.h"
#include "common/log.h"
#include "common/metrics.h"

static clock_manual_t manual;
static clock_source_t clk;
static client_limit_t *cl;

static void setup(void)
{
    log_init("test", LOG_LEVEL_ERROR);
    memset(&manual, 0, sizeof manual);
    manual.now_ms = 1000000;
    clk = clock_source_manual(&manual);
    cl = client_limit_new(&(client_limit_config_t){.service = "test", .clock = &clk});
    ck_assert(cl != NULL);
}

static void teardown(void)
{
    client_limit_free(cl);
    metrics_reset();
}

static const client_limit_rule_t SIX_A_MINUTE = {.scope = "checkout", .per_minute = 6, .burst = 3};

START_TEST(test_a_burst_passes_then_the_next_waits_one_interval)
{
    int64_t wait = -1;
    for (int i = 0; i < 3; i++)
        ck_assert_msg(client_limit_take(cl, &SIX_A_MINUTE, "203.0.113.9", &wait), "request %d", i);
    ck_assert_int_eq(wait, 0);
    ck_assert(!client_limit_take(cl, &SIX_A_MINUTE, "203.0.113.9", &wait));
    ck_assert_int_eq(wait, 10000); /* 6 a minute: one every 10 s */
    manual.now_ms += 9999;
    ck_assert(!client_limit_take(cl, &SIX_A_MINUTE, "203.0.113.9", &wait));
    ck_assert_int_eq(wait, 1);
    manual.now_ms += 1;
    ck_assert(client_limit_take(cl, &SIX_A_MINUTE, "203.0.113.9", &wait));
    ck_assert(!client_limit_take(cl, &SIX_A_MINUTE, "203.0.113.9", &wait));
}
END_TEST

START_TEST(test_the_sustained_rate_is_the_configured_one)
{
    int allowed = 0;
    for (int s = 0; s < 600; s++) { /* ten minutes, one attempt a second */
        if (client_limit_take(cl, &SIX_A_MINUTE, "198.51.100.7", NULL))
            allowed++;
        manual.now_ms += 1000;
    }
    ck_assert_int_ge(allowed, 60);
    ck_assert_int_le(allowed, 60 + 3); /* the rate, plus the burst at most */
}
END_TEST

START_TEST(test_clients_and_scopes_are_limited_independently)
{
    static const client_limit_rule_t LOGIN = {.scope = "login", .per_minute = 6, .burst = 1};
    for (int i = 0; i < 3; i++)
        client_limit_take(cl, &SIX_A_MINUTE, "203.0.113.9", NULL);
    ck_assert(!client_limit_take(cl, &SIX_A_MINUTE, "203.0.113.9", NULL));
    ck_assert(client_limit_take(cl, &SIX_A_MINUTE, "203.0.113.10", NULL));
    ck_assert(client_limit_take(cl, &LOGIN, "203.0.113.9", NULL));
    ck_assert(!client_limit_take(cl, &LOGIN, "203.0.113.9", NULL));
}
END_TEST

START_TEST(test_a_rule_of_zero_is_off_and_a_zero_burst_is_one)
{
    static const client_limit_rule_t OFF = {.scope = "checkout", .per_minute = 0, .burst = 1};
    static const client_limit_rule_t NO_BURST = {.scope = "x", .per_minute = 60, .burst = 0};
    for (int i = 0; i < 1000; i++)
        ck_assert(client_limit_take(cl, &OFF, "203.0.113.9", NULL));
    ck_assert(client_limit_take(cl, &NO_BURST, "a", NULL));
    ck_assert(!client_limit_take(cl, &NO_BURST, "a", NULL));
    ck_assert(client_limit_take(NULL, &SIX_A_MINUTE, "a", NULL));
}
END_TEST

START_TEST(test_redis_failing_falls_back_to_the_process_and_is_counted)
{
    char err[128];
    redis_pool_t *pool = redis_pool_new("redis://127.0.0.1:1", 1, 100, 100, err, sizeof err);
    ck_assert_msg(pool != NULL, "%s", err);
    client_limit_t *shared =
        client_limit_new(&(client_limit_config_t){.service = "test", .redis = pool, .clock = &clk});
    int64_t wait = 0;
    for (int i = 0; i < 3; i++)
        ck_assert(client_limit_take(shared, &SIX_A_MINUTE, "203.0.113.9", &wait));
    ck_assert(!client_limit_take(shared, &SIX_A_MINUTE, "203.0.113.9", &wait));
    ck_assert_int_eq(wait, 10000);
    metric_t *fallbacks = metrics_counter("http_client_limit_fallbacks_total", "", 1, "service");
    ck_assert_double_eq(metrics_value(fallbacks, "test"), 4);
    client_limit_free(shared);
    redis_pool_free(pool);
}
END_TEST

static const char *env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    if (strcmp(name, "LOGIN_RATE_LIMIT_PER_MINUTE") == 0)
        return "12";
    if (strcmp(name, "LOGIN_RATE_LIMIT_BURST") == 0)
        return "4";
    if (strcmp(name, "BAD_RATE_LIMIT_PER_MINUTE") == 0)
        return "-1";
    return NULL;
}

START_TEST(test_rules_come_from_the_environment_with_defaults)
{
    config_t *cfg = config_new_with_lookup(env_lookup, NULL);
    client_limit_rule_t r;
    client_limit_rule_from_env(cfg, "LOGIN", "login", 10, 5, &r);
    ck_assert_str_eq(r.scope, "login");
    ck_assert_double_eq(r.per_minute, 12);
    ck_assert_uint_eq(r.burst, 4);
    client_limit_rule_from_env(cfg, "ADMIN_API", "admin-api", 120, 20, &r);
    ck_assert_double_eq(r.per_minute, 120);
    ck_assert_uint_eq(r.burst, 20);
    ck_assert_uint_eq(config_error_count(cfg), 0);
    client_limit_rule_from_env(cfg, "BAD", "bad", 1, 1, &r);
    ck_assert_uint_eq(config_error_count(cfg), 1);
    ck_assert(strstr(config_errors(cfg), "BAD_RATE_LIMIT_PER_MINUTE") != NULL);
    config_free(cfg);
}
END_TEST

/* ----------------------------------------- the handler's one call (HTTP) -- */

static const client_limit_rule_t ONE_A_MINUTE = {.scope = "admin-api", .per_minute = 1, .burst = 1};

static int handle_by_address(http_request_t *req, void *ctx)
{
    if (client_limit_refuse_address(ctx, req, &SIX_A_MINUTE))
        return 0;
    return http_respond(req, 200, "text/plain", "ok", 2);
}

static int handle_by_key(http_request_t *req, void *ctx)
{
    if (client_limit_refuse_key(ctx, req, &ONE_A_MINUTE, http_request_header(req, "X-Api-Key")))
        return 0;
    return http_respond(req, 200, "text/plain", "ok", 2);
}

static int get(http_client_t *c, const char *path, const char *api_key, char *retry_after,
               char *body, size_t body_size)
{
    char h[128];
    snprintf(h, sizeof h, "X-Api-Key: %s", api_key ? api_key : "");
    const char *headers[] = {h, NULL};
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(c, path, NULL, api_key ? headers : NULL, &r), HTTP_CLIENT_OK);
    int st = r.status;
    if (retry_after)
        snprintf(retry_after, 16, "%s", r.retry_after_ms == 10000 ? "10s" : "other");
    if (body)
        snprintf(body, body_size, "%s", r.body ? r.body : "");
    http_client_response_clear(&r);
    return st;
}

START_TEST(test_the_one_call_answers_429_with_retry_after_and_the_json_error)
{
    http_server_config_t hc = {.service = "test", .bind_address = "127.0.0.1"};
    http_server_t *srv = http_server_new(&hc);
    ck_assert_int_eq(http_server_route(srv, "GET", "/by-address", AUTH_RULE_OPEN, handle_by_address, cl), 0);
    ck_assert_int_eq(http_server_route(srv, "GET", "/by-key", AUTH_RULE_OPEN, handle_by_key, cl), 0);
    ck_assert_int_eq(http_server_start(srv), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", http_server_port(srv));
    http_client_t *c = http_client_new(&(http_client_config_t){.base_url = base,
                                                               .total_timeout_ms = 5000});
    char retry[16], body[512];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(get(c, "/by-address", NULL, NULL, NULL, 0), 200);
    ck_assert_int_eq(get(c, "/by-address", NULL, retry, body, sizeof body), 429);
    ck_assert_str_eq(retry, "10s");
    struct json_object *o = json_tokener_parse(body);
    ck_assert(o != NULL);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "errorCode")),
                     "RATE_LIMITED");
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "success")));
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "retryAfterSeconds")), 10);
    ck_assert(strstr(json_object_get_string(json_object_object_get(o, "error")),
                     "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요. (too many requests") != NULL);
    json_object_put(o);
    metric_t *limited = metrics_counter("http_client_limited_total", "", 2, "service", "scope");
    ck_assert_double_eq(metrics_value(limited, "test", "checkout"), 1);

    /* per API key: one key limited, another not; the key is not in the body */
    ck_assert_int_eq(get(c, "/by-key", "key-one", NULL, NULL, 0), 200);
    ck_assert_int_eq(get(c, "/by-key", "key-one", NULL, body, sizeof body), 429);
    ck_assert(strstr(body, "key-one") == NULL);
    ck_assert_int_eq(get(c, "/by-key", "key-two", NULL, NULL, 0), 200);
    http_client_free(c);
    http_server_free(srv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client_limit");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_a_burst_passes_then_the_next_waits_one_interval);
    tcase_add_test(tc, test_the_sustained_rate_is_the_configured_one);
    tcase_add_test(tc, test_clients_and_scopes_are_limited_independently);
    tcase_add_test(tc, test_a_rule_of_zero_is_off_and_a_zero_burst_is_one);
    tcase_add_test(tc, test_redis_failing_falls_back_to_the_process_and_is_counted);
    tcase_add_test(tc, test_rules_come_from_the_environment_with_defaults);
    tcase_add_test(tc, test_the_one_call_answers_429_with_retry_after_and_the_json_error);
    suite_add_tcase(s, tc);
    return check_run(s);
}
