/*
 * cloudevents.c — CloudEvents 1.0: structured JSON and the Kafka binding's
 * binary content mode (see cloudevents.h).
 */
#include "common/cloudevents.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/dates.h"
#include "common/json.h"
#include "common/trace.h"

#define HEADER_VALUE_MAX 4096

/* Every event type we publish and the schema its data follows (proto/topics.md). */
static const struct {
    const char *type;
    const char *dataschema;
} DATASCHEMAS[] = {
    {"lodging.pms.inventory.updated", CLOUDEVENT_DATASCHEMA_PREFIX "pms-inventory-updated"},
    {"lodging.pms.rate.updated", CLOUDEVENT_DATASCHEMA_PREFIX "pms-rate-updated"},
    {"lodging.pms.booking.confirmed", CLOUDEVENT_DATASCHEMA_PREFIX "pms-booking-changed"},
    {"lodging.pms.booking.cancelled", CLOUDEVENT_DATASCHEMA_PREFIX "pms-booking-changed"},
    {"lodging.pms.room.updated", CLOUDEVENT_DATASCHEMA_PREFIX "pms-room-updated"},
    {"lodging.sync.requested", CLOUDEVENT_DATASCHEMA_PREFIX "sync-requested"},
    {"lodging.sync.succeeded", CLOUDEVENT_DATASCHEMA_PREFIX "sync-result"},
    {"lodging.sync.failed", CLOUDEVENT_DATASCHEMA_PREFIX "sync-result"},
    {"lodging.booking.compensation.requested", CLOUDEVENT_DATASCHEMA_PREFIX "booking-compensation"},
    {"lodging.booking.requested", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.booking.held", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.booking.payment_authorized", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.booking.confirmed", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.booking.captured", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.booking.failed", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.booking.compensated", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.booking.cancelled", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.booking.modified", CLOUDEVENT_DATASCHEMA_PREFIX "booking"},
    {"lodging.ops.polling.stopped", CLOUDEVENT_DATASCHEMA_PREFIX "ops-alert"},
    {"lodging.ops.breaker.opened", CLOUDEVENT_DATASCHEMA_PREFIX "ops-alert"},
    {"lodging.ops.compensation.stuck", CLOUDEVENT_DATASCHEMA_PREFIX "ops-alert"},
};

const char *cloudevent_dataschema_of(const char *type)
{
    for (size_t i = 0; type && i < sizeof DATASCHEMAS / sizeof *DATASCHEMAS; i++)
        if (strcmp(type, DATASCHEMAS[i].type) == 0)
            return DATASCHEMAS[i].dataschema;
    return NULL;
}

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
    if (!ev->id || !ev->type || !ev->source || !ev->time || (subject && !ev->subject) ||
        cloudevent_set_dataschema(ev, cloudevent_dataschema_of(type)) != 0) {
        cloudevent_free(ev);
        return NULL;
    }
    const trace_context_t *trace = trace_current();
    if (trace) {
        char tp[TRACE_TRACEPARENT_LEN + 1];
        trace_format(trace, tp);
        if (cloudevent_set_trace(ev, tp, trace->tracestate) != 0) {
            cloudevent_free(ev);
            return NULL;
        }
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
    free(ev->traceparent);
    free(ev->tracestate);
    json_object_put(ev->data);
    free(ev);
}

/* Replaces *slot by a copy of value (NULL or "" clears). 0 or -1. */
static int set_copy(char **slot, const char *value)
{
    char *copy = NULL;
    if (value && *value && !(copy = strdup(value)))
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

int cloudevent_set_dataschema(cloudevent_t *ev, const char *uri)
{
    return set_copy(&ev->dataschema, uri);
}

int cloudevent_set_trace(cloudevent_t *ev, const char *traceparent, const char *tracestate)
{
    if (set_copy(&ev->traceparent, traceparent) != 0)
        return -1;
    return set_copy(&ev->tracestate, ev->traceparent ? tracestate : NULL);
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
    add_string(o, "traceparent", ev->traceparent);
    add_string(o, "tracestate", ev->tracestate);
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
        attribute(o, "dataschema", false, &ev->dataschema, err, err_size) != 0 ||
        attribute(o, "traceparent", false, &ev->traceparent, err, err_size) != 0 ||
        attribute(o, "tracestate", false, &ev->tracestate, err, err_size) != 0)
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

int cloudevent_to_kafka(const cloudevent_t *ev, cloudevent_kafka_t *out)
{
    memset(out, 0, sizeof *out);
    out->value = ev->data ? json_to_string_dup(ev->data) : strdup("");
    if (!out->value)
        return -1;
    out->len = strlen(out->value);
    kafka_header_t *h = out->headers;
    size_t n = 0;
    if (ev->data)
        h[n++] = (kafka_header_t){"content-type", CLOUDEVENT_DATA_CONTENT_TYPE};
    h[n++] = (kafka_header_t){"ce_specversion", CLOUDEVENT_SPECVERSION};
    h[n++] = (kafka_header_t){"ce_id", ev->id};
    h[n++] = (kafka_header_t){"ce_source", ev->source};
    h[n++] = (kafka_header_t){"ce_type", ev->type};
    if (ev->subject)
        h[n++] = (kafka_header_t){"ce_subject", ev->subject};
    if (ev->time)
        h[n++] = (kafka_header_t){"ce_time", ev->time};
    if (ev->dataschema)
        h[n++] = (kafka_header_t){"ce_dataschema", ev->dataschema};
    if (ev->traceparent)
        h[n++] = (kafka_header_t){"ce_traceparent", ev->traceparent};
    if (ev->traceparent && ev->tracestate)
        h[n++] = (kafka_header_t){"ce_tracestate", ev->tracestate};
    out->header_count = n;
    return 0;
}

void cloudevent_kafka_clear(cloudevent_kafka_t *m)
{
    free(m->value);
    m->value = NULL;
    m->len = 0;
    m->header_count = 0;
}

int cloudevent_send_sync(kafka_producer_t *p, const char *topic, const char *key,
                         const cloudevent_t *ev, char *err, size_t err_size)
{
    cloudevent_kafka_t m;
    if (cloudevent_to_kafka(ev, &m) != 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    int rc = kafka_producer_send_sync(p, topic, key, strlen(key), m.value, m.len, m.headers,
                                      m.header_count, err, err_size);
    cloudevent_kafka_clear(&m);
    return rc;
}

int cloudevent_send_wait(kafka_producer_t *p, const char *topic, const char *key,
                         const cloudevent_t *ev, int timeout_ms, char *err, size_t err_size)
{
    cloudevent_kafka_t m;
    if (cloudevent_to_kafka(ev, &m) != 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    int rc = kafka_producer_send_wait(p, topic, key, strlen(key), m.value, m.len, m.headers,
                                      m.header_count, timeout_ms, err, err_size);
    cloudevent_kafka_clear(&m);
    return rc;
}

int cloudevent_send(kafka_producer_t *p, const char *topic, const char *key, const cloudevent_t *ev,
                    kafka_delivery_fn done, void *opaque, char *err, size_t err_size)
{
    cloudevent_kafka_t m;
    if (cloudevent_to_kafka(ev, &m) != 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    int rc = kafka_producer_send(p, topic, key, strlen(key), m.value, m.len, m.headers,
                                 m.header_count, done, opaque, err, err_size);
    cloudevent_kafka_clear(&m);
    return rc;
}

/* A ce_* header copied into *out (NULL when absent); required ones must be non-empty. */
static int header_attribute(const kafka_message_t *m, const char *header, bool required, char **out,
                            char *err, size_t err_size)
{
    char buf[HEADER_VALUE_MAX];
    const char *v = kafka_message_header(m, header, buf, sizeof buf);
    if (!v || !*v) {
        if (required) {
            snprintf(err, err_size, "header %s is required", header);
            return -1;
        }
        *out = NULL;
        return 0;
    }
    *out = strdup(v);
    return *out ? 0 : -1;
}

/* Structured mode: content-type application/cloudevents (+json, ; charset...). */
static bool structured_content_type(const char *ct)
{
    static const char prefix[] = "application/cloudevents";
    return ct && strncasecmp(ct, prefix, sizeof prefix - 1) == 0;
}

static bool json_content_type(const char *ct)
{
    static const char json[] = "application/json";
    size_t n = sizeof json - 1;
    return strncasecmp(ct, json, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

cloudevent_t *cloudevent_from_kafka(const kafka_message_t *m, char *err, size_t err_size)
{
    char ct[256];
    const char *content_type = kafka_message_header(m, "content-type", ct, sizeof ct);
    char spec_header[16];
    /* Structured when the content-type says so, and (leniently) when nothing marks binary mode. */
    if (structured_content_type(content_type) ||
        !kafka_message_header(m, "ce_specversion", spec_header, sizeof spec_header))
        return cloudevent_parse(m->value, m->len, err, err_size);
    if (content_type && !json_content_type(content_type)) {
        snprintf(err, err_size, "content-type %.64s is not application/json", content_type);
        return NULL;
    }
    cloudevent_t *ev = calloc(1, sizeof *ev);
    char *spec = NULL;
    if (!ev || header_attribute(m, "ce_specversion", true, &spec, err, err_size) != 0 ||
        header_attribute(m, "ce_id", true, &ev->id, err, err_size) != 0 ||
        header_attribute(m, "ce_source", true, &ev->source, err, err_size) != 0 ||
        header_attribute(m, "ce_type", true, &ev->type, err, err_size) != 0 ||
        header_attribute(m, "ce_subject", false, &ev->subject, err, err_size) != 0 ||
        header_attribute(m, "ce_time", false, &ev->time, err, err_size) != 0 ||
        header_attribute(m, "ce_dataschema", false, &ev->dataschema, err, err_size) != 0 ||
        header_attribute(m, "ce_traceparent", false, &ev->traceparent, err, err_size) != 0 ||
        header_attribute(m, "ce_tracestate", false, &ev->tracestate, err, err_size) != 0)
        goto fail;
    if (strcmp(spec, CLOUDEVENT_SPECVERSION) != 0) {
        snprintf(err, err_size, "ce_specversion must be \"1.0\"");
        goto fail;
    }
    if (ev->time && !valid_rfc3339(ev->time)) {
        snprintf(err, err_size, "ce_time must be an RFC 3339 timestamp");
        goto fail;
    }
    if (m->len > 0) {
        json_error_t je;
        ev->data = json_parse_object(m->value, m->len, &je);
        if (!ev->data) {
            snprintf(err, err_size, "data: %s", je.message);
            goto fail;
        }
    }
    free(spec);
    return ev;
fail:
    free(spec);
    cloudevent_free(ev);
    return NULL;
}
