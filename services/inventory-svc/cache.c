/*
 * cache.c — pooled Redis calls of the inventory cache (cache.h).
 */
#include "cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "local_cache.h"

inv_keys_t *inv_keys_nights(inv_key_family_t family, const char *hotel_id, const char *room_type_id,
                            dates_day_t first, size_t count)
{
    inv_keys_t *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->count = count;
    k->ptrs = calloc(count ? count : 1, sizeof *k->ptrs);
    k->buf = calloc(count ? count : 1, sizeof *k->buf);
    if (!k->ptrs || !k->buf)
        goto fail;
    for (size_t i = 0; i < count; i++) {
        if (inv_key_night(k->buf[i], sizeof k->buf[i], family, hotel_id, room_type_id,
                          first + (dates_day_t)i) != 0)
            goto fail;
        k->ptrs[i] = k->buf[i];
    }
    return k;
fail:
    inv_keys_free(k);
    return NULL;
}

void inv_keys_free(inv_keys_t *k)
{
    if (!k)
        return;
    free(k->ptrs);
    free(k->buf);
    free(k);
}

/* Counts and logs (at debug: an outage would flood the log) a failed call. */
static int failed(inv_app_t *app, redis_client_t *r, const char *op)
{
    metrics_counter_inc(app->metrics.redis_errors, op);
    log_kv(LOG_LEVEL_DEBUG, "redis call failed", "op", op, "error", redis_client_error(r), NULL);
    return -1;
}

int inv_cache_mget(inv_app_t *app, const inv_keys_t *keys, char **values)
{
    for (size_t i = 0; i < keys->count; i++)
        values[i] = NULL;
    if (keys->count == 0)
        return 0;
    redis_client_t *r = redis_pool_acquire(app->redis);
    int rc = redis_mget(r, keys->ptrs, keys->count, values) == REDIS_CLIENT_OK
                 ? 0
                 : failed(app, r, "mget");
    redis_pool_release(app->redis, r);
    return rc;
}

int inv_cache_set_many(inv_app_t *app, const char *const *keys, const char *const *values, size_t n,
                       int ttl_s)
{
    if (n == 0)
        return 0;
    redis_client_t *r = redis_pool_acquire(app->redis);
    int rc =
        redis_set_ex_many(r, keys, values, n, ttl_s) == REDIS_CLIENT_OK ? 0 : failed(app, r, "set");
    redis_pool_release(app->redis, r);
    lc_invalidate(app->answers);
    return rc;
}

int inv_cache_get(inv_app_t *app, const char *key, char **value)
{
    *value = NULL;
    redis_client_t *r = redis_pool_acquire(app->redis);
    int rc = redis_get(r, key, value) == REDIS_CLIENT_OK ? 0 : failed(app, r, "get");
    redis_pool_release(app->redis, r);
    return rc;
}

bool inv_cache_exists(inv_app_t *app, const char *key)
{
    long long ttl = -2;
    redis_client_t *r = redis_pool_acquire(app->redis);
    if (redis_ttl(r, key, &ttl) != REDIS_CLIENT_OK)
        failed(app, r, "ttl");
    redis_pool_release(app->redis, r);
    return ttl != -2;
}

int inv_cache_del(inv_app_t *app, const char *const *keys, size_t n, long long *deleted)
{
    if (deleted)
        *deleted = 0;
    if (n == 0)
        return 0;
    redis_client_t *r = redis_pool_acquire(app->redis);
    int rc = redis_del(r, keys, n, deleted) == REDIS_CLIENT_OK ? 0 : failed(app, r, "del");
    redis_pool_release(app->redis, r);
    lc_invalidate(app->answers);
    return rc;
}

int inv_cache_lock(inv_app_t *app, const char *key, int ttl_s, bool *acquired)
{
    int was_set = 0;
    redis_client_t *r = redis_pool_acquire(app->redis);
    int rc = redis_set_nx_ex(r, key, "1", ttl_s, &was_set) == REDIS_CLIENT_OK
                 ? 0
                 : failed(app, r, "lock");
    redis_pool_release(app->redis, r);
    *acquired = was_set == 1;
    return rc;
}

int inv_cache_eval(inv_app_t *app, const char *script, const char *const *keys, size_t nkeys,
                   const char *const *args, size_t nargs, long long *int_out, char **str_out)
{
    redis_client_t *r = redis_pool_acquire(app->redis);
    int rc = redis_eval(r, script, keys, nkeys, args, nargs, int_out, str_out) == REDIS_CLIENT_OK
                 ? 0
                 : failed(app, r, "eval");
    redis_pool_release(app->redis, r);
    lc_invalidate(app->answers);
    return rc;
}

int inv_cache_generation(inv_app_t *app, const char *hotel_id, const char *room_type_id,
                         char gen[INV_GEN_MAX])
{
    gen[0] = '\0';
    char key[INV_KEY_MAX];
    char *value = NULL;
    if (inv_key_generation(key, sizeof key, hotel_id, room_type_id) != 0)
        return -1;
    redis_client_t *r = redis_pool_acquire(app->redis);
    int rc = redis_get(r, key, &value) == REDIS_CLIENT_OK ? 0 : failed(app, r, "get");
    redis_pool_release(app->redis, r);
    if (rc == 0 && value && strlen(value) >= INV_GEN_MAX)
        rc = -1; /* not ours: never equal to what a store would compare */
    else if (rc == 0 && value)
        snprintf(gen, INV_GEN_MAX, "%s", value);
    free(value);
    return rc;
}

/* KEYS[1] the generation, KEYS[2..n+1] shadow keys, KEYS[n+2..2n+1] fresh
 * keys; ARGV[1] the generation read before the PMS was asked ("" = none
 * yet), ARGV[2] shadow TTL s, ARGV[3] fresh TTL s, ARGV[4..n+3] values.
 * 1 = stored, 0 = the generation moved (nothing stored). */
static const char STORE_IF_SCRIPT[] =
    "if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end\n"
    "local n = (#KEYS - 1) / 2\n"
    "for i = 1, n do\n"
    "  redis.call('SET', KEYS[1 + i], ARGV[3 + i], 'EX', ARGV[2])\n"
    "  redis.call('SET', KEYS[1 + n + i], ARGV[3 + i], 'EX', ARGV[3])\n"
    "end\n"
    "return 1\n";

int inv_cache_store_if(inv_app_t *app, const char *hotel_id, const char *room_type_id,
                       const char *gen, const char *const *shadow_keys,
                       const char *const *fresh_keys, const char *const *values, size_t n,
                       int shadow_ttl_s, int ttl_s, bool *stored)
{
    *stored = false;
    if (n == 0)
        return 0;
    char gen_key[INV_KEY_MAX], shadow_ttl[16], ttl[16];
    if (inv_key_generation(gen_key, sizeof gen_key, hotel_id, room_type_id) != 0)
        return -1;
    snprintf(shadow_ttl, sizeof shadow_ttl, "%d", shadow_ttl_s);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char **keys = calloc(1 + 2 * n, sizeof *keys);
    const char **args = calloc(3 + n, sizeof *args);
    int rc = -1;
    if (keys && args) {
        keys[0] = gen_key;
        args[0] = gen;
        args[1] = shadow_ttl;
        args[2] = ttl;
        for (size_t i = 0; i < n; i++) {
            keys[1 + i] = shadow_keys[i];
            keys[1 + n + i] = fresh_keys[i];
            args[3 + i] = values[i];
        }
        long long done = 0;
        rc = inv_cache_eval(app, STORE_IF_SCRIPT, keys, 1 + 2 * n, args, 3 + n, &done, NULL);
        *stored = rc == 0 && done == 1;
    }
    free(keys);
    free(args);
    return rc;
}

/* KEYS[1] the generation, KEYS[2..] the keys to drop; ARGV[1] the
 * generation's TTL s. The number of keys that existed. */
static const char INVALIDATE_SCRIPT[] = "redis.call('INCR', KEYS[1])\n"
                                        "redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
                                        "if #KEYS < 2 then return 0 end\n"
                                        "return redis.call('DEL', unpack(KEYS, 2))\n";

int inv_cache_invalidate(inv_app_t *app, const char *hotel_id, const char *room_type_id,
                         const char *const *keys, size_t n, long long *deleted)
{
    if (deleted)
        *deleted = 0;
    char gen_key[INV_KEY_MAX], ttl[16];
    if (inv_key_generation(gen_key, sizeof gen_key, hotel_id, room_type_id) != 0)
        return -1;
    snprintf(ttl, sizeof ttl, "%d", INV_GEN_TTL_S);
    const char **all = calloc(1 + n, sizeof *all);
    if (!all)
        return -1;
    all[0] = gen_key;
    for (size_t i = 0; i < n; i++)
        all[1 + i] = keys[i];
    long long gone = 0;
    int rc =
        inv_cache_eval(app, INVALIDATE_SCRIPT, all, 1 + n, (const char *[]){ttl}, 1, &gone, NULL);
    free(all);
    if (rc == 0 && deleted)
        *deleted = gone;
    return rc;
}
