/*
 * redis.h — a Redis connection (hiredis 0.14) with timeouts, reconnect, and
 * the commands the cache needs: GET/MGET, SET EX (single and pipelined),
 * SET NX EX (locks, leases), DEL, TTL, INCRBY and Lua (EVALSHA with EVAL
 * fallback). Plus a small pool for HTTP handler threads.
 *
 * Standalone or cluster, chosen by the URL:
 *   redis://[:password@]host[:port][/db]        one server (SELECT db)
 *   redis-cluster://[:password@]host:port[,host:port...]
 *                                               a Redis Cluster: the listed
 *       nodes are seeds; the client loads the slot map (CLUSTER SLOTS), sends
 *       each command to the master of its key's slot (CRC16, hash tags: see
 *       redis_slot.h) over one connection per node, follows MOVED (updating
 *       the map, then reloading it) and ASK (ASKING on the target, map kept),
 *       retries TRYAGAIN (a slot half-migrated) briefly, and reloads the map
 *       after a node fails. The API is the same in both modes.
 * In a cluster every multi-key call (MGET, DEL of n keys, the SET EX pipeline,
 * a Lua script's KEYS) must stay inside one hash slot: callers put one
 * hotel's keys under its hash tag (`inv:{hotel_123}:...`), and a call whose
 * keys span slots fails with REDIS_CLIENT_ERR_INVALID before reaching Redis.
 * Standalone mode does not check this.
 *
 * Usage:
 *     char err[128];
 *     redis_client_t *r = redis_client_new("redis://127.0.0.1:16379", 500, 500, err, sizeof err);
 *     const char *keys[] = {"inv:{h1}:r1:2025-11-01", "inv:{h1}:r1:2025-11-02"};
 *     char *vals[2];
 *     if (redis_mget(r, keys, 2, vals) == REDIS_CLIENT_OK) ... redis_values_free(vals, 2);
 *     redis_client_free(r);
 *
 * Reconnect: after a connection error the next call reconnects. Reads and
 * idempotent writes (GET, MGET, TTL, PING, SET EX, DEL) are retried once on a
 * fresh connection; INCRBY, SET NX and EVAL are not (their effect may already
 * have happened), they report REDIS_CLIENT_ERR_IO instead.
 *
 * Thread-safety: a redis_client_t is ONE connection (in a cluster: one per
 * node, with its own slot map): use it from one thread at a time (per-thread clients, or
 * redis_pool). Ownership: returned values are malloc'd and freed by the caller (redis_values_free
 * for arrays).
 */
#ifndef COMMON_REDIS_H
#define COMMON_REDIS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    REDIS_CLIENT_OK = 0,
    REDIS_CLIENT_ERR_CONNECT = -1, /* cannot connect */
    REDIS_CLIENT_ERR_IO = -2,      /* connection lost or timed out mid-command */
    REDIS_CLIENT_ERR_REPLY = -3,   /* the server answered an error */
    REDIS_CLIENT_ERR_INVALID = -4, /* bad arguments, unexpected reply type, OOM */
} redis_client_err_t;

#define REDIS_DEFAULT_CONNECT_TIMEOUT_MS 500
#define REDIS_DEFAULT_COMMAND_TIMEOUT_MS 500

typedef struct redis_client redis_client_t;

/* Parses the URL and connects. NULL with a reason in err when the URL is bad;
 * an unreachable server is not fatal here (the next call retries). */
redis_client_t *redis_client_new(const char *url, int connect_timeout_ms, int command_timeout_ms,
                                 char *err, size_t err_size);
void redis_client_free(redis_client_t *r);
/* Whether url is a Redis URL this client accepts (either form above), without
 * connecting: 0, or -1 with the reason in err. For configuration checks. */
int redis_url_check(const char *url, char *err, size_t err_size);

/* The last error text (for logs). */
const char *redis_client_error(const redis_client_t *r);

/* What a cluster client has had to learn: redirects followed and slot map
 * loads. All zero for a standalone client. */
typedef struct redis_cluster_stats {
    unsigned long long moved;     /* MOVED replies followed */
    unsigned long long ask;       /* ASK replies followed */
    unsigned long long refreshes; /* slot maps loaded (CLUSTER SLOTS) */
} redis_cluster_stats_t;

/* True for a redis-cluster:// client. */
int redis_client_is_cluster(const redis_client_t *r);
void redis_client_cluster_stats(const redis_client_t *r, redis_cluster_stats_t *out);

redis_client_err_t redis_ping(redis_client_t *r);
/* *out = value (malloc'd) or NULL on a miss. */
redis_client_err_t redis_get(redis_client_t *r, const char *key, char **out);
/* values[i] = malloc'd value or NULL on a miss; one round trip. */
redis_client_err_t redis_mget(redis_client_t *r, const char *const *keys, size_t n, char **values);
void redis_values_free(char **values, size_t n);
redis_client_err_t redis_set_ex(redis_client_t *r, const char *key, const char *value, int ttl_s);
/* SET key value EX ttl for n pairs in one round trip (a pipeline). */
redis_client_err_t redis_set_ex_many(redis_client_t *r, const char *const *keys,
                                     const char *const *values, size_t n, int ttl_s);
/* *was_set = 1 when the key did not exist and is now set. */
redis_client_err_t redis_set_nx_ex(redis_client_t *r, const char *key, const char *value, int ttl_s,
                                   int *was_set);
/* *deleted (optional) = how many existed. */
redis_client_err_t redis_del(redis_client_t *r, const char *const *keys, size_t n,
                             long long *deleted);
/* *ttl_s = seconds left, -1 no expiry, -2 no such key. */
redis_client_err_t redis_ttl(redis_client_t *r, const char *key, long long *ttl_s);
redis_client_err_t redis_incrby(redis_client_t *r, const char *key, long long delta,
                                long long *result);
/* Runs a Lua script (EVALSHA, loading it on NOSCRIPT). The reply is reduced to
 * an integer (*int_out) or a string (*str_out, malloc'd), whichever it is;
 * either out may be NULL. */
redis_client_err_t redis_eval(redis_client_t *r, const char *script, const char *const *keys,
                              size_t nkeys, const char *const *args, size_t nargs,
                              long long *int_out, char **str_out);

/* SMEMBERS: *members = malloc'd array of *n malloc'd strings (NULL when the
 * set is empty); the caller frees them with redis_values_free + free. */
redis_client_err_t redis_smembers(redis_client_t *r, const char *key, char ***members, size_t *n);

/* Any other command, not retried; the reply reduced as for redis_eval. In a
 * cluster it goes to the owner of argv[1] (keyless commands such as PING,
 * INFO or TIME: to any node). */
redis_client_err_t redis_command_argv(redis_client_t *r, int argc, const char **argv,
                                      long long *int_out, char **str_out);

/* --- pool: N connections for N threads --- */
typedef struct redis_pool redis_pool_t;

redis_pool_t *redis_pool_new(const char *url, size_t size, int connect_timeout_ms,
                             int command_timeout_ms, char *err, size_t err_size);
void redis_pool_free(redis_pool_t *p);
/* Blocks until a connection is free. Always returns one. */
redis_client_t *redis_pool_acquire(redis_pool_t *p);
void redis_pool_release(redis_pool_t *p, redis_client_t *r);

#endif /* COMMON_REDIS_H */
