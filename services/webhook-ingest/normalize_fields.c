/*
 * normalize_fields.c — shared field readers and event builders of the
 * webhook normalisation (see normalize_fields.h).
 */
#include "normalize_fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int fields_fail(normalize_error_t *err, const char *code, const char *reason, const char *field,
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
int fields_fail_json(normalize_error_t *err, const char *prefix, const json_error_t *je)
{
    const char *reason = strstr(je->message, "is required") ? "missing_field" : "invalid_field";
    if (!prefix || !*prefix)
        return fields_fail(err, FIELDS_ERR_VALIDATION, reason, je->field, "%s", je->message);
    char field[sizeof je->field + 64];
    snprintf(field, sizeof field, "%s.%s", prefix, je->field);
    return fields_fail(err, FIELDS_ERR_VALIDATION, reason, field, "%s.%s", prefix, je->message);
}

void fields_add_str(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value));
}

/* An id given as a string (1..64 bytes) or an integer, as text into out.
 * Returns 1 found, 0 absent, -1 present but unusable. */
int fields_id_value(json_object *obj, const char *key, char out[NORMALIZE_ID_MAX + 1])
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
int fields_get_id(json_object *obj, const char *key, const char *path, bool required,
                  char out[NORMALIZE_ID_MAX + 1], normalize_error_t *err)
{
    out[0] = '\0';
    int rc = fields_id_value(obj, key, out);
    if (rc < 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", path,
                           "%s must be a string of 1 to %d characters", path, NORMALIZE_ID_MAX);
    if (rc == 0 && required)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "missing_field", path, "%s is required",
                           path);
    return 0;
}

/* get_id under the first of two spellings present (Cloudbeds' payloads use both
 * reservationID and reservationId, propertyID and propertyId). */
int fields_get_id_either(json_object *obj, const char *key, const char *alt, bool required,
                         char out[NORMALIZE_ID_MAX + 1], normalize_error_t *err)
{
    if (!json_object_object_get_ex(obj, key, NULL) && json_object_object_get_ex(obj, alt, NULL))
        return fields_get_id(obj, alt, alt, required, out, err);
    return fields_get_id(obj, key, key, required, out, err);
}

/* An ISO date YYYY-MM-DD. 0 ok or absent (out ""), -1 with err. */
int fields_get_date(json_object *obj, const char *key, const char *path, bool required,
                    char out[DATES_ISO_LEN + 1], normalize_error_t *err)
{
    out[0] = '\0';
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
        if (required)
            return fields_fail(err, FIELDS_ERR_VALIDATION, "missing_field", path, "%s is required",
                               path);
        return 0;
    }
    dates_day_t day;
    const char *text = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    if (strlen(text) != DATES_ISO_LEN || dates_parse_iso(text, &day) != 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", path,
                           "%s must be a date YYYY-MM-DD", path);
    dates_format_iso(day, out);
    return 0;
}

/* A range [from, to] with from <= to, both required. */
int fields_get_range(json_object *obj, const char *prefix, char from[DATES_ISO_LEN + 1],
                     char to[DATES_ISO_LEN + 1], normalize_error_t *err)
{
    char path_from[64], path_to[64];
    snprintf(path_from, sizeof path_from, "%s.from", prefix);
    snprintf(path_to, sizeof path_to, "%s.to", prefix);
    if (fields_get_date(obj, "from", path_from, true, from, err) != 0 ||
        fields_get_date(obj, "to", path_to, true, to, err) != 0)
        return -1;
    if (strcmp(from, to) > 0)
        return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", path_to,
                           "%s must not be before %s", path_to, path_from);
    return 0;
}

/* The fields every data object starts with. */
json_object *fields_base_data(const normalized_t *n)
{
    json_object *d = json_object_new_object();
    fields_add_str(d, "eventId", n->event_id);
    fields_add_str(d, "vendor", n->vendor);
    fields_add_str(d, "hotelId", n->hotel_id);
    return d;
}

int fields_push_event(normalized_t *n, webhook_event_type_t type, json_object *data,
                      normalize_error_t *err)
{
    if (n->event_count == NORMALIZE_MAX_EVENTS) {
        json_object_put(data);
        return fields_fail(err, FIELDS_ERR_VALIDATION, "invalid_field", "body",
                           "one webhook may change at most %d room types", NORMALIZE_MAX_EVENTS);
    }
    n->events[n->event_count].type = type;
    n->events[n->event_count].data = data;
    n->event_count++;
    return 0;
}

/* booking_confirm / booking_cancel data; `status` follows the event type. */
int fields_booking_event(normalized_t *n, webhook_event_type_t type, const char *reservation,
                         const char *room, const char *check_in, const char *check_out,
                         normalize_error_t *err)
{
    json_object *d = fields_base_data(n);
    fields_add_str(d, "reservationId", reservation);
    if (room && *room)
        fields_add_str(d, "roomTypeId", room);
    if (check_in && *check_in)
        fields_add_str(d, "checkIn", check_in);
    if (check_out && *check_out)
        fields_add_str(d, "checkOut", check_out);
    fields_add_str(d, "status", type == WEBHOOK_BOOKING_CANCEL ? "cancelled" : "confirmed");
    return fields_push_event(n, type, d, err);
}
