/* Unit tests for dates.c — strict ISO dates, stays, ranges, leap years. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/dates.h"
#include "check_run.h"

static bool parses(const char *s)
{
    dates_day_t d;
    return dates_parse_iso(s, &d) == 0;
}

START_TEST(test_leap_years_follow_the_gregorian_rules)
{
    ck_assert(parses("2024-02-29"));
    ck_assert(parses("2000-02-29"));
    ck_assert(!parses("2023-02-29"));
    ck_assert(!parses("2100-02-29"));
}
END_TEST

START_TEST(test_malformed_dates_are_rejected)
{
    static const char *bad[] = {"2025-13-01",  "2025-00-10", "2025-04-31", "2025-1-1",
                                "2025-11-01T", "25-11-01",   "2025/11/01", "",
                                "abcd-ef-gh",  "1969-12-31", " 2025-11-01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!parses(bad[i]), "accepted %s", bad[i]);
    ck_assert(!parses(NULL));
}
END_TEST

START_TEST(test_every_day_round_trips_through_text)
{
    dates_day_t start, end;
    ck_assert_int_eq(dates_parse_iso("1970-01-01", &start), 0);
    ck_assert_int_eq(start, 0);
    ck_assert_int_eq(dates_parse_iso("2399-12-31", &end), 0);
    char text[DATES_ISO_LEN + 1];
    for (dates_day_t d = start; d <= end; d++) {
        dates_day_t back;
        dates_format_iso(d, text);
        ck_assert_int_eq(dates_parse_iso(text, &back), 0);
        ck_assert_int_eq(back, d);
    }
}
END_TEST

START_TEST(test_month_ends_and_year_rollover)
{
    dates_day_t d;
    char t[DATES_ISO_LEN + 1];
    dates_parse_iso("2025-12-31", &d);
    dates_format_iso(d + 1, t);
    ck_assert_str_eq(t, "2026-01-01");
    dates_parse_iso("2024-02-28", &d);
    dates_format_iso(d + 1, t);
    ck_assert_str_eq(t, "2024-02-29");
    dates_format_iso(d + 2, t);
    ck_assert_str_eq(t, "2024-03-01");
}
END_TEST

START_TEST(test_a_stay_has_nights_from_check_in_to_the_day_before_check_out)
{
    dates_day_t in, out;
    int nights = 0;
    char err[128];
    ck_assert_int_eq(
        dates_validate_stay("2025-11-01", "2025-11-03", &in, &out, &nights, err, sizeof err), 0);
    ck_assert_int_eq(nights, 2);
    ck_assert_int_eq(out - in, 2);
}
END_TEST

START_TEST(test_invalid_stays_name_the_problem)
{
    dates_day_t in, out;
    int n;
    char err[128];
    ck_assert_int_eq(dates_validate_stay("2025-11-3", "2025-11-05", &in, &out, &n, err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "checkIn must be a date YYYY-MM-DD");
    ck_assert_int_eq(
        dates_validate_stay("2025-11-03", "2025-11-31", &in, &out, &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "checkOut must be a date YYYY-MM-DD");
    ck_assert_int_eq(
        dates_validate_stay("2025-11-03", "2025-11-03", &in, &out, &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "checkOut must be after checkIn");
    ck_assert_int_eq(
        dates_validate_stay("2025-11-03", "2025-11-01", &in, &out, &n, err, sizeof err), -1);
    ck_assert_int_eq(
        dates_validate_stay("2025-01-01", "2026-01-01", &in, &out, &n, err, sizeof err), 0);
    ck_assert_int_eq(n, 365);
    ck_assert_int_eq(
        dates_validate_stay("2024-01-01", "2025-01-01", &in, &out, &n, err, sizeof err), -1);
    ck_assert_str_eq(err, "a stay may be at most 365 nights");
}
END_TEST

START_TEST(test_query_ranges_are_inclusive_and_bounded)
{
    dates_day_t a, b;
    char err[128];
    ck_assert_int_eq(dates_validate_range("2025-11-01", "2025-11-01", &a, &b, err, sizeof err), 0);
    ck_assert_int_eq(dates_validate_range("2025-11-02", "2025-11-01", &a, &b, err, sizeof err), -1);
    ck_assert_str_eq(err, "to must not be before from");
    ck_assert_int_eq(dates_validate_range("2025-01-01", "2026-06-01", &a, &b, err, sizeof err), -1);
}
END_TEST

START_TEST(test_rfc3339_timestamps_have_milliseconds_and_z)
{
    char t[DATES_RFC3339_LEN + 1];
    dates_format_rfc3339(1761989400123LL, t);
    ck_assert_str_eq(t, "2025-11-01T09:30:00.123Z");
    dates_now_rfc3339(t);
    ck_assert_uint_eq(strlen(t), DATES_RFC3339_LEN);
    ck_assert_int_eq(t[DATES_RFC3339_LEN - 1], 'Z');
}
END_TEST

START_TEST(test_rfc3339_parse)
{
    int64_t ms = 0;
    ck_assert_int_eq(dates_parse_rfc3339("2025-11-01T09:30:00.123Z", &ms), 0);
    ck_assert_int_eq(ms, 1761989400123LL);
    ck_assert_int_eq(dates_parse_rfc3339("2025-11-01T09:30:00Z", &ms), 0);
    ck_assert_int_eq(ms, 1761989400000LL);
    ck_assert_int_eq(dates_parse_rfc3339("2025-11-01T18:30:00+09:00", &ms), 0);
    ck_assert_int_eq(ms, 1761989400000LL);
    ck_assert_int_eq(dates_parse_rfc3339("2025-11-01 09:30:00", &ms), 0);
    ck_assert_int_eq(ms, 1761989400000LL);
    char t[DATES_RFC3339_LEN + 1];
    dates_format_rfc3339(1761989400123LL, t);
    ck_assert_int_eq(dates_parse_rfc3339(t, &ms), 0);
    ck_assert_int_eq(ms, 1761989400123LL);
    ck_assert_int_eq(dates_parse_rfc3339("2025-11-01T09:30:00", &ms), -1);
    ck_assert_int_eq(dates_parse_rfc3339("2025-11-01T25:30:00Z", &ms), -1);
    ck_assert_int_eq(dates_parse_rfc3339("2025-02-30T09:30:00Z", &ms), -1);
    ck_assert_int_eq(dates_parse_rfc3339("2025-11-01T09:30:00Zjunk", &ms), -1);
    ck_assert_int_eq(dates_parse_rfc3339("2025-11-01T09:30:00.Z", &ms), -1);
    ck_assert_int_eq(dates_parse_rfc3339("", &ms), -1);
    ck_assert_int_eq(dates_parse_rfc3339(NULL, &ms), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dates");
    TCase *tc = tcase_create("dates");
    tcase_add_test(tc, test_leap_years_follow_the_gregorian_rules);
    tcase_add_test(tc, test_malformed_dates_are_rejected);
    tcase_add_test(tc, test_every_day_round_trips_through_text);
    tcase_add_test(tc, test_month_ends_and_year_rollover);
    tcase_add_test(tc, test_a_stay_has_nights_from_check_in_to_the_day_before_check_out);
    tcase_add_test(tc, test_invalid_stays_name_the_problem);
    tcase_add_test(tc, test_query_ranges_are_inclusive_and_bounded);
    tcase_add_test(tc, test_rfc3339_timestamps_have_milliseconds_and_z);
    tcase_add_test(tc, test_rfc3339_parse);
    suite_add_tcase(s, tc);
    return check_run(s);
}
