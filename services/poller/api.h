/*
 * api.h — the poller's HTTP API (proto/openapi.yaml, tag polling):
 *     GET  /api/polling                          every hotel's PollingStatus
 *     GET  /api/polling/:vendor/:hotelId         one hotel's PollingStatus
 *     POST /api/polling/:vendor/:hotelId/start   enable (resets errorCount)
 *     POST /api/polling/:vendor/:hotelId/stop    disable
 *     POST /api/polling/:vendor/:hotelId/sync    emit a job now → 202 {jobId}
 * PollingStatus = {hotelId, vendor, isRunning, lastSyncAt, nextSyncAt,
 * errorCount}; isRunning is pms_config.polling_enabled. An unknown vendor is
 * 400 VALIDATION_ERROR (field vendor), a hotel without a pms_config row 404
 * NOT_FOUND, a database or Kafka failure 503.
 *
 * Access (API_ROUTES): reading is viewer and up, start/stop/sync operator and
 * up; a caller limited to some hotels sees only those in the list, and any
 * other hotel is 404 as if it had no polling. start, stop and sync are
 * written to the audit log.
 *
 * Usage:
 *     api_t api = {.pool = pool, .scheduler = sched};
 *     api_register(service_http(svc), &api);
 *
 * Thread-safety: handlers run on the HTTP threads; they share the pool and
 * the scheduler (both thread-safe). Ownership: api_t is borrowed.
 */
#ifndef POLLER_API_H
#define POLLER_API_H

#include "common/db.h"
#include "common/http_server.h"
#include "scheduler.h"
#include "store.h"

typedef struct api {
    db_pool_t *pool;
    scheduler_t *scheduler;
} api_t;

/* The route table with each route's rule (also printed by --routes). */
extern const http_route_t API_ROUTES[];
extern const size_t API_ROUTE_COUNT;

/* Registers the routes above. 0 or -1. */
int api_register(http_server_t *srv, api_t *api);

/* The PollingStatus JSON object of a status (caller puts it). */
struct json_object *api_status_json(const poller_status_t *st);

#endif /* POLLER_API_H */
