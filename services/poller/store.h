/*
 * store.h — the poller's state in MariaDB: the schedule columns of
 * pms_config (polling_enabled, polling_interval_seconds, next_sync_at,
 * last_sync_at, error_count, lease_owner, lease_until; stopped_reason and
 * last_job_id from migration 004) and the poller_job table. Because the state
 * lives in the database, schedules survive restarts and every replica sees
 * the same schedule.
 *
 * Replicas: store_claim is the only way a scheduled job is emitted. It is one
 * UPDATE that succeeds for a hotel that is due and not leased, and in the same
 * statement moves next_sync_at one interval on and takes the lease; InnoDB
 * re-checks the WHERE clause on the locked row, so of two replicas racing for
 * a hotel exactly one sees one affected row. The lease covers the emission and
 * is dropped by store_release.
 *
 * Usage:
 *     db_t *db = db_pool_acquire(pool);
 *     poller_due_t due[STORE_DUE_BATCH]; size_t n;
 *     store_list_due(db, due, STORE_DUE_BATCH, &n);
 *     if (store_claim(db, due[i].id, owner, due[i].interval_s, lease_ms) == 1) → emit, release
 *     db_pool_release(pool, db);
 *
 * Times are the database's clock (NOW(3), UTC session), so replicas on hosts
 * with skewed clocks still agree. Errors: functions return 0 (or a count) and
 * -1 on a database error (logged here once, with no values).
 * Thread-safety: a db_t is one connection; use one per thread (db_pool).
 */
#ifndef POLLER_STORE_H
#define POLLER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"
#include "sync_events.h"

#define STORE_DUE_BATCH 64
#define STORE_STOPPED_MANUAL "manual"
#define STORE_STOPPED_FAILURES "consecutive_failures"
#define STORE_NOT_FOUND 1

typedef struct poller_status {
    char vendor[SYNC_VENDOR_MAX + 1];
    char hotel_id[SYNC_ID_MAX + 1];
    bool is_running;         /* polling_enabled */
    int64_t last_sync_ms;    /* Unix ms, -1 = never */
    int64_t next_sync_ms;    /* Unix ms, -1 = not scheduled */
    int64_t error_count;     /* consecutive failed syncs */
    char stopped_reason[33]; /* "" while running */
} poller_status_t;

typedef struct poller_due {
    int64_t id; /* pms_config.id */
    char vendor[SYNC_VENDOR_MAX + 1];
    char hotel_id[SYNC_ID_MAX + 1];
    int64_t interval_s;
} poller_due_t;

/* --- scheduling ---------------------------------------------------- */

/* Gives every enabled hotel without a next_sync_at one now (startAllPollingJobs:
 * a hotel is synced at once after boot or after being added). Rows affected or -1. */
int store_arm_unscheduled(db_t *db);
/* Up to max hotels that are enabled, due and not leased, the longest-waiting
 * first; an interval of 0 becomes default_interval_s. 0 or -1. */
int store_list_due(db_t *db, int default_interval_s, poller_due_t *out, size_t max, size_t *n);
/* 1 when this owner claimed the hotel's run (next_sync_at moved interval_s on,
 * lease until now + lease_ms), 0 when another replica has it or it is no
 * longer due, -1 on error. */
int store_claim(db_t *db, int64_t id, const char *owner, int64_t interval_s, int64_t lease_ms);
/* Drops owner's lease; retry_in_ms >= 0 also reschedules the hotel that soon
 * (the emission failed). 0 or -1. */
int store_release(db_t *db, int64_t id, const char *owner, int64_t retry_in_ms);
/* Milliseconds until the next enabled hotel is due (<= 0: due now);
 * *has_next false when none is scheduled. 0 or -1. */
int store_next_due_in_ms(db_t *db, int64_t *ms, bool *has_next);
/* Records an emitted job (poller_job row, pms_config.last_job_id). 0 or -1. */
int store_record_job(db_t *db, const sync_job_t *job);
/* Deletes poller_job rows older than retention_s. Rows deleted or -1. */
int store_prune_jobs(db_t *db, int64_t retention_s);

/* --- status and control -------------------------------------------- */

/* 0 and *out, STORE_NOT_FOUND, or -1. */
int store_get_status(db_t *db, const char *vendor, const char *hotel_id, poller_status_t *out);
/* Every hotel, ordered by vendor and hotelId; *out is malloc'd (free it). 0 or -1. */
int store_list_status(db_t *db, poller_status_t **out, size_t *n);
/* Enables polling, resets the error count and the stop reason, and makes a
 * stopped hotel due now (a running one keeps its schedule). 0, STORE_NOT_FOUND or -1. */
int store_start(db_t *db, const char *vendor, const char *hotel_id);
/* Disables polling with a reason and unschedules it. 0, STORE_NOT_FOUND or -1. */
int store_stop(db_t *db, const char *vendor, const char *hotel_id, const char *reason);

/* --- results (call inside one transaction) -------------------------- */

/* 1 when this is the first result of the job (it is recorded), 0 when the job
 * already had one (a redelivery: ignore it), -1 on error. */
int store_mark_job_result(db_t *db, const sync_result_t *r);
/* A successful sync: error count 0, last_sync_at moves forward to the
 * result's finishedAt. 0, STORE_NOT_FOUND or -1. */
int store_apply_success(db_t *db, const sync_result_t *r);
/* A failed sync: error count + 1 and last_error; when the count reaches
 * max_failures on a running hotel it is stopped and *stopped_now is set.
 * *error_count gets the new count. 0, STORE_NOT_FOUND or -1. */
int store_apply_failure(db_t *db, const sync_result_t *r, int max_failures, int64_t *error_count,
                        bool *stopped_now);

#endif /* POLLER_STORE_H */
