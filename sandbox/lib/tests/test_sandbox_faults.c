/* Unit tests for sandbox_faults.c: an in-process HTTP server with one fake
 * vendor endpoint, driven through the /_sandbox/faults control API. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_client.h"
#include "common/http_server.h"
#include "common/log.h"
#include "check_run.h"
#include "sandbox_faults.h"

#define VENDOR_OP "widgets.create"
#define OTHER_OP "widgets.list"

static http_server_t *srv;
static http_client_t *client;
static sandbox_faults_t *faults;

/* The vendor's error shape for this fake vendor. */
static void vendor_error(http_request_t *req, int status, const char *message, long retry_after_s,
                         void *ctx)
{
    (void)ctx;
    char body[256];
    int n = snprintf(body, sizeof body, "{\"vendorError\":\"%s\",\"retryAfter\":%ld}", message,
                     retry_after_s);
    http_respond(req, status, "application/json", body, (size_t)n);
}

static int handle_widget(http_request_t *req, void *ctx)
{
    const char *op = ctx;
    if (sandbox_faults_apply(faults, req, op, vendor_error, NULL))
        return 0;
    return http_respond(req, 200, "application/json", "{\"ok\":true}", 11);
}

static void setup(void)
{
    log_init("test", LOG_LEVEL_ERROR);
    faults = sandbox_faults_new();
    http_server_config_t hc = {.service = "faults-test", .bind_address = "127.0.0.1", .port = 0};
    srv = http_server_new(&hc);
    ck_assert_int_eq(sandbox_faults_routes(faults, srv), 0);
    http_server_route(srv, "POST", "/widgets", AUTH_RULE_OPEN, handle_widget, VENDOR_OP);
    http_server_route(srv, "GET", "/widgets", AUTH_RULE_OPEN, handle_widget, OTHER_OP);
    ck_assert_int_eq(http_server_start(srv), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", http_server_port(srv));
    http_client_config_t cc = {.base_url = url, .total_timeout_ms = 5000};
    client = http_client_new(&cc);
}

static void teardown(void)
{
    http_client_free(client);
    http_server_free(srv);
    sandbox_faults_free(faults);
}

static int post_control(const char *json, http_client_response_t *r)
{
    ck_assert_int_eq(http_client_post_json(client, SANDBOX_FAULTS_PATH, NULL, json, r),
                     HTTP_CLIENT_OK);
    return r->status;
}

static int call(const char *method, http_client_response_t *r)
{
    ck_assert_int_eq(http_client_request(client, method, "/widgets", NULL, NULL, "", 0, r),
                     HTTP_CLIENT_OK);
    return r->status;
}

START_TEST(test_no_fault_means_normal_answers)
{
    http_client_response_t r;
    ck_assert_int_eq(call("POST", &r), 200);
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_status_fault_answers_with_the_vendor_error_and_retry_after)
{
    http_client_response_t r;
    ck_assert_int_eq(
        post_control("{\"op\":\"widgets.create\",\"status\":429,\"retryAfter\":2}", &r), 201);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("POST", &r), 429);
    ck_assert_ptr_nonnull(strstr(r.body, "vendorError"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"retryAfter\":2"));
    ck_assert_int_eq(r.retry_after_ms, 2000);
    http_client_response_clear(&r);
    /* Without failNext it stays; the other op is untouched. */
    ck_assert_int_eq(call("POST", &r), 429);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("GET", &r), 200);
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_fail_next_affects_only_the_next_n_requests)
{
    http_client_response_t r;
    ck_assert_int_eq(post_control("{\"op\":\"*\",\"status\":503,\"failNext\":2}", &r), 201);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("POST", &r), 503);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("GET", &r), 503);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("POST", &r), 200);
    http_client_response_clear(&r);
    ck_assert_int_eq(http_client_get(client, SANDBOX_FAULTS_PATH, NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_ptr_nonnull(strstr(r.body, "\"faults\":[]"));
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_exact_op_wins_over_wildcard)
{
    http_client_response_t r;
    post_control("{\"op\":\"*\",\"status\":500}", &r);
    http_client_response_clear(&r);
    post_control("{\"op\":\"widgets.create\",\"status\":502}", &r);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("POST", &r), 502);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("GET", &r), 500);
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_latency_delays_then_answers_normally)
{
    http_client_response_t r;
    post_control("{\"op\":\"widgets.create\",\"latencyMs\":150,\"failNext\":1}", &r);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("POST", &r), 200);
    ck_assert(r.latency_ms >= 150.0);
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_hang_makes_a_short_timeout_client_give_up)
{
    http_client_response_t r;
    post_control("{\"op\":\"widgets.create\",\"hangMs\":600,\"failNext\":1}", &r);
    http_client_response_clear(&r);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", http_server_port(srv));
    http_client_config_t cc = {.base_url = url, .total_timeout_ms = 100};
    http_client_t *impatient = http_client_new(&cc);
    ck_assert_int_eq(http_client_request(impatient, "POST", "/widgets", NULL, NULL, "", 0, &r),
                     HTTP_CLIENT_ERR_TIMEOUT);
    http_client_response_clear(&r);
    http_client_free(impatient);
}
END_TEST

START_TEST(test_down_answers_503_everywhere_until_cleared)
{
    http_client_response_t r;
    ck_assert_int_eq(post_control("{\"down\":true}", &r), 201);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("POST", &r), 503);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("GET", &r), 503);
    http_client_response_clear(&r);
    ck_assert_int_eq(http_client_get(client, SANDBOX_FAULTS_PATH, NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_ptr_nonnull(strstr(r.body, "\"down\":true"));
    http_client_response_clear(&r);
    ck_assert_int_eq(
        http_client_request(client, "DELETE", SANDBOX_FAULTS_PATH, NULL, NULL, NULL, 0, &r),
        HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("POST", &r), 200);
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_delete_with_op_clears_only_that_fault)
{
    http_client_response_t r;
    post_control("{\"op\":\"widgets.create\",\"status\":500}", &r);
    http_client_response_clear(&r);
    post_control("{\"op\":\"widgets.list\",\"status\":500}", &r);
    http_client_response_clear(&r);
    const char *q[] = {"op", "widgets.create", NULL};
    ck_assert_int_eq(
        http_client_request(client, "DELETE", SANDBOX_FAULTS_PATH, q, NULL, NULL, 0, &r),
        HTTP_CLIENT_OK);
    ck_assert_ptr_nonnull(strstr(r.body, "\"cleared\":1"));
    http_client_response_clear(&r);
    ck_assert_int_eq(call("POST", &r), 200);
    http_client_response_clear(&r);
    ck_assert_int_eq(call("GET", &r), 500);
    http_client_response_clear(&r);
}
END_TEST

/* Each bad control body names the offending field. */
START_TEST(test_bad_control_json_is_400_naming_the_field)
{
    static const struct {
        const char *body;
        const char *field;
    } cases[] = {
        {"{\"status\":503}", "op"},
        {"{\"op\":\"\",\"status\":503}", "op"},
        {"{\"op\":\"x\",\"status\":200}", "status"},
        {"{\"op\":\"x\",\"status\":\"503\"}", "status"},
        {"{\"op\":\"x\",\"status\":503,\"failNext\":0}", "failNext"},
        {"{\"op\":\"x\",\"latencyMs\":-1}", "latencyMs"},
        {"{\"op\":\"x\",\"hangMs\":99999999}", "hangMs"},
        {"{\"op\":\"x\",\"status\":503,\"retryAfter\":1.5}", "retryAfter"},
        {"{\"op\":\"x\",\"retryAfter\":2}", "retryAfter"},
        {"{\"op\":\"x\"}", "status"},
        {"{\"op\":\"x\",\"down\":\"yes\"}", "down"},
        {"{\"op\":\"x\",\"status\":503,\"stauts\":1}", "stauts"},
        {"not json", "body"},
        {"[1,2]", "body"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_client_response_t r;
        ck_assert_int_eq(post_control(cases[i].body, &r), 400);
        json_object *o = json_tokener_parse(r.body);
        ck_assert_ptr_nonnull(o);
        json_object *field = NULL;
        ck_assert(json_object_object_get_ex(o, "field", &field));
        ck_assert_msg(strcmp(json_object_get_string(field), cases[i].field) == 0,
                      "body %s: field %s, expected %s", cases[i].body,
                      json_object_get_string(field), cases[i].field);
        json_object_put(o);
        http_client_response_clear(&r);
    }
    /* Nothing was stored. */
    http_client_response_t r;
    ck_assert_int_eq(call("POST", &r), 200);
    http_client_response_clear(&r);
}
END_TEST

START_TEST(test_clear_removes_everything)
{
    http_client_response_t r;
    post_control("{\"op\":\"*\",\"status\":500,\"down\":true}", &r);
    http_client_response_clear(&r);
    sandbox_faults_clear(faults);
    ck_assert_int_eq(call("POST", &r), 200);
    http_client_response_clear(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sandbox_faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_no_fault_means_normal_answers);
    tcase_add_test(tc, test_status_fault_answers_with_the_vendor_error_and_retry_after);
    tcase_add_test(tc, test_fail_next_affects_only_the_next_n_requests);
    tcase_add_test(tc, test_exact_op_wins_over_wildcard);
    tcase_add_test(tc, test_latency_delays_then_answers_normally);
    tcase_add_test(tc, test_hang_makes_a_short_timeout_client_give_up);
    tcase_add_test(tc, test_down_answers_503_everywhere_until_cleared);
    tcase_add_test(tc, test_delete_with_op_clears_only_that_fault);
    tcase_add_test(tc, test_bad_control_json_is_400_naming_the_field);
    tcase_add_test(tc, test_clear_removes_everything);
    suite_add_tcase(s, tc);
    return check_run(s);
}
