/* keys.c: the Redis key scheme (hash tags, dates) and cached value encoding. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "degraded.h"
#include "keys.h"

START_TEST(test_night_keys_carry_the_hotel_hash_tag_and_the_date)
{
    char k[INV_KEY_MAX];
    dates_day_t d = dates_from_civil(2025, 11, 1);
    ck_assert_int_eq(inv_key_night(k, sizeof k, INV_KEY_INVENTORY, "hotel_123", "room_456", d), 0);
    ck_assert_str_eq(k, "inv:{hotel_123}:room_456:2025-11-01");
    ck_assert_int_eq(inv_key_night(k, sizeof k, INV_KEY_RATE, "hotel_123", "room_456", d + 1), 0);
    ck_assert_str_eq(k, "rate:{hotel_123}:room_456:2025-11-02");
    ck_assert_int_eq(
        inv_key_night(k, sizeof k, INV_KEY_INVENTORY_SHADOW, "hotel_123", "room_456", d), 0);
    ck_assert_str_eq(k, "invshadow:{hotel_123}:room_456:2025-11-01");
    ck_assert_int_eq(inv_key_night(k, sizeof k, INV_KEY_RATE_SHADOW, "h", "r", d), 0);
    ck_assert_str_eq(k, "rateshadow:{h}:r:2025-11-01");
}
END_TEST

START_TEST(test_other_keys_and_truncation)
{
    char k[INV_KEY_MAX];
    ck_assert_int_eq(inv_key_rooms(k, sizeof k, "hotel_123", false), 0);
    ck_assert_str_eq(k, "hotel:{hotel_123}:rooms");
    ck_assert_int_eq(inv_key_rooms(k, sizeof k, "hotel_123", true), 0);
    ck_assert_str_eq(k, "hotel:{hotel_123}:rooms:shadow");
    ck_assert_int_eq(inv_key_adjust_marker(k, sizeof k, "hotel_123", "bk_1", true), 0);
    ck_assert_str_eq(k, "invadj:{hotel_123}:bk_1:dec");
    ck_assert_int_eq(inv_key_adjust_marker(k, sizeof k, "hotel_123", "bk_1", false), 0);
    ck_assert_str_eq(k, "invadj:{hotel_123}:bk_1:inc");
    dates_day_t d = dates_from_civil(2025, 11, 1);
    ck_assert_int_eq(inv_key_lock(k, sizeof k, "inventory", "hotel_123", "room_456", d, d + 29), 0);
    ck_assert_str_eq(k, "lock:{hotel_123}:inventory:room_456:2025-11-01:2025-11-30");
    char small[16];
    ck_assert_int_eq(inv_key_rooms(small, sizeof small, "hotel_123", false), -1);
}
END_TEST

START_TEST(test_ids_may_not_break_the_hash_tag)
{
    ck_assert(inv_id_valid("hotel_123"));
    ck_assert(inv_id_valid("room-456.a"));
    ck_assert(!inv_id_valid(""));
    ck_assert(!inv_id_valid(NULL));
    ck_assert(!inv_id_valid("hotel}{x"));
    ck_assert(!inv_id_valid("hotel:1"));
    ck_assert(!inv_id_valid("hotel 1"));
    char long_id[80];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    ck_assert(!inv_id_valid(long_id));
}
END_TEST

START_TEST(test_availability_values_round_trip_and_reject_nonsense)
{
    char v[INV_VALUE_MAX];
    int a = -1, t = -1;
    ck_assert_int_eq(inv_value_format_availability(3, 10, v, sizeof v), 0);
    ck_assert_str_eq(v, "3/10");
    ck_assert_int_eq(inv_value_parse_availability(v, &a, &t), 0);
    ck_assert_int_eq(a, 3);
    ck_assert_int_eq(t, 10);
    ck_assert_int_eq(inv_value_parse_availability("0/0", &a, &t), 0);
    const char *bad[] = {"", "3", "3/", "/10", "11/10", "-1/10", "3/10x", "a/b", " 3/10", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(inv_value_parse_availability(bad[i], &a, &t) == -1, "%s", bad[i]);
    ck_assert_int_eq(inv_value_parse_availability(NULL, &a, &t), -1);
}
END_TEST

START_TEST(test_count_unknown_values_say_only_bookable)
{
    char v[INV_VALUE_MAX];
    int a = -1, t = -1;
    bool unknown = false;
    ck_assert_int_eq(inv_value_format_bookable(true, v, sizeof v), 0);
    ck_assert_str_eq(v, "1/?");
    ck_assert_int_eq(inv_value_parse_night(v, &a, &t, &unknown), 0);
    ck_assert(unknown);
    ck_assert_int_eq(a, 1);
    ck_assert_int_eq(t, 0);
    ck_assert_int_eq(inv_value_format_bookable(false, v, sizeof v), 0);
    ck_assert_int_eq(inv_value_parse_night(v, &a, &t, &unknown), 0);
    ck_assert(unknown && a == 0);
    /* a count stays a count */
    ck_assert_int_eq(inv_value_parse_night("3/10", &a, &t, &unknown), 0);
    ck_assert(!unknown && a == 3 && t == 10);
    const char *bad[] = {"2/?", "/?", "1/??", "?/1", "1/ ?", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(inv_value_parse_night(bad[i], &a, &t, &unknown) == -1, "%s", bad[i]);
    /* the old reader refuses it: nothing takes "1/?" for one room */
    ck_assert_int_eq(inv_value_parse_availability("1/?", &a, &t), -1);
}
END_TEST

START_TEST(test_rate_values_round_trip_and_reject_nonsense)
{
    char v[INV_VALUE_MAX], cur[4];
    int64_t amount = 0;
    ck_assert_int_eq(inv_value_format_rate(125000, "KRW", v, sizeof v), 0);
    ck_assert_str_eq(v, "125000 KRW");
    ck_assert_int_eq(inv_value_parse_rate(v, &amount, cur), 0);
    ck_assert_int_eq(amount, 125000);
    ck_assert_str_eq(cur, "KRW");
    const char *bad[] = {"125000", "125000 krw", "125000 KRWX", "x KRW", "-5 KRW", "5  KRW", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(inv_value_parse_rate(bad[i], &amount, cur) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(test_breaker_names_split_into_vendor_and_hotel)
{
    char vendor[32], hotel[64];
    ck_assert_int_eq(degraded_parse_breaker_name("pms:cloudbeds:hotel_123", vendor, sizeof vendor,
                                                 hotel, sizeof hotel),
                     0);
    ck_assert_str_eq(vendor, "cloudbeds");
    ck_assert_str_eq(hotel, "hotel_123");
    ck_assert_int_eq(
        degraded_parse_breaker_name("pay:stripe", vendor, sizeof vendor, hotel, sizeof hotel), -1);
    ck_assert_int_eq(
        degraded_parse_breaker_name("pms:cloudbeds:", vendor, sizeof vendor, hotel, sizeof hotel),
        -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unit_inventory_svc_keys");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, test_night_keys_carry_the_hotel_hash_tag_and_the_date);
    tcase_add_test(tc, test_other_keys_and_truncation);
    tcase_add_test(tc, test_ids_may_not_break_the_hash_tag);
    tcase_add_test(tc, test_availability_values_round_trip_and_reject_nonsense);
    tcase_add_test(tc, test_count_unknown_values_say_only_bookable);
    tcase_add_test(tc, test_rate_values_round_trip_and_reject_nonsense);
    tcase_add_test(tc, test_breaker_names_split_into_vendor_and_hotel);
    suite_add_tcase(s, tc);
    return check_run(s);
}
