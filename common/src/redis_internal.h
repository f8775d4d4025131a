/*
 * redis_internal.h — what redis.c (commands, pool) and redis_cluster.c (slot
 * map, redirects) share: the client struct and its per-node connections.
 * Not for use outside common/src.
 */
#ifndef COMMON_REDIS_INTERNAL_H
#define COMMON_REDIS_INTERNAL_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/redis.h"

#define REDIS_SCRIPT_CACHE_SIZE 16
#define REDIS_SLOT_UNKNOWN UINT16_MAX /* slot_node value: owner not known yet */

typedef struct cached_script {
    char *body;
    char sha[41];
} cached_script_t;

/* One server and, while connected, its connection. */
typedef struct redis_node {
    char *host;
    int port;
    redisContext *ctx; /* NULL while disconnected */
} redis_node_t;

struct redis_client {
    char *password;
    int db;
    int connect_timeout_ms;
    int command_timeout_ms;
    bool cluster;         /* a redis-cluster:// URL: commands are routed by key slot */
    redis_node_t **nodes; /* standalone: exactly one; cluster: seeds, then nodes learnt */
    size_t node_count;
    size_t node_capacity;
    uint16_t
        *slot_node;   /* cluster: index into nodes for each slot, REDIS_SLOT_UNKNOWN if unknown */
    bool refresh_due; /* cluster: reload the slot map before the next command */
    redis_cluster_stats_t stats;
    char error[256];
    cached_script_t scripts[REDIS_SCRIPT_CACHE_SIZE]; /* SHA1 per script body, for EVALSHA */
};

/* --- per-node connections (redis.c) --- */
/* Connects (with AUTH, and SELECT when standalone) unless connected; 0 or -1. */
int redis_node_connect(redis_client_t *r, redis_node_t *n);
void redis_node_disconnect(redis_node_t *n);
/* Runs argv on the node's connection, preceded by ASKING when `asking`;
 * NULL after an I/O error (the connection is then closed, r->error says why). */
redisReply *redis_node_run(redis_client_t *r, redis_node_t *n, int argc, const char **argv,
                           const size_t *lens, bool asking);

/* --- cluster routing (redis_cluster.c) --- */
/* Adds the comma-separated host:port seeds; 0, or -1 with a reason in err. */
int redis_cluster_add_seeds(redis_client_t *r, const char *list, char *err, size_t err_size);
/* The node for host:port, added when new; NULL when out of memory. */
redis_node_t *redis_cluster_node(redis_client_t *r, const char *host, int port);
/* Reloads the slot map from the first node that answers CLUSTER SLOTS; 0 or -1. */
int redis_cluster_refresh(redis_client_t *r);
/* The node to send a command for `slot` to (-1: any node); refreshes the map
 * first when due. NULL when there is no node at all. */
redis_node_t *redis_cluster_route(redis_client_t *r, int slot);

typedef enum { REDIS_REDIRECT_NONE, REDIS_REDIRECT_MOVED, REDIS_REDIRECT_ASK } redis_redirect_t;

/* When `reply` is a MOVED or ASK error: learns from it (MOVED updates the
 * slot's owner and schedules a map refresh), counts it, sets *target and
 * returns its kind. REDIS_REDIRECT_NONE otherwise. */
redis_redirect_t redis_cluster_redirect(redis_client_t *r, const redisReply *reply,
                                        redis_node_t **target);

/* The slot all keys share: 0..16383; -1 when n is 0; -2 (with r->error set)
 * when they span slots, which a cluster cannot serve in one command. */
int redis_cluster_keys_slot(redis_client_t *r, const char *const *keys, size_t n);

#endif /* COMMON_REDIS_INTERNAL_H */
