/*
 * it_pms_opera_events — bookings made elsewhere at an OPERA Cloud hotel, read
 * from its Business Events: a reservation made at the opera-sandbox's front
 * desk is queued as a Business Event; booking-svc (PMS_OPERA_EVENTS_ENABLED)
 * dequeues it with the Property API's own OAuth client and announces it on
 * pms.events, and from there it takes the path Cloudbeds' webhooks take:
 * booking-svc records it in `booking` (source "pms") and tells booking.events
 * once, inventory-svc drops the stay's cached nights and re-reads
 * room_inventory — so a guest's next read shows the room taken. A desk move
 * and a desk cancel follow the same way. Our own checkout's reservation comes
 * back through the feed too and is recognised as ours. With the feature off
 * nothing is read from the queue. Each run has its own topics, database,
 * Redis database and ports.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/cloudevents.h"
#include "common/dates.h"
#include "common/db.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "testsupport.h"
#include "ts_sandbox.h"
#include "ts_service.h"
#include "events_seen.h"

#define HOTEL "opera_jeju"
#define SUITE "OCNS" /* 2 units: a desk booking of both sells the nights out */
#define ROOM "DLXK"
#define START_TIMEOUT_MS 30000
#define WAIT_MS 30000
#define APP_KEY "41ecd082-8997-4c69-af34-2f72b83645ff"

static char prefix[64], db_name[96], db_url[512], db_env[640], redis_env[320], prefix_env[128],
    brokers_env[320], op_url[128], pay_url[128];
static int redis_db = -1;
static const char *brokers;
/* What every service this test starts is given. */
static const char *const run_env[] = {brokers_env,      prefix_env,           redis_env, db_env,
                                      "LOG_LEVEL=info", TS_SERVICE_TOKEN_ENV, NULL};
static const ts_service_run_t run = {"it_pms_opera_events", run_env};
static ts_sandbox_t op, pay;
static ts_service_t booking;
static bk_inventory_t inv;
static bool booking_running;
static http_client_t *inv_http, *bk_http;
static char auth_header[TS_AUTH_HEADER_MAX];

static const char *const TOPICS[] = {"booking.events",   "booking.compensations",
                                     "ops.alerts",       "pms.events",
                                     "sync.jobs",        "sync.results",
                                     "pms.events.dlq",   "sync.jobs.dlq",
                                     "sync.results.dlq", "booking.compensations.dlq"};
#define TOPIC_COUNT (sizeof TOPICS / sizeof *TOPICS)

/* How both services reach the OPERA hotel (Distribution, as a Shop & Book channel). */
#define OPERA_ENV                                                                                  \
    op_url, "PMS_" HOTEL "_VENDOR=opera", "PMS_OPERA_USERNAME=lodging_integration",                \
        "PMS_OPERA_PASSWORD=opera_sandbox_password", "PMS_OPERA_CHANNEL_CODE=LODGING",             \
        "PMS_" HOTEL "_API_KEY=lodging_integration:opera_sandbox_password",                        \
        "PMS_OPERA_APP_KEY=" APP_KEY, "PMS_RATE_LIMIT_PER_SECOND=1000"

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
    ts_unique_name("operaev", prefix, sizeof prefix);
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
    ck_assert(ts_db_create_migrated("opera_ev", db_name, sizeof db_name, db_url, sizeof db_url) ==
              0);
    snprintf(db_env, sizeof db_env, "MYSQL_URL=%s", db_url);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_gt(redis_db, 0);
    snprintf(redis_env, sizeof redis_env, "REDIS_URL=%s", redis_url);
    snprintf(prefix_env, sizeof prefix_env, "KAFKA_TOPIC_PREFIX=%s", prefix);
    snprintf(brokers_env, sizeof brokers_env, "KAFKA_BROKERS=%s", brokers);

    ts_sandbox_start(&op, "opera-sandbox", "OPERA_SANDBOX_PORT", NULL);
    ts_sandbox_start(&pay, "pay-sandbox", "PAY_SANDBOX_PORT", NULL);
    snprintf(op_url, sizeof op_url, "PMS_OPERA_BASE_URL=%s", op.base_url);
    snprintf(pay_url, sizeof pay_url, "PAYMENT_BASE_URL=%s", pay.base_url);
    /* the hotel is configured for OPERA: the feed reads the hotels of pms_config */
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO pms_config (vendor, hotel_id, polling_enabled) VALUES "
                             "('opera', '" HOTEL "', FALSE)",
                             NULL, 0, NULL, NULL),
                     DB_OK);
    db_free(db);
    const char *inv_env[] = {db_env,    redis_env,        prefix_env, brokers_env,
                             OPERA_ENV, "LOG_LEVEL=info", NULL};
    bk_inventory_start_env(&inv, inv_env, "it_pms_opera_events", START_TIMEOUT_MS);
    inv_http = client_for(inv.port);
    ck_assert_int_eq(ts_api_key_header(db_url, "operator", NULL, auth_header, NULL), 0);
}

/* booking-svc with the Business Events feed on or off. */
static void booking_start(bool events)
{
    char property_url[160];
    snprintf(property_url, sizeof property_url, "PMS_OPERA_EVENTS_BASE_URL=%s", op.base_url);
    const char *on[] = {OPERA_ENV,
                        pay_url,
                        inv.base_url_env,
                        "PAYMENT_API_KEY=sk_test_sandbox",
                        "BOOKING_PMS_FEED_INTERVAL_S=1",
                        "BOOKING_PMS_WATCH_INTERVAL_S=0",
                        events ? "PMS_OPERA_EVENTS_ENABLED=true" : "PMS_OPERA_EVENTS_ENABLED=false",
                        property_url,
                        "PMS_OPERA_EVENTS_CLIENT_ID=lodging_property_client",
                        "PMS_OPERA_EVENTS_CLIENT_SECRET=opera_sandbox_client_secret",
                        "PMS_OPERA_EVENTS_EXTERNAL_SYSTEM=LODGING",
                        NULL};
    ts_service_start(&booking, &run, "booking-svc", "BOOKING_SVC_PORT", 0, on);
    bk_http = client_for(booking.port);
    booking_running = true;
}

static void booking_stop(void)
{
    if (!booking_running)
        return;
    http_client_free(bk_http);
    bk_http = NULL;
    booking_running = false;
    ts_service_stop(&booking);
}

static void teardown(void)
{
    booking_stop();
    http_client_free(inv_http);
    bk_inventory_stop(&inv);
    ts_sandbox_stop(&op);
    ts_sandbox_stop(&pay);
    ts_redis_db_release(redis_db);
    ts_db_drop(db_name);
}

/* -------------------------------------------------------------- kafka -- */

static kafka_consumer_t *consumer_of(const char *base, seen_t *s)
{
    return seen_consumer(brokers, prefix, "it_opera_events", base, s);
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

/* One night of the suite in room_inventory (OPERA: 1 = bookable, 0 = sold out), -1 when
 * there is no row. */
static long ledger_available(dates_day_t day)
{
    char d[DATES_ISO_LEN + 1];
    dates_format_iso(day, d);
    return query_long("SELECT COALESCE(MAX(available), -1) FROM room_inventory WHERE "
                      "hotel_id = '" HOTEL "' AND room_type_id = '" SUITE "' AND stay_date = ?",
                      d);
}

/* Whether the suite can be booked on one night as a guest reads it from inventory-svc (OPERA
 * tells no count): 1 or 0; -1 on failure. */
static int read_night(dates_day_t day)
{
    char d[DATES_ISO_LEN + 1];
    dates_format_iso(day, d);
    const char *q[] = {"vendor", "opera", "hotelId", HOTEL, "roomTypeId", SUITE,
                       "from",   d,       "to",      d,     NULL};
    http_client_response_t r;
    http_client_get(inv_http, "/api/inventory", q, NULL, &r);
    int available = -1;
    if (r.status == 200) {
        json_object *doc = json_tokener_parse(r.body), *nights, *a;
        if (doc && json_object_object_get_ex(doc, "nights", &nights) &&
            json_object_array_length(nights) == 1 &&
            json_object_object_get_ex(json_object_array_get_idx(nights, 0), "bookable", &a))
            available = json_object_get_boolean(a) ? 1 : 0;
        json_object_put(doc);
    }
    http_client_response_clear(&r);
    return available;
}

/* A front-desk reservation at the OPERA sandbox (no external id of ours); its
 * confirmation number into id. */
static void desk_book(const char *room, int units, dates_day_t day, int nights, char *id,
                      size_t size)
{
    char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1], body[256];
    dates_format_iso(day, in);
    dates_format_iso(day + nights, out);
    snprintf(body, sizeof body,
             "{\"hotelCode\":\"" HOTEL "\",\"roomType\":\"%s\",\"arrivalDate\":\"%s\","
             "\"departureDate\":\"%s\",\"numberOfUnits\":%d}",
             room, in, out, units);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/book", body), 201);
    const char *q[] = {"hotelCode", HOTEL, NULL};
    json_object *ledger = ts_sandbox_get_json(&op, "/_sandbox/ledger", q), *list;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    id[0] = '\0';
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *r = json_object_array_get_idx(list, i);
        if (!*text_of(r, "externalId") && strcmp(text_of(r, "arrivalDate"), in) == 0 &&
            strcmp(text_of(r, "roomType"), room) == 0)
            snprintf(id, size, "%s", text_of(r, "confirmationNumber"));
    }
    json_object_put(ledger);
    ck_assert_msg(id[0], "the desk's reservation is not in the sandbox ledger");
}

/* How often the sandbox was asked for this operation. */
static long sandbox_calls(const char *op_name)
{
    json_object *o = ts_sandbox_get_json(&op, "/_sandbox/stats", NULL), *reqs, *n;
    long v = 0;
    if (json_object_object_get_ex(o, "requests", &reqs) &&
        json_object_object_get_ex(reqs, op_name, &n))
        v = (long)json_object_get_int64(n);
    json_object_put(o);
    return v;
}

/* A pay-sandbox ledger count ("refunds", "captured"). */
static long pay_summary(const char *field)
{
    json_object *o = ts_sandbox_get_json(&pay, "/_sandbox/ledger", NULL), *sum, *v;
    long n = -1;
    if (json_object_object_get_ex(o, "summary", &sum) && json_object_object_get_ex(sum, field, &v))
        n = (long)json_object_get_int64(v);
    json_object_put(o);
    return n;
}

/* Our own checkout of the deluxe room: its booking id into id, OPERA's confirmation number
 * into conf. */
static void our_checkout(dates_day_t day, char *id, size_t size, char *conf, size_t conf_size)
{
    char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1], from[DATES_ISO_LEN + 1];
    dates_format_iso(day, in);
    dates_format_iso(day + 1, out);
    dates_format_iso(day, from);
    const char *q[] = {"hotelCode", HOTEL, "roomType", ROOM, "from", from, "days", "1", NULL};
    json_object *nights = ts_sandbox_get_json(&op, "/_sandbox/inventory", q), *rate;
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(nights, 0), "rate", &rate));
    long long amount = (long long)json_object_get_int64(rate);
    json_object_put(nights);
    char body[1024];
    snprintf(body, sizeof body,
             "{\"vendor\":\"opera\",\"hotelId\":\"" HOTEL "\",\"roomTypeId\":\"" ROOM "\","
             "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{\"firstName\":\"Minji\","
             "\"lastName\":\"Kim\",\"email\":\"minji@example.com\",\"phone\":"
             "\"+82-10-2222-3333\"},\"adults\":2,\"children\":0,\"payment\":{\"cardToken\":"
             "\"tok_visa\",\"amount\":%lld,\"currency\":\"KRW\"}}",
             in, out, amount);
    const char *headers[] = {"Content-Type: application/json", "Idempotency-Key: opera-own-1",
                             auth_header, NULL};
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(bk_http, "POST", "/api/booking/checkout", NULL, headers,
                                         body, strlen(body), &r),
                     HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "checkout answered %d: %s", r.status, r.body ? r.body : "");
    json_object *doc = json_tokener_parse(r.body);
    snprintf(id, size, "%s", text_of(doc, "bookingId"));
    snprintf(conf, conf_size, "%s", text_of(doc, "confirmationNumber"));
    json_object_put(doc);
    http_client_response_clear(&r);
    ck_assert(id[0]);
}

/* Messages of this type about our booking (data.bookingId), after one poll. */
static int count_booking(kafka_consumer_t *c, const seen_t *s, const char *type,
                         const char *booking_id)
{
    kafka_consumer_poll_once(c, 100);
    int n = 0;
    for (int i = 0; i < s->count; i++)
        n += strcmp(s->type[i], type) == 0 &&
             strcmp(text_of(s->data[i], "bookingId"), booking_id) == 0;
    return n;
}

/* -------------------------------------------------------------- tests -- */

START_TEST(a_desk_booking_at_opera_reaches_booking_inventory_and_booking_events)
{
    booking_start(true);
    seen_t *seen = calloc(1, sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    kafka_consumer_t *events = consumer_of("booking.events", seen);
    dates_day_t d0 = dates_today_utc() + 30;
    /* A guest's read caches the nights first: bookable. */
    ck_assert_int_eq(read_night(d0), 1);
    ck_assert_int_eq(read_night(d0 + 1), 1);

    /* The desk sells both suites for two nights. */
    char res[64];
    desk_book(SUITE, 2, d0, 2, res, sizeof res);
    ck_assert_msg(
        TS_POLL_UNTIL(count_of(events, seen, "lodging.booking.confirmed", res) == 1, WAIT_MS),
        "the desk booking was not told (log: %s)", booking.log);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE source = 'pms' AND vendor = "
                                "'opera' AND reservation_id = ? AND status = 'confirmed' AND "
                                "room_type_id = '" SUITE "' AND payment_auth_id IS NULL AND "
                                "check_in = DATE_ADD(UTC_DATE(), INTERVAL 30 DAY) AND "
                                "check_out = DATE_ADD(UTC_DATE(), INTERVAL 32 DAY)",
                                res),
                     1);
    json_object *data = last_of(seen, "lodging.booking.confirmed", res);
    ck_assert_str_eq(text_of(data, "source"), "pms");
    /* the party, the rooms and the total are OPERA's reservation's (read through Book) */
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE reservation_id = ? AND "
                                "guest_count_known AND adults = 1 AND rooms = 2 AND "
                                "total_price > 0 AND currency = 'KRW'",
                                res),
                     1);
    json_object *v;
    ck_assert(json_object_object_get_ex(data, "amount", &v) && json_object_get_int64(v) > 0);
    ck_assert(json_object_object_get_ex(data, "rooms", &v) && json_object_get_int(v) == 2);
    ck_assert(json_object_object_get_ex(data, "adults", &v) && json_object_get_int(v) == 1);
    /* our ledger and a guest's read show the nights sold out */
    ck_assert(TS_POLL_UNTIL(ledger_available(d0) == 0 && ledger_available(d0 + 1) == 0, WAIT_MS));
    ck_assert(TS_POLL_UNTIL(read_night(d0) == 0 && read_night(d0 + 1) == 0, WAIT_MS));

    /* Our own checkout comes back through the feed as well: it is ours, not recorded again. A
     * desk booking made after it is a marker: the feed hands a hotel's events out in order and
     * they share one partition, so once the marker is recorded ours was handled. */
    char own[64], own_conf[64], marker[64];
    our_checkout(d0 + 10, own, sizeof own, own_conf, sizeof own_conf);
    desk_book(ROOM, 1, d0 + 60, 1, marker, sizeof marker);
    ck_assert(
        TS_POLL_UNTIL(count_of(events, seen, "lodging.booking.confirmed", marker) == 1, WAIT_MS));
    ck_assert_int_eq(count_booking(events, seen, "lodging.booking.confirmed", own), 1);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking", NULL), 3);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE source = 'pms'", NULL), 2);
    ck_assert_int_eq(count_of(events, seen, "lodging.booking.confirmed", res), 1);

    /* The desk moves the stay two nights later. */
    char body[256], in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
    dates_format_iso(d0 + 2, in);
    dates_format_iso(d0 + 4, out);
    snprintf(body, sizeof body,
             "{\"hotelCode\":\"" HOTEL "\",\"confirmationNumber\":\"%s\",\"arrivalDate\":"
             "\"%s\",\"departureDate\":\"%s\"}",
             res, in, out);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/modify", body), 200);
    ck_assert(TS_POLL_UNTIL(count_of(events, seen, "lodging.booking.modified", res) == 1, WAIT_MS));
    data = last_of(seen, "lodging.booking.modified", res);
    ck_assert_str_eq(text_of(data, "checkIn"), in);
    ck_assert_msg(
        TS_POLL_UNTIL(ledger_available(d0) == 1 && ledger_available(d0 + 2) == 0, WAIT_MS),
        "room_inventory: %ld %ld %ld %ld (log: %s)", ledger_available(d0), ledger_available(d0 + 1),
        ledger_available(d0 + 2), ledger_available(d0 + 3), inv.log);

    /* The desk cancels it: the nights are bookable again, the cancel is told once. */
    snprintf(body, sizeof body, "{\"hotelCode\":\"" HOTEL "\",\"confirmationNumber\":\"%s\"}", res);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/cancel", body), 200);
    ck_assert(
        TS_POLL_UNTIL(count_of(events, seen, "lodging.booking.cancelled", res) == 1, WAIT_MS));
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE reservation_id = ? AND "
                                "status = 'cancelled'",
                                res),
                     1);
    ck_assert(
        TS_POLL_UNTIL(ledger_available(d0 + 2) == 1 && ledger_available(d0 + 3) == 1, WAIT_MS));
    ck_assert(TS_POLL_UNTIL(read_night(d0 + 2) == 1, WAIT_MS));
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM compensation_task", NULL), 0);

    /* The desk cancels our own booking: the feed's cancel runs our cancel once (the status
     * reads of pms_watch are off here), with the refund. */
    ck_assert(TS_POLL_UNTIL(pay_summary("captured") == 1, WAIT_MS));
    snprintf(body, sizeof body, "{\"hotelCode\":\"" HOTEL "\",\"confirmationNumber\":\"%s\"}",
             own_conf);
    ck_assert_int_eq(ts_sandbox_post(&op, "/_sandbox/frontdesk/cancel", body), 200);
    ck_assert_msg(
        TS_POLL_UNTIL(count_booking(events, seen, "lodging.booking.cancelled", own) == 1 &&
                          pay_summary("refunds") == 1,
                      WAIT_MS),
        "the desk cancel of ours was not applied (log: %s)", booking.log);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE booking_id = ? AND status = "
                                "'cancelled' AND source = 'checkout'",
                                own),
                     1);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking WHERE source = 'pms'", NULL), 2);

    kafka_consumer_free(events);
    for (int i = 0; i < seen->count; i++)
        json_object_put(seen->data[i]);
    free(seen);
}
END_TEST

START_TEST(with_the_feature_off_nothing_is_read_from_the_queue)
{
    booking_start(false);
    dates_day_t d0 = dates_today_utc() + 40;
    char res[64];
    desk_book(SUITE, 1, d0, 1, res, sizeof res);
    /* A service that is up and consuming: it has read its own pms.events by now if it would. */
    ck_assert_int_eq(sandbox_calls("getBusinessEvents"), 0);
    ck_assert_int_eq(sandbox_calls("getPropertyToken"), 0);
    ck_assert_int_eq(query_long("SELECT COUNT(*) FROM booking", NULL), 0);
    booking_stop();
    /* the event waited in the queue: turned on, the same reservation arrives */
    booking_start(true);
    ck_assert_msg(TS_POLL_UNTIL(query_long("SELECT COUNT(*) FROM booking WHERE source = 'pms' "
                                           "AND reservation_id = ?",
                                           res) == 1,
                                WAIT_MS),
                  "the queued desk booking was not recorded (log: %s)", booking.log);
    ck_assert_int_eq(sandbox_calls("getPropertyToken"), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_pms_opera_events");
    TCase *tc = tcase_create("opera_events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, a_desk_booking_at_opera_reaches_booking_inventory_and_booking_events);
    tcase_add_test(tc, with_the_feature_off_nothing_is_read_from_the_queue);
    suite_add_tcase(s, tc);
    return check_run(s);
}
