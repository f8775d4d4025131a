/* redis.c in cluster mode against a real 3-master Redis Cluster that the test
 * starts on loopback (ts_redis_cluster.h): slot routing over every node,
 * one-slot MGET / pipeline / Lua, a slot migrated while reads run (ASK during
 * the migration, MOVED after it), and inventory-svc serving cache-first reads
 * from the cluster. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/redis.h"
#include "common/redis_slot.h"
#include "inventory_fixture.h"
#include "testsupport.h"
#include "ts_redis_cluster.h"
#include "check_run.h"

#define MASTERS 3
#define TIMEOUT_MS 2000
#define WAIT_MS 20000
#define MIGRATION_KEYS 12
#define MIGRATE_TIMEOUT_MS "5000"

static ts_redis_cluster_t cluster;
static redis_client_t *r;

static void cluster_up(void)
{
    log_init("it_redis_cluster", LOG_LEVEL_ERROR);
    ck_assert_msg(ts_redis_cluster_start(&cluster, MASTERS) == 0, "no Redis Cluster");
}

static void cluster_down(void)
{
    ts_redis_cluster_stop(&cluster);
}

static redis_client_t *cluster_client(void)
{
    char err[160];
    redis_client_t *c = redis_client_new(cluster.url, TIMEOUT_MS, TIMEOUT_MS, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static void setup(void)
{
    r = cluster_client();
}

static void teardown(void)
{
    redis_client_free(r);
    r = NULL;
}

/* A reply of node i reduced to an integer. */
static long long node_integer(size_t i, int argc, const char **argv)
{
    redis_client_t *n = ts_redis_cluster_node_client(&cluster, i);
    long long v = -1;
    ck_assert_int_eq(redis_command_argv(n, argc, argv, &v, NULL), REDIS_CLIENT_OK);
    redis_client_free(n);
    return v;
}

/* Runs a command on node i; asserts an OK status reply. */
static void node_ok(size_t i, int argc, const char **argv)
{
    redis_client_t *n = ts_redis_cluster_node_client(&cluster, i);
    char *s = NULL;
    ck_assert_msg(redis_command_argv(n, argc, argv, NULL, &s) == REDIS_CLIENT_OK, "%s: %s", argv[0],
                  redis_client_error(n));
    ck_assert_str_eq(s, "OK");
    free(s);
    redis_client_free(n);
}

static char *node_id(size_t i, char *out, size_t size)
{
    redis_client_t *n = ts_redis_cluster_node_client(&cluster, i);
    char *s = NULL;
    const char *argv[] = {"CLUSTER", "MYID"};
    ck_assert_int_eq(redis_command_argv(n, 2, argv, NULL, &s), REDIS_CLIENT_OK);
    snprintf(out, size, "%s", s);
    free(s);
    redis_client_free(n);
    return out;
}

START_TEST(test_keys_of_many_hotels_spread_over_every_master_in_the_slots_redis_computes)
{
    char tag[48], key[96], value[32];
    ts_unique_name("spread", tag, sizeof tag);
    for (int i = 0; i < 60; i++) {
        snprintf(key, sizeof key, "inv:{%s_h%d}:room:2026-01-01", tag, i);
        snprintf(value, sizeof value, "%d/10", i);
        ck_assert_msg(redis_set_ex(r, key, value, 60) == REDIS_CLIENT_OK, "%s",
                      redis_client_error(r));
        /* The client's slot is the server's. */
        const char *keyslot[] = {"CLUSTER", "KEYSLOT", key};
        ck_assert_int_eq(node_integer((size_t)i % MASTERS, 3, keyslot),
                         redis_key_slot(key, strlen(key)));
    }
    for (int i = 0; i < 60; i++) {
        char *v = NULL;
        snprintf(key, sizeof key, "inv:{%s_h%d}:room:2026-01-01", tag, i);
        snprintf(value, sizeof value, "%d/10", i);
        ck_assert_int_eq(redis_get(r, key, &v), REDIS_CLIENT_OK);
        ck_assert_str_eq(v, value);
        free(v);
    }
    const char *dbsize[] = {"DBSIZE"};
    for (size_t n = 0; n < MASTERS; n++)
        ck_assert_msg(node_integer(n, 1, dbsize) > 0, "node %zu holds no key", n);
    redis_cluster_stats_t st;
    redis_client_cluster_stats(r, &st);
    ck_assert(redis_client_is_cluster(r));
    ck_assert_uint_ge(st.refreshes, 1);
    ck_assert_uint_eq(st.moved, 0); /* the map was right from the start */
    ck_assert_int_eq(redis_ping(r), REDIS_CLIENT_OK);
    const char *time_argv[] = {"TIME"};
    ck_assert_int_eq(redis_command_argv(r, 1, time_argv, NULL, NULL), REDIS_CLIENT_OK);
}
END_TEST

START_TEST(test_one_hotels_keys_share_a_slot_for_mget_pipelines_and_lua)
{
    char hotel[48], keys_buf[5][96];
    ts_unique_name("hotel", hotel, sizeof hotel);
    const char *keys[5], *values[] = {"1/9", "2/9", "3/9", "4/9", "5/9"};
    for (int i = 0; i < 5; i++) {
        snprintf(keys_buf[i], sizeof keys_buf[i], "inv:{%s}:room_1:2026-02-0%d", hotel, i + 1);
        keys[i] = keys_buf[i];
    }
    ck_assert_int_eq(redis_set_ex_many(r, keys, values, 5, 60), REDIS_CLIENT_OK);
    char *out[5];
    ck_assert_int_eq(redis_mget(r, keys, 5, out), REDIS_CLIENT_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(out[i], values[i]);
    redis_values_free(out, 5);

    /* A script over two of the hotel's keys (and the same marker idea the
     * inventory adjust script uses). */
    char marker[96];
    snprintf(marker, sizeof marker, "invadj:{%s}:b1:dec", hotel);
    const char *script_keys[] = {marker, keys[0]};
    const char *script = "if redis.call('SET', KEYS[1], '1', 'NX', 'EX', 60) then\n"
                         "  return redis.call('APPEND', KEYS[2], '!')\n"
                         "end\n"
                         "return -1\n";
    long long n = 0;
    ck_assert_int_eq(redis_eval(r, script, script_keys, 2, NULL, 0, &n, NULL), REDIS_CLIENT_OK);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(redis_eval(r, script, script_keys, 2, NULL, 0, &n, NULL), REDIS_CLIENT_OK);
    ck_assert_int_eq(n, -1);

    long long deleted = 0;
    ck_assert_int_eq(redis_del(r, keys, 5, &deleted), REDIS_CLIENT_OK);
    ck_assert_int_eq(deleted, 5);
}
END_TEST

START_TEST(test_keys_of_two_slots_in_one_call_are_refused_before_reaching_redis)
{
    const char *keys[] = {"inv:{hotel_a}:r:2026-01-01", "inv:{hotel_b}:r:2026-01-01"};
    ck_assert_uint_ne(redis_key_slot(keys[0], strlen(keys[0])),
                      redis_key_slot(keys[1], strlen(keys[1])));
    char *out[2];
    ck_assert_int_eq(redis_mget(r, keys, 2, out), REDIS_CLIENT_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(redis_client_error(r), "different cluster slots"));
    ck_assert_ptr_null(out[0]);
    const char *values[] = {"1", "2"};
    ck_assert_int_eq(redis_set_ex_many(r, keys, values, 2, 60), REDIS_CLIENT_ERR_INVALID);
    ck_assert_int_eq(redis_del(r, keys, 2, NULL), REDIS_CLIENT_ERR_INVALID);
    ck_assert_int_eq(redis_eval(r, "return 1", keys, 2, NULL, 0, NULL, NULL),
                     REDIS_CLIENT_ERR_INVALID);
}
END_TEST

START_TEST(test_a_bad_cluster_url_is_refused_with_a_reason)
{
    char err[160] = "";
    ck_assert_ptr_null(redis_client_new("redis-cluster://", 100, 100, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no seed"));
    ck_assert_ptr_null(redis_client_new("redis-cluster://h1:1,h2", 100, 100, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "'h2' is not host:port"));
    ck_assert_ptr_null(redis_client_new("redis-cluster://h1:1/2", 100, 100, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no database"));
    ck_assert_ptr_null(redis_client_new("memcached://h1:1", 100, 100, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "redis-cluster://"));
}
END_TEST

/* ----------------------------------------------------------- resharding -- */

typedef struct reader {
    char keys[MIGRATION_KEYS][96];
    atomic_bool stop;
    atomic_long reads;    /* answers checked */
    atomic_long wrong;    /* answers that were not the stored values */
    atomic_long errors;   /* calls that failed, except ... */
    atomic_long tryagain; /* MGETs that outlived the client's TRYAGAIN retries (no answer) */
    atomic_long moved;    /* MOVED the reader's client has followed */
    char last_error[256];
} reader_t;

static void expected_value(int i, char *out, size_t size)
{
    snprintf(out, size, "%d/%d", i, MIGRATION_KEYS);
}

/* Reads the hotel's keys in a loop, one GET and one MGET per round, with a
 * cluster client of its own, checking every answer. */
static void *read_loop(void *arg)
{
    reader_t *rd = arg;
    redis_client_t *c = cluster_client();
    const char *keys[MIGRATION_KEYS];
    for (int i = 0; i < MIGRATION_KEYS; i++)
        keys[i] = rd->keys[i];
    for (int round = 0; !atomic_load(&rd->stop); round++) {
        char want[16], *v = NULL, *vals[MIGRATION_KEYS];
        int i = round % MIGRATION_KEYS;
        expected_value(i, want, sizeof want);
        if (redis_get(c, keys[i], &v) != REDIS_CLIENT_OK) {
            atomic_fetch_add(&rd->errors, 1);
            snprintf(rd->last_error, sizeof rd->last_error, "%s", redis_client_error(c));
        } else if (!v || strcmp(v, want) != 0) {
            atomic_fetch_add(&rd->wrong, 1);
        }
        free(v);
        if (redis_mget(c, keys, MIGRATION_KEYS, vals) != REDIS_CLIENT_OK) {
            /* A multi-key read of a half-moved slot is refused (TRYAGAIN)
             * until its keys are together again; the client retries for a
             * while, a test machine may pause this thread longer. */
            atomic_fetch_add(
                strstr(redis_client_error(c), "TRYAGAIN") ? &rd->tryagain : &rd->errors, 1);
            snprintf(rd->last_error, sizeof rd->last_error, "%s", redis_client_error(c));
        } else {
            for (int k = 0; k < MIGRATION_KEYS; k++) {
                expected_value(k, want, sizeof want);
                if (!vals[k] || strcmp(vals[k], want) != 0)
                    atomic_fetch_add(&rd->wrong, 1);
            }
            redis_values_free(vals, MIGRATION_KEYS);
        }
        atomic_fetch_add(&rd->reads, 1);
        redis_cluster_stats_t st;
        redis_client_cluster_stats(c, &st);
        atomic_store(&rd->moved, (long)st.moved);
    }
    redis_client_free(c);
    return NULL;
}

/* MIGRATE keys [from, to) of the reader's set from node src to node dst. */
static void migrate_keys(reader_t *rd, size_t src, size_t dst, int from, int to)
{
    char port[16];
    snprintf(port, sizeof port, "%d", cluster.ports[dst]);
    const char *argv[8 + MIGRATION_KEYS] = {"MIGRATE", "127.0.0.1",        port,  "",
                                            "0",       MIGRATE_TIMEOUT_MS, "KEYS"};
    int argc = 7;
    for (int i = from; i < to; i++)
        argv[argc++] = rd->keys[i];
    node_ok(src, argc, argv);
}

START_TEST(test_a_slot_migrated_while_reads_run_keeps_every_answer_right)
{
    static reader_t rd;
    memset(&rd, 0, sizeof rd);
    char hotel[48], slot_text[16], src_id[64], dst_id[64], third_id[64];
    ts_unique_name("moving", hotel, sizeof hotel);
    const char *keys[MIGRATION_KEYS], *values[MIGRATION_KEYS];
    char vbuf[MIGRATION_KEYS][16];
    for (int i = 0; i < MIGRATION_KEYS; i++) {
        snprintf(rd.keys[i], sizeof rd.keys[i], "inv:{%s}:room_1:2026-03-%02d", hotel, i + 1);
        expected_value(i, vbuf[i], sizeof vbuf[i]);
        keys[i] = rd.keys[i];
        values[i] = vbuf[i];
    }
    ck_assert_int_eq(redis_set_ex_many(r, keys, values, MIGRATION_KEYS, 300), REDIS_CLIENT_OK);
    unsigned slot = redis_key_slot(keys[0], strlen(keys[0]));
    snprintf(slot_text, sizeof slot_text, "%u", slot);
    int owner = ts_redis_cluster_owner(&cluster, keys[0]);
    ck_assert_int_ge(owner, 0);
    size_t src = (size_t)owner, dst = (src + 1) % MASTERS, third = (src + 2) % MASTERS;
    node_id(src, src_id, sizeof src_id);
    node_id(dst, dst_id, sizeof dst_id);
    node_id(third, third_id, sizeof third_id);

    pthread_t reader;
    ck_assert_int_eq(pthread_create(&reader, NULL, read_loop, &rd), 0);
    ck_assert(TS_POLL_UNTIL(atomic_load(&rd.reads) >= 20, WAIT_MS));

    /* The slot goes from src to dst, the way redis-cli --cluster reshard
     * moves it: importing/migrating, the keys in batches, then the owner. */
    const char *importing[] = {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", src_id};
    const char *migrating[] = {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", dst_id};
    node_ok(dst, 5, importing);
    node_ok(src, 5, migrating);
    migrate_keys(&rd, src, dst, 0, MIGRATION_KEYS / 2);

    /* Half moved: a moved key is served by dst after ASK, a key still on src
     * by src, and a new key of the slot is written to dst. */
    char *v = NULL;
    ck_assert_int_eq(redis_get(r, keys[0], &v), REDIS_CLIENT_OK);
    ck_assert_str_eq(v, values[0]);
    free(v);
    ck_assert_int_eq(redis_get(r, keys[MIGRATION_KEYS - 1], &v), REDIS_CLIENT_OK);
    ck_assert_str_eq(v, values[MIGRATION_KEYS - 1]);
    free(v);
    char fresh[96];
    snprintf(fresh, sizeof fresh, "inv:{%s}:room_2:2026-03-01", hotel);
    ck_assert_int_eq(redis_set_ex(r, fresh, "7/7", 300), REDIS_CLIENT_OK);
    redis_cluster_stats_t half;
    redis_client_cluster_stats(r, &half);
    ck_assert_uint_ge(half.ask, 2);
    ck_assert_uint_eq(half.moved, 0);

    migrate_keys(&rd, src, dst, MIGRATION_KEYS / 2, MIGRATION_KEYS);
    const char *to_dst[] = {"CLUSTER", "SETSLOT", slot_text, "NODE", dst_id};
    node_ok(dst, 5, to_dst);
    node_ok(src, 5, to_dst);
    node_ok(third, 5, to_dst);

    /* Done: src answers MOVED once, the client learns the new owner. */
    ck_assert_int_eq(redis_get(r, fresh, &v), REDIS_CLIENT_OK);
    ck_assert_str_eq(v, "7/7");
    free(v);
    char *vals[MIGRATION_KEYS];
    ck_assert_int_eq(redis_mget(r, keys, MIGRATION_KEYS, vals), REDIS_CLIENT_OK);
    for (int i = 0; i < MIGRATION_KEYS; i++)
        ck_assert_str_eq(vals[i], values[i]);
    redis_values_free(vals, MIGRATION_KEYS);
    ck_assert_int_eq(redis_get(r, keys[1], &v), REDIS_CLIENT_OK);
    free(v);
    redis_cluster_stats_t after;
    redis_client_cluster_stats(r, &after);
    ck_assert_uint_eq(after.moved, 1); /* the map was reloaded: no more redirects */
    ck_assert_uint_gt(after.refreshes, half.refreshes);
    ck_assert_int_eq(ts_redis_cluster_owner(&cluster, keys[0]), (int)dst);

    /* The reader, running all along, follows the move too. */
    ck_assert(TS_POLL_UNTIL(atomic_load(&rd.moved) >= 1, WAIT_MS));
    long reads_at_move = atomic_load(&rd.reads);
    ck_assert(TS_POLL_UNTIL(atomic_load(&rd.reads) >= reads_at_move + 20, WAIT_MS));
    atomic_store(&rd.stop, true);
    pthread_join(reader, NULL);
    ck_assert_int_eq(atomic_load(&rd.wrong), 0);
    ck_assert_msg(atomic_load(&rd.errors) == 0, "%ld failed reads, last: %s",
                  atomic_load(&rd.errors), rd.last_error);
    ck_assert_msg(atomic_load(&rd.tryagain) < atomic_load(&rd.reads) / 2,
                  "%ld of %ld MGETs got no answer", atomic_load(&rd.tryagain),
                  atomic_load(&rd.reads));
}
END_TEST

/* -------------------------------------------------------- inventory-svc -- */

static inv_fixture_t f;

static bool source_is(dates_day_t from, dates_day_t to, const char *source)
{
    struct json_object *o = NULL;
    int status = invfx_read(&f, "/api/inventory", INVFX_ROOM, from, to, &o);
    bool ok = status == 200 && strcmp(invfx_str(o, "source"), source) == 0;
    json_object_put(o);
    return ok;
}

START_TEST(test_inventory_svc_serves_cache_first_reads_from_the_cluster)
{
    memset(&f, 0, sizeof f);
    f.redis_url_override = cluster.url;
    invfx_start(&f, NULL);
    dates_day_t from = dates_today_utc() + 20, to = from + 3;
    ck_assert(source_is(from, to, "pms"));
    ck_assert(source_is(from, to, "cache"));
    ck_assert(source_is(from, to, "cache"));

    /* The nights are on the master that owns hotel_123's slot, next to the
     * hotel's other keys. */
    char key[128], *v = NULL;
    invfx_key(key, sizeof key, "inv", INVFX_ROOM, from);
    int owner = ts_redis_cluster_owner(&cluster, key);
    ck_assert_int_ge(owner, 0);
    redis_client_t *n = ts_redis_cluster_node_client(&cluster, (size_t)owner);
    ck_assert_int_eq(redis_get(n, key, &v), REDIS_CLIENT_OK);
    ck_assert_str_eq(v, "10/10");
    free(v);
    redis_client_free(n);
    /* An invalidation (the DEL and the generation's move, one script) and
     * the conditional fill after it, in the hotel's slot. */
    char a[DATES_ISO_LEN + 1], b[DATES_ISO_LEN + 1], json[512];
    dates_format_iso(from, a);
    dates_format_iso(to + 1, b);
    snprintf(json, sizeof json,
             "{\"vendor\":\"cloudbeds\",\"hotelId\":\"%s\",\"roomTypeId\":\"%s\","
             "\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"rooms\":1,\"bookingId\":\"bk_c\"}",
             INVFX_HOTEL, INVFX_ROOM, a, b);
    ck_assert_int_eq(invfx_send(&f, "POST", "/internal/inventory/invalidate", json, NULL), 200);
    ck_assert(source_is(from, to, "pms"));
    ck_assert(source_is(from, to, "cache"));
    /* The hotel's operator switch: its two state keys (one MGET) and the
     * index of degraded hotels, wherever their slots are. */
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/hotels/" INVFX_HOTEL "/degraded-mode",
                                "{\"degraded\":true,\"reason\":\"PMS migration tonight\"}", &o),
                     200);
    json_object_put(o);
    ck_assert_int_eq(invfx_get(&f, "/api/degraded-mode", NULL, &o), 200);
    struct json_object *hotels = json_object_object_get(o, "hotels");
    ck_assert_int_eq(json_object_array_length(hotels), 1);
    ck_assert_str_eq(invfx_str(json_object_array_get_idx(hotels, 0), "reason"),
                     "PMS migration tonight");
    json_object_put(o);
    ck_assert_int_eq(invfx_send(&f, "PUT", "/api/hotels/" INVFX_HOTEL "/degraded-mode",
                                "{\"degraded\":false}", &o),
                     200);
    json_object_put(o);
    ck_assert(invfx_metric(&f, "redis_commands_total{cmd=\"MGET\",result=\"ok\"}") >= 3);
    ck_assert_double_eq(invfx_metric(&f, "inventory_redis_errors_total{op=\"mget\"}"), 0);
    ck_assert_double_eq(invfx_metric(&f, "inventory_redis_errors_total{op=\"set\"}"), 0);
    ck_assert_double_eq(invfx_metric(&f, "inventory_redis_errors_total{op=\"eval\"}"), 0);
    ck_assert_double_eq(invfx_metric(&f, "inventory_redis_errors_total{op=\"get\"}"), 0);
    invfx_stop(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_redis_cluster");
    TCase *tc = tcase_create("cluster");
    tcase_add_unchecked_fixture(tc, cluster_up, cluster_down);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc,
                   test_keys_of_many_hotels_spread_over_every_master_in_the_slots_redis_computes);
    tcase_add_test(tc, test_one_hotels_keys_share_a_slot_for_mget_pipelines_and_lua);
    tcase_add_test(tc, test_keys_of_two_slots_in_one_call_are_refused_before_reaching_redis);
    tcase_add_test(tc, test_a_bad_cluster_url_is_refused_with_a_reason);
    tcase_add_test(tc, test_a_slot_migrated_while_reads_run_keeps_every_answer_right);
    tcase_add_test(tc, test_inventory_svc_serves_cache_first_reads_from_the_cluster);
    suite_add_tcase(s, tc);
    return check_run(s);
}
