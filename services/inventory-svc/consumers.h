/*
 * consumers.h — inventory-svc's Kafka consumers (proto/topics.md), group
 * "inventory-svc", at-least-once (offsets stored only after the handler
 * finished; transient failures retried in place; poison to <topic>.dlq):
 *
 *   pms.events  lodging.pms.inventory.updated → DEL exactly the inv: keys of
 *               [from, to]; lodging.pms.rate.updated → DEL the rate: keys;
 *               lodging.pms.booking.confirmed / .cancelled → DEL the inv: keys
 *               of the stay (the PMS already counted it: never adjust twice);
 *               lodging.pms.room.updated → refresh hotel:{id}:rooms and
 *               room_types from the PMS (or drop the key when it fails).
 *   sync.jobs   lodging.sync.requested → room types, then inventory and rates
 *               of every room type for [from, to] from the PMS → Redis (fresh +
 *               shadow) and room_inventory / rate_plan upserts → publishes
 *               lodging.sync.succeeded or lodging.sync.failed on sync.results.
 *
 * Every handler is idempotent (deletes and upserts), so no dedup table.
 *
 * Usage:
 *     inv_consumers_start(app);  ...  inv_consumers_stop(app); inv_consumers_free(app);
 *
 * Thread-safety: each consumer runs its handler on its own thread.
 */
#ifndef INVENTORY_CONSUMERS_H
#define INVENTORY_CONSUMERS_H

#include "app.h"
#include "common/kafka.h"
#include "keys.h"

/* Creates and starts both consumers. 0 or -1 (logged). */
int inv_consumers_start(inv_app_t *app);
/* Stops both (after the message in hand); safe to call twice. */
void inv_consumers_stop(inv_app_t *app);
void inv_consumers_free(inv_app_t *app);

/* Deletes the family's cached keys of nights [first, first + count) (not
 * their shadow copies), so the next read asks the PMS. 0 or -1. Used for
 * pms.events and for booking-svc's released holds. */
int inv_invalidate_nights(inv_app_t *app, inv_key_family_t family, const char *hotel_id,
                          const char *room_type_id, dates_day_t first, int count);

/* The handlers, exposed for tests that drive them with kafka_consumer_poll_once. */
kafka_handler_result_t inv_handle_pms_event(const kafka_message_t *m, void *app, char *reason,
                                            size_t reason_size);
kafka_handler_result_t inv_handle_sync_job(const kafka_message_t *m, void *app, char *reason,
                                           size_t reason_size);

#endif /* INVENTORY_CONSUMERS_H */
