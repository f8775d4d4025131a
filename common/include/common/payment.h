/*
 * payment.h — the payment connector: one interface over payment providers
 * (pre-authorise, capture, void, refund, get, find by order) — Stripe and Toss
 * Payments (common/payment/README.md maps each onto the saga) — a factory by
 * gateway name, and the resilience every call goes through (see Resilience
 * below).
 *
 * Usage:
 *     payment_config_t cfg = PAYMENT_CONFIG_DEFAULT;
 *     cfg.api_key = getenv("PAYMENT_API_KEY");             // never logged
 *     cfg.base_url = "http://127.0.0.1:8092";              // the sandbox; NULL = api.stripe.com
 *     payment_connector_t *pay = payment_connector_new("stripe", &cfg, why, sizeof why);
 *     pay_preauth_request_t rq = {.amount = 250000, .currency = "KRW", .card_token = token,
 *                                 .idempotency_key = "bk_42:preauth", .booking_id = "bk_42"};
 *     pay_payment_t auth; pay_error_t e;
 *     if (payment_preauthorize(pay, &rq, &auth, &e) == PAY_OK)
 *         payment_capture(pay, auth.id, 250000, "bk_42:capture", &auth, &e);
 *     payment_connector_free(pay);
 *
 * Money: `amount` is an exact integer in the currency's minor unit
 * (money.h): KRW and JPY have none, so 250000 KRW is sent as 250000; USD
 * 189.50 is 18950. Nothing is ever converted through a floating point.
 *
 * Resilience (per HTTP attempt, in this order): the gateway's circuit breaker
 * ("payment:<gateway>"; 5 consecutive failures → OPEN 60 s → HALF_OPEN, 2
 * successes → CLOSED), then the request, then retry with exponential backoff
 * and full jitter for retryable answers only: timeouts, connection errors,
 * 5xx, 429 (honouring Retry-After) and 409 (another request with the same
 * idempotency key still running — the Stripe SDKs retry it too). A card
 * decline (402), a validation error, auth, not found or wrong state is never
 * retried, and it counts as a success for the breaker: the gateway is up.
 * Only timeouts, connection errors and 5xx count as breaker failures.
 *
 * Idempotency: every POST carries an Idempotency-Key; retries of one call
 * reuse it, which is what makes retrying a POST safe. Pass a key that is
 * stable across process restarts (the saga's "<bookingId>:<step>") so a
 * crash-and-retry never charges twice; NULL makes the connector generate one
 * per call (safe within the call only).
 *
 * Errors come back typed (pay_err_t) with the gateway's own type, code,
 * decline code and message in pay_error_t (the message is the gateway's text
 * for humans; it may be shown to a guest for card errors and never contains
 * the API key). Metrics: payment_requests_total{gateway,op,outcome} (outcome
 * = pay_err_name of the call's result) and payment_request_duration_seconds{gateway,op}
 * (per call, retries and waits included).
 *
 * Thread-safety: a connector is shared by all threads of a service. The
 * manual clocks tests inject are not thread-safe: use them from one thread.
 * Ownership: the connector copies every string of the config; results are
 * plain structs the caller owns.
 */
#ifndef COMMON_PAYMENT_H
#define COMMON_PAYMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/breaker.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/retry.h"

#define PAY_ID_MAX 128
#define PAYMENT_DEFAULT_CONNECT_TIMEOUT_MS 2000
#define PAYMENT_DEFAULT_TIMEOUT_MS 10000
#define PAYMENT_STRIPE_DEFAULT_BASE_URL "https://api.stripe.com"
#define PAYMENT_TOSS_DEFAULT_BASE_URL "https://api.tosspayments.com"
/* Toss' orderId: 6..64 of A-Z a-z 0-9 - _ (the strictest reading of its docs). */
#define PAY_ORDER_ID_MIN 6
#define PAY_ORDER_ID_MAX 64
#define PAY_KEY_MAX 200 /* Toss' paymentKey and billingKey */

typedef enum {
    PAY_OK = 0,
    PAY_ERR_CARD_DECLINED,      /* card_declined (generic and other issuer reasons) */
    PAY_ERR_INSUFFICIENT_FUNDS, /* card_declined / insufficient_funds */
    PAY_ERR_EXPIRED_CARD,       /* expired_card */
    PAY_ERR_INCORRECT_CVC,      /* incorrect_cvc */
    PAY_ERR_PROCESSING,         /* processing_error: the card could not be processed; try later */
    PAY_ERR_RATE_LIMITED,       /* 429 after the retries */
    PAY_ERR_AUTH,               /* the gateway refused our API key (401/403) or none is set */
    PAY_ERR_NOT_FOUND,          /* no such payment */
    PAY_ERR_INVALID_REQUEST,    /* the gateway (or we, before sending) found the request invalid */
    PAY_ERR_IDEMPOTENCY, /* key reused with other parameters, or still in use after retries */
    PAY_ERR_STATE, /* the payment's state forbids it: capture of a cancelled/expired authorisation
                    */
    PAY_ERR_UNAVAILABLE, /* circuit open: the call was not attempted */
    PAY_ERR_TRANSIENT,   /* timeout, connection failure, 5xx — after the retries */
    PAY_ERR_PROTOCOL,    /* an answer we could not understand */
} pay_err_t;

typedef struct pay_error {
    pay_err_t code;
    int http_status;             /* of the last attempt; 0 when none */
    char type[48];               /* the gateway's error type ("card_error") */
    char vendor_code[64];        /* the gateway's error code ("card_declined") */
    char decline_code[64];       /* the issuer's reason ("insufficient_funds") */
    char param[64];              /* the parameter at fault, when the gateway says */
    char message[256];           /* for humans; never contains credentials */
    char payment_id[PAY_ID_MAX]; /* the payment a card error left behind, when known */
    int attempts;                /* HTTP requests made by the call (0: none) */
    int64_t waited_ms;           /* time spent waiting between attempts */
    int64_t retry_after_ms;      /* the gateway's last Retry-After, 0 when none */
} pay_error_t;

typedef enum {
    PAY_STATUS_UNKNOWN = 0,
    PAY_STATUS_AUTHORIZED, /* requires_capture: funds held, nothing moved yet */
    PAY_STATUS_CAPTURED,   /* succeeded */
    PAY_STATUS_CANCELED,   /* voided, or the authorisation expired */
    PAY_STATUS_FAILED,     /* requires_payment_method / requires_action / requires_confirmation */
    PAY_STATUS_PROCESSING,
} pay_status_t;

typedef struct pay_payment {
    char id[PAY_ID_MAX];
    pay_status_t status;
    char gateway_status[32]; /* the gateway's own word ("requires_capture") */
    int64_t amount;          /* minor units */
    int64_t amount_capturable;
    int64_t amount_received;
    int64_t amount_refunded;      /* known after payment_get (0 otherwise) */
    char currency[4];             /* upper-case ISO 4217 */
    int64_t created;              /* Unix seconds */
    int64_t canceled_at;          /* Unix seconds, 0 when not cancelled */
    char cancellation_reason[32]; /* "automatic" when an authorisation expired */
    char booking_id[PAY_ID_MAX];  /* from the metadata we sent */
    /* Toss only ("" elsewhere): */
    char order_id[PAY_ORDER_ID_MAX + 1];
    char method[24];         /* CARD, EASY_PAY, VIRTUAL_ACCOUNT, ... (English, whatever the locale) */
    char easy_pay[32];       /* the easy-pay provider ("토스페이", "카카오페이"); "" when none */
    char acquire_status[24]; /* card.acquireStatus: READY, REQUESTED, COMPLETED, ... */
    bool capture_scheduled;  /* capture left to the gateway's automatic acquisition */
    int64_t tax_free_amount; /* taxFreeAmount as the payment states it; -1 when it does not */
} pay_payment_t;

typedef enum {
    PAY_REFUND_UNKNOWN = 0,
    PAY_REFUND_SUCCEEDED,
    PAY_REFUND_PENDING,
    PAY_REFUND_FAILED,
    PAY_REFUND_CANCELED,
} pay_refund_status_t;

typedef struct pay_refund {
    char id[PAY_ID_MAX];
    char payment_id[PAY_ID_MAX];
    pay_refund_status_t status;
    int64_t amount; /* minor units */
    char currency[4];
    int64_t created;
} pay_refund_t;

typedef struct pay_preauth_request {
    int64_t amount;              /* minor units, > 0, exact */
    const char *currency;        /* ISO 4217, any case ("KRW") */
    const char *card_token;      /* Stripe: the client's card token ("tok_visa"); never logged */
    /* Toss: what the payment window's success redirect returned (paymentKey
     * and orderId), or a saved card (billingKey, customerKey, and our own
     * orderId). The approval is the pre-authorisation; never logged. */
    const char *payment_key;
    const char *billing_key;
    const char *customer_key;
    const char *order_id;
    const char *idempotency_key; /* NULL = generated per call */
    const char *description;     /* optional */
    const char *booking_id;      /* optional; sent as metadata */
    /* Toss: the part of amount that is tax-free (taxFreeAmount: VAT is
     * round((amount - taxFree) / 11)); < 0 = not known. The payment window
     * states it when it requests the payment: an approval of a window whose
     * split differs is refused (TAX_FREE_MISMATCH); a saved card's charge
     * sends it. Stripe ignores it. */
    int64_t tax_free_amount;
} pay_preauth_request_t;

typedef struct payment_config {
    const char *base_url; /* NULL = the gateway's production URL */
    const char *api_key;  /* required (env PAYMENT_API_KEY); never logged */
    long connect_timeout_ms;
    long timeout_ms;             /* per HTTP attempt */
    retry_policy_t retry;        /* max_retries < 0 = no retries */
    breaker_config_t breaker;    /* name NULL = "payment:<gateway>" */
    const clock_source_t *clock; /* used by retry and breaker when they name none; NULL = system */
    /* Toss: the merchant has the manual-settlement contract (capture =
     * POST /v1/settlements); false = automatic acquisition (capture is
     * scheduled by Toss and only verified). */
    bool manual_settlement;
} payment_config_t;

#define PAYMENT_CONFIG_DEFAULT                                                                     \
    ((payment_config_t){.connect_timeout_ms = PAYMENT_DEFAULT_CONNECT_TIMEOUT_MS,                  \
                        .timeout_ms = PAYMENT_DEFAULT_TIMEOUT_MS,                                  \
                        .retry = RETRY_POLICY_DEFAULT,                                             \
                        .breaker = BREAKER_CONFIG_DEFAULT(NULL)})

/* Fills *out (starting from PAYMENT_CONFIG_DEFAULT) from the environment a
 * service reads: PAYMENT_GATEWAY (default "stripe"), PAYMENT_BASE_URL
 * (default: the gateway's production URL), PAYMENT_API_KEY (required: a
 * missing key is recorded as a config error, so the service exits 2 naming
 * it), PAYMENT_TIMEOUT_MS (per attempt, default 10000). Returns the gateway
 * name. Strings are owned by cfg. */
const char *payment_config_from_env(config_t *cfg, payment_config_t *out);

/* The Toss Payments connector's config from the environment: TOSS_SECRET_KEY
 * (none = Toss not offered: returns false and records nothing),
 * TOSS_BASE_URL (default api.tosspayments.com), TOSS_TIMEOUT_MS (10000; the
 * billing charge may take up to 60 s at Toss), TOSS_ACQUISITION (auto |
 * manual). Strings are owned by cfg. */
bool payment_toss_config_from_env(config_t *cfg, payment_config_t *out);

typedef struct payment_connector payment_connector_t;

/* Gateways this build knows ("stripe", "toss"), NULL-terminated. */
const char *const *payment_gateways(void);

/* NULL (and a reason in why) for an unknown gateway or a bad config. */
payment_connector_t *payment_connector_new(const char *gateway, const payment_config_t *cfg,
                                           char *why, size_t why_size);
void payment_connector_free(payment_connector_t *c); /* accepts NULL */
const char *payment_connector_gateway(const payment_connector_t *c);
/* The connector's breaker (for readiness checks and tests). */
breaker_t *payment_connector_breaker(payment_connector_t *c);

/* Stripe: places a hold for req->amount on the card (no money moves); PAY_OK
 * with out->status AUTHORIZED. Toss: approves the payment the guest
 * authenticated in Toss' window (or charges a billing key) — the money is
 * taken; PAY_OK with AUTHORIZED (manual settlement) or CAPTURED (automatic
 * acquisition); an approval already made under the same order is found and
 * returned, never made twice. A decline returns its PAY_ERR_* with the failed
 * payment's id in err->payment_id. */
pay_err_t payment_preauthorize(payment_connector_t *c, const pay_preauth_request_t *req,
                               pay_payment_t *out, pay_error_t *err);

/* Captures `amount` (0 = everything capturable; at most amount_capturable)
 * of an authorisation; the rest of the hold is released. Toss: acquisition —
 * POST /v1/settlements under manual settlement (whole amount only), otherwise
 * nothing is sent and out->capture_scheduled tells Toss acquires it itself. */
pay_err_t payment_capture(payment_connector_t *c, const char *auth_id, int64_t amount,
                          const char *idempotency_key, pay_payment_t *out, pay_error_t *err);

/* Releases an authorisation (no money moved). Voiding one that is already
 * cancelled is PAY_ERR_STATE; callers compensating treat it as done. Toss:
 * cancels the approval while it is not acquired (PAY_OK when already
 * cancelled or never approved); acquired → PAY_ERR_STATE (refund instead). */
pay_err_t payment_void(payment_connector_t *c, const char *auth_id, const char *idempotency_key,
                       pay_payment_t *out, pay_error_t *err);

/* Refunds `amount` (0 = everything not yet refunded) of a captured payment. */
pay_err_t payment_refund(payment_connector_t *c, const char *payment_id, int64_t amount,
                         const char *idempotency_key, pay_refund_t *out, pay_error_t *err);

/* Reads a payment as the gateway has it now (amount_refunded included). */
pay_err_t payment_get(payment_connector_t *c, const char *id, pay_payment_t *out, pay_error_t *err);

/* The payment made for our order id (Toss: GET /v1/payments/orders/{orderId}),
 * whatever its status — how an approval whose answer was lost is found.
 * PAY_ERR_NOT_FOUND when the gateway has none; PAY_ERR_INVALID_REQUEST for a
 * gateway that cannot look payments up by order (Stripe). */
pay_err_t payment_find_by_order(payment_connector_t *c, const char *order_id, pay_payment_t *out,
                                pay_error_t *err);

/* True for a gateway whose pre-authorisation is an approval the guest
 * already sees as paid (Toss): compensation cancels it (void before
 * acquisition, refund after). */
bool payment_connector_approves(const payment_connector_t *c);
/* Toss order ids: 6..64 of A-Z a-z 0-9 - _. */
bool payment_order_id_valid(const char *order_id);

/* "PAY_OK", "PAY_ERR_CARD_DECLINED", ... */
const char *pay_err_name(pay_err_t e);
/* Could the same request succeed later without changing it? (rate limited,
 * unavailable, transient, processing error) — for the caller's own retry or
 * compensation queue; the connector has already retried what it may. */
bool pay_err_retryable(pay_err_t e);
/* True for the decline family (card declined, insufficient funds, expired
 * card, incorrect CVC, processing error): the guest must use another card. */
bool pay_err_is_decline(pay_err_t e);
const char *pay_status_name(pay_status_t s);

#endif /* COMMON_PAYMENT_H */
