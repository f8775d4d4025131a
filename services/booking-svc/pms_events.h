/*
 * pms_events.h — booking-svc's consumer of pms.events: a cancel or confirm
 * made on the PMS side (front desk, channel) updates our booking.
 *
 * Usage / wiring (main.c; kick wakes the outbox relay after a commit):
 *     pms_events_consumer_t *pe = pms_events_start(s->kafka_brokers, s->kafka_topic_prefix, pool,
 *                                                  app->pms, outbox_relay_kick_cb, relay,
 *                                                  err, sizeof err);            // NULL → exit
 *     ... on shutdown: pms_events_stop(pe);
 *
 * A cancelled reservation of a confirmed booking: in ONE transaction the
 * booking becomes cancelled, a step log row is written (step
 * "cancel_reservation", outcome 'succeeded', "cancelled on the PMS side"), a
 * lodging.booking.cancelled event goes to the outbox, and a refund (payment
 * captured) or a void (only authorised, or capture_failed) is requested via
 * compensation_request — the compensation worker executes it (and drops a
 * pending retry_capture of a booking cancelled meanwhile). The dedup row in received_messages
 * is part of that same transaction, so a redelivered event changes nothing.
 *
 * Metrics: booking_pms_events_applied_total{type}.
 * Thread-safety: the consumer runs on its own thread. Ownership: db and
 * kick_ctx are borrowed and must outlive the consumer.
 */
#ifndef BOOKING_PMS_EVENTS_H
#define BOOKING_PMS_EVENTS_H

#include <stddef.h>

#include "common/db.h"
#include "common/kafka.h"
#include "common/pms.h"

#define PMS_EVENTS_TOPIC "pms.events" /* the base name; KAFKA_TOPIC_PREFIX is added */
#define PMS_EVENTS_GROUP_ID "booking-svc"
#define PMS_EVENTS_CONSUMER_ID "booking-svc.pms-events"
#define PMS_EVENT_BOOKING_CANCELLED "lodging.pms.booking.cancelled"
#define PMS_EVENT_BOOKING_CONFIRMED "lodging.pms.booking.confirmed"

/* Consumes pms.events (group KAFKA_TOPIC_PREFIX + "booking-svc"): lodging.pms.booking.cancelled for
 * a reservation that belongs to a booking (vendor + reservation_id) → booking cancelled (if it was
 * confirmed), step log, booking.cancelled event via outbox, and a refund (if captured) / void (if
 * only authorized) through compensation_request; lodging.pms.booking.confirmed → step log note, and
 * when it moves a confirmed booking's stay and the PMS's present state agrees (read before the
 * transaction), the row follows and lodging.booking.modified (with previous) goes to the outbox. A reservation that is not ours (no checkout
 * booking names it as reservation or hold) is a booking made elsewhere: pms_foreign.h. For a
 * confirm of such a reservation the PMS is asked for it first (pms may be NULL: the report is taken
 * as it is): its room type and dates win over the report's (Cloudbeds' own webhooks carry no room
 * type), and a reference naming one of our checkout bookings makes it ours. When the report lacks
 * room type or dates and the PMS cannot answer, the event is retried. Other event types are
 * skipped. Dedup by CloudEvents id (received_messages, consumer_id "booking-svc.pms-events"). NULL
 * with the reason in err. */
typedef struct pms_events_consumer pms_events_consumer_t;
pms_events_consumer_t *pms_events_start(const char *brokers, const char *topic_prefix,
                                        db_pool_t *db, pms_connector_t *pms,
                                        void (*kick)(void *ctx), void *kick_ctx, char *err,
                                        size_t n);
/* Stops the consumer (after the message in hand) and frees it. NULL ok. */
void pms_events_stop(pms_events_consumer_t *c);

#endif /* BOOKING_PMS_EVENTS_H */
