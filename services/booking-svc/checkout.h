/*
 * checkout.h — POST /api/booking/checkout (proto/openapi.yaml): a body that
 * is not application/json refused (415 UNSUPPORTED_MEDIA_TYPE), the request
 * validated field by field (400 VALIDATION_ERROR naming the field; control
 * characters refused in every text field), degraded mode (503 before any side
 * effect), the Idempotency-Key, then the saga.
 *
 * Usage:
 *     http_server_route(srv, "POST", "/api/booking/checkout", checkout_handle, app);
 *     booking_request_t rq; json_error_t err;
 *     if (checkout_parse(body, app, &rq, &err) != 0) → 400 err.field err.message
 *
 * Thread-safety: handlers run concurrently; app is shared read-only.
 * Ownership: the request is the caller's; the card token is wiped after use.
 */
#ifndef BOOKING_CHECKOUT_H
#define BOOKING_CHECKOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "booking.h"
#include "common/http_server.h"
#include "common/json.h"

/* Validates a checkout body into *out. 0, or -1 with the field and a message.
 * payment is {"cardToken","amount","currency"} (Stripe), or with
 * "provider":"toss" {"paymentKey","orderId","amount"[,"currency":"KRW"]} (the
 * payment window's redirect) or {"billingKey","customerKey","amount"} (a
 * saved card); without "provider" the default provider's shape applies
 * (checkout_parse: Stripe). */
int checkout_parse(struct json_object *body, const char *served_vendor, booking_request_t *out,
                   json_error_t *err);
int checkout_parse_with(struct json_object *body, const char *served_vendor,
                        const char *default_provider, booking_request_t *out, json_error_t *err);

/* Degraded mode for this hotel: the platform switch, the hotel's operator
 * switch or automatic state in Redis (common/degraded_keys.h), or an open PMS
 * breaker of the hotel / the payment breaker here. True with the reason
 * written into reason (caller-owned, size bytes). */
bool checkout_degraded(booking_app_t *app, const char *hotel_id, char *reason, size_t size);

int checkout_handle(http_request_t *req, void *app);

#endif /* BOOKING_CHECKOUT_H */
