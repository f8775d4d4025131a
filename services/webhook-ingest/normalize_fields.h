/*
 * normalize_fields.h — the field readers and event builders normalize.c and
 * cloudbeds_webhook.c share (internal to webhook-ingest): ids given as
 * strings or numbers, ISO dates, ranges, field-named errors, and the data
 * objects of proto/events/pms-*.schema.json.
 *
 * Usage:
 *     char room[NORMALIZE_ID_MAX + 1];
 *     if (fields_get_id(data, "roomTypeId", "data.roomTypeId", true, room, err) != 0)
 *         return -1;                                   // err names data.roomTypeId
 *     json_object *d = fields_base_data(n);           // eventId, vendor, hotelId
 *     fields_add_str(d, "roomTypeId", room);
 *     return fields_push_event(n, WEBHOOK_ROOM_UPDATE, d, err);
 *
 * Every getter returns 0 (value found, or absent and not required: out "")
 * or -1 with err filled; `path` is the field's name in messages. Thread-safety:
 * reentrant. Ownership: fields_push_event takes `data` (also on failure).
 */
#ifndef WEBHOOK_NORMALIZE_FIELDS_H
#define WEBHOOK_NORMALIZE_FIELDS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common/dates.h"
#include "common/json.h"
#include "normalize.h"

#define FIELDS_ERR_VALIDATION "VALIDATION_ERROR"
#define FIELDS_ERR_UNKNOWN_EVENT "UNKNOWN_EVENT_TYPE"

/* Fills err (code, metric reason, field, printf message); returns -1. */
int fields_fail(normalize_error_t *err, const char *code, const char *reason, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A json.h error on an object found at `prefix` (NULL: the body itself). */
int fields_fail_json(normalize_error_t *err, const char *prefix, const json_error_t *je);

void fields_add_str(json_object *o, const char *key, const char *value);

/* An id given as a string (1..64 bytes) or an integer, as text.
 * 1 found, 0 absent, -1 present but unusable. */
int fields_id_value(json_object *obj, const char *key, char out[NORMALIZE_ID_MAX + 1]);
int fields_get_id(json_object *obj, const char *key, const char *path, bool required,
                  char out[NORMALIZE_ID_MAX + 1], normalize_error_t *err);
/* fields_get_id under `key`, or `alt` when only that spelling is present. */
int fields_get_id_either(json_object *obj, const char *key, const char *alt, bool required,
                         char out[NORMALIZE_ID_MAX + 1], normalize_error_t *err);
/* A date YYYY-MM-DD. */
int fields_get_date(json_object *obj, const char *key, const char *path, bool required,
                    char out[DATES_ISO_LEN + 1], normalize_error_t *err);
/* <prefix>.from <= <prefix>.to, both required. */
int fields_get_range(json_object *obj, const char *prefix, char from[DATES_ISO_LEN + 1],
                     char to[DATES_ISO_LEN + 1], normalize_error_t *err);

/* A new data object with eventId, vendor and hotelId of n. */
json_object *fields_base_data(const normalized_t *n);
/* Appends an event to n (at most NORMALIZE_MAX_EVENTS). */
int fields_push_event(normalized_t *n, webhook_event_type_t type, json_object *data,
                      normalize_error_t *err);
/* booking_confirm / booking_cancel data (status follows the type); room,
 * check_in, check_out may be NULL or "". */
int fields_booking_event(normalized_t *n, webhook_event_type_t type, const char *reservation,
                         const char *room, const char *check_in, const char *check_out,
                         normalize_error_t *err);

#endif /* WEBHOOK_NORMALIZE_FIELDS_H */
