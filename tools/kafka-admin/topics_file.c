/*
 * topics_file.c — parsing and validating the declarative topic file (see
 * topics_file.h).
 */
#include "topics_file.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOPICS_MAX 256
#define PARTITIONS_MAX 10000
#define REPLICATION_MAX 16
#define FILE_MAX_BYTES (1024 * 1024)

/* Kafka's legal topic characters: ASCII letters, digits, '.', '_', '-'. */
static int name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TOPIC_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return 0;
    return 1;
}

/* A positive integer field no larger than max; 0, or -1 with err. */
static int int_field(struct json_object *o, const char *topic, const char *field, int max, int *out,
                     char *err, size_t err_size)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, field, &v) || !json_object_is_type(v, json_type_int)) {
        snprintf(err, err_size, "topic %s: \"%s\" must be an integer", topic, field);
        return -1;
    }
    int64_t n = json_object_get_int64(v);
    if (n < 1 || n > max) {
        snprintf(err, err_size, "topic %s: \"%s\" must be from 1 to %d", topic, field, max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* The "config" object: names and string values. */
static int config_field(struct json_object *o, topic_spec_t *t, char *err, size_t err_size)
{
    struct json_object *cfg;
    if (!json_object_object_get_ex(o, "config", &cfg))
        return 0;
    if (!json_object_is_type(cfg, json_type_object)) {
        snprintf(err, err_size, "topic %s: \"config\" must be an object", t->name);
        return -1;
    }
    json_object_object_foreach(cfg, key, val)
    {
        const char *text = json_object_get_string(val);
        if (!json_object_is_type(val, json_type_string) || !*text) {
            snprintf(err, err_size, "topic %s: config \"%s\" must be a non-empty string", t->name,
                     key);
            return -1;
        }
        if (t->config_count == TOPIC_CONFIGS_MAX || strlen(key) >= TOPIC_CONFIG_NAME_MAX ||
            strlen(text) >= TOPIC_CONFIG_VALUE_MAX) {
            snprintf(err, err_size, "topic %s: config \"%s\" too long or too many configs", t->name,
                     key);
            return -1;
        }
        topic_config_t *c = &t->config[t->config_count++];
        snprintf(c->name, sizeof c->name, "%s", key);
        snprintf(c->value, sizeof c->value, "%s", text);
    }
    return 0;
}

static int topic_parse(struct json_object *o, size_t index, topic_spec_t *t, char *err,
                       size_t err_size)
{
    struct json_object *name;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "name", &name) ||
        !json_object_is_type(name, json_type_string) || !name_valid(json_object_get_string(name))) {
        snprintf(err, err_size, "topics[%zu]: \"name\" must be a Kafka topic name", index);
        return -1;
    }
    snprintf(t->name, sizeof t->name, "%s", json_object_get_string(name));
    if (int_field(o, t->name, "partitions", PARTITIONS_MAX, &t->partitions, err, err_size) != 0 ||
        int_field(o, t->name, "replicationFactor", REPLICATION_MAX, &t->replication_factor, err,
                  err_size) != 0 ||
        config_field(o, t, err, err_size) != 0)
        return -1;
    return 0;
}

topics_file_t *topics_file_parse(const char *json_text, char *err, size_t err_size)
{
    struct json_object *root = json_tokener_parse(json_text), *list;
    topics_file_t *t = NULL;
    if (!root || !json_object_object_get_ex(root, "topics", &list) ||
        !json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0 ||
        json_object_array_length(list) > TOPICS_MAX) {
        snprintf(err, err_size, "not a topic file: want {\"topics\": [ ... ]} with 1 to %d topics",
                 TOPICS_MAX);
        goto fail;
    }
    size_t n = json_object_array_length(list);
    if (!(t = calloc(1, sizeof *t)) || !(t->topics = calloc(n, sizeof *t->topics))) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++, t->count++) {
        if (topic_parse(json_object_array_get_idx(list, i), i, &t->topics[i], err, err_size) != 0)
            goto fail;
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->topics[j].name, t->topics[i].name) == 0) {
                snprintf(err, err_size, "topic %s is listed twice", t->topics[i].name);
                goto fail;
            }
    }
    json_object_put(root);
    return t;
fail:
    json_object_put(root);
    topics_file_free(t);
    return NULL;
}

topics_file_t *topics_file_load(const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(FILE_MAX_BYTES + 1);
    size_t len = text ? fread(text, 1, FILE_MAX_BYTES + 1, f) : 0;
    fclose(f);
    topics_file_t *t = NULL;
    if (!text)
        snprintf(err, err_size, "out of memory");
    else if (len > FILE_MAX_BYTES)
        snprintf(err, err_size, "%s: larger than %d bytes", path, FILE_MAX_BYTES);
    else {
        text[len] = '\0';
        char why[256];
        if (!(t = topics_file_parse(text, why, sizeof why)))
            snprintf(err, err_size, "%s: %s", path, why);
    }
    free(text);
    return t;
}

void topics_file_free(topics_file_t *t)
{
    if (!t)
        return;
    free(t->topics);
    free(t);
}

const char *topic_spec_config(const topic_spec_t *t, const char *name)
{
    for (size_t i = 0; i < t->config_count; i++)
        if (strcmp(t->config[i].name, name) == 0)
            return t->config[i].value;
    return NULL;
}

/* Sets (or adds) one config of a topic. */
static int set_config(topic_spec_t *t, const char *name, const char *value)
{
    for (size_t i = 0; i < t->config_count; i++)
        if (strcmp(t->config[i].name, name) == 0) {
            snprintf(t->config[i].value, sizeof t->config[i].value, "%s", value);
            return 0;
        }
    if (t->config_count == TOPIC_CONFIGS_MAX)
        return -1;
    topic_config_t *c = &t->config[t->config_count++];
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->value, sizeof c->value, "%s", value);
    return 0;
}

int topics_file_override(topics_file_t *t, const topics_overrides_t *o, char *err, size_t err_size)
{
    for (size_t i = 0; i < t->count; i++) {
        topic_spec_t *s = &t->topics[i];
        if (o->replication_factor > 0)
            s->replication_factor = o->replication_factor;
        char isr[16];
        snprintf(isr, sizeof isr, "%d", o->min_insync_replicas);
        if (o->min_insync_replicas > 0 && set_config(s, TOPIC_MIN_ISR, isr) != 0) {
            snprintf(err, err_size, "topic %s: too many configs", s->name);
            return -1;
        }
        if (o->name_prefix && *o->name_prefix) {
            char named[TOPIC_NAME_MAX + 1];
            int n = snprintf(named, sizeof named, "%s%s", o->name_prefix, s->name);
            if (n < 0 || (size_t)n >= sizeof named || !name_valid(named)) {
                snprintf(err, err_size, "topic %s: the prefixed name is not a Kafka topic name",
                         s->name);
                return -1;
            }
            memcpy(s->name, named, (size_t)n + 1);
        }
        const char *min_isr = topic_spec_config(s, TOPIC_MIN_ISR);
        if (min_isr && atoi(min_isr) > s->replication_factor) {
            snprintf(err, err_size,
                     "topic %s: min.insync.replicas %s is more than the replication factor %d "
                     "(acks=all producers could never write)",
                     s->name, min_isr, s->replication_factor);
            return -1;
        }
    }
    return 0;
}
