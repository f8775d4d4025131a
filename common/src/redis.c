/*
 * redis.c — hiredis connections with reconnect, typed commands, Lua and a pool
 * (see redis.h). A client talks to its nodes (one standalone, one per master
 * in a cluster) through command(), which routes by key slot and follows the
 * cluster's redirects; the slot map itself lives in redis_cluster.c.
 */
#include "common/redis.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/metrics.h"
#include "common/redis_slot.h"
#include "redis_internal.h"

#define REDIS_DEFAULT_PORT 6379
#define MAX_ARGS 512
#define CLUSTER_SCHEME "redis-cluster://"
/* Redirects one command may follow: a slot moves at most once or twice
 * while a client looks; more means the map is churning. */
#define MAX_REDIRECTS 5
/* TRYAGAIN: a multi-key command met a slot whose keys are half migrated;
 * the migration of one hotel's few keys takes milliseconds. */
#define TRYAGAIN_ATTEMPTS 20
#define TRYAGAIN_PAUSE_MS 25

static metric_t *commands_metric(void)
{
    return metrics_counter("redis_commands_total", "Redis commands by command and result", 2, "cmd",
                           "result");
}

static struct timeval to_timeval(int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return tv;
}

/* ---------------------------------------------------------------- nodes -- */

void redis_node_disconnect(redis_node_t *n)
{
    if (n->ctx)
        redisFree(n->ctx);
    n->ctx = NULL;
}

/* Reads one pipelined reply; NULL after an I/O error (connection closed). */
static redisReply *read_reply(redis_client_t *r, redis_node_t *n)
{
    redisReply *reply = NULL;
    if (redisGetReply(n->ctx, (void **)&reply) != REDIS_OK || !reply) {
        snprintf(r->error, sizeof r->error, "redis %s:%d: %s", n->host, n->port,
                 n->ctx->errstr[0] ? n->ctx->errstr : "I/O error");
        if (reply)
            freeReplyObject(reply);
        redis_node_disconnect(n);
        return NULL;
    }
    return reply;
}

redisReply *redis_node_run(redis_client_t *r, redis_node_t *n, int argc, const char **argv,
                           const size_t *lens, bool asking)
{
    if (asking) {
        /* ASKING holds for the next command only: both go in one write. */
        const char *ask_argv[] = {"ASKING"};
        redisAppendCommandArgv(n->ctx, 1, ask_argv, NULL);
        redisAppendCommandArgv(n->ctx, argc, argv, lens);
        redisReply *ok = read_reply(r, n);
        if (!ok)
            return NULL;
        freeReplyObject(ok);
        return read_reply(r, n);
    }
    redisReply *reply = redisCommandArgv(n->ctx, argc, argv, lens);
    if (!reply) {
        snprintf(r->error, sizeof r->error, "redis %s:%d: %s", n->host, n->port,
                 n->ctx->errstr[0] ? n->ctx->errstr : "I/O error");
        redis_node_disconnect(n);
    }
    return reply;
}

/* Runs a handshake command; 0, or -1 with the connection closed. */
static int handshake_step(redis_client_t *r, redis_node_t *n, int argc, const char **argv,
                          const char *what)
{
    redisReply *rep = redis_node_run(r, n, argc, argv, NULL, false);
    bool ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (rep)
        freeReplyObject(rep);
    if (!ok) {
        snprintf(r->error, sizeof r->error, "redis %s:%d: %s failed", n->host, n->port, what);
        redis_node_disconnect(n);
        return -1;
    }
    return 0;
}

int redis_node_connect(redis_client_t *r, redis_node_t *n)
{
    if (n->ctx)
        return 0;
    redisContext *ctx =
        redisConnectWithTimeout(n->host, n->port, to_timeval(r->connect_timeout_ms));
    if (!ctx || ctx->err) {
        snprintf(r->error, sizeof r->error, "redis: cannot connect to %s:%d: %s", n->host, n->port,
                 ctx ? ctx->errstr : "out of memory");
        if (ctx)
            redisFree(ctx);
        return -1;
    }
    redisSetTimeout(ctx, to_timeval(r->command_timeout_ms));
    n->ctx = ctx;
    if (r->password) {
        const char *argv[] = {"AUTH", r->password};
        if (handshake_step(r, n, 2, argv, "authentication") != 0)
            return -1;
    }
    if (r->db > 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->db);
        const char *argv[] = {"SELECT", db};
        if (handshake_step(r, n, 2, argv, "SELECT") != 0)
            return -1;
    }
    return 0;
}

/* -------------------------------------------------------------- routing -- */

/* Commands that name no key: in a cluster any node answers them. */
static bool keyless_command(const char *name)
{
    static const char *const KEYLESS[] = {"PING",     "INFO",    "TIME",   "ECHO",    "DBSIZE",
                                          "CONFIG",   "CLUSTER", "SCRIPT", "CLIENT",  "FLUSHDB",
                                          "FLUSHALL", "COMMAND", "MEMORY", "LASTSAVE"};
    for (size_t i = 0; i < sizeof KEYLESS / sizeof *KEYLESS; i++)
        if (strcasecmp(name, KEYLESS[i]) == 0)
            return true;
    return false;
}

/* The slot a generic command is routed by: its first key (EVAL's first KEYS
 * entry), -1 when it has none. */
static int argv_slot(int argc, const char **argv)
{
    if (argc < 2 || keyless_command(argv[0]))
        return -1;
    int key = 1;
    if (strcasecmp(argv[0], "EVAL") == 0 || strcasecmp(argv[0], "EVALSHA") == 0)
        key = argc > 3 && atoi(argv[2]) > 0 ? 3 : -1;
    return key < 0 ? -1 : (int)redis_key_slot(argv[key], strlen(argv[key]));
}

static bool reply_error_is(const redisReply *reply, const char *prefix)
{
    return reply->type == REDIS_REPLY_ERROR && reply->str &&
           strncmp(reply->str, prefix, strlen(prefix)) == 0;
}

/* Runs a command on the node that owns `slot` (standalone: the server);
 * reconnects first if needed and, for idempotent commands, retries once on a
 * fresh connection after an I/O error. In a cluster it follows MOVED/ASK,
 * waits out TRYAGAIN, and schedules a map reload after an I/O error. */
static redis_client_err_t command(redis_client_t *r, bool idempotent, int slot, int argc,
                                  const char **argv, const size_t *lens, redisReply **out)
{
    *out = NULL;
    int attempts = 0, redirects = 0, tryagain = 0;
    bool asking = false, rerouted = false;
    redis_node_t *node = NULL; /* set by a redirect; else routed by slot */
    while (attempts < (idempotent ? 2 : 1)) {
        if (!node)
            node = r->cluster ? redis_cluster_route(r, slot) : r->nodes[0];
        bool was_connected = node && node->ctx != NULL;
        if (!node || redis_node_connect(r, node) != 0) {
            r->refresh_due = r->cluster;
            if (r->cluster && !rerouted) {
                /* Nothing was sent: after a map reload (a replica may have
                 * taken over) any command may go once more. */
                rerouted = true;
                node = NULL;
                continue;
            }
            metrics_counter_inc(commands_metric(), argv[0], "connect_error");
            return REDIS_CLIENT_ERR_CONNECT;
        }
        redisReply *reply = redis_node_run(r, node, argc, argv, lens, asking);
        asking = false;
        if (!reply) {
            attempts++;
            r->refresh_due = r->cluster; /* the node may have failed over */
            node = NULL;
            if (!was_connected)
                break; /* a brand-new connection failed: don't hammer */
            continue;
        }
        if (r->cluster && reply->type == REDIS_REPLY_ERROR) {
            redis_redirect_t kind = REDIS_REDIRECT_NONE;
            if (redirects < MAX_REDIRECTS &&
                (kind = redis_cluster_redirect(r, reply, &node)) != REDIS_REDIRECT_NONE) {
                redirects++;
                asking = kind == REDIS_REDIRECT_ASK;
                freeReplyObject(reply);
                continue;
            }
            if (reply_error_is(reply, "TRYAGAIN") && tryagain++ < TRYAGAIN_ATTEMPTS) {
                freeReplyObject(reply);
                node = NULL; /* back to the owner, which redirects again */
                redirects = 0;
                clock_source_system()->sleep_ms(NULL, TRYAGAIN_PAUSE_MS);
                continue;
            }
            if (reply_error_is(reply, "CLUSTERDOWN"))
                r->refresh_due = true;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
            snprintf(r->error, sizeof r->error, "redis: %s", reply->str);
            metrics_counter_inc(commands_metric(), argv[0], "reply_error");
            *out = reply;
            return REDIS_CLIENT_ERR_REPLY;
        }
        metrics_counter_inc(commands_metric(), argv[0], "ok");
        *out = reply;
        return REDIS_CLIENT_OK;
    }
    metrics_counter_inc(commands_metric(), argv[0], "io_error");
    return REDIS_CLIENT_ERR_IO;
}

/* The slot a call on n keys is routed by: -1 (any) in standalone mode. On
 * keys spanning slots in a cluster: REDIS_CLIENT_ERR_INVALID in *rc. */
static int keys_slot(redis_client_t *r, const char *const *keys, size_t n, redis_client_err_t *rc)
{
    *rc = REDIS_CLIENT_OK;
    if (!r->cluster)
        return -1;
    int slot = redis_cluster_keys_slot(r, keys, n);
    if (slot == -2)
        *rc = REDIS_CLIENT_ERR_INVALID;
    return slot;
}

/* The slot one key is routed by (-1: standalone, no routing). */
static int key_slot(const redis_client_t *r, const char *key)
{
    return r->cluster ? (int)redis_key_slot(key, strlen(key)) : -1;
}

/* --------------------------------------------------------------- client -- */

static redis_node_t *node_new(const char *host, int port)
{
    redis_node_t *n = calloc(1, sizeof *n);
    if (n && !(n->host = strdup(host))) {
        free(n);
        return NULL;
    }
    if (n)
        n->port = port;
    return n;
}

static void node_free(redis_node_t *n)
{
    if (!n)
        return;
    redis_node_disconnect(n);
    free(n->host);
    free(n);
}

/* redis-cluster://[:password@]host:port,...: the password, then the seeds. */
static int parse_cluster_url(redis_client_t *r, const char *url, char *err, size_t err_size)
{
    const char *rest = url + strlen(CLUSTER_SCHEME);
    const char *at = strrchr(rest, '@');
    if (at) {
        /* The userinfo goes through the one URL parser we have. */
        char probe[512];
        config_url_t u;
        int len = snprintf(probe, sizeof probe, "redis://%.*s@seed", (int)(at - rest), rest);
        if (len < 0 || (size_t)len >= sizeof probe ||
            config_url_parse(probe, &u, err, err_size) != 0) {
            if (len >= 0 && (size_t)len >= sizeof probe)
                snprintf(err, err_size, "redis-cluster URL: credentials too long");
            return -1;
        }
        r->password = u.password;
        u.password = NULL;
        config_url_clear(&u);
        rest = at + 1;
    }
    if (strchr(rest, '/')) {
        snprintf(err, err_size, "redis-cluster URL: a cluster has no database number");
        return -1;
    }
    return redis_cluster_add_seeds(r, rest, err, err_size);
}

static int parse_standalone_url(redis_client_t *r, const char *url, char *err, size_t err_size)
{
    config_url_t u;
    if (strncasecmp(url, "redis://", 8) != 0) {
        snprintf(err, err_size, "only redis:// and redis-cluster:// URLs are supported");
        return -1;
    }
    if (config_url_parse(url, &u, err, err_size) != 0)
        return -1;
    r->password = u.password;
    u.password = NULL;
    r->db = u.path ? atoi(u.path) : 0;
    r->nodes = calloc(1, sizeof *r->nodes);
    if (r->nodes && (r->nodes[0] = node_new(u.host, u.port ? u.port : REDIS_DEFAULT_PORT)))
        r->node_count = r->node_capacity = 1;
    config_url_clear(&u);
    if (r->node_count == 1)
        return 0;
    snprintf(err, err_size, "out of memory");
    return -1;
}

/* A client for url with nothing connected yet; NULL with a reason in err. */
static redis_client_t *client_parse(const char *url, int connect_timeout_ms, int command_timeout_ms,
                                    char *err, size_t err_size)
{
    redis_client_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    r->connect_timeout_ms =
        connect_timeout_ms > 0 ? connect_timeout_ms : REDIS_DEFAULT_CONNECT_TIMEOUT_MS;
    r->command_timeout_ms =
        command_timeout_ms > 0 ? command_timeout_ms : REDIS_DEFAULT_COMMAND_TIMEOUT_MS;
    r->cluster = url && strncasecmp(url, CLUSTER_SCHEME, strlen(CLUSTER_SCHEME)) == 0;
    int rc = r->cluster ? parse_cluster_url(r, url, err, err_size)
                        : parse_standalone_url(r, url ? url : "", err, err_size);
    if (rc != 0) {
        redis_client_free(r);
        return NULL;
    }
    return r;
}

int redis_url_check(const char *url, char *err, size_t err_size)
{
    redis_client_t *r = client_parse(url, 0, 0, err, err_size);
    redis_client_free(r);
    return r ? 0 : -1;
}

redis_client_t *redis_client_new(const char *url, int connect_timeout_ms, int command_timeout_ms,
                                 char *err, size_t err_size)
{
    redis_client_t *r = client_parse(url, connect_timeout_ms, command_timeout_ms, err, err_size);
    /* Failure is fine: calls reconnect (and, in a cluster, load the map). */
    if (r && r->cluster)
        redis_cluster_refresh(r);
    else if (r)
        redis_node_connect(r, r->nodes[0]);
    return r;
}

void redis_client_free(redis_client_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->node_count; i++)
        node_free(r->nodes[i]);
    free(r->nodes);
    free(r->slot_node);
    for (int i = 0; i < REDIS_SCRIPT_CACHE_SIZE; i++)
        free(r->scripts[i].body);
    if (r->password)
        crypto_wipe(r->password, strlen(r->password));
    free(r->password);
    free(r);
}

const char *redis_client_error(const redis_client_t *r)
{
    return r->error;
}

int redis_client_is_cluster(const redis_client_t *r)
{
    return r->cluster;
}

void redis_client_cluster_stats(const redis_client_t *r, redis_cluster_stats_t *out)
{
    *out = r->stats;
}

/* ------------------------------------------------------------- commands -- */

static redis_client_err_t expect(redis_client_t *r, redisReply *reply, int type)
{
    if (reply->type != type) {
        snprintf(r->error, sizeof r->error, "redis: unexpected reply type %d", reply->type);
        return REDIS_CLIENT_ERR_INVALID;
    }
    return REDIS_CLIENT_OK;
}

static char *dup_reply_string(const redisReply *reply)
{
    if (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)
        return NULL;
    char *s = malloc(reply->len + 1);
    if (s) {
        memcpy(s, reply->str, reply->len);
        s[reply->len] = '\0';
    }
    return s;
}

redis_client_err_t redis_ping(redis_client_t *r)
{
    const char *argv[] = {"PING"};
    redisReply *reply;
    redis_client_err_t rc = command(r, true, -1, 1, argv, NULL, &reply);
    if (reply)
        freeReplyObject(reply);
    return rc;
}

redis_client_err_t redis_get(redis_client_t *r, const char *key, char **out)
{
    const char *argv[] = {"GET", key};
    redisReply *reply;
    *out = NULL;
    redis_client_err_t rc = command(r, true, key_slot(r, key), 2, argv, NULL, &reply);
    if (rc == REDIS_CLIENT_OK && reply->type == REDIS_REPLY_STRING)
        *out = dup_reply_string(reply);
    else if (rc == REDIS_CLIENT_OK && reply->type != REDIS_REPLY_NIL)
        rc = expect(r, reply, REDIS_REPLY_STRING);
    if (reply)
        freeReplyObject(reply);
    return rc;
}

redis_client_err_t redis_mget(redis_client_t *r, const char *const *keys, size_t n, char **values)
{
    if (n == 0)
        return REDIS_CLIENT_OK;
    if (n + 1 > MAX_ARGS)
        return REDIS_CLIENT_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    redis_client_err_t rc;
    int slot = keys_slot(r, keys, n, &rc);
    if (rc != REDIS_CLIENT_OK)
        return rc;
    const char *argv[MAX_ARGS];
    argv[0] = "MGET";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = keys[i];
    redisReply *reply;
    rc = command(r, true, slot, (int)n + 1, argv, NULL, &reply);
    if (rc == REDIS_CLIENT_OK && (rc = expect(r, reply, REDIS_REPLY_ARRAY)) == REDIS_CLIENT_OK) {
        for (size_t i = 0; i < n && i < reply->elements; i++)
            values[i] = dup_reply_string(reply->element[i]);
    }
    if (reply)
        freeReplyObject(reply);
    return rc;
}

redis_client_err_t redis_smembers(redis_client_t *r, const char *key, char ***members, size_t *n)
{
    const char *argv[] = {"SMEMBERS", key};
    redisReply *reply;
    *members = NULL;
    *n = 0;
    redis_client_err_t rc = command(r, true, key_slot(r, key), 2, argv, NULL, &reply);
    if (rc == REDIS_CLIENT_OK && (rc = expect(r, reply, REDIS_REPLY_ARRAY)) == REDIS_CLIENT_OK &&
        reply->elements > 0) {
        *members = calloc(reply->elements, sizeof **members);
        if (!*members) {
            rc = REDIS_CLIENT_ERR_INVALID;
        } else {
            for (size_t i = 0; i < reply->elements; i++)
                if (((*members)[*n] = dup_reply_string(reply->element[i])) != NULL)
                    (*n)++;
        }
    }
    if (reply)
        freeReplyObject(reply);
    return rc;
}

void redis_values_free(char **values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(values[i]);
        values[i] = NULL;
    }
}

redis_client_err_t redis_set_ex(redis_client_t *r, const char *key, const char *value, int ttl_s)
{
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *argv[] = {"SET", key, value, "EX", ttl};
    redisReply *reply;
    redis_client_err_t rc = command(r, true, key_slot(r, key), 5, argv, NULL, &reply);
    if (reply)
        freeReplyObject(reply);
    return rc;
}

/* Writes the n SET EX commands to one node at once (each after ASKING when
 * `asking`) and reads every reply. The first MOVED/ASK among them is learnt
 * and returned in *redirect / *target for the caller to resend the batch. */
static redis_client_err_t set_ex_pipeline(redis_client_t *r, redis_node_t *node,
                                          const char *const *keys, const char *const *values,
                                          size_t n, const char *ttl, bool asking,
                                          redis_redirect_t *redirect, redis_node_t **target)
{
    const char *ask_argv[] = {"ASKING"};
    for (size_t i = 0; i < n; i++) {
        const char *argv[] = {"SET", keys[i], values[i], "EX", ttl};
        if (asking)
            redisAppendCommandArgv(node->ctx, 1, ask_argv, NULL);
        redisAppendCommandArgv(node->ctx, 5, argv, NULL);
    }
    redis_client_err_t rc = REDIS_CLIENT_OK;
    *redirect = REDIS_REDIRECT_NONE;
    for (size_t i = 0; i < (asking ? 2 * n : n); i++) {
        redisReply *reply = read_reply(r, node);
        if (!reply)
            return REDIS_CLIENT_ERR_IO; /* the connection is closed: the rest is lost */
        if (reply->type == REDIS_REPLY_ERROR) {
            if (!(r->cluster && *redirect == REDIS_REDIRECT_NONE &&
                  (*redirect = redis_cluster_redirect(r, reply, target)) != REDIS_REDIRECT_NONE) &&
                rc == REDIS_CLIENT_OK) {
                snprintf(r->error, sizeof r->error, "redis: %s", reply->str);
                rc = REDIS_CLIENT_ERR_REPLY;
            }
        }
        freeReplyObject(reply);
    }
    return rc;
}

redis_client_err_t redis_set_ex_many(redis_client_t *r, const char *const *keys,
                                     const char *const *values, size_t n, int ttl_s)
{
    redis_client_err_t rc;
    int slot = keys_slot(r, keys, n, &rc);
    if (rc != REDIS_CLIENT_OK || n == 0)
        return rc;
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    int attempts = 0, redirects = 0;
    bool asking = false;
    redis_node_t *node = NULL; /* set by a redirect; else routed by slot */
    while (attempts < 2) {     /* SET EX is idempotent: an I/O error is retried once */
        if (!node)
            node = r->cluster ? redis_cluster_route(r, slot) : r->nodes[0];
        bool was_connected = node && node->ctx != NULL;
        if (!node || redis_node_connect(r, node) != 0) {
            r->refresh_due = r->cluster;
            metrics_counter_inc(commands_metric(), "SET", "connect_error");
            return REDIS_CLIENT_ERR_CONNECT;
        }
        redis_redirect_t redirect;
        redis_node_t *target = NULL;
        rc = set_ex_pipeline(r, node, keys, values, n, ttl, asking, &redirect, &target);
        asking = false;
        if (rc == REDIS_CLIENT_ERR_IO) {
            attempts++;
            r->refresh_due = r->cluster;
            node = NULL;
            if (!was_connected)
                break;
            continue;
        }
        if (redirect != REDIS_REDIRECT_NONE && redirects++ < MAX_REDIRECTS) {
            node = target; /* the whole batch again: the keys share the slot */
            asking = redirect == REDIS_REDIRECT_ASK;
            continue;
        }
        if (redirect != REDIS_REDIRECT_NONE && rc == REDIS_CLIENT_OK) {
            snprintf(r->error, sizeof r->error, "redis: too many cluster redirects");
            rc = REDIS_CLIENT_ERR_REPLY;
        }
        metrics_counter_inc(commands_metric(), "SET", rc == REDIS_CLIENT_OK ? "ok" : "error");
        return rc;
    }
    metrics_counter_inc(commands_metric(), "SET", "io_error");
    return REDIS_CLIENT_ERR_IO;
}

redis_client_err_t redis_set_nx_ex(redis_client_t *r, const char *key, const char *value, int ttl_s,
                                   int *was_set)
{
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *argv[] = {"SET", key, value, "NX", "EX", ttl};
    redisReply *reply;
    *was_set = 0;
    redis_client_err_t rc = command(r, false, key_slot(r, key), 6, argv, NULL, &reply);
    if (rc == REDIS_CLIENT_OK)
        *was_set = reply->type == REDIS_REPLY_STATUS;
    if (reply)
        freeReplyObject(reply);
    return rc;
}

/* Runs a command whose reply is an integer. */
static redis_client_err_t integer_command(redis_client_t *r, bool idempotent, int slot, int argc,
                                          const char **argv, long long *out)
{
    redisReply *reply;
    redis_client_err_t rc = command(r, idempotent, slot, argc, argv, NULL, &reply);
    if (rc == REDIS_CLIENT_OK && (rc = expect(r, reply, REDIS_REPLY_INTEGER)) == REDIS_CLIENT_OK &&
        out)
        *out = reply->integer;
    if (reply)
        freeReplyObject(reply);
    return rc;
}

redis_client_err_t redis_del(redis_client_t *r, const char *const *keys, size_t n,
                             long long *deleted)
{
    if (n == 0 || n + 1 > MAX_ARGS)
        return n == 0 ? REDIS_CLIENT_OK : REDIS_CLIENT_ERR_INVALID;
    redis_client_err_t rc;
    int slot = keys_slot(r, keys, n, &rc);
    if (rc != REDIS_CLIENT_OK)
        return rc;
    const char *argv[MAX_ARGS];
    argv[0] = "DEL";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = keys[i];
    return integer_command(r, true, slot, (int)n + 1, argv, deleted);
}

redis_client_err_t redis_ttl(redis_client_t *r, const char *key, long long *ttl_s)
{
    const char *argv[] = {"TTL", key};
    return integer_command(r, true, key_slot(r, key), 2, argv, ttl_s);
}

redis_client_err_t redis_incrby(redis_client_t *r, const char *key, long long delta,
                                long long *result)
{
    char d[32];
    snprintf(d, sizeof d, "%lld", delta);
    const char *argv[] = {"INCRBY", key, d};
    return integer_command(r, false, key_slot(r, key), 3, argv, result);
}

/* ------------------------------------------------------------------ Lua -- */

/* Hands an integer or string reply to the caller's outs, then frees it. */
static void reduce_reply(redis_client_err_t rc, redisReply *reply, long long *int_out,
                         char **str_out)
{
    if (str_out)
        *str_out = NULL;
    if (rc == REDIS_CLIENT_OK) {
        if (reply->type == REDIS_REPLY_INTEGER && int_out)
            *int_out = reply->integer;
        else if ((reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS) &&
                 str_out)
            *str_out = dup_reply_string(reply);
    }
    if (reply)
        freeReplyObject(reply);
}

static const char *script_sha(redis_client_t *r, const char *script)
{
    int free_slot = -1;
    for (int i = 0; i < REDIS_SCRIPT_CACHE_SIZE; i++) {
        if (r->scripts[i].body && strcmp(r->scripts[i].body, script) == 0)
            return r->scripts[i].sha;
        if (!r->scripts[i].body && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0)
        return NULL; /* cache full: plain EVAL */
    unsigned char md[20];
    unsigned int len = 0;
    cached_script_t *s = &r->scripts[free_slot];
    if (!EVP_Digest(script, strlen(script), md, &len, EVP_sha1(), NULL) ||
        !(s->body = strdup(script)))
        return NULL;
    for (int i = 0; i < 20; i++)
        snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
    return s->sha;
}

redis_client_err_t redis_eval(redis_client_t *r, const char *script, const char *const *keys,
                              size_t nkeys, const char *const *args, size_t nargs,
                              long long *int_out, char **str_out)
{
    redis_client_err_t rc;
    int slot = keys_slot(r, keys, nkeys, &rc);
    if (rc != REDIS_CLIENT_OK)
        return rc;
    /* a script over a long stay's nights takes several keys per night:
     * beyond the stack's array the argument list is allocated */
    const char *stack_argv[MAX_ARGS];
    const char **argv =
        3 + nkeys + nargs <= MAX_ARGS ? stack_argv : malloc((3 + nkeys + nargs) * sizeof *argv);
    if (!argv)
        return REDIS_CLIENT_ERR_INVALID;
    char numkeys[16];
    snprintf(numkeys, sizeof numkeys, "%zu", nkeys);
    const char *sha = script_sha(r, script);
    argv[0] = sha ? "EVALSHA" : "EVAL";
    argv[1] = sha ? sha : script;
    argv[2] = numkeys;
    for (size_t i = 0; i < nkeys; i++)
        argv[3 + i] = keys[i];
    for (size_t i = 0; i < nargs; i++)
        argv[3 + nkeys + i] = args[i];
    int argc = (int)(3 + nkeys + nargs);
    redisReply *reply;
    rc = command(r, false, slot, argc, argv, NULL, &reply);
    if (rc == REDIS_CLIENT_ERR_REPLY && sha && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(reply);
        argv[0] = "EVAL";
        argv[1] = script;
        rc = command(r, false, slot, argc, argv, NULL, &reply);
    }
    reduce_reply(rc, reply, int_out, str_out);
    if (argv != stack_argv)
        free(argv);
    return rc;
}

redis_client_err_t redis_command_argv(redis_client_t *r, int argc, const char **argv,
                                      long long *int_out, char **str_out)
{
    if (argc < 1)
        return REDIS_CLIENT_ERR_INVALID;
    redisReply *reply;
    redis_client_err_t rc =
        command(r, false, r->cluster ? argv_slot(argc, argv) : -1, argc, argv, NULL, &reply);
    reduce_reply(rc, reply, int_out, str_out);
    return rc;
}

/* ----------------------------------------------------------------- pool -- */

struct redis_pool {
    pthread_mutex_t lock; /* guards free_list, free_count */
    pthread_cond_t available;
    redis_client_t **all;
    redis_client_t **free_list;
    size_t size;
    size_t free_count;
};

redis_pool_t *redis_pool_new(const char *url, size_t size, int connect_timeout_ms,
                             int command_timeout_ms, char *err, size_t err_size)
{
    redis_pool_t *p = calloc(1, sizeof *p);
    if (!p || size == 0)
        goto fail;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->available, NULL);
    p->all = calloc(size, sizeof *p->all);
    p->free_list = calloc(size, sizeof *p->free_list);
    if (!p->all || !p->free_list)
        goto fail;
    p->size = size;
    for (size_t i = 0; i < size; i++) {
        p->all[i] = redis_client_new(url, connect_timeout_ms, command_timeout_ms, err, err_size);
        if (!p->all[i])
            goto fail;
        p->free_list[p->free_count++] = p->all[i];
    }
    return p;
fail:
    redis_pool_free(p);
    return NULL;
}

void redis_pool_free(redis_pool_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->all && i < p->size; i++)
        redis_client_free(p->all[i]);
    free(p->all);
    free(p->free_list);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->available);
    free(p);
}

redis_client_t *redis_pool_acquire(redis_pool_t *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->free_count == 0)
        pthread_cond_wait(&p->available, &p->lock);
    redis_client_t *r = p->free_list[--p->free_count];
    pthread_mutex_unlock(&p->lock);
    return r;
}

void redis_pool_release(redis_pool_t *p, redis_client_t *r)
{
    pthread_mutex_lock(&p->lock);
    p->free_list[p->free_count++] = r;
    pthread_cond_signal(&p->available);
    pthread_mutex_unlock(&p->lock);
}
