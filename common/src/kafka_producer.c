/*
 * kafka_producer.c — idempotent producer with a poll thread that serves
 * delivery reports (see kafka.h).
 *
 * The delivery-report callback is the only place a send is known to have
 * succeeded. send_sync waits on a heap-allocated completion shared with the
 * callback through a reference count, so neither side can free it under the
 * other even when the caller gives up first.
 */
#include "common/kafka.h"

#include <librdkafka/rdkafka.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/metrics.h"
#include "kafka_internal.h"

struct kafka_producer {
    rd_kafka_t *rk;
    pthread_t poller;
    atomic_bool stopping;
};

/* What a delivery report reaches: a callback or a waiting send_sync. */
typedef struct delivery {
    kafka_delivery_fn done;
    void *opaque;
    char topic[256];
} delivery_t;

typedef struct completion {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;
    bool finished;
    int err;
    char errstr[256];
    int refs; /* the waiter and the delivery report */
} completion_t;

static metric_t *produced_metric(void)
{
    return metrics_counter("kafka_produced_total", "Kafka messages produced by topic and result", 2,
                           "topic", "result");
}

static void completion_release(completion_t *c)
{
    pthread_mutex_lock(&c->lock);
    int left = --c->refs;
    pthread_mutex_unlock(&c->lock);
    if (left == 0) {
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        free(c);
    }
}

static void on_sync_delivery(void *opaque, int err, const char *errstr)
{
    completion_t *c = opaque;
    pthread_mutex_lock(&c->lock);
    c->finished = true;
    c->err = err;
    snprintf(c->errstr, sizeof c->errstr, "%s", errstr ? errstr : "");
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    completion_release(c);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    delivery_t *d = m->_private;
    if (!d)
        return;
    metrics_counter_inc(produced_metric(), d->topic, m->err ? "error" : "ok");
    if (d->done)
        d->done(d->opaque, m->err, m->err ? rd_kafka_err2str(m->err) : NULL);
    free(d);
}

static void *poll_loop(void *arg)
{
    kafka_producer_t *p = arg;
    while (!atomic_load(&p->stopping))
        rd_kafka_poll(p->rk, KAFKA_POLL_INTERVAL_MS);
    return NULL;
}

/* Applies NULL-terminated property/value pairs. */
static int apply_config(rd_kafka_conf_t *conf, const char *const *pairs, char *err, size_t err_size)
{
    for (const char *const *kv = pairs; kv && kv[0] && kv[1]; kv += 2)
        if (rd_kafka_conf_set(conf, kv[0], kv[1], err, err_size) != RD_KAFKA_CONF_OK)
            return -1;
    return 0;
}

kafka_producer_t *kafka_producer_new(const char *brokers, const char *client_id,
                                     const char *const *extra, char *err, size_t err_size)
{
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", KAFKA_DEFAULT_MESSAGE_TIMEOUT_MS);
    const char *defaults[] = {
        "bootstrap.servers",  brokers, "client.id", client_id ? client_id : "lodging",
        "enable.idempotence", "true",  "acks",      "all",
        "message.timeout.ms", timeout, "linger.ms", "5",
        "compression.type",   "lz4",   NULL,
    };
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (apply_config(conf, defaults, err, err_size) != 0 ||
        apply_config(conf, extra, err, err_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    kafka_conf_route_logs(conf);
    kafka_producer_t *p = calloc(1, sizeof *p);
    if (!p) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size); /* owns conf on success */
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    atomic_init(&p->stopping, false);
    if (pthread_create(&p->poller, NULL, poll_loop, p) != 0) {
        rd_kafka_destroy(p->rk);
        free(p);
        snprintf(err, err_size, "cannot start the producer poll thread");
        return NULL;
    }
    return p;
}

int kafka_producer_flush(kafka_producer_t *p, int timeout_ms)
{
    return rd_kafka_flush(p->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

void kafka_producer_free(kafka_producer_t *p)
{
    if (!p)
        return;
    if (kafka_producer_flush(p, KAFKA_FLUSH_TIMEOUT_MS) != 0) {
        log_warn("kafka producer closing with %d message(s) undelivered: failing them",
                 rd_kafka_outq_len(p->rk));
        /* Purged messages still get (failed) delivery reports: serve them. */
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        kafka_producer_flush(p, KAFKA_FLUSH_TIMEOUT_MS);
    }
    atomic_store(&p->stopping, true);
    pthread_join(p->poller, NULL);
    rd_kafka_destroy(p->rk); /* fails what is left: their delivery reports still run */
    free(p);
}

int kafka_producer_send(kafka_producer_t *p, const char *topic, const void *key, size_t key_len,
                        const void *value, size_t len, const kafka_header_t *headers,
                        size_t header_count, kafka_delivery_fn done, void *opaque, char *err,
                        size_t err_size)
{
    delivery_t *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    d->done = done;
    d->opaque = opaque;
    snprintf(d->topic, sizeof d->topic, "%s", topic);
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(header_count ? header_count : 1);
    for (size_t i = 0; i < header_count; i++)
        rd_kafka_header_add(hdrs, headers[i].name, -1, headers[i].value,
                            headers[i].value ? (ssize_t)strlen(headers[i].value) : 0);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, key_len),
        RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(hdrs); /* not taken over on failure */
        free(d);
        snprintf(err, err_size, "cannot queue message for %s: %s", topic, rd_kafka_err2str(e));
        metrics_counter_inc(produced_metric(), topic, "error");
        return -1;
    }
    return 0;
}

int kafka_producer_send_sync(kafka_producer_t *p, const char *topic, const void *key,
                             size_t key_len, const void *value, size_t len,
                             const kafka_header_t *headers, size_t header_count, char *err,
                             size_t err_size)
{
    return kafka_producer_send_wait(p, topic, key, key_len, value, len, headers, header_count, -1,
                                    err, err_size);
}

int kafka_producer_send_wait(kafka_producer_t *p, const char *topic, const void *key,
                             size_t key_len, const void *value, size_t len,
                             const kafka_header_t *headers, size_t header_count, int timeout_ms,
                             char *err, size_t err_size)
{
    completion_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->refs = 2;
    if (kafka_producer_send(p, topic, key, key_len, value, len, headers, header_count,
                            on_sync_delivery, c, err, err_size) != 0) {
        c->refs = 1;
        completion_release(c);
        return -1;
    }
    /* message.timeout.ms bounds this wait in principle (every message gets a
     * report), but librdkafka does not expire messages while it cannot reach
     * the broker at all: our own deadline, when given, bounds it for sure. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (timeout_ms >= 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    bool timed_out = false;
    pthread_mutex_lock(&c->lock);
    while (!c->finished && !timed_out) {
        if (timeout_ms < 0)
            pthread_cond_wait(&c->cond, &c->lock);
        else
            timed_out = pthread_cond_timedwait(&c->cond, &c->lock, &until) == ETIMEDOUT;
    }
    int rc = c->finished && c->err == 0 ? 0 : -1;
    if (!c->finished)
        snprintf(err, err_size, "no acknowledgement from %s within %d ms", topic, timeout_ms);
    else if (rc != 0)
        snprintf(err, err_size, "delivery to %s failed: %s", topic, c->errstr);
    pthread_mutex_unlock(&c->lock);
    completion_release(c);
    return rc;
}

void kafka_topic_name(const char *prefix, const char *base, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s%s", prefix ? prefix : "", base);
}
