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
#include "outbox.h"

#define COMPENSATION_WORKER_THREADS 2
#define COMPENSATION_GAUGE_INTERVAL_MS 1000
#define COMPENSATION_ERROR_MAX 256
#define COMPENSATION_ALERT_TOPIC "ops.alerts"

/* ----------------------------------------------------------- the task -- */

/* Runs one action once: 0 done (or nothing left to do), -1 with why in error. */
typedef int (*action_fn)(compensation_worker_t *w, const compensation_command_t *t, char *error,
                         size_t size);

static int run_release_hold(compensation_worker_t *w, const compensation_command_t *t, char *error,
                            size_t size);
static int run_void_preauth(compensation_worker_t *w, const compensation_command_t *t, char *error,
                            size_t size);
static int run_cancel_reservation(compensation_worker_t *w, const compensation_command_t *t,
                                  char *error, size_t size);
static int run_refund(compensation_worker_t *w, const compensation_command_t *t, char *error,
                      size_t size);
static int run_retry_capture(compensation_worker_t *w, const compensation_command_t *t, char *error,
                             size_t size);

/* The actions (the `action` enum of booking-compensation.schema.json) and the ids each needs. */
static const struct action_def {
    const char *name;
    bool needs_hotel, needs_hold, needs_auth, needs_reservation;
    action_fn run;
} ACTIONS[] = {
    {"release_hold", true, true, false, false, run_release_hold},
    {"void_preauth", false, false, true, false, run_void_preauth},
    {"cancel_reservation", true, false, false, true, run_cancel_reservation},
    {"refund", false, false, true, false, run_refund},
    {"retry_capture", false, false, true, false, run_retry_capture},
};

static const struct action_def *action_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof ACTIONS / sizeof ACTIONS[0]; i++)
        if (strcmp(ACTIONS[i].name, name) == 0)
            return &ACTIONS[i];
    return NULL;
}

static void copy_id(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* NULL for "", so an absent id binds SQL NULL and stays out of the JSON. */
static const char *opt(const char *s)
{
    return s && *s ? s : NULL;
}

const char *compensation_command_invalid(const compensation_command_t *t)
{
    const struct action_def *a = action_find(t->action);
    if (!t->booking_id[0])
        return "bookingId is required";
    if (!a)
        return "action is not one of release_hold, void_preauth, cancel_reservation, refund, "
               "retry_capture";
    if (a->needs_hotel && !t->hotel_id[0])
        return "hotelId is required for this action";
    if (a->needs_hold && !t->hold_id[0])
        return "holdId is required for release_hold";
    if (a->needs_auth && !t->payment_auth_id[0])
        return "paymentAuthId is required for this action";
    if (a->needs_reservation && !t->reservation_id[0])
        return "reservationId is required for cancel_reservation";
    if (t->amount < 0)
        return "amount must not be negative";
    return NULL;
}

struct json_object *compensation_command_to_json(const compensation_command_t *t)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "bookingId", json_object_new_string(t->booking_id));
    json_object_object_add(o, "action", json_object_new_string(t->action));
    json_object_object_add(o, "attempt", json_object_new_int(t->attempt));
    json_object_object_add(o, "reason", json_object_new_string(t->reason));
    const char *ids[][2] = {{"hotelId", t->hotel_id},
                            {"holdId", t->hold_id},
                            {"paymentAuthId", t->payment_auth_id},
                            {"reservationId", t->reservation_id},
                            {"currency", t->currency}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i][1][0])
            json_object_object_add(o, ids[i][0], json_object_new_string(ids[i][1]));
    if (t->amount > 0)
        json_object_object_add(o, "amount", json_object_new_int64(t->amount));
    return o;
}

int compensation_command_from_json(struct json_object *data, compensation_command_t *t, char *why,
                                   size_t size)
{
    memset(t, 0, sizeof *t);
    json_error_t jerr;
    const char *s[8] = {0};
    static const char *const names[] = {"bookingId",     "action",        "hotelId",  "holdId",
                                        "paymentAuthId", "reservationId", "currency", "reason"};
    static const size_t max_len[] = {64, 32, 64, 64, 64, 64, 3, 512};
    for (size_t i = 0; i < 8; i++) {
        if (json_get_string(data, names[i], i < 2, i < 2 ? 1 : 0, max_len[i], &s[i], &jerr) != 0) {
            snprintf(why, size, "%s: %s", jerr.field, jerr.message);
            return -1;
        }
    }
    int64_t attempt = 1, amount = 0;
    if (json_get_int64(data, "attempt", false, 1, 1000000, 1, &attempt, &jerr) != 0 ||
        json_get_int64(data, "amount", false, 0, INT64_MAX, 0, &amount, &jerr) != 0) {
        snprintf(why, size, "%s: %s", jerr.field, jerr.message);
        return -1;
    }
    copy_id(t->booking_id, sizeof t->booking_id, s[0]);
    copy_id(t->action, sizeof t->action, s[1]);
    copy_id(t->hotel_id, sizeof t->hotel_id, s[2]);
    copy_id(t->hold_id, sizeof t->hold_id, s[3]);
    copy_id(t->payment_auth_id, sizeof t->payment_auth_id, s[4]);
    copy_id(t->reservation_id, sizeof t->reservation_id, s[5]);
    copy_id(t->currency, sizeof t->currency, s[6]);
    copy_id(t->reason, sizeof t->reason, s[7]);
    t->attempt = (int)attempt;
    t->amount = amount;
    const char *bad = compensation_command_invalid(t);
    if (bad) {
        snprintf(why, size, "%s", bad);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ request -- */

int compensation_request(db_t *tx, const char *booking_id, const char *action, const char *hotel_id,
                         const char *hold_id, const char *payment_auth_id,
                         const char *reservation_id, int64_t amount, const char *currency,
                         const char *reason, int attempt)
{
    compensation_command_t t = {.amount = amount, .attempt = attempt < 1 ? 1 : attempt};
    copy_id(t.booking_id, sizeof t.booking_id, booking_id);
    copy_id(t.action, sizeof t.action, action);
    copy_id(t.hotel_id, sizeof t.hotel_id, hotel_id);
    copy_id(t.hold_id, sizeof t.hold_id, hold_id);
    copy_id(t.payment_auth_id, sizeof t.payment_auth_id, payment_auth_id);
    copy_id(t.reservation_id, sizeof t.reservation_id, reservation_id);
    copy_id(t.currency, sizeof t.currency, currency);
    copy_id(t.reason, sizeof t.reason, reason ? reason : "compensation could not complete");
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

/* ------------------------------------------------------------ actions -- */

static void idempotency_key(const compensation_command_t *t, char *out, size_t size)
{
    snprintf(out, size, "%s:%s", t->booking_id, t->action);
}

static int pms_failed(pms_err_t e, const pms_error_t *err, char *error, size_t size)
{
    snprintf(error, size, "%s: %s", pms_err_name(e), err->message[0] ? err->message : "failed");
    return -1;
}

static int pay_failed(pay_err_t e, const pay_error_t *err, char *error, size_t size)
{
    snprintf(error, size, "%s: %s", pay_err_name(e), err->message[0] ? err->message : "failed");
    return -1;
}

/* Releasing a hold the PMS does not know is success: it may never have been made. */
static int run_release_hold(compensation_worker_t *w, const compensation_command_t *t, char *error,
                            size_t size)
{
    pms_error_t err = {0};
    pms_err_t e = pms_release_hold(w->cfg.pms, t->hotel_id, t->hold_id, &err);
    return e == PMS_OK || e == PMS_ERR_NOT_FOUND ? 0 : pms_failed(e, &err, error, size);
}

static int run_cancel_reservation(compensation_worker_t *w, const compensation_command_t *t,
                                  char *error, size_t size)
{
    pms_error_t err = {0};
    pms_err_t e = pms_cancel_reservation(w->cfg.pms, t->hotel_id, t->reservation_id, &err);
    if (e == PMS_OK || e == PMS_ERR_NOT_FOUND)
        return 0;
    if (e == PMS_ERR_CONFLICT) { /* already cancelled? */
        pms_reservation_t r = {0};
        pms_error_t gerr = {0};
        if (pms_get_reservation(w->cfg.pms, t->hotel_id, t->reservation_id, &r, &gerr) == PMS_OK &&
            r.status == PMS_RES_CANCELLED)
            return 0;
    }
    return pms_failed(e, &err, error, size);
}

/* After PAY_ERR_STATE: is the payment already where the action wanted it? */
static bool payment_already(compensation_worker_t *w, const compensation_command_t *t,
                            pay_status_t wanted)
{
    pay_payment_t p = {0};
    pay_error_t err = {0};
    if (payment_get(w->cfg.payment, t->payment_auth_id, &p, &err) != PAY_OK)
        return false;
    if (wanted == PAY_STATUS_CAPTURED && strcmp(t->action, "refund") == 0)
        return p.amount_received > 0 &&
               p.amount_refunded >= (t->amount > 0 ? t->amount : p.amount_received);
    return p.status == wanted;
}

/* Voiding a pre-authorisation the gateway does not know, or one already cancelled, is success. */
static int run_void_preauth(compensation_worker_t *w, const compensation_command_t *t, char *error,
                            size_t size)
{
    char key[160];
    idempotency_key(t, key, sizeof key);
    pay_payment_t out = {0};
    pay_error_t err = {0};
    pay_err_t e = payment_void(w->cfg.payment, t->payment_auth_id, key, &out, &err);
    if (e == PAY_OK || e == PAY_ERR_NOT_FOUND)
        return 0;
    if (e == PAY_ERR_STATE && payment_already(w, t, PAY_STATUS_CANCELED))
        return 0;
    return pay_failed(e, &err, error, size);
}

static int run_refund(compensation_worker_t *w, const compensation_command_t *t, char *error,
                      size_t size)
{
    char key[160];
    idempotency_key(t, key, sizeof key);
    pay_refund_t out = {0};
    pay_error_t err = {0};
    pay_err_t e = payment_refund(w->cfg.payment, t->payment_auth_id, t->amount, key, &out, &err);
    if (e == PAY_OK && out.status != PAY_REFUND_FAILED && out.status != PAY_REFUND_CANCELED)
        return 0;
    if (e == PAY_ERR_STATE && payment_already(w, t, PAY_STATUS_CAPTURED))
        return 0;
    if (e == PAY_OK) {
        snprintf(error, size, "refund %s", out.status == PAY_REFUND_FAILED ? "failed" : "canceled");
        return -1;
    }
    return pay_failed(e, &err, error, size);
}

static int run_retry_capture(compensation_worker_t *w, const compensation_command_t *t, char *error,
                             size_t size)
{
    char key[160];
    idempotency_key(t, key, sizeof key);
    pay_payment_t out = {0};
    pay_error_t err = {0};
    pay_err_t e = payment_capture(w->cfg.payment, t->payment_auth_id, t->amount, key, &out, &err);
    if (e == PAY_OK)
        return 0;
    if (e == PAY_ERR_STATE && payment_already(w, t, PAY_STATUS_CAPTURED))
        return 0;
    return pay_failed(e, &err, error, size);
}

/* ---------------------------------------------------------- scheduler -- */

/* Claims one due task for this worker (a lease) and reads it into t.
 * 1 claimed, 0 none due, -1 database error. */
static int task_claim(db_t *db, int64_t *id, compensation_command_t *t)
{
    char owner[CRYPTO_UUID_LEN + 1];
    if (crypto_uuid_v4(owner) != 0)
        return -1;
    db_param_t p[] = {DB_STR(owner), DB_INT(COMPENSATION_LEASE_MS * 1000)};
    uint64_t affected = 0;
    if (db_exec(db,
                "UPDATE compensation_task SET locked_by = ?, "
                "locked_until = NOW(3) + INTERVAL ? MICROSECOND "
                "WHERE state = 'pending' AND next_attempt_at <= NOW(3) "
                "AND (locked_until IS NULL OR locked_until < NOW(3)) "
                "ORDER BY next_attempt_at, id LIMIT 1",
                p, 2, &affected, NULL) != DB_OK)
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
        copy_id(t->booking_id, sizeof t->booking_id, db_result_text(res, 0, 1));
        copy_id(t->action, sizeof t->action, db_result_text(res, 0, 2));
        copy_id(t->hotel_id, sizeof t->hotel_id, db_result_text(res, 0, 3));
        copy_id(t->hold_id, sizeof t->hold_id, db_result_text(res, 0, 4));
        copy_id(t->payment_auth_id, sizeof t->payment_auth_id, db_result_text(res, 0, 5));
        copy_id(t->reservation_id, sizeof t->reservation_id, db_result_text(res, 0, 6));
        if (db_result_int64(res, 0, 7, &t->amount) != 0)
            t->amount = 0;
        copy_id(t->currency, sizeof t->currency, db_result_text(res, 0, 8));
        copy_id(t->reason, sizeof t->reason, db_result_text(res, 0, 9));
        db_result_int64(res, 0, 10, &attempts);
        t->attempt = (int)attempts;
        rc = 1;
    }
    db_result_free(res);
    return rc;
}

struct json_object *compensation_stuck_alert_data(const compensation_command_t *t, int attempts,
                                                  const char *last_error)
{
    char message[512];
    snprintf(message, sizeof message, "compensation %s still failing after %d attempts", t->action,
             attempts);
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "alert", json_object_new_string("compensation.stuck"));
    json_object_object_add(data, "severity", json_object_new_string("critical"));
    json_object_object_add(data, "message", json_object_new_string(message));
    json_object_object_add(data, "bookingId", json_object_new_string(t->booking_id));
    json_object_object_add(data, "action", json_object_new_string(t->action));
    json_object_object_add(data, "attempts", json_object_new_int(attempts > 0 ? attempts : 1));
    if (last_error && *last_error)
        json_object_object_add(
            data, "lastError",
            json_object_new_string_len(last_error, (int)strnlen(last_error, 512)));
    if (t->hotel_id[0])
        json_object_object_add(data, "hotelId", json_object_new_string(t->hotel_id));
    return data;
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
        if (db_exec(db,
                    "UPDATE compensation_task SET state = 'done', done_at = NOW(3), "
                    "locked_by = NULL, locked_until = NULL, last_error = NULL WHERE id = ?",
                    p, 1, NULL, NULL) != DB_OK)
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
    if (db_exec(db,
                "UPDATE compensation_task SET attempts = attempts + 1, "
                "next_attempt_at = NOW(3) + INTERVAL ? MICROSECOND, last_error = LEFT(?, 512), "
                "locked_by = NULL, locked_until = NULL WHERE id = ?",
                p, 3, NULL, NULL) != DB_OK)
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

/* Claims and runs one due task. 1 ran one, 0 none due, -1 database error. */
static int worker_run_one(compensation_worker_t *w, db_t *db)
{
    int64_t id = 0;
    compensation_command_t t;
    int claimed = task_claim(db, &id, &t);
    if (claimed <= 0)
        return claimed;
    char error[COMPENSATION_ERROR_MAX] = "";
    if (capture_superseded(db, &t)) {
        log_kv(LOG_LEVEL_WARN, "retry_capture dropped: the booking was cancelled meanwhile",
               "bookingId", t.booking_id, NULL);
        task_finish(w, db, id, &t, true, "");
        return 1;
    }
    const struct action_def *a = action_find(t.action);
    int rc = a ? a->run(w, &t, error, sizeof error) : -1;
    if (!a)
        snprintf(error, sizeof error, "unknown action");
    if (rc == 0 && w->cfg.on_done &&
        w->cfg.on_done(w->cfg.on_done_ctx, db, t.booking_id, t.action) != 0) {
        snprintf(error, sizeof error, "the booking could not be updated after the %s", t.action);
        rc = -1;
    }
    task_finish(w, db, id, &t, rc == 0, error);
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
            worker_wait(w, COMPENSATION_SCAN_INTERVAL_MS);
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
    cloudevent_t *ev = cloudevent_parse(m->value, m->len, err, sizeof err);
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
    w->pending_gauge =
        metrics_gauge("compensations_pending", "Compensations requested and not yet done", 0);
    w->attempts_total =
        metrics_counter("compensation_attempts_total", "Compensation runs by action and outcome", 2,
                        "action", "outcome");
    w->stuck_total = metrics_counter("compensation_stuck_total",
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
