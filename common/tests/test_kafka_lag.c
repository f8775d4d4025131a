/* Unit tests for the consumer lag gauge, kafka_consumer_lag_messages, read
 * from librdkafka's statistics JSON (its STATISTICS.md layout). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../src/kafka_internal.h"
#include "check_run.h"
#include "common/metrics.h"

static void teardown(void)
{
    metrics_reset();
}

static double lag(const char *topic, const char *group)
{
    metric_t *m = metrics_gauge("kafka_consumer_lag_messages", "", 2, "topic", "group");
    return metrics_value(m, topic, group);
}

/* Two topics: pms.events with partitions 0 and 2 assigned here (1 is another
 * member's, -1 unknown), sync.jobs caught up; the internal partition -1 is
 * never counted. */
static const char STATS[] =
    "{\"name\":\"rdkafka#consumer-1\",\"type\":\"consumer\",\"topics\":{"
    "\"pms.events\":{\"topic\":\"pms.events\",\"partitions\":{"
    "\"0\":{\"partition\":0,\"consumer_lag\":120,\"consumer_lag_stored\":118},"
    "\"1\":{\"partition\":1,\"consumer_lag\":-1},"
    "\"2\":{\"partition\":2,\"consumer_lag\":30},"
    "\"-1\":{\"partition\":-1,\"consumer_lag\":999}}},"
    "\"sync.jobs\":{\"topic\":\"sync.jobs\",\"partitions\":{"
    "\"0\":{\"partition\":0,\"consumer_lag\":0}}}}}";

START_TEST(test_lag_is_the_sum_of_the_known_partitions_per_topic)
{
    ck_assert_int_eq(kafka_stats_record_lag(STATS, strlen(STATS), "inventory-svc"), 2);
    ck_assert_double_eq(lag("pms.events", "inventory-svc"), 150);
    ck_assert_double_eq(lag("sync.jobs", "inventory-svc"), 0);
    char *t = metrics_render();
    ck_assert_ptr_nonnull(strstr(
        t, "kafka_consumer_lag_messages{topic=\"pms.events\",group=\"inventory-svc\"} 150\n"));
    free(t);
}
END_TEST

START_TEST(test_a_later_report_replaces_the_lag)
{
    ck_assert_int_eq(kafka_stats_record_lag(STATS, strlen(STATS), "g"), 2);
    static const char CAUGHT_UP[] =
        "{\"topics\":{\"pms.events\":{\"partitions\":{\"0\":{\"consumer_lag\":0},"
        "\"2\":{\"consumer_lag\":0}}}}}";
    ck_assert_int_eq(kafka_stats_record_lag(CAUGHT_UP, strlen(CAUGHT_UP), "g"), 1);
    ck_assert_double_eq(lag("pms.events", "g"), 0);
}
END_TEST

START_TEST(test_malformed_statistics_record_nothing)
{
    static const char *const BAD[] = {"", "not json", "[]", "{\"topics\":[]}", "{\"topics\":"};
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++)
        ck_assert_int_eq(kafka_stats_record_lag(BAD[i], strlen(BAD[i]), "g"), -1);
    static const char ODD[] = "{\"topics\":{\"t\":{\"partitions\":\"x\"},\"u\":{}}}";
    ck_assert_int_eq(kafka_stats_record_lag(ODD, strlen(ODD), "g"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_lag");
    TCase *tc = tcase_create("stats");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_lag_is_the_sum_of_the_known_partitions_per_topic);
    tcase_add_test(tc, test_a_later_report_replaces_the_lag);
    tcase_add_test(tc, test_malformed_statistics_record_nothing);
    suite_add_tcase(s, tc);
    return check_run(s);
}
