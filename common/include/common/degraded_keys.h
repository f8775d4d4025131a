/*
 * degraded_keys.h — where degraded mode lives in Redis, shared by the writer
 * (inventory-svc) and the reader (booking-svc's checkout).
 *
 * Degraded mode is per hotel, plus one platform-wide switch:
 *   lodging:degraded                  platform-wide state (the platform switch)
 *   lodging:degraded:admin            the operator's platform-wide switch
 *   lodging:degraded:{<hotelId>}      a hotel's automatic state (its PMS breaker
 *                                     open), with a TTL refreshed while it lasts
 *   lodging:degraded:admin:{<hotelId>} the operator's switch for one hotel
 *   lodging:degraded:hotels           set of hotel ids that may have one of the
 *                                     two keys above (the listing's index)
 * Every value is {"degraded":true,"reason":"...","since":"<RFC 3339>"[,...]}
 * or absent (= not degraded). The two keys of a hotel share its hash tag, so a
 * reader gets both in one MGET, in one cluster slot.
 *
 * Usage:
 *     char k[DEGRADED_KEY_MAX];
 *     degraded_hotel_key(k, sizeof k, "hotel_123");        // lodging:degraded:{hotel_123}
 *     degraded_hotel_admin_key(k, sizeof k, "hotel_123");  // lodging:degraded:admin:{hotel_123}
 *
 * Header only: names and two formatting helpers, no state.
 */
#ifndef COMMON_DEGRADED_KEYS_H
#define COMMON_DEGRADED_KEYS_H

#include <stddef.h>
#include <stdio.h>

#define DEGRADED_PLATFORM_KEY "lodging:degraded"
#define DEGRADED_PLATFORM_ADMIN_KEY "lodging:degraded:admin"
#define DEGRADED_HOTELS_INDEX_KEY "lodging:degraded:hotels"
#define DEGRADED_KEY_MAX 128

/* Writes lodging:degraded:{hotel} into out; returns out. */
static inline char *degraded_hotel_key(char *out, size_t size, const char *hotel_id)
{
    snprintf(out, size, "lodging:degraded:{%s}", hotel_id);
    return out;
}

/* Writes lodging:degraded:admin:{hotel} into out; returns out. */
static inline char *degraded_hotel_admin_key(char *out, size_t size, const char *hotel_id)
{
    snprintf(out, size, "lodging:degraded:admin:{%s}", hotel_id);
    return out;
}

#endif /* COMMON_DEGRADED_KEYS_H */
