/*
 * publish.h — sends one CloudEvent to a Kafka topic and waits for the
 * broker's acknowledgement (proto/topics.md: structured JSON body plus the
 * content-type / ce_id / ce_type / ce_source headers).
 *
 * Usage:
 *     cloudevent_t *ev = sync_job_event_new(&job);
 *     if (publish_event(producer, topic, job.hotel_id, ev, err, sizeof err) != 0) → not sent
 *     cloudevent_free(ev);
 *
 * Thread-safety: as the producer (shareable). Ownership: ev stays the caller's.
 */
#ifndef POLLER_PUBLISH_H
#define POLLER_PUBLISH_H

#include <stddef.h>

#include "common/cloudevents.h"
#include "common/kafka.h"

/* 0 once acknowledged (acks=all), -1 with err otherwise. */
int publish_event(kafka_producer_t *producer, const char *topic, const char *key,
                  const cloudevent_t *ev, char *err, size_t err_size);

#endif /* POLLER_PUBLISH_H */
