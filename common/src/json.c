/*
 * json.c — request-validation helpers over json-c (see json.h).
 */
#include "common/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_SEGMENT_MAX 64

static int fail(json_error_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(json_error_t *err, const char *field, const char *fmt, ...)
{
    if (!err)
        return -1;
    snprintf(err->field, sizeof err->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

struct json_object *json_parse_object(const char *text, size_t len, json_error_t *err)
{
    if (!text || len == 0) {
        fail(err, "body", "request body is empty");
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        fail(err, "body", "body is not valid JSON: it contains a NUL byte");
        return NULL;
    }
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        fail(err, "body", "out of memory");
        return NULL;
    }
    json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success || !obj) {
        json_object_put(obj);
        fail(err, "body", "body is not valid JSON: %s at offset %zu",
             jerr == json_tokener_continue ? "unexpected end of input"
                                           : json_tokener_error_desc(jerr),
             end);
        return NULL;
    }
    for (size_t i = end; i < len; i++) {
        if (!strchr(" \t\r\n", text[i])) {
            json_object_put(obj);
            fail(err, "body", "body is not valid JSON: trailing data at offset %zu", i);
            return NULL;
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        fail(err, "body", "body must be a JSON object");
        return NULL;
    }
    return obj;
}

/* Resolves a dotted path. Returns 1 found, 0 absent (or null), -1 when an
 * intermediate is not an object (err filled). */
static int lookup(struct json_object *obj, const char *path, struct json_object **out,
                  json_error_t *err)
{
    char seg[PATH_SEGMENT_MAX];
    const char *p = path;
    struct json_object *cur = obj;
    while (cur) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof seg)
            return fail(err, path, "%s is not a known field", path);
        memcpy(seg, p, n);
        seg[n] = '\0';
        if (!json_object_is_type(cur, json_type_object)) {
            char parent[128];
            snprintf(parent, sizeof parent, "%.*s", (int)(p - path - 1), path);
            return fail(err, parent, "%s must be an object", parent);
        }
        struct json_object *next = NULL;
        if (!json_object_object_get_ex(cur, seg, &next) || !next)
            return 0;
        if (!dot) {
            *out = next;
            return 1;
        }
        cur = next;
        p = dot + 1;
    }
    return 0;
}

/* Common prologue: 1 found (value in *v), 0 absent-and-optional, -1 error. */
static int find(struct json_object *obj, const char *path, bool required, struct json_object **v,
                json_error_t *err)
{
    int rc = lookup(obj, path, v, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return required ? fail(err, path, "%s is required", path) : 0;
    return 1;
}

int json_get_string(struct json_object *obj, const char *path, bool required, size_t min_len,
                    size_t max_len, const char **out, json_error_t *err)
{
    struct json_object *v = NULL;
    *out = NULL;
    int rc = find(obj, path, required, &v, err);
    if (rc <= 0)
        return rc;
    if (!json_object_is_type(v, json_type_string))
        return fail(err, path, "%s must be a string", path);
    size_t len = (size_t)json_object_get_string_len(v);
    const char *text = json_object_get_string(v);
    /* "\u0000" decodes to a NUL inside the string: as a C string it would
     * silently lose everything after it, so it is refused instead. */
    if (strlen(text) != len)
        return fail(err, path, "%s must not contain a NUL character", path);
    if (len < min_len)
        return fail(err, path, min_len == 1 ? "%s must not be empty" : "%s is too short", path);
    if (len > max_len)
        return fail(err, path, "%s must be at most %zu characters", path, max_len);
    *out = text;
    return 0;
}

int json_get_text(struct json_object *obj, const char *path, bool required, size_t min_len,
                  size_t max_len, const char **out, json_error_t *err)
{
    if (json_get_string(obj, path, required, min_len, max_len, out, err) != 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)*out; p && *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            *out = NULL;
            return fail(err, path, "%s must not contain control characters", path);
        }
    }
    return 0;
}

int json_get_int64(struct json_object *obj, const char *path, bool required, int64_t min,
                   int64_t max, int64_t def, int64_t *out, json_error_t *err)
{
    struct json_object *v = NULL;
    *out = def;
    int rc = find(obj, path, required, &v, err);
    if (rc <= 0)
        return rc;
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (d != floor(d) || !isfinite(d) || fabs(d) > 9.0e15)
            return fail(err, path, "%s must be an integer", path);
        if (d < (double)min || d > (double)max)
            goto range;
        *out = (int64_t)d;
        return 0;
    }
    if (!json_object_is_type(v, json_type_int))
        return fail(err, path, "%s must be an integer", path);
    int64_t n = json_object_get_int64(v);
    /* json-c clamps numbers beyond int64 to its limits: treat those as overflow. */
    if (n == INT64_MAX || n == INT64_MIN || n < min || n > max)
        goto range;
    *out = n;
    return 0;
range:
    return fail(err, path, "%s must be an integer between %lld and %lld", path, (long long)min,
                (long long)max);
}

int json_get_bool(struct json_object *obj, const char *path, bool required, bool def, bool *out,
                  json_error_t *err)
{
    struct json_object *v = NULL;
    *out = def;
    int rc = find(obj, path, required, &v, err);
    if (rc <= 0)
        return rc;
    if (!json_object_is_type(v, json_type_boolean))
        return fail(err, path, "%s must be true or false", path);
    *out = json_object_get_boolean(v);
    return 0;
}

static int get_typed(struct json_object *obj, const char *path, bool required, enum json_type type,
                     const char *what, struct json_object **out, json_error_t *err)
{
    struct json_object *v = NULL;
    *out = NULL;
    int rc = find(obj, path, required, &v, err);
    if (rc <= 0)
        return rc;
    if (!json_object_is_type(v, type))
        return fail(err, path, "%s must be %s", path, what);
    *out = v;
    return 0;
}

int json_get_object(struct json_object *obj, const char *path, bool required,
                    struct json_object **out, json_error_t *err)
{
    return get_typed(obj, path, required, json_type_object, "an object", out, err);
}

int json_get_array(struct json_object *obj, const char *path, bool required,
                   struct json_object **out, json_error_t *err)
{
    return get_typed(obj, path, required, json_type_array, "an array", out, err);
}

char *json_to_string_dup(struct json_object *obj)
{
    const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
    return s ? strdup(s) : NULL;
}
