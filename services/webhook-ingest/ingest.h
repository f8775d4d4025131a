/*
 * ingest.h — POST /api/webhooks/pms/:vendor (proto/webhooks.md):
 * size limit → signature → normalisation → de-duplication → publish to
 * pms.events (acks=all) → 200. The answer is 200 only once Kafka acknowledged
 * every event of the webhook; a Kafka failure or timeout is a 503, so the PMS
 * retries and nothing it was told "accepted" is ever lost. The answer is
 * deferred (http_request_defer): the HTTP server must allow it, and many
 * webhooks wait for their acknowledgements at once without holding a thread.
 *
 * Usage (main.c):
 *     ingest_config_t ic = {.producer = p, .topic = "pms.events", .secrets = s, .dedup = d};
 *     ingest_t *in = ingest_new(&ic);
 *     http_server_route(srv, "POST", "/api/webhooks/pms/:vendor", ingest_handle, in);
 *     ... ingest_free(in);   // after the HTTP server stopped and the producer was freed
 *                            // (so every delivery report has come in)
 *
 * Thread-safety: ingest_handle runs on many HTTP threads at once; everything
 * it uses is thread-safe (the producer, the dedup pool, read-only secrets).
 * Ownership: the producer, secrets and dedup are borrowed, not freed here.
 */
#ifndef WEBHOOK_INGEST_H
#define WEBHOOK_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/http_server.h"
#include "common/kafka.h"
#include "dedup.h"
#include "secrets.h"

#define INGEST_MAX_BODY_BYTES (256 * 1024)
#define INGEST_DEFAULT_PUBLISH_TIMEOUT_MS 5000
#define INGEST_RETRY_AFTER_S "5"
#define INGEST_RECONNECT_BACKOFF_MAX_MS "500"
/* Threads that mark webhooks seen in Redis and answer them once Kafka acked
 * (a Redis round trip each, so a few run side by side). */
#define INGEST_WORKERS 4
/* At most this many acknowledged webhooks are marked seen in one Redis call. */
#define INGEST_BATCH_MAX 64
/* The producer's linger: how long a batch waits for more webhooks' events.
 * 1 ms measured slower here: the producer's broker thread woke so often that
 * it took CPU from everything else on the machine. */
#define INGEST_LINGER_MS "5"

typedef struct ingest_config {
    kafka_producer_t *producer; /* acks=all, idempotent */
    int publish_timeout_ms;     /* a webhook's events acknowledged within this, or 503 */
    const char *topic;          /* pms.events with KAFKA_TOPIC_PREFIX applied */
    const secrets_t *secrets;
    dedup_t *dedup;        /* NULL: no de-duplication (consumers dedup by id) */
    bool allow_unsigned;   /* dev only: no secret for a vendor → accept unsigned */
    size_t max_body_bytes; /* 0 = INGEST_MAX_BODY_BYTES */
    long tolerance_s;      /* 0 = SIGNATURE_TOLERANCE_S */
} ingest_config_t;

typedef struct ingest ingest_t;

ingest_t *ingest_new(const ingest_config_t *cfg); /* NULL on OOM */
/* Waits until every pending webhook is answered (acknowledged, failed or past
 * its deadline), then frees. Accepts NULL. */
void ingest_free(ingest_t *in);

/* The route handler; ctx is the ingest_t. */
int ingest_handle(http_request_t *req, void *ctx);

#endif /* WEBHOOK_INGEST_H */
