/* Contract tests: the PMS connector for OPERA Cloud (common/pms/opera.c)
 * against the opera-sandbox speaking the OHIP Distribution wire format —
 * selected per hotel behind a connector made for another vendor, as the
 * services make it. Content, availability without a count, the stay check,
 * rate plans with the restrictions OPERA names and their cancellation rules,
 * the session hold (OnHold → Commit / Ignore), a hold purged mid-checkout, an
 * answer lost after OPERA acted (looked up, never made twice), the token
 * cached and refreshed after a 401, typed errors, retry and breaker. Each test
 * runs its own sandbox on a free port. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/json.h"
#include "common/pms.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define HOTEL "opera_jeju"
#define ROOM "DLXK"
#define SUITE "OCNS" /* 2 units */
static ts_sandbox_t sb;
static clock_manual_t manual;
static clock_source_t manual_clock;

static void start_sandbox(void)
{
    ts_sandbox_start(&sb, "opera-sandbox", "OPERA_SANDBOX_PORT", NULL);
    setenv("PMS_opera_jeju_VENDOR", "opera", 1);
    setenv("PMS_OPERA_USERNAME", "lodging_integration", 1);
    setenv("PMS_OPERA_PASSWORD", "opera_sandbox_password", 1);
    setenv("PMS_OPERA_CHANNEL_CODE", "LODGING", 1);
    unsetenv("PMS_opera_jeju_API_KEY");
    manual = (clock_manual_t){.now_ms = 1000000};
    manual_clock = clock_source_manual(&manual);
}

static void stop_sandbox(void)
{
    ts_sandbox_stop(&sb);
}

/* A Cloudbeds-default connector, as the services make it: the OPERA hotel
 * is served by its own vendor's connector behind it. */
static pms_connector_t *connector(int max_retries)
{
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = "http://127.0.0.1:9"; /* the default vendor is never called here */
    cfg.vendor_urls[0] = (pms_vendor_url_t){.vendor = "opera", .base_url = sb.base_url};
    cfg.timeout_ms = 3000;
    cfg.retry.max_retries = max_retries;
    cfg.retry.clock = &manual_clock;
    cfg.breaker.clock = &manual_clock;
    cfg.clock = &manual_clock;
    cfg.rate_per_second = 1000;
    cfg.checkout_wait_ms = 0;
    cfg.background_wait_ms = 0;
    char err[128];
    pms_connector_t *c = pms_connector_new("cloudbeds", &cfg, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_str_eq(pms_hotel_vendor(c, HOTEL), "opera");
    return c;
}

static dates_day_t in_days(int n)
{
    return dates_today_utc() + n;
}

static pms_hold_request_t hold_request(const char *room, dates_day_t check_in, int nights,
                                       int rooms, const char *reference)
{
    return (pms_hold_request_t){.hotel_id = HOTEL,
                                .room_type_id = room,
                                .check_in = check_in,
                                .check_out = check_in + nights,
                                .rooms = rooms,
                                .adults = 2,
                                .guest = {.first_name = "Minji",
                                          .last_name = "Kim",
                                          .email = "minji@example.com"},
                                .ttl_seconds = 180,
                                .reference = reference};
}

/* The sandbox's ledger: how many reservations carry `reference` in status
 * `status` ("OnHold", "Reserved", "Cancelled", "Ignored"; NULL = any). */
static int ledger_count(const char *reference, const char *status)
{
    const char *q[] = {"hotelCode", HOTEL, NULL};
    struct json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/ledger", q);
    struct json_object *list;
    ck_assert(json_object_object_get_ex(o, "reservations", &list));
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i), *ext, *st;
        ck_assert(json_object_object_get_ex(r, "externalId", &ext));
        ck_assert(json_object_object_get_ex(r, "reservationStatus", &st));
        if (strcmp(json_object_get_string(ext), reference) == 0 &&
            (!status || strcmp(json_object_get_string(st), status) == 0))
            n++;
    }
    json_object_put(o);
    return n;
}

static long requests_of(const char *op)
{
    struct json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/stats", NULL);
    struct json_object *reqs, *v;
    long n = 0;
    if (json_object_object_get_ex(o, "requests", &reqs) && json_object_object_get_ex(reqs, op, &v))
        n = json_object_get_int64(v);
    json_object_put(o);
    return n;
}

START_TEST(test_property_and_room_types)
{
    pms_connector_t *c = connector(0);
    pms_hotel_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_str_eq(h.id, HOTEL);
    ck_assert_str_eq(h.currency, "KRW");
    ck_assert_str_eq(h.timezone, "Asia/Seoul");
    ck_assert(h.latitude > 33 && h.longitude > 126);
    pms_room_types_t rt;
    ck_assert_int_eq(pms_get_room_types(c, HOTEL, &rt, &e), PMS_OK);
    ck_assert_uint_eq(rt.count, 3);
    ck_assert_str_eq(rt.items[2].id, SUITE);
    ck_assert_int_eq(rt.items[2].max_occupancy, 4);
    pms_room_types_free(&rt);
    ck_assert_int_eq(pms_get_hotel(c, "no_such_hotel_xyz", &h, &e), PMS_ERR_AUTH);
    setenv("PMS_no_such_hotel_xyz_VENDOR", "opera", 1);
    ck_assert_int_eq(pms_get_hotel(c, "no_such_hotel_xyz", &h, &e), PMS_ERR_NOT_FOUND);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_availability_has_no_count)
{
    pms_connector_t *c = connector(0);
    dates_day_t first = in_days(10);
    char closed[DATES_ISO_LEN + 1], json[256];
    dates_format_iso(first + 2, closed);
    snprintf(json, sizeof json,
             "{\"hotelCode\":\"%s\",\"roomType\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
             "\"available\":0}",
             HOTEL, ROOM, closed, closed);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/frontdesk/availability", json), 200);
    pms_nights_t n;
    pms_error_t e;
    ck_assert_int_eq(pms_get_rates(c, HOTEL, ROOM, first, 5, &n, &e), PMS_OK);
    ck_assert_uint_eq(n.count, 5);
    ck_assert_str_eq(n.currency, "KRW");
    for (int i = 0; i < 5; i++) {
        ck_assert(n.items[i].count_unknown);
        ck_assert_int_eq(n.items[i].total, 0); /* never an invented number */
        ck_assert_int_eq(n.items[i].available, i == 2 ? 0 : 1);
        if (i != 2)
            ck_assert(n.items[i].rate == 210000 || n.items[i].rate == 260000);
    }
    pms_nights_free(&n);
    /* the whole stay with the requested rooms, in one Shop call */
    bool ok;
    int64_t total;
    char cur[4];
    ck_assert_int_eq(pms_check_stay(c, HOTEL, SUITE, first, first + 2, 2, 2, 0, &ok, &total, cur,
                                    &e),
                     PMS_OK);
    ck_assert(ok);
    ck_assert_str_eq(cur, "KRW");
    ck_assert_int_gt(total, 0);
    ck_assert_int_eq(pms_check_stay(c, HOTEL, SUITE, first, first + 2, 3, 2, 0, &ok, &total, cur,
                                    &e),
                     PMS_OK);
    ck_assert(!ok); /* BelowRequestedUnits */
    ck_assert_int_eq(pms_check_stay(c, HOTEL, ROOM, first, first + 4, 1, 2, 0, &ok, &total, cur,
                                    &e),
                     PMS_OK);
    ck_assert(!ok); /* one night closed */
    pms_connector_free(c);
}
END_TEST

/* The front desk sets plan `plan`'s restrictions on days [from, to]. */
static void set_rules(const char *plan, dates_day_t from, dates_day_t to, const char *rules)
{
    char f[DATES_ISO_LEN + 1], t[DATES_ISO_LEN + 1], json[512];
    dates_format_iso(from, f);
    dates_format_iso(to, t);
    snprintf(json, sizeof json,
             "{\"hotelCode\":\"%s\",\"roomType\":\"%s\",\"ratePlanCode\":\"%s\",\"from\":\"%s\","
             "\"to\":\"%s\",%s}",
             HOTEL, ROOM, plan, f, t, rules);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/frontdesk/restrictions", json), 200);
}

START_TEST(test_rate_plans_with_their_restrictions_and_policies)
{
    pms_connector_t *c = connector(0);
    dates_day_t first = in_days(20);
    set_rules("BAR", first, first, "\"minLos\":2");
    set_rules("BAR", first + 2, first + 2, "\"closed\":true");
    set_rules("BAR", first + 3, first + 3, "\"closedToDeparture\":true");
    pms_rate_plans_t p;
    pms_error_t e;
    ck_assert_int_eq(pms_get_rate_plans(c, HOTEL, ROOM, first, 4, &p, &e), PMS_OK);
    ck_assert_uint_eq(p.count, 3);
    ck_assert_str_eq(p.currency, "KRW");
    const pms_rate_plan_t *bar = pms_rate_plan_find(&p, NULL), *nrf = pms_rate_plan_find(&p, "NRF");
    ck_assert(bar && nrf && pms_rate_plan_find(&p, "BB"));
    ck_assert_str_eq(bar->id, "BAR");
    ck_assert_str_eq(nrf->name, "Non-refundable");
    ck_assert_str_eq(nrf->cancel_policy, "{\"type\":\"non_refundable\"}");
    ck_assert_str_eq(bar->cancel_policy,
                     "{\"type\":\"free_until\",\"hoursBefore\":72,\"fee\":\"first_night\"}");
    /* BAR, as OPERA names it night by night: arriving on day 0 needs 2 nights,
     * day 2 is stop-sold, leaving on day 3 is closed */
    ck_assert_int_eq(bar->nights[0].rules.min_los, 2);
    ck_assert(!bar->nights[0].rules.closed);
    ck_assert(!bar->nights[1].rules.closed && bar->nights[1].rate > 0);
    ck_assert(bar->nights[2].rules.closed);
    ck_assert(bar->nights[3].rules.closed_to_departure && !bar->nights[3].rules.closed);
    /* NRF is bound by none of it, at 90 % of the night's rate */
    for (int i = 0; i < 4; i++) {
        ck_assert(!nrf->nights[i].rules.closed && nrf->nights[i].rules.min_los == 0 &&
                  !nrf->nights[i].rules.closed_to_departure);
        ck_assert(nrf->nights[i].rate == 189000 || nrf->nights[i].rate == 234000);
    }
    pms_rate_plans_free(&p);

    /* the stay itself, under a plan */
    pms_stay_check_t s;
    ck_assert_int_eq(pms_check_stay_plan(c, HOTEL, ROOM, first, first + 1, 1, 2, 0, "BAR", &s, &e),
                     PMS_OK);
    ck_assert(!s.bookable && s.restricted && !s.plan_unknown);
    ck_assert_int_eq(s.arrival.min_los, 2);
    ck_assert_int_eq(
        pms_check_stay_plan(c, HOTEL, ROOM, first + 2, first + 3, 1, 2, 0, "BAR", &s, &e), PMS_OK);
    ck_assert(s.restricted && s.arrival.closed && s.departure_closed);
    ck_assert_int_eq(pms_check_stay_plan(c, HOTEL, ROOM, first, first + 1, 1, 2, 0, "NRF", &s, &e),
                     PMS_OK);
    ck_assert(s.bookable && !s.restricted);
    ck_assert_int_eq(s.total, s.first_night);
    ck_assert_str_eq(s.cancel_policy, "{\"type\":\"non_refundable\"}");
    ck_assert_int_eq(pms_check_stay_plan(c, HOTEL, ROOM, first, first + 1, 1, 2, 0, "XX", &s, &e),
                     PMS_OK);
    ck_assert(!s.bookable && s.plan_unknown);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_session_hold_commit_cancel)
{
    pms_connector_t *c = connector(0);
    pms_hold_request_t req = hold_request(ROOM, in_days(20), 2, 1, "bkopera1");
    pms_hold_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &h, &e), PMS_OK);
    ck_assert_int_gt(h.total, 0);
    ck_assert_str_eq(h.currency, "KRW");
    ck_assert(h.expires_at_ms > ts_now_ms());
    ck_assert_int_eq(ledger_count("bkopera1", "OnHold"), 1);
    pms_reservation_t r;
    ck_assert_int_eq(pms_find_reservation(c, HOTEL, "bkopera1", req.check_in, &r, &e), PMS_OK);
    ck_assert_str_eq(r.reservation_id, h.hold_id);
    ck_assert_int_eq(r.status, PMS_RES_HOLD);
    ck_assert_int_eq(pms_confirm_own_hold(c, HOTEL, h.hold_id, h.expires_at_ms, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CONFIRMED);
    ck_assert_int_eq(ledger_count("bkopera1", "Reserved"), 1);
    /* a retried confirm is not a second booking */
    ck_assert_int_eq(pms_confirm_hold(c, HOTEL, h.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CONFIRMED);
    ck_assert_int_eq(pms_get_reservation(c, HOTEL, h.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CONFIRMED);
    ck_assert_str_eq(r.reference, "bkopera1");
    ck_assert_int_eq(pms_cancel_reservation(c, HOTEL, h.hold_id, &e), PMS_OK);
    ck_assert_int_eq(ledger_count("bkopera1", "Cancelled"), 1);
    ck_assert_int_eq(pms_cancel_reservation(c, HOTEL, h.hold_id, &e), PMS_OK); /* again: same */
    pms_connector_free(c);
}
END_TEST

START_TEST(test_release_is_ignore_and_safe_to_repeat)
{
    pms_connector_t *c = connector(0);
    pms_hold_request_t req = hold_request(SUITE, in_days(30), 1, 2, "bkopera2");
    pms_hold_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &h, &e), PMS_OK);
    /* both suites are held: a third checkout is refused by Shop, Book never called */
    long creates = requests_of("postReservation");
    pms_hold_request_t more = hold_request(SUITE, in_days(30), 1, 1, "bkopera3");
    pms_hold_t h2;
    ck_assert_int_eq(pms_create_hold(c, &more, &h2, &e), PMS_ERR_NO_AVAILABILITY);
    ck_assert_int_eq(requests_of("postReservation"), creates);
    ck_assert_int_eq(pms_release_hold(c, HOTEL, h.hold_id, &e), PMS_OK);
    ck_assert_int_eq(ledger_count("bkopera2", "Ignored"), 1);
    ck_assert_int_eq(pms_release_hold(c, HOTEL, h.hold_id, &e), PMS_OK);
    ck_assert_int_eq(pms_create_hold(c, &more, &h2, &e), PMS_OK); /* the rooms are back */
    ck_assert_int_eq(pms_cancel_reservation(c, HOTEL, h2.hold_id, &e), PMS_OK); /* = release */
    ck_assert_int_eq(ledger_count("bkopera3", "Ignored"), 1);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_a_hold_purged_mid_checkout_is_never_confirmed)
{
    pms_connector_t *c = connector(0);
    pms_hold_request_t req = hold_request(ROOM, in_days(40), 2, 1, "bkopera4");
    pms_hold_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &h, &e), PMS_OK);
    char json[160];
    snprintf(json, sizeof json, "{\"hotelCode\":\"%s\",\"confirmationNumber\":\"%s\"}", HOTEL,
             h.hold_id);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/sessions/purge", json), 200);
    pms_reservation_t r;
    ck_assert_int_eq(pms_confirm_own_hold(c, HOTEL, h.hold_id, h.expires_at_ms, &r, &e),
                     PMS_ERR_CONFLICT);
    ck_assert_int_eq(ledger_count("bkopera4", "Reserved"), 0);
    ck_assert_int_eq(pms_release_hold(c, HOTEL, h.hold_id, &e), PMS_OK);
    /* and a hold past our own TTL is released, not committed */
    ck_assert_int_eq(pms_create_hold(c, &req, &h, &e), PMS_OK);
    ck_assert_int_eq(pms_confirm_own_hold(c, HOTEL, h.hold_id, ts_now_ms() - 1000, &r, &e),
                     PMS_ERR_CONFLICT);
    ck_assert_int_eq(ledger_count("bkopera4", "Reserved"), 0);
    ck_assert_int_eq(ledger_count("bkopera4", "Ignored"), 2);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_a_lost_answer_is_looked_up_not_made_twice)
{
    pms_connector_t *c = connector(3);
    /* OPERA makes the reservation, the answer is a 502 */
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/behaviour", "{\"failAfterCreate\":1}"), 200);
    pms_hold_request_t req = hold_request(ROOM, in_days(50), 2, 1, "bkopera5");
    pms_hold_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &h, &e), PMS_OK);
    ck_assert_int_eq(ledger_count("bkopera5", NULL), 1);
    ck_assert_int_eq(ledger_count("bkopera5", "OnHold"), 1);
    ck_assert_int_eq(requests_of("postReservation"), 1); /* never a blind retry */
    pms_reservation_t r;
    ck_assert_int_eq(pms_confirm_own_hold(c, HOTEL, h.hold_id, h.expires_at_ms, &r, &e), PMS_OK);
    /* a 502 before OPERA acted: nothing made, the failure reported, no retry */
    ts_sandbox_fault(&sb, "{\"op\":\"postReservation\",\"status\":502,\"failNext\":1}");
    pms_hold_request_t req2 = hold_request(ROOM, in_days(50), 2, 1, "bkopera6");
    ck_assert_int_eq(pms_create_hold(c, &req2, &h, &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(requests_of("postReservation"), 2);
    ck_assert_int_eq(ledger_count("bkopera6", NULL), 0);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_token_is_cached_and_refreshed_after_a_401)
{
    pms_connector_t *c = connector(0);
    pms_hotel_t h;
    pms_error_t e;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(requests_of("getToken"), 1);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/tokens/expire", "{}"), 200);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(requests_of("getToken"), 2);
    /* a wrong integration user is an auth failure, not a retry loop */
    setenv("PMS_OPERA_PASSWORD", "wrong", 1);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/tokens/expire", "{}"), 200);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_AUTH);
    setenv("PMS_OPERA_PASSWORD", "opera_sandbox_password", 1);
    /* a per-hotel "username:password" key wins over the environment's user */
    setenv("PMS_opera_jeju_API_KEY", "lodging_integration:nope", 1);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_AUTH);
    unsetenv("PMS_opera_jeju_API_KEY");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_errors_retry_and_breaker)
{
    pms_connector_t *c = connector(2);
    pms_hotel_t h;
    pms_error_t e;
    /* two 503 then success: retried */
    ts_sandbox_fault(&sb, "{\"op\":\"getPropertyInfo\",\"status\":503,\"failNext\":2}");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(e.attempts, 3);
    /* 429 with Retry-After: retried after it */
    ts_sandbox_fault(&sb, "{\"op\":\"getPropertyInfo\",\"status\":429,\"failNext\":1,"
                          "\"retryAfter\":1}");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    /* the desk cancels our booking: a read of its status says so */
    pms_hold_request_t req = hold_request(ROOM, in_days(60), 1, 1, "bkopera7");
    pms_hold_t hold;
    pms_reservation_t r;
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_OK);
    ck_assert_int_eq(pms_confirm_hold(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    char json[160];
    snprintf(json, sizeof json, "{\"hotelCode\":\"%s\",\"confirmationNumber\":\"%s\"}", HOTEL,
             hold.hold_id);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/frontdesk/cancel", json), 200);
    ck_assert_int_eq(pms_get_reservation(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CANCELLED);
    /* a down vendor: 5 failed calls open the hotel's breaker */
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/faults", "{\"down\":true}"), 201);
    pms_connector_t *c0 = connector(0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(pms_get_hotel(c0, HOTEL, &h, &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(pms_breaker_state(c0, HOTEL), BREAKER_OPEN);
    ck_assert_int_eq(pms_get_hotel(c0, HOTEL, &h, &e), PMS_ERR_UNAVAILABLE);
    ts_sandbox_clear_faults(&sb);
    manual.now_ms += 61000;
    ck_assert_int_eq(pms_get_hotel(c0, HOTEL, &h, &e), PMS_OK);
    pms_connector_free(c0);
    pms_connector_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_pms_opera");
    TCase *tc = tcase_create("opera");
    tcase_add_checked_fixture(tc, start_sandbox, stop_sandbox);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_property_and_room_types);
    tcase_add_test(tc, test_availability_has_no_count);
    tcase_add_test(tc, test_rate_plans_with_their_restrictions_and_policies);
    tcase_add_test(tc, test_session_hold_commit_cancel);
    tcase_add_test(tc, test_release_is_ignore_and_safe_to_repeat);
    tcase_add_test(tc, test_a_hold_purged_mid_checkout_is_never_confirmed);
    tcase_add_test(tc, test_a_lost_answer_is_looked_up_not_made_twice);
    tcase_add_test(tc, test_token_is_cached_and_refreshed_after_a_401);
    tcase_add_test(tc, test_errors_retry_and_breaker);
    suite_add_tcase(s, tc);
    return check_run(s);
}
