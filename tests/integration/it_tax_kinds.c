/* Every kind of tax and fee Cloudbeds' getTaxesAndFees defines, end to end
 * on the real stack through the Cloudbeds connector and the pms-sandbox
 * (which serves each kind set per hotel and carries it in the hold's
 * grandTotal): a fee per guest per night (adults and children apart, on the
 * stay's first nights only), one per room per stay ("per accomodation"), one
 * per reservation, and a tax whose percentage depends on the night's rate.
 * For each, GET /api/rates asked with the party states the stay's total
 * itemised, the checkout takes exactly that total, and one won more or less
 * is refused with AMOUNT_MISMATCH naming it — before any hold. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"

#define TX_HOTEL "hotel_gangnam"
#define TX_ROOM "gangnam_deluxe" /* two adults included, no children */
#define TX_KEY "PMS_hotel_gangnam_API_KEY=cbk_sandbox_hotel_gangnam"

static bk_fixture_t f;
static bk_inventory_t inventory;

static void setup(void)
{
    bk_setup(&f);
    memset(&inventory, 0, sizeof inventory);
}

static void teardown(void)
{
    bk_inventory_stop(&inventory);
    bk_teardown(&f);
}

/* The hotel's taxes and fees become `entries` (getTaxesAndFees' data list)
 * at the pms-sandbox; then inventory-svc and booking-svc start (their
 * connectors read the taxes afresh). */
static void start_with_taxes(const char *entries)
{
    char body[2048];
    snprintf(body, sizeof body, "{\"propertyID\":\"" TX_HOTEL "\",\"taxesAndFees\":%s}", entries);
    ck_assert_int_eq(ts_sandbox_post(&f.pms, "/_sandbox/frontdesk/taxes", body), 200);
    bk_inventory_start(&f, &inventory, (const char *[]){TX_KEY, NULL});
    const char *extra[] = {inventory.base_url_env, TX_KEY, NULL};
    bk_service_start(&f, extra);
}

/* The pms-sandbox's rate of the room for each night. */
static void sandbox_rates(dates_day_t in, int nights, int64_t *out)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_format_iso(in, from);
    dates_format_iso(in + nights - 1, to);
    const char *q[] = {"propertyID", TX_HOTEL, "roomTypeID", TX_ROOM, "from", from, "to", to, NULL};
    struct json_object *o = ts_sandbox_get_json(&f.pms, "/_sandbox/inventory", q), *arr = o, *x;
    if (json_object_object_get_ex(o, "inventory", &x))
        arr = x;
    ck_assert_int_eq(json_object_array_length(arr), nights);
    for (int i = 0; i < nights; i++)
        out[i] = bk_int_of(json_object_array_get_idx(arr, (size_t)i), "rate");
    json_object_put(o);
}

/* GET /api/rates for the stay [in, in + nights) and the party (status
 * asserted; the answer, caller puts). query_extra replaces the party. */
static struct json_object *rates_get(dates_day_t in, int nights, const char *party, int want)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], path[512], base[64];
    dates_format_iso(in, a);
    dates_format_iso(in + nights - 1, b);
    snprintf(path, sizeof path,
             "/api/rates?vendor=cloudbeds&hotelId=" TX_HOTEL "&roomTypeId=" TX_ROOM
             "&from=%s&to=%s&%s",
             a, b, party);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", inventory.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 20000};
    http_client_t *http = http_client_new(&cc);
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(http, path, NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_msg(r.status == want, "GET %s: %d %s (log: %s)", path, r.status, r.body,
                  inventory.log);
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    http_client_response_clear(&r);
    http_client_free(http);
    ck_assert(o != NULL);
    return o;
}

/* The stay's totalAmount on GET /api/rates for the party, asserting that a
 * charge named `charge` is itemised in stayCharges with `charge_amount`
 * (NULL: none expected). */
static int64_t rates_total(dates_day_t in, int nights, int adults, int children, int rooms,
                           const char *charge, int64_t charge_amount)
{
    char party[96];
    snprintf(party, sizeof party, "adults=%d&children=%d&rooms=%d", adults, children, rooms);
    struct json_object *o = rates_get(in, nights, party, 200);
    ck_assert_int_eq(bk_int_of(o, "adults"), adults);
    ck_assert_int_eq(bk_int_of(o, "rooms"), rooms);
    struct json_object *charges = bk_member(o, "stayCharges");
    bool seen = false;
    for (size_t i = 0; i < json_object_array_length(charges); i++) {
        struct json_object *c = json_object_array_get_idx(charges, i);
        if (charge && strcmp(bk_str(c, "name"), charge) == 0) {
            ck_assert_int_eq(bk_int_of(c, "amount"), charge_amount);
            seen = true;
        }
    }
    ck_assert_msg(!charge || seen, "no %s in %s", charge, json_object_to_json_string(o));
    int64_t total = bk_int_of(o, "totalAmount");
    json_object_put(o);
    return total;
}

/* A checkout body (malloc'd) of the party in `rooms` rooms paying amount. */
static char *body_for(dates_day_t in, int nights, int adults, int children, int rooms,
                      int64_t amount)
{
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" TX_HOTEL
                       "\",\"roomTypeId\":\"" TX_ROOM "\",\"checkIn\":\"%s\",\"checkOut\":\"%s\","
                       "\"guestInfo\":{\"firstName\":\"홍\",\"lastName\":\"길동\","
                       "\"email\":\"hong@example.com\",\"phone\":\"+82-10-1234-5678\"},"
                       "\"adults\":%d,\"children\":%d,\"rooms\":%d,\"payment\":{"
                       "\"cardToken\":\"tok_visa\",\"amount\":%lld,\"currency\":\"KRW\"}}",
                       ci, co, adults, children, rooms, (long long)amount) > 0);
    return body;
}

/* One won less and one won more are refused naming the total, with no hold
 * made; exactly the total books (the hold's grandTotal agrees). */
static void books_exactly(dates_day_t in, int nights, int adults, int children, int rooms,
                          int64_t total)
{
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)total);
    for (int delta = -1; delta <= 1; delta += 2) {
        char *body = body_for(in, nights, adults, children, rooms, total + delta);
        int status;
        struct json_object *r = bk_checkout(&f, body, NULL, &status);
        ck_assert_msg(status == 409, "%lld: %d %s (log: %s)", (long long)(total + delta), status,
                      json_object_to_json_string(r), f.log_path);
        ck_assert_str_eq(bk_str(r, "errorCode"), "AMOUNT_MISMATCH");
        ck_assert_msg(strstr(bk_str(r, "error"), want) != NULL, "'%s' does not name %s",
                      bk_str(r, "error"), want);
        json_object_put(r);
        free(body);
    }
    ck_assert_int_eq(bk_summary(&f.pms, "openHolds"), 0);
    char *body = body_for(in, nights, adults, children, rooms, total);
    int status;
    struct json_object *r = bk_checkout(&f, body, NULL, &status);
    ck_assert_msg(status == 200, "%lld: %d %s (log: %s)", (long long)total, status,
                  json_object_to_json_string(r), f.log_path);
    ck_assert_ptr_nonnull(bk_str(r, "bookingId"));
    json_object_put(r);
    ck_assert_int_eq(bk_summary(&f.pms, "openHolds"), 0);
    free(body);
}

static int64_t sum(const int64_t *v, int n)
{
    int64_t s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

START_TEST(test_a_fee_per_person_is_charged_for_each_guest_on_its_nights)
{
    start_with_taxes("[{\"type\":\"fee\",\"feeID\":\"fee_city\",\"name\":\"City fee\","
                     "\"amount\":\"0\",\"amountType\":\"fixed_per_person\","
                     "\"availableFor\":[\"rate\"],\"inclusiveOrExclusive\":\"exclusive\","
                     "\"isDeleted\":false,\"dateRanges\":[{\"range\":\"2025-01-01/\","
                     "\"amountAdult\":\"2000\",\"amountChild\":\"1000\",\"maxLength\":\"2\"}]}]");
    dates_day_t in = dates_today_utc() + 30;
    int64_t rate[3];
    sandbox_rates(in, 3, rate);
    /* two adults (what the rate includes), three nights: two nights charged */
    int64_t want = sum(rate, 3) + 2 * 2000 * 2;
    ck_assert_int_eq(rates_total(in, 3, 2, 0, 1, "City fee", 2 * 2000 * 2), want);
    books_exactly(in, 3, 2, 0, 1, want);
    /* an adult and a child (beyond the rate's guests: the PMS prices the
     * party): the child's own amount */
    want = sum(rate, 3) + (2000 + 1000) * 2;
    ck_assert_int_eq(rates_total(in, 3, 1, 1, 1, "City fee", (2000 + 1000) * 2), want);
    books_exactly(in, 3, 1, 1, 1, want);
}
END_TEST

START_TEST(test_a_fee_per_accommodation_is_charged_once_per_room)
{
    start_with_taxes("[{\"type\":\"fee\",\"feeID\":\"fee_resort\",\"name\":\"Resort fee\","
                     "\"amount\":\"15000\",\"amountType\":\"fixed_per_accomodation\","
                     "\"availableFor\":[\"rate\"],\"inclusiveOrExclusive\":\"exclusive\","
                     "\"isDeleted\":false,\"roomTypes\":null}]");
    dates_day_t in = dates_today_utc() + 35;
    int64_t rate[2];
    sandbox_rates(in, 2, rate);
    int64_t want = 2 * sum(rate, 2) + 2 * 15000;
    ck_assert_int_eq(rates_total(in, 2, 2, 0, 2, "Resort fee", 2 * 15000), want);
    books_exactly(in, 2, 2, 0, 2, want);
}
END_TEST

START_TEST(test_a_fee_per_reservation_is_charged_once_whatever_the_rooms)
{
    start_with_taxes("[{\"type\":\"fee\",\"feeID\":\"fee_booking\",\"name\":\"Booking fee\","
                     "\"amount\":\"3000\",\"amountType\":\"fixed_per_reservation\","
                     "\"availableFor\":[\"rate\"],\"inclusiveOrExclusive\":\"exclusive\","
                     "\"isDeleted\":false,\"roomTypes\":null}]");
    dates_day_t in = dates_today_utc() + 40;
    int64_t rate[2];
    sandbox_rates(in, 2, rate);
    int64_t want = 2 * sum(rate, 2) + 3000;
    ck_assert_int_eq(rates_total(in, 2, 3, 0, 2, "Booking fee", 3000), want);
    books_exactly(in, 2, 3, 0, 2, want);
}
END_TEST

START_TEST(test_a_rate_based_tax_takes_the_percentage_of_the_nights_rate_tier)
{
    start_with_taxes("[{\"type\":\"tax\",\"taxID\":\"tax_lodging\",\"name\":\"Lodging tax\","
                     "\"amount\":\"0\",\"amountType\":\"percentage_rate_based\","
                     "\"amountRateBased\":[{\"rate\":\"200000\",\"percentage\":\"10\"},"
                     "{\"rate\":\"120000\",\"percentage\":\"5\"}],"
                     "\"availableFor\":[\"rate\"],\"inclusiveOrExclusive\":\"exclusive\","
                     "\"isDeleted\":false,\"roomTypes\":null}]");
    /* a week: weekday and weekend rates, on both sides of 120000 */
    dates_day_t in = dates_today_utc() + 45;
    int64_t rate[7], want = 0, tax = 0;
    sandbox_rates(in, 7, rate);
    for (int i = 0; i < 7; i++) {
        int64_t t = llround((double)rate[i] * (rate[i] <= 120000 ? 5 : 10) / 100.0);
        want += rate[i] + t;
        tax += t;
    }
    char party[] = "adults=2";
    struct json_object *o = rates_get(in, 7, party, 200);
    ck_assert_int_eq(bk_int_of(o, "totalAmount"), want);
    ck_assert_int_eq(bk_int_of(o, "taxAmount"), tax);
    struct json_object *n0 = json_object_array_get_idx(bk_member(o, "nights"), 0);
    struct json_object *t0 = json_object_array_get_idx(bk_member(n0, "taxes"), 0);
    ck_assert_str_eq(bk_str(t0, "basis"), "night");
    json_object_put(o);
    books_exactly(in, 7, 2, 0, 1, want);
}
END_TEST

START_TEST(test_a_bad_party_on_the_rates_read_is_refused_naming_the_field)
{
    start_with_taxes("[]");
    dates_day_t in = dates_today_utc() + 50;
    static const struct {
        const char *query, *field;
    } bad[] = {{"adults=0", "adults"}, {"adults=21", "adults"},     {"adults=two", "adults"},
               {"adults=", "adults"},  {"children=-1", "children"}, {"children=21", "children"},
               {"rooms=0", "rooms"},   {"rooms=11", "rooms"},       {"adults=2.5", "adults"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct json_object *o = rates_get(in, 1, bad[i].query, 400);
        ck_assert_str_eq(bk_str(o, "field"), bad[i].field);
        json_object_put(o);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_tax_kinds");
    TCase *tc = tcase_create("cloudbeds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_a_fee_per_person_is_charged_for_each_guest_on_its_nights);
    tcase_add_test(tc, test_a_fee_per_accommodation_is_charged_once_per_room);
    tcase_add_test(tc, test_a_fee_per_reservation_is_charged_once_whatever_the_rooms);
    tcase_add_test(tc, test_a_rate_based_tax_takes_the_percentage_of_the_nights_rate_tier);
    tcase_add_test(tc, test_a_bad_party_on_the_rates_read_is_refused_naming_the_field);
    suite_add_tcase(s, tc);
    return check_run(s);
}
