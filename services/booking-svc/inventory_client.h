/*
 * inventory_client.h — booking-svc's calls to inventory-svc (SPEC §3, §4):
 * availability per night for the saga's inventory check (GET /api/inventory)
 * and the cache adjustments after a confirm or a cancel
 * (POST /internal/inventory/decrement | increment).
 *
 * Usage:
 *     inventory_client_t *ic = inventory_client_new("http://127.0.0.1:8082", 2000);
 *     int short_night;
 *     switch (inventory_client_check(ic, "cloudbeds", "hotel_123", "room_456", in, 2,
 * &short_night)) { case 0: all nights free; case 1: nights[short_night] is full; default: ask the
 * PMS } inventory_client_adjust(ic, "decrement", &rec); inventory_client_free(ic);
 *
 * The check answers -1 when inventory-svc cannot say (unreachable, or any
 * answer other than 200 with every night): the caller then asks the PMS
 * itself. Thread-safety: a client is shared by all threads. Ownership: the
 * caller owns the client.
 */
#ifndef BOOKING_INVENTORY_CLIENT_H
#define BOOKING_INVENTORY_CLIENT_H

#include "booking.h"

typedef struct inventory_client inventory_client_t;

inventory_client_t *inventory_client_new(const char *base_url, long timeout_ms);
void inventory_client_free(inventory_client_t *ic); /* accepts NULL */

/* 0 every night of [first, first + nights) has a room, 1 one has none (its
 * index in *short_night), -1 unknown (use the PMS). */
int inventory_client_check(inventory_client_t *ic, const char *vendor, const char *hotel_id,
                           const char *room_type_id, dates_day_t first, int nights,
                           int *short_night);

/* POST /internal/inventory/<op> ("decrement" or "increment") for the stay of
 * rec, one room, idempotent by booking id. 0, or -1 (logged). */
int inventory_client_adjust(inventory_client_t *ic, const char *op, const booking_record_t *rec);

#endif /* BOOKING_INVENTORY_CLIENT_H */
