/*
 * kafka_admin.c — topic creation/deletion and broker readiness (see kafka.h).
 */
#include "common/kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "kafka_internal.h"

#define READY_POLL_MS 200

/* syslog levels (librdkafka) → ours. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    log_level_t l = level <= 3   ? LOG_LEVEL_ERROR
                    : level == 4 ? LOG_LEVEL_WARN
                    : level <= 6 ? LOG_LEVEL_INFO
                                 : LOG_LEVEL_DEBUG;
    log_kv(l, "librdkafka", "facility", fac, "detail", buf, NULL);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk, (void)opaque;
    log_kv(LOG_LEVEL_WARN, "librdkafka error", "error", rd_kafka_err2name(err), "detail", reason,
           NULL);
}

void kafka_conf_route_logs(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
}

static rd_kafka_t *admin_client(const char *brokers, char *err, size_t err_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, err_size) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "3", err, err_size) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    kafka_conf_route_logs(conf);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

/* Checks each topic result; `ok_err` is an error that counts as success. */
static int check_results(const rd_kafka_topic_result_t **results, size_t n,
                         rd_kafka_resp_err_t ok_err, char *err, size_t err_size)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != ok_err) {
            snprintf(err, err_size, "%s: %s", rd_kafka_topic_result_name(results[i]),
                     rd_kafka_topic_result_error_string(results[i]));
            rc = -1;
        }
    }
    return rc;
}

int kafka_admin_create_topics(const char *brokers, const char *const *names, size_t n,
                              int partitions, int replication_factor, int timeout_ms, char *err,
                              size_t err_size)
{
    rd_kafka_t *rk = admin_client(brokers, err, err_size);
    if (!rk)
        return -1;
    int rc = -1;
    rd_kafka_NewTopic_t **topics = calloc(n ? n : 1, sizeof *topics);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;
    for (size_t i = 0; topics && i < n; i++) {
        topics[i] = rd_kafka_NewTopic_new(names[i], partitions, replication_factor, err, err_size);
        if (!topics[i])
            goto done;
    }
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, err, err_size);
    rd_kafka_CreateTopics(rk, topics, n, opts, q);
    rd_kafka_AdminOptions_destroy(opts);
    ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
    if (!ev || rd_kafka_event_error(ev)) {
        snprintf(err, err_size, "create topics: %s",
                 ev ? rd_kafka_event_error_string(ev) : "timed out");
        goto done;
    }
    size_t cnt = 0;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    rc = check_results(res, cnt, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, err, err_size);
done:
    if (ev)
        rd_kafka_event_destroy(ev);
    for (size_t i = 0; topics && i < n; i++)
        if (topics[i])
            rd_kafka_NewTopic_destroy(topics[i]);
    free(topics);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    if (rc == 0)
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = kafka_admin_wait_ready(brokers, names[i], timeout_ms, err, err_size);
    return rc;
}

int kafka_admin_delete_topics(const char *brokers, const char *const *names, size_t n,
                              int timeout_ms, char *err, size_t err_size)
{
    rd_kafka_t *rk = admin_client(brokers, err, err_size);
    if (!rk)
        return -1;
    rd_kafka_DeleteTopic_t **topics = calloc(n ? n : 1, sizeof *topics);
    for (size_t i = 0; topics && i < n; i++)
        topics[i] = rd_kafka_DeleteTopic_new(names[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopics(rk, topics, n, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);
    int rc = -1;
    if (ev && !rd_kafka_event_error(ev)) {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
        rc = check_results(res, cnt, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, err, err_size);
    } else {
        snprintf(err, err_size, "delete topics: %s",
                 ev ? rd_kafka_event_error_string(ev) : "timed out");
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    for (size_t i = 0; topics && i < n; i++)
        rd_kafka_DeleteTopic_destroy(topics[i]);
    free(topics);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

/* One metadata round: 1 ready, 0 not yet. */
static int metadata_ready(rd_kafka_t *rk, const char *topic, char *err, size_t err_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = topic ? rd_kafka_topic_new(rk, topic, NULL) : NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, READY_POLL_MS * 5);
    int ready = 0;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, err_size, "broker not reachable: %s", rd_kafka_err2str(e));
    } else if (!topic) {
        ready = md->broker_cnt > 0;
    } else if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
               md->topics[0].partition_cnt > 0) {
        ready = 1;
        for (int i = 0; i < md->topics[0].partition_cnt; i++)
            if (md->topics[0].partitions[i].leader < 0)
                ready = 0;
    } else {
        snprintf(err, err_size, "topic %s not ready", topic);
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return ready;
}

int kafka_admin_wait_ready(const char *brokers, const char *topic, int timeout_ms, char *err,
                           size_t err_size)
{
    rd_kafka_t *rk = admin_client(brokers, err, err_size);
    if (!rk)
        return -1;
    int64_t deadline = clock_now_ms() + timeout_ms;
    int ready = 0;
    while (!(ready = metadata_ready(rk, topic, err, err_size)) && clock_now_ms() < deadline)
        clock_source_system()->sleep_ms(NULL, READY_POLL_MS);
    rd_kafka_destroy(rk);
    return ready ? 0 : -1;
}
