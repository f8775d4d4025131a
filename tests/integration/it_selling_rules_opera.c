/* Selling rooms by an OPERA Cloud hotel's own rules, end to end on the real
 * stack through the OPERA connector and the opera-sandbox (OHIP wire
 * format): a rate plan is chosen and sold at its own price; each restriction
 * the front desk sets on a plan (stop-sell, closed to arrival / departure,
 * min / max stay), which OPERA names when asked for the stay, is refused
 * with its code and accepted exactly on its edge; a party pays the price
 * OPERA offers for its occupancy; the plan's cancellation
 * policy as OPERA states it applies when none is configured on the platform
 * (a non-refundable plan refunds nothing, a free-until plan everything
 * before its deadline), and a configured one wins over it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"

#define OP_HOTEL "opera_jeju"
#define OP_ROOM "DLXK"

static bk_fixture_t f;
static ts_sandbox_t op;
static char op_url_var[96];

static void setup(void)
{
    bk_setup(&f);
    ts_sandbox_start(&op, "opera-sandbox", "OPERA_SANDBOX_PORT", NULL);
    snprintf(op_url_var, sizeof op_url_var, "PMS_OPERA_BASE_URL=%s", op.base_url);
}

static void teardown(void)
{
    bk_teardown(&f);
    ts_sandbox_stop(&op);
}

static void start_service(void)
{
    const char *env[] = {op_url_var,
                         "PMS_opera_jeju_VENDOR=opera",
                         "PMS_OPERA_USERNAME=lodging_integration",
                         "PMS_OPERA_PASSWORD=opera_sandbox_password",
                         "PMS_OPERA_CHANNEL_CODE=LODGING",
                         "PMS_RATE_LIMIT_PER_SECOND=1000",
                         "BOOKING_FREE_CANCEL_HOURS=0",
                         NULL};
    bk_service_start(&f, env);
}

/* The price of a stay under a plan that is `percent` of the room type's
 * nightly rate (the sandbox's plans: BAR 100, NRF 90, BB 115), night by
 * night as the sandbox rounds it. */
static int64_t op_amount(int offset, int nights, int percent)
{
    char from[DATES_ISO_LEN + 1], days[8];
    dates_format_iso(dates_today_utc() + offset, from);
    snprintf(days, sizeof days, "%d", nights);
    const char *q[] = {"hotelCode", OP_HOTEL, "roomType", OP_ROOM, "from",
                       from,        "days",   days,       NULL};
    struct json_object *o = ts_sandbox_get_json(&op, "/_sandbox/inventory", q);
    int64_t total = 0;
    ck_assert_int_eq((int)json_object_array_length(o), nights);
    for (size_t i = 0; i < json_object_array_length(o); i++) {
        struct json_object *rate;
        ck_assert(json_object_object_get_ex(json_object_array_get_idx(o, i), "rate", &rate));
        total += json_object_get_int64(rate) * percent / 100;
    }
    json_object_put(o);
    return total;
}

/* A checkout body (malloc'd) for the OPERA hotel under plan (NULL = none)
 * for `adults` adults. */
static char *op_party_body(int offset, int nights, const char *plan, int adults, int64_t amount)
{
    dates_day_t in = dates_today_utc() + offset;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1], rp[64] = "";
    dates_format_iso(in, ci);
    dates_format_iso(in + nights, co);
    if (plan)
        snprintf(rp, sizeof rp, ",\"ratePlanId\":\"%s\"", plan);
    char *body = NULL;
    ck_assert(
        asprintf(&body,
                 "{\"vendor\":\"opera\",\"hotelId\":\"" OP_HOTEL "\",\"roomTypeId\":\"" OP_ROOM
                 "\",\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{"
                 "\"firstName\":\"Minji\",\"lastName\":\"Kim\",\"email\":\"minji@example.com\","
                 "\"phone\":\"+82-10-2222-3333\"},\"adults\":%d,\"children\":0,\"payment\":{"
                 "\"cardToken\":\"tok_visa\",\"amount\":%lld,\"currency\":\"KRW\"}%s}",
                 ci, co, adults, (long long)amount, rp) > 0);
    return body;
}

static char *op_body(int offset, int nights, const char *plan, int64_t amount)
{
    return op_party_body(offset, nights, plan, 2, amount);
}

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

/* Live OPERA reservations (OnHold or Reserved) of the hotel. */
static int op_live(void)
{
    const char *q[] = {"hotelCode", OP_HOTEL, NULL};
    struct json_object *o = ts_sandbox_get_json(&op, "/_sandbox/ledger", q), *list;
    ck_assert(json_object_object_get_ex(o, "reservations", &list));
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *st;
        ck_assert(json_object_object_get_ex(json_object_array_get_idx(list, i), "reservationStatus",
                                            &st));
        const char *s = json_object_get_string(st);
        n += strcmp(s, "OnHold") == 0 || strcmp(s, "Reserved") == 0;
    }
    json_object_put(o);
    return n;
}

/* The front desk sets plan `plan`'s restrictions (`rules` is JSON members,
 * e.g. "\"minLos\":2") on days [from, to] (offsets from today). */
static void set_rules(const char *plan, int from, int to, const char *rules)
{
    char f1[DATES_ISO_LEN + 1], t1[DATES_ISO_LEN + 1], json[512];
    dates_format_iso(dates_today_utc() + from, f1);
    dates_format_iso(dates_today_utc() + to, t1);
    snprintf(json, sizeof json,
             "{\"hotelCode\":\"" OP_HOTEL "\",\"roomType\":\"" OP_ROOM "\",\"ratePlanCode\":\"%s\","
             "\"from\":\"%s\",\"to\":\"%s\",%s}",
             plan, f1, t1, rules);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/restrictions", json), 200);
}

START_TEST(test_a_chosen_opera_plan_is_sold_at_its_own_price)
{
    start_service();
    /* the non-refundable plan: 90 % of the standard rate, held under its code */
    char *body = op_body(52, 2, "NRF", op_amount(52, 2, 90));
    struct json_object *r = checkout_expect(body, 200, NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    free(body);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND "
                               "rate_plan_id = 'NRF'",
                               id),
                     1);
    /* the standard rate's price for the non-refundable plan is refused before any hold */
    body = op_body(55, 2, "NRF", op_amount(55, 2, 100));
    r = checkout_expect(body, 409, "AMOUNT_MISMATCH");
    json_object_put(r);
    free(body);
    /* a plan OPERA does not sell for the room type */
    body = op_body(55, 2, "XX", op_amount(55, 2, 100));
    r = checkout_expect(body, 400, "RATE_PLAN_NOT_FOUND");
    ck_assert_str_eq(bk_str(r, "field"), "ratePlanId");
    json_object_put(r);
    free(body);
    /* today's clients: no ratePlanId is the standard rate */
    body = op_body(58, 1, NULL, op_amount(58, 1, 100));
    r = checkout_expect(body, 200, NULL);
    json_object_put(r);
    free(body);
    ck_assert_int_eq(op_live(), 2);
}
END_TEST

/* DLXK's rate includes 2 adults; OPERA prices a third one at this a night
 * (the sandbox's extraAdultRate, OPERA's additionalGuestAmounts) */
#define OP_EXTRA_ADULT_NIGHT 40000

START_TEST(test_an_opera_party_pays_the_price_opera_states_for_its_occupancy)
{
    start_service();
    int64_t two = op_amount(48, 2, 100), three = two + 2 * OP_EXTRA_ADULT_NIGHT;
    /* three adults at the two-adult price: refused before any hold */
    char *body = op_party_body(48, 2, NULL, 3, two);
    struct json_object *r = checkout_expect(body, 409, "AMOUNT_MISMATCH");
    json_object_put(r);
    free(body);
    ck_assert_int_eq(op_live(), 0);
    /* the price OPERA offers for three adults: booked at it */
    body = op_party_body(48, 2, NULL, 3, three);
    r = checkout_expect(body, 200, NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    free(body);
    ck_assert_int_eq(
        bk_db_int(&f, "SELECT ROUND(total_price) FROM booking WHERE booking_id = ?", id), three);
    ck_assert_int_eq(op_live(), 1);
}
END_TEST

/* A checkout of `nights` nights from offset under the standard rate
 * expecting status and code (NULL for success). */
static void expect_rule(int offset, int nights, int status, const char *code)
{
    char *body = op_body(offset, nights, "BAR", op_amount(offset, nights, 100));
    struct json_object *r = checkout_expect(body, status, code);
    json_object_put(r);
    free(body);
}

START_TEST(test_each_opera_restriction_is_refused_with_its_code_and_accepted_on_its_edge)
{
    start_service();
    /* minimum stay 2 for arrival on day 60: 1 night refused, exactly 2 booked */
    set_rules("BAR", 60, 60, "\"minLos\":2");
    expect_rule(60, 1, 409, "MIN_STAY_NOT_MET");
    expect_rule(60, 2, 200, NULL);
    /* maximum stay 2 for arrival on day 65: 3 refused, exactly 2 booked */
    set_rules("BAR", 65, 65, "\"maxLos\":2");
    expect_rule(65, 3, 409, "MAX_STAY_EXCEEDED");
    expect_rule(65, 2, 200, NULL);
    /* closed to arrival on day 70: arriving then refused, staying through it booked */
    set_rules("BAR", 70, 70, "\"closedToArrival\":true");
    expect_rule(70, 1, 409, "CLOSED_TO_ARRIVAL");
    expect_rule(69, 2, 200, NULL);
    /* closed to departure on day 76: leaving then refused, on the next day booked */
    set_rules("BAR", 76, 76, "\"closedToDeparture\":true");
    expect_rule(75, 1, 409, "CLOSED_TO_DEPARTURE");
    expect_rule(75, 2, 200, NULL);
    /* stop-sell on day 82: a stay over it refused, leaving on it booked */
    set_rules("BAR", 82, 82, "\"closed\":true");
    expect_rule(81, 2, 409, "RATE_PLAN_CLOSED");
    expect_rule(80, 2, 200, NULL);
    /* another plan is not bound by the standard rate's rules */
    char *body = op_body(60, 1, "NRF", op_amount(60, 1, 90));
    struct json_object *r = checkout_expect(body, 200, NULL);
    json_object_put(r);
    free(body);
    ck_assert_int_eq(op_live(), 6);
}
END_TEST

/* ------------------------------------------------------- cancellation -- */

/* Books body, asserting the answer shows a policy of `type`; its id into id. */
static void book(const char *body, const char *type, char *id, size_t size)
{
    struct json_object *r = checkout_expect(body, 200, NULL), *policy, *d;
    snprintf(id, size, "%s", bk_str(r, "bookingId"));
    ck_assert_msg(json_object_object_get_ex(r, "cancellationPolicy", &policy), "%s",
                  json_object_to_json_string(r));
    ck_assert_str_eq(bk_str(policy, "type"), type);
    ck_assert(json_object_object_get_ex(policy, "description", &d));
    ck_assert(bk_str(d, "ko") && bk_str(d, "en"));
    json_object_put(r);
}

/* Cancels id, asserting the fee and the refund. */
static void cancel_expect(const char *id, int64_t fee, int64_t refund)
{
    char path[128];
    snprintf(path, sizeof path, "/api/bookings/%s/cancel", id);
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(f.http, "POST", path, NULL, NULL, NULL, 0, &r),
                     HTTP_CLIENT_OK);
    json_error_t je;
    struct json_object *c = json_parse_object(r.body, r.body_len, &je);
    ck_assert_msg(r.status == 200 && c, "cancel: %d %s", r.status, r.body);
    http_client_response_clear(&r);
    ck_assert_str_eq(bk_str(c, "status"), "cancelled");
    ck_assert_int_eq(bk_int_of(c, "cancellationFee"), fee);
    ck_assert_int_eq(bk_int_of(c, "refundedAmount"), refund);
    json_object_put(c);
}

START_TEST(test_the_opera_plans_own_cancellation_policy_applies_unless_one_is_configured)
{
    start_service();
    /* NRF: OPERA charges the whole stay from booking: nothing back */
    int64_t amount = op_amount(90, 2, 90);
    char *body = op_body(90, 2, "NRF", amount);
    char id[64];
    book(body, "non_refundable", id, sizeof id);
    free(body);
    cancel_expect(id, amount, 0);
    ck_assert_int_eq(bk_summary(&f.pay, "refunds"), 0);
    /* BAR: free until 3 days before arrival: everything back long before */
    amount = op_amount(95, 2, 100);
    body = op_body(95, 2, "BAR", amount);
    book(body, "free_until", id, sizeof id);
    free(body);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT JSON_VALUE(cancel_policy, '$.hoursBefore') FROM "
                               "booking WHERE booking_id = ?",
                               id),
                     72);
    cancel_expect(id, 0, amount);
    /* ... and within the deadline (arrival in 2 days) the first night is kept */
    amount = op_amount(2, 2, 100);
    int64_t first_night = op_amount(2, 1, 100);
    body = op_body(2, 2, "BAR", amount);
    book(body, "free_until", id, sizeof id);
    free(body);
    cancel_expect(id, first_night, amount - first_night);
    /* a policy configured on the platform for the plan wins over OPERA's */
    ck_assert_int_eq(db_exec(f.db,
                             "INSERT INTO cancellation_policy (vendor, hotel_id, rate_plan_id, "
                             "policy) VALUES ('opera', '" OP_HOTEL "', 'NRF', "
                             "'{\"type\":\"free_until\",\"hoursBefore\":24,\"fee\":\"full\","
                             "\"timeZone\":\"Asia/Seoul\"}')",
                             NULL, 0, NULL, NULL),
                     DB_OK);
    amount = op_amount(100, 1, 90);
    body = op_body(100, 1, "NRF", amount);
    book(body, "free_until", id, sizeof id);
    free(body);
    cancel_expect(id, 0, amount);
    ck_assert_int_eq(op_live(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_selling_rules_opera");
    TCase *tc = tcase_create("opera");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_a_chosen_opera_plan_is_sold_at_its_own_price);
    tcase_add_test(tc, test_an_opera_party_pays_the_price_opera_states_for_its_occupancy);
    tcase_add_test(tc,
                   test_each_opera_restriction_is_refused_with_its_code_and_accepted_on_its_edge);
    tcase_add_test(tc,
                   test_the_opera_plans_own_cancellation_policy_applies_unless_one_is_configured);
    suite_add_tcase(s, tc);
    return check_run(s);
}
