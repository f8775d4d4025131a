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
#include "idempotency.h"
#include "inventory_client.h"
#include "outbox.h"

/* ------------------------------------------------------------ metrics -- */

void saga_count_outcome(const char *code)
{
    metrics_counter_inc(metrics_counter("booking_saga_outcomes_total",
                                        "Checkout sagas by outcome (OK or the error code)", 1,
                                        "code"),
                        code);
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
    json_object_object_add(d, "status", json_object_new_string(rec->status));
    json_object_object_add(d, "amount", json_object_new_int64(rec->amount));
    json_object_object_add(d, "currency", json_object_new_string(rec->currency));
    if (rec->hold_id[0])
        json_object_object_add(d, "holdId", json_object_new_string(rec->hold_id));
    if (rec->hold_expires_at_ms > 0) {
        char t[DATES_RFC3339_LEN + 1];
        dates_format_rfc3339(rec->hold_expires_at_ms, t);
        json_object_object_add(d, "holdExpiresAt", json_object_new_string(t));
    }
    if (rec->payment_auth_id[0])
        json_object_object_add(d, "paymentAuthId", json_object_new_string(rec->payment_auth_id));
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

int saga_record(saga_run_t *run, const char *step, const char *outcome, const char *detail,
                bool update_booking, const char *state, const char *event_suffix)
{
    booking_app_t *app = run->app;
    db_t *db = db_pool_acquire(app->db);
    if (!db)
        return -1;
    int rc = -1;
    if (db_begin(db) != DB_OK)
        goto out;
    int held = store_lease_renew(db, run->rec.booking_id, run->owner, app->saga_lease_s);
    if (held == 0) {
        run->lease_lost = true;
        log_kv(LOG_LEVEL_WARN, "saga lease lost; another process drives it", "bookingId",
               run->rec.booking_id, NULL);
    }
    if (held != 1 || (update_booking && store_booking_update(db, &run->rec) != 0) ||
        store_step(db, run->rec.booking_id, step, outcome, detail) != 0 ||
        store_saga_set(db, run->rec.booking_id, state, step) != 0 ||
        (event_suffix && saga_append_event(db, &run->rec, event_suffix, NULL) != 0)) {
        db_rollback(db);
        goto out;
    }
    if (db_commit(db) != DB_OK)
        goto out;
    rc = 0;
    if (event_suffix)
        outbox_relay_kick(app->relay);
out:
    db_pool_release(app->db, db);
    return rc;
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
    db_t *db = db_pool_acquire(run->app->db);
    if (!db)
        return;
    store_lease_release(db, run->rec.booking_id, run->owner);
    db_pool_release(run->app->db, db);
}

/* ------------------------------------------------------ active sagas -- */

#define SAGA_OWNER_MAX 96

struct saga_active {
    pthread_mutex_t lock; /* guards ids, owners, count, cap and stopping */
    pthread_cond_t wake;  /* wakes the lease keeper to stop */
    char (*ids)[BOOKING_ID_MAX];
    char (*owners)[SAGA_OWNER_MAX];
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
        if (owners) {
            a->owners = owners;
            a->cap = cap;
        }
    }
    if (a->count < a->cap) {
        snprintf(a->ids[a->count], BOOKING_ID_MAX, "%s", id);
        snprintf(a->owners[a->count], SAGA_OWNER_MAX, "%s", owner);
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
            a->count--;
            break;
        }
    pthread_mutex_unlock(&a->lock);
}

/* Renews the lease of every saga in a (a snapshot: a saga that ends
 * meanwhile keeps a lease no one uses until it lapses, which is harmless). */
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
    for (size_t i = 0; db && i < n; i++)
        if (store_lease_renew(db, ids[i], owners[i], a->lease_s) == 0)
            log_kv(LOG_LEVEL_DEBUG, "saga lease already taken over", "bookingId", ids[i], NULL);
    if (db)
        db_pool_release(a->db, db);
    free(ids);
    free(owners);
}

static void *lease_keeper_main(void *arg)
{
    struct saga_active *a = arg;
    int period_s = a->lease_s / 3 > 1 ? a->lease_s / 3 : 1;
    pthread_mutex_lock(&a->lock);
    while (!a->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += period_s;
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

/* ------------------------------------------------------------ results -- */

int saga_error_status(const char *code)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {{"VALIDATION_ERROR", 400},
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
        return o;
    }
    json_object_object_add(o, "error", json_object_new_string(r->message));
    json_object_object_add(o, "errorCode", json_object_new_string(r->error_code));
    if (r->field[0])
        json_object_object_add(o, "field", json_object_new_string(r->field));
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
static int saga_begin(saga_run_t *run, const booking_request_t *rq, const char *idem_key)
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
    rec->created_ms = clock_wall_ms();
    saga_active_add(app->active, rec->booking_id, run->owner);
    snprintf(run->out->booking_id, sizeof run->out->booking_id, "%s", rec->booking_id);

    uint8_t *guest = NULL;
    size_t guest_len = 0;
    char *saga_data = NULL;
    int rc = -1;
    db_t *db = NULL;
    if (seal(app, rq, rec->booking_id, &guest, &guest_len, &saga_data) != 0)
        goto out;
    db = db_pool_acquire(app->db);
    if (!db || db_begin(db) != DB_OK)
        goto out;
    if (store_booking_insert(db, rec, guest, guest_len, saga_data, run->owner, app->saga_lease_s) !=
            0 ||
        store_step(db, rec->booking_id, "inventory_check", "started", NULL) != 0 ||
        (idem_key && idempotency_attach_booking(db, IDEMPOTENCY_SCOPE_CHECKOUT, idem_key,
                                                rec->booking_id) != 0) ||
        saga_append_event(db, rec, "requested", NULL) != 0) {
        db_rollback(db);
        goto out;
    }
    rc = db_commit(db) == DB_OK ? 0 : -1;
    if (rc == 0)
        outbox_relay_kick(app->relay);
out:
    if (db)
        db_pool_release(app->db, db);
    free(guest);
    if (saga_data)
        crypto_wipe(saga_data, strlen(saga_data));
    free(saga_data);
    return rc;
}

/* ------------------------------------------------------------- steps -- */

/* Fails the saga before any side effect: nothing to compensate. */
static void fail_early(saga_run_t *run, const char *step, const char *code, const char *field,
                       const char *message)
{
    saga_record(run, step, "failed", message, false, NULL, NULL);
    saga_fail(run, code, message);
    if (field)
        snprintf(run->out->field, sizeof run->out->field, "%s", field);
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

/* Step 1, inventory_check: every night has a room. Asked of inventory-svc (its cache,
 * or the PMS on a miss), which spends none of the hotel's PMS budget when the
 * cache is warm. Only a fresh answer may refuse; anything it cannot say is
 * left to the hold, the PMS's own authoritative check. */
static int step_inventory_check(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    int nights = rec->check_out - rec->check_in;
    int64_t t0 = clock_now_ms();
    inventory_client_stay(run->app->inventory, rec->vendor, rec->hotel_id, rec->room_type_id,
                          rec->check_in, nights, &run->stay);
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
    if (st->availability == INVENTORY_STAY_SHORT && st->fresh && !rivals_hold_rooms(run)) {
        char msg[BOOKING_MESSAGE_MAX];
        short_message(rec->check_in + st->short_night, msg, sizeof msg);
        count_check("fresh");
        fail_early(run, "inventory_check", "INVENTORY_UNAVAILABLE", NULL, msg);
        return -1;
    }
    bool decided = st->availability == INVENTORY_STAY_FREE && st->fresh;
    count_check(decided ? "fresh" : "deferred");
    return saga_record(run, "inventory_check", "succeeded",
                       decided ? NULL : "not known fresh: the PMS hold decides", false, NULL, NULL);
}

/* The amount the client pays against the hotel's price for the stay: the
 * fresh cached rates when known (a mismatch is refused with no PMS request),
 * and in every case the total the PMS states when it takes the hold
 * (step_hold), which is the price of record. */
static int step_amount_check(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    const inventory_stay_t *st = &run->stay;
    if (!st->price_known)
        return saga_record(run, "amount_check", "succeeded",
                           "price not known fresh: checked against the hold's total", false, NULL,
                           NULL);
    if (strcmp(st->currency, rec->currency) != 0 || st->price != rec->amount) {
        char msg[BOOKING_MESSAGE_MAX];
        amount_mismatch_message(st->price, st->currency, rec->currency, msg, sizeof msg);
        fail_early(run, "amount_check", "AMOUNT_MISMATCH", NULL, msg);
        return -1;
    }
    return saga_record(run, "amount_check", "succeeded", NULL, false, NULL, NULL);
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
                             .rooms = 1,
                             .adults = rec->adults,
                             .children = rec->children,
                             .guest = {.first_name = rq->first_name,
                                       .last_name = rq->last_name,
                                       .email = rq->email,
                                       .phone = rq->phone},
                             .ttl_seconds = run->app->hold_ttl_s,
                             .reference = rec->booking_id};
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
    if (saga_record(run, "hold", "started", NULL, false, NULL, NULL) != 0)
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
    if (saga_record(run, "hold", "succeeded", rec->hold_id, true, NULL, "held") != 0)
        return -2;
    if (hold.total > 0 &&
        (strcmp(hold.currency, rec->currency) != 0 || hold.total != rec->amount)) {
        char msg[BOOKING_MESSAGE_MAX];
        amount_mismatch_message(hold.total, hold.currency, rec->currency, msg, sizeof msg);
        saga_record(run, "amount_check", "failed", "the hold's total differs", false, NULL, NULL);
        saga_fail(run, "AMOUNT_MISMATCH", msg);
        return -1;
    }
    return 0;
}

/* Step 4, preauth: pre-authorise; the auth id is persisted before moving on. */
static int step_preauth(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    if (saga_record(run, "preauth", "started", NULL, false, NULL, NULL) != 0)
        return -2;
    run->flags.preauth_started = true;
    char key[BOOKING_ID_MAX + 16];
    snprintf(key, sizeof key, "%s:preauth", rec->booking_id);
    pay_preauth_request_t pr = {.amount = rec->amount,
                                .currency = rec->currency,
                                .card_token = run->card_token,
                                .idempotency_key = key,
                                .description = "lodging booking",
                                .booking_id = rec->booking_id};
    pay_payment_t auth;
    pay_error_t e;
    int64_t t0 = clock_now_ms();
    pay_err_t pe = payment_preauthorize(run->app->pay, &pr, &auth, &e);
    saga_observe_step("preauth", t0);
    saga_crash_point(run, "preauth");
    if (pe != PAY_OK) {
        char msg[BOOKING_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "결제 승인 실패 (payment pre-authorisation failed: %s)",
                 e.message[0] ? e.message : pay_err_name(pe));
        saga_record(run, "preauth", "failed", pay_err_name(pe), false, NULL, NULL);
        saga_fail(run, "PAYMENT_PREAUTH_FAILED", msg);
        return -1;
    }
    snprintf(rec->payment_auth_id, sizeof rec->payment_auth_id, "%s", auth.id);
    snprintf(rec->payment_status, sizeof rec->payment_status, "authorized");
    run->flags.preauth_succeeded = true;
    return saga_record(run, "preauth", "succeeded", NULL, true, NULL, "payment_authorized");
}

/* Step 5, confirm: confirm the hold in the PMS (never an expired one). */
static int step_confirm(saga_run_t *run)
{
    booking_record_t *rec = &run->rec;
    if (saga_record(run, "confirm", "started", NULL, false, NULL, NULL) != 0)
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
    return saga_record(run, "confirm", "succeeded", rec->reservation_id, true, NULL, "confirmed");
}

void saga_checkout(booking_app_t *app, const booking_request_t *rq, const char *idem_key,
                   saga_result_t *out)
{
    memset(out, 0, sizeof *out);
    saga_run_t run = {.app = app, .out = out, .card_token = rq->card_token};
    saga_new_owner(app, run.owner, sizeof run.owner);
    if (saga_begin(&run, rq, idem_key) != 0) {
        result_error(out, "INTERNAL_ERROR", NULL,
                     "내부 오류 (internal error: the booking could not be recorded)");
        out->booking_id[0] = '\0';
        saga_active_remove(app->active, run.rec.booking_id);
        saga_count_outcome("INTERNAL_ERROR");
        return;
    }
    int rc = step_inventory_check(&run);
    if (rc == 0)
        rc = step_amount_check(&run);
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
