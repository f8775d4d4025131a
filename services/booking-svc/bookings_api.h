/*
 * bookings_api.h — GET /api/bookings/:bookingId (status, saga steps and
 * timestamps; never guest contact or card data) and
 * POST /api/bookings/:bookingId/cancel (proto/openapi.yaml).
 *
 * Usage:
 *     http_server_route(srv, "GET", "/api/bookings/:bookingId", AUTH_RULE_BOOKING, bookings_get,
 *                       app);
 *     http_server_route(srv, "POST", "/api/bookings/:bookingId/cancel", AUTH_RULE_BOOKING,
 *                       bookings_cancel, app);
 *
 * Access: the booking's own token (the checkout's bookingToken), or staff
 * whose hotels include the booking's: viewer and up to read, operator and up
 * to cancel (a viewer gets 403). Anyone else gets 404, as for a booking that
 * does not exist. A cancel by staff is written to the audit log.
 *
 * Thread-safety: handlers run concurrently; app is shared read-only.
 */
#ifndef BOOKING_BOOKINGS_API_H
#define BOOKING_BOOKINGS_API_H

#include <json-c/json.h>

#include "booking.h"
#include "common/http_server.h"

/* The Booking shape of openapi.yaml for rec (steps borrowed into it). Caller puts. */
struct json_object *bookings_json(const booking_record_t *rec, struct json_object *steps);

int bookings_get(http_request_t *req, void *app);
int bookings_cancel(http_request_t *req, void *app);
/* POST /internal/bookings/:bookingId/cancel (SERVICE): the admin console's
 * cancel — inventory-svc checked and audits the person; {reason} becomes the
 * saga step's detail. Otherwise exactly the cancel above. */
int bookings_cancel_internal(http_request_t *req, void *app);

#endif /* BOOKING_BOOKINGS_API_H */
