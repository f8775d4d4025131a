/*
 * fetch.h — cache-first reads with single-flight fills and stale fallback.
 *
 * A read of nights [first, first + count):
 *   1. MGET every night's key (one round trip);
 *   2. all present → source "cache";
 *   3. otherwise the missing span (first miss .. last miss) is fetched from the
 *      PMS in ONE connector call, coalesced: in this process one thread (the
 *      leader) fetches while the others wait for its answer (singleflight.h);
 *      across replicas the leader first takes `lock:{hotel}:...` (SET NX EX),
 *      and a replica that finds it taken polls the cache for up to
 *      CACHE_FILL_WAIT_MS before fetching itself. The answer is written with
 *      the TTL (fresh key) and SHADOW_TTL_S (shadow key) → source "pms";
 *   4. PMS failing (any error but "not found" / "rejected", breaker open
 *      included) → the missing nights from the shadow keys → source
 *      "stale-cache", a warning and inventory_stale_serves_total; a night
 *      known nowhere → INV_FETCH_UNAVAILABLE (503), never a made-up number.
 * Redis down: every key is a miss, reads go to the PMS (source "pms").
 *
 * Usage:
 *     inv_nights_t n; char msg[256];
 *     if (inv_fetch_nights(app, INV_KIND_INVENTORY, "hotel_123", "room_456", first, 30, &n,
 *                          msg, sizeof msg) == INV_FETCH_OK) ... n.items[i].available ...
 *     inv_nights_free(&n);
 *
 * Thread-safety: thread-safe. Ownership: results are the caller's (_free).
 */
#ifndef INVENTORY_FETCH_H
#define INVENTORY_FETCH_H

#include <stdint.h>

#include "app.h"
#include "common/dates.h"

typedef enum { INV_KIND_INVENTORY = 0, INV_KIND_RATES = 1 } inv_kind_t;
typedef enum { INV_SOURCE_CACHE = 0, INV_SOURCE_PMS, INV_SOURCE_STALE } inv_source_t;

typedef enum {
    INV_FETCH_OK = 0,
    INV_FETCH_NOT_FOUND,   /* the PMS does not know the hotel or room type (404) */
    INV_FETCH_REJECTED,    /* the PMS refused the request as invalid (400) */
    INV_FETCH_UNAVAILABLE, /* PMS failing and nothing cached (503) */
    INV_FETCH_BUSY,        /* the hotel's PMS budget spent and nothing cached (503, retry soon) */
} inv_fetch_status_t;

typedef struct inv_night {
    dates_day_t date;
    int available, total; /* inventory */
    /* the PMS says only bookable (available 1) or not (0): total is 0 and
     * means nothing (OPERA) */
    bool count_unknown;
    int64_t amount;       /* rates: minor units (the base plan's) */
    char currency[4];
    char *plans; /* rates: the night's rate plans JSON (rate_plans.h), or NULL; owned */
} inv_night_t;

typedef struct inv_nights {
    inv_source_t source;
    inv_night_t *items;
    int count;
} inv_nights_t;

typedef struct inv_room_types {
    inv_source_t source;
    char *json; /* the RoomType array as JSON text */
} inv_room_types_t;

const char *inv_kind_name(inv_kind_t kind);
const char *inv_source_name(inv_source_t source);

inv_fetch_status_t inv_fetch_nights(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                                    const char *room_type_id, dates_day_t first, int count,
                                    inv_nights_t *out, char *msg, size_t msg_size);
/* The same read from the cache alone, never the PMS: true with *out filled
 * (source cache) when every night is a fresh hit; false otherwise (*out
 * empty) — the read then needs inv_fetch_nights, which may wait for the PMS. */
bool inv_fetch_nights_cached(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                             const char *room_type_id, dates_day_t first, int count,
                             inv_nights_t *out);
void inv_nights_free(inv_nights_t *n);

/* The hotel's room types (hotel:{id}:rooms, single-flight, shadow fallback). */
inv_fetch_status_t inv_fetch_room_types(inv_app_t *app, const char *hotel_id, inv_room_types_t *out,
                                        char *msg, size_t msg_size);
void inv_room_types_free(inv_room_types_t *rt);

struct inv_gens;
/* Writes PMS nights to the fresh and shadow keys (sync jobs use it too),
 * each unless its cache generation moved from the one in gens (read with
 * inv_cache_generations before the PMS was asked; cache.h). Rates that carry
 * taxes are not written here (they need their plans: the next read caches
 * them). 0, or -1 when Redis failed. */
int inv_cache_store_nights(inv_app_t *app, inv_kind_t kind, const char *hotel_id,
                           const char *room_type_id, const struct inv_gens *gens,
                           const pms_nights_t *nights);
/* Writes the rate plans of a span (each night's base price and its plans
 * JSON in the night's rate key, fresh and shadow), on the same condition.
 * 0 or -1. */
int inv_cache_store_rate_plans(inv_app_t *app, const char *hotel_id, const char *room_type_id,
                               const struct inv_gens *gens, const pms_rate_plans_t *plans);
/* The RoomType JSON array of a PMS answer; malloc'd, NULL on OOM. */
char *inv_room_types_to_json(const pms_room_types_t *rt);
/* Writes the room list to hotel:{id}:rooms and its shadow. 0 or -1. */
int inv_cache_store_room_types(inv_app_t *app, const char *hotel_id, const char *json);

#endif /* INVENTORY_FETCH_H */
