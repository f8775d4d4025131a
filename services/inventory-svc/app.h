/*
 * app.h — inventory-svc's parts and settings, created once by main.c's wiring
 * and shared (read-only after start) by the HTTP handlers and consumers.
 *
 * Usage (main.c):
 *     static inv_app_t app;
 *     inv_app_init(&app, service_config(svc), service_settings(svc));   // reads the env
 *     ... routes, consumers ...
 *     inv_app_free(&app);                                                // after service_main
 *
 * Thread-safety: the modules referenced here are each thread-safe; the struct
 * itself is not modified after inv_app_init. Ownership: the app owns every
 * module; inv_app_free releases them (safe on a half-initialised app).
 */
#ifndef INVENTORY_APP_H
#define INVENTORY_APP_H

#include <stdbool.h>

#include "common/config.h"
#include "common/auth.h"
#include "common/auth_password.h"
#include "common/client_limit.h"
#include "common/db.h"
#include "common/http_client.h"
#include "common/kafka.h"
#include "common/metrics.h"
#include "common/payment.h"
#include "common/pms.h"
#include "common/pms_keys.h"
#include "common/redis.h"
#include "common/service.h"

struct degraded;
struct sf_group;
struct inv_store;
struct admin_static;
struct local_cache;

#define INV_DEFAULT_INVENTORY_TTL_S 90
#define INV_DEFAULT_RATE_TTL_S 300
#define INV_DEFAULT_ROOMS_TTL_S 3600
#define INV_DEFAULT_SHADOW_TTL_S 604800
#define INV_DEFAULT_MAX_NIGHTS 366
#define INV_DEFAULT_FILL_LOCK_TTL_S 5
#define INV_DEFAULT_FILL_WAIT_MS 3000
#define INV_DEFAULT_ADJUST_MARKER_TTL_S 604800
#define INV_DEFAULT_SYNC_MAX_NIGHTS 31
/* How long a read answer is reused in memory. A change another replica
 * applied shows here after this at most, on top of the event's own way to
 * Redis: small against the 50 ms a change may take to be seen. */
#define INV_DEFAULT_LOCAL_CACHE_MS 10
#define INV_LOCAL_CACHE_MAX_MS 1000
/* Threads that answer the reads which may wait for the PMS (read_pool.h),
 * and how many such reads may wait for one; beyond that a read is answered
 * on its HTTP worker, as with 0 threads. */
#define INV_DEFAULT_READ_THREADS 8
#define INV_MAX_READ_THREADS 256
#define INV_READ_QUEUE_MAX 1024
#define INV_LOCAL_CACHE_SLOTS 1024
#define INV_REDIS_TIMEOUT_MS 300
#define INV_TOPIC_MAX 160
/* Logins per client address: a person retyping a password passes, a
 * guessing script is slowed to a crawl before the lockout even counts. */
#define INV_DEFAULT_LOGIN_PER_MINUTE 10
#define INV_DEFAULT_LOGIN_BURST 5
/* Admin API calls per API key (or per person's session). */
#define INV_DEFAULT_ADMIN_API_PER_MINUTE 120
#define INV_DEFAULT_ADMIN_API_BURST 30
#define INV_DEFAULT_BOOKING_SVC_URL "http://127.0.0.1:8081"
/* A console cancel waits for booking-svc's PMS cancel and refund. */
#define INV_BOOKING_SVC_TIMEOUT_MS 30000
#define INV_RECONCILE_PMS_WAIT_MS 30000

typedef struct inv_settings {
    int inventory_ttl_s;     /* INVENTORY_TTL_S */
    int rate_ttl_s;          /* RATE_TTL_S */
    int rooms_ttl_s;         /* ROOMS_TTL_S */
    int shadow_ttl_s;        /* SHADOW_TTL_S */
    int max_nights;          /* INVENTORY_MAX_NIGHTS */
    int fill_lock_ttl_s;     /* CACHE_FILL_LOCK_TTL_S: the cross-replica single-flight lock */
    int fill_wait_ms;        /* CACHE_FILL_WAIT_MS: how long another replica's fill is awaited */
    int adjust_marker_ttl_s; /* ADJUST_MARKER_TTL_S */
    int local_cache_ms;      /* INVENTORY_LOCAL_CACHE_MS: 0 = every read asks Redis */
    int read_threads;        /* INVENTORY_READ_THREADS: 0 = reads wait on their HTTP worker */
} inv_settings_t;

typedef struct inv_metrics {
    metric_t *cache_hits;   /* inventory_cache_hits_total{kind} */
    metric_t *cache_misses; /* inventory_cache_misses_total{kind} */
    metric_t *pms_fetch;    /* inventory_pms_fetch_duration_seconds{vendor,kind} */
    metric_t *pms_errors;   /* inventory_pms_fetch_errors_total{vendor,kind,error} */
    metric_t *stale;        /* inventory_stale_serves_total{kind} */
    metric_t *coalesced;    /* inventory_fill_coalesced_total{kind} */
    metric_t *superseded;   /* inventory_fill_superseded_total{kind} */
    metric_t *redis_errors; /* inventory_redis_errors_total{op} */
    metric_t *adjustments;  /* inventory_adjustments_total{direction,outcome} */
    metric_t *events;       /* inventory_events_total{topic,type,outcome} */
    metric_t *local_hits;   /* inventory_local_cache_hits_total{kind} */
    /* the reads' series, resolved once for the hot path */
    metric_series_t *inventory_hits, *inventory_misses, *inventory_local_hits;
    metric_series_t *rates_hits, *rates_local_hits;
} inv_metrics_t;

typedef struct inv_app {
    inv_settings_t settings;
    inv_metrics_t metrics;
    const char *service_name;
    const char *kafka_brokers;
    char topic_prefix[INV_TOPIC_MAX];
    char topic_pms_events[INV_TOPIC_MAX];
    char topic_sync_jobs[INV_TOPIC_MAX];
    char topic_sync_results[INV_TOPIC_MAX];
    char topic_ops_alerts[INV_TOPIC_MAX];
    redis_pool_t *redis;
    struct inv_store *store;
    pms_keystore_t *keystore;
    db_pool_t *keystore_pool; /* only with a key ring (PMS_CONFIG_ENCRYPTION_KEYS) */
    pms_connector_t *pms;
    /* the same PMS for reconciliations, which wait their turn in the hotel's
     * budget (INV_RECONCILE_PMS_WAIT_MS) instead of giving up like reads */
    pms_connector_t *pms_reconcile;
    struct degraded *degraded;
    struct sf_group *flights;
    struct local_cache *answers; /* recent inventory answers (local_cache.h); NULL = off */
    struct read_pool *reads;     /* reads that may wait for the PMS (read_pool.h); NULL = off */
    kafka_producer_t *producer;
    kafka_consumer_t *pms_events_consumer;
    kafka_consumer_t *sync_jobs_consumer;
    auth_t *auth; /* the service's authenticator (borrowed): its pool serves the admin API */
    client_limit_t *limits;          /* per-client abuse limits */
    client_limit_rule_t login_limit; /* LOGIN_RATE_LIMIT_* per client address */
    client_limit_rule_t admin_limit; /* ADMIN_API_RATE_LIMIT_* per API key or account */
    auth_lockout_policy_t lockout;   /* LOGIN_LOCKOUT_* */
    int session_max_s;               /* SESSION_MAX_S: a login's absolute length */
    bool session_cookie_secure;      /* SESSION_COOKIE_SECURE: the cookie only over TLS */
    /* The admin console's reach beyond this service. */
    payment_connector_t *pay;   /* PAYMENT_*: reconciliation and a booking's gateway state; NULL
                                   without PAYMENT_API_KEY */
    http_client_t *booking_svc; /* BOOKING_SVC_URL, with the service token: cancel, retry */
    uint8_t guest_key[CRYPTO_AES_KEY_LEN]; /* BOOKING_DATA_KEY: guest names in the console */
    struct admin_static *admin_page;     /* the admin page's files (ADMIN_STATIC_DIR) */
} inv_app_t;

/* Reads the settings and creates every part. Returns 0 (also when the config
 * has errors: then nothing is created and service_run reports them), or -1
 * when a part could not be created (logged). */
int inv_app_init(inv_app_t *app, config_t *cfg, const service_settings_t *ss);
/* Starts the Kafka consumers. 0 or -1 (logged). */
int inv_app_start_consumers(inv_app_t *app);
/* Shutdown hook: stops consumers, the degraded-mode writer, flushes the producer. */
void inv_app_stop(void *app);
void inv_app_free(inv_app_t *app);

/* The connector's key lookup (pms_key_fn, ctx = the app): a key given for
 * one hotel on this thread (the admin preview's, not yet stored), else the
 * environment and pms_config (pms_keys.h). */
int inv_app_key_lookup(void *app, const char *vendor, const char *hotel_id, char *out,
                       size_t out_size);
/* Makes this thread's PMS calls for hotel_id use api_key (borrowed until
 * the matching clear), whatever is stored. */
void inv_app_key_override(const char *hotel_id, const char *api_key);
void inv_app_key_override_clear(void);

/* Readiness check (service_check_fn): Redis answers PING. */
bool inv_app_redis_ready(void *app, const char **reason);

#endif /* INVENTORY_APP_H */
