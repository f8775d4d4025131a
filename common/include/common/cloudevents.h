/*
 * cloudevents.h — CloudEvents 1.0 in structured JSON mode, the envelope of
 * every event on our topics (proto/events/cloudevent.schema.json), and the
 * Kafka headers that go with it (proto/topics.md).
 *
 * Usage:
 *     json_object *data = json_object_new_object(); ... fill ...
 *     cloudevent_t *ev = cloudevent_new("lodging.booking.confirmed", "/booking-svc",
 *                                       booking_id, data);        // takes data
 *     char *json = cloudevent_to_json(ev);
 *     kafka_header_t h[CLOUDEVENT_HEADER_COUNT]; cloudevent_kafka_headers(ev, h);
 *     kafka_producer_send_sync(p, topic, booking_id, strlen(booking_id), json, strlen(json),
 *                              h, CLOUDEVENT_HEADER_COUNT, err, sizeof err);
 *     free(json); cloudevent_free(ev);
 *
 * Parsing validates the required attributes (id, source, specversion "1.0",
 * type), time as RFC 3339 when present, and data as an object when present.
 * Thread-safety: functions are reentrant. Ownership: cloudevent_new takes
 * ownership of `data`; cloudevent_to_json returns malloc'd text.
 */
#ifndef COMMON_CLOUDEVENTS_H
#define COMMON_CLOUDEVENTS_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/kafka.h"

#define CLOUDEVENT_SPECVERSION "1.0"
#define CLOUDEVENT_CONTENT_TYPE "application/cloudevents+json"
#define CLOUDEVENT_HEADER_COUNT 4

typedef struct cloudevent {
    char *id;
    char *source;
    char *type;
    char *subject;            /* may be NULL */
    char *time;               /* RFC 3339 */
    char *dataschema;         /* may be NULL */
    struct json_object *data; /* may be NULL */
} cloudevent_t;

/* A new event with a fresh UUID id and the current time. NULL on OOM. */
cloudevent_t *cloudevent_new(const char *type, const char *source, const char *subject,
                             struct json_object *data);
void cloudevent_free(cloudevent_t *ev);

/* Sets dataschema (copied). 0 or -1. */
int cloudevent_set_dataschema(cloudevent_t *ev, const char *uri);

/* The structured-mode JSON text; malloc'd. */
char *cloudevent_to_json(const cloudevent_t *ev);

/* Parses and validates; NULL with the reason in err. */
cloudevent_t *cloudevent_parse(const char *text, size_t len, char *err, size_t err_size);

/* content-type, ce_id, ce_type, ce_source headers pointing into ev. */
void cloudevent_kafka_headers(const cloudevent_t *ev, kafka_header_t out[CLOUDEVENT_HEADER_COUNT]);

#endif /* COMMON_CLOUDEVENTS_H */
