/* The OPERA (OHIP Distribution) connector's parsing and error typing, on the
 * real-format payloads in proto/examples/pms/opera/ (no network), and the
 * per-hotel vendor selection. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pms/opera_internal.h"
#include "../pms/pms_internal.h"
#include "check_run.h"
#include "common/json.h"

static struct json_object *example(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/proto/examples/pms/opera/%s", LODGING_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "missing example %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    struct json_object *o = json_tokener_parse(buf);
    ck_assert_msg(o != NULL, "%s is not JSON", name);
    return o;
}

static dates_day_t day(const char *iso)
{
    dates_day_t d;
    ck_assert_int_eq(dates_parse_iso(iso, &d), 0);
    return d;
}

START_TEST(test_token)
{
    struct json_object *o = example("token.json");
    char token[4096];
    int64_t ttl = 0;
    pms_error_t e = {0};
    ck_assert_int_eq(opera_parse_token(o, token, sizeof token, &ttl, &e), PMS_OK);
    ck_assert_int_eq(ttl, 3600);
    ck_assert(strncmp(token, "eyJ", 3) == 0);
    json_object_put(o);
}
END_TEST

START_TEST(test_property)
{
    struct json_object *o = example("property.json");
    pms_hotel_t h = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(opera_parse_property(o, &h, &e), PMS_OK);
    ck_assert_str_eq(h.id, "opera_jeju");
    ck_assert_str_eq(h.name, "Seongsan Ocean Resort Jeju");
    ck_assert_str_eq(h.currency, "KRW");
    ck_assert_str_eq(h.city, "Seogwipo");
    ck_assert_str_eq(h.country, "KR");
    ck_assert_str_eq(h.timezone, "Asia/Seoul");
    ck_assert_str_eq(h.address, "20 Ilchul-ro, Seongsan-eup");
    ck_assert(h.latitude > 33.45 && h.latitude < 33.46);
    ck_assert(h.longitude > 126.93 && h.longitude < 126.94);
    json_object_put(o);
}
END_TEST

START_TEST(test_room_types_with_max_occupancy)
{
    struct json_object *o = example("room_types.json");
    pms_room_types_t rt = {0};
    bool more = true;
    pms_error_t e = {0};
    ck_assert_int_eq(opera_parse_room_types(o, &rt, &more, &e), PMS_OK);
    ck_assert(!more);
    ck_assert_uint_eq(rt.count, 3);
    ck_assert_str_eq(rt.items[0].id, "DLXK");
    ck_assert_str_eq(rt.items[0].name, "Deluxe King Ocean View");
    ck_assert_int_eq(rt.items[0].max_occupancy, 3);
    ck_assert_int_eq(rt.items[2].max_occupancy, 4);
    pms_room_types_free(&rt);
    json_object_put(o);
}
END_TEST

START_TEST(test_offers_by_plan_give_rates_restrictions_and_policies)
{
    struct json_object *o = example("offers_plans.json");
    static opera_plan_offers_t po; /* large: every plan's nights and taxes */
    pms_error_t e = {0};
    ck_assert_int_eq(opera_parse_plan_offers(o, "DLXK", day("2027-02-05"), 1, &po, &e), PMS_OK);
    ck_assert_str_eq(po.room_status, "AvailableForSale");
    ck_assert_str_eq(po.currency, "KRW");
    ck_assert_uint_eq(po.count, 3);
    /* BAR: the one-night stay breaks its minimum stay: no offer, the rule named */
    ck_assert_str_eq(po.items[0].code, "BAR");
    ck_assert(!po.items[0].offered && po.items[0].restricted);
    ck_assert_int_eq(po.items[0].arrival.min_los, 2);
    ck_assert(!po.items[0].arrival.closed && !po.items[0].departure_closed);
    /* NRF: sold, the whole stay due from booking */
    ck_assert_str_eq(po.items[1].code, "NRF");
    ck_assert_str_eq(po.items[1].name, "Non-refundable");
    ck_assert(po.items[1].offered && !po.items[1].restricted);
    ck_assert_int_eq(po.items[1].rates[0], 234000);
    ck_assert_int_eq(po.items[1].total, 234000);
    ck_assert_str_eq(po.items[1].cancel_policy, "{\"type\":\"non_refundable\"}");
    /* BB: free until a day before arrival, then half the stay */
    ck_assert_str_eq(po.items[2].code, "BB");
    ck_assert_int_eq(po.items[2].rates[0], 299000);
    ck_assert_str_eq(po.items[2].cancel_policy,
                     "{\"type\":\"free_until\",\"hoursBefore\":24,\"fee\":\"percent\","
                     "\"percent\":50}");
    /* a room type the answer does not list: nothing, no status */
    ck_assert_int_eq(opera_parse_plan_offers(o, "STDT", day("2027-02-05"), 1, &po, &e), PMS_OK);
    ck_assert_str_eq(po.room_status, "");
    json_object_put(o);
}
END_TEST

START_TEST(test_offers_taxed_itemise_the_tax_in_each_night)
{
    struct json_object *o = example("offers_taxed.json");
    opera_offer_t offer;
    int64_t rates[3];
    pms_night_taxes_t taxes[3];
    pms_error_t e = {0};
    ck_assert_int_eq(
        opera_parse_offers_taxed(o, "DLXK", day("2026-12-24"), 3, &offer, rates, taxes, &e),
        PMS_OK);
    ck_assert_int_eq(offer.total, 730000); /* after tax: what the guest pays */
    ck_assert_int_eq(rates[0], 210000);
    /* the after-tax rate holds the VAT: shown, never added again */
    ck_assert_int_eq(taxes[0].count, 1);
    ck_assert_str_eq(taxes[0].items[0].name, "VAT");
    ck_assert(taxes[0].items[0].inclusive && !taxes[0].items[0].fee);
    ck_assert_int_eq(taxes[0].items[0].amount, 210000 - 190909);
    ck_assert_int_eq(taxes[0].total, 210000);
    ck_assert_int_eq(taxes[2].items[0].amount, 260000 - 236364);
    ck_assert_int_eq(pms_night_all_in(rates[2], &taxes[2]), 260000);
    json_object_put(o);

    /* before = after: no tax stated, the rate is all it costs */
    o = example("offers_available.json");
    ck_assert_int_eq(
        opera_parse_offers_taxed(o, "DLXK", day("2026-12-24"), 3, &offer, rates, taxes, &e),
        PMS_OK);
    ck_assert_int_eq(taxes[0].count, 0);
    ck_assert_int_eq(pms_night_all_in(rates[0], &taxes[0]), 210000);
    json_object_put(o);
}
END_TEST

START_TEST(test_cancellation_policies_the_platform_cannot_say_are_not_taken)
{
    char out[PMS_CANCEL_POLICY_MAX];
    struct json_object *p =
        json_tokener_parse("[{\"policy\":{\"deadline\":{\"offsetFromArrival\":2},\"amountPercent\":"
                           "{\"basisType\":\"Nights\",\"nights\":2}}}]");
    opera_cancel_policy(p, out, sizeof out);
    ck_assert_str_eq(out, ""); /* two nights: not a platform fee */
    json_object_put(p);
    p = json_tokener_parse("[{\"policy\":{\"deadline\":{\"offsetFromArrival\":3},"
                           "\"amountPercent\":{\"basisType\":\"Nights\",\"nights\":1}}}]");
    opera_cancel_policy(p, out, sizeof out);
    ck_assert_str_eq(out, "{\"type\":\"free_until\",\"hoursBefore\":72,\"fee\":\"first_night\"}");
    json_object_put(p);
    opera_cancel_policy(NULL, out, sizeof out);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_offers_available_gives_every_night_a_rate)
{
    struct json_object *o = example("offers_available.json");
    opera_offer_t offer;
    int64_t rates[3];
    pms_error_t e = {0};
    ck_assert_int_eq(opera_parse_offers(o, "DLXK", day("2026-12-24"), 3, &offer, rates, &e),
                     PMS_OK);
    ck_assert(offer.bookable);
    ck_assert_str_eq(offer.status, "AvailableForSale");
    ck_assert_str_eq(offer.rate_plan, "BAR");
    ck_assert_str_eq(offer.currency, "KRW");
    ck_assert_int_eq(rates[0], 210000); /* KRW has no minor unit */
    ck_assert_int_eq(rates[1], 260000); /* a range start..end covers both nights */
    ck_assert_int_eq(rates[2], 260000);
    ck_assert_int_eq(offer.total, 730000);
    /* a night outside the answer's ranges is never made up */
    int64_t four[4];
    ck_assert_int_eq(opera_parse_offers(o, "DLXK", day("2026-12-24"), 4, &offer, four, &e),
                     PMS_ERR_PROTOCOL);
    /* a room type the answer does not list is not bookable, with no status */
    ck_assert_int_eq(opera_parse_offers(o, "STDT", day("2026-12-24"), 3, &offer, NULL, &e),
                     PMS_OK);
    ck_assert(!offer.bookable);
    ck_assert_str_eq(offer.status, "");
    json_object_put(o);
}
END_TEST

START_TEST(test_offers_without_a_count)
{
    opera_offer_t offer;
    pms_error_t e = {0};
    struct json_object *o = example("offers_below_requested.json");
    ck_assert_int_eq(opera_parse_offers(o, "OCNS", day("2026-12-24"), 3, &offer, NULL, &e),
                     PMS_OK);
    ck_assert(!offer.bookable);
    ck_assert_str_eq(offer.status, "BelowRequestedUnits");
    json_object_put(o);
    o = example("offers_no_availability.json");
    ck_assert_int_eq(opera_parse_offers(o, "STDT", day("2026-12-24"), 3, &offer, NULL, &e),
                     PMS_OK);
    ck_assert(!offer.bookable);
    ck_assert_str_eq(offer.status, "NoAvailability");
    json_object_put(o);
}
END_TEST

START_TEST(test_booking_statuses)
{
    pms_reservation_t r;
    char status[OPERA_STATUS_MAX];
    pms_error_t e = {0};
    struct json_object *o = example("create_on_hold.json");
    ck_assert_int_eq(opera_parse_booking(json_object_array_get_idx(o, 0), &r, status, &e), PMS_OK);
    ck_assert_str_eq(status, "OnHold");
    ck_assert_int_eq(r.status, PMS_RES_HOLD);
    ck_assert_str_eq(r.reference, "bk7Q2M9X4K");
    ck_assert_str_eq(r.room_type_id, "DLXK");
    ck_assert_int_eq(r.check_in, day("2026-12-24"));
    ck_assert_int_eq(r.check_out, day("2026-12-27"));
    ck_assert_int_eq(r.total, 730000);
    ck_assert_str_eq(r.currency, "KRW");
    ck_assert_int_eq(r.adults, 2); /* roomStay.guestCounts */
    ck_assert_int_eq(r.children, 0);
    ck_assert_int_eq(r.rooms, 1);
    ck_assert_str_eq(r.reservation_id, r.confirmation_number);
    json_object_put(o);
    o = example("get_reserved.json");
    ck_assert_int_eq(opera_parse_booking(json_object_array_get_idx(o, 0), &r, status, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CONFIRMED);
    json_object_put(o);
    o = example("find_by_external_id.json");
    ck_assert_int_eq(json_object_array_length(o), 1);
    ck_assert_int_eq(opera_parse_booking(json_object_array_get_idx(o, 0), &r, status, &e), PMS_OK);
    ck_assert_str_eq(r.reference, "bk7Q2M9X4K");
    json_object_put(o);
}
END_TEST

START_TEST(test_on_hold_and_cancel_answers)
{
    char status[OPERA_STATUS_MAX];
    pms_error_t e = {0};
    struct json_object *o = example("commit.json");
    ck_assert_int_eq(opera_parse_status(o, status, &e), PMS_OK);
    ck_assert_str_eq(status, "Committed");
    json_object_put(o);
    o = example("ignore.json");
    ck_assert_int_eq(opera_parse_status(o, status, &e), PMS_OK);
    ck_assert_str_eq(status, "Ignored");
    json_object_put(o);
    o = example("cancel.json"); /* an array */
    ck_assert_int_eq(opera_parse_status(o, status, &e), PMS_OK);
    ck_assert_str_eq(status, "Cancelled");
    json_object_put(o);
    o = json_tokener_parse("{\"hotelCode\":\"x\"}");
    ck_assert_int_eq(opera_parse_status(o, status, &e), PMS_ERR_PROTOCOL);
    json_object_put(o);
}
END_TEST

START_TEST(test_both_error_spellings)
{
    char title[128], code[32];
    struct json_object *o = example("error_book_not_found.json");
    opera_parse_error(o, title, sizeof title, code, sizeof code);
    ck_assert_str_eq(code, "DRSV30007");
    ck_assert_str_eq(title, "Reservation Id was not found");
    json_object_put(o);
    o = example("error_shop_calendar_range.json");
    opera_parse_error(o, title, sizeof title, code, sizeof code);
    ck_assert_str_eq(code, "OHD-PARAM");
    ck_assert_ptr_nonnull(strstr(title, "62"));
    json_object_put(o);
}
END_TEST

START_TEST(test_errors_are_typed)
{
    static const struct {
        int status;
        const char *body;
        pms_err_t want;
    } cases[] = {
        {200, "[]", PMS_OK},
        {400, "{\"title\":\"Room type DLXK is not available for 2026-12-24\",\"o.errorCode\":"
              "\"DRSV20004\",\"status\":400,\"logId\":1}",
         PMS_ERR_NO_AVAILABILITY},
        {400, "{\"title\":\"roomStay is required\",\"o:errorCode\":\"X\"}", PMS_ERR_REJECTED},
        {401, "{}", PMS_ERR_AUTH},
        {403, "", PMS_ERR_AUTH},
        {404, "{\"title\":\"Reservation Id was not found\"}", PMS_ERR_NOT_FOUND},
        {429, "", PMS_ERR_RATE_LIMITED},
        {502, "{\"title\":\"Bad Gateway\"}", PMS_ERR_TRANSIENT},
        {503, "not json", PMS_ERR_TRANSIENT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_client_response_t r = {.status = cases[i].status,
                                    .body = (char *)cases[i].body,
                                    .body_len = strlen(cases[i].body)};
        pms_error_t e = {0};
        ck_assert_int_eq(pms_vendor_opera.classify(&r, &e), cases[i].want);
    }
}
END_TEST

START_TEST(test_business_events_give_reservation_changes)
{
    struct json_object *o = example("business_events.json");
    pms_booking_events_t b = {0};
    pms_error_t e = {0};
    ck_assert_int_eq(opera_parse_business_events(o, &b, &e), PMS_OK);
    ck_assert_int_eq(b.count, 3); /* the profile change is not a reservation's */
    ck_assert_str_eq(b.items[0].event_id, "1041");
    ck_assert_str_eq(b.items[0].action, "NEW RESERVATION");
    ck_assert_str_eq(b.items[0].reservation_id, "OPJ100007");
    ck_assert_int_eq(b.items[0].status, PMS_RES_CONFIRMED);
    ck_assert_str_eq(b.items[0].room_type_id, "OCNS");
    ck_assert_int_eq(b.items[0].check_in, day("2027-01-06"));
    ck_assert_int_eq(b.items[0].check_out, day("2027-01-08"));
    ck_assert_int_eq(b.items[0].prev_check_in, 0);
    /* a move: the new stay and the one given back */
    ck_assert_int_eq(b.items[1].status, PMS_RES_CONFIRMED);
    ck_assert_int_eq(b.items[1].check_in, day("2027-01-08"));
    ck_assert_int_eq(b.items[1].prev_check_in, day("2027-01-06"));
    ck_assert_int_eq(b.items[1].prev_check_out, day("2027-01-08"));
    ck_assert_str_eq(b.items[1].prev_room_type_id, "OCNS");
    /* a cancel without a confirmation number detail: the primary key stands in */
    ck_assert_int_eq(b.items[2].status, PMS_RES_CANCELLED);
    ck_assert_str_eq(b.items[2].reservation_id, "418230");
    ck_assert_int_eq(b.items[2].check_in, 0);
    json_object_put(o);
    o = json_tokener_parse("{\"links\":[]}");
    ck_assert_int_eq(opera_parse_business_events(o, &b, &e), PMS_ERR_PROTOCOL);
    json_object_put(o);
}
END_TEST

START_TEST(test_a_change_feed_is_off_unless_configured)
{
    unsetenv("PMS_OPERA_EVENTS_ENABLED");
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = "http://127.0.0.1:9"; /* nothing listens: nothing may be asked */
    cfg.retry.max_retries = -1;
    char err[256];
    pms_connector_t *c = pms_connector_new("opera", &cfg, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    pms_booking_events_t b;
    pms_error_t e = {0};
    ck_assert_int_eq(pms_take_booking_events(c, "opera_jeju", &b, &e), PMS_ERR_REJECTED);
    ck_assert_int_eq(b.count, 0);
    pms_connector_free(c);
    c = pms_connector_new("cloudbeds", &cfg, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(pms_take_booking_events(c, "hotel_123", &b, &e), PMS_ERR_REJECTED);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_traits_and_vendor_from_env)
{
    pms_vendor_traits_t t;
    ck_assert(pms_vendor_traits("opera", &t));
    ck_assert(!t.webhooks && !t.room_counts && t.holds && !t.lists_reservations);
    ck_assert(pms_vendor_traits("cloudbeds", &t));
    ck_assert(t.webhooks && t.room_counts);
    ck_assert(!pms_vendor_traits("mews", &t));
    char v[32];
    unsetenv("PMS_opera_x_VENDOR");
    unsetenv("PMS_OPERA_X_VENDOR");
    ck_assert_int_eq(pms_vendor_from_env(NULL, "opera-x", v, sizeof v), -1);
    setenv("PMS_OPERA_X_VENDOR", "opera", 1);
    ck_assert_int_eq(pms_vendor_from_env(NULL, "opera-x", v, sizeof v), 0);
    ck_assert_str_eq(v, "opera");
}
END_TEST

START_TEST(test_hotels_are_routed_to_their_vendor)
{
    char err[128];
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = "http://127.0.0.1:9";
    cfg.vendor_urls[0] = (pms_vendor_url_t){.vendor = "opera", .base_url = "http://127.0.0.1:9"};
    pms_connector_t *c = pms_connector_new("cloudbeds", &cfg, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    setenv("PMS_routed_hotel_VENDOR", "opera", 1);
    ck_assert_str_eq(pms_hotel_vendor(c, "routed_hotel"), "opera");
    ck_assert_str_eq(pms_hotel_vendor(c, "plain_hotel"), "cloudbeds");
    /* an onboarding preview reaches a vendor before the hotel is configured */
    pms_connector_t *op = pms_connector_for_vendor(c, "opera");
    ck_assert_ptr_nonnull(op);
    ck_assert_str_eq(pms_connector_vendor(op), "opera");
    ck_assert_ptr_eq(pms_connector_for_vendor(c, "cloudbeds"), c);
    ck_assert_ptr_null(pms_connector_for_vendor(c, "mews"));
    /* an OPERA hotel without an integration user: refused before any request */
    unsetenv("PMS_OPERA_USERNAME");
    setenv("PMS_OPERA_CHANNEL_CODE", "LODGING", 1);
    pms_hotel_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_get_hotel(c, "routed_hotel", &h, &e), PMS_ERR_AUTH);
    ck_assert_ptr_nonnull(strstr(e.message, "integration user"));
    /* and webhooks are not a thing for it */
    pms_subscriptions_t subs;
    ck_assert_int_eq(pms_subscribe_webhooks(c, "routed_hotel", "http://127.0.0.1:9/x", &subs, &e),
                     PMS_ERR_REJECTED);
    pms_connector_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_opera");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_token);
    tcase_add_test(tc, test_property);
    tcase_add_test(tc, test_room_types_with_max_occupancy);
    tcase_add_test(tc, test_offers_available_gives_every_night_a_rate);
    tcase_add_test(tc, test_offers_by_plan_give_rates_restrictions_and_policies);
    tcase_add_test(tc, test_cancellation_policies_the_platform_cannot_say_are_not_taken);
    tcase_add_test(tc, test_offers_taxed_itemise_the_tax_in_each_night);
    tcase_add_test(tc, test_offers_without_a_count);
    tcase_add_test(tc, test_booking_statuses);
    tcase_add_test(tc, test_on_hold_and_cancel_answers);
    tcase_add_test(tc, test_both_error_spellings);
    tcase_add_test(tc, test_errors_are_typed);
    tcase_add_test(tc, test_business_events_give_reservation_changes);
    tcase_add_test(tc, test_a_change_feed_is_off_unless_configured);
    tcase_add_test(tc, test_traits_and_vendor_from_env);
    tcase_add_test(tc, test_hotels_are_routed_to_their_vendor);
    suite_add_tcase(s, tc);
    return check_run(s);
}
