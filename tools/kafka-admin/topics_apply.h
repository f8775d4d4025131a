/*
 * topics_apply.h — makes a Kafka cluster match the declarative topic file
 * (topics_file.h), or only reports how it differs.
 *
 * For every topic of the file: a missing topic is created with the file's
 * partitions, replication factor and configs; a config whose value differs
 * is set (AlterConfigs; the topic's other dynamic overrides are kept); fewer
 * partitions than the file's are increased. What Kafka cannot change in
 * place is reported as drift and left alone: a different replication factor
 * (that takes a partition reassignment) and more partitions than the file's
 * (Kafka never removes partitions). Topics the file does not name are not
 * touched. Running it twice changes nothing the second time.
 *
 * Usage:
 *     topics_report_t rep;
 *     if (topics_reconcile(&(topics_run_t){.brokers = b, .apply = true, .out = stdout},
 *                          file, &rep, err, sizeof err) != 0) → could not talk to the cluster
 *     rep.drift_left == 0 → the cluster matches the file
 *
 * One line per topic goes to run->out. Not thread-safe.
 */
#ifndef KAFKA_ADMIN_TOPICS_APPLY_H
#define KAFKA_ADMIN_TOPICS_APPLY_H

#include <stdbool.h>
#include <stdio.h>

#include "topics_file.h"

typedef struct topics_run {
    const char *brokers;
    bool apply; /* false: --check, report only */
    int timeout_ms;
    FILE *out;
} topics_run_t;

typedef struct topics_report {
    size_t in_sync;       /* topics that already matched */
    size_t created;       /* topics created */
    size_t altered;       /* topics whose configs were set */
    size_t repartitioned; /* topics whose partitions were increased */
    size_t drift_left;    /* topics still differing (check: every differing one) */
    size_t failed;        /* topics whose change the broker refused */
} topics_report_t;

/* Compares (and with run->apply fixes) every topic of the file; 0 with the
 * report filled, or -1 with err when the cluster could not be read. */
int topics_reconcile(const topics_run_t *run, const topics_file_t *file, topics_report_t *report,
                     char *err, size_t err_size);

#endif /* KAFKA_ADMIN_TOPICS_APPLY_H */
