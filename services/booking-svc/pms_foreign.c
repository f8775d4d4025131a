/*
 * pms_foreign.c — bookings made on another channel, recorded from the PMS's
 * reports (see pms_foreign.h).
 */
#include "pms_foreign.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cloudevents.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/log.h"
#include "common/money.h"
#include "outbox.h"

#define BOOKING_EVENTS_TOPIC "booking.events"
#define CONFIRMED_TYPE "lodging.booking.confirmed"
#define CANCELLED_TYPE "lodging.booking.cancelled"
#define INVENTORY_UPDATED_TYPE "lodging.pms.inventory.updated"
#define PMS_EVENTS_BASE_TOPIC "pms.events"
#define GIVE_BACK_SOURCE "/booking-svc"
/* ISO 4217's "no currency involved": a foreign booking of a hotel without a listing. */
#define NO_CURRENCY "XXX"
#define BOOKING_ID_MAX 48
/* booking.schema.json's rooms: at most this many booked together */
#define BOOKING_EVENT_MAX_ROOMS 10

/* Columns of FOREIGN_SELECT, in order. */
enum {
    COL_BOOKING_ID,
    COL_STATUS,
    COL_ROOM_TYPE_ID,
    COL_CHECK_IN,
    COL_CHECK_OUT,
    COL_CURRENCY,
    COL_TOTAL_PRICE,
    COL_ADULTS,
    COL_CHILDREN,
    COL_ROOMS,
    COL_GUESTS_KNOWN,
};
#define FOREIGN_SELECT                                                                             \
    "SELECT booking_id, status, room_type_id, check_in, check_out, currency, total_price, "        \
    "adults, children, rooms, guest_count_known FROM booking "                                     \
    "WHERE vendor = ? AND hotel_id = ? AND pms_reservation_key = ? FOR UPDATE"

typedef struct stay {
    const char *booking_id, *room_type_id, *check_in, *check_out, *currency, *status;
    const char *total_price; /* decimal text in currency ("0": not known) */
    int64_t adults, children, rooms;
    bool guests_known; /* adults and children are the PMS's numbers */
} stay_t;

/* The party, rooms and total a change states, as the row keeps them. */
typedef struct details {
    int adults, children, rooms;
    bool guests_known;
    bool total_known;
    char total_price[32]; /* decimal text in currency */
    char currency[4];
} details_t;

static void add_text(struct json_object *o, const char *name, const char *value)
{
    if (value && *value)
        json_object_object_add(o, name, json_object_new_string(value));
}

/* booking.schema.json data of a foreign booking: no payment of ours; amount the stay's total as
 * the PMS stated it (0 when it did not), the guest counts only when the PMS stated them (the
 * row's one adult then only satisfies the table), the rooms when more than one. */
static struct json_object *event_data(const pms_foreign_change_t *c, const stay_t *s)
{
    struct json_object *o = json_object_new_object();
    add_text(o, "bookingId", s->booking_id);
    json_object_object_add(o, "source", json_object_new_string(PMS_FOREIGN_SOURCE));
    add_text(o, "channel", c->channel);
    add_text(o, "vendor", c->vendor);
    add_text(o, "hotelId", c->hotel_id);
    add_text(o, "roomTypeId", s->room_type_id);
    add_text(o, "checkIn", s->check_in);
    add_text(o, "checkOut", s->check_out);
    add_text(o, "status", s->status);
    if (s->guests_known) {
        json_object_object_add(o, "adults", json_object_new_int64(s->adults));
        json_object_object_add(o, "children", json_object_new_int64(s->children));
    }
    if (s->rooms >= 2 && s->rooms <= BOOKING_EVENT_MAX_ROOMS)
        json_object_object_add(o, "rooms", json_object_new_int64(s->rooms));
    int64_t amount = 0;
    if (!s->total_price || !s->currency ||
        money_from_decimal_text(s->total_price, s->currency, &amount) != 0 || amount < 0)
        amount = 0;
    json_object_object_add(o, "amount", json_object_new_int64(amount));
    add_text(o, "currency", s->currency);
    add_text(o, "reservationId", c->reservation_id);
    return o;
}

static int publish(db_t *tx, const char *type, struct json_object *data, const char *booking_id)
{
    int rc = outbox_append(tx, BOOKING_EVENTS_TOPIC, booking_id, type, data, NULL);
    json_object_put(data);
    return rc;
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

/* The hotel's currency from its listing, else NO_CURRENCY. */
static int hotel_currency(db_t *tx, const pms_foreign_change_t *c, char out[4])
{
    db_param_t p[] = {DB_STR(c->vendor), DB_STR(c->hotel_id)};
    db_result_t *r = NULL;
    if (db_query(tx, "SELECT currency FROM listings WHERE vendor = ? AND hotel_id = ?", p, 2, &r) !=
        DB_OK)
        return -1;
    const char *cur = db_result_rows(r) == 1 ? db_result_text(r, 0, 0) : NULL;
    snprintf(out, 4, "%s", cur && strlen(cur) == 3 ? cur : NO_CURRENCY);
    db_result_free(r);
    return 0;
}

/* What the change states of the party, rooms and total, for a row in `currency` (the listing's,
 * or NO_CURRENCY): the total is taken in its own currency when the row has none yet, never
 * converted from another one. */
static void details_of(const pms_foreign_change_t *c, const char *currency, details_t *d)
{
    memset(d, 0, sizeof *d);
    d->guests_known = c->adults > 0;
    d->adults = d->guests_known ? c->adults : 1;
    d->children = d->guests_known && c->children > 0 ? c->children : 0;
    d->rooms = c->rooms > 0 ? c->rooms : 1;
    snprintf(d->currency, sizeof d->currency, "%s", currency);
    snprintf(d->total_price, sizeof d->total_price, "0");
    if (!c->total_currency || c->total < 0 || !money_currency_known(c->total_currency))
        return;
    if (strcmp(currency, NO_CURRENCY) != 0 && strcmp(currency, c->total_currency) != 0) {
        log_kv(LOG_LEVEL_WARN, "foreign reservation's total is in another currency; not taken",
               "hotelId", c->hotel_id, "reservationId", c->reservation_id, "currency",
               c->total_currency, NULL);
        return;
    }
    if (money_to_decimal_text(c->total, c->total_currency, d->total_price, sizeof d->total_price) !=
        0) {
        snprintf(d->total_price, sizeof d->total_price, "0");
        return;
    }
    d->total_known = true;
    snprintf(d->currency, sizeof d->currency, "%s", c->total_currency);
}

static int record_new(db_t *tx, const pms_foreign_change_t *c, bool *changed)
{
    if (!c->room_type_id || !c->check_in || !c->check_out) {
        log_kv(LOG_LEVEL_WARN, "foreign reservation without room type or dates; not recorded",
               "hotelId", c->hotel_id, "reservationId", c->reservation_id, NULL);
        return 0;
    }
    if (strcmp(c->check_out, c->check_in) <= 0) {
        log_kv(LOG_LEVEL_WARN, "foreign reservation with checkOut not after checkIn; not recorded",
               "hotelId", c->hotel_id, "reservationId", c->reservation_id, NULL);
        return 0;
    }
    char booking_id[BOOKING_ID_MAX], currency[4];
    if (crypto_random_id("bk_", booking_id, sizeof booking_id) != 0 ||
        hotel_currency(tx, c, currency) != 0)
        return -1;
    details_t d;
    details_of(c, currency, &d);
    db_param_t p[] = {DB_STR(booking_id),        DB_STR(c->vendor),
                      DB_STR(c->hotel_id),       DB_STR(c->room_type_id),
                      DB_STR(c->check_in),       DB_STR(c->check_out),
                      DB_INT(d.adults),          DB_INT(d.children),
                      DB_INT(d.rooms),           DB_INT(d.guests_known ? 1 : 0),
                      DB_STR(c->reservation_id), DB_STR(d.total_price),
                      DB_STR(d.currency),        DB_STR(c->channel)};
    db_err_t e = db_exec(tx,
                         "INSERT INTO booking (booking_id, source, vendor, hotel_id, room_type_id, "
                         "check_in, check_out, adults, children, rooms, guest_count_known, status, "
                         "reservation_id, total_price, currency, channel) VALUES (?, 'pms', ?, ?, "
                         "?, ?, ?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, ?)",
                         p, 14, NULL, NULL);
    if (e == DB_ERR_DUPLICATE)
        return 0; /* recorded meanwhile by another delivery of the same reservation */
    if (e != DB_OK || step_log(tx, booking_id, "recorded", "a booking made on another channel"))
        return -1;
    stay_t s = {booking_id, c->room_type_id, c->check_in,   c->check_out,
                d.currency, "confirmed",     d.total_price, d.adults,
                d.children, d.rooms,         d.guests_known};
    *changed = true;
    return publish(tx, CONFIRMED_TYPE, event_data(c, &s), booking_id);
}

static int cancel_known(db_t *tx, const pms_foreign_change_t *c, stay_t *s, bool *changed)
{
    if (strcmp(s->status, "confirmed") != 0)
        return 0; /* cancelled before: a repeated report */
    db_param_t p[] = {DB_STR(s->booking_id)};
    if (db_exec(tx, "UPDATE booking SET status = 'cancelled' WHERE booking_id = ?", p, 1, NULL,
                NULL) != DB_OK ||
        step_log(tx, s->booking_id, "cancel_reservation", "cancelled on another channel") != 0)
        return -1;
    s->status = "cancelled";
    *changed = true;
    return publish(tx, CANCELLED_TYPE, event_data(c, s), s->booking_id);
}

static bool differs(const char *reported, const char *recorded)
{
    return reported && (!recorded || strcmp(reported, recorded) != 0);
}

/* A known reservation reported confirmed: moved (room type or dates), reinstated, or as is. */
static int confirm_known(db_t *tx, const pms_foreign_change_t *c, stay_t *s, bool *changed)
{
    bool moved = differs(c->room_type_id, s->room_type_id) || differs(c->check_in, s->check_in) ||
                 differs(c->check_out, s->check_out);
    bool reinstated = strcmp(s->status, "confirmed") != 0;
    if (!moved && !reinstated)
        return 0;
    stay_t now = *s;
    if (c->room_type_id)
        now.room_type_id = c->room_type_id;
    if (c->check_in)
        now.check_in = c->check_in;
    if (c->check_out)
        now.check_out = c->check_out;
    now.status = "confirmed";
    if (strcmp(now.check_out, now.check_in) <= 0) {
        log_kv(LOG_LEVEL_WARN, "foreign reservation moved to checkOut not after checkIn; ignored",
               "hotelId", c->hotel_id, "reservationId", c->reservation_id, NULL);
        return 0;
    }
    /* the party and total the PMS states now (a change of dates changes the total) */
    details_t d;
    details_of(c, s->currency ? s->currency : NO_CURRENCY, &d);
    if (d.guests_known) {
        now.adults = d.adults;
        now.children = d.children;
        now.guests_known = true;
    }
    if (c->rooms > 0)
        now.rooms = d.rooms;
    if (d.total_known) {
        now.total_price = d.total_price;
        now.currency = d.currency;
    }
    db_param_t p[] = {DB_STR(now.room_type_id),
                      DB_STR(now.check_in),
                      DB_STR(now.check_out),
                      DB_INT(now.adults),
                      DB_INT(now.children),
                      DB_INT(now.rooms),
                      DB_INT(now.guests_known ? 1 : 0),
                      DB_STR(now.total_price),
                      DB_STR(now.currency),
                      DB_STR(s->booking_id)};
    if (db_exec(tx,
                "UPDATE booking SET room_type_id = ?, check_in = ?, check_out = ?, adults = ?, "
                "children = ?, rooms = ?, guest_count_known = ?, total_price = ?, currency = ?, "
                "status = 'confirmed' WHERE booking_id = ?",
                p, 10, NULL, NULL) != DB_OK ||
        step_log(tx, s->booking_id, moved ? "modify" : "confirm",
                 moved ? "room type or dates changed on another channel"
                       : "confirmed again on another channel") != 0)
        return -1;
    *changed = true;
    if (moved && s->status && strcmp(s->status, "confirmed") == 0) {
        pms_stay_t before = {s->room_type_id, s->check_in, s->check_out},
                   after = {now.room_type_id, now.check_in, now.check_out};
        if (pms_stay_give_back(tx, c->vendor, c->hotel_id, s->booking_id, &before, &after) != 0)
            return -1;
    }
    struct json_object *data = event_data(c, &now);
    if (!moved)
        return publish(tx, CONFIRMED_TYPE, data, s->booking_id);
    struct json_object *prev = json_object_new_object();
    add_text(prev, "roomTypeId", s->room_type_id);
    add_text(prev, "checkIn", s->check_in);
    add_text(prev, "checkOut", s->check_out);
    json_object_object_add(data, "previous", prev);
    return publish(tx, BOOKING_MODIFIED_EVENT_TYPE, data, s->booking_id);
}

int pms_foreign_apply(db_t *tx, const pms_foreign_change_t *c, bool *changed)
{
    db_param_t key[] = {DB_STR(c->vendor), DB_STR(c->hotel_id), DB_STR(c->reservation_id)};
    db_result_t *r = NULL;
    if (db_query(tx, FOREIGN_SELECT, key, 3, &r) != DB_OK)
        return -1;
    int rc;
    if (db_result_rows(r) == 0) {
        rc = c->cancelled ? 0 : record_new(tx, c, changed);
    } else {
        stay_t s = {db_result_text(r, 0, COL_BOOKING_ID), db_result_text(r, 0, COL_ROOM_TYPE_ID),
                    db_result_text(r, 0, COL_CHECK_IN),   db_result_text(r, 0, COL_CHECK_OUT),
                    db_result_text(r, 0, COL_CURRENCY),   db_result_text(r, 0, COL_STATUS),
                    db_result_text(r, 0, COL_TOTAL_PRICE)};
        int64_t known = 0;
        if (db_result_int64(r, 0, COL_ADULTS, &s.adults) != 0 ||
            db_result_int64(r, 0, COL_CHILDREN, &s.children) != 0 ||
            db_result_int64(r, 0, COL_ROOMS, &s.rooms) != 0 ||
            db_result_int64(r, 0, COL_GUESTS_KNOWN, &known) != 0)
            s.status = NULL; /* an unreadable row: failed below */
        s.guests_known = known != 0;
        if (!s.status || !s.check_in || !s.check_out || !s.room_type_id)
            rc = -1;
        else
            rc =
                c->cancelled ? cancel_known(tx, c, &s, changed) : confirm_known(tx, c, &s, changed);
    }
    db_result_free(r);
    return rc;
}

int pms_stay_give_back(db_t *tx, const char *vendor, const char *hotel_id, const char *booking_id,
                       const pms_stay_t *before, const pms_stay_t *after)
{
    dates_day_t b_in, b_out, a_in, a_out;
    if (!before->room_type_id || !after->room_type_id || !before->check_in || !before->check_out ||
        !after->check_in || !after->check_out || dates_parse_iso(before->check_in, &b_in) != 0 ||
        dates_parse_iso(before->check_out, &b_out) != 0 ||
        dates_parse_iso(after->check_in, &a_in) != 0 ||
        dates_parse_iso(after->check_out, &a_out) != 0 || b_out <= b_in)
        return 0; /* nothing known to give back */
    bool same_room = strcmp(before->room_type_id, after->room_type_id) == 0;
    if (same_room && a_in <= b_in && a_out >= b_out)
        return 0; /* the new stay covers every old night */
    db_param_t q[] = {DB_STR(booking_id)};
    db_result_t *r = NULL;
    int64_t rooms = 1;
    if (db_query(tx, "SELECT rooms FROM booking WHERE booking_id = ?", q, 1, &r) != DB_OK)
        return -1;
    if (db_result_rows(r) == 1 && (db_result_int64(r, 0, 0, &rooms) != 0 || rooms < 1))
        rooms = 1;
    db_result_free(r);
    /* a night of both stays of the same room type stays taken */
    db_param_t p[] = {DB_INT(rooms),
                      DB_STR(vendor),
                      DB_STR(hotel_id),
                      DB_STR(before->room_type_id),
                      DB_STR(before->check_in),
                      DB_STR(before->check_out),
                      DB_INT(same_room ? 1 : 0),
                      DB_STR(after->check_in),
                      DB_STR(after->check_out)};
    if (db_exec(tx,
                "UPDATE room_inventory SET available = LEAST(total, available + ?) "
                "WHERE vendor = ? AND hotel_id = ? AND room_type_id = ? AND stay_date >= ? AND "
                "stay_date < ? AND count_known AND NOT (? = 1 AND stay_date >= ? AND "
                "stay_date < ?)",
                p, 9, NULL, NULL) != DB_OK)
        return -1;
    char key[512], digest[CRYPTO_SHA256_HEX_LEN + 1], id[64], to[DATES_ISO_LEN + 1];
    int len = snprintf(key, sizeof key, "%s\n%s\n%s\n%s\n%s\n%s\n%s", booking_id,
                       before->room_type_id, before->check_in, before->check_out,
                       after->room_type_id, after->check_in, after->check_out);
    if (len < 0 || (size_t)len >= sizeof key || crypto_sha256_hex(key, (size_t)len, digest) != 0)
        return -1;
    snprintf(id, sizeof id, "pmsmove-%.40s", digest);
    dates_format_iso(b_out - 1, to);
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "eventId", json_object_new_string(id));
    json_object_object_add(data, "vendor", json_object_new_string(vendor));
    json_object_object_add(data, "hotelId", json_object_new_string(hotel_id));
    json_object_object_add(data, "roomTypeId", json_object_new_string(before->room_type_id));
    json_object_object_add(data, "from", json_object_new_string(before->check_in));
    json_object_object_add(data, "to", json_object_new_string(to));
    cloudevent_t *ev = cloudevent_new(INVENTORY_UPDATED_TYPE, GIVE_BACK_SOURCE, hotel_id, data);
    if (!ev)
        return -1;
    free(ev->id);
    ev->id = strdup(id);
    int rc = ev->id ? outbox_append_event(tx, PMS_EVENTS_BASE_TOPIC, hotel_id, ev, NULL) : -1;
    cloudevent_free(ev);
    return rc;
}
