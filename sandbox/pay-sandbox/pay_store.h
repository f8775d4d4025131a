/*
 * pay_store.h — the pay-sandbox's ledger: PaymentIntents (with their one
 * charge) and refunds in memory, and the state machine Stripe documents for
 * manual capture:
 *
 *   create+confirm ──approved──► requires_capture ──capture──► succeeded ──refund(s)
 *        │                          │      │
 *        └──declined──► requires_payment_method   ├──cancel──► canceled
 *                                          └──TTL──► canceled ("automatic")
 *
 * An authorisation expires `auth_ttl_s` after it was created (Stripe: 7
 * days); expiry is applied whenever the intent is touched or listed.
 * Amounts are exact integers in minor units; a capture takes at most
 * amount_capturable (the rest of the hold is released), refunds at most what
 * was captured and not yet refunded.
 *
 * Usage:
 *     pay_store_t *st = pay_store_new(7 * 24 * 3600);
 *     pay_intent_t pi; pay_store_create(st, &params, &pi); ... pay_intent_clear(&pi);
 *     if (pay_store_capture(st, id, -1, &pi) == STORE_BAD_STATE) ... pi.status says why
 *
 * Thread-safety: every function is thread-safe (one mutex). Ownership:
 * results are deep copies the caller clears (pay_intent_clear /
 * pay_refund_clear); the store copies every input string.
 */
#ifndef PAY_SANDBOX_STORE_H
#define PAY_SANDBOX_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "test_tokens.h"

#define PAY_OBJECT_ID_LEN 40
#define PAY_BOOKING_ID_LEN 128
#define PAY_DEFAULT_AUTH_TTL_S (7 * 24 * 3600)

struct json_object;

typedef enum {
    PI_REQUIRES_PAYMENT_METHOD,
    PI_REQUIRES_CONFIRMATION,
    PI_REQUIRES_CAPTURE,
    PI_SUCCEEDED,
    PI_CANCELED,
} pi_status_t;

typedef struct pay_intent {
    char id[PAY_OBJECT_ID_LEN];
    char client_secret[3 * PAY_OBJECT_ID_LEN];
    char charge_id[PAY_OBJECT_ID_LEN];      /* "" until confirmed */
    char payment_method[PAY_OBJECT_ID_LEN]; /* "" when none (or cleared by a decline) */
    pi_status_t status;
    bool manual_capture;
    int64_t amount, amount_capturable, amount_received, amount_refunded;
    char currency[4]; /* lower case, as Stripe answers */
    int64_t created_s, canceled_at_s, expires_at_s;
    char cancellation_reason[24];
    char booking_id[PAY_BOOKING_ID_LEN]; /* metadata[booking_id] */
    char *description;                   /* NULL when none */
    char *metadata_json;                 /* "{...}" */
    const test_token_outcome_t *card;    /* the card tried last; NULL when none */
} pay_intent_t;

typedef struct pay_refund {
    char id[PAY_OBJECT_ID_LEN];
    char payment_intent[PAY_OBJECT_ID_LEN];
    char charge_id[PAY_OBJECT_ID_LEN];
    int64_t amount;
    char currency[4];
    int64_t created_s;
    char reason[32];     /* "" when none */
    char *metadata_json; /* "{...}" */
} pay_refund_t;

typedef struct pi_create_params {
    int64_t amount;
    const char *currency; /* lower case */
    bool manual_capture;
    bool confirm;
    const test_token_outcome_t *card; /* NULL: no payment method given */
    const char *description;
    const char *metadata_json; /* NULL = "{}" */
    const char *booking_id;
} pi_create_params_t;

typedef enum {
    STORE_OK = 0,
    STORE_NOT_FOUND,
    STORE_BAD_STATE,        /* the intent's status forbids it (out says which) */
    STORE_BAD_AMOUNT,       /* more than capturable / refundable */
    STORE_ALREADY_REFUNDED, /* nothing left to refund */
    STORE_NO_MEMORY,
} store_rc_t;

typedef struct pay_store pay_store_t;

pay_store_t *pay_store_new(int64_t auth_ttl_s);
void pay_store_free(pay_store_t *st);

const char *pi_status_text(pi_status_t s);

/* Creates (and, with confirm and a card, confirms) an intent. A declined card
 * leaves it in requires_payment_method with out->card saying why. */
store_rc_t pay_store_create(pay_store_t *st, const pi_create_params_t *p, pay_intent_t *out);
store_rc_t pay_store_get(pay_store_t *st, const char *id, pay_intent_t *out);
/* amount < 0: everything capturable. */
store_rc_t pay_store_capture(pay_store_t *st, const char *id, int64_t amount, pay_intent_t *out);
store_rc_t pay_store_cancel(pay_store_t *st, const char *id, const char *reason, pay_intent_t *out);
/* amount < 0: everything not yet refunded. pi_out (may be NULL) gets the intent. */
store_rc_t pay_store_refund(pay_store_t *st, const char *payment_intent, int64_t amount,
                            const char *reason, const char *metadata_json, pay_refund_t *out,
                            pay_intent_t *pi_out);
store_rc_t pay_store_get_refund(pay_store_t *st, const char *id, pay_refund_t *out);

/* The ledger dump for GET /_sandbox/ledger (caller puts it). */
struct json_object *pay_store_ledger(pay_store_t *st);
void pay_store_reset(pay_store_t *st);

void pay_intent_clear(pay_intent_t *pi);
void pay_refund_clear(pay_refund_t *r);

#endif /* PAY_SANDBOX_STORE_H */
