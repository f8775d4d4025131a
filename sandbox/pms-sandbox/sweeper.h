/*
 * sweeper.h — a thread that cancels expired holds every interval, so a hold
 * nobody asks about still gives its rooms back (and its webhooks go out) soon
 * after its time passes. Every ledger call also expires holds lazily.
 *
 * Usage:
 *     sweeper_t *sw = sweeper_start(ledger, 200);
 *     ... sweeper_stop(sw);                          // joins the thread, frees
 *
 * Thread-safety: start and stop from one thread. Ownership: borrows the ledger.
 */
#ifndef PMS_SANDBOX_SWEEPER_H
#define PMS_SANDBOX_SWEEPER_H

#include "ledger.h"

#define SWEEPER_DEFAULT_INTERVAL_MS 200

typedef struct sweeper sweeper_t;

/* NULL when the thread cannot start. */
sweeper_t *sweeper_start(ledger_t *ledger, int interval_ms);
void sweeper_stop(sweeper_t *sweeper); /* accepts NULL */

#endif /* PMS_SANDBOX_SWEEPER_H */
