/*
 * saga_compensation.c — the end of a checkout saga: capture (with one retry)
 * and finish, or fail and compensate in reverse: cancel the
 * reservation or release the hold, then void the pre-authorisation (refund
 * when the money had moved after all). Every action is logged
 * (compensating → compensated); one that cannot complete now is handed to the
 * compensation worker (compensation_request) and reported back through
 * saga_compensation_done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "compensation.h"
#include "inventory_client.h"
#include "outbox.h"
#include "payment_route.h"
#include "saga_internal.h"

#define HOLD_DOUBT_MARGIN_S 5

/* ------------------------------------------------------------ helpers -- */

/* Hands an action to the worker: compensation_request in a transaction with
 * the booking row. 0, or -1 (then the saga stays compensating and recovery
 * tries again). */
static int request_later(saga_run_t *run, const char *action, const char *reason)
{
    booking_record_t *rec = &run->rec;
    db_t *db = db_pool_acquire(run->app->db);
    if (!db)
        return -1;
    int rc = -1;
    if (db_begin(db) == DB_OK) {
        if (store_booking_update(db, rec) == 0 &&
            compensation_request(db, rec->booking_id, action, rec->hotel_id,
                                 rec->hold_id[0] ? rec->hold_id : NULL,
                                 rec->payment_auth_id[0] ? rec->payment_auth_id : NULL,
                                 rec->reservation_id[0] ? rec->reservation_id : rec->hold_id,
                                 rec->amount, rec->currency, reason, 1) == 0 &&
            db_commit(db) == DB_OK)
            rc = 0;
        else
            db_rollback(db);
    }
    db_pool_release(run->app->db, db);
    if (rc == 0)
        outbox_relay_kick(run->app->relay);
    else
        log_kv(LOG_LEVEL_ERROR, "could not hand a compensation to the worker", "bookingId",
               rec->booking_id, "action", action, NULL);
    return rc;
}

static int comp_log(saga_run_t *run, const char *action, const char *outcome, const char *detail)
{
    return saga_record(run, action, outcome, detail, true, "compensating", NULL);
}

/* ------------------------------------------------------- PMS side -- */

/* A hold request in doubt may still take effect at the PMS; any hold it makes
 * lapses BOOKING_HOLD_TTL_S after the booking began, so until then (plus a
 * margin) "not found" is not yet an answer. */
static bool hold_may_still_appear(const saga_run_t *run)
{
    if (!run->flags.hold_in_doubt)
        return false;
    int64_t until =
        run->rec.created_ms + ((int64_t)run->app->hold_ttl_s + HOLD_DOUBT_MARGIN_S) * 1000;
    return clock_wall_ms() < until;
}

/* Release the hold / cancel the reservation. 0 done or handed over, 1 later. */
static int compensate_pms(saga_run_t *run, size_t *pending)
{
    booking_record_t *rec = &run->rec;
    if (!rec->hold_id[0]) {
        if (!run->flags.hold_started)
            return 0;
        /* the hold id was never recorded: find the hold by our reference */
        pms_reservation_t res;
        pms_error_t e;
        pms_err_t pe = pms_find_reservation(run->app->pms, rec->hotel_id, rec->booking_id,
                                            rec->check_in, &res, &e);
        if (pe == PMS_ERR_NOT_FOUND)
            return hold_may_still_appear(run) ? 1 : 0;
        if (pe != PMS_OK)
            return 1;
        snprintf(rec->hold_id, sizeof rec->hold_id, "%s", res.reservation_id);
    }
    bool confirmed = run->flags.confirm_started || rec->reservation_id[0];
    const char *action = confirmed ? "cancel_reservation" : "release_hold";
    if (comp_log(run, action, "compensating", rec->hold_id) != 0)
        return 1;
    pms_error_t e;
    pms_err_t pe = confirmed ? pms_cancel_reservation(
                                   run->app->pms, rec->hotel_id,
                                   rec->reservation_id[0] ? rec->reservation_id : rec->hold_id, &e)
                             : pms_release_hold(run->app->pms, rec->hotel_id, rec->hold_id, &e);
    if (pe == PMS_OK || pe == PMS_ERR_NOT_FOUND) {
        saga_hold_record_del(run);
        saga_count_hold(confirmed ? "cancelled" : "released");
        /* the rooms are free again: a cached count taken while they were held
         * must not tell the next guest "sold out" (best effort, logged) */
        inventory_client_adjust(run->app->inventory, "invalidate", rec);
        return comp_log(run, action, "compensated", NULL) == 0 ? 0 : 1;
    }
    char reason[BOOKING_MESSAGE_MAX];
    snprintf(reason, sizeof reason, "%s: %s", pms_err_name(pe), e.message);
    if (request_later(run, action, reason) != 0)
        return 1;
    (*pending)++;
    return 0;
}

/* ---------------------------------------------------- payment side -- */

/* A Toss approval whose paymentKey was never recorded: the checkout's own
 * request replays it (the connector looks the payment up before it
 * approves; an approval already made is found, not made again); without
 * the request (recovery, long after the call) Toss is asked what it has
 * under our orderId. 0 known (or surely none: *none), 1 later. */
static int find_toss_approval(saga_run_t *run, bool *none)
{
    booking_record_t *rec = &run->rec;
    pay_payment_t p;
    pay_error_t e;
    pay_err_t pe;
    if (run->rq) {
        char key[BOOKING_ID_MAX + 16];
        snprintf(key, sizeof key, "%s:preauth", rec->booking_id);
        pay_preauth_request_t pr = saga_preauth_request(run, key);
        pe = payment_preauthorize(saga_pay(run), &pr, &p, &e);
        if (pe != PAY_OK && (pay_err_is_decline(pe) || pe == PAY_ERR_INVALID_REQUEST ||
                             pe == PAY_ERR_STATE)) {
            *none = true; /* refused, expired, or never approvable: nothing was approved */
            return 0;
        }
    } else {
        pe = payment_find_by_order(saga_pay(run), rec->payment_order_id, &p, &e);
        if (pe == PAY_ERR_NOT_FOUND ||
            (pe == PAY_OK && p.status != PAY_STATUS_AUTHORIZED &&
             p.status != PAY_STATUS_CAPTURED)) {
            *none = true; /* nothing, or not approved (expired, aborted, cancelled) */
            return 0;
        }
    }
    if (pe != PAY_OK)
        return 1;
    snprintf(rec->payment_auth_id, sizeof rec->payment_auth_id, "%s", p.id);
    snprintf(rec->payment_status, sizeof rec->payment_status, "authorized");
    return 0;
}

/* The authorisation made under "<bookingId>:preauth" when its id was never
 * recorded: the gateway replays the first answer for the same key and body.
 * 0 known (or surely none: *none), 1 later. */
static int find_authorisation(saga_run_t *run, bool *none)
{
    booking_record_t *rec = &run->rec;
    *none = false;
    if (payment_connector_approves(saga_pay(run)))
        return find_toss_approval(run, none);
    if (!run->card_token) {
        log_kv(LOG_LEVEL_ERROR, "pre-authorisation id unknown and no card token to replay it",
               "bookingId", rec->booking_id, NULL);
        *none = true; /* nothing we can void; an authorisation lapses by itself */
        return 0;
    }
    char key[BOOKING_ID_MAX + 16];
    snprintf(key, sizeof key, "%s:preauth", rec->booking_id);
    pay_preauth_request_t pr = saga_preauth_request(run, key);
    pay_payment_t auth;
    pay_error_t e;
    pay_err_t pe = payment_preauthorize(saga_pay(run), &pr, &auth, &e);
    if (pe == PAY_OK) {
        snprintf(rec->payment_auth_id, sizeof rec->payment_auth_id, "%s", auth.id);
        snprintf(rec->payment_status, sizeof rec->payment_status, "authorized");
        return 0;
    }
    if (pay_err_is_decline(pe) || pe == PAY_ERR_INVALID_REQUEST) {
        *none = true; /* declined or refused: no authorisation exists */
        return 0;
    }
    return 1; /* unknown yet (gateway down, the first request still running) */
}

static int refund_payment(saga_run_t *run, size_t *pending)
{
    booking_record_t *rec = &run->rec;
    if (comp_log(run, "refund", "compensating", rec->payment_auth_id) != 0)
        return 1;
    char key[BOOKING_ID_MAX + 16];
    snprintf(key, sizeof key, "%s:refund", rec->booking_id);
    pay_refund_t rf;
    pay_error_t e;
    pay_err_t pe = payment_refund(saga_pay(run), rec->payment_auth_id, 0, key, &rf, &e);
    if (pe == PAY_OK) {
        snprintf(rec->payment_status, sizeof rec->payment_status, "refunded");
        return comp_log(run, "refund", "compensated", NULL) == 0 ? 0 : 1;
    }
    if (request_later(run, "refund", pay_err_name(pe)) != 0)
        return 1;
    (*pending)++;
    return 0;
}

/* Void the pre-authorisation (refund when it was captured after all). */
static int compensate_payment(saga_run_t *run, size_t *pending)
{
    booking_record_t *rec = &run->rec;
    if (!rec->payment_auth_id[0]) {
        if (!run->flags.preauth_started)
            return 0;
        bool none;
        if (find_authorisation(run, &none) != 0)
            return 1;
        if (none)
            return 0;
    }
    if (strcmp(rec->payment_status, "voided") == 0 || strcmp(rec->payment_status, "refunded") == 0)
        return 0;
    if (comp_log(run, "void_preauth", "compensating", rec->payment_auth_id) != 0)
        return 1;
    char key[BOOKING_ID_MAX + 16];
    snprintf(key, sizeof key, "%s:void_preauth", rec->booking_id);
    pay_payment_t p;
    pay_error_t e;
    pay_err_t pe = payment_void(saga_pay(run), rec->payment_auth_id, key, &p, &e);
    if (pe == PAY_ERR_STATE || pe == PAY_ERR_IDEMPOTENCY) {
        /* not voidable: already cancelled, or captured (Toss: acquired) after all */
        pay_err_t ge = payment_get(saga_pay(run), rec->payment_auth_id, &p, &e);
        if (ge == PAY_OK && p.status == PAY_STATUS_CAPTURED) {
            snprintf(rec->payment_status, sizeof rec->payment_status, "captured");
            comp_log(run, "void_preauth", "compensated", "captured after all: refunding");
            return refund_payment(run, pending);
        }
        pe = (ge == PAY_OK && (p.status == PAY_STATUS_CANCELED || p.status == PAY_STATUS_FAILED))
                 ? PAY_OK
                 : (ge == PAY_OK ? pe : ge);
    }
    if (pe == PAY_OK || pe == PAY_ERR_NOT_FOUND) {
        snprintf(rec->payment_status, sizeof rec->payment_status, "voided");
        return comp_log(run, "void_preauth", "compensated", NULL) == 0 ? 0 : 1;
    }
    if (request_later(run, "void_preauth", pay_err_name(pe)) != 0)
        return 1;
    (*pending)++;
    return 0;
}

int saga_compensate(saga_run_t *run, size_t *pending)
{
    *pending = 0;
    if (compensate_pms(run, pending) != 0)
        return 1;
    return compensate_payment(run, pending);
}

/* ------------------------------------------------------------ the end -- */

/* The compensations that completed, as the schema names them. */
static struct json_object *done_list(const store_compensations_t *c)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < c->done_count; i++)
        if (strcmp(c->done[i], "release_hold") == 0 || strcmp(c->done[i], "void_preauth") == 0 ||
            strcmp(c->done[i], "cancel_reservation") == 0 || strcmp(c->done[i], "refund") == 0)
            json_object_array_add(arr, json_object_new_string(c->done[i]));
    return arr;
}

struct json_object *saga_payment_returned(const booking_record_t *rec)
{
    bool voided = strcmp(rec->payment_status, "voided") == 0;
    bool refunded = strcmp(rec->payment_status, "refunded") == 0;
    if (!rec->payment_auth_id[0] || (!voided && !refunded))
        return NULL;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "kind", json_object_new_string(voided ? "void" : "refund"));
    json_object_object_add(o, "amount", json_object_new_int64(rec->amount));
    json_object_object_add(o, "currency", json_object_new_string(rec->currency));
    return o;
}

/* booking.compensated with the actions done, in tx. */
static int append_compensated(db_t *db, const booking_record_t *rec)
{
    store_compensations_t c;
    if (store_compensations(db, rec->booking_id, &c) != 0)
        return -1;
    struct json_object *extra = json_object_new_object();
    json_object_object_add(extra, "compensations", done_list(&c));
    struct json_object *returned = saga_payment_returned(rec);
    if (returned)
        json_object_object_add(extra, "paymentReturned", returned);
    int rc = saga_append_event(db, rec, "compensated", extra);
    json_object_put(extra);
    return rc;
}

/* Writes the failed end state: booking failed, saga failed or
 * compensation_pending, booking.failed (+ booking.compensated). */
static int write_failed(saga_run_t *run, size_t pending)
{
    booking_record_t *rec = &run->rec;
    snprintf(rec->status, sizeof rec->status, "failed");
    db_t *db = db_pool_acquire(run->app->db);
    if (!db)
        return -1;
    int rc = -1;
    if (db_begin(db) == DB_OK) {
        store_compensations_t c = {0};
        bool ok = store_lease_renew(db, rec->booking_id, run->owner, run->app->saga_lease_s) == 1 &&
                  store_booking_update(db, rec) == 0 &&
                  store_saga_set(db, rec->booking_id, pending ? "compensation_pending" : "failed",
                                 NULL) == 0 &&
                  store_saga_clear_data(db, rec->booking_id) == 0 &&
                  saga_append_event(db, rec, "failed", NULL) == 0 &&
                  store_compensations(db, rec->booking_id, &c) == 0;
        if (ok && pending == 0 && c.done_count > 0)
            ok = append_compensated(db, rec) == 0;
        if (ok && db_commit(db) == DB_OK)
            rc = 0;
        else
            db_rollback(db);
    }
    db_pool_release(run->app->db, db);
    if (rc == 0)
        outbox_relay_kick(run->app->relay);
    return rc;
}

void saga_fail(saga_run_t *run, const char *code, const char *message)
{
    booking_record_t *rec = &run->rec;
    saga_result_t *out = run->out;
    /* Recovery passes the booking's own stored reason (rec->error_code,
     * rec->error_message) back in: copy through the result first, because a
     * string printed onto itself comes out empty and the reason was lost. */
    out->success = false;
    if (code != out->error_code)
        snprintf(out->error_code, sizeof out->error_code, "%s", code);
    if (message != out->message)
        snprintf(out->message, sizeof out->message, "%s", message);
    snprintf(rec->error_code, sizeof rec->error_code, "%s", out->error_code);
    snprintf(rec->error_message, sizeof rec->error_message, "%s", out->message);
    code = out->error_code;
    if (run->lease_lost)
        return;
    size_t pending = 0;
    if (saga_compensate(run, &pending) != 0 || write_failed(run, pending) != 0) {
        /* the state stays compensating: recovery picks it up after the lease */
        out->retry_later = true;
        log_kv(LOG_LEVEL_WARN, "compensation not finished; recovery will continue it", "bookingId",
               rec->booking_id, NULL);
        db_t *db = db_pool_acquire(run->app->db);
        if (db) {
            if (store_booking_update(db, rec) == 0)
                store_saga_set(db, rec->booking_id, "compensating", NULL);
            db_pool_release(run->app->db, db);
        }
    }
    saga_count_outcome(code);
}

/* Cache decrement (best effort, logged) and the completed state. */
static int finish_confirmed(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    if (saga_step_start(run, "inventory_decrement") != 0)
        return -1;
    int64_t t0 = clock_now_ms();
    int adj = inventory_client_adjust(run->app->inventory, "decrement", rec);
    saga_observe_step("inventory_decrement", t0);
    snprintf(rec->status, sizeof rec->status, "confirmed");
    /* the answer first: the last write stores it for the Idempotency-Key,
     * with the completed state, the cleared saga data and the lease's end */
    run->out->success = true;
    snprintf(run->out->booking_id, sizeof run->out->booking_id, "%s", rec->booking_id);
    snprintf(run->out->confirmation_number, sizeof run->out->confirmation_number, "%s",
             rec->confirmation_number);
    if (saga_record_next(run, "inventory_decrement", adj == 0 ? "succeeded" : "failed",
                         adj == 0 ? NULL : "inventory-svc did not take the decrement (best effort)",
                         true, "completed", NULL, NULL, true) != 0) {
        run->out->success = false;
        return -1;
    }
    saga_count_outcome("OK");
    return 0;
}

static pay_err_t capture_once(saga_run_t *run, const char *step, pay_error_t *e)
{
    booking_record_t *rec = &run->rec;
    char key[BOOKING_ID_MAX + 16];
    snprintf(key, sizeof key, "%s:capture", rec->booking_id);
    pay_payment_t p;
    int64_t t0 = clock_now_ms();
    pay_err_t pe = payment_capture(saga_pay(run), rec->payment_auth_id, rec->amount, key, &p, e);
    saga_observe_step(step, t0);
    saga_crash_point(run, step);
    /* Toss under automatic acquisition: Toss acquires the approval by itself
     * (the next day); reconciliation verifies it happened */
    if (pe == PAY_OK && p.capture_scheduled)
        run->capture_scheduled = true;
    return pe;
}

int saga_capture_and_finish(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    if (!run->flags.capture_succeeded) {
        if (saga_step_start(run, "capture") != 0)
            return -1;
        run->flags.capture_started = true;
        pay_error_t e;
        pay_err_t pe = capture_once(run, "capture", &e);
        if (pe != PAY_OK) {
            saga_record(run, "capture", "failed", pay_err_name(pe), false, NULL, NULL);
            if (pay_err_retryable(pe) || pe == PAY_ERR_IDEMPOTENCY ||
                pe == PAY_ERR_PROTOCOL) { /* one retry before compensating */
                if (saga_record(run, "retry_capture", "started", NULL, false, NULL, NULL) != 0)
                    return -1;
                pe = capture_once(run, "retry_capture", &e);
                saga_record(run, "retry_capture", pe == PAY_OK ? "succeeded" : "failed",
                            pay_err_name(pe), false, NULL, NULL);
            }
        }
        if (pe != PAY_OK) {
            char msg[BOOKING_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "결제 매입 실패 (payment capture failed: %s)",
                     e.message[0] ? e.message : pay_err_name(pe));
            snprintf(rec->payment_status, sizeof rec->payment_status, "capture_failed");
            saga_fail(run, "PAYMENT_CAPTURE_FAILED", msg);
            return -1;
        }
        snprintf(rec->payment_status, sizeof rec->payment_status, "%s",
                 run->capture_scheduled ? "capture_scheduled" : "captured");
        run->flags.capture_succeeded = true;
        if (saga_record_next(run, "capture", "succeeded", NULL, true, NULL, "captured",
                             "inventory_decrement", false) != 0)
            return -1;
    }
    return finish_confirmed(run);
}

/* --------------------------------------------- worker's report back -- */

int saga_compensation_done(void *ctx, db_t *db, const char *booking_id, const char *action)
{
    booking_app_t *app = ctx;
    booking_record_t rec;
    if (db_begin(db) != DB_OK)
        return -1;
    int rc = store_booking_load(db, booking_id, &rec);
    if (rc != 0) {
        db_rollback(db);
        return rc == 1 ? 0 : -1; /* unknown booking: nothing to record */
    }
    booking_payment_t bp;
    if (booking_payment_load(db, booking_id, &bp) == 0)
        snprintf(rec.payment_provider, sizeof rec.payment_provider, "%s", bp.provider);
    if (strcmp(action, "void_preauth") == 0)
        snprintf(rec.payment_status, sizeof rec.payment_status, "voided");
    else if (strcmp(action, "refund") == 0)
        snprintf(rec.payment_status, sizeof rec.payment_status, "refunded");
    else if (strcmp(action, "retry_capture") == 0)
        snprintf(rec.payment_status, sizeof rec.payment_status, "captured");
    store_compensations_t c;
    bool ok = store_step(db, booking_id, action, "compensated", "completed by the worker") == 0 &&
              store_booking_update(db, &rec) == 0 && store_compensations(db, booking_id, &c) == 0;
    if (ok && c.pending_count == 0 && strcmp(rec.saga_state, "compensation_pending") == 0)
        ok = store_saga_set(db, booking_id, "failed", NULL) == 0 &&
             append_compensated(db, &rec) == 0;
    if (!ok || db_commit(db) != DB_OK) {
        db_rollback(db);
        return -1;
    }
    if (app)
        outbox_relay_kick(app->relay);
    /* as when the saga released it itself: the rooms are free again, so no
     * cached count taken while they were held may say "sold out" */
    if (app && (strcmp(action, "release_hold") == 0 || strcmp(action, "cancel_reservation") == 0))
        inventory_client_adjust(app->inventory, "invalidate", &rec);
    return 0;
}
