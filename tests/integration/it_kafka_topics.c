/* lodging-kafka-admin apply against the real broker of the local stack: the
 * declarative topic file (deploy/k8s/lodging/files/topics.json) applied under
 * a topic prefix of the test's own, checked, changed by hand behind its back,
 * checked again (drift, exit 3), applied again (fixed, other overrides kept);
 * what it cannot fix (replication factor) reported. The binary is run the way
 * the local stack and the Helm Job run it. */
#include <check.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_run.h"
#include "common/kafka.h"
#include "common/log.h"
#include "testsupport.h"

#define ADMIN LODGING_BINARY_DIR "/tools/kafka-admin/lodging-kafka-admin"
#define TOPICS_FILE LODGING_SOURCE_DIR "/deploy/k8s/lodging/files/topics.json"
#define TIMEOUT_MS 30000
#define TOPIC_COUNT 12
#define OUTPUT_MAX 16384

static const char *brokers;
static char prefix[64];
static char output[OUTPUT_MAX];

static void setup(void)
{
    log_init("it_kafka_topics", LOG_LEVEL_ERROR);
    brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ts_unique_name("ktopics", prefix, sizeof prefix);
    strcat(prefix, "_");
}

static void teardown(void)
{
    static const char *const base[TOPIC_COUNT / 2] = {
        "pms.events", "sync.jobs", "sync.results", "booking.events", "booking.compensations",
        "ops.alerts"};
    char names[TOPIC_COUNT][128];
    const char *ptrs[TOPIC_COUNT];
    for (int i = 0; i < TOPIC_COUNT; i++) {
        snprintf(names[i], sizeof names[i], "%s%s%s", prefix, base[i % 6], i < 6 ? "" : ".dlq");
        ptrs[i] = names[i];
    }
    char err[256];
    kafka_admin_delete_topics(brokers, ptrs, TOPIC_COUNT, TIMEOUT_MS, err, sizeof err);
}

/* Runs lodging-kafka-admin with the broker and the test's prefix plus the
 * given arguments (NULL-terminated); its output lands in `output`. Returns
 * its exit code. */
static int admin(const char *first, ...)
{
    char cmd[1024];
    size_t len = (size_t)snprintf(cmd, sizeof cmd, "%s --brokers %s --topic-prefix %s", ADMIN,
                                  brokers, prefix);
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s", a);
    va_end(ap);
    snprintf(cmd + len, sizeof cmd - len, " 2>&1");
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(output, 1, sizeof output - 1, p);
    output[n] = '\0';
    int status = pclose(p);
    ck_assert_msg(WIFEXITED(status), "%s did not exit", cmd);
    return WEXITSTATUS(status);
}

#define APPLY_LOCAL                                                                                \
    "apply", "--file", TOPICS_FILE, "--replication-factor", "1", "--min-insync-replicas", "1"

static void assert_output_has(const char *want)
{
    ck_assert_msg(strstr(output, want) != NULL, "wanted \"%s\" in:\n%s", want, output);
}

static rd_kafka_t *admin_client(void)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ck_assert_msg(rk != NULL, "%s", err);
    return rk;
}

/* An operator's change with the admin API: the topic's dynamic configs
 * become exactly these name/value pairs. */
static void alter_by_hand(const char *base, const char *const *pairs, size_t n)
{
    char topic[160];
    snprintf(topic, sizeof topic, "%s%s", prefix, base);
    rd_kafka_t *rk = admin_client();
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    for (size_t i = 0; i < n; i++)
        rd_kafka_ConfigResource_set_config(res, pairs[2 * i], pairs[2 * i + 1]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AlterConfigs(rk, &res, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS);
    ck_assert_ptr_nonnull(ev);
    size_t cnt = 0;
    const rd_kafka_ConfigResource_t **got =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &cnt);
    ck_assert_uint_eq(cnt, 1);
    ck_assert_msg(rd_kafka_ConfigResource_error(got[0]) == 0, "%s",
                  rd_kafka_ConfigResource_error_string(got[0]));
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_destroy(rk);
}

/* The topic's current value of one config ("" when not described). */
static void describe(const char *base, const char *name, char *out, size_t size)
{
    char topic[160];
    snprintf(topic, sizeof topic, "%s%s", prefix, base);
    out[0] = '\0';
    rd_kafka_t *rk = admin_client();
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DescribeConfigs(rk, &res, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS);
    ck_assert_ptr_nonnull(ev);
    size_t cnt = 0, n = 0;
    const rd_kafka_ConfigResource_t **got =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &cnt);
    ck_assert_uint_eq(cnt, 1);
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(got[0], &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rd_kafka_ConfigEntry_name(entries[i]), name) == 0)
            snprintf(out, size, "%s", rd_kafka_ConfigEntry_value(entries[i]));
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_destroy(rk);
}

START_TEST(test_apply_creates_the_files_topics_then_check_finds_them_in_sync)
{
    /* One topic exists already, short of partitions and without configs. */
    char early[160], err[256], value[64];
    snprintf(early, sizeof early, "%sops.alerts", prefix);
    const char *names[] = {early};
    ck_assert_msg(kafka_admin_create_topics(brokers, names, 1, 1, 1, TIMEOUT_MS, err, sizeof err) ==
                      0,
                  "%s", err);
    ck_assert_int_eq(admin(APPLY_LOCAL, "--check", NULL), 3);
    assert_output_has("pms.events: DRIFT missing");
    assert_output_has("ops.alerts: DRIFT 1 partitions, the file wants 3");

    ck_assert_msg(admin(APPLY_LOCAL, NULL) == 0, "%s", output);
    assert_output_has("11 created, 1 altered, 1 repartitioned, 0 differing, 0 failed");
    ck_assert_int_eq(admin(APPLY_LOCAL, "--check", NULL), 0);
    assert_output_has("check: 12 topics, 12 in sync");
    describe("booking.events", "retention.ms", value, sizeof value);
    ck_assert_str_eq(value, "2592000000");
    describe("sync.jobs.dlq", "retention.ms", value, sizeof value);
    ck_assert_str_eq(value, "1209600000");
    describe("ops.alerts", "min.insync.replicas", value, sizeof value);
    ck_assert_str_eq(value, "1");

    /* Idempotent: the second apply changes nothing. */
    ck_assert_int_eq(admin(APPLY_LOCAL, NULL), 0);
    assert_output_has("apply: 12 topics, 12 in sync, 0 created, 0 altered, 0 repartitioned");
}
END_TEST

START_TEST(test_a_config_changed_by_hand_is_drift_and_apply_puts_it_back)
{
    ck_assert_msg(admin(APPLY_LOCAL, NULL) == 0, "%s", output);
    /* An operator shortens retention and sets an unrelated override. */
    const char *pairs[] = {"retention.ms", "3600000", "max.message.bytes", "2000000"};
    alter_by_hand("booking.events", pairs, 2);
    char value[64];
    /* Configs reach every broker a moment later. */
    ck_assert(TS_POLL_UNTIL((describe("booking.events", "retention.ms", value, sizeof value),
                             strcmp(value, "3600000") == 0),
                            TIMEOUT_MS));

    ck_assert_int_eq(admin(APPLY_LOCAL, "--check", NULL), 3);
    assert_output_has("booking.events: DRIFT retention.ms is 3600000, the file wants 2592000000");
    assert_output_has("11 in sync");
    ck_assert_msg(admin(APPLY_LOCAL, NULL) == 0, "%s", output);
    assert_output_has("booking.events: setting retention.ms is 3600000");
    assert_output_has("1 altered");
    ck_assert_int_eq(admin(APPLY_LOCAL, "--check", NULL), 0);
    describe("booking.events", "retention.ms", value, sizeof value);
    ck_assert_str_eq(value, "2592000000");
    describe("booking.events", "max.message.bytes", value, sizeof value);
    ck_assert_str_eq(value, "2000000"); /* the operator's other override is kept */
}
END_TEST

START_TEST(test_what_apply_cannot_fix_is_reported_as_drift)
{
    ck_assert_msg(admin(APPLY_LOCAL, NULL) == 0, "%s", output);
    /* A one-broker cluster cannot have replication factor 2: apply leaves the
     * topics alone and says why, exit 3. */
    ck_assert_int_eq(admin("apply", "--file", TOPICS_FILE, "--replication-factor", "2",
                           "--min-insync-replicas", "1", NULL),
                     3);
    assert_output_has("DRIFT replication factor is 1, the file wants 2 (not changed in place");
    assert_output_has("12 differing, 0 failed");
    /* The production file as is: RF 3, min ISR 2. */
    ck_assert_int_eq(admin("apply", "--file", TOPICS_FILE, "--check", NULL), 3);
    assert_output_has("DRIFT min.insync.replicas is 1, the file wants 2");
}
END_TEST

START_TEST(test_bad_usage_and_bad_files_exit_2_with_the_reason)
{
    ck_assert_int_eq(admin("apply", NULL), 2);
    assert_output_has("usage:");
    ck_assert_int_eq(admin("apply", "--file", "/nonexistent/topics.json", NULL), 2);
    assert_output_has("/nonexistent/topics.json");
    ck_assert_int_eq(admin("apply", "--file", TOPICS_FILE, "--replication-factor", "1", NULL), 2);
    assert_output_has("min.insync.replicas 2 is more than the replication factor 1");
    ck_assert_int_eq(admin(APPLY_LOCAL, "--replication-factor", "zero", NULL), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_kafka_topics");
    TCase *tc = tcase_create("apply");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_apply_creates_the_files_topics_then_check_finds_them_in_sync);
    tcase_add_test(tc, test_a_config_changed_by_hand_is_drift_and_apply_puts_it_back);
    tcase_add_test(tc, test_what_apply_cannot_fix_is_reported_as_drift);
    tcase_add_test(tc, test_bad_usage_and_bad_files_exit_2_with_the_reason);
    suite_add_tcase(s, tc);
    return check_run(s);
}
