/*
 * recovery.c — the recovery pass and its thread (see recovery.h).
 */
#include "recovery.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/trace.h"
#include "compensation.h"
#include "idempotency.h"
#include "outbox.h"
#include "saga.h"
#include "store.h"

#define RECOVERY_BATCH 32
/* Old rows deleted per table and pass (small, so a pass never holds locks long). */
#define RECOVERY_PURGE_LIMIT 1000
#define RECOVERY_HOUSEKEEPING_MS 60000

struct recovery {
    booking_app_t *app;
    int interval_s;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stopping; cond wakes the sleeping thread */
    pthread_cond_t cond;
    bool stopping;
};

/* Stores the saga's final answer for an Idempotency-Key left in progress. */
static void complete_key(booking_app_t *app, const saga_result_t *res)
{
    struct json_object *o = saga_result_json(res);
    char *text = json_to_string_dup(o);
    json_object_put(o);
    db_t *db = db_pool_acquire(app->db);
    if (text)
        idempotency_complete_for_booking(db, res->booking_id, saga_result_status(res), text);
    db_pool_release(app->db, db);
    free(text);
}

/* Purges and the pending-compensations gauge: not every pass (passes come
 * every few seconds so that a crashed process's sagas are taken over soon). */
static void housekeeping(booking_app_t *app, db_t *db)
{
    idempotency_purge(db);
    long retention_s = (long)app->history_retention_h * 3600;
    if (outbox_purge(db, retention_s, RECOVERY_PURGE_LIMIT) < 0 ||
        compensation_purge(db, retention_s, RECOVERY_PURGE_LIMIT) < 0)
        log_warn("recovery: purging old outbox / de-duplication rows failed: %s", db_error(db));
    long pending = compensation_pending(db);
    if (pending >= 0)
        metrics_gauge_set(metrics_gauge("booking_compensations_pending",
                                        "Compensations handed to the worker and not done yet", 0),
                          (double)pending);
}

static int run_pass(booking_app_t *app, bool with_housekeeping)
{
    char ids[RECOVERY_BATCH][BOOKING_ID_MAX];
    db_t *db = db_pool_acquire(app->db);
    if (!db)
        return -1;
    if (with_housekeeping)
        housekeeping(app, db);
    int n = store_due_sagas(db, ids, RECOVERY_BATCH);
    int taken[RECOVERY_BATCH] = {0};
    char owners[RECOVERY_BATCH][96];
    for (int i = 0; i < n; i++) {
        if (saga_active_contains(app->active, ids[i]))
            continue; /* a request thread of ours still drives it */
        saga_new_owner(app, owners[i], sizeof owners[i]);
        taken[i] = store_lease_take(db, ids[i], owners[i], app->saga_lease_s);
    }
    db_pool_release(app->db, db);
    if (n < 0)
        return -1;
    int done = 0;
    for (int i = 0; i < n; i++) {
        if (taken[i] != 1)
            continue; /* another replica has it */
        saga_result_t res;
        /* a trace of its own: the recovery's log lines, vendor calls and events carry it */
        trace_context_t trace;
        bool own_trace = trace_ensure(&trace);
        int rc = saga_recover(app, ids[i], owners[i], &res);
        if (rc == 0 && !res.retry_later) {
            complete_key(app, &res);
            done++;
        }
        if (own_trace)
            trace_set_current(NULL);
    }
    return done;
}

int recovery_run_once(booking_app_t *app)
{
    return run_pass(app, true);
}

static void *recovery_main(void *arg)
{
    recovery_t *rv = arg;
    int64_t housekept_ms = 0;
    pthread_mutex_lock(&rv->lock);
    while (!rv->stopping) {
        pthread_mutex_unlock(&rv->lock);
        bool housekeep =
            housekept_ms == 0 || clock_now_ms() - housekept_ms >= RECOVERY_HOUSEKEEPING_MS;
        if (housekeep)
            housekept_ms = clock_now_ms();
        int n = run_pass(rv->app, housekeep);
        if (n > 0)
            log_info("recovery finished %d saga(s)", n);
        pthread_mutex_lock(&rv->lock);
        if (rv->stopping)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += rv->interval_s;
        pthread_cond_timedwait(&rv->cond, &rv->lock, &until);
    }
    pthread_mutex_unlock(&rv->lock);
    return NULL;
}

recovery_t *recovery_start(booking_app_t *app, int interval_s)
{
    recovery_t *rv = calloc(1, sizeof *rv);
    if (!rv)
        return NULL;
    rv->app = app;
    rv->interval_s = interval_s > 0 ? interval_s : BOOKING_DEFAULT_RECOVERY_INTERVAL_S;
    pthread_mutex_init(&rv->lock, NULL);
    pthread_cond_init(&rv->cond, NULL);
    if (pthread_create(&rv->thread, NULL, recovery_main, rv) != 0) {
        pthread_mutex_destroy(&rv->lock);
        pthread_cond_destroy(&rv->cond);
        free(rv);
        return NULL;
    }
    return rv;
}

void recovery_stop(recovery_t *rv)
{
    if (!rv)
        return;
    pthread_mutex_lock(&rv->lock);
    rv->stopping = true;
    pthread_cond_signal(&rv->cond);
    pthread_mutex_unlock(&rv->lock);
    pthread_join(rv->thread, NULL);
    pthread_mutex_destroy(&rv->lock);
    pthread_cond_destroy(&rv->cond);
    free(rv);
}
