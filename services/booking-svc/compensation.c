/*
 * compensation.c — compensation commands and the worker that runs them until
 * done (see compensation.h for the design: command → compensation_task row →
 * scheduler threads with a lease, backoff with full jitter, one stuck alert).
 */
#include "compensation.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/cloudevents.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/retry.h"
#include "common/trace.h"
#include "compensation_actions.h"
#include "outbox.h"

/* Tries of one bookkeeping statement that lost a deadlock (exec_retrying). */
#define COMPENSATION_DB_ATTEMPTS 5

#define COMPENSATION_WORKER_THREADS 2
#define COMPENSATION_GAUGE_INTERVAL_MS 1000
#define COMPENSATION_ERROR_MAX 256
#define COMPENSATION_ALERT_TOPIC "ops.alerts"

/* NULL for "", so an absent id binds SQL NULL. */
static const char *opt(const char *s)
{
    return s && *s ? s : NULL;
}

/* ------------------------------------------------------------ request -- */

int compensation_request(db_t *tx, const char *booking_id, const char *action, const char *hotel_id,
                         const char *hold_id, const char *payment_auth_id,
                         const char *reservation_id, int64_t amount, const char *currency,
                         const char *reason, int attempt)
{
    compensation_command_t t = {.amount = amount, .attempt = attempt < 1 ? 1 : attempt};
    compensation_copy_id(t.booking_id, sizeof t.booking_id, booking_id);
    compensation_copy_id(t.action, sizeof t.action, action);
    compensation_copy_id(t.hotel_id, sizeof t.hotel_id, hotel_id);
    compensation_copy_id(t.hold_id, sizeof t.hold_id, hold_id);
    compensation_copy_id(t.payment_auth_id, sizeof t.payment_auth_id, payment_auth_id);
    compensation_copy_id(t.reservation_id, sizeof t.reservation_id, reservation_id);
    compensation_copy_id(t.currency, sizeof t.currency, currency);
    compensation_copy_id(t.reason, sizeof t.reason,
                         reason ? reason : "compensation could not complete");
    const char *bad = compensation_command_invalid(&t);
    if (!tx || bad) {
        log_error("compensation: refusing request %s for %s: %s", t.action, t.booking_id,
                  bad ? bad : "no transaction");
        return -1;
    }
    struct json_object *data = compensation_command_to_json(&t);
    int rc =
        outbox_append(tx, COMPENSATION_TOPIC, t.booking_id, COMPENSATION_EVENT_TYPE, data, NULL);
    json_object_put(data);
    if (rc != 0)
        return -1;
    db_param_t p[] = {DB_STR(t.booking_id), DB_STR(t.action), DB_STR(t.reason)};
    if (db_exec(tx,
                "INSERT INTO saga_step_log (booking_id, step, outcome, detail) "
                "VALUES (?, ?, 'compensation_failed', ?)",
                p, 3, NULL, NULL) != DB_OK) {
        log_error("compensation: cannot log %s for %s: %s", t.action, t.booking_id, db_error(tx));
        return -1;
    }
    return 0;
}

long compensation_pending(db_t *db)
{
    db_result_t *res = NULL;
    db_param_t p[] = {DB_STR(COMPENSATION_TOPIC)};
    if (!db || db_query(db,
                        "SELECT (SELECT COUNT(*) FROM compensation_task WHERE state = 'pending') + "
                        "(SELECT COUNT(*) FROM outbox WHERE published_at IS NULL AND topic = ?)",
                        p, 1, &res) != DB_OK)
        return -1;
    int64_t n = -1;
    if (db_result_rows(res) != 1 || db_result_int64(res, 0, 0, &n) != 0)
        n = -1;
    db_result_free(res);
    return (long)n;
}

/* ------------------------------------------------------------- worker -- */

struct compensation_worker {
    compensation_config_t cfg;
    char *brokers, *topic_prefix, *group_id;
    kafka_consumer_t *consumer;
    pthread_t threads[COMPENSATION_WORKER_THREADS];
    int started;
    pthread_mutex_t lock; /* guards stop, wake_seq, next_gauge_ms */
    pthread_cond_t wake;
    bool stop;
    unsigned long wake_seq;
    int64_t next_gauge_ms;
    retry_policy_t backoff;
    metric_t *pending_gauge, *attempts_total, *stuck_total;
};

static bool worker_stopping(compensation_worker_t *w)
{
    pthread_mutex_lock(&w->lock);
    bool stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

static void worker_wake(compensation_worker_t *w)
{
    pthread_mutex_lock(&w->lock);
    w->wake_seq++;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

/* Waits up to ms, or until a new task is recorded, or stop. */
static void worker_wait(compensation_worker_t *w, int64_t ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    unsigned long seq = w->wake_seq;
    while (!w->stop && w->wake_seq == seq)
        if (pthread_cond_timedwait(&w->wake, &w->lock, &deadline) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&w->lock);
}

/* ---------------------------------------------------------- scheduler -- */

/* Claims one due task for this worker (a lease) and reads it into t.
 * 1 claimed, 0 none due, -1 database error. */
/* One autocommit statement, run again when InnoDB picked it as a deadlock
 * victim or it waited too long for a row lock: the worker threads (and
 * replicas) claim and update neighbouring rows of compensation_task, and a
 * lost update would leave a task leased, untouched, until its lease expires. */
static db_err_t exec_retrying(db_t *db, const char *sql, const db_param_t *p, size_t n,
                              uint64_t *affected)
{
    db_err_t e = DB_OK;
    for (int attempt = 0; attempt < COMPENSATION_DB_ATTEMPTS; attempt++) {
        e = db_exec(db, sql, p, n, affected, NULL);
        if (e != DB_ERR_DEADLOCK && e != DB_ERR_LOCK_TIMEOUT)
            return e;
        struct timespec pause = {0, (long)(attempt + 1) * 10 * 1000000L};
        nanosleep(&pause, NULL);
    }
    return e;
}

static int task_claim(db_t *db, int64_t *id, compensation_command_t *t)
{
    char owner[CRYPTO_UUID_LEN + 1];
    if (crypto_uuid_v4(owner) != 0)
        return -1;
    db_param_t p[] = {DB_STR(owner), DB_INT(COMPENSATION_LEASE_MS * 1000)};
    uint64_t affected = 0;
    if (exec_retrying(db,
                      "UPDATE compensation_task SET locked_by = ?, "
                      "locked_until = NOW(3) + INTERVAL ? MICROSECOND "
                      "WHERE state = 'pending' AND next_attempt_at <= NOW(3) "
                      "AND (locked_until IS NULL OR locked_until < NOW(3)) "
                      "ORDER BY next_attempt_at, id LIMIT 1",
                      p, 2, &affected) != DB_OK)
        return -1;
    if (affected == 0)
        return 0;
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT id, booking_id, action, hotel_id, hold_id, payment_auth_id, "
                 "reservation_id, amount, currency, reason, attempts FROM compensation_task "
                 "WHERE locked_by = ?",
                 p, 1, &res) != DB_OK)
        return -1;
    int rc = 0;
    if (db_result_rows(res) == 1) {
        memset(t, 0, sizeof *t);
        int64_t attempts = 0;
        db_result_int64(res, 0, 0, id);
        compensation_copy_id(t->booking_id, sizeof t->booking_id, db_result_text(res, 0, 1));
        compensation_copy_id(t->action, sizeof t->action, db_result_text(res, 0, 2));
        compensation_copy_id(t->hotel_id, sizeof t->hotel_id, db_result_text(res, 0, 3));
        compensation_copy_id(t->hold_id, sizeof t->hold_id, db_result_text(res, 0, 4));
        compensation_copy_id(t->payment_auth_id, sizeof t->payment_auth_id,
                             db_result_text(res, 0, 5));
        compensation_copy_id(t->reservation_id, sizeof t->reservation_id,
                             db_result_text(res, 0, 6));
        if (db_result_int64(res, 0, 7, &t->amount) != 0)
            t->amount = 0;
        compensation_copy_id(t->currency, sizeof t->currency, db_result_text(res, 0, 8));
        compensation_copy_id(t->reason, sizeof t->reason, db_result_text(res, 0, 9));
        db_result_int64(res, 0, 10, &attempts);
        t->attempt = (int)attempts;
        rc = 1;
    }
    db_result_free(res);
    return rc;
}

/* Writes the one compensation.stuck alert for the task (outbox + alerted_at in one transaction). */
static void task_alert_stuck(compensation_worker_t *w, db_t *db, int64_t id,
                             const compensation_command_t *t, int attempts, const char *error)
{
    if (db_begin(db) != DB_OK)
        return;
    db_param_t p[] = {DB_INT(id)};
    uint64_t affected = 0;
    if (db_exec(
            db,
            "UPDATE compensation_task SET alerted_at = NOW(3) WHERE id = ? AND alerted_at IS NULL",
            p, 1, &affected, NULL) != DB_OK ||
        affected == 0) {
        db_rollback(db);
        return;
    }
    struct json_object *data = compensation_stuck_alert_data(t, attempts, error);
    int rc = outbox_append(db, COMPENSATION_ALERT_TOPIC, t->booking_id,
                           COMPENSATION_STUCK_EVENT_TYPE, data, NULL);
    json_object_put(data);
    if (rc != 0 || db_commit(db) != DB_OK) {
        db_rollback(db);
        return;
    }
    metrics_counter_inc(w->stuck_total, t->action);
    log_kv(LOG_LEVEL_ERROR, "compensation stuck", "bookingId", t->booking_id, "action", t->action,
           "lastError", error, NULL);
}

/* Records the outcome of one run: done, or attempts+1 and the next due time. */
static void task_finish(compensation_worker_t *w, db_t *db, int64_t id,
                        const compensation_command_t *t, bool done, const char *error)
{
    if (done) {
        db_param_t p[] = {DB_INT(id)};
        if (exec_retrying(db,
                          "UPDATE compensation_task SET state = 'done', done_at = NOW(3), "
                          "locked_by = NULL, locked_until = NULL, last_error = NULL WHERE id = ?",
                          p, 1, NULL) != DB_OK)
            log_error("compensation: cannot mark %s of %s done (it will run again): %s", t->action,
                      t->booking_id, db_error(db));
        metrics_counter_inc(w->attempts_total, t->action, "done");
        log_kv(LOG_LEVEL_INFO, "compensation done", "bookingId", t->booking_id, "action", t->action,
               NULL);
        return;
    }
    int attempts = t->attempt + 1;
    int64_t wait_ms = retry_backoff_ms(&w->backoff, attempts - 1 < 40 ? attempts - 1 : 40);
    db_param_t p[] = {DB_INT(wait_ms * 1000), DB_STR(error), DB_INT(id)};
    if (exec_retrying(db,
                      "UPDATE compensation_task SET attempts = attempts + 1, "
                      "next_attempt_at = NOW(3) + INTERVAL ? MICROSECOND, "
                      "last_error = LEFT(?, 512), locked_by = NULL, locked_until = NULL "
                      "WHERE id = ?",
                      p, 3, NULL) != DB_OK)
        log_error("compensation: cannot record a failed %s of %s: %s", t->action, t->booking_id,
                  db_error(db));
    metrics_counter_inc(w->attempts_total, t->action, "failed");
    log_kv(LOG_LEVEL_WARN, "compensation failed, will retry", "bookingId", t->booking_id, "action",
           t->action, "error", error, NULL);
    if (attempts >= w->cfg.max_attempts_before_alert)
        task_alert_stuck(w, db, id, t, attempts, error);
}

/* A capture still to be retried for a booking that was cancelled since (on the PMS side, say)
 * must not take the guest's money: the cancellation voids or refunds instead. */
static bool capture_superseded(db_t *db, const compensation_command_t *t)
{
    if (strcmp(t->action, "retry_capture") != 0)
        return false;
    db_param_t p[] = {DB_STR(t->booking_id)};
    db_result_t *res = NULL;
    if (db_query(db, "SELECT status FROM booking WHERE booking_id = ?", p, 1, &res) != DB_OK)
        return false;
    const char *status = db_result_rows(res) == 1 ? db_result_text(res, 0, 0) : NULL;
    bool cancelled = status && strcmp(status, "cancelled") == 0;
    db_result_free(res);
    return cancelled;
}

/* Runs one claimed task. */
static void run_claimed(compensation_worker_t *w, db_t *db, int64_t id,
                        const compensation_command_t *t)
{
    char error[COMPENSATION_ERROR_MAX] = "";
    if (capture_superseded(db, t)) {
        log_kv(LOG_LEVEL_WARN, "retry_capture dropped: the booking was cancelled meanwhile",
               "bookingId", t->booking_id, NULL);
        task_finish(w, db, id, t, true, "");
        return;
    }
    compensation_connectors_t vendors = {
        .pms = w->cfg.pms, .payment = w->cfg.payment, .toss = w->cfg.toss, .db = w->cfg.db};
    int rc = compensation_action_run(&vendors, t, error, sizeof error);
    if (rc == 0 && w->cfg.on_done &&
        w->cfg.on_done(w->cfg.on_done_ctx, db, t->booking_id, t->action) != 0) {
        snprintf(error, sizeof error, "the booking could not be updated after the %s", t->action);
        rc = -1;
    }
    task_finish(w, db, id, t, rc == 0, error);
}

/* Claims and runs one due task, in a trace of its own (its log lines and its PMS and payment
 * calls carry it). 1 ran one, 0 none due, -1 database error. */
static int worker_run_one(compensation_worker_t *w, db_t *db)
{
    int64_t id = 0;
    compensation_command_t t;
    int claimed = task_claim(db, &id, &t);
    if (claimed <= 0)
        return claimed;
    trace_context_t trace;
    bool own_trace = trace_ensure(&trace);
    run_claimed(w, db, id, &t);
    if (own_trace)
        trace_set_current(NULL);
    return 1;
}

/* True for the one thread that should refresh the gauge now. */
static bool gauge_due(compensation_worker_t *w)
{
    int64_t now = clock_now_ms();
    pthread_mutex_lock(&w->lock);
    bool due = now >= w->next_gauge_ms;
    if (due)
        w->next_gauge_ms = now + COMPENSATION_GAUGE_INTERVAL_MS;
    pthread_mutex_unlock(&w->lock);
    return due;
}

static void *worker_main(void *arg)
{
    compensation_worker_t *w = arg;
    while (!worker_stopping(w)) {
        db_t *db = db_pool_acquire(w->cfg.db);
        int ran = db ? worker_run_one(w, db) : -1;
        if (db && gauge_due(w)) {
            long pending = compensation_pending(db);
            if (pending >= 0)
                metrics_gauge_set(w->pending_gauge, (double)pending);
        }
        if (db)
            db_pool_release(w->cfg.db, db);
        if (ran != 1)
            worker_wait(w, w->cfg.scan_interval_ms > 0 ? w->cfg.scan_interval_ms
                                                       : COMPENSATION_SCAN_INTERVAL_MS);
    }
    return NULL;
}

/* ----------------------------------------------------------- consumer -- */

/* In one transaction: the dedup row for event_id and the task (one per booking + action;
 * a second command fills only ids the first lacked). */
static kafka_handler_result_t task_record(compensation_worker_t *w, const char *event_id,
                                          const compensation_command_t *t)
{
    db_t *db = db_pool_acquire(w->cfg.db);
    if (!db)
        return KAFKA_HANDLER_RETRY;
    kafka_handler_result_t result = KAFKA_HANDLER_RETRY;
    db_param_t dedup[] = {DB_STR(COMPENSATION_CONSUMER_ID), DB_STR(event_id)};
    db_param_t p[] = {DB_STR(t->booking_id),
                      DB_STR(t->action),
                      DB_STR(opt(t->hotel_id)),
                      DB_STR(opt(t->hold_id)),
                      DB_STR(opt(t->payment_auth_id)),
                      DB_STR(opt(t->reservation_id)),
                      DB_INT(t->amount),
                      DB_STR(opt(t->currency)),
                      DB_STR(t->reason),
                      DB_INT(t->attempt)};
    if (db_begin(db) != DB_OK)
        goto out;
    db_err_t e =
        db_exec(db, "INSERT INTO received_messages (consumer_id, message_id) VALUES (?, ?)", dedup,
                2, NULL, NULL);
    if (e == DB_ERR_DUPLICATE) { /* a redelivery: recorded before */
        db_rollback(db);
        result = KAFKA_HANDLER_OK;
        goto out;
    }
    if (e != DB_OK ||
        db_exec(db,
                "INSERT INTO compensation_task (booking_id, action, hotel_id, hold_id, "
                "payment_auth_id, reservation_id, amount, currency, reason, attempts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
                "hotel_id = COALESCE(hotel_id, VALUES(hotel_id)), "
                "hold_id = COALESCE(hold_id, VALUES(hold_id)), "
                "payment_auth_id = COALESCE(payment_auth_id, VALUES(payment_auth_id)), "
                "reservation_id = COALESCE(reservation_id, VALUES(reservation_id))",
                p, 10, NULL, NULL) != DB_OK ||
        db_commit(db) != DB_OK) {
        log_warn("compensation: cannot record %s for %s: %s", t->action, t->booking_id,
                 db_error(db));
        db_rollback(db);
        goto out;
    }
    result = KAFKA_HANDLER_OK;
    worker_wake(w);
out:
    db_pool_release(w->cfg.db, db);
    return result;
}

/* kafka_handler_fn for booking.compensations: validates the command and records it. */
static kafka_handler_result_t on_command(const kafka_message_t *m, void *ctx, char *reason,
                                         size_t reason_size)
{
    compensation_worker_t *w = ctx;
    char err[256];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    if (!ev) {
        snprintf(reason, reason_size, "not a CloudEvent: %s", err);
        return KAFKA_HANDLER_POISON;
    }
    kafka_handler_result_t result = KAFKA_HANDLER_OK;
    compensation_command_t t;
    if (strcmp(ev->type, COMPENSATION_EVENT_TYPE) != 0) {
        result = KAFKA_HANDLER_OK; /* not ours to run */
    } else if (!ev->data || compensation_command_from_json(ev->data, &t, err, sizeof err) != 0) {
        snprintf(reason, reason_size, "invalid compensation command: %s",
                 ev->data ? err : "no data");
        result = KAFKA_HANDLER_POISON;
    } else {
        result = task_record(w, ev->id, &t);
    }
    cloudevent_free(ev);
    return result;
}

/* ------------------------------------------------------- start / stop -- */

static void worker_free(compensation_worker_t *w)
{
    kafka_consumer_free(w->consumer);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w->brokers);
    free(w->topic_prefix);
    free(w->group_id);
    free(w);
}

void compensation_worker_stop(compensation_worker_t *w)
{
    if (!w)
        return;
    if (w->consumer)
        kafka_consumer_stop(w->consumer);
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->started; i++)
        pthread_join(w->threads[i], NULL);
    worker_free(w);
}

compensation_worker_t *compensation_worker_start(const compensation_config_t *cfg, char *err,
                                                 size_t err_size)
{
    if (!cfg || !cfg->brokers || !cfg->db || !cfg->pms || !cfg->payment) {
        snprintf(err, err_size, "compensation worker: brokers, db, pms and payment are required");
        return NULL;
    }
    compensation_worker_t *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, err_size, "compensation worker: out of memory");
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->cfg = *cfg;
    w->brokers = strdup(cfg->brokers);
    w->topic_prefix = strdup(cfg->topic_prefix ? cfg->topic_prefix : "");
    w->group_id = strdup(cfg->group_id ? cfg->group_id : COMPENSATION_GROUP_ID);
    if (!w->brokers || !w->topic_prefix || !w->group_id) {
        snprintf(err, err_size, "compensation worker: out of memory");
        worker_free(w);
        return NULL;
    }
    if (w->cfg.max_attempts_before_alert <= 0)
        w->cfg.max_attempts_before_alert = COMPENSATION_DEFAULT_ALERT_AFTER;
    w->backoff = RETRY_POLICY_DEFAULT;
    w->backoff.base_ms =
        cfg->base_backoff_ms > 0 ? cfg->base_backoff_ms : COMPENSATION_DEFAULT_BACKOFF_MS;
    w->backoff.cap_ms =
        cfg->max_backoff_ms > 0 ? cfg->max_backoff_ms : COMPENSATION_DEFAULT_MAX_BACKOFF_MS;
    w->pending_gauge = metrics_gauge("booking_compensations_pending",
                                     "Compensations handed to the worker and not done yet", 0);
    w->attempts_total =
        metrics_counter("booking_compensation_attempts_total",
                        "Compensation runs by action and outcome", 2, "action", "outcome");
    w->stuck_total = metrics_counter("booking_compensation_stuck_total",
                                     "Compensations that raised the stuck alert", 1, "action");

    char topic[256];
    kafka_topic_name(w->topic_prefix, COMPENSATION_TOPIC, topic, sizeof topic);
    char group[256]; /* prefixed like the topics, so isolated deployments never share a group */
    kafka_topic_name(w->topic_prefix, w->group_id, group, sizeof group);
    const char *topics[] = {topic, NULL};
    kafka_consumer_config_t kc = {.brokers = w->brokers,
                                  .group_id = group,
                                  .topics = topics,
                                  .handler = on_command,
                                  .ctx = w,
                                  .dlq_producer = cfg->producer};
    w->consumer = kafka_consumer_new(&kc, err, err_size);
    if (!w->consumer) {
        worker_free(w);
        return NULL;
    }
    for (; w->started < COMPENSATION_WORKER_THREADS; w->started++)
        if (pthread_create(&w->threads[w->started], NULL, worker_main, w) != 0)
            break;
    if (w->started == 0 || kafka_consumer_start(w->consumer) != 0) {
        snprintf(err, err_size, "compensation worker: cannot start its threads");
        compensation_worker_stop(w);
        return NULL;
    }
    return w;
}

long compensation_purge(db_t *db, long retention_s, int limit)
{
    static const char *const sql[] = {
        "DELETE FROM received_messages WHERE received_at < NOW(3) - INTERVAL ? SECOND "
        "ORDER BY received_at LIMIT ?",
        "DELETE FROM compensation_task WHERE state = 'done' AND "
        "done_at < NOW(3) - INTERVAL ? SECOND ORDER BY id LIMIT ?",
    };
    long total = 0;
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        db_param_t p[] = {DB_INT(retention_s), DB_INT(limit)};
        uint64_t n = 0;
        if (!db || exec_retrying(db, sql[i], p, 2, &n) != DB_OK)
            return -1;
        total += (long)n;
    }
    return total;
}
