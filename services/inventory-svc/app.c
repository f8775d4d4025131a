/*
 * app.c — creating and releasing inventory-svc's parts (app.h).
 */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "admin_static.h"
#include "consumers.h"
#include "degraded.h"
#include "local_cache.h"
#include "read_pool.h"
#include "singleflight.h"
#include "store.h"

#define KEYSTORE_CACHE_MS 60000
#define DB_POOL_SIZE 4 /* sync writes and the admin console */
#define REDIS_POOL_EXTRA 4

static void read_settings(config_t *cfg, inv_settings_t *s)
{
    s->inventory_ttl_s =
        (int)config_get_int(cfg, "INVENTORY_TTL_S", INV_DEFAULT_INVENTORY_TTL_S, 1, 86400);
    s->rate_ttl_s = (int)config_get_int(cfg, "RATE_TTL_S", INV_DEFAULT_RATE_TTL_S, 1, 86400);
    s->rooms_ttl_s = (int)config_get_int(cfg, "ROOMS_TTL_S", INV_DEFAULT_ROOMS_TTL_S, 1, 604800);
    s->shadow_ttl_s =
        (int)config_get_int(cfg, "SHADOW_TTL_S", INV_DEFAULT_SHADOW_TTL_S, 1, 90 * 86400);
    s->max_nights =
        (int)config_get_int(cfg, "INVENTORY_MAX_NIGHTS", INV_DEFAULT_MAX_NIGHTS, 1, PMS_MAX_NIGHTS);
    s->fill_lock_ttl_s =
        (int)config_get_int(cfg, "CACHE_FILL_LOCK_TTL_S", INV_DEFAULT_FILL_LOCK_TTL_S, 1, 60);
    s->fill_wait_ms =
        (int)config_get_int(cfg, "CACHE_FILL_WAIT_MS", INV_DEFAULT_FILL_WAIT_MS, 0, 60000);
    s->adjust_marker_ttl_s = (int)config_get_int(cfg, "ADJUST_MARKER_TTL_S",
                                                 INV_DEFAULT_ADJUST_MARKER_TTL_S, 60, 90 * 86400);
    s->local_cache_ms = (int)config_get_int(cfg, "INVENTORY_LOCAL_CACHE_MS",
                                            INV_DEFAULT_LOCAL_CACHE_MS, 0, INV_LOCAL_CACHE_MAX_MS);
    s->read_threads = (int)config_get_int(cfg, "INVENTORY_READ_THREADS", INV_DEFAULT_READ_THREADS,
                                          0, INV_MAX_READ_THREADS);
}

/* Logins, sessions and the admin API's limits. */
static void read_access_settings(config_t *cfg, const service_settings_t *ss, inv_app_t *app)
{
    client_limit_rule_from_env(cfg, "LOGIN", "login", INV_DEFAULT_LOGIN_PER_MINUTE,
                               INV_DEFAULT_LOGIN_BURST, &app->login_limit);
    client_limit_rule_from_env(cfg, "ADMIN_API", "admin-api", INV_DEFAULT_ADMIN_API_PER_MINUTE,
                               INV_DEFAULT_ADMIN_API_BURST, &app->admin_limit);
    app->lockout.threshold = (int)config_get_int(cfg, "LOGIN_LOCKOUT_THRESHOLD",
                                                 AUTH_LOCKOUT_DEFAULT_THRESHOLD, 0, 1000);
    app->lockout.base_s =
        (int)config_get_int(cfg, "LOGIN_LOCKOUT_BASE_S", AUTH_LOCKOUT_DEFAULT_BASE_S, 1, 86400);
    app->lockout.max_s =
        (int)config_get_int(cfg, "LOGIN_LOCKOUT_MAX_S", AUTH_LOCKOUT_DEFAULT_MAX_S, 1, 7 * 86400);
    app->session_max_s = ss->session_max_s;
    app->session_cookie_secure = config_get_bool(cfg, "SESSION_COOKIE_SECURE", false);
}

static void register_metrics(inv_metrics_t *m)
{
    m->cache_hits =
        metrics_counter("inventory_cache_hits_total",
                        "Nights (or room lists) answered from the cache (Redis, or a copy of a "
                        "Redis answer a few milliseconds old)",
                        1, "kind");
    m->cache_misses = metrics_counter("inventory_cache_misses_total",
                                      "Nights (or room lists) not in Redis", 1, "kind");
    m->pms_fetch = metrics_histogram(
        "inventory_pms_fetch_duration_seconds", "PMS fetches for cache fills (with retries)",
        METRICS_LATENCY_BUCKETS_S, METRICS_LATENCY_BUCKET_COUNT, 2, "vendor", "kind");
    m->pms_errors = metrics_counter("inventory_pms_fetch_errors_total",
                                    "Failed PMS fetches by error", 3, "vendor", "kind", "error");
    m->stale =
        metrics_counter("inventory_stale_serves_total",
                        "Reads answered from the shadow copy because the PMS failed", 1, "kind");
    m->coalesced =
        metrics_counter("inventory_fill_coalesced_total",
                        "Reads that waited for another fill instead of calling the PMS", 1, "kind");
    m->superseded = metrics_counter(
        "inventory_fill_superseded_total",
        "Nights of PMS answers not cached because they changed while the answer travelled", 1,
        "kind");
    m->redis_errors =
        metrics_counter("inventory_redis_errors_total", "Failed Redis calls", 1, "op");
    m->adjustments =
        metrics_counter("inventory_adjustments_total", "Cache decrements/increments by outcome", 2,
                        "direction", "outcome");
    m->events = metrics_counter("inventory_events_total", "Consumed events by outcome", 3, "topic",
                                "type", "outcome");
    m->local_hits =
        metrics_counter("inventory_local_cache_hits_total",
                        "Reads answered from the in-process copy of a recent answer", 1, "kind");
    m->inventory_hits = metrics_series(m->cache_hits, "inventory");
    m->inventory_misses = metrics_series(m->cache_misses, "inventory");
    m->inventory_local_hits = metrics_series(m->local_hits, "inventory");
    m->rates_hits = metrics_series(m->cache_hits, "rates");
    m->rates_local_hits = metrics_series(m->local_hits, "rates");
}

/* ------------------------------------------------------ PMS API keys -- */

/* The admin preview tries a key before it is stored: on the thread that
 * asks, for that one hotel. */
static __thread const char *override_hotel, *override_key;

void inv_app_key_override(const char *hotel_id, const char *api_key)
{
    override_hotel = hotel_id;
    override_key = api_key;
}

void inv_app_key_override_clear(void)
{
    override_hotel = override_key = NULL;
}

int inv_app_key_lookup(void *arg, const char *vendor, const char *hotel_id, char *out,
                       size_t out_size)
{
    inv_app_t *app = arg;
    if (override_key && override_hotel && strcmp(override_hotel, hotel_id) == 0) {
        if (strlen(override_key) >= out_size)
            return -1;
        snprintf(out, out_size, "%s", override_key);
        return 0;
    }
    if (app->keystore)
        return pms_keystore_lookup(app->keystore, vendor, hotel_id, out, out_size);
    return pms_key_from_env(NULL, vendor, hotel_id, out, out_size);
}

/* The admin console's settings: booking-svc's address (cancel, retry) and
 * the guest data key (names in the console). */
static void read_admin_settings(config_t *cfg, inv_app_t *app)
{
    const char *text = config_get_str(cfg, "BOOKING_DATA_KEY", NULL);
    char err[128];
    if (text && *text) {
        if (crypto_key_from_env("BOOKING_DATA_KEY", app->guest_key, err, sizeof err) != 0)
            config_add_error(cfg, "BOOKING_DATA_KEY", err);
    } else {
        /* booking-svc's development default, so local runs show names */
        memset(app->guest_key, 0x5a, sizeof app->guest_key);
    }
}

/* The payment connector when PAYMENT_API_KEY is set (reconciliation and a
 * booking's gateway state need it; without it they answer 503), and the
 * client of booking-svc. 0 or -1. */
static int make_payment(inv_app_t *app, config_t *cfg, const service_settings_t *ss)
{
    const char *key = config_get_str(cfg, "PAYMENT_API_KEY", NULL);
    char err[256];
    if (key && *key) {
        payment_config_t payc;
        const char *gateway = payment_config_from_env(cfg, &payc);
        app->pay = payment_connector_new(gateway, &payc, err, sizeof err);
        if (!app->pay) {
            log_error("cannot create the payment connector: %s", err);
            return -1;
        }
    }
    const char *url = config_get_str(cfg, "BOOKING_SVC_URL", INV_DEFAULT_BOOKING_SVC_URL);
    char auth[300];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s",
             ss->service_token ? ss->service_token : "");
    const char *headers[] = {auth, NULL};
    http_client_config_t cc = {.base_url = url,
                               .total_timeout_ms = INV_BOOKING_SVC_TIMEOUT_MS,
                               .default_headers = headers};
    app->booking_svc = http_client_new(&cc);
    crypto_wipe(auth, sizeof auth);
    return app->booking_svc ? 0 : -1;
}

/* ------------------------------------------------------------- parts -- */

/* The PMS connector: config from PMS_*, keys from the keystore, breaker
 * changes to the degraded-mode manager. 0 or -1. */
static int make_connector(inv_app_t *app, pms_config_t *pc, const char *vendor, bool have_ring,
                          const pms_keyring_t *ring, const char *mysql_url)
{
    if (have_ring) {
        char err[256];
        db_pool_t *pool = db_pool_new(mysql_url, 1, err, sizeof err);
        if (!pool)
            log_kv(LOG_LEVEL_WARN, "API keys from the environment only: MariaDB unavailable",
                   "error", err, NULL);
        app->keystore_pool = pool;
        app->keystore = pms_keystore_new_ring(pool, ring, KEYSTORE_CACHE_MS);
        if (!app->keystore)
            return -1;
        /* keys stored under a data key that is no longer the active one are
         * re-encrypted now, so an old key can leave the ring afterwards */
        int rewrapped = 0, failed = 0;
        if (pool && pms_keystore_rewrap(app->keystore, &rewrapped, &failed) == 0 &&
            (rewrapped || failed))
            log_info("stored PMS API keys re-encrypted under the active data key: %d, "
                     "not decryptable with any key of the ring: %d",
                     rewrapped, failed);
    }
    /* the admin preview's key, then the environment and pms_config */
    pc->key_fn = inv_app_key_lookup;
    pc->key_ctx = app;
    /* each hotel's vendor: the environment, then its pms_config row when
     * there is a keystore */
    pc->vendor_fn = pms_keystore_vendor;
    pc->vendor_ctx = app->keystore;
    pc->breaker.on_change = degraded_on_breaker_change;
    pc->breaker.on_change_ctx = app->degraded;
    char err[256];
    app->pms = pms_connector_new(vendor, pc, err, sizeof err);
    if (!app->pms) {
        log_error("cannot create the PMS connector: %s", err);
        return -1;
    }
    degraded_set_connector(app->degraded, app->pms);
    return 0;
}

/* The connector's settings (PMS_* and ours), the probe interval and the
 * optional key-encryption key. Returns the vendor name. */
static const char *read_pms_settings(config_t *cfg, pms_config_t *pc, int *probe_ms,
                                     pms_keyring_t *ring, bool *have_ring)
{
    const char *vendor = pms_config_from_env(cfg, pc);
    pc->breaker.open_ms =
        (int)config_get_int(cfg, "PMS_BREAKER_OPEN_MS", BREAKER_OPEN_MS, 100, 3600000);
    pc->retry.max_retries = (int)config_get_int(cfg, "PMS_MAX_RETRIES", RETRY_MAX_RETRIES, 0, 10);
    pc->retry.base_ms = config_get_int(cfg, "PMS_RETRY_BASE_MS", RETRY_BASE_MS, 1, 60000);
    *probe_ms = (int)config_get_int(cfg, "DEGRADED_PROBE_INTERVAL_MS", DEGRADED_PROBE_INTERVAL_MS,
                                    100, 600000);
    *have_ring = pms_keyring_from_config(cfg, ring);
    return vendor;
}

static void set_topics(inv_app_t *app, const service_settings_t *ss)
{
    const char *prefix = ss->kafka_topic_prefix ? ss->kafka_topic_prefix : "";
    snprintf(app->topic_prefix, sizeof app->topic_prefix, "%s", prefix);
    kafka_topic_name(prefix, "pms.events", app->topic_pms_events, sizeof app->topic_pms_events);
    kafka_topic_name(prefix, "sync.jobs", app->topic_sync_jobs, sizeof app->topic_sync_jobs);
    kafka_topic_name(prefix, "sync.results", app->topic_sync_results,
                     sizeof app->topic_sync_results);
    kafka_topic_name(prefix, "ops.alerts", app->topic_ops_alerts, sizeof app->topic_ops_alerts);
}

int inv_app_init(inv_app_t *app, config_t *cfg, const service_settings_t *ss)
{
    memset(app, 0, sizeof *app);
    app->service_name = "inventory-svc";
    read_settings(cfg, &app->settings);
    read_access_settings(cfg, ss, app);
    pms_config_t pc;
    int probe_ms = 0;
    pms_keyring_t ring = {0};
    bool have_ring = false;
    const char *vendor = read_pms_settings(cfg, &pc, &probe_ms, &ring, &have_ring);
    read_admin_settings(cfg, app);
    if (config_error_count(cfg) > 0) {
        pms_keyring_wipe(&ring);
        return 0; /* service_run reports them and exits 2 */
    }

    register_metrics(&app->metrics);
    app->kafka_brokers = ss->kafka_brokers;
    set_topics(app, ss);
    char err[256];
    int rc = -1;
    app->redis = redis_pool_new(ss->redis_url, ss->http_threads + REDIS_POOL_EXTRA,
                                INV_REDIS_TIMEOUT_MS, INV_REDIS_TIMEOUT_MS, err, sizeof err);
    if (!app->redis) {
        log_error("cannot create the Redis pool: %s", err);
        goto done;
    }
    app->limits =
        client_limit_new(&(client_limit_config_t){.service = "inventory-svc", .redis = app->redis});
    if (!app->limits)
        goto done;
    app->producer = kafka_producer_new(ss->kafka_brokers, app->service_name, NULL, err, sizeof err);
    if (!app->producer) {
        log_error("cannot create the Kafka producer: %s", err);
        goto done;
    }
    app->degraded = degraded_new(&(degraded_config_t){.redis_url = ss->redis_url,
                                                      .producer = app->producer,
                                                      .alerts_topic = app->topic_ops_alerts,
                                                      .source = "/inventory-svc",
                                                      .breaker_open_ms = pc.breaker.open_ms,
                                                      .probe_interval_ms = probe_ms});
    app->flights = sf_group_new();
    app->answers = lc_new(app->settings.local_cache_ms, INV_LOCAL_CACHE_SLOTS, NULL);
    app->reads = app->settings.read_threads > 0
                     ? read_pool_new(app->settings.read_threads, INV_READ_QUEUE_MAX)
                     : NULL;
    app->store = inv_store_new(ss->mysql_url, DB_POOL_SIZE);
    if (!app->degraded || !app->flights || !app->store ||
        (app->settings.local_cache_ms > 0 && !app->answers) ||
        (app->settings.read_threads > 0 && !app->reads))
        goto done;
    /* The hotels' PMS budgets are shared with booking-svc, whose checkouts
     * go first: a read that would queue is refused at once and served from
     * the stale copy instead. */
    pc.budget_redis = app->redis;
    pc.priority = PMS_PRIORITY_BACKGROUND;
    if (make_connector(app, &pc, vendor, have_ring, &ring, ss->mysql_url) != 0)
        goto done;
    pms_config_t rpc = pc;
    rpc.background_wait_ms = INV_RECONCILE_PMS_WAIT_MS;
    rpc.breaker.on_change = NULL; /* the readers' breakers drive degraded mode */
    rpc.breaker.on_change_ctx = NULL;
    if (!(app->pms_reconcile = pms_connector_new(vendor, &rpc, err, sizeof err))) {
        log_error("cannot create the PMS connector: %s", err);
        goto done;
    }
    if (degraded_start(app->degraded) != 0)
        goto done;
    if (make_payment(app, cfg, ss) != 0)
        goto done;
    app->admin_page = admin_static_load(config_get_str(cfg, "ADMIN_STATIC_DIR", NULL));
    if (!app->admin_page)
        goto done;
    rc = 0;
done:
    pms_keyring_wipe(&ring);
    return rc;
}

int inv_app_start_consumers(inv_app_t *app)
{
    return inv_consumers_start(app);
}

void inv_app_stop(void *arg)
{
    inv_app_t *app = arg;
    /* after the HTTP server's stop: the reads still queued get their 503 */
    read_pool_stop(app->reads);
    inv_consumers_stop(app);
    if (app->degraded)
        degraded_stop(app->degraded);
    if (app->producer)
        kafka_producer_flush(app->producer, KAFKA_FLUSH_TIMEOUT_MS);
}

void inv_app_free(inv_app_t *app)
{
    inv_consumers_stop(app);
    inv_consumers_free(app);
    degraded_stop(app->degraded);
    pms_connector_free(app->pms); /* its breakers call into degraded: free it first */
    pms_connector_free(app->pms_reconcile);
    degraded_free(app->degraded);
    pms_keystore_free(app->keystore);
    payment_connector_free(app->pay);
    http_client_free(app->booking_svc);
    crypto_wipe(app->guest_key, sizeof app->guest_key);
    db_pool_free(app->keystore_pool);
    inv_store_free(app->store);
    sf_group_free(app->flights);
    lc_free(app->answers);
    read_pool_free(app->reads);
    kafka_producer_free(app->producer);
    client_limit_free(app->limits); /* uses the Redis pool: before it */
    redis_pool_free(app->redis);
    admin_static_free(app->admin_page);
    memset(app, 0, sizeof *app);
}

bool inv_app_redis_ready(void *arg, const char **reason)
{
    inv_app_t *app = arg;
    redis_client_t *r = redis_pool_acquire(app->redis);
    bool ok = redis_ping(r) == REDIS_CLIENT_OK;
    redis_pool_release(app->redis, r);
    if (!ok)
        *reason = "redis: no answer to PING";
    return ok;
}
