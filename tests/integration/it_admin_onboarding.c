/* Onboarding a hotel from its PMS through inventory-svc's admin API, on the
 * real stack (MariaDB, Redis, Kafka) and the pms-sandbox: the preview shows
 * the sandbox's own data and writes nothing; a save writes listings,
 * room_types, room_inventory, rate_plan and pms_config (the key sealed, its
 * plain text nowhere in the database or the log) in one go and the public
 * reads answer for the hotel afterwards; a second save updates; wrong key,
 * unknown hotel, PMS down and every bad field leave nothing behind; roles,
 * hotel scope and CSRF hold. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/db.h"
#include "common/kafka.h"
#include "common/log.h"
#include "inventory_fixture.h"
#include "ts_session.h"

#define HOTEL "hotel_busan"
#define HOTEL_KEY "cbk_sandbox_hotel_busan"
#define ROOM_A "busan_ocean_double"
#define ROOM_B "busan_city_single"
/* two data keys: k2 active, k1 older */
#define KEYRING_ENV                                                                                \
    "PMS_CONFIG_ENCRYPTION_KEYS="                                                                  \
    "k2:2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c,"                         \
    "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define PASSWORD "correct horse battery staple"

static inv_fixture_t f;
static const char *http_threads_env; /* NULL: the service's default */
static char db_name[96];
static char admin_header[TS_AUTH_HEADER_MAX];
static db_t *db;

static void setup(void)
{
    log_init("it_admin_onboarding", LOG_LEVEL_ERROR);
    memset(&f, 0, sizeof f);
    ck_assert_int_eq(
        ts_db_create_migrated("onb", db_name, sizeof db_name, f.mysql_url, sizeof f.mysql_url), 0);
    char p[48];
    ts_unique_name("onb", p, sizeof p);
    snprintf(f.topic_prefix, sizeof f.topic_prefix, "%s.", p);
    const char *brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    const char *bases[] = {"pms.events", "sync.jobs", "sync.results", "ops.alerts",
                           "pms.events.dlq"};
    char topics[5][128], err[256];
    const char *names[5];
    for (int i = 0; i < 5; i++) {
        kafka_topic_name(f.topic_prefix, bases[i], topics[i], sizeof topics[i]);
        names[i] = topics[i];
    }
    ck_assert_msg(kafka_admin_create_topics(brokers, names, 5, 1, 1, 30000, err, sizeof err) == 0,
                  "%s", err);
    char kafka_env[160];
    snprintf(kafka_env, sizeof kafka_env, "KAFKA_BROKERS=%s", brokers);
    const char *env[] = {KEYRING_ENV,           "PMS_RATE_LIMIT_PER_SECOND=1000",
                         "PMS_MAX_RETRIES=1",   "PMS_RETRY_BASE_MS=10",
                         "PMS_TIMEOUT_MS=1500", kafka_env,
                         http_threads_env,      NULL};
    invfx_start(&f, env);
    ck_assert_int_eq(ts_api_key_header(f.mysql_url, "admin", NULL, admin_header, NULL), 0);
    db = db_new(f.mysql_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
}

static void teardown(void)
{
    invfx_stop(&f);
    db_free(db);
    ts_db_drop(db_name);
}

/* ------------------------------------------------------------ helpers -- */

/* A request with the given credential header; *out (optional) the body. */
static int send_as(const char *auth, const char *method, const char *path, const char *json,
                   struct json_object **out)
{
    http_client_response_t r;
    const char *headers[] = {"Content-Type: application/json", auth, NULL};
    http_client_err_t e =
        json ? http_client_request(f.http, method, path, NULL, headers, json, strlen(json), &r)
             : http_client_request(f.http, method, path, NULL, headers, NULL, 0, &r);
    int st = e == HTTP_CLIENT_OK ? r.status : 0;
    if (out)
        *out = r.body ? json_tokener_parse(r.body) : NULL;
    http_client_response_clear(&r);
    return st;
}

static int post_admin(const char *path, const char *json, struct json_object **out)
{
    return send_as(admin_header, "POST", path, json, out);
}

static long long count(const char *sql)
{
    db_param_t p[] = {DB_STR(HOTEL)};
    db_result_t *res = NULL;
    ck_assert_int_eq(db_query(db, sql, p, 1, &res), DB_OK);
    int64_t n = -1;
    ck_assert_int_eq(db_result_int64(res, 0, 0, &n), 0);
    db_result_free(res);
    return n;
}

/* Nothing of the hotel in any table the save writes. */
static void assert_nothing_written(void)
{
    ck_assert_int_eq(count("SELECT COUNT(*) FROM listings WHERE hotel_id = ?"), 0);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM room_types WHERE hotel_id = ?"), 0);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM room_inventory WHERE hotel_id = ?"), 0);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM rate_plan WHERE hotel_id = ?"), 0);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM pms_config WHERE hotel_id = ?"), 0);
}

static const char *str_of(struct json_object *o, const char *key)
{
    return invfx_str(o, key);
}

static struct json_object *member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void assert_error(int status, struct json_object *o, int want_status, const char *code,
                         const char *field)
{
    ck_assert_msg(status == want_status, "status %d (want %d): %s", status, want_status,
                  o ? json_object_to_json_string(o) : "(no body)");
    ck_assert_str_eq(str_of(o, "errorCode"), code);
    if (field)
        ck_assert_str_eq(str_of(o, "field"), field);
}

static const char SAVE_BODY[] =
    "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"" HOTEL_KEY "\","
    "\"name\":\"Haeundae Ocean Hotel\",\"address\":\"264 Haeundaehaebyeon-ro\","
    "\"city\":\"Busan\",\"country\":\"KR\",\"latitude\":35.1587,\"longitude\":129.1604,"
    "\"currency\":\"KRW\",\"timezone\":\"Asia/Seoul\","
    "\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\"},{\"roomTypeId\":\"" ROOM_B "\"}],"
    "\"pollingEnabled\":true,\"pollingIntervalSeconds\":600}";

/* ------------------------------------------------------------ preview -- */

START_TEST(test_preview_shows_the_pms_hotel_and_writes_nothing)
{
    struct json_object *o = NULL;
    int st = post_admin(
        "/api/admin/pms/preview",
        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"" HOTEL_KEY "\"}", &o);
    ck_assert_msg(st == 200, "status %d: %s", st, o ? json_object_to_json_string(o) : "");
    ck_assert_str_eq(str_of(o, "name"), "Haeundae Ocean Hotel");
    ck_assert_str_eq(str_of(o, "city"), "Busan");
    ck_assert_str_eq(str_of(o, "country"), "KR");
    ck_assert_str_eq(str_of(o, "currency"), "KRW");
    ck_assert_str_eq(str_of(o, "timezone"), "Asia/Seoul");
    ck_assert_str_eq(str_of(o, "address"), "264 Haeundaehaebyeon-ro");
    ck_assert_double_eq_tol(json_object_get_double(member(o, "latitude")), 35.1587, 1e-6);
    ck_assert(!json_object_get_boolean(member(o, "onboarded")));
    ck_assert(!strstr(json_object_to_json_string(o), HOTEL_KEY));
    struct json_object *types = member(o, "roomTypes");
    ck_assert_uint_eq(json_object_array_length(types), 2);
    struct json_object *a = json_object_array_get_idx(types, 0);
    ck_assert_str_eq(str_of(a, "roomTypeId"), ROOM_A);
    ck_assert_str_eq(str_of(a, "name"), "Ocean View Double");
    ck_assert_int_eq(invfx_int(a, "maxOccupancy"), 2);
    ck_assert_int_eq(invfx_int(a, "totalRooms"), 12);
    /* the grid and the average are the sandbox's own numbers */
    char from[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc(), from);
    ck_assert_str_eq(str_of(o, "from"), from);
    char path[256];
    snprintf(path, sizeof path,
             "/_sandbox/inventory?propertyID=" HOTEL "&roomTypeID=" ROOM_A "&from=%s", from);
    struct json_object *truth = ts_sandbox_get_json(&f.sb, path, NULL);
    ck_assert(truth != NULL);
    struct json_object *nights = member(a, "nights");
    ck_assert_uint_eq(json_object_array_length(nights), 30);
    int64_t sum = 0;
    for (size_t i = 0; i < 30; i++) {
        struct json_object *n = json_object_array_get_idx(nights, i);
        struct json_object *t = json_object_array_get_idx(truth, i);
        ck_assert_str_eq(str_of(n, "date"), str_of(t, "date"));
        ck_assert_int_eq(invfx_int(n, "available"), invfx_int(t, "available"));
        ck_assert_int_eq(invfx_int(n, "total"), invfx_int(t, "total"));
        ck_assert_int_eq(invfx_int(n, "price"), invfx_int(t, "rate"));
        sum += invfx_int(t, "rate");
    }
    ck_assert_int_eq(json_object_get_int64(member(a, "averagePrice")), (sum + 15) / 30);
    json_object_put(truth);
    json_object_put(o);
    assert_nothing_written();
}
END_TEST

/* The check of id in a preview's (or a refusal's) setupChecks. */
static struct json_object *setup_check(struct json_object *o, const char *id)
{
    struct json_object *checks = member(o, "setupChecks");
    ck_assert_msg(checks && json_object_is_type(checks, json_type_array), "no setupChecks: %s",
                  json_object_to_json_string(o));
    for (size_t i = 0; i < json_object_array_length(checks); i++) {
        struct json_object *c = json_object_array_get_idx(checks, i);
        if (strcmp(str_of(c, "id"), id) == 0)
            return c;
    }
    ck_abort_msg("no check %s in %s", id, json_object_to_json_string(checks));
    return NULL;
}

/* A hotel set up as the connector needs passes; one whose PMS lacks the
 * holdExpiresAt field shows it failed and cannot be saved; a check the PMS
 * could not answer is unknown and does not block. */
START_TEST(test_property_settings_are_checked)
{
    const char *preview =
        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"" HOTEL_KEY "\"}";
    struct json_object *o = NULL;
    int st = post_admin("/api/admin/pms/preview", preview, &o);
    ck_assert_msg(st == 200, "status %d", st);
    ck_assert_str_eq(str_of(setup_check(o, "holdExpiresAtField"), "state"), "ok");
    ck_assert(json_object_get_boolean(member(setup_check(o, "cashPayment"), "ok")));
    struct json_object *status = setup_check(o, "notConfirmedStatus");
    ck_assert_str_eq(str_of(status, "state"), "unknown");
    ck_assert(member(status, "ok") == NULL); /* null */
    json_object_put(o);

    ck_assert_int_eq(ts_sandbox_post(&f.sb, "/_sandbox/frontdesk/setup",
                                     "{\"propertyID\":\"" HOTEL "\",\"holdField\":false}"),
                     200);
    o = NULL;
    st = post_admin("/api/admin/pms/preview", preview, &o);
    ck_assert_msg(st == 200, "status %d", st);
    struct json_object *hold = setup_check(o, "holdExpiresAtField");
    ck_assert_str_eq(str_of(hold, "state"), "missing");
    ck_assert(!json_object_get_boolean(member(hold, "ok")));
    ck_assert(strstr(str_of(hold, "message"), "holdExpiresAt") != NULL);
    ck_assert_str_eq(str_of(setup_check(o, "cashPayment"), "state"), "ok");
    json_object_put(o);
    o = NULL;
    st = post_admin("/api/admin/listings", SAVE_BODY, &o);
    assert_error(st, o, 409, "PMS_SETUP_INCOMPLETE", "holdExpiresAtField");
    ck_assert(strstr(str_of(o, "error"), "holdExpiresAt") != NULL);
    ck_assert_str_eq(str_of(setup_check(o, "holdExpiresAtField"), "state"), "missing");
    json_object_put(o);
    assert_nothing_written();

    /* the PMS failing the check does not block: unknown, and Save goes on */
    ck_assert_int_eq(
        ts_sandbox_post(&f.sb, "/_sandbox/frontdesk/setup", "{\"propertyID\":\"" HOTEL "\"}"), 200);
    ts_sandbox_fault(&f.sb, "{\"op\":\"getCustomFields\",\"status\":500}");
    o = NULL;
    st = post_admin("/api/admin/listings", SAVE_BODY, &o);
    ck_assert_msg(st == 201, "status %d: %s", st, o ? json_object_to_json_string(o) : "");
    json_object_put(o);
    ts_sandbox_clear_faults(&f.sb);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM listings WHERE hotel_id = ?"), 1);
}
END_TEST

START_TEST(test_pms_text_is_answered_as_the_pms_gave_it)
{
    /* markup from the PMS is data: the API answers it verbatim (JSON-escaped),
     * the page shows it as text */
    struct json_object *o = NULL;
    int st = post_admin("/api/admin/pms/preview",
                        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_markup\","
                        "\"apiKey\":\"cbk_sandbox_hotel_markup\"}",
                        &o);
    ck_assert_msg(st == 200, "status %d", st);
    ck_assert_str_eq(str_of(o, "name"),
                     "<script>alert('pwned')</script><b>Markup</b> & \"Quotes\" Inn");
    ck_assert_str_eq(str_of(json_object_array_get_idx(member(o, "roomTypes"), 0), "name"),
                     "<i>Room</i> <script>alert(2)</script>");
    json_object_put(o);
}
END_TEST

START_TEST(test_preview_refusals_are_plain_and_write_nothing)
{
    struct json_object *o = NULL;
    int st = post_admin(
        "/api/admin/pms/preview",
        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"cbk_wrong_key\"}", &o);
    assert_error(st, o, 422, "PMS_AUTH_FAILED", "apiKey");
    ck_assert_str_eq(str_of(o, "breakerState"), "closed");
    json_object_put(o);

    st = post_admin(
        "/api/admin/pms/preview",
        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_nowhere\",\"apiKey\":\"" HOTEL_KEY "\"}",
        &o);
    assert_error(st, o, 404, "HOTEL_NOT_FOUND", "hotelId");
    json_object_put(o);

    /* a key is needed when none is stored */
    st = post_admin("/api/admin/pms/preview",
                    "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\"}", &o);
    assert_error(st, o, 400, "VALIDATION_ERROR", "apiKey");
    json_object_put(o);

    static const struct {
        const char *body, *code, *field;
    } bad[] = {
        {"{\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\"}", "VALIDATION_ERROR", "vendor"},
        {"{\"vendor\":\"mews\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\"}", "UNKNOWN_VENDOR",
         "vendor"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"a b\",\"apiKey\":\"k\"}", "VALIDATION_ERROR",
         "hotelId"},
        {"{\"vendor\":\"cloudbeds\",\"apiKey\":\"k\"}", "VALIDATION_ERROR", "hotelId"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"\"}", "VALIDATION_ERROR",
         "apiKey"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"a\\nb\"}",
         "VALIDATION_ERROR", "apiKey"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        st = post_admin("/api/admin/pms/preview", bad[i].body, &o);
        assert_error(st, o, 400, bad[i].code, bad[i].field);
        json_object_put(o);
    }

    /* the PMS down: every call 500 → after the retries, 502 with the breaker's state */
    ts_sandbox_fault(&f.sb, "{\"op\":\"*\",\"status\":500}");
    st = post_admin(
        "/api/admin/pms/preview",
        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"" HOTEL_KEY "\"}", &o);
    ck_assert_msg(st == 502 || st == 503, "status %d", st);
    ck_assert_str_eq(str_of(o, "errorCode"), "PMS_UNAVAILABLE");
    ck_assert(member(o, "breakerState") != NULL);
    json_object_put(o);
    st = post_admin("/api/admin/listings", SAVE_BODY, &o);
    ck_assert_msg(st == 502 || st == 503, "status %d", st);
    json_object_put(o);
    ts_sandbox_clear_faults(&f.sb);
    assert_nothing_written();
}
END_TEST

/* --------------------------------------------------------------- save -- */

START_TEST(test_save_onboards_then_updates_the_one_listing)
{
    struct json_object *o = NULL;
    int st = post_admin("/api/admin/listings", SAVE_BODY, &o);
    ck_assert_msg(st == 201, "status %d: %s", st, o ? json_object_to_json_string(o) : "");
    ck_assert(json_object_get_boolean(member(o, "created")));
    ck_assert_int_eq(invfx_int(o, "nightsSaved"), 60);
    ck_assert(json_object_get_boolean(member(o, "cacheWarmed")));
    ck_assert_str_eq(str_of(member(o, "listing"), "name"), "Haeundae Ocean Hotel");
    ck_assert_int_eq(invfx_int(member(o, "polling"), "intervalSeconds"), 600);
    json_object_put(o);

    ck_assert_int_eq(count("SELECT COUNT(*) FROM listings WHERE hotel_id = ?"), 1);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM room_types WHERE hotel_id = ?"), 2);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM room_inventory WHERE hotel_id = ?"), 60);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM rate_plan WHERE hotel_id = ?"), 60);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM room_types WHERE hotel_id = ? AND "
                           "room_type_id = 'busan_ocean_double' AND max_occupancy = 2 AND "
                           "total_rooms = 12 AND name = 'Ocean View Double'"),
                     1);
    /* the rows equal the sandbox's nights */
    char from[DATES_ISO_LEN + 1], path[256];
    dates_format_iso(dates_today_utc(), from);
    snprintf(path, sizeof path,
             "/_sandbox/inventory?propertyID=" HOTEL "&roomTypeID=" ROOM_B "&from=%s", from);
    struct json_object *truth = ts_sandbox_get_json(&f.sb, path, NULL);
    for (size_t i = 0; i < 30; i++) {
        struct json_object *t = json_object_array_get_idx(truth, i);
        db_param_t p[] = {DB_STR(HOTEL), DB_STR(str_of(t, "date"))};
        db_result_t *res = NULL;
        ck_assert_int_eq(db_query(db,
                                  "SELECT i.available, i.total, CAST(r.price AS SIGNED) FROM "
                                  "room_inventory i JOIN rate_plan r ON r.hotel_id = i.hotel_id "
                                  "AND r.room_type_id = i.room_type_id AND r.stay_date = "
                                  "i.stay_date WHERE i.hotel_id = ? AND i.room_type_id = "
                                  "'busan_city_single' AND i.stay_date = ?",
                                  p, 2, &res),
                         DB_OK);
        ck_assert_uint_eq(db_result_rows(res), 1);
        int64_t av, tot, price;
        db_result_int64(res, 0, 0, &av);
        db_result_int64(res, 0, 1, &tot);
        db_result_int64(res, 0, 2, &price);
        ck_assert_int_eq(av, invfx_int(t, "available"));
        ck_assert_int_eq(tot, invfx_int(t, "total"));
        ck_assert_int_eq(price, invfx_int(t, "rate"));
        db_result_free(res);
    }
    json_object_put(truth);

    /* the key: sealed under the active data key, its plain text nowhere */
    ck_assert_int_eq(count("SELECT COUNT(*) FROM pms_config WHERE hotel_id = ? AND "
                           "api_key_key_id = 'k2' AND LENGTH(api_key_enc) > 30 AND "
                           "polling_enabled AND polling_interval_seconds = 600"),
                     1);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM pms_config WHERE hotel_id = ? AND "
                           "LOCATE('" HOTEL_KEY "', api_key_enc) > 0"),
                     0);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM audit_log WHERE hotel_id = ? AND "
                           "action = 'listing.create' AND LOCATE('" HOTEL_KEY "', "
                           "COALESCE(detail, '')) = 0"),
                     1);

    /* the booking site's reads answer for the new hotel (key from pms_config) */
    const char *vq[] = {"vendor", "cloudbeds", NULL};
    st = invfx_get(&f, "/api/hotels/" HOTEL "/room-types", vq, &o);
    ck_assert_msg(st == 200, "room-types status %d", st);
    json_object_put(o);
    char to[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + 3, to);
    const char *q[] = {"vendor", "cloudbeds", "hotelId", HOTEL, "roomTypeId", ROOM_A,
                       "from",   from,        "to",      to,    NULL};
    st = invfx_get(&f, "/api/inventory", q, &o);
    ck_assert_msg(st == 200, "inventory status %d", st);
    ck_assert_str_eq(str_of(o, "source"), "cache"); /* warmed by the save */
    json_object_put(o);

    /* saved again, with the stored key and one room type: an update */
    st = post_admin("/api/admin/listings",
                    "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\","
                    "\"name\":\"Haeundae Ocean\",\"currency\":\"KRW\",\"pollingEnabled\":false,"
                    "\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\",\"name\":\"Ocean Double\"}]}",
                    &o);
    ck_assert_msg(st == 200, "status %d: %s", st, o ? json_object_to_json_string(o) : "");
    ck_assert(!json_object_get_boolean(member(o, "created")));
    ck_assert_str_eq(str_of(member(o, "polling"), "stoppedReason"), "manual");
    json_object_put(o);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM listings WHERE hotel_id = ? AND "
                           "name = 'Haeundae Ocean'"),
                     1);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM room_types WHERE hotel_id = ?"), 1);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM room_inventory WHERE hotel_id = ?"), 30);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM pms_config WHERE hotel_id = ? AND "
                           "api_key_key_id = 'k2' AND NOT polling_enabled"),
                     1);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM audit_log WHERE hotel_id = ? AND "
                           "action = 'listing.update'"),
                     1);

    /* the console lists it */
    st = send_as(admin_header, "GET", "/api/admin/hotels/" HOTEL, NULL, &o);
    ck_assert_msg(st == 200, "status %d", st);
    ck_assert(json_object_get_boolean(member(o, "onboarded")));
    ck_assert_str_eq(str_of(o, "keySource"), "pms_config");
    ck_assert_uint_eq(json_object_array_length(member(o, "roomTypes")), 1);
    json_object_put(o);

    /* the key's plain text never reached the service's log */
    size_t len = 0;
    char *log = ts_read_file(f.log_path, &len);
    ck_assert_msg(!log || !strstr(log, HOTEL_KEY), "the API key is in %s", f.log_path);
    free(log);
}
END_TEST

START_TEST(test_every_bad_field_is_named_and_nothing_written)
{
    static const struct {
        const char *body, *field;
    } bad[] = {
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL
         "\",\"apiKey\":\"k\",\"currency\":\"KRW\","
         "\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\"}]}",
         "name"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"krw\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\"}]}",
         "currency"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"country\":\"Korea\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A
         "\"}]}",
         "country"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"latitude\":200,\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\"}]}",
         "latitude"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"longitude\":\"east\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A
         "\"}]}",
         "longitude"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"pollingIntervalSeconds\":5,\"roomTypes\":[{\"roomTypeId\":"
         "\"" ROOM_A "\"}]}",
         "pollingIntervalSeconds"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"pollingEnabled\":\"yes\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A
         "\"}]}",
         "pollingEnabled"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"roomTypes\":[]}",
         "roomTypes"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\"},{\"name\":\"y\"}]}",
         "roomTypes[1].roomTypeId"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"k\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A
         "\"},{\"roomTypeId\":\"" ROOM_A "\"}]}",
         "roomTypes[1].roomTypeId"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"name\":\"x\","
         "\"currency\":\"KRW\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\"}]}",
         "apiKey"},
        /* checked against the PMS's own answer */
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"" HOTEL_KEY "\","
         "\"name\":\"x\",\"currency\":\"KRW\",\"roomTypes\":[{\"roomTypeId\":\"room_nope\"}]}",
         "roomTypes[0].roomTypeId"},
        {"{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"" HOTEL_KEY "\","
         "\"name\":\"x\",\"currency\":\"USD\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\"}]}",
         "currency"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct json_object *o = NULL;
        int st = post_admin("/api/admin/listings", bad[i].body, &o);
        assert_error(st, o, 400, "VALIDATION_ERROR", bad[i].field);
        json_object_put(o);
    }
    struct json_object *o = NULL;
    int st = post_admin(
        "/api/admin/listings",
        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"apiKey\":\"wrong\","
        "\"name\":\"x\",\"currency\":\"KRW\",\"roomTypes\":[{\"roomTypeId\":\"" ROOM_A "\"}]}",
        &o);
    assert_error(st, o, 422, "PMS_AUTH_FAILED", "apiKey");
    json_object_put(o);
    st = post_admin(
        "/api/admin/listings",
        "{\"vendor\":\"cloudbeds\",\"hotelId\":\"hotel_nowhere\",\"apiKey\":\"" HOTEL_KEY "\","
        "\"name\":\"x\",\"currency\":\"KRW\",\"roomTypes\":[{\"roomTypeId\":\"r\"}]}",
        &o);
    assert_error(st, o, 404, "HOTEL_NOT_FOUND", "hotelId");
    json_object_put(o);
    assert_nothing_written();
}
END_TEST

/* ------------------------------------------------------ double click -- */

/* An admin's POST made from a thread of its own. */
typedef struct admin_post {
    const char *path, *body;
    int status;
    atomic_bool done;
} admin_post_t;

static void *admin_post_thread(void *arg)
{
    admin_post_t *p = arg;
    /* a client of its own: the fixture's is used by one thread at a time */
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", f.port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 30000};
    http_client_t *c = http_client_new(&cc);
    const char *headers[] = {"Content-Type: application/json", admin_header, NULL};
    http_client_response_t r;
    p->status = http_client_request(c, "POST", p->path, NULL, headers, p->body, strlen(p->body),
                                    &r) == HTTP_CLIENT_OK
                    ? r.status
                    : 0;
    http_client_response_clear(&r);
    http_client_free(c);
    atomic_store(&p->done, true);
    return NULL;
}

START_TEST(test_two_saves_at_once_make_one_listing)
{
    admin_post_t s[2] = {{.path = "/api/admin/listings", .body = SAVE_BODY},
                         {.path = "/api/admin/listings", .body = SAVE_BODY}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, admin_post_thread, &s[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg((s[0].status == 201 && s[1].status == 200) ||
                      (s[0].status == 200 && s[1].status == 201),
                  "statuses %d and %d", s[0].status, s[1].status);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM listings WHERE hotel_id = ?"), 1);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM pms_config WHERE hotel_id = ?"), 1);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM room_inventory WHERE hotel_id = ?"), 60);
}
END_TEST

/* ------------------------------------------- one worker, a slow PMS -- */

/* One HTTP worker (HTTP_THREADS=1) serves every connection: a preview that
 * waits for a slow PMS is answered off it, so the other connections'
 * requests are answered meanwhile instead of queueing behind it. */
START_TEST(test_a_preview_waiting_for_the_pms_holds_up_no_other_request)
{
    ts_sandbox_fault(&f.sb, "{\"op\":\"getRoomTypes\",\"latencyMs\":1200}");
    admin_post_t p = {.path = "/api/admin/pms/preview",
                      .body = "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL
                              "\",\"apiKey\":\"" HOTEL_KEY "\"}"};
    atomic_init(&p.done, false);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, admin_post_thread, &p), 0);
    ck_assert_msg(
        TS_POLL_UNTIL(ts_sandbox_fault_hits(&f.sb, "getRoomTypes") >= 1 || atomic_load(&p.done),
                      10000),
        "the preview never reached the PMS");
    ck_assert(!atomic_load(&p.done));
    for (int i = 0; i < 5; i++) {
        struct json_object *o = NULL;
        ck_assert_int_eq(send_as(admin_header, "GET", "/api/admin/vendors", NULL, &o), 200);
        json_object_put(o);
    }
    ck_assert_msg(!atomic_load(&p.done), "the other requests waited for the preview");
    pthread_join(t, NULL);
    ck_assert_int_eq(p.status, 200);
}
END_TEST

static void setup_one_worker(void)
{
    http_threads_env = "HTTP_THREADS=1";
    setup();
}

static void teardown_one_worker(void)
{
    teardown();
    http_threads_env = NULL;
}

/* ------------------------------------------------------ who may do it -- */

START_TEST(test_roles_scope_and_csrf)
{
    char viewer[TS_AUTH_HEADER_MAX], limited[TS_AUTH_HEADER_MAX], op[TS_AUTH_HEADER_MAX];
    ck_assert_int_eq(ts_api_key_header(f.mysql_url, "viewer", NULL, viewer, NULL), 0);
    ck_assert_int_eq(ts_api_key_header(f.mysql_url, "admin", "hotel_123", limited, NULL), 0);
    ck_assert_int_eq(ts_api_key_header(f.mysql_url, "operator", "hotel_123", op, NULL), 0);
    struct json_object *o = NULL;
    ck_assert_int_eq(send_as(viewer, "GET", "/api/admin/vendors", NULL, &o), 200);
    struct json_object *v = json_object_array_get_idx(o, 0);
    ck_assert_str_eq(str_of(v, "vendor"), "cloudbeds");
    ck_assert(json_object_get_boolean(member(v, "active")));
    ck_assert(json_object_get_boolean(member(v, "default"))); /* this deployment's connector */
    ck_assert_str_eq(str_of(json_object_array_get_idx(member(v, "credentials"), 0), "field"),
                     "apiKey");
    v = json_object_array_get_idx(o, 1); /* platform-wide credentials: only the hotel's code */
    ck_assert_str_eq(str_of(v, "vendor"), "opera");
    ck_assert(!json_object_get_boolean(member(v, "default")));
    ck_assert_int_eq((int)json_object_array_length(member(v, "credentials")), 0);
    json_object_put(o);
    ck_assert_int_eq(send_as(viewer, "POST", "/api/admin/pms/preview",
                             "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\"}", NULL),
                     403);
    ck_assert_int_eq(send_as(viewer, "POST", "/api/admin/listings", SAVE_BODY, NULL), 403);
    ck_assert_int_eq(send_as(op, "POST", "/api/admin/listings", SAVE_BODY, NULL), 403);
    int st = send_as(limited, "POST", "/api/admin/listings", SAVE_BODY, &o);
    assert_error(st, o, 403, "FORBIDDEN", "hotelId");
    json_object_put(o);
    ck_assert_int_eq(send_as("X-Nothing: 1", "POST", "/api/admin/listings", SAVE_BODY, NULL), 401);
    assert_nothing_written();

    /* a person's session: the save needs the CSRF token */
    ck_assert_int_eq(ts_account_create(f.mysql_url, "admin@example.com", "admin", NULL, PASSWORD),
                     0);
    ts_session_t s;
    ck_assert_int_eq(ts_session_login(f.port, "admin@example.com", PASSWORD, &s), 200);
    st = send_as(s.cookie_header, "POST", "/api/admin/listings", SAVE_BODY, &o);
    assert_error(st, o, 403, "CSRF_REQUIRED", NULL);
    json_object_put(o);
    assert_nothing_written();
    http_client_response_t r;
    const char *headers[] = {"Content-Type: application/json", s.cookie_header, s.csrf_header,
                             NULL};
    ck_assert_int_eq(http_client_request(f.http, "POST", "/api/admin/listings", NULL, headers,
                                         SAVE_BODY, strlen(SAVE_BODY), &r),
                     HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 201);
    http_client_response_clear(&r);

    /* hotel-limited staff see only their hotels */
    ck_assert_int_eq(send_as(op, "GET", "/api/admin/hotels", NULL, &o), 200);
    ck_assert_uint_eq(json_object_array_length(o), 0);
    json_object_put(o);
    ck_assert_int_eq(send_as(op, "GET", "/api/admin/hotels/" HOTEL, NULL, NULL), 404);
    ck_assert_int_eq(send_as(op, "POST", "/api/admin/hotels/" HOTEL "/sync", NULL, NULL), 404);
    ck_assert_int_eq(send_as(viewer, "GET", "/api/admin/hotels", NULL, &o), 200);
    ck_assert_uint_eq(json_object_array_length(o), 1);
    json_object_put(o);
    ck_assert_int_eq(
        send_as(viewer, "PUT", "/api/admin/hotels/" HOTEL "/polling", "{\"enabled\":false}", NULL),
        403);
}
END_TEST

/* ------------------------------------------------------------ console -- */

START_TEST(test_polling_switch_and_sync_now)
{
    ck_assert_int_eq(post_admin("/api/admin/listings", SAVE_BODY, NULL), 201);
    struct json_object *o = NULL;
    int st = send_as(admin_header, "PUT", "/api/admin/hotels/" HOTEL "/polling",
                     "{\"enabled\":false}", &o);
    ck_assert_msg(st == 200, "status %d", st);
    ck_assert(!json_object_get_boolean(member(member(o, "polling"), "enabled")));
    ck_assert_str_eq(str_of(member(o, "polling"), "stoppedReason"), "manual");
    json_object_put(o);
    st = send_as(admin_header, "PUT", "/api/admin/hotels/" HOTEL "/polling",
                 "{\"enabled\":true,\"intervalSeconds\":120}", &o);
    ck_assert_msg(st == 200, "status %d", st);
    ck_assert(json_object_get_boolean(member(member(o, "polling"), "enabled")));
    ck_assert_int_eq(invfx_int(member(o, "polling"), "intervalSeconds"), 120);
    ck_assert(member(member(o, "polling"), "stoppedReason") == NULL);
    json_object_put(o);
    st = send_as(admin_header, "PUT", "/api/admin/hotels/" HOTEL "/polling",
                 "{\"enabled\":true,\"intervalSeconds\":1}", &o);
    assert_error(st, o, 400, "VALIDATION_ERROR", "intervalSeconds");
    json_object_put(o);
    ck_assert_int_eq(send_as(admin_header, "PUT", "/api/admin/hotels/hotel_nowhere/polling",
                             "{\"enabled\":true}", NULL),
                     404);
    st = send_as(admin_header, "POST", "/api/admin/hotels/" HOTEL "/sync", NULL, &o);
    ck_assert_msg(st == 202, "status %d", st);
    ck_assert(strncmp(str_of(o, "jobId"), "job_", 4) == 0);
    json_object_put(o);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM audit_log WHERE hotel_id = ? AND action IN "
                           "('polling.on', 'polling.off', 'hotel.sync')"),
                     3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_admin_onboarding");
    TCase *tc = tcase_create("stack");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_preview_shows_the_pms_hotel_and_writes_nothing);
    tcase_add_test(tc, test_pms_text_is_answered_as_the_pms_gave_it);
    tcase_add_test(tc, test_property_settings_are_checked);
    tcase_add_test(tc, test_preview_refusals_are_plain_and_write_nothing);
    tcase_add_test(tc, test_save_onboards_then_updates_the_one_listing);
    tcase_add_test(tc, test_every_bad_field_is_named_and_nothing_written);
    tcase_add_test(tc, test_two_saves_at_once_make_one_listing);
    tcase_add_test(tc, test_roles_scope_and_csrf);
    tcase_add_test(tc, test_polling_switch_and_sync_now);
    suite_add_tcase(s, tc);
    TCase *one = tcase_create("one_worker");
    tcase_set_timeout(one, 120);
    tcase_add_checked_fixture(one, setup_one_worker, teardown_one_worker);
    tcase_add_test(one, test_a_preview_waiting_for_the_pms_holds_up_no_other_request);
    suite_add_tcase(s, one);
    return check_run(s);
}
