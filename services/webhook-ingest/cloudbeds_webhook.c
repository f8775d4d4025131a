/*
 * cloudbeds_webhook.c — Cloudbeds' webhook events mapped onto our event types
 * (see cloudbeds_webhook.h and proto/webhooks.md).
 */
#include "cloudbeds_webhook.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "normalize_fields.h"

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
            return fields_fail(err, FIELDS_ERR_VALIDATION, "missing_field", "status",
                               "status is required");
        *type = def;
        return 0;
    }
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    for (size_t i = 0; i < sizeof CLOUDBEDS_STATUSES / sizeof *CLOUDBEDS_STATUSES; i++)
        if (strcmp(CLOUDBEDS_STATUSES[i].status, s) == 0) {
            *type = CLOUDBEDS_STATUSES[i].type;
            return 0;
        }
    return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", "status",
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
    if (fields_get_id_either(body, "reservationID", "reservationId", true, id, err) != 0 ||
        fields_get_id_either(body, "roomTypeID", "roomTypeId", false, room, err) != 0 ||
        fields_get_date(body, "startDate", "startDate", false, in, err) != 0 ||
        fields_get_date(body, "endDate", "endDate", false, out, err) != 0)
        return -1;
    if (kind == CB_RESERVATION_STATUS &&
        cloudbeds_status(body, status_required, WEBHOOK_BOOKING_CONFIRM, &type, err) != 0)
        return -1;
    if (type == CB_STATUS_IGNORED) {
        n->ignored_reason = "reservation status not tracked";
        return 0;
    }
    return fields_booking_event(n, type, id, room, in, out, err);
}

/* One inventory_update per distinct room type of the block, over
 * [startDate, endDate] (inclusive: invalidating one night too many is safe). */
static int cloudbeds_room_block(normalized_t *n, json_object *body, normalize_error_t *err)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    char rooms[NORMALIZE_MAX_EVENTS][NORMALIZE_ID_MAX + 1];
    size_t room_count = 0;
    if (fields_get_date(body, "startDate", "startDate", true, from, err) != 0 ||
        fields_get_date(body, "endDate", "endDate", true, to, err) != 0)
        return -1;
    if (strcmp(from, to) > 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", "endDate",
                           "endDate must not be before startDate");
    if (fields_get_id_either(body, "roomTypeID", "roomTypeId", false, rooms[0], err) != 0)
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
                return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", path,
                                   "%s is required", path);
            if (fields_get_id(r, "roomTypeID", path, true, id, err) != 0)
                return -1;
            size_t k = 0;
            while (k < room_count && strcmp(rooms[k], id) != 0)
                k++;
            if (k < room_count)
                continue;
            if (room_count == NORMALIZE_MAX_EVENTS)
                return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", "rooms",
                                   "one room block may span at most %d room types",
                                   NORMALIZE_MAX_EVENTS);
            memcpy(rooms[room_count++], id, sizeof id);
        }
    }
    if (room_count == 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "missing_field", "rooms",
                           "rooms[].roomTypeID is required for a room block");
    for (size_t k = 0; k < room_count; k++) {
        json_object *d = fields_base_data(n);
        fields_add_str(d, "roomTypeId", rooms[k]);
        fields_add_str(d, "from", from);
        fields_add_str(d, "to", to);
        if (fields_push_event(n, WEBHOOK_INVENTORY_UPDATE, d, err) != 0)
            return -1;
    }
    return 0;
}

/* The hotel: propertyID_str, else propertyID (a number in Cloudbeds' payloads),
 * in either spelling. */
static const char *const PROPERTY_KEYS[] = {"propertyID_str", "propertyId_str", "propertyID",
                                            "propertyId"};

int cloudbeds_webhook_property_id(json_object *body, char out[NORMALIZE_ID_MAX + 1])
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof PROPERTY_KEYS / sizeof *PROPERTY_KEYS; i++)
        rc = fields_id_value(body, PROPERTY_KEYS[i], out);
    return rc;
}

static int cloudbeds_hotel(json_object *body, char out[NORMALIZE_ID_MAX + 1],
                           normalize_error_t *err)
{
    int rc = cloudbeds_webhook_property_id(body, out);
    if (rc < 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", "propertyID",
                           "propertyID must be a number or a string of 1 to %d characters",
                           NORMALIZE_ID_MAX);
    if (rc == 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "missing_field", "propertyID",
                           "propertyID is required");
    return 0;
}

int cloudbeds_webhook_parse(const char *vendor, json_object *body, const char *raw, size_t len,
                            normalized_t *n, normalize_error_t *err)
{
    json_error_t je;
    const char *event = NULL;
    if (json_get_string(body, "event", true, 1, 128, &event, &je) != 0)
        return fields_fail_json(err, NULL, &je);
    size_t i = 0, count = sizeof CLOUDBEDS_EVENTS / sizeof *CLOUDBEDS_EVENTS;
    while (i < count && strcmp(CLOUDBEDS_EVENTS[i].event, event) != 0)
        i++;
    if (i == count)
        return fields_fail(err, FIELDS_ERR_UNKNOWN_EVENT, "unknown_event_type", "event",
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
        return fields_fail(err, FIELDS_ERR_VALIDATION, "internal", "body", "out of memory");
    memcpy(buf, vendor, vlen);
    buf[vlen] = '\n';
    memcpy(buf + vlen + 1, raw, len);
    int rc = crypto_sha256_hex(buf, vlen + 1 + len, hex);
    free(buf);
    if (rc != 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "internal", "body", "cannot hash the body");
    snprintf(n->event_id, sizeof n->event_id, "%s%.*s", NORMALIZE_DERIVED_ID_PREFIX,
             NORMALIZE_DERIVED_ID_HEX, hex);
    cloudbeds_kind_t kind = CLOUDBEDS_EVENTS[i].kind;
    if (kind == CB_ROOM_BLOCK)
        return cloudbeds_room_block(n, body, err);
    bool status_required = strcmp(event, "reservation/status_changed") == 0;
    return cloudbeds_reservation(n, kind, status_required, body, err);
}
