/*
 * it_poller — the poller against real Kafka and MariaDB:
 *   - a hotel's sync job is emitted on its schedule (1 s interval here) and on
 *     the manual trigger (POST .../sync), each a lodging.sync.requested event
 *     on sync.jobs for today .. today+30 in UTC dates;
 *   - sync.results drive the status: sync.succeeded resets errorCount and sets
 *     lastSyncAt; 5 sync.failed in a row stop the hotel and raise
 *     lodging.ops.polling.stopped on ops.alerts; a redelivered result counts once;
 *   - start/stop survive a restart; two pollers on one database emit each
 *     hotel's job once per interval;
 *   - unknown hotel → 404, bad vendor → 400, malformed results → the DLQ.
 * The test plays inventory-svc by producing to sync.results. Each test has its
 * own topics (prefix), database and ports.
 */
#include <check.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "common/clock.h"
#include "common/cloudevents.h"
#include "common/dates.h"
#include "common/db.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "testsupport.h"

#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 15000
#define SEEN_TIMEOUT_MS 30000
#define MAX_MESSAGES 1024
#define SYNC_DAYS 30

enum { T_JOBS, T_RESULTS, T_ALERTS, T_RESULTS_DLQ, T_COUNT };
static const char *const TOPIC_BASES[T_COUNT] = {"sync.jobs", "sync.results", "ops.alerts",
                                                 "sync.results.dlq"};

/* ------------------------------------------------------------ fixture -- */

typedef struct message {
    int topic; /* T_* */
    char key[128];
    char *value;
    char dlq_reason[256];
} message_t;

/* Every message the collector saw on the run's topics. */
typedef struct collected {
    pthread_mutex_t lock;
    message_t messages[MAX_MESSAGES];
    int count;
} collected_t;

static const char *brokers;
static char prefix[64], db_name[96], db_url[512], topics[T_COUNT][128];
static db_t *db;
static kafka_producer_t *producer;
static kafka_consumer_t *collector;
static collected_t seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

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

static kafka_handler_result_t collect(const kafka_message_t *m, void *ctx, char *reason,
                                      size_t reason_size)
{
    (void)reason;
    (void)reason_size;
    collected_t *c = ctx;
    pthread_mutex_lock(&c->lock);
    if (c->count < MAX_MESSAGES) {
        message_t *msg = &c->messages[c->count];
        msg->topic = -1;
        for (int i = 0; i < T_COUNT; i++)
            if (strcmp(m->topic, topics[i]) == 0)
                msg->topic = i;
        snprintf(msg->key, sizeof msg->key, "%.*s", (int)m->key_len, (const char *)m->key);
        msg->value = event_text(m);
        char buf[256];
        const char *r = kafka_message_header(m, "x-dlq-reason", buf, sizeof buf);
        snprintf(msg->dlq_reason, sizeof msg->dlq_reason, "%s", r ? r : "");
        c->count++;
    }
    pthread_mutex_unlock(&c->lock);
    return KAFKA_HANDLER_OK;
}

static void setup(void)
{
    brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ts_unique_name("itpoll", prefix, sizeof prefix);
    strcat(prefix, ".");
    const char *names[T_COUNT];
    for (int i = 0; i < T_COUNT; i++) {
        kafka_topic_name(prefix, TOPIC_BASES[i], topics[i], sizeof topics[i]);
        names[i] = topics[i];
    }
    char err[256];
    ck_assert_msg(
        kafka_admin_create_topics(brokers, names, T_COUNT, 3, 1, 30000, err, sizeof err) == 0, "%s",
        err);
    ck_assert(ts_db_create_migrated("itpoll", db_name, sizeof db_name, db_url, sizeof db_url) == 0);
    db = db_new(db_url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    producer = kafka_producer_new(brokers, "it_poller", NULL, err, sizeof err);
    ck_assert_msg(producer != NULL, "%s", err);

    char group[96];
    ts_unique_name("itpoll_collector", group, sizeof group);
    const char *subscribed[] = {topics[T_JOBS], topics[T_ALERTS], topics[T_RESULTS_DLQ], NULL};
    kafka_consumer_config_t cc = {.brokers = brokers,
                                  .group_id = group,
                                  .topics = subscribed,
                                  .handler = collect,
                                  .ctx = &seen};
    collector = kafka_consumer_new(&cc, err, sizeof err);
    ck_assert_msg(collector != NULL, "%s", err);
    ck_assert_int_eq(kafka_consumer_start(collector), 0);
}

static void teardown(void)
{
    kafka_consumer_free(collector);
    kafka_producer_free(producer);
    db_free(db);
    ts_db_drop(db_name);
    const char *names[T_COUNT];
    for (int i = 0; i < T_COUNT; i++)
        names[i] = topics[i];
    char err[256];
    kafka_admin_delete_topics(brokers, names, T_COUNT, 30000, err, sizeof err);
    pthread_mutex_lock(&seen.lock);
    for (int i = 0; i < seen.count; i++)
        free(seen.messages[i].value);
    seen.count = 0;
    pthread_mutex_unlock(&seen.lock);
}

/* ------------------------------------------------------------- poller -- */

typedef struct poller {
    ts_proc_t *proc;
    int port;
    char log[256];
    http_client_t *http;
} poller_t;

/* Starts a poller on the run's database and topics, named `instance`. */
static void poller_start(poller_t *p, const char *instance)
{
    char port_env[32], db_env[600], prefix_env[128], brokers_env[320], id_env[96];
    p->port = ts_free_port();
    snprintf(port_env, sizeof port_env, "POLLER_PORT=%d", p->port);
    snprintf(db_env, sizeof db_env, "MYSQL_URL=%s", db_url);
    snprintf(prefix_env, sizeof prefix_env, "KAFKA_TOPIC_PREFIX=%s", prefix);
    snprintf(brokers_env, sizeof brokers_env, "KAFKA_BROKERS=%s", brokers);
    snprintf(id_env, sizeof id_env, "POLLER_INSTANCE_ID=%s", instance);
    const char *env[] = {port_env, db_env, prefix_env, brokers_env, id_env, "LOG_LEVEL=info", NULL};
    snprintf(p->log, sizeof p->log, "%s/Testing/it_poller.%s.%s.log", LODGING_BINARY_DIR, prefix,
             instance);
    p->proc = ts_proc_start(LODGING_BINARY_DIR "/services/poller/poller", env, p->log);
    ck_assert_msg(p->proc != NULL, "cannot start the poller");
    ck_assert_msg(ts_http_wait_ok(p->port, "/readyz", START_TIMEOUT_MS),
                  "poller not ready (log: %s)", p->log);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", p->port);
    /* an operator key of every hotel: the API's reads and changes */
    char auth[TS_AUTH_HEADER_MAX];
    ck_assert_int_eq(ts_api_key_header(db_url, "operator", NULL, auth, NULL), 0);
    const char *headers[] = {auth, NULL};
    http_client_config_t hc = {
        .base_url = base, .total_timeout_ms = 15000, .default_headers = headers};
    p->http = http_client_new(&hc);
    ck_assert_ptr_nonnull(p->http);
}

/* SIGTERM; the poller must exit 0. */
static void poller_stop(poller_t *p)
{
    http_client_free(p->http);
    int status = ts_proc_stop(p->proc, 0, STOP_TIMEOUT_MS);
    ck_assert_msg(status == 0, "poller exited with status %d (log: %s)", status, p->log);
    remove(p->log);
}

/* One request; the status code, and the body parsed when it is JSON. */
static int call(poller_t *p, const char *method, const char *path, json_object **body)
{
    http_client_response_t r;
    const char *body_text = strcmp(method, "POST") == 0 ? "{}" : NULL;
    http_client_request(p->http, method, path, NULL, NULL, body_text,
                        body_text ? strlen(body_text) : 0, &r);
    int status = r.status;
    if (body)
        *body = r.body ? json_tokener_parse(r.body) : NULL;
    http_client_response_clear(&r);
    return status;
}

static const char *str_of(json_object *o, const char *name)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, name, &v) && v ? json_object_get_string(v) : NULL;
}

static int64_t int_of(json_object *o, const char *name)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : -1;
}

static bool bool_of(json_object *o, const char *name)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, name, &v) && json_object_get_boolean(v);
}

/* GET /api/polling/<vendor>/<hotel>; the caller puts the status. */
static json_object *status_of(poller_t *p, const char *vendor, const char *hotel)
{
    char path[256];
    snprintf(path, sizeof path, "/api/polling/%s/%s", vendor, hotel);
    json_object *body = NULL;
    int code = call(p, "GET", path, &body);
    ck_assert_msg(code == 200, "GET %s: %d (log: %s)", path, code, p->log);
    return body;
}

static int64_t error_count_of(poller_t *p, const char *hotel)
{
    json_object *st = status_of(p, "sandbox", hotel);
    int64_t n = int_of(st, "errorCount");
    json_object_put(st);
    return n;
}

static bool is_running(poller_t *p, const char *hotel)
{
    json_object *st = status_of(p, "sandbox", hotel);
    bool running = bool_of(st, "isRunning");
    json_object_put(st);
    return running;
}

/* ------------------------------------------------------------ helpers -- */

/* A pms_config row; next_in_s < 0 leaves next_sync_at NULL (due at once). */
static void insert_hotel(const char *hotel, bool enabled, int interval_s, int next_in_s)
{
    db_param_t p[] = {DB_STR(hotel), DB_INT(enabled), DB_INT(interval_s), DB_INT(next_in_s),
                      DB_INT(next_in_s)};
    ck_assert_int_eq(db_exec(db,
                             "INSERT INTO pms_config (vendor, hotel_id, polling_enabled, "
                             "polling_interval_seconds, next_sync_at) VALUES ('sandbox', ?, ?, ?, "
                             "IF(? < 0, NULL, NOW(3) + INTERVAL ? SECOND))",
                             p, 5, NULL, NULL),
                     DB_OK);
}

/* The sync.requested events of a hotel seen so far (data objects, oldest
 * first; the caller puts each). */
static int jobs_of(const char *hotel, json_object **out, int max)
{
    int n = 0;
    pthread_mutex_lock(&seen.lock);
    for (int i = 0; i < seen.count && n < max; i++) {
        message_t *m = &seen.messages[i];
        if (m->topic != T_JOBS || strcmp(m->key, hotel) != 0)
            continue;
        char err[256];
        cloudevent_t *ev = cloudevent_parse(m->value, strlen(m->value), err, sizeof err);
        ck_assert_msg(ev != NULL, "a job that is no CloudEvent: %s", err);
        ck_assert_str_eq(ev->type, "lodging.sync.requested");
        ck_assert_str_eq(ev->subject, hotel);
        out[n++] = json_object_get(ev->data);
        cloudevent_free(ev);
    }
    pthread_mutex_unlock(&seen.lock);
    return n;
}

static int count_jobs(const char *hotel)
{
    json_object *jobs[MAX_MESSAGES];
    int n = jobs_of(hotel, jobs, MAX_MESSAGES);
    for (int i = 0; i < n; i++)
        json_object_put(jobs[i]);
    return n;
}

static int count_on(int topic)
{
    pthread_mutex_lock(&seen.lock);
    int n = 0;
    for (int i = 0; i < seen.count; i++)
        n += seen.messages[i].topic == topic;
    pthread_mutex_unlock(&seen.lock);
    return n;
}

/* Checks a job's data: the hotel, the reason and today .. today+30 (UTC). */
static void assert_job(json_object *data, const char *hotel, const char *reason)
{
    char from[DATES_ISO_LEN + 1], to[DATES_ISO_LEN + 1];
    dates_day_t today = dates_today_utc();
    dates_format_iso(today, from);
    dates_format_iso(today + SYNC_DAYS, to);
    ck_assert_str_eq(str_of(data, "hotelId"), hotel);
    ck_assert_str_eq(str_of(data, "vendor"), "sandbox");
    ck_assert_str_eq(str_of(data, "reason"), reason);
    ck_assert_str_eq(str_of(data, "from"), from);
    ck_assert_str_eq(str_of(data, "to"), to);
    ck_assert_ptr_nonnull(str_of(data, "jobId"));
    int64_t at;
    ck_assert_int_eq(dates_parse_rfc3339(str_of(data, "requestedAt"), &at), 0);
}

/* Plays inventory-svc: one result on sync.results. */
static void send_result(const char *hotel, const char *job_id, bool succeeded,
                        const char *finished_at)
{
    json_object *data = json_object_new_object();
    json_object_object_add(data, "jobId", json_object_new_string(job_id));
    json_object_object_add(data, "vendor", json_object_new_string("sandbox"));
    json_object_object_add(data, "hotelId", json_object_new_string(hotel));
    json_object_object_add(data, "finishedAt", json_object_new_string(finished_at));
    if (!succeeded)
        json_object_object_add(data, "error", json_object_new_string("PMS unavailable: HTTP 503"));
    cloudevent_t *ev = cloudevent_new(succeeded ? "lodging.sync.succeeded" : "lodging.sync.failed",
                                      "/inventory-svc", hotel, data);
    char err[256];
    ck_assert_msg(cloudevent_send_sync(producer, topics[T_RESULTS], hotel, ev, err, sizeof err) ==
                      0,
                  "%s", err);
    cloudevent_free(ev);
}

static void send_raw_result(const char *key, const char *value)
{
    char err[256];
    ck_assert_msg(kafka_producer_send_sync(producer, topics[T_RESULTS], key, strlen(key), value,
                                           strlen(value), NULL, 0, err, sizeof err) == 0,
                  "%s", err);
}

/* True when one line of the log holds both texts. */
static bool log_has(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no log %s", path);
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, a) && strstr(line, b);
    fclose(f);
    return found;
}

/* True when GET /metrics holds the text. */
static bool metric_has(poller_t *p, const char *text)
{
    http_client_response_t r;
    http_client_get(p->http, "/metrics", NULL, NULL, &r);
    bool found = r.status == 200 && r.body && strstr(r.body, text) != NULL;
    http_client_response_clear(&r);
    return found;
}

static void now_rfc3339(char out[DATES_RFC3339_LEN + 1])
{
    dates_now_rfc3339(out);
}

/* -------------------------------------------------------------- tests -- */

START_TEST(test_a_hotels_job_is_emitted_on_its_schedule)
{
    insert_hotel("h_sched", true, 1, -1);
    insert_hotel("h_off", false, 1, -1);
    poller_t p;
    poller_start(&p, "p1");
    ck_assert_msg(TS_POLL_UNTIL(count_jobs("h_sched") >= 3, SEEN_TIMEOUT_MS),
                  "fewer than 3 scheduled jobs (log: %s)", p.log);
    json_object *jobs[MAX_MESSAGES];
    int n = jobs_of("h_sched", jobs, MAX_MESSAGES);
    for (int i = 0; i < n; i++) {
        assert_job(jobs[i], "h_sched", "schedule");
        json_object_put(jobs[i]);
    }
    ck_assert_int_eq(count_jobs("h_off"), 0);

    json_object *st = status_of(&p, "sandbox", "h_sched");
    ck_assert(bool_of(st, "isRunning"));
    ck_assert_ptr_nonnull(str_of(st, "nextSyncAt"));
    ck_assert_ptr_null(str_of(st, "lastSyncAt"));
    ck_assert_int_eq(int_of(st, "errorCount"), 0);
    json_object_put(st);

    json_object *all = NULL;
    ck_assert_int_eq(call(&p, "GET", "/api/polling", &all), 200);
    ck_assert_int_eq(json_object_array_length(all), 2);
    json_object *off = json_object_array_get_idx(all, 0);
    ck_assert_str_eq(str_of(off, "hotelId"), "h_off");
    ck_assert(!bool_of(off, "isRunning"));
    ck_assert_ptr_null(str_of(off, "nextSyncAt"));
    json_object_put(all);
    poller_stop(&p);
}
END_TEST

START_TEST(test_a_manual_sync_emits_a_job_for_today_to_today_plus_30)
{
    insert_hotel("h_manual", true, 3600, 3600); /* not due for an hour */
    poller_t p;
    poller_start(&p, "p1");
    json_object *body = NULL;
    ck_assert_int_eq(call(&p, "POST", "/api/polling/sandbox/h_manual/sync", &body), 202);
    char job_id[80];
    snprintf(job_id, sizeof job_id, "%s", str_of(body, "jobId"));
    json_object_put(body);

    ck_assert_msg(TS_POLL_UNTIL(count_jobs("h_manual") == 1, SEEN_TIMEOUT_MS),
                  "no sync.requested event (log: %s)", p.log);
    json_object *jobs[4];
    ck_assert_int_eq(jobs_of("h_manual", jobs, 4), 1);
    assert_job(jobs[0], "h_manual", "manual");
    ck_assert_str_eq(str_of(jobs[0], "jobId"), job_id);
    json_object_put(jobs[0]);

    /* The schedule is left alone: the next run is still an hour away. */
    json_object *st = status_of(&p, "sandbox", "h_manual");
    int64_t next_ms;
    ck_assert_int_eq(dates_parse_rfc3339(str_of(st, "nextSyncAt"), &next_ms), 0);
    ck_assert_int_gt(next_ms, clock_wall_ms());
    json_object_put(st);
    poller_stop(&p);
}
END_TEST

START_TEST(test_five_failures_stop_the_hotel_and_raise_an_alert)
{
    insert_hotel("h_fail", true, 3600, 3600);
    poller_t p;
    poller_start(&p, "p1");
    char at[DATES_RFC3339_LEN + 1];
    now_rfc3339(at);

    /* Four failures, the fourth delivered twice: it counts once. */
    send_result("h_fail", "job_f1", false, at);
    send_result("h_fail", "job_f2", false, at);
    send_result("h_fail", "job_f3", false, at);
    send_result("h_fail", "job_f4", false, at);
    send_result("h_fail", "job_f4", false, at);
    ck_assert_msg(TS_POLL_UNTIL(error_count_of(&p, "h_fail") == 4, SEEN_TIMEOUT_MS),
                  "errorCount never reached 4 (log: %s)", p.log);

    /* A success resets the count and records lastSyncAt = finishedAt. */
    send_result("h_fail", "job_ok", true, "2030-01-02T03:04:05.678Z");
    ck_assert_msg(TS_POLL_UNTIL(error_count_of(&p, "h_fail") == 0, SEEN_TIMEOUT_MS),
                  "sync.succeeded did not reset errorCount (log: %s)", p.log);
    json_object *st = status_of(&p, "sandbox", "h_fail");
    ck_assert_str_eq(str_of(st, "lastSyncAt"), "2030-01-02T03:04:05.678Z");
    ck_assert(bool_of(st, "isRunning"));
    json_object_put(st);
    ck_assert_int_eq(count_on(T_ALERTS), 0);

    for (int i = 0; i < 5; i++) {
        char job[32];
        snprintf(job, sizeof job, "job_g%d", i);
        send_result("h_fail", job, false, at);
    }
    ck_assert_msg(TS_POLL_UNTIL(!is_running(&p, "h_fail"), SEEN_TIMEOUT_MS),
                  "5 failures did not stop the hotel (log: %s)", p.log);
    ck_assert_int_eq(error_count_of(&p, "h_fail"), 5);

    ck_assert_msg(TS_POLL_UNTIL(count_on(T_ALERTS) >= 1, SEEN_TIMEOUT_MS),
                  "no alert on ops.alerts (log: %s)", p.log);
    pthread_mutex_lock(&seen.lock);
    const message_t *alert = NULL;
    for (int i = 0; i < seen.count && !alert; i++)
        if (seen.messages[i].topic == T_ALERTS)
            alert = &seen.messages[i];
    ck_assert_str_eq(alert->key, "sandbox:h_fail");
    char err[256];
    cloudevent_t *ev = cloudevent_parse(alert->value, strlen(alert->value), err, sizeof err);
    pthread_mutex_unlock(&seen.lock);
    ck_assert_msg(ev != NULL, "%s", err);
    ck_assert_str_eq(ev->type, "lodging.ops.polling.stopped");
    ck_assert_str_eq(ev->subject, "sandbox:h_fail");
    ck_assert_str_eq(str_of(ev->data, "alert"), "polling.stopped");
    ck_assert_str_eq(str_of(ev->data, "severity"), "critical");
    ck_assert_str_eq(str_of(ev->data, "hotelId"), "h_fail");
    ck_assert_int_eq(int_of(ev->data, "consecutiveFailures"), 5);
    ck_assert_str_eq(str_of(ev->data, "lastError"), "PMS unavailable: HTTP 503");
    cloudevent_free(ev);

    /* The metric and the error log line (written just after the commit). */
    ck_assert_msg(TS_POLL_UNTIL(metric_has(&p, "poller_alerts_total{alert=\"polling.stopped\"} 1"),
                                SEEN_TIMEOUT_MS),
                  "poller_alerts_total not 1 (log: %s)", p.log);
    ck_assert_msg(TS_POLL_UNTIL(log_has(p.log, "\"level\":\"error\"",
                                        "polling stopped after consecutive failures"),
                                SEEN_TIMEOUT_MS),
                  "no error log line for the stop (log: %s)", p.log);

    /* A stopped hotel gets no scheduled job; start resets the count. */
    json_object *started = NULL;
    ck_assert_int_eq(call(&p, "POST", "/api/polling/sandbox/h_fail/start", &started), 200);
    ck_assert(bool_of(started, "isRunning"));
    ck_assert_int_eq(int_of(started, "errorCount"), 0);
    json_object_put(started);
    poller_stop(&p);
    ck_assert_int_eq(count_on(T_ALERTS), 1);
}
END_TEST

START_TEST(test_start_and_stop_survive_a_restart)
{
    insert_hotel("h_a", true, 3600, 3600);
    insert_hotel("h_b", true, 3600, 3600);
    poller_t p;
    poller_start(&p, "p1");
    json_object *body = NULL;
    ck_assert_int_eq(call(&p, "POST", "/api/polling/sandbox/h_a/stop", &body), 200);
    ck_assert(!bool_of(body, "isRunning"));
    ck_assert_ptr_null(str_of(body, "nextSyncAt"));
    json_object_put(body);
    poller_stop(&p);

    poller_start(&p, "p2");
    ck_assert(!is_running(&p, "h_a"));
    ck_assert(is_running(&p, "h_b"));
    ck_assert_int_eq(call(&p, "POST", "/api/polling/sandbox/h_a/start", &body), 200);
    ck_assert(bool_of(body, "isRunning"));
    json_object_put(body);
    /* Started from stopped: synced at once, then every interval. */
    ck_assert_msg(TS_POLL_UNTIL(count_jobs("h_a") == 1, SEEN_TIMEOUT_MS),
                  "start did not sync the hotel (log: %s)", p.log);
    poller_stop(&p);

    poller_start(&p, "p3");
    ck_assert(is_running(&p, "h_a"));
    json_object *st = status_of(&p, "sandbox", "h_a");
    int64_t next_ms;
    ck_assert_int_eq(dates_parse_rfc3339(str_of(st, "nextSyncAt"), &next_ms), 0);
    ck_assert_int_gt(next_ms, clock_wall_ms() + 3000 * 1000);
    json_object_put(st);
    poller_stop(&p);
    ck_assert_int_eq(count_jobs("h_a"), 1);
    ck_assert_int_eq(count_jobs("h_b"), 0);
}
END_TEST

#define TWO_POLLER_HOTELS 3
#define TWO_POLLER_JOBS 5
#define INTERVAL_MS 1000
#define SPACING_TOLERANCE_MS 150

START_TEST(test_two_pollers_emit_each_hotels_job_once_per_interval)
{
    static const char *hotels[TWO_POLLER_HOTELS] = {"h_r1", "h_r2", "h_r3"};
    for (int i = 0; i < TWO_POLLER_HOTELS; i++)
        insert_hotel(hotels[i], true, 1, -1);
    poller_t a, b;
    poller_start(&a, "replica-a");
    poller_start(&b, "replica-b");
    for (int h = 0; h < TWO_POLLER_HOTELS; h++)
        ck_assert_msg(TS_POLL_UNTIL(count_jobs(hotels[h]) >= TWO_POLLER_JOBS, SEEN_TIMEOUT_MS),
                      "%s: fewer than %d jobs (logs: %s, %s)", hotels[h], TWO_POLLER_JOBS, a.log,
                      b.log);
    poller_stop(&a);
    poller_stop(&b);

    for (int h = 0; h < TWO_POLLER_HOTELS; h++) {
        json_object *jobs[MAX_MESSAGES];
        int n = jobs_of(hotels[h], jobs, MAX_MESSAGES);
        int64_t prev = -1;
        for (int i = 0; i < n; i++) {
            int64_t at;
            ck_assert_int_eq(dates_parse_rfc3339(str_of(jobs[i], "requestedAt"), &at), 0);
            /* Never two in one interval, whichever replica emitted them. */
            if (prev >= 0)
                ck_assert_msg(at - prev >= INTERVAL_MS - SPACING_TOLERANCE_MS,
                              "%s: jobs %d and %d only %lld ms apart", hotels[h], i - 1, i,
                              (long long)(at - prev));
            prev = at;
            json_object_put(jobs[i]);
        }
    }
}
END_TEST

START_TEST(test_unknown_hotels_are_404_and_bad_vendors_400)
{
    insert_hotel("h_known", true, 3600, 3600);
    poller_t p;
    poller_start(&p, "p1");
    static const struct {
        const char *method, *path;
        int status;
        const char *code, *field;
    } cases[] = {
        {"GET", "/api/polling/sandbox/h_nope", 404, "NOT_FOUND", "hotelId"},
        {"POST", "/api/polling/sandbox/h_nope/start", 404, "NOT_FOUND", "hotelId"},
        {"POST", "/api/polling/sandbox/h_nope/stop", 404, "NOT_FOUND", "hotelId"},
        {"POST", "/api/polling/sandbox/h_nope/sync", 404, "NOT_FOUND", "hotelId"},
        {"GET", "/api/polling/mews/h_known", 400, "VALIDATION_ERROR", "vendor"},
        {"POST", "/api/polling/mews/h_known/sync", 400, "VALIDATION_ERROR", "vendor"},
        {"GET",
         "/api/polling/sandbox/"
         "h_0123456789012345678901234567890123456789012345678901234567890123456789",
         400, "VALIDATION_ERROR", "hotelId"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_object *body = NULL;
        ck_assert_int_eq(call(&p, cases[i].method, cases[i].path, &body), cases[i].status);
        ck_assert_msg(body != NULL, "%s %s: no JSON body", cases[i].method, cases[i].path);
        ck_assert_str_eq(str_of(body, "errorCode"), cases[i].code);
        ck_assert_str_eq(str_of(body, "field"), cases[i].field);
        ck_assert_ptr_nonnull(str_of(body, "error"));
        json_object_put(body);
    }
    ck_assert_int_eq(count_jobs("h_nope"), 0);
    poller_stop(&p);
}
END_TEST

START_TEST(test_malformed_results_go_to_the_dlq_and_never_crash_the_poller)
{
    insert_hotel("h_dlq", true, 3600, 3600);
    poller_t p;
    poller_start(&p, "p1");
    send_raw_result("h_dlq", "{not json");
    send_raw_result("h_dlq", "{\"specversion\":\"1.0\",\"id\":\"x1\",\"source\":\"/inventory-svc\","
                             "\"type\":\"lodging.sync.failed\",\"data\":{\"vendor\":\"sandbox\","
                             "\"hotelId\":\"h_dlq\",\"finishedAt\":\"2025-10-20T09:35:03Z\"}}");
    /* A result for a hotel the poller does not know is skipped. */
    char at[DATES_RFC3339_LEN + 1];
    now_rfc3339(at);
    send_result("h_unknown", "job_u1", false, at);
    send_result("h_dlq", "job_d1", false, at);

    ck_assert_msg(TS_POLL_UNTIL(error_count_of(&p, "h_dlq") == 1, SEEN_TIMEOUT_MS),
                  "the valid result after the bad ones was not applied (log: %s)", p.log);
    ck_assert_msg(TS_POLL_UNTIL(count_on(T_RESULTS_DLQ) == 2, SEEN_TIMEOUT_MS),
                  "malformed results not in the DLQ (log: %s)", p.log);
    pthread_mutex_lock(&seen.lock);
    bool named_job_id = false;
    for (int i = 0; i < seen.count; i++)
        if (seen.messages[i].topic == T_RESULTS_DLQ) {
            ck_assert_str_ne(seen.messages[i].dlq_reason, "");
            named_job_id |= strstr(seen.messages[i].dlq_reason, "jobId") != NULL;
        }
    pthread_mutex_unlock(&seen.lock);
    ck_assert(named_job_id);
    ck_assert(ts_proc_alive(p.proc));
    poller_stop(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("poller");
    TCase *tc = tcase_create("poller");
    tcase_set_timeout(tc, 180);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_a_hotels_job_is_emitted_on_its_schedule);
    tcase_add_test(tc, test_a_manual_sync_emits_a_job_for_today_to_today_plus_30);
    tcase_add_test(tc, test_five_failures_stop_the_hotel_and_raise_an_alert);
    tcase_add_test(tc, test_start_and_stop_survive_a_restart);
    tcase_add_test(tc, test_two_pollers_emit_each_hotels_job_once_per_interval);
    tcase_add_test(tc, test_unknown_hotels_are_404_and_bad_vendors_400);
    tcase_add_test(tc, test_malformed_results_go_to_the_dlq_and_never_crash_the_poller);
    suite_add_tcase(s, tc);
    return check_run(s);
}
