/*
 * topics_file.h — the declarative topic file (deploy/k8s/lodging/files/
 * topics.json): every topic we own with its partitions, replication factor
 * and topic configs (cleanup.policy, retention.ms, min.insync.replicas, ...).
 * The file is the source of truth; `lodging-kafka-admin apply` makes a
 * cluster match it.
 *
 *     {"topics": [{"name": "pms.events", "partitions": 3, "replicationFactor": 3,
 *                  "config": {"cleanup.policy": "delete", "retention.ms": "604800000",
 *                             "min.insync.replicas": "2"}}, ...]}
 *
 * Usage:
 *     topics_file_t *t = topics_file_load(path, err, sizeof err);
 *     topics_file_override(t, &(topics_overrides_t){.replication_factor = 1,
 *                                                   .min_insync_replicas = 1}, err, sizeof err);
 *     for (size_t i = 0; i < t->count; i++) ... t->topics[i].name
 *     topics_file_free(t);
 *
 * Pure (no network): parse, validate, override. Not thread-safe; the caller
 * owns the result.
 */
#ifndef KAFKA_ADMIN_TOPICS_FILE_H
#define KAFKA_ADMIN_TOPICS_FILE_H

#include <stddef.h>

#define TOPIC_NAME_MAX 249 /* Kafka's limit */
#define TOPIC_CONFIGS_MAX 16
#define TOPIC_CONFIG_NAME_MAX 64
#define TOPIC_CONFIG_VALUE_MAX 128
#define TOPIC_MIN_ISR "min.insync.replicas"

typedef struct topic_config {
    char name[TOPIC_CONFIG_NAME_MAX];
    char value[TOPIC_CONFIG_VALUE_MAX];
} topic_config_t;

typedef struct topic_spec {
    char name[TOPIC_NAME_MAX + 1];
    int partitions;
    int replication_factor;
    size_t config_count;
    topic_config_t config[TOPIC_CONFIGS_MAX];
} topic_spec_t;

typedef struct topics_file {
    size_t count;
    topic_spec_t *topics;
} topics_file_t;

/* Parses JSON text; NULL with the reason (naming the topic and field) in err. */
topics_file_t *topics_file_parse(const char *json_text, char *err, size_t err_size);
/* Reads and parses a file; NULL with the reason in err. */
topics_file_t *topics_file_load(const char *path, char *err, size_t err_size);
void topics_file_free(topics_file_t *t);

/* The value of a topic config, NULL when the file does not set it. */
const char *topic_spec_config(const topic_spec_t *t, const char *name);

/* Per-environment overrides of every topic (0 / NULL: keep the file's). */
typedef struct topics_overrides {
    int replication_factor;
    int min_insync_replicas;
    const char *name_prefix; /* KAFKA_TOPIC_PREFIX: "<prefix><name>" */
} topics_overrides_t;

/* Applies the overrides, then checks min.insync.replicas <= replication
 * factor for every topic; 0, or -1 with the reason in err. */
int topics_file_override(topics_file_t *t, const topics_overrides_t *o, char *err, size_t err_size);

#endif /* KAFKA_ADMIN_TOPICS_FILE_H */
