/* Unit tests for json.c — field-precise validation errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "check_run.h"

static json_object *body;
static json_error_t err;

static void setup(void)
{
    const char *text = "{\"hotelId\":\"hotel_123\",\"adults\":2,\"children\":0,\"frac\":1.5,"
                       "\"big\":99999999999999999999,\"flag\":true,\"name\":\"\","
                       "\"guestInfo\":{\"firstName\":\"홍\",\"email\":42},\"list\":[1]}";
    body = json_parse_object(text, strlen(text), &err);
    ck_assert_ptr_nonnull(body);
    memset(&err, 0, sizeof err);
}

static void teardown(void)
{
    json_object_put(body);
}

START_TEST(test_required_string_present_and_nested_paths_resolve)
{
    const char *s = NULL;
    ck_assert_int_eq(json_get_string(body, "hotelId", true, 1, 64, &s, &err), 0);
    ck_assert_str_eq(s, "hotel_123");
    ck_assert_int_eq(json_get_string(body, "guestInfo.firstName", true, 1, 64, &s, &err), 0);
    ck_assert_str_eq(s, "홍");
}
END_TEST

START_TEST(test_missing_required_field_names_the_full_path)
{
    const char *s = NULL;
    ck_assert_int_eq(json_get_string(body, "guestInfo.lastName", true, 1, 64, &s, &err), -1);
    ck_assert_str_eq(err.field, "guestInfo.lastName");
    ck_assert_str_eq(err.message, "guestInfo.lastName is required");
    ck_assert_int_eq(json_get_string(body, "payment.cardToken", true, 1, 64, &s, &err), -1);
    ck_assert_str_eq(err.field, "payment.cardToken");
}
END_TEST

START_TEST(test_wrong_types_are_named)
{
    const char *s = NULL;
    int64_t n = 0;
    bool b;
    ck_assert_int_eq(json_get_string(body, "guestInfo.email", true, 1, 64, &s, &err), -1);
    ck_assert_str_eq(err.message, "guestInfo.email must be a string");
    ck_assert_int_eq(json_get_int64(body, "hotelId", true, 0, 10, 0, &n, &err), -1);
    ck_assert_str_eq(err.message, "hotelId must be an integer");
    ck_assert_int_eq(json_get_int64(body, "flag", true, 0, 10, 0, &n, &err), -1);
    ck_assert_int_eq(json_get_int64(body, "frac", true, 0, 10, 0, &n, &err), -1);
    ck_assert_str_eq(err.message, "frac must be an integer");
    ck_assert_int_eq(json_get_bool(body, "adults", true, false, &b, &err), -1);
    ck_assert_str_eq(err.message, "adults must be true or false");
    ck_assert_int_eq(json_get_string(body, "hotelId.x", true, 1, 9, &s, &err), -1);
    ck_assert_str_eq(err.message, "hotelId must be an object");
}
END_TEST

START_TEST(test_integer_ranges_and_overflow_are_enforced)
{
    int64_t n = 0;
    ck_assert_int_eq(json_get_int64(body, "adults", true, 1, 20, 0, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(json_get_int64(body, "children", true, 1, 20, 0, &n, &err), -1);
    ck_assert_str_eq(err.message, "children must be an integer between 1 and 20");
    ck_assert_int_eq(json_get_int64(body, "big", true, 0, INT64_MAX, 0, &n, &err), -1);
    ck_assert_int_eq(json_get_int64(body, "absent", false, 0, 9, 7, &n, &err), 0);
    ck_assert_int_eq(n, 7);
}
END_TEST

START_TEST(test_string_length_limits)
{
    const char *s = NULL;
    ck_assert_int_eq(json_get_string(body, "name", true, 1, 10, &s, &err), -1);
    ck_assert_str_eq(err.message, "name must not be empty");
    ck_assert_int_eq(json_get_string(body, "hotelId", true, 1, 4, &s, &err), -1);
    ck_assert_str_eq(err.message, "hotelId must be at most 4 characters");
    ck_assert_int_eq(json_get_string(body, "optional", false, 1, 4, &s, &err), 0);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_a_nul_inside_a_string_is_refused_not_truncated)
{
    /* \u0000 is valid JSON; as a C string the name would end at "a". */
    const char *text = "{\"name\":\"a\\u0000b\"}";
    json_object *o = json_parse_object(text, strlen(text), &err);
    ck_assert_ptr_nonnull(o);
    const char *s = "untouched";
    ck_assert_int_eq(json_get_string(o, "name", true, 1, 10, &s, &err), -1);
    ck_assert_str_eq(err.field, "name");
    ck_assert_str_eq(err.message, "name must not contain a NUL character");
    ck_assert_int_eq(json_get_text(o, "name", true, 1, 10, &s, &err), -1);
    ck_assert_str_eq(err.field, "name");
    json_object_put(o);
}
END_TEST

START_TEST(test_text_refuses_control_characters_and_keeps_the_rest)
{
    static const char *const refused[] = {"{\"t\":\"a\\nb\"}", "{\"t\":\"\\t\"}",
                                          "{\"t\":\"x\\u001f\"}", "{\"t\":\"del\\u007f\"}",
                                          "{\"t\":\"\\u0001\"}"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        json_object *o = json_parse_object(refused[i], strlen(refused[i]), &err);
        ck_assert_ptr_nonnull(o);
        const char *s = "untouched";
        ck_assert_msg(json_get_text(o, "t", true, 1, 10, &s, &err) == -1, "%s", refused[i]);
        ck_assert_str_eq(err.field, "t");
        ck_assert_str_eq(err.message, "t must not contain control characters");
        ck_assert_ptr_null(s);
        json_object_put(o);
    }
    /* Non-ASCII letters, spaces and U+0080 and above are text. */
    const char *ok = "{\"t\":\"홍 길동 \\u00e9\\u0080~\"}";
    json_object *o = json_parse_object(ok, strlen(ok), &err);
    const char *s = NULL;
    ck_assert_int_eq(json_get_text(o, "t", true, 1, 64, &s, &err), 0);
    ck_assert_str_eq(s, "홍 길동 \xc3\xa9\xc2\x80~");
    ck_assert_int_eq(json_get_text(body, "optional", false, 1, 4, &s, &err), 0);
    ck_assert_ptr_null(s);
    json_object_put(o);
}
END_TEST

START_TEST(test_objects_and_arrays)
{
    json_object *o = NULL;
    ck_assert_int_eq(json_get_object(body, "guestInfo", true, &o, &err), 0);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(json_get_array(body, "list", true, &o, &err), 0);
    ck_assert_int_eq(json_get_object(body, "list", true, &o, &err), -1);
    ck_assert_str_eq(err.message, "list must be an object");
}
END_TEST

START_TEST(test_invalid_bodies_are_rejected_with_a_reason)
{
    static const char *bad[] = {"", "{", "[]", "\"x\"", "{\"a\":1}x", "{\"a\":tru}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_error_t e;
        ck_assert_ptr_null(json_parse_object(bad[i], strlen(bad[i]), &e));
        ck_assert_str_eq(e.field, "body");
        ck_assert(e.message[0] != '\0');
    }
    json_error_t e;
    ck_assert_ptr_null(json_parse_object("{\"a\":\"\0\"}", 9, &e));
    ck_assert_ptr_nonnull(strstr(e.message, "NUL"));
}
END_TEST

START_TEST(test_serialisation_keeps_slashes_and_unicode)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", json_object_new_string("/api/x"));
    json_object_object_add(o, "name", json_object_new_string("홍길동"));
    char *s = json_to_string_dup(o);
    ck_assert_str_eq(s, "{\"path\":\"/api/x\",\"name\":\"홍길동\"}");
    free(s);
    json_object_put(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_required_string_present_and_nested_paths_resolve);
    tcase_add_test(tc, test_missing_required_field_names_the_full_path);
    tcase_add_test(tc, test_wrong_types_are_named);
    tcase_add_test(tc, test_integer_ranges_and_overflow_are_enforced);
    tcase_add_test(tc, test_string_length_limits);
    tcase_add_test(tc, test_a_nul_inside_a_string_is_refused_not_truncated);
    tcase_add_test(tc, test_text_refuses_control_characters_and_keeps_the_rest);
    tcase_add_test(tc, test_objects_and_arrays);
    tcase_add_test(tc, test_invalid_bodies_are_rejected_with_a_reason);
    tcase_add_test(tc, test_serialisation_keeps_slashes_and_unicode);
    suite_add_tcase(s, tc);
    return check_run(s);
}
