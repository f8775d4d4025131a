/*
 * it_e2e_trace — one checkout followed by its W3C trace id through every
 * service, every piece real: a checkout sent with a given traceparent is
 * logged under that trace id by booking-svc, by inventory-svc (the checkout's
 * inventory call, and the PMS event it consumes later), by webhook-ingest (the
 * pms-sandbox's webhook about the new reservation carries the trace on; its
 * handler's lines and the worker's that answers it after Kafka's ack), and
 * the booking events on Kafka carry it in ce_traceparent (CloudEvents
 * distributed tracing extension). A manual sync sent to the poller with a
 * traceparent is followed the same way: poller → sync.jobs → inventory-svc →
 * sync.results. Log lines are JSON with typed values.
 * Each run has its own topics (prefix), database, Redis database and ports.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking_fixture.h"
#include "check_run.h"
#include "common/dates.h"
#include "common/db.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "common/log.h"
#include "testsupport.h"
#include "ts_sandbox.h"
#include "ts_service.h"

#define SECRET "whsec_e2e_trace"
#define HOTEL "hotel_123"
#define ROOM "room_456"
#define START_TIMEOUT_MS 30000
#define SEEN_TIMEOUT_MS 30000
#define MAX_SEEN 256

#define CHECKOUT_TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define CHECKOUT_TRACEPARENT "00-" CHECKOUT_TRACE "-00f067aa0ba902b7-01"
#define SYNC_TRACE "0af7651916cd43dd8448eb211c80319c"
#define SYNC_TRACEPARENT "00-" SYNC_TRACE "-b7ad6b7169203331-01"

static char prefix[64], db_name[96], db_url[512], db_env[640], redis_env[320], prefix_env[128],
    brokers_env[320], auth_header[TS_AUTH_HEADER_MAX];
static int redis_db = -1;
static const char *brokers;
/* What every service this test starts is given. */
static const char *const run_env[] = {brokers_env,       prefix_env,           redis_env, db_env,
                                      "LOG_LEVEL=debug", TS_SERVICE_TOKEN_ENV, NULL};
static const ts_service_run_t run = {"it_e2e_trace", run_env};
static ts_sandbox_t pms, pay;
static ts_service_t wh, booking, poller;
static bk_inventory_t inv;

static const char *const TOPICS[] = {"booking.events",   "booking.compensations",
                                     "ops.alerts",       "pms.events",
                                     "sync.jobs",        "sync.results",
                                     "pms.events.dlq",   "sync.jobs.dlq",
                                     "sync.results.dlq", "booking.compensations.dlq"};
#define TOPIC_COUNT (sizeof TOPICS / sizeof *TOPICS)

/* ------------------------------------------------------------ services -- */

static void setup(void)
{
    brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ts_unique_name("e2etrace", prefix, sizeof prefix);
    strcat(prefix, ".");
    char names[TOPIC_COUNT][128];
    const char *ptrs[TOPIC_COUNT];
    for (size_t i = 0; i < TOPIC_COUNT; i++) {
        kafka_topic_name(prefix, TOPICS[i], names[i], sizeof names[i]);
        ptrs[i] = names[i];
    }
    char err[256];
    ck_assert_msg(
        kafka_admin_create_topics(brokers, ptrs, TOPIC_COUNT, 3, 1, 30000, err, sizeof err) == 0,
        "%s", err);
    char redis_url[256];
    ck_assert(ts_db_create_migrated("e2e_trace", db_name, sizeof db_name, db_url, sizeof db_url) ==
              0);
    snprintf(db_env, sizeof db_env, "MYSQL_URL=%s", db_url);
    ck_assert_int_eq(ts_api_key_header(db_url, "operator", NULL, auth_header, NULL), 0);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_gt(redis_db, 0);
    snprintf(redis_env, sizeof redis_env, "REDIS_URL=%s", redis_url);
    snprintf(prefix_env, sizeof prefix_env, "KAFKA_TOPIC_PREFIX=%s", prefix);
    snprintf(brokers_env, sizeof brokers_env, "KAFKA_BROKERS=%s", brokers);
    /* The hotel is known to the poller; a long interval, so only the manual sync runs. */
    db_t *db = db_new(db_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    ck_assert_int_eq(db_exec_script_statement(
                         db, "INSERT INTO pms_config (vendor, hotel_id, polling_enabled, "
                             "polling_interval_seconds, webhooks_enabled, next_sync_at) VALUES "
                             "('cloudbeds', '" HOTEL "', TRUE, 3600, TRUE, "
                             "NOW(3) + INTERVAL 1 HOUR)"),
                     DB_OK);
    db_free(db);

    /* webhook-ingest's port is needed by the sandbox before the service starts */
    int wh_port = ts_free_port();
    char hook_env[160];
    snprintf(hook_env, sizeof hook_env,
             "PMS_SANDBOX_WEBHOOK_URL=http://127.0.0.1:%d/api/webhooks/pms/cloudbeds", wh_port);
    const char *pms_env[] = {hook_env, "PMS_WEBHOOK_SECRET=" SECRET, "LOG_LEVEL=info", NULL};
    ts_sandbox_start(&pms, "pms-sandbox", "PMS_SANDBOX_PORT", pms_env);
    ts_sandbox_start(&pay, "pay-sandbox", "PAY_SANDBOX_PORT", NULL);

    char pms_url[128], pay_url[128];
    snprintf(pms_url, sizeof pms_url, "PMS_BASE_URL=%s", pms.base_url);
    snprintf(pay_url, sizeof pay_url, "PAYMENT_BASE_URL=%s", pay.base_url);
    const char *inv_env[] = {db_env,
                             redis_env,
                             prefix_env,
                             brokers_env,
                             pms_url,
                             "PMS_" HOTEL "_API_KEY=cbk_sandbox_" HOTEL,
                             "LOG_LEVEL=debug",
                             NULL};
    bk_inventory_start_env(&inv, inv_env, "it_e2e_trace", START_TIMEOUT_MS);
    const char *wh_env[] = {"PMS_WEBHOOK_SECRET=" SECRET, NULL};
    ts_service_start(&wh, &run, "webhook-ingest", "WEBHOOK_INGEST_PORT", wh_port, wh_env);

    const char *bk_env[] = {pms_url,
                            pay_url,
                            inv.base_url_env,
                            "PMS_" HOTEL "_API_KEY=cbk_sandbox_" HOTEL,
                            "PMS_RATE_LIMIT_PER_SECOND=1000",
                            "PAYMENT_API_KEY=sk_test_sandbox",
                            "CHECKOUT_RATE_LIMIT_PER_MINUTE=0",
                            NULL};
    ts_service_start(&booking, &run, "booking-svc", "BOOKING_SVC_PORT", 0, bk_env);
    ts_service_start(&poller, &run, "poller", "POLLER_PORT", 0, NULL);
}

static void teardown(void)
{
    ts_service_stop(&booking);
    ts_service_stop(&poller);
    ts_service_stop(&wh);
    bk_inventory_stop(&inv);
    ts_sandbox_stop(&pms);
    ts_sandbox_stop(&pay);
    ts_redis_db_release(redis_db);
    ts_db_drop(db_name);
}

/* -------------------------------------------------------------- kafka -- */

/* What a consumer saw: per message its ce_type, ce_subject and ce_traceparent. */
typedef struct seen {
    int count;
    char type[MAX_SEEN][96], subject[MAX_SEEN][96], traceparent[MAX_SEEN][64];
} seen_t;

static kafka_handler_result_t record(const kafka_message_t *m, void *ctx, char *reason,
                                     size_t reason_size)
{
    (void)reason, (void)reason_size;
    seen_t *s = ctx;
    if (s->count == MAX_SEEN)
        return KAFKA_HANDLER_OK;
    char buf[128];
    const char *v = kafka_message_header(m, "ce_type", buf, sizeof buf);
    snprintf(s->type[s->count], sizeof s->type[0], "%s", v ? v : "");
    v = kafka_message_header(m, "ce_subject", buf, sizeof buf);
    snprintf(s->subject[s->count], sizeof s->subject[0], "%s", v ? v : "");
    v = kafka_message_header(m, "ce_traceparent", buf, sizeof buf);
    snprintf(s->traceparent[s->count], sizeof s->traceparent[0], "%s", v ? v : "");
    s->count++;
    return KAFKA_HANDLER_OK;
}

static kafka_consumer_t *consumer_of(const char *base, seen_t *s)
{
    static char topic[4][128];
    static int slot;
    char *t = topic[slot++ % 4], group[96], err[256];
    kafka_topic_name(prefix, base, t, 128);
    ts_unique_name("it_e2e_trace", group, sizeof group);
    const char *topics[] = {t, NULL};
    const char *extra[] = {"auto.offset.reset", "earliest", NULL};
    kafka_consumer_config_t cc = {.brokers = brokers,
                                  .group_id = group,
                                  .topics = topics,
                                  .handler = record,
                                  .ctx = s,
                                  .extra = extra};
    kafka_consumer_t *c = kafka_consumer_new(&cc, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

/* Index of the first message of this type (and subject, when given), or -1. */
static int find(const seen_t *s, const char *type, const char *subject)
{
    for (int i = 0; i < s->count; i++)
        if (strcmp(s->type[i], type) == 0 && (!subject || strcmp(s->subject[i], subject) == 0))
            return i;
    return -1;
}

static bool poll_for(kafka_consumer_t *c, const seen_t *s, const char *type, const char *subject)
{
    return TS_POLL_UNTIL((kafka_consumer_poll_once(c, 100), find(s, type, subject) >= 0),
                         SEEN_TIMEOUT_MS);
}

/* --------------------------------------------------------------- logs -- */

/* The first JSON log line of `path` that has trace_id = trace and contains
 * `needle` (NULL: any), parsed (caller puts), or NULL. Every line must parse. */
static json_object *log_line(const char *path, const char *trace, const char *needle)
{
    size_t len = 0;
    char *text = ts_read_file(path, &len);
    json_object *found = NULL;
    for (char *line = text, *next; text && line && *line && !found; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] != '{')
            continue; /* librdkafka or sanitizer output */
        json_object *o = json_tokener_parse(line), *t;
        ck_assert_msg(o != NULL, "%s: a log line that is not JSON: %s", path, line);
        if (json_object_object_get_ex(o, "trace_id", &t) &&
            strcmp(json_object_get_string(t), trace) == 0 && (!needle || strstr(line, needle)))
            found = json_object_get(o);
        json_object_put(o);
    }
    free(text);
    return found;
}

static bool logged(const char *path, const char *trace, const char *needle)
{
    json_object *o = log_line(path, trace, needle);
    json_object_put(o);
    return o != NULL;
}

#define ASSERT_LOGGED(svc, trace, needle)                                                          \
    ck_assert_msg(TS_POLL_UNTIL(logged((svc).log, trace, needle), SEEN_TIMEOUT_MS),                \
                  "trace %s with \"%s\" not in %s", trace, needle ? needle : "", (svc).log)

/* -------------------------------------------------------------- tests -- */

static char *checkout_body(void)
{
    dates_day_t in = dates_today_utc() + 20;
    char ci[DATES_ISO_LEN + 1], co[DATES_ISO_LEN + 1];
    dates_format_iso(in, ci);
    dates_format_iso(in + 1, co);
    const char *q[] = {"propertyID", HOTEL, "roomTypeID", ROOM, "from", ci, "to", ci, NULL};
    json_object *inv_o = ts_sandbox_get_json(&pms, "/_sandbox/inventory", q), *arr = inv_o, *x;
    if (json_object_object_get_ex(inv_o, "inventory", &x))
        arr = x;
    ck_assert(json_object_object_get_ex(json_object_array_get_idx(arr, 0), "rate", &x));
    long long amount = (long long)json_object_get_int64(x);
    json_object_put(inv_o);
    char *body = NULL;
    ck_assert(asprintf(&body,
                       "{\"vendor\":\"cloudbeds\",\"hotelId\":\"" HOTEL "\",\"roomTypeId\":\"" ROOM
                       "\",\"checkIn\":\"%s\",\"checkOut\":\"%s\",\"guestInfo\":{"
                       "\"firstName\":\"Hong\",\"lastName\":\"Gildong\",\"email\":"
                       "\"hong@example.com\",\"phone\":\"+82-10-1234-5678\"},\"adults\":2,"
                       "\"children\":0,\"payment\":{\"cardToken\":\"tok_visa\",\"amount\":%lld,"
                       "\"currency\":\"KRW\"}}",
                       ci, co, amount) > 0);
    return body;
}

START_TEST(a_checkout_is_followed_by_its_trace_id_through_every_service_and_kafka)
{
    seen_t events = {0}, pms_events = {0};
    kafka_consumer_t *bc = consumer_of("booking.events", &events);
    kafka_consumer_t *pc = consumer_of("pms.events", &pms_events);

    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", booking.port);
    http_client_config_t cfg = {.base_url = base, .total_timeout_ms = 60000};
    http_client_t *http = http_client_new(&cfg);
    const char *headers[] = {"traceparent: " CHECKOUT_TRACEPARENT, "tracestate: lodging=e2e",
                             "Idempotency-Key: e2e-trace-1", NULL};
    char *body = checkout_body();
    http_client_response_t r;
    ck_assert_int_eq(http_client_post_json(http, "/api/booking/checkout", headers, body, &r),
                     HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 200, "checkout %d: %s (log: %s)", r.status, r.body, booking.log);
    json_object *answer = json_tokener_parse(r.body), *v;
    ck_assert(json_object_object_get_ex(answer, "bookingId", &v));
    char booking_id[96];
    snprintf(booking_id, sizeof booking_id, "%s", json_object_get_string(v));
    json_object_put(answer);
    http_client_response_clear(&r);
    free(body);

    /* booking-svc: the checkout's own lines and its access line (typed values) */
    ASSERT_LOGGED(booking, CHECKOUT_TRACE, "/api/booking/checkout");
    json_object *line = log_line(booking.log, CHECKOUT_TRACE, "\"http request\"");
    ck_assert_ptr_nonnull(line);
    ck_assert(json_object_object_get_ex(line, "status", &v));
    ck_assert(json_object_is_type(v, json_type_int));
    ck_assert_int_eq(json_object_get_int(v), 200);
    ck_assert(json_object_object_get_ex(line, "completed", &v));
    ck_assert(json_object_is_type(v, json_type_boolean));
    json_object_put(line);

    /* the booking events on Kafka: every one of this checkout carries the trace */
    ck_assert_msg(poll_for(bc, &events, "lodging.booking.confirmed", booking_id),
                  "no booking.confirmed for %s (log: %s)", booking_id, booking.log);
    int seen_of_booking = 0;
    for (int i = 0; i < events.count; i++) {
        if (strcmp(events.subject[i], booking_id) != 0)
            continue;
        seen_of_booking++;
        ck_assert_msg(strncmp(events.traceparent[i], "00-" CHECKOUT_TRACE "-", 36) == 0,
                      "%s has ce_traceparent '%s'", events.type[i], events.traceparent[i]);
    }
    ck_assert_int_ge(seen_of_booking, 2);

    /* inventory-svc: the checkout's inventory call */
    ASSERT_LOGGED(inv, CHECKOUT_TRACE, "\"http request\"");
    /* webhook-ingest: the PMS's webhook about the new reservation, in the same trace */
    ASSERT_LOGGED(wh, CHECKOUT_TRACE, "/api/webhooks/pms/cloudbeds");
    /* ...and by the worker thread that answered it once Kafka acknowledged */
    ASSERT_LOGGED(wh, CHECKOUT_TRACE, "\"webhook published\"");
    /* ...published to pms.events with it, and consumed by inventory-svc within it */
    ck_assert_msg(poll_for(pc, &pms_events, "lodging.pms.booking.confirmed", HOTEL),
                  "no pms booking.confirmed (log: %s)", wh.log);
    int i = find(&pms_events, "lodging.pms.booking.confirmed", HOTEL);
    ck_assert_msg(strncmp(pms_events.traceparent[i], "00-" CHECKOUT_TRACE "-", 36) == 0,
                  "pms.events ce_traceparent '%s'", pms_events.traceparent[i]);
    ASSERT_LOGGED(inv, CHECKOUT_TRACE, "\"cache invalidated\"");

    kafka_consumer_free(bc);
    kafka_consumer_free(pc);
    http_client_free(http);
}
END_TEST

START_TEST(a_manual_sync_is_followed_from_the_poller_through_inventory_and_back)
{
    seen_t jobs = {0}, results = {0};
    kafka_consumer_t *jc = consumer_of("sync.jobs", &jobs);
    kafka_consumer_t *rc = consumer_of("sync.results", &results);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", poller.port);
    const char *defaults[] = {auth_header, NULL};
    http_client_config_t cfg = {
        .base_url = base, .total_timeout_ms = 10000, .default_headers = defaults};
    http_client_t *http = http_client_new(&cfg);
    const char *headers[] = {"traceparent: " SYNC_TRACEPARENT, NULL};
    http_client_response_t r;
    ck_assert_int_eq(http_client_request(http, "POST", "/api/polling/cloudbeds/" HOTEL "/sync",
                                         NULL, headers, "", 0, &r),
                     HTTP_CLIENT_OK);
    ck_assert_msg(r.status == 202 || r.status == 200, "sync %d: %s (log: %s)", r.status, r.body,
                  poller.log);
    http_client_response_clear(&r);

    ASSERT_LOGGED(poller, SYNC_TRACE, "\"sync job emitted\"");
    ck_assert(poll_for(jc, &jobs, "lodging.sync.requested", HOTEL));
    int i = find(&jobs, "lodging.sync.requested", HOTEL);
    ck_assert_msg(strncmp(jobs.traceparent[i], "00-" SYNC_TRACE "-", 36) == 0, "sync.jobs '%s'",
                  jobs.traceparent[i]);
    ASSERT_LOGGED(inv, SYNC_TRACE, "\"sync job done\"");
    ck_assert(poll_for(rc, &results, "lodging.sync.succeeded", HOTEL));
    i = find(&results, "lodging.sync.succeeded", HOTEL);
    ck_assert_msg(strncmp(results.traceparent[i], "00-" SYNC_TRACE "-", 36) == 0,
                  "sync.results '%s'", results.traceparent[i]);
    kafka_consumer_free(jc);
    kafka_consumer_free(rc);
    http_client_free(http);
}
END_TEST

int main(void)
{
    log_init("it_e2e_trace", LOG_LEVEL_ERROR);
    Suite *s = suite_create("e2e_trace");
    TCase *tc = tcase_create("e2e_trace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, a_checkout_is_followed_by_its_trace_id_through_every_service_and_kafka);
    tcase_add_test(tc, a_manual_sync_is_followed_from_the_poller_through_inventory_and_back);
    suite_add_tcase(s, tc);
    return check_run(s);
}
