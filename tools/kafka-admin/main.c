/*
 * lodging-kafka-admin — topic administration for the local stack, the tests
 * and operators, without a JVM:
 *
 *   lodging-kafka-admin [--brokers B] apply --file F [--replication-factor N]
 *                       [--min-insync-replicas N] [--topic-prefix P] [--check]
 *   lodging-kafka-admin [--brokers B] create-topics [--partitions N] [--replication-factor R]
 * NAME... lodging-kafka-admin [--brokers B] delete-topics NAME... lodging-kafka-admin [--brokers B]
 * wait-ready [--timeout-ms T]
 *
 * `apply` makes the cluster match the declarative topic file
 * (deploy/k8s/lodging/files/topics.json, see topics_apply.h): creates missing
 * topics, sets configs that differ, adds partitions; reports what it cannot
 * fix (replication factor, more partitions than the file's). The flags
 * override every topic's replication factor / min.insync.replicas (RF 1 and
 * min ISR 1 on a one-broker stack); --topic-prefix defaults to
 * $KAFKA_TOPIC_PREFIX. `apply --check` changes nothing.
 *
 * --brokers defaults to $KAFKA_BROKERS, then 127.0.0.1:19092. Creating a topic
 * that exists succeeds. Exit 0 on success (apply: the cluster matches the
 * file), 1 on failure, 2 on bad usage, 3 when topics differ from the file
 * (--check: any difference; apply: one it cannot fix).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka.h"
#include "common/log.h"
#include "topics_apply.h"
#include "topics_file.h"

#define DEFAULT_BROKERS "127.0.0.1:19092"
#define DEFAULT_TIMEOUT_MS 30000
#define MAX_NAMES 256
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_DRIFT 3

typedef struct options {
    const char *brokers;
    const char *command;
    const char *file;
    const char *topic_prefix;
    const char *names[MAX_NAMES];
    size_t name_count;
    int partitions;
    int replication;
    int min_insync_replicas;
    int timeout_ms;
    bool check;
} options_t;

static int usage(void)
{
    fprintf(stderr,
            "usage: lodging-kafka-admin [--brokers B] apply --file F [--replication-factor N]\n"
            "                           [--min-insync-replicas N] [--topic-prefix P] [--check]\n"
            "       lodging-kafka-admin [--brokers B] create-topics [--partitions N] "
            "[--replication-factor R] NAME...\n"
            "       lodging-kafka-admin [--brokers B] delete-topics NAME...\n"
            "       lodging-kafka-admin [--brokers B] wait-ready [--timeout-ms T]\n"
            "exit: 0 ok, 1 failed, 2 usage, 3 topics differ from the file\n");
    return EXIT_USAGE;
}

/* A positive integer flag value; -1 when it is not one. */
static int positive(const char *text)
{
    char *end;
    long v = strtol(text, &end, 10);
    return *text && !*end && v >= 1 && v <= 1000000 ? (int)v : -1;
}

static int parse_args(int argc, char **argv, options_t *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--brokers") == 0 && has_value)
            o->brokers = argv[++i];
        else if (strcmp(a, "--file") == 0 && has_value)
            o->file = argv[++i];
        else if (strcmp(a, "--topic-prefix") == 0 && has_value)
            o->topic_prefix = argv[++i];
        else if (strcmp(a, "--partitions") == 0 && has_value)
            o->partitions = positive(argv[++i]);
        else if (strcmp(a, "--replication-factor") == 0 && has_value)
            o->replication = positive(argv[++i]);
        else if (strcmp(a, "--min-insync-replicas") == 0 && has_value)
            o->min_insync_replicas = positive(argv[++i]);
        else if (strcmp(a, "--timeout-ms") == 0 && has_value)
            o->timeout_ms = positive(argv[++i]);
        else if (strcmp(a, "--check") == 0)
            o->check = true;
        else if (a[0] == '-')
            return -1;
        else if (!o->command)
            o->command = a;
        else if (o->name_count < MAX_NAMES)
            o->names[o->name_count++] = a;
        else
            return -1;
    }
    if (!o->command || o->partitions < 1 || o->replication < 0 || o->min_insync_replicas < 0 ||
        o->timeout_ms < 1 || o->replication == -1)
        return -1;
    return 0;
}

static int run_apply(const options_t *o)
{
    char err[512];
    topics_file_t *file = topics_file_load(o->file, err, sizeof err);
    topics_overrides_t ov = {.replication_factor = o->replication,
                             .min_insync_replicas = o->min_insync_replicas,
                             .name_prefix = o->topic_prefix};
    if (!file || topics_file_override(file, &ov, err, sizeof err) != 0) {
        fprintf(stderr, "lodging-kafka-admin apply: %s\n", err);
        topics_file_free(file);
        return EXIT_USAGE;
    }
    topics_run_t run = {
        .brokers = o->brokers, .apply = !o->check, .timeout_ms = o->timeout_ms, .out = stdout};
    topics_report_t rep;
    int rc = topics_reconcile(&run, file, &rep, err, sizeof err);
    size_t total = file->count;
    topics_file_free(file);
    if (rc != 0) {
        fprintf(stderr, "lodging-kafka-admin apply: %s\n", err);
        return EXIT_FAILED;
    }
    printf("%s: %zu topics, %zu in sync, %zu created, %zu altered, %zu repartitioned, "
           "%zu differing, %zu failed\n",
           o->check ? "check" : "apply", total, rep.in_sync, rep.created, rep.altered,
           rep.repartitioned, rep.drift_left, rep.failed);
    return rep.failed ? EXIT_FAILED : rep.drift_left ? EXIT_DRIFT : 0;
}

int main(int argc, char **argv)
{
    options_t o = {.brokers = getenv("KAFKA_BROKERS"),
                   .topic_prefix = getenv("KAFKA_TOPIC_PREFIX"),
                   .partitions = 3,
                   .timeout_ms = DEFAULT_TIMEOUT_MS};
    if (!o.brokers || !*o.brokers)
        o.brokers = DEFAULT_BROKERS;
    if (parse_args(argc, argv, &o) != 0)
        return usage();
    log_init("lodging-kafka-admin", LOG_LEVEL_ERROR);
    if (strcmp(o.command, "apply") == 0) {
        if (!o.file || o.name_count > 0)
            return usage();
        return run_apply(&o);
    }
    if (o.check || o.file || o.min_insync_replicas)
        return usage();
    int replication = o.replication ? o.replication : 1;
    char err[512] = "";
    int rc;
    if (strcmp(o.command, "create-topics") == 0 && o.name_count > 0)
        rc = kafka_admin_create_topics(o.brokers, o.names, o.name_count, o.partitions, replication,
                                       o.timeout_ms, err, sizeof err);
    else if (strcmp(o.command, "delete-topics") == 0 && o.name_count > 0)
        rc = kafka_admin_delete_topics(o.brokers, o.names, o.name_count, o.timeout_ms, err,
                                       sizeof err);
    else if (strcmp(o.command, "wait-ready") == 0 && o.name_count == 0)
        rc = kafka_admin_wait_ready(o.brokers, NULL, o.timeout_ms, err, sizeof err);
    else
        return usage();
    if (rc != 0) {
        fprintf(stderr, "lodging-kafka-admin %s: %s\n", o.command, err);
        return EXIT_FAILED;
    }
    if (o.name_count > 0)
        printf("%s: %zu topic(s) ok\n", o.command, o.name_count);
    return 0;
}
