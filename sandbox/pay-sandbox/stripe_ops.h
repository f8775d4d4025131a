/*
 * stripe_ops.h — the Stripe operations themselves, between the HTTP
 * pipeline (stripe_api.c) and the ledger (pay_store.c): parameter
 * validation with Stripe's error codes and messages, the ledger call, and
 * the answer (status + Stripe-shaped JSON).
 *
 * An answer says whether the idempotency layer may save it: Stripe saves a
 * result only once the endpoint began executing, so a request that fails
 * parameter validation is not saved and may be retried with the same key.
 *
 * Thread-safety: reentrant (the store locks). Ownership: answer_clear frees
 * the body.
 */
#ifndef PAY_SANDBOX_STRIPE_OPS_H
#define PAY_SANDBOX_STRIPE_OPS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "pay_store.h"
#include "sandbox_form.h"
#include "stripe_json.h"

typedef struct answer {
    int status;
    json_object *body;
    bool saveable;       /* the endpoint executed: idempotency may store it */
    const char *outcome; /* for the log: "ok" or the error code/decline code */
    char object_id[PAY_OBJECT_ID_LEN];
} answer_t;

typedef struct op_request {
    pay_store_t *store;
    const char *request_id;     /* for request_log_url */
    const char *path_id;        /* :id from the path, or NULL */
    const sandbox_form_t *form; /* POST parameters (NULL, read as empty, for GET) */
    const char *expand;         /* GET ?expand[]=..., or NULL */
} op_request_t;

void op_create_payment_intent(const op_request_t *rq, answer_t *ans);
void op_retrieve_payment_intent(const op_request_t *rq, answer_t *ans);
void op_capture_payment_intent(const op_request_t *rq, answer_t *ans);
void op_cancel_payment_intent(const op_request_t *rq, answer_t *ans);
void op_create_refund(const op_request_t *rq, answer_t *ans);
void op_retrieve_refund(const op_request_t *rq, answer_t *ans);

/* Fills ans with a Stripe error (not saveable unless the caller says so). */
void answer_error(answer_t *ans, int status, const stripe_error_spec_t *e, const char *request_id,
                  json_object *payment_intent);
void answer_clear(answer_t *ans);

#endif /* PAY_SANDBOX_STRIPE_OPS_H */
