/*
 * pms_events.c — applies PMS-side confirms and cancels from pms.events to our
 * bookings (see pms_events.h). Every change of one event, its dedup row
 * included, is one transaction.
 */
#include "pms_events.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cloudevents.h"
#include "common/dates.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/money.h"
#include "compensation.h"
#include "outbox.h"
#include "pms_foreign.h"

#define BOOKING_EVENTS_TOPIC "booking.events"
#define BOOKING_CANCELLED_EVENT_TYPE "lodging.booking.cancelled"
#define PMS_CANCEL_REASON "the reservation was cancelled on the PMS side"

struct pms_events_consumer {
    db_pool_t *db;
    pms_connector_t *pms; /* NULL: reports are taken as they come */
    void (*kick)(void *ctx);
    void *kick_ctx;
    kafka_consumer_t *consumer;
    metric_t *applied_total;
};

/* The booking row a PMS event refers to (columns of BOOKING_SELECT, in order). */
enum {
    COL_BOOKING_ID,
    COL_STATUS,
    COL_PAYMENT_STATUS,
    COL_PAYMENT_AUTH_ID,
    COL_VENDOR,
    COL_HOTEL_ID,
    COL_ROOM_TYPE_ID,
    COL_CHECK_IN,
    COL_CHECK_OUT,
    COL_ADULTS,
    COL_CHILDREN,
    COL_TOTAL_PRICE,
    COL_CURRENCY,
    COL_RESERVATION_ID,
    COL_CONFIRMATION_NUMBER,
};
#define BOOKING_SELECT                                                                             \
    "SELECT booking_id, status, payment_status, payment_auth_id, vendor, hotel_id, room_type_id, " \
    "check_in, check_out, adults, children, total_price, currency, reservation_id, "               \
    "confirmation_number FROM booking WHERE vendor = ? AND source = 'checkout' AND "               \
    "reservation_id = ? FOR UPDATE"
/* A reservation still known only as our hold (its confirm is reported before the saga wrote
 * the reservation id): ours too, never a foreign booking. */
#define HOLD_SELECT                                                                                \
    "SELECT 1 FROM booking WHERE vendor = ? AND source = 'checkout' AND hold_id = ? LIMIT 1"

static void add_text(struct json_object *o, const char *name, const char *value)
{
    if (value && *value)
        json_object_object_add(o, name, json_object_new_string(value));
}

static void add_int(struct json_object *o, const char *name, const db_result_t *b, size_t col)
{
    int64_t v = 0;
    if (db_result_int64(b, 0, col, &v) == 0)
        json_object_object_add(o, name, json_object_new_int64(v));
}

/* The lodging.booking.cancelled data (booking.schema.json) for the locked row; NULL on a bad
 * amount. Caller owns it. */
static struct json_object *cancelled_data(const db_result_t *b, const char *compensation,
                                          int64_t amount)
{
    struct json_object *o = json_object_new_object();
    add_text(o, "bookingId", db_result_text(b, 0, COL_BOOKING_ID));
    add_text(o, "vendor", db_result_text(b, 0, COL_VENDOR));
    add_text(o, "hotelId", db_result_text(b, 0, COL_HOTEL_ID));
    add_text(o, "roomTypeId", db_result_text(b, 0, COL_ROOM_TYPE_ID));
    add_text(o, "checkIn", db_result_text(b, 0, COL_CHECK_IN));
    add_text(o, "checkOut", db_result_text(b, 0, COL_CHECK_OUT));
    add_int(o, "adults", b, COL_ADULTS);
    add_int(o, "children", b, COL_CHILDREN);
    json_object_object_add(o, "status", json_object_new_string("cancelled"));
    json_object_object_add(o, "amount", json_object_new_int64(amount));
    add_text(o, "currency", db_result_text(b, 0, COL_CURRENCY));
    add_text(o, "paymentAuthId", db_result_text(b, 0, COL_PAYMENT_AUTH_ID));
    add_text(o, "reservationId", db_result_text(b, 0, COL_RESERVATION_ID));
    add_text(o, "confirmationNumber", db_result_text(b, 0, COL_CONFIRMATION_NUMBER));
    if (compensation) {
        struct json_object *list = json_object_new_array();
        json_object_array_add(list, json_object_new_string(compensation));
        json_object_object_add(o, "compensations", list);
    }
    return o;
}

static int step_log(db_t *tx, const char *booking_id, const char *step, const char *detail)
{
    db_param_t p[] = {DB_STR(booking_id), DB_STR(step), DB_STR(detail)};
    return db_exec(tx,
                   "INSERT INTO saga_step_log (booking_id, step, outcome, detail) "
                   "VALUES (?, ?, 'succeeded', ?)",
                   p, 3, NULL, NULL) == DB_OK
               ? 0
               : -1;
}

/* A confirmed booking whose reservation the PMS cancelled: cancel it, tell booking.events, and
 * have the money given back (refund when captured, void when only authorised). 0 or -1. */
static int apply_cancel(db_t *tx, const db_result_t *b)
{
    const char *booking_id = db_result_text(b, 0, COL_BOOKING_ID);
    const char *status = db_result_text(b, 0, COL_STATUS);
    if (!status || strcmp(status, "confirmed") != 0)
        return 0; /* pending: the saga decides; cancelled / failed: nothing left to do */
    const char *payment_status = db_result_text(b, 0, COL_PAYMENT_STATUS);
    const char *auth_id = db_result_text(b, 0, COL_PAYMENT_AUTH_ID);
    const char *currency = db_result_text(b, 0, COL_CURRENCY);
    int64_t amount = 0;
    if (money_from_decimal_text(db_result_text(b, 0, COL_TOTAL_PRICE), currency, &amount) != 0) {
        log_error("pms.events: booking %s has an unreadable total price", booking_id);
        return -1;
    }
    const char *compensation = NULL;
    if (auth_id && payment_status && strcmp(payment_status, "captured") == 0)
        compensation = "refund";
    else if (auth_id && payment_status &&
             (strcmp(payment_status, "authorized") == 0 ||
              strcmp(payment_status, "capture_failed") == 0))
        compensation = "void_preauth"; /* the pre-authorisation is still open */
    db_param_t p[] = {DB_STR(booking_id)};
    if (db_exec(tx, "UPDATE booking SET status = 'cancelled' WHERE booking_id = ?", p, 1, NULL,
                NULL) != DB_OK ||
        step_log(tx, booking_id, "cancel_reservation", PMS_CANCEL_REASON) != 0)
        return -1;
    struct json_object *data = cancelled_data(b, compensation, amount);
    int rc = outbox_append(tx, BOOKING_EVENTS_TOPIC, booking_id, BOOKING_CANCELLED_EVENT_TYPE, data,
                           NULL);
    json_object_put(data);
    if (rc == 0 && compensation)
        rc = compensation_request(
            tx, booking_id, compensation, db_result_text(b, 0, COL_HOTEL_ID), NULL, auth_id, NULL,
            strcmp(compensation, "refund") == 0 ? amount : 0, currency, PMS_CANCEL_REASON, 1);
    return rc;
}

/* Optional id/date text of the event's data (NULL when absent). */
static const char *opt_text(const cloudevent_t *ev, const char *name)
{
    const char *v = NULL;
    json_error_t jerr;
    return json_get_string(ev->data, name, false, 1, 64, &v, &jerr) == 0 ? v : NULL;
}

/* The reservation as the PMS has it now, read before the transaction for a confirm that is not
 * one of our checkout's: Cloudbeds' own reservation webhooks carry no room type, and the
 * reservation's reference tells one of ours whose ids the saga has not written yet. */
typedef struct pms_view {
    bool known;
    pms_reservation_t res;
    char room_type_id[PMS_ID_MAX];
    char check_in[DATES_ISO_LEN + 1], check_out[DATES_ISO_LEN + 1];
} pms_view_t;

/* A reservation that is not ours: recorded as a booking made elsewhere (pms_foreign.h). */
static int apply_foreign(db_t *tx, const cloudevent_t *ev, const char *vendor,
                         const char *reservation_id, const pms_view_t *view, bool *changed)
{
    db_param_t key[] = {DB_STR(vendor), DB_STR(reservation_id)};
    db_result_t *h = NULL;
    if (db_query(tx, HOLD_SELECT, key, 2, &h) != DB_OK)
        return -1;
    bool ours = db_result_rows(h) > 0;
    db_result_free(h);
    if (!ours && view->known && view->res.reference[0]) {
        db_param_t ref[] = {DB_STR(view->res.reference)};
        if (db_query(tx,
                     "SELECT 1 FROM booking WHERE booking_id = ? AND source = 'checkout' LIMIT 1",
                     ref, 1, &h) != DB_OK)
            return -1;
        ours = db_result_rows(h) > 0; /* made by our checkout, its ids not written yet */
        db_result_free(h);
    }
    const char *hotel_id = opt_text(ev, "hotelId");
    if (ours || !hotel_id)
        return 0;
    pms_foreign_change_t c = {.vendor = vendor,
                              .hotel_id = hotel_id,
                              .reservation_id = reservation_id,
                              .room_type_id = opt_text(ev, "roomTypeId"),
                              .check_in = opt_text(ev, "checkIn"),
                              .check_out = opt_text(ev, "checkOut"),
                              .channel = opt_text(ev, "channel"),
                              .cancelled = strcmp(ev->type, PMS_EVENT_BOOKING_CANCELLED) == 0};
    if (view->known) { /* the PMS's present state wins over what the report carried */
        c.room_type_id = view->room_type_id[0] ? view->room_type_id : c.room_type_id;
        c.check_in = view->check_in;
        c.check_out = view->check_out;
        /* and only the PMS's reservation tells the party and the total */
        c.adults = view->res.adults;
        c.children = view->res.children;
        c.rooms = view->res.rooms;
        if (view->res.total != PMS_TOTAL_UNKNOWN && view->res.currency[0]) {
            c.total = view->res.total;
            c.total_currency = view->res.currency;
        }
    }
    return pms_foreign_apply(tx, &c, changed);
}

static bool differs(const char *reported, const char *recorded)
{
    return reported && (!recorded || strcmp(reported, recorded) != 0);
}

/* Whether no PMS read is needed: this event was handled before, or a checkout booking names the
 * reservation (as reservation or hold) and the report moves none of its stay — a report that
 * does is checked against the PMS's present state first, since a late redelivery must not move
 * a booking back. 1, 0, or -1 on a database error. */
static int needs_no_read(db_t *db, const cloudevent_t *ev, const char *vendor,
                         const char *reservation_id)
{
    db_param_t seen[] = {DB_STR(PMS_EVENTS_CONSUMER_ID), DB_STR(ev->id)};
    db_result_t *r = NULL;
    if (db_query(db, "SELECT 1 FROM received_messages WHERE consumer_id = ? AND message_id = ?",
                 seen, 2, &r) != DB_OK)
        return -1;
    size_t handled = db_result_rows(r);
    db_result_free(r);
    if (handled)
        return 1;
    db_param_t p[] = {DB_STR(vendor), DB_STR(reservation_id), DB_STR(reservation_id)};
    if (db_query(db,
                 "SELECT room_type_id, DATE_FORMAT(check_in, '%Y-%m-%d'), "
                 "DATE_FORMAT(check_out, '%Y-%m-%d') FROM booking WHERE vendor = ? AND "
                 "source = 'checkout' AND (reservation_id = ? OR hold_id = ?) LIMIT 1",
                 p, 3, &r) != DB_OK)
        return -1;
    int skip = db_result_rows(r) == 1 &&
               !differs(opt_text(ev, "roomTypeId"), db_result_text(r, 0, 0)) &&
               !differs(opt_text(ev, "checkIn"), db_result_text(r, 0, 1)) &&
               !differs(opt_text(ev, "checkOut"), db_result_text(r, 0, 2));
    db_result_free(r);
    return skip;
}

/* Fills view for a confirm of a reservation that may be foreign. 0 (view->known says whether
 * the PMS answered), or -1 when the report cannot be recorded without the PMS and the PMS
 * failed: the caller retries. */
static int read_pms_view(pms_events_consumer_t *c, db_t *db, const cloudevent_t *ev,
                         const char *vendor, const char *reservation_id, pms_view_t *view)
{
    memset(view, 0, sizeof *view);
    const char *hotel_id = opt_text(ev, "hotelId");
    if (!c->pms || !hotel_id || strcmp(ev->type, PMS_EVENT_BOOKING_CONFIRMED) != 0)
        return 0;
    int skip = needs_no_read(db, ev, vendor, reservation_id);
    if (skip != 0)
        return skip < 0 ? -1 : 0;
    pms_error_t perr = {0};
    pms_err_t e = pms_get_reservation(c->pms, hotel_id, reservation_id, &view->res, &perr);
    if (e == PMS_OK && view->res.check_out > view->res.check_in) {
        view->known = true;
        snprintf(view->room_type_id, sizeof view->room_type_id, "%s", view->res.room_type_id);
        dates_format_iso(view->res.check_in, view->check_in);
        dates_format_iso(view->res.check_out, view->check_out);
        return 0;
    }
    bool complete =
        opt_text(ev, "roomTypeId") && opt_text(ev, "checkIn") && opt_text(ev, "checkOut");
    log_kv(LOG_LEVEL_WARN, "pms.events: reservation not read from the PMS", "hotelId", hotel_id,
           "reservationId", reservation_id, "error", perr.message, NULL);
    return complete || e == PMS_ERR_NOT_FOUND ? 0 : -1;
}

/* One of our confirmed bookings whose stay the PMS moved (the desk changed its dates or room
 * type; the PMS's present state, never a report alone): the row follows and booking.events is
 * told lodging.booking.modified with the previous stay. The price stays ours: what the guest
 * paid is not changed by the desk. 0 or -1. */
static int apply_own_move(db_t *tx, const db_result_t *b, const pms_view_t *view, bool *changed)
{
    const char *booking_id = db_result_text(b, 0, COL_BOOKING_ID);
    const char *status = db_result_text(b, 0, COL_STATUS);
    const char *room =
        view->room_type_id[0] ? view->room_type_id : db_result_text(b, 0, COL_ROOM_TYPE_ID);
    if (!view->known || !status || strcmp(status, "confirmed") != 0 ||
        (!differs(room, db_result_text(b, 0, COL_ROOM_TYPE_ID)) &&
         !differs(view->check_in, db_result_text(b, 0, COL_CHECK_IN)) &&
         !differs(view->check_out, db_result_text(b, 0, COL_CHECK_OUT))))
        return 0;
    int64_t amount = 0;
    if (money_from_decimal_text(db_result_text(b, 0, COL_TOTAL_PRICE),
                                db_result_text(b, 0, COL_CURRENCY), &amount) != 0)
        return -1;
    db_param_t p[] = {DB_STR(room), DB_STR(view->check_in), DB_STR(view->check_out),
                      DB_STR(booking_id)};
    if (db_exec(tx,
                "UPDATE booking SET room_type_id = ?, check_in = ?, check_out = ? "
                "WHERE booking_id = ?",
                p, 4, NULL, NULL) != DB_OK ||
        step_log(tx, booking_id, "modify", "room type or dates changed on the PMS side") != 0)
        return -1;
    pms_stay_t before = {db_result_text(b, 0, COL_ROOM_TYPE_ID), db_result_text(b, 0, COL_CHECK_IN),
                         db_result_text(b, 0, COL_CHECK_OUT)},
               after = {room, view->check_in, view->check_out};
    if (pms_stay_give_back(tx, db_result_text(b, 0, COL_VENDOR), db_result_text(b, 0, COL_HOTEL_ID),
                           booking_id, &before, &after) != 0)
        return -1;
    struct json_object *data = cancelled_data(b, NULL, amount);
    struct json_object *prev = json_object_new_object();
    add_text(prev, "roomTypeId", db_result_text(b, 0, COL_ROOM_TYPE_ID));
    add_text(prev, "checkIn", db_result_text(b, 0, COL_CHECK_IN));
    add_text(prev, "checkOut", db_result_text(b, 0, COL_CHECK_OUT));
    json_object_object_add(data, "previous", prev);
    json_object_object_add(data, "status", json_object_new_string("confirmed"));
    json_object_object_add(data, "roomTypeId", json_object_new_string(room));
    json_object_object_add(data, "checkIn", json_object_new_string(view->check_in));
    json_object_object_add(data, "checkOut", json_object_new_string(view->check_out));
    int rc = outbox_append(tx, BOOKING_EVENTS_TOPIC, booking_id, BOOKING_MODIFIED_EVENT_TYPE, data,
                           NULL);
    json_object_put(data);
    *changed = rc == 0;
    return rc;
}

/* Applies one PMS booking event in tx (dedup row first). 0 applied or skipped, -1 failed. */
static int apply_event(db_t *tx, const cloudevent_t *ev, const char *vendor,
                       const char *reservation_id, const pms_view_t *view, bool *changed)
{
    db_param_t dedup[] = {DB_STR(PMS_EVENTS_CONSUMER_ID), DB_STR(ev->id)};
    db_err_t e =
        db_exec(tx, "INSERT INTO received_messages (consumer_id, message_id) VALUES (?, ?)", dedup,
                2, NULL, NULL);
    if (e == DB_ERR_DUPLICATE)
        return 0;
    if (e != DB_OK)
        return -1;
    db_param_t key[] = {DB_STR(vendor), DB_STR(reservation_id)};
    db_result_t *b = NULL;
    if (db_query(tx, BOOKING_SELECT, key, 2, &b) != DB_OK)
        return -1;
    int rc = 0;
    if (db_result_rows(b) == 1) {
        const char *booking_id = db_result_text(b, 0, COL_BOOKING_ID);
        if (strcmp(ev->type, PMS_EVENT_BOOKING_CANCELLED) == 0) {
            rc = apply_cancel(tx, b);
        } else {
            rc = step_log(tx, booking_id, "confirm", "the PMS reports the reservation confirmed");
            if (rc == 0)
                rc = apply_own_move(tx, b, view, changed);
        }
        *changed = rc == 0;
    } else {
        rc = apply_foreign(tx, ev, vendor, reservation_id, view, changed);
    }
    db_result_free(b);
    return rc;
}

/* kafka_handler_fn for pms.events. */
static kafka_handler_result_t on_pms_event(const kafka_message_t *m, void *ctx, char *reason,
                                           size_t reason_size)
{
    pms_events_consumer_t *c = ctx;
    char err[256];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    if (!ev) {
        snprintf(reason, reason_size, "not a CloudEvent: %s", err);
        return KAFKA_HANDLER_POISON;
    }
    kafka_handler_result_t result = KAFKA_HANDLER_OK;
    const char *vendor = NULL, *reservation_id = NULL;
    json_error_t jerr;
    bool ours = strcmp(ev->type, PMS_EVENT_BOOKING_CANCELLED) == 0 ||
                strcmp(ev->type, PMS_EVENT_BOOKING_CONFIRMED) == 0;
    if (!ours) {
        cloudevent_free(ev);
        return KAFKA_HANDLER_OK; /* inventory, rates, rooms: not booking-svc's */
    }
    if (!ev->data || json_get_string(ev->data, "vendor", true, 1, 32, &vendor, &jerr) != 0 ||
        json_get_string(ev->data, "reservationId", true, 1, 64, &reservation_id, &jerr) != 0) {
        snprintf(reason, reason_size, "invalid %s: %s", ev->type,
                 ev->data ? jerr.message : "no data");
        cloudevent_free(ev);
        return KAFKA_HANDLER_POISON;
    }
    db_t *db = db_pool_acquire(c->db);
    bool changed = false;
    pms_view_t view;
    if (!db || read_pms_view(c, db, ev, vendor, reservation_id, &view) != 0 ||
        db_begin(db) != DB_OK ||
        apply_event(db, ev, vendor, reservation_id, &view, &changed) != 0 ||
        db_commit(db) != DB_OK) {
        if (db) {
            log_warn("pms.events: cannot apply %s for reservation %s: %s", ev->type, reservation_id,
                     db_error(db));
            db_rollback(db);
        }
        result = KAFKA_HANDLER_RETRY;
        changed = false;
    }
    if (db)
        db_pool_release(c->db, db);
    if (changed) {
        metrics_counter_inc(c->applied_total, ev->type);
        if (c->kick)
            c->kick(c->kick_ctx);
    }
    cloudevent_free(ev);
    return result;
}

pms_events_consumer_t *pms_events_start(const char *brokers, const char *topic_prefix,
                                        db_pool_t *db, pms_connector_t *pms,
                                        void (*kick)(void *ctx), void *kick_ctx, char *err,
                                        size_t n)
{
    if (!brokers || !db) {
        snprintf(err, n, "pms.events consumer: brokers and db are required");
        return NULL;
    }
    pms_events_consumer_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, n, "pms.events consumer: out of memory");
        return NULL;
    }
    c->db = db;
    c->pms = pms;
    c->kick = kick;
    c->kick_ctx = kick_ctx;
    c->applied_total = metrics_counter("booking_pms_events_applied_total",
                                       "PMS-side booking changes applied to bookings", 1, "type");
    char topic[256];
    kafka_topic_name(topic_prefix, PMS_EVENTS_TOPIC, topic, sizeof topic);
    char group[256]; /* prefixed like the topics, so isolated deployments never share a group */
    kafka_topic_name(topic_prefix, PMS_EVENTS_GROUP_ID, group, sizeof group);
    const char *topics[] = {topic, NULL};
    kafka_consumer_config_t kc = {
        .brokers = brokers, .group_id = group, .topics = topics, .handler = on_pms_event, .ctx = c};
    c->consumer = kafka_consumer_new(&kc, err, n);
    if (!c->consumer || kafka_consumer_start(c->consumer) != 0) {
        if (c->consumer)
            snprintf(err, n, "pms.events consumer: cannot start its thread");
        kafka_consumer_free(c->consumer);
        free(c);
        return NULL;
    }
    return c;
}

void pms_events_stop(pms_events_consumer_t *c)
{
    if (!c)
        return;
    kafka_consumer_stop(c->consumer);
    kafka_consumer_free(c->consumer);
    free(c);
}
