/*
 * publish.c — one CloudEvent to Kafka, acknowledged (see publish.h).
 */
#include "publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int publish_event(kafka_producer_t *producer, const char *topic, const char *key,
                  const cloudevent_t *ev, char *err, size_t err_size)
{
    char *json = ev ? cloudevent_to_json(ev) : NULL;
    if (!json) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    kafka_header_t headers[CLOUDEVENT_HEADER_COUNT];
    cloudevent_kafka_headers(ev, headers);
    int rc = kafka_producer_send_sync(producer, topic, key, strlen(key), json, strlen(json),
                                      headers, CLOUDEVENT_HEADER_COUNT, err, err_size);
    free(json);
    return rc;
}
