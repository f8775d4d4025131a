/*
 * bookings_api.c — reading and cancelling a booking (see bookings_api.h).
 */
#include "bookings_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cancel_policy.h"
#include "checkout.h"
#include "common/auth.h"
#include "common/http_audit.h"
#include "common/log.h"
#include "compensation.h"
#include "inventory_client.h"
#include "outbox.h"
#include "payment_route.h"
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
    if (rec->rate_plan_id[0])
        json_object_object_add(o, "ratePlanId", json_object_new_string(rec->rate_plan_id));
    json_object_object_add(o, "rooms", json_object_new_int(rec->rooms > 0 ? rec->rooms : 1));
    cancel_policy_t policy;
    if (rec->cancel_policy[0] && cancel_policy_parse(rec->cancel_policy, &policy) == 0) {
        char *text = cancel_policy_to_json(&policy, rec->check_in, rec->amount, rec->currency);
        struct json_object *p = text ? json_tokener_parse(text) : NULL;
        if (p)
            json_object_object_add(o, "cancellationPolicy", p);
        free(text);
    }
    if (rec->cancel_fee >= 0)
        json_object_object_add(o, "cancellationFee", json_object_new_int64(rec->cancel_fee));
    if (rec->refunded_amount >= 0)
        json_object_object_add(o, "refundedAmount", json_object_new_int64(rec->refunded_amount));
    json_object_object_add(o, "checkIn", json_object_new_string(rec->check_in_text));
    json_object_object_add(o, "checkOut", json_object_new_string(rec->check_out_text));
    json_object_object_add(o, "adults", json_object_new_int(rec->adults));
    json_object_object_add(o, "children", json_object_new_int(rec->children));
    json_object_object_add(o, "amount", json_object_new_int64(rec->amount));
    if (rec->tax_amount > 0)
        json_object_object_add(o, "taxAmount", json_object_new_int64(rec->tax_amount));
    if (rec->tax_free_amount >= 0)
        json_object_object_add(o, "taxFreeAmount", json_object_new_int64(rec->tax_free_amount));
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

/* The provider and what the guest paid with (never a key or card data). */
static void add_payment(booking_app_t *app, struct json_object *o, const char *booking_id)
{
    booking_payment_t bp;
    db_t *db = db_pool_acquire(app->db);
    if (db && booking_payment_load(db, booking_id, &bp) >= 0) {
        struct json_object *p = json_object_new_object();
        json_object_object_add(p, "provider", json_object_new_string(bp.provider));
        if (bp.method[0])
            json_object_object_add(p, "method", json_object_new_string(bp.method));
        if (bp.easy_pay[0])
            json_object_object_add(p, "easyPay", json_object_new_string(bp.easy_pay));
        json_object_object_add(o, "payment", p);
    }
    if (db)
        db_pool_release(app->db, db);
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
    add_payment(ctx, o, rec.booking_id);
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
            (!event || rec->cancel_fee < 0 || store_booking_set_refund(db, rec) == 0) &&
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

/* Returns `refund` of a captured payment (nothing when 0: the fee is all of
 * it) or voids an authorised one; a failure is handed to the compensation
 * worker. Returns the action taken or requested (NULL for none). */
static const char *cancel_payment(booking_app_t *app, booking_record_t *rec, const char *owner,
                                  int64_t refund, bool *refunded)
{
    booking_payment_t bp;
    db_t *pdb = db_pool_acquire(app->db);
    if (!pdb || booking_payment_load(pdb, rec->booking_id, &bp) < 0)
        snprintf(bp.provider, sizeof bp.provider, BOOKING_PROVIDER_STRIPE);
    if (pdb)
        db_pool_release(app->db, pdb);
    payment_connector_t *pay = booking_pay(app, bp.provider);
    if (!pay)
        pay = app->pay;
    /* Toss under automatic acquisition: the money was taken at the approval */
    bool captured = strcmp(rec->payment_status, "captured") == 0 ||
                    strcmp(rec->payment_status, "capture_scheduled") == 0;
    if (captured && refund <= 0)
        return NULL; /* the fee keeps everything */
    const char *action = captured ? "refund" : "void_preauth";
    /* the worker's key for the same action ("<bookingId>:<action>"): when a
     * PMS-side cancel of the same booking requests it too, the gateway
     * replays one refund instead of making two */
    char key[BOOKING_ID_MAX + 24];
    snprintf(key, sizeof key, "%s:%s", rec->booking_id, action);
    pay_error_t e;
    pay_err_t pe;
    if (!captured) {
        pay_payment_t p;
        pe = payment_void(pay, rec->payment_auth_id, key, &p, &e);
        /* Toss: an approval already acquired is returned by refund */
        if (pe == PAY_ERR_STATE && payment_connector_approves(pay)) {
            captured = true;
            action = "refund";
            snprintf(key, sizeof key, "%s:%s", rec->booking_id, action);
        }
    }
    if (captured) {
        pay_refund_t rf;
        /* a partial refund when the policy keeps a fee */
        pe = payment_refund(pay, rec->payment_auth_id, refund < rec->amount ? refund : 0, key, &rf,
                            &e);
    }
    if (pe == PAY_OK) {
        snprintf(rec->payment_status, sizeof rec->payment_status, "%s",
                 !captured ? "voided" : refund < rec->amount ? "partially_refunded" : "refunded");
        *refunded = captured;
        cancel_record(app, rec, owner, action, "succeeded", "booking cancelled", true, NULL);
        return action;
    }
    /* the worker finishes it; the booking is cancelled either way */
    db_t *db = db_pool_acquire(app->db);
    if (db_begin(db) == DB_OK) {
        if (compensation_request(db, rec->booking_id, action, rec->hotel_id, NULL,
                                 rec->payment_auth_id, rec->reservation_id,
                                 captured ? refund : rec->amount, rec->currency, pay_err_name(pe),
                                 1) == 0 &&
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
/* What a cancel may change in the hotel's terms: an operator's full refund. */
typedef struct cancel_terms {
    bool full_refund;
    const char *reason; /* the operator's, for the audit row */
} cancel_terms_t;

/* The fee and the refund of cancelling rec now under the policy the guest
 * was shown (and the platform's floor), into rec->cancel_fee and
 * rec->refunded_amount. */
static void cancel_quote(const booking_app_t *app, booking_record_t *rec,
                         const cancel_terms_t *terms)
{
    cancel_policy_t p;
    if (cancel_policy_parse(rec->cancel_policy, &p) != 0)
        log_kv(LOG_LEVEL_WARN, "stored cancellation policy unreadable; the cancel is free",
               "bookingId", rec->booking_id, NULL);
    cancel_moment_t m = {.now_ms = clock_wall_ms(),
                         .booked_ms = rec->created_ms,
                         .check_in = rec->check_in,
                         .amount = rec->amount,
                         .free_hours = app->free_cancel_hours};
    cancel_quote_t q;
    cancel_policy_quote(&p, &m, &q);
    if (terms && terms->full_refund) {
        q.fee = 0;
        q.refund = rec->amount;
    }
    rec->cancel_fee = q.fee;
    rec->refunded_amount = q.refund;
}

static int cancel_confirmed(http_request_t *req, booking_app_t *app, booking_record_t *rec,
                            const char *owner, const char *why, const cancel_terms_t *terms)
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
    cancel_quote(app, rec, terms);
    bool paid = strcmp(rec->payment_status, "captured") == 0;
    if (rec->payment_auth_id[0] && strcmp(rec->payment_status, "refunded") != 0 &&
        strcmp(rec->payment_status, "voided") != 0)
        cancel_payment(app, rec, owner, rec->refunded_amount, &refunded);
    if (!paid) /* nothing was taken: nothing kept, nothing given back */
        rec->cancel_fee = rec->refunded_amount = 0;
    snprintf(rec->status, sizeof rec->status, "cancelled");
    struct json_object *ev = saga_event_data(rec);
    json_object_object_add(ev, "refunded", json_object_new_boolean(refunded));
    json_object_object_add(ev, "cancellationFee", json_object_new_int64(rec->cancel_fee));
    json_object_object_add(ev, "refundedAmount", json_object_new_int64(rec->refunded_amount));
    if (terms && terms->full_refund)
        json_object_object_add(ev, "refundOverride", json_object_new_boolean(true));
    if (strcmp(rec->payment_status, "voided") == 0 || strcmp(rec->payment_status, "refunded") == 0 ||
        strcmp(rec->payment_status, "partially_refunded") == 0) {
        struct json_object *ret = json_object_new_object();
        json_object_object_add(ret, "kind", json_object_new_string(refunded ? "refund" : "void"));
        json_object_object_add(ret, "amount", json_object_new_int64(refunded ? rec->refunded_amount
                                                                           : rec->amount));
        json_object_object_add(ret, "currency", json_object_new_string(rec->currency));
        json_object_object_add(ev, "paymentReturned", ret);
    }
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
                                     const char *owner, const char *why,
                                     const cancel_terms_t *terms)
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
    return cancel_confirmed(req, app, rec, owner, why, terms);
}

/* Whether the booking was made on another channel and only recorded from the PMS's reports:
 * not ours to cancel (no payment of ours, no saga); the hotel cancels it in its PMS. */
static bool made_elsewhere(booking_app_t *app, const char *booking_id)
{
    db_param_t p[] = {DB_STR(booking_id)};
    db_result_t *r = NULL;
    db_t *db = db_pool_acquire(app->db);
    bool elsewhere = db &&
                     db_query(db, "SELECT 1 FROM booking WHERE booking_id = ? AND source = 'pms'",
                              p, 1, &r) == DB_OK &&
                     db_result_rows(r) == 1;
    db_result_free(r);
    if (db)
        db_pool_release(app->db, db);
    return elsewhere;
}

/* Cancels a loaded booking (the caller was allowed to) and answers it.
 * why is the saga step's detail. Returns 0 (answered). */
static int cancel_loaded(http_request_t *req, booking_app_t *app, booking_record_t *rec,
                         const char *why, const cancel_terms_t *terms)
{
    const auth_principal_t *caller = http_request_principal(req);
    if (strcmp(rec->status, "confirmed") != 0 && strcmp(rec->status, "cancelled") != 0)
        return http_respond_error(req, 409, "BOOKING_NOT_CANCELLABLE", NULL,
                                  "확정된 예약만 취소할 수 있습니다 (only a confirmed booking can "
                                  "be cancelled)");
    if (strcmp(rec->status, "confirmed") == 0 && made_elsewhere(app, rec->booking_id))
        return http_respond_error(req, 409, "BOOKING_NOT_CANCELLABLE", NULL,
                                  "다른 채널에서 만든 예약은 PMS에서 취소하세요 (a booking made on "
                                  "another channel is cancelled in the hotel's PMS)");
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
        int rc = booking_reload_and_cancel(req, app, rec, owner, why, terms);
        db = db_pool_acquire(app->db);
        store_lease_release(db, rec->booking_id, owner);
        char detail[512] = "";
        if (terms && terms->full_refund) {
            struct json_object *d = json_object_new_object();
            json_object_object_add(d, "refund", json_object_new_string("full"));
            json_object_object_add(d, "reason", json_object_new_string(terms->reason));
            snprintf(detail, sizeof detail, "%s", json_object_to_json_string(d));
            json_object_put(d);
        }
        if (rc == 0 && (auth_principal_is_staff(caller) || detail[0]))
            http_audit(db, req, detail[0] ? "booking.cancel.full_refund" : "booking.cancel",
                       rec->hotel_id, rec->booking_id, detail[0] ? detail : NULL);
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
    add_payment(app, o, id);
    http_respond_json(req, 200, o);
    json_object_put(o);
    return 0;
}

/* An optional cancel body: {"refund":"full","reason":"..."} — an operator
 * overriding the hotel's policy (a guest may not). 0, or -1 when answered. */
static int read_terms(http_request_t *req, const auth_principal_t *caller, cancel_terms_t *terms,
                      char *reason, size_t size)
{
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return -1; /* answered 400 */
    const char *refund = NULL, *why = NULL;
    json_error_t err;
    bool operator = auth_principal_is_staff(caller) &&
                    auth_principal_has_role(caller, AUTH_ROLE_OPERATOR);
    int rc = -1;
    if (json_get_text(body, "refund", false, 1, 16, &refund, &err) != 0)
        http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    else if (refund && strcmp(refund, "full") != 0)
        http_respond_error(req, 400, "VALIDATION_ERROR", "refund",
                           "refund must be \"full\" (or absent: the hotel's policy)");
    else if (refund && !operator)
        http_respond_error(req, 403, "FORBIDDEN", "refund",
                           "a full refund against the policy needs the operator role");
    else if (refund && json_get_text(body, "reason", true, 1, 255, &why, &err) != 0)
        http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    else
        rc = 0;
    if (rc == 0 && refund) {
        terms->full_refund = true;
        snprintf(reason, size, "%s", why);
        terms->reason = reason;
    }
    json_object_put(body);
    return rc;
}

int bookings_cancel(http_request_t *req, void *ctx)
{
    booking_app_t *app = ctx;
    booking_record_t rec;
    const auth_principal_t *caller = http_request_principal(req);
    if (auth_principal_is_staff(caller) && !auth_principal_has_role(caller, AUTH_ROLE_OPERATOR))
        return http_respond_error(req, 403, "FORBIDDEN", NULL,
                                  "cancelling a booking needs the operator role");
    cancel_terms_t terms = {0};
    char reason[256] = "";
    size_t body_len = 0;
    http_request_body(req, &body_len);
    if (body_len > 0 && read_terms(req, caller, &terms, reason, sizeof reason) != 0)
        return 0;
    if (load_from_path(req, app, AUTH_ROLE_OPERATOR, &rec, NULL) != 0)
        return 0;
    return cancel_loaded(req, app, &rec,
                         terms.full_refund               ? "cancelled by staff with a full refund"
                         : auth_principal_is_staff(caller) ? "cancelled by staff"
                                                         : "cancelled at the guest's request",
                         &terms);
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
    return cancel_loaded(req, app, &rec, why, NULL);
}
