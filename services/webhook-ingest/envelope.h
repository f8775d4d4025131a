/*
 * envelope.h — a normalised webhook event → the CloudEvent published on
 * pms.events (proto/topics.md): type from the event type, source
 * "/webhook-ingest", subject = hotelId, and an id that is DETERMINISTIC from
 * (vendor, eventId, index), so a webhook published twice (Redis down, a retry
 * after an unclear Kafka timeout) carries the same id and consumers dedup it.
 *
 * Usage:
 *     char id[CRYPTO_UUID_LEN + 1];
 *     envelope_event_id("cloudbeds", "evt_1001", 0, id);
 *     cloudevent_t *ev = envelope_new(&normalized, 0);    // takes normalized.events[0].data
 *     ... cloudevent_to_json(ev) ... cloudevent_free(ev);
 *
 * Thread-safety: reentrant. Ownership: envelope_new moves the event's data
 * into the CloudEvent (the slot becomes NULL); the caller frees the event.
 */
#ifndef WEBHOOK_ENVELOPE_H
#define WEBHOOK_ENVELOPE_H

#include <stddef.h>

#include "common/cloudevents.h"
#include "common/crypto.h"
#include "normalize.h"

#define ENVELOPE_SOURCE "/webhook-ingest"

/* A UUID (version 8: custom, RFC 9562) from SHA-256 of the three; 0 or -1. */
int envelope_event_id(const char *vendor, const char *event_id, size_t index,
                      char out[CRYPTO_UUID_LEN + 1]);

/* The CloudEvent of n->events[index]; NULL on OOM (the data is then freed). */
cloudevent_t *envelope_new(normalized_t *n, size_t index);

#endif /* WEBHOOK_ENVELOPE_H */
