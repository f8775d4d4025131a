/*
 * booking.h — what the modules of booking-svc share: the service's context
 * (connectors, pools, settings), a checkout request as validated from the
 * client, and a booking as it is stored (booking + saga_instance rows).
 *
 * Usage:
 *     booking_app_t *app = ...;                       // built by main.c
 *     booking_request_t rq; checkout_parse(body, app, &rq, &verr);
 *     booking_record_t rec; store_booking_load(db, "bk_...", &rec);
 *
 * Thread-safety: the app is shared by every handler and worker thread; its
 * fields are set before the HTTP server starts and only read afterwards (the
 * connectors, pools and clients it points to are thread-safe themselves).
 * Ownership: main.c owns the app and everything it points to.
 */
#ifndef BOOKING_H
#define BOOKING_H

#include <stdbool.h>
#include <stdint.h>

#include "common/client_limit.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/db.h"
#include "common/payment.h"
#include "common/pms.h"
#include "common/redis.h"

#define BOOKING_ID_MAX 40
#define BOOKING_CODE_MAX 40
#define BOOKING_MESSAGE_MAX 512
#define BOOKING_DEFAULT_HOLD_TTL_S 180
/* A crashed process's sagas are taken over within lease + interval (~13 s),
 * well inside the 180 s hold: the lease is short because the lease keeper
 * renews it every third of it while a saga runs (vendor calls included). */
#define BOOKING_DEFAULT_RECOVERY_INTERVAL_S 3
#define BOOKING_DEFAULT_SAGA_LEASE_S 10
#define BOOKING_DEFAULT_IDEMPOTENCY_TTL_H 24
#define BOOKING_DEFAULT_IDEMPOTENCY_WAIT_MS 30000
#define BOOKING_DEFAULT_CONTENTION_WAIT_MS 20000
/* Twice the 7-day retention of the topics booking-svc consumes: a message
 * redelivered from Kafka always still finds its de-duplication record. */
#define BOOKING_DEFAULT_HISTORY_RETENTION_H 336
#define BOOKING_DEFAULT_INVENTORY_BASE_URL "http://127.0.0.1:8082"
#define BOOKING_EVENTS_TOPIC "booking.events"
/* Rooms one checkout may book at once: one PMS reservation, one payment. */
#define BOOKING_MAX_ROOMS 10
/* Checkouts per client address: a guest retrying by hand stays far below,
 * a script hammering the PMS holds and the card gateway does not. */
#define BOOKING_DEFAULT_CHECKOUT_PER_MINUTE 30
#define BOOKING_DEFAULT_CHECKOUT_BURST 10

struct inventory_client;
struct outbox_relay;
struct saga_active;

/* The service's context: built once by main.c, read by every module. */
typedef struct booking_app {
    db_pool_t *db;
    redis_pool_t *redis; /* may be NULL: hold records and degraded mode then skipped */
    pms_connector_t *pms;
    payment_connector_t *pay;  /* Stripe */
    payment_connector_t *toss; /* Toss Payments; NULL when not configured */
    char default_provider[16]; /* PAYMENT_DEFAULT_PROVIDER: "stripe" or "toss" */
    struct inventory_client *inventory;
    struct outbox_relay *relay; /* kicked after commits; may be NULL */
    int hold_ttl_s;
    int saga_lease_s;
    int idempotency_ttl_h;
    int idempotency_wait_ms;
    int history_retention_h;              /* published outbox rows, dedup records, done tasks */
    /* How long a checkout refused "no availability" while another of our
     * checkouts holds the same rooms waits for that one to end (its payment
     * may fail and free the room) before it gives up. */
    int contention_wait_ms;
    uint8_t data_key[CRYPTO_AES_KEY_LEN]; /* BOOKING_DATA_KEY: guest data and card token at rest */
    char instance_id[64];                 /* this process; lease owners are "<instance>/<run>" */
    struct saga_active *active;           /* sagas this process drives now (saga_active_*) */
    client_limit_t *limits;               /* per-client abuse limits; NULL = none */
    client_limit_rule_t checkout_limit;   /* CHECKOUT_RATE_LIMIT_* per client address */
    int free_cancel_hours; /* BOOKING_FREE_CANCEL_HOURS: the platform's floor (cancel_policy.h) */
    /* Test-only (BOOKING_TEST_HOOKS=1): SIGKILL itself right after this step's
     * external call returned, before its result is recorded. "" = off. */
    char test_crash_after[32];
} booking_app_t;

/* A checkout request after validation (checkout.c). */
typedef struct booking_request {
    char vendor[33];
    char hotel_id[PMS_ID_MAX + 1];
    char room_type_id[PMS_ID_MAX + 1];
    char check_in_text[DATES_ISO_LEN + 1], check_out_text[DATES_ISO_LEN + 1];
    dates_day_t check_in, check_out;
    int nights;
    int adults, children;
    char first_name[101], last_name[101], email[255], phone[33];
    char provider[16];    /* payment.provider ("stripe", "toss"); "" = the default */
    char card_token[256]; /* Stripe; never logged, never stored in clear */
    /* Toss: the payment window's result (paymentKey, orderId) or a saved card
     * (billingKey, customerKey; the orderId is then ours). Never logged. */
    char payment_key[PAY_ID_MAX];
    char order_id[PAY_ORDER_ID_MAX + 1];
    char billing_key[PAY_KEY_MAX + 1];
    char customer_key[301];
    /* SHA-256 hex of the bookingToken handed to the guest ("" = none) */
    char token_hash[CRYPTO_SHA256_HEX_LEN + 1];
    int64_t amount;       /* minor units */
    char currency[4];
    char rate_plan_id[PMS_ID_MAX + 1]; /* "" = the room type's base plan */
    int rooms;                         /* of the room type, 1..BOOKING_MAX_ROOMS */
} booking_request_t;

/* One booking with its saga, as stored. Strings are "" when NULL in the row. */
typedef struct booking_record {
    char booking_id[BOOKING_ID_MAX];
    char vendor[33];
    char hotel_id[PMS_ID_MAX + 1];
    char room_type_id[PMS_ID_MAX + 1];
    char check_in_text[DATES_ISO_LEN + 1], check_out_text[DATES_ISO_LEN + 1];
    dates_day_t check_in, check_out;
    int adults, children;
    char status[16]; /* pending, confirmed, cancelled, failed */
    char hold_id[PMS_ID_MAX + 1];
    int64_t hold_expires_at_ms; /* 0 when none */
    char payment_auth_id[PAY_ID_MAX];
    char payment_status[32];
    /* booking_payment (payment_route.h), not the booking row: "" = Stripe */
    char payment_provider[16];
    char payment_order_id[PAY_ORDER_ID_MAX + 1];
    char reservation_id[PMS_ID_MAX + 1];
    char confirmation_number[PMS_ID_MAX + 1];
    int64_t amount; /* minor units */
    char currency[4];
    char error_code[BOOKING_CODE_MAX];
    char error_message[BOOKING_MESSAGE_MAX];
    char created_at[DATES_RFC3339_LEN + 1], updated_at[DATES_RFC3339_LEN + 1];
    int64_t created_ms; /* Unix ms */
    /* saga_instance */
    char saga_state[32]; /* running, compensating, compensation_pending, completed, failed */
    char current_step[32];
    /* SHA-256 hex of the guest's bookingToken; "" for bookings made before tokens */
    char token_hash[CRYPTO_SHA256_HEX_LEN + 1];
    char rate_plan_id[PMS_ID_MAX + 1]; /* the plan sold; "" = the base plan */
    int rooms;                         /* rooms of the room type held and booked together */
    char cancel_policy[512];           /* the policy JSON shown at checkout; "" = none */
    int64_t cancel_fee, refunded_amount; /* of a cancel; -1 until cancelled */
    int64_t tax_amount;                  /* the part of amount that is tax; -1 = not known */
    int64_t tax_free_amount;             /* the part of amount of tax-free fees; -1 = not known */
} booking_record_t;

#endif /* BOOKING_H */
