/*
 * saga.c — the forward steps of the checkout saga (see saga.h).
 *
 * Rule for every step that calls a vendor (Temporal's): record "started"
 * before the call and the result after it, so a crash in between leaves a
 * log that tells recovery which calls may have happened; compensations are
 * safe when the step never ran (releasing a hold that does not exist is a
 * success). The payment_auth_id is persisted before the saga moves on.
 */
#include "saga_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/money.h"
#include "common/cancel_policy.h"
#include "idempotency.h"
#include "inventory_client.h"
#include "outbox.h"
#include "payment_route.h"

/* ------------------------------------------------------------ metrics -- */

void saga_count_outcome(const char *code)
{
    metrics_counter_inc(metrics_counter("booking_saga_outcomes_total",
                                        "Checkout sagas by outcome (OK or the error code)", 1,
                                        "code"),
                        code);
}

/* Saga writes that committed (each one transaction, whichever way it was
 * sent): what it_booking_counters bounds per checkout. */
static void count_transaction(void)
{
    metrics_counter_inc(metrics_counter("booking_saga_transactions_total",
                                        "Saga step boundaries committed (one transaction each)",
                                        0));
}

void saga_count_hold(const char *outcome)
{
    metrics_counter_inc(metrics_counter("booking_holds_total",
                                        "PMS holds by outcome (created, confirmed, released, "
                                        "expired)",
                                        1, "outcome"),
                        outcome);
}

void saga_observe_step(const char *step, int64_t started_ms)
{
    metrics_histogram_observe(metrics_histogram("booking_saga_step_duration_seconds",
                                                "Latency of each saga step (vendor call included)",
                                                METRICS_LATENCY_BUCKETS_S,
                                                METRICS_LATENCY_BUCKET_COUNT, 1, "step"),
                              (double)(clock_now_ms() - started_ms) / 1000.0, step);
}

/* ------------------------------------------------------------- events -- */

struct json_object *saga_event_data(const booking_record_t *rec)
{
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "bookingId", json_object_new_string(rec->booking_id));
    json_object_object_add(d, "vendor", json_object_new_string(rec->vendor));
    json_object_object_add(d, "hotelId", json_object_new_string(rec->hotel_id));
    json_object_object_add(d, "roomTypeId", json_object_new_string(rec->room_type_id));
    json_object_object_add(d, "checkIn", json_object_new_string(rec->check_in_text));
    json_object_object_add(d, "checkOut", json_object_new_string(rec->check_out_text));
    json_object_object_add(d, "adults", json_object_new_int(rec->adults));
    json_object_object_add(d, "children", json_object_new_int(rec->children));
    if (rec->rooms > 1)
        json_object_object_add(d, "rooms", json_object_new_int(rec->rooms));
    json_object_object_add(d, "status", json_object_new_string(rec->status));
    json_object_object_add(d, "amount", json_object_new_int64(rec->amount));
    if (rec->tax_amount > 0)
        json_object_object_add(d, "taxAmount", json_object_new_int64(rec->tax_amount));
    if (rec->tax_free_amount >= 0)
        json_object_object_add(d, "taxFreeAmount", json_object_new_int64(rec->tax_free_amount));
    json_object_object_add(d, "currency", json_object_new_string(rec->currency));
    if (rec->rate_plan_id[0])
        json_object_object_add(d, "ratePlanId", json_object_new_string(rec->rate_plan_id));
    if (rec->hold_id[0])
        json_object_object_add(d, "holdId", json_object_new_string(rec->hold_id));
    if (rec->hold_expires_at_ms > 0) {
        char t[DATES_RFC3339_LEN + 1];
        dates_format_rfc3339(rec->hold_expires_at_ms, t);
        json_object_object_add(d, "holdExpiresAt", json_object_new_string(t));
    }
    if (rec->payment_auth_id[0])
        json_object_object_add(d, "paymentAuthId", json_object_new_string(rec->payment_auth_id));
    if (rec->payment_provider[0])
        json_object_object_add(d, "paymentProvider",
                               json_object_new_string(rec->payment_provider));
    if (rec->reservation_id[0])
        json_object_object_add(d, "reservationId", json_object_new_string(rec->reservation_id));
    if (rec->confirmation_number[0])
        json_object_object_add(d, "confirmationNumber",
                               json_object_new_string(rec->confirmation_number));
    if (rec->error_code[0] && strcmp(rec->status, "failed") == 0) {
        json_object_object_add(d, "errorCode", json_object_new_string(rec->error_code));
        json_object_object_add(d, "error", json_object_new_string(rec->error_message));
    }
    return d;
}

int saga_append_event(db_t *tx, const booking_record_t *rec, const char *suffix,
                      struct json_object *extra)
{
    struct json_object *d = saga_event_data(rec);
    if (extra) {
        json_object_object_foreach(extra, k, v) json_object_object_add(d, k, json_object_get(v));
    }
    char type[96];
    snprintf(type, sizeof type, "lodging.booking.%s", suffix);
    int rc = outbox_append(tx, BOOKING_EVENTS_TOPIC, rec->booking_id, type, d, NULL);
    json_object_put(d);
    return rc;
}

/* ------------------------------------------------------------ records -- */

void saga_note(saga_run_t *run, const char *step, const char *outcome, const char *detail)
{
    if (run->note_count == SAGA_NOTES_MAX)
        return;
    size_t i = run->note_count++;
    if (detail)
        snprintf(run->note_details[i], sizeof run->note_details[i], "%s", detail);
    run->notes[i] = (store_step_row_t){step, outcome, detail ? run->note_details[i] : NULL};
}

/* The kept notes, step (its outcome) and next_step (started) as rows. */
static size_t step_rows(saga_run_t *run, const char *step, const char *outcome, const char *detail,
                        const char *next_step, store_step_row_t *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < run->note_count; i++)
        rows[n++] = run->notes[i];
    if (step)
        rows[n++] = (store_step_row_t){step, outcome, detail};
    if (next_step)
        rows[n++] = (store_step_row_t){next_step, "started", NULL};
    return n;
}

/* The Idempotency-Key's response for the result in run->out, in tx. */
static int store_response(saga_run_t *run, db_t *tx)
{
    struct json_object *o = saga_result_json(run->out);
    char *text = json_to_string_dup(o);
    json_object_put(o);
    int rc = text && idempotency_complete(tx, IDEMPOTENCY_SCOPE_CHECKOUT, run->idem_key,
                                          saga_result_status(run->out), text) == 0
                 ? 0
                 : -1;
    free(text);
    return rc;
}

static void booking_row_of(const booking_record_t *rec, saga_booking_row_t *row)
{
    memset(row, 0, sizeof *row); /* compared whole: no bytes left over */
    snprintf(row->status, sizeof row->status, "%s", rec->status);
    snprintf(row->hold_id, sizeof row->hold_id, "%s", rec->hold_id);
    row->hold_expires_at_ms = rec->hold_expires_at_ms;
    snprintf(row->payment_auth_id, sizeof row->payment_auth_id, "%s", rec->payment_auth_id);
    snprintf(row->payment_status, sizeof row->payment_status, "%s", rec->payment_status);
    snprintf(row->reservation_id, sizeof row->reservation_id, "%s", rec->reservation_id);
    snprintf(row->confirmation_number, sizeof row->confirmation_number, "%s",
             rec->confirmation_number);
    snprintf(row->error_code, sizeof row->error_code, "%s", rec->error_code);
    snprintf(row->error_message, sizeof row->error_message, "%s", rec->error_message);
}

/* Whether rec's row columns differ from what this drive last wrote (true
 * when it does not know: a recovered drive writes them). */
static bool booking_row_changed(const saga_run_t *run)
{
    if (!run->written_known)
        return true;
    saga_booking_row_t now;
    booking_row_of(&run->rec, &now);
    return memcmp(&now, &run->written, sizeof now) != 0;
}

/* The boundary as five statements (begin, conditional write, step rows,
 * event, commit): when it has more step rows than the procedure takes. */
static int record_by_statements(saga_run_t *run, db_t *db, const store_step_row_t *rows,
                                size_t nrows, bool update_booking, const char *state,
                                const char *current_step, const char *event_suffix, bool finish)
{
    if (db_begin(db) != DB_OK)
        return -1;
    int held = store_saga_advance(db, &run->rec, run->owner, run->app->saga_lease_s, state,
                                  current_step, update_booking, finish);
    if (held != 1 || store_steps(db, run->rec.booking_id, rows, nrows) != 0 ||
        (event_suffix && saga_append_event(db, &run->rec, event_suffix, NULL) != 0) ||
        (finish && run->idem_key && store_response(run, db) != 0)) {
        db_rollback(db);
        return held == 0 ? 0 : -1;
    }
    return db_commit(db) == DB_OK ? 1 : -1;
}

/* The boundary as one round trip: the saga_advance procedure runs the same
 * transaction on the server. */
static int record_by_call(saga_run_t *run, db_t *db, const store_step_row_t *rows, size_t nrows,
                          bool update_booking, const char *state, const char *current_step,
                          const char *event_suffix, bool finish)
{
    outbox_event_t ev = {0};
    char type[96] = "";
    char *body = NULL;
    int rc = -1;
    if (event_suffix) {
        snprintf(type, sizeof type, "lodging.booking.%s", event_suffix);
        struct json_object *d = saga_event_data(&run->rec);
        int built = outbox_event_build(BOOKING_EVENTS_TOPIC, run->rec.booking_id, type, d, &ev);
        json_object_put(d);
        if (built != 0)
            goto out;
    }
    bool answer = finish && run->idem_key;
    if (answer) {
        struct json_object *o = saga_result_json(run->out);
        body = json_to_string_dup(o);
        json_object_put(o);
        if (!body)
            goto out;
    }
    store_advance_t a = {.owner = run->owner,
                         .lease_s = run->app->saga_lease_s,
                         .state = state,
                         .current_step = current_step,
                         .update_booking = update_booking,
                         .finish = finish,
                         .rows = rows,
                         .row_count = nrows,
                         .event_id = ev.event_id,
                         .aggregate_type = ev.aggregate_type,
                         .topic = BOOKING_EVENTS_TOPIC,
                         .event_type = type,
                         .event_payload = ev.payload,
                         .idem_scope = IDEMPOTENCY_SCOPE_CHECKOUT,
                         .idem_key = answer ? run->idem_key : NULL,
                         .idem_body = body,
                         .idem_status = answer ? saga_result_status(run->out) : 0};
    rc = store_saga_advance_call(db, &run->rec, &a);
out:
    outbox_event_clear(&ev);
    free(body);
    return rc;
}

/* After a step boundary's transaction committed: the lease it renewed
 * (asked: when it was sent), the notes it wrote, the step it started. */
static void boundary_written(saga_run_t *run, int64_t asked, const char *next_step)
{
    count_transaction();
    run->lease_written_ms = asked;
    run->note_count = 0;
    snprintf(run->started, sizeof run->started, "%s", next_step ? next_step : "");
}

int saga_record_next(saga_run_t *run, const char *step, const char *outcome, const char *detail,
                     bool update_booking, const char *state, const char *event_suffix,
                     const char *next_step, bool finish)
{
    booking_app_t *app = run->app;
    db_t *db = db_pool_acquire(app->db);
    if (!db)
        return -1;
    store_step_row_t rows[STORE_STEPS_MAX];
    size_t nrows = step_rows(run, step, outcome, detail, next_step, rows);
    const char *current = next_step ? next_step : step;
    if (update_booking && !booking_row_changed(run))
        update_booking = false;
    int64_t asked = clock_now_ms(); /* the renewed lease runs from here at the latest */
    /* the lease check, its renewal, the state and the booking row in one
     * conditional write first: a drive that lost its lease writes nothing */
    int held = nrows <= STORE_ADVANCE_STEPS
                   ? record_by_call(run, db, rows, nrows, update_booking, state, current,
                                    event_suffix, finish)
                   : record_by_statements(run, db, rows, nrows, update_booking, state, current,
                                          event_suffix, finish);
    db_pool_release(app->db, db);
    if (held == 0) {
        run->lease_lost = true;
        log_kv(LOG_LEVEL_WARN, "saga lease lost; another process drives it", "bookingId",
               run->rec.booking_id, NULL);
    }
    if (held != 1)
        return -1;
    boundary_written(run, asked, next_step);
    if (update_booking) {
        booking_row_of(&run->rec, &run->written);
        run->written_known = true;
    }
    if (finish) {
        run->finished = true;
        run->out->response_stored = run->idem_key != NULL;
    }
    if (event_suffix)
        outbox_relay_kick(app->relay);
    return 0;
}

int saga_record(saga_run_t *run, const char *step, const char *outcome, const char *detail,
                bool update_booking, const char *state, const char *event_suffix)
{
    return saga_record_next(run, step, outcome, detail, update_booking, state, event_suffix, NULL,
                            false);
}

int saga_step_start(saga_run_t *run, const char *step)
{
    /* Fencing on our side of the vendor call: a process that was paused
     * (not dead) past its lease may have been replaced; it must not call a
     * vendor on the saga's behalf. Its writes are fenced in the database
     * (conditional on the lease), and its calls carry the saga's
     * idempotency keys and reference; this stops them being made at all. */
    if (!saga_lease_fresh(run)) {
        run->lease_lost = true;
        log_kv(LOG_LEVEL_WARN, "saga lease may have lapsed; not calling the vendor", "bookingId",
               run->rec.booking_id, "step", step, NULL);
        return -1;
    }
    if (strcmp(run->started, step) == 0) {
        run->started[0] = '\0'; /* written with the previous step's outcome */
        return 0;
    }
    return saga_record(run, step, "started", NULL, false, NULL, NULL);
}

void saga_crash_point(const saga_run_t *run, const char *step)
{
    if (run->app->test_crash_after[0] && strcmp(run->app->test_crash_after, step) == 0) {
        log_kv(LOG_LEVEL_WARN, "BOOKING_TEST_CRASH_AFTER: killing the process (test only)", "step",
               step, "bookingId", run->rec.booking_id, NULL);
        kill(getpid(), SIGKILL);
    }
}

void saga_finish_lease(saga_run_t *run)
{
    if (run->finished)
        return; /* the last write released it */
    db_t *db = db_pool_acquire(run->app->db);
    if (!db)
        return;
    store_lease_release(db, run->rec.booking_id, run->owner);
    db_pool_release(run->app->db, db);
}

/* ------------------------------------------------------ active sagas -- */

#define SAGA_OWNER_MAX 96

struct saga_active {
    pthread_mutex_t lock; /* guards ids, owners, renewed, count, cap and stopping */
    pthread_cond_t wake;  /* wakes the lease keeper to stop */
    char (*ids)[BOOKING_ID_MAX];
    char (*owners)[SAGA_OWNER_MAX];
    int64_t *renewed; /* per saga: when the keeper last renewed its lease (monotonic ms) */
    size_t count, cap;
    db_pool_t *db; /* the lease keeper's, NULL until saga_active_keep_leases */
    int lease_s;
    pthread_t keeper;
    bool keeping, stopping;
};

struct saga_active *saga_active_new(void)
{
    struct saga_active *a = calloc(1, sizeof *a);
    if (a) {
        pthread_mutex_init(&a->lock, NULL);
        pthread_cond_init(&a->wake, NULL);
    }
    return a;
}

void saga_active_free(struct saga_active *a)
{
    if (!a)
        return;
    if (a->keeping) {
        pthread_mutex_lock(&a->lock);
        a->stopping = true;
        pthread_cond_signal(&a->wake);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->keeper, NULL);
    }
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->lock);
    free(a->ids);
    free(a->owners);
    free(a->renewed);
    free(a);
}

void saga_active_add(struct saga_active *a, const char *id, const char *owner)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        void *ids = realloc(a->ids, cap * sizeof a->ids[0]);
        if (ids)
            a->ids = ids;
        void *owners = ids ? realloc(a->owners, cap * sizeof a->owners[0]) : NULL;
        if (owners)
            a->owners = owners;
        void *renewed = owners ? realloc(a->renewed, cap * sizeof a->renewed[0]) : NULL;
        if (renewed) {
            a->renewed = renewed;
            a->cap = cap;
        }
    }
    if (a->count < a->cap) {
        snprintf(a->ids[a->count], BOOKING_ID_MAX, "%s", id);
        snprintf(a->owners[a->count], SAGA_OWNER_MAX, "%s", owner);
        a->renewed[a->count] = 0;
        a->count++;
    }
    pthread_mutex_unlock(&a->lock);
}

void saga_active_remove(struct saga_active *a, const char *id)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->ids[i], id) == 0) {
            memmove(a->ids[i], a->ids[a->count - 1], BOOKING_ID_MAX);
            memmove(a->owners[i], a->owners[a->count - 1], SAGA_OWNER_MAX);
            a->renewed[i] = a->renewed[a->count - 1];
            a->count--;
            break;
        }
    pthread_mutex_unlock(&a->lock);
}

/* Renews the lease of every saga in a (a snapshot: the lease of a saga
 * that ended meanwhile is not revived, store_lease_renew extends only a
 * live one). */
static void renew_all(struct saga_active *a)
{
    pthread_mutex_lock(&a->lock);
    size_t n = a->count;
    char(*ids)[BOOKING_ID_MAX] = n ? malloc(n * sizeof *ids) : NULL;
    char(*owners)[SAGA_OWNER_MAX] = n ? malloc(n * sizeof *owners) : NULL;
    if (ids && owners) {
        memcpy(ids, a->ids, n * sizeof *ids);
        memcpy(owners, a->owners, n * sizeof *owners);
    } else {
        n = 0;
    }
    pthread_mutex_unlock(&a->lock);
    db_t *db = n ? db_pool_acquire(a->db) : NULL;
    for (size_t i = 0; db && i < n; i++) {
        int64_t asked = clock_now_ms(); /* the lease runs from the request, not the answer */
        int held = store_lease_renew(db, ids[i], owners[i], a->lease_s);
        if (held == 0)
            log_kv(LOG_LEVEL_DEBUG, "saga lease already taken over", "bookingId", ids[i], NULL);
        if (held != 1)
            continue;
        pthread_mutex_lock(&a->lock);
        for (size_t j = 0; j < a->count; j++)
            if (strcmp(a->ids[j], ids[i]) == 0 && strcmp(a->owners[j], owners[i]) == 0)
                a->renewed[j] = asked;
        pthread_mutex_unlock(&a->lock);
    }
    if (db)
        db_pool_release(a->db, db);
    free(ids);
    free(owners);
}

static void *lease_keeper_main(void *arg)
{
    struct saga_active *a = arg;
    /* a third of the lease: two renewals may fail before it lapses */
    int64_t period_ms = (int64_t)a->lease_s * 1000 / 3;
    pthread_mutex_lock(&a->lock);
    while (!a->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += period_ms / 1000;
        until.tv_nsec += (period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&a->wake, &a->lock, &until);
        if (a->stopping)
            break;
        pthread_mutex_unlock(&a->lock);
        renew_all(a);
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

int saga_active_keep_leases(struct saga_active *a, db_pool_t *db, int lease_s)
{
    if (!a || a->keeping)
        return -1;
    a->db = db;
    a->lease_s = lease_s;
    if (pthread_create(&a->keeper, NULL, lease_keeper_main, a) != 0)
        return -1;
    a->keeping = true;
    return 0;
}

/* When the keeper last renewed owner's lease on id (monotonic ms, 0: never). */
static int64_t active_renewed_ms(struct saga_active *a, const char *id, const char *owner)
{
    if (!a)
        return 0;
    int64_t at = 0;
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->ids[i], id) == 0 && strcmp(a->owners[i], owner) == 0)
            at = a->renewed[i];
    pthread_mutex_unlock(&a->lock);
    return at;
}

bool saga_lease_fresh(saga_run_t *run)
{
    int64_t last = active_renewed_ms(run->app->active, run->rec.booking_id, run->owner);
    if (run->lease_written_ms > last)
        last = run->lease_written_ms;
    int64_t lease_ms = (int64_t)run->app->saga_lease_s * 1000;
    return last > 0 && clock_now_ms() - last < lease_ms - lease_ms / 3;
}

bool saga_active_contains(struct saga_active *a, const char *id)
{
    if (!a)
        return false;
    pthread_mutex_lock(&a->lock);
    bool found = false;
    for (size_t i = 0; i < a->count && !found; i++)
        found = strcmp(a->ids[i], id) == 0;
    pthread_mutex_unlock(&a->lock);
    return found;
}

void saga_new_owner(const booking_app_t *app, char *out, size_t size)
{
    char rnd[32];
    if (crypto_random_id("", rnd, sizeof rnd) != 0)
        snprintf(rnd, sizeof rnd, "%lld", (long long)clock_now_ms());
    snprintf(out, size, "%s/%s", app->instance_id, rnd);
}

/* --------------------------------------------------------- redis hold -- */

void saga_hold_record_set(saga_run_t *run)
{
    if (!run->app->redis || !run->rec.hold_id[0])
        return;
    char key[PMS_ID_MAX + 16], exp[DATES_RFC3339_LEN + 1];
    snprintf(key, sizeof key, "hold:%s", run->rec.hold_id);
    dates_format_rfc3339(run->rec.hold_expires_at_ms, exp);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "bookingId", json_object_new_string(run->rec.booking_id));
    json_object_object_add(o, "hotelId", json_object_new_string(run->rec.hotel_id));
    json_object_object_add(o, "roomTypeId", json_object_new_string(run->rec.room_type_id));
    json_object_object_add(o, "expiresAt", json_object_new_string(exp));
    char *v = json_to_string_dup(o);
    json_object_put(o);
    redis_client_t *r = redis_pool_acquire(run->app->redis);
    if (v && redis_set_ex(r, key, v, run->app->hold_ttl_s) != REDIS_CLIENT_OK)
        log_kv(LOG_LEVEL_WARN, "could not record the hold in Redis", "holdId", run->rec.hold_id,
               "error", redis_client_error(r), NULL);
    redis_pool_release(run->app->redis, r);
    free(v);
}

void saga_hold_record_del(saga_run_t *run)
{
    if (!run->app->redis || !run->rec.hold_id[0])
        return;
    char key[PMS_ID_MAX + 16];
    snprintf(key, sizeof key, "hold:%s", run->rec.hold_id);
    const char *keys[] = {key};
    redis_client_t *r = redis_pool_acquire(run->app->redis);
    redis_del(r, keys, 1, NULL);
    redis_pool_release(run->app->redis, r);
}

payment_connector_t *saga_pay(const saga_run_t *run)
{
    payment_connector_t *pay = booking_pay(run->app, run->rec.payment_provider);
    return pay ? pay : run->app->pay;
}

/* ------------------------------------------------------------ results -- */

int saga_error_status(const char *code)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {{"VALIDATION_ERROR", 400},
               {"OCCUPANCY_EXCEEDED", 400},
               {"RATE_PLAN_NOT_FOUND", 400},
               {"RATE_PLAN_CLOSED", 409},
               {"CLOSED_TO_ARRIVAL", 409},
               {"CLOSED_TO_DEPARTURE", 409},
               {"MIN_STAY_NOT_MET", 409},
               {"MAX_STAY_EXCEEDED", 409},
               {"INVENTORY_UNAVAILABLE", 409},
               {"HOLD_FAILED", 409},
               {"BOOKING_CONFIRM_FAILED", 409},
               {"AMOUNT_MISMATCH", 409},
               {"IDEMPOTENCY_IN_PROGRESS", 409},
               {"PAYMENT_PREAUTH_FAILED", 402},
               {"PAYMENT_CAPTURE_FAILED", 402},
               {"IDEMPOTENCY_KEY_REUSED", 422},
               {"DEGRADED_MODE", 503},
               {"PMS_BUSY", 503},
               {"PMS_UNAVAILABLE", 503},
               {"INTERNAL_ERROR", 500}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].code, code) == 0)
            return map[i].status;
    return 500;
}

int saga_result_status(const saga_result_t *r)
{
    return r->success ? 200 : saga_error_status(r->error_code);
}

struct json_object *saga_result_json(const saga_result_t *r)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(r->success));
    if (r->success) {
        json_object_object_add(o, "bookingId", json_object_new_string(r->booking_id));
        json_object_object_add(o, "confirmationNumber",
                               json_object_new_string(r->confirmation_number));
        struct json_object *policy =
            r->cancellation_policy[0] ? json_tokener_parse(r->cancellation_policy) : NULL;
        if (policy)
            json_object_object_add(o, "cancellationPolicy", policy);
        return o;
    }
    json_object_object_add(o, "error", json_object_new_string(r->message));
    json_object_object_add(o, "errorCode", json_object_new_string(r->error_code));
    if (r->field[0])
        json_object_object_add(o, "field", json_object_new_string(r->field));
    if (r->payment_error[0])
        json_object_object_add(o, "paymentError", json_object_new_string(r->payment_error));
    if (r->booking_id[0])
        json_object_object_add(o, "bookingId", json_object_new_string(r->booking_id));
    if (r->retry_after_s > 0)
        json_object_object_add(o, "retryAfterSeconds", json_object_new_int(r->retry_after_s));
    return o;
}

static void result_error(saga_result_t *out, const char *code, const char *field,
                         const char *message)
{
    out->success = false;
    snprintf(out->error_code, sizeof out->error_code, "%s", code);
    snprintf(out->field, sizeof out->field, "%s", field ? field : "");
    snprintf(out->message, sizeof out->message, "%s", message);
}

/* ------------------------------------------------------------ begin -- */

/* Encrypts the guest (AAD = booking id) and the card token (AAD "card:" +
 * booking id; kept in saga_instance.data only while the saga runs, so
 * recovery can replay the pre-authorisation by its idempotency key). */
static int seal(const booking_app_t *app, const booking_request_t *rq, const char *booking_id,
                uint8_t **guest, size_t *guest_len, char **saga_data)
{
    struct json_object *g = json_object_new_object();
    json_object_object_add(g, "firstName", json_object_new_string(rq->first_name));
    json_object_object_add(g, "lastName", json_object_new_string(rq->last_name));
    json_object_object_add(g, "email", json_object_new_string(rq->email));
    json_object_object_add(g, "phone", json_object_new_string(rq->phone));
    char *text = json_to_string_dup(g);
    json_object_put(g);
    if (!text)
        return -1;
    int rc = crypto_encrypt(app->data_key, text, strlen(text), booking_id, strlen(booking_id),
                            guest, guest_len);
    crypto_wipe(text, strlen(text));
    free(text);
    if (rc != 0)
        return -1;
    char aad[BOOKING_ID_MAX + 8];
    snprintf(aad, sizeof aad, "card:%s", booking_id);
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    if (crypto_encrypt(app->data_key, rq->card_token, strlen(rq->card_token), aad, strlen(aad),
                       &blob, &blob_len) != 0)
        return -1;
    char *b64 = crypto_base64_encode(blob, blob_len);
    free(blob);
    if (!b64)
        return -1;
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "cardTokenEnc", json_object_new_string(b64));
    free(b64);
    *saga_data = json_to_string_dup(d);
    json_object_put(d);
    return *saga_data ? 0 : -1;
}

/* The booking row, its saga (leased to us), the requested event and the
 * idempotency key's booking id, in one transaction. */
static int saga_describe(saga_run_t *run, const booking_request_t *rq)
{
    booking_app_t *app = run->app;
    booking_record_t *rec = &run->rec;
    if (crypto_random_id("bk_", rec->booking_id, sizeof rec->booking_id) != 0)
        return -1;
    snprintf(rec->vendor, sizeof rec->vendor, "%s", rq->vendor);
    snprintf(rec->hotel_id, sizeof rec->hotel_id, "%s", rq->hotel_id);
    snprintf(rec->room_type_id, sizeof rec->room_type_id, "%s", rq->room_type_id);
    memcpy(rec->check_in_text, rq->check_in_text, sizeof rec->check_in_text);
    memcpy(rec->check_out_text, rq->check_out_text, sizeof rec->check_out_text);
    rec->check_in = rq->check_in;
    rec->check_out = rq->check_out;
    rec->adults = rq->adults;
    rec->children = rq->children;
    snprintf(rec->status, sizeof rec->status, "pending");
    rec->amount = rq->amount;
    memcpy(rec->currency, rq->currency, sizeof rec->currency);
    memcpy(rec->token_hash, rq->token_hash, sizeof rec->token_hash);
    memcpy(rec->rate_plan_id, rq->rate_plan_id, sizeof rec->rate_plan_id);
    rec->rooms = rq->rooms > 0 ? rq->rooms : 1;
    rec->tax_amount = -1; /* until the amount check knows the nights' taxes */
    rec->tax_free_amount = -1;
    snprintf(rec->payment_provider, sizeof rec->payment_provider, "%s",
             rq->provider[0] ? rq->provider : BOOKING_PROVIDER_STRIPE);
    /* Toss needs an orderId: the window's, or (a saved card) the booking id */
    if (strcmp(rec->payment_provider, BOOKING_PROVIDER_TOSS) == 0)
        snprintf(rec->payment_order_id, sizeof rec->payment_order_id, "%s",
                 rq->order_id[0] ? rq->order_id : rec->booking_id);
    rec->created_ms = clock_wall_ms();
    saga_active_add(app->active, rec->booking_id, run->owner);
    snprintf(run->out->booking_id, sizeof run->out->booking_id, "%s", rec->booking_id);
    return 0;
}

static int saga_begin(saga_run_t *run, const booking_request_t *rq, const char *idem_key)
{
    booking_app_t *app = run->app;
    booking_record_t *rec = &run->rec;

    uint8_t *guest = NULL;
    size_t guest_len = 0;
    char *saga_data = NULL;
    int rc = -1;
    db_t *db = NULL;
    outbox_event_t ev = {0};
    if (seal(app, rq, rec->booking_id, &guest, &guest_len, &saga_data) != 0)
        goto out;
    /* the checks made before (their step rows) and, when they passed, the
     * hold's "started": the booking's first write is its first step boundary */
    const char *next = run->early_code[0] ? NULL : "hold";
    store_step_row_t rows[STORE_STEPS_MAX];
    size_t nrows = step_rows(run, NULL, NULL, NULL, next, rows);
    snprintf(rec->current_step, sizeof rec->current_step, "%s",
             next ? next : (nrows ? rows[nrows - 1].step : "inventory_check"));
    struct json_object *d = saga_event_data(rec);
    int built = outbox_event_build(BOOKING_EVENTS_TOPIC, rec->booking_id,
                                   "lodging.booking.requested", d, &ev);
    json_object_put(d);
    if (built != 0)
        goto out;
    db = db_pool_acquire(app->db);
    int64_t asked = clock_now_ms();
    if (!db)
        goto out;
    /* the booking, its leased saga, the payment route, the step rows, the
     * key's booking and the 'requested' event: one transaction, one round trip */
    store_open_t o = {.guest_enc = guest,
                      .guest_len = guest_len,
                      .saga_data = saga_data,
                      .owner = run->owner,
                      .lease_s = app->saga_lease_s,
                      .provider = rec->payment_provider,
                      .order_id = rec->payment_order_id,
                      .rows = rows,
                      .row_count = nrows,
                      .idem_scope = IDEMPOTENCY_SCOPE_CHECKOUT,
                      .idem_key = idem_key,
                      .event_id = ev.event_id,
                      .aggregate_type = ev.aggregate_type,
                      .topic = BOOKING_EVENTS_TOPIC,
                      .event_type = "lodging.booking.requested",
                      .event_payload = ev.payload};
    int opened = store_saga_open_call(db, rec, &o);
    if (opened == 1)
        rc = -2; /* the orderId already pays for another booking */
    if (opened != 0)
        goto out;
    rc = 0;
    boundary_written(run, asked, next);
    /* what the booking's insert wrote of the row's step columns */
    memset(&run->written, 0, sizeof run->written);
    snprintf(run->written.status, sizeof run->written.status, "pending");
    run->written_known = true;
    outbox_relay_kick(app->relay);
out:
    if (db)
        db_pool_release(app->db, db);
    outbox_event_clear(&ev);
    free(guest);
    if (saga_data)
        crypto_wipe(saga_data, strlen(saga_data));
    free(saga_data);
    return rc;
}

/* ------------------------------------------------------------- steps -- */

/* Fails the saga before any side effect: nothing to compensate. */
/* (Checked before the booking is written: the failure is noted, the saga
 * fails once the booking exists.) */
static void fail_early(saga_run_t *run, const char *step, const char *code, const char *field,
                       const char *message)
{
    saga_note(run, step, "failed", message);
    snprintf(run->early_code, sizeof run->early_code, "%s", code);
    snprintf(run->early_field, sizeof run->early_field, "%s", field ? field : "");
    snprintf(run->early_message, sizeof run->early_message, "%s", message);
}

/* "금액 불일치" naming what the stay costs (price in minor units of
 * currency), or the currency mismatch. */
static void amount_mismatch_message(int64_t price, const char *currency, const char *wanted,
                                    char *msg, size_t size)
{
    if (strcmp(currency, wanted) != 0) {
        snprintf(msg, size,
                 "통화 불일치 (currency mismatch: the hotel charges in another currency)");
        return;
    }
    char expected[32];
    if (money_to_decimal_text(price, currency, expected, sizeof expected) != 0)
        snprintf(expected, sizeof expected, "%lld", (long long)price);
    snprintf(msg, size, "금액 불일치: 예상 금액 %s %s (amount mismatch: the stay costs %s %s)",
             expected, currency, expected, currency);
}

/* What a PMS refusal that is not about the rooms means for the guest: the
 * hotel's request budget spent (PMS_BUSY) or the PMS down (PMS_UNAVAILABLE),
 * both worth retrying later; NULL for any other failure. */
static const char *pms_capacity_code(pms_err_t pe)
{
    if (pe == PMS_ERR_RATE_LIMITED)
        return "PMS_BUSY";
    if (pe == PMS_ERR_UNAVAILABLE)
        return "PMS_UNAVAILABLE";
    return NULL;
}

/* Seconds a client should wait before retrying after e (Retry-After). */
static int retry_after_s(const pms_error_t *e)
{
    int64_t ms = e->retry_after_ms;
    if (ms <= 0)
        ms = e->code == PMS_ERR_UNAVAILABLE ? SAGA_RETRY_AFTER_UNAVAILABLE_S * 1000
                                            : SAGA_RETRY_AFTER_BUSY_S * 1000;
    return (int)((ms + 999) / 1000);
}

/* Fails the saga with PMS_BUSY / PMS_UNAVAILABLE (code), a retryable answer
 * with Retry-After; nothing is held or charged once it has compensated. */
static void fail_capacity(saga_run_t *run, const char *code, const pms_error_t *e)
{
    char msg[BOOKING_MESSAGE_MAX];
    if (strcmp(code, "PMS_BUSY") == 0)
        snprintf(msg, sizeof msg,
                 "호텔 예약 시스템에 요청이 몰려 지금은 처리할 수 없습니다. 잠시 후 다시 시도해 "
                 "주세요. (the hotel's PMS is busy: %s)",
                 e->message[0] ? e->message : pms_err_name(e->code));
    else
        snprintf(msg, sizeof msg,
                 "호텔 예약 시스템에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요. (the "
                 "hotel's PMS is unavailable: %s)",
                 e->message[0] ? e->message : pms_err_name(e->code));
    saga_fail(run, code, msg);
    run->out->retry_after_s = retry_after_s(e);
}

/* The brief's short-inventory message, naming the first night without a room. */
static void short_message(dates_day_t night, char *out, size_t size)
{
    char day[DATES_ISO_LEN + 1];
    dates_format_iso(night, day);
    snprintf(out, size, "재고 부족: %s", day);
}

static void count_check(const char *answer)
{
    metrics_counter_inc(metrics_counter("booking_inventory_checks_total",
                                        "Checkout availability and price checks by where the "
                                        "answer came from (fresh: cache or PMS via inventory-svc; "
                                        "deferred: left to the PMS hold)",
                                        1, "answer"),
                        answer);
}

/* Whether other checkouts of ours hold rooms of this stay right now: a count
 * of 0 read while they do is not yet "sold out" — one of them may fail and
 * give its room back, so the hold (which waits for them) decides. */
static bool rivals_hold_rooms(saga_run_t *run)
{
    char ids[1][BOOKING_ID_MAX];
    db_t *db = db_pool_acquire(run->app->db);
    if (!db)
        return false;
    int n = store_rival_holds(db, &run->rec, ids, 1);
    db_pool_release(run->app->db, db);
    return n > 0;
}

/* Step 1 for a PMS without room counts (OPERA): a cached "bookable" says
 * nothing of the last room, so the PMS is asked for the whole stay with the
 * rooms requested — one request, which also states the stay's price. A PMS
 * that cannot answer now leaves the decision to the hold. */
static int stay_check_with_pms(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    pms_stay_check_t sc;
    pms_error_t e;
    int64_t t0 = clock_now_ms();
    int rooms = rec->rooms > 0 ? rec->rooms : 1;
    int nights = rec->check_out - rec->check_in;
    pms_err_t pe = pms_check_stay_plan(run->app->pms, rec->hotel_id, rec->room_type_id,
                                       rec->check_in, rec->check_out, rooms, rec->adults,
                                       rec->children, rec->rate_plan_id, &sc, &e);
    saga_observe_step("inventory_check", t0);
    if (pe == PMS_ERR_NOT_FOUND) {
        count_check("fresh");
        fail_early(run, "inventory_check", "VALIDATION_ERROR", "hotelId",
                   "hotelId: 호텔을 찾을 수 없습니다 (unknown hotel)");
        return -1;
    }
    if (pe == PMS_OK) {
        /* the PMS judged the plan's rules for this very stay: its answer
         * replaces what cached nights said (rules_check refuses on it) */
        inventory_stay_t *st = &run->stay;
        memset(st->rules, 0, sizeof st->rules[0] * (size_t)(nights + 1));
        st->plans_known = true;
        st->plan_missing = sc.plan_unknown;
        if (sc.restricted) {
            st->rules[0].known = true;
            st->rules[0].rules = sc.arrival;
            st->rules[nights].known = true;
            st->rules[nights].rules.closed_to_departure = sc.departure_closed;
        }
        if (sc.bookable)
            snprintf(st->pms_cancel_policy, sizeof st->pms_cancel_policy, "%s", sc.cancel_policy);
    }
    bool plan_refused = pe == PMS_OK && (sc.plan_unknown || sc.restricted);
    if (pe == PMS_OK && !sc.bookable && !plan_refused && !rivals_hold_rooms(run)) {
        char msg[BOOKING_MESSAGE_MAX];
        short_message(rec->check_in, msg, sizeof msg);
        count_check("fresh");
        fail_early(run, "inventory_check", "INVENTORY_UNAVAILABLE", NULL, msg);
        return -1;
    }
    /* the stay's total is one room's only when one room is booked (what a
     * total for several units covers is the vendor's business): else the
     * hold's total is checked. It is the plan's price for the party asked. */
    if (pe == PMS_OK && sc.bookable && sc.total != PMS_TOTAL_UNKNOWN && rooms == 1) {
        /* the PMS's total is after tax; the tax in it is the rates' when they
         * priced the stay the same */
        run->stay.tax_known = run->stay.price_known && run->stay.tax_known &&
                              run->stay.price == sc.total &&
                              strcmp(run->stay.currency, sc.currency) == 0;
        run->stay.price_known = true;
        run->stay.price = sc.total;
        run->stay.first_night = sc.first_night != PMS_TOTAL_UNKNOWN ? sc.first_night : 0;
        run->party_priced = true; /* asked with the party, for the one room */
        snprintf(run->stay.currency, sizeof run->stay.currency, "%s", sc.currency);
    } else {
        run->stay.price_known = false;
        run->stay.tax_known = false;
    }
    bool decided = pe == PMS_OK && (sc.bookable || plan_refused);
    count_check(decided ? "fresh" : "deferred");
    /* noted, not recorded: the booking row is written after these checks
     * (a record here finds no lease and would stop the checks short) */
    saga_note(run, "inventory_check", "succeeded",
              decided ? "the PMS judged the whole stay" : "the PMS hold decides");
    return 0;
}

/* Room types' max occupancy read from the PMS when inventory-svc could not
 * say, kept for a while so that a checkout stream during an inventory-svc
 * outage does not spend a PMS request each on the same list. */
#define OCCUPANCY_CACHE_SLOTS 64
#define OCCUPANCY_CACHE_TTL_MS (300 * 1000)
static struct {
    char hotel_id[PMS_ID_MAX + 1], room_type_id[PMS_ID_MAX + 1];
    int max, adults_included, children_included;
    int64_t expires_ms;
} occupancy_cache[OCCUPANCY_CACHE_SLOTS];
static pthread_mutex_t occupancy_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t occupancy_slot(const char *hotel_id, const char *room_type_id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = hotel_id; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    for (const char *p = room_type_id; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h % OCCUPANCY_CACHE_SLOTS;
}

static int occupancy_cached(const char *hotel_id, const char *room_type_id, int64_t now,
                            int *adults_included, int *children_included)
{
    size_t i = occupancy_slot(hotel_id, room_type_id);
    int max = -1;
    pthread_mutex_lock(&occupancy_cache_lock);
    if (occupancy_cache[i].expires_ms > now && strcmp(occupancy_cache[i].hotel_id, hotel_id) == 0 &&
        strcmp(occupancy_cache[i].room_type_id, room_type_id) == 0) {
        max = occupancy_cache[i].max;
        *adults_included = occupancy_cache[i].adults_included;
        *children_included = occupancy_cache[i].children_included;
    }
    pthread_mutex_unlock(&occupancy_cache_lock);
    return max;
}

static void occupancy_remember(const char *hotel_id, const char *room_type_id, int max,
                               int adults_included, int children_included, int64_t now)
{
    size_t i = occupancy_slot(hotel_id, room_type_id);
    pthread_mutex_lock(&occupancy_cache_lock);
    snprintf(occupancy_cache[i].hotel_id, sizeof occupancy_cache[i].hotel_id, "%s", hotel_id);
    snprintf(occupancy_cache[i].room_type_id, sizeof occupancy_cache[i].room_type_id, "%s",
             room_type_id);
    occupancy_cache[i].max = max;
    occupancy_cache[i].adults_included = adults_included;
    occupancy_cache[i].children_included = children_included;
    occupancy_cache[i].expires_ms = now + OCCUPANCY_CACHE_TTL_MS;
    pthread_mutex_unlock(&occupancy_cache_lock);
}

/* The room type's max occupancy: inventory-svc's cached room types first
 * (no PMS request when warm), else the PMS's room-type list through our own
 * connector (a read: nothing is held or charged yet), remembered for five
 * minutes. 0 when neither says. The guests its rate includes go into run. */
static int max_occupancy(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    int max = 0;
    if (inventory_client_max_occupancy(run->app->inventory, rec->vendor, rec->hotel_id,
                                       rec->room_type_id, &max, &run->adults_included,
                                       &run->children_included) == 0)
        return max;
    int64_t now = clock_now_ms();
    int cached = occupancy_cached(rec->hotel_id, rec->room_type_id, now, &run->adults_included,
                                  &run->children_included);
    if (cached >= 0)
        return cached;
    pms_room_types_t rt = {0};
    pms_error_t e;
    if (pms_get_room_types(run->app->pms, rec->hotel_id, &rt, &e) != PMS_OK)
        return 0;
    max = 0;
    for (size_t i = 0; i < rt.count; i++)
        if (strcmp(rt.items[i].id, rec->room_type_id) == 0) {
            max = rt.items[i].max_occupancy;
            run->adults_included = rt.items[i].adults_included;
            run->children_included = rt.items[i].children_included;
        }
    pms_room_types_free(&rt);
    occupancy_remember(rec->hotel_id, rec->room_type_id, max, run->adults_included,
                       run->children_included, now);
    return max;
}

/* Step 0, occupancy_check: the party fits the room type's max occupancy
 * (per room, times the rooms booked), refused before the PMS is asked to
 * hold anything. A limit nobody can tell is left to the hold. */
static int step_occupancy_check(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    int64_t t0 = clock_now_ms();
    int max = max_occupancy(run);
    saga_observe_step("occupancy_check", t0);
    int rooms = rec->rooms > 0 ? rec->rooms : 1;
    int guests = rec->adults + rec->children;
    if (max > 0 && guests > max * rooms) {
        char msg[BOOKING_MESSAGE_MAX];
        snprintf(msg, sizeof msg,
                 "인원 초과: 이 객실은 최대 %d명까지 투숙할 수 있습니다 (요청 %d명) (occupancy "
                 "exceeded: this room type sleeps at most %d guests per room; %d requested)",
                 max * rooms, guests, max * rooms, guests);
        fail_early(run, "occupancy_check", "OCCUPANCY_EXCEEDED", "adults", msg);
        return -1;
    }
    saga_note(run, "occupancy_check", "succeeded",
              max > 0 ? NULL : "max occupancy not known: the PMS hold decides");
    return 0;
}

/* Step 1, inventory_check: every night has a room. Asked of inventory-svc (its cache,
 * or the PMS on a miss), which spends none of the hotel's PMS budget when the
 * cache is warm. Only a fresh answer may refuse; anything it cannot say is
 * left to the hold, the PMS's own authoritative check. */
static int step_inventory_check(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    int nights = rec->check_out - rec->check_in;
    int64_t t0 = clock_now_ms();
    saga_note(run, "inventory_check", "started", NULL);
    inventory_client_stay_plan(run->app->inventory, rec->vendor, rec->hotel_id,
                               rec->room_type_id, rec->check_in, nights, rec->rate_plan_id,
                               rec->rooms, &run->stay);
    saga_observe_step("inventory_check", t0);
    const inventory_stay_t *st = &run->stay;
    if (st->not_found) {
        count_check("fresh");
        if (st->hotel_unknown)
            fail_early(run, "inventory_check", "VALIDATION_ERROR", "hotelId",
                       "hotelId: 호텔을 찾을 수 없습니다 (unknown hotel)");
        else
            fail_early(run, "inventory_check", "VALIDATION_ERROR", "roomTypeId",
                       "roomTypeId: 객실 유형을 찾을 수 없습니다 (unknown room type)");
        return -1;
    }
    pms_vendor_traits_t traits;
    if (pms_vendor_traits(pms_hotel_vendor(run->app->pms, rec->hotel_id), &traits) &&
        !traits.room_counts)
        return stay_check_with_pms(run);
    if (st->availability == INVENTORY_STAY_SHORT && st->fresh && !rivals_hold_rooms(run)) {
        char msg[BOOKING_MESSAGE_MAX];
        short_message(rec->check_in + st->short_night, msg, sizeof msg);
        count_check("fresh");
        fail_early(run, "inventory_check", "INVENTORY_UNAVAILABLE", NULL, msg);
        return -1;
    }
    bool decided = st->availability == INVENTORY_STAY_FREE && st->fresh;
    count_check(decided ? "fresh" : "deferred");
    saga_note(run, "inventory_check", "succeeded",
              decided ? NULL : "not known fresh: the PMS hold decides");
    return 0;
}

/* Step 1b, rules_check: the rate plan is sold for the stay and none of its
 * restrictions (stop-sell, closed to arrival / departure, min / max length
 * of stay) is broken — as inventory-svc's fresh rates state them. Rules it
 * could not state are left to the PMS. */
static int step_rules_check(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    const inventory_stay_t *st = &run->stay;
    if (st->plans_known && st->plan_missing) {
        char msg[BOOKING_MESSAGE_MAX];
        snprintf(msg, sizeof msg,
                 "ratePlanId: 이 객실 유형에 없는 요금제입니다: %s (unknown rate plan for the "
                 "room type, or not sold on every night of the stay)",
                 rec->rate_plan_id[0] ? rec->rate_plan_id : "base");
        fail_early(run, "rules_check", "RATE_PLAN_NOT_FOUND", "ratePlanId", msg);
        return -1;
    }
    selling_rules_verdict_t v;
    if (st->plans_known &&
        selling_rules_check(st->rules, rec->check_out - rec->check_in, rec->check_in, &v) != 0) {
        fail_early(run, "rules_check", v.code, NULL, v.message);
        return -1;
    }
    saga_note(run, "rules_check", "succeeded",
              st->plans_known ? NULL : "rate plans not known fresh: the PMS decides");
    return 0;
}

/* Step 1c, policy: the rate plan's cancellation policy (its own, else the
 * hotel's, as configured on the platform; else the one the hotel's PMS
 * states for the plan), snapshotted into the booking with the first night's price it may
 * name — a cancel is judged by what the guest was shown — and into the
 * answer, in words. Looked up before the booking is written, so the snapshot
 * goes in with the booking's own INSERT. No policy configured: cancels are
 * free. 0, or -2 when MariaDB cannot say. */
static int step_policy(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    const inventory_stay_t *st = &run->stay;
    char stored[512];
    db_t *db = db_pool_acquire(run->app->db);
    if (!db)
        return -2;
    /* policies are the connector's vendor's ("sandbox" speaks its wire format) */
    int found = store_cancel_policy_find(db, pms_hotel_vendor(run->app->pms, rec->hotel_id), rec->hotel_id,
                                         rec->rate_plan_id[0] ? rec->rate_plan_id : "base", stored,
                                         sizeof stored);
    db_pool_release(run->app->db, db);
    if (found < 0)
        return -2;
    /* none configured on the platform: the plan's own policy as the
     * hotel's PMS states it (OPERA's cancellation rules) */
    if (found == 0 && st->pms_cancel_policy[0]) {
        snprintf(stored, sizeof stored, "%s", st->pms_cancel_policy);
        found = 1;
    }
    cancel_policy_t p;
    if (found == 1 && cancel_policy_parse(stored, &p) == 0) {
        int nights = rec->check_out - rec->check_in;
        int rooms = rec->rooms > 0 ? rec->rooms : 1;
        p.first_night = st->price_known && st->first_night > 0 ? st->first_night * rooms
                                                               : rec->amount / nights;
        char *snapshot = cancel_policy_to_json(&p, rec->check_in, 0, NULL);
        char *shown = cancel_policy_to_json(&p, rec->check_in, rec->amount, rec->currency);
        int rc = snapshot ? 0 : -2;
        if (snapshot) {
            snprintf(rec->cancel_policy, sizeof rec->cancel_policy, "%s", snapshot);
            snprintf(run->out->cancellation_policy, sizeof run->out->cancellation_policy, "%s",
                     shown ? shown : "");
        }
        free(snapshot);
        free(shown);
        return rc;
    }
    if (found == 1)
        log_kv(LOG_LEVEL_WARN, "configured cancellation policy unreadable; none applied",
               "hotelId", rec->hotel_id, NULL);
    return 0;
}

/* The amount the client pays against the hotel's price for the stay: the
 * fresh cached rates when known (a mismatch is refused with no PMS request),
 * and in every case the total the PMS states when it takes the hold
 * (step_hold), which is the price of record. */
/* Whether the party has more adults or children than the room type's
 * rate includes (as the PMS states it) in the rooms booked: then the
 * nights' cached rates are not its price. */
static bool party_beyond_rate(const saga_run_t *run)
{
    const booking_record_t *rec = &run->rec;
    int rooms = rec->rooms > 0 ? rec->rooms : 1;
    if (run->party_priced || run->adults_included <= 0)
        return false; /* priced for the party already, or the PMS does not say */
    return rec->adults > run->adults_included * rooms ||
           rec->children > run->children_included * rooms;
}

/* The party's price from the PMS (one request: Cloudbeds' rates for the
 * adults and children), into run->stay; 0, or -1 when the PMS could not
 * state it for one room (the hold's total decides then). */
static int party_price(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    if (rec->rooms > 1)
        return -1; /* how the party spreads over the rooms is the hold's business */
    pms_stay_check_t sc;
    pms_error_t e;
    int64_t t0 = clock_now_ms();
    pms_err_t pe = pms_check_stay_plan(run->app->pms, rec->hotel_id, rec->room_type_id,
                                       rec->check_in, rec->check_out, 1, rec->adults, rec->children,
                                       rec->rate_plan_id, &sc, &e);
    saga_observe_step("amount_check", t0);
    if (pe != PMS_OK || !sc.bookable || sc.total == PMS_TOTAL_UNKNOWN)
        return -1;
    /* the PMS prices the party all in; its tax and first night replace the
     * included occupancy's (the first night is what a first-night
     * cancellation fee charges) */
    run->stay.price = sc.total;
    run->stay.tax_known = sc.tax_known;
    run->stay.tax = sc.tax_known ? sc.tax : 0;
    run->stay.tax_free = sc.tax_known ? sc.tax_free : 0;
    run->stay.first_night = sc.first_night != PMS_TOTAL_UNKNOWN ? sc.first_night : 0;
    snprintf(run->stay.currency, sizeof run->stay.currency, "%s", sc.currency);
    run->party_priced = true;
    return 0;
}

static int step_amount_check(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    const inventory_stay_t *st = &run->stay;
    if (!st->price_known) {
        saga_note(run, "amount_check", "succeeded",
                  "price not known fresh: checked against the hold's total");
        return 0;
    }
    int rooms = rec->rooms > 0 ? rec->rooms : 1;
    if (party_beyond_rate(run) && party_price(run) != 0) {
        saga_note(run, "amount_check", "succeeded",
                  "the party's price not known: checked against the hold's total");
        return 0;
    }
    /* the nights' price is one room's, all in (taxes and fees the PMS adds
     * to the rate): the guest pays for every room, and the charges per guest
     * and per stay once for the stay (a party priced by the PMS is the
     * stay's price already) */
    int64_t tax = st->tax, tax_free = st->tax_free;
    int64_t price = run->party_priced ? st->price
                                      : inventory_stay_price(st, rooms, rec->adults, rec->children,
                                                             &tax, &tax_free);
    if (st->tax_known) {
        rec->tax_amount = tax;
        rec->tax_free_amount = tax_free;
    }
    if (strcmp(st->currency, rec->currency) != 0 || price != rec->amount) {
        char msg[BOOKING_MESSAGE_MAX];
        amount_mismatch_message(price, st->currency, rec->currency, msg, sizeof msg);
        fail_early(run, "amount_check", "AMOUNT_MISMATCH", NULL, msg);
        return -1;
    }
    saga_note(run, "amount_check", "succeeded", NULL);
    return 0;
}

/* The night a PMS "no availability" names (the sandbox and Cloudbeds say
 * "... on YYYY-MM-DD"), when it lies in the stay; else the first night. */
static dates_day_t refused_night(const booking_record_t *rec, const char *message)
{
    for (const char *p = message; p && *p; p++) {
        dates_day_t d;
        char day[DATES_ISO_LEN + 1];
        if (strlen(p) < DATES_ISO_LEN)
            break;
        memcpy(day, p, DATES_ISO_LEN);
        day[DATES_ISO_LEN] = '\0';
        if (dates_parse_iso(day, &d) == 0 && d >= rec->check_in && d < rec->check_out)
            return d;
    }
    return rec->check_in;
}

/* The PMS said "no availability" while other checkouts of ours hold rooms of
 * this stay: when one of them fails (a declined card, a lapsed hold) its room
 * is free again, so wait for them — never past the contention deadline — and
 * say whether trying the hold again makes sense. */
static bool rival_may_free_a_room(saga_run_t *run, int64_t deadline_ms)
{
    char ids[STORE_RIVALS_MAX][BOOKING_ID_MAX];
    db_t *db = db_pool_acquire(run->app->db);
    if (!db)
        return false;
    int n = store_rival_holds(db, &run->rec, ids, STORE_RIVALS_MAX);
    db_pool_release(run->app->db, db);
    bool released = false;
    int pending = n;
    while (pending > 0 && !released && clock_now_ms() < deadline_ms) {
        int64_t pause = SAGA_RIVAL_POLL_MS + (int64_t)(clock_now_ms() % SAGA_RIVAL_POLL_MS);
        int64_t left = deadline_ms - clock_now_ms();
        /* no connection is held while waiting: many checkouts may wait at once */
        clock_source_system()->sleep_ms(NULL, pause < left ? pause : left);
        if (!(db = db_pool_acquire(run->app->db)))
            break;
        pending = store_rivals_pending(db, ids, n, &released);
        db_pool_release(run->app->db, db);
    }
    return released;
}

/* One hold request; PMS_OK fills hold. */
static pms_err_t request_hold(saga_run_t *run, const booking_request_t *rq, pms_hold_t *hold,
                              pms_error_t *e)
{
    booking_record_t *rec = &run->rec;
    pms_hold_request_t hr = {.hotel_id = rec->hotel_id,
                             .room_type_id = rec->room_type_id,
                             .check_in = rec->check_in,
                             .check_out = rec->check_out,
                             .rooms = rec->rooms > 0 ? rec->rooms : 1,
                             .adults = rec->adults,
                             .children = rec->children,
                             .guest = {.first_name = rq->first_name,
                                       .last_name = rq->last_name,
                                       .email = rq->email,
                                       .phone = rq->phone},
                             .ttl_seconds = run->app->hold_ttl_s,
                             .reference = rec->booking_id,
                             .rate_plan_id = rec->rate_plan_id};
    int64_t t0 = clock_now_ms();
    pms_err_t pe = pms_create_hold(run->app->pms, &hr, hold, e);
    saga_observe_step("hold", t0);
    return pe;
}

/* A failed hold: recorded, and the saga failed with what it means. */
static int hold_failed(saga_run_t *run, pms_err_t pe, const pms_error_t *e)
{
    booking_record_t *rec = &run->rec;
    char msg[BOOKING_MESSAGE_MAX], detail[BOOKING_MESSAGE_MAX];
    /* no answer at all: the PMS may still make the hold (compensation
     * looks for it by reference until the hold would have lapsed) */
    run->flags.hold_in_doubt = pe == PMS_ERR_TRANSIENT && e->http_status == 0;
    snprintf(detail, sizeof detail, "%s%s: %s", run->flags.hold_in_doubt ? "in doubt: " : "",
             pms_err_name(pe), e->message);
    saga_record(run, "hold", "failed", detail, false, NULL, NULL);
    const char *capacity = pms_capacity_code(pe);
    if (capacity) {
        fail_capacity(run, capacity, e);
    } else if (pe == PMS_ERR_NO_AVAILABILITY) {
        short_message(refused_night(rec, e->message), msg, sizeof msg);
        saga_fail(run, "INVENTORY_UNAVAILABLE", msg);
    } else if (pe == PMS_ERR_NOT_FOUND) {
        saga_fail(run, "VALIDATION_ERROR",
                  "hotelId/roomTypeId: 호텔 또는 객실 유형을 찾을 수 없습니다 (unknown hotel or "
                  "room type)");
        snprintf(run->out->field, sizeof run->out->field, "roomTypeId");
    } else {
        snprintf(msg, sizeof msg, "객실 확보 실패 (hold failed: %s)",
                 e->message[0] ? e->message : pms_err_name(pe));
        saga_fail(run, "HOLD_FAILED", msg);
    }
    return -1;
}

/* Step 3, hold: the PMS hold, recorded in Redis too. The PMS's answer is
 * the authoritative availability check and states the price of record, which
 * must be the amount the client pays. */
static int step_hold(saga_run_t *run, const booking_request_t *rq)
{
    booking_record_t *rec = &run->rec;
    if (saga_step_start(run, "hold") != 0)
        return -2;
    run->flags.hold_started = true;
    int64_t deadline = clock_now_ms() + run->app->contention_wait_ms;
    pms_hold_t hold;
    pms_error_t e;
    pms_err_t pe = request_hold(run, rq, &hold, &e);
    saga_crash_point(run, "hold");
    while (pe == PMS_ERR_NO_AVAILABILITY && rival_may_free_a_room(run, deadline)) {
        metrics_counter_inc(metrics_counter("booking_hold_retries_total",
                                            "Holds tried again after another checkout of ours "
                                            "that held the last rooms failed",
                                            0));
        pe = request_hold(run, rq, &hold, &e);
    }
    if (pe != PMS_OK)
        return hold_failed(run, pe, &e);
    saga_count_hold("created");
    snprintf(rec->hold_id, sizeof rec->hold_id, "%s", hold.hold_id);
    rec->hold_expires_at_ms = hold.expires_at_ms;
    saga_hold_record_set(run);
    run->flags.hold_succeeded = true;
    bool mismatch =
        hold.total > 0 && (strcmp(hold.currency, rec->currency) != 0 || hold.total != rec->amount);
    /* the pre-authorisation starts in the same transaction, unless the
     * hold's total ends the saga here */
    if (saga_record_next(run, "hold", "succeeded", rec->hold_id, true, NULL, "held",
                         mismatch ? NULL : "preauth", false) != 0)
        return -2;
    if (mismatch) {
        char msg[BOOKING_MESSAGE_MAX];
        amount_mismatch_message(hold.total, hold.currency, rec->currency, msg, sizeof msg);
        saga_record(run, "amount_check", "failed", "the hold's total differs", false, NULL, NULL);
        saga_fail(run, "AMOUNT_MISMATCH", msg);
        return -1;
    }
    return 0;
}

/* The pre-authorisation request of this booking: a card token (Stripe), or
 * the Toss payment window's result / a saved card, whose approval is the
 * pre-authorisation. key is "<bookingId>:preauth" (stable across restarts). */
pay_preauth_request_t saga_preauth_request(const saga_run_t *run, const char *key)
{
    const booking_record_t *rec = &run->rec;
    const booking_request_t *rq = run->rq;
    pay_preauth_request_t pr = {.amount = rec->amount,
                                .currency = rec->currency,
                                .card_token = run->card_token,
                                .idempotency_key = key,
                                .description = "lodging booking",
                                .booking_id = rec->booking_id};
    if (strcmp(rec->payment_provider, BOOKING_PROVIDER_TOSS) == 0) {
        pr.card_token = NULL;
        pr.order_id = rec->payment_order_id;
        pr.payment_key = rq && rq->payment_key[0] ? rq->payment_key : NULL;
        pr.billing_key = rq && rq->billing_key[0] ? rq->billing_key : NULL;
        pr.customer_key = rq && rq->customer_key[0] ? rq->customer_key : NULL;
        /* the taxable / tax-free split: the fees the hotel charges no tax
         * on are tax-free, the rest taxable (Toss takes the VAT as 1/11 of
         * it, the VAT a Korean rate holds); not known (-1) when the price
         * was not known fresh — then the window's own split stands */
        pr.tax_free_amount = rec->tax_free_amount;
    }
    return pr;
}

/* A failed pre-authorisation, as the guest is told (Korean, actionable; the
 * gateway's own code goes to the step log and the logs only). */
static void preauth_failed(saga_run_t *run, pay_err_t pe, const pay_error_t *e)
{
    char msg[BOOKING_MESSAGE_MAX], detail[BOOKING_MESSAGE_MAX];
    bool toss = strcmp(run->rec.payment_provider, BOOKING_PROVIDER_TOSS) == 0;
    if (toss)
        snprintf(msg, sizeof msg, "결제 승인 실패: %s (payment approval failed: %s)",
                 booking_pay_guest_message(pe, e->vendor_code), pay_err_name(pe));
    else
        snprintf(msg, sizeof msg, "결제 승인 실패 (payment pre-authorisation failed: %s)",
                 e->message[0] ? e->message : pay_err_name(pe));
    snprintf(detail, sizeof detail, "%s%s%s", pay_err_name(pe), e->vendor_code[0] ? " " : "",
             e->vendor_code);
    saga_record(run, "preauth", "failed", detail, false, NULL, NULL);
    saga_fail(run, "PAYMENT_PREAUTH_FAILED", msg);
    const char *code = booking_pay_error_code(pe, e->vendor_code);
    snprintf(run->out->payment_error, sizeof run->out->payment_error, "%s", code ? code : "");
}

/* Step 4, preauth: pre-authorise; the auth id is persisted before moving on. */
static int step_preauth(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    if (saga_step_start(run, "preauth") != 0)
        return -2;
    run->flags.preauth_started = true;
    char key[BOOKING_ID_MAX + 16];
    snprintf(key, sizeof key, "%s:preauth", rec->booking_id);
    pay_preauth_request_t pr = saga_preauth_request(run, key);
    pay_payment_t auth;
    pay_error_t e;
    int64_t t0 = clock_now_ms();
    pay_err_t pe = payment_preauthorize(saga_pay(run), &pr, &auth, &e);
    saga_observe_step("preauth", t0);
    saga_crash_point(run, "preauth");
    if (pe != PAY_OK) {
        preauth_failed(run, pe, &e);
        return -1;
    }
    snprintf(rec->payment_auth_id, sizeof rec->payment_auth_id, "%s", auth.id);
    snprintf(rec->payment_status, sizeof rec->payment_status, "authorized");
    run->flags.preauth_succeeded = true;
    if (auth.method[0]) {
        /* what the guest paid with (card, 토스페이, ...), for support and reports */
        db_t *db = db_pool_acquire(run->app->db);
        if (db) {
            booking_payment_set_method(db, rec->booking_id, auth.method, auth.easy_pay);
            db_pool_release(run->app->db, db);
        }
    }
    return saga_record_next(run, "preauth", "succeeded", NULL, true, NULL, "payment_authorized",
                            "confirm", false);
}

/* Step 5, confirm: confirm the hold in the PMS (never an expired one). */
static int step_confirm(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    if (saga_step_start(run, "confirm") != 0)
        return -2;
    run->flags.confirm_started = true;
    pms_reservation_t res;
    pms_error_t e;
    int64_t t0 = clock_now_ms();
    pms_err_t pe = pms_confirm_own_hold(run->app->pms, rec->hotel_id, rec->hold_id,
                                        rec->hold_expires_at_ms, &res, &e);
    saga_observe_step("confirm", t0);
    saga_crash_point(run, "confirm");
    if (pe != PMS_OK) {
        char msg[BOOKING_MESSAGE_MAX];
        if (pe == PMS_ERR_CONFLICT)
            saga_count_hold("expired");
        snprintf(msg, sizeof msg, "예약 확정 실패 (booking confirmation failed: %s)",
                 e.message[0] ? e.message : pms_err_name(pe));
        saga_record(run, "confirm", "failed", msg, false, NULL, NULL);
        const char *capacity = pms_capacity_code(pe);
        if (capacity)
            fail_capacity(run, capacity, &e);
        else
            saga_fail(run, "BOOKING_CONFIRM_FAILED", msg);
        return -1;
    }
    saga_count_hold("confirmed");
    snprintf(rec->reservation_id, sizeof rec->reservation_id, "%s", res.reservation_id);
    snprintf(rec->confirmation_number, sizeof rec->confirmation_number, "%s",
             res.confirmation_number[0] ? res.confirmation_number : res.reservation_id);
    snprintf(rec->status, sizeof rec->status, "confirmed");
    run->flags.confirm_succeeded = true;
    saga_hold_record_del(run);
    return saga_record_next(run, "confirm", "succeeded", rec->reservation_id, true, NULL,
                            "confirmed", "capture", false);
}

void saga_checkout(booking_app_t *app, const booking_request_t *rq, const char *idem_key,
                   saga_result_t *out)
{
    memset(out, 0, sizeof *out);
    saga_run_t run = {
        .app = app, .out = out, .card_token = rq->card_token, .idem_key = idem_key, .rq = rq};
    saga_new_owner(app, run.owner, sizeof run.owner);
    /* The checks that call no vendor run before the booking is written, so
     * their step rows and the hold's "started" go in its first transaction. */
    int rc = saga_describe(&run, rq);
    if (rc == 0 && step_occupancy_check(&run) == 0 && step_inventory_check(&run) == 0 &&
        step_rules_check(&run) == 0 && step_amount_check(&run) == 0)
        rc = step_policy(&run);
    int begun = rc != 0 ? -1 : saga_begin(&run, rq, idem_key);
    if (begun == -2) {
        result_error(out, "VALIDATION_ERROR", "payment.orderId",
                     "payment.orderId: 이미 다른 예약에 사용된 주문번호입니다 (the orderId already "
                     "pays for another booking)");
        out->booking_id[0] = '\0';
        saga_active_remove(app->active, run.rec.booking_id);
        saga_count_outcome("VALIDATION_ERROR");
        return;
    }
    if (begun != 0) {
        result_error(out, "INTERNAL_ERROR", NULL,
                     "내부 오류 (internal error: the booking could not be recorded)");
        out->booking_id[0] = '\0';
        saga_active_remove(app->active, run.rec.booking_id);
        saga_count_outcome("INTERNAL_ERROR");
        return;
    }
    if (run.early_code[0]) {
        saga_fail(&run, run.early_code, run.early_message);
        if (run.early_field[0])
            snprintf(out->field, sizeof out->field, "%s", run.early_field);
        rc = -1;
    }
    if (rc == 0)
        rc = step_hold(&run, rq);
    if (rc == 0)
        rc = step_preauth(&run);
    if (rc == 0)
        rc = step_confirm(&run);
    if (rc == 0)
        rc = saga_capture_and_finish(&run);
    if (!out->success && !out->error_code[0]) {
        /* a database failure between steps: compensate what was done */
        if (!run.lease_lost)
            saga_fail(&run, "INTERNAL_ERROR",
                      "내부 오류 (internal error; the booking was rolled back)");
        else
            result_error(out, "INTERNAL_ERROR", NULL,
                         "내부 오류 (internal error: the booking is being recovered)");
    }
    crypto_wipe(run.card_token_buf, sizeof run.card_token_buf);
    saga_finish_lease(&run);
    saga_active_remove(app->active, run.rec.booking_id);
}
