/*
 * dedup.c — webhook de-duplication keys in Redis (see dedup.h).
 */
#include "dedup.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/metrics.h"
#include "common/redis.h"

#define DEDUP_KEY_MAX 192

/* One round trip each on a single Redis server: the same steps as the
 * command sequences below, atomically (so the claim needs no second look at
 * the seen key). A cluster keeps the sequences: the two keys of an event live
 * in different hash slots, which one script may not touch. */
static const char CLAIM_SCRIPT[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end "
    "if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then return 2 end "
    "return 0";
static const char MARK_DONE_SCRIPT[] = "redis.call('SET', KEYS[1], '1', 'EX', ARGV[1]) "
                                       "redis.call('DEL', KEYS[2]) return 0";
/* MARK_DONE_SCRIPT for every (seen, inflight) pair of KEYS. */
static const char MARK_DONE_MANY_SCRIPT[] =
    "for i = 1, #KEYS, 2 do redis.call('SET', KEYS[i], '1', 'EX', ARGV[1]) "
    "redis.call('DEL', KEYS[i + 1]) end return 0";
/* CLAIM_SCRIPT for every (seen, inflight) pair of KEYS: one digit per pair,
 * in order. */
static const char CLAIM_MANY_SCRIPT[] =
    "local out = {} for i = 1, #KEYS, 2 do "
    "if redis.call('EXISTS', KEYS[i]) == 1 then out[#out + 1] = '1' "
    "elseif not redis.call('SET', KEYS[i + 1], '1', 'NX', 'EX', ARGV[1]) then out[#out + 1] = '2' "
    "else out[#out + 1] = '0' end end return table.concat(out)";
/* Pairs per script call (redis_eval's argument limit). */
#define PAIRS_PER_CALL 64

struct dedup {
    redis_pool_t *pool;
    bool cluster; /* a redis-cluster:// URL: no script over an event's two keys */
};

static metric_t *unavailable_metric(void)
{
    return metrics_counter("webhook_dedup_unavailable_total",
                           "Webhooks published without de-duplication because Redis failed", 1,
                           "operation");
}

dedup_t *dedup_new(const char *redis_url, size_t pool_size, char *err, size_t err_size)
{
    dedup_t *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    d->pool = redis_pool_new(redis_url, pool_size, DEDUP_CONNECT_TIMEOUT_MS,
                             DEDUP_COMMAND_TIMEOUT_MS, err, err_size);
    if (!d->pool) {
        free(d);
        return NULL;
    }
    d->cluster = strncmp(redis_url, "redis-cluster://", strlen("redis-cluster://")) == 0;
    return d;
}

void dedup_free(dedup_t *d)
{
    if (!d)
        return;
    redis_pool_free(d->pool);
    free(d);
}

static void key_of(const char *kind, const char *vendor, const char *event_id, char *out,
                   size_t out_size)
{
    snprintf(out, out_size, "webhook:%s:%s:%s", kind, vendor, event_id);
}

static void warn_unavailable(const char *operation, redis_client_t *r)
{
    metrics_counter_inc(unavailable_metric(), operation);
    log_kv(LOG_LEVEL_WARN, "webhook de-duplication unavailable: publishing anyway", "operation",
           operation, "error", redis_client_error(r), NULL);
}

/* The claim as one script: 0 new, 1 seen, 2 claimed by another delivery. */
static dedup_result_t claim_scripted(redis_client_t *r, const char *seen, const char *inflight)
{
    const char *keys[] = {seen, inflight};
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", DEDUP_INFLIGHT_TTL_S);
    const char *args[] = {ttl};
    long long answer = -1;
    if (redis_eval(r, CLAIM_SCRIPT, keys, 2, args, 1, &answer, NULL) != REDIS_CLIENT_OK)
        return DEDUP_UNAVAILABLE;
    return answer == 0   ? DEDUP_NEW
           : answer == 1 ? DEDUP_DUPLICATE
           : answer == 2 ? DEDUP_IN_PROGRESS
                         : DEDUP_UNAVAILABLE;
}

/* GET seen → DUPLICATE; SET NX inflight → else IN_PROGRESS; GET seen again, for
 * a delivery that finished between the two (one script on a single server). */
dedup_result_t dedup_claim(dedup_t *d, const char *vendor, const char *event_id)
{
    char seen[DEDUP_KEY_MAX], inflight[DEDUP_KEY_MAX];
    key_of("seen", vendor, event_id, seen, sizeof seen);
    key_of("inflight", vendor, event_id, inflight, sizeof inflight);
    redis_client_t *r = redis_pool_acquire(d->pool);
    dedup_result_t result = DEDUP_NEW;
    if (!d->cluster) {
        result = claim_scripted(r, seen, inflight);
        if (result == DEDUP_UNAVAILABLE)
            warn_unavailable("claim", r);
        redis_pool_release(d->pool, r);
        return result;
    }
    char *value = NULL;
    int was_set = 0;
    if (redis_get(r, seen, &value) != REDIS_CLIENT_OK)
        goto unavailable;
    if (value) {
        result = DEDUP_DUPLICATE;
        goto done;
    }
    if (redis_set_nx_ex(r, inflight, "1", DEDUP_INFLIGHT_TTL_S, &was_set) != REDIS_CLIENT_OK)
        goto unavailable;
    if (!was_set) {
        result = DEDUP_IN_PROGRESS;
        goto done;
    }
    if (redis_get(r, seen, &value) != REDIS_CLIENT_OK)
        goto unavailable;
    if (value) {
        const char *keys[] = {inflight};
        redis_del(r, keys, 1, NULL);
        result = DEDUP_DUPLICATE;
    }
    goto done;
unavailable:
    warn_unavailable("claim", r);
    result = DEDUP_UNAVAILABLE;
done:
    free(value);
    redis_pool_release(d->pool, r);
    return result;
}

/* Runs script over the (seen, inflight) key pairs of events [from, from +
 * count), at most PAIRS_PER_CALL, with ARGV[1] = ttl_s; the reply string
 * into *answer when answer is not NULL (one character per event). A failure
 * (or an answer of the wrong length) is counted once per event under
 * operation and logged once. True on success. */
static bool eval_pairs(dedup_t *d, const char *script, int ttl_s, const char *operation,
                       const char *const *vendors, const char *const *event_ids, size_t from,
                       size_t count, char **answer)
{
    static _Thread_local char keys_buf[PAIRS_PER_CALL * 2][DEDUP_KEY_MAX];
    const char *keys[PAIRS_PER_CALL * 2];
    for (size_t i = 0; i < count; i++) {
        key_of("seen", vendors[from + i], event_ids[from + i], keys_buf[2 * i], DEDUP_KEY_MAX);
        key_of("inflight", vendors[from + i], event_ids[from + i], keys_buf[2 * i + 1],
               DEDUP_KEY_MAX);
        keys[2 * i] = keys_buf[2 * i];
        keys[2 * i + 1] = keys_buf[2 * i + 1];
    }
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *args[] = {ttl};
    redis_client_t *r = redis_pool_acquire(d->pool);
    bool ok = redis_eval(r, script, keys, 2 * count, args, 1, NULL, answer) == REDIS_CLIENT_OK &&
              (!answer || (*answer && strlen(*answer) == count));
    if (!ok) {
        for (size_t i = 1; i < count; i++) /* one count per webhook, one log line */
            metrics_counter_inc(unavailable_metric(), operation);
        warn_unavailable(operation, r);
    }
    redis_pool_release(d->pool, r);
    return ok;
}

void dedup_claim_many(dedup_t *d, const char *const *vendors, const char *const *event_ids,
                      size_t n, dedup_result_t *results)
{
    if (d->cluster) {
        for (size_t i = 0; i < n; i++)
            results[i] = dedup_claim(d, vendors[i], event_ids[i]);
        return;
    }
    for (size_t from = 0; from < n; from += PAIRS_PER_CALL) {
        size_t count = n - from < PAIRS_PER_CALL ? n - from : PAIRS_PER_CALL;
        char *answer = NULL;
        bool ok = eval_pairs(d, CLAIM_MANY_SCRIPT, DEDUP_INFLIGHT_TTL_S, "claim", vendors,
                             event_ids, from, count, &answer);
        for (size_t i = 0; i < count; i++) {
            char c = ok ? answer[i] : '?';
            results[from + i] = c == '0'   ? DEDUP_NEW
                                : c == '1' ? DEDUP_DUPLICATE
                                : c == '2' ? DEDUP_IN_PROGRESS
                                           : DEDUP_UNAVAILABLE;
        }
        free(answer);
    }
}

void dedup_mark_done(dedup_t *d, const char *vendor, const char *event_id)
{
    char seen[DEDUP_KEY_MAX], inflight[DEDUP_KEY_MAX];
    key_of("seen", vendor, event_id, seen, sizeof seen);
    key_of("inflight", vendor, event_id, inflight, sizeof inflight);
    redis_client_t *r = redis_pool_acquire(d->pool);
    const char *keys[] = {inflight};
    bool ok;
    if (!d->cluster) {
        const char *both[] = {seen, inflight};
        char ttl[16];
        snprintf(ttl, sizeof ttl, "%d", DEDUP_SEEN_TTL_S);
        const char *args[] = {ttl};
        ok = redis_eval(r, MARK_DONE_SCRIPT, both, 2, args, 1, NULL, NULL) == REDIS_CLIENT_OK;
    } else {
        ok = redis_set_ex(r, seen, "1", DEDUP_SEEN_TTL_S) == REDIS_CLIENT_OK &&
             redis_del(r, keys, 1, NULL) == REDIS_CLIENT_OK;
    }
    if (!ok)
        warn_unavailable("mark_done", r);
    redis_pool_release(d->pool, r);
}

void dedup_mark_done_many(dedup_t *d, const char *const *vendors, const char *const *event_ids,
                          size_t n)
{
    if (d->cluster) {
        for (size_t i = 0; i < n; i++)
            dedup_mark_done(d, vendors[i], event_ids[i]);
        return;
    }
    for (size_t from = 0; from < n; from += PAIRS_PER_CALL) {
        size_t count = n - from < PAIRS_PER_CALL ? n - from : PAIRS_PER_CALL;
        eval_pairs(d, MARK_DONE_MANY_SCRIPT, DEDUP_SEEN_TTL_S, "mark_done", vendors, event_ids,
                   from, count, NULL);
    }
}

void dedup_release(dedup_t *d, const char *vendor, const char *event_id)
{
    char inflight[DEDUP_KEY_MAX];
    key_of("inflight", vendor, event_id, inflight, sizeof inflight);
    redis_client_t *r = redis_pool_acquire(d->pool);
    const char *keys[] = {inflight};
    if (redis_del(r, keys, 1, NULL) != REDIS_CLIENT_OK)
        warn_unavailable("release", r);
    redis_pool_release(d->pool, r);
}

const char *dedup_result_name(dedup_result_t r)
{
    switch (r) {
    case DEDUP_NEW:
        return "new";
    case DEDUP_DUPLICATE:
        return "duplicate";
    case DEDUP_IN_PROGRESS:
        return "in_progress";
    case DEDUP_UNAVAILABLE:
        return "unavailable";
    }
    return "unknown";
}
