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
    if (!ev) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    return cloudevent_send_sync(producer, topic, key, ev, err, err_size);
}
