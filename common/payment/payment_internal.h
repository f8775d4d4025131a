/*
 * payment_internal.h — what a gateway file (stripe.c) gives the shared
 * connector (payment.c): one HTTP attempt per operation, nothing more.
 * Retries, the breaker, idempotency-key generation, argument checks and
 * metrics live in payment.c, once, for every gateway.
 *
 * An attempt fills *err (code, http_status, the gateway's type / codes /
 * message, retry_after_ms) and returns err->code; on PAY_OK it fills *out.
 * Attempts must be thread-safe: one gateway instance serves every thread.
 */
#ifndef PAYMENT_INTERNAL_H
#define PAYMENT_INTERNAL_H

#include "common/payment.h"

typedef struct payment_gateway {
    const char *name;
    /* Creates the gateway's state from a validated config (base_url filled). */
    void *(*create)(const payment_config_t *cfg, char *why, size_t why_size);
    void (*destroy)(void *impl);
    pay_err_t (*preauthorize)(void *impl, const pay_preauth_request_t *req,
                              const char *idempotency_key, pay_payment_t *out, pay_error_t *err);
    pay_err_t (*capture)(void *impl, const char *id, int64_t amount, const char *idempotency_key,
                         pay_payment_t *out, pay_error_t *err);
    pay_err_t (*cancel)(void *impl, const char *id, const char *idempotency_key, pay_payment_t *out,
                        pay_error_t *err);
    pay_err_t (*refund)(void *impl, const char *id, int64_t amount, const char *idempotency_key,
                        pay_refund_t *out, pay_error_t *err);
    pay_err_t (*get)(void *impl, const char *id, pay_payment_t *out, pay_error_t *err);
    /* NULL: the gateway cannot look payments up by order id. */
    pay_err_t (*find_by_order)(void *impl, const char *order_id, pay_payment_t *out,
                               pay_error_t *err);
    /* The field a pre-authorisation request lacks for this gateway, or NULL. */
    const char *(*preauth_missing)(const pay_preauth_request_t *req);
    const char *default_base_url;
    bool approves; /* the pre-authorisation is a full approval (see payment.h) */
} payment_gateway_t;

extern const payment_gateway_t payment_gateway_stripe;
extern const payment_gateway_t payment_gateway_toss;

/* Sets err's code and a printf-formatted message; returns the code. */
pay_err_t pay_error_set(pay_error_t *err, pay_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* PAYMENT_INTERNAL_H */
