/* Selling rooms by the hotel's own rules, end to end on the real stack
 * through the Cloudbeds connector and the sandboxes: the room type's max
 * occupancy refuses a party that does not fit before anything is held or
 * charged (whether inventory-svc's cached room types or the PMS's own list
 * says so), and a party of exactly the limit books; the hotel's rate plans
 * are read with their terms and sold at their own price; each restriction
 * of a plan (stop-sell, closed to arrival / departure, min / max stay) is
 * refused with its code and accepted exactly on its edge; several rooms in
 * one checkout are held, paid and booked together or not at all, also when
 * checkouts contest the last rooms. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/clock.h"
#include "common/redis.h"

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

/* inventory-svc on the fixture's database, Redis, topics and PMS sandbox,
 * then booking-svc pointed at it. */
static void start_with_inventory_svc_env(const char *const *booking_extra);

static void start_with_inventory_svc(void)
{
    start_with_inventory_svc_env(NULL);
}

static void start_with_inventory_svc_env(const char *const *booking_extra)
{
    bk_inventory_start(&f, &inventory,
                       (const char *[]){"PMS_hotel_123_API_KEY=cbk_sandbox_hotel_123", NULL});
    const char *extra[4] = {inventory.base_url_env, NULL};
    for (int i = 0; booking_extra && booking_extra[i] && i < 2; i++)
        extra[i + 1] = booking_extra[i];
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

/* room_456's rate includes 2 adults; each one more costs this a night
 * (the sandbox's extraAdultRate, as Cloudbeds' adultsExtraCharge) */
#define EXTRA_ADULT_NIGHT 30000

START_TEST(test_a_party_beyond_the_rate_pays_the_pms_price_for_its_occupancy)
{
    start_with_inventory_svc();
    int64_t two_adults = bk_stay_amount(&f, BK_ROOM, dates_today_utc() + 44, 2);
    /* three adults at the two-adult price: refused before any hold */
    char *body = body_for(BK_ROOM, 44, 2, 3, 0, two_adults, "");
    struct json_object *r = checkout_expect(body, 409, "AMOUNT_MISMATCH");
    json_object_put(r);
    free(body);
    ck_assert_int_eq(pms_requests("postReservation"), 0);
    /* the three-adult price: held, paid and booked at it */
    int64_t three_adults = two_adults + 2 * EXTRA_ADULT_NIGHT;
    body = body_for(BK_ROOM, 44, 2, 3, 0, three_adults, "");
    r = checkout_expect(body, 200, NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    free(body);
    ck_assert_int_eq(
        bk_db_int(&f, "SELECT ROUND(total_price) FROM booking WHERE booking_id = ?", id),
        three_adults);
    /* two adults (what the rate includes) pay the listed rates, as before */
    body = body_for(BK_ROOM, 47, 1, 2, 1, 0, "");
    r = checkout_expect(body, 200, NULL);
    json_object_put(r);
    free(body);
    ck_assert_int_eq(pms_requests("postReservation"), 2);
    bk_assert_ledgers_clean(&f, 2);
}
END_TEST

/* ---------------------------------------------------------- rate plans -- */

/* The price of a stay under a sandbox plan that is `percent` of the base
 * rate, night by night as the sandbox rounds it. */
static int64_t plan_amount(const char *room, int offset, int nights, int percent)
{
    dates_day_t in = dates_today_utc() + offset;
    int64_t total = 0;
    for (int i = 0; i < nights; i++)
        total += bk_stay_amount(&f, room, in + i, 1) * percent / 100;
    return total;
}

/* GET /api/rates of inventory-svc for nights [offset, offset + nights). */
static struct json_object *rates_read(const char *room, int offset, int nights)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], base[64];
    dates_day_t in = dates_today_utc() + offset;
    dates_format_iso(in, from);
    dates_format_iso(in + nights - 1, to);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", inventory.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *c = http_client_new(&cc);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", BK_HOTEL, "roomTypeId", room,
                       "from",   from,        "to",      to,       NULL};
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(c, "/api/rates", q, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "rates: %d %s", r.status, r.body);
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    ck_assert(o != NULL);
    http_client_response_clear(&r);
    http_client_free(c);
    return o;
}

/* The front desk sets plan `plan`'s restrictions (`rules` is JSON members,
 * e.g. "\"minLos\":3") on days [from, to] (offsets from today). */
static void set_rules(const char *room, const char *plan, int from, int to, const char *rules)
{
    char f1[DATES_ISO_LEN + 1], t1[DATES_ISO_LEN + 1], json[512];
    dates_format_iso(dates_today_utc() + from, f1);
    dates_format_iso(dates_today_utc() + to, t1);
    snprintf(json, sizeof json,
             "{\"propertyID\":\"" BK_HOTEL "\",\"roomTypeID\":\"%s\",\"ratePlanID\":\"%s\","
             "\"from\":\"%s\",\"to\":\"%s\",%s}",
             room, plan, f1, t1, rules);
    ck_assert_int_eq(ts_sandbox_post(&f.pms, "/_sandbox/frontdesk/restrictions", json), 200);
}

static void set_policy(const char *plan, const char *policy_json);

START_TEST(test_rates_list_every_plan_with_its_price_and_terms)
{
    start_with_inventory_svc();
    set_rules(BK_ROOM, "nr", 50, 50, "\"minLos\":2,\"closedToArrival\":true");
    set_policy(BK_ROOM "-nr", "{\"type\":\"non_refundable\"}");
    set_policy("*", "{\"type\":\"free_until\",\"hoursBefore\":72,\"fee\":\"first_night\"}");
    struct json_object *o = rates_read(BK_ROOM, 50, 2), *nights, *plans;
    ck_assert(json_object_object_get_ex(o, "nights", &nights));
    struct json_object *n0 = json_object_array_get_idx(nights, 0);
    ck_assert(json_object_object_get_ex(n0, "ratePlans", &plans));
    ck_assert_int_eq(json_object_array_length(plans), 3);
    struct json_object *base = json_object_array_get_idx(plans, 0);
    struct json_object *nr = json_object_array_get_idx(plans, 1), *rules;
    ck_assert_str_eq(bk_str(base, "ratePlanId"), BK_ROOM "-base");
    ck_assert(json_object_get_boolean(json_object_object_get(base, "base")));
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(base, "amount")),
                     json_object_get_int64(json_object_object_get(n0, "amount")));
    ck_assert_str_eq(bk_str(nr, "ratePlanId"), BK_ROOM "-nr");
    ck_assert_str_eq(bk_str(nr, "name"), "Non-refundable");
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(nr, "amount")),
                     plan_amount(BK_ROOM, 50, 1, 90));
    ck_assert(json_object_object_get_ex(nr, "rules", &rules));
    ck_assert_int_eq(json_object_get_int(json_object_object_get(rules, "minLos")), 2);
    ck_assert(json_object_get_boolean(json_object_object_get(rules, "closedToArrival")));
    /* the second night has no rule; the base plan none either */
    ck_assert(json_object_object_get_ex(base, "rules", &rules));
    ck_assert_int_eq(json_object_get_int(json_object_object_get(rules, "minLos")), 0);
    /* each plan's cancellation policy, in words */
    struct json_object *policy, *words;
    ck_assert(json_object_object_get_ex(nr, "cancellationPolicy", &policy));
    ck_assert_str_eq(bk_str(policy, "type"), "non_refundable");
    ck_assert(json_object_object_get_ex(base, "cancellationPolicy", &policy));
    ck_assert_str_eq(bk_str(policy, "type"), "free_until");
    ck_assert(json_object_object_get_ex(policy, "description", &words));
    ck_assert_msg(strstr(bk_str(words, "ko"), "무료 취소"), "%s", bk_str(words, "ko"));
    ck_assert_msg(strstr(bk_str(words, "en"), "Free cancellation before"), "%s",
                  bk_str(words, "en"));
    json_object_put(o);
    /* the one rate key of the night holds every plan */
    char key[128], day[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + 50, day);
    snprintf(key, sizeof key, "rate:{" BK_HOTEL "}:" BK_ROOM ":%s", day);
    char err[128];
    redis_client_t *r = redis_client_new(f.redis_url, 1000, 1000, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    char *value = NULL;
    ck_assert_int_eq(redis_get(r, key, &value), REDIS_CLIENT_OK);
    ck_assert_msg(value && strstr(value, BK_ROOM "-bb"), "%s", value ? value : "(none)");
    long long ttl = -1;
    ck_assert_int_eq(redis_ttl(r, key, &ttl), REDIS_CLIENT_OK);
    ck_assert(ttl > 0 && ttl <= 300);
    free(value);
    redis_client_free(r);
}
END_TEST

START_TEST(test_a_chosen_plan_is_sold_at_its_own_price)
{
    start_with_inventory_svc();
    /* the non-refundable plan: 90 % of the base rate, held and recorded as such */
    char *body = body_for(BK_ROOM, 52, 2, 2, 0, plan_amount(BK_ROOM, 52, 2, 90),
                          ",\"ratePlanId\":\"" BK_ROOM "-nr\"");
    struct json_object *r = checkout_expect(body, 200, NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    free(body);
    ck_assert_int_eq(bk_db_int(&f, "SELECT COUNT(*) FROM booking WHERE booking_id = ? AND "
                                   "rate_plan_id = '" BK_ROOM "-nr'",
                               id),
                     1);
    /* the base plan's price for the non-refundable plan is refused before any hold */
    body = body_for(BK_ROOM, 55, 2, 2, 0, 0, ",\"ratePlanId\":\"" BK_ROOM "-nr\"");
    r = checkout_expect(body, 409, "AMOUNT_MISMATCH");
    json_object_put(r);
    free(body);
    /* a plan the room type does not have */
    body = body_for(BK_ROOM, 55, 2, 2, 0, 0, ",\"ratePlanId\":\"" BK_ROOM "-xx\"");
    r = checkout_expect(body, 400, "RATE_PLAN_NOT_FOUND");
    ck_assert_str_eq(bk_str(r, "field"), "ratePlanId");
    json_object_put(r);
    free(body);
    /* today's clients: no ratePlanId is the base plan */
    body = body_for(BK_ROOM, 58, 1, 2, 0, 0, "");
    r = checkout_expect(body, 200, NULL);
    json_object_put(r);
    free(body);
    ck_assert_int_eq(pms_requests("postReservation"), 2);
    bk_assert_ledgers_clean(&f, 2);
}
END_TEST

/* A checkout of `nights` nights from offset under the base plan expecting
 * status and code (NULL for success); when code is set the message must name
 * `day_offset`'s date. */
static void expect_rule(int offset, int nights, int status, const char *code, int day_offset)
{
    char *body = body_for(BK_SMALL_ROOM, offset, nights, 2, 0, 0, "");
    struct json_object *r = checkout_expect(body, status, code);
    if (code) {
        char day[DATES_ISO_LEN + 1];
        dates_format_iso(dates_today_utc() + day_offset, day);
        ck_assert_msg(strstr(bk_str(r, "error"), day), "%s does not name %s", bk_str(r, "error"),
                      day);
    }
    json_object_put(r);
    free(body);
}

START_TEST(test_each_restriction_is_refused_with_its_code_and_accepted_on_its_edge)
{
    start_with_inventory_svc();
    /* minimum stay 3 for arrival on day 60: 2 nights refused, exactly 3 booked */
    set_rules(BK_SMALL_ROOM, "base", 60, 60, "\"minLos\":3");
    expect_rule(60, 2, 409, "MIN_STAY_NOT_MET", 60);
    expect_rule(60, 3, 200, NULL, 0);
    /* maximum stay 2 for arrival on day 65: 3 refused, exactly 2 booked */
    set_rules(BK_SMALL_ROOM, "base", 65, 65, "\"maxLos\":2");
    expect_rule(65, 3, 409, "MAX_STAY_EXCEEDED", 65);
    expect_rule(65, 2, 200, NULL, 0);
    /* closed to arrival on day 70: arriving then refused, staying through it booked */
    set_rules(BK_SMALL_ROOM, "base", 70, 70, "\"closedToArrival\":true");
    expect_rule(70, 1, 409, "CLOSED_TO_ARRIVAL", 70);
    expect_rule(69, 2, 200, NULL, 0);
    /* closed to departure on day 76: leaving then refused, on the next day booked */
    set_rules(BK_SMALL_ROOM, "base", 76, 76, "\"closedToDeparture\":true");
    expect_rule(75, 1, 409, "CLOSED_TO_DEPARTURE", 76);
    expect_rule(75, 2, 200, NULL, 0);
    /* stop-sell from day 82: a stay over it refused naming it, leaving on it booked */
    set_rules(BK_SMALL_ROOM, "base", 82, 83, "\"blocked\":true");
    expect_rule(81, 2, 409, "RATE_PLAN_CLOSED", 82);
    expect_rule(80, 2, 200, NULL, 0);
    ck_assert_int_eq(pms_requests("postReservation"), 5);
    bk_assert_ledgers_clean(&f, 5);
}
END_TEST

/* ------------------------------------------------------- several rooms -- */

#define FAMILY_ROOM "room_458" /* 3 rooms, 5 guests each */

/* Rooms the sandbox has left of FAMILY_ROOM on day `offset`. */
static int rooms_left(int offset)
{
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + offset, day);
    const char *q[] = {"propertyID", BK_HOTEL, "roomTypeID", FAMILY_ROOM, "from", day, "to", day,
                       NULL};
    struct json_object *o = ts_sandbox_get_json(&f.pms, "/_sandbox/inventory", q), *arr = o, *x;
    if (json_object_object_get_ex(o, "inventory", &x))
        arr = x;
    int n = json_object_get_int(json_object_object_get(json_object_array_get_idx(arr, 0),
                                                       "available"));
    json_object_put(o);
    return n;
}

/* The pay sandbox's captured total in KRW. */
static int64_t captured_krw(void)
{
    struct json_object *o = ts_sandbox_get_json(&f.pay, "/_sandbox/ledger", NULL), *s, *t, *krw,
                       *v;
    int64_t n = -1;
    if (json_object_object_get_ex(o, "summary", &s) &&
        json_object_object_get_ex(s, "amountsByCurrency", &t) &&
        json_object_object_get_ex(t, "KRW", &krw) && json_object_object_get_ex(krw, "captured", &v))
        n = json_object_get_int64(v);
    json_object_put(o);
    return n;
}

START_TEST(test_two_rooms_are_held_paid_and_booked_together)
{
    start_with_inventory_svc();
    /* 2 × 5 guests fit two family rooms; 11 do not */
    int64_t one_room = bk_stay_amount(&f, FAMILY_ROOM, dates_today_utc() + 90, 2);
    char *body = body_for(FAMILY_ROOM, 90, 2, 11, 0, 2 * one_room, ",\"rooms\":2");
    struct json_object *r = checkout_expect(body, 400, "OCCUPANCY_EXCEEDED");
    ck_assert_msg(strstr(bk_str(r, "error"), "최대 10명"), "%s", bk_str(r, "error"));
    json_object_put(r);
    free(body);
    /* the price of one room for two is refused before any hold */
    body = body_for(FAMILY_ROOM, 90, 2, 4, 2, one_room, ",\"rooms\":2");
    r = checkout_expect(body, 409, "AMOUNT_MISMATCH");
    json_object_put(r);
    free(body);
    ck_assert_int_eq(pms_requests("postReservation"), 0);

    body = body_for(FAMILY_ROOM, 90, 2, 4, 2, 2 * one_room, ",\"rooms\":2");
    r = checkout_expect(body, 200, NULL);
    char id[64];
    snprintf(id, sizeof id, "%s", bk_str(r, "bookingId"));
    json_object_put(r);
    free(body);
    ck_assert_int_eq(rooms_left(90), 1);
    ck_assert_int_eq(rooms_left(91), 1);
    ck_assert_int_eq(bk_db_int(&f, "SELECT rooms FROM booking WHERE booking_id = ?", id), 2);
    ck_assert_int_eq(bk_summary(&f.pay, "paymentIntents"), 1); /* one payment for both */
    ck_assert_int_eq(captured_krw(), 2 * one_room);
    ck_assert_int_eq(pms_requests("postReservation"), 1); /* one hold for both */
    bk_assert_ledgers_clean(&f, 1);
}
END_TEST

START_TEST(test_two_rooms_are_all_or_nothing)
{
    start_with_inventory_svc();
    int64_t one_room = bk_stay_amount(&f, FAMILY_ROOM, dates_today_utc() + 95, 1);
    /* a declined card, and a PMS that fails the confirm: both rooms come back */
    char *body = body_for(FAMILY_ROOM, 95, 1, 4, 0, 2 * one_room, ",\"rooms\":2");
    char *at = strstr(body, "tok_visa"), *declined = NULL;
    ck_assert(at != NULL);
    ck_assert(asprintf(&declined, "%.*stok_chargeDeclined%s", (int)(at - body), body, at + 8) > 0);
    struct json_object *r = checkout_expect(declined, 402, "PAYMENT_PREAUTH_FAILED");
    json_object_put(r);
    free(declined);
    ck_assert(TS_POLL_UNTIL(rooms_left(95) == 3, 10000));
    ts_sandbox_fault(&f.pms, "{\"op\":\"putReservation\",\"status\":500,\"failNext\":4}");
    r = checkout_expect(body, 409, "BOOKING_CONFIRM_FAILED");
    json_object_put(r);
    ts_sandbox_clear_faults(&f.pms);
    ck_assert(TS_POLL_UNTIL(rooms_left(95) == 3, 20000));
    free(body);
    /* one room left on the second night: two rooms for two nights are refused whole */
    char day[DATES_ISO_LEN + 1], json[256];
    dates_format_iso(dates_today_utc() + 98, day);
    snprintf(json, sizeof json,
             "{\"propertyID\":\"" BK_HOTEL "\",\"roomTypeID\":\"" FAMILY_ROOM "\",\"from\":\"%s\","
             "\"to\":\"%s\",\"available\":1}",
             day, day);
    ck_assert_int_eq(ts_sandbox_post(&f.pms, "/_sandbox/frontdesk/availability", json), 200);
    body = body_for(FAMILY_ROOM, 97, 2, 4, 0,
                    2 * bk_stay_amount(&f, FAMILY_ROOM, dates_today_utc() + 97, 2), ",\"rooms\":2");
    r = checkout_expect(body, 409, "INVENTORY_UNAVAILABLE");
    ck_assert_msg(strstr(bk_str(r, "error"), day), "%s", bk_str(r, "error"));
    json_object_put(r);
    free(body);
    ck_assert_int_eq(rooms_left(97), 3);
    bk_assert_ledgers_clean(&f, 0);
}
END_TEST

typedef struct room_racer {
    const char *body;
    int status;
    char code[64];
} room_racer_t;

static void *race_rooms(void *arg)
{
    room_racer_t *r = arg;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 90000};
    http_client_t *c = http_client_new(&cc);
    http_client_response_t resp;
    if (http_client_post_json(c, "/api/booking/checkout", NULL, r->body, &resp) ==
        HTTP_CLIENT_OK) {
        r->status = resp.status;
        json_error_t je;
        struct json_object *o = json_parse_object(resp.body, resp.body_len, &je);
        const char *code = o ? bk_str(o, "errorCode") : NULL;
        snprintf(r->code, sizeof r->code, "%s", code ? code : "");
        json_object_put(o);
    }
    http_client_response_clear(&resp);
    http_client_free(c);
    return NULL;
}

START_TEST(test_the_last_rooms_go_to_one_two_room_checkout)
{
    bk_service_start(&f, NULL);
    enum { RACERS = 6 };
    /* three family rooms: six checkouts of two rooms each, one wins both */
    char *body = body_for(FAMILY_ROOM, 100, 1, 2, 0,
                          2 * bk_stay_amount(&f, FAMILY_ROOM, dates_today_utc() + 100, 1),
                          ",\"rooms\":2");
    room_racer_t racers[RACERS];
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (room_racer_t){.body = body};
        ck_assert_int_eq(pthread_create(&t[i], NULL, race_rooms, &racers[i]), 0);
    }
    int won = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(t[i], NULL);
        if (racers[i].status == 200)
            won++;
        else
            ck_assert_msg(racers[i].status == 409 &&
                              strcmp(racers[i].code, "INVENTORY_UNAVAILABLE") == 0,
                          "racer %d: %d %s (log: %s)", i, racers[i].status, racers[i].code,
                          f.log_path);
    }
    ck_assert_int_eq(won, 1);
    ck_assert_int_eq(rooms_left(100), 1);
    bk_assert_ledgers_clean(&f, 1);
    free(body);
}
END_TEST

/* ------------------------------------------------------- cancellation -- */

static bk_fixture_t *fx(void)
{
    return &f;
}

/* The hotel's cancellation policy for rate plan `plan` ("*" = every plan). */
static void set_policy(const char *plan, const char *policy_json)
{
    db_param_t p[] = {DB_STR(plan), DB_STR(policy_json)};
    ck_assert_int_eq(db_exec(fx()->db,
                             "INSERT INTO cancellation_policy (vendor, hotel_id, rate_plan_id, "
                             "policy) VALUES ('cloudbeds', '" BK_HOTEL "', ?, ?) ON DUPLICATE KEY "
                             "UPDATE policy = VALUES(policy)",
                             p, 2, NULL, NULL),
                     DB_OK);
}

/* POST /api/bookings/:id/cancel with an optional body; the answer (caller puts). */
static struct json_object *cancel_booking(const char *id, const char *body, int *status)
{
    char path[128];
    snprintf(path, sizeof path, "/api/bookings/%s/cancel", id);
    http_client_response_t r;
    const char *ct[] = {"Content-Type: application/json", NULL};
    ck_assert_int_eq(http_client_request(f.http, "POST", path, NULL, body ? ct : NULL, body,
                                         body ? strlen(body) : 0, &r),
                     HTTP_CLIENT_OK);
    *status = r.status;
    json_error_t je;
    struct json_object *o = json_parse_object(r.body, r.body_len, &je);
    ck_assert_msg(o != NULL, "cancel answered %s", r.body);
    http_client_response_clear(&r);
    return o;
}

/* Books `body`, returns its id (into id) and amount; asserts the answer
 * shows a policy of `type`. */
static int64_t book(const char *body, const char *type, char *id, size_t size)
{
    struct json_object *r = checkout_expect(body, 200, NULL), *policy, *d;
    snprintf(id, size, "%s", bk_str(r, "bookingId"));
    ck_assert_msg(json_object_object_get_ex(r, "cancellationPolicy", &policy), "%s",
                  json_object_to_json_string(r));
    ck_assert_str_eq(bk_str(policy, "type"), type);
    ck_assert(json_object_object_get_ex(policy, "description", &d));
    ck_assert(bk_str(d, "ko") && bk_str(d, "en"));
    json_object_put(r);
    return bk_db_int(&f, "SELECT ROUND(total_price) FROM booking WHERE booking_id = ?", id);
}

/* Cancels id, asserting the fee and the refund the answer, the row and the
 * booking.cancelled event carry. */
static void cancel_expect(const char *id, const char *body, int64_t fee, int64_t refund)
{
    int status;
    struct json_object *c = cancel_booking(id, body, &status);
    ck_assert_msg(status == 200, "cancel: %d %s", status, json_object_to_json_string(c));
    ck_assert_str_eq(bk_str(c, "status"), "cancelled");
    ck_assert_int_eq(bk_int_of(c, "cancellationFee"), fee);
    ck_assert_int_eq(bk_int_of(c, "refundedAmount"), refund);
    json_object_put(c);
    ck_assert_int_eq(bk_db_int(&f, "SELECT ROUND(cancel_fee) FROM booking WHERE booking_id = ?", id),
                     fee);
    ck_assert_int_eq(
        bk_db_int(&f, "SELECT ROUND(refunded_amount) FROM booking WHERE booking_id = ?", id),
        refund);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM outbox WHERE aggregate_id = ? AND event_type = "
             "'lodging.booking.cancelled' AND JSON_VALUE(payload, '$.data.refundedAmount') = %lld "
             "AND JSON_VALUE(payload, '$.data.cancellationFee') = %lld",
             (long long)refund, (long long)fee);
    ck_assert_int_eq(bk_db_int(&f, sql, id), 1);
}

START_TEST(test_a_non_refundable_plan_refunds_nothing)
{
    const char *extra[] = {"BOOKING_FREE_CANCEL_HOURS=0", NULL};
    bk_service_start(&f, extra);
    set_policy(BK_ROOM "-nr", "{\"type\":\"non_refundable\"}");
    char *body = body_for(BK_ROOM, 110, 2, 2, 0, plan_amount(BK_ROOM, 110, 2, 90),
                          ",\"ratePlanId\":\"" BK_ROOM "-nr\"");
    char id[64];
    int64_t amount = book(body, "non_refundable", id, sizeof id);
    free(body);
    cancel_expect(id, NULL, amount, 0);
    ck_assert_int_eq(bk_summary(&f.pay, "refunds"), 0);
    ck_assert_int_eq(bk_summary(&f.pms, "canceled"), 1);
}
END_TEST

START_TEST(test_free_until_refunds_in_full_before_and_keeps_the_first_night_after)
{
    const char *extra[] = {"BOOKING_FREE_CANCEL_HOURS=0", NULL};
    start_with_inventory_svc_env(extra);
    /* long before the deadline: everything back */
    set_policy("*", "{\"type\":\"free_until\",\"hoursBefore\":72,\"fee\":\"first_night\","
                    "\"timeZone\":\"Asia/Seoul\"}");
    char *body = body_for(BK_ROOM, 120, 2, 2, 0, 0, "");
    char id[64];
    int64_t amount = book(body, "free_until", id, sizeof id);
    free(body);
    cancel_expect(id, NULL, 0, amount);

    /* the deadline passed an hour ago or less in Seoul, though not yet in
     * UTC (nine hours later): the hotel's time zone decides, the first night
     * is kept and the rest refunded */
    dates_day_t d = dates_today_utc() + 2;
    int64_t midnight_seoul = (int64_t)d * 86400000LL - 9 * 3600000LL;
    /* whole hours before the check-in day's 00:00: the deadline at most an
     * hour ahead; one more and it passed */
    int64_t hours = (midnight_seoul - clock_wall_ms()) / 3600000LL;
    char policy[256];
    snprintf(policy, sizeof policy,
             "{\"type\":\"free_until\",\"hoursBefore\":%lld,\"fee\":\"first_night\","
             "\"timeZone\":\"Asia/Seoul\"}",
             (long long)(hours + 1));
    set_policy("*", policy);
    body = body_for(BK_ROOM, 2, 2, 2, 0, 0, "");
    amount = book(body, "free_until", id, sizeof id);
    free(body);
    int64_t first_night = bk_stay_amount(&f, BK_ROOM, d, 1);
    cancel_expect(id, NULL, first_night, amount - first_night);
    /* an hour less before check-in: the deadline is still ahead: free */
    snprintf(policy, sizeof policy,
             "{\"type\":\"free_until\",\"hoursBefore\":%lld,\"fee\":\"full\","
             "\"timeZone\":\"Asia/Seoul\"}",
             (long long)hours);
    set_policy("*", policy);
    body = body_for(BK_ROOM, 2, 1, 2, 0, 0, "");
    amount = book(body, "free_until", id, sizeof id);
    free(body);
    cancel_expect(id, NULL, 0, amount);
    bk_assert_reconciled(&f);
}
END_TEST

START_TEST(test_the_platform_floor_refunds_within_a_day_of_booking_unless_the_stay_began)
{
    bk_service_start(&f, NULL); /* the default floor: 24 hours */
    set_policy("*", "{\"type\":\"non_refundable\"}");
    char *body = body_for(BK_ROOM, 30, 1, 2, 0, 0, "");
    char id[64];
    int64_t amount = book(body, "non_refundable", id, sizeof id);
    free(body);
    cancel_expect(id, NULL, 0, amount); /* booked a moment ago */
    /* a stay starting today: 00:00 of the check-in day in Seoul has passed */
    body = body_for(BK_ROOM, 0, 1, 2, 0, 0, "");
    amount = book(body, "non_refundable", id, sizeof id);
    free(body);
    cancel_expect(id, NULL, amount, 0);
}
END_TEST

START_TEST(test_an_operator_may_refund_in_full_with_a_reason_which_is_audited)
{
    const char *extra[] = {"BOOKING_FREE_CANCEL_HOURS=0", NULL};
    bk_service_start(&f, extra);
    set_policy("*", "{\"type\":\"non_refundable\"}");
    char *body = body_for(BK_ROOM, 130, 1, 2, 0, 0, "");
    char id[64];
    int64_t amount = book(body, "non_refundable", id, sizeof id);
    free(body);
    int status;
    struct json_object *c = cancel_booking(id, "{\"refund\":\"full\"}", &status);
    ck_assert_int_eq(status, 400);
    ck_assert_str_eq(bk_str(c, "field"), "reason");
    json_object_put(c);
    c = cancel_booking(id, "{\"refund\":\"half\",\"reason\":\"x\"}", &status);
    ck_assert_int_eq(status, 400);
    json_object_put(c);
    cancel_expect(id, "{\"refund\":\"full\",\"reason\":\"호텔 사정으로 객실 제공 불가\"}", 0,
                  amount);
    ck_assert_int_eq(bk_db_int(&f,
                               "SELECT COUNT(*) FROM audit_log WHERE booking_id = ? AND action = "
                               "'booking.cancel.full_refund' AND JSON_VALUE(detail, '$.reason') "
                               "<> ''",
                               id),
                     1);
    bk_assert_reconciled(&f);
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
    tcase_add_test(tc, test_a_party_beyond_the_rate_pays_the_pms_price_for_its_occupancy);
    tcase_add_test(tc, test_rates_list_every_plan_with_its_price_and_terms);
    tcase_add_test(tc, test_a_chosen_plan_is_sold_at_its_own_price);
    tcase_add_test(tc, test_each_restriction_is_refused_with_its_code_and_accepted_on_its_edge);
    tcase_add_test(tc, test_two_rooms_are_held_paid_and_booked_together);
    tcase_add_test(tc, test_two_rooms_are_all_or_nothing);
    tcase_add_test(tc, test_the_last_rooms_go_to_one_two_room_checkout);
    suite_add_tcase(s, tc);
    TCase *cancel = tcase_create("cancellation");
    tcase_add_checked_fixture(cancel, setup, teardown);
    tcase_set_timeout(cancel, 90);
    tcase_add_test(cancel, test_a_non_refundable_plan_refunds_nothing);
    tcase_add_test(cancel, test_free_until_refunds_in_full_before_and_keeps_the_first_night_after);
    tcase_add_test(cancel,
                   test_the_platform_floor_refunds_within_a_day_of_booking_unless_the_stay_began);
    tcase_add_test(cancel, test_an_operator_may_refund_in_full_with_a_reason_which_is_audited);
    suite_add_tcase(s, cancel);
    return check_run(s);
}
