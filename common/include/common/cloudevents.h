/*
 * cloudevents.h — CloudEvents 1.0, the envelope of every event on our topics
 * (proto/events/cloudevent.schema.json), and its Kafka protocol binding in
 * binary content mode (proto/topics.md, proto/asyncapi.yaml).
 *
 * On Kafka an event travels in binary mode, the binding's usual one and the
 * one the official SDKs' Kafka entry points read by default: the attributes
 * are headers (ce_specversion, ce_id, ce_source, ce_type, ce_subject, ce_time,
 * ce_dataschema, and the distributed tracing extension's ce_traceparent /
 * ce_tracestate), content-type is the data's media type (application/json),
 * the value is the data alone and the key is the partition key.
 * Consumers also read structured mode (content-type
 * application/cloudevents+json, the whole envelope as the value): messages
 * written before binary mode were structured and may still be in the topics.
 *
 * Usage (producer):
 *     json_object *data = json_object_new_object(); ... fill ...
 *     cloudevent_t *ev = cloudevent_new("lodging.booking.confirmed", "/booking-svc",
 *                                       booking_id, data);        // takes data
 *     cloudevent_send_sync(producer, topic, booking_id, ev, err, sizeof err);
 *     cloudevent_free(ev);
 * Usage (consumer handler):
 *     cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);   // NULL → poison
 *
 * cloudevent_new sets dataschema from the type (cloudevent_dataschema_of) and
 * traceparent/tracestate from the thread's current trace (trace.h).
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
#define CLOUDEVENT_CONTENT_TYPE "application/cloudevents+json" /* structured mode */
#define CLOUDEVENT_DATA_CONTENT_TYPE "application/json"
#define CLOUDEVENT_KAFKA_MAX_HEADERS 10
/* dataschema of an event whose data follows proto/events/<name>.schema.json;
 * the same URI is that schema's $id. */
#define CLOUDEVENT_DATASCHEMA_PREFIX "urn:lodging:events:"

typedef struct cloudevent {
    char *id;
    char *source;
    char *type;
    char *subject;            /* may be NULL */
    char *time;               /* RFC 3339 */
    char *dataschema;         /* may be NULL */
    char *traceparent;        /* distributed tracing extension; may be NULL */
    char *tracestate;         /* may be NULL */
    struct json_object *data; /* may be NULL */
} cloudevent_t;

/* An event in binary content mode, ready for kafka_producer_send: headers
 * point into the event (keep it alive while sending), value is malloc'd. */
typedef struct cloudevent_kafka {
    kafka_header_t headers[CLOUDEVENT_KAFKA_MAX_HEADERS];
    size_t header_count;
    char *value; /* the data as JSON text; "" when the event has none */
    size_t len;
} cloudevent_kafka_t;

/* A new event with a fresh UUID id and the current time. NULL on OOM. */
cloudevent_t *cloudevent_new(const char *type, const char *source, const char *subject,
                             struct json_object *data);
void cloudevent_free(cloudevent_t *ev);

/* Sets dataschema (copied); NULL clears it. 0 or -1. */
int cloudevent_set_dataschema(cloudevent_t *ev, const char *uri);

/* Sets traceparent and tracestate (copied; NULL or "" clears). 0 or -1. */
int cloudevent_set_trace(cloudevent_t *ev, const char *traceparent, const char *tracestate);

/* The dataschema URI of an event type of ours ("urn:lodging:events:booking"),
 * or NULL for a type we do not publish. Static storage. */
const char *cloudevent_dataschema_of(const char *type);

/* The structured-mode JSON text (the outbox's stored form); malloc'd. */
char *cloudevent_to_json(const cloudevent_t *ev);

/* Parses structured-mode JSON and validates; NULL with the reason in err. */
cloudevent_t *cloudevent_parse(const char *text, size_t len, char *err, size_t err_size);

/* Binary content mode for Kafka (see above). 0, or -1 on OOM. */
int cloudevent_to_kafka(const cloudevent_t *ev, cloudevent_kafka_t *out);
void cloudevent_kafka_clear(cloudevent_kafka_t *m);

/* Encodes in binary mode and sends with `key`, waiting for the broker's
 * acknowledgement (kafka_producer_send_sync) / queuing with an optional
 * delivery callback (kafka_producer_send). 0, or -1 with err. */
int cloudevent_send_sync(kafka_producer_t *p, const char *topic, const char *key,
                         const cloudevent_t *ev, char *err, size_t err_size);
/* cloudevent_send_sync with our own deadline: -1 once timeout_ms passed
 * without the broker's acknowledgement (kafka_producer_send_wait). */
int cloudevent_send_wait(kafka_producer_t *p, const char *topic, const char *key,
                         const cloudevent_t *ev, int timeout_ms, char *err, size_t err_size);
int cloudevent_send(kafka_producer_t *p, const char *topic, const char *key, const cloudevent_t *ev,
                    kafka_delivery_fn done, void *opaque, char *err, size_t err_size);

/* Reads a consumed message: structured mode when its content-type is
 * application/cloudevents+json (messages from before binary mode) or no
 * ce_specversion header marks it binary; binary mode otherwise. NULL with the
 * reason in err. */
cloudevent_t *cloudevent_from_kafka(const kafka_message_t *m, char *err, size_t err_size);

#endif /* COMMON_CLOUDEVENTS_H */
