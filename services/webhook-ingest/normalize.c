/*
 * normalize.c — webhook bodies → pms.events data objects (see normalize.h).
 *
 * Sections: helpers (ids, dates, errors) · the normalised shape · Cloudbeds'
 * own payloads · public entry points.
 */
#include "normalize.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/dates.h"
#include "common/json.h"

#define ERR_VALIDATION "VALIDATION_ERROR"
#define ERR_UNKNOWN_EVENT "UNKNOWN_EVENT_TYPE"

static const char *const EVENT_NAMES[WEBHOOK_EVENT_TYPE_COUNT] = {
    "inventory_update", "rate_update", "booking_confirm", "booking_cancel", "room_update",
};
static const char *const CLOUDEVENT_TYPES[WEBHOOK_EVENT_TYPE_COUNT] = {
    "lodging.pms.inventory.updated", "lodging.pms.rate.updated", "lodging.pms.booking.confirmed",
    "lodging.pms.booking.cancelled", "lodging.pms.room.updated",
};
static const char *const VENDORS[] = {"cloudbeds", "sandbox"};

/* ------------------------------------------------------------ helpers -- */

static int fail(normalize_error_t *err, const char *code, const char *reason, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(normalize_error_t *err, const char *code, const char *reason, const char *field,
                const char *fmt, ...)
{
    err->code = code;
    err->reason = reason;
    snprintf(err->field, sizeof err->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* A json.h error on an object found at `prefix` ("data", "data.nights[2]"). */
static int fail_json(normalize_error_t *err, const char *prefix, const json_error_t *je)
{
    const char *reason = strstr(je->message, "is required") ? "missing_field" : "invalid_field";
    if (!prefix || !*prefix)
        return fail(err, ERR_VALIDATION, reason, je->field, "%s", je->message);
    char field[sizeof je->field + 64];
    snprintf(field, sizeof field, "%s.%s", prefix, je->field);
    return fail(err, ERR_VALIDATION, reason, field, "%s.%s", prefix, je->message);
}

static void add_str(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value));
}

/* An id given as a string (1..64 bytes) or an integer, as text into out.
 * Returns 1 found, 0 absent, -1 present but unusable. */
static int id_value(json_object *obj, const char *key, char out[NORMALIZE_ID_MAX + 1])
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
        return 0;
    if (json_object_is_type(v, json_type_int)) {
        snprintf(out, NORMALIZE_ID_MAX + 1, "%lld", (long long)json_object_get_int64(v));
        return 1;
    }
    if (!json_object_is_type(v, json_type_string))
        return -1;
    size_t len = (size_t)json_object_get_string_len(v);
    if (len == 0 || len > NORMALIZE_ID_MAX)
        return -1;
    memcpy(out, json_object_get_string(v), len + 1);
    return 1;
}

/* id_value with errors: `path` names the field in messages. 0 ok or absent. */
static int get_id(json_object *obj, const char *key, const char *path, bool required,
                  char out[NORMALIZE_ID_MAX + 1], normalize_error_t *err)
{
    out[0] = '\0';
    int rc = id_value(obj, key, out);
    if (rc < 0)
        return fail(err, ERR_VALIDATION, "invalid_field", path,
                    "%s must be a string of 1 to %d characters", path, NORMALIZE_ID_MAX);
    if (rc == 0 && required)
        return fail(err, ERR_VALIDATION, "missing_field", path, "%s is required", path);
    return 0;
}

/* get_id under the first of two spellings present (Cloudbeds' payloads use both
 * reservationID and reservationId, propertyID and propertyId). */
static int get_id2(json_object *obj, const char *key, const char *alt, bool required,
                   char out[NORMALIZE_ID_MAX + 1], normalize_error_t *err)
{
    if (!json_object_object_get_ex(obj, key, NULL) && json_object_object_get_ex(obj, alt, NULL))
        return get_id(obj, alt, alt, required, out, err);
    return get_id(obj, key, key, required, out, err);
}

/* An ISO date YYYY-MM-DD. 0 ok or absent (out ""), -1 with err. */
static int get_date(json_object *obj, const char *key, const char *path, bool required,
                    char out[DATES_ISO_LEN + 1], normalize_error_t *err)
{
    out[0] = '\0';
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        if (required)
            return fail(err, ERR_VALIDATION, "missing_field", path, "%s is required", path);
        return 0;
    }
    dates_day_t day;
    const char *text = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    if (strlen(text) != DATES_ISO_LEN || dates_parse_iso(text, &day) != 0)
        return fail(err, ERR_VALIDATION, "invalid_field", path, "%s must be a date YYYY-MM-DD",
                    path);
    dates_format_iso(day, out);
    return 0;
}

/* A range [from, to] with from <= to, both required. */
static int get_range(json_object *obj, const char *prefix, char from[DATES_ISO_LEN + 1],
                     char to[DATES_ISO_LEN + 1], normalize_error_t *err)
{
    char path_from[64], path_to[64];
    snprintf(path_from, sizeof path_from, "%s.from", prefix);
    snprintf(path_to, sizeof path_to, "%s.to", prefix);
    if (get_date(obj, "from", path_from, true, from, err) != 0 ||
        get_date(obj, "to", path_to, true, to, err) != 0)
        return -1;
    if (strcmp(from, to) > 0)
        return fail(err, ERR_VALIDATION, "invalid_field", path_to, "%s must not be before %s",
                    path_to, path_from);
    return 0;
}

/* The fields every data object starts with. */
static json_object *base_data(const normalized_t *n)
{
    json_object *d = json_object_new_object();
    add_str(d, "eventId", n->event_id);
    add_str(d, "vendor", n->vendor);
    add_str(d, "hotelId", n->hotel_id);
    return d;
}

static int push_event(normalized_t *n, webhook_event_type_t type, json_object *data,
                      normalize_error_t *err)
{
    if (n->event_count == NORMALIZE_MAX_EVENTS) {
        json_object_put(data);
        return fail(err, ERR_VALIDATION, "invalid_field", "body",
                    "one webhook may change at most %d room types", NORMALIZE_MAX_EVENTS);
    }
    n->events[n->event_count].type = type;
    n->events[n->event_count].data = data;
    n->event_count++;
    return 0;
}

/* ------------------------------------------- the normalised shape -- */

/* nights[] of inventory_update ({date, available[, total]}) or rate_update
 * ({date, amount, currency}), copied field by field into a new array. */
static int copy_nights(json_object *src, bool rates, json_object **out, normalize_error_t *err)
{
    json_object *arr = NULL;
    json_error_t je;
    *out = NULL;
    if (json_get_array(src, "nights", false, &arr, &je) != 0)
        return fail_json(err, "data", &je);
    if (!arr)
        return 0;
    json_object *copy = json_object_new_array();
    size_t count = json_object_array_length(arr);
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_array_get_idx(arr, i);
        char prefix[64], date[DATES_ISO_LEN + 1];
        snprintf(prefix, sizeof prefix, "data.nights[%zu]", i);
        if (!json_object_is_type(item, json_type_object)) {
            json_object_put(copy);
            return fail(err, ERR_VALIDATION, "invalid_field", prefix, "%s must be an object",
                        prefix);
        }
        char date_path[80];
        snprintf(date_path, sizeof date_path, "%s.date", prefix);
        json_object *night = json_object_new_object();
        int64_t a = 0, b = -1;
        const char *currency = NULL;
        int rc = get_date(item, "date", date_path, true, date, err);
        if (rc == 0 && !rates &&
            (json_get_int64(item, "available", true, 0, INT32_MAX, 0, &a, &je) != 0 ||
             json_get_int64(item, "total", false, 0, INT32_MAX, -1, &b, &je) != 0))
            rc = fail_json(err, prefix, &je);
        if (rc == 0 && rates &&
            (json_get_int64(item, "amount", true, 0, INT64_MAX, 0, &a, &je) != 0 ||
             json_get_string(item, "currency", true, 3, 3, &currency, &je) != 0))
            rc = fail_json(err, prefix, &je);
        if (rc == 0 && rates &&
            !(currency[0] >= 'A' && currency[0] <= 'Z' && currency[1] >= 'A' &&
              currency[1] <= 'Z' && currency[2] >= 'A' && currency[2] <= 'Z'))
            rc = fail(err, ERR_VALIDATION, "invalid_field", prefix,
                      "%s.currency must be an ISO 4217 code such as KRW", prefix);
        if (rc != 0) {
            json_object_put(night);
            json_object_put(copy);
            return -1;
        }
        add_str(night, "date", date);
        json_object_object_add(night, rates ? "amount" : "available", json_object_new_int64(a));
        if (rates)
            add_str(night, "currency", currency);
        else if (b >= 0)
            json_object_object_add(night, "total", json_object_new_int64(b));
        json_object_array_add(copy, night);
    }
    *out = copy;
    return 0;
}

/* inventory_update / rate_update data. */
static int normalized_range_event(normalized_t *n, webhook_event_type_t type, json_object *src,
                                  normalize_error_t *err)
{
    bool rates = type == WEBHOOK_RATE_UPDATE;
    char room[NORMALIZE_ID_MAX + 1], plan[NORMALIZE_ID_MAX + 1];
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    json_object *nights = NULL;
    if (get_id(src, "roomTypeId", "data.roomTypeId", true, room, err) != 0 ||
        (rates && get_id(src, "ratePlanId", "data.ratePlanId", false, plan, err) != 0) ||
        get_range(src, "data", from, to, err) != 0 || copy_nights(src, rates, &nights, err) != 0)
        return -1;
    json_object *d = base_data(n);
    add_str(d, "roomTypeId", room);
    if (rates && plan[0])
        add_str(d, "ratePlanId", plan);
    add_str(d, "from", from);
    add_str(d, "to", to);
    if (nights)
        json_object_object_add(d, "nights", nights);
    return push_event(n, type, d, err);
}

/* booking_confirm / booking_cancel data; `status` follows the event type. */
static int booking_event(normalized_t *n, webhook_event_type_t type, const char *reservation,
                         const char *room, const char *check_in, const char *check_out,
                         normalize_error_t *err)
{
    json_object *d = base_data(n);
    add_str(d, "reservationId", reservation);
    if (room && *room)
        add_str(d, "roomTypeId", room);
    if (check_in && *check_in)
        add_str(d, "checkIn", check_in);
    if (check_out && *check_out)
        add_str(d, "checkOut", check_out);
    add_str(d, "status", type == WEBHOOK_BOOKING_CANCEL ? "cancelled" : "confirmed");
    return push_event(n, type, d, err);
}

static int normalized_data(normalized_t *n, webhook_event_type_t type, json_object *src,
                           normalize_error_t *err)
{
    char id[NORMALIZE_ID_MAX + 1], room[NORMALIZE_ID_MAX + 1];
    char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
    switch (type) {
    case WEBHOOK_INVENTORY_UPDATE:
    case WEBHOOK_RATE_UPDATE:
        return normalized_range_event(n, type, src, err);
    case WEBHOOK_BOOKING_CONFIRM:
    case WEBHOOK_BOOKING_CANCEL:
        if (get_id(src, "reservationId", "data.reservationId", true, id, err) != 0 ||
            get_id(src, "roomTypeId", "data.roomTypeId", false, room, err) != 0 ||
            get_date(src, "checkIn", "data.checkIn", false, in, err) != 0 ||
            get_date(src, "checkOut", "data.checkOut", false, out, err) != 0)
            return -1;
        return booking_event(n, type, id, room, in, out, err);
    case WEBHOOK_ROOM_UPDATE: {
        if (get_id(src, "roomTypeId", "data.roomTypeId", false, room, err) != 0)
            return -1;
        json_object *d = base_data(n);
        if (room[0])
            add_str(d, "roomTypeId", room);
        return push_event(n, type, d, err);
    }
    case WEBHOOK_EVENT_TYPE_COUNT:
        break;
    }
    return fail(err, ERR_UNKNOWN_EVENT, "unknown_event_type", "eventType", "unknown event type");
}

static int parse_normalized(const char *vendor, json_object *body, normalized_t *n,
                            normalize_error_t *err)
{
    json_error_t je;
    const char *event_type = NULL, *body_vendor = NULL, *timestamp = NULL;
    json_object *data = NULL;
    if (get_id(body, "eventId", "eventId", true, n->event_id, err) != 0)
        return -1;
    if (json_get_string(body, "eventType", true, 1, 64, &event_type, &je) != 0 ||
        json_get_string(body, "vendor", true, 1, 64, &body_vendor, &je) != 0)
        return fail_json(err, NULL, &je);
    int type = 0;
    while (type < WEBHOOK_EVENT_TYPE_COUNT && strcmp(EVENT_NAMES[type], event_type) != 0)
        type++;
    if (type == WEBHOOK_EVENT_TYPE_COUNT)
        return fail(err, ERR_UNKNOWN_EVENT, "unknown_event_type", "eventType",
                    "eventType must be one of inventory_update, rate_update, booking_confirm, "
                    "booking_cancel, room_update");
    if (strcmp(body_vendor, vendor) != 0)
        return fail(err, ERR_VALIDATION, "vendor_mismatch", "vendor",
                    "vendor must be \"%s\" on /api/webhooks/pms/%s", vendor, vendor);
    if (get_id(body, "hotelId", "hotelId", true, n->hotel_id, err) != 0)
        return -1;
    int64_t unix_ms;
    if (json_get_string(body, "timestamp", true, 1, 64, &timestamp, &je) != 0)
        return fail_json(err, NULL, &je);
    if (dates_parse_rfc3339(timestamp, &unix_ms) != 0)
        return fail(err, ERR_VALIDATION, "invalid_field", "timestamp",
                    "timestamp must be an RFC 3339 date-time");
    if (json_get_object(body, "data", true, &data, &je) != 0)
        return fail_json(err, NULL, &je);
    n->source_event = EVENT_NAMES[type];
    return normalized_data(n, (webhook_event_type_t)type, data, err);
}

/* ------------------------------------------ Cloudbeds' own payloads -- */

typedef enum {
    CB_RESERVATION_STATUS,  /* the status field says what happened */
    CB_RESERVATION_DETAILS, /* dates or rooms changed: the reservation stands */
    CB_RESERVATION_DELETED,
    CB_ROOM_BLOCK, /* rooms taken out of (or back into) sale */
} cloudbeds_kind_t;

static const struct {
    const char *event;
    cloudbeds_kind_t kind;
} CLOUDBEDS_EVENTS[] = {
    {"reservation/created", CB_RESERVATION_STATUS},
    {"reservation/status_changed", CB_RESERVATION_STATUS},
    {"reservation/dates_changed", CB_RESERVATION_DETAILS},
    {"reservation/accommodation_changed", CB_RESERVATION_DETAILS},
    {"reservation/accommodation_type_changed", CB_RESERVATION_DETAILS},
    {"reservation/accommodation_status_changed", CB_RESERVATION_DETAILS},
    {"reservation/deleted", CB_RESERVATION_DELETED},
    {"roomblock/created", CB_ROOM_BLOCK},
    {"roomblock/details_changed", CB_ROOM_BLOCK},
    {"roomblock/removed", CB_ROOM_BLOCK},
};

/* Cloudbeds reservation statuses → our event; IGNORED: changes nothing we model. */
#define CB_STATUS_IGNORED WEBHOOK_EVENT_TYPE_COUNT
static const struct {
    const char *status;
    webhook_event_type_t type;
} CLOUDBEDS_STATUSES[] = {
    {"confirmed", WEBHOOK_BOOKING_CONFIRM},   {"checked_in", WEBHOOK_BOOKING_CONFIRM},
    {"checked_out", WEBHOOK_BOOKING_CONFIRM}, {"in_house", WEBHOOK_BOOKING_CONFIRM},
    {"canceled", WEBHOOK_BOOKING_CANCEL},     {"cancelled", WEBHOOK_BOOKING_CANCEL},
    {"not_confirmed", CB_STATUS_IGNORED},     {"no_show", CB_STATUS_IGNORED},
};

/* Maps body.status; *type = CB_STATUS_IGNORED for statuses we do not track.
 * Absent and not required: *type = def. */
static int cloudbeds_status(json_object *body, bool required, webhook_event_type_t def,
                            webhook_event_type_t *type, normalize_error_t *err)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(body, "status", &v) || json_object_is_type(v, json_type_null)) {
        if (required)
            return fail(err, ERR_VALIDATION, "missing_field", "status", "status is required");
        *type = def;
        return 0;
    }
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    for (size_t i = 0; i < sizeof CLOUDBEDS_STATUSES / sizeof *CLOUDBEDS_STATUSES; i++)
        if (strcmp(CLOUDBEDS_STATUSES[i].status, s) == 0) {
            *type = CLOUDBEDS_STATUSES[i].type;
            return 0;
        }
    return fail(err, ERR_VALIDATION, "invalid_field", "status",
                "status must be a Cloudbeds reservation status (confirmed, not_confirmed, "
                "canceled, checked_in, checked_out, no_show)");
}

/* reservation/created carries a status (confirmed when absent), status_changed
 * must; the details events (dates, rooms) mean the reservation stands and
 * changed, so consumers re-read it: booking_confirm. */
static int cloudbeds_reservation(normalized_t *n, cloudbeds_kind_t kind, bool status_required,
                                 json_object *body, normalize_error_t *err)
{
    char id[NORMALIZE_ID_MAX + 1], room[NORMALIZE_ID_MAX + 1];
    char in[DATES_ISO_LEN + 1], out[DATES_ISO_LEN + 1];
    webhook_event_type_t type =
        kind == CB_RESERVATION_DELETED ? WEBHOOK_BOOKING_CANCEL : WEBHOOK_BOOKING_CONFIRM;
    if (get_id2(body, "reservationID", "reservationId", true, id, err) != 0 ||
        get_id2(body, "roomTypeID", "roomTypeId", false, room, err) != 0 ||
        get_date(body, "startDate", "startDate", false, in, err) != 0 ||
        get_date(body, "endDate", "endDate", false, out, err) != 0)
        return -1;
    if (kind == CB_RESERVATION_STATUS &&
        cloudbeds_status(body, status_required, WEBHOOK_BOOKING_CONFIRM, &type, err) != 0)
        return -1;
    if (type == CB_STATUS_IGNORED) {
        n->ignored_reason = "reservation status not tracked";
        return 0;
    }
    return booking_event(n, type, id, room, in, out, err);
}

/* One inventory_update per distinct room type of the block, over
 * [startDate, endDate] (inclusive: invalidating one night too many is safe). */
static int cloudbeds_room_block(normalized_t *n, json_object *body, normalize_error_t *err)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    char rooms[NORMALIZE_MAX_EVENTS][NORMALIZE_ID_MAX + 1];
    size_t room_count = 0;
    if (get_date(body, "startDate", "startDate", true, from, err) != 0 ||
        get_date(body, "endDate", "endDate", true, to, err) != 0)
        return -1;
    if (strcmp(from, to) > 0)
        return fail(err, ERR_VALIDATION, "invalid_field", "endDate",
                    "endDate must not be before startDate");
    if (get_id2(body, "roomTypeID", "roomTypeId", false, rooms[0], err) != 0)
        return -1;
    room_count = rooms[0][0] ? 1 : 0;
    json_object *list = NULL;
    if (json_object_object_get_ex(body, "rooms", &list) &&
        json_object_is_type(list, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            char id[NORMALIZE_ID_MAX + 1] = "", path[64];
            snprintf(path, sizeof path, "rooms[%zu].roomTypeID", i);
            json_object *r = json_object_array_get_idx(list, i);
            if (!json_object_is_type(r, json_type_object))
                return fail(err, ERR_VALIDATION, "invalid_field", path, "%s is required", path);
            if (get_id(r, "roomTypeID", path, true, id, err) != 0)
                return -1;
            size_t k = 0;
            while (k < room_count && strcmp(rooms[k], id) != 0)
                k++;
            if (k < room_count)
                continue;
            if (room_count == NORMALIZE_MAX_EVENTS)
                return fail(err, ERR_VALIDATION, "invalid_field", "rooms",
                            "one room block may span at most %d room types", NORMALIZE_MAX_EVENTS);
            memcpy(rooms[room_count++], id, sizeof id);
        }
    }
    if (room_count == 0)
        return fail(err, ERR_VALIDATION, "missing_field", "rooms",
                    "rooms[].roomTypeID is required for a room block");
    for (size_t k = 0; k < room_count; k++) {
        json_object *d = base_data(n);
        add_str(d, "roomTypeId", rooms[k]);
        add_str(d, "from", from);
        add_str(d, "to", to);
        if (push_event(n, WEBHOOK_INVENTORY_UPDATE, d, err) != 0)
            return -1;
    }
    return 0;
}

/* The hotel: propertyID_str, else propertyID (a number in Cloudbeds' payloads),
 * in either spelling. */
static const char *const PROPERTY_KEYS[] = {"propertyID_str", "propertyId_str", "propertyID",
                                            "propertyId"};

static int property_id(json_object *body, char out[NORMALIZE_ID_MAX + 1])
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof PROPERTY_KEYS / sizeof *PROPERTY_KEYS; i++)
        rc = id_value(body, PROPERTY_KEYS[i], out);
    return rc;
}

static int cloudbeds_hotel(json_object *body, char out[NORMALIZE_ID_MAX + 1],
                           normalize_error_t *err)
{
    int rc = property_id(body, out);
    if (rc < 0)
        return fail(err, ERR_VALIDATION, "invalid_field", "propertyID",
                    "propertyID must be a number or a string of 1 to %d characters",
                    NORMALIZE_ID_MAX);
    if (rc == 0)
        return fail(err, ERR_VALIDATION, "missing_field", "propertyID", "propertyID is required");
    return 0;
}

static int parse_cloudbeds(const char *vendor, json_object *body, const char *raw, size_t len,
                           normalized_t *n, normalize_error_t *err)
{
    json_error_t je;
    const char *event = NULL;
    if (json_get_string(body, "event", true, 1, 128, &event, &je) != 0)
        return fail_json(err, NULL, &je);
    size_t i = 0, count = sizeof CLOUDBEDS_EVENTS / sizeof *CLOUDBEDS_EVENTS;
    while (i < count && strcmp(CLOUDBEDS_EVENTS[i].event, event) != 0)
        i++;
    if (i == count)
        return fail(err, ERR_UNKNOWN_EVENT, "unknown_event_type", "event",
                    "event must be one of the Cloudbeds events reservation/created, "
                    "reservation/status_changed, reservation/dates_changed, "
                    "reservation/accommodation_changed, reservation/deleted, roomblock/*");
    n->source_event = CLOUDBEDS_EVENTS[i].event;
    if (cloudbeds_hotel(body, n->hotel_id, err) != 0)
        return -1;
    /* No event id in Cloudbeds' payloads: the same bytes are the same event. */
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    size_t vlen = strlen(vendor);
    char *buf = malloc(vlen + 1 + len);
    if (!buf)
        return fail(err, ERR_VALIDATION, "internal", "body", "out of memory");
    memcpy(buf, vendor, vlen);
    buf[vlen] = '\n';
    memcpy(buf + vlen + 1, raw, len);
    int rc = crypto_sha256_hex(buf, vlen + 1 + len, hex);
    free(buf);
    if (rc != 0)
        return fail(err, ERR_VALIDATION, "internal", "body", "cannot hash the body");
    snprintf(n->event_id, sizeof n->event_id, "%s%.*s", NORMALIZE_DERIVED_ID_PREFIX,
             NORMALIZE_DERIVED_ID_HEX, hex);
    cloudbeds_kind_t kind = CLOUDBEDS_EVENTS[i].kind;
    if (kind == CB_ROOM_BLOCK)
        return cloudbeds_room_block(n, body, err);
    bool status_required = strcmp(event, "reservation/status_changed") == 0;
    return cloudbeds_reservation(n, kind, status_required, body, err);
}

/* ------------------------------------------------------------- public -- */

bool normalize_vendor_known(const char *vendor)
{
    for (size_t i = 0; vendor && i < sizeof VENDORS / sizeof *VENDORS; i++)
        if (strcmp(VENDORS[i], vendor) == 0)
            return true;
    return false;
}

int normalize_webhook(const char *vendor, const char *body, size_t len, normalized_t *out,
                      normalize_error_t *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    if (!normalize_vendor_known(vendor))
        return fail(err, "UNKNOWN_VENDOR", "unknown_vendor", "vendor", "unknown vendor");
    snprintf(out->vendor, sizeof out->vendor, "%s", vendor);
    json_error_t je;
    json_object *root = json_parse_object(body, len, &je);
    if (!root)
        return fail(err, ERR_VALIDATION, "bad_json", "body", "%s", je.message);
    int rc;
    if (json_object_object_get_ex(root, "eventType", NULL))
        rc = parse_normalized(vendor, root, out, err);
    else if (strcmp(vendor, "cloudbeds") == 0 && json_object_object_get_ex(root, "event", NULL))
        rc = parse_cloudbeds(vendor, root, body, len, out, err);
    else
        rc = fail(err, ERR_VALIDATION, "missing_field", "eventType", "eventType is required");
    json_object_put(root);
    if (rc != 0)
        normalized_clear(out);
    return rc;
}

void normalized_clear(normalized_t *n)
{
    for (size_t i = 0; i < n->event_count; i++)
        json_object_put(n->events[i].data);
    n->event_count = 0;
}

bool normalize_peek_hotel_id(const char *body, size_t len, char *out, size_t out_size)
{
    json_error_t je;
    json_object *root = json_parse_object(body, len, &je);
    if (!root)
        return false;
    char id[NORMALIZE_ID_MAX + 1] = "";
    /* The same field normalize_webhook will take the hotel from, so a body cannot
     * be verified with one hotel's secret and published for another. */
    bool normalised = json_object_object_get_ex(root, "eventType", NULL);
    bool found = normalised ? id_value(root, "hotelId", id) > 0 : property_id(root, id) > 0;
    json_object_put(root);
    if (found)
        snprintf(out, out_size, "%s", id);
    return found;
}

const char *normalize_event_type_name(webhook_event_type_t t)
{
    return t < WEBHOOK_EVENT_TYPE_COUNT ? EVENT_NAMES[t] : "unknown";
}

const char *normalize_cloudevent_type(webhook_event_type_t t)
{
    return t < WEBHOOK_EVENT_TYPE_COUNT ? CLOUDEVENT_TYPES[t] : NULL;
}
