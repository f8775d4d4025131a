/*
 * client_limit.h — abuse limits per client: a rate limit keyed by (scope,
 * client key), shared by every replica through Redis, answering "allowed" or
 * "retry after N ms". Scopes are the things worth protecting one by one:
 * checkout and login per client address, the admin API per API key.
 *
 * The limit is a GCRA (a token bucket kept as one timestamp): `per_minute`
 * requests a minute sustained, `burst` of them at once. One Lua script per
 * request on the key `climit:{<scope>:<client>}` (hash-tagged: one slot),
 * using Redis's clock so replicas agree. When Redis fails the same algorithm
 * runs in the process (per replica, approximate): a Redis hiccup never turns
 * into a 5xx, and never into "no limit at all".
 *
 * Usage (a handler, one call):
 *     static const client_limit_rule_t LOGIN = {.scope = "login", .per_minute = 10, .burst = 5};
 *     if (client_limit_refuse_address(limits, req, &LOGIN))
 *         return 0;                           // answered 429 with Retry-After
 *     ... an admin handler, per API key:
 *     if (client_limit_refuse_key(limits, req, &admin_rule, api_key)) return 0;
 *     ... rules from the environment (LOGIN_RATE_LIMIT_PER_MINUTE, LOGIN_RATE_LIMIT_BURST):
 *     client_limit_rule_from_env(cfg, "LOGIN", "login", 10, 5, &rule);
 *
 * The 429: Retry-After (whole seconds, at least 1) and
 * {"success":false,"errorCode":"RATE_LIMITED","error":"요청이 너무 많습니다. …",
 *  "retryAfterSeconds":N}. Counted in http_client_limited_total{service,scope}.
 *
 * Thread-safety: every function is thread-safe (the pool hands out one
 * connection per call; the fallback table has its own mutex). Ownership: the
 * Redis pool and clock are borrowed and must outlive the limiter; rules are
 * the caller's (their scope strings must live as long as they are used). API
 * keys are hashed before they reach Redis or a log.
 */
#ifndef COMMON_CLIENT_LIMIT_H
#define COMMON_CLIENT_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/http_server.h"
#include "common/redis.h"

#define CLIENT_LIMIT_MAX_PER_MINUTE 1000000
#define CLIENT_LIMIT_MAX_BURST 100000
/* Slots of the in-process fallback table (clients tracked while Redis is down). */
#define CLIENT_LIMIT_FALLBACK_SLOTS 4096

typedef struct client_limit_rule {
    const char *scope;  /* "checkout", "login", "admin-api": key part and metric label */
    double per_minute;  /* sustained requests a minute; 0 = no limit */
    unsigned burst;     /* requests allowed at once (at least 1) */
} client_limit_rule_t;

typedef struct client_limit_config {
    const char *service;         /* metric label */
    redis_pool_t *redis;         /* shared state; NULL = in-process only */
    const clock_source_t *clock; /* the fallback's clock; NULL = system */
} client_limit_config_t;

typedef struct client_limit client_limit_t;

/* NULL on OOM. */
client_limit_t *client_limit_new(const client_limit_config_t *cfg);
void client_limit_free(client_limit_t *cl); /* accepts NULL */

/* Takes one request of `client_key` against the rule. Returns true when
 * allowed; false when limited, with *retry_after_ms (may be NULL) set to the
 * wait before one would pass. A rule with per_minute 0 always allows. */
bool client_limit_take(client_limit_t *cl, const client_limit_rule_t *rule, const char *client_key,
                       int64_t *retry_after_ms);

/* The handler's one call, keyed by http_request_client_address(): true when
 * the request was limited and has been answered 429 (the handler returns);
 * false to go on. cl NULL = no limit. */
bool client_limit_refuse_address(client_limit_t *cl, http_request_t *req,
                                 const client_limit_rule_t *rule);
/* The same keyed by a credential (an API key; hashed, never stored or logged). */
bool client_limit_refuse_key(client_limit_t *cl, http_request_t *req,
                             const client_limit_rule_t *rule, const char *api_key);

/* Reads <prefix>_RATE_LIMIT_PER_MINUTE (0 = off) and <prefix>_RATE_LIMIT_BURST
 * into *out (errors are recorded in cfg); scope must be a static string. */
void client_limit_rule_from_env(config_t *cfg, const char *prefix, const char *scope,
                                double default_per_minute, unsigned default_burst,
                                client_limit_rule_t *out);

#endif /* COMMON_CLIENT_LIMIT_H */
