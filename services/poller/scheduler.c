/*
 * scheduler.c — the scheduling thread and job emission (see scheduler.h).
 */
#include "scheduler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/dates.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/trace.h"
#include "publish.h"
#include "store.h"
#include "sync_events.h"

struct scheduler {
    scheduler_config_t cfg;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards stop and wake, with `changed` */
    pthread_cond_t changed;
    bool stop;
    bool wake;
    atomic_bool healthy;
    int64_t next_gauge_ms; /* thread-only */
    int64_t next_prune_ms; /* thread-only */
    metric_t *emitted;
    metric_t *emit_failures;
    metric_t *hotels_stopped;
    metric_t *last_sync_age;
};

/* ------------------------------------------------------------ emission -- */

/* Builds, records and sends one job on an acquired connection (emit_on's work). */
static int emit_traced(scheduler_t *s, db_t *db, const char *vendor, const char *hotel_id,
                       const char *reason, char *job_id, size_t job_id_size)
{
    sync_job_t job = {.reason = reason};
    snprintf(job.vendor, sizeof job.vendor, "%s", vendor);
    snprintf(job.hotel_id, sizeof job.hotel_id, "%s", hotel_id);
    if (sync_job_init(&job, dates_today_utc(), s->cfg.settings->sync_days, clock_wall_ms()) != 0)
        return -1;
    /* Recorded first, so a result that comes back at once finds its job. */
    if (store_record_job(db, &job) != 0)
        return -1;
    cloudevent_t *ev = sync_job_event_new(&job);
    char err[256] = "out of memory";
    int rc =
        ev ? publish_event(s->cfg.producer, s->cfg.jobs_topic, job.hotel_id, ev, err, sizeof err)
           : -1;
    cloudevent_free(ev);
    if (rc != 0) {
        metrics_counter_inc(s->emit_failures);
        log_kv(LOG_LEVEL_WARN, "sync job not emitted", "vendor", vendor, "hotelId", hotel_id,
               "jobId", job.job_id, "error", err, NULL);
        return -1;
    }
    metrics_counter_inc(s->emitted, vendor, reason);
    log_kv(LOG_LEVEL_INFO, "sync job emitted", "vendor", vendor, "hotelId", hotel_id, "jobId",
           job.job_id, "reason", reason, "from", job.from, "to", job.to, NULL);
    if (job_id)
        snprintf(job_id, job_id_size, "%s", job.job_id);
    return 0;
}

/* One job, inside a trace: a scheduled job starts its own, a manual sync
 * continues the request's. */
static int emit_on(scheduler_t *s, db_t *db, const char *vendor, const char *hotel_id,
                   const char *reason, char *job_id, size_t job_id_size)
{
    trace_context_t trace;
    bool own_trace = trace_ensure(&trace);
    int rc = emit_traced(s, db, vendor, hotel_id, reason, job_id, job_id_size);
    if (own_trace)
        trace_set_current(NULL);
    return rc;
}

int scheduler_emit(scheduler_t *s, const char *vendor, const char *hotel_id, const char *reason,
                   char *job_id, size_t job_id_size)
{
    db_t *db = db_pool_acquire(s->cfg.pool);
    int rc = emit_on(s, db, vendor, hotel_id, reason, job_id, job_id_size);
    db_pool_release(s->cfg.pool, db);
    return rc;
}

/* ---------------------------------------------------------------- tick -- */

static bool stop_requested(scheduler_t *s)
{
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

/* Claims and emits every due hotel; *more is set when a full batch was due.
 * Checks for a stop between hotels: with Kafka down each send may take the
 * producer's message timeout. */
static int run_due(scheduler_t *s, db_t *db, bool *more)
{
    poller_due_t due[STORE_DUE_BATCH];
    size_t n = 0;
    *more = false;
    if (store_arm_unscheduled(db) < 0 ||
        store_list_due(db, s->cfg.settings->default_interval_s, due, STORE_DUE_BATCH, &n) != 0)
        return -1;
    *more = n == STORE_DUE_BATCH;
    const char *owner = s->cfg.settings->instance_id;
    for (size_t i = 0; i < n && !stop_requested(s); i++) {
        int claimed = store_claim(db, due[i].id, owner, due[i].interval_s, SCHEDULER_LEASE_MS);
        if (claimed < 0)
            return -1;
        if (claimed == 0)
            continue; /* another replica has this run */
        int rc = emit_on(s, db, due[i].vendor, due[i].hotel_id, SYNC_REASON_SCHEDULE, NULL, 0);
        if (store_release(db, due[i].id, owner, rc == 0 ? -1 : SCHEDULER_RETRY_MS) != 0)
            return -1;
    }
    return 0;
}

/* Sets the gauges from the whole table (every SCHEDULER_GAUGE_REFRESH_MS). */
static void refresh_gauges(scheduler_t *s, db_t *db)
{
    poller_status_t *all = NULL;
    size_t n = 0;
    if (store_list_status(db, &all, &n) != 0)
        return;
    int64_t now = clock_wall_ms();
    int stopped = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all[i].is_running && strcmp(all[i].stopped_reason, STORE_STOPPED_FAILURES) == 0)
            stopped++;
        if (all[i].last_sync_ms >= 0)
            metrics_gauge_set(s->last_sync_age, (double)(now - all[i].last_sync_ms) / 1000.0,
                              all[i].vendor, all[i].hotel_id);
    }
    metrics_gauge_set(s->hotels_stopped, stopped);
    free(all);
}

/* One look at the table; returns how long to sleep. */
static int64_t tick(scheduler_t *s)
{
    int tick_ms = s->cfg.settings->tick_ms;
    db_t *db = db_pool_acquire(s->cfg.pool);
    bool more = false, has_next = false;
    int64_t next_ms = 0;
    int rc = run_due(s, db, &more);
    if (rc == 0)
        rc = store_next_due_in_ms(db, &next_ms, &has_next);
    int64_t now = clock_now_ms();
    if (rc == 0 && now >= s->next_gauge_ms) {
        refresh_gauges(s, db);
        s->next_gauge_ms = now + SCHEDULER_GAUGE_REFRESH_MS;
    }
    if (rc == 0 && now >= s->next_prune_ms) {
        int pruned = store_prune_jobs(db, SCHEDULER_JOB_RETENTION_S);
        if (pruned > 0)
            log_info("pruned %d sync jobs older than %d s", pruned, SCHEDULER_JOB_RETENTION_S);
        s->next_prune_ms = now + SCHEDULER_PRUNE_EVERY_MS;
    }
    db_pool_release(s->cfg.pool, db);

    bool was_healthy = atomic_exchange(&s->healthy, rc == 0);
    if (was_healthy && rc != 0)
        log_error("scheduler: the database failed; retrying every %d ms", tick_ms);
    else if (!was_healthy && rc == 0)
        log_info("scheduler: database reachable again");
    if (rc != 0)
        return tick_ms;
    return more ? 0 : sync_wait_ms(next_ms, has_next, tick_ms);
}

/* --------------------------------------------------------------- thread -- */

static void *scheduler_thread(void *arg)
{
    scheduler_t *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        pthread_mutex_unlock(&s->lock);
        int64_t wait_ms = tick(s);
        pthread_mutex_lock(&s->lock);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!s->stop && !s->wake) {
            if (pthread_cond_timedwait(&s->changed, &s->lock, &until) != 0)
                break;
        }
        s->wake = false;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

scheduler_t *scheduler_new(const scheduler_config_t *cfg)
{
    scheduler_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&s->healthy, true);
    s->emitted = metrics_counter("poller_jobs_emitted_total", "Sync jobs emitted on sync.jobs", 2,
                                 "vendor", "reason");
    s->emit_failures = metrics_counter("poller_emit_failures_total",
                                       "Sync jobs that could not be emitted (retried)", 0);
    s->hotels_stopped = metrics_gauge("poller_hotels_stopped",
                                      "Hotels whose polling stopped after consecutive failures", 0);
    s->last_sync_age =
        metrics_gauge("poller_last_sync_age_seconds",
                      "Seconds since the hotel's last successful sync", 2, "vendor", "hotel");
    return s;
}

int scheduler_start(scheduler_t *s)
{
    if (pthread_create(&s->thread, NULL, scheduler_thread, s) != 0)
        return -1;
    s->started = true;
    return 0;
}

void scheduler_wake(scheduler_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->wake = true;
    pthread_cond_signal(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

void scheduler_stop(scheduler_t *s)
{
    if (!s || !s->started)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->changed);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->started = false;
}

void scheduler_free(scheduler_t *s)
{
    if (!s)
        return;
    scheduler_stop(s);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

bool scheduler_healthy(scheduler_t *s)
{
    return s->started && atomic_load(&s->healthy);
}
