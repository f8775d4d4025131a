/* Unit tests for redis_slot.c — CRC16 and hash-tag key slots, checked against
 * the vectors of the Redis Cluster specification and CLUSTER KEYSLOT answers. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "common/redis_slot.h"

static unsigned slot(const char *key)
{
    return redis_key_slot(key, strlen(key));
}

START_TEST(test_crc16_of_the_spec_check_string_is_31c3)
{
    ck_assert_uint_eq(redis_crc16("123456789", 9), 0x31C3);
    ck_assert_uint_eq(redis_crc16("", 0), 0);
}
END_TEST

START_TEST(test_plain_keys_land_in_the_slots_redis_computes)
{
    ck_assert_uint_eq(slot("somekey"), 11058);
    ck_assert_uint_eq(slot("foo"), 12182);
    ck_assert_uint_eq(slot("bar"), 5061);
    ck_assert_uint_eq(slot("123456789"), 0x31C3 % REDIS_CLUSTER_SLOTS);
}
END_TEST

START_TEST(test_a_hash_tag_is_hashed_alone)
{
    ck_assert_uint_eq(slot("foo{hash_tag}"), 2515);
    ck_assert_uint_eq(slot("foo{hash_tag}"), slot("hash_tag"));
    ck_assert_uint_eq(slot("{user1000}.following"), slot("{user1000}.followers"));
    ck_assert_uint_eq(slot("inv:{hotel_123}:room_456:2026-01-01"),
                      slot("lodging:degraded:admin:{hotel_123}"));
}
END_TEST

START_TEST(test_only_the_first_brace_pair_counts)
{
    /* The spec's examples: the first '{' and the next '}' delimit the tag. */
    ck_assert_uint_eq(slot("foo{bar}{zap}"), slot("bar"));
    ck_assert_uint_eq(slot("foo{{bar}}zap"), slot("{bar"));
}
END_TEST

START_TEST(test_an_empty_or_unclosed_tag_hashes_the_whole_key)
{
    ck_assert_uint_eq(slot("foo{}{bar}"), redis_crc16("foo{}{bar}", 10) % REDIS_CLUSTER_SLOTS);
    ck_assert_uint_ne(slot("foo{}{bar}"), slot("bar"));
    ck_assert_uint_eq(slot("foo{bar"), redis_crc16("foo{bar", 7) % REDIS_CLUSTER_SLOTS);
    ck_assert_uint_eq(slot("}foo{"), redis_crc16("}foo{", 5) % REDIS_CLUSTER_SLOTS);
}
END_TEST

START_TEST(test_the_length_bounds_the_key)
{
    /* Binary-safe: bytes past len are not part of the key. */
    ck_assert_uint_eq(redis_key_slot("foo{bar}", 3), slot("foo"));
    ck_assert_uint_eq(redis_key_slot("a{b}c", 2), redis_crc16("a{", 2) % REDIS_CLUSTER_SLOTS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("redis_slot");
    TCase *tc = tcase_create("slots");
    tcase_add_test(tc, test_crc16_of_the_spec_check_string_is_31c3);
    tcase_add_test(tc, test_plain_keys_land_in_the_slots_redis_computes);
    tcase_add_test(tc, test_a_hash_tag_is_hashed_alone);
    tcase_add_test(tc, test_only_the_first_brace_pair_counts);
    tcase_add_test(tc, test_an_empty_or_unclosed_tag_hashes_the_whole_key);
    tcase_add_test(tc, test_the_length_bounds_the_key);
    suite_add_tcase(s, tc);
    return check_run(s);
}
