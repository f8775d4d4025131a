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

/* The generation family of a kind's or a family's keys. */
static inv_key_family_t gen_family_of_kind(inv_kind_t kind)
{
    return kind == INV_KIND_RATES ? INV_KEY_RATE_GEN : INV_KEY_INVENTORY_GEN;
}

int inv_cache_generations(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                          const char *room_type_id, dates_day_t first, int count, inv_gens_t *g)
{
    *g = (inv_gens_t){.first = first, .count = 0};
    if (count <= 0)
        return 0;
    g->values = calloc((size_t)count, sizeof *g->values);
    char **raw = calloc((size_t)count, sizeof *raw);
    inv_keys_t *k =
        inv_keys_nights(gen_family_of_kind(kind), hotel_id, room_type_id, first, (size_t)count);
    int rc = -1;
    if (g->values && raw && k && inv_cache_mget(app, k, raw) == 0) {
        rc = 0;
        for (int i = 0; i < count; i++) {
            if (raw[i] && strlen(raw[i]) >= INV_GEN_MAX)
                rc = -1; /* not ours: never equal to what a store would compare */
            else if (raw[i])
                snprintf(g->values[i], INV_GEN_MAX, "%s", raw[i]);
        }
        if (rc == 0)
            g->count = count;
    }
    if (raw)
        redis_values_free(raw, (size_t)count);
    free(raw);
    inv_keys_free(k);
    return rc;
}

void inv_gens_free(inv_gens_t *g)
{
    free(g->values);
    g->values = NULL;
    g->count = 0;
}

/* Per night i (1-based): KEYS[3i-2] its generation, KEYS[3i-1] its shadow
 * key, KEYS[3i] its fresh key; ARGV[1] shadow TTL s, ARGV[2] fresh TTL s,
 * ARGV[2i+1] the generation read before the PMS was asked ("" = none yet),
 * ARGV[2i+2] the value. Returns how many nights were left alone. */
static const char STORE_IF_SCRIPT[] =
    "local skipped = 0\n"
    "for i = 1, #KEYS / 3 do\n"
    "  if (redis.call('GET', KEYS[3 * i - 2]) or '') == ARGV[2 * i + 1] then\n"
    "    redis.call('SET', KEYS[3 * i - 1], ARGV[2 * i + 2], 'EX', ARGV[1])\n"
    "    redis.call('SET', KEYS[3 * i], ARGV[2 * i + 2], 'EX', ARGV[2])\n"
    "  else\n"
    "    skipped = skipped + 1\n"
    "  end\n"
    "end\n"
    "return skipped\n";

int inv_cache_store_if(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                       const char *room_type_id, const inv_gens_t *g, const dates_day_t *dates,
                       const char *const *shadow_keys, const char *const *fresh_keys,
                       const char *const *values, size_t n, int shadow_ttl_s, int ttl_s,
                       int *skipped)
{
    *skipped = 0;
    char shadow_ttl[16], ttl[16];
    snprintf(shadow_ttl, sizeof shadow_ttl, "%d", shadow_ttl_s);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    char(*gen_keys)[INV_KEY_MAX] = calloc(n ? n : 1, sizeof *gen_keys);
    const char **keys = calloc(3 * n + 1, sizeof *keys);
    const char **args = calloc(2 * n + 2, sizeof *args);
    int rc = -1;
    size_t m = 0; /* nights g covers */
    if (!gen_keys || !keys || !args)
        goto done;
    args[0] = shadow_ttl;
    args[1] = ttl;
    for (size_t i = 0; i < n; i++) {
        long at = (long)dates[i] - (long)g->first;
        if (at < 0 || at >= g->count) {
            (*skipped)++;
            continue;
        }
        if (inv_key_night(gen_keys[m], INV_KEY_MAX, gen_family_of_kind(kind), hotel_id,
                          room_type_id, dates[i]) != 0)
            goto done;
        keys[3 * m] = gen_keys[m];
        keys[3 * m + 1] = shadow_keys[i];
        keys[3 * m + 2] = fresh_keys[i];
        args[2 + 2 * m] = g->values[at];
        args[3 + 2 * m] = values[i];
        m++;
    }
    long long left = 0;
    rc = m == 0 ? 0
                : inv_cache_eval(app, STORE_IF_SCRIPT, keys, 3 * m, args, 2 + 2 * m, &left, NULL);
    if (rc == 0)
        *skipped += (int)left;
done:
    free(gen_keys);
    free(keys);
    free(args);
    return rc;
}

/* Pairs (generation, key) per night; ARGV[1] the generations' TTL s. The
 * number of keys that existed. */
static const char INVALIDATE_SCRIPT[] = "local gone = 0\n"
                                        "for i = 1, #KEYS, 2 do\n"
                                        "  redis.call('INCR', KEYS[i])\n"
                                        "  redis.call('EXPIRE', KEYS[i], ARGV[1])\n"
                                        "  gone = gone + redis.call('DEL', KEYS[i + 1])\n"
                                        "end\n"
                                        "return gone\n";

int inv_cache_invalidate(inv_app_t *app, inv_key_family_t family, const char *hotel_id,
                         const char *room_type_id, dates_day_t first, int count, long long *deleted)
{
    if (deleted)
        *deleted = 0;
    if (count <= 0)
        return 0;
    inv_key_family_t gen_family = family == INV_KEY_RATE || family == INV_KEY_RATE_SHADOW
                                      ? INV_KEY_RATE_GEN
                                      : INV_KEY_INVENTORY_GEN;
    inv_keys_t *k = inv_keys_nights(family, hotel_id, room_type_id, first, (size_t)count);
    inv_keys_t *gk = inv_keys_nights(gen_family, hotel_id, room_type_id, first, (size_t)count);
    const char **all = calloc(2 * (size_t)count, sizeof *all);
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", INV_GEN_TTL_S);
    int rc = -1;
    if (k && gk && all) {
        for (int i = 0; i < count; i++) {
            all[2 * i] = gk->ptrs[i];
            all[2 * i + 1] = k->ptrs[i];
        }
        long long gone = 0;
        rc = inv_cache_eval(app, INVALIDATE_SCRIPT, all, 2 * (size_t)count, (const char *[]){ttl},
                            1, &gone, NULL);
        if (rc == 0 && deleted)
            *deleted = gone;
    }
    free(all);
    inv_keys_free(k);
    inv_keys_free(gk);
    return rc;
}
