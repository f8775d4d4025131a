/* The read side for an OPERA Cloud hotel, next to a Cloudbeds hotel on the
 * same inventory-svc: OPERA's Shop answers only "available or not", so the
 * read API says "bookable, count unknown" (bookable, countKnown false, no
 * available / total) — never an invented number — and the cache keeps it
 * so ("1/?", "0/?"); the Cloudbeds hotel keeps its counts; room types come
 * from OPERA's Content API; the rates list OPERA's rate plans with the
 * hotel's own cancellation policies when none is configured. Real Redis;
 * opera-sandbox and pms-sandbox. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_run.h"
#include "common/dates.h"
#include "common/http_client.h"
#include "common/redis.h"
#include "inventory_fixture.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define OP_HOTEL "opera_jeju"
#define OP_ROOM "DLXK"

static inv_fixture_t f;
static ts_sandbox_t op;
static char op_url[96];

static void setup(void)
{
    memset(&f, 0, sizeof f);
    ts_sandbox_start(&op, "opera-sandbox", "OPERA_SANDBOX_PORT", NULL);
    snprintf(op_url, sizeof op_url, "PMS_OPERA_BASE_URL=%s", op.base_url);
    const char *env[] = {op_url,
                         "PMS_opera_jeju_VENDOR=opera",
                         "PMS_opera_jeju_API_KEY=lodging_integration:opera_sandbox_password",
                         "PMS_OPERA_CHANNEL_CODE=LODGING",
                         NULL};
    invfx_start(&f, env);
}

static void teardown(void)
{
    invfx_stop(&f);
    ts_sandbox_stop(&op);
}

static int read_opera(const char *path, dates_day_t from, dates_day_t to, struct json_object **out)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1];
    dates_format_iso(from, a);
    dates_format_iso(to, b);
    const char *q[] = {"vendor", "opera", "hotelId", OP_HOTEL, "roomTypeId", OP_ROOM,
                       "from",   a,       "to",      b,        NULL};
    return invfx_get(&f, path, q, out);
}

static struct json_object *night(struct json_object *o, size_t i)
{
    struct json_object *nights;
    ck_assert(json_object_object_get_ex(o, "nights", &nights));
    ck_assert_uint_gt(json_object_array_length(nights), i);
    return json_object_array_get_idx(nights, i);
}

static bool flag(struct json_object *n, const char *key)
{
    struct json_object *v;
    ck_assert_msg(json_object_object_get_ex(n, key, &v), "night without %s", key);
    return json_object_get_boolean(v);
}

START_TEST(test_opera_nights_are_bookable_count_unknown)
{
    dates_day_t first = dates_today_utc() + 10;
    char closed[DATES_ISO_LEN + 1], json[256];
    dates_format_iso(first + 1, closed);
    snprintf(json, sizeof json,
             "{\"hotelCode\":\"" OP_HOTEL "\",\"roomType\":\"" OP_ROOM
             "\",\"from\":\"%s\",\"to\":\"%s\",\"available\":0}",
             closed, closed);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/availability", json), 200);
    struct json_object *o = NULL;
    ck_assert_int_eq(read_opera("/api/inventory", first, first + 2, &o), 200);
    ck_assert_str_eq(invfx_str(o, "vendor"), "opera");
    ck_assert_uint_eq(invfx_night_count(o), 3);
    for (size_t i = 0; i < 3; i++) {
        struct json_object *n = night(o, i), *v;
        ck_assert(!flag(n, "countKnown"));
        ck_assert_int_eq(flag(n, "bookable"), i != 1);
        ck_assert(!json_object_object_get_ex(n, "available", &v)); /* no invented number */
        ck_assert(!json_object_object_get_ex(n, "total", &v));
    }
    json_object_put(o);
    /* the cache says the same, and a second read is served from it */
    char key[160], day[DATES_ISO_LEN + 1];
    dates_format_iso(first, day);
    snprintf(key, sizeof key, "inv:{%s}:%s:%s", OP_HOTEL, OP_ROOM, day);
    char *value = NULL;
    ck_assert_int_eq(redis_get(f.redis, key, &value), REDIS_CLIENT_OK);
    ck_assert_ptr_nonnull(value);
    ck_assert_str_eq(value, "1/?");
    free(value);
    ck_assert_int_eq(read_opera("/api/inventory", first, first + 2, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "cache");
    ck_assert(!flag(night(o, 0), "countKnown"));
    json_object_put(o);
    /* rates per night from the offers' base[] ranges */
    ck_assert_int_eq(read_opera("/api/rates", first, first, &o), 200);
    ck_assert(invfx_night_int(o, 0, "amount") == 210000 || invfx_night_int(o, 0, "amount") == 260000);
    json_object_put(o);
}
END_TEST

/* The plan of night 0 of a RatesResponse whose ratePlanId is id. */
static struct json_object *plan_of(struct json_object *o, const char *id)
{
    struct json_object *plans, *v;
    ck_assert(json_object_object_get_ex(night(o, 0), "ratePlans", &plans));
    for (size_t i = 0; i < json_object_array_length(plans); i++) {
        struct json_object *p = json_object_array_get_idx(plans, i);
        if (json_object_object_get_ex(p, "ratePlanId", &v) &&
            strcmp(json_object_get_string(v), id) == 0)
            return p;
    }
    ck_abort_msg("no plan %s in %s", id, json_object_to_json_string(o));
    return NULL;
}

START_TEST(test_opera_rates_list_its_plans_with_the_hotels_own_policies)
{
    dates_day_t first = dates_today_utc() + 30;
    struct json_object *o = NULL, *policy, *v;
    ck_assert_int_eq(read_opera("/api/rates", first, first, &o), 200);
    struct json_object *bar = plan_of(o, "BAR"), *nrf = plan_of(o, "NRF");
    plan_of(o, "BB");
    ck_assert(json_object_object_get_ex(bar, "base", &v) && json_object_get_boolean(v));
    ck_assert(json_object_object_get_ex(nrf, "base", &v) && !json_object_get_boolean(v));
    ck_assert_int_eq(invfx_int(nrf, "amount") * 100, invfx_int(bar, "amount") * 90);
    /* no policy configured on the platform: OPERA's own, in words */
    ck_assert(json_object_object_get_ex(nrf, "cancellationPolicy", &policy));
    ck_assert_str_eq(invfx_str(policy, "type"), "non_refundable");
    ck_assert(json_object_object_get_ex(policy, "description", &v));
    ck_assert(json_object_object_get_ex(bar, "cancellationPolicy", &policy));
    ck_assert_str_eq(invfx_str(policy, "type"), "free_until");
    ck_assert_int_eq(invfx_int(policy, "hoursBefore"), 72);
    ck_assert(!json_object_object_get_ex(bar, "pmsCancellationPolicy", &v)); /* internal */
    json_object_put(o);
}
END_TEST

/* A night the front desk closes under the standard rate (stop-sell): OPERA
 * prices no stay under it, so the read shows the night closed with no price
 * — never a price of 0 — while another plan keeps its price that night. */
START_TEST(test_an_opera_night_closed_by_a_restriction_shows_no_price_rather_than_zero)
{
    dates_day_t day = dates_today_utc() + 40;
    char d[DATES_ISO_LEN + 1], json[512];
    dates_format_iso(day, d);
    snprintf(json, sizeof json,
             "{\"hotelCode\":\"" OP_HOTEL "\",\"roomType\":\"" OP_ROOM
             "\",\"ratePlanCode\":\"BAR\",\"from\":\"%s\",\"to\":\"%s\",\"closed\":true}",
             d, d);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/restrictions", json), 200);
    struct json_object *o = NULL, *v, *rules;
    for (int pass = 0; pass < 2; pass++) { /* from OPERA, then from the cache */
        ck_assert_int_eq(read_opera("/api/rates", day, day, &o), 200);
        ck_assert_str_eq(invfx_str(o, "source"), pass ? "cache" : "pms");
        struct json_object *n = night(o, 0), *bar = plan_of(o, "BAR"), *nrf = plan_of(o, "NRF");
        ck_assert_msg(!json_object_object_get_ex(n, "amount", &v), "%s",
                      json_object_to_json_string(o));
        ck_assert(!json_object_object_get_ex(n, "totalAmount", &v));
        ck_assert(json_object_object_get_ex(n, "priced", &v) && !json_object_get_boolean(v));
        ck_assert(!json_object_object_get_ex(bar, "amount", &v));
        ck_assert(!json_object_object_get_ex(bar, "totalAmount", &v));
        ck_assert(json_object_object_get_ex(bar, "priced", &v) && !json_object_get_boolean(v));
        ck_assert(json_object_object_get_ex(bar, "rules", &rules));
        ck_assert(json_object_object_get_ex(rules, "closed", &v) && json_object_get_boolean(v));
        ck_assert_int_gt(invfx_int(nrf, "amount"), 0);
        ck_assert(!json_object_object_get_ex(nrf, "priced", &v));
        json_object_put(o);
    }
}
END_TEST

/* The admin's onboarding preview of the OPERA hotel: a night OPERA does
 * not sell has no price in the grid (null, never 0), and the room type's
 * average is over the nights OPERA priced. */
START_TEST(test_the_onboarding_preview_of_an_opera_hotel_prices_only_nights_for_sale)
{
    dates_day_t closed_day = dates_today_utc() + 3;
    char closed[DATES_ISO_LEN + 1], json[256];
    dates_format_iso(closed_day, closed);
    snprintf(json, sizeof json,
             "{\"hotelCode\":\"" OP_HOTEL "\",\"roomType\":\"" OP_ROOM
             "\",\"from\":\"%s\",\"to\":\"%s\",\"available\":0}",
             closed, closed);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/availability", json), 200);
    char admin[TS_AUTH_HEADER_MAX];
    const char *url = f.mysql_url[0] ? f.mysql_url : ts_env("MYSQL_URL", TS_DEFAULT_MYSQL_URL);
    ck_assert_int_eq(ts_api_key_header(url, "admin", NULL, admin, NULL), 0);
    const char *headers[] = {"Content-Type: application/json", admin, NULL};
    static const char body[] = "{\"vendor\":\"opera\",\"hotelId\":\"" OP_HOTEL "\"}";
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(f.http, "POST", "/api/admin/pms/preview", NULL, headers,
                                         body, strlen(body), &r),
                     HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "preview: %d %s", r.status, r.body ? r.body : "");
    struct json_object *o = json_tokener_parse(r.body), *types, *v;
    http_client_response_clear(&r);
    ck_assert(json_object_object_get_ex(o, "roomTypes", &types));
    struct json_object *type = NULL;
    for (size_t i = 0; i < json_object_array_length(types); i++) {
        struct json_object *t = json_object_array_get_idx(types, i);
        if (strcmp(invfx_str(t, "roomTypeId"), OP_ROOM) == 0)
            type = t;
    }
    ck_assert_msg(type != NULL, "no %s in %s", OP_ROOM, json_object_to_json_string(o));
    struct json_object *nights;
    ck_assert(json_object_object_get_ex(type, "nights", &nights));
    int64_t sum = 0, priced = 0;
    bool saw_closed = false;
    for (size_t i = 0; i < json_object_array_length(nights); i++) {
        struct json_object *n = json_object_array_get_idx(nights, i);
        ck_assert(json_object_object_get_ex(n, "price", &v));
        if (strcmp(invfx_str(n, "date"), closed) == 0) {
            saw_closed = true;
            ck_assert_msg(json_object_is_type(v, json_type_null), "closed night priced: %s",
                          json_object_to_json_string(n));
            continue;
        }
        if (json_object_is_type(v, json_type_null))
            continue;
        ck_assert_int_gt(json_object_get_int64(v), 0);
        sum += json_object_get_int64(v);
        priced++;
    }
    ck_assert(saw_closed);
    ck_assert_int_gt(priced, 0);
    ck_assert(json_object_object_get_ex(type, "averagePrice", &v));
    ck_assert_int_eq(json_object_get_int64(v), (sum + priced / 2) / priced);
    json_object_put(o);
}
END_TEST

START_TEST(test_the_cloudbeds_hotel_keeps_its_counts_and_opera_room_types_are_read)
{
    dates_day_t first = dates_today_utc() + 10;
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, first, first, &o), 200);
    struct json_object *n = night(o, 0);
    ck_assert(flag(n, "countKnown"));
    ck_assert(flag(n, "bookable"));
    ck_assert_int_eq(invfx_night_int(o, 0, "total"), 10);
    json_object_put(o);
    const char *vq[] = {"vendor", "opera", NULL};
    ck_assert_int_eq(invfx_get(&f, "/api/hotels/" OP_HOTEL "/room-types", vq, &o), 200);
    ck_assert_ptr_nonnull(strstr(json_object_to_json_string(o), "Ocean Suite"));
    json_object_put(o);
    /* an OPERA hotel asked as another vendor's is refused by the vendor check */
    const char *q[] = {"vendor", "nope", "hotelId", OP_HOTEL, "roomTypeId", OP_ROOM,
                       "from", "2030-01-01", "to", "2030-01-02", NULL};
    ck_assert_int_eq(invfx_get(&f, "/api/inventory", q, NULL), 400);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_inventory_opera");
    TCase *tc = tcase_create("opera");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_opera_nights_are_bookable_count_unknown);
    tcase_add_test(tc, test_the_cloudbeds_hotel_keeps_its_counts_and_opera_room_types_are_read);
    tcase_add_test(tc, test_opera_rates_list_its_plans_with_the_hotels_own_policies);
    tcase_add_test(tc, test_an_opera_night_closed_by_a_restriction_shows_no_price_rather_than_zero);
    tcase_add_test(tc, test_the_onboarding_preview_of_an_opera_hotel_prices_only_nights_for_sale);
    suite_add_tcase(s, tc);
    return check_run(s);
}
