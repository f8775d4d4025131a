/*
 * toss_webhooks.h — the toss-sandbox's webhook deliveries, as Toss makes
 * them: an HTTP POST of the event's JSON with the transmission headers
 * (tosspayments-webhook-transmission-time, -retried-count, -id); anything
 * but 200 is a failure, retried after 1, 4, 16, 64, 256, 1024, 4096
 * "minutes" — a minute lasting minute_ms, so tests need not wait — then
 * given up.
 *
 *     toss_webhooks_t *w = toss_webhooks_new(store, url_or_NULL, 60000);
 *     toss_webhooks_set_url(w, "http://127.0.0.1:8081/api/webhooks/payment/toss");
 *     json_object *stats = toss_webhooks_stats(w);   // for the ledger
 *     toss_webhooks_free(w);                          // stops the thread
 *
 * Thread-safety: thread-safe; one background thread polls the store for
 * events (toss_store_take_events) and delivers them. Ownership: the store is
 * borrowed and must outlive the deliverer.
 */
#ifndef TOSS_WEBHOOKS_H
#define TOSS_WEBHOOKS_H

#include <json-c/json.h>
#include <stdint.h>

#include "toss_store.h"

typedef struct toss_webhooks toss_webhooks_t;

toss_webhooks_t *toss_webhooks_new(toss_store_t *store, const char *url, int64_t minute_ms);
void toss_webhooks_free(toss_webhooks_t *w);
/* NULL or "" stops deliveries (events are then dropped). */
void toss_webhooks_set_url(toss_webhooks_t *w, const char *url);
/* Forgets pending deliveries and counters (sandbox reset). */
void toss_webhooks_reset(toss_webhooks_t *w);
/* {"url","delivered","pending","failedAttempts","givenUp","deliveries":[{id,eventType,
 * paymentKey,status,attempts,delivered}]} — caller puts. */
json_object *toss_webhooks_stats(toss_webhooks_t *w);

#endif /* TOSS_WEBHOOKS_H */
