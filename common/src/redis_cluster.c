/*
 * redis_cluster.c — the cluster half of the Redis client (see redis.h): the
 * node table, the slot map and what MOVED / ASK teach it.
 *
 * OVERALL DESIGN
 * A cluster client keeps one redis_node_t per master it has heard of (the
 * seeds of the URL first) and a 16384-entry map from slot to node index. The
 * map is loaded with CLUSTER SLOTS from the first node that answers: when the
 * client is made, and again before the next command after anything says it
 * is stale — a MOVED reply (the slot's new owner is written into the map at
 * once, the rest reloaded next time), an I/O error or CLUSTERDOWN (a node
 * may have failed over). ASK is a one-off: the command goes to the importing
 * node after ASKING, and the map keeps the old owner until the migration
 * ends with a MOVED. Nodes are never removed: a cluster has few, and a
 * stale one without slots is simply no longer routed to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "common/redis_slot.h"
#include "redis_internal.h"

#define HOST_MAX 256

static metric_t *redirects_metric(void)
{
    return metrics_counter("redis_cluster_redirects_total",
                           "Redis Cluster redirects followed, by kind (moved, ask)", 1, "kind");
}

static metric_t *refreshes_metric(void)
{
    return metrics_counter("redis_cluster_map_refreshes_total",
                           "Redis Cluster slot map loads, by result", 1, "result");
}

redis_node_t *redis_cluster_node(redis_client_t *r, const char *host, int port)
{
    for (size_t i = 0; i < r->node_count; i++)
        if (r->nodes[i]->port == port && strcmp(r->nodes[i]->host, host) == 0)
            return r->nodes[i];
    if (r->node_count == REDIS_SLOT_UNKNOWN)
        return NULL; /* indexes must fit the map's uint16_t */
    if (r->node_count == r->node_capacity) {
        size_t cap = r->node_capacity ? 2 * r->node_capacity : 4;
        redis_node_t **grown = realloc(r->nodes, cap * sizeof *grown);
        if (!grown)
            return NULL;
        r->nodes = grown;
        r->node_capacity = cap;
    }
    redis_node_t *n = calloc(1, sizeof *n);
    if (!n || !(n->host = strdup(host))) {
        free(n);
        return NULL;
    }
    n->port = port;
    r->nodes[r->node_count++] = n;
    return n;
}

static size_t node_index(const redis_client_t *r, const redis_node_t *n)
{
    size_t i = 0;
    while (i < r->node_count && r->nodes[i] != n)
        i++;
    return i;
}

/* "host:port" (IPv6 as "[::1]:port") into host and *port; 0 or -1. */
static int split_host_port(const char *text, size_t len, char *host, int *port)
{
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (text[i] == ':')
            colon = text + i;
    if (!colon || colon == text || (size_t)(colon - text) >= HOST_MAX)
        return -1;
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char digits[8];
    size_t dlen = len - (size_t)(colon + 1 - text);
    if (dlen == 0 || dlen >= sizeof digits)
        return -1;
    memcpy(digits, colon + 1, dlen);
    digits[dlen] = '\0';
    char *end;
    long p = strtol(digits, &end, 10);
    if (*end || p < 1 || p > 65535 || hlen == 0)
        return -1;
    *port = (int)p;
    return 0;
}

int redis_cluster_add_seeds(redis_client_t *r, const char *list, char *err, size_t err_size)
{
    r->slot_node = malloc(REDIS_CLUSTER_SLOTS * sizeof *r->slot_node);
    if (!r->slot_node) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (int i = 0; i < REDIS_CLUSTER_SLOTS; i++)
        r->slot_node[i] = REDIS_SLOT_UNKNOWN;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        char host[HOST_MAX];
        int port;
        if (split_host_port(p, len, host, &port) != 0) {
            snprintf(err, err_size, "redis-cluster URL: seed '%.*s' is not host:port", (int)len, p);
            return -1;
        }
        if (!redis_cluster_node(r, host, port)) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    if (r->node_count == 0) {
        snprintf(err, err_size, "redis-cluster URL: no seed node (host:port,host:port...)");
        return -1;
    }
    r->refresh_due = true;
    return 0;
}

/* Fills map from a CLUSTER SLOTS reply given by `from`; 0, or -1 when the
 * reply is not one. Each entry: start, end, master [ip, port, id], replicas. */
static int load_slots(redis_client_t *r, const redis_node_t *from, const redisReply *reply,
                      uint16_t *map)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0)
        return -1;
    for (int i = 0; i < REDIS_CLUSTER_SLOTS; i++)
        map[i] = REDIS_SLOT_UNKNOWN;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
            e->element[0]->type != REDIS_REPLY_INTEGER ||
            e->element[1]->type != REDIS_REPLY_INTEGER ||
            e->element[2]->type != REDIS_REPLY_ARRAY || e->element[2]->elements < 2)
            return -1;
        long long start = e->element[0]->integer, end = e->element[1]->integer;
        const redisReply *ip = e->element[2]->element[0], *port = e->element[2]->element[1];
        if (start < 0 || end >= REDIS_CLUSTER_SLOTS || start > end ||
            ip->type != REDIS_REPLY_STRING || port->type != REDIS_REPLY_INTEGER)
            return -1;
        /* An empty address means "the one you reached me at". */
        char host[HOST_MAX];
        snprintf(host, sizeof host, "%s", ip->len > 0 ? ip->str : from->host);
        redis_node_t *n = redis_cluster_node(r, host, (int)port->integer);
        if (!n)
            return -1;
        uint16_t index = (uint16_t)node_index(r, n);
        for (long long s = start; s <= end; s++)
            map[s] = index;
    }
    return 0;
}

int redis_cluster_refresh(redis_client_t *r)
{
    uint16_t *map = malloc(REDIS_CLUSTER_SLOTS * sizeof *map);
    if (!map)
        return -1;
    const char *argv[] = {"CLUSTER", "SLOTS"};
    int rc = -1;
    /* Nodes learnt from this very reply are appended: don't ask them now. */
    size_t known = r->node_count;
    for (size_t i = 0; i < known && rc != 0; i++) {
        redis_node_t *n = r->nodes[i];
        if (redis_node_connect(r, n) != 0)
            continue;
        redisReply *reply = redis_node_run(r, n, 2, argv, NULL, false);
        if (reply && load_slots(r, n, reply, map) == 0)
            rc = 0;
        else if (reply)
            snprintf(r->error, sizeof r->error, "redis %s:%d: no usable CLUSTER SLOTS reply (%s)",
                     n->host, n->port, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        if (reply)
            freeReplyObject(reply);
    }
    if (rc == 0) {
        memcpy(r->slot_node, map, REDIS_CLUSTER_SLOTS * sizeof *map);
        r->refresh_due = false;
        r->stats.refreshes++;
    }
    free(map);
    metrics_counter_inc(refreshes_metric(), rc == 0 ? "ok" : "error");
    return rc;
}

redis_node_t *redis_cluster_route(redis_client_t *r, int slot)
{
    if (r->refresh_due)
        redis_cluster_refresh(r); /* on failure the old map is better than none */
    if (slot >= 0 && slot < REDIS_CLUSTER_SLOTS && r->slot_node[slot] != REDIS_SLOT_UNKNOWN)
        return r->nodes[r->slot_node[slot]];
    /* Unknown owner or a keyless command: any node (a connected one first);
     * a wrong guess costs one MOVED. */
    for (size_t i = 0; i < r->node_count; i++)
        if (r->nodes[i]->ctx)
            return r->nodes[i];
    return r->node_count ? r->nodes[0] : NULL;
}

redis_redirect_t redis_cluster_redirect(redis_client_t *r, const redisReply *reply,
                                        redis_node_t **target)
{
    if (reply->type != REDIS_REPLY_ERROR || !reply->str)
        return REDIS_REDIRECT_NONE;
    redis_redirect_t kind = strncmp(reply->str, "MOVED ", 6) == 0 ? REDIS_REDIRECT_MOVED
                            : strncmp(reply->str, "ASK ", 4) == 0 ? REDIS_REDIRECT_ASK
                                                                  : REDIS_REDIRECT_NONE;
    if (kind == REDIS_REDIRECT_NONE)
        return kind;
    /* "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381" */
    const char *p = strchr(reply->str, ' ') + 1;
    char *end;
    long slot = strtol(p, &end, 10);
    char host[HOST_MAX];
    int port;
    if (end == p || *end != ' ' || slot < 0 || slot >= REDIS_CLUSTER_SLOTS ||
        split_host_port(end + 1, strlen(end + 1), host, &port) != 0)
        return REDIS_REDIRECT_NONE;
    redis_node_t *n = redis_cluster_node(r, host, port);
    if (!n)
        return REDIS_REDIRECT_NONE;
    *target = n;
    if (kind == REDIS_REDIRECT_MOVED) {
        r->slot_node[slot] = (uint16_t)node_index(r, n);
        r->refresh_due = true; /* a moved slot rarely moves alone */
        r->stats.moved++;
    } else {
        r->stats.ask++;
    }
    metrics_counter_inc(redirects_metric(), kind == REDIS_REDIRECT_MOVED ? "moved" : "ask");
    return kind;
}

int redis_cluster_keys_slot(redis_client_t *r, const char *const *keys, size_t n)
{
    if (n == 0)
        return -1;
    unsigned slot = redis_key_slot(keys[0], strlen(keys[0]));
    for (size_t i = 1; i < n; i++) {
        if (redis_key_slot(keys[i], strlen(keys[i])) != slot) {
            snprintf(r->error, sizeof r->error,
                     "redis: keys '%s' and '%s' are in different cluster slots (give them one "
                     "{hash tag})",
                     keys[0], keys[i]);
            return -2;
        }
    }
    return (int)slot;
}
