/* Unit tests for the pms-sandbox form parser: PHP-style nested keys,
 * percent-decoding, and malformed bodies refused with a reason. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "form.h"

static form_t *parse(const char *text, char *err, size_t err_size)
{
    return form_parse(text, strlen(text), err, err_size);
}

START_TEST(test_nested_keys_are_read_by_index_and_field)
{
    char err[128];
    form_t *f = parse("propertyID=hotel_123&rooms%5B0%5D%5BroomTypeID%5D=room_456"
                      "&rooms[0][quantity]=2&customFields[3][fieldName]=holdExpiresAt",
                      err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(form_get(f, "propertyID"), "hotel_123");
    ck_assert_str_eq(form_get_indexed(f, "rooms", 0, "roomTypeID"), "room_456");
    ck_assert_str_eq(form_get_indexed(f, "rooms", 0, "quantity"), "2");
    ck_assert_ptr_null(form_get_indexed(f, "rooms", 1, "quantity"));
    ck_assert_int_eq(form_max_index(f, "rooms"), 0);
    ck_assert_int_eq(form_max_index(f, "customFields"), 3);
    ck_assert_int_eq(form_max_index(f, "adults"), -1);
    form_free(f);
}
END_TEST

START_TEST(test_values_are_percent_and_plus_decoded)
{
    char err[128];
    form_t *f = parse("guestFirstName=%ED%99%8D&note=a+b%2Bc&empty=&flag", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(form_get(f, "guestFirstName"), "홍");
    ck_assert_str_eq(form_get(f, "note"), "a b+c");
    ck_assert_str_eq(form_get(f, "empty"), "");
    ck_assert_str_eq(form_get(f, "flag"), "");
    ck_assert_ptr_null(form_get(f, "missing"));
    form_free(f);
}
END_TEST

START_TEST(test_the_first_occurrence_of_a_key_wins)
{
    char err[128];
    form_t *f = parse("a=1&a=2&&b=3&", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(form_get(f, "a"), "1");
    ck_assert_str_eq(form_get(f, "b"), "3");
    form_free(f);
    f = parse("", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_null(form_get(f, "a"));
    form_free(f);
}
END_TEST

START_TEST(test_malformed_bodies_are_refused_with_a_reason)
{
    static const char *bad[] = {"a=%zz",  "a=%4",     "a=%",      "=value",
                                "a=%00b", "a=%ff%fe", "%C0%AF=x", "a=%ED%A0%80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[128] = "";
        form_t *f = parse(bad[i], err, sizeof err);
        ck_assert_msg(f == NULL, "accepted %s", bad[i]);
        ck_assert_msg(strstr(err, "Malformed form body") != NULL, "reason for %s: %s", bad[i], err);
    }
}
END_TEST

START_TEST(test_too_many_fields_are_refused)
{
    char text[FORM_MAX_FIELDS * 8 + 16] = "";
    for (int i = 0; i <= FORM_MAX_FIELDS; i++)
        strcat(text, "k=v&");
    char err[128];
    ck_assert_ptr_null(parse(text, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "more than"));
}
END_TEST

START_TEST(test_utf8_validation_rejects_broken_sequences)
{
    ck_assert(form_utf8_valid("plain", 5));
    ck_assert(form_utf8_valid("\xed\x99\x8d", 3));
    ck_assert(!form_utf8_valid("\xed\x99", 2));
    ck_assert(!form_utf8_valid("\xc0\xaf", 2));
    ck_assert(!form_utf8_valid("\xff", 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pms_sandbox_form");
    TCase *tc = tcase_create("form");
    tcase_add_test(tc, test_nested_keys_are_read_by_index_and_field);
    tcase_add_test(tc, test_values_are_percent_and_plus_decoded);
    tcase_add_test(tc, test_the_first_occurrence_of_a_key_wins);
    tcase_add_test(tc, test_malformed_bodies_are_refused_with_a_reason);
    tcase_add_test(tc, test_too_many_fields_are_refused);
    tcase_add_test(tc, test_utf8_validation_rejects_broken_sequences);
    suite_add_tcase(s, tc);
    return check_run(s);
}
