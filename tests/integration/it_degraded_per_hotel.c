/* Degraded mode is per hotel, on the real stack: inventory-svc (its own
 * pms-sandbox, taken down by fault injection) opens hotel_123's breaker and
 * publishes the hotel's state in Redis; booking-svc (another, healthy
 * pms-sandbox) then refuses hotel_123's checkout with DEGRADED_MODE and
 * confirms hotel_busan's. The operator's switch of one hotel refuses that
 * hotel only; the platform switch refuses every hotel. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/log.h"
#include "common/redis.h"
#include "inventory_fixture.h"

#define OTHER_HOTEL "hotel_busan"
#define OTHER_ROOM "busan_ocean_double"
#define WAIT_MS 20000
#define REFUSED_PREFIX "Degraded Mode: 현재 예약이 불가능합니다. ("

static bk_fixture_t f;
static inv_fixture_t inv;

static void setup(void)
{
    log_init("it_degraded_per_hotel", LOG_LEVEL_ERROR);
    bk_setup(&f);
    const char *env[] = {"PMS_hotel_busan_API_KEY=cbk_sandbox_hotel_busan", NULL};
    bk_service_start(&f, env);
    memset(&inv, 0, sizeof inv);
    inv.redis_url_override = f.redis_url; /* the same Redis database as booking-svc */
}

static void teardown(void)
{
    invfx_stop(&inv);
    bk_teardown(&f);
}

/* The price of one night of hotel/room in 40 days, from booking-svc's sandbox. */
static int64_t night_amount(const char *hotel, const char *room, const char *day)
{
    const char *q[] = {"propertyID", hotel, "roomTypeID", room, "from", day, "to", day, NULL};
    struct json_object *o = ts_sandbox_get_json(&f.pms, "/_sandbox/inventory", q), *arr = o, *x;
    if (json_object_object_get_ex(o, "inventory", &x))
        arr = x;
    ck_assert_int_ge(json_object_array_length(arr), 1);
    int64_t amount = json_object_get_int64(
        json_object_object_get(json_object_array_get_idx(arr, 0), "rate"));
    json_object_put(o);
    return amount;
}

/* POSTs a one-night checkout for hotel/room; the status, and the error text
 * into why (when given). */
static int checkout(const char *hotel, const char *room, int offset, char *why, size_t why_size)
{
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + offset, ci);
    dates_format_iso(dates_today_utc() + offset + 1, co);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"%s\",\"roomTypeId\":\"%s\","
                       "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{\"firstName\":"
                       "\"홍\",\"lastName\":\"길동\",\"email\":\"hong@example.com\",\"phone\":"
                       "\"+82-10-1234-5678\"},\"adults\":1,\"payment\":{\"cardToken\":"
                       "\"tok_visa\",\"amount\":%lld,\"currency\":\"KRW\"}}",
                       hotel, room, ci, co, (long long)night_amount(hotel, room, ci)) > 0);
    int status = 0;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    if (why)
        snprintf(why, why_size, "%s %s", bk_str(r, "errorCode") ? bk_str(r, "errorCode") : "",
                 bk_str(r, "error") ? bk_str(r, "error") : "");
    json_object_put(r);
    free(body);
    return status;
}

static bool hotel_degraded(const char *hotel)
{
    char path[128];
    snprintf(path, sizeof path, "/api/hotels/%s/degraded-mode", hotel);
    struct json_object *o = NULL;
    bool on = invfx_get(&inv, path, NULL, &o) == 200 &&
              json_object_get_boolean(json_object_object_get(o, "degraded"));
    json_object_put(o);
    return on;
}

START_TEST(test_a_hotel_whose_pms_is_down_is_refused_and_another_books)
{
    const char *env[] = {"PMS_MAX_RETRIES=0", "PMS_BREAKER_OPEN_MS=60000",
                         "PMS_hotel_busan_API_KEY=cbk_sandbox_hotel_busan", NULL};
    invfx_start(&inv, env);
    ts_sandbox_fault(&inv.sb, "{\"down\":true}");
    /* inventory-svc's reads of hotel_123 fail until its breaker opens */
    dates_day_t day = dates_today_utc() + 40;
    ck_assert(TS_POLL_UNTIL(
        (invfx_read(&inv, "/api/inventory", INVFX_ROOM, day, day, NULL), hotel_degraded(BK_HOTEL)),
        WAIT_MS));
    ck_assert(!hotel_degraded(OTHER_HOTEL));
    char *v = NULL;
    ck_assert(TS_POLL_UNTIL((free(v), v = NULL,
                             redis_get(inv.redis, "lodging:degraded:{" BK_HOTEL "}", &v), v != NULL),
                            WAIT_MS));
    free(v);

    char why[512];
    ck_assert_int_eq(checkout(BK_HOTEL, BK_ROOM, 40, why, sizeof why), 503);
    ck_assert_str_eq(why, "DEGRADED_MODE " REFUSED_PREFIX
                          "PMS circuit open for hotel hotel_123 (cloudbeds))");
    ck_assert_int_eq(checkout(OTHER_HOTEL, OTHER_ROOM, 40, why, sizeof why), 200);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE hotel_id = 'hotel_busan' "
                                   "AND status = 'confirmed'",
                               NULL),
                     1);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE hotel_id = ?", BK_HOTEL),
                     0);
    bk_assert_ledgers_clean(&f, 1);
}
END_TEST

START_TEST(test_the_operator_switch_of_one_hotel_refuses_that_hotel_only)
{
    invfx_start(&inv, NULL);
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_send(&inv, "PUT", "/api/hotels/" BK_HOTEL "/degraded-mode",
                                "{\"degraded\":true,\"reason\":\"PMS migration\"}", &o),
                     200);
    json_object_put(o);
    char why[512];
    ck_assert_int_eq(checkout(BK_HOTEL, BK_ROOM, 41, why, sizeof why), 503);
    ck_assert_str_eq(why, "DEGRADED_MODE " REFUSED_PREFIX "PMS migration)");
    ck_assert_int_eq(checkout(OTHER_HOTEL, OTHER_ROOM, 41, why, sizeof why), 200);

    ck_assert_int_eq(invfx_send(&inv, "PUT", "/api/hotels/" BK_HOTEL "/degraded-mode",
                                "{\"degraded\":false}", &o),
                     200);
    json_object_put(o);
    ck_assert_int_eq(checkout(BK_HOTEL, BK_ROOM, 41, why, sizeof why), 200);
    bk_assert_ledgers_clean(&f, 2);
}
END_TEST

static bool platform_key_says(const char *needle)
{
    char *v = NULL;
    bool ok = redis_get(inv.redis, "lodging:degraded", &v) == REDIS_CLIENT_OK && v &&
              strstr(v, needle) != NULL;
    free(v);
    return ok;
}

START_TEST(test_the_platform_switch_refuses_every_hotel)
{
    invfx_start(&inv, NULL);
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_send(&inv, "PUT", "/api/degraded-mode",
                                "{\"degraded\":true,\"reason\":\"payment provider incident\"}", &o),
                     200);
    json_object_put(o);
    /* the writer thread publishes the platform state: wait until it is there */
    ck_assert(TS_POLL_UNTIL(platform_key_says("\"degraded\":true"), WAIT_MS));
    char why[512];
    ck_assert_int_eq(checkout(OTHER_HOTEL, OTHER_ROOM, 42, why, sizeof why), 503);
    ck_assert_str_eq(why, "DEGRADED_MODE " REFUSED_PREFIX "payment provider incident)");
    ck_assert_int_eq(checkout(BK_HOTEL, BK_ROOM, 42, why, sizeof why), 503);

    ck_assert_int_eq(invfx_send(&inv, "PUT", "/api/degraded-mode", "{\"degraded\":false}", &o),
                     200);
    json_object_put(o);
    ck_assert(TS_POLL_UNTIL(platform_key_says("\"degraded\":false"), WAIT_MS));
    ck_assert_int_eq(checkout(OTHER_HOTEL, OTHER_ROOM, 42, why, sizeof why), 200);
    ck_assert_int_eq(checkout(BK_HOTEL, BK_ROOM, 42, why, sizeof why), 200);
    bk_assert_ledgers_clean(&f, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_degraded_per_hotel");
    TCase *tc = tcase_create("degraded");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_a_hotel_whose_pms_is_down_is_refused_and_another_books);
    tcase_add_test(tc, test_the_operator_switch_of_one_hotel_refuses_that_hotel_only);
    tcase_add_test(tc, test_the_platform_switch_refuses_every_hotel);
    suite_add_tcase(s, tc);
    return check_run(s);
}
