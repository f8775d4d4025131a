/*
 * opera_api.h — the OPERA Cloud (OHIP Distribution "Shop & Book") look-alike
 * served by opera-sandbox: the token endpoint, Content, Shop and Book paths
 * with the specs' headers, bodies, status enums and both error spellings, over
 * the pms-sandbox ledger (inventory, rates, holds, reservations); and the
 * /_sandbox/ control endpoints (reset, front desk, session purge, behaviour,
 * faults, ledger dump). See README.md.
 *
 * Usage:
 *     opera_api_config_t cfg = {.ledger = l, .faults = f, .username = "u", ...};
 *     opera_api_t *api = opera_api_new(&cfg);
 *     opera_api_routes(api, srv);
 *     ...
 *     opera_api_free(api);            // after the server stopped
 *
 * Thread-safety: handlers run on many threads; one mutex guards the tokens and
 * the behaviour switches, the ledger guards itself. Ownership: ledger and
 * faults are borrowed; strings in the config are copied.
 */
#ifndef OPERA_SANDBOX_API_H
#define OPERA_SANDBOX_API_H

#include "common/http_server.h"
#include "ledger.h"
#include "sandbox_faults.h"

#define OPERA_DEFAULT_USERNAME "lodging_integration"
#define OPERA_DEFAULT_PASSWORD "opera_sandbox_password"
#define OPERA_DEFAULT_CHANNEL "LODGING"
#define OPERA_DEFAULT_TOKEN_TTL_S 3600
#define OPERA_DEFAULT_SESSION_TTL_S 1200
/* Property API (OHIP "int" and "oauth"): the application's client credentials
 * and the external system code the hotel configured for its Business Events. */
#define OPERA_DEFAULT_CLIENT_ID "lodging_property_client"
#define OPERA_DEFAULT_CLIENT_SECRET "opera_sandbox_client_secret"
#define OPERA_DEFAULT_EXTERNAL_SYSTEM "LODGING"

typedef struct opera_api_config {
    ledger_t *ledger;
    sandbox_faults_t *faults;
    const char *seed_path;    /* reloaded by POST /_sandbox/reset */
    const char *username;     /* the integration user the token endpoint accepts */
    const char *password;     /* never logged */
    const char *channel_code; /* x-channelCode every call must carry */
    int token_ttl_s;          /* expires_in of issued tokens */
    int session_ttl_s;        /* when an uncommitted session reservation is purged */
    const char *client_id;     /* Property API OAuth client (Basic auth on /oauth/v1/tokens) */
    const char *client_secret; /* never logged */
    const char *external_system; /* the only extSystemCode whose Business Events exist */
} opera_api_config_t;

typedef struct opera_api opera_api_t;

opera_api_t *opera_api_new(const opera_api_config_t *cfg);
void opera_api_free(opera_api_t *api); /* accepts NULL */
int opera_api_routes(opera_api_t *api, http_server_t *srv);

#endif /* OPERA_SANDBOX_API_H */
