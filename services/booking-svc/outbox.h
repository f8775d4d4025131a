/*
 * outbox.h — the transactional outbox of booking-svc (migration 003):
 * events are rows written in the same transaction as the state change they
 * describe, so the booking row and its event can never disagree; a relay
 * thread publishes the rows to Kafka and marks them published.
 *
 * Usage:
 *     db_begin(tx);
 *     ... UPDATE booking ... ;
 *     outbox_append(tx, "booking.events", booking_id, "lodging.booking.confirmed", data, NULL);
 *     db_commit(tx);
 *     outbox_relay_kick(relay);                      // publish now instead of at the next poll
 *
 * Wiring (main.c, after the db pool and the idempotent producer exist):
 *     outbox_relay_config_t oc = {.db = pool, .producer = producer,
 *                                 .topic_prefix = settings->kafka_topic_prefix};
 *     outbox_relay_t *relay = outbox_relay_start(&oc, err, sizeof err);   // NULL → exit
 *     ... on shutdown: outbox_relay_flush(relay, 5000); outbox_relay_stop(relay);
 *     gauge: metrics_gauge_set(metrics_gauge("booking_outbox_unpublished", ...),
 * outbox_unpublished(db)) (the relay already refreshes that gauge after every pass).
 *
 * Delivery: at-least-once — after a crash or a lost delivery report a row is
 * published again, so consumers dedup by the CloudEvents id (= event_id).
 * Order: rows are published in id order, each batch waits for its delivery
 * reports, and published_at is set only on the prefix of the batch that was
 * acknowledged; the Kafka key is aggregate_id, so per booking the order on the
 * partition is the commit order of the booking's transactions (they serialise
 * on the booking row). Several replicas: a pass runs only while holding the
 * MariaDB named lock "lodging.outbox_relay:<database>" (GET_LOCK), so one
 * relay publishes at a time. The leader keeps the lock — and the pool
 * connection whose session holds it — for as long as its passes succeed
 * (not one GET_LOCK per pass); the server releases it when that connection
 * dies, and a reconnect (a new session id) is noticed before the next pass,
 * which takes the lock again or finds another replica leading.
 * Kafka down: rows stay unpublished, the relay retries with exponential
 * backoff + full jitter (OUTBOX_RETRY_BASE_MS .. OUTBOX_RETRY_CAP_MS) and
 * catches up when the broker is back.
 *
 * Metrics: booking_outbox_unpublished (gauge), booking_outbox_published_total,
 * booking_outbox_publish_errors_total.
 * Thread-safety: outbox_append uses only the caller's connection; the relay
 * functions may be called from any thread. Ownership: every config pointer is
 * borrowed and must outlive the relay.
 */
#ifndef BOOKING_OUTBOX_H
#define BOOKING_OUTBOX_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/cloudevents.h"
#include "common/db.h"
#include "common/kafka.h"

#define OUTBOX_SOURCE "/booking-svc"
#define OUTBOX_DEFAULT_POLL_INTERVAL_MS 200
#define OUTBOX_DEFAULT_BATCH_SIZE 100
#define OUTBOX_RETRY_BASE_MS 200
#define OUTBOX_RETRY_CAP_MS 10000
#define OUTBOX_RELAY_LOCK_NAME "lodging.outbox_relay"

/* Appends one CloudEvent to the outbox inside the caller's open transaction (db_begin done by the
 * caller): event_id = new UUID (written to event_id_out[37] when not NULL), topic = the BASE topic
 * name ("booking.events", "booking.compensations", "ops.alerts"; the relay adds
 * KAFKA_TOPIC_PREFIX), aggregate_id = Kafka key (bookingId), type = full CloudEvents type
 * ("lodging.booking.held"), subject = aggregate_id, source "/booking-svc", data borrowed. Returns 0
 * or -1. */
/* An outbox row as outbox_append would write it, for a caller that writes it
 * itself (a stored procedure taking the whole step boundary). */
#define OUTBOX_AGGREGATE_TYPE_MAX 32
typedef struct outbox_event {
    char event_id[37]; /* the CloudEvents id */
    char aggregate_type[OUTBOX_AGGREGATE_TYPE_MAX];
    char *payload; /* the whole CloudEvent (structured mode), malloc'd */
} outbox_event_t;
int outbox_event_build(const char *topic, const char *aggregate_id, const char *type,
                       struct json_object *data, outbox_event_t *out);
void outbox_event_clear(outbox_event_t *ev);

int outbox_append(db_t *tx, const char *topic, const char *aggregate_id, const char *type,
                  struct json_object *data, char *event_id_out);

/* Appends an event the caller built itself (its own id, source, subject and
 * data: an id derived from what the event reports, so writing the same report
 * twice is one row) inside the caller's open transaction. key = the Kafka key
 * (aggregate_id, at most 64 bytes), topic the BASE topic name. 0 when it is in
 * the outbox — *appended false when a row with that id already was (NULL
 * allowed) — or -1. */
int outbox_append_event(db_t *tx, const char *topic, const char *key, const cloudevent_t *ev,
                        bool *appended);

typedef struct outbox_relay outbox_relay_t;
typedef struct outbox_relay_config {
    db_pool_t *db;              /* borrowed */
    kafka_producer_t *producer; /* borrowed, idempotent */
    const char *topic_prefix;   /* KAFKA_TOPIC_PREFIX */
    int poll_interval_ms;       /* idle poll (default 200); outbox_relay_kick wakes it at once */
    int batch_size;             /* default 100 */
} outbox_relay_config_t;

/* Starts the relay thread: publishes unpublished rows in id order (per aggregate order kept),
 * waits for each batch's delivery reports, then sets published_at. Safe with several replicas
 * (a MariaDB named lock per pass). Kafka down → keeps rows, retries with backoff.
 * NULL with the reason in err. */
outbox_relay_t *outbox_relay_start(const outbox_relay_config_t *cfg, char *err, size_t err_size);
/* Wakes the relay at once; call after committing rows. NULL ok. */
void outbox_relay_kick(outbox_relay_t *r);
/* outbox_relay_kick for callbacks that take a void * (pms_events_start's kick). */
void outbox_relay_kick_cb(void *relay);
/* Publishes everything unpublished now (shutdown); 0 when nothing is left, -1 on timeout. */
int outbox_relay_flush(outbox_relay_t *r, int timeout_ms);
/* Stops and frees the relay (the pass in hand finishes first). NULL ok. */
void outbox_relay_stop(outbox_relay_t *r);
/* Rows not yet published, or -1 on a database error (for the booking_outbox_unpublished gauge). */
long outbox_unpublished(db_t *db);
/* Deletes up to `limit` rows published more than retention_s seconds ago (the
 * outbox is insert-only; consumers have long had them). Rows not yet published
 * are never touched. The number deleted, or -1 on a database error. */
long outbox_purge(db_t *db, long retention_s, int limit);

#endif /* BOOKING_OUTBOX_H */
