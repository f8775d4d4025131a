/* The outbox and its relay against the real Kafka of the local stack (and
 * librdkafka's mock cluster for a broker that goes away): what is rolled back
 * never leaves, what is committed leaves once, in order per booking, with the
 * CloudEvents headers; an unreachable Kafka only delays; two relays on one
 * database neither duplicate nor reorder. */
#include <check.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_it.h"
#include "check_run.h"
#include "common/cloudevents.h"
#include "common/metrics.h"
#include "common/trace.h"
#include "outbox.h"
#include "testsupport.h"

#define KEYS 3
#define PER_KEY 5
#define MAX_PER_KEY 64

static booking_it_t it;

/* What a test appended, per key, in commit order. */
typedef struct expected {
    char key[KEYS][32];
    char ids[KEYS][MAX_PER_KEY][37];
    int count[KEYS];
} expected_t;

static void setup(void)
{
    booking_it_setup(&it, "it_booking_outbox");
}

static void teardown(void)
{
    booking_it_teardown(&it);
}

/* Appends n events for key k in one transaction, committed or rolled back. */
static void append(expected_t *e, int k, int n, bool commit)
{
    ck_assert_int_eq(db_begin(it.db), DB_OK);
    for (int i = 0; i < n; i++) {
        struct json_object *data = json_object_new_object();
        json_object_object_add(data, "bookingId", json_object_new_string(e->key[k]));
        char id[37];
        ck_assert_int_eq(
            outbox_append(it.db, "booking.events", e->key[k], "lodging.booking.held", data, id), 0);
        json_object_put(data);
        if (commit) {
            ck_assert_int_lt(e->count[k], MAX_PER_KEY);
            snprintf(e->ids[k][e->count[k]++], 37, "%s", id);
        }
    }
    ck_assert_int_eq(commit ? db_commit(it.db) : db_rollback(it.db), DB_OK);
}

static void expected_init(expected_t *e)
{
    memset(e, 0, sizeof *e);
    for (int k = 0; k < KEYS; k++)
        ts_unique_name("bk", e->key[k], sizeof e->key[k]);
}

static int expected_total(const expected_t *e)
{
    int n = 0;
    for (int k = 0; k < KEYS; k++)
        n += e->count[k];
    return n;
}

/* Every expected id arrived under its key, first arrivals in commit order; returns how many
 * messages were duplicates. */
static int check_order(booking_it_collector_t *c, const expected_t *e)
{
    int dups = 0;
    int n = booking_it_collected(c);
    for (int k = 0; k < KEYS; k++) {
        int next = 0;
        for (int i = 0; i < n; i++) {
            booking_it_message_t m = booking_it_message(c, i);
            if (strcmp(m.key, e->key[k]) != 0)
                continue;
            if (next < e->count[k] && strcmp(m.ce_id, e->ids[k][next]) == 0) {
                next++;
                continue;
            }
            bool earlier = false;
            for (int j = 0; j < next; j++)
                earlier |= strcmp(m.ce_id, e->ids[k][j]) == 0;
            ck_assert_msg(earlier, "key %s: %s arrived out of order or was never committed", m.key,
                          m.ce_id);
            dups++;
        }
        ck_assert_msg(next == e->count[k], "key %s: %d of %d events arrived", e->key[k], next,
                      e->count[k]);
    }
    return dups;
}

static outbox_relay_t *relay_on(kafka_producer_t *producer, db_pool_t *pool)
{
    char err[256];
    outbox_relay_config_t cfg = {.db = pool,
                                 .producer = producer,
                                 .topic_prefix = it.prefix,
                                 .poll_interval_ms = 50,
                                 .batch_size = 4};
    outbox_relay_t *r = outbox_relay_start(&cfg, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    return r;
}

START_TEST(test_rolled_back_rows_never_publish_and_committed_rows_publish_once_in_order)
{
    expected_t e;
    expected_init(&e);
    append(&e, 0, 2, false); /* rolled back: must never appear */
    for (int round = 0; round < PER_KEY; round++)
        for (int k = 0; k < KEYS; k++)
            append(&e, k, 1 + round % 2, true);
    ck_assert_int_eq(outbox_unpublished(it.db), expected_total(&e));

    booking_it_collector_t *c = booking_it_collect(&it, "booking.events");
    outbox_relay_t *r = relay_on(it.producer, it.pool);
    outbox_relay_kick(r);
    ck_assert_int_eq(outbox_relay_flush(r, BOOKING_IT_WAIT_MS), 0);
    ck_assert_int_eq(outbox_unpublished(it.db), 0);
    /* One more event per key after everything was marked published: when it has arrived,
     * anything published twice would have arrived before it (order per key). */
    for (int k = 0; k < KEYS; k++)
        append(&e, k, 1, true);
    outbox_relay_kick(r);
    ck_assert(TS_POLL_UNTIL(booking_it_collected(c) >= expected_total(&e), BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(outbox_relay_flush(r, BOOKING_IT_WAIT_MS), 0);
    ck_assert_int_eq(check_order(c, &e), 0);
    ck_assert_int_eq(booking_it_collected(c), expected_total(&e));

    booking_it_message_t m = booking_it_message(c, 0);
    /* binary content mode: attributes in headers, the data as the value */
    ck_assert_str_eq(m.content_type, "application/json");
    ck_assert_str_eq(m.ce_specversion, "1.0");
    ck_assert_str_eq(m.ce_type, "lodging.booking.held");
    ck_assert_str_eq(m.ce_source, "/booking-svc");
    ck_assert_str_eq(m.ce_subject, m.key);
    ck_assert_str_eq(m.ce_dataschema, "urn:lodging:events:booking");
    ck_assert_ptr_nonnull(m.value);
    char err[128];
    cloudevent_t *ev = cloudevent_parse(m.value, strlen(m.value), err, sizeof err);
    ck_assert_msg(ev != NULL, "%s", err);
    ck_assert_str_eq(ev->id, m.ce_id);
    ck_assert_str_eq(ev->subject, m.key);
    ck_assert_str_eq(ev->type, "lodging.booking.held");
    cloudevent_free(ev);
    ck_assert_int_eq(booking_it_query_long(&it,
                                           "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL "
                                           "OR aggregate_type <> 'booking'",
                                           NULL, NULL),
                     0);
    outbox_relay_stop(r);
    booking_it_collector_free(c);
}
END_TEST

/* A batch of the default size (more rows than one statement takes parameters) is marked
 * published in full: nothing is sent twice. */
START_TEST(test_a_full_default_batch_publishes_every_row_once)
{
    expected_t e;
    expected_init(&e);
    for (int k = 0; k < KEYS; k++)
        append(&e, k, 60, true);
    booking_it_collector_t *c = booking_it_collect(&it, "booking.events");
    char err[256];
    outbox_relay_config_t cfg = {.db = it.pool, .producer = it.producer, .topic_prefix = it.prefix};
    outbox_relay_t *r = outbox_relay_start(&cfg, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    outbox_relay_kick(r);
    ck_assert_int_eq(outbox_relay_flush(r, BOOKING_IT_WAIT_MS), 0);
    ck_assert_int_eq(outbox_unpublished(it.db), 0);
    for (int k = 0; k < KEYS; k++)
        append(&e, k, 1, true);
    outbox_relay_kick(r);
    ck_assert(TS_POLL_UNTIL(booking_it_collected(c) >= expected_total(&e), BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(outbox_relay_flush(r, BOOKING_IT_WAIT_MS), 0);
    ck_assert_int_eq(check_order(c, &e), 0);
    ck_assert_int_eq(booking_it_collected(c), expected_total(&e));
    outbox_relay_stop(r);
    booking_it_collector_free(c);
}
END_TEST

/* Published rows past the retention go; recent and unpublished rows stay. */
START_TEST(test_purge_deletes_only_old_published_rows)
{
    expected_t e;
    expected_init(&e);
    append(&e, 0, 3, true);
    append(&e, 1, 2, true);
    ck_assert_int_eq(
        db_exec_script_statement(
            it.db, "UPDATE outbox SET published_at = NOW(3) - INTERVAL 20 DAY, created_at = "
                   "NOW(3) - INTERVAL 20 DAY WHERE id IN (SELECT id FROM (SELECT id FROM outbox "
                   "ORDER BY id LIMIT 3) AS first_three)"),
        DB_OK);
    ck_assert_int_eq(db_exec_script_statement(
                         it.db, "UPDATE outbox SET published_at = NOW(3) WHERE published_at IS "
                                "NULL AND id = (SELECT MAX(id) FROM (SELECT id FROM outbox) AS t)"),
                     DB_OK);
    /* one row stays unpublished although it is old */
    ck_assert_int_eq(
        db_exec_script_statement(it.db, "UPDATE outbox SET created_at = NOW(3) - INTERVAL 30 DAY "
                                        "WHERE published_at IS NULL"),
        DB_OK);
    ck_assert_int_eq(outbox_purge(it.db, 14L * 24 * 3600, 1000), 3);
    ck_assert_int_eq(booking_it_query_long(&it, "SELECT COUNT(*) FROM outbox", NULL, NULL), 2);
    ck_assert_int_eq(outbox_unpublished(it.db), 1);
    ck_assert_int_eq(outbox_purge(it.db, 14L * 24 * 3600, 1000), 0);
}
END_TEST

START_TEST(test_the_relay_keeps_rows_while_kafka_is_unreachable_and_catches_up)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ck_assert_ptr_nonnull(owner);
    rd_kafka_mock_cluster_t *mock = rd_kafka_mock_cluster_new(owner, 1);
    ck_assert_ptr_nonnull(mock);
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(mock);
    char topic[160];
    kafka_topic_name(it.prefix, "booking.events", topic, sizeof topic);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, topic, 3, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    const char *extra[] = {"message.timeout.ms", "1500", "log_level", "0", NULL};
    kafka_producer_t *producer = kafka_producer_new(bootstrap, "it_outbox", extra, err, sizeof err);
    ck_assert_msg(producer != NULL, "%s", err);

    expected_t e;
    expected_init(&e);
    outbox_relay_t *r = relay_on(producer, it.pool);
    append(&e, 0, 1, true);
    ck_assert_int_eq(outbox_relay_flush(r, BOOKING_IT_WAIT_MS), 0); /* Kafka up: published */

    metric_t *errors = metrics_counter("booking_outbox_publish_errors_total",
                                       "Outbox events Kafka did not acknowledge (retried)", 0);
    double errors_before = metrics_value(errors);
    ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < KEYS; k++)
            append(&e, k, 2, true);
    outbox_relay_kick(r);
    ck_assert(TS_POLL_UNTIL(metrics_value(errors) > errors_before, BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(outbox_unpublished(it.db), expected_total(&e) - 1); /* nothing lost */

    ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert(TS_POLL_UNTIL(outbox_unpublished(it.db) == 0, BOOKING_IT_WAIT_MS));
    outbox_relay_stop(r);

    booking_it_collector_t *c = booking_it_collect_from(bootstrap, topic);
    ck_assert(TS_POLL_UNTIL(booking_it_collected(c) >= expected_total(&e), BOOKING_IT_WAIT_MS));
    check_order(c, &e); /* duplicates allowed after a failure (at-least-once); order is not */
    booking_it_collector_free(c);
    kafka_producer_free(producer);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(owner);
}
END_TEST

START_TEST(test_two_relays_on_one_database_keep_order_per_key_without_duplicates)
{
    char err[256];
    db_pool_t *other_pool = db_pool_new(it.db_url, 4, err, sizeof err);
    ck_assert_msg(other_pool != NULL, "%s", err);
    kafka_producer_t *other_producer =
        kafka_producer_new(it.brokers, "it_outbox_2", NULL, err, sizeof err);
    ck_assert_msg(other_producer != NULL, "%s", err);
    booking_it_collector_t *c = booking_it_collect(&it, "booking.events");
    outbox_relay_t *a = relay_on(it.producer, it.pool);
    outbox_relay_t *b = relay_on(other_producer, other_pool);

    expected_t e;
    expected_init(&e);
    for (int round = 0; round < 12; round++) {
        for (int k = 0; k < KEYS; k++)
            append(&e, k, 1 + round % 3, true);
        outbox_relay_kick(round % 2 ? a : b);
    }
    ck_assert(TS_POLL_UNTIL(outbox_unpublished(it.db) == 0, BOOKING_IT_WAIT_MS));
    for (int k = 0; k < KEYS; k++) /* the last events: whatever came twice came before them */
        append(&e, k, 1, true);
    outbox_relay_kick(a);
    outbox_relay_kick(b);
    ck_assert(TS_POLL_UNTIL(booking_it_collected(c) >= expected_total(&e), BOOKING_IT_WAIT_MS));
    ck_assert(TS_POLL_UNTIL(outbox_unpublished(it.db) == 0, BOOKING_IT_WAIT_MS));
    ck_assert_int_eq(check_order(c, &e), 0);
    ck_assert_int_eq(booking_it_collected(c), expected_total(&e));

    outbox_relay_stop(a);
    outbox_relay_stop(b);
    booking_it_collector_free(c);
    kafka_producer_free(other_producer);
    db_pool_free(other_pool);
}
END_TEST

/* The trace of the work that appended a row goes out with its event (ce_traceparent); a row
 * stored before events named their schema (structured, no dataschema) goes out in binary mode
 * with one. */
START_TEST(test_rows_go_out_with_their_trace_and_a_dataschema)
{
    trace_context_t t;
    ck_assert_int_eq(
        trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", NULL, &t), 0);
    ck_assert_int_eq(db_begin(it.db), DB_OK);
    trace_set_current(&t);
    json_object *data = json_object_new_object();
    json_object_object_add(data, "bookingId", json_object_new_string("bk_traced"));
    ck_assert_int_eq(
        outbox_append(it.db, "booking.events", "bk_traced", "lodging.booking.held", data, NULL), 0);
    json_object_put(data);
    trace_set_current(NULL);
    const char *old =
        "{\"specversion\":\"1.0\",\"id\":\"5d1f3c52-8a0e-4f4e-9a57-0c6f1d2b3a4e\","
        "\"source\":\"/booking-svc\",\"type\":\"lodging.booking.held\","
        "\"subject\":\"bk_old\",\"time\":\"2025-10-20T09:30:00.123Z\","
        "\"datacontenttype\":\"application/json\",\"data\":{\"bookingId\":\"bk_old\"}}";
    db_param_t p[] = {DB_STR(old)};
    ck_assert_int_eq(db_exec(it.db,
                             "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, topic, "
                             "event_type, payload) VALUES ('5d1f3c52-8a0e-4f4e-9a57-0c6f1d2b3a4e', "
                             "'booking', 'bk_old', 'booking.events', 'lodging.booking.held', ?)",
                             p, 1, NULL, NULL),
                     DB_OK);
    ck_assert_int_eq(db_commit(it.db), DB_OK);

    booking_it_collector_t *c = booking_it_collect(&it, "booking.events");
    outbox_relay_t *r = relay_on(it.producer, it.pool);
    outbox_relay_kick(r);
    ck_assert(TS_POLL_UNTIL(booking_it_collected(c) >= 2, BOOKING_IT_WAIT_MS));
    for (int i = 0; i < 2; i++) {
        booking_it_message_t m = booking_it_message(c, i);
        ck_assert_str_eq(m.content_type, "application/json");
        ck_assert_str_eq(m.ce_dataschema, "urn:lodging:events:booking");
        if (strcmp(m.key, "bk_traced") == 0)
            ck_assert_str_eq(m.ce_traceparent,
                             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        else
            ck_assert_str_eq(m.ce_traceparent, "");
    }
    outbox_relay_stop(r);
    booking_it_collector_free(c);
}
END_TEST

START_TEST(test_append_refuses_missing_arguments_and_writes_nothing)
{
    ck_assert_int_eq(db_begin(it.db), DB_OK);
    ck_assert_int_eq(outbox_append(it.db, "", "bk_1", "lodging.booking.held", NULL, NULL), -1);
    ck_assert_int_eq(
        outbox_append(it.db, "booking.events", NULL, "lodging.booking.held", NULL, NULL), -1);
    ck_assert_int_eq(outbox_append(it.db, "booking.events", "bk_1", NULL, NULL, NULL), -1);
    ck_assert_int_eq(db_commit(it.db), DB_OK);
    ck_assert_int_eq(outbox_unpublished(it.db), 0);
    outbox_relay_stop(NULL);
    outbox_relay_kick(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("booking-svc outbox");
    TCase *tc = tcase_create("relay");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc,
                   test_rolled_back_rows_never_publish_and_committed_rows_publish_once_in_order);
    tcase_add_test(tc, test_a_full_default_batch_publishes_every_row_once);
    tcase_add_test(tc, test_purge_deletes_only_old_published_rows);
    tcase_add_test(tc, test_the_relay_keeps_rows_while_kafka_is_unreachable_and_catches_up);
    tcase_add_test(tc, test_two_relays_on_one_database_keep_order_per_key_without_duplicates);
    tcase_add_test(tc, test_rows_go_out_with_their_trace_and_a_dataschema);
    tcase_add_test(tc, test_append_refuses_missing_arguments_and_writes_nothing);
    suite_add_tcase(s, tc);
    return check_run(s);
}
