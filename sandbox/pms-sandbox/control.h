/*
 * control.h — the sandbox's own control endpoints, under /_sandbox/ (never
 * confused with the vendor API under /api/v1.3/): reset, a ledger dump, an
 * inventory view, the simulated front desk (set availability, set rate,
 * cancel a reservation, the property's settings), webhook switches and delivery report, a hold
 * expiry helper for tests, and the vendor's request limit and request
 * counters (/_sandbox/limits, /_sandbox/stats). Fault injection (/_sandbox/faults) comes from
 * sandbox/lib. JSON in and out; bad input gets 400 naming the field.
 *
 * Usage:
 *     control_config_t cc = {.ledger = l, .webhooks = wh, .faults = f, .limits = lim,
 *                            .seed_path = path};
 *     control_t *ctl = control_new(&cc);
 *     control_routes(ctl, srv);
 *     ... after the HTTP server stopped: control_free(ctl);
 *
 * Thread-safety: handlers run concurrently; everything they touch is
 * thread-safe. Ownership: the control borrows the ledger, webhooks, faults
 * and limits, and copies the seed path.
 */
#ifndef PMS_SANDBOX_CONTROL_H
#define PMS_SANDBOX_CONTROL_H

#include "api_limits.h"
#include "common/http_server.h"
#include "ledger.h"
#include "sandbox_faults.h"
#include "webhooks.h"

#define CONTROL_PREFIX "/_sandbox"

typedef struct control_config {
    ledger_t *ledger;
    webhooks_t *webhooks;
    sandbox_faults_t *faults;
    api_limits_t *limits;
    const char *seed_path; /* reloaded by POST /_sandbox/reset */
} control_config_t;

typedef struct control control_t;

control_t *control_new(const control_config_t *cfg);
void control_free(control_t *ctl); /* accepts NULL */

/* Registers every /_sandbox/ route, the fault routes included. 0 or -1. */
int control_routes(control_t *ctl, http_server_t *srv);

/* Reloads the seed and clears reservations, faults, webhooks and request
 * counters, and refills the request limit's buckets (the limit itself stays
 * as set). 0, or -1 with the reason in err (the previous state then stays). */
int control_reset(control_t *ctl, char *err, size_t err_size);

#endif /* PMS_SANDBOX_CONTROL_H */
