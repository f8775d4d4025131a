/*
 * cloudevents.c — CloudEvents 1.0 structured JSON (see cloudevents.h).
 */
#include "common/cloudevents.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/dates.h"
#include "common/json.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

cloudevent_t *cloudevent_new(const char *type, const char *source, const char *subject,
                             struct json_object *data)
{
    cloudevent_t *ev = calloc(1, sizeof *ev);
    char id[CRYPTO_UUID_LEN + 1], now[DATES_RFC3339_LEN + 1];
    if (!ev || crypto_uuid_v4(id) != 0) {
        free(ev);
        json_object_put(data);
        return NULL;
    }
    dates_now_rfc3339(now);
    ev->id = strdup(id);
    ev->type = dup_or_null(type);
    ev->source = dup_or_null(source);
    ev->subject = dup_or_null(subject);
    ev->time = strdup(now);
    ev->data = data;
    if (!ev->id || !ev->type || !ev->source || !ev->time || (subject && !ev->subject)) {
        cloudevent_free(ev);
        return NULL;
    }
    return ev;
}

void cloudevent_free(cloudevent_t *ev)
{
    if (!ev)
        return;
    free(ev->id);
    free(ev->source);
    free(ev->type);
    free(ev->subject);
    free(ev->time);
    free(ev->dataschema);
    json_object_put(ev->data);
    free(ev);
}

int cloudevent_set_dataschema(cloudevent_t *ev, const char *uri)
{
    char *copy = strdup(uri);
    if (!copy)
        return -1;
    free(ev->dataschema);
    ev->dataschema = copy;
    return 0;
}

static void add_string(json_object *o, const char *key, const char *value)
{
    if (value)
        json_object_object_add(o, key, json_object_new_string(value));
}

char *cloudevent_to_json(const cloudevent_t *ev)
{
    json_object *o = json_object_new_object();
    add_string(o, "specversion", CLOUDEVENT_SPECVERSION);
    add_string(o, "id", ev->id);
    add_string(o, "source", ev->source);
    add_string(o, "type", ev->type);
    add_string(o, "subject", ev->subject);
    add_string(o, "time", ev->time);
    add_string(o, "datacontenttype", "application/json");
    add_string(o, "dataschema", ev->dataschema);
    if (ev->data)
        json_object_object_add(o, "data", json_object_get(ev->data));
    char *text = json_to_string_dup(o);
    json_object_put(o);
    return text;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM). */
static int valid_rfc3339(const char *t)
{
    dates_day_t day;
    char date[DATES_ISO_LEN + 1];
    if (strlen(t) < 20)
        return 0;
    memcpy(date, t, DATES_ISO_LEN);
    date[DATES_ISO_LEN] = '\0';
    if (dates_parse_iso(date, &day) != 0 || (t[10] != 'T' && t[10] != 't'))
        return 0;
    static const char shape[] = "dd:dd:dd";
    for (int i = 0; i < 8; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)t[11 + i]) : t[11 + i] != ':')
            return 0;
    const char *p = t + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return 1;
    return (*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
           isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
           isdigit((unsigned char)p[5]) && p[6] == '\0';
}

/* Reads a string attribute; required ones must be non-empty. */
static int attribute(json_object *o, const char *name, bool required, char **out, char *err,
                     size_t err_size)
{
    const char *v = NULL;
    json_error_t je;
    if (json_get_string(o, name, required, required ? 1 : 0, 4096, &v, &je) != 0) {
        snprintf(err, err_size, "%s", je.message);
        return -1;
    }
    *out = dup_or_null(v);
    return (v && !*out) ? -1 : 0;
}

cloudevent_t *cloudevent_parse(const char *text, size_t len, char *err, size_t err_size)
{
    json_error_t je;
    json_object *o = json_parse_object(text, len, &je);
    if (!o) {
        snprintf(err, err_size, "%s", je.message);
        return NULL;
    }
    cloudevent_t *ev = calloc(1, sizeof *ev);
    char *spec = NULL;
    if (!ev || attribute(o, "specversion", true, &spec, err, err_size) != 0 ||
        attribute(o, "id", true, &ev->id, err, err_size) != 0 ||
        attribute(o, "source", true, &ev->source, err, err_size) != 0 ||
        attribute(o, "type", true, &ev->type, err, err_size) != 0 ||
        attribute(o, "subject", false, &ev->subject, err, err_size) != 0 ||
        attribute(o, "time", false, &ev->time, err, err_size) != 0 ||
        attribute(o, "dataschema", false, &ev->dataschema, err, err_size) != 0)
        goto fail;
    if (strcmp(spec, CLOUDEVENT_SPECVERSION) != 0) {
        snprintf(err, err_size, "specversion must be \"1.0\"");
        goto fail;
    }
    if (ev->time && !valid_rfc3339(ev->time)) {
        snprintf(err, err_size, "time must be an RFC 3339 timestamp");
        goto fail;
    }
    json_object *data = NULL;
    if (json_get_object(o, "data", false, &data, &je) != 0) {
        snprintf(err, err_size, "%s", je.message);
        goto fail;
    }
    ev->data = data ? json_object_get(data) : NULL;
    free(spec);
    json_object_put(o);
    return ev;
fail:
    free(spec);
    cloudevent_free(ev);
    json_object_put(o);
    return NULL;
}

void cloudevent_kafka_headers(const cloudevent_t *ev, kafka_header_t out[CLOUDEVENT_HEADER_COUNT])
{
    out[0] = (kafka_header_t){"content-type", CLOUDEVENT_CONTENT_TYPE};
    out[1] = (kafka_header_t){"ce_id", ev->id};
    out[2] = (kafka_header_t){"ce_type", ev->type};
    out[3] = (kafka_header_t){"ce_source", ev->source};
}
