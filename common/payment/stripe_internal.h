/*
 * stripe_internal.h — the Stripe gateway's parsing of Stripe's JSON, exposed
 * for unit tests against recorded real-format responses
 * (proto/examples/payment/stripe/). Not part of the public interface.
 *
 * All functions are pure: they read the text and fill the caller's structs.
 */
#ifndef STRIPE_INTERNAL_H
#define STRIPE_INTERNAL_H

#include <stddef.h>

#include "common/payment.h"

/* Stripe's API version the connector pins (Stripe-Version header). */
#define STRIPE_API_VERSION "2024-06-20"

/* A PaymentIntent object ("object":"payment_intent") into *out. 0, or -1 with
 * err set to PAY_ERR_PROTOCOL and a reason. When latest_charge is expanded,
 * its amount_refunded fills out->amount_refunded. */
int stripe_parse_payment_intent(const char *body, size_t len, pay_payment_t *out, pay_error_t *err);

/* A Refund object ("object":"refund") into *out. 0, or -1 as above. */
int stripe_parse_refund(const char *body, size_t len, pay_refund_t *out, pay_error_t *err);

/* An error answer (status + Stripe's {"error":{type,code,decline_code,param,
 * message,payment_intent}}) into *err; returns the typed error. An
 * unreadable body is classified by its status alone. */
pay_err_t stripe_parse_error(int http_status, const char *body, size_t len, pay_error_t *err);

/* The typed error for a status and Stripe's type / code / decline_code /
 * param (any may be NULL). */
pay_err_t stripe_error_kind(int http_status, const char *type, const char *code,
                            const char *decline_code, const char *param);

/* Stripe's PaymentIntent status word → pay_status_t. */
pay_status_t stripe_status_from_text(const char *status);

#endif /* STRIPE_INTERNAL_H */
