/* Abuse limits at checkout, on the real stack: a flood of checkouts from one
 * client address gets 429 RATE_LIMITED with Retry-After (never a 5xx) while
 * the service stays healthy and another address is not limited; two
 * booking-svc processes share the limit through Redis. Client addresses are
 * given through X-Forwarded-For, which the services believe because the test
 * (loopback) is in their TRUSTED_PROXIES. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/log.h"

#define FLOOD 20
#define BURST 3

static bk_fixture_t f;
static const char *const LIMIT_ENV[] = {"CHECKOUT_RATE_LIMIT_PER_MINUTE=6",
                                        "CHECKOUT_RATE_LIMIT_BURST=3",
                                        "TRUSTED_PROXIES=127.0.0.1/32", NULL};

static void setup(void)
{
    log_init("it_booking_rate_limit", LOG_LEVEL_ERROR);
    bk_setup(&f);
    bk_service_start(&f, LIMIT_ENV);
}

static void teardown(void)
{
    bk_teardown(&f);
}

/* POSTs an (invalid) checkout as `client`; the status, Retry-After and errorCode. */
static int checkout_as(http_client_t *http, const char *client, long *retry_after_ms, char *code,
                       size_t code_size)
{
    char h[128];
    snprintf(h, sizeof h, "X-Forwarded-For: %s", client);
    const char *headers[] = {h, NULL};
    http_client_response_t r;
    ck_assert_int_eq(http_client_post_json(http, "/api/booking/checkout", headers, "{}", &r),
                     HTTP_CLIENT_OK);
    int status = r.status;
    if (retry_after_ms)
        *retry_after_ms = r.retry_after_ms;
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    ck_assert_msg(o != NULL, "not JSON: %s", r.body);
    snprintf(code, code_size, "%s", bk_str(o, "errorCode") ? bk_str(o, "errorCode") : "");
    json_object_put(o);
    http_client_response_clear(&r);
    return status;
}

START_TEST(test_a_flood_from_one_address_is_429_and_the_service_stays_healthy)
{
    char code[64];
    long retry = 0;
    int limited = 0;
    for (int i = 0; i < FLOOD; i++) {
        int st = checkout_as(f.http, "203.0.113.9", &retry, code, sizeof code);
        ck_assert_msg(st < 500, "request %d: %d %s", i, st, code);
        if (i < BURST) {
            ck_assert_int_eq(st, 400); /* allowed: validation answers */
        } else {
            ck_assert_int_eq(st, 429);
            ck_assert_str_eq(code, "RATE_LIMITED");
            ck_assert_int_ge(retry, 1000);
            limited++;
        }
    }
    ck_assert_int_eq(limited, FLOOD - BURST);
    ck_assert(ts_http_wait_ok(f.port, "/healthz", 2000));
    /* another address is not limited */
    ck_assert_int_eq(checkout_as(f.http, "198.51.100.7", NULL, code, sizeof code), 400);
    /* the flooding address stays limited */
    ck_assert_int_eq(checkout_as(f.http, "203.0.113.9", NULL, code, sizeof code), 429);
}
END_TEST

START_TEST(test_two_processes_share_the_limit_through_redis)
{
    bk_fixture_t second = f; /* same database, Redis, sandboxes; its own process */
    second.svc = NULL;
    second.http = NULL;
    bk_service_start(&second, LIMIT_ENV);
    char code[64];
    for (int i = 0; i < BURST; i++)
        ck_assert_int_eq(checkout_as(f.http, "203.0.113.50", NULL, code, sizeof code), 400);
    /* the first process spent the burst: the second refuses the same client */
    ck_assert_int_eq(checkout_as(second.http, "203.0.113.50", NULL, code, sizeof code), 429);
    ck_assert_str_eq(code, "RATE_LIMITED");
    ck_assert_int_eq(checkout_as(second.http, "203.0.113.51", NULL, code, sizeof code), 400);
    bk_service_stop(&second, SIGTERM);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_booking_rate_limit");
    TCase *tc = tcase_create("rate_limit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_flood_from_one_address_is_429_and_the_service_stays_healthy);
    tcase_add_test(tc, test_two_processes_share_the_limit_through_redis);
    suite_add_tcase(s, tc);
    return check_run(s);
}
