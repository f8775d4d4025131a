/* booking_it.c — see booking_it.h. */
#include "booking_it.h"

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cloudevents.h"
#include "common/log.h"
#include "testsupport.h"

#define ADMIN_TIMEOUT_MS 30000
#define POOL_SIZE 8

static const char *const TOPICS[] = {"booking.events", "booking.compensations", "ops.alerts",
                                     "pms.events"};
#define TOPIC_COUNT (sizeof TOPICS / sizeof TOPICS[0])

void booking_it_setup(booking_it_t *it, const char *name)
{
    memset(it, 0, sizeof *it);
    log_init(name, LOG_LEVEL_ERROR);
    it->brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ts_unique_name(name, it->prefix, sizeof it->prefix - 1);
    strcat(it->prefix, ".");
    char err[256];
    char names[TOPIC_COUNT][160];
    const char *list[TOPIC_COUNT];
    for (size_t i = 0; i < TOPIC_COUNT; i++) {
        kafka_topic_name(it->prefix, TOPICS[i], names[i], sizeof names[i]);
        list[i] = names[i];
    }
    ck_assert_msg(kafka_admin_create_topics(it->brokers, list, TOPIC_COUNT, 3, 1, ADMIN_TIMEOUT_MS,
                                            err, sizeof err) == 0,
                  "%s", err);
    ck_assert(ts_db_create_migrated(name, it->db_name, sizeof it->db_name, it->db_url,
                                    sizeof it->db_url) == 0);
    it->pool = db_pool_new(it->db_url, POOL_SIZE, err, sizeof err);
    ck_assert_msg(it->pool != NULL, "%s", err);
    it->db = db_new(it->db_url, err, sizeof err);
    ck_assert_msg(it->db != NULL, "%s", err);
    it->producer = kafka_producer_new(it->brokers, name, NULL, err, sizeof err);
    ck_assert_msg(it->producer != NULL, "%s", err);
}

void booking_it_teardown(booking_it_t *it)
{
    kafka_producer_free(it->producer);
    db_free(it->db);
    db_pool_free(it->pool);
    ts_db_drop(it->db_name);
    char err[256];
    char names[TOPIC_COUNT][160];
    const char *list[TOPIC_COUNT];
    for (size_t i = 0; i < TOPIC_COUNT; i++) {
        kafka_topic_name(it->prefix, TOPICS[i], names[i], sizeof names[i]);
        list[i] = names[i];
    }
    kafka_admin_delete_topics(it->brokers, list, TOPIC_COUNT, ADMIN_TIMEOUT_MS, err, sizeof err);
}

/* ---------------------------------------------------------- collector -- */

struct booking_it_collector {
    kafka_consumer_t *consumer;
    pthread_mutex_t lock; /* guards count, messages */
    int count;
    booking_it_message_t messages[BOOKING_IT_MAX_MESSAGES];
};

static kafka_handler_result_t collect(const kafka_message_t *m, void *ctx, char *reason,
                                      size_t reason_size)
{
    (void)reason, (void)reason_size;
    booking_it_collector_t *c = ctx;
    booking_it_message_t msg = {0};
    snprintf(msg.key, sizeof msg.key, "%.*s", (int)m->key_len, (const char *)m->key);
    char buf[128];
    const char *v;
    if ((v = kafka_message_header(m, "ce_id", buf, sizeof buf)))
        snprintf(msg.ce_id, sizeof msg.ce_id, "%s", v);
    if ((v = kafka_message_header(m, "ce_type", buf, sizeof buf)))
        snprintf(msg.ce_type, sizeof msg.ce_type, "%s", v);
    if ((v = kafka_message_header(m, "ce_source", buf, sizeof buf)))
        snprintf(msg.ce_source, sizeof msg.ce_source, "%s", v);
    if ((v = kafka_message_header(m, "content-type", buf, sizeof buf)))
        snprintf(msg.content_type, sizeof msg.content_type, "%s", v);
    if ((v = kafka_message_header(m, "ce_specversion", buf, sizeof buf)))
        snprintf(msg.ce_specversion, sizeof msg.ce_specversion, "%s", v);
    if ((v = kafka_message_header(m, "ce_subject", buf, sizeof buf)))
        snprintf(msg.ce_subject, sizeof msg.ce_subject, "%s", v);
    if ((v = kafka_message_header(m, "ce_dataschema", buf, sizeof buf)))
        snprintf(msg.ce_dataschema, sizeof msg.ce_dataschema, "%s", v);
    if ((v = kafka_message_header(m, "ce_traceparent", buf, sizeof buf)))
        snprintf(msg.ce_traceparent, sizeof msg.ce_traceparent, "%s", v);
    char err[128];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    msg.value = ev ? cloudevent_to_json(ev) : NULL;
    cloudevent_free(ev);
    pthread_mutex_lock(&c->lock);
    if (c->count < BOOKING_IT_MAX_MESSAGES)
        c->messages[c->count++] = msg;
    else
        free(msg.value);
    pthread_mutex_unlock(&c->lock);
    return KAFKA_HANDLER_OK;
}

booking_it_collector_t *booking_it_collect_from(const char *brokers, const char *topic)
{
    booking_it_collector_t *c = calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    pthread_mutex_init(&c->lock, NULL);
    char group[96], err[256];
    const char *topics[] = {topic, NULL};
    kafka_consumer_config_t cfg = {.brokers = brokers,
                                   .group_id = ts_unique_name("collector", group, sizeof group),
                                   .topics = topics,
                                   .handler = collect,
                                   .ctx = c};
    c->consumer = kafka_consumer_new(&cfg, err, sizeof err);
    ck_assert_msg(c->consumer != NULL, "%s", err);
    ck_assert_int_eq(kafka_consumer_start(c->consumer), 0);
    return c;
}

booking_it_collector_t *booking_it_collect(booking_it_t *it, const char *base_topic)
{
    char topic[160];
    kafka_topic_name(it->prefix, base_topic, topic, sizeof topic);
    return booking_it_collect_from(it->brokers, topic);
}

int booking_it_collected(booking_it_collector_t *c)
{
    pthread_mutex_lock(&c->lock);
    int n = c->count;
    pthread_mutex_unlock(&c->lock);
    return n;
}

booking_it_message_t booking_it_message(booking_it_collector_t *c, int i)
{
    pthread_mutex_lock(&c->lock);
    ck_assert_int_lt(i, c->count);
    booking_it_message_t m = c->messages[i];
    pthread_mutex_unlock(&c->lock);
    return m;
}

int booking_it_count_type(booking_it_collector_t *c, const char *ce_type)
{
    pthread_mutex_lock(&c->lock);
    int n = 0;
    for (int i = 0; i < c->count; i++)
        n += strcmp(c->messages[i].ce_type, ce_type) == 0;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void booking_it_collector_free(booking_it_collector_t *c)
{
    if (!c)
        return;
    kafka_consumer_free(c->consumer);
    for (int i = 0; i < c->count; i++)
        free(c->messages[i].value);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---------------------------------------------------------------- sql -- */

void booking_it_seed_booking(booking_it_t *it, const char *booking_id, const char *status,
                             const char *payment_auth_id, const char *payment_status,
                             const char *reservation_id, const char *total_price,
                             const char *currency)
{
    db_param_t p[] = {DB_STR(booking_id),     DB_STR(status),         DB_STR(payment_auth_id),
                      DB_STR(payment_status), DB_STR(reservation_id), DB_STR(total_price),
                      DB_STR(currency)};
    ck_assert_msg(
        db_exec(it->db,
                "INSERT INTO booking (booking_id, vendor, hotel_id, room_type_id, "
                "check_in, check_out, adults, status, payment_auth_id, payment_status, "
                "reservation_id, total_price, currency) VALUES (?, 'cloudbeds', "
                "'hotel_123', 'room_456', '2026-12-01', '2026-12-03', 2, ?, ?, ?, ?, ?, ?)",
                p, 7, NULL, NULL) == DB_OK,
        "%s", db_error(it->db));
}

long booking_it_query_long(booking_it_t *it, const char *sql, const char *a, const char *b)
{
    db_param_t p[] = {DB_STR(a), DB_STR(b)};
    size_t n = b ? 2 : a ? 1 : 0;
    db_result_t *res = NULL;
    if (db_query(it->db, sql, p, n, &res) != DB_OK)
        return -1;
    int64_t v = -1;
    if (db_result_rows(res) < 1 || db_result_int64(res, 0, 0, &v) != 0)
        v = -1;
    db_result_free(res);
    return (long)v;
}

const char *booking_it_query_text(booking_it_t *it, const char *sql, const char *a, char *out,
                                  size_t size)
{
    db_param_t p[] = {DB_STR(a)};
    db_result_t *res = NULL;
    out[0] = '\0';
    if (db_query(it->db, sql, p, a ? 1 : 0, &res) == DB_OK) {
        if (db_result_rows(res) >= 1 && db_result_text(res, 0, 0))
            snprintf(out, size, "%s", db_result_text(res, 0, 0));
        db_result_free(res);
    }
    return out;
}
