/*
 * store.h — inventory-svc's writes to MariaDB: room_inventory and
 * rate_plan rows per night, and room_types of hotels that have a listing,
 * all upserts keyed by their UNIQUE keys, so a repeated sync job changes
 * nothing (idempotent handlers, at-least-once delivery).
 *
 * The connection pool is made on first use (and again after a failed
 * attempt), so the service starts and serves reads while MariaDB is away.
 *
 * Usage:
 *     inv_store_t *s = inv_store_new(mysql_url, 2);
 *     if (inv_store_upsert_inventory(s, "cloudbeds", "hotel_123", "room_456", &nights) != 0) ...
 *     inv_store_free(s);
 *
 * Thread-safety: thread-safe (pooled connections). Ownership: the URL is copied.
 */
#ifndef INVENTORY_STORE_H
#define INVENTORY_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/db.h"
#include "common/pms.h"

/* rate_plan.rate_plan_id of the room type's base plan (the connector reads it). */
#define INV_BASE_RATE_PLAN_ID "base"

typedef struct inv_store inv_store_t;

inv_store_t *inv_store_new(const char *mysql_url, size_t pool_size);
void inv_store_free(inv_store_t *s);

/* The pool, made now when needed; NULL when MariaDB cannot be reached. */
db_pool_t *inv_store_pool(inv_store_t *s);

/* Upserts one row per night, in one transaction. 0, or -1 (logged). */
int inv_store_upsert_inventory(inv_store_t *s, const char *vendor, const char *hotel_id,
                               const char *room_type_id, const pms_nights_t *nights);
int inv_store_upsert_rates(inv_store_t *s, const char *vendor, const char *hotel_id,
                           const char *room_type_id, const pms_nights_t *nights);
/* One rate_plan row per plan and night with its restrictions in `rules`
 * (JSON: closed, closedToArrival, closedToDeparture, minLos, maxLos); the
 * base plan under INV_BASE_RATE_PLAN_ID. 0, or -1 (logged). */
int inv_store_upsert_rate_plans(inv_store_t *s, const char *vendor, const char *hotel_id,
                                const char *room_type_id, const pms_rate_plans_t *plans);
/* The hotel's configured cancellation policies (booking-svc applies them):
 * a JSON object {rate_plan_id: policy} ("*" = every plan without its own,
 * "base" = the base plan), or NULL when MariaDB cannot say or there are
 * none. Caller puts. */
struct json_object *inv_store_cancel_policies(inv_store_t *s, const char *vendor,
                                              const char *hotel_id);
/* Upserts room_types rows when the hotel has a listings row (the admin saved
 * it); otherwise does nothing. 0, or -1. */
int inv_store_upsert_room_types(inv_store_t *s, const char *vendor, const char *hotel_id,
                                const pms_room_types_t *rt);

#endif /* INVENTORY_STORE_H */
