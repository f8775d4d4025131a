/*
 * scheduler.h — the poller's clock: one thread that wakes at the
 * earliest next_sync_at (at most every tick_ms, since other replicas and the
 * API change the schedule too), claims every due hotel through the store's
 * lease (store.h) and emits its sync job on sync.jobs; plus the manual
 * trigger, which emits at once without touching the schedule.
 *
 * Usage:
 *     scheduler_config_t sc = {.pool = pool, .producer = p, .jobs_topic = "sync.jobs",
 *                              .settings = &settings};
 *     scheduler_t *s = scheduler_new(&sc);
 *     scheduler_start(s);
 *     scheduler_emit(s, "cloudbeds", "hotel_123", SYNC_REASON_MANUAL, job_id, sizeof job_id);
 *     scheduler_wake(s);            // after POST .../start: look at the table now
 *     scheduler_free(s);            // stops the thread promptly (SIGTERM path)
 *
 * A job is emitted with the idempotent producer, keyed by hotelId, and
 * counts only once the broker acknowledged it; an emission that failed puts
 * the hotel back on the schedule SCHEDULER_RETRY_MS later.
 * Metrics: poller_jobs_emitted_total{vendor,reason}, poller_emit_failures_total,
 * poller_hotels_stopped, poller_last_sync_age_seconds{vendor,hotel}.
 * Thread-safety: scheduler_emit and scheduler_wake may be called from any
 * thread. Ownership: the config's pool, producer and settings are borrowed.
 */
#ifndef POLLER_SCHEDULER_H
#define POLLER_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/db.h"
#include "common/kafka.h"
#include "settings.h"

#define SCHEDULER_LEASE_MS 30000
#define SCHEDULER_RETRY_MS 5000
#define SCHEDULER_GAUGE_REFRESH_MS 10000
#define SCHEDULER_PRUNE_EVERY_MS 3600000
#define SCHEDULER_JOB_RETENTION_S (7 * 86400)

typedef struct scheduler_config {
    db_pool_t *pool;
    kafka_producer_t *producer;
    const char *jobs_topic; /* with the KAFKA_TOPIC_PREFIX applied */
    const poller_settings_t *settings;
} scheduler_config_t;

typedef struct scheduler scheduler_t;

scheduler_t *scheduler_new(const scheduler_config_t *cfg);
/* Starts the thread. 0 or -1. */
int scheduler_start(scheduler_t *s);
/* Makes the thread look at the table now instead of at its next wake-up. */
void scheduler_wake(scheduler_t *s);
/* Stops the thread (it finishes the emission in hand). Safe to call twice. */
void scheduler_stop(scheduler_t *s);
void scheduler_free(scheduler_t *s); /* stops first; accepts NULL */

/* Emits one sync job for the hotel now and records it; the job id goes to
 * job_id. 0, or -1 (database or Kafka failed; logged). */
int scheduler_emit(scheduler_t *s, const char *vendor, const char *hotel_id, const char *reason,
                   char *job_id, size_t job_id_size);

/* True while the thread runs and its last look at the table succeeded. */
bool scheduler_healthy(scheduler_t *s);

#endif /* POLLER_SCHEDULER_H */
