/*
 * it_e2e_read_side — the read side end to end, every piece real: a front-desk
 * change in the pms-sandbox reaches a guest's next GET /api/inventory
 *   - by webhook: pms-sandbox → signed webhook → webhook-ingest → Kafka
 *     pms.events → inventory-svc invalidates → read-through shows the number;
 *   - by polling, for a hotel whose webhooks are off: poller manual sync →
 *     Kafka sync.jobs → inventory-svc refreshes 30 days → the read shows it.
 * Each test run has its own topics (prefix), database, Redis database and ports.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_run.h"
#include "common/db.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "testsupport.h"
#include "ts_sandbox.h"
#include "ts_service.h"

#define SECRET "whsec_e2e_read_side"
#define HOTEL "hotel_123"
#define ROOM "room_456"
#define UNITS 10
#define VISIBLE_TIMEOUT_MS 30000

static char prefix[64], db_name[96], db_env[640], redis_env[320], prefix_env[128], brokers_env[320];
static int redis_db = -1;
static const char *brokers;
/* What every service this test starts is given. */
static const char *const run_env[] = {brokers_env, prefix_env,       redis_env,
                                      db_env,      "LOG_LEVEL=info", NULL};
static const ts_service_run_t run = {"it_e2e_read_side", run_env};

static void create_topics(void)
{
    static const char *const bases[] = {"pms.events",      "sync.jobs",      "sync.results",
                                        "ops.alerts",      "pms.events.dlq", "sync.jobs.dlq",
                                        "sync.results.dlq"};
    enum { N = sizeof bases / sizeof bases[0] };
    char names[N][128];
    const char *ptrs[N];
    for (size_t i = 0; i < N; i++) {
        kafka_topic_name(prefix, bases[i], names[i], sizeof names[i]);
        ptrs[i] = names[i];
    }
    char err[256];
    ck_assert_msg(kafka_admin_create_topics(brokers, ptrs, N, 3, 1, 30000, err, sizeof err) == 0,
                  "%s", err);
}

static char auth_header[TS_AUTH_HEADER_MAX];

static void setup(void)
{
    brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ts_unique_name("e2e", prefix, sizeof prefix);
    strcat(prefix, ".");
    create_topics();
    char url[512], redis_url[256];
    ck_assert(ts_db_create_migrated("e2e_read", db_name, sizeof db_name, url, sizeof url) == 0);
    snprintf(db_env, sizeof db_env, "MYSQL_URL=%s", url);
    ck_assert_int_eq(ts_api_key_header(url, "operator", NULL, auth_header, NULL), 0);
    redis_db = ts_redis_db_acquire(redis_url, sizeof redis_url);
    ck_assert_int_gt(redis_db, 0);
    snprintf(redis_env, sizeof redis_env, "REDIS_URL=%s", redis_url);
    snprintf(prefix_env, sizeof prefix_env, "KAFKA_TOPIC_PREFIX=%s", prefix);
    snprintf(brokers_env, sizeof brokers_env, "KAFKA_BROKERS=%s", brokers);
}

static void teardown(void)
{
    ts_redis_db_release(redis_db);
    ts_db_drop(db_name);
}

static void day_str(int offset, char *out, size_t size)
{
    time_t t = time(NULL) + (time_t)offset * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%d", &tm);
}

/* The available count of one night from inventory-svc, and its source; -1 when
 * the read failed. */
static int read_night(http_client_t *inv, const char *date, char *source, size_t source_size)
{
    const char *q[] = {"vendor", "cloudbeds", "hotelId", HOTEL, "roomTypeId", ROOM,
                       "from",   date,        "to",      date,  NULL};
    http_client_response_t r;
    http_client_get(inv, "/api/inventory", q, NULL, &r);
    int available = -1;
    if (r.status == 200) {
        json_object *doc = json_tokener_parse(r.body), *nights, *src;
        if (doc && json_object_object_get_ex(doc, "nights", &nights) &&
            json_object_array_length(nights) == 1) {
            json_object *night = json_object_array_get_idx(nights, 0), *a;
            if (json_object_object_get_ex(night, "available", &a))
                available = json_object_get_int(a);
        }
        if (source && doc && json_object_object_get_ex(doc, "source", &src))
            snprintf(source, source_size, "%s", json_object_get_string(src));
        json_object_put(doc);
    }
    http_client_response_clear(&r);
    return available;
}

static http_client_t *client_for(int port)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    const char *headers[] = {auth_header, NULL}; /* the poller's sync needs an operator */
    http_client_config_t cfg = {
        .base_url = base, .total_timeout_ms = 10000, .default_headers = headers};
    http_client_t *c = http_client_new(&cfg);
    ck_assert_ptr_nonnull(c);
    return c;
}

static void set_availability(ts_sandbox_t *pms, const char *date, int available)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"propertyID\":\"" HOTEL "\",\"roomTypeID\":\"" ROOM
             "\",\"from\":\"%s\",\"to\":\"%s\",\"available\":%d}",
             date, date, available);
    ck_assert_int_eq(ts_sandbox_post(pms, "/_sandbox/frontdesk/availability", body), 200);
}

START_TEST(front_desk_change_is_visible_through_the_webhook_path)
{
    int wh_port = ts_free_port(), inv_port = ts_free_port();
    char hook_env[128];
    snprintf(hook_env, sizeof hook_env,
             "PMS_SANDBOX_WEBHOOK_URL=http://127.0.0.1:%d/api/webhooks/pms/cloudbeds", wh_port);
    const char *pms_env[] = {hook_env, "PMS_WEBHOOK_SECRET=" SECRET,
                             "PMS_SANDBOX_WEBHOOK_BACKOFF_MS=50", NULL};
    ts_sandbox_t pms;
    ts_sandbox_start(&pms, "pms-sandbox", "PMS_SANDBOX_PORT", pms_env);

    char pms_url[96];
    snprintf(pms_url, sizeof pms_url, "PMS_BASE_URL=%s", pms.base_url);
    const char *inv_env[] = {pms_url, "PMS_" HOTEL "_API_KEY=cbk_sandbox_" HOTEL, NULL};
    const char *wh_env[] = {"PMS_WEBHOOK_SECRET=" SECRET, NULL};
    ts_service_t inv, wh;
    ts_service_start(&inv, &run, "inventory-svc", "INVENTORY_SVC_PORT", inv_port, inv_env);
    ts_service_start(&wh, &run, "webhook-ingest", "WEBHOOK_INGEST_PORT", wh_port, wh_env);

    http_client_t *c = client_for(inv_port);
    char date[16], source[32] = "";
    day_str(9, date, sizeof date);
    int before = read_night(c, date, source, sizeof source);
    ck_assert_msg(before >= 0 && before <= UNITS, "first read failed (log: %s)", inv.log);
    ck_assert_str_eq(source, "pms");
    ck_assert_int_eq(read_night(c, date, source, sizeof source), before);
    ck_assert_str_eq(source, "cache");

    /* Twice, so a stale cache entry could not pass by luck. */
    for (int round = 0; round < 2; round++) {
        int want = before > 2 ? before - 1 - round : before + 1 + round;
        set_availability(&pms, date, want);
        ck_assert_msg(TS_POLL_UNTIL(read_night(c, date, NULL, 0) == want, VISIBLE_TIMEOUT_MS),
                      "the change to %d never became visible (now %d; logs: %s, %s)", want,
                      read_night(c, date, NULL, 0), wh.log, inv.log);
        ck_assert_int_eq(read_night(c, date, source, sizeof source), want);
        ck_assert_str_eq(source, "cache");
    }

    http_client_free(c);
    ts_service_stop(&wh);
    ts_service_stop(&inv);
    ts_sandbox_stop(&pms);
}
END_TEST

START_TEST(hotel_without_webhooks_converges_after_a_manual_sync)
{
    int inv_port = ts_free_port(), poll_port = ts_free_port();
    const char *pms_env[] = {NULL};
    ts_sandbox_t pms;
    ts_sandbox_start(&pms, "pms-sandbox", "PMS_SANDBOX_PORT", pms_env);
    ck_assert_int_eq(ts_sandbox_post(&pms, "/_sandbox/webhooks",
                                     "{\"propertyID\":\"" HOTEL "\",\"enabled\":false}"),
                     200);

    /* The hotel is known to the poller; a long interval, so only the manual
     * trigger runs in this test. */
    char err[256];
    const char *url = strchr(db_env, '=') + 1;
    db_t *db = db_new(url, err, sizeof err);
    ck_assert_msg(db != NULL, "%s", err);
    ck_assert_int_eq(db_exec_script_statement(
                         db, "INSERT INTO pms_config (vendor, hotel_id, polling_enabled, "
                             "polling_interval_seconds, webhooks_enabled, next_sync_at) VALUES "
                             "('cloudbeds', '" HOTEL "', TRUE, 3600, FALSE, "
                             "NOW(3) + INTERVAL 1 HOUR)"),
                     DB_OK);
    db_free(db);

    char pms_url[96];
    snprintf(pms_url, sizeof pms_url, "PMS_BASE_URL=%s", pms.base_url);
    const char *inv_env[] = {pms_url, "PMS_" HOTEL "_API_KEY=cbk_sandbox_" HOTEL, NULL};
    ts_service_t inv, poller;
    ts_service_start(&inv, &run, "inventory-svc", "INVENTORY_SVC_PORT", inv_port, inv_env);
    ts_service_start(&poller, &run, "poller", "POLLER_PORT", poll_port, NULL);

    http_client_t *c = client_for(inv_port), *p = client_for(poll_port);
    char date[16], source[32] = "";
    day_str(12, date, sizeof date);
    int before = read_night(c, date, source, sizeof source);
    ck_assert_msg(before >= 0, "first read failed (log: %s)", inv.log);
    int want = before > 0 ? before - 1 : 1;
    set_availability(&pms, date, want);
    /* No webhook: the cache still answers the old number. */
    ck_assert_int_eq(read_night(c, date, source, sizeof source), before);
    ck_assert_str_eq(source, "cache");

    http_client_response_t r;
    http_client_post_json(p, "/api/polling/cloudbeds/" HOTEL "/sync", NULL, "{}", &r);
    ck_assert_msg(r.status >= 200 && r.status < 300, "manual sync: %d %s (log: %s)", r.status,
                  r.body ? r.body : "", poller.log);
    http_client_response_clear(&r);
    ck_assert_msg(TS_POLL_UNTIL(read_night(c, date, NULL, 0) == want, VISIBLE_TIMEOUT_MS),
                  "the manual sync never refreshed the night (logs: %s, %s)", poller.log, inv.log);

    /* The poller saw the sync result. */
    ck_assert_msg(TS_POLL_UNTIL(({
                                    http_client_response_t s;
                                    http_client_get(p, "/api/polling/cloudbeds/" HOTEL, NULL, NULL,
                                                    &s);
                                    bool ok = s.status == 200 && s.body &&
                                              strstr(s.body, "\"lastSyncAt\":null") == NULL &&
                                              strstr(s.body, "\"errorCount\":0") != NULL;
                                    http_client_response_clear(&s);
                                    ok;
                                }),
                                VISIBLE_TIMEOUT_MS),
                  "the poller never recorded the sync (log: %s)", poller.log);

    http_client_free(p);
    http_client_free(c);
    ts_service_stop(&poller);
    ts_service_stop(&inv);
    ts_sandbox_stop(&pms);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_read_side");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, front_desk_change_is_visible_through_the_webhook_path);
    tcase_add_test(tc, hotel_without_webhooks_converges_after_a_manual_sync);
    suite_add_tcase(s, tc);
    return check_run(s);
}
