/*
 * results.h — the sync.results consumer: each lodging.sync.succeeded
 * resets the hotel's error count and moves lastSyncAt on; each
 * lodging.sync.failed counts a consecutive failure, and the one that reaches
 * POLLER_MAX_FAILURES stops the hotel's polling and raises the alert: a
 * lodging.ops.polling.stopped event on ops.alerts, poller_alerts_total and an
 * error log line.
 *
 * Usage (a kafka_consumer handler):
 *     results_t r = {.pool = pool, .producer = p, .alerts_topic = "ops.alerts",
 *                    .settings = &settings};
 *     results_init(&r);
 *     kafka_consumer_config_t cc = {..., .handler = results_handle, .ctx = &r};
 *
 * Delivery: at-least-once in, so each job's result counts once (the
 * poller_job row, store_mark_job_result). The bookkeeping and the alert run in
 * one transaction that commits only after the alert was acknowledged, so a
 * crash between them re-runs both (the alert may then repeat, never vanish).
 * A malformed message goes to sync.results.dlq with the reason; a result for
 * a hotel with no pms_config row is skipped with a log line; a database or
 * Kafka failure is retried in place.
 * Thread-safety: the handler runs on the consumer's thread; the pool and
 * producer are shared. Ownership: everything is borrowed.
 */
#ifndef POLLER_RESULTS_H
#define POLLER_RESULTS_H

#include <stddef.h>

#include "common/db.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "settings.h"

typedef struct results {
    db_pool_t *pool;
    kafka_producer_t *producer;
    const char *alerts_topic; /* with the KAFKA_TOPIC_PREFIX applied */
    const poller_settings_t *settings;
    /* set by results_init */
    metric_t *results_total; /* poller_sync_results_total{outcome} */
    metric_t *alerts_total;  /* poller_alerts_total{alert} */
} results_t;

/* Creates the metric families. */
void results_init(results_t *r);

kafka_handler_result_t results_handle(const kafka_message_t *m, void *ctx, char *reason,
                                      size_t reason_size);

#endif /* POLLER_RESULTS_H */
