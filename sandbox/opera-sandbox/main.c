/*
 * opera-sandbox — a stateful look-alike of Oracle OPERA Cloud as an OHIP
 * Distribution "Shop & Book" channel sees it: OAuth token, Content, Shop and
 * Book (session reservations OnHold → Commit / Ignore, cancellations), over
 * the same ledger as pms-sandbox, with fault injection and front-desk
 * controls under /_sandbox/. See README.md. main.c is wiring only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/service.h"
#include "ledger.h"
#include "opera_api.h"
#include "sandbox_faults.h"
#include "seed.h"
#include "sweeper.h"

typedef struct opera_sandbox {
    ledger_t *ledger;
    sandbox_faults_t *faults;
    opera_api_t *api;
    sweeper_t *sweeper;
} opera_sandbox_t;

static void sandbox_close(void *ctx)
{
    opera_sandbox_t *app = ctx;
    sweeper_stop(app->sweeper);
    opera_api_free(app->api);
    sandbox_faults_free(app->faults);
    ledger_free(app->ledger);
    memset(app, 0, sizeof *app);
}

static int wire(service_t *svc, void *ctx)
{
    opera_sandbox_t *app = ctx;
    config_t *cfg = service_config(svc);
    const char *seed_path = config_get_str(cfg, "OPERA_SANDBOX_SEED", OPERA_SANDBOX_DEFAULT_SEED);
    opera_api_config_t ac = {
        .seed_path = seed_path,
        .username = config_get_str(cfg, "OPERA_SANDBOX_USERNAME", OPERA_DEFAULT_USERNAME),
        .password = config_get_str(cfg, "OPERA_SANDBOX_PASSWORD", OPERA_DEFAULT_PASSWORD),
        .channel_code = config_get_str(cfg, "OPERA_SANDBOX_CHANNEL_CODE", OPERA_DEFAULT_CHANNEL),
        .client_id = config_get_str(cfg, "OPERA_SANDBOX_CLIENT_ID", OPERA_DEFAULT_CLIENT_ID),
        .client_secret =
            config_get_str(cfg, "OPERA_SANDBOX_CLIENT_SECRET", OPERA_DEFAULT_CLIENT_SECRET),
        .external_system = config_get_str(cfg, "OPERA_SANDBOX_EXTERNAL_SYSTEM",
                                          OPERA_DEFAULT_EXTERNAL_SYSTEM),
        .token_ttl_s = (int)config_get_int(cfg, "OPERA_SANDBOX_TOKEN_TTL_S",
                                           OPERA_DEFAULT_TOKEN_TTL_S, 1, 86400),
        .session_ttl_s = (int)config_get_int(cfg, "OPERA_SANDBOX_SESSION_TTL_S",
                                             OPERA_DEFAULT_SESSION_TTL_S, 1, 86400),
    };
    int sweep_ms = (int)config_get_int(cfg, "OPERA_SANDBOX_SWEEP_INTERVAL_MS",
                                       SWEEPER_DEFAULT_INTERVAL_MS, 10, 60000);
    char err[256];
    seed_t *seed = seed_load_file(seed_path, err, sizeof err);
    if (!seed)
        config_add_error(cfg, "OPERA_SANDBOX_SEED", err);
    if (config_error_count(cfg) > 0) {
        seed_unref(seed);
        return 0; /* service_run lists the errors and exits 2 */
    }
    app->ledger = ledger_new(seed, ledger_default_first_day(), NULL);
    seed_unref(seed);
    app->faults = sandbox_faults_new();
    ac.ledger = app->ledger;
    ac.faults = app->faults;
    app->api = app->ledger && app->faults ? opera_api_new(&ac) : NULL;
    int rc = -1;
    if (app->api && opera_api_routes(app->api, service_http(svc)) == 0 &&
        (app->sweeper = sweeper_start(app->ledger, sweep_ms)) != NULL)
        rc = service_on_shutdown(svc, sandbox_close, app);
    if (rc != 0) {
        sandbox_close(app);
        return -1;
    }
    log_kv(LOG_LEVEL_INFO, "opera-sandbox wired", "channelCode", ac.channel_code, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "opera-sandbox",
        .description = "a stateful Oracle OPERA Cloud (OHIP Distribution Shop & Book) sandbox: "
                       "demo hotels, session holds, fault injection, front desk",
        .port_env = "OPERA_SANDBOX_PORT",
        .default_port = 8094,
        .http_thread_per_connection = true,
        .routes_all_open = true, /* a vendor simulator: its own credentials, not ours */
        .env_help = "  OPERA_SANDBOX_SEED             seed file of demo hotels (default: the one "
                    "beside the sources)\n"
                    "  OPERA_SANDBOX_USERNAME         integration user (default "
                    "lodging_integration)\n"
                    "  OPERA_SANDBOX_PASSWORD         its password (never logged)\n"
                    "  OPERA_SANDBOX_CHANNEL_CODE     the channel code calls must carry (default "
                    "LODGING)\n"
                    "  OPERA_SANDBOX_TOKEN_TTL_S      expires_in of tokens (default 3600)\n"
                    "  OPERA_SANDBOX_SESSION_TTL_S    when an uncommitted session reservation is "
                    "purged (default 1200)\n"
                    "  OPERA_SANDBOX_SWEEP_INTERVAL_MS how often purges run (default 200)\n",
    };
    static opera_sandbox_t app;
    return service_main(&info, argc, argv, wire, &app);
}
