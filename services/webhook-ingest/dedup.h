/*
 * dedup.h — "have we already published this webhook?" in Redis.
 *
 *     webhook:seen:<vendor>:<eventId>      set only AFTER Kafka acknowledged (7 days)
 *     webhook:inflight:<vendor>:<eventId>  SET NX while one delivery publishes (30 s)
 *
 * The in-flight claim makes two concurrent deliveries of one event publish
 * once; the seen key makes a later re-delivery a duplicate. On a single Redis
 * server the claim and the mark are one Lua script each (one round trip); in
 * a cluster, where an event's two keys live in different slots, the same
 * steps are separate commands. Redis is an
 * optimisation, not a dependency: when it cannot be reached the claim answers
 * DEDUP_UNAVAILABLE and the caller publishes anyway (the CloudEvents id is
 * deterministic, so consumers still de-duplicate).
 *
 * Usage:
 *     dedup_t *d = dedup_new(redis_url, 16, err, sizeof err);
 *     switch (dedup_claim(d, "cloudbeds", "evt_1")) {
 *     case DEDUP_DUPLICATE: → 200 duplicate       case DEDUP_IN_PROGRESS: → 409
 *     default: publish; then dedup_mark_done(...) on success, dedup_release(...) on failure
 *     }
 *     dedup_free(d);
 *
 * Thread-safety: every function may be called from any thread (a pool of
 * connections). Ownership: nothing returned is owned by the caller.
 */
#ifndef WEBHOOK_DEDUP_H
#define WEBHOOK_DEDUP_H

#include <stddef.h>

#define DEDUP_SEEN_TTL_S (7 * 24 * 3600)
#define DEDUP_INFLIGHT_TTL_S 30
#define DEDUP_CONNECT_TIMEOUT_MS 200
#define DEDUP_COMMAND_TIMEOUT_MS 500

typedef enum {
    DEDUP_NEW = 0,     /* claimed: publish it */
    DEDUP_DUPLICATE,   /* already published */
    DEDUP_IN_PROGRESS, /* another delivery of it is publishing right now */
    DEDUP_UNAVAILABLE, /* Redis unreachable: publish anyway */
} dedup_result_t;

typedef struct dedup dedup_t;

/* NULL with err when the URL is malformed (an unreachable server is fine). */
dedup_t *dedup_new(const char *redis_url, size_t pool_size, char *err, size_t err_size);
void dedup_free(dedup_t *d); /* accepts NULL */

dedup_result_t dedup_claim(dedup_t *d, const char *vendor, const char *event_id);
/* dedup_claim for n events (vendors[i], event_ids[i]) into results[i]: one
 * round trip per 64 on a single server. */
void dedup_claim_many(dedup_t *d, const char *const *vendors, const char *const *event_ids,
                      size_t n, dedup_result_t *results);
/* After the Kafka ack: remember it (7 days) and drop the claim. */
void dedup_mark_done(dedup_t *d, const char *vendor, const char *event_id);
/* dedup_mark_done for n events (vendors[i], event_ids[i]): one round trip on
 * a single server. */
void dedup_mark_done_many(dedup_t *d, const char *const *vendors, const char *const *event_ids,
                          size_t n);
/* After a failed publish: drop the claim so the PMS retry publishes. */
void dedup_release(dedup_t *d, const char *vendor, const char *event_id);

const char *dedup_result_name(dedup_result_t r);

#endif /* WEBHOOK_DEDUP_H */
