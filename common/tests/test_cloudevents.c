/* Unit tests for cloudevents.c — the CloudEvents 1.0 envelope. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cloudevents.h"

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
    kafka_header_t h[CLOUDEVENT_HEADER_COUNT];
    cloudevent_kafka_headers(ev, h);
    ck_assert_str_eq(h[0].value, "application/cloudevents+json");
    ck_assert_str_eq(h[1].value, ev->id);
    free(json);
    cloudevent_free(back);
    cloudevent_free(ev);
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

int main(void)
{
    Suite *s = suite_create("cloudevents");
    TCase *tc = tcase_create("envelope");
    tcase_add_test(tc, test_an_event_round_trips_with_unicode_data);
    tcase_add_test(tc, test_every_missing_or_invalid_attribute_is_named);
    tcase_add_test(tc, test_time_accepts_offsets_and_fractions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
