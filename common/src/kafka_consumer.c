/*
 * kafka_consumer.c — at-least-once consumer with retry-in-place and a dead
 * letter queue (see kafka.h).
 *
 * Offsets: enable.auto.commit=true with enable.auto.offset.store=false, so
 * the background commit only ever commits offsets this file stored, and it
 * stores one only after the handler returned OK or the poison message was
 * acknowledged by the DLQ topic (librdkafka 2.0.2 has no
 * rd_kafka_offset_store_message, so rd_kafka_offsets_store takes a list).
 * On a rebalance that revokes partitions the stored offsets are committed
 * synchronously before the partitions are given up.
 *
 * Lag: librdkafka's statistics (every KAFKA_STATS_INTERVAL_MS, on the poll
 * thread) give each assigned partition's consumer_lag; their sum per topic is
 * the gauge kafka_consumer_lag_messages{topic,group}. Each partition is
 * assigned to one member of the group, so summing the gauge over the replicas
 * gives the group's lag (alerts, and the autoscaler's external metric).
 */
#include "common/kafka.h"

#include <json-c/json.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/trace.h"
#include "kafka_internal.h"

#define DLQ_RETRY_BACKOFF_MS 1000
#define REASON_MAX 512
#define KAFKA_STATS_INTERVAL_MS "15000"

struct kafka_consumer {
    rd_kafka_t *rk;
    kafka_handler_fn handler;
    void *ctx;
    int max_attempts;
    int retry_backoff_ms;
    kafka_producer_t *dlq;
    bool owns_dlq;
    pthread_t thread;
    bool running;
    bool closed;
    atomic_bool stopping;
    char *group; /* the lag gauge's label */
};

static metric_t *consumed_metric(void)
{
    return metrics_counter("kafka_consumed_total", "Kafka messages handled by topic and result", 2,
                           "topic", "result");
}

static metric_t *dlq_metric(void)
{
    return metrics_counter("kafka_dlq_total", "Messages sent to a dead letter queue", 1, "topic");
}

static metric_t *lag_metric(void)
{
    return metrics_gauge("kafka_consumer_lag_messages",
                         "Messages behind the partitions' high watermark, summed over the "
                         "partitions this member is assigned",
                         2, "topic", "group");
}

/* librdkafka's statistics JSON: topics.<t>.partitions.<p>.consumer_lag is -1
 * for a partition this member does not consume (or whose position is not
 * known yet); partition -1 is librdkafka's internal one. */
int kafka_stats_record_lag(const char *json, size_t json_len, const char *group)
{
    json_tokener *tok = json_tokener_new();
    json_object *root = tok ? json_tokener_parse_ex(tok, json, (int)json_len) : NULL;
    json_tokener_free(tok);
    json_object *topics = NULL;
    if (!root || !json_object_object_get_ex(root, "topics", &topics) ||
        !json_object_is_type(topics, json_type_object)) {
        json_object_put(root);
        return -1;
    }
    int recorded = 0;
    json_object_object_foreach(topics, topic, t)
    {
        json_object *parts = NULL;
        if (!json_object_object_get_ex(t, "partitions", &parts) ||
            !json_object_is_type(parts, json_type_object))
            continue;
        int64_t lag = 0;
        json_object_object_foreach(parts, id, p)
        {
            json_object *v = NULL;
            if (strcmp(id, "-1") != 0 && json_object_object_get_ex(p, "consumer_lag", &v) &&
                json_object_get_int64(v) > 0)
                lag += json_object_get_int64(v);
        }
        metrics_gauge_set(lag_metric(), (double)lag, topic, group);
        recorded++;
    }
    json_object_put(root);
    return recorded;
}

static int on_stats(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    (void)rk;
    kafka_consumer_t *c = opaque;
    if (c)
        kafka_stats_record_lag(json, json_len, c->group);
    return 0; /* librdkafka frees the JSON */
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *partitions, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, partitions);
        return;
    }
    /* Revoked (or error): commit what was handled before letting go. */
    rd_kafka_resp_err_t c = rd_kafka_commit(rk, NULL, 0);
    if (c != RD_KAFKA_RESP_ERR_NO_ERROR && c != RD_KAFKA_RESP_ERR__NO_OFFSET)
        log_warn("commit on rebalance failed: %s", rd_kafka_err2str(c));
    rd_kafka_assign(rk, NULL);
}

kafka_consumer_t *kafka_consumer_new(const kafka_consumer_config_t *cfg, char *err, size_t err_size)
{
    const char *defaults[] = {
        "bootstrap.servers",
        cfg->brokers,
        "group.id",
        cfg->group_id,
        "enable.auto.commit",
        "true",
        "enable.auto.offset.store",
        "false",
        "auto.offset.reset",
        "earliest",
        "enable.partition.eof",
        "false",
        "statistics.interval.ms",
        KAFKA_STATS_INTERVAL_MS,
        NULL,
    };
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (const char *const *kv = defaults; kv[0]; kv += 2)
        rd_kafka_conf_set(conf, kv[0], kv[1], err, err_size);
    for (const char *const *kv = cfg->extra; kv && kv[0] && kv[1]; kv += 2) {
        if (rd_kafka_conf_set(conf, kv[0], kv[1], err, err_size) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    kafka_conf_route_logs(conf);
    kafka_consumer_t *c = calloc(1, sizeof *c);
    if (!c || !(c->group = strdup(cfg->group_id ? cfg->group_id : ""))) {
        free(c);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, c);
    c->handler = cfg->handler;
    c->ctx = cfg->ctx;
    c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : KAFKA_DEFAULT_MAX_ATTEMPTS;
    c->retry_backoff_ms =
        cfg->retry_backoff_ms > 0 ? cfg->retry_backoff_ms : KAFKA_DEFAULT_RETRY_BACKOFF_MS;
    atomic_init(&c->stopping, false);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, err_size);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        free(c->group);
        free(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(c->rk);
    c->dlq = cfg->dlq_producer;
    if (!c->dlq) {
        c->dlq = kafka_producer_new(cfg->brokers, "dlq", NULL, err, err_size);
        c->owns_dlq = true;
    }
    size_t n = 0;
    while (cfg->topics && cfg->topics[n])
        n++;
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(subs, cfg->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = n ? rd_kafka_subscribe(c->rk, subs) : RD_KAFKA_RESP_ERR__INVALID_ARG;
    rd_kafka_topic_partition_list_destroy(subs);
    if (!c->dlq || e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            snprintf(err, err_size, "cannot subscribe: %s", rd_kafka_err2str(e));
        kafka_consumer_free(c);
        return NULL;
    }
    return c;
}

const char *kafka_message_header(const kafka_message_t *m, const char *name, char *buf,
                                 size_t buf_size)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *value = NULL;
    size_t size = 0;
    if (rd_kafka_message_headers(m->raw, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(hdrs, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return NULL;
    if (size >= buf_size)
        size = buf_size - 1;
    memcpy(buf, value ? value : "", size);
    buf[size] = '\0';
    return buf;
}

static void store_offset(kafka_consumer_t *c, const rd_kafka_message_t *m)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt), m->partition)->offset =
        m->offset + 1;
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, l);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        log_warn("storing offset failed: %s", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
}

/* Copies the original headers and adds the x-dlq-* ones. */
static size_t dlq_headers(const rd_kafka_message_t *m, const char *reason, kafka_header_t *out,
                          char (*store)[64], char *original_values[])
{
    size_t n = 0;
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *value;
        size_t size;
        for (size_t i = 0;
             n < KAFKA_MAX_HEADERS - 4 &&
             rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             i++) {
            original_values[n] = strndup(value ? value : "", size);
            out[n] = (kafka_header_t){name, original_values[n]};
            n++;
        }
    }
    snprintf(store[0], 64, "%d", (int)m->partition);
    snprintf(store[1], 64, "%lld", (long long)m->offset);
    out[n++] = (kafka_header_t){"x-dlq-reason", reason};
    out[n++] = (kafka_header_t){"x-dlq-source-topic", rd_kafka_topic_name(m->rkt)};
    out[n++] = (kafka_header_t){"x-dlq-source-partition", store[0]};
    out[n++] = (kafka_header_t){"x-dlq-source-offset", store[1]};
    return n;
}

/* Sends a poison message to <topic>.dlq, retrying until acknowledged or the
 * consumer stops (then the offset stays unstored and it comes back). */
static bool send_to_dlq(kafka_consumer_t *c, const rd_kafka_message_t *m, const char *reason)
{
    char dlq_topic[300], store[2][64], err[256];
    char *values[KAFKA_MAX_HEADERS] = {0};
    kafka_header_t headers[KAFKA_MAX_HEADERS];
    const char *topic = rd_kafka_topic_name(m->rkt);
    snprintf(dlq_topic, sizeof dlq_topic, "%s%s", topic, KAFKA_DLQ_SUFFIX);
    size_t n = dlq_headers(m, reason, headers, store, values);
    bool sent = false;
    while (!sent && !atomic_load(&c->stopping)) {
        sent = kafka_producer_send_sync(c->dlq, dlq_topic, m->key, m->key_len, m->payload, m->len,
                                        headers, n, err, sizeof err) == 0;
        if (!sent) {
            log_kv(LOG_LEVEL_ERROR, "dead letter queue write failed", "topic", dlq_topic, "error",
                   err, NULL);
            clock_source_system()->sleep_ms(NULL, DLQ_RETRY_BACKOFF_MS);
        }
    }
    for (size_t i = 0; i < KAFKA_MAX_HEADERS; i++)
        free(values[i]);
    if (sent) {
        metrics_counter_inc(dlq_metric(), topic);
        log_kv(LOG_LEVEL_WARN, "message sent to dead letter queue", "topic", topic, "reason",
               reason, NULL);
    }
    return sent;
}

/* Runs the handler on one message: retries in place, then DLQ. */
static void handle_message(kafka_consumer_t *c, const rd_kafka_message_t *m)
{
    kafka_message_t view = {
        .topic = rd_kafka_topic_name(m->rkt),
        .partition = m->partition,
        .offset = m->offset,
        .key = m->key,
        .key_len = m->key_len,
        .value = m->payload,
        .len = m->len,
        .raw = m,
    };
    char reason[REASON_MAX];
    kafka_handler_result_t r = KAFKA_HANDLER_RETRY;
    for (int attempt = 1; attempt <= c->max_attempts && !atomic_load(&c->stopping); attempt++) {
        reason[0] = '\0';
        r = c->handler(&view, c->ctx, reason, sizeof reason);
        if (r != KAFKA_HANDLER_RETRY)
            break;
        if (attempt < c->max_attempts)
            clock_source_system()->sleep_ms(NULL, (int64_t)c->retry_backoff_ms * attempt);
    }
    if (r == KAFKA_HANDLER_OK) {
        metrics_counter_inc(consumed_metric(), view.topic, "ok");
        store_offset(c, m);
        return;
    }
    if (r == KAFKA_HANDLER_RETRY && atomic_load(&c->stopping))
        return; /* unfinished: not stored, redelivered after restart */
    if (r == KAFKA_HANDLER_RETRY)
        snprintf(reason, sizeof reason, "still failing after %d attempts", c->max_attempts);
    metrics_counter_inc(consumed_metric(), view.topic, "poison");
    if (send_to_dlq(c, m, reason[0] ? reason : "rejected by handler"))
        store_offset(c, m);
}

/* The message's work continues the producer's trace (the CloudEvents
 * distributed tracing extension's ce_traceparent header), or starts one, so
 * every line logged while handling it carries the trace id. */
static void handle(kafka_consumer_t *c, const rd_kafka_message_t *m)
{
    kafka_message_t view = {.raw = m};
    char parent[128], state[TRACE_STATE_MAX_LEN + 1];
    trace_context_t trace;
    if (trace_continue_or_start(
            kafka_message_header(&view, "ce_traceparent", parent, sizeof parent),
            kafka_message_header(&view, "ce_tracestate", state, sizeof state), &trace) == 0)
        trace_set_current(&trace);
    handle_message(c, m);
    trace_set_current(NULL);
}

int kafka_consumer_poll_once(kafka_consumer_t *c, int timeout_ms)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (!m)
        return 0;
    int rc = 1;
    if (m->err) {
        rc = 0;
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            log_warn("kafka consumer: %s", rd_kafka_message_errstr(m));
        if (rd_kafka_fatal_error(c->rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR)
            rc = -1;
    } else {
        handle(c, m);
    }
    rd_kafka_message_destroy(m);
    return rc;
}

static void *consume_loop(void *arg)
{
    kafka_consumer_t *c = arg;
    while (!atomic_load(&c->stopping))
        if (kafka_consumer_poll_once(c, KAFKA_POLL_INTERVAL_MS) < 0)
            break;
    return NULL;
}

int kafka_consumer_start(kafka_consumer_t *c)
{
    if (c->running)
        return 0;
    if (pthread_create(&c->thread, NULL, consume_loop, c) != 0)
        return -1;
    c->running = true;
    return 0;
}

void kafka_consumer_stop(kafka_consumer_t *c)
{
    if (!c || c->closed)
        return;
    atomic_store(&c->stopping, true);
    if (c->running)
        pthread_join(c->thread, NULL);
    c->running = false;
    rd_kafka_consumer_close(c->rk); /* commits stored offsets, leaves the group */
    c->closed = true;
}

void kafka_consumer_free(kafka_consumer_t *c)
{
    if (!c)
        return;
    kafka_consumer_stop(c);
    rd_kafka_destroy(c->rk);
    if (c->owns_dlq)
        kafka_producer_free(c->dlq);
    free(c->group);
    free(c);
}
