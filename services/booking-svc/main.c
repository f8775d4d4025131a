/*
 * booking-svc — the checkout saga: hold, pre-authorise, confirm, capture, with
 * compensation; bookings and booking events.
 *
 * main.c is wiring only: configuration, the connectors and
 * pools, the outbox relay, the compensation worker, the pms.events consumer,
 * the recovery thread, and the routes:
 *   POST /api/booking/checkout         checkout.c → saga.c
 *   GET  /api/bookings/:bookingId      bookings_api.c
 *   POST /api/bookings/:bookingId/cancel
 *   POST /api/webhooks/payment/toss    toss_webhook.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cancel_policy.h"
#include "booking.h"
#include "bookings_api.h"
#include "compensation_api.h"
#include "checkout.h"
#include "common/kafka.h"
#include "common/log.h"
#include "common/pms_keys.h"
#include "common/service.h"
#include "compensation.h"
#include "inventory_client.h"
#include "outbox.h"
#include "payment_route.h"
#include "pms_events.h"
#include "pms_feed.h"
#include "pms_watch.h"
#include "recovery.h"
#include "saga.h"
#include "toss_webhook.h"

#define BOOKING_DB_POOL_DEFAULT 16
#define BOOKING_REDIS_POOL_DEFAULT 8
#define BOOKING_INVENTORY_TIMEOUT_MS 2000
#define BOOKING_FLUSH_TIMEOUT_MS 5000
#define BOOKING_PMS_KEY_CACHE_MS 60000

/* Everything main.c creates, torn down in reverse by stop_all. */
typedef struct wiring {
    booking_app_t app;
    kafka_producer_t *producer;
    pms_keystore_t *keys;
    compensation_worker_t *worker;
    pms_events_consumer_t *pms_events;
    pms_watch_t *watch;
    pms_feed_t *feed;
    recovery_t *recovery;
} wiring_t;

static const char ENV_HELP[] =
    "  BOOKING_HOLD_TTL_S         PMS hold lifetime in seconds (default 180)\n"
    "  INVENTORY_BASE_URL         inventory-svc (default http://127.0.0.1:8082)\n"
    "  BOOKING_RECOVERY_INTERVAL_S recovery pass period in seconds (default 3)\n"
    "  BOOKING_PMS_WATCH_INTERVAL_S how often our bookings at PMSs without webhooks (OPERA) are "
    "re-read to see a cancel made there; 0 = never (default 60)\n"
    "  PMS_OPERA_EVENTS_ENABLED   read OPERA hotels' Business Events (property-API access "
    "granted; PMS_OPERA_EVENTS_* in common/pms/README.md) for every reservation change "
    "(default false)\n"
    "  BOOKING_PMS_FEED_INTERVAL_S how often those change feeds are read (default 15)\n"
    "  BOOKING_SAGA_LEASE_S       a saga's lease in seconds; a dead owner's sagas are taken over "
    "after it (default 10)\n"
    "  IDEMPOTENCY_TTL_H          Idempotency-Key retention in hours, at least 24 (default 24)\n"
    "  BOOKING_IDEMPOTENCY_WAIT_MS how long a repeated key waits for the first request (default "
    "30000)\n"
    "  BOOKING_HISTORY_RETENTION_H published outbox rows, de-duplication records and done "
    "compensations are deleted after this many hours (default 336)\n"
    "  BOOKING_DATA_KEY           AES-256 key (base64 or hex) for guest data at rest (default: a "
    "development key)\n"
    "  PMS_CONFIG_ENCRYPTION_KEYS data keys of hotels' stored PMS API keys, <id>:<key>[,...] "
    "(without them, stored keys are read with BOOKING_DATA_KEY)\n"
    "  BOOKING_DB_POOL_SIZE       MariaDB connections (default 16)\n"
    "  OUTBOX_POLL_INTERVAL_MS    the outbox relay's idle poll (a commit wakes it at once; "
    "default 200)\n"
    "  CHECKOUT_RATE_LIMIT_PER_MINUTE checkouts a minute per client address, shared by the "
    "replicas through Redis; 0 = off (default 30)\n"
    "  CHECKOUT_RATE_LIMIT_BURST  checkouts at once per client address (default 10)\n"
    "  COMPENSATION_ALERT_AFTER   failed attempts before compensation.stuck (default 8)\n"
    "  COMPENSATION_BACKOFF_MS    first compensation retry backoff (default 500)\n"
    "  COMPENSATION_MAX_BACKOFF_MS compensation backoff cap (default 60000)\n"
    "  COMPENSATION_SCAN_INTERVAL_MS how often an idle compensation worker looks for due tasks "
    "(a new task wakes it at once; default 200)\n"
    "  PMS_*, PAYMENT_*           the connectors (common/pms, common/payment READMEs); "
    "PAYMENT_API_KEY required\n"
    "  TOSS_SECRET_KEY, TOSS_BASE_URL, TOSS_TIMEOUT_MS, TOSS_ACQUISITION (auto|manual)\n"
    "                             Toss Payments as a second provider (off without the key)\n"
    "  PAYMENT_DEFAULT_PROVIDER   stripe | toss: a checkout's payment without \"provider\" "
    "(default stripe)\n"
    "  BOOKING_TEST_HOOKS         TEST ONLY: 1 honours BOOKING_TEST_CRASH_AFTER=<step> (SIGKILL "
    "after it)\n";

static bool db_ready(void *ctx, const char **reason)
{
    booking_app_t *app = ctx;
    db_t *db = db_pool_acquire(app->db);
    bool ok = db && db_ping(db) == DB_OK;
    db_pool_release(app->db, db);
    if (!ok)
        *reason = "mysql unreachable";
    return ok;
}

static void stop_all(void *ctx)
{
    wiring_t *w = ctx;
    recovery_stop(w->recovery);
    pms_feed_stop(w->feed);
    pms_watch_stop(w->watch);
    pms_events_stop(w->pms_events);
    compensation_worker_stop(w->worker);
    outbox_relay_flush(w->app.relay, BOOKING_FLUSH_TIMEOUT_MS);
    outbox_relay_stop(w->app.relay);
    kafka_producer_free(w->producer);
    inventory_client_free(w->app.inventory);
    payment_connector_free(w->app.pay);
    payment_connector_free(w->app.toss);
    pms_connector_free(w->app.pms);
    pms_keystore_free(w->keys);
    redis_pool_free(w->app.redis);
    saga_active_free(w->app.active); /* its lease keeper uses the pool */
    db_pool_free(w->app.db);
    client_limit_free(w->app.limits);
    crypto_wipe(w->app.data_key, sizeof w->app.data_key);
}

/* Settings of booking_app_t from the environment. */
static void read_settings(config_t *cfg, booking_app_t *app)
{
    app->hold_ttl_s =
        (int)config_get_int(cfg, "BOOKING_HOLD_TTL_S", BOOKING_DEFAULT_HOLD_TTL_S, 10, 86400);
    app->saga_lease_s =
        (int)config_get_int(cfg, "BOOKING_SAGA_LEASE_S", BOOKING_DEFAULT_SAGA_LEASE_S, 1, 86400);
    app->idempotency_ttl_h = (int)config_get_int(cfg, "IDEMPOTENCY_TTL_H",
                                                 BOOKING_DEFAULT_IDEMPOTENCY_TTL_H, 24, 24 * 365);
    app->idempotency_wait_ms = (int)config_get_int(cfg, "BOOKING_IDEMPOTENCY_WAIT_MS",
                                                   BOOKING_DEFAULT_IDEMPOTENCY_WAIT_MS, 0, 600000);
    app->contention_wait_ms = (int)config_get_int(cfg, "BOOKING_CONTENTION_WAIT_MS",
                                                  BOOKING_DEFAULT_CONTENTION_WAIT_MS, 0, 120000);
    app->history_retention_h = (int)config_get_int(
        cfg, "BOOKING_HISTORY_RETENTION_H", BOOKING_DEFAULT_HISTORY_RETENTION_H, 24, 24 * 3650);
    app->free_cancel_hours = (int)config_get_int(cfg, "BOOKING_FREE_CANCEL_HOURS",
                                                 CANCEL_POLICY_DEFAULT_FREE_HOURS, 0, 24 * 30);
    client_limit_rule_from_env(cfg, "CHECKOUT", "checkout", BOOKING_DEFAULT_CHECKOUT_PER_MINUTE,
                               BOOKING_DEFAULT_CHECKOUT_BURST, &app->checkout_limit);
    char err[128];
    if (getenv("BOOKING_DATA_KEY") && *getenv("BOOKING_DATA_KEY")) {
        if (crypto_key_from_env("BOOKING_DATA_KEY", app->data_key, err, sizeof err) != 0)
            config_add_error(cfg, "BOOKING_DATA_KEY", err);
    } else {
        log_warn("BOOKING_DATA_KEY is not set: guest data is encrypted with the development "
                 "default key — set it outside local runs");
        memset(app->data_key, 0x5a, sizeof app->data_key);
    }
    if (config_get_bool(cfg, "BOOKING_TEST_HOOKS", false)) {
        snprintf(app->test_crash_after, sizeof app->test_crash_after, "%s",
                 config_get_str(cfg, "BOOKING_TEST_CRASH_AFTER", ""));
        if (app->test_crash_after[0])
            log_warn("TEST HOOK: the process kills itself after step %s", app->test_crash_after);
    }
    char host[64] = "booking-svc";
    gethostname(host, sizeof host - 1);
    char rnd[32] = "0";
    if (crypto_random_id("", rnd, sizeof rnd) != 0)
        snprintf(rnd, sizeof rnd, "%ld", (long)time(NULL));
    snprintf(app->instance_id, sizeof app->instance_id, "%.32s:%d:%.8s", host, (int)getpid(), rnd);
}

/* Checkout is public; a booking is read or cancelled with its bookingToken
 * or by staff (bookings_api.h decides, 404 for whom it may not see). */
static const http_route_t ROUTES[] = {
    {"POST", "/api/booking/checkout", AUTH_RULE_PUBLIC, checkout_handle},
    {"GET", "/api/bookings/:bookingId", AUTH_RULE_BOOKING, bookings_get},
    {"POST", "/api/bookings/:bookingId/cancel", AUTH_RULE_BOOKING, bookings_cancel},
    /* the admin console's levers, reached through inventory-svc */
    {"POST", "/internal/bookings/:bookingId/cancel", AUTH_RULE_SERVICE, bookings_cancel_internal},
    {"POST", "/internal/compensations/:compensationId/retry", AUTH_RULE_SERVICE,
     compensation_retry_internal},
    /* unsigned by Toss: the handler trusts only the payment it re-fetches */
    {"POST", TOSS_WEBHOOK_PATH, AUTH_RULE_WEBHOOK, toss_webhook_handle},
};
#define ROUTE_COUNT (sizeof ROUTES / sizeof *ROUTES)

static int wire(service_t *svc, void *ctx)
{
    wiring_t *w = ctx;
    booking_app_t *app = &w->app;
    config_t *cfg = service_config(svc);
    const service_settings_t *s = service_settings(svc);
    char err[256];
    read_settings(cfg, app);
    app->active = saga_active_new();
    pms_config_t pc;
    const char *vendor = pms_config_from_env(cfg, &pc);
    payment_config_t payc, tossc;
    const char *gateway = payment_config_from_env(cfg, &payc);
    bool toss = payment_toss_config_from_env(cfg, &tossc);
    snprintf(app->default_provider, sizeof app->default_provider, "%s",
             config_get_str(cfg, "PAYMENT_DEFAULT_PROVIDER", BOOKING_PROVIDER_STRIPE));
    if (!booking_provider_known(app->default_provider))
        config_add_error(cfg, "PAYMENT_DEFAULT_PROVIDER", "must be stripe or toss");
    else if (strcmp(app->default_provider, BOOKING_PROVIDER_TOSS) == 0 && !toss)
        config_add_error(cfg, "PAYMENT_DEFAULT_PROVIDER", "toss needs TOSS_SECRET_KEY");
    const char *inv_url =
        config_get_str(cfg, "INVENTORY_BASE_URL", BOOKING_DEFAULT_INVENTORY_BASE_URL);
    long pool = config_get_int(cfg, "BOOKING_DB_POOL_SIZE", BOOKING_DB_POOL_DEFAULT, 1, 256);
    int interval = (int)config_get_int(cfg, "BOOKING_RECOVERY_INTERVAL_S",
                                       BOOKING_DEFAULT_RECOVERY_INTERVAL_S, 1, 3600);
    int watch_s = (int)config_get_int(cfg, "BOOKING_PMS_WATCH_INTERVAL_S",
                                      PMS_WATCH_DEFAULT_INTERVAL_S, 0, 86400);
    /* a change feed is read only where one is configured; nothing otherwise */
    int feed_s = config_get_bool(cfg, "PMS_OPERA_EVENTS_ENABLED", false)
                     ? (int)config_get_int(cfg, "BOOKING_PMS_FEED_INTERVAL_S",
                                           PMS_FEED_DEFAULT_INTERVAL_S, 1, 86400)
                     : 0;
    int outbox_poll_ms = (int)config_get_int(cfg, "OUTBOX_POLL_INTERVAL_MS",
                                             OUTBOX_DEFAULT_POLL_INTERVAL_MS, 10, 3600000);
    int scan_ms = (int)config_get_int(cfg, "COMPENSATION_SCAN_INTERVAL_MS",
                                      COMPENSATION_SCAN_INTERVAL_MS, 10, 3600000);
    compensation_config_t cc = {
        .brokers = s->kafka_brokers,
        .topic_prefix = s->kafka_topic_prefix,
        .group_id = COMPENSATION_GROUP_ID,
        .max_attempts_before_alert = (int)config_get_int(cfg, "COMPENSATION_ALERT_AFTER",
                                                         COMPENSATION_DEFAULT_ALERT_AFTER, 1, 1000),
        .base_backoff_ms = (int)config_get_int(cfg, "COMPENSATION_BACKOFF_MS",
                                               COMPENSATION_DEFAULT_BACKOFF_MS, 1, 3600000),
        .max_backoff_ms = (int)config_get_int(cfg, "COMPENSATION_MAX_BACKOFF_MS",
                                              COMPENSATION_DEFAULT_MAX_BACKOFF_MS, 1, 3600000),
        .on_done = saga_compensation_done,
        .on_done_ctx = app,
        .scan_interval_ms = scan_ms};
    if (config_error_count(cfg) > 0)
        return 0; /* service_run reports them and exits 2 */

    if (!(app->db = db_pool_new(s->mysql_url, (size_t)pool, err, sizeof err)))
        goto fail;
    app->redis =
        redis_pool_new(s->redis_url, BOOKING_REDIS_POOL_DEFAULT, REDIS_DEFAULT_CONNECT_TIMEOUT_MS,
                       REDIS_DEFAULT_COMMAND_TIMEOUT_MS, err, sizeof err);
    if (!app->redis)
        goto fail;
    app->limits =
        client_limit_new(&(client_limit_config_t){.service = "booking-svc", .redis = app->redis});
    if (!app->limits) {
        snprintf(err, sizeof err, "client limits: out of memory");
        goto fail;
    }
    /* hotels' stored PMS keys are sealed under the key ring the admin's save
     * used; without one, under the guest data key (older stacks) */
    pms_keyring_t ring;
    if (pms_keyring_from_config(cfg, &ring))
        w->keys = pms_keystore_new_ring(app->db, &ring, BOOKING_PMS_KEY_CACHE_MS);
    else
        w->keys = pms_keystore_new(app->db, app->data_key, BOOKING_PMS_KEY_CACHE_MS);
    pms_keyring_wipe(&ring);
    if (config_error_count(cfg) > 0) {
        snprintf(err, sizeof err, "%s", config_errors(cfg));
        goto fail;
    }
    pc.key_fn = pms_keystore_lookup;
    pc.key_ctx = w->keys;
    pc.vendor_fn = pms_keystore_vendor; /* each hotel's pms_config.vendor */
    pc.vendor_ctx = w->keys;
    /* One PMS budget per hotel for every replica; a checkout's holds,
     * confirms and cancels wait their turn rather than fail. */
    pc.budget_redis = app->redis;
    pc.priority = PMS_PRIORITY_CHECKOUT;
    if (!(app->pms = pms_connector_new(vendor, &pc, err, sizeof err)) ||
        !(app->pay = payment_connector_new(gateway, &payc, err, sizeof err)) ||
        (toss && !(app->toss = payment_connector_new("toss", &tossc, err, sizeof err))))
        goto fail;
    if (!(app->inventory =
              inventory_client_new(inv_url, BOOKING_INVENTORY_TIMEOUT_MS, s->service_token))) {
        snprintf(err, sizeof err, "inventory client");
        goto fail;
    }
    if (!(w->producer = kafka_producer_new(s->kafka_brokers, "booking-svc", NULL, err, sizeof err)))
        goto fail;
    outbox_relay_config_t oc = {.db = app->db,
                                .producer = w->producer,
                                .topic_prefix = s->kafka_topic_prefix,
                                .poll_interval_ms = outbox_poll_ms};
    if (!(app->relay = outbox_relay_start(&oc, err, sizeof err)))
        goto fail;
    cc.db = app->db;
    cc.pms = app->pms;
    cc.payment = app->pay;
    cc.toss = app->toss;
    cc.producer = w->producer;
    if (!(w->worker = compensation_worker_start(&cc, err, sizeof err)))
        goto fail;
    if (!(w->pms_events =
              pms_events_start(s->kafka_brokers, s->kafka_topic_prefix, app->db, app->pms,
                               outbox_relay_kick_cb, app->relay, err, sizeof err)))
        goto fail;
    w->watch = pms_watch_start(app, watch_s, err, sizeof err);
    if (!w->watch && *err)
        goto fail;
    w->feed = pms_feed_start(app, feed_s, err, sizeof err);
    if (!w->feed && *err)
        goto fail;
    if (saga_active_keep_leases(app->active, app->db, app->saga_lease_s) != 0) {
        snprintf(err, sizeof err, "saga lease keeper thread");
        goto fail;
    }
    if (!(w->recovery = recovery_start(app, interval))) {
        snprintf(err, sizeof err, "recovery thread");
        goto fail;
    }
    if (http_server_routes(service_http(svc), ROUTES, ROUTE_COUNT, app) != 0 ||
        service_add_ready_check(svc, "mysql", db_ready, app) != 0)
        goto fail;
    return service_on_shutdown(svc, stop_all, w);
fail:
    log_error("booking-svc could not start: %s", err);
    stop_all(w);
    memset(w, 0, sizeof *w);
    return -1;
}

int main(int argc, char **argv)
{
    const service_info_t info = {
        .name = "booking-svc",
        .description = "the checkout saga: hold, pre-authorise, confirm, capture, with "
                       "compensation; bookings and booking events.",
        .port_env = "BOOKING_SVC_PORT",
        .default_port = 8081,
        .env_help = ENV_HELP,
        .http_thread_per_connection = true,
        .routes = ROUTES,
        .route_count = ROUTE_COUNT,
    };
    static wiring_t w;
    return service_main(&info, argc, argv, wire, &w);
}
