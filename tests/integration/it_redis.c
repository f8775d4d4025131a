/* redis.c against the real Redis of the local stack. Every key lives under a
 * random hash-tagged prefix and is deleted at the end. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/redis.h"
#include "testsupport.h"
#include "check_run.h"

#define TIMEOUT_MS 2000

static redis_client_t *r;
static char prefix[64];
static char k1[128], k2[128], k3[128];

/* The decrement-never-below-zero script the cache will use for bookings. */
static const char DECR_FLOOR_ZERO[] = "local v = tonumber(redis.call('GET', KEYS[1]) or '-1')\n"
                                      "if v < 0 then return -1 end\n"
                                      "if v < tonumber(ARGV[1]) then return -2 end\n"
                                      "return redis.call('DECRBY', KEYS[1], ARGV[1])\n";

static void setup(void)
{
    char err[128], tag[48];
    r = redis_client_new(ts_env("REDIS_URL", TS_DEFAULT_REDIS_URL), TIMEOUT_MS, TIMEOUT_MS, err,
                         sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert(TS_POLL_UNTIL(redis_ping(r) == REDIS_CLIENT_OK, 30000));
    ts_unique_name("it", tag, sizeof tag);
    snprintf(prefix, sizeof prefix, "inv:{%s}", tag);
    snprintf(k1, sizeof k1, "%s:room_1:2025-11-01", prefix);
    snprintf(k2, sizeof k2, "%s:room_1:2025-11-02", prefix);
    snprintf(k3, sizeof k3, "%s:room_1:2025-11-03", prefix);
}

static void teardown(void)
{
    const char *keys[] = {k1, k2, k3};
    redis_del(r, keys, 3, NULL);
    redis_client_free(r);
}

START_TEST(test_set_ex_stores_a_value_with_a_ttl)
{
    ck_assert_int_eq(redis_set_ex(r, k1, "{\"available\":3}", 90), REDIS_CLIENT_OK);
    char *v = NULL;
    ck_assert_int_eq(redis_get(r, k1, &v), REDIS_CLIENT_OK);
    ck_assert_str_eq(v, "{\"available\":3}");
    free(v);
    long long ttl = 0;
    ck_assert_int_eq(redis_ttl(r, k1, &ttl), REDIS_CLIENT_OK);
    ck_assert(ttl > 0 && ttl <= 90);
    ck_assert_int_eq(redis_ttl(r, k3, &ttl), REDIS_CLIENT_OK);
    ck_assert_int_eq(ttl, -2);
}
END_TEST

START_TEST(test_mget_returns_hits_and_misses_in_one_call)
{
    const char *keys[] = {k1, k2, k3};
    const char *vals[] = {"a", "b"};
    ck_assert_int_eq(redis_set_ex_many(r, keys, vals, 2, 90), REDIS_CLIENT_OK);
    char *out[3];
    ck_assert_int_eq(redis_mget(r, keys, 3, out), REDIS_CLIENT_OK);
    ck_assert_str_eq(out[0], "a");
    ck_assert_str_eq(out[1], "b");
    ck_assert_ptr_null(out[2]);
    redis_values_free(out, 3);
}
END_TEST

START_TEST(test_set_nx_ex_grants_a_lock_once)
{
    int set = 0;
    ck_assert_int_eq(redis_set_nx_ex(r, k1, "owner-a", 30, &set), REDIS_CLIENT_OK);
    ck_assert_int_eq(set, 1);
    ck_assert_int_eq(redis_set_nx_ex(r, k1, "owner-b", 30, &set), REDIS_CLIENT_OK);
    ck_assert_int_eq(set, 0);
    char *v = NULL;
    redis_get(r, k1, &v);
    ck_assert_str_eq(v, "owner-a");
    free(v);
}
END_TEST

START_TEST(test_lua_decrement_never_goes_below_zero)
{
    ck_assert_int_eq(redis_set_ex(r, k1, "2", 90), REDIS_CLIENT_OK);
    const char *keys[] = {k1};
    const char *one[] = {"1"};
    long long out = 0;
    ck_assert_int_eq(redis_eval(r, DECR_FLOOR_ZERO, keys, 1, one, 1, &out, NULL), REDIS_CLIENT_OK);
    ck_assert_int_eq(out, 1);
    ck_assert_int_eq(redis_eval(r, DECR_FLOOR_ZERO, keys, 1, one, 1, &out, NULL), REDIS_CLIENT_OK);
    ck_assert_int_eq(out, 0);
    ck_assert_int_eq(redis_eval(r, DECR_FLOOR_ZERO, keys, 1, one, 1, &out, NULL), REDIS_CLIENT_OK);
    ck_assert_int_eq(out, -2);
    long long n = 0;
    ck_assert_int_eq(redis_incrby(r, k1, 0, &n), REDIS_CLIENT_OK);
    ck_assert_int_eq(n, 0);
}
END_TEST

/* A script over more keys and arguments than fit the client's stack array
 * (a long stay's nights, several keys each): 1 200 keys, 1 200 values. */
START_TEST(test_a_script_takes_any_number_of_keys)
{
    enum { N = 1200 };
    static char names[N][96];
    const char *keys[N], *values[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "%s:many:%d", prefix, i);
        keys[i] = names[i];
        values[i] = "v";
    }
    static const char SET_ALL[] =
        "for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'EX', 60) end\n"
        "return #KEYS + #ARGV\n";
    long long out = 0;
    ck_assert_int_eq(redis_eval(r, SET_ALL, keys, N, values, N, &out, NULL), REDIS_CLIENT_OK);
    ck_assert_int_eq(out, 2 * N);
    char *v = NULL;
    ck_assert_int_eq(redis_get(r, keys[N - 1], &v), REDIS_CLIENT_OK);
    ck_assert_str_eq(v, "v");
    free(v);
    for (int i = 0; i < N; i += 400)
        ck_assert_int_eq(redis_del(r, keys + i, 400, NULL), REDIS_CLIENT_OK);
}
END_TEST

START_TEST(test_a_killed_connection_is_replaced_on_the_next_call)
{
    ck_assert_int_eq(redis_set_ex(r, k1, "before", 90), REDIS_CLIENT_OK);
    char err[128];
    redis_client_t *admin = redis_client_new(ts_env("REDIS_URL", TS_DEFAULT_REDIS_URL), TIMEOUT_MS,
                                             TIMEOUT_MS, err, sizeof err);
    ck_assert_ptr_nonnull(admin);
    const char *id_cmd[] = {"CLIENT", "ID"};
    long long id = 0;
    ck_assert_int_eq(redis_command_argv(r, 2, id_cmd, &id, NULL), REDIS_CLIENT_OK);
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *kill_cmd[] = {"CLIENT", "KILL", "ID", id_text};
    long long killed = 0;
    ck_assert_int_eq(redis_command_argv(admin, 4, kill_cmd, &killed, NULL), REDIS_CLIENT_OK);
    ck_assert_int_eq(killed, 1);
    redis_client_free(admin);
    char *v = NULL;
    ck_assert_int_eq(redis_get(r, k1, &v), REDIS_CLIENT_OK); /* reconnects transparently */
    ck_assert_str_eq(v, "before");
    free(v);
}
END_TEST

START_TEST(test_an_unreachable_server_is_a_connect_error_not_a_crash)
{
    char err[128];
    redis_client_t *down = redis_client_new("redis://127.0.0.1:1", 200, 200, err, sizeof err);
    ck_assert_ptr_nonnull(down);
    char *v = NULL;
    ck_assert_int_eq(redis_get(down, "x", &v), REDIS_CLIENT_ERR_CONNECT);
    ck_assert_ptr_nonnull(strstr(redis_client_error(down), "cannot connect"));
    redis_client_free(down);
    ck_assert_ptr_null(redis_client_new("http://x", 1, 1, err, sizeof err));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("redis");
    TCase *tc = tcase_create("redis");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_set_ex_stores_a_value_with_a_ttl);
    tcase_add_test(tc, test_mget_returns_hits_and_misses_in_one_call);
    tcase_add_test(tc, test_set_nx_ex_grants_a_lock_once);
    tcase_add_test(tc, test_lua_decrement_never_goes_below_zero);
    tcase_add_test(tc, test_a_script_takes_any_number_of_keys);
    tcase_add_test(tc, test_a_killed_connection_is_replaced_on_the_next_call);
    tcase_add_test(tc, test_an_unreachable_server_is_a_connect_error_not_a_crash);
    suite_add_tcase(s, tc);
    return check_run(s);
}
