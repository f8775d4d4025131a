/* Unit tests for sandbox_form.c: percent- and '+'-decoding, Stripe-style
 * bracket keys, PHP-style nested keys, the canonical re-encoding, and
 * malformed bodies refused with a reason. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "sandbox_form.h"

static sandbox_form_t *parse(const char *text, char *err, size_t err_size)
{
    return sandbox_form_parse(text, strlen(text), err, err_size);
}

START_TEST(test_nested_keys_are_read_by_index_and_field)
{
    char err[128];
    sandbox_form_t *f = parse("propertyID=hotel_123&rooms%5B0%5D%5BroomTypeID%5D=room_456"
                              "&rooms[0][quantity]=2&customFields[3][fieldName]=holdExpiresAt",
                              err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(sandbox_form_get(f, "propertyID"), "hotel_123");
    ck_assert_str_eq(sandbox_form_get_indexed(f, "rooms", 0, "roomTypeID"), "room_456");
    ck_assert_str_eq(sandbox_form_get_indexed(f, "rooms", 0, "quantity"), "2");
    ck_assert_ptr_null(sandbox_form_get_indexed(f, "rooms", 1, "quantity"));
    ck_assert_int_eq(sandbox_form_max_index(f, "rooms"), 0);
    ck_assert_int_eq(sandbox_form_max_index(f, "customFields"), 3);
    ck_assert_int_eq(sandbox_form_max_index(f, "adults"), -1);
    sandbox_form_free(f);
}
END_TEST

START_TEST(test_an_index_above_the_limit_is_reported_as_one_past_it)
{
    char err[128];
    sandbox_form_t *f =
        parse("rooms[7][quantity]=1&rooms[999][quantity]=1&rooms[x]=1", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(sandbox_form_max_index(f, "rooms"), SANDBOX_FORM_MAX_INDEX + 1);
    sandbox_form_free(f);
}
END_TEST

START_TEST(test_values_are_percent_and_plus_decoded)
{
    char err[128];
    sandbox_form_t *f = parse("guestFirstName=%ED%99%8D&note=a+b%2Bc&empty=&flag", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(sandbox_form_get(f, "guestFirstName"), "홍");
    ck_assert_str_eq(sandbox_form_get(f, "note"), "a b+c");
    ck_assert_str_eq(sandbox_form_get(f, "empty"), "");
    ck_assert_str_eq(sandbox_form_get(f, "flag"), "");
    ck_assert_ptr_null(sandbox_form_get(f, "missing"));
    sandbox_form_free(f);
}
END_TEST

START_TEST(test_bracket_keys_are_kept_verbatim_and_repeats_counted)
{
    const char *body = "amount=250000&currency=krw&metadata%5Bbooking_id%5D=bk+1&"
                       "payment_method_types[]=card&payment_method_types[]=card&flag";
    char err[128];
    sandbox_form_t *f = parse(body, err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(sandbox_form_get(f, "amount"), "250000");
    ck_assert_str_eq(sandbox_form_get(f, "metadata[booking_id]"), "bk 1");
    ck_assert_uint_eq(sandbox_form_count(f, "payment_method_types[]"), 2);
    ck_assert_uint_eq(sandbox_form_count(f, "missing"), 0);
    ck_assert_str_eq(sandbox_form_get(f, "flag"), "");
    ck_assert_ptr_null(sandbox_form_get(f, "missing"));
    sandbox_form_free(f);
}
END_TEST

START_TEST(test_fields_are_listed_in_body_order)
{
    char err[128];
    sandbox_form_t *f = parse("b=2&a=1&&b=3", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(sandbox_form_field_count(f), 3);
    ck_assert_str_eq(sandbox_form_field_key(f, 0), "b");
    ck_assert_str_eq(sandbox_form_field_key(f, 1), "a");
    ck_assert_str_eq(sandbox_form_field_key(f, 2), "b");
    ck_assert_str_eq(sandbox_form_field_value(f, 0), "2");
    ck_assert_str_eq(sandbox_form_field_value(f, 2), "3");
    ck_assert_ptr_null(sandbox_form_field_key(f, 3));
    ck_assert_ptr_null(sandbox_form_field_value(f, 3));
    sandbox_form_free(f);
}
END_TEST

START_TEST(test_the_first_occurrence_of_a_key_wins)
{
    char err[128];
    sandbox_form_t *f = parse("a=1&a=2&&b=3&", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(sandbox_form_get(f, "a"), "1");
    ck_assert_str_eq(sandbox_form_get(f, "b"), "3");
    sandbox_form_free(f);
    f = parse("", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_null(sandbox_form_get(f, "a"));
    ck_assert_uint_eq(sandbox_form_field_count(f), 0);
    sandbox_form_free(f);
}
END_TEST

START_TEST(test_a_null_form_reads_as_empty)
{
    ck_assert_ptr_null(sandbox_form_get(NULL, "a"));
    ck_assert_uint_eq(sandbox_form_count(NULL, "a"), 0);
    ck_assert_uint_eq(sandbox_form_field_count(NULL), 0);
    ck_assert_ptr_null(sandbox_form_field_key(NULL, 0));
    ck_assert_ptr_null(sandbox_form_field_value(NULL, 0));
    ck_assert_int_eq(sandbox_form_max_index(NULL, "rooms"), -1);
    char *canon = sandbox_form_canonical(NULL);
    ck_assert_str_eq(canon, "");
    free(canon);
    sandbox_form_free(NULL);
}
END_TEST

START_TEST(test_malformed_bodies_are_refused_with_a_reason)
{
    static const struct {
        const char *text, *reason;
    } bad[] = {
        {"a=%zz", "%-escape in field a"},
        {"a=%4", "%-escape"},
        {"a=%", "%-escape"},
        {"amount=%zz", "%-escape in field amount"},
        {"=value", "empty name"},
        {"=1", "empty name"},
        {"a=%00b", "NUL byte"},
        {"a=%00", "NUL byte"},
        {"a=%ff%fe", "invalid UTF-8"},
        {"%C0%AF=x", "invalid UTF-8 in a field name"},
        {"a=%ED%A0%80", "invalid UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[128] = "";
        sandbox_form_t *f = parse(bad[i].text, err, sizeof err);
        ck_assert_msg(f == NULL, "accepted %s", bad[i].text);
        ck_assert_msg(strstr(err, "Malformed form body") != NULL, "reason for %s: %s", bad[i].text,
                      err);
        ck_assert_msg(strstr(err, bad[i].reason) != NULL, "reason for %s: %s", bad[i].text, err);
    }
}
END_TEST

START_TEST(test_a_raw_nul_byte_is_refused)
{
    const char with_nul[] = {'a', '=', '1', '\0', '2'};
    char err[128] = "";
    ck_assert_ptr_null(sandbox_form_parse(with_nul, sizeof with_nul, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "NUL byte"));
}
END_TEST

START_TEST(test_too_many_fields_are_refused)
{
    char text[SANDBOX_FORM_MAX_FIELDS * 8 + 16] = "";
    for (int i = 0; i < SANDBOX_FORM_MAX_FIELDS; i++)
        strcat(text, "k=v&");
    char err[128];
    sandbox_form_t *f = parse(text, err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(sandbox_form_count(f, "k"), SANDBOX_FORM_MAX_FIELDS);
    sandbox_form_free(f);
    strcat(text, "k=v&");
    ck_assert_ptr_null(parse(text, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "more than"));
}
END_TEST

START_TEST(test_canonical_ignores_parameter_order)
{
    char err[128];
    sandbox_form_t *a = parse("b=2&a=1&a=0", err, sizeof err);
    sandbox_form_t *b = parse("a=0&a=1&b=2", err, sizeof err);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    char *ca = sandbox_form_canonical(a), *cb = sandbox_form_canonical(b);
    ck_assert_str_eq(ca, cb);
    ck_assert_str_eq(ca, "a=0&a=1&b=2");
    free(ca);
    free(cb);
    sandbox_form_free(a);
    sandbox_form_free(b);
}
END_TEST

START_TEST(test_canonical_re_encodes_what_it_decoded)
{
    char err[128];
    sandbox_form_t *f = parse("metadata%5Bbooking_id%5D=bk+1&x=%26%3D", err, sizeof err);
    ck_assert_ptr_nonnull(f);
    char *canon = sandbox_form_canonical(f);
    sandbox_form_free(f);
    f = parse(canon, err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(sandbox_form_get(f, "metadata[booking_id]"), "bk 1");
    ck_assert_str_eq(sandbox_form_get(f, "x"), "&=");
    free(canon);
    sandbox_form_free(f);
}
END_TEST

START_TEST(test_utf8_validation_rejects_broken_sequences)
{
    ck_assert(sandbox_form_utf8_valid("plain", 5));
    ck_assert(sandbox_form_utf8_valid("\xed\x99\x8d", 3));
    ck_assert(!sandbox_form_utf8_valid("\xed\x99", 2));
    ck_assert(!sandbox_form_utf8_valid("\xc0\xaf", 2));
    ck_assert(!sandbox_form_utf8_valid("\xff", 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sandbox_form");
    TCase *tc = tcase_create("form");
    tcase_add_test(tc, test_nested_keys_are_read_by_index_and_field);
    tcase_add_test(tc, test_an_index_above_the_limit_is_reported_as_one_past_it);
    tcase_add_test(tc, test_values_are_percent_and_plus_decoded);
    tcase_add_test(tc, test_bracket_keys_are_kept_verbatim_and_repeats_counted);
    tcase_add_test(tc, test_fields_are_listed_in_body_order);
    tcase_add_test(tc, test_the_first_occurrence_of_a_key_wins);
    tcase_add_test(tc, test_a_null_form_reads_as_empty);
    tcase_add_test(tc, test_malformed_bodies_are_refused_with_a_reason);
    tcase_add_test(tc, test_a_raw_nul_byte_is_refused);
    tcase_add_test(tc, test_too_many_fields_are_refused);
    tcase_add_test(tc, test_canonical_ignores_parameter_order);
    tcase_add_test(tc, test_canonical_re_encodes_what_it_decoded);
    tcase_add_test(tc, test_utf8_validation_rejects_broken_sequences);
    suite_add_tcase(s, tc);
    return check_run(s);
}
