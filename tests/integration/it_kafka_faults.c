/* Broker faults that a real broker cannot produce on demand, injected with
 * librdkafka's mock cluster (the only use of it: the system runs on the real
 * broker). */
#include <check.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka.h"
#include "common/log.h"
#include "testsupport.h"
#include "check_run.h"

#define MOCK_BROKERS 1
#define TOPIC "faults"
#define WAIT_MS 30000
#define KAFKA_API_KEY_PRODUCE 0 /* the Kafka protocol ApiKey of Produce requests */

static rd_kafka_t *mock_owner;
static rd_kafka_mock_cluster_t *mock;
static const char *bootstrap;

static void setup(void)
{
    log_init("it_kafka_faults", LOG_LEVEL_ERROR);
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    mock_owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ck_assert_ptr_nonnull(mock_owner);
    mock = rd_kafka_mock_cluster_new(mock_owner, MOCK_BROKERS);
    ck_assert_ptr_nonnull(mock);
    bootstrap = rd_kafka_mock_cluster_bootstraps(mock);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, TOPIC, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void teardown(void)
{
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_owner);
}

/* Counts the messages in the mock topic with a throw-away consumer. */
static kafka_handler_result_t count_message(const kafka_message_t *m, void *ctx, char *r, size_t n)
{
    (void)m, (void)r, (void)n;
    (*(int *)ctx)++;
    return KAFKA_HANDLER_OK;
}

static int count_messages(int expected)
{
    int count = 0;
    char err[256], group[64];
    const char *topics[] = {TOPIC, NULL};
    kafka_consumer_config_t cfg = {.brokers = bootstrap,
                                   .group_id = ts_unique_name("faults", group, sizeof group),
                                   .topics = topics,
                                   .handler = count_message,
                                   .ctx = &count};
    kafka_consumer_t *c = kafka_consumer_new(&cfg, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    TS_POLL_UNTIL((kafka_consumer_poll_once(c, 100), count >= expected), WAIT_MS);
    /* A little more polling proves there is no duplicate behind the last one. */
    for (int i = 0; i < 10; i++)
        kafka_consumer_poll_once(c, 100);
    kafka_consumer_free(c);
    return count;
}

START_TEST(test_the_idempotent_producer_retries_transient_errors_without_duplicates)
{
    char err[256];
    kafka_producer_t *p = kafka_producer_new(bootstrap, "faults", NULL, err, sizeof err);
    ck_assert_ptr_nonnull(p);
    /* Warm up (the producer id is acquired), then fail the next produce requests. */
    ck_assert_int_eq(kafka_producer_send_sync(p, TOPIC, "k", 1, "m0", 2, NULL, 0, err, sizeof err),
                     0);
    rd_kafka_mock_push_request_errors(
        mock, KAFKA_API_KEY_PRODUCE, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
    ck_assert_msg(kafka_producer_send_sync(p, TOPIC, "k", 1, "m1", 2, NULL, 0, err, sizeof err) ==
                      0,
                  "%s", err);
    ck_assert_int_eq(kafka_producer_send_sync(p, TOPIC, "k", 1, "m2", 2, NULL, 0, err, sizeof err),
                     0);
    kafka_producer_free(p);
    ck_assert_int_eq(count_messages(3), 3);
}
END_TEST

START_TEST(test_send_sync_fails_when_the_broker_stays_down)
{
    char err[256] = "";
    const char *extra[] = {"message.timeout.ms", "2000", NULL};
    kafka_producer_t *p = kafka_producer_new(bootstrap, "faults", extra, err, sizeof err);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(kafka_producer_send_sync(p, TOPIC, "k", 1, "up", 2, NULL, 0, err, sizeof err),
                     0);
    ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_int_eq(
        kafka_producer_send_sync(p, TOPIC, "k", 1, "down", 4, NULL, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "delivery"));
    ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    kafka_producer_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka faults");
    TCase *tc = tcase_create("mock cluster");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_the_idempotent_producer_retries_transient_errors_without_duplicates);
    tcase_add_test(tc, test_send_sync_fails_when_the_broker_stays_down);
    suite_add_tcase(s, tc);
    return check_run(s);
}
