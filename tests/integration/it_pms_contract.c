/* Contract tests: the PMS connector (common/pms, Cloudbeds) against the
 * pms-sandbox speaking Cloudbeds' wire format. Every operation, every typed
 * error, the breaker (5 failures → open, half-open recovery), retry only on
 * retryable failures and honouring Retry-After, the per-hotel rate limiter,
 * and client timeouts. Each test runs its own sandbox on a free port. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/json.h"
#include "common/metrics.h"
#include "common/pms.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define HOTEL "hotel_123"
#define ROOM "room_456"
static ts_sandbox_t sb;
static clock_manual_t manual;
static clock_source_t manual_clock;

static void start_sandbox(void)
{
    ts_sandbox_start(&sb, "pms-sandbox", "PMS_SANDBOX_PORT", NULL);
    setenv("PMS_hotel_123_API_KEY", "cbk_sandbox_hotel_123", 1);
    manual = (clock_manual_t){.now_ms = 1000000};
    manual_clock = clock_source_manual(&manual);
}

static void stop_sandbox(void)
{
    ts_sandbox_stop(&sb);
}

/* A connector on the sandbox. Retries and breaker run on the manual clock, so
 * backoff and open periods pass without sleeping; the limiter is generous
 * unless a test sets its own. */
static pms_connector_t *connector(int max_retries, double rate)
{
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = sb.base_url;
    cfg.timeout_ms = 3000;
    cfg.retry.max_retries = max_retries;
    cfg.retry.clock = &manual_clock;
    cfg.breaker.clock = &manual_clock;
    cfg.clock = &manual_clock;
    cfg.rate_per_second = rate;
    cfg.checkout_wait_ms = 0; /* a spent budget refuses at once: nothing to wait for here */
    cfg.background_wait_ms = 0;
    char err[128];
    pms_connector_t *c = pms_connector_new("cloudbeds", &cfg, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

/* The sandbox's own view of availability for one night. */
static int sandbox_available(dates_day_t night)
{
    char d[DATES_ISO_LEN + 1];
    dates_format_iso(night, d);
    const char *q[] = {"propertyID", HOTEL, "roomTypeID", ROOM, "from", d, "to", d, NULL};
    struct json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/inventory", q);
    struct json_object *arr = o, *items;
    if (json_object_object_get_ex(o, "inventory", &items))
        arr = items;
    ck_assert(json_object_is_type(arr, json_type_array));
    ck_assert_int_eq(json_object_array_length(arr), 1);
    struct json_object *avail;
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, 0), "available", &avail));
    int v = json_object_get_int(avail);
    json_object_put(o);
    return v;
}

/* The status of a reservation in the sandbox's ledger ("" when absent). */
static const char *ledger_status(const char *reservation_id, char *out, size_t size)
{
    const char *q[] = {"propertyID", HOTEL, NULL};
    struct json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/ledger", q);
    struct json_object *list;
    ck_assert(json_object_object_get_ex(o, "reservations", &list));
    snprintf(out, size, "%s", "");
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *res = json_object_array_get_idx(list, i), *id, *st;
        if (json_object_object_get_ex(res, "reservationID", &id) &&
            strcmp(json_object_get_string(id), reservation_id) == 0 &&
            json_object_object_get_ex(res, "status", &st))
            snprintf(out, size, "%s", json_object_get_string(st));
    }
    json_object_put(o);
    return out;
}

static pms_hold_request_t hold_request(dates_day_t check_in, int nights)
{
    return (pms_hold_request_t){.hotel_id = HOTEL,
                                .room_type_id = ROOM,
                                .check_in = check_in,
                                .check_out = check_in + nights,
                                .rooms = 1,
                                .adults = 2,
                                .children = 0,
                                .guest = {.first_name = "홍",
                                          .last_name = "길동",
                                          .email = "hong@example.com",
                                          .phone = "+82-10-1234-5678"},
                                .ttl_seconds = 180};
}

START_TEST(test_hotel_and_room_types)
{
    pms_connector_t *c = connector(0, 100);
    pms_hotel_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_str_eq(h.id, HOTEL);
    ck_assert_str_eq(h.currency, "KRW");
    ck_assert_str_eq(h.timezone, "Asia/Seoul");
    ck_assert(strlen(h.name) > 0 && strlen(h.city) > 0);
    pms_room_types_t rt;
    ck_assert_int_eq(pms_get_room_types(c, HOTEL, &rt, &e), PMS_OK);
    ck_assert_uint_ge(rt.count, 2);
    bool found = false;
    for (size_t i = 0; i < rt.count; i++) {
        if (strcmp(rt.items[i].id, ROOM) == 0) {
            found = true;
            ck_assert_int_eq(rt.items[i].total_rooms, 10);
            ck_assert_int_eq(rt.items[i].max_occupancy, 3);
            ck_assert_uint_ge(rt.items[i].photo_count, 1);
        }
    }
    ck_assert(found);
    pms_room_types_free(&rt);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_inventory_and_rates_per_night)
{
    pms_connector_t *c = connector(0, 100);
    dates_day_t first = dates_today_utc() + 20;
    pms_nights_t inv, rates;
    pms_error_t e;
    ck_assert_int_eq(pms_get_inventory(c, HOTEL, ROOM, first, 30, &inv, &e), PMS_OK);
    ck_assert_uint_eq(inv.count, 30);
    ck_assert_int_eq(pms_get_rates(c, HOTEL, ROOM, first, 30, &rates, &e), PMS_OK);
    ck_assert_uint_eq(rates.count, 30);
    ck_assert_str_eq(rates.currency, "KRW");
    for (int i = 0; i < 30; i++) {
        ck_assert_int_eq(inv.items[i].date, first + i);
        ck_assert_int_eq(inv.items[i].total, 10);
        ck_assert_int_eq(inv.items[i].available, sandbox_available(first + i));
        /* Seed: 125000 KRW on weekdays, 150000 on Friday and Saturday nights. */
        int weekday = (int)((first + i + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
        int64_t expected = weekday == 5 || weekday == 6 ? 150000 : 125000;
        ck_assert_int_eq(rates.items[i].rate, expected);
    }
    pms_nights_free(&inv);
    pms_nights_free(&rates);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_hold_release_restores_exactly_once)
{
    pms_connector_t *c = connector(0, 100);
    dates_day_t in = dates_today_utc() + 40;
    int before = sandbox_available(in), before2 = sandbox_available(in + 1);
    int after_stay = sandbox_available(in + 2);
    pms_hold_request_t req = hold_request(in, 2);
    req.reference = "bk_contract_release";
    pms_hold_t hold;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_OK);
    ck_assert(strlen(hold.hold_id) > 0);
    ck_assert_str_eq(hold.currency, "KRW");
    ck_assert_int_gt(hold.total, 0);
    ck_assert_int_gt(hold.expires_at_ms, clock_wall_ms() + 170000);
    ck_assert_int_eq(sandbox_available(in), before - 1);
    ck_assert_int_eq(sandbox_available(in + 1), before2 - 1);
    ck_assert_int_eq(sandbox_available(in + 2), after_stay); /* check-out night is not held */

    pms_reservation_t r;
    ck_assert_int_eq(pms_get_reservation(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_HOLD);
    ck_assert_int_eq(r.check_in, in);
    ck_assert_int_eq(r.check_out, in + 2);
    ck_assert_str_eq(r.room_type_id, ROOM);
    ck_assert_str_eq(r.reference, "bk_contract_release");
    ck_assert_int_eq(r.total, hold.total);
    ck_assert(r.hold_expires_at_ms / 1000 == hold.expires_at_ms / 1000);

    ck_assert_int_eq(pms_release_hold(c, HOTEL, hold.hold_id, &e), PMS_OK);
    ck_assert_int_eq(sandbox_available(in), before);
    ck_assert_int_eq(sandbox_available(in + 1), before2);
    /* A compensation may run twice: the second release changes nothing. */
    ck_assert_int_eq(pms_release_hold(c, HOTEL, hold.hold_id, &e), PMS_OK);
    ck_assert_int_eq(sandbox_available(in), before);
    char st[32];
    ck_assert_str_eq(ledger_status(hold.hold_id, st, sizeof st), "canceled");
    pms_connector_free(c);
}
END_TEST

START_TEST(test_hold_confirm_cancel)
{
    pms_connector_t *c = connector(0, 100);
    dates_day_t in = dates_today_utc() + 50;
    int before = sandbox_available(in);
    pms_hold_request_t req = hold_request(in, 1);
    pms_hold_t hold;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_OK);
    pms_reservation_t r;
    ck_assert_int_eq(pms_confirm_hold(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CONFIRMED);
    ck_assert_str_eq(r.reservation_id, hold.hold_id);
    ck_assert(strlen(r.confirmation_number) > 0);
    ck_assert_int_eq(sandbox_available(in), before - 1);
    /* A retried confirm is a success, not a second booking. */
    ck_assert_int_eq(pms_confirm_hold(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(sandbox_available(in), before - 1);
    ck_assert_int_eq(pms_get_reservation(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CONFIRMED);
    ck_assert_int_eq(pms_cancel_reservation(c, HOTEL, hold.hold_id, &e), PMS_OK);
    ck_assert_int_eq(sandbox_available(in), before);
    ck_assert_int_eq(pms_get_reservation(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CANCELLED);
    /* A cancelled reservation cannot be confirmed again. */
    ck_assert_int_eq(pms_confirm_hold(c, HOTEL, hold.hold_id, &r, &e), PMS_ERR_CONFLICT);
    ck_assert_int_eq(sandbox_available(in), before);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_expired_hold_is_never_confirmed)
{
    pms_connector_t *c = connector(0, 100);
    dates_day_t in = dates_today_utc() + 60;
    int before = sandbox_available(in);
    pms_hold_request_t req = hold_request(in, 1);
    req.ttl_seconds = 1;
    pms_hold_t hold;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_OK);
    ck_assert_int_eq(sandbox_available(in), before - 1);
    /* The sandbox lapses the hold and gives the room back by itself. */
    ck_assert(TS_POLL_UNTIL(sandbox_available(in) == before, 15000));
    pms_reservation_t r;
    ck_assert_int_eq(pms_confirm_hold(c, HOTEL, hold.hold_id, &r, &e), PMS_ERR_CONFLICT);
    ck_assert_int_eq(sandbox_available(in), before);
    char st[32];
    ck_assert_str_eq(ledger_status(hold.hold_id, st, sizeof st), "canceled");
    ck_assert_int_eq(pms_release_hold(c, HOTEL, hold.hold_id, &e), PMS_OK);
    ck_assert_int_eq(sandbox_available(in), before);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_typed_errors)
{
    pms_connector_t *c = connector(0, 100);
    pms_error_t e;
    dates_day_t in = dates_today_utc() + 70;

    /* No availability: the front desk closes the second night. */
    char body[256], d1[DATES_ISO_LEN + 1];
    dates_format_iso(in + 1, d1);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"%s\",\"roomTypeID\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
             "\"available\":0}",
             HOTEL, ROOM, d1, d1);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/frontdesk/availability", body), 200);
    int before = sandbox_available(in);
    pms_hold_request_t req = hold_request(in, 3);
    pms_hold_t hold;
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_ERR_NO_AVAILABILITY);
    ck_assert_msg(strstr(e.message, d1) != NULL, "message names the night: %s", e.message);
    ck_assert_int_eq(sandbox_available(in), before); /* all or nothing */

    /* Rejected: more adults than the room type takes. */
    req = hold_request(in + 5, 1);
    req.adults = 9;
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_ERR_REJECTED);
    ck_assert_int_eq(e.http_status, 400);

    /* Not found: an unknown reservation and an unknown room type. */
    pms_reservation_t r;
    ck_assert_int_eq(pms_get_reservation(c, HOTEL, "999999999", &r, &e), PMS_ERR_NOT_FOUND);
    ck_assert_int_eq(pms_release_hold(c, HOTEL, "999999999", &e), PMS_ERR_NOT_FOUND);
    pms_nights_t n;
    ck_assert_int_eq(pms_get_inventory(c, HOTEL, "room_nope", in, 2, &n, &e), PMS_ERR_NOT_FOUND);

    /* Auth: a wrong key, and no key at all (nothing sent). */
    setenv("PMS_hotel_123_API_KEY", "cbk_wrong", 1);
    pms_hotel_t h;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_AUTH);
    ck_assert_int_eq(e.http_status, 401);
    ck_assert_ptr_null(strstr(e.message, "cbk_wrong")); /* the key is never echoed */
    unsetenv("PMS_hotel_123_API_KEY");
    unsetenv("PMS_HOTEL_123_API_KEY");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_AUTH);
    ck_assert_int_eq(e.attempts, 0);
    setenv("PMS_hotel_123_API_KEY", "cbk_sandbox_hotel_123", 1);

    /* Transient: a 502 from the vendor's edge. */
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"status\":502,\"failNext\":1}");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(e.http_status, 502);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_breaker_opens_after_five_failures_and_recovers_half_open)
{
    pms_connector_t *c = connector(0, 1000);
    pms_hotel_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_CLOSED);
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"status\":500}");
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_TRANSIENT);
        ck_assert_int_eq(e.http_status, 500);
    }
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_OPEN);
    /* Open: rejected at once, nothing sent. */
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_UNAVAILABLE);
    ck_assert_int_eq(e.http_status, 0);
    /* Another hotel's breaker is its own. */
    ck_assert_int_eq(pms_breaker_state(c, "hotel_busan"), BREAKER_CLOSED);

    ts_sandbox_clear_faults(&sb);
    manual.now_ms += 60000; /* the open period passes */
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_HALF_OPEN);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_HALF_OPEN);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_CLOSED);

    /* A failing trial in half-open opens it again. */
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"status\":503}");
    for (int i = 0; i < 5; i++)
        pms_get_hotel(c, HOTEL, &h, &e);
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_OPEN);
    manual.now_ms += 60000;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_OPEN);

    /* "No" answers are the PMS working: they never open the breaker. */
    ts_sandbox_clear_faults(&sb);
    manual.now_ms += 60000;
    pms_get_hotel(c, HOTEL, &h, &e);
    pms_get_hotel(c, HOTEL, &h, &e);
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_CLOSED);
    pms_reservation_t r;
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pms_get_reservation(c, HOTEL, "999999999", &r, &e), PMS_ERR_NOT_FOUND);
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_CLOSED);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_retry_only_retryable_and_honour_retry_after)
{
    pms_connector_t *c = connector(3, 1000);
    pms_hotel_t h;
    pms_error_t e;
    /* Two 503s, then success: three attempts, backoff slept on the clock. */
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"status\":503,\"failNext\":2}");
    manual.sleep_count = 0;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(e.attempts, 3);
    ck_assert_int_eq(manual.sleep_count, 2);
    ck_assert_int_le(manual.sleeps[0], 500); /* full jitter under the 500 ms cap */
    ck_assert_int_le(manual.sleeps[1], 1000);

    /* A 400 is the PMS saying no: one attempt, no sleep. */
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"status\":400,\"failNext\":1}");
    manual.sleep_count = 0;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_REJECTED);
    ck_assert_int_eq(e.attempts, 1);
    ck_assert_int_eq(manual.sleep_count, 0);

    /* 429 with Retry-After: 3 → the wait is at least 3 s, then it succeeds. */
    ts_sandbox_fault(&sb,
                     "{\"op\":\"getHotelDetails\",\"status\":429,\"failNext\":1,\"retryAfter\":3}");
    manual.sleep_count = 0;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(e.attempts, 2);
    ck_assert_int_eq(manual.sleep_count, 1);
    ck_assert_int_ge(manual.sleeps[0], 3000);

    /* 429 to the last retry: the caller learns the vendor's Retry-After. */
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"status\":429,\"retryAfter\":2}");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_RATE_LIMITED);
    ck_assert_int_eq(e.attempts, 4);
    ck_assert_int_eq(e.retry_after_ms, 2000);
    ts_sandbox_clear_faults(&sb);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK); /* the breaker counts anew */
    ck_assert_int_eq(e.retry_after_ms, 0);

    /* Retries exhausted: 4 attempts, the last error typed. */
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"status\":500}");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(e.attempts, 4);
    ts_sandbox_clear_faults(&sb);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_rate_limiter_per_hotel)
{
    pms_connector_t *c = connector(0, 2); /* 2 requests a second, burst 2 */
    pms_hotel_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_RATE_LIMITED);
    ck_assert_int_eq(e.http_status, 0); /* refused locally: nothing reached the PMS */
    ck_assert_int_eq(e.retry_after_ms, 500); /* the next token of 2 a second */
    /* The limit is per hotel: another hotel still has its tokens. */
    setenv("PMS_hotel_busan_API_KEY", "cbk_sandbox_hotel_busan", 1);
    ck_assert_int_eq(pms_get_hotel(c, "hotel_busan", &h, &e), PMS_OK);
    manual.now_ms += 500; /* one token earned */
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_RATE_LIMITED);
    /* Local refusals do not open the breaker. */
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_CLOSED);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_timeout_is_transient)
{
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = sb.base_url;
    cfg.timeout_ms = 300;
    cfg.retry.max_retries = 0;
    char err[128];
    pms_connector_t *c = pms_connector_new("cloudbeds", &cfg, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"hangMs\":3000,\"failNext\":1}");
    pms_hotel_t h;
    pms_error_t e;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_TRANSIENT);
    ck_assert_ptr_nonnull(strstr(e.message, "timeout"));
    pms_connector_free(c);
}
END_TEST

/* The per-hotel series: a failure of the vendor counts for its hotel, an
 * answer that is a business outcome (not found) does not, a slow answer is
 * counted as slow. */
static double hotel_series(const char *name, const char *error)
{
    metric_t *m = error ? metrics_counter(name, "", 3, "vendor", "hotel", "error")
                        : metrics_counter(name, "", 2, "vendor", "hotel");
    return error ? metrics_value(m, "cloudbeds", HOTEL, error)
                 : metrics_value(m, "cloudbeds", HOTEL);
}

START_TEST(test_failures_and_slow_answers_are_counted_per_hotel)
{
    pms_connector_t *c = connector(0, 100);
    pms_hotel_t h;
    pms_reservation_t r;
    pms_error_t e;
    double transient = hotel_series("pms_hotel_errors_total", "transient");
    double not_found = hotel_series("pms_hotel_errors_total", "not_found");
    double slow = hotel_series("pms_hotel_slow_requests_total", NULL);

    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"status\":503,\"failNext\":1}");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_TRANSIENT);
    ck_assert_double_eq(hotel_series("pms_hotel_errors_total", "transient"), transient + 1);
    ck_assert_int_eq(pms_get_reservation(c, HOTEL, "999999999", &r, &e), PMS_ERR_NOT_FOUND);
    ck_assert_double_eq(hotel_series("pms_hotel_errors_total", "not_found"), not_found);
    ck_assert_double_eq(hotel_series("pms_hotel_slow_requests_total", NULL), slow);

    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"latencyMs\":1100}");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    ts_sandbox_clear_faults(&sb);
    ck_assert_double_eq(hotel_series("pms_hotel_slow_requests_total", NULL), slow + 1);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_sandbox_down_then_up)
{
    pms_connector_t *c = connector(0, 1000);
    pms_hotel_t h;
    pms_error_t e;
    ts_sandbox_fault(&sb, "{\"down\":true}");
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(e.http_status, 503);
    ts_sandbox_clear_faults(&sb);
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_OK);
    pms_connector_free(c);
}
END_TEST

/* How many reservations of the sandbox's ledger carry this reference. */
static int with_reference(const char *reference)
{
    const char *q[] = {"propertyID", HOTEL, NULL};
    struct json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/ledger", q), *list;
    ck_assert(json_object_object_get_ex(o, "reservations", &list));
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *ref;
        if (json_object_object_get_ex(json_object_array_get_idx(list, i), "thirdPartyIdentifier",
                                      &ref) &&
            json_object_is_type(ref, json_type_string) &&
            strcmp(json_object_get_string(ref), reference) == 0)
            n++;
    }
    json_object_put(o);
    return n;
}

START_TEST(test_find_a_hold_by_reference)
{
    pms_connector_t *c = connector(0, 100);
    dates_day_t in = dates_today_utc() + 100;
    pms_hold_request_t req = hold_request(in, 2);
    req.reference = "bk_find_me";
    pms_hold_t hold;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_OK);
    pms_reservation_t r;
    ck_assert_int_eq(pms_find_reservation(c, HOTEL, "bk_find_me", in, &r, &e), PMS_OK);
    ck_assert_str_eq(r.reservation_id, hold.hold_id);
    ck_assert_int_eq(r.status, PMS_RES_HOLD);
    ck_assert_int_eq(pms_find_reservation(c, HOTEL, "bk_nobody", in, &r, &e), PMS_ERR_NOT_FOUND);
    ck_assert_int_eq(pms_find_reservation(c, HOTEL, "bk_find_me", in + 1, &r, &e),
                     PMS_ERR_NOT_FOUND);
    /* Released, it is still found — as cancelled. */
    ck_assert_int_eq(pms_release_hold(c, HOTEL, hold.hold_id, &e), PMS_OK);
    ck_assert_int_eq(pms_find_reservation(c, HOTEL, "bk_find_me", in, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_CANCELLED);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_a_hold_whose_answer_was_lost_is_found_not_made_twice)
{
    pms_connector_t *c = connector(3, 100);
    dates_day_t in = dates_today_utc() + 110;
    int before = sandbox_available(in);
    pms_hold_request_t req = hold_request(in, 1);
    req.reference = "bk_lost_answer";
    pms_hold_t first, again;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &first, &e), PMS_OK);
    /* The next postReservation fails with a 503 the client cannot tell from
     * "done, but the answer was lost": the connector must not post again, and
     * finds the hold its reference already has. */
    ts_sandbox_fault(&sb, "{\"op\":\"postReservation\",\"status\":503,\"failNext\":1}");
    ck_assert_int_eq(pms_create_hold(c, &req, &again, &e), PMS_OK);
    ck_assert_str_eq(again.hold_id, first.hold_id);
    ck_assert_int_eq(again.total, first.total);
    ck_assert_int_eq(with_reference("bk_lost_answer"), 1);
    ck_assert_int_eq(sandbox_available(in), before - 1);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_create_hold_is_not_retried_after_a_timeout)
{
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = sb.base_url;
    cfg.timeout_ms = 300;
    cfg.retry.clock = &manual_clock; /* retries, were there any, would not wait */
    char err[128];
    pms_connector_t *c = pms_connector_new("cloudbeds", &cfg, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    dates_day_t in = dates_today_utc() + 120;
    pms_hold_request_t req = hold_request(in, 1);
    req.reference = "bk_slow_pms";
    ts_sandbox_fault(&sb, "{\"op\":\"postReservation\",\"hangMs\":1500,\"failNext\":1}");
    pms_hold_t hold;
    pms_error_t e;
    /* The PMS makes the hold only after the client gave up and looked for it. */
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_ERR_TRANSIENT);
    ck_assert_int_eq(e.attempts, 1);
    ck_assert(TS_POLL_UNTIL(with_reference("bk_slow_pms") >= 1, 15000));
    ck_assert_int_eq(with_reference("bk_slow_pms"), 1);
    /* The caller's own retry with the same reference finds it. */
    pms_reservation_t r;
    ck_assert_int_eq(pms_find_reservation(c, HOTEL, "bk_slow_pms", in, &r, &e), PMS_OK);
    ck_assert_int_eq(r.status, PMS_RES_HOLD);
    pms_connector_free(c);
}
END_TEST

START_TEST(test_webhook_subscriptions)
{
    pms_connector_t *c = connector(0, 100);
    pms_subscriptions_t subs;
    pms_error_t e;
    const char *url = "http://127.0.0.1:9/api/webhooks/pms/cloudbeds";
    ck_assert_int_eq(pms_subscribe_webhooks(c, HOTEL, url, &subs, &e), PMS_OK);
    ck_assert_uint_eq(subs.count, 2);
    ck_assert_str_eq(subs.events[0], "reservation/created");
    ck_assert_str_eq(subs.events[1], "reservation/status_changed");
    ck_assert_str_ne(subs.ids[0], subs.ids[1]);
    /* The PMS lists them (Cloudbeds getWebhooks). */
    const char *headers[] = {"x-api-key: cbk_sandbox_hotel_123", NULL};
    const char *q[] = {"propertyID", HOTEL, NULL};
    http_client_response_t r;
    ck_assert_int_eq(
        http_client_request(sb.control, "GET", "/api/v1.3/getWebhooks", q, headers, NULL, 0, &r),
        HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, subs.ids[0]));
    ck_assert_ptr_nonnull(strstr(r.body, subs.ids[1]));
    http_client_response_clear(&r);
    ck_assert_int_eq(pms_subscribe_webhooks(c, HOTEL, "ftp://x", &subs, &e), PMS_ERR_INVALID);
    pms_connector_free(c);
}
END_TEST

/* Does the file contain `needle`? */
static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

START_TEST(test_the_sandbox_logs_requests_without_secrets_or_guest_data)
{
    ts_sandbox_t loud;
    const char *env[] = {"LOG_LEVEL=debug", "PMS_WEBHOOK_SECRET=whsec_never_in_logs",
                         "PMS_SANDBOX_WEBHOOK_URL=http://127.0.0.1:9/hook", NULL};
    ts_sandbox_start(&loud, "pms-sandbox", "PMS_SANDBOX_PORT", env);
    pms_config_t cfg = PMS_CONFIG_DEFAULT;
    cfg.base_url = loud.base_url;
    cfg.retry.max_retries = 0;
    char err[128];
    pms_connector_t *c = pms_connector_new("cloudbeds", &cfg, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    pms_hold_request_t req = hold_request(dates_today_utc() + 130, 2);
    req.reference = "bk_logs";
    pms_hold_t hold;
    pms_reservation_t r;
    pms_error_t e;
    ck_assert_int_eq(pms_create_hold(c, &req, &hold, &e), PMS_OK);
    ck_assert_int_eq(pms_confirm_hold(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    ck_assert_int_eq(pms_get_reservation(c, HOTEL, hold.hold_id, &r, &e), PMS_OK);
    setenv("PMS_hotel_123_API_KEY", "cbk_wrong_key_never_logged", 1);
    pms_hotel_t h;
    ck_assert_int_eq(pms_get_hotel(c, HOTEL, &h, &e), PMS_ERR_AUTH);
    setenv("PMS_hotel_123_API_KEY", "cbk_sandbox_hotel_123", 1);
    pms_connector_free(c);
    ts_sandbox_stop(&loud);
    ck_assert(file_contains(loud.log_path, "postReservation")); /* requests are logged */
    const char *never[] = {"cbk_sandbox_hotel_123",
                           "cbk_wrong_key_never_logged",
                           "whsec_never_in_logs",
                           "hong@example.com",
                           "1234-5678",
                           "길동"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        ck_assert_msg(!file_contains(loud.log_path, never[i]), "%s is in %s", never[i],
                      loud.log_path);
}
END_TEST

typedef struct racer {
    pms_connector_t *c;
    dates_day_t in;
    pms_err_t result;
    pms_hold_t hold;
} racer_t;

static void *race_for_a_room(void *arg)
{
    racer_t *r = arg;
    pms_hold_request_t req = hold_request(r->in, 2);
    pms_error_t e;
    r->result = pms_create_hold(r->c, &req, &r->hold, &e);
    return NULL;
}

/* Requests the sandbox has counted for one method of the hotel. */
static long method_requests(const char *method)
{
    const char *q[] = {"propertyID", HOTEL, NULL};
    struct json_object *o = ts_sandbox_get_json(&sb, "/_sandbox/stats", q), *requests, *methods, *n;
    long count = json_object_object_get_ex(o, "requests", &requests) &&
                         json_object_object_get_ex(requests, HOTEL, &methods) &&
                         json_object_object_get_ex(methods, method, &n)
                     ? (long)json_object_get_int64(n)
                     : 0;
    json_object_put(o);
    return count;
}

typedef struct rates_reader {
    pms_connector_t *c;
    dates_day_t night;
    pms_err_t err;
} rates_reader_t;

static void *read_rates(void *arg)
{
    rates_reader_t *r = arg;
    pms_nights_t n = {0};
    pms_error_t e;
    r->err = pms_get_rates(r->c, HOTEL, ROOM, r->night, 1, &n, &e);
    pms_nights_free(&n);
    if (r->err == PMS_OK) /* the counts need the room type's units */
        r->err = pms_get_inventory(r->c, HOTEL, ROOM, r->night, 1, &n, &e);
    pms_nights_free(&n);
    return NULL;
}

/* Runs `count` concurrent rates reads of different nights on c. */
static void read_rates_at_once(pms_connector_t *c, rates_reader_t *r, int count)
{
    pthread_t t[16];
    for (int i = 0; i < count; i++) {
        r[i] = (rates_reader_t){.c = c, .night = dates_today_utc() + 30 + i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, read_rates, &r[i]), 0);
    }
    for (int i = 0; i < count; i++)
        pthread_join(t[i], NULL);
}

/* Threads that find the hotel's currency, taxes and room units unknown at
 * once share one read of each: after a restart (or the cache's TTL), a busy
 * hotel's concurrent checkouts do not each spend a request of its budget on
 * the same answer. A failed read is shared too, not repeated by every
 * waiter. */
START_TEST(test_concurrent_calls_share_one_read_of_the_hotels_metadata)
{
    enum { THREADS = 10 };
    rates_reader_t r[THREADS];
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/reset", "{}"), 200);
    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"latencyMs\":400}");
    ts_sandbox_fault(&sb, "{\"op\":\"getTaxesAndFees\",\"latencyMs\":400}");
    ts_sandbox_fault(&sb, "{\"op\":\"getRoomTypes\",\"latencyMs\":400}");
    pms_connector_t *c = connector(0, 1000);
    read_rates_at_once(c, r, THREADS);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(r[i].err, PMS_OK);
    ck_assert_int_eq(method_requests("getHotelDetails"), 1);
    ck_assert_int_eq(method_requests("getTaxesAndFees"), 1);
    ck_assert_int_eq(method_requests("getRoomTypes"), 1);
    pms_connector_free(c);

    ts_sandbox_fault(&sb, "{\"op\":\"getHotelDetails\",\"latencyMs\":400,\"status\":503}");
    c = connector(0, 1000); /* nothing cached */
    read_rates_at_once(c, r, THREADS);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(r[i].err, PMS_ERR_TRANSIENT);
    /* the sandbox counts an injected answer as the fault's, not the method's */
    ck_assert_int_eq(ts_sandbox_fault_hits(&sb, "getHotelDetails"), 1);
    pms_connector_free(c);
    ts_sandbox_clear_faults(&sb);
}
END_TEST

START_TEST(test_one_connector_shared_by_threads_never_overbooks)
{
    enum { RACERS = 16, LEFT = 2 };
    pms_connector_t *c = connector(0, 1000);
    dates_day_t in = dates_today_utc() + 90;
    char body[256], d0[DATES_ISO_LEN + 1], d1[DATES_ISO_LEN + 1];
    dates_format_iso(in, d0);
    dates_format_iso(in + 1, d1);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"%s\",\"roomTypeID\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
             "\"available\":%d}",
             HOTEL, ROOM, d0, d1, LEFT);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/frontdesk/availability", body), 200);
    racer_t racers[RACERS];
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (racer_t){.c = c, .in = in};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race_for_a_room, &racers[i]), 0);
    }
    int won = 0, sold_out = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        won += racers[i].result == PMS_OK;
        sold_out += racers[i].result == PMS_ERR_NO_AVAILABILITY;
    }
    ck_assert_int_eq(won, LEFT);
    ck_assert_int_eq(sold_out, RACERS - LEFT);
    ck_assert_int_eq(sandbox_available(in), 0);
    ck_assert_int_eq(sandbox_available(in + 1), 0);
    pms_error_t e;
    for (int i = 0; i < RACERS; i++)
        if (racers[i].result == PMS_OK)
            ck_assert_int_eq(pms_release_hold(c, HOTEL, racers[i].hold.hold_id, &e), PMS_OK);
    ck_assert_int_eq(sandbox_available(in), LEFT);
    ck_assert_int_eq(sandbox_available(in + 1), LEFT);
    ck_assert_int_eq(pms_breaker_state(c, HOTEL), BREAKER_CLOSED);
    pms_connector_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_contract");
    TCase *tc = tcase_create("cloudbeds");
    tcase_add_checked_fixture(tc, start_sandbox, stop_sandbox);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hotel_and_room_types);
    tcase_add_test(tc, test_inventory_and_rates_per_night);
    tcase_add_test(tc, test_hold_release_restores_exactly_once);
    tcase_add_test(tc, test_hold_confirm_cancel);
    tcase_add_test(tc, test_expired_hold_is_never_confirmed);
    tcase_add_test(tc, test_typed_errors);
    tcase_add_test(tc, test_breaker_opens_after_five_failures_and_recovers_half_open);
    tcase_add_test(tc, test_retry_only_retryable_and_honour_retry_after);
    tcase_add_test(tc, test_rate_limiter_per_hotel);
    tcase_add_test(tc, test_timeout_is_transient);
    tcase_add_test(tc, test_failures_and_slow_answers_are_counted_per_hotel);
    tcase_add_test(tc, test_sandbox_down_then_up);
    tcase_add_test(tc, test_webhook_subscriptions);
    tcase_add_test(tc, test_the_sandbox_logs_requests_without_secrets_or_guest_data);
    tcase_add_test(tc, test_find_a_hold_by_reference);
    tcase_add_test(tc, test_a_hold_whose_answer_was_lost_is_found_not_made_twice);
    tcase_add_test(tc, test_create_hold_is_not_retried_after_a_timeout);
    tcase_add_test(tc, test_one_connector_shared_by_threads_never_overbooks);
    tcase_add_test(tc, test_concurrent_calls_share_one_read_of_the_hotels_metadata);
    suite_add_tcase(s, tc);
    return check_run(s);
}
