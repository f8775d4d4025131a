/*
 * pms_watch.h — for hotels whose PMS sends no webhooks (OPERA Cloud as a
 * Shop & Book channel), booking-svc reads the status of its own active
 * bookings from the PMS on a schedule, so a reservation cancelled at the
 * front desk is still seen.
 *
 * A cancelled one is announced on pms.events as lodging.pms.booking.cancelled
 * — the event a webhook would have produced — whose CloudEvents id is derived
 * from the reservation ("pmswatch:<vendor>:<reservationId>:cancelled"): the
 * pms.events consumer (pms_events.h) de-duplicates by that id, so our cancel
 * (booking cancelled, booking.cancelled event, refund or void) runs exactly
 * once however many passes or replicas see it. It is written to booking-svc's
 * transactional outbox (outbox.h), one row per cancel whatever the passes,
 * and published by the relay whenever Kafka takes it: a broker that refuses
 * it delays the cancel, never loses it. The cursor is the process's own (a
 * restart reads from the start again: at worst a cancel seen twice, the same
 * row).
 *
 * Each pass reads up to PMS_WATCH_BATCH confirmed bookings that have not
 * checked out, continuing after the last one of the previous pass (wrapping
 * around), and asks the PMS only for those of hotels without webhooks.
 *
 *     pms_watch_t *w = pms_watch_start(app, 60, err, sizeof err);   // app->relay kicked
 *     ... pms_watch_stop(w);
 *
 * Metrics: booking_pms_watch_checks_total{outcome} (live, cancelled, error).
 * Thread-safety: one thread of its own. Ownership: app is borrowed and must
 * outlive it.
 */
#ifndef BOOKING_PMS_WATCH_H
#define BOOKING_PMS_WATCH_H

#include <stddef.h>

#include "booking.h"

#define PMS_WATCH_BATCH 50
#define PMS_WATCH_DEFAULT_INTERVAL_S 60

typedef struct pms_watch pms_watch_t;

/* interval_s <= 0: no thread (NULL, not an error: err is ""). */
pms_watch_t *pms_watch_start(booking_app_t *app, int interval_s, char *err, size_t err_size);
void pms_watch_stop(pms_watch_t *w); /* accepts NULL */

/* One pass; the number of cancellations kept in the outbox, or -1. */
int pms_watch_run_once(pms_watch_t *w);

#endif /* BOOKING_PMS_WATCH_H */
