/*
 * it_pms_foreign_bookings — bookings made on another channel, every piece
 * real: a reservation made at the pms-sandbox's front desk reaches webhook-
 * ingest as the sandbox's signed webhook, and from pms.events booking-svc
 * records it in `booking` (source "pms", no payment) and tells booking.events
 * once, while inventory-svc drops the stay's cached nights and writes the
 * PMS's counts into room_inventory — so a guest's next read shows the room
 * taken. The same reservation reported again under another event id changes
 * nothing. A front-desk date change moves the record, publishes
 * lodging.booking.modified and moves the counts; a front-desk cancel frees
 * them. Each run has its own topics (prefix), database, Redis database and
 * ports.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/cloudevents.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/db.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "testsupport.h"
#include "ts_sandbox.h"
#include "ts_service.h"
#include "events_seen.h"

#define SECRET "whsec_foreign"
#define HOTEL "hotel_123"
#define ROOM "room_456"
#define UNITS 10
#define START_TIMEOUT_MS 30000
#define WAIT_MS 30000

static char prefix[64], db_name[96], db_url[512], db_env[640], redis_env[320], prefix_env[128],
    brokers_env[320];
static int redis_db = -1;
static const char *brokers;
/* What every service this test starts is given. */
static const char *const run_env[] = {brokers_env,      prefix_env,           redis_env, db_env,
                                      "LOG_LEVEL=info", TS_SERVICE_TOKEN_ENV, NULL};
static const ts_service_run_t run = {"it_pms_foreign_bookings", run_env};
static ts_sandbox_t pms, pay;
static ts_service_t wh, booking;
static bk_inventory_t inv;
static http_client_t *inv_http, *wh_http, *bk_http;
static char auth_header[TS_AUTH_HEADER_MAX];

static const char *const TOPICS[] = {"booking.events",   "booking.compensations",
                                     "ops.alerts",       "pms.events",
                                     "sync.jobs",        "sync.results",
                                     "pms.events.dlq",   "sync.jobs.dlq",
                                     "sync.results.dlq", "booking.compensations.dlq"};
#define TOPIC_COUNT (sizeof TOPICS / sizeof *TOPICS)

/* ------------------------------------------------------------ services -- */

static http_client_t *client_for(int port)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    http_client_config_t cfg = {.base_url = base, .total_timeout_ms = 10000};
    http_client_t *c = http_client_new(&cfg);
    ck_assert_ptr_nonnull(c);
    return c;
}

static void setup(void)
{
    brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ts_unique_name("foreignbk", prefix, sizeof prefix);
    strcat(prefix, ".");
    char names[TOPIC_COUNT][128];
    const char *ptrs[TOPIC_COUNT];
    for (size_t i = 0; i < TOPIC_COUNT; i++) {
        kafka_topic_name(prefix, TOPICS[i], names[i], sizeof names[i]);
        ptrs[i] = names[i];
    }
    char err[256];
    ck_assert_msg(
        kafka_admin_create_topics(brokers, ptrs, TOPIC_COUNT, 3, 1, 30000, err, sizeof err) == 0,
        "%s", err);
    char redis_url[256];
    ck_assert(ts_db_create_migrated("foreign_bk", db_name, sizeof db_name, db_url, sizeof db_url) ==
              0);
    snprintf(db_env, sizeof db_env, "MYSQL_URL=%s", db_url);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_gt(redis_db, 0);
    snprintf(redis_env, sizeof redis_env, "REDIS_URL=%s", redis_url);
    snprintf(prefix_env, sizeof prefix_env, "KAFKA_TOPIC_PREFIX=%s", prefix);
    snprintf(brokers_env, sizeof brokers_env, "KAFKA_BROKERS=%s", brokers);

    /* webhook-ingest's port is needed by the sandbox before the service starts */
    int wh_port = ts_free_port();
    char hook_env[160];
    snprintf(hook_env, sizeof hook_env,
             "PMS_SANDBOX_WEBHOOK_URL=http://127.0.0.1:%d/api/webhooks/pms/cloudbeds", wh_port);
    const char *pms_env[] = {hook_env, "PMS_WEBHOOK_SECRET=" SECRET, NULL};
    ts_sandbox_start(&pms, "pms-sandbox", "PMS_SANDBOX_PORT", pms_env);
    ts_sandbox_start(&pay, "pay-sandbox", "PAY_SANDBOX_PORT", NULL);

    char pms_url[128], pay_url[128];
    snprintf(pms_url, sizeof pms_url, "PMS_BASE_URL=%s", pms.base_url);
    snprintf(pay_url, sizeof pay_url, "PAYMENT_BASE_URL=%s", pay.base_url);
    const char *inv_env[] = {db_env,           redis_env,
                             prefix_env,       brokers_env,
                             pms_url,          "PMS_" HOTEL "_API_KEY=cbk_sandbox_" HOTEL,
                             "LOG_LEVEL=info", NULL};
    bk_inventory_start_env(&inv, inv_env, "it_pms_foreign_bookings", START_TIMEOUT_MS);
    const char *wh_env[] = {"PMS_WEBHOOK_SECRET=" SECRET, NULL};
    ts_service_start(&wh, &run, "webhook-ingest", "WEBHOOK_INGEST_PORT", wh_port, wh_env);
    const char *bk_env[] = {pms_url,
                            pay_url,
                            inv.base_url_env,
                            "PMS_" HOTEL "_API_KEY=cbk_sandbox_" HOTEL,
                            "PMS_RATE_LIMIT_PER_SECOND=1000",
                            "PAYMENT_API_KEY=sk_test_sandbox",
                            NULL};
    ts_service_start(&booking, &run, "booking-svc", "BOOKING_SVC_PORT", 0, bk_env);
    inv_http = client_for(inv.port);
    wh_http = client_for(wh.port);
    bk_http = client_for(booking.port);
    ck_assert_int_eq(ts_api_key_header(db_url, "operator", NULL, auth_header, NULL), 0);
}

static void teardown(void)
{
    http_client_free(inv_http);
    http_client_free(wh_http);
    http_client_free(bk_http);
    ts_service_stop(&booking);
    ts_service_stop(&wh);
    bk_inventory_stop(&inv);
    ts_sandbox_stop(&pms);
    ts_sandbox_stop(&pay);
    ts_redis_db_release(redis_db);
    ts_db_drop(db_name);
}

/* -------------------------------------------------------------- kafka -- */

static kafka_consumer_t *consumer_of(const char *base, seen_t *s)
{
    return seen_consumer(brokers, prefix, "it_pms_foreign", base, s);
}

/* ------------------------------------------------------------ helpers -- */

static long query_long(const char *sql, const char *a)
{
    char err[256];
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    db_param_t p[] = {DB_STR(a)};
    db_result_t *res = NULL;
    int64_t v = -1;
    if (db_query(db, sql, p, a ? 1 : 0, &res) == DB_OK && db_result_rows(res) == 1)
        db_result_int64(res, 0, 0, &v);
    db_result_free(res);
    db_free(db);
    return (long)v;
}

/* An operator's cancel through booking-svc of the booking recorded for the reservation: its
 * HTTP status, "<errorCode> <error>" into code. */
static int staff_cancel(const char *reservation_id, char *code, size_t size)
{
    char err[256], path[128], booking_id[64] = "";
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    db_param_t p[] = {DB_STR(reservation_id)};
    db_result_t *res = NULL;
    ck_assert_int_eq(
        db_query(db, "SELECT booking_id FROM booking WHERE reservation_id = ?", p, 1, &res), DB_OK);
    ck_assert_int_eq(db_result_rows(res), 1);
    snprintf(booking_id, sizeof booking_id, "%s", db_result_text(res, 0, 0));
    db_result_free(res);
    db_free(db);
    snprintf(path, sizeof path, "/api/bookings/%s/cancel", booking_id);
    const char *headers[] = {"Content-Type: application/json", auth_header, NULL};
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(bk_http, "POST", path, NULL, headers, "{}", 2, &r),
                     HTTP_CLIENT_OK);
    int status = r.status;
    json_object *doc = r.body ? json_tokener_parse(r.body) : NULL;
    snprintf(code, size, "%s %s", text_of(doc, "errorCode"), text_of(doc, "error"));
    json_object_put(doc);
    http_client_response_clear(&r);
    return status;
}

/* Free rooms of one night in room_inventory, -1 when there is no row. */
static long ledger_available(dates_day_t day)
{
    char d[DATES_ISO_LEN + 1];
    dates_format_iso(day, d);
    return query_long("SELECT COALESCE(MAX(available), -1) FROM room_inventory WHERE "
                      "hotel_id = 'hotel_123' AND room_type_id = 'room_456' AND stay_date = ?",
                      d);
}

/* The available count of one night as a guest reads it from inventory-svc; -1 on failure. */
static int read_night(dates_day_t day)
{
    char d[DATES_ISO_LEN + 1];
    dates_format_iso(day, d);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", HOTEL, "roomTypeId", ROOM,
                       "from",   d,           "to",      d,     NULL};
    http_client_response_t r;
    http_client_get(inv_http, "/api/inventory", q, NULL, &r);
    int available = -1;
    if (r.status == 200) {
        json_object *doc = json_tokener_parse(r.body), *nights, *a;
        if (doc && json_object_object_get_ex(doc, "nights", &nights) &&
            json_object_array_length(nights) == 1 &&
            json_object_object_get_ex(json_object_array_get_idx(nights, 0), "available", &a))
            available = json_object_get_int(a);
        json_object_put(doc);
    }
    http_client_response_clear(&r);
    return available;
}

/* The sandbox's id of the desk reservation starting on `day` (made without our reference). */
static void desk_book(dates_day_t day, int nights, char *id, size_t size)
{
    char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1], body[256];
    dates_format_iso(day, in);
    dates_format_iso(day + nights, out);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"" HOTEL "\",\"roomTypeID\":\"" ROOM
             "\",\"startDate\":\"%s\",\"endDate\":\"%s\"}",
             in, out);
    ck_assert_int_eq(ts_sandbox_post(&pms, "/_sandbox/frontdesk/book", body), 201);
    json_object *ledger = ts_sandbox_get_json(&pms, "/_sandbox/ledger?propertyID=" HOTEL, NULL),
                *list;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    id[0] = '\0';
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *r = json_object_array_get_idx(list, i);
        if (!*text_of(r, "thirdPartyIdentifier") && strcmp(text_of(r, "startDate"), in) == 0)
            snprintf(id, size, "%s", text_of(r, "reservationID"));
    }
    json_object_put(ledger);
    ck_assert_msg(id[0], "the desk's reservation is not in the sandbox ledger");
}

/* The webhook of a reservation confirmed, sent again by the vendor under a new event id and
 * signed like the sandbox signs. */
static void redeliver_confirm(const char *id, dates_day_t in, dates_day_t out)
{
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], body[512], now[DATES_RFC3339_LEN + 1];
    dates_format_iso(in, a);
    dates_format_iso(out, b);
    dates_now_rfc3339(now);
    snprintf(body, sizeof body,
             "{\"eventId\":\"evt_again_%s\",\"eventType\":\"booking_confirm\",\"vendor\":"
             "\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"timestamp\":\"%s\",\"data\":{"
             "\"reservationId\":\"%s\",\"roomTypeId\":\"" ROOM "\",\"checkIn\":\"%s\","
             "\"checkOut\":\"%s\",\"status\":\"confirmed\"}}",
             id, now, id, a, b);
    long long t = (long long)time(NULL);
    char prefix_text[32], hex[CRYPTO_SHA256_HEX_LEN + 1], sig[160];
    int n = snprintf(prefix_text, sizeof prefix_text, "%lld.", t);
    size_t len = strlen(body);
    char *payload = malloc((size_t)n + len + 1);
    ck_assert_ptr_nonnull(payload);
    memcpy(payload, prefix_text, (size_t)n);
    memcpy(payload + n, body, len);
    ck_assert_int_eq(crypto_hmac_sha256_hex(SECRET, strlen(SECRET), payload, (size_t)n + len, hex),
                     0);
    free(payload);
    snprintf(sig, sizeof sig, "x-pms-signature: t=%lld,v1=%s", t, hex);
    const char *headers[] = {"Content-Type: application/json", sig, NULL};
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(wh_http, "POST", "/api/webhooks/pms/cloudbeds", NULL,
                                         headers, body, len, &r),
                     HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200 || r.status == 202, "webhook answered %d: %s", r.status,
                  r.body ? r.body : "");
    http_client_response_clear(&r);
}

/* -------------------------------------------------------------- tests -- */

START_TEST(a_desk_booking_its_change_and_its_cancel_reach_booking_inventory_and_booking_events)
{
    seen_t *seen = calloc(1, sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    kafka_consumer_t *events = consumer_of("booking.events", seen);
    dates_day_t d0 = dates_today_utc() + 30;
    /* A guest's read caches the nights first. */
    ck_assert_int_eq(read_night(d0), UNITS);
    ck_assert_int_eq(read_night(d0 + 1), UNITS);

    char res[64];
    desk_book(d0, 2, res, sizeof res);
    ck_assert(
        TS_POLL_UNTIL(count_of(events, seen, "lodging.booking.confirmed", res) == 1, WAIT_MS));
    redeliver_confirm(res, d0, d0 + 2);
    /* A second desk booking after the redelivery: once it is told, the redelivery (same hotel,
     * same partition, earlier) has been handled. */
    char marker[64];
    desk_book(d0 + 60, 1, marker, sizeof marker);
    ck_assert(
        TS_POLL_UNTIL(count_of(events, seen, "lodging.booking.confirmed", marker) == 1, WAIT_MS));
    ck_assert_int_eq(count_of(events, seen, "lodging.booking.confirmed", res), 1);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE source = 'pms' AND "
                                "reservation_id = ? AND status = 'confirmed' AND "
                                "payment_auth_id IS NULL",
                                res),
                     1);
    json_object *data = last_of(seen, "lodging.booking.confirmed", res);
    ck_assert_str_eq(text_of(data, "source"), "pms");
    ck_assert(!json_object_object_get_ex(data, "paymentAuthId", NULL));
    /* our ledger and a guest's read show the room taken */
    ck_assert(TS_POLL_UNTIL(
        ledger_available(d0) == UNITS - 1 && ledger_available(d0 + 1) == UNITS - 1, WAIT_MS));
    ck_assert(
        TS_POLL_UNTIL(read_night(d0) == UNITS - 1 && read_night(d0 + 1) == UNITS - 1, WAIT_MS));

    /* Not ours to cancel: the hotel cancels it in its PMS. */
    char code[256];
    ck_assert_int_eq(staff_cancel(res, code, sizeof code), 409);
    ck_assert_msg(strncmp(code, "BOOKING_NOT_CANCELLABLE ", 24) == 0 &&
                      strstr(code, "another channel"),
                  "%s", code);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE reservation_id = ? AND "
                                "status = 'confirmed'",
                                res),
                     1);

    /* The desk moves the stay two nights later. */
    char body[256], in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
    dates_format_iso(d0 + 2, in);
    dates_format_iso(d0 + 4, out);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"" HOTEL "\",\"reservationID\":\"%s\",\"startDate\":\"%s\","
             "\"endDate\":\"%s\"}",
             res, in, out);
    ck_assert_int_eq(ts_sandbox_post(&pms, "/_sandbox/frontdesk/modify", body), 200);
    ck_assert(TS_POLL_UNTIL(count_of(events, seen, "lodging.booking.modified", res) == 1, WAIT_MS));
    data = last_of(seen, "lodging.booking.modified", res);
    ck_assert_str_eq(text_of(data, "checkIn"), in);
    json_object *prev = json_object_object_get(data, "previous");
    char was[DATES_ISO_LEN + 1];
    dates_format_iso(d0, was);
    ck_assert_str_eq(text_of(prev, "checkIn"), was);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE source = 'pms' AND "
                                "reservation_id = ? AND check_in = DATE_ADD(UTC_DATE(), "
                                "INTERVAL 32 DAY)",
                                res),
                     1);
    ck_assert(TS_POLL_UNTIL(ledger_available(d0) == UNITS && ledger_available(d0 + 1) == UNITS &&
                                ledger_available(d0 + 2) == UNITS - 1 &&
                                ledger_available(d0 + 3) == UNITS - 1,
                            WAIT_MS));
    ck_assert(TS_POLL_UNTIL(read_night(d0) == UNITS && read_night(d0 + 2) == UNITS - 1, WAIT_MS));

    /* The desk cancels it: the rooms come back, the cancel is told once. */
    snprintf(body, sizeof body, "{\"propertyID\":\"" HOTEL "\",\"reservationID\":\"%s\"}", res);
    ck_assert_int_eq(ts_sandbox_post(&pms, "/_sandbox/frontdesk/cancel", body), 200);
    ck_assert(
        TS_POLL_UNTIL(count_of(events, seen, "lodging.booking.cancelled", res) == 1, WAIT_MS));
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE reservation_id = ? AND "
                                "status = 'cancelled'",
                                res),
                     1);
    ck_assert(TS_POLL_UNTIL(ledger_available(d0 + 2) == UNITS && ledger_available(d0 + 3) == UNITS,
                            WAIT_MS));
    ck_assert(TS_POLL_UNTIL(read_night(d0 + 2) == UNITS, WAIT_MS));
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM compensation_task", NULL), 0);

    kafka_consumer_free(events);
    for (int i = 0; i < seen->count; i++)
        json_object_put(seen->data[i]);
    free(seen);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_pms_foreign_bookings");
    TCase *tc = tcase_create("foreign");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(
        tc, a_desk_booking_its_change_and_its_cancel_reach_booking_inventory_and_booking_events);
    suite_add_tcase(s, tc);
    return check_run(s);
}
