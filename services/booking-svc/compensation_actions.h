/*
 * compensation_actions.h — one compensation action, run once against the
 * PMS or the payment gateway: release_hold = pms_release_hold, void_preauth =
 * payment_void, cancel_reservation = pms_cancel_reservation, refund =
 * payment_refund, retry_capture = payment_capture — through the connector of
 * the booking's payment provider (Stripe, Toss). The compensation worker
 * (compensation.c) calls it and owns retries, backoff and alerts.
 *
 *     compensation_connectors_t v = {.pms = pms, .payment = payment};
 *     char why[256];
 *     if (compensation_action_run(&v, &command, why, sizeof why) != 0) ... retry later
 *
 * Thread-safety: as the connectors (both are thread-safe). Ownership: nothing
 * is retained.
 */
#ifndef BOOKING_COMPENSATION_ACTIONS_H
#define BOOKING_COMPENSATION_ACTIONS_H

#include <stddef.h>

#include "common/db.h"
#include "common/payment.h"
#include "common/pms.h"
#include "compensation.h"

typedef struct compensation_connectors {
    pms_connector_t *pms;
    payment_connector_t *payment; /* Stripe */
    payment_connector_t *toss;    /* Toss Payments; NULL when not configured */
    db_pool_t *db; /* to find a booking's provider (booking_payment); NULL = Stripe always */
} compensation_connectors_t;

/* 0 when the action took effect or its effect was already there; -1 with the vendor's error
 * (for the log and the stuck alert; never credentials) in error. */
int compensation_action_run(const compensation_connectors_t *vendors,
                            const compensation_command_t *c, char *error, size_t size);

#endif /* BOOKING_COMPENSATION_ACTIONS_H */
