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
 * The vendor dequeues what it hands out: OPERA's GET both reads and deletes
 * the events, and there is no acknowledgement to send afterwards. So a batch
 * is written to booking-svc's transactional outbox (outbox.h) in one
 * transaction the moment the call returns — before the next call, before any
 * other PMS request — and the outbox relay publishes it to pms.events
 * whenever Kafka takes it (Kafka down: the rows wait). A database connection
 * is taken and checked before each dequeue, so while the database is down
 * nothing is taken from the vendor's queue; a failed write is tried again on
 * a fresh connection (PMS_FEED_KEEP_ATTEMPTS) before the batch is logged as
 * lost. What remains is the moment between the vendor's answer and the
 * commit (a crash there loses that batch; a cancel of one of our bookings is
 * still seen by pms_watch.h). A batch kept twice is one row per event (the
 * ids are derived from the vendor's events), and consumers de-duplicate by
 * id besides. The feed keeps no cursor of its own: the vendor's queue is it.
 * A change that moved a stay is followed, after the batch was kept, by the
 * nights it gave back (lodging.pms.inventory.updated, best effort).
 *
 *     pms_feed_t *f = pms_feed_start(app, 15, err, sizeof err);   // app->relay kicked
 *     ... pms_feed_stop(f);
 *
 * Metrics: booking_pms_feed_events_total{outcome} (announced: kept in the
 * outbox; failed: lost).
 * Thread-safety: one thread of its own. Ownership: app is borrowed and must
 * outlive it.
 */
#ifndef BOOKING_PMS_FEED_H
#define BOOKING_PMS_FEED_H

#include <stddef.h>

#include "booking.h"

#define PMS_FEED_DEFAULT_INTERVAL_S 15
#define PMS_FEED_CALLS_PER_HOTEL 5 /* per pass, so one busy hotel does not starve the others */
#define PMS_FEED_KEEP_ATTEMPTS 3   /* writes of a dequeued batch before it is given up */

typedef struct pms_feed pms_feed_t;

/* interval_s <= 0: no thread (NULL, not an error: err is ""). */
pms_feed_t *pms_feed_start(booking_app_t *app, int interval_s, char *err, size_t err_size);
void pms_feed_stop(pms_feed_t *f); /* accepts NULL */

/* One pass over the hotels of vendors without webhooks; the number of
 * changes kept in the outbox, or -1 when the hotels could not be read. */
int pms_feed_run_once(pms_feed_t *f);

#endif /* BOOKING_PMS_FEED_H */
