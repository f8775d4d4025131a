/*
 * toss_store.h — the toss-sandbox's ledger and state machine: payments as
 * Toss Payments' core API v1 keeps them (status, card.acquireStatus,
 * cancels[]), the timers that move them (payment window expiry, the
 * 10-minute confirm limit, automatic acquisition), billing keys, and the
 * webhook events each change produces.
 *
 * Usage:
 *     toss_store_t *st = toss_store_new(&cfg);
 *     toss_result_t r;
 *     toss_store_window(st, &window, &r);        // the browser's part: IN_PROGRESS
 *     toss_store_confirm(st, key, order, amount, &r);
 *     if (r.status == 200) send(r.body) else send toss_error(r.code)
 *     toss_result_clear(&r);
 *
 * Every operation answers like the API: HTTP status plus either the Payment
 * JSON (r.body) or Toss' error code and Korean message (r.code, r.message).
 * Timers are applied lazily on every call and by toss_store_tick.
 *
 * Thread-safety: every function is thread-safe (one mutex). Ownership:
 * results own their JSON (toss_result_clear); events are the caller's.
 */
#ifndef TOSS_STORE_H
#define TOSS_STORE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define TOSS_KEY_MAX 64
#define TOSS_ORDER_ID_MAX 64
#define TOSS_CODE_MAX 64

typedef struct toss_store_config {
    const char *mid;           /* merchant id shown in payments ("tlodging01") */
    int64_t window_ttl_ms;     /* READY → EXPIRED (30 min at Toss) */
    int64_t confirm_limit_ms;  /* IN_PROGRESS → EXPIRED (10 min at Toss) */
    bool manual_settlement;    /* POST /v1/settlements allowed; no automatic acquisition */
    int64_t acquire_after_ms;  /* automatic acquisition: READY → REQUESTED after approval */
    int64_t complete_after_ms; /* REQUESTED → COMPLETED */
} toss_store_config_t;

typedef struct toss_result {
    int status;                /* HTTP status */
    json_object *body;         /* 200: the answer (a Payment, a Billing, ...) */
    char code[TOSS_CODE_MAX];  /* non-200: Toss' error code */
    char message[256];         /* non-200: Toss' message (Korean) */
    char object_id[TOSS_KEY_MAX + 1];
} toss_result_t;

void toss_result_clear(toss_result_t *r);

/* The browser's payment window: what /_sandbox/window asks for. */
typedef struct toss_window {
    const char *order_id;
    const char *order_name;   /* NULL = "숙박 예약" */
    int64_t amount;
    const char *method;       /* "카드" (default), "간편결제", "가상계좌" */
    const char *easy_pay;     /* easy-pay provider ("토스페이") for 간편결제 */
    const char *decline_with; /* error code the approval will fail with, or NULL */
    int64_t authenticated_ago_ms; /* plays a guest who authenticated that long ago */
    bool not_authenticated;       /* READY: the window is open, nothing authenticated */
    /* taxFreeAmount of the payment request (requestPayment): the tax-free
     * part of amount, -1 when the request did not state it (Toss takes 0) */
    int64_t tax_free;
} toss_window_t;

typedef struct toss_store toss_store_t;

toss_store_t *toss_store_new(const toss_store_config_t *cfg);
void toss_store_free(toss_store_t *st);
void toss_store_reset(toss_store_t *st);

/* /_sandbox/window: an authenticated payment (IN_PROGRESS) → 200
 * {"paymentKey","orderId","amount","paymentType"} or 400 DUPLICATED_ORDER_ID. */
void toss_store_window(toss_store_t *st, const toss_window_t *w, toss_result_t *r);
/* /_sandbox/billing-auth: the billing window → {"authKey","customerKey"}. */
void toss_store_billing_auth(toss_store_t *st, const char *customer_key, const char *decline_with,
                             toss_result_t *r);

/* The v1 API. english: Accept-Language en-US (enums in English). */
void toss_store_confirm(toss_store_t *st, const char *payment_key, const char *order_id,
                        int64_t amount, bool english, toss_result_t *r);
void toss_store_get(toss_store_t *st, const char *payment_key, bool english, toss_result_t *r);
void toss_store_get_by_order(toss_store_t *st, const char *order_id, bool english,
                             toss_result_t *r);
/* cancel_amount < 0: the whole balance; refundable_amount < 0: unchecked. */
void toss_store_cancel(toss_store_t *st, const char *payment_key, const char *reason,
                       int64_t cancel_amount, int64_t refundable_amount, bool english,
                       toss_result_t *r);
void toss_store_settle(toss_store_t *st, const char *payment_key, toss_result_t *r);
void toss_store_billing_issue(toss_store_t *st, const char *auth_key, const char *customer_key,
                              bool english, toss_result_t *r);
void toss_store_billing_charge(toss_store_t *st, const char *billing_key,
                               const char *customer_key, const char *order_id,
                               const char *order_name, int64_t amount, bool english,
                               toss_result_t *r);
void toss_store_billing_charge_split(toss_store_t *st, const char *billing_key,
                                     const char *customer_key, const char *order_id,
                                     const char *order_name, int64_t amount, int64_t tax_free,
                                     bool english, toss_result_t *r);
void toss_store_billing_delete(toss_store_t *st, const char *billing_key, toss_result_t *r);
/* GET /v1/transactions: one entry per approval and per cancel in [from, to] (ms). */
void toss_store_transactions(toss_store_t *st, int64_t from_ms, int64_t to_ms, int limit,
                             toss_result_t *r);

/* Sandbox controls: acquisition done now (the card company's side), and a
 * cancel made from Toss' merchant console (not through our API). */
void toss_store_force_acquire(toss_store_t *st, const char *payment_key, toss_result_t *r);
/* amount <= 0: the whole balance. */
void toss_store_console_cancel(toss_store_t *st, const char *payment_key, int64_t amount,
                               toss_result_t *r);

/* Applies the timers now. */
void toss_store_tick(toss_store_t *st);

/* Webhook events produced since the last call: a JSON array of
 * {"eventType","createdAt","data"} (caller puts; empty array when none). */
json_object *toss_store_take_events(toss_store_t *st);

/* GET /_sandbox/ledger's payments and summary (caller puts). */
json_object *toss_store_ledger(toss_store_t *st);

/* "2024-02-13T12:18:14+09:00" for Unix ms (Korea time, as Toss writes it). */
void toss_time_text(int64_t ms, char out[32]);

#endif /* TOSS_STORE_H */
