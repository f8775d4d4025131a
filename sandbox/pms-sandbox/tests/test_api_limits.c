/* The sandbox's per-property request limit and counters, on a manual clock
 * (nothing sleeps). */
#include <check.h>
#include <string.h>

#include "api_limits.h"
#include "check_run.h"

static clock_manual_t manual;
static clock_source_t clk;

static void setup(void)
{
    manual = (clock_manual_t){.now_ms = 5000};
    clk = clock_source_manual(&manual);
}

/* stats.requests.<property>.<method>, or stats.rateLimited.<property> when
 * method is NULL; -1 when absent. */
static long stat(api_limits_t *l, const char *property, const char *method)
{
    json_object *o = api_limits_stats_json(l, NULL), *map, *entry, *n;
    ck_assert_ptr_nonnull(o);
    long v = -1;
    if (json_object_object_get_ex(o, method ? "requests" : "rateLimited", &map) &&
        json_object_object_get_ex(map, property, &entry)) {
        if (!method)
            v = json_object_get_int64(entry);
        else if (json_object_object_get_ex(entry, method, &n))
            v = json_object_get_int64(n);
    }
    json_object_put(o);
    return v;
}

START_TEST(test_no_limit_counts_every_request_per_property_and_method)
{
    api_limits_t *l = api_limits_new(0, 0, &clk);
    long retry = -1;
    for (int i = 0; i < 50; i++)
        ck_assert(api_limits_admit(l, "hotel_123", "getHotelDetails", &retry));
    ck_assert(api_limits_admit(l, "hotel_123", "postReservation", &retry));
    ck_assert(api_limits_admit(l, "hotel_nyc", "postReservation", &retry));
    ck_assert_int_eq(retry, 0);
    ck_assert_int_eq(stat(l, "hotel_123", "getHotelDetails"), 50);
    ck_assert_int_eq(stat(l, "hotel_123", "postReservation"), 1);
    ck_assert_int_eq(stat(l, "hotel_nyc", "postReservation"), 1);
    ck_assert_int_eq(stat(l, "hotel_123", NULL), 0);
    ck_assert_int_eq(stat(l, "hotel_busan", "postReservation"), -1); /* never called */
    api_limits_free(l);
}
END_TEST

START_TEST(test_a_burst_then_429_with_retry_after_until_a_token_is_due)
{
    api_limits_t *l = api_limits_new(5, 0, &clk); /* burst = rate */
    long retry = 0;
    for (int i = 0; i < 5; i++)
        ck_assert(api_limits_admit(l, "hotel_123", "putReservation", &retry));
    ck_assert(!api_limits_admit(l, "hotel_123", "putReservation", &retry));
    ck_assert_int_eq(retry, 1); /* 200 ms, rounded up to whole seconds */
    ck_assert(api_limits_admit(l, "hotel_nyc", "putReservation", &retry)); /* per property */
    manual.now_ms += 200;
    ck_assert(api_limits_admit(l, "hotel_123", "putReservation", &retry));
    ck_assert(!api_limits_admit(l, "hotel_123", "putReservation", &retry));
    ck_assert_int_eq(stat(l, "hotel_123", "putReservation"), 8); /* refused ones count too */
    ck_assert_int_eq(stat(l, "hotel_123", NULL), 2);
    api_limits_free(l);
}
END_TEST

START_TEST(test_setting_the_limit_refills_and_reset_clears_counters)
{
    api_limits_t *l = api_limits_new(1, 1, &clk);
    long retry = 0;
    ck_assert(api_limits_admit(l, "hotel_123", "getRoomTypes", &retry));
    ck_assert(!api_limits_admit(l, "hotel_123", "getRoomTypes", &retry));
    api_limits_set(l, 2, 0);
    double rate = 0, burst = 0;
    api_limits_get(l, &rate, &burst);
    ck_assert_double_eq(rate, 2);
    ck_assert_double_eq(burst, 2);
    ck_assert(api_limits_admit(l, "hotel_123", "getRoomTypes", &retry));
    ck_assert(api_limits_admit(l, "hotel_123", "getRoomTypes", &retry));
    ck_assert(!api_limits_admit(l, "hotel_123", "getRoomTypes", &retry));
    api_limits_clear_stats(l);
    ck_assert_int_eq(stat(l, "hotel_123", "getRoomTypes"), -1);
    ck_assert(!api_limits_admit(l, "hotel_123", "getRoomTypes", &retry)); /* tokens untouched */
    api_limits_reset(l);
    ck_assert(api_limits_admit(l, "hotel_123", "getRoomTypes", &retry)); /* refilled */
    ck_assert_int_eq(stat(l, "hotel_123", "getRoomTypes"), 1);
    api_limits_set(l, 0, 0);
    api_limits_get(l, &rate, &burst);
    ck_assert_double_eq(rate, 0);
    for (int i = 0; i < 20; i++)
        ck_assert(api_limits_admit(l, "hotel_123", "getRoomTypes", &retry));
    api_limits_free(l);
}
END_TEST

START_TEST(test_stats_of_one_property_list_it_even_when_uncalled)
{
    api_limits_t *l = api_limits_new(0, 0, &clk);
    json_object *o = api_limits_stats_json(l, "hotel_busan"), *map, *entry;
    ck_assert(json_object_object_get_ex(o, "requests", &map));
    ck_assert(json_object_object_get_ex(map, "hotel_busan", &entry));
    ck_assert_int_eq(json_object_object_length(entry), 0);
    ck_assert(json_object_object_get_ex(o, "rateLimited", &map));
    ck_assert(json_object_object_get_ex(map, "hotel_busan", &entry));
    ck_assert_int_eq(json_object_get_int(entry), 0);
    json_object_put(o);
    api_limits_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("api_limits");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_no_limit_counts_every_request_per_property_and_method);
    tcase_add_test(tc, test_a_burst_then_429_with_retry_after_until_a_token_is_due);
    tcase_add_test(tc, test_setting_the_limit_refills_and_reset_clears_counters);
    tcase_add_test(tc, test_stats_of_one_property_list_it_even_when_uncalled);
    suite_add_tcase(s, tc);
    return check_run(s);
}
