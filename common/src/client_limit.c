/*
 * client_limit.c — Redis-shared GCRA rate limits per client (client_limit.h).
 *
 * GCRA keeps one number per key, the "theoretical arrival time" (tat): a
 * request at `now` moves it to max(tat, now) + interval and is allowed while
 * that stays within interval × burst of now. Stored with a TTL equal to the
 * remaining debt, a key disappears by itself once its client is idle.
 */
#include "common/client_limit.h"

#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_address.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/metrics.h"

#define KEY_MAX 256
#define KEY_HASH_HEX 32 /* of the credential's SHA-256, in the key */
#define MS_PER_MINUTE 60000.0

/* Redis's clock, not ours: replicas whose clocks drift still share one
 * timeline. TIME before a write is fine with effects replication (Redis 5+,
 * the default from 7). */
static const char GCRA_SCRIPT[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local interval = tonumber(ARGV[1])\n"
    "local capacity = interval * tonumber(ARGV[2])\n"
    "local tat = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "if tat < now then tat = now end\n"
    "local new_tat = tat + interval\n"
    "if new_tat - now > capacity then return new_tat - now - capacity end\n"
    "redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', new_tat - now)\n"
    "return 0\n";

typedef struct fallback_slot {
    uint64_t hash; /* of scope and client; 0 = empty */
    int64_t tat_ms;
} fallback_slot_t;

struct client_limit {
    char service[64];
    redis_pool_t *redis;
    const clock_source_t *clock;
    metric_t *limited;
    metric_t *fallbacks;
    atomic_bool redis_failing; /* for one log line per outage, not one per request */
    pthread_mutex_t mu;        /* guards slots */
    fallback_slot_t slots[CLIENT_LIMIT_FALLBACK_SLOTS];
};

client_limit_t *client_limit_new(const client_limit_config_t *cfg)
{
    client_limit_t *cl = calloc(1, sizeof *cl);
    if (!cl)
        return NULL;
    snprintf(cl->service, sizeof cl->service, "%s", cfg->service ? cfg->service : "service");
    cl->redis = cfg->redis;
    cl->clock = cfg->clock ? cfg->clock : clock_source_system();
    cl->limited = metrics_counter("http_client_limited_total",
                                  "Requests refused 429 by a per-client limit", 2, "service",
                                  "scope");
    cl->fallbacks = metrics_counter("http_client_limit_fallbacks_total",
                                    "Limit decisions taken in-process because Redis failed", 1,
                                    "service");
    atomic_init(&cl->redis_failing, false);
    pthread_mutex_init(&cl->mu, NULL);
    return cl;
}

void client_limit_free(client_limit_t *cl)
{
    if (!cl)
        return;
    pthread_mutex_destroy(&cl->mu);
    free(cl);
}

/* The rule's emission interval in whole milliseconds (at least 1). */
static int64_t interval_ms(const client_limit_rule_t *rule)
{
    double ms = ceil(MS_PER_MINUTE / rule->per_minute);
    return ms < 1 ? 1 : (int64_t)ms;
}

/* FNV-1a of scope, a separator and the client; never 0 (the empty mark). */
static uint64_t slot_hash(const char *scope, const char *client)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = scope; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *s = client; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h ? h : 1;
}

/* The GCRA step in the process. A slot taken by another client is
 * overwritten (the table is a cache: a collision forgets a client's debt,
 * it never charges one client for another). */
static bool fallback_take(client_limit_t *cl, const client_limit_rule_t *rule, const char *client,
                          int64_t *retry_after_ms)
{
    uint64_t h = slot_hash(rule->scope, client);
    int64_t now = cl->clock->now_ms(cl->clock->ctx), interval = interval_ms(rule);
    int64_t capacity = interval * (int64_t)rule->burst;
    pthread_mutex_lock(&cl->mu);
    fallback_slot_t *s = &cl->slots[h % CLIENT_LIMIT_FALLBACK_SLOTS];
    int64_t tat = s->hash == h && s->tat_ms > now ? s->tat_ms : now;
    int64_t new_tat = tat + interval;
    bool allowed = new_tat - now <= capacity;
    if (allowed) {
        s->hash = h;
        s->tat_ms = new_tat;
    } else if (retry_after_ms) {
        *retry_after_ms = new_tat - now - capacity;
    }
    pthread_mutex_unlock(&cl->mu);
    return allowed;
}

/* The GCRA step in Redis: 0 allowed, >0 the wait in ms, -1 Redis failed. */
static int64_t redis_take(client_limit_t *cl, const client_limit_rule_t *rule, const char *client)
{
    char key[KEY_MAX], interval[32], burst[32];
    snprintf(key, sizeof key, "climit:{%s:%s}", rule->scope, client);
    snprintf(interval, sizeof interval, "%lld", (long long)interval_ms(rule));
    snprintf(burst, sizeof burst, "%u", rule->burst);
    const char *keys[] = {key}, *args[] = {interval, burst};
    long long wait = -1;
    redis_client_t *r = redis_pool_acquire(cl->redis);
    redis_client_err_t rc = redis_eval(r, GCRA_SCRIPT, keys, 1, args, 2, &wait, NULL);
    if (rc != REDIS_CLIENT_OK && !atomic_exchange(&cl->redis_failing, true))
        log_kv(LOG_LEVEL_WARN, "client limits: Redis failed, limiting in-process", "error",
               redis_client_error(r), NULL);
    redis_pool_release(cl->redis, r);
    if (rc != REDIS_CLIENT_OK)
        return -1;
    if (atomic_exchange(&cl->redis_failing, false))
        log_kv(LOG_LEVEL_INFO, "client limits: Redis is back", NULL);
    return wait < 0 ? 0 : (int64_t)wait;
}

bool client_limit_take(client_limit_t *cl, const client_limit_rule_t *rule, const char *client_key,
                       int64_t *retry_after_ms)
{
    if (retry_after_ms)
        *retry_after_ms = 0;
    if (!cl || !rule || rule->per_minute <= 0)
        return true;
    client_limit_rule_t r = *rule;
    if (r.burst < 1)
        r.burst = 1;
    const char *client = client_key && *client_key ? client_key : "unknown";
    int64_t wait = cl->redis ? redis_take(cl, &r, client) : -1;
    if (wait < 0) {
        if (cl->redis)
            metrics_counter_inc(cl->fallbacks, cl->service);
        return fallback_take(cl, &r, client, retry_after_ms);
    }
    if (wait > 0 && retry_after_ms)
        *retry_after_ms = wait;
    return wait == 0;
}

/* Answers 429 RATE_LIMITED with Retry-After; returns true. */
static bool respond_limited(client_limit_t *cl, http_request_t *req, const char *scope,
                            int64_t retry_after_ms)
{
    long seconds = (long)((retry_after_ms + 999) / 1000);
    if (seconds < 1)
        seconds = 1;
    char header[32], message[256];
    snprintf(header, sizeof header, "%ld", seconds);
    snprintf(message, sizeof message,
             "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요. (too many requests; retry after "
             "%ld s)",
             seconds);
    metrics_counter_inc(cl->limited, cl->service, scope);
    http_response_header(req, "Retry-After", header);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "success", json_object_new_boolean(0));
    json_object_object_add(o, "error", json_object_new_string(message));
    json_object_object_add(o, "errorCode", json_object_new_string("RATE_LIMITED"));
    json_object_object_add(o, "retryAfterSeconds", json_object_new_int64(seconds));
    http_respond_json(req, 429, o);
    json_object_put(o);
    return true;
}

bool client_limit_refuse_address(client_limit_t *cl, http_request_t *req,
                                 const client_limit_rule_t *rule)
{
    int64_t wait = 0;
    if (!cl || client_limit_take(cl, rule, http_request_client_address(req), &wait))
        return false;
    return respond_limited(cl, req, rule->scope, wait);
}

bool client_limit_refuse_key(client_limit_t *cl, http_request_t *req,
                             const client_limit_rule_t *rule, const char *api_key)
{
    char hex[CRYPTO_SHA256_HEX_LEN + 1] = "none";
    if (api_key && crypto_sha256_hex(api_key, strlen(api_key), hex) == 0)
        hex[KEY_HASH_HEX] = '\0';
    int64_t wait = 0;
    if (!cl || client_limit_take(cl, rule, hex, &wait))
        return false;
    return respond_limited(cl, req, rule->scope, wait);
}

void client_limit_rule_from_env(config_t *cfg, const char *prefix, const char *scope,
                                double default_per_minute, unsigned default_burst,
                                client_limit_rule_t *out)
{
    char rate_name[96], burst_name[96];
    snprintf(rate_name, sizeof rate_name, "%s_RATE_LIMIT_PER_MINUTE", prefix);
    snprintf(burst_name, sizeof burst_name, "%s_RATE_LIMIT_BURST", prefix);
    out->scope = scope;
    out->per_minute =
        config_get_double(cfg, rate_name, default_per_minute, 0, CLIENT_LIMIT_MAX_PER_MINUTE);
    out->burst = (unsigned)config_get_int(cfg, burst_name, (long)default_burst, 1,
                                          CLIENT_LIMIT_MAX_BURST);
}
