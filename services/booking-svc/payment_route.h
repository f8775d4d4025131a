/*
 * payment_route.h — which payment provider a booking uses, and what comes
 * with that choice: the connector to call (Stripe, Toss Payments), the
 * booking_payment row (provider, Toss orderId bound to the booking, the
 * method the guest paid with), and the guest's Korean
 * message for a payment failure.
 *
 *     payment_connector_t *pay = booking_pay(app, rec->payment_provider);
 *     booking_payment_load(db, "bk_…", &route);  // written with the booking (saga_open)
 *     const char *msg = booking_pay_guest_message(PAY_ERR_INSUFFICIENT_FUNDS, "REJECT_CARD_PAYMENT");
 *
 * Bookings without a booking_payment row (made before it existed) are Stripe's.
 * Thread-safety: stateless; the connectors are thread-safe. Ownership: strings
 * returned are static.
 */
#ifndef BOOKING_PAYMENT_ROUTE_H
#define BOOKING_PAYMENT_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "booking.h"

#define BOOKING_PROVIDER_STRIPE "stripe"
#define BOOKING_PROVIDER_TOSS "toss"

typedef struct booking_payment {
    char provider[16];
    char order_id[PAY_ORDER_ID_MAX + 1];
    char method[32];
    char easy_pay[32];
} booking_payment_t;

/* Known provider names ("stripe", "toss"). */
bool booking_provider_known(const char *provider);
/* The connector of a provider ("" = Stripe); NULL when that provider is not
 * configured on this service. */
payment_connector_t *booking_pay(const booking_app_t *app, const char *provider);

/* 0 found, 1 none (a Stripe booking from before: out says "stripe"), -1. */
int booking_payment_load(db_t *db, const char *booking_id, booking_payment_t *out);
/* The booking whose payment has this provider id (payment_auth_id). 0, 1 none, -1. */
int booking_payment_find_booking(db_t *db, const char *payment_id, char *booking_id,
                                 size_t size);
int booking_payment_set_method(db_t *db, const char *booking_id, const char *method,
                               const char *easy_pay);

/* What the guest is told when the payment failed (Korean, something they can
 * act on); the provider's code stays in logs and the step log. */
const char *booking_pay_guest_message(pay_err_t e, const char *vendor_code);
/* Our code for the failure ("INSUFFICIENT_FUNDS", "SESSION_EXPIRED",
 * "VIRTUAL_ACCOUNT_NOT_ACCEPTED", ...), or NULL when none fits. */
const char *booking_pay_error_code(pay_err_t e, const char *vendor_code);

#endif /* BOOKING_PAYMENT_ROUTE_H */
