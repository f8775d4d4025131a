/*
 * results.c — applying sync.results to the schedule (see results.h).
 */
#include "results.h"

#include <stdio.h>

#include "common/log.h"
#include "publish.h"
#include "store.h"
#include "sync_events.h"

void results_init(results_t *r)
{
    r->results_total = metrics_counter("poller_sync_results_total",
                                       "sync.results applied, by outcome", 1, "outcome");
    r->alerts_total =
        metrics_counter("poller_alerts_total", "Alerts raised on ops.alerts", 1, "alert");
}

/* Publishes the polling.stopped alert; 0 once acknowledged. */
static int raise_stopped_alert(results_t *r, const sync_result_t *res, int64_t failures)
{
    polling_stopped_alert_t a = {.vendor = res->vendor,
                                 .hotel_id = res->hotel_id,
                                 .consecutive_failures = (int)failures,
                                 .last_error = res->error};
    cloudevent_t *ev = polling_stopped_event_new(&a);
    char err[256] = "out of memory";
    int rc =
        ev ? publish_event(r->producer, r->alerts_topic, ev->subject, ev, err, sizeof err) : -1;
    cloudevent_free(ev);
    if (rc != 0)
        log_kv(LOG_LEVEL_WARN, "polling.stopped alert not sent; retrying", "vendor", res->vendor,
               "hotelId", res->hotel_id, "error", err, NULL);
    return rc;
}

/* The result's effect inside the caller's transaction. 0 done (or nothing to
 * do), -1 retry. *applied is set unless the job already had its result;
 * *alerted when the hotel was stopped now. */
static int apply(results_t *r, db_t *db, const sync_result_t *res, bool *applied, bool *alerted,
                 int64_t *failures)
{
    int first = store_mark_job_result(db, res);
    if (first <= 0)
        return first; /* -1 error, 0 redelivery */
    *applied = true;
    if (res->succeeded) {
        int rc = store_apply_success(db, res);
        if (rc == STORE_NOT_FOUND)
            log_kv(LOG_LEVEL_WARN, "sync result for a hotel without pms_config; skipped", "vendor",
                   res->vendor, "hotelId", res->hotel_id, NULL);
        return rc < 0 ? -1 : 0;
    }
    bool stopped_now = false;
    int rc = store_apply_failure(db, res, r->settings->max_failures, failures, &stopped_now);
    if (rc == STORE_NOT_FOUND) {
        log_kv(LOG_LEVEL_WARN, "sync result for a hotel without pms_config; skipped", "vendor",
               res->vendor, "hotelId", res->hotel_id, NULL);
        return 0;
    }
    if (rc < 0)
        return -1;
    if (stopped_now) {
        if (raise_stopped_alert(r, res, *failures) != 0)
            return -1; /* rolled back: the stop and the alert happen together */
        *alerted = true;
    }
    return 0;
}

kafka_handler_result_t results_handle(const kafka_message_t *m, void *ctx, char *reason,
                                      size_t reason_size)
{
    results_t *r = ctx;
    sync_result_t res;
    if (sync_result_from_message(m, &res, reason, reason_size) != 0) {
        log_kv(LOG_LEVEL_WARN, "malformed sync result; to the DLQ", "reason", reason, NULL);
        return KAFKA_HANDLER_POISON;
    }
    db_t *db = db_pool_acquire(r->pool);
    bool applied = false, alerted = false;
    int64_t failures = 0;
    int rc = db_begin(db) == DB_OK ? apply(r, db, &res, &applied, &alerted, &failures) : -1;
    if (rc == 0 && db_commit(db) != DB_OK)
        rc = -1;
    if (rc != 0)
        db_rollback(db);
    db_pool_release(r->pool, db);
    if (rc != 0)
        return KAFKA_HANDLER_RETRY;
    if (!applied) {
        log_kv(LOG_LEVEL_INFO, "sync result already applied; skipped", "jobId", res.job_id, NULL);
        return KAFKA_HANDLER_OK;
    }
    metrics_counter_inc(r->results_total, res.succeeded ? "succeeded" : "failed");
    if (alerted) {
        metrics_counter_inc(r->alerts_total, "polling.stopped");
        log_kv(LOG_LEVEL_ERROR, "polling stopped after consecutive failures", "vendor", res.vendor,
               "hotelId", res.hotel_id, LOG_INT("consecutiveFailures", failures), "lastError",
               res.error, "alert", "polling.stopped", NULL);
    }
    return KAFKA_HANDLER_OK;
}
