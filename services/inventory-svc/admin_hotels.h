/*
 * admin_hotels.h — the operator console's hotels (proto/openapi.yaml, tag
 * admin): every hotel with a PMS configuration, its listing, polling,
 * breaker and degraded state, and the operator's levers.
 *     GET  /api/admin/hotels                    VIEWER    the caller's hotels
 *     GET  /api/admin/hotels/:hotelId           VIEWER    one, with its listing and room types
 *     PUT  /api/admin/hotels/:hotelId/polling   OPERATOR  {enabled, intervalSeconds?}
 *     POST /api/admin/hotels/:hotelId/sync      OPERATOR  a sync job on sync.jobs now
 * A hotel outside the caller's hotels answers 404 as if it did not exist;
 * polling changes and syncs are audited. Polling state lives in pms_config
 * (the poller reads it at every tick), so a change here needs no call to
 * the poller.
 *
 * Thread-safety: handlers are re-entrant.
 */
#ifndef INVENTORY_ADMIN_HOTELS_H
#define INVENTORY_ADMIN_HOTELS_H

#include <json-c/json.h>

#include "app.h"
#include "common/db.h"
#include "common/http_server.h"

int admin_hotels_list(http_request_t *req, void *ctx);
int admin_hotel_get(http_request_t *req, void *ctx);
int admin_hotel_polling(http_request_t *req, void *ctx);
int admin_hotel_sync(http_request_t *req, void *ctx);

/* The rows of one hotel as the API shows them (caller owns; NULL when the
 * database failed or, for the listing and polling, there is no row). */
struct json_object *admin_listing_json(db_t *db, const char *vendor, const char *hotel_id);
struct json_object *admin_room_types_json(db_t *db, const char *vendor, const char *hotel_id);
struct json_object *admin_polling_json(db_t *db, const char *vendor, const char *hotel_id);

/* Adds a DATETIME(3) cell as RFC 3339 UTC ("2025-11-01T09:30:00.000Z"), or null. */
void admin_add_time(struct json_object *o, const char *key, const char *db_text);
/* Adds a cell as a string, or null. */
void admin_add_text(struct json_object *o, const char *key, const char *db_text);

#endif /* INVENTORY_ADMIN_HOTELS_H */
