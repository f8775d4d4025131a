/*
 * admin_bookings.h — the operator console's bookings, compensations and
 * reconciliation (proto/openapi.yaml, tag admin), served by inventory-svc:
 *     GET  /api/admin/bookings                          VIEWER    search, paged
 *     GET  /api/admin/bookings/:bookingId               VIEWER    steps, events, payment
 *     POST /api/admin/bookings/:bookingId/cancel        OPERATOR  {reason} → booking-svc
 *     GET  /api/admin/compensations                     VIEWER    pending / stuck / all
 *     POST /api/admin/compensations/:compensationId/retry OPERATOR → booking-svc
 *     GET  /api/admin/reconciliation?hotelId=&from=&to= OPERATOR  common/reconcile.h
 *
 * Reads come straight from booking-svc's tables (read only: booking-svc
 * stays their only writer); the two changes go through booking-svc's
 * internal routes with the service token, after this service checked the
 * person's role and hotels, and are audited here with the person's name.
 * Every list is limited to the caller's hotels in the query itself; an
 * object of another hotel is 404 as if it did not exist. Guest names are
 * decrypted in memory with BOOKING_DATA_KEY for display and the lastName
 * search; contact details are never read.
 *
 * Thread-safety: handlers are re-entrant.
 */
#ifndef INVENTORY_ADMIN_BOOKINGS_H
#define INVENTORY_ADMIN_BOOKINGS_H

#include "app.h"
#include "common/http_server.h"

/* Bookings a lastName search decrypts at most (newest first). */
#define ADMIN_NAME_SEARCH_MAX 2000

int admin_bookings_search(http_request_t *req, void *ctx);
int admin_booking_get(http_request_t *req, void *ctx);
int admin_booking_cancel(http_request_t *req, void *ctx);
int admin_compensations_list(http_request_t *req, void *ctx);
int admin_compensation_retry(http_request_t *req, void *ctx);
int admin_reconciliation(http_request_t *req, void *ctx);

#endif /* INVENTORY_ADMIN_BOOKINGS_H */
