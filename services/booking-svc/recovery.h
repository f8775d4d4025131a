/*
 * recovery.h — crash recovery of checkout sagas: on start and every
 * BOOKING_RECOVERY_INTERVAL_S seconds, sagas left running or compensating
 * whose lease lapsed (their process died) are taken over (the lease in
 * saga_instance makes one replica win) and driven to their end by
 * saga_recover: resumed when the PMS has the booking confirmed, compensated
 * otherwise. The same pass completes their Idempotency-Keys, purges expired
 * keys, and refreshes the compensations gauge.
 *
 * Usage:
 *     recovery_t *rv = recovery_start(app, 30);     // a thread
 *     recovery_run_once(app);                       // one pass (tests, start-up)
 *     recovery_stop(rv);
 *
 * Thread-safety: one thread of its own; app is shared read-only.
 * Ownership: the caller owns the recovery handle; app is borrowed.
 */
#ifndef BOOKING_RECOVERY_H
#define BOOKING_RECOVERY_H

#include "booking.h"

typedef struct recovery recovery_t;

/* One pass; how many sagas were driven to an end, or -1. */
int recovery_run_once(booking_app_t *app);

recovery_t *recovery_start(booking_app_t *app, int interval_s);
void recovery_stop(recovery_t *rv); /* NULL ok */

#endif /* BOOKING_RECOVERY_H */
