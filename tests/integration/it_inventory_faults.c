/* inventory-svc under failure, on the real stack: the PMS down → reads keep
 * answering from stale-cache after the fresh TTL expired, the breaker opens
 * after 5 failures (that hotel alone degraded, in Redis and as its metric series, an
 * ops.alerts breaker.opened event) and closes again by itself once the PMS
 * is back (degraded mode off); nothing cached + PMS down → 503 JSON; Redis
 * down → reads go to the PMS and the service recovers when Redis returns.
 * TTLs, retries and the breaker's open time are shortened through the
 * service's environment. */
#include <check.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "common/cloudevents.h"
#include "common/kafka.h"
#include "common/log.h"
#include "inventory_fixture.h"

#define BREAKER_SERIES "circuit_breaker_state{breaker=\"pms:cloudbeds:hotel_123\"}"
#define WAIT_MS 20000

static inv_fixture_t f;
static const char *const FAST_ENV[] = {"INVENTORY_TTL_S=1",        "PMS_MAX_RETRIES=0",
                                       "PMS_BREAKER_OPEN_MS=1500", "DEGRADED_PROBE_INTERVAL_MS=200",
                                       "PMS_TIMEOUT_MS=2000",      NULL};

static void setup(void)
{
    log_init("it_inventory_faults", LOG_LEVEL_ERROR);
    memset(&f, 0, sizeof f);
}

static void teardown(void)
{
    invfx_stop(&f);
}

static bool source_is(dates_day_t from, dates_day_t to, const char *source, int *status)
{
    struct json_object *o = NULL;
    *status = invfx_read(&f, "/api/inventory", INVFX_ROOM, from, to, &o);
    bool ok = *status == 200 && strcmp(invfx_str(o, "source"), source) == 0;
    json_object_put(o);
    return ok;
}

#define HOTEL_DEGRADED_PATH "/api/hotels/" INVFX_HOTEL "/degraded-mode"
#define HOTEL_DEGRADED_SERIES "inventory_degraded_mode{hotel=\"" INVFX_HOTEL "\"}"
#define HOTEL_DEGRADED_KEY "lodging:degraded:{" INVFX_HOTEL "}"

/* The fixture hotel's degraded mode is `want` (from `source` when given). */
static bool hotel_degraded_is(bool want, const char *source)
{
    struct json_object *o = NULL;
    bool ok = invfx_get(&f, HOTEL_DEGRADED_PATH, NULL, &o) == 200 &&
              strcmp(invfx_str(o, "hotelId"), INVFX_HOTEL) == 0 &&
              json_object_get_boolean(json_object_object_get(o, "degraded")) == want &&
              (!source || strcmp(invfx_str(o, "source"), source) == 0);
    json_object_put(o);
    return ok;
}

/* GET /api/degraded-mode: the platform switch is off and the listing names
 * the fixture hotel (listed) or not. */
static bool listing_names_the_hotel(bool listed)
{
    struct json_object *o = NULL, *hotels;
    bool found = false;
    bool ok = invfx_get(&f, "/api/degraded-mode", NULL, &o) == 200 &&
              !json_object_get_boolean(json_object_object_get(o, "degraded")) &&
              json_object_object_get_ex(o, "hotels", &hotels);
    for (size_t i = 0; ok && i < json_object_array_length(hotels); i++)
        found |=
            strcmp(invfx_str(json_object_array_get_idx(hotels, i), "hotelId"), INVFX_HOTEL) == 0;
    json_object_put(o);
    return ok && found == listed;
}

static bool redis_value_has(const char *key, const char *needle)
{
    char *v = NULL;
    bool ok = redis_get(f.redis, key, &v) == REDIS_CLIENT_OK && v && strstr(v, needle) != NULL;
    free(v);
    return ok;
}

/* ops.alerts events seen by the test's consumer. */
static pthread_mutex_t alerts_mu = PTHREAD_MUTEX_INITIALIZER;
static int breaker_alerts;
static struct json_object *alert_data;
static bool alert_from_us;

static kafka_handler_result_t on_alert(const kafka_message_t *m, void *ctx, char *reason,
                                       size_t reason_size)
{
    (void)ctx;
    (void)reason;
    (void)reason_size;
    char err[128];
    cloudevent_t *ev = cloudevent_from_kafka(m, err, sizeof err);
    if (ev && strcmp(ev->type, "lodging.ops.breaker.opened") == 0 && ev->data &&
        strcmp(invfx_str(ev->data, "hotelId"), INVFX_HOTEL) == 0 &&
        strcmp(invfx_str(ev->data, "alert"), "breaker.opened") == 0) {
        pthread_mutex_lock(&alerts_mu);
        if (!alert_data) /* checked on the test's thread */
            alert_data = json_object_get(ev->data);
        alert_from_us = strcmp(ev->source, "/inventory-svc") == 0;
        breaker_alerts++;
        pthread_mutex_unlock(&alerts_mu);
    }
    cloudevent_free(ev);
    return KAFKA_HANDLER_OK;
}

static int alerts_seen(void)
{
    pthread_mutex_lock(&alerts_mu);
    int n = breaker_alerts;
    pthread_mutex_unlock(&alerts_mu);
    return n;
}

START_TEST(test_pms_down_serves_stale_cache_opens_the_breaker_and_recovers)
{
    const char *brokers = ts_env("KAFKA_BROKERS", TS_DEFAULT_KAFKA_BROKERS);
    ts_unique_name("itinvf_", f.topic_prefix, sizeof f.topic_prefix);
    char alerts[160], group[96], err[256];
    kafka_topic_name(f.topic_prefix, "ops.alerts", alerts, sizeof alerts);
    const char *topics[] = {alerts, NULL};
    ck_assert_msg(kafka_admin_create_topics(brokers, topics, 1, 1, 1, 30000, err, sizeof err) == 0,
                  "%s", err);
    ts_unique_name("itinvf_group", group, sizeof group);
    kafka_consumer_config_t cc = {
        .brokers = brokers, .group_id = group, .topics = topics, .handler = on_alert};
    kafka_consumer_t *consumer = kafka_consumer_new(&cc, err, sizeof err);
    ck_assert_msg(consumer != NULL, "%s", err);
    ck_assert_int_eq(kafka_consumer_start(consumer), 0);
    breaker_alerts = 0;
    invfx_start(&f, FAST_ENV);

    dates_day_t from = dates_today_utc() + 5, to = from + 2;
    int st = 0;
    ck_assert(source_is(from, to, "pms", &st));
    ts_sandbox_fault(&f.sb, "{\"down\":true}");

    /* After the 1 s TTL the fresh keys are gone: the PMS is asked, fails,
     * and the shadow copy answers. */
    char key[128];
    invfx_key(key, sizeof key, "inv", INVFX_ROOM, from);
    ck_assert(TS_POLL_UNTIL(!invfx_key_exists(&f, key), WAIT_MS));
    for (int i = 0; i < 6; i++) {
        ck_assert_msg(source_is(from, to, "stale-cache", &st), "read %d: status %d", i, st);
    }
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, from, to, &o), 200);
    ck_assert_int_eq(invfx_night_int(o, 0, "available"), 10);
    json_object_put(o);
    ck_assert(invfx_metric(&f, "inventory_stale_serves_total{kind=\"inventory\"}") >= 7);

    /* 5 consecutive failures opened the breaker: the hotel (only) is
     * degraded, in Redis under its hash tag and as its own series; alert. */
    ck_assert_double_eq(invfx_metric(&f, BREAKER_SERIES), 1);
    ck_assert(hotel_degraded_is(true, "breaker"));
    ck_assert(TS_POLL_UNTIL(invfx_metric(&f, HOTEL_DEGRADED_SERIES) == 1, WAIT_MS));
    ck_assert_double_eq(invfx_metric(&f, "inventory_degraded_mode{hotel=\"*\"}"), 0);
    ck_assert(
        TS_POLL_UNTIL(redis_value_has(HOTEL_DEGRADED_KEY, "\"source\":\"breaker\""), WAIT_MS));
    long long ttl = 0;
    ck_assert_int_eq(redis_ttl(f.redis, HOTEL_DEGRADED_KEY, &ttl), REDIS_CLIENT_OK);
    ck_assert_msg(ttl > 0 && ttl <= 15, "the automatic key expires on its own (ttl %lld)", ttl);
    ck_assert(listing_names_the_hotel(true));
    ck_assert(redis_value_has("lodging:degraded", "\"degraded\":false"));
    ck_assert(TS_POLL_UNTIL(alerts_seen() >= 1, 30000));
    pthread_mutex_lock(&alerts_mu);
    invfx_assert_event_data(alert_data, "ops-alert");
    ck_assert_str_eq(invfx_str(alert_data, "breaker"), "pms:cloudbeds:hotel_123");
    ck_assert_str_eq(invfx_str(alert_data, "vendor"), "cloudbeds");
    ck_assert_int_eq(invfx_int(alert_data, "openForSeconds"), 1);
    ck_assert(alert_from_us);
    json_object_put(alert_data);
    alert_data = NULL;
    pthread_mutex_unlock(&alerts_mu);

    /* The PMS is back: the half-open probe closes the breaker with no read. */
    ts_sandbox_clear_faults(&f.sb);
    ck_assert(TS_POLL_UNTIL(hotel_degraded_is(false, NULL), WAIT_MS));
    ck_assert_double_eq(invfx_metric(&f, BREAKER_SERIES), 0);
    ck_assert(TS_POLL_UNTIL(invfx_metric(&f, HOTEL_DEGRADED_SERIES) == 0, WAIT_MS));
    ck_assert(TS_POLL_UNTIL(!invfx_key_exists(&f, HOTEL_DEGRADED_KEY), WAIT_MS));
    ck_assert(listing_names_the_hotel(false));
    ck_assert(TS_POLL_UNTIL(!invfx_key_exists(&f, key), WAIT_MS));
    ck_assert(source_is(from, to, "pms", &st));
    ck_assert_int_eq(alerts_seen(), 1);

    kafka_consumer_free(consumer);
    kafka_admin_delete_topics(brokers, topics, 1, 30000, err, sizeof err);
}
END_TEST

START_TEST(test_an_operator_on_outlives_the_breaker_closing)
{
    invfx_start(&f, FAST_ENV);
    ts_sandbox_fault(&f.sb, "{\"down\":true}");
    struct json_object *o = NULL;
    ck_assert_int_eq(
        invfx_send(&f, "PUT", HOTEL_DEGRADED_PATH, "{\"degraded\":true,\"reason\":\"manual\"}", &o),
        200);
    ck_assert_str_eq(invfx_str(o, "source"), "admin");
    json_object_put(o);
    dates_day_t from = dates_today_utc() + 50;
    int st = 0;
    for (int i = 0; i < 5; i++)
        ck_assert(!source_is(from, from, "pms", &st));
    ck_assert_double_eq(invfx_metric(&f, BREAKER_SERIES), 1);
    ck_assert(TS_POLL_UNTIL(invfx_key_exists(&f, HOTEL_DEGRADED_KEY), WAIT_MS));
    ts_sandbox_clear_faults(&f.sb);
    ck_assert(TS_POLL_UNTIL(invfx_metric(&f, BREAKER_SERIES) == 0, WAIT_MS));
    ck_assert(TS_POLL_UNTIL(!invfx_key_exists(&f, HOTEL_DEGRADED_KEY), WAIT_MS));
    ck_assert(hotel_degraded_is(true, "admin"));
    ck_assert(listing_names_the_hotel(true));
    ck_assert_int_eq(invfx_send(&f, "PUT", HOTEL_DEGRADED_PATH, "{\"degraded\":false}", &o), 200);
    json_object_put(o);
    ck_assert(hotel_degraded_is(false, NULL));
    ck_assert(listing_names_the_hotel(false));
    ck_assert(TS_POLL_UNTIL(invfx_metric(&f, HOTEL_DEGRADED_SERIES) == 0, WAIT_MS));
}
END_TEST

START_TEST(test_nothing_cached_and_the_pms_down_is_a_503_with_a_clear_error)
{
    invfx_start(&f, FAST_ENV);
    ts_sandbox_fault(&f.sb, "{\"op\":\"*\",\"status\":500}");
    dates_day_t from = dates_today_utc() + 60;
    struct json_object *o = NULL;
    ck_assert_int_eq(invfx_read(&f, "/api/inventory", INVFX_ROOM, from, from + 3, &o), 503);
    ck_assert_str_eq(invfx_str(o, "errorCode"), "PMS_UNAVAILABLE");
    ck_assert(json_object_get_boolean(json_object_object_get(o, "success")) == false);
    ck_assert_ptr_nonnull(strstr(invfx_str(o, "error"), "nothing cached"));
    ck_assert_uint_eq(invfx_night_count(o), 0);
    json_object_put(o);
    ck_assert_int_eq(invfx_read(&f, "/api/rates", INVFX_ROOM, from, from + 3, &o), 503);
    ck_assert_str_eq(invfx_str(o, "errorCode"), "PMS_UNAVAILABLE");
    json_object_put(o);
    const char *q[] = {"vendor", "cloudbeds", NULL};
    ck_assert_int_eq(invfx_get(&f, "/api/hotels/hotel_123/room-types", q, &o), 503);
    ck_assert_str_eq(invfx_str(o, "errorCode"), "PMS_UNAVAILABLE");
    json_object_put(o);
}
END_TEST

/* A redis-server of the test's own, so it can be killed and restarted. */
static pid_t redis_start(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the test */
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    ck_assert_int_gt(pid, 0);
    char url[64], err[128];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    redis_client_t *r = redis_client_new(url, 200, 500, err, sizeof err);
    ck_assert(TS_POLL_UNTIL(redis_ping(r) == REDIS_CLIENT_OK, 10000));
    redis_client_free(r);
    return pid;
}

static void redis_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

START_TEST(test_redis_down_reads_go_to_the_pms_and_the_service_recovers)
{
    int port = ts_free_port();
    pid_t redis = redis_start(port);
    static char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    f.redis_url_override = url;
    invfx_start(&f, NULL);
    dates_day_t from = dates_today_utc() + 70, to = from + 2;
    int st = 0;
    ck_assert(source_is(from, to, "pms", &st));
    ck_assert(source_is(from, to, "cache", &st));

    redis_kill(redis);
    /* the last answer may still be served from memory for a few ms
     * (INVENTORY_LOCAL_CACHE_MS), then every read goes to the PMS */
    ck_assert(TS_POLL_UNTIL(source_is(from, to, "pms", &st), WAIT_MS));
    for (int i = 0; i < 3; i++)
        ck_assert_msg(source_is(from, to, "pms", &st), "read %d: status %d", i, st);
    ck_assert(invfx_metric(&f, "inventory_redis_errors_total{op=\"mget\"}") >= 3);
    ck_assert(ts_http_wait_ok(f.port, "/healthz", 1000));

    redis = redis_start(port);
    /* Reconnects by itself: the first read refills, the next is a hit. */
    ck_assert(TS_POLL_UNTIL(source_is(from, to, "cache", &st), WAIT_MS));
    ck_assert(ts_http_wait_ok(f.port, "/readyz", WAIT_MS));
    invfx_stop_service(&f);
    redis_client_free(f.redis);
    f.redis = NULL;
    redis_kill(redis);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("it_inventory_faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_pms_down_serves_stale_cache_opens_the_breaker_and_recovers);
    tcase_add_test(tc, test_an_operator_on_outlives_the_breaker_closing);
    tcase_add_test(tc, test_nothing_cached_and_the_pms_down_is_a_503_with_a_clear_error);
    tcase_add_test(tc, test_redis_down_reads_go_to_the_pms_and_the_service_recovers);
    suite_add_tcase(s, tc);
    return check_run(s);
}
