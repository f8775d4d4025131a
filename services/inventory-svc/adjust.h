/*
 * adjust.h — cache decrement / increment for booking-svc (openapi
 * decrementInventory / incrementInventory): after a confirm the stay's nights
 * lose `rooms`, after a cancel they get them back.
 *
 * One Lua script per request, atomic across all nights (every key is in the
 * hotel's hash-tag slot): it first sets the marker invadj:{hotel}:<bookingId>:dec|inc
 * (SET NX EX ADJUST_MARKER_TTL_S) — when it already exists the request was
 * applied before and nothing changes (idempotent per bookingId and
 * direction); then for each night whose inv: key (and invshadow: key) exists
 * it adds ±rooms, clamped to [0, total], keeping the key's TTL. Nights not
 * cached stay absent: the next read asks the PMS, which counted the booking.
 *
 * Usage:
 *     inv_nights_t n; bool applied;
 *     if (inv_adjust(app, &adj, true, &applied, &n) == 0) ... n.items (cached nights only) ...
 *
 * Thread-safety: thread-safe. Ownership: the result is the caller's.
 */
#ifndef INVENTORY_ADJUST_H
#define INVENTORY_ADJUST_H

#include <stdbool.h>

#include "app.h"
#include "fetch.h"
#include "query.h"

/* 0 (and the cached nights after the change in *out, source cache), or -1
 * when Redis failed. *applied = false when this bookingId was adjusted in
 * this direction before. */
int inv_adjust(inv_app_t *app, const inv_adjustment_t *adj, bool decrement, bool *applied,
               inv_nights_t *out);

#endif /* INVENTORY_ADJUST_H */
