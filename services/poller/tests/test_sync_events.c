/* The poller's events: the sync job it emits and the alert it raises match
 * their schemas in proto/events; sync.results messages are parsed or refused
 * with a reason; the scheduler's sleep is bounded. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "testsupport.h"
#include "common/cloudevents.h"
#include "common/dates.h"
#include "sync_events.h"

#define EXAMPLES LODGING_SOURCE_DIR "/proto/examples/events/"
#define SCHEMAS LODGING_SOURCE_DIR "/proto/events/"

/* --------------------------------------------------------------- helpers -- */

/* The schema's rules that matter for what we produce: every required
 * property present, nothing outside `properties` (additionalProperties is
 * false), enum values respected, strings within maxLength, dates shaped
 * YYYY-MM-DD where a pattern asks for it. */
static void assert_matches_schema(json_object *data, const char *schema_name)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, SCHEMAS "%s.schema.json", schema_name);
    char *text = ts_read_file(path, &len);
    json_object *schema = json_tokener_parse(text);
    free(text);
    json_object *props = NULL, *required = NULL;
    ck_assert(json_object_object_get_ex(schema, "properties", &props));
    ck_assert(json_object_object_get_ex(schema, "required", &required));
    for (size_t i = 0; i < json_object_array_length(required); i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(required, i));
        ck_assert_msg(json_object_object_get_ex(data, name, NULL), "%s lacks %s", schema_name,
                      name);
    }
    json_object_object_foreach(data, key, value)
    {
        json_object *rule = NULL, *enums = NULL, *max = NULL, *pattern = NULL;
        ck_assert_msg(json_object_object_get_ex(props, key, &rule), "%s has no property %s",
                      schema_name, key);
        if (json_object_object_get_ex(rule, "enum", &enums)) {
            bool found = false;
            for (size_t i = 0; i < json_object_array_length(enums); i++)
                found |= strcmp(json_object_get_string(json_object_array_get_idx(enums, i)),
                                json_object_get_string(value)) == 0;
            ck_assert_msg(found, "%s.%s = %s is not in its enum", schema_name, key,
                          json_object_get_string(value));
        }
        if (json_object_object_get_ex(rule, "maxLength", &max))
            ck_assert_int_le(strlen(json_object_get_string(value)), json_object_get_int(max));
        if (json_object_object_get_ex(rule, "pattern", &pattern)) {
            dates_day_t day;
            ck_assert_int_eq(dates_parse_iso(json_object_get_string(value), &day), 0);
        }
    }
    json_object_put(schema);
}

/* Parses the event's JSON back and checks envelope and data. */
static json_object *event_data(const cloudevent_t *ev, const char *schema_name)
{
    char *json = cloudevent_to_json(ev);
    char err[256];
    cloudevent_t *back = cloudevent_parse(json, strlen(json), err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    json_object *data = json_object_get(back->data);
    assert_matches_schema(data, schema_name);
    cloudevent_free(back);
    free(json);
    return data;
}

static const char *field(json_object *o, const char *name)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

/* ------------------------------------------------------------- sync job -- */

START_TEST(test_a_job_covers_today_to_today_plus_the_sync_days_in_utc_dates)
{
    sync_job_t job = {.vendor = "cloudbeds", .hotel_id = "hotel_123", .reason = "schedule"};
    dates_day_t today;
    ck_assert_int_eq(dates_parse_iso("2025-10-20", &today), 0);
    ck_assert_int_eq(sync_job_init(&job, today, 30, 1760952600000), 0);
    ck_assert_str_eq(job.from, "2025-10-20");
    ck_assert_str_eq(job.to, "2025-11-19");
    ck_assert_str_eq(job.requested_at, "2025-10-20T09:30:00.000Z");
    ck_assert(strncmp(job.job_id, "job_", 4) == 0);
    sync_job_t other = job;
    ck_assert_int_eq(sync_job_init(&other, today, 30, 1760952600000), 0);
    ck_assert_str_ne(job.job_id, other.job_id);
}
END_TEST

START_TEST(test_the_job_event_is_a_sync_requested_event_keyed_by_hotel)
{
    sync_job_t job = {.vendor = "sandbox", .hotel_id = "hotel_9", .reason = "manual"};
    ck_assert_int_eq(sync_job_init(&job, dates_today_utc(), 30, 1760952600000), 0);
    cloudevent_t *ev = sync_job_event_new(&job);
    ck_assert_str_eq(ev->type, "lodging.sync.requested");
    ck_assert_str_eq(ev->source, "/poller");
    ck_assert_str_eq(ev->subject, "hotel_9");
    json_object *data = event_data(ev, "sync-requested");
    ck_assert_str_eq(field(data, "jobId"), job.job_id);
    ck_assert_str_eq(field(data, "vendor"), "sandbox");
    ck_assert_str_eq(field(data, "hotelId"), "hotel_9");
    ck_assert_str_eq(field(data, "from"), job.from);
    ck_assert_str_eq(field(data, "to"), job.to);
    ck_assert_str_eq(field(data, "reason"), "manual");
    json_object_put(data);
    cloudevent_free(ev);
}
END_TEST

/* ---------------------------------------------------------- sync result -- */

static int parse_example(const char *name, sync_result_t *r, char *err, size_t err_size)
{
    size_t len;
    char *text = ts_read_file(name, &len);
    int rc = sync_result_parse(text, len, r, err, err_size);
    free(text);
    return rc;
}

START_TEST(test_the_contract_examples_of_sync_results_parse)
{
    sync_result_t r;
    char err[256];
    ck_assert_int_eq(parse_example(EXAMPLES "sync.succeeded.json", &r, err, sizeof err), 0);
    ck_assert(r.succeeded);
    ck_assert_str_eq(r.job_id, "job_5521");
    ck_assert_str_eq(r.vendor, "cloudbeds");
    ck_assert_str_eq(r.hotel_id, "hotel_123");
    ck_assert_int_eq(r.finished_unix_ms, 1760952602410);
    ck_assert_str_eq(r.error, "");

    ck_assert_int_eq(parse_example(EXAMPLES "sync.failed.json", &r, err, sizeof err), 0);
    ck_assert(!r.succeeded);
    ck_assert_str_eq(r.job_id, "job_5522");
    ck_assert_str_eq(r.error, "PMS unavailable: circuit open");
}
END_TEST

/* A sync.failed CloudEvent around the given data JSON. */
static int parse_with(const char *type, const char *data, sync_result_t *r, char *err,
                      size_t err_size)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"specversion\":\"1.0\",\"id\":\"e1\",\"source\":\"/inventory-svc\","
             "\"type\":\"%s\",\"time\":\"2025-10-20T09:30:00.123Z\",\"data\":%s}",
             type, data);
    return sync_result_parse(text, strlen(text), r, err, err_size);
}

START_TEST(test_a_failure_without_an_error_text_still_counts)
{
    sync_result_t r;
    char err[256];
    ck_assert_int_eq(parse_with("lodging.sync.failed",
                                "{\"jobId\":\"j\",\"vendor\":\"sandbox\",\"hotelId\":\"h\","
                                "\"finishedAt\":\"2025-10-20T09:35:03.001Z\"}",
                                &r, err, sizeof err),
                     0);
    ck_assert(!r.succeeded);
    ck_assert_str_eq(r.error, "no error given");
}
END_TEST

START_TEST(test_malformed_results_are_refused_with_the_reason)
{
    static const struct {
        const char *type, *data, *reason;
    } cases[] = {
        {"lodging.sync.failed",
         "{\"vendor\":\"sandbox\",\"hotelId\":\"h\",\"finishedAt\":"
         "\"2025-10-20T09:35:03Z\"}",
         "jobId"},
        {"lodging.sync.failed",
         "{\"jobId\":\"j\",\"vendor\":\"mews\",\"hotelId\":\"h\","
         "\"finishedAt\":\"2025-10-20T09:35:03Z\"}",
         "vendor"},
        {"lodging.sync.succeeded",
         "{\"jobId\":\"j\",\"vendor\":\"sandbox\",\"hotelId\":\"h\","
         "\"finishedAt\":\"yesterday\"}",
         "finishedAt"},
        {"lodging.sync.failed",
         "{\"jobId\":\"j\",\"vendor\":\"sandbox\",\"hotelId\":\"\","
         "\"finishedAt\":\"2025-10-20T09:35:03Z\"}",
         "hotelId"},
        {"lodging.booking.held",
         "{\"jobId\":\"j\",\"vendor\":\"sandbox\",\"hotelId\":\"h\","
         "\"finishedAt\":\"2025-10-20T09:35:03Z\"}",
         "type"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sync_result_t r;
        char err[256] = "";
        ck_assert_int_eq(parse_with(cases[i].type, cases[i].data, &r, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].reason) != NULL, "case %zu: %s", i, err);
    }
    sync_result_t r;
    char err[256] = "";
    ck_assert_int_eq(sync_result_parse("{not json", 9, &r, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "CloudEvent"));
}
END_TEST

/* ---------------------------------------------------------------- alert -- */

START_TEST(test_the_stopped_alert_matches_the_ops_alert_schema)
{
    polling_stopped_alert_t a = {.vendor = "cloudbeds",
                                 .hotel_id = "hotel_123",
                                 .consecutive_failures = 5,
                                 .last_error = "PMS unavailable: HTTP 503"};
    cloudevent_t *ev = polling_stopped_event_new(&a);
    ck_assert_str_eq(ev->type, "lodging.ops.polling.stopped");
    ck_assert_str_eq(ev->subject, "cloudbeds:hotel_123");
    json_object *data = event_data(ev, "ops-alert");
    ck_assert_str_eq(field(data, "alert"), "polling.stopped");
    ck_assert_str_eq(field(data, "severity"), "critical");
    ck_assert_str_eq(field(data, "message"), "polling stopped after 5 consecutive failures");
    ck_assert_str_eq(field(data, "consecutiveFailures"), "5");
    ck_assert_str_eq(field(data, "lastError"), "PMS unavailable: HTTP 503");
    json_object_put(data);
    cloudevent_free(ev);

    a.last_error = NULL;
    ev = polling_stopped_event_new(&a);
    data = event_data(ev, "ops-alert");
    ck_assert_ptr_null(field(data, "lastError"));
    json_object_put(data);
    cloudevent_free(ev);
}
END_TEST

/* -------------------------------------------------------------- schedule -- */

START_TEST(test_the_scheduler_sleeps_until_the_next_due_hotel_but_at_most_a_tick)
{
    ck_assert_int_eq(sync_wait_ms(250, true, 1000), 250);
    ck_assert_int_eq(sync_wait_ms(5000, true, 1000), 1000);
    ck_assert_int_eq(sync_wait_ms(-40, true, 1000), 0);
    ck_assert_int_eq(sync_wait_ms(0, false, 1000), 1000);
}
END_TEST

START_TEST(test_only_the_contract_vendors_are_known)
{
    ck_assert(sync_vendor_known("cloudbeds"));
    ck_assert(sync_vendor_known("sandbox"));
    ck_assert(!sync_vendor_known("Cloudbeds"));
    ck_assert(!sync_vendor_known(""));
    ck_assert(!sync_vendor_known(NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("poller sync events");
    TCase *tc = tcase_create("events");
    tcase_add_test(tc, test_a_job_covers_today_to_today_plus_the_sync_days_in_utc_dates);
    tcase_add_test(tc, test_the_job_event_is_a_sync_requested_event_keyed_by_hotel);
    tcase_add_test(tc, test_the_contract_examples_of_sync_results_parse);
    tcase_add_test(tc, test_a_failure_without_an_error_text_still_counts);
    tcase_add_test(tc, test_malformed_results_are_refused_with_the_reason);
    tcase_add_test(tc, test_the_stopped_alert_matches_the_ops_alert_schema);
    tcase_add_test(tc, test_the_scheduler_sleeps_until_the_next_due_hotel_but_at_most_a_tick);
    tcase_add_test(tc, test_only_the_contract_vendors_are_known);
    suite_add_tcase(s, tc);
    return check_run(s);
}
