/* Unit tests for topics_file.c — the declarative topic file: the shipped
 * file agrees with proto/topics.md and the production defaults, overrides
 * for a one-broker stack, and bad files refused with the field named. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "topics_file.h"

#define SHIPPED LODGING_SOURCE_DIR "/deploy/k8s/lodging/files/topics.json"
#define TOPICS_MD LODGING_SOURCE_DIR "/proto/topics.md"
#define DAY_MS 86400000LL

/* The whole text file (a test input the test cannot run without). */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char buf[64 * 1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static const topic_spec_t *find(const topics_file_t *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->topics[i].name, name) == 0)
            return &t->topics[i];
    return NULL;
}

/* Checks one row of proto/topics.md's table ("| `name` | producers | key |
 * partitions | N days | ...") against the file; `.dlq` stands for every DLQ. */
static void check_row(const topics_file_t *t, const char *row)
{
    char name[128];
    int partitions = 0, days = 0;
    const char *p = row + 3; /* past "| `" */
    size_t len = strcspn(p, "`");
    ck_assert_uint_lt(len, sizeof name);
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    const char *cols = p + len;
    for (int bar = 0; bar < 3; bar++)
        cols = strchr(cols + 1, '|');
    ck_assert_int_eq(sscanf(cols, "| %d | %d days", &partitions, &days), 2);
    bool dlq_row = strcmp(name, "<topic>.dlq") == 0;
    size_t matched = 0;
    for (size_t i = 0; i < t->count; i++) {
        const topic_spec_t *s = &t->topics[i];
        size_t n = strlen(s->name);
        bool is_dlq = n > 4 && strcmp(s->name + n - 4, ".dlq") == 0;
        if (dlq_row ? !is_dlq : strcmp(s->name, name) != 0)
            continue;
        matched++;
        ck_assert_int_eq(s->partitions, partitions);
        ck_assert_msg(atoll(topic_spec_config(s, "retention.ms")) == days * DAY_MS,
                      "%s: retention.ms is not %d days", s->name, days);
    }
    ck_assert_msg(matched >= 1, "proto/topics.md names %s; the topic file does not", name);
}

START_TEST(test_the_shipped_file_lists_every_topic_of_topics_md_with_its_settings)
{
    char err[256];
    topics_file_t *t = topics_file_load(SHIPPED, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    char *md = read_all(TOPICS_MD);
    size_t rows = 0;
    for (char *line = md; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, "| `", 3) == 0) {
            char *end = strchr(line, '\n');
            char row[1024];
            snprintf(row, sizeof row, "%.*s", end ? (int)(end - line) : (int)strlen(line), line);
            check_row(t, row);
            rows++;
        }
    ck_assert_uint_ge(rows, 7);
    /* Each base topic has its DLQ, and production defaults everywhere. */
    for (size_t i = 0; i < t->count; i++) {
        const topic_spec_t *s = &t->topics[i];
        ck_assert_int_eq(s->replication_factor, 3);
        ck_assert_str_eq(topic_spec_config(s, TOPIC_MIN_ISR), "2");
        ck_assert_str_eq(topic_spec_config(s, "cleanup.policy"), "delete");
        char dlq[TOPIC_NAME_MAX + 8];
        snprintf(dlq, sizeof dlq, "%s.dlq", s->name);
        ck_assert_msg(strstr(s->name, ".dlq") || find(t, dlq), "%s has no DLQ topic", s->name);
    }
    free(md);
    topics_file_free(t);
}
END_TEST

START_TEST(test_overrides_fit_a_one_broker_stack_and_prefix_the_names)
{
    char err[256];
    topics_file_t *t = topics_file_load(SHIPPED, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    topics_overrides_t o = {
        .replication_factor = 1, .min_insync_replicas = 1, .name_prefix = "t1_"};
    ck_assert_int_eq(topics_file_override(t, &o, err, sizeof err), 0);
    const topic_spec_t *s = find(t, "t1_booking.events");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->replication_factor, 1);
    ck_assert_str_eq(topic_spec_config(s, TOPIC_MIN_ISR), "1");
    ck_assert_str_eq(topic_spec_config(s, "retention.ms"), "2592000000");
    topics_file_free(t);
}
END_TEST

START_TEST(test_a_min_isr_above_the_replication_factor_is_refused)
{
    char err[256];
    topics_file_t *t = topics_file_load(SHIPPED, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    topics_overrides_t o = {.replication_factor = 1};
    ck_assert_int_eq(topics_file_override(t, &o, err, sizeof err), -1);
    ck_assert_ptr_nonnull(
        strstr(err, "min.insync.replicas 2 is more than the replication factor 1"));
    topics_file_free(t);
}
END_TEST

START_TEST(test_bad_files_are_refused_naming_the_topic_and_field)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"not json", "not a topic file"},
        {"{\"topics\": []}", "not a topic file"},
        {"{\"topics\": [{\"name\": \"a b\", \"partitions\": 1, \"replicationFactor\": 1}]}",
         "topics[0]: \"name\""},
        {"{\"topics\": [{\"name\": \"a\", \"partitions\": 0, \"replicationFactor\": 1}]}",
         "topic a: \"partitions\" must be from 1"},
        {"{\"topics\": [{\"name\": \"a\", \"partitions\": 1}]}",
         "topic a: \"replicationFactor\" must be an integer"},
        {"{\"topics\": [{\"name\": \"a\", \"partitions\": 1, \"replicationFactor\": 1, "
         "\"config\": {\"retention.ms\": 5}}]}",
         "topic a: config \"retention.ms\" must be a non-empty string"},
        {"{\"topics\": [{\"name\": \"a\", \"partitions\": 1, \"replicationFactor\": 1}, "
         "{\"name\": \"a\", \"partitions\": 1, \"replicationFactor\": 1}]}",
         "topic a is listed twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[256] = "";
        topics_file_t *t = topics_file_parse(cases[i].json, err, sizeof err);
        ck_assert_msg(t == NULL, "case %zu accepted", i);
        ck_assert_msg(strstr(err, cases[i].want), "case %zu: '%s'", i, err);
    }
    char err[256];
    ck_assert_ptr_null(topics_file_load("/nonexistent/topics.json", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/topics.json"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_admin_topics_file");
    TCase *tc = tcase_create("topics file");
    tcase_add_test(tc, test_the_shipped_file_lists_every_topic_of_topics_md_with_its_settings);
    tcase_add_test(tc, test_overrides_fit_a_one_broker_stack_and_prefix_the_names);
    tcase_add_test(tc, test_a_min_isr_above_the_replication_factor_is_refused);
    tcase_add_test(tc, test_bad_files_are_refused_naming_the_topic_and_field);
    suite_add_tcase(s, tc);
    return check_run(s);
}
