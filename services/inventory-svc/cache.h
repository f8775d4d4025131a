/*
 * cache.h — the inventory service's Redis calls: each takes a connection
 * from the app's pool for one command (or one pipeline) and gives it back,
 * so no thread ever holds a connection while it waits for the PMS. A Redis
 * failure is counted (inventory_redis_errors_total{op}) and reported as -1;
 * callers treat it as a miss and carry on (Redis is a cache, not the ledger).
 *
 * Usage:
 *     inv_keys_t *k = inv_keys_nights(INV_KEY_INVENTORY, "hotel_123", "room_456", first, 30);
 *     char **vals = calloc(k->count, sizeof *vals);
 *     if (inv_cache_mget(app, k, vals) == 0) ... vals[i] NULL = miss ...
 *     redis_values_free(vals, k->count); free(vals); inv_keys_free(k);
 *
 * Every call that writes (SET, DEL, EVAL) ends by invalidating the app's
 * in-process answers (local_cache.h), after Redis has answered, failed or not.
 *
 * Thread-safety: all functions are thread-safe (pooled connections).
 * Ownership: key lists are the caller's (inv_keys_free); values are malloc'd.
 */
#ifndef INVENTORY_CACHE_H
#define INVENTORY_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "fetch.h"
#include "keys.h"

/* A list of keys with a stable array of pointers for the redis.h calls. */
typedef struct inv_keys {
    size_t count;
    const char **ptrs;
    char (*buf)[INV_KEY_MAX];
} inv_keys_t;

/* One key per night of [first, first + count). NULL on OOM or a too long id. */
inv_keys_t *inv_keys_nights(inv_key_family_t family, const char *hotel_id, const char *room_type_id,
                            dates_day_t first, size_t count);
void inv_keys_free(inv_keys_t *k);

/* MGET in one round trip. 0, or -1 (every value NULL). */
int inv_cache_mget(inv_app_t *app, const inv_keys_t *keys, char **values);
/* SET EX for n pairs in one pipeline. 0 or -1. */
int inv_cache_set_many(inv_app_t *app, const char *const *keys, const char *const *values, size_t n,
                       int ttl_s);
/* GET one key: 0 and *value (NULL on a miss), or -1. */
int inv_cache_get(inv_app_t *app, const char *key, char **value);
/* Whether the key exists; a Redis failure counts as "no". */
bool inv_cache_exists(inv_app_t *app, const char *key);
/* DEL; *deleted (optional) = how many existed. 0 or -1. */
int inv_cache_del(inv_app_t *app, const char *const *keys, size_t n, long long *deleted);
/* SET NX EX: *acquired = whether the caller now holds the lock. 0 or -1. */
int inv_cache_lock(inv_app_t *app, const char *key, int ttl_s, bool *acquired);
/* EVAL (EVALSHA) of a script; results as redis_eval. 0 or -1. */
int inv_cache_eval(inv_app_t *app, const char *script, const char *const *keys, size_t nkeys,
                   const char *const *args, size_t nargs, long long *int_out, char **str_out);

/* The nights' cache generations (invgen: / rategen: keys, keys.h): every
 * invalidation of a night moves its generation, and so does every applied
 * adjustment of an inventory night. Whoever asks the PMS in order to cache
 * the answer reads them first and stores with inv_cache_store_if: a night
 * the PMS answered before a change that was announced while the answer
 * travelled would otherwise be cached over the change's invalidation and
 * shown until its TTL. Per night, so a booking of one night does not cost
 * a fill of other nights its cache write. */
#define INV_GEN_MAX 32
#define INV_GEN_TTL_S 86400 /* far longer than any PMS call and its queue */
typedef struct inv_gens {
    dates_day_t first;
    int count;
    char (*values)[INV_GEN_MAX]; /* count entries; "" = none yet */
} inv_gens_t;
/* The generations of [first, first + count) of kind's family, in one MGET.
 * 0, or -1 (Redis failed or no memory: cache nothing); free with
 * inv_gens_free either way. */
int inv_cache_generations(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                          const char *room_type_id, dates_day_t first, int count, inv_gens_t *g);
void inv_gens_free(inv_gens_t *g);
/* In one script call, for each of the n nights (dates[i], its value under
 * shadow_keys[i] for shadow_ttl_s and fresh_keys[i] for ttl_s): SET EX both
 * when the night's generation is still the one in g; a night whose
 * generation moved, or that g does not cover, is left alone and counted in
 * *skipped. 0, or -1 when Redis failed. */
int inv_cache_store_if(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                       const char *room_type_id, const inv_gens_t *g, const dates_day_t *dates,
                       const char *const *shadow_keys, const char *const *fresh_keys,
                       const char *const *values, size_t n, int shadow_ttl_s, int ttl_s,
                       int *skipped);
/* DEL of the family's keys of [first, first + count) and a move of each
 * night's generation, in one script call. *deleted (optional) = how many
 * keys existed. 0 or -1. */
int inv_cache_invalidate(inv_app_t *app, inv_key_family_t family, const char *hotel_id,
                         const char *room_type_id, dates_day_t first, int count,
                         long long *deleted);

#endif /* INVENTORY_CACHE_H */
