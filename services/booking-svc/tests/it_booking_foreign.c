/* Bookings made elsewhere, against the local stack and the pms-sandbox: a
 * reservation made at the sandbox's front desk and reported on pms.events (as
 * webhook-ingest publishes the sandbox's booking_confirm) becomes one booking
 * of source "pms" and one lodging.booking.confirmed however often it is
 * reported; a front-desk date change moves the record and tells
 * lodging.booking.modified; a front-desk cancel cancels it without any
 * compensation; a reservation that is our own hold is never recorded twice. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_it.h"
#include "check_run.h"
#include "common/cloudevents.h"
#include "common/dates.h"
#include "common/money.h"
#include "common/pms.h"
#include "outbox.h"
#include "pms_events.h"
#include "pms_foreign.h"
#include "schema_check.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define HOTEL "hotel_123"
#define ROOM "room_456"

static booking_it_t it;
static ts_sandbox_t pms_sb;
static outbox_relay_t *relay;
static pms_events_consumer_t *consumer;
static pms_connector_t *pms;

static void setup(void)
{
    booking_it_setup(&it, "it_booking_foreign");
    ts_sandbox_start(&pms_sb, "pms-sandbox", "PMS_SANDBOX_PORT", NULL);
    setenv("PMS_hotel_123_API_KEY", "cbk_sandbox_hotel_123", 1);
    char err[256];
    pms_config_t pc = PMS_CONFIG_DEFAULT;
    pc.base_url = pms_sb.base_url;
    pc.timeout_ms = 3000;
    pc.rate_per_second = 100;
    pms = pms_connector_new("cloudbeds", &pc, err, sizeof err);
    ck_assert_msg(pms != NULL, "%s", err);
    outbox_relay_config_t oc = {
        .db = it.pool, .producer = it.producer, .topic_prefix = it.prefix, .poll_interval_ms = 50};
    relay = outbox_relay_start(&oc, err, sizeof err);
    ck_assert_msg(relay != NULL, "%s", err);
    consumer = pms_events_start(it.brokers, it.prefix, it.pool, pms, outbox_relay_kick_cb, relay,
                                err, sizeof err);
    ck_assert_msg(consumer != NULL, "%s", err);
}

static void teardown(void)
{
    pms_events_stop(consumer);
    outbox_relay_stop(relay);
    pms_connector_free(pms);
    ts_sandbox_stop(&pms_sb);
    booking_it_teardown(&it);
}

/* ------------------------------------------------------------ helpers -- */

typedef struct stay {
    char reservation_id[64], room_type_id[64], check_in[16], check_out[16];
} stay_t;

static const char *text_of(struct json_object *o, const char *name)
{
    struct json_object *v;
    const char *t = json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
    return t ? t : ""; /* absent or null */
}

/* The sandbox's reservation as it is now. */
static stay_t sandbox_stay(const char *reservation_id)
{
    struct json_object *ledger =
                           ts_sandbox_get_json(&pms_sb, "/_sandbox/ledger?propertyID=" HOTEL, NULL),
                       *list;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    stay_t s = {0};
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        if (strcmp(text_of(r, "reservationID"), reservation_id) != 0)
            continue;
        snprintf(s.reservation_id, sizeof s.reservation_id, "%s", reservation_id);
        snprintf(s.room_type_id, sizeof s.room_type_id, "%s", text_of(r, "roomTypeID"));
        snprintf(s.check_in, sizeof s.check_in, "%s", text_of(r, "startDate"));
        snprintf(s.check_out, sizeof s.check_out, "%s", text_of(r, "endDate"));
    }
    json_object_put(ledger);
    ck_assert_msg(s.reservation_id[0], "reservation %s not in the sandbox ledger", reservation_id);
    return s;
}

/* The newest reservation of the hotel made without our reference: the desk's. */
static stay_t book_at_the_desk_for(int offset, int nights, int adults, int children)
{
    char body[256], in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + offset, in);
    dates_format_iso(dates_today_utc() + offset + nights, out);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"%s\",\"roomTypeID\":\"%s\",\"startDate\":\"%s\",\"endDate\":"
             "\"%s\",\"adults\":%d,\"children\":%d}",
             HOTEL, ROOM, in, out, adults, children);
    ck_assert_int_eq(ts_sandbox_post(&pms_sb, "/_sandbox/frontdesk/book", body), 201);
    struct json_object *ledger =
                           ts_sandbox_get_json(&pms_sb, "/_sandbox/ledger?propertyID=" HOTEL, NULL),
                       *list;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    char id[64] = "";
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        if (!*text_of(r, "thirdPartyIdentifier") && strcmp(text_of(r, "startDate"), in) == 0)
            snprintf(id, sizeof id, "%s", text_of(r, "reservationID"));
    }
    json_object_put(ledger);
    ck_assert_msg(id[0], "the desk's reservation is not in the sandbox ledger");
    return sandbox_stay(id);
}

static stay_t book_at_the_desk(int offset, int nights)
{
    return book_at_the_desk_for(offset, nights, 1, 0);
}

/* The sandbox's total of a reservation in minor units (its currency into cur). */
static long long sandbox_total(const char *reservation_id, char cur[4])
{
    struct json_object *ledger =
                           ts_sandbox_get_json(&pms_sb, "/_sandbox/ledger?propertyID=" HOTEL, NULL),
                       *list, *v;
    ck_assert(json_object_object_get_ex(ledger, "reservations", &list));
    long long total = -1;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *r = json_object_array_get_idx(list, i);
        if (strcmp(text_of(r, "reservationID"), reservation_id) != 0)
            continue;
        snprintf(cur, 4, "%s", text_of(r, "currency"));
        int64_t minor = 0;
        ck_assert(json_object_object_get_ex(r, "grandTotal", &v));
        ck_assert_int_eq(money_from_double(json_object_get_double(v), cur, &minor), 0);
        total = (long long)minor;
    }
    json_object_put(ledger);
    ck_assert_msg(total > 0, "no total for %s in the sandbox ledger", reservation_id);
    return total;
}

static void report_fields(const char *type, const stay_t *s, bool with_room_type);

/* A night of room_inventory as a sync would have left it (count known). */
static void seed_night(const char *room, int offset, int available, int total)
{
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + offset, day);
    db_param_t p[] = {DB_STR(HOTEL), DB_STR(room), DB_STR(day), DB_INT(available), DB_INT(total)};
    ck_assert_int_eq(db_exec(it.db,
                             "INSERT INTO room_inventory (vendor, hotel_id, room_type_id, "
                             "stay_date, available, total) VALUES ('cloudbeds', ?, ?, ?, ?, ?)",
                             p, 5, NULL, NULL),
                     DB_OK);
}

static long night_available(const char *room, int offset)
{
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + offset, day);
    return booking_it_query_long(&it,
                                 "SELECT available FROM room_inventory WHERE hotel_id = '" HOTEL
                                 "' AND room_type_id = ? AND stay_date = ?",
                                 room, day);
}

/* lodging.pms.inventory.updated rows booking-svc wrote for pms.events. */
static long give_back_events(void)
{
    return booking_it_query_long(&it,
                                 "SELECT COUNT(*) FROM outbox WHERE topic = 'pms.events' AND "
                                 "event_type = 'lodging.pms.inventory.updated'",
                                 NULL, NULL);
}

/* Publishes the sandbox's booking_confirm / booking_cancel of a stay as webhook-ingest does. */
static void report(const char *type, const stay_t *s)
{
    report_fields(type, s, true);
}

static void report_fields(const char *type, const stay_t *s, bool with_room_type)
{
    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "eventId", json_object_new_string("evt_desk"));
    json_object_object_add(data, "vendor", json_object_new_string("cloudbeds"));
    json_object_object_add(data, "hotelId", json_object_new_string(HOTEL));
    json_object_object_add(data, "reservationId", json_object_new_string(s->reservation_id));
    if (with_room_type)
        json_object_object_add(data, "roomTypeId", json_object_new_string(s->room_type_id));
    json_object_object_add(data, "checkIn", json_object_new_string(s->check_in));
    json_object_object_add(data, "checkOut", json_object_new_string(s->check_out));
    json_object_object_add(data, "status",
                           json_object_new_string(strcmp(type, PMS_EVENT_BOOKING_CANCELLED) == 0
                                                      ? "cancelled"
                                                      : "confirmed"));
    schema_assert_matches(data, "pms-booking-changed");
    cloudevent_t *ev = cloudevent_new(type, "/webhook-ingest", HOTEL, data);
    char topic[160], err[256];
    kafka_topic_name(it.prefix, "pms.events", topic, sizeof topic);
    ck_assert_msg(cloudevent_send_sync(it.producer, topic, HOTEL, ev, err, sizeof err) == 0, "%s",
                  err);
    cloudevent_free(ev);
}

static long foreign_rows(const char *reservation_id)
{
    return booking_it_query_long(&it,
                                 "SELECT COUNT(*) FROM booking WHERE source = 'pms' AND "
                                 "hotel_id = 'hotel_123' AND reservation_id = ?",
                                 reservation_id, NULL);
}

static const char *foreign_text(const char *column_sql, const char *reservation_id, char *out,
                                size_t size)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM booking WHERE source = 'pms' AND reservation_id = ?",
             column_sql);
    return booking_it_query_text(&it, sql, reservation_id, out, size);
}

/* The one event of this type about the reservation on booking.events (schema-checked); the
 * caller frees it. Fails when there is not exactly one. */
static cloudevent_t *the_event(booking_it_collector_t *c, const char *type,
                               const char *reservation_id)
{
    cloudevent_t *found = NULL;
    int n = 0;
    char err[256];
    for (int i = 0; i < booking_it_collected(c); i++) {
        booking_it_message_t m = booking_it_message(c, i);
        if (strcmp(m.ce_type, type) != 0 || !m.value)
            continue;
        cloudevent_t *ev = cloudevent_parse(m.value, strlen(m.value), err, sizeof err);
        ck_assert_msg(ev != NULL, "%s", err);
        if (strcmp(text_of(ev->data, "reservationId"), reservation_id) != 0) {
            cloudevent_free(ev);
            continue;
        }
        schema_assert_matches(ev->data, "booking");
        ck_assert_str_eq(m.key, text_of(ev->data, "bookingId"));
        n++;
        cloudevent_free(found);
        found = ev;
    }
    ck_assert_msg(n == 1, "%d %s events for reservation %s", n, type, reservation_id);
    return found;
}

static int count_events(booking_it_collector_t *c, const char *type, const char *reservation_id)
{
    int n = 0;
    char err[256];
    for (int i = 0; i < booking_it_collected(c); i++) {
        booking_it_message_t m = booking_it_message(c, i);
        if (strcmp(m.ce_type, type) != 0 || !m.value)
            continue;
        cloudevent_t *ev = cloudevent_parse(m.value, strlen(m.value), err, sizeof err);
        if (ev && strcmp(text_of(ev->data, "reservationId"), reservation_id) == 0)
            n++;
        cloudevent_free(ev);
    }
    return n;
}

/* The consumer has handled everything sent so far: a marker reservation sent last is recorded. */
static void wait_for_marker(booking_it_collector_t *c)
{
    stay_t marker = book_at_the_desk(90 + rand() % 200, 1);
    report(PMS_EVENT_BOOKING_CONFIRMED, &marker);
    ck_assert(
        TS_POLL_UNTIL(count_events(c, "lodging.booking.confirmed", marker.reservation_id) == 1,
                      BOOKING_IT_WAIT_MS));
}

/* -------------------------------------------------------------- tests -- */

START_TEST(test_a_desk_booking_is_recorded_and_told_once_however_often_it_is_reported)
{
    booking_it_collector_t *events = booking_it_collect(&it, "booking.events");
    stay_t s = book_at_the_desk_for(30, 2, 2, 1);
    report(PMS_EVENT_BOOKING_CONFIRMED, &s);
    report(PMS_EVENT_BOOKING_CONFIRMED, &s); /* the webhook delivered twice */
    ck_assert(
        TS_POLL_UNTIL(count_events(events, "lodging.booking.confirmed", s.reservation_id) >= 1,
                      BOOKING_IT_WAIT_MS));
    wait_for_marker(events);
    ck_assert_int_eq(foreign_rows(s.reservation_id), 1);
    char v[64];
    ck_assert_str_eq(foreign_text("status", s.reservation_id, v, sizeof v), "confirmed");
    ck_assert_str_eq(
        foreign_text("DATE_FORMAT(check_in, '%Y-%m-%d')", s.reservation_id, v, sizeof v),
        s.check_in);
    ck_assert_str_eq(foreign_text("room_type_id", s.reservation_id, v, sizeof v), ROOM);
    ck_assert_str_eq(foreign_text("COALESCE(payment_auth_id, '')", s.reservation_id, v, sizeof v),
                     "");
    cloudevent_t *ev = the_event(events, "lodging.booking.confirmed", s.reservation_id);
    ck_assert_str_eq(text_of(ev->data, "source"), "pms");
    ck_assert_str_eq(text_of(ev->data, "checkOut"), s.check_out);
    /* the party and the total are the PMS's reservation's (getReservation), never invented */
    char cur[4];
    long long total = sandbox_total(s.reservation_id, cur);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(ev->data, "amount")), total);
    ck_assert_str_eq(text_of(ev->data, "currency"), cur);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(ev->data, "adults")), 2);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(ev->data, "children")), 1);
    ck_assert_str_eq(foreign_text("CONCAT(adults, '/', children, '/', guest_count_known)",
                                  s.reservation_id, v, sizeof v),
                     "2/1/1");
    int64_t stored = -1;
    ck_assert_int_eq(money_from_decimal_text(
                         foreign_text("total_price", s.reservation_id, v, sizeof v), cur, &stored),
                     0);
    ck_assert_int_eq(stored, total);
    ck_assert(!json_object_object_get_ex(ev->data, "paymentAuthId", NULL));
    ck_assert(!json_object_object_get_ex(ev->data, "paymentProvider", NULL));
    cloudevent_free(ev);
    ck_assert_int_eq(
        booking_it_query_long(&it, "SELECT COUNT(*) FROM compensation_task", NULL, NULL), 0);
    booking_it_collector_free(events);
}
END_TEST

START_TEST(test_a_desk_date_change_moves_the_record_and_tells_booking_modified)
{
    booking_it_collector_t *events = booking_it_collect(&it, "booking.events");
    stay_t before = book_at_the_desk(40, 2);
    report(PMS_EVENT_BOOKING_CONFIRMED, &before);
    /* recorded before the desk changes it (the consumer reads the PMS's present state) */
    ck_assert(
        TS_POLL_UNTIL(count_events(events, "lodging.booking.confirmed", before.reservation_id) == 1,
                      BOOKING_IT_WAIT_MS));
    /* the old stay's nights as counted before the change; a night of the new room type */
    seed_night(ROOM, 40, 3, 10);
    seed_night(ROOM, 41, 3, 10);
    seed_night("room_457", 42, 7, 10);
    char body[256], in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + 42, in);
    dates_format_iso(dates_today_utc() + 45, out);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"%s\",\"reservationID\":\"%s\",\"roomTypeID\":\"room_457\","
             "\"startDate\":\"%s\",\"endDate\":\"%s\"}",
             HOTEL, before.reservation_id, in, out);
    ck_assert_int_eq(ts_sandbox_post(&pms_sb, "/_sandbox/frontdesk/modify", body), 200);
    stay_t after = sandbox_stay(before.reservation_id);
    ck_assert_str_eq(after.check_in, in);
    ck_assert_str_eq(after.room_type_id, "room_457");
    report(PMS_EVENT_BOOKING_CONFIRMED, &after);
    report(PMS_EVENT_BOOKING_CONFIRMED, &after);
    ck_assert(
        TS_POLL_UNTIL(count_events(events, BOOKING_MODIFIED_EVENT_TYPE, before.reservation_id) >= 1,
                      BOOKING_IT_WAIT_MS));
    wait_for_marker(events);
    ck_assert_int_eq(foreign_rows(before.reservation_id), 1);
    char v[64];
    ck_assert_str_eq(
        foreign_text("DATE_FORMAT(check_in, '%Y-%m-%d')", before.reservation_id, v, sizeof v), in);
    ck_assert_str_eq(
        foreign_text("DATE_FORMAT(check_out, '%Y-%m-%d')", before.reservation_id, v, sizeof v),
        out);
    ck_assert_str_eq(foreign_text("room_type_id", before.reservation_id, v, sizeof v), "room_457");
    cloudevent_t *ev = the_event(events, BOOKING_MODIFIED_EVENT_TYPE, before.reservation_id);
    struct json_object *prev = json_object_object_get(ev->data, "previous");
    ck_assert_ptr_nonnull(prev);
    ck_assert_str_eq(text_of(prev, "checkIn"), before.check_in);
    ck_assert_str_eq(text_of(prev, "checkOut"), before.check_out);
    /* The report names only the new stay: the old nights are given back at once (no sync),
     * once however often it is reported, and their cached counts dropped; the new nights are
     * inventory-svc's to re-read from the PMS. */
    ck_assert_int_eq(night_available(ROOM, 40), 4);
    ck_assert_int_eq(night_available(ROOM, 41), 4);
    ck_assert_int_eq(night_available("room_457", 42), 7);
    ck_assert_int_eq(give_back_events(), 1);
    ck_assert_str_eq(text_of(prev, "roomTypeId"), ROOM);
    ck_assert_str_eq(text_of(ev->data, "checkIn"), in);
    ck_assert_str_eq(text_of(ev->data, "roomTypeId"), "room_457");
    cloudevent_free(ev);
    cloudevent_free(the_event(events, "lodging.booking.confirmed", before.reservation_id));
    booking_it_collector_free(events);
}
END_TEST

START_TEST(test_a_desk_cancel_of_a_desk_booking_cancels_it_without_compensation)
{
    booking_it_collector_t *events = booking_it_collect(&it, "booking.events");
    stay_t s = book_at_the_desk(50, 3);
    report(PMS_EVENT_BOOKING_CONFIRMED, &s);
    char body[160];
    snprintf(body, sizeof body, "{\"propertyID\":\"%s\",\"reservationID\":\"%s\"}", HOTEL,
             s.reservation_id);
    ck_assert_int_eq(ts_sandbox_post(&pms_sb, "/_sandbox/frontdesk/cancel", body), 200);
    report(PMS_EVENT_BOOKING_CANCELLED, &s);
    report(PMS_EVENT_BOOKING_CANCELLED, &s);
    ck_assert(
        TS_POLL_UNTIL(count_events(events, "lodging.booking.cancelled", s.reservation_id) >= 1,
                      BOOKING_IT_WAIT_MS));
    wait_for_marker(events);
    char v[64];
    ck_assert_str_eq(foreign_text("status", s.reservation_id, v, sizeof v), "cancelled");
    cloudevent_t *ev = the_event(events, "lodging.booking.cancelled", s.reservation_id);
    ck_assert_str_eq(text_of(ev->data, "source"), "pms");
    ck_assert(!json_object_object_get_ex(ev->data, "compensations", NULL));
    cloudevent_free(ev);
    ck_assert_int_eq(
        booking_it_query_long(&it, "SELECT COUNT(*) FROM compensation_task", NULL, NULL), 0);
    /* A cancel of a reservation never heard of records nothing. */
    stay_t unknown = {"res_never_seen", ROOM, "2026-12-01", "2026-12-03"};
    report(PMS_EVENT_BOOKING_CANCELLED, &unknown);
    wait_for_marker(events);
    ck_assert_int_eq(foreign_rows("res_never_seen"), 0);
    booking_it_collector_free(events);
}
END_TEST

START_TEST(test_our_own_hold_reported_confirmed_is_not_a_foreign_booking)
{
    booking_it_collector_t *events = booking_it_collect(&it, "booking.events");
    /* Our checkout's booking, still known only by its hold id (the saga has not yet written the
     * reservation id when the PMS reports the confirm). */
    booking_it_seed_booking(&it, "bk_ours_1", "pending", NULL, NULL, NULL, "250000.00", "KRW");
    db_param_t p[] = {DB_STR("res_ours_1")};
    ck_assert(db_exec(it.db, "UPDATE booking SET hold_id = ? WHERE booking_id = 'bk_ours_1'", p, 1,
                      NULL, NULL) == DB_OK);
    stay_t ours = {"res_ours_1", ROOM, "2026-12-01", "2026-12-03"};
    report(PMS_EVENT_BOOKING_CONFIRMED, &ours);
    wait_for_marker(events);
    ck_assert_int_eq(foreign_rows("res_ours_1"), 0);
    ck_assert_int_eq(count_events(events, "lodging.booking.confirmed", "res_ours_1"), 0);
    booking_it_collector_free(events);
}
END_TEST

/* Cloudbeds' own reservation/created carries no room type: the consumer reads the reservation
 * from the PMS and records it with the PMS's room type and dates. */
START_TEST(test_a_report_without_room_type_is_completed_from_the_pms)
{
    booking_it_collector_t *events = booking_it_collect(&it, "booking.events");
    stay_t s = book_at_the_desk(60, 2);
    stay_t reported = s;
    snprintf(reported.check_out, sizeof reported.check_out, "%s", s.check_in); /* garbled */
    report_fields(PMS_EVENT_BOOKING_CONFIRMED, &reported, false);
    ck_assert(
        TS_POLL_UNTIL(count_events(events, "lodging.booking.confirmed", s.reservation_id) == 1,
                      BOOKING_IT_WAIT_MS));
    char v[64];
    ck_assert_str_eq(foreign_text("room_type_id", s.reservation_id, v, sizeof v), ROOM);
    ck_assert_str_eq(
        foreign_text("DATE_FORMAT(check_out, '%Y-%m-%d')", s.reservation_id, v, sizeof v),
        s.check_out);
    booking_it_collector_free(events);
}
END_TEST

/* A reservation our checkout made (its reference is our booking) reported before the saga
 * wrote its hold or reservation id is ours, never a booking made elsewhere. */
START_TEST(test_a_reservation_with_our_reference_is_ours_even_before_the_saga_names_it)
{
    booking_it_collector_t *events = booking_it_collect(&it, "booking.events");
    char bk[48];
    ts_unique_name("bk", bk, sizeof bk);
    booking_it_seed_booking(&it, bk, "pending", NULL, NULL, NULL, "250000.00", "KRW");
    pms_hold_request_t req = {.hotel_id = HOTEL,
                              .room_type_id = ROOM,
                              .check_in = dates_today_utc() + 70,
                              .check_out = dates_today_utc() + 72,
                              .rooms = 1,
                              .adults = 2,
                              .guest = {.first_name = "Test",
                                        .last_name = "Guest",
                                        .email = "guest@example.com",
                                        .phone = "+82-10-0000-0000"},
                              .ttl_seconds = 180,
                              .reference = bk};
    pms_hold_t hold;
    pms_reservation_t res;
    pms_error_t perr;
    ck_assert_msg(pms_create_hold(pms, &req, &hold, &perr) == PMS_OK, "%s", perr.message);
    ck_assert_int_eq(pms_confirm_hold(pms, HOTEL, hold.hold_id, &res, &perr), PMS_OK);
    stay_t ours = sandbox_stay(res.reservation_id);
    report(PMS_EVENT_BOOKING_CONFIRMED, &ours);
    wait_for_marker(events);
    ck_assert_int_eq(foreign_rows(res.reservation_id), 0);
    ck_assert_int_eq(count_events(events, "lodging.booking.confirmed", res.reservation_id), 0);
    booking_it_collector_free(events);
}
END_TEST

/* One of our bookings whose dates the desk changed: the record follows the PMS, the price stays
 * what the guest paid, lodging.booking.modified tells the previous stay — once. */
START_TEST(test_a_desk_date_change_of_our_booking_moves_it_and_tells_booking_modified)
{
    booking_it_collector_t *events = booking_it_collect(&it, "booking.events");
    char bk[48];
    ts_unique_name("bk", bk, sizeof bk);
    pms_hold_request_t req = {.hotel_id = HOTEL,
                              .room_type_id = ROOM,
                              .check_in = dates_today_utc() + 80,
                              .check_out = dates_today_utc() + 82,
                              .rooms = 1,
                              .adults = 2,
                              .guest = {.first_name = "Test",
                                        .last_name = "Guest",
                                        .email = "guest@example.com",
                                        .phone = "+82-10-0000-0000"},
                              .ttl_seconds = 180,
                              .reference = bk};
    pms_hold_t hold;
    pms_reservation_t res;
    pms_error_t perr;
    ck_assert_msg(pms_create_hold(pms, &req, &hold, &perr) == PMS_OK, "%s", perr.message);
    ck_assert_int_eq(pms_confirm_hold(pms, HOTEL, hold.hold_id, &res, &perr), PMS_OK);
    booking_it_seed_booking(&it, bk, "confirmed", NULL, NULL, res.reservation_id, "250000.00",
                            "KRW");
    stay_t before = sandbox_stay(res.reservation_id);
    db_param_t p[] = {DB_STR(before.check_in), DB_STR(before.check_out), DB_STR(bk)};
    ck_assert(db_exec(it.db, "UPDATE booking SET check_in = ?, check_out = ? WHERE booking_id = ?",
                      p, 3, NULL, NULL) == DB_OK);
    report(PMS_EVENT_BOOKING_CONFIRMED, &before); /* the confirm itself moves nothing */
    seed_night(ROOM, 80, 5, 10);
    seed_night(ROOM, 81, 5, 10);

    char body[256], in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
    dates_format_iso(dates_today_utc() + 81, in);
    dates_format_iso(dates_today_utc() + 84, out);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"%s\",\"reservationID\":\"%s\",\"startDate\":\"%s\","
             "\"endDate\":\"%s\"}",
             HOTEL, res.reservation_id, in, out);
    ck_assert_int_eq(ts_sandbox_post(&pms_sb, "/_sandbox/frontdesk/modify", body), 200);
    stay_t after = sandbox_stay(res.reservation_id);
    report(PMS_EVENT_BOOKING_CONFIRMED, &after);
    report(PMS_EVENT_BOOKING_CONFIRMED, &after);
    report(PMS_EVENT_BOOKING_CONFIRMED, &before); /* a late redelivery: the PMS says otherwise */
    ck_assert(
        TS_POLL_UNTIL(count_events(events, BOOKING_MODIFIED_EVENT_TYPE, res.reservation_id) >= 1,
                      BOOKING_IT_WAIT_MS));
    wait_for_marker(events);
    char v[64];
    ck_assert_str_eq(booking_it_query_text(&it,
                                           "SELECT DATE_FORMAT(check_in, '%Y-%m-%d') FROM booking "
                                           "WHERE booking_id = ?",
                                           bk, v, sizeof v),
                     in);
    ck_assert_str_eq(booking_it_query_text(&it,
                                           "SELECT total_price FROM booking WHERE booking_id = ?",
                                           bk, v, sizeof v),
                     "250000.00");
    cloudevent_t *ev = the_event(events, BOOKING_MODIFIED_EVENT_TYPE, res.reservation_id);
    ck_assert_str_eq(text_of(ev->data, "bookingId"), bk);
    ck_assert_str_eq(text_of(ev->data, "checkOut"), out);
    ck_assert_str_eq(text_of(json_object_object_get(ev->data, "previous"), "checkIn"),
                     before.check_in);
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(ev->data, "amount")), 250000);
    ck_assert(!json_object_object_get_ex(ev->data, "source", NULL));
    /* the night the new stay left is given back once; the night both stays share stays taken */
    ck_assert_int_eq(night_available(ROOM, 80), 6);
    ck_assert_int_eq(night_available(ROOM, 81), 5);
    ck_assert_int_eq(give_back_events(), 1);
    cloudevent_free(ev);
    ck_assert_int_eq(foreign_rows(res.reservation_id), 0);
    booking_it_collector_free(events);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("booking-svc foreign bookings");
    TCase *tc = tcase_create("pms");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_a_desk_booking_is_recorded_and_told_once_however_often_it_is_reported);
    tcase_add_test(tc, test_a_desk_date_change_moves_the_record_and_tells_booking_modified);
    tcase_add_test(tc, test_a_desk_cancel_of_a_desk_booking_cancels_it_without_compensation);
    tcase_add_test(tc, test_our_own_hold_reported_confirmed_is_not_a_foreign_booking);
    tcase_add_test(tc, test_a_report_without_room_type_is_completed_from_the_pms);
    tcase_add_test(tc, test_a_desk_date_change_of_our_booking_moves_it_and_tells_booking_modified);
    tcase_add_test(tc, test_a_reservation_with_our_reference_is_ours_even_before_the_saga_names_it);
    suite_add_tcase(s, tc);
    return check_run(s);
}
