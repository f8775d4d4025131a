/* PollingStatus JSON (proto/openapi.yaml components.schemas.PollingStatus). */
#include <check.h>
#include <json-c/json.h>
#include <string.h>

#include "api.h"
#include "check_run.h"

START_TEST(test_status_has_exactly_the_six_fields_with_times_in_rfc3339)
{
    poller_status_t st = {.vendor = "cloudbeds",
                          .hotel_id = "hotel_123",
                          .is_running = true,
                          .last_sync_ms = 1760952602410, /* 2025-10-20T09:30:02.410Z */
                          .next_sync_ms = 1760952902410,
                          .error_count = 2};
    json_object *o = api_status_json(&st);
    ck_assert_int_eq(json_object_object_length(o), 6);
    ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                     "{\"hotelId\":\"hotel_123\",\"vendor\":\"cloudbeds\",\"isRunning\":true,"
                     "\"lastSyncAt\":\"2025-10-20T09:30:02.410Z\","
                     "\"nextSyncAt\":\"2025-10-20T09:35:02.410Z\",\"errorCount\":2}");
    json_object_put(o);
}
END_TEST

START_TEST(test_a_never_synced_stopped_hotel_has_null_times)
{
    poller_status_t st = {.vendor = "sandbox",
                          .hotel_id = "h1",
                          .is_running = false,
                          .last_sync_ms = -1,
                          .next_sync_ms = -1,
                          .error_count = 5};
    json_object *o = api_status_json(&st);
    json_object *v = NULL;
    ck_assert(json_object_object_get_ex(o, "lastSyncAt", &v));
    ck_assert_ptr_null(v);
    ck_assert(json_object_object_get_ex(o, "nextSyncAt", &v));
    ck_assert_ptr_null(v);
    ck_assert(json_object_object_get_ex(o, "isRunning", &v));
    ck_assert(!json_object_get_boolean(v));
    json_object_put(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("poller api status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_status_has_exactly_the_six_fields_with_times_in_rfc3339);
    tcase_add_test(tc, test_a_never_synced_stopped_hotel_has_null_times);
    suite_add_tcase(s, tc);
    return check_run(s);
}
