/*
 * compensation.h — compensations that could not complete during the saga
 * (PMS or payment gateway down) become durable commands on
 * booking.compensations, executed by a worker that retries them until done
 * (nothing is left open silently).
 *
 * The stuck alert travels through the outbox, so the outbox relay must run in
 * the same service. on_done may be called again for an action after a crash
 * between it and the task's 'done' mark: it must be idempotent.
 *
 * Usage (saga side, inside its transaction):
 *     compensation_request(tx, booking_id, "void_preauth", hotel_id, NULL, auth_id, NULL,
 *                          0, NULL, "payment gateway unavailable", 0);
 *
 * Wiring (main.c; on_done is saga.c's; start after the relay, stop before it):
 *     compensation_config_t cc = {
 *         .brokers = s->kafka_brokers, .topic_prefix = s->kafka_topic_prefix,
 *         .group_id = COMPENSATION_GROUP_ID, .db = pool, .pms = pms, .payment = payment,
 *         .producer = producer,
 *         .max_attempts_before_alert = COMPENSATION_ALERT_AFTER (default 8),
 *         .base_backoff_ms = COMPENSATION_BACKOFF_MS (default 500),
 *         .max_backoff_ms = COMPENSATION_MAX_BACKOFF_MS (default 60000),
 *         .on_done = saga_compensation_done, .on_done_ctx = saga};
 *     compensation_worker_t *cw = compensation_worker_start(&cc, err, sizeof err);  // NULL → exit
 *     ... on shutdown: compensation_worker_stop(cw);
 *
 * How backoff does not block other bookings: the Kafka handler only records
 * the command in the due-time table compensation_task (migration 008; one row
 * per booking + action, so a repeated command is recorded once, and a command
 * for an action already done for that booking is not run again) and returns
 * at once. A scheduler thread claims due tasks (a lease: locked_by/locked_until,
 * so several replicas never run one task at the same time), runs the action
 * without any transaction open, and on failure stores attempts+1 and
 * next_attempt_at = now + random(0, min(max_backoff, base·2^attempts)) (full
 * jitter). A failing booking therefore waits in the table while every other
 * due task runs. After max_attempts_before_alert failed attempts the worker
 * writes ONE ops.alerts lodging.ops.compensation.stuck event (through the
 * outbox, in the same transaction that sets alerted_at — once per booking +
 * action), counts booking_compensation_stuck_total and logs an error, and keeps
 * retrying. A permanent error of the vendor (e.g. 4xx other than not-found)
 * is retried too: a human fixes it, the alert says so.
 *
 * Metrics: booking_compensations_pending (gauge),
 * booking_compensation_attempts_total{action,outcome}, booking_compensation_stuck_total{action}.
 * Thread-safety: compensation_request uses only the caller's connection; the
 * worker runs its own threads. Ownership: every config pointer is borrowed.
 */
#ifndef BOOKING_COMPENSATION_H
#define BOOKING_COMPENSATION_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"
#include "common/kafka.h"
#include "common/payment.h"
#include "common/pms.h"

#define COMPENSATION_TOPIC "booking.compensations"
#define COMPENSATION_EVENT_TYPE "lodging.booking.compensation.requested"
#define COMPENSATION_STUCK_EVENT_TYPE "lodging.ops.compensation.stuck"
#define COMPENSATION_GROUP_ID "booking-svc-compensations"
#define COMPENSATION_CONSUMER_ID "booking-svc.compensations"
#define COMPENSATION_DEFAULT_ALERT_AFTER 8
#define COMPENSATION_DEFAULT_BACKOFF_MS 500
#define COMPENSATION_DEFAULT_MAX_BACKOFF_MS 60000
#define COMPENSATION_LEASE_MS 60000
#define COMPENSATION_SCAN_INTERVAL_MS 200
#define COMPENSATION_ID_MAX 65 /* ids are at most 64 characters (the schemas' maxLength) */
#define COMPENSATION_ACTION_MAX 33
#define COMPENSATION_REASON_MAX 513

/* One compensation command: the data of lodging.booking.compensation.requested
 * (proto/events/booking-compensation.schema.json) and what the worker runs. Empty strings stand
 * for absent ids; amount is in minor units (0 = everything, for refund and retry_capture). */
typedef struct compensation_command {
    char booking_id[COMPENSATION_ID_MAX];
    char action[COMPENSATION_ACTION_MAX];
    char hotel_id[COMPENSATION_ID_MAX];
    char hold_id[COMPENSATION_ID_MAX];
    char payment_auth_id[COMPENSATION_ID_MAX];
    char reservation_id[COMPENSATION_ID_MAX];
    int64_t amount;
    char currency[4];
    char reason[COMPENSATION_REASON_MAX];
    int attempt; /* attempts made so far (>= 1 in a command) */
} compensation_command_t;

/* NULL when c names a known action and carries the ids that action needs; otherwise what is
 * wrong, for a log or a dead-letter reason. */
const char *compensation_command_invalid(const compensation_command_t *c);
/* The command's CloudEvents data; the caller owns it (json_object_put). */
struct json_object *compensation_command_to_json(const compensation_command_t *c);
/* Reads and validates a command's data. 0, or -1 with the reason in why. */
int compensation_command_from_json(struct json_object *data, compensation_command_t *c, char *why,
                                   size_t size);
/* Copies src (NULL = "") into dst, truncated to size. */
void compensation_copy_id(char *dst, size_t size, const char *src);
/* The data of the lodging.ops.compensation.stuck alert (ops-alert.schema.json); caller owns it. */
struct json_object *compensation_stuck_alert_data(const compensation_command_t *c, int attempts,
                                                  const char *last_error);

/* Records (inside the caller's transaction) a compensation that could not complete now: a
 * lodging.booking.compensation.requested command on booking.compensations via the outbox, plus a
 * saga_step_log row (step=action, outcome='compensation_failed', detail=reason). action is one of
 * "release_hold","void_preauth","cancel_reservation","refund","retry_capture"; ids may be NULL when
 * not relevant; amount/currency needed for refund/retry_capture (minor units). Returns 0 or -1
 * (unknown action, missing field for the action, database error). */
int compensation_request(db_t *tx, const char *booking_id, const char *action, const char *hotel_id,
                         const char *hold_id, const char *payment_auth_id,
                         const char *reservation_id, int64_t amount, const char *currency,
                         const char *reason, int attempt);

/* Called by the worker after an action finally succeeded (CORE implements it in saga.c: writes the
 * step log 'compensated', updates booking/saga state, emits booking.compensated when nothing else
 * is pending — all in one transaction with the outbox). Returns 0, or -1 to have the command
 * retried. */
typedef int (*compensation_done_fn)(void *ctx, db_t *db, const char *booking_id,
                                    const char *action);

typedef struct compensation_worker compensation_worker_t;
typedef struct compensation_config {
    const char *brokers, *topic_prefix, *group_id; /* group "booking-svc-compensations" (NULL =
                                                       that); topic_prefix is put before it too */
    db_pool_t *db;
    pms_connector_t *pms;          /* borrowed */
    payment_connector_t *payment;  /* borrowed (Stripe) */
    payment_connector_t *toss;     /* borrowed; NULL when Toss Payments is not configured */
    kafka_producer_t *producer;    /* borrowed, for the consumer's dead-letter queue */
    int max_attempts_before_alert; /* COMPENSATION_ALERT_AFTER, default 8 */
    int base_backoff_ms,
        max_backoff_ms; /* COMPENSATION_BACKOFF_MS 500, COMPENSATION_MAX_BACKOFF_MS 60000 */
    compensation_done_fn on_done;
    void *on_done_ctx;
    int scan_interval_ms; /* COMPENSATION_SCAN_INTERVAL_MS: idle look for due tasks (0 = 200) */
} compensation_config_t;

/* Consumes booking.compensations; runs each action with the connectors (release hold =
 * pms_release_hold, void = payment_void, cancel = pms_cancel_reservation, refund = payment_refund,
 * retry_capture = payment_capture; all idempotent, Idempotency-Key "<bookingId>:<action>"); on
 * failure retries with exponential backoff + full jitter, never drops a command; after
 * max_attempts_before_alert raises ops.alerts lodging.ops.compensation.stuck once (and keeps
 * retrying); dedups by CloudEvents id via received_messages. NULL with the reason in err. */
compensation_worker_t *compensation_worker_start(const compensation_config_t *cfg, char *err,
                                                 size_t err_size);
void compensation_worker_stop(compensation_worker_t *w); /* NULL ok */
/* Commands requested and not yet done (open tasks + commands still in the outbox), or -1 on a
 * database error; for the booking_compensations_pending gauge (the worker refreshes it itself too).
 */
long compensation_pending(db_t *db);
/* Deletes up to `limit` each of the de-duplication records (received_messages,
 * all consumers) and done tasks older than retention_s seconds; keep it longer
 * than the consumed topics' retention, or a redelivered message could run
 * twice. The number deleted, or -1 on a database error. */
long compensation_purge(db_t *db, long retention_s, int limit);

#endif /* BOOKING_COMPENSATION_H */
