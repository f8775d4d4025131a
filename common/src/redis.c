/*
 * redis.c — hiredis connection with reconnect, typed commands, Lua and a pool
 * (see redis.h).
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

#include "common/config.h"
#include "common/crypto.h"
#include "common/metrics.h"

#define REDIS_DEFAULT_PORT 6379
#define SCRIPT_CACHE_SIZE 16
#define MAX_ARGS 512

typedef struct cached_script {
    char *body;
    char sha[41];
} cached_script_t;

struct redis_client {
    char *host;
    int port;
    char *password;
    int db;
    int connect_timeout_ms;
    int command_timeout_ms;
    redisContext *ctx; /* NULL while disconnected */
    char error[256];
    cached_script_t scripts[SCRIPT_CACHE_SIZE]; /* SHA1 per script body, for EVALSHA */
};

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

static void disconnect(redis_client_t *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

/* Runs argv on the current context; no reconnect. */
static redisReply *run(redis_client_t *r, int argc, const char **argv, const size_t *lens)
{
    redisReply *reply = redisCommandArgv(r->ctx, argc, argv, lens);
    if (!reply) {
        snprintf(r->error, sizeof r->error, "redis: %s",
                 r->ctx->errstr[0] ? r->ctx->errstr : "I/O error");
        disconnect(r);
    }
    return reply;
}

/* AUTH and SELECT for a fresh connection. */
static int handshake(redis_client_t *r)
{
    char db[16];
    if (r->password) {
        const char *argv[] = {"AUTH", r->password};
        redisReply *rep = run(r, 2, argv, NULL);
        bool ok = rep && rep->type != REDIS_REPLY_ERROR;
        if (rep)
            freeReplyObject(rep);
        if (!ok) {
            snprintf(r->error, sizeof r->error, "redis: authentication failed");
            disconnect(r);
            return -1;
        }
    }
    if (r->db > 0) {
        snprintf(db, sizeof db, "%d", r->db);
        const char *argv[] = {"SELECT", db};
        redisReply *rep = run(r, 2, argv, NULL);
        bool ok = rep && rep->type != REDIS_REPLY_ERROR;
        if (rep)
            freeReplyObject(rep);
        if (!ok) {
            snprintf(r->error, sizeof r->error, "redis: SELECT %d failed", r->db);
            disconnect(r);
            return -1;
        }
    }
    return 0;
}

static int ensure_connected(redis_client_t *r)
{
    if (r->ctx)
        return 0;
    struct timeval ct = to_timeval(r->connect_timeout_ms);
    redisContext *ctx = redisConnectWithTimeout(r->host, r->port, ct);
    if (!ctx || ctx->err) {
        snprintf(r->error, sizeof r->error, "redis: cannot connect to %s:%d: %s", r->host, r->port,
                 ctx ? ctx->errstr : "out of memory");
        if (ctx)
            redisFree(ctx);
        return -1;
    }
    redisSetTimeout(ctx, to_timeval(r->command_timeout_ms));
    r->ctx = ctx;
    return handshake(r);
}

/* Runs a command; reconnects first if needed and, for idempotent commands,
 * retries once on a fresh connection after an I/O error. */
static redis_client_err_t command(redis_client_t *r, bool idempotent, int argc, const char **argv,
                                  const size_t *lens, redisReply **out)
{
    *out = NULL;
    for (int attempt = 0; attempt < (idempotent ? 2 : 1); attempt++) {
        bool was_connected = r->ctx != NULL;
        if (ensure_connected(r) != 0) {
            metrics_counter_inc(commands_metric(), argv[0], "connect_error");
            return REDIS_CLIENT_ERR_CONNECT;
        }
        redisReply *reply = run(r, argc, argv, lens);
        if (reply) {
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
        if (!was_connected)
            break; /* a brand-new connection failed: don't hammer */
    }
    metrics_counter_inc(commands_metric(), argv[0], "io_error");
    return REDIS_CLIENT_ERR_IO;
}

redis_client_t *redis_client_new(const char *url, int connect_timeout_ms, int command_timeout_ms,
                                 char *err, size_t err_size)
{
    config_url_t u;
    if (config_url_parse(url, &u, err, err_size) != 0)
        return NULL;
    if (strcasecmp(u.scheme, "redis") != 0) {
        snprintf(err, err_size, "only redis:// URLs are supported");
        config_url_clear(&u);
        return NULL;
    }
    redis_client_t *r = calloc(1, sizeof *r);
    if (!r) {
        config_url_clear(&u);
        return NULL;
    }
    r->host = u.host;
    u.host = NULL;
    r->password = u.password;
    u.password = NULL;
    r->port = u.port ? u.port : REDIS_DEFAULT_PORT;
    r->db = u.path ? atoi(u.path) : 0;
    config_url_clear(&u);
    r->connect_timeout_ms =
        connect_timeout_ms > 0 ? connect_timeout_ms : REDIS_DEFAULT_CONNECT_TIMEOUT_MS;
    r->command_timeout_ms =
        command_timeout_ms > 0 ? command_timeout_ms : REDIS_DEFAULT_COMMAND_TIMEOUT_MS;
    ensure_connected(r); /* failure is fine: calls reconnect */
    return r;
}

void redis_client_free(redis_client_t *r)
{
    if (!r)
        return;
    disconnect(r);
    for (int i = 0; i < SCRIPT_CACHE_SIZE; i++)
        free(r->scripts[i].body);
    if (r->password)
        crypto_wipe(r->password, strlen(r->password));
    free(r->password);
    free(r->host);
    free(r);
}

const char *redis_client_error(const redis_client_t *r)
{
    return r->error;
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
    redis_client_err_t rc = command(r, true, 1, argv, NULL, &reply);
    if (reply)
        freeReplyObject(reply);
    return rc;
}

redis_client_err_t redis_get(redis_client_t *r, const char *key, char **out)
{
    const char *argv[] = {"GET", key};
    redisReply *reply;
    *out = NULL;
    redis_client_err_t rc = command(r, true, 2, argv, NULL, &reply);
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
    const char *argv[MAX_ARGS];
    argv[0] = "MGET";
    for (size_t i = 0; i < n; i++) {
        argv[i + 1] = keys[i];
        values[i] = NULL;
    }
    redisReply *reply;
    redis_client_err_t rc = command(r, true, (int)n + 1, argv, NULL, &reply);
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
    redis_client_err_t rc = command(r, true, 2, argv, NULL, &reply);
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
    redis_client_err_t rc = command(r, true, 5, argv, NULL, &reply);
    if (reply)
        freeReplyObject(reply);
    return rc;
}

redis_client_err_t redis_set_ex_many(redis_client_t *r, const char *const *keys,
                                     const char *const *values, size_t n, int ttl_s)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (ensure_connected(r) != 0)
            return REDIS_CLIENT_ERR_CONNECT;
        char ttl[16];
        snprintf(ttl, sizeof ttl, "%d", ttl_s);
        for (size_t i = 0; i < n; i++) {
            const char *argv[] = {"SET", keys[i], values[i], "EX", ttl};
            redisAppendCommandArgv(r->ctx, 5, argv, NULL);
        }
        redis_client_err_t rc = REDIS_CLIENT_OK;
        for (size_t i = 0; i < n; i++) {
            redisReply *reply = NULL;
            if (redisGetReply(r->ctx, (void **)&reply) != REDIS_OK || !reply) {
                snprintf(r->error, sizeof r->error, "redis: %s", r->ctx->errstr);
                disconnect(r);
                rc = REDIS_CLIENT_ERR_IO;
                break;
            }
            if (reply->type == REDIS_REPLY_ERROR)
                rc = REDIS_CLIENT_ERR_REPLY;
            freeReplyObject(reply);
        }
        metrics_counter_inc(commands_metric(), "SET", rc == REDIS_CLIENT_OK ? "ok" : "error");
        if (rc != REDIS_CLIENT_ERR_IO)
            return rc; /* SET EX is idempotent: an I/O error is retried once */
    }
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
    redis_client_err_t rc = command(r, false, 6, argv, NULL, &reply);
    if (rc == REDIS_CLIENT_OK)
        *was_set = reply->type == REDIS_REPLY_STATUS;
    if (reply)
        freeReplyObject(reply);
    return rc;
}

/* Runs a command whose reply is an integer. */
static redis_client_err_t integer_command(redis_client_t *r, bool idempotent, int argc,
                                          const char **argv, long long *out)
{
    redisReply *reply;
    redis_client_err_t rc = command(r, idempotent, argc, argv, NULL, &reply);
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
    const char *argv[MAX_ARGS];
    argv[0] = "DEL";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = keys[i];
    return integer_command(r, true, (int)n + 1, argv, deleted);
}

redis_client_err_t redis_ttl(redis_client_t *r, const char *key, long long *ttl_s)
{
    const char *argv[] = {"TTL", key};
    return integer_command(r, true, 2, argv, ttl_s);
}

redis_client_err_t redis_incrby(redis_client_t *r, const char *key, long long delta,
                                long long *result)
{
    char d[32];
    snprintf(d, sizeof d, "%lld", delta);
    const char *argv[] = {"INCRBY", key, d};
    return integer_command(r, false, 3, argv, result);
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
    for (int i = 0; i < SCRIPT_CACHE_SIZE; i++) {
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
    if (3 + nkeys + nargs > MAX_ARGS)
        return REDIS_CLIENT_ERR_INVALID;
    const char *argv[MAX_ARGS];
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
    redis_client_err_t rc = command(r, false, argc, argv, NULL, &reply);
    if (rc == REDIS_CLIENT_ERR_REPLY && sha && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(reply);
        argv[0] = "EVAL";
        argv[1] = script;
        rc = command(r, false, argc, argv, NULL, &reply);
    }
    reduce_reply(rc, reply, int_out, str_out);
    return rc;
}

redis_client_err_t redis_command_argv(redis_client_t *r, int argc, const char **argv,
                                      long long *int_out, char **str_out)
{
    redisReply *reply;
    redis_client_err_t rc = command(r, false, argc, argv, NULL, &reply);
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
