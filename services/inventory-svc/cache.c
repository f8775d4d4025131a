/*
 * cache.c — pooled Redis calls of the inventory cache (cache.h).
 */
#include "cache.h"

#include <stdlib.h>

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
