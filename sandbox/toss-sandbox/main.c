/*
 * toss-sandbox — a stateful stand-in for Toss Payments' core API v1 (the
 * calls the Toss payment connector makes, plus billing and transactions):
 * Basic auth with the secret key, payments with their status and
 * acquisition timers, cancels, Idempotency-Key, TossPayments-Test-Code,
 * webhooks with the transmission headers, and control routes that play the
 * browser's payment window, inject faults (also after the work is done) and
 * dump the ledger. See README.md.
 *
 * main.c is wiring only.
 */
#include <string.h>

#include "common/service.h"
#include "toss_api.h"

#define WINDOW_TTL_DEFAULT_S (30 * 60)
#define CONFIRM_LIMIT_DEFAULT_S (10 * 60)
#define ACQUIRE_AFTER_DEFAULT_S (24 * 3600)
#define COMPLETE_AFTER_DEFAULT_S (24 * 3600)
#define IDEMPOTENCY_TTL_DEFAULT_S (15 * 24 * 3600)
#define TTL_MAX_S (366 * 24 * 3600)
#define MINUTE_MS_DEFAULT 60000

typedef struct sandbox {
    toss_api_t *api;
} sandbox_t;

static int wire(service_t *svc, void *ctx)
{
    sandbox_t *sandbox = ctx;
    config_t *cfg = service_config(svc);
    const char *acquisition = config_get_str(cfg, "TOSS_SANDBOX_ACQUISITION", "auto");
    if (strcmp(acquisition, "auto") != 0 && strcmp(acquisition, "manual") != 0)
        config_add_error(cfg, "TOSS_SANDBOX_ACQUISITION", "must be auto or manual");
    toss_api_config_t ac = {
        .secret_key =
            config_get_str(cfg, "TOSS_SANDBOX_SECRET_KEY", TOSS_SANDBOX_DEFAULT_SECRET_KEY),
        .store =
            {
                .mid = config_get_str(cfg, "TOSS_SANDBOX_MID", "tlodging01"),
                .window_ttl_ms = 1000LL * config_get_int(cfg, "TOSS_SANDBOX_WINDOW_TTL_SECONDS",
                                                         WINDOW_TTL_DEFAULT_S, 1, TTL_MAX_S),
                .confirm_limit_ms =
                    1000LL * config_get_int(cfg, "TOSS_SANDBOX_CONFIRM_LIMIT_SECONDS",
                                            CONFIRM_LIMIT_DEFAULT_S, 1, TTL_MAX_S),
                .manual_settlement = strcmp(acquisition, "manual") == 0,
                .acquire_after_ms =
                    1000LL * config_get_int(cfg, "TOSS_SANDBOX_ACQUIRE_AFTER_SECONDS",
                                            ACQUIRE_AFTER_DEFAULT_S, 1, TTL_MAX_S),
                .complete_after_ms =
                    1000LL * config_get_int(cfg, "TOSS_SANDBOX_COMPLETE_AFTER_SECONDS",
                                            COMPLETE_AFTER_DEFAULT_S, 1, TTL_MAX_S),
            },
        .idempotency_ttl_s = config_get_int(cfg, "TOSS_SANDBOX_IDEMPOTENCY_TTL_SECONDS",
                                            IDEMPOTENCY_TTL_DEFAULT_S, 1, TTL_MAX_S),
        .webhook_url = config_get_str(cfg, "TOSS_SANDBOX_WEBHOOK_URL", NULL),
        .webhook_minute_ms = config_get_int(cfg, "TOSS_SANDBOX_WEBHOOK_MINUTE_MS",
                                            MINUTE_MS_DEFAULT, 1, MINUTE_MS_DEFAULT),
    };
    if (config_error_count(cfg) > 0)
        return -1;
    sandbox->api = toss_api_new(&ac);
    if (!sandbox->api)
        return -1;
    return toss_api_routes(sandbox->api, service_http(svc));
}

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "toss-sandbox",
        .description = "Toss Payments core API v1 sandbox (confirm, cancel, lookups, billing, "
                       "settlements, idempotency, test codes, webhooks, fault injection)",
        .port_env = "TOSS_SANDBOX_PORT",
        .default_port = 8093,
        /* injected hangs must slow only their own connection */
        .http_thread_per_connection = true,
        .routes_all_open = true, /* a vendor simulator: its own keys, not ours */
        .env_help =
            "  TOSS_SANDBOX_SECRET_KEY              secret key accepted (test_sk_sandbox)\n"
            "  TOSS_SANDBOX_MID                     merchant id in payments (tlodging01)\n"
            "  TOSS_SANDBOX_WINDOW_TTL_SECONDS      READY -> EXPIRED (1800)\n"
            "  TOSS_SANDBOX_CONFIRM_LIMIT_SECONDS   IN_PROGRESS -> EXPIRED (600)\n"
            "  TOSS_SANDBOX_ACQUISITION             auto | manual (POST /v1/settlements)\n"
            "  TOSS_SANDBOX_ACQUIRE_AFTER_SECONDS   auto: acquisition requested (86400)\n"
            "  TOSS_SANDBOX_COMPLETE_AFTER_SECONDS  acquisition completed after (86400)\n"
            "  TOSS_SANDBOX_IDEMPOTENCY_TTL_SECONDS idempotency key lifetime (1296000)\n"
            "  TOSS_SANDBOX_WEBHOOK_URL             where webhooks go (none)\n"
            "  TOSS_SANDBOX_WEBHOOK_MINUTE_MS       a minute of the retry schedule (60000)\n",
    };
    sandbox_t sandbox = {0};
    int rc = service_main(&info, argc, argv, wire, &sandbox);
    toss_api_free(sandbox.api);
    return rc;
}
