/* Unit tests of cancel_policy: the fee of a cancel at a moment under each
 * kind of policy, the deadline taken in the hotel's time zone, the
 * platform's floor, the policy's JSON and its words. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/cancel_policy.h"
#include "check_run.h"

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)

static dates_day_t day(const char *iso)
{
    dates_day_t d;
    ck_assert_int_eq(dates_parse_iso(iso, &d), 0);
    return d;
}

START_TEST(test_local_midnight_is_the_hotels)
{
    /* 2025-11-01 00:00 in Seoul is 2025-10-31 15:00 UTC */
    dates_day_t d = day("2025-11-01");
    ck_assert_int_eq(cancel_policy_local_midnight_ms(d, "Asia/Seoul"),
                     (int64_t)d * DAY_MS - 9 * HOUR_MS);
    ck_assert_int_eq(cancel_policy_local_midnight_ms(d, "UTC"), (int64_t)d * DAY_MS);
    ck_assert_int_eq(cancel_policy_local_midnight_ms(d, ""), (int64_t)d * DAY_MS - 9 * HOUR_MS);
}
END_TEST

START_TEST(test_free_until_charges_only_from_its_deadline_in_the_hotels_time_zone)
{
    cancel_policy_t p;
    ck_assert_int_eq(cancel_policy_parse("{\"type\":\"free_until\",\"hoursBefore\":72,\"fee\":"
                                         "\"first_night\",\"firstNight\":125000,\"timeZone\":"
                                         "\"Asia/Seoul\"}",
                                         &p),
                     0);
    dates_day_t in = day("2025-11-04");
    int64_t deadline = (int64_t)in * DAY_MS - 9 * HOUR_MS - 72 * HOUR_MS;
    cancel_moment_t m = {.now_ms = deadline - 1, .booked_ms = 0, .check_in = in, .amount = 250000};
    cancel_quote_t q;
    cancel_policy_quote(&p, &m, &q);
    ck_assert_int_eq(q.fee, 0);
    ck_assert_int_eq(q.refund, 250000);
    ck_assert_int_eq(q.deadline_ms, deadline);
    m.now_ms = deadline; /* in UTC terms still 9 hours early */
    cancel_policy_quote(&p, &m, &q);
    ck_assert_int_eq(q.fee, 125000);
    ck_assert_int_eq(q.refund, 125000);
    ck_assert_int_eq(cancel_policy_parse("{\"type\":\"free_until\",\"hoursBefore\":24,\"fee\":"
                                         "\"percent\",\"percent\":30}",
                                         &p),
                     0);
    m.now_ms = (int64_t)in * DAY_MS; /* past any deadline */
    cancel_policy_quote(&p, &m, &q);
    ck_assert_int_eq(q.fee, 75000);
}
END_TEST

START_TEST(test_non_refundable_keeps_everything_but_the_platform_floor_returns_it)
{
    cancel_policy_t p;
    ck_assert_int_eq(cancel_policy_parse("{\"type\":\"non_refundable\"}", &p), 0);
    dates_day_t in = day("2025-11-04");
    int64_t midnight = (int64_t)in * DAY_MS - 9 * HOUR_MS;
    cancel_moment_t m = {.now_ms = midnight - 48 * HOUR_MS,
                         .booked_ms = midnight - 50 * HOUR_MS,
                         .check_in = in,
                         .amount = 250000,
                         .free_hours = 24};
    cancel_quote_t q;
    cancel_policy_quote(&p, &m, &q);
    ck_assert(q.platform_floor);
    ck_assert_int_eq(q.fee, 0);
    m.now_ms = m.booked_ms + 24 * HOUR_MS; /* the floor's 24 hours are over */
    cancel_policy_quote(&p, &m, &q);
    ck_assert_int_eq(q.fee, 250000);
    /* booked an hour before the check-in day: free only until its 00:00 */
    m.booked_ms = midnight - HOUR_MS;
    m.now_ms = midnight - 1;
    cancel_policy_quote(&p, &m, &q);
    ck_assert_int_eq(q.fee, 0);
    m.now_ms = midnight;
    cancel_policy_quote(&p, &m, &q);
    ck_assert_int_eq(q.fee, 250000);
    m.free_hours = 0;
    m.now_ms = m.booked_ms + 1;
    cancel_policy_quote(&p, &m, &q);
    ck_assert_int_eq(q.fee, 250000);
}
END_TEST

START_TEST(test_no_policy_is_free_and_nonsense_is_refused)
{
    cancel_policy_t p;
    ck_assert_int_eq(cancel_policy_parse(NULL, &p), 0);
    ck_assert_int_eq(p.type, CANCEL_POLICY_NONE);
    ck_assert_int_eq(cancel_policy_parse("{\"type\":\"sometimes\"}", &p), -1);
    ck_assert_int_eq(cancel_policy_parse("{\"type\":\"free_until\",\"hoursBefore\":-1}", &p), -1);
    ck_assert_int_eq(cancel_policy_parse("not json", &p), -1);
}
END_TEST

START_TEST(test_the_policy_is_described_in_korean_and_english)
{
    cancel_policy_t p;
    ck_assert_int_eq(cancel_policy_parse("{\"type\":\"free_until\",\"hoursBefore\":72,\"fee\":"
                                         "\"first_night\",\"firstNight\":125000}",
                                         &p),
                     0);
    char *json = cancel_policy_to_json(&p, day("2025-11-04"), 250000, "KRW");
    ck_assert_ptr_nonnull(json);
    ck_assert_msg(strstr(json, "2025-11-01 00:00 (Asia/Seoul)"), "%s", json);
    ck_assert_msg(strstr(json, "무료 취소"), "%s", json);
    ck_assert_msg(strstr(json, "Free cancellation before"), "%s", json);
    ck_assert_msg(strstr(json, "125000 KRW") || strstr(json, "125,000"), "%s", json);
    free(json);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cancel_policy");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, test_local_midnight_is_the_hotels);
    tcase_add_test(tc, test_free_until_charges_only_from_its_deadline_in_the_hotels_time_zone);
    tcase_add_test(tc, test_non_refundable_keeps_everything_but_the_platform_floor_returns_it);
    tcase_add_test(tc, test_no_policy_is_free_and_nonsense_is_refused);
    tcase_add_test(tc, test_the_policy_is_described_in_korean_and_english);
    suite_add_tcase(s, tc);
    return check_run(s);
}
