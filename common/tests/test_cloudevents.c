/* Unit tests for cloudevents.c — the CloudEvents 1.0 envelope. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cloudevents.h"
#include "common/trace.h"
#include "check_run.h"

START_TEST(test_an_event_round_trips_with_unicode_data)
{
    json_object *data = json_object_new_object();
    json_object_object_add(data, "hotelId", json_object_new_string("hotel_123"));
    json_object_object_add(data, "note", json_object_new_string("재고 부족"));
    cloudevent_t *ev = cloudevent_new("lodging.booking.confirmed", "/booking-svc", "bk_1", data);
    ck_assert_ptr_nonnull(ev);
    ck_assert_uint_eq(strlen(ev->id), 36);
    char *json = cloudevent_to_json(ev);
    char err[256];
    cloudevent_t *back = cloudevent_parse(json, strlen(json), err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert_str_eq(back->id, ev->id);
    ck_assert_str_eq(back->type, "lodging.booking.confirmed");
    ck_assert_str_eq(back->subject, "bk_1");
    ck_assert_str_eq(back->time, ev->time);
    json_object *note;
    ck_assert(json_object_object_get_ex(back->data, "note", &note));
    ck_assert_str_eq(json_object_get_string(note), "재고 부족");
    ck_assert_str_eq(back->dataschema, "urn:lodging:events:booking");
    free(json);
    cloudevent_free(back);
    cloudevent_free(ev);
}
END_TEST

/* Header name → value of a binary-mode message, or NULL. */
static const char *header(const cloudevent_kafka_t *m, const char *name)
{
    for (size_t i = 0; i < m->header_count; i++)
        if (strcmp(m->headers[i].name, name) == 0)
            return m->headers[i].value;
    return NULL;
}

START_TEST(test_binary_mode_puts_attributes_in_headers_and_the_data_in_the_value)
{
    json_object *data = json_object_new_object();
    json_object_object_add(data, "bookingId", json_object_new_string("bk_1"));
    trace_context_t t;
    ck_assert_int_eq(trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                 "congo=t61rcWkgMzE", &t),
                     0);
    trace_set_current(&t);
    cloudevent_t *ev = cloudevent_new("lodging.booking.held", "/booking-svc", "bk_1", data);
    trace_set_current(NULL);
    cloudevent_kafka_t m;
    ck_assert_int_eq(cloudevent_to_kafka(ev, &m), 0);
    ck_assert_str_eq(m.value, "{\"bookingId\":\"bk_1\"}");
    ck_assert_uint_eq(m.len, strlen(m.value));
    ck_assert_str_eq(header(&m, "content-type"), "application/json");
    ck_assert_str_eq(header(&m, "ce_specversion"), "1.0");
    ck_assert_str_eq(header(&m, "ce_id"), ev->id);
    ck_assert_str_eq(header(&m, "ce_source"), "/booking-svc");
    ck_assert_str_eq(header(&m, "ce_type"), "lodging.booking.held");
    ck_assert_str_eq(header(&m, "ce_subject"), "bk_1");
    ck_assert_str_eq(header(&m, "ce_time"), ev->time);
    ck_assert_str_eq(header(&m, "ce_dataschema"), "urn:lodging:events:booking");
    ck_assert_str_eq(header(&m, "ce_traceparent"),
                     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    ck_assert_str_eq(header(&m, "ce_tracestate"), "congo=t61rcWkgMzE");
    /* the structured form (the outbox row) keeps the tracing extension too */
    char *json = cloudevent_to_json(ev);
    char err[256];
    cloudevent_t *back = cloudevent_parse(json, strlen(json), err, sizeof err);
    ck_assert_msg(back != NULL, "%s", err);
    ck_assert_str_eq(back->traceparent, ev->traceparent);
    ck_assert_str_eq(back->tracestate, "congo=t61rcWkgMzE");
    free(json);
    cloudevent_free(back);
    cloudevent_kafka_clear(&m);
    cloudevent_free(ev);
}
END_TEST

START_TEST(test_without_a_trace_or_a_known_type_those_headers_are_left_out)
{
    cloudevent_t *ev = cloudevent_new("lodging.test.unknown", "/test", NULL, NULL);
    cloudevent_kafka_t m;
    ck_assert_int_eq(cloudevent_to_kafka(ev, &m), 0);
    ck_assert_str_eq(m.value, "");
    ck_assert_ptr_null(header(&m, "content-type"));
    ck_assert_ptr_null(header(&m, "ce_dataschema"));
    ck_assert_ptr_null(header(&m, "ce_traceparent"));
    ck_assert_ptr_null(header(&m, "ce_subject"));
    ck_assert_str_eq(header(&m, "ce_specversion"), "1.0");
    cloudevent_kafka_clear(&m);
    cloudevent_free(ev);
}
END_TEST

START_TEST(test_every_published_type_has_a_dataschema_naming_a_schema_file)
{
    static const char *types[] = {"lodging.pms.inventory.updated",
                                  "lodging.pms.rate.updated",
                                  "lodging.pms.booking.confirmed",
                                  "lodging.pms.booking.cancelled",
                                  "lodging.pms.room.updated",
                                  "lodging.sync.requested",
                                  "lodging.sync.succeeded",
                                  "lodging.sync.failed",
                                  "lodging.booking.requested",
                                  "lodging.booking.held",
                                  "lodging.booking.payment_authorized",
                                  "lodging.booking.confirmed",
                                  "lodging.booking.captured",
                                  "lodging.booking.failed",
                                  "lodging.booking.compensated",
                                  "lodging.booking.cancelled",
                                  "lodging.booking.modified",
                                  "lodging.booking.compensation.requested",
                                  "lodging.ops.polling.stopped",
                                  "lodging.ops.breaker.opened",
                                  "lodging.ops.compensation.stuck"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        const char *uri = cloudevent_dataschema_of(types[i]);
        ck_assert_msg(uri != NULL, "%s has no dataschema", types[i]);
        ck_assert(
            strncmp(uri, CLOUDEVENT_DATASCHEMA_PREFIX, strlen(CLOUDEVENT_DATASCHEMA_PREFIX)) == 0);
        char path[1024];
        snprintf(path, sizeof path, "%s/proto/events/%s.schema.json", LODGING_SOURCE_DIR,
                 uri + strlen(CLOUDEVENT_DATASCHEMA_PREFIX));
        FILE *f = fopen(path, "r");
        ck_assert_msg(f != NULL, "%s: no %s", types[i], path);
        fclose(f);
    }
    ck_assert_ptr_null(cloudevent_dataschema_of("lodging.booking.unknown"));
}
END_TEST

START_TEST(test_every_missing_or_invalid_attribute_is_named)
{
    static const struct {
        const char *json;
        const char *expect;
    } cases[] = {
        {"{\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}", "specversion is required"},
        {"{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}",
         "specversion must be \"1.0\""},
        {"{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}", "id is required"},
        {"{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"/s\",\"type\":\"t\"}",
         "id must not be empty"},
        {"{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"t\"}", "source is required"},
        {"{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\"}", "type is required"},
        {"{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
         "\"time\":\"yesterday\"}",
         "time must be an RFC 3339 timestamp"},
        {"{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"data\":[1]}",
         "data must be an object"},
        {"not json", "body is not valid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[256] = "";
        cloudevent_t *ev = cloudevent_parse(cases[i].json, strlen(cases[i].json), err, sizeof err);
        ck_assert_ptr_null(ev);
        ck_assert_msg(strstr(err, cases[i].expect) != NULL, "case %zu: '%s'", i, err);
    }
}
END_TEST

START_TEST(test_time_accepts_offsets_and_fractions)
{
    const char *json = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
                       "\"time\":\"2025-11-01T09:30:00+09:00\"}";
    char err[256];
    cloudevent_t *ev = cloudevent_parse(json, strlen(json), err, sizeof err);
    ck_assert_msg(ev != NULL, "%s", err);
    cloudevent_free(ev);
}
END_TEST

/* Reads a file into a static buffer. */
static const char *slurp(const char *path, size_t *len)
{
    static char buf[65536];
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

START_TEST(test_every_proto_example_event_parses_as_a_cloudevent)
{
    const char *dir = LODGING_SOURCE_DIR "/proto/examples/events";
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int parsed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".json"))
            continue;
        char path[1024], err[256];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        const char *text = slurp(path, &len);
        cloudevent_t *ev = cloudevent_parse(text, len, err, sizeof err);
        ck_assert_msg(ev != NULL, "%s: %s", e->d_name, err);
        ck_assert_msg(strncmp(ev->type, "lodging.", 8) == 0, "%s: type %s", e->d_name, ev->type);
        ck_assert_ptr_nonnull(ev->data);
        cloudevent_free(ev);
        parsed++;
    }
    closedir(d);
    ck_assert_int_ge(parsed, 20);
}
END_TEST

START_TEST(test_invalid_proto_envelopes_are_rejected)
{
    static const char *files[] = {"missing-id.json", "bad-specversion.json"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[1024], err[256];
        size_t len;
        snprintf(path, sizeof path, "%s/proto/examples/invalid/%s", LODGING_SOURCE_DIR, files[i]);
        const char *text = slurp(path, &len);
        ck_assert_ptr_null(cloudevent_parse(text, len, err, sizeof err));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cloudevents");
    TCase *tc = tcase_create("envelope");
    tcase_add_test(tc, test_an_event_round_trips_with_unicode_data);
    tcase_add_test(tc, test_binary_mode_puts_attributes_in_headers_and_the_data_in_the_value);
    tcase_add_test(tc, test_without_a_trace_or_a_known_type_those_headers_are_left_out);
    tcase_add_test(tc, test_every_published_type_has_a_dataschema_naming_a_schema_file);
    tcase_add_test(tc, test_every_missing_or_invalid_attribute_is_named);
    tcase_add_test(tc, test_time_accepts_offsets_and_fractions);
    tcase_add_test(tc, test_every_proto_example_event_parses_as_a_cloudevent);
    tcase_add_test(tc, test_invalid_proto_envelopes_are_rejected);
    suite_add_tcase(s, tc);
    return check_run(s);
}
