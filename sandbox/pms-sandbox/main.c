/*
 * pms-sandbox — a stateful Cloudbeds API v1.3 look-alike: the vendor methods
 * the PMS connector uses under /api/v1.3/, a ledger of inventory, rates,
 * holds and reservations seeded with demo hotels, signed webhooks for every
 * change, a per-property request limit, and control endpoints under
 * /_sandbox/ (faults, reset, ledger dump, front desk, limits, request
 * counters). See README.md.
 *
 * main.c is wiring only: configuration, the modules, their
 * routes, and their shutdown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloudbeds_api.h"
#include "common/log.h"
#include "common/service.h"
#include "control.h"
#include "ledger.h"
#include "sandbox_faults.h"
#include "seed.h"
#include "sweeper.h"
#include "webhooks.h"

typedef struct pms_sandbox {
    ledger_t *ledger;
    webhooks_t *webhooks;
    sandbox_faults_t *faults;
    api_limits_t *limits;
    cloudbeds_api_t *api;
    control_t *control;
    sweeper_t *sweeper;
} pms_sandbox_t;

typedef struct sandbox_settings {
    const char *seed_path;
    int sweep_interval_ms;
    double rate_limit_per_second; /* 0: no limit */
    webhooks_config_t webhooks;
} sandbox_settings_t;

static void sandbox_close(void *ctx)
{
    pms_sandbox_t *app = ctx;
    sweeper_stop(app->sweeper);
    webhooks_stop(app->webhooks);
    control_free(app->control);
    cloudbeds_api_free(app->api);
    sandbox_faults_free(app->faults);
    api_limits_free(app->limits);
    webhooks_free(app->webhooks);
    ledger_free(app->ledger);
    memset(app, 0, sizeof *app);
}

static void read_settings(config_t *cfg, sandbox_settings_t *s)
{
    s->seed_path = config_get_str(cfg, "PMS_SANDBOX_SEED", PMS_SANDBOX_DEFAULT_SEED);
    s->sweep_interval_ms = (int)config_get_int(cfg, "PMS_SANDBOX_SWEEP_INTERVAL_MS",
                                               SWEEPER_DEFAULT_INTERVAL_MS, 10, 60000);
    s->rate_limit_per_second = config_get_double(cfg, "PMS_SANDBOX_RATE_LIMIT_PER_SECOND", 0, 0,
                                                 API_LIMITS_MAX_PER_SECOND);
    s->webhooks.url = config_get_str(cfg, "PMS_SANDBOX_WEBHOOK_URL", NULL);
    s->webhooks.secret = config_get_str(cfg, "PMS_WEBHOOK_SECRET", WEBHOOKS_DEFAULT_SECRET);
    s->webhooks.max_attempts = (int)config_get_int(cfg, "PMS_SANDBOX_WEBHOOK_ATTEMPTS",
                                                   WEBHOOKS_DEFAULT_MAX_ATTEMPTS, 1, 100);
    s->webhooks.backoff_base_ms = config_get_int(cfg, "PMS_SANDBOX_WEBHOOK_BACKOFF_MS",
                                                 WEBHOOKS_DEFAULT_BACKOFF_BASE_MS, 1, 60000);
    s->webhooks.queue_max = (size_t)config_get_int(cfg, "PMS_SANDBOX_WEBHOOK_QUEUE_MAX",
                                                   WEBHOOKS_DEFAULT_QUEUE_MAX, 1, 100000);
    const char *url = s->webhooks.url;
    if (url && *url && strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        config_add_error(cfg, "PMS_SANDBOX_WEBHOOK_URL", "must be an http:// or https:// URL");
    if (url && strlen(url) > WEBHOOKS_URL_MAX_LEN)
        config_add_error(cfg, "PMS_SANDBOX_WEBHOOK_URL", "is too long");
}

static int wire(service_t *svc, void *ctx)
{
    pms_sandbox_t *app = ctx;
    config_t *cfg = service_config(svc);
    sandbox_settings_t s = {0};
    char err[256];
    read_settings(cfg, &s);
    seed_t *seed = seed_load_file(s.seed_path, err, sizeof err);
    if (!seed)
        config_add_error(cfg, "PMS_SANDBOX_SEED", err);
    if (config_error_count(cfg) > 0) {
        seed_unref(seed);
        return 0; /* service_run lists the errors and exits 2 */
    }
    app->ledger = ledger_new(seed, ledger_default_first_day(), NULL);
    app->webhooks = webhooks_new(&s.webhooks);
    app->faults = sandbox_faults_new();
    /* burst = rate: what the vendor's "n requests a second" allows at once */
    app->limits = api_limits_new(s.rate_limit_per_second, 0, NULL);
    app->api = cloudbeds_api_new(app->ledger, app->webhooks, app->faults, app->limits);
    control_config_t cc = {.ledger = app->ledger,
                           .webhooks = app->webhooks,
                           .faults = app->faults,
                           .limits = app->limits,
                           .seed_path = s.seed_path};
    app->control = control_new(&cc);
    int rc = -1;
    if (app->ledger && app->webhooks && app->faults && app->limits && app->api && app->control) {
        webhooks_reset(app->webhooks, seed);
        ledger_set_listener(app->ledger, webhooks_on_ledger_event, app->webhooks);
        http_server_t *srv = service_http(svc);
        if (cloudbeds_api_routes(app->api, srv) == 0 && control_routes(app->control, srv) == 0 &&
            webhooks_start(app->webhooks) == 0 &&
            (app->sweeper = sweeper_start(app->ledger, s.sweep_interval_ms)) != NULL)
            rc = service_on_shutdown(svc, sandbox_close, app);
    }
    seed_unref(seed);
    if (rc != 0) {
        sandbox_close(app);
        return -1;
    }
    char url[WEBHOOKS_URL_MAX_LEN + 1]; /* without a query string, which could hold a token */
    snprintf(url, sizeof url, "%.*s", (int)strcspn(s.webhooks.url ? s.webhooks.url : "", "?#"),
             s.webhooks.url ? s.webhooks.url : "");
    const char *seed_name = strrchr(s.seed_path, '/') ? strrchr(s.seed_path, '/') + 1 : s.seed_path;
    log_kv(LOG_LEVEL_INFO, "pms-sandbox wired", "seed", seed_name, "webhookUrl",
           *url ? url : "(none)", NULL);
    return 0;
}

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "pms-sandbox",
        .description = "a stateful Cloudbeds API v1.3 sandbox: demo hotels, holds and "
                       "reservations, signed webhooks, fault injection",
        .port_env = "PMS_SANDBOX_PORT",
        .default_port = 8091,
        /* Injected hangs and latency block a handler for seconds: that must
         * slow down only its own connection, as at a real vendor. */
        .http_thread_per_connection = true,
        .routes_all_open = true, /* a vendor simulator: its own API keys, not ours */
        .env_help = "  PMS_SANDBOX_SEED               seed file of demo hotels (default: the one "
                    "beside the sources)\n"
                    "  PMS_SANDBOX_WEBHOOK_URL        where every event is also sent (default: "
                    "none)\n"
                    "  PMS_WEBHOOK_SECRET             webhook signing secret (default "
                    "whsec_sandbox)\n"
                    "  PMS_SANDBOX_WEBHOOK_ATTEMPTS   delivery attempts per event (default 8)\n"
                    "  PMS_SANDBOX_WEBHOOK_BACKOFF_MS first retry delay, doubling (default 500)\n"
                    "  PMS_SANDBOX_WEBHOOK_QUEUE_MAX  pending deliveries kept (default 1000)\n"
                    "  PMS_SANDBOX_SWEEP_INTERVAL_MS  how often expired holds are swept (default "
                    "200)\n"
                    "  PMS_SANDBOX_RATE_LIMIT_PER_SECOND  requests a second per property before "
                    "429 (default 0: no limit)\n",
    };
    static pms_sandbox_t app;
    return service_main(&info, argc, argv, wire, &app);
}
