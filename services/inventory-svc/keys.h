/*
 * keys.h — the Redis key scheme of the inventory cache and the
 * text encoding of cached values. Pure functions, no I/O.
 *
 * Every key of a hotel carries the literal hash tag {hotelId}, so a
 * multi-night MGET, a pipelined write and the adjustment Lua script touch one
 * Redis Cluster slot:
 *
 *     inv:{hotel_123}:room_456:2025-11-01          "3/10"        INVENTORY_TTL_S (90 s)
 *     invshadow:{hotel_123}:room_456:2025-11-01    "3/10"        SHADOW_TTL_S (7 days)
 *     rate:{hotel_123}:room_456:2025-11-01         "125000 KRW"  RATE_TTL_S (300 s)
 *     rateshadow:{hotel_123}:room_456:2025-11-01   "125000 KRW"  SHADOW_TTL_S
 *     hotel:{hotel_123}:rooms                      JSON array    ROOMS_TTL_S (3600 s)
 *     hotel:{hotel_123}:rooms:shadow               JSON array    SHADOW_TTL_S
 *     lock:{hotel_123}:inv:room_456:<from>:<to>    single-flight lock across replicas
 *     invadj:{hotel_123}:<bookingId>:dec|inc       adjustment applied (idempotency)
 *     invgen:{hotel_123}:room_456:2025-11-01       "7"  the night's cache generation:
 *     rategen:{hotel_123}:room_456:2025-11-01           moved by every invalidation (and,
 *                                                       invgen:, adjustment) of the night;
 *                                                       a fill stores the night only if it
 *                                                       did not move while the PMS was
 *                                                       asked (INV_GEN_TTL_S, 1 day)
 *
 * Usage:
 *     char key[INV_KEY_MAX];
 *     inv_key_night(key, sizeof key, INV_KEY_INVENTORY, "hotel_123", "room_456", day);
 *     char val[INV_VALUE_MAX]; inv_value_format_availability(3, 10, val, sizeof val);
 *     int a, t; if (inv_value_parse_availability("3/10", &a, &t) == 0) ...
 *
 * Thread-safety: pure. Ownership: callers own every buffer.
 */
#ifndef INVENTORY_KEYS_H
#define INVENTORY_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dates.h"

#define INV_KEY_MAX 256
#define INV_VALUE_MAX 64
#define INV_ID_MAX_LEN 64

/* Which per-night key family. */
typedef enum {
    INV_KEY_INVENTORY,        /* inv: */
    INV_KEY_INVENTORY_SHADOW, /* invshadow: */
    INV_KEY_RATE,             /* rate: */
    INV_KEY_RATE_SHADOW,      /* rateshadow: */
    INV_KEY_INVENTORY_GEN,    /* invgen: */
    INV_KEY_RATE_GEN,         /* rategen: */
} inv_key_family_t;

/* The key of one night. Returns 0, or -1 when it does not fit. */
int inv_key_night(char *out, size_t size, inv_key_family_t family, const char *hotel_id,
                  const char *room_type_id, dates_day_t night);
/* hotel:{hotelId}:rooms, or its shadow. */
int inv_key_rooms(char *out, size_t size, const char *hotel_id, bool shadow);
/* lock:{hotelId}:<what>:<roomTypeId>:<first>:<last> ("rooms" locks pass room_type_id "").
 */
int inv_key_lock(char *out, size_t size, const char *what, const char *hotel_id,
                 const char *room_type_id, dates_day_t first, dates_day_t last);
/* invadj:{hotelId}:<bookingId>:dec|inc */
int inv_key_adjust_marker(char *out, size_t size, const char *hotel_id, const char *booking_id,
                          bool decrement);

/* True for an id we accept in keys and queries: 1..64 of [A-Za-z0-9_.-] (no
 * braces or colons, which would break the hash tag or the key layout). */
bool inv_id_valid(const char *id);

/* "available/total" */
int inv_value_format_availability(int available, int total, char *out, size_t size);
/* "1/?" (bookable) or "0/?" (not): a night of a PMS that never tells how
 * many rooms are free (pms_night_t.count_unknown). */
int inv_value_format_bookable(bool bookable, char *out, size_t size);
/* Either form: "<a>/<t>" (*count_unknown false) or "<0|1>/?" (true, *total 0). */
int inv_value_parse_night(const char *text, int *available, int *total, bool *count_unknown);
/* 0 and the numbers, or -1 when the text is not "<a>/<t>" with 0 <= a <= t. */
int inv_value_parse_availability(const char *text, int *available, int *total);
/* "<amount in minor units> <ISO currency>" */
int inv_value_format_rate(int64_t amount, const char *currency, char *out, size_t size);
/* "<amount> <currency> <plans>": the night's base price and every rate plan
 * of the night with its terms (a JSON array, see rate_plans.h) in the one
 * rate key of the night. malloc'd, or NULL on OOM. */
char *inv_value_format_rate_plans(int64_t amount, const char *currency, const char *plans_json);
/* 0 and the values, or -1 when malformed. currency must hold 4 bytes. A
 * value with plans parses too (its base price and currency). */
int inv_value_parse_rate(const char *text, int64_t *amount, char currency[4]);
/* The plans JSON of a rate value (pointing into text), or NULL when it has none. */
const char *inv_value_rate_plans(const char *text);

#endif /* INVENTORY_KEYS_H */
