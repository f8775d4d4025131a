/*
 * stripe_json.h — Stripe's object shapes, rendered from the sandbox's
 * records: PaymentIntent ("pi_…", object "payment_intent"), its Charge
 * ("ch_…", when expanded), Refund ("re_…", object "refund") and the error
 * object {"error":{"type","code","decline_code","doc_url","message","param",
 * "payment_intent","request_log_url"}} — with the fields Stripe documents,
 * null where the sandbox has no value, and livemode false.
 *
 * Thread-safety: pure functions. Ownership: every function returns a new
 * json_object the caller puts; stripe_json_error consumes `payment_intent`.
 */
#ifndef PAY_SANDBOX_STRIPE_JSON_H
#define PAY_SANDBOX_STRIPE_JSON_H

#include <json-c/json.h>
#include <stdbool.h>

#include "pay_store.h"

json_object *stripe_json_payment_intent(const pay_intent_t *pi, bool expand_charge);
json_object *stripe_json_charge(const pay_intent_t *pi);
json_object *stripe_json_refund(const pay_refund_t *r);

typedef struct stripe_error_spec {
    const char *type; /* "invalid_request_error", "card_error", "idempotency_error", "api_error" */
    const char *code; /* NULL when Stripe sends none */
    const char *decline_code;
    const char *param;
    const char *message;
    const char *charge; /* card errors: the failed charge */
} stripe_error_spec_t;

/* {"error":{...}}; request_id makes the request_log_url. */
json_object *stripe_json_error(const stripe_error_spec_t *e, const char *request_id,
                               json_object *payment_intent);

#endif /* PAY_SANDBOX_STRIPE_JSON_H */
