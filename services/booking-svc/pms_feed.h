/*
 * pms_feed.h — for hotels whose PMS sends no webhooks but keeps a change
 * feed we may read (OPERA Cloud's Business Events, when the hotel granted
 * property-API access and it is configured), booking-svc takes the feed's
 * reservation changes on a schedule and announces each on pms.events as the
 * event a webhook would have produced: lodging.pms.booking.confirmed for a
 * reservation made or changed, lodging.pms.booking.cancelled for a cancel.
 *
 * From there it is the path every PMS report takes: the pms.events consumer
 * (pms_events.h) recognises our own reservations and records the others as
 * bookings made elsewhere (pms_foreign.h: booking, booking.events), and
 * inventory-svc drops the stay's cached nights and re-reads room_inventory.
 * Each announcement's CloudEvents id is derived from the vendor's event
 * ("pmsfeed-" + SHA-256 of vendor, hotel and event id), so a feed event
 * announced twice is applied once; a reservation reported again by another
 * event changes nothing (one row per reservation).
 *
 * The vendor dequeues what it hands out: an event whose announcement fails is
 * logged and lost (a cancel of one of our bookings is still seen by
 * pms_watch.h). The next hotel is read only after the current batch was
 * announced.
 *
 *     pms_feed_t *f = pms_feed_start(app, producer, prefix, 15, err, sizeof err);
 *     ... pms_feed_stop(f);
 *
 * Metrics: booking_pms_feed_events_total{outcome} (announced, failed).
 * Thread-safety: one thread of its own. Ownership: app and producer are
 * borrowed and must outlive it.
 */
#ifndef BOOKING_PMS_FEED_H
#define BOOKING_PMS_FEED_H

#include <stddef.h>

#include "booking.h"
#include "common/kafka.h"

#define PMS_FEED_DEFAULT_INTERVAL_S 15
#define PMS_FEED_CALLS_PER_HOTEL 5 /* per pass, so one busy hotel does not starve the others */

typedef struct pms_feed pms_feed_t;

/* interval_s <= 0: no thread (NULL, not an error: err is ""). */
pms_feed_t *pms_feed_start(booking_app_t *app, kafka_producer_t *producer, const char *topic_prefix,
                           int interval_s, char *err, size_t err_size);
void pms_feed_stop(pms_feed_t *f); /* accepts NULL */

/* One pass over the hotels of vendors without webhooks; the number of
 * changes announced, or -1 when the hotels could not be read. */
int pms_feed_run_once(pms_feed_t *f);

#endif /* BOOKING_PMS_FEED_H */
