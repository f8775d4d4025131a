/*
 * degraded_hotels.h — the per-hotel degraded-mode keys in Redis
 * (common/degraded_keys.h): write, clear and read one hotel's automatic and
 * operator states, and list every degraded hotel through the index set.
 * degraded.c decides what to write; this file only speaks Redis.
 *
 * Usage:
 *     degraded_hotel_t h;
 *     degraded_hotels_write_auto(r, "hotel_123", "PMS circuit open ...", since, 15);
 *     if (degraded_hotels_read(r, "hotel_123", &h) == 0 && (h.admin || h.automatic)) ...
 *     size_t n = degraded_hotels_list(r, list, DEGRADED_MAX_LISTED_HOTELS);
 *
 * Thread-safety: none of its own; the client is one connection, so the
 * caller serialises calls on it. Ownership: the client is borrowed; results
 * are written into caller-owned structs.
 */
#ifndef INVENTORY_DEGRADED_HOTELS_H
#define INVENTORY_DEGRADED_HOTELS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/dates.h"
#include "common/pms.h"
#include "common/redis.h"

#define DEGRADED_HOTEL_REASON_MAX 256

/* One hotel as Redis has it. */
typedef struct degraded_hotel {
    char hotel[PMS_ID_MAX];
    bool admin;     /* the operator's switch is on */
    bool automatic; /* a replica's breaker for it is open */
    char admin_reason[DEGRADED_HOTEL_REASON_MAX], admin_since[DATES_RFC3339_LEN + 1];
    char auto_reason[DEGRADED_HOTEL_REASON_MAX], auto_since[DATES_RFC3339_LEN + 1];
} degraded_hotel_t;

/* Sets the hotel's automatic key (source "breaker") for ttl_s seconds and
 * indexes the hotel. 0 or -1. */
int degraded_hotels_write_auto(redis_client_t *r, const char *hotel_id, const char *reason,
                               const char *since, int ttl_s);
/* Deletes the automatic key; drops the hotel from the index when the
 * operator's key is absent too. 0 or -1. */
int degraded_hotels_clear_auto(redis_client_t *r, const char *hotel_id);
/* The operator's switch: on writes the key (no TTL) and indexes the hotel;
 * off deletes it (and the index entry when no automatic key is left). 0 or -1. */
int degraded_hotels_set_admin(redis_client_t *r, const char *hotel_id, bool on, const char *reason,
                              const char *since);
/* Both keys of one hotel in one MGET into *out. 0, or -1 (out says "not
 * degraded" then). */
int degraded_hotels_read(redis_client_t *r, const char *hotel_id, degraded_hotel_t *out);
/* Every indexed hotel that is degraded (expired entries skipped), at most
 * max, into out. Returns how many, or -1 when Redis failed. */
long degraded_hotels_list(redis_client_t *r, degraded_hotel_t *out, size_t max);

#endif /* INVENTORY_DEGRADED_HOTELS_H */
