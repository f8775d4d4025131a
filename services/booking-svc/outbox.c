/*
 * outbox.c — the transactional outbox and its relay (see outbox.h).
 *
 * A row holds the whole CloudEvent (structured mode) as written by
 * outbox_append, extensions included: the checkout's trace context
 * (traceparent, tracestate) is stored with the row that way, so the relay
 * publishes the event in the trace of the request that caused it. The relay
 * sends each row in binary content mode (attributes as ce_* headers, the data
 * as the value, aggregate_id as the key), then marks the acknowledged prefix of
 * its batch published. A row that does not parse (never written by
 * outbox_append) goes out as stored, in structured mode, which consumers read
 * too.
 */
#include "outbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/cloudevents.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/retry.h"

/* How long a batch waits for its delivery reports beyond the producer's own
 * message timeout; a report that comes later only frees its slot. */
#define OUTBOX_REPORT_WAIT_MS (KAFKA_DEFAULT_MESSAGE_TIMEOUT_MS + 5000)
#define OUTBOX_FLUSH_POLL_MS 20
#define OUTBOX_STOP_CHECK_MS 100
/* How often a relay that keeps finding full batches counts what is left. */
#define OUTBOX_COUNT_EVERY_MS 5000

/* ------------------------------------------------------------- append -- */

/* The outbox's aggregate_type: the topic's first dotted word ("booking", "ops"). */
static void aggregate_type_of(const char *topic, char *out, size_t size)
{
    size_t n = strcspn(topic, ".");
    if (n >= size)
        n = size - 1;
    memcpy(out, topic, n);
    out[n] = '\0';
}

int outbox_event_build(const char *topic, const char *aggregate_id, const char *type,
                       struct json_object *data, outbox_event_t *out)
{
    memset(out, 0, sizeof *out);
    if (!topic || !*topic || !aggregate_id || !*aggregate_id || !type || !*type)
        return -1;
    cloudevent_t *ev =
        cloudevent_new(type, OUTBOX_SOURCE, aggregate_id, data ? json_object_get(data) : NULL);
    if (!ev)
        return -1;
    out->payload = cloudevent_to_json(ev);
    snprintf(out->event_id, sizeof out->event_id, "%s", ev->id);
    aggregate_type_of(topic, out->aggregate_type, sizeof out->aggregate_type);
    cloudevent_free(ev);
    return out->payload ? 0 : -1;
}

void outbox_event_clear(outbox_event_t *ev)
{
    free(ev->payload);
    ev->payload = NULL;
}

int outbox_append(db_t *tx, const char *topic, const char *aggregate_id, const char *type,
                  struct json_object *data, char *event_id_out)
{
    if (!tx || !topic || !*topic || !aggregate_id || !*aggregate_id || !type || !*type)
        return -1;
    cloudevent_t *ev =
        cloudevent_new(type, OUTBOX_SOURCE, aggregate_id, data ? json_object_get(data) : NULL);
    if (!ev)
        return -1;
    char *json = cloudevent_to_json(ev);
    int rc = -1;
    if (json) {
        char aggregate_type[OUTBOX_AGGREGATE_TYPE_MAX];
        aggregate_type_of(topic, aggregate_type, sizeof aggregate_type);
        db_param_t p[] = {DB_STR(ev->id), DB_STR(aggregate_type), DB_STR(aggregate_id),
                          DB_STR(topic),  DB_STR(type),           DB_STR(json)};
        db_err_t e = db_exec(tx,
                             "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, topic, "
                             "event_type, payload) VALUES (?, ?, ?, ?, ?, ?)",
                             p, 6, NULL, NULL);
        if (e == DB_OK) {
            rc = 0;
            if (event_id_out)
                snprintf(event_id_out, 37, "%s", ev->id);
        } else {
            log_error("outbox: cannot append %s for %s: %s", type, aggregate_id, db_error(tx));
        }
    }
    free(json);
    cloudevent_free(ev);
    return rc;
}

int outbox_append_event(db_t *tx, const char *topic, const char *key, const cloudevent_t *ev,
                        bool *appended)
{
    if (appended)
        *appended = false;
    if (!tx || !topic || !*topic || !key || !*key || !ev || !ev->id || !ev->type)
        return -1;
    char *json = cloudevent_to_json(ev);
    if (!json)
        return -1;
    char aggregate_type[OUTBOX_AGGREGATE_TYPE_MAX];
    aggregate_type_of(topic, aggregate_type, sizeof aggregate_type);
    db_param_t p[] = {DB_STR(ev->id), DB_STR(aggregate_type), DB_STR(key),
                      DB_STR(topic),  DB_STR(ev->type),       DB_STR(json)};
    uint64_t affected = 0;
    /* the id is the event's identity: a row already there is this event */
    db_err_t e = db_exec(tx,
                         "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, topic, "
                         "event_type, payload) VALUES (?, ?, ?, ?, ?, ?) "
                         "ON DUPLICATE KEY UPDATE event_id = event_id",
                         p, 6, &affected, NULL);
    free(json);
    if (e != DB_OK) {
        log_error("outbox: cannot append %s for %s: %s", ev->type, key, db_error(tx));
        return -1;
    }
    if (appended)
        *appended = affected == 1;
    return 0;
}

long outbox_purge(db_t *db, long retention_s, int limit)
{
    db_param_t p[] = {DB_INT(retention_s), DB_INT(limit)};
    uint64_t n = 0;
    if (!db || db_exec(db,
                       "DELETE FROM outbox WHERE published_at IS NOT NULL AND "
                       "published_at < NOW(3) - INTERVAL ? SECOND ORDER BY id LIMIT ?",
                       p, 2, &n, NULL) != DB_OK)
        return -1;
    return (long)n;
}

long outbox_unpublished(db_t *db)
{
    db_result_t *res = NULL;
    if (!db || db_query(db, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL", NULL, 0,
                        &res) != DB_OK)
        return -1;
    int64_t n = -1;
    if (db_result_rows(res) != 1 || db_result_int64(res, 0, 0, &n) != 0)
        n = -1;
    db_result_free(res);
    return (long)n;
}

/* -------------------------------------------------------------- batch -- */

/* One pass's in-flight messages. Delivery reports arrive on the producer's
 * thread; the batch is freed by whoever drops the last reference (the relay
 * may stop waiting before a late report comes). */
typedef struct batch {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t done;
    int refs;            /* the relay's + one per queued message without a report */
    size_t reported;     /* reports received */
    int *result;         /* per row: 0 unknown, 1 delivered, -1 failed */
    char first_err[256]; /* the first failure, for the log */
} batch_t;

typedef struct batch_slot {
    batch_t *batch;
    size_t index;
} batch_slot_t;

static batch_t *batch_new(size_t rows)
{
    batch_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->result = calloc(rows ? rows : 1, sizeof *b->result);
    if (!b->result) {
        free(b);
        return NULL;
    }
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->done, NULL);
    b->refs = 1;
    return b;
}

/* Drops one reference; the last one frees. Called with b->lock held; unlocks. */
static void batch_unref_locked(batch_t *b)
{
    int left = --b->refs;
    pthread_mutex_unlock(&b->lock);
    if (left == 0) {
        pthread_mutex_destroy(&b->lock);
        pthread_cond_destroy(&b->done);
        free(b->result);
        free(b);
    }
}

/* kafka_delivery_fn: the only place a send is known to have succeeded. */
static void on_delivery(void *opaque, int err, const char *errstr)
{
    batch_slot_t *slot = opaque;
    batch_t *b = slot->batch;
    pthread_mutex_lock(&b->lock);
    b->result[slot->index] = err == 0 ? 1 : -1;
    if (err != 0 && !b->first_err[0])
        snprintf(b->first_err, sizeof b->first_err, "%s", errstr ? errstr : "delivery failed");
    b->reported++;
    pthread_cond_broadcast(&b->done);
    free(slot);
    batch_unref_locked(b);
}

/* -------------------------------------------------------------- relay -- */

struct outbox_relay {
    outbox_relay_config_t cfg;
    char *topic_prefix;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stop, kicked */
    pthread_cond_t wake;
    bool stop;
    bool kicked;
    metric_t *unpublished_gauge, *published_total, *errors_total;
    /* Leadership for a session: the connection holding the named lock is
     * kept (out of the pool) while this relay leads; its server session id
     * tells whether the lock survived (a reconnect drops it). */
    db_t *leader_db;
    unsigned long leader_session;
    int64_t counted_at_ms; /* when the unpublished gauge was last counted */
};

static bool relay_stopping(outbox_relay_t *r)
{
    pthread_mutex_lock(&r->lock);
    bool stop = r->stop;
    pthread_mutex_unlock(&r->lock);
    return stop;
}

typedef enum { PASS_IDLE, PASS_MORE, PASS_FAILED, PASS_NOT_LEADER } pass_result_t;

/* Sends rows [0, n) of res and waits for their reports. Returns how many
 * leading rows were delivered (the prefix that may be marked published). */
static size_t publish_rows(outbox_relay_t *r, db_result_t *res, size_t n, size_t *failed)
{
    batch_t *b = batch_new(n);
    if (!b) {
        *failed = n;
        return 0;
    }
    size_t queued = 0;
    for (size_t i = 0; i < n; i++) {
        const char *event_id = db_result_text(res, i, 1);
        const char *key = db_result_text(res, i, 2);
        const char *base_topic = db_result_text(res, i, 3);
        size_t len = 0;
        const char *payload = db_result_bytes(res, i, 5, &len);
        char topic[256], err[256];
        kafka_topic_name(r->topic_prefix, base_topic, topic, sizeof topic);
        cloudevent_t *ev = cloudevent_parse(payload, len, err, sizeof err);
        cloudevent_kafka_t msg = {.header_count = 0};
        if (!ev) {
            log_kv(LOG_LEVEL_WARN, "outbox: row is not a CloudEvent; sent as stored", "eventId",
                   event_id, "error", err, NULL);
            msg.headers[0] = (kafka_header_t){"content-type", CLOUDEVENT_CONTENT_TYPE};
            msg.header_count = 1;
        } else if ((!ev->dataschema && /* a row stored before events named their schema */
                    cloudevent_set_dataschema(ev, cloudevent_dataschema_of(ev->type)) != 0) ||
                   cloudevent_to_kafka(ev, &msg) != 0) {
            cloudevent_free(ev);
            break;
        }
        const char *value = ev ? msg.value : payload;
        size_t value_len = ev ? msg.len : len;
        batch_slot_t *slot = malloc(sizeof *slot);
        if (!slot) {
            cloudevent_kafka_clear(&msg);
            cloudevent_free(ev);
            break;
        }
        *slot = (batch_slot_t){b, i};
        pthread_mutex_lock(&b->lock);
        b->refs++;
        pthread_mutex_unlock(&b->lock);
        int sent =
            kafka_producer_send(r->cfg.producer, topic, key, strlen(key), value, value_len,
                                msg.headers, msg.header_count, on_delivery, slot, err, sizeof err);
        cloudevent_kafka_clear(&msg);
        cloudevent_free(ev);
        if (sent != 0) {
            log_warn("outbox: cannot queue event %s: %s", event_id, err);
            free(slot);
            pthread_mutex_lock(&b->lock);
            b->refs--;
            pthread_mutex_unlock(&b->lock);
            break; /* later rows would overtake this one: send them next pass */
        }
        queued++;
    }
    /* Wait for the reports in slices, so a stop does not wait out a broker that is down. */
    int64_t give_up = clock_now_ms() + OUTBOX_REPORT_WAIT_MS;
    pthread_mutex_lock(&b->lock);
    while (b->reported < queued && clock_now_ms() < give_up && !relay_stopping(r)) {
        struct timespec slice;
        clock_gettime(CLOCK_REALTIME, &slice);
        slice.tv_nsec += OUTBOX_STOP_CHECK_MS * 1000000L;
        if (slice.tv_nsec >= 1000000000L) {
            slice.tv_sec++;
            slice.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->done, &b->lock, &slice);
    }
    size_t prefix = 0;
    while (prefix < queued && b->result[prefix] == 1)
        prefix++;
    size_t bad = n - queued;
    for (size_t i = 0; i < queued; i++)
        bad += b->result[i] != 1;
    if (b->first_err[0])
        log_warn("outbox: %zu of %zu events not delivered: %s", bad, n, b->first_err);
    batch_unref_locked(b);
    *failed = bad;
    return prefix;
}

/* Sets published_at on the first `count` rows of res (by id). 0 or -1. */
static int mark_published(db_t *db, db_result_t *res, size_t count)
{
    /* By id lists of at most DB_MAX_PARAMS (never by id range: a transaction
     * that began earlier may still commit a row with an id inside the range). */
    static const char head[] =
        "UPDATE outbox SET published_at = NOW(3) WHERE published_at IS NULL AND id IN (";
    char sql[sizeof head + DB_MAX_PARAMS * 2 + 2];
    db_param_t p[DB_MAX_PARAMS];
    for (size_t start = 0; start < count; start += DB_MAX_PARAMS) {
        size_t n = count - start < DB_MAX_PARAMS ? count - start : DB_MAX_PARAMS;
        size_t off = (size_t)snprintf(sql, sizeof sql, "%s", head);
        for (size_t i = 0; i < n; i++) {
            off += (size_t)snprintf(sql + off, sizeof sql - off, i ? ",?" : "?");
            p[i] = DB_STR(db_result_text(res, start + i, 0));
        }
        snprintf(sql + off, sizeof sql - off, ")");
        if (db_exec(db, sql, p, n, NULL, NULL) != DB_OK) {
            log_error("outbox: cannot mark %zu events published: %s", n, db_error(db));
            return -1;
        }
    }
    return 0;
}

/* Takes the cross-replica relay lock on db's session: 1 taken, 0 held by another, -1 error.
 * The name carries the database's, so deployments sharing a server never wait on each other. */
static int relay_lock(db_t *db)
{
    db_param_t p[] = {DB_STR(OUTBOX_RELAY_LOCK_NAME)};
    db_result_t *res = NULL;
    if (db_query(db, "SELECT GET_LOCK(LEFT(CONCAT(?, ':', DATABASE()), 64), 0)", p, 1, &res) !=
        DB_OK)
        return -1;
    int64_t got = 0;
    int rc = db_result_rows(res) == 1 && db_result_int64(res, 0, 0, &got) == 0 && got == 1;
    db_result_free(res);
    return rc;
}

static void relay_unlock(db_t *db)
{
    db_param_t p[] = {DB_STR(OUTBOX_RELAY_LOCK_NAME)};
    db_result_t *res = NULL;
    if (db_query(db, "SELECT RELEASE_LOCK(LEFT(CONCAT(?, ':', DATABASE()), 64))", p, 1, &res) ==
        DB_OK)
        db_result_free(res);
}

/* Gives the leader's connection back to the pool (its lock released first
 * when the session still has it). */
static void relay_resign(outbox_relay_t *r)
{
    if (!r->leader_db)
        return;
    if (db_session_id(r->leader_db) == r->leader_session)
        relay_unlock(r->leader_db);
    db_pool_release(r->cfg.db, r->leader_db);
    r->leader_db = NULL;
    r->leader_session = 0;
}

/* The connection to run a pass on while leading: the one holding the lock,
 * or a pool connection that just took it. NULL with *result when not leader
 * or failed. */
static db_t *relay_lead(outbox_relay_t *r, pass_result_t *result)
{
    if (r->leader_db && db_session_id(r->leader_db) == r->leader_session && r->leader_session != 0)
        return r->leader_db;
    relay_resign(r); /* the session (and its lock) is gone: take it again */
    db_t *db = db_pool_acquire(r->cfg.db);
    if (!db) {
        *result = PASS_FAILED;
        return NULL;
    }
    int locked = relay_lock(db);
    if (locked <= 0) {
        db_pool_release(r->cfg.db, db);
        *result = locked == 0 ? PASS_NOT_LEADER : PASS_FAILED;
        return NULL;
    }
    r->leader_db = db;
    r->leader_session = db_session_id(db);
    return db;
}

/* Refreshes the unpublished gauge: exact when the pass saw the end of the
 * table, counted (at most every OUTBOX_COUNT_EVERY_MS) when rows remain. */
static void relay_gauge(outbox_relay_t *r, db_t *db, size_t seen, size_t delivered)
{
    if (seen < (size_t)r->cfg.batch_size) {
        metrics_gauge_set(r->unpublished_gauge, (double)(seen - delivered));
        return;
    }
    int64_t now = clock_now_ms();
    if (now - r->counted_at_ms < OUTBOX_COUNT_EVERY_MS)
        return;
    r->counted_at_ms = now;
    long left = outbox_unpublished(db);
    if (left >= 0)
        metrics_gauge_set(r->unpublished_gauge, (double)left);
}

/* One pass as the leader: publish up to batch_size unpublished rows in id order. */
static pass_result_t relay_pass(outbox_relay_t *r)
{
    pass_result_t result = PASS_FAILED;
    db_t *db = relay_lead(r, &result);
    if (!db)
        return result;
    db_param_t lim[] = {DB_INT(r->cfg.batch_size)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT id, event_id, aggregate_id, topic, event_type, payload FROM outbox "
                 "WHERE published_at IS NULL ORDER BY id LIMIT ?",
                 lim, 1, &res) != DB_OK) {
        log_error("outbox: cannot read unpublished events: %s", db_error(db));
        relay_resign(r);
        return PASS_FAILED;
    }
    size_t n = db_result_rows(res), delivered = 0;
    if (n == 0) {
        result = PASS_IDLE;
    } else {
        size_t failed = 0;
        delivered = publish_rows(r, res, n, &failed);
        if (mark_published(db, res, delivered) == 0) {
            metrics_counter_add(r->published_total, (double)delivered);
            if (failed == 0)
                result = n == (size_t)r->cfg.batch_size ? PASS_MORE : PASS_IDLE;
        }
        if (failed > 0) {
            metrics_counter_add(r->errors_total, (double)failed);
            db_param_t id[] = {DB_STR(db_result_text(res, delivered < n ? delivered : 0, 0))};
            db_exec(db, "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", id, 1, NULL,
                    NULL);
        }
    }
    db_result_free(res);
    if (result != PASS_FAILED)
        relay_gauge(r, db, n, delivered);
    /* after a failure another replica may do better; a pool of one
     * connection cannot spare it between passes */
    if (result == PASS_FAILED || db_pool_size(r->cfg.db) < 2)
        relay_resign(r);
    return result;
}

/* Sleeps up to ms on the relay's condition; a kick ends it early when wake_on_kick. */
static void relay_wait(outbox_relay_t *r, int64_t ms, bool wake_on_kick)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->lock);
    while (!r->stop && !(wake_on_kick && r->kicked)) {
        if (pthread_cond_timedwait(&r->wake, &r->lock, &deadline) == ETIMEDOUT)
            break;
    }
    r->kicked = false;
    pthread_mutex_unlock(&r->lock);
}

/* The relay thread: passes back to back while rows remain, the idle poll
 * otherwise, and exponential backoff with full jitter after a failure. */
static void *relay_main(void *arg)
{
    outbox_relay_t *r = arg;
    retry_policy_t backoff = RETRY_POLICY_DEFAULT;
    backoff.base_ms = OUTBOX_RETRY_BASE_MS;
    backoff.cap_ms = OUTBOX_RETRY_CAP_MS;
    int failures = 0;
    while (!relay_stopping(r)) {
        pass_result_t pr = relay_pass(r);
        switch (pr) {
        case PASS_MORE:
            failures = 0;
            break;
        case PASS_IDLE:
            failures = 0;
            relay_wait(r, r->cfg.poll_interval_ms, true);
            break;
        case PASS_NOT_LEADER:
            relay_wait(r, r->cfg.poll_interval_ms, false);
            break;
        case PASS_FAILED:
            relay_wait(r, retry_backoff_ms(&backoff, failures < 30 ? failures : 30), false);
            failures++;
            break;
        }
    }
    relay_resign(r);
    return NULL;
}

outbox_relay_t *outbox_relay_start(const outbox_relay_config_t *cfg, char *err, size_t err_size)
{
    if (!cfg || !cfg->db || !cfg->producer) {
        snprintf(err, err_size, "outbox relay: db and producer are required");
        return NULL;
    }
    outbox_relay_t *r = calloc(1, sizeof *r);
    if (!r || !(r->topic_prefix = strdup(cfg->topic_prefix ? cfg->topic_prefix : ""))) {
        free(r);
        snprintf(err, err_size, "outbox relay: out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->cfg.topic_prefix = r->topic_prefix;
    if (r->cfg.poll_interval_ms <= 0)
        r->cfg.poll_interval_ms = OUTBOX_DEFAULT_POLL_INTERVAL_MS;
    if (r->cfg.batch_size <= 0)
        r->cfg.batch_size = OUTBOX_DEFAULT_BATCH_SIZE;
    r->unpublished_gauge =
        metrics_gauge("booking_outbox_unpublished", "Outbox events not yet published to Kafka", 0);
    r->published_total =
        metrics_counter("booking_outbox_published_total", "Outbox events acknowledged by Kafka", 0);
    r->errors_total = metrics_counter("booking_outbox_publish_errors_total",
                                      "Outbox events Kafka did not acknowledge (retried)", 0);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
        snprintf(err, err_size, "outbox relay: cannot start its thread");
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->wake);
        free(r->topic_prefix);
        free(r);
        return NULL;
    }
    return r;
}

void outbox_relay_kick(outbox_relay_t *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->kicked = true;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
}

void outbox_relay_kick_cb(void *relay)
{
    outbox_relay_kick(relay);
}

int outbox_relay_flush(outbox_relay_t *r, int timeout_ms)
{
    if (!r)
        return -1;
    int64_t deadline = clock_now_ms() + timeout_ms;
    for (;;) {
        outbox_relay_kick(r);
        db_t *db = db_pool_acquire(r->cfg.db);
        long left = db ? outbox_unpublished(db) : -1;
        if (db)
            db_pool_release(r->cfg.db, db);
        if (left == 0)
            return 0;
        if (clock_now_ms() >= deadline)
            return -1;
        const clock_source_t *clock = clock_source_system();
        clock->sleep_ms(clock->ctx, OUTBOX_FLUSH_POLL_MS);
    }
}

void outbox_relay_stop(outbox_relay_t *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    free(r->topic_prefix);
    free(r);
}
