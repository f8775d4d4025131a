/*
 * query.h — validation of the inventory API's inputs (proto/openapi.yaml
 * getInventory, getRates, getRoomTypes, InventoryAdjustment): every failure
 * names the field, so the handler answers 400 with it. Pure, no I/O.
 *
 * Usage:
 *     inv_range_query_t q; json_error_t err;
 *     if (inv_query_parse_range(request_query, req, 366, &q, &err) != 0)
 *         return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
 *
 * Vendors: any vendor the PMS connector knows (pms_vendor_known), plus
 * "sandbox" (openapi's Vendor enum), which speaks the Cloudbeds wire format
 * through the same connector.
 *
 * Thread-safety: pure. Ownership: strings in results are borrowed from the
 * request (or JSON object) they were read from.
 */
#ifndef INVENTORY_QUERY_H
#define INVENTORY_QUERY_H

#include <stdbool.h>

#include "common/dates.h"
#include "common/json.h"

#define INV_MAX_ROOMS_PER_ADJUSTMENT 1000

/* Looks up a query parameter; NULL when absent. */
typedef const char *(*inv_param_fn)(void *ctx, const char *name);

typedef struct inv_range_query {
    const char *vendor;
    const char *hotel_id;
    const char *room_type_id;
    dates_day_t first; /* from */
    int nights;        /* to - from + 1 */
} inv_range_query_t;

typedef struct inv_adjustment {
    const char *vendor;
    const char *hotel_id;
    const char *room_type_id;
    const char *booking_id;
    dates_day_t check_in; /* nights check_in .. check_out - 1 */
    int nights;
    int rooms;
} inv_adjustment_t;

/* vendor is required and known. */
int inv_query_check_vendor(const char *vendor, json_error_t *err);
/* A required id (hotelId, roomTypeId) of 1..64 of [A-Za-z0-9_.-]. */
int inv_query_check_id(const char *field, const char *value, json_error_t *err);

/* vendor, hotelId, roomTypeId, from, to (inclusive, to >= from, at most
 * max_nights nights). */
int inv_query_parse_range(inv_param_fn get, void *ctx, int max_nights, inv_range_query_t *out,
                          json_error_t *err);

/* The party a rates read prices (getRates' adults, children, rooms: the
 * checkout's names and bounds). `given` says whether adults was sent. */
#define INV_MAX_GUESTS 20
#define INV_MAX_ROOMS 10
typedef struct inv_party {
    int adults, children, rooms;
    bool given;
} inv_party_t;

/* adults (1..20, default 1), children (0..20, default 0), rooms (1..10,
 * default 1): whole numbers in decimal digits. */
int inv_query_parse_party(inv_param_fn get, void *ctx, inv_party_t *out, json_error_t *err);

/* An InventoryAdjustment body. */
int inv_query_parse_adjustment(struct json_object *body, inv_adjustment_t *out, json_error_t *err);

#endif /* INVENTORY_QUERY_H */
