/*
 * topics_apply.c — the cluster side of the declarative topic file (see
 * topics_apply.h): read metadata and topic configs, compare, fix in batches.
 *
 * librdkafka 2.0.2 has no IncrementalAlterConfigs (it came in 2.2), so
 * configs are set with AlterConfigs, which replaces a topic's whole set of
 * dynamic overrides: the request carries every override the topic has now
 * (read with DescribeConfigs a moment before) with the file's values on top,
 * so an operator's unrelated override survives. Two admins altering the same
 * topic at the same instant could still lose one's change; the Helm Job runs
 * one at a time.
 */
#include "topics_apply.h"

#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/kafka.h"

#define OVERRIDES_MAX 64
#define SETTLE_POLL_MS 200

/* What the cluster has for one topic of the file. */
typedef struct topic_state {
    bool exists;
    int partitions;
    int replication_factor;
    size_t override_count; /* the topic's dynamic overrides now */
    topic_config_t overrides[OVERRIDES_MAX];
    char current[TOPIC_CONFIGS_MAX][TOPIC_CONFIG_VALUE_MAX]; /* per file config, "" when unknown */
    bool config_differs;
    bool partitions_short; /* fewer than the file's: fixable */
    bool unfixable;        /* replication factor, or more partitions than the file's */
} topic_state_t;

static rd_kafka_t *admin_new(const char *brokers, char *err, size_t err_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, err_size) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "3", err, err_size) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

/* Waits for the result of an admin call on q; NULL with err on timeout or a
 * request-level error. */
static rd_kafka_event_t *admin_result(rd_kafka_queue_t *q, int timeout_ms, const char *what,
                                      char *err, size_t err_size)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
    if (!ev || rd_kafka_event_error(ev)) {
        snprintf(err, err_size, "%s: %s", what, ev ? rd_kafka_event_error_string(ev) : "timed out");
        if (ev)
            rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms)
{
    char ignored[128];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, ignored, sizeof ignored);
    if (op != RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)
        rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, ignored, sizeof ignored);
    return o;
}

/* ------------------------------------------------------------ read state -- */

static int read_metadata(rd_kafka_t *rk, const topics_file_t *file, topic_state_t *st,
                         int timeout_ms, char *err, size_t err_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, err_size, "metadata: %s", rd_kafka_err2str(e));
        return -1;
    }
    for (size_t i = 0; i < file->count; i++) {
        for (int t = 0; t < md->topic_cnt; t++) {
            const rd_kafka_metadata_topic_t *mt = &md->topics[t];
            if (strcmp(mt->topic, file->topics[i].name) != 0 || mt->err || mt->partition_cnt < 1)
                continue;
            st[i].exists = true;
            st[i].partitions = mt->partition_cnt;
            st[i].replication_factor = mt->partitions[0].replica_cnt;
        }
    }
    rd_kafka_metadata_destroy(md);
    return 0;
}

/* Keeps a described topic's dynamic overrides and the file's configs' values. */
static void keep_configs(const rd_kafka_ConfigResource_t *res, const topic_spec_t *spec,
                         topic_state_t *st)
{
    size_t n = 0;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(res, &n);
    for (size_t e = 0; e < n; e++) {
        const char *name = rd_kafka_ConfigEntry_name(entries[e]);
        const char *value = rd_kafka_ConfigEntry_value(entries[e]);
        if (!name || !value)
            continue;
        if (rd_kafka_ConfigEntry_source(entries[e]) ==
                RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG &&
            st->override_count < OVERRIDES_MAX) {
            topic_config_t *o = &st->overrides[st->override_count++];
            snprintf(o->name, sizeof o->name, "%s", name);
            snprintf(o->value, sizeof o->value, "%s", value);
        }
        for (size_t c = 0; c < spec->config_count; c++)
            if (strcmp(spec->config[c].name, name) == 0)
                snprintf(st->current[c], sizeof st->current[c], "%s", value);
    }
}

static int read_configs(rd_kafka_t *rk, const topics_file_t *file, topic_state_t *st,
                        int timeout_ms, char *err, size_t err_size)
{
    rd_kafka_ConfigResource_t **res = calloc(file->count, sizeof *res);
    size_t n = 0;
    int rc = -1;
    for (size_t i = 0; res && i < file->count; i++)
        if (st[i].exists)
            res[n++] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, file->topics[i].name);
    if (!res || n == 0) {
        free(res);
        return res ? 0 : -1;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
    rd_kafka_DescribeConfigs(rk, res, n, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = admin_result(q, timeout_ms, "describe configs", err, err_size);
    if (ev) {
        size_t cnt = 0;
        const rd_kafka_ConfigResource_t **got = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &cnt);
        rc = 0;
        for (size_t r = 0; r < cnt; r++) {
            const char *name = rd_kafka_ConfigResource_name(got[r]);
            if (rd_kafka_ConfigResource_error(got[r])) {
                snprintf(err, err_size, "describe configs of %s: %s", name,
                         rd_kafka_ConfigResource_error_string(got[r]));
                rc = -1;
                continue;
            }
            for (size_t i = 0; i < file->count; i++)
                if (strcmp(file->topics[i].name, name) == 0)
                    keep_configs(got[r], &file->topics[i], &st[i]);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy_array(res, n);
    free(res);
    return rc;
}

/* -------------------------------------------------------------- compare -- */

/* fprintf, or nothing when out is NULL. */
static void say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(FILE *out, const char *fmt, ...)
{
    if (!out)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
}

/* Classifies how one existing topic differs from its spec, printing each
 * difference to out (NULL: quietly). */
static void compare(const topics_run_t *run, FILE *out, const topic_spec_t *spec, topic_state_t *st)
{
    if (st->replication_factor != spec->replication_factor) {
        st->unfixable = true;
        say(out,
            "%s: DRIFT replication factor is %d, the file wants %d (not changed in place: "
            "reassign the partitions with kafka-reassign-partitions)\n",
            spec->name, st->replication_factor, spec->replication_factor);
    }
    if (st->partitions > spec->partitions) {
        st->unfixable = true;
        say(out,
            "%s: DRIFT %d partitions, the file wants %d (Kafka cannot remove partitions: "
            "raise the file's count)\n",
            spec->name, st->partitions, spec->partitions);
    } else if (st->partitions < spec->partitions) {
        st->partitions_short = true;
        say(out, "%s: %s %d partitions, the file wants %d\n", spec->name,
            run->apply ? "increasing" : "DRIFT", st->partitions, spec->partitions);
    }
    for (size_t c = 0; c < spec->config_count; c++) {
        if (strcmp(st->current[c], spec->config[c].value) == 0)
            continue;
        st->config_differs = true;
        say(out, "%s: %s %s is %s, the file wants %s\n", spec->name,
            run->apply ? "setting" : "DRIFT", spec->config[c].name,
            st->current[c][0] ? st->current[c] : "(unknown)", spec->config[c].value);
    }
}

/* ---------------------------------------------------------------- apply -- */

/* Counts per-topic results of CreateTopics / CreatePartitions. */
static void topic_results(const topics_run_t *run, const rd_kafka_topic_result_t **res, size_t n,
                          const char *what, size_t *ok, topics_report_t *rep)
{
    for (size_t i = 0; i < n; i++) {
        if (rd_kafka_topic_result_error(res[i])) {
            fprintf(run->out, "%s: FAILED to %s: %s\n", rd_kafka_topic_result_name(res[i]), what,
                    rd_kafka_topic_result_error_string(res[i]));
            rep->failed++;
        } else {
            (*ok)++;
        }
    }
}

static void create_missing(rd_kafka_t *rk, const topics_run_t *run, const topics_file_t *file,
                           const topic_state_t *st, topics_report_t *rep)
{
    rd_kafka_NewTopic_t **nt = calloc(file->count, sizeof *nt);
    size_t n = 0;
    char err[256];
    for (size_t i = 0; nt && i < file->count; i++) {
        const topic_spec_t *s = &file->topics[i];
        if (st[i].exists)
            continue;
        rd_kafka_NewTopic_t *t =
            rd_kafka_NewTopic_new(s->name, s->partitions, s->replication_factor, err, sizeof err);
        for (size_t c = 0; t && c < s->config_count; c++)
            rd_kafka_NewTopic_set_config(t, s->config[c].name, s->config[c].value);
        if (t)
            nt[n++] = t;
    }
    if (n > 0) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, run->timeout_ms);
        rd_kafka_CreateTopics(rk, nt, n, o, q);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_event_t *ev = admin_result(q, run->timeout_ms, "create topics", err, sizeof err);
        if (ev) {
            size_t cnt = 0;
            const rd_kafka_topic_result_t **res =
                rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
            topic_results(run, res, cnt, "create", &rep->created, rep);
            rd_kafka_event_destroy(ev);
        } else {
            fprintf(run->out, "FAILED: %s\n", err);
            rep->failed += n;
        }
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy_array(nt, n);
    }
    free(nt);
}

static void add_partitions(rd_kafka_t *rk, const topics_run_t *run, const topics_file_t *file,
                           const topic_state_t *st, topics_report_t *rep)
{
    rd_kafka_NewPartitions_t **np = calloc(file->count, sizeof *np);
    size_t n = 0;
    char err[256];
    for (size_t i = 0; np && i < file->count; i++) {
        if (!st[i].partitions_short)
            continue;
        np[n] = rd_kafka_NewPartitions_new(file->topics[i].name, (size_t)file->topics[i].partitions,
                                           err, sizeof err);
        if (np[n])
            n++;
    }
    if (n > 0) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *o =
            options(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, run->timeout_ms);
        rd_kafka_CreatePartitions(rk, np, n, o, q);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_event_t *ev =
            admin_result(q, run->timeout_ms, "create partitions", err, sizeof err);
        if (ev) {
            size_t cnt = 0;
            const rd_kafka_topic_result_t **res = rd_kafka_CreatePartitions_result_topics(
                rd_kafka_event_CreatePartitions_result(ev), &cnt);
            topic_results(run, res, cnt, "add partitions", &rep->repartitioned, rep);
            rd_kafka_event_destroy(ev);
        } else {
            fprintf(run->out, "FAILED: %s\n", err);
            rep->failed += n;
        }
        rd_kafka_queue_destroy(q);
        rd_kafka_NewPartitions_destroy_array(np, n);
    }
    free(np);
}

/* The AlterConfigs resource of one topic: its overrides now, the file's
 * configs on top. */
static rd_kafka_ConfigResource_t *merged_configs(const topic_spec_t *spec, const topic_state_t *st)
{
    rd_kafka_ConfigResource_t *res =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, spec->name);
    for (size_t i = 0; i < st->override_count; i++)
        if (!topic_spec_config(spec, st->overrides[i].name))
            rd_kafka_ConfigResource_set_config(res, st->overrides[i].name, st->overrides[i].value);
    for (size_t c = 0; c < spec->config_count; c++)
        rd_kafka_ConfigResource_set_config(res, spec->config[c].name, spec->config[c].value);
    return res;
}

static void alter_configs(rd_kafka_t *rk, const topics_run_t *run, const topics_file_t *file,
                          const topic_state_t *st, topics_report_t *rep)
{
    rd_kafka_ConfigResource_t **res = calloc(file->count, sizeof *res);
    size_t n = 0;
    char err[256];
    for (size_t i = 0; res && i < file->count; i++)
        if (st[i].config_differs)
            res[n++] = merged_configs(&file->topics[i], &st[i]);
    if (n > 0) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, run->timeout_ms);
        rd_kafka_AlterConfigs(rk, res, n, o, q);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_event_t *ev = admin_result(q, run->timeout_ms, "alter configs", err, sizeof err);
        if (ev) {
            size_t cnt = 0;
            const rd_kafka_ConfigResource_t **got = rd_kafka_AlterConfigs_result_resources(
                rd_kafka_event_AlterConfigs_result(ev), &cnt);
            for (size_t r = 0; r < cnt; r++) {
                if (rd_kafka_ConfigResource_error(got[r])) {
                    fprintf(run->out, "%s: FAILED to set configs: %s\n",
                            rd_kafka_ConfigResource_name(got[r]),
                            rd_kafka_ConfigResource_error_string(got[r]));
                    rep->failed++;
                } else {
                    rep->altered++;
                }
            }
            rd_kafka_event_destroy(ev);
        } else {
            fprintf(run->out, "FAILED: %s\n", err);
            rep->failed += n;
        }
        rd_kafka_queue_destroy(q);
        rd_kafka_ConfigResource_destroy_array(res, n);
    }
    free(res);
}

/* Re-reads the cluster until the changes just made show everywhere
 * (metadata and configs reach every broker a moment later) or the deadline
 * passes, so that a check right after an apply sees them. */
static void wait_settled(rd_kafka_t *rk, const topics_run_t *run, const topics_file_t *file)
{
    int64_t deadline = clock_now_ms() + run->timeout_ms;
    topic_state_t *st = calloc(file->count, sizeof *st);
    char err[256];
    while (st && clock_now_ms() < deadline) {
        memset(st, 0, file->count * sizeof *st);
        bool settled = read_metadata(rk, file, st, run->timeout_ms, err, sizeof err) == 0 &&
                       read_configs(rk, file, st, run->timeout_ms, err, sizeof err) == 0;
        for (size_t i = 0; settled && i < file->count; i++) {
            if (st[i].exists)
                compare(run, NULL, &file->topics[i], &st[i]);
            settled = st[i].exists && !st[i].partitions_short && !st[i].config_differs;
        }
        if (settled)
            break;
        clock_source_system()->sleep_ms(NULL, SETTLE_POLL_MS);
    }
    free(st);
}

int topics_reconcile(const topics_run_t *run, const topics_file_t *file, topics_report_t *report,
                     char *err, size_t err_size)
{
    memset(report, 0, sizeof *report);
    topic_state_t *st = calloc(file->count, sizeof *st);
    rd_kafka_t *rk = st ? admin_new(run->brokers, err, err_size) : NULL;
    int rc = -1;
    if (!rk || read_metadata(rk, file, st, run->timeout_ms, err, err_size) != 0 ||
        read_configs(rk, file, st, run->timeout_ms, err, err_size) != 0)
        goto done;
    for (size_t i = 0; i < file->count; i++) {
        const topic_spec_t *s = &file->topics[i];
        if (!st[i].exists) {
            fprintf(run->out, "%s: %s (%d partitions, replication factor %d)\n", s->name,
                    run->apply ? "creating" : "DRIFT missing", s->partitions,
                    s->replication_factor);
            report->drift_left += !run->apply;
            continue;
        }
        compare(run, run->out, s, &st[i]);
        bool fixable = st[i].partitions_short || st[i].config_differs;
        if (!fixable && !st[i].unfixable) {
            fprintf(run->out, "%s: in sync\n", s->name);
            report->in_sync++;
        }
        report->drift_left += st[i].unfixable || (fixable && !run->apply);
    }
    if (run->apply) {
        create_missing(rk, run, file, st, report);
        add_partitions(rk, run, file, st, report);
        alter_configs(rk, run, file, st, report);
        if (report->created + report->altered + report->repartitioned > 0 && !report->failed)
            wait_settled(rk, run, file);
    }
    rc = 0;
done:
    if (rk)
        rd_kafka_destroy(rk);
    /* A created topic is usable once every partition has a leader. */
    for (size_t i = 0; rc == 0 && run->apply && st && i < file->count; i++)
        if (!st[i].exists && kafka_admin_wait_ready(run->brokers, file->topics[i].name,
                                                    run->timeout_ms, err, err_size) != 0) {
            fprintf(run->out, "%s: FAILED to become ready: %s\n", file->topics[i].name, err);
            report->failed++;
        }
    free(st);
    return rc;
}
