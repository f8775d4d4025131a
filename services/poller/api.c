/*
 * api.c — GET/POST /api/polling... (see api.h).
 */
#include "api.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dates.h"
#include "common/http_audit.h"
#include "common/log.h"
#include "sync_events.h"

#define HOTEL_ID_MAX 64

/* ------------------------------------------------------------ helpers -- */

static json_object *time_or_null(int64_t unix_ms)
{
    if (unix_ms < 0)
        return NULL;
    char text[DATES_RFC3339_LEN + 1];
    dates_format_rfc3339(unix_ms, text);
    return json_object_new_string(text);
}

json_object *api_status_json(const poller_status_t *st)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "hotelId", json_object_new_string(st->hotel_id));
    json_object_object_add(o, "vendor", json_object_new_string(st->vendor));
    json_object_object_add(o, "isRunning", json_object_new_boolean(st->is_running));
    json_object_object_add(o, "lastSyncAt", time_or_null(st->last_sync_ms));
    json_object_object_add(o, "nextSyncAt", time_or_null(st->next_sync_ms));
    json_object_object_add(o, "errorCount", json_object_new_int64(st->error_count));
    return o;
}

static int respond_not_found(http_request_t *req, const char *vendor, const char *hotel_id);

/* Validates the path's vendor and hotelId; responds 400 itself when bad, and
 * 404 (as for a hotel without polling) when the caller is limited to other
 * hotels, so another hotel's existence is not revealed. */
static bool hotel_from_path(http_request_t *req, const char **vendor, const char **hotel_id)
{
    *vendor = http_request_param(req, "vendor");
    *hotel_id = http_request_param(req, "hotelId");
    if (!*vendor || !sync_vendor_known(*vendor)) {
        http_respond_error(req, 400, "VALIDATION_ERROR", "vendor",
                           "vendor must be one of cloudbeds, sandbox");
        return false;
    }
    size_t len = *hotel_id ? strlen(*hotel_id) : 0;
    if (len == 0 || len > HOTEL_ID_MAX) {
        http_respond_error(req, 400, "VALIDATION_ERROR", "hotelId",
                           "hotelId must be 1 to 64 characters");
        return false;
    }
    if (!auth_principal_may_see_hotel(http_request_principal(req), *hotel_id)) {
        respond_not_found(req, *vendor, *hotel_id);
        return false;
    }
    return true;
}

static int respond_unavailable(http_request_t *req)
{
    return http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                              "the polling state is unavailable right now; retry shortly");
}

static int respond_not_found(http_request_t *req, const char *vendor, const char *hotel_id)
{
    char msg[160];
    snprintf(msg, sizeof msg, "no polling configuration for %s hotel %s", vendor, hotel_id);
    return http_respond_error(req, 404, "NOT_FOUND", "hotelId", msg);
}

/* Answers the hotel's current status (after a change, or for GET). */
static int respond_status(http_request_t *req, db_t *db, const char *vendor, const char *hotel_id)
{
    poller_status_t st;
    int rc = store_get_status(db, vendor, hotel_id, &st);
    if (rc == STORE_NOT_FOUND)
        return respond_not_found(req, vendor, hotel_id);
    if (rc != 0)
        return respond_unavailable(req);
    json_object *o = api_status_json(&st);
    http_respond_json(req, 200, o);
    json_object_put(o);
    return 0;
}

/* ----------------------------------------------------------- handlers -- */

static int handle_list(http_request_t *req, void *ctx)
{
    api_t *api = ctx;
    poller_status_t *all = NULL;
    size_t n = 0;
    db_t *db = db_pool_acquire(api->pool);
    int rc = store_list_status(db, &all, &n);
    db_pool_release(api->pool, db);
    if (rc != 0)
        return respond_unavailable(req);
    const auth_principal_t *caller = http_request_principal(req);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        if (auth_principal_may_see_hotel(caller, all[i].hotel_id))
            json_object_array_add(arr, api_status_json(&all[i]));
    http_respond_json(req, 200, arr);
    json_object_put(arr);
    free(all);
    return 0;
}

static int handle_get(http_request_t *req, void *ctx)
{
    api_t *api = ctx;
    const char *vendor, *hotel_id;
    if (!hotel_from_path(req, &vendor, &hotel_id))
        return 0;
    db_t *db = db_pool_acquire(api->pool);
    respond_status(req, db, vendor, hotel_id);
    db_pool_release(api->pool, db);
    return 0;
}

/* start and stop: the change, then the new status. */
static int handle_change(http_request_t *req, api_t *api, bool start)
{
    const char *vendor, *hotel_id;
    if (!hotel_from_path(req, &vendor, &hotel_id))
        return 0;
    db_t *db = db_pool_acquire(api->pool);
    int rc = start ? store_start(db, vendor, hotel_id)
                   : store_stop(db, vendor, hotel_id, STORE_STOPPED_MANUAL);
    if (rc == STORE_NOT_FOUND)
        respond_not_found(req, vendor, hotel_id);
    else if (rc != 0)
        respond_unavailable(req);
    else
        respond_status(req, db, vendor, hotel_id);
    if (rc == 0)
        http_audit(db, req, start ? "polling.start" : "polling.stop", hotel_id, NULL, NULL);
    db_pool_release(api->pool, db);
    if (rc == 0) {
        log_kv(LOG_LEVEL_INFO, start ? "polling started" : "polling stopped", "vendor", vendor,
               "hotelId", hotel_id, NULL);
        if (start)
            scheduler_wake(api->scheduler);
    }
    return 0;
}

static int handle_start(http_request_t *req, void *ctx)
{
    return handle_change(req, ctx, true);
}

static int handle_stop(http_request_t *req, void *ctx)
{
    return handle_change(req, ctx, false);
}

/* Manual trigger: emits now, whether or not the hotel is polled (an
 * operator's explicit request), and leaves the schedule alone. */
static int handle_sync(http_request_t *req, void *ctx)
{
    api_t *api = ctx;
    const char *vendor, *hotel_id;
    if (!hotel_from_path(req, &vendor, &hotel_id))
        return 0;
    poller_status_t st;
    db_t *db = db_pool_acquire(api->pool);
    int rc = store_get_status(db, vendor, hotel_id, &st);
    db_pool_release(api->pool, db);
    if (rc == STORE_NOT_FOUND)
        return respond_not_found(req, vendor, hotel_id);
    if (rc != 0)
        return respond_unavailable(req);
    char job_id[SYNC_ID_MAX + 1];
    if (scheduler_emit(api->scheduler, vendor, hotel_id, SYNC_REASON_MANUAL, job_id,
                       sizeof job_id) != 0)
        return http_respond_error(req, 503, "KAFKA_UNAVAILABLE", NULL,
                                  "the sync job could not be emitted; retry shortly");
    db = db_pool_acquire(api->pool);
    http_audit(db, req, "polling.sync", hotel_id, NULL, NULL);
    db_pool_release(api->pool, db);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "jobId", json_object_new_string(job_id));
    http_respond_json(req, 202, o);
    json_object_put(o);
    return 0;
}

/* -------------------------------------------------------------- routes -- */

const http_route_t API_ROUTES[] = {
    {"GET", "/api/polling", AUTH_RULE_VIEWER, handle_list},
    {"GET", "/api/polling/:vendor/:hotelId", AUTH_RULE_VIEWER, handle_get},
    {"POST", "/api/polling/:vendor/:hotelId/start", AUTH_RULE_OPERATOR, handle_start},
    {"POST", "/api/polling/:vendor/:hotelId/stop", AUTH_RULE_OPERATOR, handle_stop},
    {"POST", "/api/polling/:vendor/:hotelId/sync", AUTH_RULE_OPERATOR, handle_sync},
};
const size_t API_ROUTE_COUNT = sizeof API_ROUTES / sizeof *API_ROUTES;

int api_register(http_server_t *srv, api_t *api)
{
    return http_server_routes(srv, API_ROUTES, API_ROUTE_COUNT, api);
}
