/*
 * sync_events.c — building and parsing the poller's events (see sync_events.h).
 */
#include "sync_events.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cloudevents.h"
#include "common/crypto.h"
#include "common/json.h"

#define JOB_ID_PREFIX "job_"
#define NO_ERROR_GIVEN "no error given"

/* The Vendor enum of the proto/events schemas and proto/openapi.yaml:
 * "sandbox" is the local Cloudbeds-compatible PMS (sandbox/pms-sandbox). */
static const char *const VENDORS[] = {"cloudbeds", "opera", "sandbox"};

bool sync_vendor_known(const char *vendor)
{
    for (size_t i = 0; vendor && i < sizeof VENDORS / sizeof *VENDORS; i++)
        if (strcmp(vendor, VENDORS[i]) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------ sync job -- */

int sync_job_init(sync_job_t *job, dates_day_t today, int days, int64_t now_unix_ms)
{
    if (crypto_random_id(JOB_ID_PREFIX, job->job_id, sizeof job->job_id) != 0)
        return -1;
    dates_format_iso(today, job->from);
    dates_format_iso(today + days, job->to);
    dates_format_rfc3339(now_unix_ms, job->requested_at);
    return 0;
}

cloudevent_t *sync_job_event_new(const sync_job_t *job)
{
    json_object *data = json_object_new_object();
    if (!data)
        return NULL;
    json_object_object_add(data, "jobId", json_object_new_string(job->job_id));
    json_object_object_add(data, "vendor", json_object_new_string(job->vendor));
    json_object_object_add(data, "hotelId", json_object_new_string(job->hotel_id));
    json_object_object_add(data, "from", json_object_new_string(job->from));
    json_object_object_add(data, "to", json_object_new_string(job->to));
    json_object_object_add(data, "requestedAt", json_object_new_string(job->requested_at));
    json_object_object_add(data, "reason", json_object_new_string(job->reason));
    cloudevent_t *ev = cloudevent_new(SYNC_REQUESTED_TYPE, SYNC_SOURCE, job->hotel_id, data);
    if (!ev)
        json_object_put(data);
    return ev;
}

/* --------------------------------------------------------- sync result -- */

/* Copies a required string field of data (1..max bytes) into out. */
static int copy_field(json_object *data, const char *name, size_t max, char *out, size_t out_size,
                      char *err, size_t err_size)
{
    json_error_t jerr;
    const char *value = NULL;
    if (json_get_string(data, name, true, 1, max, &value, &jerr) != 0) {
        snprintf(err, err_size, "data.%s", jerr.message);
        return -1;
    }
    snprintf(out, out_size, "%s", value);
    return 0;
}

/* The data fields every result has; 0 or -1 with err. */
static int parse_result_data(json_object *data, sync_result_t *out, char *err, size_t err_size)
{
    if (copy_field(data, "jobId", SYNC_ID_MAX, out->job_id, sizeof out->job_id, err, err_size) ||
        copy_field(data, "vendor", SYNC_VENDOR_MAX, out->vendor, sizeof out->vendor, err,
                   err_size) ||
        copy_field(data, "hotelId", SYNC_ID_MAX, out->hotel_id, sizeof out->hotel_id, err,
                   err_size))
        return -1;
    if (!sync_vendor_known(out->vendor)) {
        snprintf(err, err_size, "data.vendor is not a known vendor");
        return -1;
    }
    json_error_t jerr;
    const char *finished = NULL;
    if (json_get_string(data, "finishedAt", true, 1, 64, &finished, &jerr) != 0 ||
        dates_parse_rfc3339(finished, &out->finished_unix_ms) != 0) {
        snprintf(err, err_size, "data.finishedAt must be an RFC 3339 timestamp");
        return -1;
    }
    const char *error = NULL;
    if (json_get_string(data, "error", false, 0, SYNC_ERROR_MAX, &error, &jerr) != 0) {
        snprintf(err, err_size, "data.%s", jerr.message);
        return -1;
    }
    if (out->succeeded)
        out->error[0] = '\0';
    else
        snprintf(out->error, sizeof out->error, "%s", error && *error ? error : NO_ERROR_GIVEN);
    return 0;
}

/* Reads a parsed sync.results event (ev may be NULL: ce_err says why); frees it. */
static int result_of_event(cloudevent_t *ev, const char *ce_err, sync_result_t *out, char *err,
                           size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (!ev) {
        snprintf(err, err_size, "not a CloudEvent: %s", ce_err);
        return -1;
    }
    int rc = -1;
    if (strcmp(ev->type, SYNC_SUCCEEDED_TYPE) == 0) {
        out->succeeded = true;
    } else if (strcmp(ev->type, SYNC_FAILED_TYPE) != 0) {
        snprintf(err, err_size, "unexpected event type on sync.results");
        goto done;
    }
    if (!ev->data) {
        snprintf(err, err_size, "data is required");
        goto done;
    }
    snprintf(out->event_id, sizeof out->event_id, "%s", ev->id);
    rc = parse_result_data(ev->data, out, err, err_size);
done:
    cloudevent_free(ev);
    return rc;
}

int sync_result_parse(const char *text, size_t len, sync_result_t *out, char *err, size_t err_size)
{
    char ce_err[256];
    cloudevent_t *ev = cloudevent_parse(text, len, ce_err, sizeof ce_err);
    return result_of_event(ev, ce_err, out, err, err_size);
}

int sync_result_from_message(const kafka_message_t *m, sync_result_t *out, char *err,
                             size_t err_size)
{
    char ce_err[256];
    cloudevent_t *ev = cloudevent_from_kafka(m, ce_err, sizeof ce_err);
    return result_of_event(ev, ce_err, out, err, err_size);
}

/* --------------------------------------------------------------- alert -- */

cloudevent_t *polling_stopped_event_new(const polling_stopped_alert_t *a)
{
    char message[160], subject[SYNC_VENDOR_MAX + SYNC_ID_MAX + 2];
    snprintf(message, sizeof message, "polling stopped after %d consecutive failures",
             a->consecutive_failures);
    snprintf(subject, sizeof subject, "%s:%s", a->vendor, a->hotel_id);
    json_object *data = json_object_new_object();
    if (!data)
        return NULL;
    json_object_object_add(data, "alert", json_object_new_string("polling.stopped"));
    json_object_object_add(data, "severity", json_object_new_string("critical"));
    json_object_object_add(data, "message", json_object_new_string(message));
    json_object_object_add(data, "vendor", json_object_new_string(a->vendor));
    json_object_object_add(data, "hotelId", json_object_new_string(a->hotel_id));
    json_object_object_add(data, "consecutiveFailures",
                           json_object_new_int(a->consecutive_failures));
    if (a->last_error && *a->last_error) {
        char last[SYNC_ERROR_MAX + 1];
        snprintf(last, sizeof last, "%s", a->last_error);
        json_object_object_add(data, "lastError", json_object_new_string(last));
    }
    cloudevent_t *ev = cloudevent_new(POLLING_STOPPED_TYPE, SYNC_SOURCE, subject, data);
    if (!ev)
        json_object_put(data);
    return ev;
}

/* ----------------------------------------------------------- schedule -- */

int64_t sync_wait_ms(int64_t next_due_in_ms, bool has_next, int tick_ms)
{
    if (!has_next || next_due_in_ms > tick_ms)
        return tick_ms;
    return next_due_in_ms < 0 ? 0 : next_due_in_ms;
}
