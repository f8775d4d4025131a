/*
 * sync_events.h — the poller's events (proto/topics.md): the sync job it
 * emits on sync.jobs (lodging.sync.requested, events/sync-requested.schema.json),
 * the results it reads from sync.results (lodging.sync.succeeded / .failed,
 * events/sync-result.schema.json) and the alert it raises on ops.alerts
 * (lodging.ops.polling.stopped, events/ops-alert.schema.json). Pure functions:
 * no I/O, so every rule here is unit-tested.
 *
 * Usage:
 *     sync_job_t job = {.vendor = "cloudbeds", .hotel_id = "hotel_123", .reason = "schedule"};
 *     sync_job_init(&job, dates_today_utc(), 30, clock_wall_ms());   // jobId, from, to
 *     cloudevent_t *ev = sync_job_event_new(&job);  → event_publish(...); cloudevent_free(ev);
 *     sync_result_t r;
 *     if (sync_result_parse(value, len, &r, err, sizeof err) != 0) → poison, err says why
 *
 * Dates are UTC calendar dates: a job asked for at 08:00 in Seoul on the 2nd
 * (23:00 UTC on the 1st) covers the 1st .. the 1st + 30.
 * Thread-safety: reentrant. Ownership: returned events are the caller's.
 */
#ifndef POLLER_SYNC_EVENTS_H
#define POLLER_SYNC_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cloudevents.h"
#include "common/dates.h"

#define SYNC_SOURCE "/poller"
#define SYNC_REQUESTED_TYPE "lodging.sync.requested"
#define SYNC_SUCCEEDED_TYPE "lodging.sync.succeeded"
#define SYNC_FAILED_TYPE "lodging.sync.failed"
#define POLLING_STOPPED_TYPE "lodging.ops.polling.stopped"
#define SYNC_ID_MAX 64
#define SYNC_VENDOR_MAX 32
#define SYNC_ERROR_MAX 512
#define SYNC_REASON_SCHEDULE "schedule"
#define SYNC_REASON_MANUAL "manual"

typedef struct sync_job {
    char job_id[SYNC_ID_MAX + 1];
    char vendor[SYNC_VENDOR_MAX + 1];
    char hotel_id[SYNC_ID_MAX + 1];
    char from[DATES_ISO_LEN + 1];
    char to[DATES_ISO_LEN + 1];
    char requested_at[DATES_RFC3339_LEN + 1];
    const char *reason; /* SYNC_REASON_SCHEDULE or SYNC_REASON_MANUAL */
} sync_job_t;

/* Gives the job a fresh jobId ("job_" + random), from = today, to = today +
 * days, requestedAt = now_unix_ms. vendor, hotel_id, reason are the caller's.
 * 0, or -1 when no random id could be made. */
int sync_job_init(sync_job_t *job, dates_day_t today, int days, int64_t now_unix_ms);

/* The job's CloudEvent, subject = hotelId. The caller frees it
 * (cloudevent_free); NULL on OOM. */
cloudevent_t *sync_job_event_new(const sync_job_t *job);

typedef struct sync_result {
    bool succeeded;
    char event_id[SYNC_ID_MAX + 1];
    char job_id[SYNC_ID_MAX + 1];
    char vendor[SYNC_VENDOR_MAX + 1];
    char hotel_id[SYNC_ID_MAX + 1];
    int64_t finished_unix_ms;
    char error[SYNC_ERROR_MAX + 1]; /* "" when it succeeded */
} sync_result_t;

/* Parses a sync.results message. 0, or -1 with why in err (not a
 * CloudEvent, another type, a data field missing or malformed, an unknown
 * vendor). A failure without an error text gets "no error given". */
int sync_result_parse(const char *text, size_t len, sync_result_t *out, char *err, size_t err_size);
/* The same from a consumed message, binary or structured mode (cloudevent_from_kafka). */
int sync_result_from_message(const kafka_message_t *m, sync_result_t *out, char *err,
                             size_t err_size);

typedef struct polling_stopped_alert {
    const char *vendor;
    const char *hotel_id;
    int consecutive_failures;
    const char *last_error; /* may be NULL */
} polling_stopped_alert_t;

/* The lodging.ops.polling.stopped CloudEvent, subject "<vendor>:<hotelId>"
 * (also its Kafka key). The caller frees it; NULL on OOM. */
cloudevent_t *polling_stopped_event_new(const polling_stopped_alert_t *a);

/* True for a vendor the event schemas allow ("cloudbeds", "sandbox"). */
bool sync_vendor_known(const char *vendor);

/* How long the scheduler may sleep: until the next due hotel (in
 * next_due_in_ms when has_next), never longer than tick_ms (other replicas and
 * the API change the table too), never negative. */
int64_t sync_wait_ms(int64_t next_due_in_ms, bool has_next, int tick_ms);

#endif /* POLLER_SYNC_EVENTS_H */
