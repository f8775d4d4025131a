/*
 * inventory_client.h — booking-svc's calls to inventory-svc:
 * availability and price per night for the saga's checks, from the cache
 * (GET /api/inventory, GET /api/rates), and the cache adjustments after a
 * confirm or a cancel (POST /internal/inventory/decrement | increment).
 *
 * Usage:
 *     inventory_client_t *ic = inventory_client_new("http://127.0.0.1:8082", 2000, token);
 *     inventory_stay_t st;
 *     inventory_client_stay(ic, "cloudbeds", "hotel_123", "room_456", in, 2, &st);
 *     if (st.availability == INVENTORY_STAY_SHORT && st.fresh) ... sold out ...
 *     inventory_client_adjust(ic, "decrement", &rec);
 *     inventory_client_free(ic);
 *
 * These reads spend none of the hotel's PMS request budget when the cache is
 * warm; what they cannot say (inventory-svc unreachable, a PMS it could not
 * ask, a stale copy) is left to the PMS hold, which is the authoritative
 * check anyway. Thread-safety: a client is shared by all threads.
 * Ownership: the caller owns the client.
 */
#ifndef BOOKING_INVENTORY_CLIENT_H
#define BOOKING_INVENTORY_CLIENT_H

#include "booking.h"
#include "selling_rules.h"

typedef struct inventory_client inventory_client_t;

/* `service_token` (LODGING_SERVICE_TOKEN, may be NULL) is sent as the bearer
 * credential of every call: inventory-svc's internal routes refuse anything
 * else. NULL on OOM or a token too long to be a header. */
inventory_client_t *inventory_client_new(const char *base_url, long timeout_ms,
                                         const char *service_token);
void inventory_client_free(inventory_client_t *ic); /* accepts NULL */

typedef enum {
    INVENTORY_STAY_UNKNOWN = -1, /* inventory-svc could not say */
    INVENTORY_STAY_FREE = 0,     /* every night has a room */
    INVENTORY_STAY_SHORT = 1,    /* night short_night has none */
} inventory_stay_answer_t;

/* What inventory-svc knows of a stay [first, first + nights). */
typedef struct inventory_stay {
    inventory_stay_answer_t availability;
    int short_night; /* index of the first night without a room, or -1 */
    bool fresh;      /* the availability came from the cache within its TTL or the PMS */
    bool not_found;  /* inventory-svc answered 404: no such hotel or room type */
    bool hotel_unknown; /* ... and it was the hotel (HOTEL_NOT_FOUND) */
    bool count_unknown; /* the PMS says only bookable or not (no room counts) */
    bool price_known; /* every night priced, fresh, in one currency (the plan's, see below) */
    int64_t price;    /* the nights' sum all in (taxes and fees), minor units of currency */
    bool tax_known;   /* with price_known: the rates stated the nights' taxes */
    int64_t tax;      /* the part of price that is tax (with tax_known), one room */
    int64_t tax_free; /* the part of price of tax-free fees (with tax_known), one room */
    int64_t first_night; /* the first night's price (with price_known) */
    /* With price_known: the stay's charges that are not per room night, as
     * the rates' items state them (added to nothing above): per adult and
     * per child over the stay, per room once, per reservation once; each
     * with the part of it that is tax. inventory_stay_price gives the sum. */
    int64_t per_adult, per_child, per_room, per_stay;
    int64_t per_adult_tax, per_child_tax, per_room_tax, per_stay_tax;
    int64_t per_adult_free, per_child_free, per_room_free, per_stay_free;
    char currency[4];
    /* The rate plans, when inventory-svc's rates list them (fresh) for every
     * night of the stay: whether the asked plan (the base plan when none was
     * asked) is sold on each of them, and its restrictions on the stay's
     * nights and the departure day (rules[nights]). */
    bool plans_known;
    bool plan_missing; /* plans_known, and some night does not list the plan */
    selling_rules_night_t rules[PMS_MAX_NIGHTS + 1];
    /* The plan's cancellation policy as the hotel's PMS states it for the
     * stay (platform policy JSON, "" = none stated; set by the checkout's
     * stay check with the PMS): used when none is configured. */
    char pms_cancel_policy[PMS_CANCEL_POLICY_MAX];
} inventory_stay_t;

/* What the stay costs the party in `rooms` rooms, all in (price_known):
 * every room's nights plus the charges per guest and per stay; its tax into
 * *tax and its tax-free fees into *tax_free (tax_known). */
static inline int64_t inventory_stay_price(const inventory_stay_t *st, int rooms, int adults,
                                           int children, int64_t *tax, int64_t *tax_free)
{
    *tax = st->tax * rooms + st->per_adult_tax * adults + st->per_child_tax * children +
           st->per_room_tax * rooms + st->per_stay_tax;
    *tax_free = st->tax_free * rooms + st->per_adult_free * adults + st->per_child_free * children +
                st->per_room_free * rooms + st->per_stay_free;
    return st->price * rooms + st->per_adult * adults + st->per_child * children +
           st->per_room * rooms + st->per_stay;
}

/* Fills *out (never fails: what cannot be known is marked so). */
void inventory_client_stay(inventory_client_t *ic, const char *vendor, const char *hotel_id,
                           const char *room_type_id, dates_day_t first, int nights,
                           inventory_stay_t *out);

/* The room type's max occupancy (guests per room) as inventory-svc reports
 * it with the hotel's room types (GET /api/hotels/:hotelId/room-types, cached
 * for an hour), and the adults and children its rate includes (0 when not
 * stated): 0 with *max_guests set; 1 when inventory-svc does not list the
 * room type; -1 when it could not answer. */
int inventory_client_max_occupancy(inventory_client_t *ic, const char *vendor, const char *hotel_id,
                                   const char *room_type_id, int *max_guests, int *adults_included,
                                   int *children_included);

/* inventory_client_stay for `rooms` rooms (a night is short when it has
 * fewer) under rate plan rate_plan_id ("" or NULL = the base plan): the
 * price (of one room) is that plan's, and its restrictions are read for the
 * stay's nights and the departure day. When the rates do not list plans, the
 * base plan's price is known only for the base plan. */
void inventory_client_stay_plan(inventory_client_t *ic, const char *vendor, const char *hotel_id,
                                const char *room_type_id, dates_day_t first, int nights,
                                const char *rate_plan_id, int rooms, inventory_stay_t *out);

/* POST /internal/inventory/<op> for the stay of rec, its rooms: "decrement"
 * or "increment" (idempotent by booking id), or "invalidate" (drop the cached
 * counts: a hold of rec ended without a booking). 0, or -1 (logged). */
int inventory_client_adjust(inventory_client_t *ic, const char *op, const booking_record_t *rec);

#endif /* BOOKING_INVENTORY_CLIENT_H */
