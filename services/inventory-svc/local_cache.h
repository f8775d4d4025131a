/*
 * local_cache.h — a short-lived in-process copy of recent read answers, in
 * front of Redis: the same range read, asked again within a few
 * milliseconds, is answered from memory instead of another MGET.
 *
 * Freshness: an entry lives `ttl_ms` at most, and every write this process
 * makes to the cache (a fill, an adjustment, an event's DEL) bumps one
 * generation that makes every entry stale at once; an answer is only stored
 * under the generation read before its Redis read, so a read that raced a
 * write never stores what it saw before it. Another replica's writes are not
 * seen here: they show after ttl_ms at most, which is what bounds the time
 * from a change to the next read answering it (a pms.events change reaches
 * one replica of the consumer group only).
 *
 * Usage:
 *     uint64_t gen = lc_generation(lc);                 // before reading Redis
 *     char *body; size_t len;
 *     if (lc_get(lc, key, &body, &len)) ... answer body (malloc'd copy) ...
 *     ... read, render ...; lc_put(lc, key, gen, body, len);
 *     lc_invalidate(lc);                                // after every cache write
 *
 * Thread-safety: all functions are thread-safe (a mutex per slot; the
 * generation is atomic). A ttl_ms of 0 turns the cache off (NULL is an off
 * cache too). Ownership: entries are copies; lc_get's body is the caller's.
 */
#ifndef INVENTORY_LOCAL_CACHE_H
#define INVENTORY_LOCAL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"

typedef struct local_cache local_cache_t;

/* A cache of `slots` entries (rounded up to a power of two), each living
 * ttl_ms by clk (borrowed; the system clock when NULL). NULL on OOM or when
 * ttl_ms is 0 (off). */
local_cache_t *lc_new(int ttl_ms, size_t slots, const clock_source_t *clk);
void lc_free(local_cache_t *lc);

/* The generation to pass to lc_put, taken before reading the source. */
uint64_t lc_generation(local_cache_t *lc);
/* Makes every entry stale (after a write to the source). */
void lc_invalidate(local_cache_t *lc);

/* A fresh entry for key: true and a malloc'd copy in *body / *len. */
bool lc_get(local_cache_t *lc, const char *key, char **body, size_t *len);
/* Stores a copy of body under key, unless the generation moved since `gen`. */
void lc_put(local_cache_t *lc, const char *key, uint64_t gen, const char *body, size_t len);

#endif /* INVENTORY_LOCAL_CACHE_H */
