/*
 * stripe_api.h — the pay-sandbox's HTTP face: the Stripe subset
 * (PaymentIntents with manual capture, refunds) and the sandbox's own
 * control routes.
 *
 *   POST /v1/payment_intents                 payment_intents.create (+confirm)
 *   GET  /v1/payment_intents/:id             payment_intents.retrieve (expand[]=latest_charge)
 *   POST /v1/payment_intents/:id/capture     payment_intents.capture
 *   POST /v1/payment_intents/:id/cancel      payment_intents.cancel
 *   POST /v1/refunds                         refunds.create
 *   GET  /v1/refunds/:id                     refunds.retrieve
 *   any other /v1/... path                   404 "Unrecognized request URL"
 *   GET/POST/DELETE /_sandbox/faults         fault injection (sandbox_faults.h)
 *   POST /_sandbox/reset                     forget everything
 *   GET  /_sandbox/ledger                    every intent and refund, with a summary
 *
 * Each vendor request goes: API key (Bearer or Basic; 401 Stripe-style with
 * the key masked) → form parsing → idempotency (POST with an
 * Idempotency-Key: replay, mismatch, in flight) → injected faults (by the
 * operation name above; they act while the key is reserved, like a slow
 * gateway, and an injected error saves nothing) → validation → the ledger.
 * Every error is Stripe's error object; nothing crashes on input. Logs
 * carry the operation, outcome and object id, never tokens or keys.
 *
 * Thread-safety: handlers run on the server's threads; all state is behind
 * the store's, the idempotency table's and the stats' mutexes. Ownership:
 * stripe_api_t owns its store, idempotency table and fault table.
 */
#ifndef PAY_SANDBOX_STRIPE_API_H
#define PAY_SANDBOX_STRIPE_API_H

#include <stdint.h>

#include "common/http_server.h"

#define PAY_SANDBOX_DEFAULT_API_KEY "sk_test_sandbox"

typedef struct stripe_api_config {
    const char *api_key;       /* the one secret key accepted */
    int64_t auth_ttl_s;        /* authorisation lifetime; <= 0 = 7 days */
    int64_t idempotency_ttl_s; /* <= 0 = 24 h */
} stripe_api_config_t;

typedef struct stripe_api stripe_api_t;

stripe_api_t *stripe_api_new(const stripe_api_config_t *cfg);
void stripe_api_free(stripe_api_t *api); /* accepts NULL; after the server stopped */

/* Registers every route above. 0 or -1. */
int stripe_api_routes(stripe_api_t *api, http_server_t *srv);

#endif /* PAY_SANDBOX_STRIPE_API_H */
