/*
 * cloudevent.c — fuzzes CloudEvents decoding, what every consumer of our
 * topics runs first on a Kafka message value; a decoded event is serialised
 * again and its Kafka headers taken, as a relay would. The same bytes also go
 * through the poller's decoding of a sync.results message (envelope, type
 * and data fields), the one consumer whose decoding is a pure function.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../services/poller/sync_events.h"
#include "common/cloudevents.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    sync_result_t result;
    (void)sync_result_parse((const char *)data, size, &result, err, sizeof err);
    cloudevent_t *ev = cloudevent_parse((const char *)data, size, err, sizeof err);
    if (!ev)
        return 0;
    free(cloudevent_to_json(ev));
    cloudevent_kafka_t binary;
    if (cloudevent_to_kafka(ev, &binary) == 0)
        cloudevent_kafka_clear(&binary);
    cloudevent_free(ev);
    return 0;
}
