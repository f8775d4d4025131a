/*
 * json.h — json-c helpers for validating request bodies with precise,
 * field-named errors (bad input gets a 4xx naming the field).
 *
 * Fields are addressed by dotted paths ("guestInfo.email"). Every getter
 * returns 0 and the value, or -1 and fills a json_error_t whose `field` is the
 * full path and whose `message` is a sentence a client developer can act on
 * ("guestInfo.email is required", "adults must be an integer between 1 and 20").
 *
 * Usage:
 *     json_error_t err;
 *     const char *hotel; int64_t adults;
 *     if (json_get_string(body, "hotelId", true, 1, 64, &hotel, &err) != 0 ||
 *         json_get_int64(body, "adults", true, 1, 20, 0, &adults, &err) != 0)
 *         return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
 *
 * Thread-safety: functions are reentrant. Ownership: returned strings and
 * objects are borrowed from the object passed in (valid while it lives).
 */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_error {
    char field[128];
    char message[256];
} json_error_t;

/* Parses text (exactly len bytes) that must be one JSON object. Caller owns
 * the result (json_object_put). NULL with err filled (field "body"). */
struct json_object *json_parse_object(const char *text, size_t len, json_error_t *err);

/* A string of min_len..max_len bytes. Absent and not required: *out = NULL.
 * A string holding a NUL ("\u0000") is refused: it cannot be a C string. */
int json_get_string(struct json_object *obj, const char *path, bool required, size_t min_len,
                    size_t max_len, const char **out, json_error_t *err);

/* json_get_string for text meant for people and other systems (names, ids):
 * also refuses control characters, U+0000..U+001F and U+007F ("%s must not
 * contain control characters"). */
int json_get_text(struct json_object *obj, const char *path, bool required, size_t min_len,
                  size_t max_len, const char **out, json_error_t *err);

/* An integer in [min, max] (not a fraction, not a string, not a bool).
 * Absent and not required: *out = def. */
int json_get_int64(struct json_object *obj, const char *path, bool required, int64_t min,
                   int64_t max, int64_t def, int64_t *out, json_error_t *err);

/* A boolean. Absent and not required: *out = def. */
int json_get_bool(struct json_object *obj, const char *path, bool required, bool def, bool *out,
                  json_error_t *err);

/* A nested object / array (borrowed). Absent and not required: *out = NULL. */
int json_get_object(struct json_object *obj, const char *path, bool required,
                    struct json_object **out, json_error_t *err);
int json_get_array(struct json_object *obj, const char *path, bool required,
                   struct json_object **out, json_error_t *err);

/* Compact serialisation (no slash escaping), malloc'd; NULL on OOM. */
char *json_to_string_dup(struct json_object *obj);

#endif /* COMMON_JSON_H */
