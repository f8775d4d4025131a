/* inventory-svc's Kafka consumers on the real stack: pms.events invalidate
 * exactly the affected keys (inventory, rates, a PMS-side booking's stay)
 * and refresh room lists; sync.jobs fill Redis and room_inventory /
 * rate_plan and publish sync.succeeded — or sync.failed when the PMS fails.
 * Each test has its own topic prefix, database, Redis database, sandbox and
 * service. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "common/cloudevents.h"
#include "common/db.h"
#include "common/kafka.h"
#include "common/log.h"
#include "inventory_fixture.h"

#define WAIT_MS 30000
#define MAX_RESULTS 16

static inv_fixture_t f;
static const char *brokers;
static char db_name[96];
static char topics[5][160];
static kafka_producer_t *producer;
static kafka_consumer_t *results_consumer;

/* sync.results seen by the test. */
static pthread_mutex_t results_mu = PTHREAD_MUTEX_INITIALIZER;
static int result_count;
static char result_types[MAX_RESULTS][64];
static char result_json[MAX_RESULTS][2048];

static kafka_handler_result_t on_result(const kafka_message_t *m, void *ctx, char *reason,
                                        size_t reason_size)
{
    (void)ctx;
    (void)reason;
    (void)reason_size;
    char err[128];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    pthread_mutex_lock(&results_mu);
    if (ev && result_count < MAX_RESULTS) {
        snprintf(result_types[result_count], sizeof result_types[0], "%s", ev->type);
        snprintf(result_json[result_count], sizeof result_json[0], "%s",
                 ev->data ? json_object_to_json_string_ext(ev->data, JSON_C_TO_STRING_PLAIN) : "");
        result_count++;
    }
    pthread_mutex_unlock(&results_mu);
    cloudevent_free(ev);
    return KAFKA_HANDLER_OK;
}

/* The result for jobId: its type copied into type_out, data JSON into data_out. */
static bool result_for(const char *job_id, char *type_out, char *data_out, size_t data_size)
{
    bool found = false;
    char needle[96];
    snprintf(needle, sizeof needle, "\"jobId\":\"%s\"", job_id);
    pthread_mutex_lock(&results_mu);
    for (int i = 0; i < result_count && !found; i++) {
        if (strstr(result_json[i], needle)) {
            snprintf(type_out, 64, "%s", result_types[i]);
            snprintf(data_out, data_size, "%s", result_json[i]);
            found = true;
        }
    }
    pthread_mutex_unlock(&results_mu);
    return found;
}

static void setup(void)
{
    log_init("it_inventory_consumers", LOG_LEVEL_ERROR);
    memset(&f, 0, sizeof f);
    result_count = 0;
    brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ts_unique_name("itinvc_", f.topic_prefix, sizeof f.topic_prefix);
    const char *bases[] = {"pms.events", "sync.jobs", "sync.results", "ops.alerts",
                           "pms.events.dlq"};
    const char *names[5];
    for (int i = 0; i < 5; i++) {
        kafka_topic_name(f.topic_prefix, bases[i], topics[i], sizeof topics[i]);
        names[i] = topics[i];
    }
    char err[256];
    ck_assert_msg(kafka_admin_create_topics(brokers, names, 5, 3, 1, 30000, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(
        ts_db_create_migrated("itinv", db_name, sizeof db_name, f.mysql_url, sizeof f.mysql_url),
        0);
    producer = kafka_producer_new(brokers, "it_inventory_consumers", NULL, err, sizeof err);
    ck_assert_msg(producer != NULL, "%s", err);
    char group[96];
    ts_unique_name("itinvc_group", group, sizeof group);
    const char *sub[] = {topics[2], NULL};
    kafka_consumer_config_t cc = {
        .brokers = brokers, .group_id = group, .topics = sub, .handler = on_result};
    results_consumer = kafka_consumer_new(&cc, err, sizeof err);
    ck_assert_msg(results_consumer != NULL, "%s", err);
    ck_assert_int_eq(kafka_consumer_start(results_consumer), 0);
    invfx_start(&f, (const char *[]){"PMS_MAX_RETRIES=0", NULL});
}

static void teardown(void)
{
    invfx_stop(&f);
    kafka_consumer_free(results_consumer);
    kafka_producer_free(producer);
    const char *names[] = {topics[0], topics[1], topics[2], topics[3], topics[4]};
    char err[256];
    kafka_admin_delete_topics(brokers, names, 5, 30000, err, sizeof err);
    ts_db_drop(db_name);
}

/* Publishes a CloudEvent (data as JSON text) keyed by hotel. */
static void publish(const char *topic, const char *type, const char *data_json)
{
    struct json_object *data = json_tokener_parse(data_json);
    ck_assert_ptr_nonnull(data);
    cloudevent_t *ev = cloudevent_new(type, "/it_inventory_consumers", INVFX_HOTEL, data);
    char err[256];
    ck_assert_msg(cloudevent_send_sync(producer, topic, INVFX_HOTEL, ev, err, sizeof err) == 0,
                  "%s", err);
    cloudevent_free(ev);
}

static bool night_cached(const char *prefix, const char *room, dates_day_t day)
{
    char key[128];
    invfx_key(key, sizeof key, prefix, room, day);
    return invfx_key_exists(&f, key);
}

static void fill(const char *path, dates_day_t from, dates_day_t to)
{
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, path, INVFX_ROOM, from, to, &o), 200);
    json_object_put(o);
}

START_TEST(test_an_inventory_update_deletes_exactly_the_nights_it_names)
{
    dates_day_t d0 = dates_today_utc() + 10;
    fill("/api/inventory", d0, d0 + 9);
    fill("/api/rates", d0, d0 + 9);
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], data[512];
    dates_format_iso(d0 + 3, a);
    dates_format_iso(d0 + 5, b);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_1\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"roomTypeId\":\"room_456\",\"from\":\"%s\",\"to\":\"%s\"}",
             a, b);
    publish(topics[0], "lodging.pms.inventory.updated", data);
    ck_assert(TS_POLL_UNTIL(!night_cached("inv", INVFX_ROOM, d0 + 3) &&
                                !night_cached("inv", INVFX_ROOM, d0 + 4) &&
                                !night_cached("inv", INVFX_ROOM, d0 + 5),
                            WAIT_MS));
    for (int i = 0; i < 10; i++) {
        if (i < 3 || i > 5)
            ck_assert_msg(night_cached("inv", INVFX_ROOM, d0 + i), "night %d deleted", i);
        ck_assert_msg(night_cached("rate", INVFX_ROOM, d0 + i), "rate %d deleted", i);
        ck_assert(night_cached("invshadow", INVFX_ROOM, d0 + i));
    }
    /* The same event again (at-least-once) is harmless. */
    publish(topics[0], "lodging.pms.inventory.updated", data);

    /* A rate update drops only rate keys of its range. */
    dates_format_iso(d0, a);
    dates_format_iso(d0, b);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_2\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"roomTypeId\":\"room_456\",\"from\":\"%s\",\"to\":\"%s\"}",
             a, b);
    publish(topics[0], "lodging.pms.rate.updated", data);
    ck_assert(TS_POLL_UNTIL(!night_cached("rate", INVFX_ROOM, d0), WAIT_MS));
    ck_assert(night_cached("rate", INVFX_ROOM, d0 + 1));
    ck_assert(night_cached("inv", INVFX_ROOM, d0));

    /* A PMS-side cancellation drops the stay's nights [checkIn, checkOut). */
    dates_format_iso(d0 + 7, a);
    dates_format_iso(d0 + 9, b);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_3\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"reservationId\":\"123\",\"roomTypeId\":\"room_456\",\"checkIn\":\"%s\","
             "\"checkOut\":\"%s\",\"status\":\"cancelled\"}",
             a, b);
    publish(topics[0], "lodging.pms.booking.cancelled", data);
    ck_assert(TS_POLL_UNTIL(!night_cached("inv", INVFX_ROOM, d0 + 7) &&
                                !night_cached("inv", INVFX_ROOM, d0 + 8),
                            WAIT_MS));
    ck_assert(night_cached("inv", INVFX_ROOM, d0 + 9));

    /* A fresh read refills exactly what was dropped. */
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, d0, d0 + 9, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "pms");
    json_object_put(o);
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, d0, d0 + 9, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "cache");
    json_object_put(o);
}
END_TEST

START_TEST(test_a_room_update_refreshes_the_room_list)
{
    ck_assert_int_eq(redis_set_ex(f.redis, "hotel:{hotel_123}:rooms", "[]", 3600), REDIS_CLIENT_OK);
    publish(topics[0], "lodging.pms.room.updated",
            "{\"eventId\":\"evt_9\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\"}");
    char *v = NULL;
    ck_assert(TS_POLL_UNTIL((free(v), v = NULL, redis_get(f.redis, "hotel:{hotel_123}:rooms", &v),
                             v && strstr(v, "room_458")),
                            WAIT_MS));
    free(v);
}
END_TEST

static long long count_rows(const char *sql)
{
    char err[256];
    db_t *db = db_new(f.mysql_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    db_result_t *res = NULL;
    db_param_t p[] = {DB_STR(INVFX_HOTEL)};
    ck_assert_int_eq(db_query(db, sql, p, 1, &res), DB_OK);
    int64_t n = -1;
    ck_assert_int_eq(db_result_int64(res, 0, 0, &n), 0);
    db_result_free(res);
    db_free(db);
    return n;
}

/* A room update writes room_types even before the hotel has a listing;
 * a room type the PMS no longer lists stays, marked inactive. */
START_TEST(test_a_room_update_upserts_room_types_and_marks_removed_ones_inactive)
{
    char err[256];
    db_t *db = db_new(f.mysql_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO room_types (vendor, hotel_id, room_type_id, name, "
                             "max_occupancy, total_rooms) VALUES ('cloudbeds', 'hotel_123', "
                             "'room_gone', 'Closed wing', 2, 4)",
                             NULL, 0, NULL, NULL),
                     DB_OK);
    db_free(db);
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM listings WHERE hotel_id = ?"), 0);
    publish(topics[0], "lodging.pms.room.updated",
            "{\"eventId\":\"evt_rooms_db\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\"}");
    ck_assert(TS_POLL_UNTIL(count_rows("SELECT COUNT(*) FROM room_types WHERE hotel_id = ? AND "
                                       "active") == 3,
                            WAIT_MS));
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM room_types WHERE hotel_id = ? AND "
                                "room_type_id = 'room_458' AND max_occupancy = 5 AND "
                                "total_rooms = 3"),
                     1);
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM room_types WHERE hotel_id = ? AND "
                                "room_type_id = 'room_gone' AND NOT active"),
                     1);
}
END_TEST

/* Free rooms of one night of room_456 in room_inventory, -1 when there is no row. */
static long long inventory_available(dates_day_t day)
{
    char sql[256], d[DATES_ISO_LEN + 1];
    dates_format_iso(day, d);
    snprintf(sql, sizeof sql,
             "SELECT COALESCE(MAX(available), -1) FROM room_inventory WHERE hotel_id = ? AND "
             "room_type_id = 'room_456' AND stay_date = '%s' AND total = 10 AND count_known",
             d);
    return count_rows(sql);
}

/* A booking made at the PMS's desk (another channel) moves our ledger of the hotel's rooms:
 * its nights are re-read into room_inventory and dropped from the cache; a change of its
 * dates gives the old nights back (the counts the PMS reports with them) and takes the new. */
START_TEST(test_a_desk_booking_and_its_date_change_move_the_room_inventory_counts)
{
    dates_day_t d0 = dates_today_utc() + 20;
    fill("/api/inventory", d0, d0 + 3);
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], body[256], data[768];
    dates_format_iso(d0, a);
    dates_format_iso(d0 + 2, b);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"startDate\":\"%s\","
             "\"endDate\":\"%s\"}",
             a, b);
    ck_assert_int_eq(ts_sandbox_post(&f.sb, "/_sandbox/frontdesk/book", body), 201);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_desk\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"reservationId\":\"desk_1\",\"roomTypeId\":\"room_456\",\"checkIn\":\"%s\","
             "\"checkOut\":\"%s\",\"status\":\"confirmed\"}",
             a, b);
    publish(topics[0], "lodging.pms.booking.confirmed", data);
    publish(topics[0], "lodging.pms.booking.confirmed", data); /* delivered twice */
    ck_assert(
        TS_POLL_UNTIL(inventory_available(d0) == 9 && inventory_available(d0 + 1) == 9, WAIT_MS));
    ck_assert(!night_cached("inv", INVFX_ROOM, d0) && !night_cached("inv", INVFX_ROOM, d0 + 1));
    ck_assert(night_cached("inv", INVFX_ROOM, d0 + 2));
    ck_assert_int_eq(inventory_available(d0 + 2), -1); /* not the stay's: untouched */

    /* The desk moves it to d0+5..d0+7: the sandbox reports the old nights' counts, then the
     * reservation confirmed with its new stay. */
    char c[DATES_ISO_LEN + 1], e[DATES_ISO_LEN + 1], a1[DATES_ISO_LEN + 1], id[64] = "";
    dates_format_iso(d0 + 5, c);
    dates_format_iso(d0 + 7, e);
    dates_format_iso(d0 + 1, a1);
    struct json_object *ledger = ts_sandbox_get_json(&f.sb, "/_sandbox/ledger?propertyID=hotel_123",
                                                     NULL),
                       *list, *v;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        if (json_object_object_get_ex(r, "startDate", &v) &&
            strcmp(json_object_get_string(v), a) == 0 &&
            json_object_object_get_ex(r, "reservationID", &v))
            snprintf(id, sizeof id, "%s", json_object_get_string(v));
    }
    json_object_put(ledger);
    ck_assert(id[0]);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"hotel_123\",\"reservationID\":\"%s\",\"startDate\":\"%s\","
             "\"endDate\":\"%s\"}",
             id, c, e);
    ck_assert_int_eq(ts_sandbox_post(&f.sb, "/_sandbox/frontdesk/modify", body), 200);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_desk_old\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"roomTypeId\":\"room_456\",\"from\":\"%s\",\"to\":\"%s\",\"nights\":["
             "{\"date\":\"%s\",\"available\":10,\"total\":10},"
             "{\"date\":\"%s\",\"available\":10,\"total\":10}]}",
             a, a1, a, a1);
    publish(topics[0], "lodging.pms.inventory.updated", data);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_desk_new\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"reservationId\":\"desk_1\",\"roomTypeId\":\"room_456\",\"checkIn\":\"%s\","
             "\"checkOut\":\"%s\",\"status\":\"confirmed\"}",
             c, e);
    publish(topics[0], "lodging.pms.booking.confirmed", data);
    ck_assert(TS_POLL_UNTIL(inventory_available(d0) == 10 && inventory_available(d0 + 1) == 10 &&
                                inventory_available(d0 + 5) == 9 &&
                                inventory_available(d0 + 6) == 9,
                            WAIT_MS));
}
END_TEST

/* Cloudbeds' own reservation/created names no room type: the reservation is read from the PMS
 * and its nights still reach room_inventory. */
START_TEST(test_a_booking_report_without_room_type_is_completed_from_the_pms)
{
    dates_day_t d0 = dates_today_utc() + 35;
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], body[256], data[512], id[64] = "";
    dates_format_iso(d0, a);
    dates_format_iso(d0 + 1, b);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"startDate\":\"%s\","
             "\"endDate\":\"%s\"}",
             a, b);
    ck_assert_int_eq(ts_sandbox_post(&f.sb, "/_sandbox/frontdesk/book", body), 201);
    struct json_object *ledger = ts_sandbox_get_json(&f.sb, "/_sandbox/ledger?propertyID=hotel_123",
                                                     NULL),
                       *list, *v;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        if (json_object_object_get_ex(r, "startDate", &v) &&
            strcmp(json_object_get_string(v), a) == 0 &&
            json_object_object_get_ex(r, "reservationID", &v))
            snprintf(id, sizeof id, "%s", json_object_get_string(v));
    }
    json_object_put(ledger);
    ck_assert(id[0]);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_cb_created\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"reservationId\":\"%s\",\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"status\":"
             "\"confirmed\"}",
             id, a, b);
    publish(topics[0], "lodging.pms.booking.confirmed", data);
    ck_assert(TS_POLL_UNTIL(inventory_available(d0) == 9, WAIT_MS));
}
END_TEST

/* A rate changed at the desk: rate_plan follows for those nights, every plan. */
START_TEST(test_a_rate_update_keeps_rate_plan_in_step)
{
    dates_day_t d0 = dates_today_utc() + 25;
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], body[256], data[512];
    dates_format_iso(d0, a);
    dates_format_iso(d0 + 1, b);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"from\":\"%s\","
             "\"to\":\"%s\",\"rate\":131000}",
             a, b);
    ck_assert_int_eq(ts_sandbox_post(&f.sb, "/_sandbox/frontdesk/rate", body), 200);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_rate_desk\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"roomTypeId\":\"room_456\",\"ratePlanId\":\"base\",\"from\":\"%s\",\"to\":\"%s\"}",
             a, b);
    publish(topics[0], "lodging.pms.rate.updated", data);
    ck_assert(TS_POLL_UNTIL(count_rows("SELECT COUNT(*) FROM rate_plan WHERE hotel_id = ? AND "
                                       "room_type_id = 'room_456' AND rate_plan_id = 'base' AND "
                                       "price = 131000 AND currency = 'KRW'") == 2,
                            WAIT_MS));
    /* the other plans of those nights too (three plans a night), and no other night */
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM rate_plan WHERE hotel_id = ?"), 6);
}
END_TEST

START_TEST(test_a_sync_job_fills_redis_and_the_database_and_reports_success)
{
    dates_day_t d0 = dates_today_utc() + 1;
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], data[512], type[64], result[2048];
    dates_format_iso(d0, a);
    dates_format_iso(d0 + 2, b);
    snprintf(data, sizeof data,
             "{\"jobId\":\"job_ok\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"from\":\"%s\",\"to\":\"%s\",\"requestedAt\":\"2025-10-20T09:30:00.000Z\","
             "\"reason\":\"manual\"}",
             a, b);
    publish(topics[1], "lodging.sync.requested", data);
    ck_assert(TS_POLL_UNTIL(result_for("job_ok", type, result, sizeof result), WAIT_MS));
    ck_assert_str_eq(type, "lodging.sync.succeeded");
    struct json_object *r = json_tokener_parse(result);
    invfx_assert_event_data(r, "sync-result");
    ck_assert_int_eq(invfx_int(r, "roomTypes"), 3);
    ck_assert_int_eq(invfx_int(r, "nights"), 9);
    ck_assert_str_eq(invfx_str(r, "hotelId"), INVFX_HOTEL);
    ck_assert_str_eq(invfx_str(r, "from"), a);
    ck_assert_str_eq(invfx_str(r, "to"), b);
    ck_assert(!json_object_object_get_ex(r, "error", NULL));
    json_object_put(r);

    const char *rooms[] = {"room_456", "room_457", "room_458"};
    for (int i = 0; i < 3; i++)
        for (int n = 0; n < 3; n++) {
            ck_assert(night_cached("inv", rooms[i], d0 + n));
            ck_assert(night_cached("rate", rooms[i], d0 + n));
        }
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM room_inventory WHERE hotel_id = ?"), 9);
    /* three plans (base, non-refundable, breakfast) per night, each with its rules */
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM rate_plan WHERE hotel_id = ?"), 27);
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM rate_plan WHERE hotel_id = ? AND "
                                "rate_plan_id = 'base' AND JSON_VALUE(rules, '$.minLos') = 0"),
                     9);
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM room_inventory WHERE hotel_id = ? AND "
                                "room_type_id = 'room_458' AND total = 3 AND available = 3"),
                     3);

    /* Reads are now cache hits. */
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", "room_457", d0, d0 + 2, &o), 200);
    ck_assert_str_eq(invfx_str(o, "source"), "cache");
    json_object_put(o);

    /* The same job again upserts: same rows, a second success. */
    snprintf(data, sizeof data,
             "{\"jobId\":\"job_again\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"from\":\"%s\",\"to\":\"%s\",\"requestedAt\":\"2025-10-20T09:30:00.000Z\"}",
             a, b);
    publish(topics[1], "lodging.sync.requested", data);
    ck_assert(TS_POLL_UNTIL(result_for("job_again", type, result, sizeof result), WAIT_MS));
    ck_assert_str_eq(type, "lodging.sync.succeeded");
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM room_inventory WHERE hotel_id = ?"), 9);
}
END_TEST

START_TEST(test_a_sync_job_reports_failure_when_the_pms_fails)
{
    ts_sandbox_fault(&f.sb, "{\"op\":\"*\",\"status\":500}");
    dates_day_t d0 = dates_today_utc() + 1;
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], data[512], type[64], result[2048];
    dates_format_iso(d0, a);
    dates_format_iso(d0 + 30, b);
    snprintf(data, sizeof data,
             "{\"jobId\":\"job_bad\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"from\":\"%s\",\"to\":\"%s\",\"requestedAt\":\"2025-10-20T09:30:00.000Z\"}",
             a, b);
    publish(topics[1], "lodging.sync.requested", data);
    ck_assert(TS_POLL_UNTIL(result_for("job_bad", type, result, sizeof result), WAIT_MS));
    ck_assert_str_eq(type, "lodging.sync.failed");
    struct json_object *r = json_tokener_parse(result);
    invfx_assert_event_data(r, "sync-result");
    ck_assert(strlen(invfx_str(r, "error")) > 0);
    json_object_put(r);
    ck_assert_int_eq(count_rows("SELECT COUNT(*) FROM room_inventory WHERE hotel_id = ?"), 0);
}
END_TEST

/* Messages seen on pms.events.dlq. */
static pthread_mutex_t dlq_mu = PTHREAD_MUTEX_INITIALIZER;
static int dlq_count;
static char dlq_reason[256];

static kafka_handler_result_t on_dlq(const kafka_message_t *m, void *ctx, char *reason,
                                     size_t reason_size)
{
    (void)ctx;
    (void)reason;
    (void)reason_size;
    char buf[256];
    const char *why = kafka_message_header(m, "x-dlq-reason", buf, sizeof buf);
    pthread_mutex_lock(&dlq_mu);
    dlq_count++;
    snprintf(dlq_reason, sizeof dlq_reason, "%s", why ? why : "");
    pthread_mutex_unlock(&dlq_mu);
    return KAFKA_HANDLER_OK;
}

static int dlq_seen(void)
{
    pthread_mutex_lock(&dlq_mu);
    int n = dlq_count;
    pthread_mutex_unlock(&dlq_mu);
    return n;
}

START_TEST(test_a_malformed_event_goes_to_the_dlq_and_the_next_is_handled)
{
    char group[96], err[256];
    ts_unique_name("itinvc_dlq", group, sizeof group);
    const char *sub[] = {topics[4], NULL};
    kafka_consumer_config_t cc = {
        .brokers = brokers, .group_id = group, .topics = sub, .handler = on_dlq};
    kafka_consumer_t *dlq = kafka_consumer_new(&cc, err, sizeof err);
    ck_assert_msg(dlq != NULL, "%s", err);
    ck_assert_int_eq(kafka_consumer_start(dlq), 0);
    dlq_count = 0;
    const char *junk = "{not json";
    ck_assert_msg(kafka_producer_send_sync(producer, topics[0], INVFX_HOTEL, strlen(INVFX_HOTEL),
                                           junk, strlen(junk), NULL, 0, err, sizeof err) == 0,
                  "%s", err);
    /* An event without its range is poison too. */
    publish(topics[0], "lodging.pms.inventory.updated",
            "{\"eventId\":\"evt_x\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
            "\"roomTypeId\":\"room_456\"}");
    dates_day_t d0 = dates_today_utc() + 3;
    fill("/api/inventory", d0, d0);
    char a[DATES_ISO_LEN + 1], data[512];
    dates_format_iso(d0, a);
    snprintf(data, sizeof data,
             "{\"eventId\":\"evt_y\",\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_123\","
             "\"roomTypeId\":\"room_456\",\"from\":\"%s\",\"to\":\"%s\"}",
             a, a);
    publish(topics[0], "lodging.pms.inventory.updated", data);
    ck_assert(TS_POLL_UNTIL(dlq_seen() >= 2, WAIT_MS));
    ck_assert(TS_POLL_UNTIL(!night_cached("inv", INVFX_ROOM, d0), WAIT_MS));
    pthread_mutex_lock(&dlq_mu);
    ck_assert(strlen(dlq_reason) > 0);
    pthread_mutex_unlock(&dlq_mu);
    kafka_consumer_free(dlq);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_inventory_consumers");
    TCase *tc = tcase_create("consumers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_an_inventory_update_deletes_exactly_the_nights_it_names);
    tcase_add_test(tc, test_a_room_update_refreshes_the_room_list);
    tcase_add_test(tc, test_a_room_update_upserts_room_types_and_marks_removed_ones_inactive);
    tcase_add_test(tc, test_a_desk_booking_and_its_date_change_move_the_room_inventory_counts);
    tcase_add_test(tc, test_a_booking_report_without_room_type_is_completed_from_the_pms);
    tcase_add_test(tc, test_a_rate_update_keeps_rate_plan_in_step);
    tcase_add_test(tc, test_a_sync_job_fills_redis_and_the_database_and_reports_success);
    tcase_add_test(tc, test_a_sync_job_reports_failure_when_the_pms_fails);
    tcase_add_test(tc, test_a_malformed_event_goes_to_the_dlq_and_the_next_is_handled);
    suite_add_tcase(s, tc);
    return check_run(s);
}
