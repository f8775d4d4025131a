/*
 * bookings_api.c — reading and cancelling a booking (see bookings_api.h).
 */
#include "bookings_api.h"

#include <stdio.h>
#include <string.h>

#include "checkout.h"
#include "common/auth.h"
#include "common/http_audit.h"
#include "common/log.h"
#include "compensation.h"
#include "inventory_client.h"
#include "outbox.h"
#include "saga.h"
#include "store.h"

static struct json_object *str_or_null(const char *s)
{
    return s && *s ? json_object_new_string(s) : NULL;
}

struct json_object *bookings_json(const booking_record_t *rec, struct json_object *steps)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "bookingId", json_object_new_string(rec->booking_id));
    json_object_object_add(o, "status", json_object_new_string(rec->status));
    json_object_object_add(o, "vendor", json_object_new_string(rec->vendor));
    json_object_object_add(o, "hotelId", json_object_new_string(rec->hotel_id));
    json_object_object_add(o, "roomTypeId", json_object_new_string(rec->room_type_id));
    json_object_object_add(o, "checkIn", json_object_new_string(rec->check_in_text));
    json_object_object_add(o, "checkOut", json_object_new_string(rec->check_out_text));
    json_object_object_add(o, "adults", json_object_new_int(rec->adults));
    json_object_object_add(o, "children", json_object_new_int(rec->children));
    json_object_object_add(o, "amount", json_object_new_int64(rec->amount));
    json_object_object_add(o, "currency", json_object_new_string(rec->currency));
    json_object_object_add(o, "confirmationNumber", str_or_null(rec->confirmation_number));
    json_object_object_add(o, "errorCode", str_or_null(rec->error_code));
    if (rec->error_message[0])
        json_object_object_add(o, "error", json_object_new_string(rec->error_message));
    if (rec->payment_status[0])
        json_object_object_add(o, "paymentStatus", json_object_new_string(rec->payment_status));
    if (rec->saga_state[0])
        json_object_object_add(o, "sagaState", json_object_new_string(rec->saga_state));
    json_object_object_add(o, "createdAt", json_object_new_string(rec->created_at));
    json_object_object_add(o, "updatedAt", json_object_new_string(rec->updated_at));
    if (steps)
        json_object_object_add(o, "steps", json_object_get(steps));
    return o;
}

static int respond_not_found(http_request_t *req)
{
    return http_respond_error(req, 404, "NOT_FOUND", "bookingId",
                              "예약을 찾을 수 없습니다 (no such booking)");
}

/* Loads the booking named by the path when the caller may act on it with
 * staff role `staff_role` (or holds its token): 0, or answered (404/500)
 * already. A booking the caller may not see is 404 like a missing one. */
static int load_from_path(http_request_t *req, booking_app_t *app, auth_role_t staff_role,
                          booking_record_t *rec, struct json_object **steps)
{
    const char *id = http_request_param(req, "bookingId");
    if (!id || strlen(id) < 1 || strlen(id) >= BOOKING_ID_MAX) {
        respond_not_found(req);
        return -1;
    }
    db_t *db = db_pool_acquire(app->db);
    int rc = store_booking_load(db, id, rec);
    if (rc == 0 && !auth_principal_may_access_booking(http_request_principal(req), staff_role,
                                                      rec->hotel_id, rec->token_hash))
        rc = 1;
    if (rc == 0 && steps)
        *steps = store_steps_json(db, id);
    db_pool_release(app->db, db);
    if (rc == 1) {
        respond_not_found(req);
        return -1;
    }
    if (rc != 0 || (steps && !*steps)) {
        http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "내부 오류 (internal error)");
        return -1;
    }
    return 0;
}

int bookings_get(http_request_t *req, void *ctx)
{
    booking_record_t rec;
    struct json_object *steps = NULL;
    if (load_from_path(req, ctx, AUTH_ROLE_VIEWER, &rec, &steps) != 0) {
        json_object_put(steps);
        return 0;
    }
    struct json_object *o = bookings_json(&rec, steps);
    json_object_put(steps);
    http_respond_json(req, 200, o);
    json_object_put(o);
    return 0;
}

/* ------------------------------------------------------------- cancel -- */

/* One step row (+ optional event and booking row) in one transaction, while
 * owner holds the saga's lease. 0 or -1. */
static int cancel_record(booking_app_t *app, const booking_record_t *rec, const char *owner,
                         const char *step, const char *outcome, const char *detail,
                         bool update_booking, struct json_object *event)
{
    db_t *db = db_pool_acquire(app->db);
    int rc = -1;
    if (db_begin(db) == DB_OK) {
        if (store_lease_renew(db, rec->booking_id, owner, app->saga_lease_s) == 1 &&
            (!update_booking || store_booking_update(db, rec) == 0) &&
            store_step(db, rec->booking_id, step, outcome, detail) == 0 &&
            (!event || outbox_append(db, BOOKING_EVENTS_TOPIC, rec->booking_id,
                                     "lodging.booking.cancelled", event, NULL) == 0) &&
            db_commit(db) == DB_OK)
            rc = 0;
        else
            db_rollback(db);
    }
    db_pool_release(app->db, db);
    if (rc == 0 && event)
        outbox_relay_kick(app->relay);
    return rc;
}

/* Refund a captured payment or void an authorised one; a failure is handed
 * to the compensation worker. Returns the action taken or requested. */
static const char *cancel_payment(booking_app_t *app, booking_record_t *rec, const char *owner,
                                  bool *refunded)
{
    bool captured = strcmp(rec->payment_status, "captured") == 0;
    const char *action = captured ? "refund" : "void_preauth";
    /* the worker's key for the same action ("<bookingId>:<action>"): when a
     * PMS-side cancel of the same booking requests it too, the gateway
     * replays one refund instead of making two */
    char key[BOOKING_ID_MAX + 24];
    snprintf(key, sizeof key, "%s:%s", rec->booking_id, action);
    pay_error_t e;
    pay_err_t pe;
    if (captured) {
        pay_refund_t rf;
        pe = payment_refund(app->pay, rec->payment_auth_id, 0, key, &rf, &e);
    } else {
        pay_payment_t p;
        pe = payment_void(app->pay, rec->payment_auth_id, key, &p, &e);
    }
    if (pe == PAY_OK) {
        snprintf(rec->payment_status, sizeof rec->payment_status, "%s",
                 captured ? "refunded" : "voided");
        *refunded = captured;
        cancel_record(app, rec, owner, action, "succeeded", "booking cancelled", true, NULL);
        return action;
    }
    /* the worker finishes it; the booking is cancelled either way */
    db_t *db = db_pool_acquire(app->db);
    if (db_begin(db) == DB_OK) {
        if (compensation_request(db, rec->booking_id, action, rec->hotel_id, NULL,
                                 rec->payment_auth_id, rec->reservation_id, rec->amount,
                                 rec->currency, pay_err_name(pe), 1) == 0 &&
            db_commit(db) == DB_OK)
            outbox_relay_kick(app->relay);
        else
            db_rollback(db);
    }
    db_pool_release(app->db, db);
    return action;
}

/* Cancels a confirmed booking whose lease `owner` holds: the PMS first (the
 * ledger of record), then the money, then the cache. 0, or -1 when the PMS
 * refused (answered already). */
static int cancel_confirmed(http_request_t *req, booking_app_t *app, booking_record_t *rec,
                            const char *owner, const char *why)
{
    if (cancel_record(app, rec, owner, "cancel_reservation", "started", NULL, false, NULL) != 0) {
        http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "내부 오류 (internal error)");
        return -1;
    }
    pms_error_t e;
    pms_err_t pe = pms_cancel_reservation(
        app->pms, rec->hotel_id, rec->reservation_id[0] ? rec->reservation_id : rec->hold_id, &e);
    if (pe != PMS_OK) {
        char msg[BOOKING_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "PMS 예약 취소 실패 (the PMS did not cancel: %s)",
                 e.message[0] ? e.message : pms_err_name(pe));
        cancel_record(app, rec, owner, "cancel_reservation", "failed", msg, false, NULL);
        http_respond_error(req, pms_err_retryable(pe) ? 503 : 409,
                           pms_err_retryable(pe) ? "PMS_UNAVAILABLE" : "BOOKING_NOT_CANCELLABLE",
                           NULL, msg);
        return -1;
    }
    bool refunded = false;
    if (rec->payment_auth_id[0] && strcmp(rec->payment_status, "refunded") != 0 &&
        strcmp(rec->payment_status, "voided") != 0)
        cancel_payment(app, rec, owner, &refunded);
    snprintf(rec->status, sizeof rec->status, "cancelled");
    struct json_object *ev = saga_event_data(rec);
    json_object_object_add(ev, "refunded", json_object_new_boolean(refunded));
    int rc = cancel_record(app, rec, owner, "cancel_reservation", "succeeded", why, true, ev);
    json_object_put(ev);
    if (rc != 0) {
        http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "내부 오류 (internal error)");
        return -1;
    }
    inventory_client_adjust(app->inventory, "increment", rec); /* best effort, logged */
    return 0;
}

/* Re-reads the booking under the lease (a PMS-side cancel may have won the
 * race) and cancels it when still confirmed. 0, or -1 when answered. */
static int booking_reload_and_cancel(http_request_t *req, booking_app_t *app, booking_record_t *rec,
                                     const char *owner, const char *why)
{
    char id[BOOKING_ID_MAX];
    snprintf(id, sizeof id, "%s", rec->booking_id); /* the load clears *rec first */
    db_t *db = db_pool_acquire(app->db);
    int rc = store_booking_load(db, id, rec);
    db_pool_release(app->db, db);
    if (rc != 0) {
        http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "내부 오류 (internal error)");
        return -1;
    }
    if (strcmp(rec->status, "cancelled") == 0)
        return 0;
    return cancel_confirmed(req, app, rec, owner, why);
}

/* Cancels a loaded booking (the caller was allowed to) and answers it.
 * why is the saga step's detail. Returns 0 (answered). */
static int cancel_loaded(http_request_t *req, booking_app_t *app, booking_record_t *rec,
                         const char *why)
{
    const auth_principal_t *caller = http_request_principal(req);
    if (strcmp(rec->status, "confirmed") != 0 && strcmp(rec->status, "cancelled") != 0)
        return http_respond_error(req, 409, "BOOKING_NOT_CANCELLABLE", NULL,
                                  "확정된 예약만 취소할 수 있습니다 (only a confirmed booking can "
                                  "be cancelled)");
    if (strcmp(rec->status, "confirmed") == 0) {
        char reason[256];
        if (checkout_degraded(app, rec->hotel_id, reason, sizeof reason)) {
            char msg[384];
            snprintf(msg, sizeof msg, "Degraded Mode: 현재 예약이 불가능합니다. (%s)", reason);
            return http_respond_error(req, 503, "DEGRADED_MODE", NULL, msg);
        }
        char owner[96];
        saga_new_owner(app, owner, sizeof owner);
        db_t *db = db_pool_acquire(app->db);
        int taken = store_lease_take(db, rec->booking_id, owner, app->saga_lease_s);
        db_pool_release(app->db, db);
        if (taken != 1)
            return http_respond_error(req, 409, "BOOKING_NOT_CANCELLABLE", NULL,
                                      "예약이 처리 중입니다 (the booking is being changed; retry "
                                      "later)");
        int rc = booking_reload_and_cancel(req, app, rec, owner, why);
        db = db_pool_acquire(app->db);
        store_lease_release(db, rec->booking_id, owner);
        if (rc == 0 && auth_principal_is_staff(caller))
            http_audit(db, req, "booking.cancel", rec->hotel_id, rec->booking_id, NULL);
        db_pool_release(app->db, db);
        if (rc != 0)
            return 0;
    }
    struct json_object *steps = NULL;
    char id[BOOKING_ID_MAX];
    snprintf(id, sizeof id, "%s", rec->booking_id);
    db_t *db = db_pool_acquire(app->db);
    store_booking_load(db, id, rec);
    steps = store_steps_json(db, id);
    db_pool_release(app->db, db);
    struct json_object *o = bookings_json(rec, steps);
    json_object_put(steps);
    http_respond_json(req, 200, o);
    json_object_put(o);
    return 0;
}

int bookings_cancel(http_request_t *req, void *ctx)
{
    booking_app_t *app = ctx;
    booking_record_t rec;
    const auth_principal_t *caller = http_request_principal(req);
    if (auth_principal_is_staff(caller) && !auth_principal_has_role(caller, AUTH_ROLE_OPERATOR))
        return http_respond_error(req, 403, "FORBIDDEN", NULL,
                                  "cancelling a booking needs the operator role");
    if (load_from_path(req, app, AUTH_ROLE_OPERATOR, &rec, NULL) != 0)
        return 0;
    return cancel_loaded(req, app, &rec,
                         auth_principal_is_staff(caller) ? "cancelled by staff"
                                                         : "cancelled at the guest's request");
}

int bookings_cancel_internal(http_request_t *req, void *ctx)
{
    booking_app_t *app = ctx;
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const char *reason = NULL;
    json_error_t err;
    if (json_get_text(body, "reason", true, 1, 255, &reason, &err) != 0) {
        json_object_put(body);
        return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    }
    char why[BOOKING_MESSAGE_MAX];
    snprintf(why, sizeof why, "cancelled by an operator: %s", reason);
    json_object_put(body);
    const char *id = http_request_param(req, "bookingId");
    booking_record_t rec;
    db_t *db = db_pool_acquire(app->db);
    int rc = id && strlen(id) < BOOKING_ID_MAX ? store_booking_load(db, id, &rec) : 1;
    db_pool_release(app->db, db);
    if (rc == 1)
        return respond_not_found(req);
    if (rc != 0)
        return http_respond_error(req, 500, "INTERNAL_ERROR", NULL, "내부 오류 (internal error)");
    return cancel_loaded(req, app, &rec, why);
}
