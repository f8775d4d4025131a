/* kafka.c and cloudevents.c against the real Kafka broker of the local stack.
 * Every test makes its own topics (and group ids) with random names and
 * deletes the topics at the end. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cloudevents.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/trace.h"
#include "testsupport.h"
#include "check_run.h"

#define WAIT_MS 60000
#define ADMIN_TIMEOUT_MS 30000
#define MAX_SEEN 256
#define CRASH_EXIT_CODE 42

static const char *brokers;
static char topic[96], dlq[128], group[96];

/* What the handlers saw. */
typedef struct seen {
    pthread_mutex_t lock;
    int count;
    char keys[MAX_SEEN][32];
    char values[MAX_SEEN][256];
    char ce_id[MAX_SEEN][64];
    char event[MAX_SEEN][320];   /* "type|subject|dataschema|data" read by cloudevent_from_kafka */
    char trace_id[MAX_SEEN][40]; /* the handler thread's trace while it ran */
    int retry_first_n;           /* return RETRY for the first n calls */
    int calls;
    const char *poison_value; /* return POISON for this value */
} seen_t;

static seen_t seen;

static kafka_handler_result_t record(const kafka_message_t *m, void *ctx, char *reason,
                                     size_t reason_size)
{
    seen_t *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->calls++;
    kafka_handler_result_t r = KAFKA_HANDLER_OK;
    if (s->calls <= s->retry_first_n) {
        r = KAFKA_HANDLER_RETRY;
    } else if (s->poison_value && m->len == strlen(s->poison_value) &&
               memcmp(m->value, s->poison_value, m->len) == 0) {
        snprintf(reason, reason_size, "unknown event type");
        r = KAFKA_HANDLER_POISON;
    } else if (s->count < MAX_SEEN) {
        snprintf(s->keys[s->count], sizeof s->keys[0], "%.*s", (int)m->key_len,
                 (const char *)m->key);
        snprintf(s->values[s->count], sizeof s->values[0], "%.*s", (int)m->len,
                 (const char *)m->value);
        char buf[64];
        const char *id = kafka_message_header(m, "ce_id", buf, sizeof buf);
        snprintf(s->ce_id[s->count], sizeof s->ce_id[0], "%s", id ? id : "");
        char err[128];
        cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
        if (ev) {
            const char *data = ev->data ? json_object_to_json_string_ext(ev->data, 0) : "";
            snprintf(s->event[s->count], sizeof s->event[0], "%s|%s|%s|%s", ev->type,
                     ev->subject ? ev->subject : "", ev->dataschema ? ev->dataschema : "", data);
        }
        cloudevent_free(ev);
        const trace_context_t *t = trace_current();
        snprintf(s->trace_id[s->count], sizeof s->trace_id[0], "%s", t ? t->trace_id : "");
        s->count++;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

static int seen_count(void)
{
    pthread_mutex_lock(&seen.lock);
    int n = seen.count;
    pthread_mutex_unlock(&seen.lock);
    return n;
}

static void setup(void)
{
    log_init("it_kafka", LOG_LEVEL_ERROR);
    brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    char err[256];
    ck_assert_msg(kafka_admin_wait_ready(brokers, NULL, WAIT_MS, err, sizeof err) == 0, "%s", err);
    ts_unique_name("it_kafka", topic, sizeof topic);
    snprintf(dlq, sizeof dlq, "%s%s", topic, KAFKA_DLQ_SUFFIX);
    ts_unique_name("it_group", group, sizeof group);
    const char *names[] = {topic, dlq};
    ck_assert_msg(
        kafka_admin_create_topics(brokers, names, 2, 3, 1, ADMIN_TIMEOUT_MS, err, sizeof err) == 0,
        "%s", err);
    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.lock, NULL);
}

static void teardown(void)
{
    char err[256];
    const char *names[] = {topic, dlq};
    kafka_admin_delete_topics(brokers, names, 2, ADMIN_TIMEOUT_MS, err, sizeof err);
    pthread_mutex_destroy(&seen.lock);
}

static kafka_producer_t *producer(void)
{
    char err[256];
    kafka_producer_t *p = kafka_producer_new(brokers, "it_kafka", NULL, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    return p;
}

static kafka_consumer_t *consumer_for(const char *t, const char *const *extra)
{
    char err[256];
    const char *topics[] = {t, NULL};
    kafka_consumer_config_t cfg = {.brokers = brokers,
                                   .group_id = group,
                                   .topics = topics,
                                   .handler = record,
                                   .ctx = &seen,
                                   .max_attempts = 3,
                                   .retry_backoff_ms = 10,
                                   .extra = extra};
    kafka_consumer_t *c = kafka_consumer_new(&cfg, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static void send(kafka_producer_t *p, const char *t, const char *key, const char *value)
{
    char err[256];
    ck_assert_msg(kafka_producer_send_sync(p, t, key, strlen(key), value, strlen(value), NULL, 0,
                                           err, sizeof err) == 0,
                  "%s", err);
}

/* Polls until `n` messages were recorded (or the deadline passes). */
static bool consume_until(kafka_consumer_t *c, int n)
{
    return TS_POLL_UNTIL((kafka_consumer_poll_once(c, 100), seen_count() >= n), WAIT_MS);
}

START_TEST(test_a_cloudevent_round_trips_in_binary_mode_with_its_trace)
{
    kafka_producer_t *p = producer();
    json_object *data = json_object_new_object();
    json_object_object_add(data, "hotelId", json_object_new_string("hotel_123"));
    trace_context_t trace;
    ck_assert_int_eq(trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                 "vendor=opaque", &trace),
                     0);
    trace_set_current(&trace);
    cloudevent_t *ev =
        cloudevent_new("lodging.pms.inventory.updated", "/webhook-ingest", "hotel_123", data);
    trace_set_current(NULL);
    char err[256];
    ck_assert_int_eq(cloudevent_send_sync(p, topic, "hotel_123", ev, err, sizeof err), 0);
    kafka_consumer_t *c = consumer_for(topic, NULL);
    ck_assert(consume_until(c, 1));
    ck_assert_str_eq(seen.keys[0], "hotel_123");
    ck_assert_str_eq(seen.ce_id[0], ev->id);
    /* binary mode: the value is the data alone */
    ck_assert_str_eq(seen.values[0], "{\"hotelId\":\"hotel_123\"}");
    ck_assert_str_eq(seen.event[0], "lodging.pms.inventory.updated|hotel_123|"
                                    "urn:lodging:events:pms-inventory-updated|"
                                    "{\"hotelId\":\"hotel_123\"}");
    /* the consumer continued the producer's trace while the handler ran */
    ck_assert_str_eq(seen.trace_id[0], "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_ptr_null(trace_current());
    cloudevent_free(ev);
    kafka_consumer_free(c);
    kafka_producer_free(p);
}
END_TEST

/* A message written before binary mode (structured, with the old ce_* copies)
 * is still read; it carries no trace, so the handler gets a new one. */
START_TEST(test_a_structured_mode_message_from_before_binary_mode_is_still_read)
{
    kafka_producer_t *p = producer();
    const char *old = "{\"specversion\":\"1.0\",\"id\":\"8d0c2f4e-0b7e-4c39-9d43-3f0c1f7a6b21\","
                      "\"source\":\"/booking-svc\",\"type\":\"lodging.booking.held\","
                      "\"subject\":\"bk_1\",\"time\":\"2025-11-01T10:00:00.000Z\","
                      "\"datacontenttype\":\"application/json\",\"data\":{\"bookingId\":\"bk_1\"}}";
    kafka_header_t h[] = {{"content-type", CLOUDEVENT_CONTENT_TYPE},
                          {"ce_id", "8d0c2f4e-0b7e-4c39-9d43-3f0c1f7a6b21"},
                          {"ce_type", "lodging.booking.held"},
                          {"ce_source", "/booking-svc"}};
    char err[256];
    ck_assert_int_eq(
        kafka_producer_send_sync(p, topic, "bk_1", 4, old, strlen(old), h, 4, err, sizeof err), 0);
    kafka_consumer_t *c = consumer_for(topic, NULL);
    ck_assert(consume_until(c, 1));
    ck_assert_str_eq(seen.event[0], "lodging.booking.held|bk_1||{\"bookingId\":\"bk_1\"}");
    ck_assert_int_eq(strlen(seen.trace_id[0]), TRACE_ID_LEN);
    kafka_consumer_free(c);
    kafka_producer_free(p);
}
END_TEST

#define ORDER_MESSAGES 100
#define ORDER_KEYS 5

START_TEST(test_messages_of_one_key_arrive_in_order)
{
    kafka_producer_t *p = producer();
    char err[256], key[16], value[32];
    for (int i = 0; i < ORDER_MESSAGES; i++) {
        snprintf(key, sizeof key, "hotel_%d", i % ORDER_KEYS);
        snprintf(value, sizeof value, "%d", i);
        ck_assert_int_eq(kafka_producer_send(p, topic, key, strlen(key), value, strlen(value), NULL,
                                             0, NULL, NULL, err, sizeof err),
                         0);
    }
    ck_assert_int_eq(kafka_producer_flush(p, WAIT_MS), 0);
    kafka_consumer_t *c = consumer_for(topic, NULL);
    ck_assert(consume_until(c, ORDER_MESSAGES));
    int last[ORDER_KEYS];
    for (int k = 0; k < ORDER_KEYS; k++)
        last[k] = -1;
    for (int i = 0; i < ORDER_MESSAGES; i++) {
        int k = atoi(seen.keys[i] + strlen("hotel_"));
        int v = atoi(seen.values[i]);
        ck_assert_msg(v > last[k], "key %d: %d after %d", k, v, last[k]);
        ck_assert_int_eq(v % ORDER_KEYS, k);
        last[k] = v;
    }
    kafka_consumer_free(c);
    kafka_producer_free(p);
}
END_TEST

START_TEST(test_retry_redelivers_and_only_handled_offsets_are_committed)
{
    kafka_producer_t *p = producer();
    send(p, topic, "k", "first");
    kafka_consumer_t *c = consumer_for(topic, NULL);
    seen.retry_first_n = 2;
    ck_assert(consume_until(c, 1));
    ck_assert_int_eq(seen.calls, 3); /* two RETRYs, then OK */
    ck_assert_str_eq(seen.values[0], "first");
    kafka_consumer_free(c); /* close commits the stored offset */

    send(p, topic, "k", "second");
    c = consumer_for(topic, NULL);
    ck_assert(consume_until(c, 2));
    ck_assert_str_eq(seen.values[1], "second"); /* "first" was not redelivered */
    kafka_consumer_free(c);
    kafka_producer_free(p);
}
END_TEST

START_TEST(test_a_poison_message_goes_to_the_dlq_with_its_reason_and_key)
{
    kafka_producer_t *p = producer();
    send(p, topic, "hotel_9", "poison");
    send(p, topic, "hotel_9", "after");
    seen.poison_value = "poison";
    kafka_consumer_t *c = consumer_for(topic, NULL);
    ck_assert(consume_until(c, 1));
    ck_assert_str_eq(seen.values[0], "after"); /* the consumer moved on */
    kafka_consumer_free(c);

    /* Read the DLQ with a plain consumer that records headers through ce_id's slot. */
    seen.poison_value = NULL;
    seen.count = 0;
    ts_unique_name("it_dlq_group", group, sizeof group);
    kafka_consumer_t *d = consumer_for(dlq, NULL);
    ck_assert(consume_until(d, 1));
    ck_assert_str_eq(seen.keys[0], "hotel_9");
    ck_assert_str_eq(seen.values[0], "poison");
    kafka_consumer_free(d);
    kafka_producer_free(p);
}
END_TEST

static kafka_handler_result_t check_dlq_headers(const kafka_message_t *m, void *ctx, char *reason,
                                                size_t reason_size)
{
    (void)reason, (void)reason_size;
    int *ok = ctx;
    char buf[128], buf2[128];
    const char *why = kafka_message_header(m, "x-dlq-reason", buf, sizeof buf);
    const char *src = kafka_message_header(m, "x-dlq-source-topic", buf2, sizeof buf2);
    *ok = why && strcmp(why, "unknown event type") == 0 && src && strcmp(src, topic) == 0 ? 1 : -1;
    return KAFKA_HANDLER_OK;
}

START_TEST(test_dlq_messages_carry_the_reason_and_source_headers)
{
    kafka_producer_t *p = producer();
    send(p, topic, "hotel_9", "poison");
    seen.poison_value = "poison";
    kafka_consumer_t *c = consumer_for(topic, NULL);
    TS_POLL_UNTIL((kafka_consumer_poll_once(c, 100), seen.calls >= 1), WAIT_MS);
    kafka_consumer_free(c);
    int ok = 0;
    char err[256], g[96];
    const char *topics[] = {dlq, NULL};
    kafka_consumer_config_t cfg = {.brokers = brokers,
                                   .group_id = ts_unique_name("g", g, sizeof g),
                                   .topics = topics,
                                   .handler = check_dlq_headers,
                                   .ctx = &ok};
    kafka_consumer_t *d = kafka_consumer_new(&cfg, err, sizeof err);
    ck_assert(TS_POLL_UNTIL((kafka_consumer_poll_once(d, 100), ok != 0), WAIT_MS));
    ck_assert_int_eq(ok, 1);
    kafka_consumer_free(d);
    kafka_producer_free(p);
}
END_TEST

static kafka_handler_result_t crash(const kafka_message_t *m, void *ctx, char *reason,
                                    size_t reason_size)
{
    (void)m, (void)ctx, (void)reason, (void)reason_size;
    _exit(CRASH_EXIT_CODE); /* dies before the offset is stored or committed */
}

/* The child: produce one message, consume it in `group`, crash in the handler. */
static void crashing_child(void)
{
    char err[256];
    kafka_producer_t *p = kafka_producer_new(brokers, "crasher", NULL, err, sizeof err);
    if (!p ||
        kafka_producer_send_sync(p, topic, "k", 1, "survivor", 8, NULL, 0, err, sizeof err) != 0)
        _exit(1);
    kafka_producer_free(p);
    const char *topics[] = {topic, NULL};
    const char *extra[] = {"session.timeout.ms", "6000", NULL};
    kafka_consumer_config_t cfg = {
        .brokers = brokers, .group_id = group, .topics = topics, .handler = crash, .extra = extra};
    kafka_consumer_t *c = kafka_consumer_new(&cfg, err, sizeof err);
    if (!c)
        _exit(1);
    int64_t deadline = ts_now_ms() + WAIT_MS;
    while (ts_now_ms() < deadline)
        kafka_consumer_poll_once(c, 100);
    _exit(2); /* never got the message */
}

START_TEST(test_a_consumer_that_crashes_before_commit_gets_the_message_again)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        crashing_child();
    int status = 0;
    bool exited = TS_POLL_UNTIL(waitpid(pid, &status, WNOHANG) == pid, WAIT_MS + 10000);
    if (!exited)
        kill(pid, SIGKILL);
    ck_assert(exited && WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), CRASH_EXIT_CODE);
    kafka_consumer_t *c = consumer_for(topic, NULL);
    ck_assert(consume_until(c, 1));
    ck_assert_str_eq(seen.values[0], "survivor");
    kafka_consumer_free(c);
}
END_TEST

#define REBALANCE_MESSAGES 60

/* Which of the numbered messages were handled, by anyone, and how often. */
typedef struct tally {
    pthread_mutex_t lock;
    int handled[REBALANCE_MESSAGES + 1];
    int distinct;
    int after_restart; /* numbered messages seen by the consumer started last */
    bool restarted;
} tally_t;

static kafka_handler_result_t tally_message(const kafka_message_t *m, void *ctx, char *reason,
                                            size_t reason_size)
{
    (void)reason, (void)reason_size;
    tally_t *t = ctx;
    char text[32];
    snprintf(text, sizeof text, "%.*s", (int)m->len, (const char *)m->value);
    int n = atoi(text);
    pthread_mutex_lock(&t->lock);
    if (n >= 0 && n <= REBALANCE_MESSAGES) {
        if (t->handled[n]++ == 0)
            t->distinct++;
        if (t->restarted && n < REBALANCE_MESSAGES)
            t->after_restart++;
    }
    pthread_mutex_unlock(&t->lock);
    return KAFKA_HANDLER_OK;
}

static int tally_distinct(tally_t *t)
{
    pthread_mutex_lock(&t->lock);
    int n = t->distinct;
    pthread_mutex_unlock(&t->lock);
    return n;
}

static kafka_consumer_t *tally_consumer(tally_t *t)
{
    char err[256];
    const char *topics[] = {topic, NULL};
    kafka_consumer_config_t cfg = {.brokers = brokers,
                                   .group_id = group,
                                   .topics = topics,
                                   .handler = tally_message,
                                   .ctx = t};
    kafka_consumer_t *c = kafka_consumer_new(&cfg, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(kafka_consumer_start(c), 0);
    return c;
}

START_TEST(test_a_rebalance_loses_nothing_and_commits_what_was_handled)
{
    tally_t t = {0};
    pthread_mutex_init(&t.lock, NULL);
    kafka_producer_t *p = producer();
    char err[256], key[16], value[16];
    for (int i = 0; i < REBALANCE_MESSAGES; i++) {
        snprintf(key, sizeof key, "k%d", i % 10);
        snprintf(value, sizeof value, "%d", i);
        ck_assert_int_eq(kafka_producer_send(p, topic, key, strlen(key), value, strlen(value), NULL,
                                             0, NULL, NULL, err, sizeof err),
                         0);
    }
    ck_assert_int_eq(kafka_producer_flush(p, WAIT_MS), 0);
    kafka_consumer_t *a = tally_consumer(&t);
    ck_assert(TS_POLL_UNTIL(tally_distinct(&t) >= 1, WAIT_MS));
    kafka_consumer_t *b = tally_consumer(&t); /* joins: the group rebalances */
    ck_assert(TS_POLL_UNTIL(tally_distinct(&t) == REBALANCE_MESSAGES, WAIT_MS));
    kafka_consumer_free(a);
    kafka_consumer_free(b);

    /* A new member of the group starts after the committed offsets. */
    pthread_mutex_lock(&t.lock);
    t.restarted = true;
    pthread_mutex_unlock(&t.lock);
    snprintf(value, sizeof value, "%d", REBALANCE_MESSAGES);
    send(p, topic, "k0", value);
    kafka_consumer_t *c = tally_consumer(&t);
    ck_assert(TS_POLL_UNTIL(tally_distinct(&t) == REBALANCE_MESSAGES + 1, WAIT_MS));
    kafka_consumer_free(c);
    ck_assert_int_eq(t.after_restart, 0);
    pthread_mutex_destroy(&t.lock);
    kafka_producer_free(p);
}
END_TEST

START_TEST(test_send_sync_reports_failure_for_a_missing_topic)
{
    const char *extra[] = {"message.timeout.ms", "3000", NULL};
    char err[256];
    kafka_producer_t *p = kafka_producer_new(brokers, "it_kafka", extra, err, sizeof err);
    ck_assert_ptr_nonnull(p);
    char missing[128];
    snprintf(missing, sizeof missing, "%s_missing", topic);
    ck_assert_int_eq(kafka_producer_send_sync(p, missing, "k", 1, "v", 1, NULL, 0, err, sizeof err),
                     -1);
    ck_assert(err[0] != '\0');
    kafka_producer_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka");
    TCase *tc = tcase_create("kafka");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_a_cloudevent_round_trips_in_binary_mode_with_its_trace);
    tcase_add_test(tc, test_a_structured_mode_message_from_before_binary_mode_is_still_read);
    tcase_add_test(tc, test_messages_of_one_key_arrive_in_order);
    tcase_add_test(tc, test_retry_redelivers_and_only_handled_offsets_are_committed);
    tcase_add_test(tc, test_a_poison_message_goes_to_the_dlq_with_its_reason_and_key);
    tcase_add_test(tc, test_dlq_messages_carry_the_reason_and_source_headers);
    tcase_add_test(tc, test_a_consumer_that_crashes_before_commit_gets_the_message_again);
    tcase_add_test(tc, test_a_rebalance_loses_nothing_and_commits_what_was_handled);
    tcase_add_test(tc, test_send_sync_reports_failure_for_a_missing_topic);
    suite_add_tcase(s, tc);
    return check_run(s);
}
