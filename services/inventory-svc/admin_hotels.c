/*
 * admin_hotels.c — the console's hotels over HTTP (see admin_hotels.h).
 */
#include "admin_hotels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/cloudevents.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/http_audit.h"
#include "common/json.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/money.h"
#include "degraded.h"
#include "query.h"
#include "store.h"

#define SYNC_DAYS 30
#define KEY_PROBE_MAX 520

/* ------------------------------------------------------------ cells -- */

void admin_add_text(struct json_object *o, const char *key, const char *db_text)
{
    json_object_object_add(o, key, db_text ? json_object_new_string(db_text) : NULL);
}

void admin_add_time(struct json_object *o, const char *key, const char *db_text)
{
    if (!db_text || strlen(db_text) < 19) {
        json_object_object_add(o, key, NULL);
        return;
    }
    /* "YYYY-MM-DD HH:MM:SS[.fff]" in UTC (the sessions' time zone) */
    char out[32];
    snprintf(out, sizeof out, "%.10sT%.8s.%.3sZ", db_text, db_text + 11,
             strlen(db_text) >= 23 ? db_text + 20 : "000");
    json_object_object_add(o, key, json_object_new_string(out));
}

static void add_int(struct json_object *o, const char *key, const db_result_t *res, size_t row,
                    size_t col)
{
    int64_t v;
    json_object_object_add(
        o, key, db_result_int64(res, row, col, &v) == 0 ? json_object_new_int64(v) : NULL);
}

static void add_number(struct json_object *o, const char *key, const char *db_text)
{
    json_object_object_add(o, key, db_text ? json_object_new_double(strtod(db_text, NULL)) : NULL);
}

static bool cell_true(const db_result_t *res, size_t row, size_t col)
{
    int64_t v = 0;
    return db_result_int64(res, row, col, &v) == 0 && v != 0;
}

/* ------------------------------------------------------- shared JSON -- */

struct json_object *admin_listing_json(db_t *db, const char *vendor, const char *hotel_id)
{
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    struct json_object *o = NULL;
    if (db_query(db,
                 "SELECT vendor, hotel_id, name, address, city, country, latitude, longitude, "
                 "currency, timezone, created_at, updated_at FROM listings WHERE vendor = ? AND "
                 "hotel_id = ?",
                 p, 2, &res) == DB_OK &&
        db_result_rows(res) == 1) {
        o = json_object_new_object();
        admin_add_text(o, "vendor", db_result_text(res, 0, 0));
        admin_add_text(o, "hotelId", db_result_text(res, 0, 1));
        admin_add_text(o, "name", db_result_text(res, 0, 2));
        admin_add_text(o, "address", db_result_text(res, 0, 3));
        admin_add_text(o, "city", db_result_text(res, 0, 4));
        admin_add_text(o, "country", db_result_text(res, 0, 5));
        add_number(o, "latitude", db_result_text(res, 0, 6));
        add_number(o, "longitude", db_result_text(res, 0, 7));
        admin_add_text(o, "currency", db_result_text(res, 0, 8));
        admin_add_text(o, "timezone", db_result_text(res, 0, 9));
        admin_add_time(o, "createdAt", db_result_text(res, 0, 10));
        admin_add_time(o, "updatedAt", db_result_text(res, 0, 11));
    }
    db_result_free(res);
    return o;
}

static struct json_object *photos_of(const char *json_text)
{
    struct json_object *arr = json_object_new_array();
    struct json_object *urls = json_text ? json_tokener_parse(json_text) : NULL;
    for (size_t i = 0;
         urls && json_object_is_type(urls, json_type_array) && i < json_object_array_length(urls);
         i++) {
        struct json_object *u = json_object_array_get_idx(urls, i);
        if (!json_object_is_type(u, json_type_string))
            continue;
        struct json_object *p = json_object_new_object();
        json_object_object_add(p, "url", json_object_new_string(json_object_get_string(u)));
        json_object_object_add(p, "caption", NULL);
        json_object_array_add(arr, p);
    }
    json_object_put(urls);
    return arr;
}

struct json_object *admin_room_types_json(db_t *db, const char *vendor, const char *hotel_id)
{
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT r.room_type_id, r.name, r.max_occupancy, r.total_rooms, "
                 "r.average_price, r.photos, l.currency FROM room_types r LEFT JOIN listings l "
                 "ON l.vendor = r.vendor AND l.hotel_id = r.hotel_id WHERE r.vendor = ? AND "
                 "r.hotel_id = ? ORDER BY r.room_type_id",
                 p, 2, &res) != DB_OK) {
        db_result_free(res);
        return NULL;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < db_result_rows(res); i++) {
        struct json_object *o = json_object_new_object();
        admin_add_text(o, "roomTypeId", db_result_text(res, i, 0));
        admin_add_text(o, "name", db_result_text(res, i, 1));
        add_int(o, "maxOccupancy", res, i, 2);
        add_int(o, "totalRooms", res, i, 3);
        int64_t minor;
        const char *avg = db_result_text(res, i, 4), *cur = db_result_text(res, i, 6);
        json_object_object_add(o, "averagePrice",
                               avg && cur && money_from_decimal_text(avg, cur, &minor) == 0
                                   ? json_object_new_int64(minor)
                                   : NULL);
        json_object_object_add(o, "photos", photos_of(db_result_text(res, i, 5)));
        json_object_array_add(arr, o);
    }
    db_result_free(res);
    return arr;
}

#define POLLING_COLUMNS                                                                            \
    "c.polling_enabled, c.polling_interval_seconds, c.last_sync_at, c.next_sync_at, "              \
    "c.error_count, c.last_error, c.stopped_reason"

/* PollingState from the 7 POLLING_COLUMNS starting at col. */
static struct json_object *polling_of(const db_result_t *res, size_t row, size_t col)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "enabled", json_object_new_boolean(cell_true(res, row, col)));
    add_int(o, "intervalSeconds", res, row, col + 1);
    admin_add_time(o, "lastSyncAt", db_result_text(res, row, col + 2));
    admin_add_time(o, "nextSyncAt", db_result_text(res, row, col + 3));
    add_int(o, "errorCount", res, row, col + 4);
    admin_add_text(o, "lastError", db_result_text(res, row, col + 5));
    admin_add_text(o, "stoppedReason", db_result_text(res, row, col + 6));
    return o;
}

struct json_object *admin_polling_json(db_t *db, const char *vendor, const char *hotel_id)
{
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    struct json_object *o = NULL;
    if (db_query(db,
                 "SELECT " POLLING_COLUMNS " FROM pms_config c WHERE c.vendor = ? AND "
                 "c.hotel_id = ?",
                 p, 2, &res) == DB_OK &&
        db_result_rows(res) == 1)
        o = polling_of(res, 0, 0);
    db_result_free(res);
    return o;
}

/* ------------------------------------------------------------ hotels -- */

#define HOTEL_SELECT                                                                               \
    "SELECT c.vendor, c.hotel_id, c.api_key_enc IS NOT NULL, l.name, l.city, l.country, "          \
    "l.currency, l.updated_at, (SELECT COUNT(*) FROM room_types r WHERE r.vendor = c.vendor AND "  \
    "r.hotel_id = c.hotel_id), " POLLING_COLUMNS " FROM pms_config c LEFT JOIN listings l ON "     \
    "l.vendor = c.vendor AND l.hotel_id = c.hotel_id"

/* One AdminHotel from a HOTEL_SELECT row. */
static struct json_object *hotel_of(inv_app_t *app, const db_result_t *res, size_t row)
{
    const char *vendor = db_result_text(res, row, 0), *hotel = db_result_text(res, row, 1);
    struct json_object *o = json_object_new_object();
    admin_add_text(o, "vendor", vendor);
    admin_add_text(o, "hotelId", hotel);
    admin_add_text(o, "name", db_result_text(res, row, 3));
    json_object_object_add(o, "onboarded",
                           json_object_new_boolean(db_result_text(res, row, 3) != NULL));
    admin_add_text(o, "city", db_result_text(res, row, 4));
    admin_add_text(o, "country", db_result_text(res, row, 5));
    admin_add_text(o, "currency", db_result_text(res, row, 6));
    add_int(o, "roomTypeCount", res, row, 8);
    char key[KEY_PROBE_MAX];
    bool env = pms_key_from_env(NULL, vendor, hotel, key, sizeof key) == 0;
    crypto_wipe(key, sizeof key);
    json_object_object_add(o, "keySource",
                           json_object_new_string(env                      ? "environment"
                                                  : cell_true(res, row, 2) ? "pms_config"
                                                                           : "none"));
    json_object_object_add(o, "polling", polling_of(res, row, 9));
    breaker_state_t b = strcmp(vendor, pms_hotel_vendor(app->pms, hotel)) == 0
                            ? pms_breaker_state(app->pms, hotel)
                            : BREAKER_CLOSED;
    json_object_object_add(o, "breakerState", json_object_new_string(breaker_state_name(b)));
    json_object_object_add(o, "degraded", degraded_hotel_to_json(app->degraded, hotel));
    admin_add_time(o, "updatedAt", db_result_text(res, row, 7));
    return o;
}

static int respond_db_unavailable(http_request_t *req)
{
    http_response_header(req, "Retry-After", "1");
    return http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                              "the database is unavailable; retry shortly");
}

int admin_hotels_list(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    const auth_principal_t *who = http_request_principal(req);
    db_pool_t *pool = inv_store_pool(app->store);
    db_t *db = pool ? db_pool_acquire(pool) : NULL;
    if (!db)
        return respond_db_unavailable(req);
    db_result_t *res = NULL;
    int rc;
    if (db_query(db, HOTEL_SELECT " ORDER BY c.vendor, c.hotel_id", NULL, 0, &res) != DB_OK) {
        rc = respond_db_unavailable(req);
    } else {
        struct json_object *list = json_object_new_array();
        for (size_t i = 0; i < db_result_rows(res); i++)
            if (auth_principal_may_see_hotel(who, db_result_text(res, i, 1)))
                json_object_array_add(list, hotel_of(app, res, i));
        rc = http_respond_json(req, 200, list);
        json_object_put(list);
    }
    db_result_free(res);
    db_pool_release(pool, db);
    return rc;
}

/* The path's hotel when valid, visible to the caller and configured: its
 * AdminHotel (caller owns), with db acquired from pool for the handler to
 * use and release. NULL when answered (400, 404, 503). */
static struct json_object *find_hotel(http_request_t *req, inv_app_t *app, db_pool_t **pool,
                                      db_t **db)
{
    const char *hotel = http_request_param(req, "hotelId");
    json_error_t err;
    if (inv_query_check_id("hotelId", hotel, &err) != 0) {
        http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
        return NULL;
    }
    if (!auth_principal_may_see_hotel(http_request_principal(req), hotel)) {
        http_respond_error(req, 404, "HOTEL_NOT_FOUND", "hotelId", "no such hotel");
        return NULL;
    }
    *pool = inv_store_pool(app->store);
    *db = *pool ? db_pool_acquire(*pool) : NULL;
    if (!*db) {
        respond_db_unavailable(req);
        return NULL;
    }
    db_param_t p[] = {DB_STR(pms_hotel_vendor(app->pms, hotel)), DB_STR(hotel)};
    db_result_t *res = NULL;
    struct json_object *o = NULL;
    db_err_t e = db_query(*db, HOTEL_SELECT " WHERE c.vendor = ? AND c.hotel_id = ?", p, 2, &res);
    if (e != DB_OK)
        respond_db_unavailable(req);
    else if (db_result_rows(res) == 0)
        http_respond_error(req, 404, "HOTEL_NOT_FOUND", "hotelId",
                           "no PMS configuration for this hotel: onboard it first");
    else
        o = hotel_of(app, res, 0);
    db_result_free(res);
    if (!o) {
        db_pool_release(*pool, *db);
        *db = NULL;
    }
    return o;
}

int admin_hotel_get(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    db_pool_t *pool;
    db_t *db;
    struct json_object *o = find_hotel(req, app, &pool, &db);
    if (!o)
        return 0;
    const char *hotel = http_request_param(req, "hotelId");
    const char *vendor = pms_hotel_vendor(app->pms, hotel);
    struct json_object *listing = admin_listing_json(db, vendor, hotel);
    struct json_object *rooms = admin_room_types_json(db, vendor, hotel);
    db_pool_release(pool, db);
    json_object_object_add(o, "listing", listing);
    json_object_object_add(o, "roomTypes", rooms ? rooms : json_object_new_array());
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

/* ----------------------------------------------------------- polling -- */

int admin_hotel_polling(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    /* the hotel first: another hotel's staff learn nothing from the body's checks */
    db_pool_t *pool;
    db_t *db;
    struct json_object *o = find_hotel(req, app, &pool, &db);
    if (!o)
        return 0;
    json_object_put(o);
    struct json_object *body = http_request_json_object(req);
    if (!body) {
        db_pool_release(pool, db);
        return 0;
    }
    json_error_t err;
    bool on = false;
    int64_t interval = 0;
    int rc = 0;
    if (json_get_bool(body, "enabled", true, false, &on, &err) != 0 ||
        json_get_int64(body, "intervalSeconds", false, 30, 86400, 0, &interval, &err) != 0) {
        json_object_put(body);
        db_pool_release(pool, db);
        return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    }
    json_object_put(body);
    const char *hotel = http_request_param(req, "hotelId");
    const char *vendor = pms_hotel_vendor(app->pms, hotel);
    /* assignments run left to right: next_sync_at reads the old
     * polling_enabled — a hotel turned on from off is due at once */
    const char *sql =
        on ? "UPDATE pms_config SET next_sync_at = IF(polling_enabled, next_sync_at, NULL), "
             "polling_enabled = TRUE, error_count = 0, stopped_reason = NULL, "
             "polling_interval_seconds = IF(? > 0, ?, polling_interval_seconds) "
             "WHERE vendor = ? AND hotel_id = ?"
           : "UPDATE pms_config SET next_sync_at = NULL, polling_enabled = FALSE, "
             "stopped_reason = 'manual', "
             "polling_interval_seconds = IF(? > 0, ?, polling_interval_seconds) "
             "WHERE vendor = ? AND hotel_id = ?";
    db_param_t p[] = {DB_INT(interval), DB_INT(interval), DB_STR(vendor), DB_STR(hotel)};
    if (db_exec(db, sql, p, 4, NULL, NULL) != DB_OK) {
        rc = respond_db_unavailable(req);
    } else {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"intervalSeconds\":%lld}", (long long)interval);
        http_audit(db, req, on ? "polling.on" : "polling.off", hotel, NULL,
                   interval > 0 ? detail : NULL);
        db_pool_release(pool, db);
        db = NULL;
        o = find_hotel(req, app, &pool, &db);
        if (o) {
            db_pool_release(pool, db);
            db = NULL;
            rc = http_respond_json(req, 200, o);
            json_object_put(o);
        }
    }
    if (db)
        db_pool_release(pool, db);
    return rc;
}

/* -------------------------------------------------------------- sync -- */

/* Sends a lodging.sync.requested job (reason manual) for today .. today+30.
 * 0 with job_id, or -1 (err says why). */
static int emit_sync_job(inv_app_t *app, const char *vendor, const char *hotel, char *job_id,
                         size_t job_id_size, char *err, size_t err_size)
{
    if (crypto_random_id("job_", job_id, job_id_size) != 0) {
        snprintf(err, err_size, "no random id");
        return -1;
    }
    dates_day_t today = dates_today_utc();
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], now[DATES_RFC3339_LEN + 1];
    dates_format_iso(today, from);
    dates_format_iso(today + SYNC_DAYS, to);
    dates_now_rfc3339(now);
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "jobId", json_object_new_string(job_id));
    json_object_object_add(data, "vendor", json_object_new_string(vendor));
    json_object_object_add(data, "hotelId", json_object_new_string(hotel));
    json_object_object_add(data, "from", json_object_new_string(from));
    json_object_object_add(data, "to", json_object_new_string(to));
    json_object_object_add(data, "requestedAt", json_object_new_string(now));
    json_object_object_add(data, "reason", json_object_new_string("manual"));
    /* cloudevent_new takes data, even when it fails */
    cloudevent_t *ev = cloudevent_new("lodging.sync.requested", "/inventory-svc", hotel, data);
    int rc = -1;
    if (!ev)
        snprintf(err, err_size, "out of memory");
    else
        rc = cloudevent_send_sync(app->producer, app->topic_sync_jobs, hotel, ev, err, err_size);
    cloudevent_free(ev);
    return rc;
}

int admin_hotel_sync(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    db_pool_t *pool;
    db_t *db;
    struct json_object *o = find_hotel(req, app, &pool, &db);
    if (!o)
        return 0;
    json_object_put(o);
    const char *hotel = http_request_param(req, "hotelId");
    const char *vendor = pms_hotel_vendor(app->pms, hotel);
    char job_id[64], err[256];
    int rc;
    if (emit_sync_job(app, vendor, hotel, job_id, sizeof job_id, err, sizeof err) != 0) {
        log_kv(LOG_LEVEL_WARN, "manual sync job not sent", "hotelId", hotel, "error", err, NULL);
        http_response_header(req, "Retry-After", "5");
        rc = http_respond_error(req, 503, "KAFKA_UNAVAILABLE", NULL,
                                "Kafka did not acknowledge the sync job; retry shortly");
    } else {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"jobId\":\"%s\"}", job_id);
        http_audit(db, req, "hotel.sync", hotel, NULL, detail);
        struct json_object *r = json_object_new_object();
        json_object_object_add(r, "jobId", json_object_new_string(job_id));
        rc = http_respond_json(req, 202, r);
        json_object_put(r);
    }
    db_pool_release(pool, db);
    return rc;
}
