/*
 * pay-sandbox — a stateful stand-in for the payment gateway: the Stripe
 * subset the payment connector uses (PaymentIntents with manual capture,
 * cancel, refunds, retrieve), test tokens that drive outcomes, idempotent
 * requests, expiring authorisations, and control routes for faults, reset
 * and a ledger dump. See README.md.
 *
 * main.c is wiring only: configuration, the Stripe API
 * module (stripe_api.c) on the common service runtime.
 */
#include "common/service.h"
#include "stripe_api.h"

#define AUTH_TTL_DEFAULT_S (7 * 24 * 3600)
#define IDEMPOTENCY_TTL_DEFAULT_S (24 * 3600)
#define TTL_MAX_S (366 * 24 * 3600)

typedef struct sandbox {
    stripe_api_t *api;
} sandbox_t;

static int wire(service_t *svc, void *ctx)
{
    sandbox_t *sandbox = ctx;
    config_t *cfg = service_config(svc);
    stripe_api_config_t ac = {
        .api_key = config_get_str(cfg, "PAY_SANDBOX_API_KEY", PAY_SANDBOX_DEFAULT_API_KEY),
        .auth_ttl_s =
            config_get_int(cfg, "PAY_SANDBOX_AUTH_TTL_SECONDS", AUTH_TTL_DEFAULT_S, 1, TTL_MAX_S),
        .idempotency_ttl_s = config_get_int(cfg, "PAY_SANDBOX_IDEMPOTENCY_TTL_SECONDS",
                                            IDEMPOTENCY_TTL_DEFAULT_S, 1, TTL_MAX_S),
    };
    sandbox->api = stripe_api_new(&ac);
    if (!sandbox->api)
        return -1;
    return stripe_api_routes(sandbox->api, service_http(svc));
}

int main(int argc, char **argv)
{
    static const service_info_t info = {
        .name = "pay-sandbox",
        .description = "Stripe-style payment gateway sandbox (PaymentIntents, manual capture, "
                       "refunds, idempotency, fault injection)",
        .port_env = "PAY_SANDBOX_PORT",
        .default_port = 8092,
        /* Injected hangs and latency block a handler for seconds: that must
         * slow down only its own connection, as at a real vendor. */
        .http_thread_per_connection = true,
        .routes_all_open = true, /* a vendor simulator: its own API keys, not ours */
        .env_help = "  PAY_SANDBOX_API_KEY                 secret key accepted (sk_test_sandbox)\n"
                    "  PAY_SANDBOX_AUTH_TTL_SECONDS        authorisation lifetime (604800 = 7 d)\n"
                    "  PAY_SANDBOX_IDEMPOTENCY_TTL_SECONDS idempotency key lifetime (86400)\n",
    };
    sandbox_t sandbox = {0};
    int rc = service_main(&info, argc, argv, wire, &sandbox);
    stripe_api_free(sandbox.api); /* the HTTP server is stopped and freed by now */
    return rc;
}
