/*
 * inventory-svc — the Redis inventory and rate cache in front of the PMS:
 * cache-first reads with stale fallback, cache adjustments for booking-svc,
 * invalidation from pms.events, 30-day refreshes from sync.jobs, degraded mode,
 * and the admin API (onboarding hotels from their PMS, the operator console).
 *
 * main.c is wiring only: the common service runtime gives
 * configuration, logging, /healthz /readyz /metrics and graceful shutdown;
 * app.c makes the parts, api.c serves HTTP, consumers.c handles Kafka.
 */
#include "api.h"
#include "app.h"
#include "common/service.h"

static const char ENV_HELP[] =
    "  INVENTORY_TTL_S             inv: key TTL in seconds (90)\n"
    "  INVENTORY_LOCAL_CACHE_MS    reuse of an inventory answer in memory, ms; 0 = off (10)\n"
    "  INVENTORY_READ_THREADS      threads for the reads that may wait for the PMS, off the\n"
    "                              HTTP workers; 0 = they wait on their worker (8)\n"
    "  RATE_TTL_S                  rate: key TTL in seconds (300)\n"
    "  ROOMS_TTL_S                 hotel:{id}:rooms TTL in seconds (3600)\n"
    "  SHADOW_TTL_S                last-known copies for the stale fallback, seconds (604800)\n"
    "  INVENTORY_MAX_NIGHTS        longest from..to range of a read (366)\n"
    "  CACHE_FILL_LOCK_TTL_S       cross-replica fill lock, seconds (5)\n"
    "  CACHE_FILL_WAIT_MS          wait for another replica's fill before fetching (3000)\n"
    "  ADJUST_MARKER_TTL_S         decrement/increment idempotency window, seconds (604800)\n"
    "  PMS_BREAKER_OPEN_MS         how long an open PMS breaker rejects calls (60000)\n"
    "  PMS_MAX_RETRIES             retries of a failed PMS request (3)\n"
    "  PMS_RETRY_BASE_MS           backoff base of those retries (500)\n"
    "  DEGRADED_PROBE_INTERVAL_MS  PMS probe of half-open breakers (1000)\n"
    "  PMS_VENDOR, PMS_BASE_URL, PMS_TIMEOUT_MS, PMS_RATE_LIMIT_PER_SECOND,\n"
    "  PMS_RATE_LIMIT_BURST, PMS_BUDGET_CHECKOUT_WAIT_MS, PMS_BUDGET_BACKGROUND_WAIT_MS\n"
    "  (PMS_RATE_LIMIT_WAIT_MS), PMS_<hotelId>_API_KEY: the PMS connector (common/pms/README.md)\n"
    "  PMS_CONFIG_ENCRYPTION_KEYS  data keys for stored PMS API keys, <id>:<key>[,...] (the first\n"
    "                              encrypts; older ones still decrypt and are re-encrypted at "
    "start)\n"
    "  PMS_CONFIG_ENCRYPTION_KEY_ID the key id that encrypts, when not the first\n"
    "  PMS_CONFIG_ENCRYPTION_KEY   older single key (the ring's key \"default\")\n"
    "  BOOKING_SVC_URL             booking-svc, for the console's cancel and retry\n"
    "                              (http://127.0.0.1:8081)\n"
    "  BOOKING_DATA_KEY            booking-svc's guest data key: guest names in the console\n"
    "  PAYMENT_API_KEY, PAYMENT_BASE_URL, PAYMENT_GATEWAY, PAYMENT_TIMEOUT_MS\n"
    "                              the payment gateway, for reconciliation (off without a key)\n"
    "  LOGIN_RATE_LIMIT_PER_MINUTE logins per client address, 0 = off (10)\n"
    "  LOGIN_RATE_LIMIT_BURST      of them at once (5)\n"
    "  LOGIN_LOCKOUT_THRESHOLD     consecutive failures that lock an account, 0 = never (5)\n"
    "  LOGIN_LOCKOUT_BASE_S        the first lock; each further failure doubles it (30)\n"
    "  LOGIN_LOCKOUT_MAX_S         the longest lock (900)\n"
    "  SESSION_COOKIE_SECURE       1 = the session cookie is sent over TLS only (0)\n"
    "  ADMIN_API_RATE_LIMIT_PER_MINUTE  admin API calls per API key or account, 0 = off (120)\n"
    "  ADMIN_API_RATE_LIMIT_BURST  of them at once (30)\n"
    "  ADMIN_STATIC_DIR            the admin page's files (admin/ beside the binary, else\n"
    "                              ../share/lodging/admin)\n";

static int wire(service_t *svc, void *ctx)
{
    inv_app_t *app = ctx;
    config_t *cfg = service_config(svc);
    if (inv_app_init(app, cfg, service_settings(svc)) != 0)
        return -1;
    app->auth = service_auth(svc);
    if (config_error_count(cfg) > 0)
        return 0; /* service_run lists the errors and exits 2 */
    if (inv_api_routes(app, service_http(svc)) != 0 ||
        service_add_ready_check(svc, "redis", inv_app_redis_ready, app) != 0 ||
        inv_app_start_consumers(app) != 0)
        return -1;
    return service_on_shutdown(svc, inv_app_stop, app);
}

int main(int argc, char **argv)
{
    const service_info_t info = {
        .name = "inventory-svc",
        .description = "the Redis inventory and rate cache in front of the PMS: cache-first reads, "
                       "invalidation, sync jobs, degraded mode.",
        .port_env = "INVENTORY_SVC_PORT",
        .default_port = 8082,
        .env_help = ENV_HELP,
        /* a read that waits for the PMS is answered from the read pool,
         * not on the HTTP worker that also serves other connections */
        .http_deferred_responses = true,
        .routes = INV_API_ROUTES,
        .route_count = INV_API_ROUTE_COUNT,
    };
    static inv_app_t app;
    int rc = service_main(&info, argc, argv, wire, &app);
    inv_app_free(&app);
    return rc;
}
