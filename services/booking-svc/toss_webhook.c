/*
 * toss_webhook.c — Toss Payments' webhooks (see toss_webhook.h).
 */
#include "toss_webhook.h"

#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "compensation.h"
#include "outbox.h"
#include "payment_route.h"
#include "saga.h"
#include "store.h"

#define TRANSMISSION_ID_HEADER "tosspayments-webhook-transmission-id"
#define TRANSMISSION_ID_MAX 64
#define CANCEL_REASON "payment cancelled at Toss Payments"

static void count(const char *outcome)
{
    metrics_counter_inc(metrics_counter("booking_toss_webhooks_total",
                                        "Toss Payments webhooks by outcome", 1, "outcome"),
                        outcome);
}

static int answer(http_request_t *req, const char *outcome)
{
    count(outcome);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "received", json_object_new_boolean(1));
    json_object_object_add(o, "outcome", json_object_new_string(outcome));
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

/* The delivery was handled already: 1 yes, 0 no, -1 error. */
static int seen(db_t *db, const char *transmission_id)
{
    db_param_t p[] = {DB_STR(TOSS_WEBHOOK_CONSUMER_ID), DB_STR(transmission_id)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT 1 FROM received_messages WHERE consumer_id = ? AND message_id = ?", p,
                 2, &res) != DB_OK)
        return -1;
    int rc = db_result_rows(res) > 0 ? 1 : 0;
    db_result_free(res);
    return rc;
}

static int remember(db_t *tx, const char *transmission_id)
{
    db_param_t p[] = {DB_STR(TOSS_WEBHOOK_CONSUMER_ID), DB_STR(transmission_id)};
    db_err_t e = db_exec(tx, "INSERT INTO received_messages (consumer_id, message_id) VALUES (?, ?)",
                         p, 2, NULL, NULL);
    return e == DB_OK || e == DB_ERR_DUPLICATE ? 0 : -1;
}

/* The confirmed booking is cancelled: the money is back with the guest. */
static int cancel_booking(db_t *tx, booking_app_t *app, booking_record_t *rec,
                          const pay_payment_t *p)
{
    bool acquired = strcmp(p->acquire_status, "READY") != 0 && p->acquire_status[0];
    db_param_t cond[] = {DB_STR(acquired ? "refunded" : "voided"), DB_STR(rec->booking_id)};
    uint64_t changed = 0;
    if (db_exec(tx,
                "UPDATE booking SET status = 'cancelled', payment_status = ? "
                "WHERE booking_id = ? AND status = 'confirmed'",
                cond, 2, &changed, NULL) != DB_OK)
        return -1;
    if (changed == 0)
        return 0; /* cancelled meanwhile by another path */
    snprintf(rec->status, sizeof rec->status, "cancelled");
    snprintf(rec->payment_status, sizeof rec->payment_status, "%s",
             acquired ? "refunded" : "voided");
    struct json_object *data = saga_event_data(rec);
    json_object_object_add(data, "refunded", json_object_new_boolean(acquired));
    json_object_object_add(data, "cancelledBy", json_object_new_string("payment_provider"));
    struct json_object *ret = json_object_new_object();
    json_object_object_add(ret, "kind", json_object_new_string(acquired ? "refund" : "void"));
    json_object_object_add(ret, "amount", json_object_new_int64(p->amount_refunded));
    json_object_object_add(ret, "currency", json_object_new_string(rec->currency));
    json_object_object_add(data, "paymentReturned", ret);
    int rc = store_step(tx, rec->booking_id, "cancel_reservation", "compensating",
                        CANCEL_REASON) == 0 &&
                     outbox_append(tx, BOOKING_EVENTS_TOPIC, rec->booking_id,
                                   "lodging.booking.cancelled", data, NULL) == 0 &&
                     compensation_request(tx, rec->booking_id, "cancel_reservation",
                                          rec->hotel_id, NULL, NULL,
                                          rec->reservation_id[0] ? rec->reservation_id
                                                                 : rec->hold_id,
                                          0, rec->currency, CANCEL_REASON, 1) == 0
                 ? 0
                 : -1;
    json_object_put(data);
    (void)app;
    if (rc == 0)
        log_kv(LOG_LEVEL_WARN, "booking cancelled: its payment was cancelled at Toss Payments",
               "bookingId", rec->booking_id, NULL);
    return rc;
}

/* Whether the booking was flagged for this very state already: 1, 0, -1. */
static int already_flagged(db_t *tx, const char *booking_id, const char *detail)
{
    db_param_t p[] = {DB_STR(booking_id), DB_STR(detail)};
    db_result_t *res = NULL;
    if (db_query(tx,
                 "SELECT 1 FROM saga_step_log WHERE booking_id = ? AND step = "
                 "'payment_changed_at_provider' AND detail = ? LIMIT 1",
                 p, 2, &res) != DB_OK)
        return -1;
    int rc = db_result_rows(res) > 0 ? 1 : 0;
    db_result_free(res);
    return rc;
}

/* Acts on what Toss says of the payment, in tx. Writes the outcome name. */
static int apply(db_t *tx, booking_app_t *app, booking_record_t *rec, const pay_payment_t *p,
                 const char **outcome)
{
    *outcome = "unchanged";
    if (strcmp(rec->status, "confirmed") == 0 && strcmp(p->gateway_status, "CANCELED") == 0) {
        *outcome = "booking_cancelled";
        return cancel_booking(tx, app, rec, p);
    }
    if (strcmp(rec->status, "confirmed") == 0 &&
        strcmp(p->gateway_status, "PARTIAL_CANCELED") == 0) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "flagged: part of the payment was cancelled at Toss Payments (%lld of %lld "
                 "returned); "
                 "the booking stays confirmed: an operator decides",
                 (long long)p->amount_refunded, (long long)p->amount);
        /* every delivery re-reads the payment: the same state is flagged once */
        int seen_before = already_flagged(tx, rec->booking_id, detail);
        if (seen_before != 0)
            return seen_before < 0 ? -1 : 0;
        *outcome = "flagged";
        log_kv(LOG_LEVEL_WARN, "booking flagged: part of its payment was cancelled at Toss",
               "bookingId", rec->booking_id, NULL);
        return store_step(tx, rec->booking_id, "payment_changed_at_provider", "failed", detail);
    }
    if (strcmp(rec->status, "failed") == 0 && (p->status == PAY_STATUS_AUTHORIZED ||
                                               p->status == PAY_STATUS_CAPTURED)) {
        /* an approval still standing for a failed booking: never kept */
        *outcome = "void_requested";
        return compensation_request(tx, rec->booking_id, "void_preauth", rec->hotel_id, NULL,
                                    p->id, NULL, 0, rec->currency,
                                    "an approval left for a failed booking (Toss webhook)", 1);
    }
    return 0;
}

int toss_webhook_handle(http_request_t *req, void *ctx)
{
    booking_app_t *app = ctx;
    if (!app->toss)
        return http_respond_error(req, 404, "NOT_FOUND", NULL,
                                  "Toss Payments is not configured on this service");
    const char *tid = http_request_header(req, TRANSMISSION_ID_HEADER);
    if (!tid || !tid[0] || strlen(tid) > TRANSMISSION_ID_MAX)
        return http_respond_error(req, 400, "VALIDATION_ERROR", TRANSMISSION_ID_HEADER,
                                  TRANSMISSION_ID_HEADER " is required (1..64 characters)");
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0; /* answered 400 */
    const char *event = NULL, *key = NULL;
    json_error_t err;
    struct json_object *data = NULL;
    int bad = json_get_text(body, "eventType", true, 1, 64, &event, &err) ||
              json_get_object(body, "data", true, &data, &err);
    if (!bad && json_object_object_get_ex(data, "paymentKey", NULL))
        bad = json_get_text(body, "data.paymentKey", true, 1, PAY_ID_MAX - 1, &key, &err);
    if (bad) {
        json_object_put(body);
        return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    }
    char payment_key[PAY_ID_MAX] = "", event_type[65];
    snprintf(event_type, sizeof event_type, "%s", event);
    if (key)
        snprintf(payment_key, sizeof payment_key, "%s", key);
    json_object_put(body);
    if ((strcmp(event_type, "PAYMENT_STATUS_CHANGED") != 0 &&
         strcmp(event_type, "CANCEL_STATUS_CHANGED") != 0) ||
        !payment_key[0])
        return answer(req, "ignored");

    db_t *db = db_pool_acquire(app->db);
    if (!db)
        return http_respond_error(req, 503, "UNAVAILABLE", NULL, "database unavailable");
    int rc = seen(db, tid);
    char booking_id[BOOKING_ID_MAX] = "";
    if (rc == 0)
        rc = booking_payment_find_booking(db, payment_key, booking_id, sizeof booking_id) < 0
                 ? -1
                 : (booking_id[0] ? 0 : 2);
    if (rc != 0) {
        db_pool_release(app->db, db);
        if (rc < 0)
            return http_respond_error(req, 503, "UNAVAILABLE", NULL, "database unavailable");
        return answer(req, rc == 1 ? "duplicate" : "not_ours");
    }
    /* trusted only as Toss itself tells it now */
    pay_payment_t p;
    pay_error_t pe;
    if (payment_get(app->toss, payment_key, &p, &pe) != PAY_OK) {
        db_pool_release(app->db, db);
        log_kv(LOG_LEVEL_WARN, "toss webhook: the payment could not be re-fetched", "error",
               pay_err_name(pe.code), NULL);
        return http_respond_error(req, 503, "UNAVAILABLE", NULL,
                                  "Toss Payments could not be asked about the payment");
    }
    const char *outcome = "unchanged";
    booking_record_t rec;
    int ok = db_begin(db) == DB_OK && store_booking_load(db, booking_id, &rec) == 0;
    if (ok) {
        snprintf(rec.payment_provider, sizeof rec.payment_provider, BOOKING_PROVIDER_TOSS);
        ok = apply(db, app, &rec, &p, &outcome) == 0 && remember(db, tid) == 0 &&
             db_commit(db) == DB_OK;
    }
    if (!ok)
        db_rollback(db);
    db_pool_release(app->db, db);
    if (!ok)
        return http_respond_error(req, 503, "UNAVAILABLE", NULL, "database unavailable");
    outbox_relay_kick(app->relay);
    return answer(req, outcome);
}
