/*
 * api_reservations.c — postReservation, putReservation, getReservation(s): the
 * hold / confirm / cancel protocol the connector speaks (a hold is a
 * reservation in not_confirmed carrying a holdExpiresAt custom field).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudbeds_call.h"
#include "common/clock.h"
#include "common/log.h"
#include "money_json.h"

#define NAME_MAX_LEN 100
#define EMAIL_MAX_LEN 254
#define ZIP_MAX_LEN 20
#define PHONE_MAX_LEN 40
#define THIRD_PARTY_ID_MAX_LEN 100
#define CUSTOM_FIELD_MAX_LEN 200
#define HOLD_FIELD_NAME "holdExpiresAt"
#define MAX_HOLD_MS (24LL * 3600 * 1000)
#define MAX_ROOMS_PER_RESERVATION 100
#define MAX_GUESTS_PER_RESERVATION 200
#define SOURCE_NAME "API"
#define SOURCE_ID "s-1-1"

static const char *const PAYMENT_METHODS[] = {"cash", "credit", "ebanking", "pay_pal"};

/* ------------------------------------------------------------ parsing -- */

static bool email_looks_valid(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return false;
    return s[strlen(s) - 1] != '.';
}

/* ----------------------------------------------------- postReservation -- */

/* Everything postReservation reads, validated. */
typedef struct reservation_input {
    ledger_booking_t booking;
    const seed_room_type_t *room_type;
} reservation_input_t;

static int read_guest(api_call_t *call, ledger_booking_t *b)
{
    if (api_param_text(call, "guestFirstName", true, NAME_MAX_LEN, &b->guest_first_name) != 0 ||
        api_param_text(call, "guestLastName", true, NAME_MAX_LEN, &b->guest_last_name) != 0 ||
        api_param_text(call, "guestCountry", true, 8, &b->guest_country) != 0 ||
        api_param_text(call, "guestEmail", true, EMAIL_MAX_LEN, &b->guest_email) != 0 ||
        api_param_text(call, "guestZip", false, ZIP_MAX_LEN, &b->guest_zip) != 0 ||
        api_param_text(call, "guestPhone", false, PHONE_MAX_LEN, &b->guest_phone) != 0)
        return -1;
    const char *c = b->guest_country;
    if (strlen(c) != 2 || !isalpha((unsigned char)c[0]) || !isalpha((unsigned char)c[1]))
        return api_param_fail(call, 400,
                              "Parameter guestCountry must be a two-letter ISO 3166-1 code");
    if (!email_looks_valid(b->guest_email))
        return api_param_fail(call, 400, "Parameter guestEmail is not a valid email address");
    return 0;
}

/* Reads a guest count group ("adults" / "children") of room 0. */
static int read_guest_count(api_call_t *call, const char *group, bool required,
                            const char *room_type_id, long *out)
{
    char name[64];
    const char *rt = NULL;
    if (sandbox_form_max_index(call->form, group) > 0)
        return api_param_fail(call, 400, "Only %s[0] is supported (one room type per reservation)",
                              group);
    snprintf(name, sizeof name, "%s[0][roomTypeID]", group);
    if (api_param_text(call, name, false, API_ID_MAX_LEN, &rt) != 0)
        return -1;
    if (rt && strcmp(rt, room_type_id) != 0)
        return api_param_fail(call, 400, "Parameter %s must match rooms[0][roomTypeID]", name);
    snprintf(name, sizeof name, "%s[0][quantity]", group);
    return api_param_int(call, name, required, required ? 1 : 0, MAX_GUESTS_PER_RESERVATION, 0,
                         out);
}

static int read_rooms(api_call_t *call, reservation_input_t *in)
{
    const char *room_type_id = NULL;
    long quantity = 0, adults = 0, children = 0;
    if (sandbox_form_max_index(call->form, "rooms") > 0)
        return api_param_fail(call, 400,
                              "Only rooms[0] is supported (one room type per reservation)");
    if (api_param_text(call, "rooms[0][roomTypeID]", true, 1024, &room_type_id) != 0 ||
        api_param_int(call, "rooms[0][quantity]", true, 1, MAX_ROOMS_PER_RESERVATION, 1,
                      &quantity) != 0)
        return -1;
    in->room_type = strlen(room_type_id) <= API_ID_MAX_LEN
                        ? seed_find_room_type(call->hotel, room_type_id, NULL)
                        : NULL;
    if (!in->room_type)
        return strlen(room_type_id) <= API_ID_MAX_LEN
                   ? api_param_fail(call, 404, "Room type %s not found", room_type_id)
                   : api_param_fail(call, 404, "Room type not found");
    if (read_guest_count(call, "adults", true, room_type_id, &adults) != 0 ||
        read_guest_count(call, "children", false, room_type_id, &children) != 0)
        return -1;
    if (adults + children > (long)in->room_type->max_guests * quantity)
        return api_param_fail(call, 400,
                              "Too many guests: room type %s takes at most %d guests per room "
                              "(adults[0][quantity] + children[0][quantity])",
                              in->room_type->id, in->room_type->max_guests);
    const char *rate_id = NULL;
    if (api_param_text(call, "rooms[0][roomRateID]", false, 2 * API_ID_MAX_LEN, &rate_id) != 0)
        return -1;
    in->booking.rate_plan = rate_id && *rate_id
                                ? ledger_rate_plan_of_rate_id(in->room_type->id, rate_id)
                                : 0;
    if (in->booking.rate_plan < 0)
        return api_param_fail(call, 404, "Rate %s not found for room type %s", rate_id,
                              in->room_type->id);
    in->booking.room_type_id = in->room_type->id;
    in->booking.quantity = (int)quantity;
    in->booking.adults = (int)adults;
    in->booking.children = (int)children;
    return 0;
}

/* customFields[i][fieldName|fieldValue]; holdExpiresAt makes the reservation a hold. */
static int read_custom_fields(api_call_t *call, ledger_booking_t *b)
{
    int last = sandbox_form_max_index(call->form, "customFields");
    if (last > SANDBOX_FORM_MAX_INDEX)
        return api_param_fail(call, 400, "Parameter customFields has more than %d entries",
                              SANDBOX_FORM_MAX_INDEX + 1);
    for (int i = 0; i <= last; i++) {
        char name_key[64], value_key[64];
        const char *name = NULL, *value = NULL;
        snprintf(name_key, sizeof name_key, "customFields[%d][fieldName]", i);
        snprintf(value_key, sizeof value_key, "customFields[%d][fieldValue]", i);
        if (api_param_text(call, name_key, false, CUSTOM_FIELD_MAX_LEN, &name) != 0 ||
            api_param_text(call, value_key, false, CUSTOM_FIELD_MAX_LEN, &value) != 0)
            return -1;
        if (!name || strcmp(name, HOLD_FIELD_NAME) != 0)
            continue;
        int64_t now = clock_wall_ms(), at = 0;
        if (!value || dates_parse_rfc3339(value, &at) != 0)
            return api_param_fail(call, 400,
                                  "Parameter %s (holdExpiresAt) must be an RFC 3339 time such as "
                                  "2025-11-01T09:30:00Z",
                                  value_key);
        if (at <= now || at > now + MAX_HOLD_MS)
            return api_param_fail(call, 400,
                                  "Parameter %s (holdExpiresAt) must be in the future, at most "
                                  "24 hours from now",
                                  value_key);
        b->is_hold = true;
        b->hold_expires_ms = at;
    }
    return 0;
}

static int read_reservation(api_call_t *call, reservation_input_t *in)
{
    ledger_booking_t *b = &in->booking;
    b->property_id = call->hotel->id;
    if (api_param_stay(call, LEDGER_MAX_STAY_NIGHTS, &b->start, &b->end) != 0 ||
        read_guest(call, b) != 0 || read_rooms(call, in) != 0 ||
        api_param_text(call, "paymentMethod", true, 16, &b->payment_method) != 0 ||
        api_param_text(call, "thirdPartyIdentifier", false, THIRD_PARTY_ID_MAX_LEN,
                       &b->third_party_id) != 0 ||
        read_custom_fields(call, b) != 0)
        return -1;
    for (size_t i = 0; i < sizeof PAYMENT_METHODS / sizeof *PAYMENT_METHODS; i++)
        if (strcmp(b->payment_method, PAYMENT_METHODS[i]) == 0)
            return 0;
    return api_param_fail(call, 400,
                          "Parameter paymentMethod must be one of cash, credit, ebanking, pay_pal");
}

/* One unassigned room of a reservation, in postReservation's shape (numbers)
 * or getReservation's (Cloudbeds gives adults, children and roomTotal there
 * as strings). Guests are spread over the rooms, the first rooms taking the
 * remainders. */
static json_object *unassigned_room_json(const ledger_reservation_t *r, int room, bool as_text)
{
    char sub_id[LEDGER_RESERVATION_ID_LEN + 16], number[32];
    int adults = r->adults / r->quantity + (room < r->adults % r->quantity);
    int children = r->children / r->quantity + (room < r->children % r->quantity);
    int64_t room_total = 0;
    json_object *rates = json_object_new_array();
    for (int i = 0; i < r->nights; i++) {
        json_object *n = json_object_new_object();
        json_object_object_add(n, "date", api_date_json(r->start + i));
        json_object_object_add(n, "rate", money_json(r->nightly_rate_minor[i], r->currency));
        json_object_array_add(rates, n);
        room_total += r->nightly_rate_minor[i];
    }
    snprintf(sub_id, sizeof sub_id, "%s-%d", r->reservation_id, room + 1);
    json_object *o = json_object_new_object();
    if (as_text)
        json_object_object_add(o, "reservationRoomID", json_object_new_string(sub_id));
    json_object_object_add(o, "subReservationID", json_object_new_string(sub_id));
    json_object_object_add(o, "roomTypeName", json_object_new_string(r->room_type_name));
    json_object_object_add(o, "roomTypeID", json_object_new_string(r->room_type_id));
    if (as_text) {
        json_object_object_add(o, "roomTypeIsVirtual", json_object_new_boolean(0));
        json_object_object_add(o, "isRoomLocked", json_object_new_boolean(0));
        json_object_object_add(o, "startDate", api_date_json(r->start));
        json_object_object_add(o, "endDate", api_date_json(r->end));
        snprintf(number, sizeof number, "%d", adults);
        json_object_object_add(o, "adults", json_object_new_string(number));
        snprintf(number, sizeof number, "%d", children);
        json_object_object_add(o, "children", json_object_new_string(number));
    } else {
        json_object_object_add(o, "adults", json_object_new_int(adults));
        json_object_object_add(o, "children", json_object_new_int(children));
    }
    json_object_object_add(o, "dailyRates", rates);
    json_object *total = money_json(room_total, r->currency);
    if (as_text) {
        json_object_object_add(o, "roomTotal",
                               json_object_new_string(json_object_to_json_string(total)));
        json_object_put(total);
    } else {
        json_object_object_add(o, "roomTotal", total);
    }
    return o;
}

static json_object *unassigned_json(const ledger_reservation_t *r, bool as_text)
{
    json_object *arr = json_object_new_array();
    for (int room = 0; room < r->quantity; room++)
        json_object_array_add(arr, unassigned_room_json(r, room, as_text));
    return arr;
}

static json_object *post_response_json(const ledger_reservation_t *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "reservationID", json_object_new_string(r->reservation_id));
    json_object_object_add(o, "status", json_object_new_string(ledger_status_name(r->status)));
    json_object_object_add(o, "guestID", json_object_new_string(r->guest_id));
    json_object_object_add(o, "guestFirstName", json_object_new_string(r->guest_first_name));
    json_object_object_add(o, "guestLastName", json_object_new_string(r->guest_last_name));
    json_object_object_add(o, "guestEmail", json_object_new_string(r->guest_email));
    json_object_object_add(o, "startDate", api_date_json(r->start));
    json_object_object_add(o, "endDate", api_date_json(r->end));
    json_object_object_add(o, "dateCreated", api_time_json(r->created_ms));
    json_object_object_add(o, "grandTotal", money_json(r->grand_total_minor, r->currency));
    json_object_object_add(o, "unassigned", unassigned_json(r, false));
    return o;
}

static void log_reservation(const char *what, const ledger_reservation_t *r)
{
    log_kv(LOG_LEVEL_INFO, what, "reservationID", r->reservation_id, "propertyID", r->property_id,
           "roomTypeID", r->room_type_id, "status", ledger_status_name(r->status), NULL);
}

int api_post_reservation(api_call_t *call)
{
    reservation_input_t in = {0};
    if (read_reservation(call, &in) != 0)
        return 0;
    ledger_reservation_t r;
    bool replayed = false;
    dates_day_t short_night = 0;
    char night[DATES_ISO_LEN + 1];
    switch (ledger_create(call->api->ledger, &in.booking, &r, &replayed, &short_night)) {
    case LEDGER_OK:
        log_reservation(replayed ? "reservation replayed (same thirdPartyIdentifier)"
                                 : "reservation created",
                        &r);
        return api_reply_raw(call, post_response_json(&r));
    case LEDGER_ERR_NO_AVAILABILITY:
        dates_format_iso(short_night, night);
        return api_fail(call, 409, "No availability for room type %s on %s", in.room_type->id,
                        night);
    case LEDGER_ERR_NO_PROPERTY:
        return api_fail(call, 404, "Property %s not found", call->hotel->id);
    case LEDGER_ERR_NO_ROOM_TYPE:
        return api_fail(call, 404, "Room type %s not found", in.room_type->id);
    case LEDGER_ERR_OUT_OF_RANGE:
        return api_fail(call, 400, "Parameter startDate or endDate is outside the inventory");
    case LEDGER_ERR_FULL:
        return api_fail(call, 409,
                        "The sandbox holds too many reservations for this property; reset it");
    case LEDGER_ERR_INVALID:
        return api_fail(call, 400, "Parameter customFields holdExpiresAt has already passed");
    default:
        return api_fail(call, 503, "The reservation could not be stored, try again");
    }
}

/* ------------------------------------------------------ putReservation -- */

/* Reads reservationID; an id longer than any the sandbox makes is not found. */
static int read_reservation_id(api_call_t *call, const char **id)
{
    if (api_param_text(call, "reservationID", true, 1024, id) != 0)
        return -1;
    if (strlen(*id) >= LEDGER_RESERVATION_ID_LEN)
        return api_param_fail(call, 404, "Reservation not found");
    return 0;
}

static int fail_lookup(api_call_t *call, ledger_err_t rc, const char *id)
{
    if (rc == LEDGER_ERR_CANCELED)
        return api_fail(call, 409, "Reservation %s is canceled", id);
    return api_fail(call, 404, "Reservation %s not found", id);
}

int api_put_reservation(api_call_t *call)
{
    const char *id = NULL, *status = NULL;
    if (read_reservation_id(call, &id) != 0 ||
        api_param_text(call, "status", true, 32, &status) != 0)
        return 0;
    ledger_reservation_t r;
    ledger_err_t rc;
    if (strcmp(status, "confirmed") == 0)
        rc = ledger_confirm(call->api->ledger, call->hotel->id, id, &r);
    else if (strcmp(status, "canceled") == 0)
        rc = ledger_cancel(call->api->ledger, call->hotel->id, id, LEDGER_CANCEL_BY_API, &r);
    else if (strcmp(status, "not_confirmed") == 0 || strcmp(status, "checked_in") == 0 ||
             strcmp(status, "checked_out") == 0 || strcmp(status, "no_show") == 0)
        return api_fail(call, 400,
                        "Parameter status: this sandbox supports only confirmed and canceled");
    else
        return api_fail(call, 400, "Parameter status must be confirmed or canceled");
    if (rc != LEDGER_OK)
        return fail_lookup(call, rc, id);
    log_reservation("reservation updated", &r);
    json_object *data = json_object_new_object();
    json_object_object_add(data, "reservationID", json_object_new_string(r.reservation_id));
    json_object_object_add(data, "status", json_object_new_string(ledger_status_name(r.status)));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "message", json_object_new_string("Reservation updated"));
    json_object_object_add(o, "data", data);
    return api_reply_raw(call, o);
}

/* ------------------------------------------------------ getReservation -- */

static json_object *custom_fields_json(const ledger_reservation_t *r)
{
    json_object *arr = json_object_new_array();
    if (r->is_hold) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "customFieldName", json_object_new_string(HOLD_FIELD_NAME));
        json_object_object_add(f, "customFieldValue", api_time_json(r->hold_expires_ms));
        json_object_array_add(arr, f);
    }
    return arr;
}

static json_object *reservation_json(const ledger_reservation_t *r)
{
    char guest_name[2 * LEDGER_TEXT_LEN + 2];
    snprintf(guest_name, sizeof guest_name, "%s %s", r->guest_first_name, r->guest_last_name);
    json_object *d = json_object_new_object();
    json_object_object_add(d, "propertyID", json_object_new_string(r->property_id));
    json_object_object_add(d, "reservationID", json_object_new_string(r->reservation_id));
    json_object_object_add(d, "guestName", json_object_new_string(guest_name));
    json_object_object_add(d, "guestEmail", json_object_new_string(r->guest_email));
    json_object_object_add(d, "isAnonymized", json_object_new_boolean(0));
    json_object_object_add(d, "dateCreated", api_time_json(r->created_ms));
    json_object_object_add(d, "dateModified", api_time_json(r->updated_ms));
    json_object_object_add(d, "source", json_object_new_string(SOURCE_NAME));
    json_object_object_add(d, "sourceID", json_object_new_string(SOURCE_ID));
    json_object_object_add(d, "thirdPartyIdentifier",
                           *r->third_party_id ? json_object_new_string(r->third_party_id) : NULL);
    json_object_object_add(d, "status", json_object_new_string(ledger_status_name(r->status)));
    json_object_object_add(d, "total", money_json(r->grand_total_minor, r->currency));
    json_object_object_add(d, "balance", money_json(r->grand_total_minor, r->currency));
    json_object_object_add(d, "assigned", json_object_new_array());
    json_object_object_add(d, "unassigned", unassigned_json(r, true));
    json_object_object_add(d, "customFields", custom_fields_json(r));
    json_object_object_add(d, "startDate", api_date_json(r->start));
    json_object_object_add(d, "endDate", api_date_json(r->end));
    json_object_object_add(d, "allotmentBlockCode", NULL);
    json_object_object_add(d, "channelProvidedCreditCard", json_object_new_boolean(0));
    json_object_object_add(d, "origin", json_object_new_string("api"));
    json_object_object_add(d, "mealPlans", json_object_new_string(""));
    return d;
}

int api_get_reservation(api_call_t *call)
{
    const char *id = NULL;
    if (read_reservation_id(call, &id) != 0)
        return 0;
    ledger_reservation_t r;
    ledger_err_t rc = ledger_get(call->api->ledger, call->hotel->id, id, &r);
    if (rc != LEDGER_OK)
        return fail_lookup(call, rc, id);
    return api_reply(call, reservation_json(&r));
}

/* ----------------------------------------------------- getReservations -- */

/* One reservation as an item of getReservations' list (Cloudbeds gives
 * adults and children as strings there, and rooms[] per unit). */
static json_object *list_item_json(const ledger_reservation_t *r, bool custom_fields)
{
    char guest_name[2 * LEDGER_TEXT_LEN + 2], number[32];
    snprintf(guest_name, sizeof guest_name, "%s %s", r->guest_first_name, r->guest_last_name);
    json_object *d = json_object_new_object();
    json_object_object_add(d, "propertyID", json_object_new_string(r->property_id));
    json_object_object_add(d, "reservationID", json_object_new_string(r->reservation_id));
    json_object_object_add(d, "dateCreated", api_time_json(r->created_ms));
    json_object_object_add(d, "dateModified", api_time_json(r->updated_ms));
    json_object_object_add(d, "status", json_object_new_string(ledger_status_name(r->status)));
    json_object_object_add(d, "guestID", json_object_new_string(r->guest_id));
    json_object_object_add(d, "guestName", json_object_new_string(guest_name));
    json_object_object_add(d, "startDate", api_date_json(r->start));
    json_object_object_add(d, "endDate", api_date_json(r->end));
    json_object_object_add(d, "allotmentBlockCode", NULL);
    json_object_object_add(d, "groupCode", NULL);
    snprintf(number, sizeof number, "%d", r->adults);
    json_object_object_add(d, "adults", json_object_new_string(number));
    snprintf(number, sizeof number, "%d", r->children);
    json_object_object_add(d, "children", json_object_new_string(number));
    json_object_object_add(d, "balance", money_json(r->grand_total_minor, r->currency));
    json_object_object_add(d, "sourceName", json_object_new_string(SOURCE_NAME));
    json_object_object_add(d, "sourceID", json_object_new_string(SOURCE_ID));
    json_object_object_add(d, "thirdPartyIdentifier", json_object_new_string(r->third_party_id));
    if (custom_fields)
        json_object_object_add(d, "customFields", custom_fields_json(r));
    json_object *rooms = json_object_new_array();
    for (int room = 0; room < r->quantity; room++) {
        char sub_id[LEDGER_RESERVATION_ID_LEN + 16];
        snprintf(sub_id, sizeof sub_id, "%s-%d", r->reservation_id, room + 1);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "roomTypeID", json_object_new_string(r->room_type_id));
        json_object_object_add(o, "roomTypeName", json_object_new_string(r->room_type_name));
        json_object_object_add(o, "subReservationID", json_object_new_string(sub_id));
        json_object_array_add(rooms, o);
    }
    json_object_object_add(d, "rooms", rooms);
    json_object_object_add(d, "origin", json_object_new_string("api"));
    json_object_object_add(d, "mealPlans", json_object_new_string(""));
    return d;
}

int api_get_reservations(api_call_t *call)
{
    const char *status = NULL, *room_type = NULL;
    dates_day_t in_from = 0, in_to = 0;
    bool has_from = false, has_to = false, custom_fields = false;
    long page = 1, page_size = 100;
    if (api_param_text(call, "status", false, 16, &status) != 0 ||
        api_param_text(call, "roomTypeID", false, SEED_ID_MAX_LEN, &room_type) != 0 ||
        api_param_bool(call, "includeCustomFields", false, &custom_fields) != 0 ||
        api_param_int(call, "pageNumber", false, 1, 100000, 1, &page) != 0 ||
        api_param_int(call, "pageSize", false, 1, 100, 100, &page_size) != 0)
        return 0;
    const char *from_text = NULL, *to_text = NULL;
    if (api_param_text(call, "checkInFrom", false, 64, &from_text) != 0 ||
        api_param_text(call, "checkInTo", false, 64, &to_text) != 0 ||
        (from_text && api_param_date(call, "checkInFrom", true, &in_from) != 0) ||
        (to_text && api_param_date(call, "checkInTo", true, &in_to) != 0))
        return 0;
    has_from = from_text != NULL;
    has_to = to_text != NULL;
    if (status && strcmp(status, "not_confirmed") != 0 && strcmp(status, "confirmed") != 0 &&
        strcmp(status, "canceled") != 0 && strcmp(status, "checked_in") != 0 &&
        strcmp(status, "checked_out") != 0 && strcmp(status, "no_show") != 0)
        return api_param_fail(call, 400,
                              "Parameter status must be one of not_confirmed, confirmed, "
                              "canceled, checked_in, checked_out, no_show");
    ledger_reservation_t *list = NULL;
    size_t count = 0;
    if (ledger_list(call->api->ledger, call->hotel->id, &list, &count) != LEDGER_OK)
        return api_fail(call, 503, "Reservations cannot be listed now (out of memory)");
    json_object *data = json_object_new_array();
    long matched = 0, first = (page - 1) * page_size;
    for (size_t i = 0; i < count; i++) {
        const ledger_reservation_t *r = &list[i];
        if ((status && strcmp(status, ledger_status_name(r->status)) != 0) ||
            (room_type && strcmp(room_type, r->room_type_id) != 0) ||
            (has_from && r->start < in_from) || (has_to && r->start > in_to))
            continue;
        if (matched >= first && matched < first + page_size)
            json_object_array_add(data, list_item_json(r, custom_fields));
        matched++;
    }
    free(list);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(1));
    json_object_object_add(o, "data", data);
    json_object_object_add(o, "count", json_object_new_int((int)json_object_array_length(data)));
    json_object_object_add(o, "total", json_object_new_int64(matched));
    return api_reply_raw(call, o);
}
