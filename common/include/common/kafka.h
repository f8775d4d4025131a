/*
 * kafka.h — Kafka on librdkafka 2.0.2: an idempotent producer whose sends
 * are known to have succeeded only through their delivery report, an
 * at-least-once consumer that stores offsets only after its handler
 * succeeded (poison messages go to "<topic>.dlq" with the reason), and topic
 * administration. Loops follow librdkafka's examples (producer.c,
 * consumer.c, idempotent_producer.c).
 *
 * Usage (producer):
 *     kafka_producer_t *p = kafka_producer_new("127.0.0.1:19092", "webhook-ingest", NULL,
 *                                              err, sizeof err);
 *     kafka_header_t h[] = {{"ce_id", id}};
 *     if (kafka_producer_send_sync(p, "pms.events", hotel, strlen(hotel), json, len, h, 1,
 *                                  err, sizeof err) == 0) → acknowledged by all in-sync replicas
 *     kafka_producer_free(p);                                // flushes
 * Usage (consumer):
 *     kafka_consumer_config_t cc = {.brokers = b, .group_id = "inventory-svc",
 *                                   .topics = (const char *[]){"pms.events", NULL},
 *                                   .handler = on_event, .ctx = svc};
 *     kafka_consumer_t *c = kafka_consumer_new(&cc, err, sizeof err);
 *     kafka_consumer_start(c);  ...  kafka_consumer_stop(c); kafka_consumer_free(c);
 *
 * Tracing: the handler runs inside the producer's trace when the message has a
 * ce_traceparent header (the CloudEvents distributed tracing extension), else
 * inside a new one (trace.h), so its log lines and what it produces carry it.
 *
 * Delivery: producers are idempotent (acks=all, retries, ordering per
 * partition); consumers are at-least-once, so handlers must be idempotent
 * (dedup by the CloudEvents id). A handler that returns RETRY is called again
 * for the same message (the partition waits, so order holds) up to
 * max_attempts, then the message is treated as poison.
 *
 * Thread-safety: a producer may be shared by all threads. A consumer runs its
 * handler on its own thread (kafka_consumer_start) or on the caller's
 * (kafka_consumer_poll_once); start/stop/free from one controlling thread.
 * Ownership: message views passed to handlers are valid during the call only.
 */
#ifndef COMMON_KAFKA_H
#define COMMON_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KAFKA_DLQ_SUFFIX ".dlq"
#define KAFKA_DEFAULT_MESSAGE_TIMEOUT_MS 30000
#define KAFKA_FLUSH_TIMEOUT_MS 10000
#define KAFKA_DEFAULT_MAX_ATTEMPTS 5
#define KAFKA_DEFAULT_RETRY_BACKOFF_MS 500
#define KAFKA_POLL_INTERVAL_MS 100
#define KAFKA_MAX_HEADERS 16

typedef struct kafka_header {
    const char *name;
    const char *value; /* NUL-terminated text */
} kafka_header_t;

/* ----------------------------------------------------------- producer -- */

typedef struct kafka_producer kafka_producer_t;

/* Called once per message from the producer's poll thread: err 0 = written. */
typedef void (*kafka_delivery_fn)(void *opaque, int err, const char *errstr);

/* `extra` is a NULL-terminated list of librdkafka property, value pairs
 * (e.g. "message.timeout.ms", "5000") applied after the defaults. */
kafka_producer_t *kafka_producer_new(const char *brokers, const char *client_id,
                                     const char *const *extra, char *err, size_t err_size);
/* Flushes (up to KAFKA_FLUSH_TIMEOUT_MS), then destroys. Accepts NULL. */
void kafka_producer_free(kafka_producer_t *p);

/* Queues a message; `done` (optional) learns the outcome. 0, or -1 when it
 * could not even be queued (err says why). */
int kafka_producer_send(kafka_producer_t *p, const char *topic, const void *key, size_t key_len,
                        const void *value, size_t len, const kafka_header_t *headers,
                        size_t header_count, kafka_delivery_fn done, void *opaque, char *err,
                        size_t err_size);
/* Sends and waits for the delivery report: 0 only when the broker acknowledged
 * the write (acks=all); -1 with err otherwise (timeout = message.timeout.ms). */
/* kafka_producer_send_sync bounded by our own deadline: -1 with "no
 * acknowledgement" in err when no report came within timeout_ms (< 0 waits
 * for the report). The message may still be delivered later (at-least-once:
 * consumers de-duplicate by event id). librdkafka's message.timeout.ms alone
 * does not bound the wait while no broker is reachable. */
int kafka_producer_send_wait(kafka_producer_t *p, const char *topic, const void *key,
                             size_t key_len, const void *value, size_t len,
                             const kafka_header_t *headers, size_t header_count, int timeout_ms,
                             char *err, size_t err_size);
int kafka_producer_send_sync(kafka_producer_t *p, const char *topic, const void *key,
                             size_t key_len, const void *value, size_t len,
                             const kafka_header_t *headers, size_t header_count, char *err,
                             size_t err_size);
/* Waits until every queued message has a delivery report. 0 or -1 (timeout). */
int kafka_producer_flush(kafka_producer_t *p, int timeout_ms);

/* ----------------------------------------------------------- consumer -- */

typedef enum {
    KAFKA_HANDLER_OK = 0,     /* done: the offset is stored (committed soon after) */
    KAFKA_HANDLER_RETRY = 1,  /* transient failure: call again for this message */
    KAFKA_HANDLER_POISON = 2, /* cannot ever be processed: to <topic>.dlq with the reason */
} kafka_handler_result_t;

typedef struct kafka_message {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key;
    size_t key_len;
    const void *value;
    size_t len;
    const void *raw; /* the rd_kafka_message_t, for kafka_message_header */
} kafka_message_t;

/* A header's value (copied NUL-terminated into buf), or NULL when absent. */
const char *kafka_message_header(const kafka_message_t *m, const char *name, char *buf,
                                 size_t buf_size);

/* `reason` receives why a message is poison (it travels as x-dlq-reason). */
typedef kafka_handler_result_t (*kafka_handler_fn)(const kafka_message_t *m, void *ctx,
                                                   char *reason, size_t reason_size);

typedef struct kafka_consumer_config {
    const char *brokers;
    const char *group_id;
    const char *const *topics; /* NULL-terminated */
    kafka_handler_fn handler;
    void *ctx;
    int max_attempts;               /* default KAFKA_DEFAULT_MAX_ATTEMPTS */
    int retry_backoff_ms;           /* default KAFKA_DEFAULT_RETRY_BACKOFF_MS */
    kafka_producer_t *dlq_producer; /* NULL: the consumer makes its own */
    const char *const *extra;       /* librdkafka property, value pairs, NULL-terminated */
} kafka_consumer_config_t;

typedef struct kafka_consumer kafka_consumer_t;

kafka_consumer_t *kafka_consumer_new(const kafka_consumer_config_t *cfg, char *err,
                                     size_t err_size);
/* Polls once (up to timeout_ms) and handles at most one message. Returns 1
 * when a message was handled, 0 when none came, -1 on a fatal error. */
int kafka_consumer_poll_once(kafka_consumer_t *c, int timeout_ms);
/* Runs the poll loop on a thread of its own. */
int kafka_consumer_start(kafka_consumer_t *c);
/* Stops the loop (after the message in hand), commits stored offsets and
 * leaves the group. Safe to call twice. */
void kafka_consumer_stop(kafka_consumer_t *c);
void kafka_consumer_free(kafka_consumer_t *c); /* stops first; accepts NULL */

/* -------------------------------------------------------------- admin -- */

/* Creates topics (existing ones are fine). 0, or -1 with err. */
int kafka_admin_create_topics(const char *brokers, const char *const *names, size_t n,
                              int partitions, int replication_factor, int timeout_ms, char *err,
                              size_t err_size);
int kafka_admin_delete_topics(const char *brokers, const char *const *names, size_t n,
                              int timeout_ms, char *err, size_t err_size);
/* Polls metadata until the broker answers (and, when topic is not NULL, until
 * every partition of it has a leader), or the deadline passes. 0 or -1. */
int kafka_admin_wait_ready(const char *brokers, const char *topic, int timeout_ms, char *err,
                           size_t err_size);

/* "<prefix><base>" into out (the KAFKA_TOPIC_PREFIX convention). */
void kafka_topic_name(const char *prefix, const char *base, char *out, size_t out_size);

#endif /* COMMON_KAFKA_H */
