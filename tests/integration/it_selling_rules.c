/* Selling rooms by the hotel's own rules, end to end on the real stack
 * through the Cloudbeds connector and the sandboxes: the room type's max
 * occupancy refuses a party that does not fit before anything is held or
 * charged (whether inventory-svc's cached room types or the PMS's own list
 * says so), and a party of exactly the limit books. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"

static bk_fixture_t f;
static ts_proc_t *inventory;
static int inventory_port;
static char inventory_log[256];

static void setup(void)
{
    bk_setup(&f);
    inventory = NULL;
}

static void teardown(void)
{
    if (inventory)
        ck_assert_int_eq(ts_proc_stop(inventory, SIGTERM, 15000), 0);
    inventory = NULL;
    bk_teardown(&f);
}

/* inventory-svc on the fixture's database, Redis, topics and PMS sandbox,
 * then booking-svc pointed at it. */
static void start_with_inventory_svc(void)
{
    inventory_port = ts_free_port();
    char v[7][300];
    snprintf(v[0], sizeof v[0], "INVENTORY_SVC_PORT=%d", inventory_port);
    snprintf(v[1], sizeof v[1], "MYSQL_URL=%s", f.db_url);
    snprintf(v[2], sizeof v[2], "REDIS_URL=%s", f.redis_url);
    snprintf(v[3], sizeof v[3], "KAFKA_TOPIC_PREFIX=%s", f.prefix);
    snprintf(v[4], sizeof v[4], "PMS_BASE_URL=%s", f.pms.base_url);
    snprintf(v[5], sizeof v[5], "KAFKA_BROKERS=%s", f.brokers);
    snprintf(v[6], sizeof v[6], "INVENTORY_BASE_URL=http://127.0.0.1:%d", inventory_port);
    const char *env[] = {v[0],
                         v[1],
                         v[2],
                         v[3],
                         v[4],
                         v[5],
                         "PMS_hotel_123_API_KEY=cbk_sandbox_hotel_123",
                         "PMS_RATE_LIMIT_PER_SECOND=1000",
                         "LOG_LEVEL=warn",
                         TS_SERVICE_TOKEN_ENV,
                         NULL};
    snprintf(inventory_log, sizeof inventory_log, "%s/inventory-svc-%d.log", LODGING_BINARY_DIR,
             inventory_port);
    inventory = ts_proc_start(LODGING_BINARY_DIR "/services/inventory-svc/inventory-svc", env,
                              inventory_log);
    ck_assert(inventory != NULL);
    ck_assert_msg(ts_http_wait_ok(inventory_port, "/readyz", 20000),
                  "inventory-svc not ready (log: %s)", inventory_log);
    const char *extra[] = {v[6], NULL};
    bk_service_start(&f, extra);
}

/* A checkout body (malloc'd) for hotel_123 with the party and any extra
 * members (`extra` is ",\"k\":v..." or ""); amount 0 = the sandbox's price. */
static char *body_for(const char *room, int offset, int nights, int adults, int children,
                      int64_t amount, const char *extra)
{
    dates_day_t in = dates_today_utc() + offset;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    if (!amount)
        amount = bk_stay_amount(&f, room, in, nights);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" BK_HOTEL "\",\"roomTypeId\":"
                       "\"%s\",\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{"
                       "\"firstName\":\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\","
                       "\"phone\":\"+82-10-1234-5678\"},\"adults\":%d,\"children\":%d,\"payment\":{"
                       "\"cardToken\":\"tok_visa\",\"amount\":%lld,\"currency\":\"KRW\"}%s}",
                       room, ci, co, adults, children, (long long)amount, extra) > 0);
    return body;
}

/* Requests the PMS sandbox counted for hotel_123's `method`. */
static int64_t pms_requests(const char *method)
{
    const char *q[] = {"propertyID", BK_HOTEL, NULL};
    struct json_object *o = ts_sandbox_get_json(&f.pms, "/_sandbox/stats", q), *req, *h, *n;
    int64_t count = 0;
    if (json_object_object_get_ex(o, "requests", &req) &&
        json_object_object_get_ex(req, BK_HOTEL, &h) && json_object_object_get_ex(h, method, &n))
        count = json_object_get_int64(n);
    json_object_put(o);
    return count;
}

/* Checks out `body`, asserting the status and (when not NULL) the error code. */
static struct json_object *checkout_expect(const char *body, int want_status, const char *code)
{
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == want_status, "want %d, got %d %s (log: %s)", want_status, status,
                  json_object_to_json_string(r), f.log_path);
    if (code)
        ck_assert_str_eq(bk_str(r, "errorCode"), code);
    return r;
}

/* ---------------------------------------------------------- occupancy -- */

START_TEST(test_a_party_over_max_occupancy_is_refused_before_any_hold_or_payment)
{
    start_with_inventory_svc();
    /* room_457 sleeps 2: three adults, then two adults and a child */
    char *body = body_for(BK_SMALL_ROOM, 40, 2, 3, 0, 0, "");
    struct json_object *r = checkout_expect(body, 400, "OCCUPANCY_EXCEEDED");
    ck_assert_str_eq(bk_str(r, "field"), "adults");
    ck_assert_msg(strstr(bk_str(r, "error"), "최대 2명"), "%s", bk_str(r, "error"));
    json_object_put(r);
    free(body);
    body = body_for(BK_SMALL_ROOM, 40, 2, 2, 1, 0, "");
    r = checkout_expect(body, 400, "OCCUPANCY_EXCEEDED");
    json_object_put(r);
    free(body);
    ck_assert_int_eq(pms_requests("postReservation"), 0);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents"), 0);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM booking WHERE status = 'failed' AND "
                               "error_code = 'OCCUPANCY_EXCEEDED'",
                               NULL),
                     2);
    bk_assert_ledgers_clean(&f, 0);
}
END_TEST

START_TEST(test_the_pms_room_types_decide_when_inventory_svc_cannot)
{
    bk_service_start(&f, NULL); /* inventory-svc unreachable */
    char *body = body_for(BK_ROOM, 41, 1, 4, 0, 0, ""); /* room_456 sleeps 3 */
    struct json_object *r = checkout_expect(body, 400, "OCCUPANCY_EXCEEDED");
    ck_assert_msg(strstr(bk_str(r, "error"), "최대 3명"), "%s", bk_str(r, "error"));
    json_object_put(r);
    free(body);
    ck_assert_int_eq(pms_requests("postReservation"), 0);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents"), 0);
    bk_assert_ledgers_clean(&f, 0);
}
END_TEST

START_TEST(test_a_party_of_exactly_the_limit_books)
{
    start_with_inventory_svc();
    char *body = body_for(BK_ROOM, 42, 2, 2, 1, 0, ""); /* room_456 sleeps 3 */
    struct json_object *r = checkout_expect(body, 200, NULL);
    json_object_put(r);
    free(body);
    bk_assert_ledgers_clean(&f, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_selling_rules");
    TCase *tc = tcase_create("occupancy");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_a_party_over_max_occupancy_is_refused_before_any_hold_or_payment);
    tcase_add_test(tc, test_the_pms_room_types_decide_when_inventory_svc_cannot);
    tcase_add_test(tc, test_a_party_of_exactly_the_limit_books);
    suite_add_tcase(s, tc);
    return check_run(s);
}
