/*
 * consumers.c — pms.events and sync.jobs handlers (consumers.h).
 */
#include "consumers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "common/cloudevents.h"
#include "common/json.h"
#include "common/log.h"
#include "fetch.h"
#include "query.h"
#include "store.h"

#define GROUP_ID "inventory-svc"
#define SOURCE "/inventory-svc"
#define SYNC_ERROR_MAX 512

/* inventory_events_total outcome label per kafka_handler_result_t. */
static const char *const OUTCOME[] = {"ok", "retry", "poison"};

/* ------------------------------------------------------------ helpers -- */

static kafka_handler_result_t poison(char *reason, size_t size, const char *fmt, const char *what)
{
    snprintf(reason, size, fmt, what);
    return KAFKA_HANDLER_POISON;
}

/* A required string field of data that must be a valid id. */
static const char *id_field(struct json_object *data, const char *name)
{
    const char *v = NULL;
    json_error_t err;
    if (json_get_string(data, name, true, 1, INV_ID_MAX_LEN, &v, &err) != 0 || !inv_id_valid(v))
        return NULL;
    return v;
}

/* An optional YYYY-MM-DD field: 1 and the day, 0 when absent, -1 when malformed. */
static int date_field(struct json_object *data, const char *name, dates_day_t *out)
{
    const char *v = NULL;
    json_error_t err;
    if (json_get_string(data, name, false, 1, 32, &v, &err) != 0)
        return -1;
    if (!v)
        return 0;
    return dates_parse_iso(v, out) == 0 ? 1 : -1;
}

int inv_invalidate_nights(inv_app_t *app, inv_key_family_t family, const char *hotel_id,
                          const char *room_type_id, dates_day_t first, int count)
{
    long long deleted = 0;
    int rc = inv_cache_invalidate(app, family, hotel_id, room_type_id, first, count, &deleted);
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(first, day);
    log_kv(LOG_LEVEL_DEBUG, "cache invalidated", "hotelId", hotel_id, "roomTypeId", room_type_id,
           "from", day, LOG_INT("nights", count), LOG_INT("deleted", deleted), NULL);
    return rc;
}

/* ---------------------------------------------------------- pms.events -- */

/* The event's known vendor, or NULL. */
static const char *vendor_field(struct json_object *data)
{
    const char *vendor = NULL;
    json_error_t jerr;
    if (json_get_string(data, "vendor", true, 1, 32, &vendor, &jerr) != 0 ||
        inv_query_check_vendor(vendor, &jerr) != 0)
        return NULL;
    return vendor;
}

/* The counts an inventory update carries (nights[] with available and total, as the sandbox
 * sends them; without total from a vendor that tells no count — OPERA's 1 "bookable" or 0, as
 * booking-svc's change feed reads them) → room_inventory, so the ledger moves with every change the PMS reports. Events
 * without counts (Cloudbeds' room blocks) leave it to the next sync. 0, or -1 when the
 * database failed. */
static int store_reported_counts(inv_app_t *app, struct json_object *data, const char *hotel,
                                 const char *room)
{
    const char *vendor = vendor_field(data);
    struct json_object *arr = NULL;
    json_error_t jerr;
    if (!vendor || json_get_array(data, "nights", false, &arr, &jerr) != 0 || !arr)
        return 0;
    size_t count = json_object_array_length(arr);
    if (count == 0 || count > PMS_MAX_NIGHTS)
        return 0;
    pms_nights_t nights = {.items = calloc(count, sizeof(pms_night_t)), .count = count};
    if (!nights.items)
        return -1;
    for (size_t i = 0; i < count; i++) {
        struct json_object *n = json_object_array_get_idx(arr, i);
        int64_t available = -1, total = -1;
        if (!json_object_is_type(n, json_type_object) ||
            date_field(n, "date", &nights.items[i].date) != 1 ||
            json_get_int64(n, "available", true, 0, INT32_MAX, -1, &available, &jerr) != 0 ||
            json_get_int64(n, "total", false, 0, INT32_MAX, -1, &total, &jerr) != 0 ||
            (total >= 0 && available > total) || (total < 0 && available > 1)) {
            free(nights.items);
            return 0; /* not counts we can trust: the next sync brings them */
        }
        nights.items[i].available = (int)available;
        nights.items[i].total = total < 0 ? 0 : (int)total;
        nights.items[i].count_unknown = total < 0;
    }
    int rc = inv_store_upsert_inventory(app->store, vendor, hotel, room, &nights);
    free(nights.items);
    return rc;
}

/* A rate change at the PMS: every plan of those nights re-read into rate_plan (one PMS call;
 * rate changes are the desk's, rare beside availability). A PMS failure leaves the rows to the
 * next sync. 0, or -1 when the database failed. */
static int store_rate_plans(inv_app_t *app, struct json_object *data, const char *hotel,
                            const char *room, dates_day_t from, int nights)
{
    const char *vendor = vendor_field(data);
    if (!vendor)
        return 0;
    pms_rate_plans_t plans = {0};
    pms_error_t e = {0};
    if (pms_get_rate_plans(app->pms, hotel, room, from, nights, &plans, &e) != PMS_OK) {
        log_kv(LOG_LEVEL_WARN, "rate plans not re-read; rate_plan waits for the next sync",
               "hotelId", hotel, "roomTypeId", room, "error", e.message, NULL);
        pms_rate_plans_free(&plans);
        return 0;
    }
    int rc = inv_store_upsert_rate_plans(app->store, vendor, hotel, room, &plans);
    pms_rate_plans_free(&plans);
    return rc;
}

/* inventory/rate updated: exactly the keys of [from, to]; counts it carries go to
 * room_inventory, the nights' rate plans to rate_plan. */
static kafka_handler_result_t on_range_updated(inv_app_t *app, struct json_object *data,
                                               inv_key_family_t family, char *reason, size_t size)
{
    const char *hotel = id_field(data, "hotelId"), *room = id_field(data, "roomTypeId");
    dates_day_t from, to;
    if (!hotel || !room)
        return poison(reason, size, "%s", "hotelId/roomTypeId missing or invalid");
    if (date_field(data, "from", &from) != 1 || date_field(data, "to", &to) != 1 || to < from ||
        to - from + 1 > PMS_MAX_NIGHTS)
        return poison(reason, size, "%s", "from/to missing, malformed or out of order");
    if (family == INV_KEY_INVENTORY && store_reported_counts(app, data, hotel, room) != 0)
        return KAFKA_HANDLER_RETRY;
    if (family == INV_KEY_RATE &&
        store_rate_plans(app, data, hotel, room, from, (int)(to - from + 1)) != 0)
        return KAFKA_HANDLER_RETRY;
    return inv_invalidate_nights(app, family, hotel, room, from, (int)(to - from + 1)) == 0
               ? KAFKA_HANDLER_OK
               : KAFKA_HANDLER_RETRY;
}

/* The stay's nights as the PMS counts them now → room_inventory. The cache is only
 * invalidated: booking-svc's own adjustment of a booking of ours may follow, and must not count
 * a night the PMS already counted. A PMS failure leaves the rows to the next sync. 0, or -1 when
 * the database failed. */
static int store_stay_counts(inv_app_t *app, const char *vendor, const char *hotel,
                             const char *room, dates_day_t in, int nights)
{
    pms_nights_t inv = {0};
    pms_error_t e = {0};
    if (pms_get_inventory(app->pms, hotel, room, in, nights, &inv, &e) != PMS_OK) {
        log_kv(LOG_LEVEL_WARN, "stay nights not re-read; room_inventory waits for the next sync",
               "hotelId", hotel, "roomTypeId", room, "error", e.message, NULL);
        pms_nights_free(&inv);
        return 0;
    }
    int rc = inv_store_upsert_inventory(app->store, vendor, hotel, room, &inv);
    pms_nights_free(&inv);
    return rc;
}

/* booking confirmed/cancelled in the PMS (ours or made elsewhere): it counted the rooms
 * already, so the stay's cached nights are dropped (the next read asks the PMS) and its
 * counts re-read into room_inventory. */
static kafka_handler_result_t on_booking_changed(inv_app_t *app, struct json_object *data,
                                                 char *reason, size_t size)
{
    const char *hotel = id_field(data, "hotelId");
    if (!hotel)
        return poison(reason, size, "%s", "hotelId missing or invalid");
    const char *room = NULL;
    json_error_t err;
    dates_day_t in, out;
    int has_in = date_field(data, "checkIn", &in), has_out = date_field(data, "checkOut", &out);
    if (json_get_string(data, "roomTypeId", false, 1, INV_ID_MAX_LEN, &room, &err) != 0 ||
        has_in < 0 || has_out < 0)
        return poison(reason, size, "%s", "roomTypeId/checkIn/checkOut malformed");
    /* Cloudbeds' own reservation webhooks name no room type: the reservation says it. */
    pms_reservation_t res;
    const char *reservation = NULL;
    if ((!room || has_in == 0 || has_out == 0) &&
        json_get_string(data, "reservationId", false, 1, INV_ID_MAX_LEN, &reservation, &err) == 0 &&
        reservation && vendor_field(data)) {
        pms_error_t e = {0};
        if (pms_get_reservation(app->pms, hotel, reservation, &res, &e) == PMS_OK &&
            res.room_type_id[0] && res.check_out > res.check_in) {
            room = res.room_type_id;
            in = res.check_in;
            out = res.check_out;
            has_in = has_out = 1;
        }
    }
    if (!room || !inv_id_valid(room) || has_in == 0 || has_out == 0 || out <= in ||
        out - in > PMS_MAX_NIGHTS)
        return KAFKA_HANDLER_OK; /* nothing we can pin down; the TTL bounds staleness */
    if (inv_invalidate_nights(app, INV_KEY_INVENTORY, hotel, room, in, (int)(out - in)) != 0)
        return KAFKA_HANDLER_RETRY;
    const char *vendor = vendor_field(data);
    if (vendor && store_stay_counts(app, vendor, hotel, room, in, (int)(out - in)) != 0)
        return KAFKA_HANDLER_RETRY;
    return KAFKA_HANDLER_OK;
}

/* Room types from the PMS into Redis and room_types. 0, or -1 with err. */
static int refresh_room_types(inv_app_t *app, const char *vendor, const char *hotel_id,
                              pms_room_types_t *rt, char *err, size_t err_size)
{
    pms_error_t e = {0};
    if (pms_get_room_types(app->pms, hotel_id, rt, &e) != PMS_OK) {
        snprintf(err, err_size, "PMS room types: %s", e.message);
        return -1;
    }
    char *json = inv_room_types_to_json(rt);
    if (json)
        inv_cache_store_room_types(app, hotel_id, json);
    free(json);
    if (inv_store_upsert_room_types(app->store, vendor, hotel_id, rt) != 0) {
        snprintf(err, err_size, "database: room_types upsert failed");
        return -1;
    }
    return 0;
}

static kafka_handler_result_t on_room_updated(inv_app_t *app, struct json_object *data,
                                              char *reason, size_t size)
{
    const char *hotel = id_field(data, "hotelId"), *vendor = NULL;
    json_error_t jerr;
    if (!hotel || json_get_string(data, "vendor", true, 1, 32, &vendor, &jerr) != 0 ||
        inv_query_check_vendor(vendor, &jerr) != 0)
        return poison(reason, size, "%s", "hotelId/vendor missing or invalid");
    pms_room_types_t rt = {0};
    char err[256];
    if (refresh_room_types(app, vendor, hotel, &rt, err, sizeof err) != 0) {
        /* Cannot refresh now: drop the list so the next read fetches it. */
        char key[INV_KEY_MAX];
        inv_key_rooms(key, sizeof key, hotel, false);
        log_kv(LOG_LEVEL_WARN, "room types not refreshed; cached list dropped", "hotelId", hotel,
               "error", err, NULL);
        int rc = inv_cache_del(app, (const char *[]){key}, 1, NULL);
        pms_room_types_free(&rt);
        return rc == 0 ? KAFKA_HANDLER_OK : KAFKA_HANDLER_RETRY;
    }
    pms_room_types_free(&rt);
    return KAFKA_HANDLER_OK;
}

kafka_handler_result_t inv_handle_pms_event(const kafka_message_t *m, void *ctx, char *reason,
                                            size_t reason_size)
{
    inv_app_t *app = ctx;
    char err[256];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    if (!ev || !ev->data) {
        cloudevent_free(ev);
        metrics_counter_inc(app->metrics.events, "pms.events", "invalid", "poison");
        return poison(reason, reason_size, "not a CloudEvent with data: %s", ev ? "" : err);
    }
    kafka_handler_result_t r = KAFKA_HANDLER_OK;
    if (strcmp(ev->type, "lodging.pms.inventory.updated") == 0)
        r = on_range_updated(app, ev->data, INV_KEY_INVENTORY, reason, reason_size);
    else if (strcmp(ev->type, "lodging.pms.rate.updated") == 0)
        r = on_range_updated(app, ev->data, INV_KEY_RATE, reason, reason_size);
    else if (strcmp(ev->type, "lodging.pms.booking.confirmed") == 0 ||
             strcmp(ev->type, "lodging.pms.booking.cancelled") == 0)
        r = on_booking_changed(app, ev->data, reason, reason_size);
    else if (strcmp(ev->type, "lodging.pms.room.updated") == 0)
        r = on_room_updated(app, ev->data, reason, reason_size);
    metrics_counter_inc(app->metrics.events, "pms.events", ev->type, OUTCOME[r]);
    cloudevent_free(ev);
    return r;
}

/* ----------------------------------------------------------- sync.jobs -- */

typedef struct sync_job {
    const char *job_id, *vendor, *hotel_id;
    dates_day_t from, to;
} sync_job_t;

/* Fetches inventory and rates of one room type into Redis and MariaDB. */
static int sync_room_type(inv_app_t *app, const sync_job_t *job, const char *room_type_id,
                          char *err, size_t err_size)
{
    int count = (int)(job->to - job->from + 1);
    pms_nights_t inv = {0};
    pms_rate_plans_t plans = {0};
    pms_error_t e = {0};
    int rc = -1;
    /* read before the PMS is asked: a change announced meanwhile keeps its
     * invalidation (the rows below are written either way) */
    inv_gens_t inv_gens = {0}, rate_gens = {0};
    bool cache = inv_cache_generations(app, INV_KIND_INVENTORY, job->hotel_id, room_type_id,
                                       job->from, count, &inv_gens) == 0 &&
                 inv_cache_generations(app, INV_KIND_RATES, job->hotel_id, room_type_id, job->from,
                                       count, &rate_gens) == 0;
    if (pms_get_inventory(app->pms, job->hotel_id, room_type_id, job->from, count, &inv, &e) !=
            PMS_OK ||
        pms_get_rate_plans(app->pms, job->hotel_id, room_type_id, job->from, count, &plans, &e) !=
            PMS_OK) {
        snprintf(err, err_size, "PMS %s: %s", room_type_id, e.message);
        goto done;
    }
    if (cache) {
        inv_cache_store_nights(app, INV_KIND_INVENTORY, job->hotel_id, room_type_id, &inv_gens,
                               &inv);
        inv_cache_store_rate_plans(app, job->hotel_id, room_type_id, &rate_gens, &plans);
    }
    if (inv_store_upsert_inventory(app->store, job->vendor, job->hotel_id, room_type_id, &inv) !=
            0 ||
        inv_store_upsert_rate_plans(app->store, job->vendor, job->hotel_id, room_type_id, &plans) !=
            0) {
        snprintf(err, err_size, "database: room_inventory/rate_plan upsert failed for %s",
                 room_type_id);
        goto done;
    }
    rc = count;
done:
    inv_gens_free(&inv_gens);
    inv_gens_free(&rate_gens);
    pms_nights_free(&inv);
    pms_rate_plans_free(&plans);
    return rc;
}

/* Runs the job; 0 with the counts, or -1 with err. */
static int run_sync(inv_app_t *app, const sync_job_t *job, int *room_types, int *nights, char *err,
                    size_t err_size)
{
    pms_room_types_t rt = {0};
    *room_types = *nights = 0;
    int rc = refresh_room_types(app, job->vendor, job->hotel_id, &rt, err, err_size);
    for (size_t i = 0; rc == 0 && i < rt.count; i++) {
        int n = sync_room_type(app, job, rt.items[i].id, err, err_size);
        if (n < 0)
            rc = -1;
        else
            *nights += n;
    }
    if (rc == 0)
        *room_types = (int)rt.count;
    pms_room_types_free(&rt);
    return rc;
}

/* Publishes lodging.sync.succeeded / .failed keyed by hotel; 0 when acknowledged. */
static int publish_result(inv_app_t *app, const sync_job_t *job, int room_types, int nights,
                          const char *error)
{
    struct json_object *d = json_object_new_object();
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], now[DATES_RFC3339_LEN + 1];
    dates_format_iso(job->from, from);
    dates_format_iso(job->to, to);
    dates_now_rfc3339(now);
    json_object_object_add(d, "jobId", json_object_new_string(job->job_id));
    json_object_object_add(d, "vendor", json_object_new_string(job->vendor));
    json_object_object_add(d, "hotelId", json_object_new_string(job->hotel_id));
    json_object_object_add(d, "from", json_object_new_string(from));
    json_object_object_add(d, "to", json_object_new_string(to));
    json_object_object_add(d, "roomTypes", json_object_new_int(room_types));
    json_object_object_add(d, "nights", json_object_new_int(nights));
    json_object_object_add(d, "finishedAt", json_object_new_string(now));
    if (error)
        json_object_object_add(
            d, "error", json_object_new_string_len(error, (int)strnlen(error, SYNC_ERROR_MAX)));
    cloudevent_t *ev = cloudevent_new(error ? "lodging.sync.failed" : "lodging.sync.succeeded",
                                      SOURCE, job->hotel_id, d);
    int rc = -1;
    char err[256] = "out of memory";
    if (ev)
        rc = cloudevent_send_sync(app->producer, app->topic_sync_results, job->hotel_id, ev, err,
                                  sizeof err);
    if (rc != 0)
        log_kv(LOG_LEVEL_ERROR, "cannot publish the sync result", "jobId", job->job_id, "error",
               err, NULL);
    cloudevent_free(ev);
    return rc;
}

kafka_handler_result_t inv_handle_sync_job(const kafka_message_t *m, void *ctx, char *reason,
                                           size_t reason_size)
{
    inv_app_t *app = ctx;
    char err[SYNC_ERROR_MAX];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    if (!ev || !ev->data) {
        cloudevent_free(ev);
        metrics_counter_inc(app->metrics.events, "sync.jobs", "invalid", "poison");
        return poison(reason, reason_size, "not a CloudEvent with data: %s", ev ? "" : err);
    }
    kafka_handler_result_t r = KAFKA_HANDLER_OK;
    sync_job_t job = {0};
    json_error_t jerr;
    if (strcmp(ev->type, "lodging.sync.requested") != 0)
        goto done; /* not ours to handle */
    job.hotel_id = id_field(ev->data, "hotelId");
    if (json_get_string(ev->data, "jobId", true, 1, 64, &job.job_id, &jerr) != 0 ||
        json_get_string(ev->data, "vendor", true, 1, 32, &job.vendor, &jerr) != 0 ||
        inv_query_check_vendor(job.vendor, &jerr) != 0 || !job.hotel_id ||
        date_field(ev->data, "from", &job.from) != 1 || date_field(ev->data, "to", &job.to) != 1 ||
        job.to < job.from) {
        r = poison(reason, reason_size, "%s", "sync job: jobId/vendor/hotelId/from/to invalid");
        goto done;
    }
    if (job.to - job.from + 1 > app->settings.max_nights)
        job.to = job.from + app->settings.max_nights - 1;
    int room_types = 0, nights = 0;
    int rc = run_sync(app, &job, &room_types, &nights, err, sizeof err);
    if (rc != 0)
        log_kv(LOG_LEVEL_WARN, "sync job failed", "jobId", job.job_id, "hotelId", job.hotel_id,
               "error", err, NULL);
    else
        log_kv(LOG_LEVEL_DEBUG, "sync job done", "jobId", job.job_id, "hotelId", job.hotel_id,
               LOG_INT("roomTypes", room_types), LOG_INT("nights", nights), NULL);
    r = publish_result(app, &job, room_types, nights, rc == 0 ? NULL : err) == 0
            ? KAFKA_HANDLER_OK
            : KAFKA_HANDLER_RETRY;
done:
    metrics_counter_inc(app->metrics.events, "sync.jobs", ev->type, OUTCOME[r]);
    cloudevent_free(ev);
    return r;
}

/* ------------------------------------------------------------ running -- */

static kafka_consumer_t *make_consumer(inv_app_t *app, const char *group, const char *topic,
                                       kafka_handler_fn handler)
{
    const char *topics[] = {topic, NULL};
    kafka_consumer_config_t cc = {.brokers = app->kafka_brokers,
                                  .group_id = group,
                                  .topics = topics,
                                  .handler = handler,
                                  .ctx = app,
                                  .dlq_producer = app->producer};
    char err[256];
    kafka_consumer_t *c = kafka_consumer_new(&cc, err, sizeof err);
    if (!c)
        log_error("cannot create the %s consumer: %s", topic, err);
    else if (kafka_consumer_start(c) != 0) {
        log_error("cannot start the %s consumer", topic);
        kafka_consumer_free(c);
        c = NULL;
    }
    return c;
}

int inv_consumers_start(inv_app_t *app)
{
    /* With a topic prefix (an isolated environment) the group is prefixed too,
     * so isolated runs never share a consumer group. */
    char group[INV_TOPIC_MAX + 32];
    snprintf(group, sizeof group, "%s%s", app->topic_prefix, GROUP_ID);
    app->pms_events_consumer =
        make_consumer(app, group, app->topic_pms_events, inv_handle_pms_event);
    app->sync_jobs_consumer = make_consumer(app, group, app->topic_sync_jobs, inv_handle_sync_job);
    return app->pms_events_consumer && app->sync_jobs_consumer ? 0 : -1;
}

void inv_consumers_stop(inv_app_t *app)
{
    if (app->pms_events_consumer)
        kafka_consumer_stop(app->pms_events_consumer);
    if (app->sync_jobs_consumer)
        kafka_consumer_stop(app->sync_jobs_consumer);
}

void inv_consumers_free(inv_app_t *app)
{
    kafka_consumer_free(app->pms_events_consumer);
    kafka_consumer_free(app->sync_jobs_consumer);
    app->pms_events_consumer = NULL;
    app->sync_jobs_consumer = NULL;
}
