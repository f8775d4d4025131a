/* The Cloudbeds connector's parsing and error typing, on the recorded
 * real-format responses in proto/examples/pms/cloudbeds/ (no network). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pms/cloudbeds_internal.h"
#include "../pms/pms_internal.h"
#include "check_run.h"
#include "common/json.h"

static struct json_object *example(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/proto/examples/pms/cloudbeds/%s", LODGING_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "missing example %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    json_error_t je;
    struct json_object *o = json_parse_object(buf, n, &je);
    ck_assert_msg(o != NULL, "%s: %s", name, je.message);
    return o;
}

static dates_day_t day(const char *iso)
{
    dates_day_t d;
    ck_assert_int_eq(dates_parse_iso(iso, &d), 0);
    return d;
}

START_TEST(test_hotel_details)
{
    struct json_object *o = example("getHotelDetails.json");
    pms_hotel_t h = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_hotel(o, &h, &e), PMS_OK);
    ck_assert_str_eq(h.id, "hotel_123");
    ck_assert_str_eq(h.name, "Hanok Stay Seoul");
    ck_assert_str_eq(h.currency, "KRW");
    ck_assert_str_eq(h.city, "Seoul");
    ck_assert_str_eq(h.country, "KR");
    ck_assert_str_eq(h.address, "12 Sajik-ro, Jongno-gu");
    ck_assert_str_eq(h.timezone, "Asia/Seoul");
    ck_assert(h.latitude > 37.57 && h.latitude < 37.58); /* a string in Cloudbeds' answer */
    ck_assert(h.longitude > 126.97 && h.longitude < 126.98);
    json_object_put(o);
}
END_TEST

START_TEST(test_room_types)
{
    struct json_object *o = example("getRoomTypes.json");
    pms_room_types_t rt = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_room_types(o, &rt, &e), PMS_OK);
    ck_assert_uint_eq(rt.count, 2);
    ck_assert_str_eq(rt.items[0].id, "room_456");
    ck_assert_str_eq(rt.items[0].name, "Deluxe Double");
    ck_assert_int_eq(rt.items[0].max_occupancy, 3);
    ck_assert_int_eq(rt.items[0].total_rooms, 10);
    ck_assert_uint_eq(rt.items[0].photo_count, 1);
    ck_assert_str_eq(rt.items[0].photos[0], "https://img.example.com/room_456/1.jpg");
    ck_assert_uint_eq(rt.items[1].photo_count, 0);
    ck_assert_int_eq(rt.items[1].total_rooms, 4);
    pms_room_types_free(&rt);
    json_object_put(o);
}
END_TEST

START_TEST(test_rate_plans_use_the_base_plan_per_night)
{
    struct json_object *o = example("getRatePlans.json");
    pms_nights_t n = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_rate_plans(o, "room_456", day("2025-11-01"), 2, "KRW", &n, &e),
                     PMS_OK);
    ck_assert_uint_eq(n.count, 2);
    ck_assert_str_eq(n.currency, "KRW");
    ck_assert_int_eq(n.items[0].date, day("2025-11-01"));
    ck_assert_int_eq(n.items[0].available, 5);
    ck_assert_int_eq(n.items[0].rate, 125000); /* the base plan, not the promo one */
    ck_assert_int_eq(n.items[1].available, 3);
    ck_assert_int_eq(n.items[1].rate, 125000);
    pms_nights_free(&n);
    json_object_put(o);
}
END_TEST

START_TEST(test_taxes_and_fees_on_room_nights)
{
    struct json_object *o = example("getTaxesAndFees.json");
    cloudbeds_tax_rule_t rules[CLOUDBEDS_MAX_TAX_RULES];
    int n = 0, skipped = 0;
    pms_error_t e = {0};
    ck_assert_int_eq(
        cloudbeds_parse_taxes(o, "KRW", rules, CLOUDBEDS_MAX_TAX_RULES, &n, &skipped, &e), PMS_OK);
    /* deleted and product-only ones left out */
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(skipped, 0);
    ck_assert_str_eq(rules[0].name, "VAT");
    ck_assert(rules[0].inclusive && rules[0].percentage && !rules[0].fee);
    ck_assert(rules[1].fee && !rules[1].inclusive);
    ck_assert_int_eq(rules[2].amount, 5000);
    ck_assert_int_eq(rules[2].room_type_count, 1);

    pms_night_taxes_t t;
    cloudbeds_apply_taxes(rules, n, "room_456", 110000, &t);
    ck_assert_int_eq(t.count, 3); /* the cleaning fee is the suite's only */
    ck_assert_str_eq(t.items[0].name, "VAT");
    ck_assert_int_eq(t.items[0].amount, 10000); /* in the rate, not added again */
    ck_assert(t.items[0].inclusive);
    ck_assert_int_eq(t.items[1].amount, 11000);
    ck_assert(t.items[1].fee && !t.items[1].inclusive);
    /* no tax is charged on the service charge (feesCharged): tax-free */
    ck_assert(t.items[1].tax_free && !t.items[0].tax_free);
    ck_assert_int_eq(pms_night_tax_free_amount(&t), 11000);
    /* the city tax is per guest: listed, not in the night's total */
    ck_assert_int_eq(t.items[2].basis, PMS_TAX_PER_PERSON_NIGHT);
    ck_assert_int_eq(t.items[2].amount_adult, 2000);
    ck_assert_int_eq(t.items[2].amount_child, 1000);
    ck_assert_int_eq(t.items[2].max_nights, 7);
    ck_assert_int_eq(t.total, 121000);
    ck_assert_int_eq(pms_night_all_in(110000, &t), 121000);
    ck_assert_int_eq(pms_night_tax_amount(&t), 10000);

    cloudbeds_apply_taxes(rules, n, "room_458", 200000, &t);
    ck_assert_int_eq(t.count, 4);
    ck_assert_int_eq(t.total, 200000 + 20000 + 5000);

    cloudbeds_apply_taxes(rules, n, "room_456", 0, &t); /* a night not sold */
    ck_assert_int_eq(t.count, 0);
    ck_assert_int_eq(pms_night_all_in(0, &t), 0);
    cloudbeds_apply_taxes(rules, 0, "room_456", 90000, &t); /* a hotel without taxes */
    ck_assert_int_eq(pms_night_all_in(90000, &t), 90000);
    json_object_put(o);
}
END_TEST

START_TEST(test_a_party_price_is_made_all_in)
{
    struct json_object *o = example("getTaxesAndFees.json");
    cloudbeds_tax_rule_t rules[CLOUDBEDS_MAX_TAX_RULES];
    int n = 0, skipped = 0;
    pms_error_t e = {0};
    ck_assert_int_eq(
        cloudbeds_parse_taxes(o, "KRW", rules, CLOUDBEDS_MAX_TAX_RULES, &n, &skipped, &e), PMS_OK);
    json_object_put(o);
    /* nights that sum to the party's total: taxed night by night, rounded
     * as the rates read rounds each night */
    int64_t nights[] = {143001, 176001};
    pms_stay_check_t sc = {0};
    cloudbeds_party_all_in(rules, n, "room_456", nights, 2, 143001 + 176001, 1, 3, 0, &sc);
    ck_assert(sc.tax_known);
    ck_assert_int_eq(sc.first_night, 143001 + 14300);
    /* and the city tax for each of the three adults each night */
    ck_assert_int_eq(sc.total, 143001 + 14300 + 176001 + 17600 + 3 * 2000 * 2);
    ck_assert_int_eq(sc.tax, (143001 - 130001) + (176001 - 160001) + 3 * 2000 * 2);
    /* nights that do not sum to it (the rates without the extra guests):
     * the total spread evenly, first night unknown */
    cloudbeds_party_all_in(rules, n, "room_456", nights, 2, 352000, 1, 3, 0, &sc);
    ck_assert_int_eq(sc.total, 352000 + 35200 + 12000);
    ck_assert_int_eq(sc.first_night, PMS_TOTAL_UNKNOWN);
    ck_assert_int_eq(sc.tax, 32000 + 12000);
    /* a hotel without taxes: the party's price as the PMS states it */
    cloudbeds_party_all_in(rules, 0, "room_456", NULL, 2, 352000, 1, 3, 0, &sc);
    ck_assert_int_eq(sc.total, 352000);
    ck_assert_int_eq(sc.tax, 0);
    ck_assert(sc.tax_known);
}
END_TEST

/* Every amountType getTaxesAndFees defines: per stay per room ("per
 * accomodation"), per reservation, rate-based tiers and per person with a
 * nights limit, each priced on its own basis. */
START_TEST(test_every_kind_of_tax_and_fee_is_priced_on_its_basis)
{
    struct json_object *o = example("getTaxesAndFees-kinds.json");
    cloudbeds_tax_rule_t rules[CLOUDBEDS_MAX_TAX_RULES];
    int n = 0, skipped = 0;
    pms_error_t e = {0};
    ck_assert_int_eq(
        cloudbeds_parse_taxes(o, "KRW", rules, CLOUDBEDS_MAX_TAX_RULES, &n, &skipped, &e), PMS_OK);
    json_object_put(o);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(skipped, 0);
    ck_assert_int_eq(rules[2].tier_count, 2);
    ck_assert_int_eq(rules[2].tiers[0].max_rate, 100000); /* sorted by rate */

    pms_night_taxes_t t[3];
    int64_t rates[3] = {90000, 100000, 100001};
    for (int i = 0; i < 3; i++)
        cloudbeds_apply_taxes(rules, n, "room_456", rates[i], &t[i]);
    ck_assert_int_eq(t[0].count, 4);
    ck_assert_int_eq(t[0].items[0].basis, PMS_TAX_PER_ROOM_STAY);
    ck_assert_int_eq(t[0].items[0].amount, 15000);
    ck_assert_int_eq(t[0].items[1].basis, PMS_TAX_PER_STAY);
    ck_assert_int_eq(t[0].items[1].amount, 3000);
    /* the lodging tax is charged on the resort fee, on no other fee */
    ck_assert(!t[0].items[0].tax_free && t[0].items[1].tax_free);
    /* rate-based: up to 100000 1 %, up to 300000 (and above) 2 % */
    ck_assert_int_eq(t[0].items[2].basis, PMS_TAX_PER_NIGHT);
    ck_assert_int_eq(t[0].items[2].amount, 900);
    ck_assert_int_eq(t[1].items[2].amount, 1000);
    ck_assert_int_eq(t[2].items[2].amount, 2000);
    ck_assert_int_eq(t[0].total, 90900); /* only the per-night items */
    ck_assert_int_eq(t[0].items[3].basis, PMS_TAX_PER_PERSON_NIGHT);
    ck_assert_int_eq(t[0].items[3].max_nights, 2);

    /* three nights, two rooms, 3 adults and a child: the per-person tax on
     * the first two nights only, the resort fee per room, the booking fee once */
    const pms_night_taxes_t *nights[3] = {&t[0], &t[1], &t[2]};
    pms_stay_charges_t c = pms_stay_charges(nights, 3, 2, 3, 1);
    ck_assert_int_eq(c.amount, 2 * (3 * 1500 + 500) + 2 * 15000 + 3000);
    ck_assert_int_eq(c.tax, 2 * (3 * 1500 + 500));
    ck_assert_int_eq(c.tax_free, 3000);

    /* the party's price in one room: the same charges */
    pms_stay_check_t sc = {0};
    cloudbeds_party_all_in(rules, n, "room_456", rates, 3, 290001, 1, 3, 1, &sc);
    ck_assert_int_eq(sc.total, 90900 + 101000 + 102001 + 2 * (3 * 1500 + 500) + 15000 + 3000);
    ck_assert_int_eq(sc.tax, 900 + 1000 + 2000 + 2 * (3 * 1500 + 500));
    ck_assert_int_eq(sc.tax_free, 3000);
}
END_TEST

START_TEST(test_taxes_answer_without_data_is_a_protocol_error)
{
    json_error_t je;
    struct json_object *o = json_parse_object("{\"success\":true}", 16, &je);
    cloudbeds_tax_rule_t rules[CLOUDBEDS_MAX_TAX_RULES];
    int n = 0, skipped = 0;
    pms_error_t e = {0};
    ck_assert_int_eq(
        cloudbeds_parse_taxes(o, "KRW", rules, CLOUDBEDS_MAX_TAX_RULES, &n, &skipped, &e),
        PMS_ERR_PROTOCOL);
    json_object_put(o);
}
END_TEST

START_TEST(test_rate_plans_missing_night_is_a_protocol_error)
{
    struct json_object *o = example("getRatePlans.json");
    pms_nights_t n = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_rate_plans(o, "room_456", day("2025-11-01"), 3, "KRW", &n, &e),
                     PMS_ERR_PROTOCOL);
    ck_assert_ptr_nonnull(strstr(e.message, "2025-11-03"));
    pms_nights_free(&n);
    /* A room type the answer does not have. */
    ck_assert_int_eq(cloudbeds_parse_rate_plans(o, "room_999", day("2025-11-01"), 2, "KRW", &n, &e),
                     PMS_ERR_NOT_FOUND);
    pms_nights_free(&n);
    /* USD cents: 125000 is fine, but a KRW rate with decimals is refused. */
    json_object_put(o);
    json_error_t je;
    const char *text = "{\"success\":true,\"data\":[{\"roomTypeID\":\"r\",\"isDerived\":false,"
                       "\"roomRateDetailed\":[{\"date\":\"2025-11-01\",\"roomsAvailable\":1,"
                       "\"totalRate\":189.5}]}]}";
    o = json_parse_object(text, strlen(text), &je);
    ck_assert_int_eq(cloudbeds_parse_rate_plans(o, "r", day("2025-11-01"), 1, "USD", &n, &e),
                     PMS_OK);
    ck_assert_int_eq(n.items[0].rate, 18950);
    pms_nights_free(&n);
    ck_assert_int_eq(cloudbeds_parse_rate_plans(o, "r", day("2025-11-01"), 1, "KRW", &n, &e),
                     PMS_ERR_PROTOCOL);
    pms_nights_free(&n);
    json_object_put(o);
}
END_TEST

START_TEST(test_post_reservation_is_a_hold)
{
    struct json_object *o = example("postReservation.json");
    pms_hold_t h = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_post_reservation(o, "KRW", &h, &e), PMS_OK);
    ck_assert_str_eq(h.hold_id, "8801234567");
    ck_assert_int_eq(h.total, 250000);
    ck_assert_str_eq(h.currency, "KRW");
    json_object_put(o);
}
END_TEST

START_TEST(test_reservation_states)
{
    struct json_object *o = example("getReservation-hold.json");
    pms_reservation_t r = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_reservation(o, "KRW", &r, &e), PMS_OK);
    ck_assert_str_eq(r.reservation_id, "8801234567");
    ck_assert_str_eq(r.confirmation_number, "8801234567");
    ck_assert_int_eq(r.status, PMS_RES_HOLD);
    ck_assert_str_eq(r.room_type_id, "room_456");
    ck_assert_int_eq(r.check_in, day("2025-11-01"));
    ck_assert_int_eq(r.check_out, day("2025-11-03"));
    ck_assert_int_eq(r.total, 250000);
    ck_assert_int_eq(r.adults, 2); /* each room's party, numbers as text */
    ck_assert_int_eq(r.children, 0);
    ck_assert_int_eq(r.rooms, 1);
    ck_assert_str_eq(r.reference, "bk_01JB2Q8Z4T6Y");
    int64_t expected;
    ck_assert_int_eq(dates_parse_rfc3339("2025-10-20T09:33:00Z", &expected), 0);
    ck_assert_int_eq(r.hold_expires_at_ms, expected);
    json_object_put(o);

    o = example("getReservation-confirmed.json");
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(cloudbeds_parse_reservation(o, "KRW", &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CONFIRMED);
    json_object_put(o);
}
END_TEST

START_TEST(test_reservation_list_finds_the_live_one_by_reference)
{
    struct json_object *o = example("getReservations.json");
    char id[PMS_ID_MAX] = "";
    bool found = false;
    int total = 0;
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_reservation_list(o, "bk_01JB2Q8Z4T6Y", id, &found, &total, &e),
                     PMS_OK);
    ck_assert(found);
    ck_assert_str_eq(id, "8801234567"); /* the live hold, not the cancelled one before it */
    ck_assert_int_eq(total, 3);
    found = false;
    ck_assert_int_eq(cloudbeds_parse_reservation_list(o, "bk_other", id, &found, &total, &e),
                     PMS_OK);
    ck_assert(!found);
    json_object_put(o);
}
END_TEST

START_TEST(test_reservation_items_keep_every_reservation_without_a_total)
{
    struct json_object *o = example("getReservations.json");
    pms_reservation_list_t list = {0};
    int total = 0;
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_reservation_items(o, &list, &total, &e), PMS_OK);
    ck_assert_uint_eq(list.count, 3);
    ck_assert_int_eq(total, 3);
    ck_assert_str_eq(list.items[1].reservation_id, "8801234567");
    ck_assert_int_eq(list.items[1].status, PMS_RES_HOLD);
    ck_assert_str_eq(list.items[1].reference, "bk_01JB2Q8Z4T6Y");
    ck_assert_str_eq(list.items[1].room_type_id, "room_456");
    ck_assert_int_eq(list.items[1].check_in, day("2025-11-01"));
    ck_assert(list.items[1].hold_expires_at_ms > 0);
    ck_assert_int_eq(list.items[1].total, PMS_TOTAL_UNKNOWN);
    ck_assert_int_eq(list.items[2].status, PMS_RES_CONFIRMED);
    ck_assert_str_eq(list.items[2].reference, "");
    ck_assert_int_eq(list.items[2].hold_expires_at_ms, 0);
    pms_reservation_list_free(&list);
    json_object_put(o);
}
END_TEST

START_TEST(test_webhook_subscription)
{
    struct json_object *o = example("postWebhook.json");
    char id[PMS_ID_MAX];
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_subscription(o, id, &e), PMS_OK);
    ck_assert_str_eq(id, "7f1c2a9e5b");
    json_object_put(o);
    json_error_t je;
    o = json_parse_object("{\"success\":true,\"data\":{}}", 27, &je);
    ck_assert_int_eq(cloudbeds_parse_subscription(o, id, &e), PMS_ERR_PROTOCOL);
    json_object_put(o);
}
END_TEST

static struct json_object *parse_text(const char *text)
{
    json_error_t je;
    struct json_object *o = json_parse_object(text, strlen(text), &je);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* The property settings check reads the reservation field by shortcode or
 * name (a guest field of that name does not count) and cash by method. */
START_TEST(test_setup_answers)
{
    pms_error_t e = {0};
    bool has = false;
    struct json_object *o =
        parse_text("{\"success\":true,\"data\":[{\"name\":\"Hold\",\"shortcode\":\"holdExpiresAt\","
                   "\"applyTo\":\"reservation\",\"type\":\"input\"}]}");
    ck_assert_int_eq(cloudbeds_parse_custom_fields(o, &has, &e), PMS_OK);
    ck_assert(has);
    json_object_put(o);
    o = parse_text("{\"success\":true,\"data\":[{\"name\":\"holdExpiresAt\","
                   "\"shortcode\":\"x\",\"applyTo\":\"guest\"}]}");
    ck_assert_int_eq(cloudbeds_parse_custom_fields(o, &has, &e), PMS_OK);
    ck_assert(!has);
    json_object_put(o);
    o = parse_text("{\"success\":true,\"data\":{}}");
    ck_assert_int_eq(cloudbeds_parse_custom_fields(o, &has, &e), PMS_ERR_PROTOCOL);
    ck_assert_int_eq(cloudbeds_parse_payment_methods(o, &has, &e), PMS_ERR_PROTOCOL);
    json_object_put(o);
    o = parse_text("{\"success\":true,\"data\":{\"propertyID\":\"p\",\"methods\":["
                   "{\"method\":\"credit\",\"code\":\"credit\",\"name\":\"Card\"},"
                   "{\"method\":\"cash\",\"code\":\"cash\",\"name\":\"Cash\"}]}}");
    ck_assert_int_eq(cloudbeds_parse_payment_methods(o, &has, &e), PMS_OK);
    ck_assert(has);
    json_object_put(o);
    o = parse_text("{\"success\":true,\"data\":{\"propertyID\":\"p\",\"methods\":["
                   "{\"method\":\"credit\",\"code\":\"credit\",\"name\":\"Card\"}]}}");
    ck_assert_int_eq(cloudbeds_parse_payment_methods(o, &has, &e), PMS_OK);
    ck_assert(!has);
    json_object_put(o);
}
END_TEST

/* Numbers in an answer that no int holds (or no number at all) are treated
 * as absent, never converted: the answer is untrusted input. */
START_TEST(test_out_of_range_numbers_are_treated_as_absent)
{
    json_error_t je;
    const char *types = "{\"success\":true,\"data\":[{\"roomTypeID\":\"r\",\"maxGuests\":1e20,"
                        "\"roomTypeUnits\":\"nan\"}]}";
    struct json_object *o = json_parse_object(types, strlen(types), &je);
    pms_room_types_t rt = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_parse_room_types(o, &rt, &e), PMS_OK);
    ck_assert_uint_eq(rt.count, 1);
    ck_assert_int_eq(rt.items[0].max_occupancy, 0);
    ck_assert_int_eq(rt.items[0].total_rooms, 0);
    pms_room_types_free(&rt);
    json_object_put(o);

    const char *list = "{\"success\":true,\"data\":[],\"total\":-1e20}";
    o = json_parse_object(list, strlen(list), &je);
    char id[PMS_ID_MAX] = "";
    bool found = false;
    int total = 7;
    ck_assert_int_eq(cloudbeds_parse_reservation_list(o, "bk_1", id, &found, &total, &e), PMS_OK);
    ck_assert_int_eq(total, 0); /* the length of data instead */
    json_object_put(o);
}
END_TEST

/* classify() on a response built in memory. */
static pms_err_t classify(int status, const char *body, pms_error_t *e)
{
    http_client_response_t r = {.status = status,
                                .body = (char *)body,
                                .body_len = body ? strlen(body) : 0,
                                .retry_after_ms = -1};
    memset(e, 0, sizeof *e);
    return pms_vendor_cloudbeds.classify(&r, e);
}

static const char *read_example_text(const char *name)
{
    struct json_object *o = example(name);
    static char text[4096];
    snprintf(text, sizeof text, "%s", json_object_to_json_string(o));
    json_object_put(o);
    return text;
}

START_TEST(test_errors_are_typed)
{
    pms_error_t e;
    ck_assert_int_eq(classify(200, read_example_text("putReservation.json"), &e), PMS_OK);
    ck_assert_int_eq(classify(401, read_example_text("error-auth.json"), &e), PMS_ERR_AUTH);
    ck_assert_ptr_nonnull(strstr(e.message, "Invalid API key"));
    ck_assert_int_eq(classify(403, "{\"success\":false}", &e), PMS_ERR_AUTH);
    ck_assert_int_eq(classify(404, "{\"success\":false,\"message\":\"Reservation not found\"}", &e),
                     PMS_ERR_NOT_FOUND);
    ck_assert_int_eq(classify(409, read_example_text("error-no-availability.json"), &e),
                     PMS_ERR_NO_AVAILABILITY);
    ck_assert_int_eq(
        classify(409, "{\"success\":false,\"message\":\"Reservation 1 is canceled\"}", &e),
        PMS_ERR_CONFLICT);
    ck_assert_int_eq(classify(400, read_example_text("error-bad-parameter.json"), &e),
                     PMS_ERR_REJECTED);
    /* Cloudbeds also refuses with HTTP 200 and success=false. */
    ck_assert_int_eq(classify(200, "{\"success\":false,\"message\":\"Invalid guestEmail\"}", &e),
                     PMS_ERR_REJECTED);
    ck_assert_int_eq(
        classify(200, "{\"success\":false,\"message\":\"Room type not available\"}", &e),
        PMS_ERR_NO_AVAILABILITY);
    ck_assert_int_eq(classify(429, "{\"success\":false,\"message\":\"Too many requests\"}", &e),
                     PMS_ERR_RATE_LIMITED);
    ck_assert_int_eq(classify(503, "<html>maintenance</html>", &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(classify(408, NULL, &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(classify(200, "<html>not json</html>", &e), PMS_ERR_PROTOCOL);
    ck_assert_int_eq(classify(200, "", &e), PMS_ERR_PROTOCOL);
}
END_TEST

START_TEST(test_a_reservation_not_in_the_hold_state_is_refused)
{
    struct json_object *o = example("postReservation.json");
    pms_error_t e = {0};
    ck_assert_int_eq(cloudbeds_check_hold_status(o, &e), PMS_OK);
    json_object_object_add(o, "status", json_object_new_string("confirmed"));
    ck_assert_int_eq(cloudbeds_check_hold_status(o, &e), PMS_ERR_PROTOCOL);
    ck_assert_ptr_nonnull(strstr(e.message, "not_confirmed"));
    json_object_object_del(o, "status");
    ck_assert_int_eq(cloudbeds_check_hold_status(o, &e), PMS_ERR_PROTOCOL);
    json_object_put(o);
}
END_TEST

START_TEST(test_retryable_and_names)
{
    ck_assert(pms_err_retryable(PMS_ERR_TRANSIENT));
    ck_assert(pms_err_retryable(PMS_ERR_RATE_LIMITED));
    ck_assert(pms_err_retryable(PMS_ERR_UNAVAILABLE));
    ck_assert(!pms_err_retryable(PMS_ERR_NO_AVAILABILITY));
    ck_assert(!pms_err_retryable(PMS_ERR_AUTH));
    ck_assert_str_eq(pms_err_name(PMS_ERR_NO_AVAILABILITY), "no_availability");
    ck_assert(pms_vendor_known("cloudbeds"));
    ck_assert(pms_vendor_known("opera"));
    ck_assert(!pms_vendor_known("mews"));
    char err[128];
    ck_assert_ptr_null(pms_connector_new("mews", NULL, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "mews"));
}
END_TEST

START_TEST(test_keys_from_env)
{
    char key[64];
    unsetenv("PMS_hotel_123_API_KEY");
    unsetenv("PMS_HOTEL_123_API_KEY");
    ck_assert_int_eq(pms_key_from_env(NULL, "cloudbeds", "hotel_123", key, sizeof key), -1);
    setenv("PMS_HOTEL_123_API_KEY", "k-upper", 1);
    ck_assert_int_eq(pms_key_from_env(NULL, "cloudbeds", "hotel_123", key, sizeof key), 0);
    ck_assert_str_eq(key, "k-upper");
    setenv("PMS_hotel_123_API_KEY", "k-exact", 1);
    ck_assert_int_eq(pms_key_from_env(NULL, "cloudbeds", "hotel_123", key, sizeof key), 0);
    ck_assert_str_eq(key, "k-exact");
    setenv("PMS_HOTEL_9_B_API_KEY", "k-dash", 1);
    ck_assert_int_eq(pms_key_from_env(NULL, "cloudbeds", "hotel-9.b", key, sizeof key), 0);
    ck_assert_str_eq(key, "k-dash");
}
END_TEST

START_TEST(test_bad_arguments_send_nothing)
{
    char err[128];
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = "http://127.0.0.1:9"; /* nothing listens: a sent request would be TRANSIENT */
    pms_connector_t *c = pms_connector_new("cloudbeds", &cfg, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    pms_error_t e;
    pms_nights_t n;
    ck_assert_int_eq(pms_get_inventory(c, "hotel 1", "r", 0, 1, &n, &e), PMS_ERR_INVALID);
    ck_assert_int_eq(pms_get_inventory(c, "h", "r", 0, 0, &n, &e), PMS_ERR_INVALID);
    ck_assert_int_eq(pms_get_inventory(c, "h", "r", 0, PMS_MAX_NIGHTS + 1, &n, &e),
                     PMS_ERR_INVALID);
    pms_hold_request_t req = {.hotel_id = "h",
                              .room_type_id = "r",
                              .check_in = 10,
                              .check_out = 10,
                              .adults = 1,
                              .guest = {.first_name = "a", .last_name = "b", .email = "c"}};
    pms_hold_t h;
    ck_assert_int_eq(pms_create_hold(c, &req, &h, &e), PMS_ERR_INVALID);
    req.check_out = 12;
    req.adults = 0;
    ck_assert_int_eq(pms_create_hold(c, &req, &h, &e), PMS_ERR_INVALID);
    req.adults = 2;
    req.guest.email = "";
    ck_assert_int_eq(pms_create_hold(c, &req, &h, &e), PMS_ERR_INVALID);
    /* No key for the hotel: typed as auth, before any request. */
    unsetenv("PMS_h_API_KEY");
    unsetenv("PMS_H_API_KEY");
    pms_hotel_t hotel;
    ck_assert_int_eq(pms_get_hotel(c, "h", &hotel, &e), PMS_ERR_AUTH);
    ck_assert_int_eq(e.attempts, 0);
    pms_connector_free(c);
}
END_TEST

static const char *lookup(const char *name, void *ctx)
{
    const char *const *kv = ctx;
    for (; kv[0]; kv += 2)
        if (strcmp(kv[0], name) == 0)
            return kv[1];
    return NULL;
}

START_TEST(test_config_from_env)
{
    const char *good[] = {"PMS_BASE_URL",
                          "http://127.0.0.1:8091",
                          "PMS_TIMEOUT_MS",
                          "1500",
                          "PMS_RATE_LIMIT_PER_SECOND",
                          "2.5",
                          NULL};
    config_t *cfg = config_new_with_lookup(lookup, good);
    pms_config_t pc;
    ck_assert_str_eq(pms_config_from_env(cfg, &pc), "cloudbeds");
    ck_assert_uint_eq(config_error_count(cfg), 0);
    ck_assert_str_eq(pc.base_url, "http://127.0.0.1:8091");
    ck_assert_int_eq(pc.timeout_ms, 1500);
    ck_assert(pc.rate_per_second > 2.49 && pc.rate_per_second < 2.51);
    ck_assert_int_eq(pc.checkout_wait_ms, PMS_DEFAULT_CHECKOUT_WAIT_MS);
    ck_assert_int_eq(pc.background_wait_ms, PMS_DEFAULT_BACKGROUND_WAIT_MS);
    ck_assert_ptr_null(pc.budget_redis);
    ck_assert_int_eq(pc.priority, PMS_PRIORITY_CHECKOUT);
    ck_assert_int_eq(pc.retry.max_retries, RETRY_MAX_RETRIES);
    config_free(cfg);

    const char *bad[] = {"PMS_VENDOR", "mews", "PMS_TIMEOUT_MS", "5s", NULL};
    cfg = config_new_with_lookup(lookup, bad);
    pms_config_from_env(cfg, &pc);
    ck_assert_uint_eq(config_error_count(cfg), 2);
    ck_assert_ptr_nonnull(strstr(config_errors(cfg), "PMS_VENDOR"));
    ck_assert_ptr_nonnull(strstr(config_errors(cfg), "PMS_TIMEOUT_MS"));
    config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_cloudbeds");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_hotel_details);
    tcase_add_test(tc, test_room_types);
    tcase_add_test(tc, test_rate_plans_use_the_base_plan_per_night);
    tcase_add_test(tc, test_rate_plans_missing_night_is_a_protocol_error);
    tcase_add_test(tc, test_post_reservation_is_a_hold);
    tcase_add_test(tc, test_reservation_states);
    tcase_add_test(tc, test_reservation_items_keep_every_reservation_without_a_total);
    tcase_add_test(tc, test_reservation_list_finds_the_live_one_by_reference);
    tcase_add_test(tc, test_webhook_subscription);
    tcase_add_test(tc, test_setup_answers);
    tcase_add_test(tc, test_out_of_range_numbers_are_treated_as_absent);
    tcase_add_test(tc, test_errors_are_typed);
    tcase_add_test(tc, test_a_reservation_not_in_the_hold_state_is_refused);
    tcase_add_test(tc, test_retryable_and_names);
    tcase_add_test(tc, test_keys_from_env);
    tcase_add_test(tc, test_bad_arguments_send_nothing);
    tcase_add_test(tc, test_config_from_env);
    tcase_add_test(tc, test_taxes_and_fees_on_room_nights);
    tcase_add_test(tc, test_a_party_price_is_made_all_in);
    tcase_add_test(tc, test_every_kind_of_tax_and_fee_is_priced_on_its_basis);
    tcase_add_test(tc, test_taxes_answer_without_data_is_a_protocol_error);
    suite_add_tcase(s, tc);
    return check_run(s);
}
