/* webhook-ingest end to end: the binary on a free port against the
 * real Kafka and Redis of the stack, every test with its own topic prefix (a
 * one-partition pms.events, so "nothing else was published" is checked by
 * consuming up to a sentinel) and its own Redis database.
 *
 * Covered: signed webhooks published once with their duplicates acknowledged;
 * forged, replayed, oversize, malformed and unknown-vendor webhooks rejected
 * with nothing published; per-hotel secrets; Kafka down → 503 and the PMS retry
 * after recovery published exactly once (a dead broker address, and librdkafka's
 * mock cluster going down and up under one running instance); Redis down →
 * still published with the same event id; concurrent deliveries of one event
 * published once; many webhooks waiting for their acknowledgements at once on
 * one HTTP thread (each published once; with Kafka down each answered 503 by
 * its own deadline); no secret → exit 2; the real pms-sandbox delivering a
 * front-desk change through webhook-ingest onto pms.events. */
#include <check.h>
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "common/cloudevents.h"
#include "common/crypto.h"
#include "common/dates.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/trace.h"
#include "check_run.h"
#include "testsupport.h"
#include "ts_sandbox.h"

#define WAIT_MS 30000
#define ADMIN_TIMEOUT_MS 30000
#define START_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 15000
#define PUBLISH_TIMEOUT_MS 1500 /* instances whose broker is down */
#define PUBLISH_TIMEOUT_ENV "WEBHOOK_PUBLISH_TIMEOUT_MS=1500"
#define SECRET "whsec_it"
#define VIP_SECRET "whsec_vip_hotel"
#define MAX_MESSAGES 64
#define EXAMPLES LODGING_SOURCE_DIR "/proto/examples/"

/* ------------------------------------------------------------ fixture -- */

static const char *brokers;
static char prefix[64], topic[128], redis_url[128];
static int redis_db = -1;

typedef struct ingest_proc {
    ts_proc_t *proc;
    int port;
    http_client_t *http;
    char log_path[256]; /* its output, named in failure messages */
} ingest_proc_t;

static ingest_proc_t main_ingest; /* on the real broker */

static void setup(void)
{
    log_init("it_webhook_ingest", LOG_LEVEL_ERROR);
    brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    char err[256];
    ck_assert_msg(kafka_admin_wait_ready(brokers, NULL, WAIT_MS, err, sizeof err) == 0, "%s", err);
    ts_unique_name("itwh", prefix, sizeof prefix);
    strcat(prefix, "_");
    kafka_topic_name(prefix, "pms.events", topic, sizeof topic);
    const char *names[] = {topic};
    ck_assert_msg(
        kafka_admin_create_topics(brokers, names, 1, 1, 1, ADMIN_TIMEOUT_MS, err, sizeof err) == 0,
        "%s", err);
    ck_assert_msg(kafka_admin_wait_ready(brokers, topic, WAIT_MS, err, sizeof err) == 0, "%s", err);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_ge(redis_db, 0);
}

static void teardown(void)
{
    char err[256];
    const char *names[] = {topic};
    kafka_admin_delete_topics(brokers, names, 1, ADMIN_TIMEOUT_MS, err, sizeof err);
    ts_redis_db_release(redis_db);
}

/* Starts webhook-ingest with the test's prefix, Redis and secrets, plus `extra`
 * ("NAME=value", NULL-terminated) which win; waits for /healthz. */
static void ingest_start(ingest_proc_t *p, const char *const *extra)
{
    char path[512], port_env[64], prefix_env[128], redis_env[192], brokers_env[256];
    snprintf(path, sizeof path, "%s/services/webhook-ingest/webhook-ingest", LODGING_BINARY_DIR);
    p->port = ts_free_port();
    snprintf(port_env, sizeof port_env, "WEBHOOK_INGEST_PORT=%d", p->port);
    snprintf(prefix_env, sizeof prefix_env, "KAFKA_TOPIC_PREFIX=%s", prefix);
    snprintf(redis_env, sizeof redis_env, "REDIS_URL=%s", redis_url);
    snprintf(brokers_env, sizeof brokers_env, "KAFKA_BROKERS=%s", brokers);
    const char *env[24] = {port_env,
                           prefix_env,
                           redis_env,
                           brokers_env,
                           "LOG_LEVEL=warn",
                           "PMS_WEBHOOK_SECRET=" SECRET,
                           "PMS_WEBHOOK_SECRET_CLOUDBEDS_VIP_HOTEL=" VIP_SECRET};
    size_t n = 7;
    for (size_t i = 0; extra && extra[i] && n < 23; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    snprintf(p->log_path, sizeof p->log_path, "%s/it_webhook_ingest_%d.log", LODGING_BINARY_DIR,
             p->port);
    p->proc = ts_proc_start(path, env, p->log_path);
    ck_assert_ptr_nonnull(p->proc);
    ck_assert_msg(ts_http_wait_ok(p->port, "/healthz", START_TIMEOUT_MS),
                  "webhook-ingest did not start (see %s)", p->log_path);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", p->port);
    http_client_config_t cc = {.base_url = base, .total_timeout_ms = 20000};
    p->http = http_client_new(&cc);
}

/* SIGTERM; asserts exit 0, then removes the log unless keep_log. */
static void ingest_stop_keep_log(ingest_proc_t *p, bool keep_log)
{
    http_client_free(p->http);
    int status = ts_proc_stop(p->proc, 0, STOP_TIMEOUT_MS);
    ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "webhook-ingest did not stop cleanly (see %s)", p->log_path);
    if (!keep_log)
        remove(p->log_path);
    memset(p, 0, sizeof *p);
}

static void ingest_stop(ingest_proc_t *p)
{
    ingest_stop_keep_log(p, false);
}

static void setup_with_service(void)
{
    setup();
    ingest_start(&main_ingest, NULL);
}

static void teardown_with_service(void)
{
    ingest_stop(&main_ingest);
    teardown();
}

/* ------------------------------------------------------------ sending -- */

typedef struct answer {
    int status;
    char body[1024];
    long retry_after_ms;
} answer_t;

/* "t=<t>,v1=<hex>" computed here with the common HMAC (not the service's code). */
static void sign(const char *secret, long long t, const char *body, size_t len, char *out,
                 size_t out_size)
{
    char prefix_text[32];
    int n = snprintf(prefix_text, sizeof prefix_text, "%lld.", t);
    char *payload = malloc((size_t)n + len + 1);
    memcpy(payload, prefix_text, (size_t)n);
    memcpy(payload + n, body, len);
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    ck_assert_int_eq(crypto_hmac_sha256_hex(secret, strlen(secret), payload, (size_t)n + len, hex),
                     0);
    free(payload);
    snprintf(out, out_size, "t=%lld,v1=%s", t, hex);
}

/* POSTs body to /api/webhooks/pms/<vendor> with `signature` (NULL: none) and
 * `extra` headers (NULL-terminated, at most 4; may be NULL). */
static answer_t post_raw_with(ingest_proc_t *p, const char *vendor, const char *body, size_t len,
                              const char *signature, const char *const *extra)
{
    char path[128], header[256];
    snprintf(path, sizeof path, "/api/webhooks/pms/%s", vendor);
    const char *headers[7] = {"Content-Type: application/json"};
    size_t n = 1;
    if (signature) {
        snprintf(header, sizeof header, "x-pms-signature: %s", signature);
        headers[n++] = header;
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        ck_assert(n < 6);
        headers[n++] = extra[i];
    }
    http_client_response_t r;
    http_client_err_t e = http_client_request(p->http, "POST", path, NULL, headers, body, len, &r);
    answer_t a = {.status = e == HTTP_CLIENT_OK ? r.status : 0, .retry_after_ms = r.retry_after_ms};
    snprintf(a.body, sizeof a.body, "%s", r.body ? r.body : r.error);
    http_client_response_clear(&r);
    return a;
}

static answer_t post_raw(ingest_proc_t *p, const char *vendor, const char *body, size_t len,
                         const char *signature)
{
    return post_raw_with(p, vendor, body, len, signature, NULL);
}

/* POSTs body signed now with `secret`. */
static answer_t post_signed(ingest_proc_t *p, const char *vendor, const char *body,
                            const char *secret)
{
    char signature[160];
    sign(secret, (long long)time(NULL), body, strlen(body), signature, sizeof signature);
    return post_raw(p, vendor, body, strlen(body), signature);
}

/* A normalised inventory_update with its own event id (written into event_id). */
static void inventory_body(const char *vendor, const char *hotel, char *event_id, size_t id_size,
                           char *out, size_t out_size)
{
    char id[64];
    ts_unique_name("evt", id, sizeof id);
    snprintf(event_id, id_size, "%s", id);
    snprintf(out, out_size,
             "{\"eventId\":\"%s\",\"eventType\":\"inventory_update\",\"vendor\":\"%s\","
             "\"hotelId\":\"%s\",\"timestamp\":\"2025-10-20T09:30:00Z\",\"data\":{\"roomTypeId\":"
             "\"room_456\",\"from\":\"2025-11-01\",\"to\":\"2025-11-02\",\"nights\":[{\"date\":"
             "\"2025-11-01\",\"available\":3,\"total\":10}]}}",
             id, vendor, hotel);
}

static char *read_example(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", EXAMPLES, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)size + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    return text;
}

/* ---------------------------------------------------------- consuming -- */

typedef struct consumed {
    int count;
    char key[MAX_MESSAGES][80];
    char ce_id[MAX_MESSAGES][64];
    char *value[MAX_MESSAGES];
} consumed_t;

/* The message as the event it carries (binary or structured mode) in structured JSON, so the
 * assertions read one form; the raw value when it is not a CloudEvent. malloc'd. */
static char *event_text(const kafka_message_t *m)
{
    char err[128];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    char *text = ev ? cloudevent_to_json(ev) : ts_copy_bytes(m->value, m->len);
    cloudevent_free(ev);
    return text;
}

static kafka_handler_result_t on_message(const kafka_message_t *m, void *ctx, char *reason,
                                         size_t reason_size)
{
    (void)reason, (void)reason_size;
    consumed_t *c = ctx;
    if (c->count == MAX_MESSAGES)
        return KAFKA_HANDLER_OK;
    snprintf(c->key[c->count], sizeof c->key[0], "%.*s", (int)m->key_len, (const char *)m->key);
    const char *id = kafka_message_header(m, "ce_id", c->ce_id[c->count], sizeof c->ce_id[0]);
    if (!id)
        c->ce_id[c->count][0] = '\0';
    c->value[c->count] = event_text(m);
    c->count++;
    return KAFKA_HANDLER_OK;
}

static void consumed_clear(consumed_t *c)
{
    for (int i = 0; i < c->count; i++)
        free(c->value[i]);
    memset(c, 0, sizeof *c);
}

/* Reads `topic_name` on `bootstrap` from the start until a message whose value
 * contains `until` arrived (or the deadline passed). */
static void consume_until(const char *bootstrap, const char *topic_name, const char *until,
                          consumed_t *c)
{
    memset(c, 0, sizeof *c);
    char err[256], group[64];
    const char *topics[] = {topic_name, NULL};
    kafka_consumer_config_t cfg = {.brokers = bootstrap,
                                   .group_id = ts_unique_name("itwh", group, sizeof group),
                                   .topics = topics,
                                   .handler = on_message,
                                   .ctx = c};
    kafka_consumer_t *k = kafka_consumer_new(&cfg, err, sizeof err);
    ck_assert_msg(k != NULL, "%s", err);
    bool found = TS_POLL_UNTIL(kafka_consumer_poll_once(k, 100) >= 0 && c->count > 0 &&
                                   strstr(c->value[c->count - 1], until) != NULL,
                               WAIT_MS);
    kafka_consumer_free(k);
    ck_assert_msg(found, "no message containing %s on %s (%d seen)", until, topic_name, c->count);
}

/* Publishes a sentinel webhook through `p` and consumes up to it. */
static void consume_through_sentinel(ingest_proc_t *p, consumed_t *c)
{
    char id[64], body[1024];
    inventory_body("sandbox", "hotel_sentinel", id, sizeof id, body, sizeof body);
    answer_t a = post_signed(p, "sandbox", body, SECRET);
    ck_assert_msg(a.status == 200, "sentinel: %d %s", a.status, a.body);
    consume_until(brokers, topic, id, c);
}

static int count_containing(const consumed_t *c, const char *text)
{
    int n = 0;
    for (int i = 0; i < c->count; i++)
        n += strstr(c->value[i], text) != NULL;
    return n;
}

static char *metrics_text(ingest_proc_t *p)
{
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(p->http, "/metrics", NULL, NULL, &r), HTTP_CLIENT_OK);
    char *text = strdup(r.body);
    http_client_response_clear(&r);
    return text;
}

/* -------------------------------------------------------- happy paths -- */

START_TEST(test_a_signed_webhook_is_published_once_and_its_duplicate_acknowledged)
{
    char id[64], body[1024];
    inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
    answer_t a = post_signed(&main_ingest, "sandbox", body, SECRET);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.body);
    ck_assert_ptr_nonnull(strstr(a.body, "\"duplicate\":false"));
    a = post_signed(&main_ingest, "sandbox", body, SECRET);
    ck_assert_int_eq(a.status, 200);
    ck_assert_ptr_nonnull(strstr(a.body, "\"duplicate\":true"));

    consumed_t c;
    consume_through_sentinel(&main_ingest, &c);
    ck_assert_int_eq(c.count, 2);
    ck_assert_int_eq(count_containing(&c, id), 1);
    ck_assert_str_eq(c.key[0], "hotel_123");
    ck_assert_uint_eq(strlen(c.ce_id[0]), CRYPTO_UUID_LEN);
    json_object *ev = json_tokener_parse(c.value[0]);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(ev, "type")),
                     "lodging.pms.inventory.updated");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(ev, "subject")), "hotel_123");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(ev, "id")), c.ce_id[0]);
    json_object *data = json_object_object_get(ev, "data");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(data, "eventId")), id);
    json_object_put(ev);
    consumed_clear(&c);

    char *m = metrics_text(&main_ingest);
    ck_assert_ptr_nonnull(
        strstr(m, "webhook_received_total{vendor=\"sandbox\",outcome=\"accepted\"}"));
    ck_assert_ptr_nonnull(strstr(m, "webhook_duplicates_total{vendor=\"sandbox\"} 1"));
    ck_assert_ptr_nonnull(strstr(m, "webhook_publish_duration_seconds_count{outcome=\"ok\"}"));
    free(m);
}
END_TEST

START_TEST(test_cloudbeds_own_payloads_are_normalised_and_keyed_by_property)
{
    char *created = read_example("pms/cloudbeds/webhooks/reservation-created.json");
    char *block = read_example("pms/cloudbeds/webhooks/roomblock-created.json");
    char *ignored =
        read_example("pms/cloudbeds/webhooks/reservation-status_changed-not_confirmed.json");
    answer_t a = post_signed(&main_ingest, "cloudbeds", created, SECRET);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.body);
    a = post_signed(&main_ingest, "cloudbeds", created, SECRET); /* same bytes: a duplicate */
    ck_assert_ptr_nonnull(strstr(a.body, "\"duplicate\":true"));
    a = post_signed(&main_ingest, "cloudbeds", block, SECRET);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.body);
    ck_assert_ptr_nonnull(strstr(a.body, "\"events\":2"));
    a = post_signed(&main_ingest, "cloudbeds", ignored, SECRET);
    ck_assert_int_eq(a.status, 200);
    ck_assert_ptr_nonnull(strstr(a.body, "\"ignored\":true"));

    consumed_t c;
    consume_through_sentinel(&main_ingest, &c);
    ck_assert_int_eq(c.count, 4); /* confirmed, two room types blocked, the sentinel */
    ck_assert_str_eq(c.key[0], "200001");
    ck_assert_ptr_nonnull(strstr(c.value[0], "\"type\":\"lodging.pms.booking.confirmed\""));
    ck_assert_ptr_nonnull(strstr(c.value[0], "\"reservationId\":\"8820481539\""));
    ck_assert_ptr_nonnull(strstr(c.value[1], "\"roomTypeId\":\"514790\""));
    ck_assert_ptr_nonnull(strstr(c.value[2], "\"roomTypeId\":\"514791\""));
    ck_assert_str_ne(c.ce_id[1], c.ce_id[2]);
    consumed_clear(&c);
    free(created);
    free(block);
    free(ignored);
}
END_TEST

START_TEST(test_the_sandbox_shape_is_accepted_on_the_cloudbeds_route)
{
    char *confirm = read_example("http/webhook-booking-confirm.json");
    answer_t a = post_signed(&main_ingest, "cloudbeds", confirm, SECRET);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.body);
    consumed_t c;
    consume_through_sentinel(&main_ingest, &c);
    ck_assert_int_eq(c.count, 2);
    ck_assert_ptr_nonnull(strstr(c.value[0], "\"type\":\"lodging.pms.booking.confirmed\""));
    ck_assert_ptr_nonnull(strstr(c.value[0], "\"vendor\":\"cloudbeds\""));
    consumed_clear(&c);
    free(confirm);
}
END_TEST

START_TEST(test_a_hotel_secret_wins_over_the_shared_secret)
{
    char id[64], body[1024];
    inventory_body("cloudbeds", "vip-hotel", id, sizeof id, body, sizeof body);
    answer_t a = post_signed(&main_ingest, "cloudbeds", body, SECRET);
    ck_assert_int_eq(a.status, 401);
    a = post_signed(&main_ingest, "cloudbeds", body, VIP_SECRET);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.body);
    /* The hotel's secret does not sign events of another property. */
    a = post_signed(&main_ingest, "cloudbeds",
                    "{\"event\":\"reservation/deleted\",\"hotelId\":\"vip-hotel\","
                    "\"propertyID\":\"other\",\"reservationID\":\"1\"}",
                    VIP_SECRET);
    ck_assert_int_eq(a.status, 401);
    consumed_t c;
    consume_through_sentinel(&main_ingest, &c);
    ck_assert_int_eq(c.count, 2);
    ck_assert_str_eq(c.key[0], "vip-hotel");
    consumed_clear(&c);
}
END_TEST

/* ----------------------------------------------------------- security -- */

START_TEST(test_forged_replayed_oversize_and_malformed_webhooks_are_rejected_unpublished)
{
    char id[64], body[1024], sig[160];
    inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
    long long now = (long long)time(NULL);

    sign("whsec_forged", now, body, strlen(body), sig, sizeof sig);
    answer_t a = post_raw(&main_ingest, "sandbox", body, strlen(body), sig);
    ck_assert_int_eq(a.status, 401);
    ck_assert_ptr_nonnull(strstr(a.body, "\"errorCode\":\"UNAUTHORIZED\""));

    sign(SECRET, now - 301, body, strlen(body), sig, sizeof sig); /* a replay */
    a = post_raw(&main_ingest, "sandbox", body, strlen(body), sig);
    ck_assert_int_eq(a.status, 401);
    ck_assert_ptr_nonnull(strstr(a.body, "300 s"));

    a = post_raw(&main_ingest, "sandbox", body, strlen(body), NULL);
    ck_assert_int_eq(a.status, 401);

    size_t big_len = 300 * 1024;
    char *big = malloc(big_len + 1);
    memset(big, ' ', big_len);
    memcpy(big, body, strlen(body));
    big[big_len] = '\0';
    sign(SECRET, now, big, big_len, sig, sizeof sig);
    a = post_raw(&main_ingest, "sandbox", big, big_len, sig);
    ck_assert_int_eq(a.status, 413);
    ck_assert_ptr_nonnull(strstr(a.body, "\"errorCode\":\"PAYLOAD_TOO_LARGE\""));
    free(big);

    a = post_signed(&main_ingest, "sandbox", "{\"eventId\":", SECRET);
    ck_assert_int_eq(a.status, 400);
    ck_assert_ptr_nonnull(strstr(a.body, "\"field\":\"body\""));

    a = post_signed(&main_ingest, "sandbox",
                    "{\"eventId\":\"e1\",\"eventType\":\"inventory_update\",\"vendor\":\"sandbox\","
                    "\"hotelId\":\"h\",\"timestamp\":\"2025-10-20T09:30:00Z\",\"data\":{}}",
                    SECRET);
    ck_assert_int_eq(a.status, 400);
    ck_assert_ptr_nonnull(strstr(a.body, "\"field\":\"data.roomTypeId\""));

    a = post_signed(&main_ingest, "sandbox",
                    "{\"eventId\":\"e1\",\"eventType\":\"teleport\",\"vendor\":\"sandbox\","
                    "\"hotelId\":\"h\",\"timestamp\":\"2025-10-20T09:30:00Z\",\"data\":{}}",
                    SECRET);
    ck_assert_int_eq(a.status, 400);
    ck_assert_ptr_nonnull(strstr(a.body, "\"errorCode\":\"UNKNOWN_EVENT_TYPE\""));

    a = post_signed(&main_ingest, "opera", body, SECRET);
    ck_assert_int_eq(a.status, 400);
    ck_assert_ptr_nonnull(strstr(a.body, "\"errorCode\":\"UNKNOWN_VENDOR\""));

    consumed_t c;
    consume_through_sentinel(&main_ingest, &c);
    ck_assert_int_eq(c.count, 1); /* only the sentinel */
    ck_assert_int_eq(count_containing(&c, id), 0);
    consumed_clear(&c);

    char *m = metrics_text(&main_ingest);
    const char *reasons[] = {"bad_signature",      "stale_signature", "missing_signature",
                             "oversize",           "bad_json",        "missing_field",
                             "unknown_event_type", "unknown_vendor"};
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++) {
        char series[96];
        snprintf(series, sizeof series, "webhook_rejects_total{reason=\"%s\"} 1", reasons[i]);
        ck_assert_msg(strstr(m, series) != NULL, "no %s in /metrics", series);
    }
    free(m);
}
END_TEST

START_TEST(test_the_log_holds_no_secret_and_no_signature)
{
    ingest_proc_t p;
    const char *env[] = {"LOG_LEVEL=debug", NULL};
    ingest_start(&p, env);
    char id[64], body[1024], sig[160], path[256];
    snprintf(path, sizeof path, "%s", p.log_path);
    inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
    sign("whsec_forged", (long long)time(NULL), body, strlen(body), sig, sizeof sig);
    ck_assert_int_eq(post_raw(&p, "sandbox", body, strlen(body), sig).status, 401);
    ck_assert_int_eq(post_signed(&p, "sandbox", body, SECRET).status, 200);
    ingest_stop_keep_log(&p, true); /* flushes the log */
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[8192];
    const char *v1 = strstr(sig, "v1=") + 3;
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        ck_assert_msg(strstr(line, SECRET) == NULL, "secret logged: %s", line);
        ck_assert_msg(strstr(line, v1) == NULL, "signature logged: %s", line);
    }
    fclose(f);
    ck_assert_int_gt(lines, 0);
    remove(path);
}
END_TEST

/* The JSON log line of `path` with msg `msg` and request_id `request_id`
 * (caller puts), or NULL. */
static json_object *log_line_of(const char *path, const char *msg, const char *request_id)
{
    char *text = ts_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    json_object *found = NULL;
    for (char *line = text, *next; line && *line && !found; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        json_object *o = line[0] == '{' ? json_tokener_parse(line) : NULL, *m, *r;
        if (o && json_object_object_get_ex(o, "msg", &m) &&
            strcmp(json_object_get_string(m), msg) == 0 &&
            json_object_object_get_ex(o, "request_id", &r) &&
            strcmp(json_object_get_string(r), request_id) == 0)
            found = json_object_get(o);
        json_object_put(o);
    }
    free(text);
    return found;
}

static const char *member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* A worker thread answers a webhook once Kafka acknowledged it (or did not in
 * time): its line about the webhook carries the request id, trace id and span
 * id the request's own lines (its access line) carry. */
START_TEST(test_the_workers_line_about_a_webhook_carries_its_request_id_and_trace)
{
    char dead[64];
    snprintf(dead, sizeof dead, "KAFKA_BROKERS=127.0.0.1:%d", ts_free_port());
    const struct {
        const char *env[4];
        int status;
        const char *line;
    } cases[] = {{{"LOG_LEVEL=info", NULL}, 200, "webhook published"},
                 {{"LOG_LEVEL=info", dead, PUBLISH_TIMEOUT_ENV, NULL},
                  503,
                  "webhook not published: Kafka unavailable"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ingest_proc_t p;
        ingest_start(&p, cases[i].env);
        char id[64], body[1024], sig[160], request_id[64], rid_header[96], tp_header[96], path[256];
        inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
        sign(SECRET, (long long)time(NULL), body, strlen(body), sig, sizeof sig);
        ts_unique_name("whreq", request_id, sizeof request_id);
        snprintf(rid_header, sizeof rid_header, "X-Request-Id: %s", request_id);
        trace_context_t trace;
        ck_assert_int_eq(trace_start(&trace), 0);
        char traceparent[TRACE_TRACEPARENT_LEN + 1];
        trace_format(&trace, traceparent);
        snprintf(tp_header, sizeof tp_header, "traceparent: %s", traceparent);
        const char *headers[] = {rid_header, tp_header, NULL};
        answer_t a = post_raw_with(&p, "sandbox", body, strlen(body), sig, headers);
        ck_assert_msg(a.status == cases[i].status, "%d %s", a.status, a.body);
        snprintf(path, sizeof path, "%s", p.log_path);
        ingest_stop_keep_log(&p, true); /* every line written */
        json_object *worker = log_line_of(path, cases[i].line, request_id);
        json_object *access = log_line_of(path, "http request", request_id);
        ck_assert_msg(worker != NULL, "no \"%s\" line with request_id %s in %s", cases[i].line,
                      request_id, path);
        ck_assert_msg(access != NULL, "no access line of %s in %s", request_id, path);
        ck_assert_str_eq(member(access, "trace_id"), trace.trace_id);
        ck_assert_str_eq(member(worker, "trace_id"), trace.trace_id);
        ck_assert_str_eq(member(worker, "span_id"), member(access, "span_id"));
        json_object_put(worker);
        json_object_put(access);
        remove(path);
    }
}
END_TEST

/* ------------------------------------------------------ Kafka / Redis -- */

START_TEST(test_kafka_down_answers_503_and_the_retry_after_recovery_is_published_once)
{
    char dead[64];
    snprintf(dead, sizeof dead, "KAFKA_BROKERS=127.0.0.1:%d", ts_free_port());
    ingest_proc_t down;
    const char *env[] = {dead, PUBLISH_TIMEOUT_ENV, NULL};
    ingest_start(&down, env);
    char id[64], body[1024];
    inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
    for (int attempt = 0; attempt < 2; attempt++) { /* the claim is released: 503 again, not 409 */
        int64_t t0 = ts_now_ms();
        answer_t a = post_signed(&down, "sandbox", body, SECRET);
        ck_assert_msg(a.status == 503, "%d %s", a.status, a.body);
        ck_assert_ptr_nonnull(strstr(a.body, "\"errorCode\":\"KAFKA_UNAVAILABLE\""));
        ck_assert_int_gt(a.retry_after_ms, 0);
        ck_assert_int_lt(ts_now_ms() - t0, 10 * PUBLISH_TIMEOUT_MS); /* bounded, not a hang */
    }
    http_client_response_t r;
    ck_assert_int_eq(http_client_get(down.http, "/readyz", NULL, NULL, &r), HTTP_CLIENT_OK);
    ck_assert_int_eq(r.status, 503);
    http_client_response_clear(&r);
    ingest_stop(&down);

    /* The PMS retries; Kafka is back (the instance on the real broker). */
    answer_t a = post_signed(&main_ingest, "sandbox", body, SECRET);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.body);
    ck_assert_ptr_nonnull(strstr(a.body, "\"duplicate\":false"));
    a = post_signed(&main_ingest, "sandbox", body, SECRET);
    ck_assert_ptr_nonnull(strstr(a.body, "\"duplicate\":true"));
    consumed_t c;
    consume_through_sentinel(&main_ingest, &c);
    ck_assert_int_eq(count_containing(&c, id), 1);
    ck_assert_int_eq(c.count, 2);
    consumed_clear(&c);
}
END_TEST

/* One instance sees its broker go down and come back (librdkafka's mock cluster). */
START_TEST(test_a_broker_that_goes_down_and_up_gives_503_then_200_under_one_instance)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ck_assert_ptr_nonnull(owner);
    rd_kafka_mock_cluster_t *mock = rd_kafka_mock_cluster_new(owner, 1);
    ck_assert_ptr_nonnull(mock);
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(mock);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mock, topic, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    char brokers_env[256];
    snprintf(brokers_env, sizeof brokers_env, "KAFKA_BROKERS=%s", bootstrap);
    const char *env[] = {brokers_env, PUBLISH_TIMEOUT_ENV, NULL};
    ingest_proc_t p;
    ingest_start(&p, env);

    char id[64], body[1024];
    inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
    ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    answer_t a = post_signed(&p, "sandbox", body, SECRET);
    ck_assert_msg(a.status == 503, "%d %s", a.status, a.body);
    ck_assert_int_eq(rd_kafka_mock_broker_set_up(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    /* The PMS retries until the producer has reconnected. */
    bool accepted =
        TS_POLL_UNTIL((a = post_signed(&p, "sandbox", body, SECRET)).status == 200, WAIT_MS);
    ck_assert_msg(accepted, "never accepted after the broker came back: %d %s", a.status, a.body);
    a = post_signed(&p, "sandbox", body, SECRET);
    ck_assert_ptr_nonnull(strstr(a.body, "\"duplicate\":true"));
    ingest_stop(&p);

    consumed_t c;
    consume_until(bootstrap, topic, id, &c);
    /* A timed-out send may still have been written; then both copies carry one
     * CloudEvents id, which is what consumers de-duplicate by. */
    for (int i = 1; i < c.count; i++)
        ck_assert_str_eq(c.ce_id[i], c.ce_id[0]);
    ck_assert_int_ge(c.count, 1);
    consumed_clear(&c);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(owner);
}
END_TEST

START_TEST(test_redis_down_still_publishes_with_the_same_event_id)
{
    char dead[96];
    snprintf(dead, sizeof dead, "REDIS_URL=redis://127.0.0.1:%d/0", ts_free_port());
    ingest_proc_t p;
    const char *env[] = {dead, NULL};
    ingest_start(&p, env);
    char id[64], body[1024];
    inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
    answer_t a = post_signed(&p, "sandbox", body, SECRET);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.body);
    a = post_signed(&p, "sandbox", body, SECRET);
    ck_assert_int_eq(a.status, 200);
    char *m = metrics_text(&p);
    ck_assert_ptr_nonnull(strstr(m, "webhook_dedup_unavailable_total{operation=\"claim\"} 2"));
    free(m);
    consumed_t c;
    consume_through_sentinel(&p, &c);
    ck_assert_int_eq(count_containing(&c, id), 2);
    ck_assert_str_eq(c.ce_id[0], c.ce_id[1]);
    consumed_clear(&c);
    ingest_stop(&p);
}
END_TEST

typedef struct racer {
    const char *body;
    answer_t answer;
} racer_t;

static void *race(void *arg)
{
    racer_t *r = arg;
    r->answer = post_signed(&main_ingest, "sandbox", r->body, SECRET);
    return NULL;
}

START_TEST(test_concurrent_deliveries_of_one_event_publish_it_once)
{
    enum { RACERS = 8 };
    char id[64], body[1024];
    inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
    racer_t racers[RACERS];
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i].body = body;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    int published = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        int s = racers[i].answer.status;
        ck_assert_msg(s == 200 || s == 409, "racer %d: %d %s", i, s, racers[i].answer.body);
        published += s == 200 && strstr(racers[i].answer.body, "\"duplicate\":false") != NULL;
    }
    ck_assert_int_eq(published, 1);
    consumed_t c;
    consume_through_sentinel(&main_ingest, &c);
    ck_assert_int_eq(count_containing(&c, id), 1);
    consumed_clear(&c);
}
END_TEST

/* Distinct webhooks sent at once, each from its own thread. */
enum { SENDERS = 24 };

typedef struct sender {
    ingest_proc_t *proc;
    char id[64];
    char body[1024];
    answer_t answer;
} sender_t;

static void *send_one(void *arg)
{
    sender_t *s = arg;
    s->answer = post_signed(s->proc, "sandbox", s->body, SECRET);
    return NULL;
}

static void send_all_at_once(ingest_proc_t *p, sender_t *senders, int n)
{
    pthread_t threads[SENDERS];
    for (int i = 0; i < n; i++) {
        senders[i].proc = p;
        inventory_body("sandbox", "hotel_123", senders[i].id, sizeof senders[i].id, senders[i].body,
                       sizeof senders[i].body);
        ck_assert_int_eq(pthread_create(&threads[i], NULL, send_one, &senders[i]), 0);
    }
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
}

/* A webhook waiting for its acknowledgement holds no HTTP thread: one thread
 * serves them all, each answered 200 after its own publish. */
START_TEST(test_one_http_thread_serves_many_webhooks_waiting_for_their_acks)
{
    ingest_proc_t p;
    const char *env[] = {"HTTP_THREADS=1", NULL};
    ingest_start(&p, env);
    static sender_t senders[SENDERS];
    memset(senders, 0, sizeof senders);
    send_all_at_once(&p, senders, SENDERS);
    for (int i = 0; i < SENDERS; i++) {
        ck_assert_msg(senders[i].answer.status == 200, "webhook %d: %d %s", i,
                      senders[i].answer.status, senders[i].answer.body);
        ck_assert_ptr_nonnull(strstr(senders[i].answer.body, "\"duplicate\":false"));
    }
    consumed_t c;
    consume_through_sentinel(&p, &c);
    for (int i = 0; i < SENDERS; i++)
        ck_assert_int_eq(count_containing(&c, senders[i].id), 1);
    consumed_clear(&c);
    ingest_stop(&p);
}
END_TEST

/* With Kafka unreachable, webhooks waiting at once on one HTTP thread each get
 * their 503 by their own deadline, not one deadline after another. */
START_TEST(test_kafka_down_webhooks_waiting_at_once_each_get_503_by_their_deadline)
{
    char dead[64];
    snprintf(dead, sizeof dead, "KAFKA_BROKERS=127.0.0.1:%d", ts_free_port());
    ingest_proc_t down;
    const char *env[] = {dead, PUBLISH_TIMEOUT_ENV, "HTTP_THREADS=1", NULL};
    ingest_start(&down, env);
    enum { WAITING = 12 };
    static sender_t senders[WAITING];
    memset(senders, 0, sizeof senders);
    int64_t t0 = ts_now_ms();
    send_all_at_once(&down, senders, WAITING);
    int64_t elapsed = ts_now_ms() - t0;
    for (int i = 0; i < WAITING; i++) {
        ck_assert_msg(senders[i].answer.status == 503, "webhook %d: %d %s", i,
                      senders[i].answer.status, senders[i].answer.body);
        ck_assert_ptr_nonnull(
            strstr(senders[i].answer.body, "\"errorCode\":\"KAFKA_UNAVAILABLE\""));
    }
    /* one after another would take WAITING × the timeout */
    ck_assert_msg(elapsed < 4 * PUBLISH_TIMEOUT_MS, "answered after %lld ms", (long long)elapsed);
    ck_assert_int_ge(elapsed, PUBLISH_TIMEOUT_MS);
    ingest_stop(&down);
}
END_TEST

/* ------------------------------------------------------ configuration -- */

START_TEST(test_without_a_secret_it_refuses_to_start_with_exit_code_2)
{
    char path[512], port_env[64], err_path[256];
    snprintf(path, sizeof path, "%s/services/webhook-ingest/webhook-ingest", LODGING_BINARY_DIR);
    snprintf(port_env, sizeof port_env, "WEBHOOK_INGEST_PORT=%d", ts_free_port());
    snprintf(err_path, sizeof err_path, "%s/it_webhook_ingest_nosecret.log", LODGING_BINARY_DIR);
    const char *env[] = {port_env, "PMS_WEBHOOK_SECRET=", NULL};
    ts_proc_t *p = ts_proc_start(path, env, err_path);
    ck_assert_ptr_nonnull(p);
    ck_assert(TS_POLL_UNTIL(!ts_proc_alive(p), START_TIMEOUT_MS));
    int status = ts_proc_stop(p, 0, STOP_TIMEOUT_MS);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 2);
    FILE *f = fopen(err_path, "r");
    ck_assert_ptr_nonnull(f);
    char buf[8192] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(buf, "PMS_WEBHOOK_SECRET") != NULL, "not named: %s", buf);
    remove(err_path);
}
END_TEST

START_TEST(test_unsigned_webhooks_are_accepted_only_when_explicitly_allowed)
{
    ingest_proc_t p;
    const char *env[] = {"PMS_WEBHOOK_SECRET=", "PMS_WEBHOOK_SECRET_CLOUDBEDS_VIP_HOTEL=",
                         "WEBHOOK_ALLOW_UNSIGNED=true", NULL};
    ingest_start(&p, env);
    char id[64], body[1024];
    inventory_body("sandbox", "hotel_123", id, sizeof id, body, sizeof body);
    answer_t a = post_raw(&p, "sandbox", body, strlen(body), NULL);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.body);
    ingest_stop(&p);
}
END_TEST

/* ----------------------------------------------------- with the sandbox -- */

START_TEST(test_a_front_desk_change_in_the_pms_sandbox_arrives_on_pms_events)
{
    char url_env[160];
    snprintf(url_env, sizeof url_env,
             "PMS_SANDBOX_WEBHOOK_URL=http://127.0.0.1:%d/api/webhooks/pms/cloudbeds",
             main_ingest.port);
    const char *env[] = {url_env, "PMS_WEBHOOK_SECRET=" SECRET, NULL};
    ts_sandbox_t sb;
    ts_sandbox_start(&sb, "pms-sandbox", "PMS_SANDBOX_PORT", env);
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1], body[256];
    dates_format_iso(dates_today_utc() + 40, from);
    dates_format_iso(dates_today_utc() + 41, to);
    snprintf(body, sizeof body,
             "{\"propertyID\":\"hotel_123\",\"roomTypeID\":\"room_456\",\"from\":\"%s\",\"to\":"
             "\"%s\",\"available\":1}",
             from, to);
    ck_assert_int_eq(ts_sandbox_post(&sb, "/_sandbox/frontdesk/availability", body), 200);
    char needle[64];
    snprintf(needle, sizeof needle, "\"from\":\"%s\"", from);
    consumed_t c;
    consume_until(brokers, topic, needle, &c);
    const char *ev = c.value[c.count - 1];
    ck_assert_str_eq(c.key[c.count - 1], "hotel_123");
    ck_assert_ptr_nonnull(strstr(ev, "\"type\":\"lodging.pms.inventory.updated\""));
    ck_assert_ptr_nonnull(strstr(ev, "\"vendor\":\"cloudbeds\""));
    ck_assert_ptr_nonnull(strstr(ev, "\"roomTypeId\":\"room_456\""));
    ck_assert_ptr_nonnull(strstr(ev, "\"available\":1"));
    consumed_clear(&c);
    ts_sandbox_stop(&sb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook-ingest");
    TCase *tc = tcase_create("service");
    tcase_set_timeout(tc, 180);
    tcase_add_checked_fixture(tc, setup_with_service, teardown_with_service);
    tcase_add_test(tc, test_a_signed_webhook_is_published_once_and_its_duplicate_acknowledged);
    tcase_add_test(tc, test_cloudbeds_own_payloads_are_normalised_and_keyed_by_property);
    tcase_add_test(tc, test_the_sandbox_shape_is_accepted_on_the_cloudbeds_route);
    tcase_add_test(tc, test_a_hotel_secret_wins_over_the_shared_secret);
    tcase_add_test(tc,
                   test_forged_replayed_oversize_and_malformed_webhooks_are_rejected_unpublished);
    tcase_add_test(tc, test_kafka_down_answers_503_and_the_retry_after_recovery_is_published_once);
    tcase_add_test(tc, test_concurrent_deliveries_of_one_event_publish_it_once);
    tcase_add_test(tc, test_a_front_desk_change_in_the_pms_sandbox_arrives_on_pms_events);
    suite_add_tcase(s, tc);
    TCase *alone = tcase_create("own instances");
    tcase_set_timeout(alone, 180);
    tcase_add_checked_fixture(alone, setup, teardown);
    tcase_add_test(alone,
                   test_a_broker_that_goes_down_and_up_gives_503_then_200_under_one_instance);
    tcase_add_test(alone, test_redis_down_still_publishes_with_the_same_event_id);
    tcase_add_test(alone, test_one_http_thread_serves_many_webhooks_waiting_for_their_acks);
    tcase_add_test(alone, test_kafka_down_webhooks_waiting_at_once_each_get_503_by_their_deadline);
    tcase_add_test(alone, test_the_log_holds_no_secret_and_no_signature);
    tcase_add_test(alone, test_the_workers_line_about_a_webhook_carries_its_request_id_and_trace);
    tcase_add_test(alone, test_without_a_secret_it_refuses_to_start_with_exit_code_2);
    tcase_add_test(alone, test_unsigned_webhooks_are_accepted_only_when_explicitly_allowed);
    suite_add_tcase(s, alone);
    return check_run(s);
}
