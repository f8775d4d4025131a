/* local_cache.c: answers live ttl_ms at most, and a write invalidates them,
 * including an answer read before the write but stored after it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "local_cache.h"

static clock_manual_t now;
static clock_source_t clk;

static local_cache_t *new_cache(int ttl_ms)
{
    memset(&now, 0, sizeof now);
    now.now_ms = 1000;
    clk = clock_source_manual(&now);
    return lc_new(ttl_ms, 4, &clk);
}

/* The body cached for key, "" on a miss (freed by the helper). */
static const char *get(local_cache_t *lc, const char *key)
{
    static char text[64];
    char *body = NULL;
    size_t len = 0;
    text[0] = '\0';
    if (lc_get(lc, key, &body, &len)) {
        ck_assert_uint_lt(len, sizeof text);
        memcpy(text, body, len);
        text[len] = '\0';
        free(body);
    }
    return text;
}

START_TEST(test_an_answer_lives_ttl_ms)
{
    local_cache_t *lc = new_cache(10);
    lc_put(lc, "a", lc_generation(lc), "one", 3);
    ck_assert_str_eq(get(lc, "a"), "one");
    ck_assert_str_eq(get(lc, "b"), "");
    now.now_ms += 9;
    ck_assert_str_eq(get(lc, "a"), "one");
    now.now_ms += 1;
    ck_assert_str_eq(get(lc, "a"), "");
    lc_free(lc);
}
END_TEST

START_TEST(test_a_write_makes_every_answer_stale)
{
    local_cache_t *lc = new_cache(1000);
    lc_put(lc, "a", lc_generation(lc), "one", 3);
    lc_put(lc, "b", lc_generation(lc), "two", 3);
    lc_invalidate(lc);
    ck_assert_str_eq(get(lc, "a"), "");
    ck_assert_str_eq(get(lc, "b"), "");
    lc_put(lc, "a", lc_generation(lc), "new", 3);
    ck_assert_str_eq(get(lc, "a"), "new");
    lc_free(lc);
}
END_TEST

START_TEST(test_an_answer_read_before_a_write_is_not_stored)
{
    local_cache_t *lc = new_cache(1000);
    uint64_t gen = lc_generation(lc); /* the read starts ... */
    lc_invalidate(lc);                /* ... a write lands ... */
    lc_put(lc, "a", gen, "old", 3);   /* ... the read's answer comes back */
    ck_assert_str_eq(get(lc, "a"), "");
    lc_free(lc);
}
END_TEST

START_TEST(test_keys_sharing_a_slot_replace_each_other)
{
    local_cache_t *lc = new_cache(1000);
    char key[16];
    for (int i = 0; i < 64; i++) {
        snprintf(key, sizeof key, "k%d", i);
        lc_put(lc, key, lc_generation(lc), key, strlen(key));
    }
    int hits = 0;
    for (int i = 0; i < 64; i++) {
        snprintf(key, sizeof key, "k%d", i);
        const char *v = get(lc, key);
        if (v[0]) {
            ck_assert_str_eq(v, key); /* never another key's answer */
            hits++;
        }
    }
    ck_assert_int_le(hits, 4);
    ck_assert_int_ge(hits, 1);
    lc_free(lc);
}
END_TEST

START_TEST(test_off_when_ttl_is_zero)
{
    local_cache_t *lc = new_cache(0);
    ck_assert_ptr_null(lc);
    lc_put(lc, "a", lc_generation(lc), "one", 3);
    ck_assert_str_eq(get(lc, "a"), "");
    lc_invalidate(lc);
    lc_free(lc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unit_inventory_svc_local_cache");
    TCase *tc = tcase_create("local_cache");
    tcase_add_test(tc, test_an_answer_lives_ttl_ms);
    tcase_add_test(tc, test_a_write_makes_every_answer_stale);
    tcase_add_test(tc, test_an_answer_read_before_a_write_is_not_stored);
    tcase_add_test(tc, test_keys_sharing_a_slot_replace_each_other);
    tcase_add_test(tc, test_off_when_ttl_is_zero);
    suite_add_tcase(s, tc);
    return check_run(s);
}
