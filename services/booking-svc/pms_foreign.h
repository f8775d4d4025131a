/*
 * pms_foreign.h — bookings made elsewhere: a reservation the PMS reports that
 * is not one of our checkout's (the front desk, an OTA) is recorded in
 * booking with source 'pms', no payment of ours, and told on booking.events,
 * so other teams see every booking of the hotel.
 *
 * Usage (inside pms_events.c's transaction, after its dedup row):
 *     pms_foreign_change_t c = {.vendor, .hotel_id, .reservation_id, .room_type_id,
 *                               .check_in, .check_out, .channel, .cancelled,
 *                               .adults, .children, .rooms, .total, .total_currency};
 *     if (pms_foreign_apply(tx, &c, &changed) != 0) → roll back and retry
 *
 * One PMS reservation is one row (unique vendor + hotel + reservation id), so a
 * report delivered twice changes nothing the second time:
 *   - a confirmed reservation we never heard of → a confirmed booking and
 *     lodging.booking.confirmed (source "pms"); without its room type and
 *     dates it cannot be recorded and is skipped. Its guest counts, rooms and
 *     total are the PMS's when its reservation states them (adults 1,
 *     guest_count_known FALSE, total 0 when not — the events then carry no
 *     guest counts and amount 0); a total in another currency than the
 *     hotel's listing is not taken;
 *   - a known one whose room type or dates differ → the row moves (with
 *     the party and total the PMS states now) and lodging.booking.modified
 *     carries the previous stay; a cancelled one reported confirmed again is
 *     confirmed again;
 *   - a cancel of a known confirmed one → cancelled and
 *     lodging.booking.cancelled (no compensation: no money of ours); a cancel
 *     of one we never heard of is skipped.
 * The events go through the outbox in the same transaction. Thread-safety:
 * none of its own; tx is the caller's.
 */
#ifndef BOOKING_PMS_FOREIGN_H
#define BOOKING_PMS_FOREIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"

#define PMS_FOREIGN_SOURCE "pms"
#define BOOKING_MODIFIED_EVENT_TYPE "lodging.booking.modified"

typedef struct pms_foreign_change {
    const char *vendor, *hotel_id, *reservation_id;
    const char *room_type_id, *check_in, *check_out; /* NULL when the PMS did not say */
    const char *channel;                             /* NULL when the PMS did not say */
    bool cancelled;
    /* What the PMS's reservation states (read before the transaction): the
     * party, the rooms and the stay's total; 0 / PMS_TOTAL_UNKNOWN / NULL when
     * it did not say (a report alone never carries them). */
    int adults, children, rooms;
    int64_t total;
    const char *total_currency;
} pms_foreign_change_t;

/* Applies one reported change in tx; *changed is set when a row or an event was written.
 * 0, or -1 on a database error. */
int pms_foreign_apply(db_t *tx, const pms_foreign_change_t *c, bool *changed);

/* A stay as the booking row has it (room type, YYYY-MM-DD check-in and check-out). */
typedef struct pms_stay {
    const char *room_type_id, *check_in, *check_out;
} pms_stay_t;

/* A booking's stay moved at the PMS (ours or made elsewhere), written in tx
 * with the row's move — so exactly once, however often the change is
 * reported. A vendor's change report names only the new stay (Cloudbeds'
 * reservation/dates_changed carries the new dates alone), so the nights of
 * `before` that `after` no longer covers would keep their rooms counted
 * until the next sync: they are given back here — room_inventory's
 * available + the booking's rooms on each of them (nights with a count only,
 * never above total) — and lodging.pms.inventory.updated for those nights
 * goes to pms.events through the outbox, so inventory-svc drops their cached
 * counts (its id derived from the booking and both stays). The new nights
 * are not subtracted here: inventory-svc re-reads the reported stay from the
 * PMS on the same report, and subtracting as well would count them twice.
 * 0, or -1 on a database error. */
int pms_stay_give_back(db_t *tx, const char *vendor, const char *hotel_id, const char *booking_id,
                       const pms_stay_t *before, const pms_stay_t *after);

#endif /* BOOKING_PMS_FOREIGN_H */
