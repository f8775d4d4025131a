/*
 * compensation_api.c — see compensation_api.h.
 */
#include "compensation_api.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "booking.h"
#include "common/clock.h"
#include "common/db.h"

#define POLL_MS 100
#define LAST_ERROR_MAX 513 /* compensation_task.last_error is VARCHAR(512) */

typedef struct task_state {
    bool found, done;
    int64_t attempts;
    char last_error[LAST_ERROR_MAX];
} task_state_t;

/* 0 and the task's state, or -1 when the database failed. */
static int read_task(db_t *db, int64_t id, task_state_t *out)
{
    memset(out, 0, sizeof *out);
    db_param_t p[] = {DB_INT(id)};
    db_result_t *res = NULL;
    if (db_query(db, "SELECT state, attempts, last_error FROM compensation_task WHERE id = ?", p, 1,
                 &res) != DB_OK) {
        db_result_free(res);
        return -1;
    }
    if (db_result_rows(res) == 1) {
        out->found = true;
        const char *state = db_result_text(res, 0, 0);
        out->done = state && strcmp(state, "done") == 0;
        db_result_int64(res, 0, 1, &out->attempts);
        const char *e = db_result_text(res, 0, 2);
        snprintf(out->last_error, sizeof out->last_error, "%s", e ? e : "");
    }
    db_result_free(res);
    return 0;
}

static bool parse_id(const char *text, int64_t *out)
{
    if (!text || !*text || strlen(text) > 19)
        return false;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    *out = strtoll(text, NULL, 10);
    return *out > 0;
}

static int respond_task(http_request_t *req, const char *id, const task_state_t *t)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "compensationId", json_object_new_string(id));
    json_object_object_add(o, "state", json_object_new_string(t->done ? "done" : "pending"));
    json_object_object_add(o, "attempts", json_object_new_int64(t->attempts));
    json_object_object_add(o, "lastError",
                           t->last_error[0] ? json_object_new_string(t->last_error) : NULL);
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

int compensation_retry_internal(http_request_t *req, void *ctx)
{
    booking_app_t *app = ctx;
    const char *text = http_request_param(req, "compensationId");
    int64_t id = 0;
    if (!parse_id(text, &id))
        return http_respond_error(req, 404, "NOT_FOUND", "compensationId", "no such compensation");
    db_t *db = db_pool_acquire(app->db);
    task_state_t before, now;
    int rc = 0;
    if (read_task(db, id, &before) != 0) {
        rc = http_respond_error(req, 503, "INTERNAL_ERROR", NULL, "the database is unavailable");
        goto done;
    }
    if (!before.found) {
        rc = http_respond_error(req, 404, "NOT_FOUND", "compensationId", "no such compensation");
        goto done;
    }
    if (before.done) {
        rc = http_respond_error(req, 409, "COMPENSATION_DONE", "compensationId",
                                "this compensation is already done");
        goto done;
    }
    db_param_t p[] = {DB_INT(id)};
    if (db_exec(db,
                "UPDATE compensation_task SET next_attempt_at = CURRENT_TIMESTAMP(3) WHERE id = ? "
                "AND state = 'pending'",
                p, 1, NULL, NULL) != DB_OK) {
        rc = http_respond_error(req, 503, "INTERNAL_ERROR", NULL, "the database is unavailable");
        goto done;
    }
    /* the worker scans for due tasks several times a second: wait for its
     * attempt, so the console shows the outcome rather than "queued" */
    now = before;
    int64_t deadline = clock_now_ms() + COMPENSATION_RETRY_WAIT_MS;
    while (!now.done && now.attempts == before.attempts && clock_now_ms() < deadline) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
        if (read_task(db, id, &now) != 0)
            now = before;
    }
    rc = respond_task(req, text, &now);
done:
    db_pool_release(app->db, db);
    return rc;
}
