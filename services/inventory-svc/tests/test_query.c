/* query.c: query and body validation names the field at fault. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "query.h"

/* A query string as NULL-terminated name, value pairs. */
static const char *lookup(void *ctx, const char *name)
{
    const char *const *kv = ctx;
    for (; kv[0]; kv += 2)
        if (strcmp(kv[0], name) == 0)
            return kv[1];
    return NULL;
}

static int parse(const char *const *kv, inv_range_query_t *q, json_error_t *err)
{
    return inv_query_parse_range(lookup, (void *)kv, 366, q, err);
}

START_TEST(test_a_good_range_gives_first_night_and_count)
{
    const char *kv[] = {"vendor", "cloudbeds",  "hotelId", "hotel_123",  "roomTypeId", "room_456",
                        "from",   "2025-11-01", "to",      "2025-11-03", NULL};
    inv_range_query_t q;
    json_error_t err;
    ck_assert_int_eq(parse(kv, &q, &err), 0);
    ck_assert_int_eq(q.first, dates_from_civil(2025, 11, 1));
    ck_assert_int_eq(q.nights, 3);
    ck_assert_str_eq(q.hotel_id, "hotel_123");
    const char *one[] = {"vendor", "sandbox",    "hotelId", "h",          "roomTypeId", "r",
                         "from",   "2025-11-01", "to",      "2025-11-01", NULL};
    ck_assert_int_eq(parse(one, &q, &err), 0);
    ck_assert_int_eq(q.nights, 1);
    const char *max[] = {"vendor", "cloudbeds",  "hotelId", "h",          "roomTypeId", "r",
                         "from",   "2025-01-01", "to",      "2026-01-01", NULL};
    ck_assert_int_eq(parse(max, &q, &err), 0);
    ck_assert_int_eq(q.nights, 366);
}
END_TEST

typedef struct bad_case {
    const char *vendor, *hotel, *room, *from, *to, *field;
} bad_case_t;

START_TEST(test_each_bad_parameter_is_named)
{
    const bad_case_t cases[] = {
        {NULL, "h", "r", "2025-11-01", "2025-11-02", "vendor"},
        {"expedia", "h", "r", "2025-11-01", "2025-11-02", "vendor"},
        {"cloudbeds", NULL, "r", "2025-11-01", "2025-11-02", "hotelId"},
        {"cloudbeds", "h{1}", "r", "2025-11-01", "2025-11-02", "hotelId"},
        {"cloudbeds", "h", "", "2025-11-01", "2025-11-02", "roomTypeId"},
        {"cloudbeds", "h", "r", "2025-02-30", "2025-11-02", "from"},
        {"cloudbeds", "h", "r", "2025-11-01", NULL, "to"},
        {"cloudbeds", "h", "r", "2025-11-02", "2025-11-01", "to"},
        {"cloudbeds", "h", "r", "2025-01-01", "2026-01-02", "to"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case_t *c = &cases[i];
        const char *kv[] = {"vendor", c->vendor, "hotelId", c->hotel, "roomTypeId", c->room,
                            "from",   c->from,   "to",      c->to,    NULL};
        /* A NULL value ends the list early in lookup, so compact it. */
        const char *compact[11];
        size_t n = 0;
        for (size_t k = 0; k < 10; k += 2) {
            if (kv[k + 1]) {
                compact[n++] = kv[k];
                compact[n++] = kv[k + 1];
            }
        }
        compact[n] = NULL;
        inv_range_query_t q;
        json_error_t err;
        ck_assert_int_eq(parse(compact, &q, &err), -1);
        ck_assert_msg(strcmp(err.field, c->field) == 0, "case %zu: %s (%s)", i, err.field,
                      err.message);
        ck_assert(strlen(err.message) > 0);
    }
}
END_TEST

static int parse_body(const char *json, inv_adjustment_t *adj, json_error_t *err)
{
    struct json_object *o = json_tokener_parse(json);
    ck_assert_ptr_nonnull(o);
    int rc = inv_query_parse_adjustment(o, adj, err);
    json_object_put(o);
    return rc;
}

/* The party of a rates read: the checkout's names and bounds, defaults
 * one adult in one room, anything else named. */
START_TEST(test_the_party_of_a_rates_read_is_validated)
{
    inv_party_t p;
    json_error_t err;
    const char *none[] = {NULL};
    ck_assert_int_eq(inv_query_parse_party(lookup, (void *)none, &p, &err), 0);
    ck_assert(!p.given);
    ck_assert_int_eq(p.adults, 1);
    ck_assert_int_eq(p.children, 0);
    ck_assert_int_eq(p.rooms, 1);
    const char *full[] = {"adults", "20", "children", "0", "rooms", "10", NULL};
    ck_assert_int_eq(inv_query_parse_party(lookup, (void *)full, &p, &err), 0);
    ck_assert(p.given);
    ck_assert_int_eq(p.adults, 20);
    ck_assert_int_eq(p.rooms, 10);
    static const struct {
        const char *name, *value;
    } bad[] = {{"adults", "0"},  {"adults", "21"},   {"adults", ""},     {"adults", "1.5"},
               {"adults", "+2"}, {"adults", "0002"}, {"children", "-1"}, {"children", "21"},
               {"rooms", "0"},   {"rooms", "11"},    {"rooms", "x"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *kv[] = {bad[i].name, bad[i].value, NULL};
        memset(&err, 0, sizeof err);
        ck_assert_int_eq(inv_query_parse_party(lookup, (void *)kv, &p, &err), -1);
        ck_assert_str_eq(err.field, bad[i].name);
    }
}
END_TEST

START_TEST(test_adjustment_bodies_are_validated)
{
    inv_adjustment_t adj;
    json_error_t err;
    struct json_object *o = json_tokener_parse(
        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\",\"roomTypeId\":\"room_456\","
        "\"checkIn\":\"2025-11-01\",\"checkOut\":\"2025-11-03\",\"rooms\":2,\"bookingId\":\"bk_"
        "1\"}");
    ck_assert_int_eq(inv_query_parse_adjustment(o, &adj, &err), 0);
    ck_assert_int_eq(adj.nights, 2);
    ck_assert_int_eq(adj.rooms, 2);
    ck_assert_int_eq(adj.check_in, dates_from_civil(2025, 11, 1));
    ck_assert_str_eq(adj.booking_id, "bk_1");
    json_object_put(o);
    const struct {
        const char *json, *field;
    } bad[] = {
        {"{\"hotelId\":\"h\",\"roomTypeId\":\"r\",\"checkIn\":\"2025-11-01\",\"checkOut\":"
         "\"2025-11-02\",\"rooms\":1,\"bookingId\":\"b\"}",
         "vendor"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"h\",\"roomTypeId\":\"r\",\"checkIn\":"
         "\"2025-11-02\",\"checkOut\":\"2025-11-02\",\"rooms\":1,\"bookingId\":\"b\"}",
         "checkOut"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"h\",\"roomTypeId\":\"r\",\"checkIn\":"
         "\"11/01/2025\",\"checkOut\":\"2025-11-02\",\"rooms\":1,\"bookingId\":\"b\"}",
         "checkIn"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"h\",\"roomTypeId\":\"r\",\"checkIn\":"
         "\"2025-11-01\",\"checkOut\":\"2025-11-02\",\"rooms\":0,\"bookingId\":\"b\"}",
         "rooms"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"h\",\"roomTypeId\":\"r\",\"checkIn\":"
         "\"2025-11-01\",\"checkOut\":\"2025-11-02\",\"rooms\":1}",
         "bookingId"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"h:x\",\"roomTypeId\":\"r\",\"checkIn\":"
         "\"2025-11-01\",\"checkOut\":\"2025-11-02\",\"rooms\":1,\"bookingId\":\"b\"}",
         "hotelId"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(parse_body(bad[i].json, &adj, &err), -1);
        ck_assert_msg(strcmp(err.field, bad[i].field) == 0, "case %zu: %s", i, err.field);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unit_inventory_svc_query");
    TCase *tc = tcase_create("query");
    tcase_add_test(tc, test_a_good_range_gives_first_night_and_count);
    tcase_add_test(tc, test_each_bad_parameter_is_named);
    tcase_add_test(tc, test_adjustment_bodies_are_validated);
    tcase_add_test(tc, test_the_party_of_a_rates_read_is_validated);
    suite_add_tcase(s, tc);
    return check_run(s);
}
