/*
 * store.c — the poller's state in MariaDB (see store.h). Every statement is a
 * prepared statement; timestamps travel as Unix milliseconds computed by the
 * server (UNIX_TIMESTAMP under the UTC session time zone).
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define MS_OF(col) "CAST(ROUND(UNIX_TIMESTAMP(" col ") * 1000) AS SIGNED)"
#define FROM_MS "FROM_UNIXTIME(? / 1000)"
#define STATUS_COLUMNS                                                                             \
    "vendor, hotel_id, polling_enabled, " MS_OF(                                                   \
        "last_sync_at") ", "                                                                       \
                        "IF(polling_enabled, " MS_OF(                                              \
                            "next_sync_at") ", NULL), error_count, "                               \
                                            "COALESCE(stopped_reason, '')"
#define JOB_REASON_EXTERNAL "external"

/* ------------------------------------------------------------ helpers -- */

/* Runs a statement; logs a failure once with what it was for. */
static int exec(db_t *db, const char *what, const char *sql, const db_param_t *p, size_t n,
                uint64_t *affected)
{
    db_err_t rc = db_exec(db, sql, p, n, affected, NULL);
    if (rc != DB_OK) {
        log_warn("poller store: %s failed: %s", what, db_error(db));
        return -1;
    }
    return 0;
}

static int query(db_t *db, const char *what, const char *sql, const db_param_t *p, size_t n,
                 db_result_t **res)
{
    db_err_t rc = db_query(db, sql, p, n, res);
    if (rc != DB_OK) {
        log_warn("poller store: %s failed: %s", what, db_error(db));
        return -1;
    }
    return 0;
}

static int64_t cell_int(const db_result_t *res, size_t row, size_t col, int64_t def)
{
    int64_t v;
    return db_result_int64(res, row, col, &v) == 0 ? v : def;
}

static void cell_copy(const db_result_t *res, size_t row, size_t col, char *out, size_t size)
{
    const char *text = db_result_text(res, row, col);
    snprintf(out, size, "%s", text ? text : "");
}

/* Fills one status from a row of STATUS_COLUMNS. */
static void status_from_row(const db_result_t *res, size_t row, poller_status_t *out)
{
    cell_copy(res, row, 0, out->vendor, sizeof out->vendor);
    cell_copy(res, row, 1, out->hotel_id, sizeof out->hotel_id);
    out->is_running = cell_int(res, row, 2, 0) != 0;
    out->last_sync_ms = cell_int(res, row, 3, -1);
    out->next_sync_ms = cell_int(res, row, 4, -1);
    out->error_count = cell_int(res, row, 5, 0);
    cell_copy(res, row, 6, out->stopped_reason, sizeof out->stopped_reason);
}

/* ---------------------------------------------------------- schedule -- */

int store_arm_unscheduled(db_t *db)
{
    uint64_t affected = 0;
    if (exec(db, "arm",
             "UPDATE pms_config SET next_sync_at = NOW(3) "
             "WHERE polling_enabled AND next_sync_at IS NULL",
             NULL, 0, &affected) != 0)
        return -1;
    return (int)affected;
}

int store_list_due(db_t *db, int default_interval_s, poller_due_t *out, size_t max, size_t *n)
{
    *n = 0;
    db_param_t p[] = {DB_INT(default_interval_s), DB_INT(max)};
    db_result_t *res = NULL;
    if (query(db, "list due",
              "SELECT id, vendor, hotel_id, IF(polling_interval_seconds = 0, ?, "
              "polling_interval_seconds) FROM pms_config WHERE polling_enabled "
              "AND next_sync_at <= NOW(3) AND (lease_until IS NULL OR lease_until < NOW(3)) "
              "ORDER BY next_sync_at LIMIT ?",
              p, 2, &res) != 0)
        return -1;
    for (size_t i = 0; i < db_result_rows(res) && i < max; i++) {
        poller_due_t *d = &out[(*n)++];
        d->id = cell_int(res, i, 0, 0);
        cell_copy(res, i, 1, d->vendor, sizeof d->vendor);
        cell_copy(res, i, 2, d->hotel_id, sizeof d->hotel_id);
        d->interval_s = cell_int(res, i, 3, default_interval_s);
    }
    db_result_free(res);
    return 0;
}

int store_claim(db_t *db, int64_t id, const char *owner, int64_t interval_s, int64_t lease_ms)
{
    db_param_t p[] = {DB_INT(interval_s), DB_STR(owner), DB_INT(lease_ms * 1000), DB_INT(id)};
    uint64_t affected = 0;
    if (exec(db, "claim",
             "UPDATE pms_config SET next_sync_at = NOW(3) + INTERVAL ? SECOND, "
             "lease_owner = ?, lease_until = NOW(3) + INTERVAL ? MICROSECOND "
             "WHERE id = ? AND polling_enabled AND next_sync_at <= NOW(3) "
             "AND (lease_until IS NULL OR lease_until < NOW(3))",
             p, 4, &affected) != 0)
        return -1;
    return affected == 1 ? 1 : 0;
}

int store_release(db_t *db, int64_t id, const char *owner, int64_t retry_in_ms)
{
    if (retry_in_ms < 0) {
        db_param_t p[] = {DB_INT(id), DB_STR(owner)};
        return exec(db, "release",
                    "UPDATE pms_config SET lease_owner = NULL, lease_until = NULL "
                    "WHERE id = ? AND lease_owner = ?",
                    p, 2, NULL);
    }
    db_param_t p[] = {DB_INT(retry_in_ms * 1000), DB_INT(id), DB_STR(owner)};
    return exec(db, "release for retry",
                "UPDATE pms_config SET lease_owner = NULL, lease_until = NULL, "
                "next_sync_at = IF(polling_enabled, NOW(3) + INTERVAL ? MICROSECOND, NULL) "
                "WHERE id = ? AND lease_owner = ?",
                p, 3, NULL);
}

int store_next_due_in_ms(db_t *db, int64_t *ms, bool *has_next)
{
    db_result_t *res = NULL;
    if (query(db, "next due",
              "SELECT CAST(ROUND(TIMESTAMPDIFF(MICROSECOND, NOW(3), "
              "MIN(GREATEST(next_sync_at, COALESCE(lease_until, next_sync_at)))) / 1000) "
              "AS SIGNED) FROM pms_config WHERE polling_enabled AND next_sync_at IS NOT NULL",
              NULL, 0, &res) != 0)
        return -1;
    *has_next = db_result_rows(res) == 1 && db_result_int64(res, 0, 0, ms) == 0;
    db_result_free(res);
    return 0;
}

int store_record_job(db_t *db, const sync_job_t *job)
{
    db_param_t p[] = {DB_STR(job->job_id), DB_STR(job->vendor), DB_STR(job->hotel_id),
                      DB_STR(job->reason)};
    if (exec(db, "record job",
             "INSERT INTO poller_job (job_id, vendor, hotel_id, reason, requested_at) "
             "VALUES (?, ?, ?, ?, NOW(3))",
             p, 4, NULL) != 0)
        return -1;
    db_param_t q[] = {DB_STR(job->job_id), DB_STR(job->vendor), DB_STR(job->hotel_id)};
    return exec(db, "record last job",
                "UPDATE pms_config SET last_job_id = ? WHERE vendor = ? AND hotel_id = ?", q, 3,
                NULL);
}

int store_prune_jobs(db_t *db, int64_t retention_s)
{
    db_param_t p[] = {DB_INT(retention_s)};
    uint64_t affected = 0;
    if (exec(db, "prune jobs",
             "DELETE FROM poller_job WHERE requested_at < NOW(3) - INTERVAL ? SECOND", p, 1,
             &affected) != 0)
        return -1;
    return (int)affected;
}

/* ---------------------------------------------------- status/control -- */

int store_get_status(db_t *db, const char *vendor, const char *hotel_id, poller_status_t *out)
{
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    if (query(db, "get status",
              "SELECT " STATUS_COLUMNS " FROM pms_config WHERE vendor = ? AND hotel_id = ?", p, 2,
              &res) != 0)
        return -1;
    int rc = STORE_NOT_FOUND;
    if (db_result_rows(res) == 1) {
        status_from_row(res, 0, out);
        rc = 0;
    }
    db_result_free(res);
    return rc;
}

int store_list_status(db_t *db, poller_status_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    db_result_t *res = NULL;
    if (query(db, "list status",
              "SELECT " STATUS_COLUMNS " FROM pms_config ORDER BY vendor, hotel_id", NULL, 0,
              &res) != 0)
        return -1;
    size_t rows = db_result_rows(res);
    *out = calloc(rows ? rows : 1, sizeof **out);
    if (!*out) {
        db_result_free(res);
        return -1;
    }
    for (size_t i = 0; i < rows; i++)
        status_from_row(res, i, &(*out)[i]);
    *n = rows;
    db_result_free(res);
    return 0;
}

/* STORE_NOT_FOUND unless the hotel has a pms_config row; -1 on error. */
static int hotel_exists(db_t *db, const char *vendor, const char *hotel_id)
{
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id)};
    db_result_t *res = NULL;
    if (query(db, "find hotel", "SELECT id FROM pms_config WHERE vendor = ? AND hotel_id = ?", p, 2,
              &res) != 0)
        return -1;
    int rc = db_result_rows(res) == 1 ? 0 : STORE_NOT_FOUND;
    db_result_free(res);
    return rc;
}

int store_start(db_t *db, const char *vendor, const char *hotel_id)
{
    int rc = hotel_exists(db, vendor, hotel_id);
    if (rc != 0)
        return rc;
    /* MariaDB assigns left to right: next_sync_at still sees the old flag. */
    db_param_t p[] = {DB_STR(vendor), DB_STR(hotel_id)};
    return exec(db, "start",
                "UPDATE pms_config SET next_sync_at = IF(polling_enabled AND next_sync_at IS "
                "NOT NULL, next_sync_at, NOW(3)), polling_enabled = TRUE, error_count = 0, "
                "last_error = NULL, stopped_reason = NULL WHERE vendor = ? AND hotel_id = ?",
                p, 2, NULL);
}

int store_stop(db_t *db, const char *vendor, const char *hotel_id, const char *reason)
{
    int rc = hotel_exists(db, vendor, hotel_id);
    if (rc != 0)
        return rc;
    db_param_t p[] = {DB_STR(reason), DB_STR(vendor), DB_STR(hotel_id)};
    return exec(db, "stop",
                "UPDATE pms_config SET polling_enabled = FALSE, stopped_reason = ?, "
                "next_sync_at = NULL, lease_owner = NULL, lease_until = NULL "
                "WHERE vendor = ? AND hotel_id = ?",
                p, 3, NULL);
}

/* ----------------------------------------------------------- results -- */

int store_mark_job_result(db_t *db, const sync_result_t *r)
{
    const char *outcome = r->succeeded ? "succeeded" : "failed";
    db_param_t p[] = {DB_STR(outcome), DB_INT(r->finished_unix_ms), DB_STR(r->job_id)};
    uint64_t affected = 0;
    if (exec(db, "mark job result",
             "UPDATE poller_job SET outcome = ?, finished_at = " FROM_MS
             " WHERE job_id = ? AND outcome IS NULL",
             p, 3, &affected) != 0)
        return -1;
    if (affected == 1)
        return 1;
    /* Not ours, or already answered: the row decides which. */
    db_param_t q[] = {DB_STR(r->job_id),           DB_STR(r->vendor), DB_STR(r->hotel_id),
                      DB_STR(JOB_REASON_EXTERNAL), DB_STR(outcome),   DB_INT(r->finished_unix_ms)};
    db_err_t rc = db_exec(db,
                          "INSERT INTO poller_job (job_id, vendor, hotel_id, reason, outcome, "
                          "finished_at) VALUES (?, ?, ?, ?, ?, " FROM_MS ")",
                          q, 6, NULL, NULL);
    if (rc == DB_ERR_DUPLICATE)
        return 0;
    if (rc != DB_OK) {
        log_warn("poller store: record external job failed: %s", db_error(db));
        return -1;
    }
    return 1;
}

/* Locks the hotel's row for the transaction; fills its error count and flag. */
static int lock_hotel(db_t *db, const sync_result_t *r, int64_t *error_count, bool *enabled)
{
    db_param_t p[] = {DB_STR(r->vendor), DB_STR(r->hotel_id)};
    db_result_t *res = NULL;
    if (query(db, "lock hotel",
              "SELECT error_count, polling_enabled FROM pms_config "
              "WHERE vendor = ? AND hotel_id = ? FOR UPDATE",
              p, 2, &res) != 0)
        return -1;
    int rc = STORE_NOT_FOUND;
    if (db_result_rows(res) == 1) {
        *error_count = cell_int(res, 0, 0, 0);
        *enabled = cell_int(res, 0, 1, 0) != 0;
        rc = 0;
    }
    db_result_free(res);
    return rc;
}

int store_apply_success(db_t *db, const sync_result_t *r)
{
    int64_t count;
    bool enabled;
    int rc = lock_hotel(db, r, &count, &enabled);
    if (rc != 0)
        return rc;
    db_param_t p[] = {DB_INT(r->finished_unix_ms), DB_INT(r->finished_unix_ms), DB_STR(r->vendor),
                      DB_STR(r->hotel_id)};
    return exec(db, "apply success",
                "UPDATE pms_config SET error_count = 0, last_error = NULL, "
                "last_sync_at = GREATEST(COALESCE(last_sync_at, " FROM_MS "), " FROM_MS ") "
                "WHERE vendor = ? AND hotel_id = ?",
                p, 4, NULL);
}

int store_apply_failure(db_t *db, const sync_result_t *r, int max_failures, int64_t *error_count,
                        bool *stopped_now)
{
    bool enabled = false;
    *stopped_now = false;
    int rc = lock_hotel(db, r, error_count, &enabled);
    if (rc != 0)
        return rc;
    *error_count += 1;
    *stopped_now = enabled && *error_count >= max_failures;
    db_param_t p[] = {DB_INT(*error_count), DB_STR(r->error), DB_STR(r->vendor),
                      DB_STR(r->hotel_id)};
    if (exec(db, "apply failure",
             "UPDATE pms_config SET error_count = ?, last_error = ? "
             "WHERE vendor = ? AND hotel_id = ?",
             p, 4, NULL) != 0)
        return -1;
    if (!*stopped_now)
        return 0;
    db_param_t q[] = {DB_STR(STORE_STOPPED_FAILURES), DB_STR(r->vendor), DB_STR(r->hotel_id)};
    return exec(db, "stop after failures",
                "UPDATE pms_config SET polling_enabled = FALSE, stopped_reason = ?, "
                "next_sync_at = NULL, lease_owner = NULL, lease_until = NULL "
                "WHERE vendor = ? AND hotel_id = ?",
                q, 3, NULL);
}
