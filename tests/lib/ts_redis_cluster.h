/*
 * ts_redis_cluster.h — a real Redis Cluster of the test's own on loopback:
 * N redis-server --cluster-enabled yes processes (data and logs in a folder of
 * their own under the build tree), joined by redis-cli --cluster create with
 * no replicas, waited for until every node says cluster_state:ok; stopped
 * and its folder removed by ts_redis_cluster_stop.
 *
 *     ts_redis_cluster_t c;
 *     ck_assert(ts_redis_cluster_start(&c, 3) == 0);
 *     redis_client_t *r = redis_client_new(c.url, 500, 1000, err, sizeof err);   // routed
 *     redis_client_t *n0 = ts_redis_cluster_node_client(&c, 0);                   // one node
 *     ts_redis_cluster_stop(&c);
 *
 * The servers die with the test process (PR_SET_PDEATHSIG). Not thread-safe:
 * start and stop from one thread.
 */
#ifndef TS_REDIS_CLUSTER_H
#define TS_REDIS_CLUSTER_H

#include <stddef.h>
#include <sys/types.h>

#include "common/redis.h"

#define TS_REDIS_CLUSTER_MAX_NODES 6

typedef struct ts_redis_cluster {
    size_t count;
    int ports[TS_REDIS_CLUSTER_MAX_NODES];
    pid_t pids[TS_REDIS_CLUSTER_MAX_NODES];
    char dir[256]; /* the cluster's folder under the build tree */
    char url[256]; /* redis-cluster://127.0.0.1:p1,127.0.0.1:p2,... */
} ts_redis_cluster_t;

/* Starts `masters` nodes and creates the cluster; 0, or -1 with the reason on
 * stderr (whatever was started is stopped again). */
int ts_redis_cluster_start(ts_redis_cluster_t *c, size_t masters);
/* Kills the nodes and removes their folder. */
void ts_redis_cluster_stop(ts_redis_cluster_t *c);

/* A plain (non-routing) client of node i; free with redis_client_free. */
redis_client_t *ts_redis_cluster_node_client(const ts_redis_cluster_t *c, size_t i);

/* The index of the node that owns `key`'s slot (asks every node), or -1. */
int ts_redis_cluster_owner(const ts_redis_cluster_t *c, const char *key);

#endif /* TS_REDIS_CLUSTER_H */
