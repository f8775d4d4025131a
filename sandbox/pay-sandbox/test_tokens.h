/*
 * test_tokens.h — Stripe's test card tokens and the outcome each one drives
 * (https://docs.stripe.com/testing): tok_visa, tok_mastercard, ... succeed;
 * tok_chargeDeclined (and the newer tok_visa_chargeDeclined) declines with
 * card_declined / generic_decline; tok_chargeDeclinedInsufficientFunds (alias
 * tok_insufficient_funds) with card_declined / insufficient_funds;
 * tok_chargeDeclinedExpiredCard with expired_card; tok_chargeDeclinedIncorrectCvc
 * with incorrect_cvc; tok_chargeDeclinedProcessingError with processing_error.
 * Any other token starting with tok_visa succeeds as a Visa (the product
 * brief's tok_visa_1234), unless it names a chargeDeclined variant.
 *
 * Thread-safety: read-only tables. Ownership: static strings.
 */
#ifndef PAY_SANDBOX_TEST_TOKENS_H
#define PAY_SANDBOX_TEST_TOKENS_H

#include <stdbool.h>

typedef struct test_token_outcome {
    bool approved;
    const char *brand;        /* "visa", "mastercard", ... */
    const char *last4;        /* of the test card number behind the token */
    const char *code;         /* Stripe error code when declined ("card_declined") */
    const char *decline_code; /* "generic_decline", "insufficient_funds", ... */
    const char *param;        /* "exp_month", "cvc", or NULL */
    const char *message;      /* Stripe's message for the guest */
} test_token_outcome_t;

/* The outcome for `token`, or NULL when the token is unknown. */
const test_token_outcome_t *test_token_lookup(const char *token);

#endif /* PAY_SANDBOX_TEST_TOKENS_H */
