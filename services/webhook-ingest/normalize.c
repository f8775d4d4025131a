/*
 * normalize.c — webhook bodies → pms.events data objects (see normalize.h):
 * the normalised shape here; Cloudbeds' own payloads in cloudbeds_webhook.c;
 * the shared field readers in normalize_fields.c.
 */
#include "normalize.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudbeds_webhook.h"
#include "common/dates.h"
#include "common/json.h"
#include "normalize_fields.h"

static const char *const EVENT_NAMES[WEBHOOK_EVENT_TYPE_COUNT] = {
    "inventory_update", "rate_update", "booking_confirm", "booking_cancel", "room_update",
};
static const char *const CLOUDEVENT_TYPES[WEBHOOK_EVENT_TYPE_COUNT] = {
    "lodging.pms.inventory.updated", "lodging.pms.rate.updated", "lodging.pms.booking.confirmed",
    "lodging.pms.booking.cancelled", "lodging.pms.room.updated",
};
static const char *const VENDORS[] = {"cloudbeds", "sandbox"};

/* ------------------------------------------- the normalised shape -- */

/* nights[] of inventory_update ({date, available[, total]}) or rate_update
 * ({date, amount, currency}), copied field by field into a new array. */
static int copy_nights(json_object *src, bool rates, json_object **out, normalize_error_t *err)
{
    json_object *arr = NULL;
    json_error_t je;
    *out = NULL;
    if (json_get_array(src, "nights", false, &arr, &je) != 0)
        return fields_fail_json(err, "data", &je);
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
            return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", prefix,
                               "%s must be an object", prefix);
        }
        char date_path[80];
        snprintf(date_path, sizeof date_path, "%s.date", prefix);
        json_object *night = json_object_new_object();
        int64_t a = 0, b = -1;
        const char *currency = NULL;
        int rc = fields_get_date(item, "date", date_path, true, date, err);
        if (rc == 0 && !rates &&
            (json_get_int64(item, "available", true, 0, INT32_MAX, 0, &a, &je) != 0 ||
             json_get_int64(item, "total", false, 0, INT32_MAX, -1, &b, &je) != 0))
            rc = fields_fail_json(err, prefix, &je);
        if (rc == 0 && rates &&
            (json_get_int64(item, "amount", true, 0, INT64_MAX, 0, &a, &je) != 0 ||
             json_get_string(item, "currency", true, 3, 3, &currency, &je) != 0))
            rc = fields_fail_json(err, prefix, &je);
        if (rc == 0 && rates &&
            !(currency[0] >= 'A' && currency[0] <= 'Z' && currency[1] >= 'A' &&
              currency[1] <= 'Z' && currency[2] >= 'A' && currency[2] <= 'Z'))
            rc = fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", prefix,
                             "%s.currency must be an ISO 4217 code such as KRW", prefix);
        if (rc != 0) {
            json_object_put(night);
            json_object_put(copy);
            return -1;
        }
        fields_add_str(night, "date", date);
        json_object_object_add(night, rates ? "amount" : "available", json_object_new_int64(a));
        if (rates)
            fields_add_str(night, "currency", currency);
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
    if (fields_get_id(src, "roomTypeId", "data.roomTypeId", true, room, err) != 0 ||
        (rates && fields_get_id(src, "ratePlanId", "data.ratePlanId", false, plan, err) != 0) ||
        fields_get_range(src, "data", from, to, err) != 0 ||
        copy_nights(src, rates, &nights, err) != 0)
        return -1;
    json_object *d = fields_base_data(n);
    fields_add_str(d, "roomTypeId", room);
    if (rates && plan[0])
        fields_add_str(d, "ratePlanId", plan);
    fields_add_str(d, "from", from);
    fields_add_str(d, "to", to);
    if (nights)
        json_object_object_add(d, "nights", nights);
    return fields_push_event(n, type, d, err);
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
        if (fields_get_id(src, "reservationId", "data.reservationId", true, id, err) != 0 ||
            fields_get_id(src, "roomTypeId", "data.roomTypeId", false, room, err) != 0 ||
            fields_get_date(src, "checkIn", "data.checkIn", false, in, err) != 0 ||
            fields_get_date(src, "checkOut", "data.checkOut", false, out, err) != 0)
            return -1;
        return fields_booking_event(n, type, id, room, in, out, err);
    case WEBHOOK_ROOM_UPDATE: {
        if (fields_get_id(src, "roomTypeId", "data.roomTypeId", false, room, err) != 0)
            return -1;
        json_object *d = fields_base_data(n);
        if (room[0])
            fields_add_str(d, "roomTypeId", room);
        return fields_push_event(n, type, d, err);
    }
    case WEBHOOK_EVENT_TYPE_COUNT:
        break;
    }
    return fields_fail(err, FIELDS_ERR_UNKNOWN_EVENT, "unknown_event_type", "eventType",
                       "unknown event type");
}

static int parse_normalized(const char *vendor, json_object *body, normalized_t *n,
                            normalize_error_t *err)
{
    json_error_t je;
    const char *event_type = NULL, *body_vendor = NULL, *timestamp = NULL;
    json_object *data = NULL;
    if (fields_get_id(body, "eventId", "eventId", true, n->event_id, err) != 0)
        return -1;
    if (json_get_string(body, "eventType", true, 1, 64, &event_type, &je) != 0 ||
        json_get_string(body, "vendor", true, 1, 64, &body_vendor, &je) != 0)
        return fields_fail_json(err, NULL, &je);
    int type = 0;
    while (type < WEBHOOK_EVENT_TYPE_COUNT && strcmp(EVENT_NAMES[type], event_type) != 0)
        type++;
    if (type == WEBHOOK_EVENT_TYPE_COUNT)
        return fields_fail(
            err, FIELDS_ERR_UNKNOWN_EVENT, "unknown_event_type", "eventType",
            "eventType must be one of inventory_update, rate_update, booking_confirm, "
            "booking_cancel, room_update");
    if (strcmp(body_vendor, vendor) != 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "vendor_mismatch", "vendor",
                           "vendor must be \"%s\" on /api/webhooks/pms/%s", vendor, vendor);
    if (fields_get_id(body, "hotelId", "hotelId", true, n->hotel_id, err) != 0)
        return -1;
    int64_t unix_ms;
    if (json_get_string(body, "timestamp", true, 1, 64, &timestamp, &je) != 0)
        return fields_fail_json(err, NULL, &je);
    if (dates_parse_rfc3339(timestamp, &unix_ms) != 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", "timestamp",
                           "timestamp must be an RFC 3339 date-time");
    if (json_get_object(body, "data", true, &data, &je) != 0)
        return fields_fail_json(err, NULL, &je);
    n->source_event = EVENT_NAMES[type];
    return normalized_data(n, (webhook_event_type_t)type, data, err);
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
        return fields_fail(err, "UNKNOWN_VENDOR", "unknown_vendor", "vendor", "unknown vendor");
    snprintf(out->vendor, sizeof out->vendor, "%s", vendor);
    json_error_t je;
    json_object *root = json_parse_object(body, len, &je);
    if (!root)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "bad_json", "body", "%s", je.message);
    int rc;
    if (json_object_object_get_ex(root, "eventType", NULL))
        rc = parse_normalized(vendor, root, out, err);
    else if (strcmp(vendor, "cloudbeds") == 0 && json_object_object_get_ex(root, "event", NULL))
        rc = cloudbeds_webhook_parse(vendor, root, body, len, out, err);
    else
        rc = fields_fail(err, FIELDS_ERR_VALIDATION, "missing_field", "eventType",
                         "eventType is required");
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
    bool found = normalised ? fields_id_value(root, "hotelId", id) > 0
                            : cloudbeds_webhook_property_id(root, id) > 0;
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
