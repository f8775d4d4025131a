/*
 * cloudbeds_api.h — the vendor API of the sandbox: the Cloudbeds API v1.3
 * methods the PMS connector uses, under /api/v1.3/<method>, with Cloudbeds'
 * parameters, auth, response shapes and {"success":false,"message":..} errors.
 *
 * Usage:
 *     cloudbeds_api_t *api = cloudbeds_api_new(ledger, webhooks, faults, limits);
 *     cloudbeds_api_routes(api, service_http(svc));
 *     ... after the HTTP server stopped: cloudbeds_api_free(api);
 *
 * Every method first applies the injected faults for its name (sandbox/lib),
 * then checks the API key (x-api-key or Authorization: Bearer) against the
 * property's key from the seed, then counts the request against the
 * property's limit (api_limits.h: 429 with Retry-After beyond it), then
 * validates every parameter (400 naming it) before touching the ledger.
 * Unknown methods get a vendor-style 404.
 *
 * Thread-safety: handlers run concurrently; the ledger and webhooks are
 * thread-safe. Ownership: the api borrows the ledger, webhooks, faults and
 * limits.
 */
#ifndef PMS_SANDBOX_CLOUDBEDS_API_H
#define PMS_SANDBOX_CLOUDBEDS_API_H

#include "common/http_server.h"
#include "api_limits.h"
#include "ledger.h"
#include "sandbox_faults.h"
#include "webhooks.h"

#define CLOUDBEDS_API_PREFIX "/api/v1.3"

typedef struct cloudbeds_api cloudbeds_api_t;

cloudbeds_api_t *cloudbeds_api_new(ledger_t *ledger, webhooks_t *webhooks,
                                   sandbox_faults_t *faults, api_limits_t *limits);
void cloudbeds_api_free(cloudbeds_api_t *api); /* accepts NULL */

/* Registers the vendor routes. 0 or -1. */
int cloudbeds_api_routes(cloudbeds_api_t *api, http_server_t *srv);

/* Writes a Cloudbeds error body ({"success":false,"message":..}); also the
 * error function the fault injection answers through. */
void cloudbeds_api_error(http_request_t *req, int status, const char *message, long retry_after_s,
                         void *ctx);

#endif /* PMS_SANDBOX_CLOUDBEDS_API_H */
