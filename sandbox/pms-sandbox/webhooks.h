/*
 * webhooks.h — the sandbox's outgoing webhooks: every ledger change becomes an
 * event in the normalised shape of proto/webhooks.md, signed as it describes
 * (x-pms-signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>),
 * and delivered asynchronously to the configured URL and to every postWebhook
 * subscriber of the event's property, with retries and backoff.
 *
 * Usage:
 *     webhooks_config_t wc = {.url = getenv("PMS_SANDBOX_WEBHOOK_URL"), .secret = secret};
 *     webhooks_t *wh = webhooks_new(&wc);
 *     webhooks_reset(wh, seed);                        // per-hotel on/off from the seed
 *     ledger_set_listener(ledger, webhooks_on_ledger_event, wh);
 *     webhooks_start(wh);  ...  webhooks_stop(wh); webhooks_free(wh);
 *
 * Delivery: one thread sends one delivery (event × target URL) at a time,
 * earliest due first; a non-2xx answer or a transport error schedules a retry
 * after base·2^(attempt-1) ms (capped), up to max_attempts attempts; each
 * attempt is signed afresh. The queue is bounded: when full, the oldest
 * pending delivery is dropped with a warning and counted. Enqueueing never
 * blocks on the network, so the vendor API never waits for a receiver.
 *
 * Thread-safety: every function is thread-safe (one mutex guards the queue,
 * the history, the subscriptions and the per-hotel switches). The ledger
 * listener may be called with a ledger lock held; it only formats and
 * enqueues. Ownership: returned JSON objects belong to the caller; the secret
 * is copied and never logged or reported.
 */
#ifndef PMS_SANDBOX_WEBHOOKS_H
#define PMS_SANDBOX_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "seed.h"

struct json_object;

#define WEBHOOKS_DEFAULT_SECRET "whsec_sandbox"
#define WEBHOOKS_DEFAULT_MAX_ATTEMPTS 8
#define WEBHOOKS_DEFAULT_QUEUE_MAX 1000
#define WEBHOOKS_DEFAULT_BACKOFF_BASE_MS 500
#define WEBHOOKS_DEFAULT_BACKOFF_MAX_MS 30000
#define WEBHOOKS_DEFAULT_TIMEOUT_MS 5000
#define WEBHOOKS_HISTORY_MAX 200
#define WEBHOOKS_MAX_SUBSCRIPTIONS 64
#define WEBHOOKS_URL_MAX_LEN 512
#define WEBHOOKS_ID_LEN 32
#define WEBHOOKS_SIGNATURE_MAX_LEN 96

typedef struct webhooks_config {
    const char *url;         /* always-on target (PMS_SANDBOX_WEBHOOK_URL); NULL = none */
    const char *secret;      /* NULL = WEBHOOKS_DEFAULT_SECRET */
    int max_attempts;        /* 0 = default */
    size_t queue_max;        /* 0 = default */
    int64_t backoff_base_ms; /* 0 = default */
    int64_t backoff_max_ms;  /* 0 = default */
    long timeout_ms;         /* per attempt; 0 = default */
} webhooks_config_t;

typedef struct webhooks webhooks_t;

webhooks_t *webhooks_new(const webhooks_config_t *cfg);
/* Starts the delivery thread. 0 or -1. */
int webhooks_start(webhooks_t *wh);
/* Stops the delivery thread (pending deliveries stay queued, unsent). */
void webhooks_stop(webhooks_t *wh);
void webhooks_free(webhooks_t *wh); /* stops first; accepts NULL */

/* Sandbox reset: empties the queue, the history and the subscriptions, and
 * takes every hotel's webhooksEnabled switch from `seed`. */
void webhooks_reset(webhooks_t *wh, const seed_t *seed);

/* Turns one hotel's webhooks on or off. 0, or -1 when the hotel is unknown. */
int webhooks_set_enabled(webhooks_t *wh, const char *property_id, bool enabled);

/* The ledger listener (ctx = the webhooks_t). */
void webhooks_on_ledger_event(const ledger_event_t *event, void *ctx);

/* The normalised event for a ledger change (proto/webhooks.md). */
struct json_object *webhooks_event_json(const ledger_event_t *event, const char *event_id,
                                        const char *timestamp);

/* Writes "t=<unix_s>,v1=<hex>" for `body` into out. 0 or -1. */
int webhooks_sign(const char *secret, int64_t unix_s, const char *body, size_t len, char *out,
                  size_t out_size);

/* postWebhook: adds a subscriber of one property's events. 0 and the id, or
 * -1 when WEBHOOKS_MAX_SUBSCRIPTIONS are taken. */
int webhooks_subscribe(webhooks_t *wh, const char *property_id, const char *object,
                       const char *action, const char *url, char id_out[WEBHOOKS_ID_LEN]);
/* deleteWebhook: 0, or -1 when the property has no such subscription. */
int webhooks_unsubscribe(webhooks_t *wh, const char *property_id, const char *subscription_id);
/* getWebhooks: the property's subscriptions in Cloudbeds' shape (a JSON array). */
struct json_object *webhooks_subscriptions_json(webhooks_t *wh, const char *property_id);

/* {"queued":N,"delivered":N,"failed":N,"dropped":N,"suppressed":N,
 *  "deliveries":[{eventId,eventType,hotelId,url,state,attempts,lastStatus,lastError,...}]}
 * pending ones first, then finished ones newest first; URLs without their
 * query string. */
struct json_object *webhooks_deliveries_json(webhooks_t *wh);

#endif /* PMS_SANDBOX_WEBHOOKS_H */
