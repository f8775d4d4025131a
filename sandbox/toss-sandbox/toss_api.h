/*
 * toss_api.h — the toss-sandbox's HTTP side: Toss Payments' core API v1
 * (the subset in README.md) and the sandbox's own control routes, on the
 * common HTTP server.
 *
 * Pipeline of every /v1 request: Basic auth (secret key + ':') →
 * TossPayments-Test-Code → Idempotency-Key (POST) → injected faults → the
 * operation → afterCommit faults → the answer (Toss' error object
 * {"code","message"} on failure).
 *
 *     toss_api_config_t ac = {.secret_key = "test_sk_sandbox", ...};
 *     toss_api_t *api = toss_api_new(&ac);
 *     toss_api_routes(api, srv);
 *     toss_api_free(api);   // after the server has stopped
 *
 * Thread-safety: handlers run concurrently (a thread per connection).
 * Ownership: the API owns its store, idempotency table, faults and webhook
 * deliverer.
 */
#ifndef TOSS_API_H
#define TOSS_API_H

#include <stdint.h>

#include "common/http_server.h"
#include "toss_store.h"

#define TOSS_SANDBOX_DEFAULT_SECRET_KEY "test_sk_sandbox"

typedef struct toss_api_config {
    const char *secret_key;
    toss_store_config_t store;
    int64_t idempotency_ttl_s; /* 15 days at Toss */
    const char *webhook_url;   /* NULL: none until POST /_sandbox/webhook */
    int64_t webhook_minute_ms; /* length of a "minute" of the retry schedule */
} toss_api_config_t;

typedef struct toss_api toss_api_t;

toss_api_t *toss_api_new(const toss_api_config_t *cfg);
void toss_api_free(toss_api_t *api);
int toss_api_routes(toss_api_t *api, http_server_t *srv);

#endif /* TOSS_API_H */
