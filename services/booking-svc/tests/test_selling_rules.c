/* Unit tests of selling_rules: each restriction of a rate plan refuses the
 * stay that breaks it, naming the day, and accepts the stay exactly on its
 * edge; days whose rules were not read break nothing. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "selling_rules.h"

#define NIGHTS 3

static selling_rules_night_t days[NIGHTS + 2];
static dates_day_t in;

static void setup(void)
{
    memset(days, 0, sizeof days);
    for (int i = 0; i < NIGHTS + 2; i++)
        days[i].known = true;
    ck_assert_int_eq(dates_parse_iso("2025-11-01", &in), 0);
}

static void assert_broken(int nights, const char *code, const char *day)
{
    selling_rules_verdict_t v;
    ck_assert_int_eq(selling_rules_check(days, nights, in, &v), -1);
    ck_assert_str_eq(v.code, code);
    ck_assert_msg(strstr(v.message, day), "%s does not name %s", v.message, day);
}

static void assert_fine(int nights)
{
    selling_rules_verdict_t v;
    ck_assert_msg(selling_rules_check(days, nights, in, &v) == 0, "%s", v.message);
}

START_TEST(test_a_stay_without_restrictions_is_fine)
{
    assert_fine(NIGHTS);
}
END_TEST

START_TEST(test_a_closed_night_refuses_the_stay_but_not_a_departure_on_it)
{
    days[2].rules.closed = true;
    assert_broken(3, "RATE_PLAN_CLOSED", "2025-11-03");
    assert_fine(2); /* leaves on the closed day */
}
END_TEST

START_TEST(test_closed_to_arrival_refuses_only_an_arrival_that_day)
{
    days[0].rules.closed_to_arrival = true;
    assert_broken(2, "CLOSED_TO_ARRIVAL", "2025-11-01");
    days[0].rules.closed_to_arrival = false;
    days[1].rules.closed_to_arrival = true; /* staying through it */
    assert_fine(2);
}
END_TEST

START_TEST(test_closed_to_departure_refuses_only_a_departure_that_day)
{
    days[2].rules.closed_to_departure = true;
    assert_broken(2, "CLOSED_TO_DEPARTURE", "2025-11-03");
    assert_fine(3); /* the first open departure day */
    assert_fine(1);
}
END_TEST

START_TEST(test_minimum_and_maximum_stay_accept_exactly_their_limit)
{
    days[0].rules.min_los = 3;
    assert_broken(2, "MIN_STAY_NOT_MET", "2025-11-01");
    assert_fine(3);
    days[0].rules.min_los = 0;
    days[0].rules.max_los = 2;
    assert_broken(3, "MAX_STAY_EXCEEDED", "2025-11-01");
    assert_fine(2);
    /* a later night's limits are not the arrival day's */
    days[1].rules.min_los = 9;
    assert_fine(2);
}
END_TEST

START_TEST(test_days_whose_rules_were_not_read_break_nothing)
{
    days[0].rules.min_los = 5;
    days[0].known = false;
    days[1].rules.closed = true;
    days[1].known = false;
    assert_fine(3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("selling_rules");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_a_stay_without_restrictions_is_fine);
    tcase_add_test(tc, test_a_closed_night_refuses_the_stay_but_not_a_departure_on_it);
    tcase_add_test(tc, test_closed_to_arrival_refuses_only_an_arrival_that_day);
    tcase_add_test(tc, test_closed_to_departure_refuses_only_a_departure_that_day);
    tcase_add_test(tc, test_minimum_and_maximum_stay_accept_exactly_their_limit);
    tcase_add_test(tc, test_days_whose_rules_were_not_read_break_nothing);
    suite_add_tcase(s, tc);
    return check_run(s);
}
