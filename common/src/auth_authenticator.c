/*
 * auth_authenticator.c — turning request headers into a principal (see
 * auth.h): the service token in memory, API keys and (auth_session.c)
 * browser sessions in MariaDB through a small pool of our own.
 *
 * The pool is made on the first credential that needs it, so a service
 * whose callers never present one (webhook-ingest) never connects, and a
 * database that is down at start is retried on the next request instead of
 * failing the start. A store that cannot answer is AUTH_ERR_UNAVAILABLE, so
 * the server says 503 rather than pretending the caller is unknown.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/auth_store.h"
#include "common/log.h"
#include "auth_internal.h"

struct auth {
    char *mysql_url;
    char *service_token;
    size_t pool_size;
    int last_used_interval_s;
    int session_idle_s;
    int session_touch_interval_s;
    pthread_mutex_t lock; /* guards pool's creation */
    db_pool_t *pool;
};

auth_t *auth_new(const auth_config_t *cfg)
{
    auth_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    pthread_mutex_init(&a->lock, NULL);
    a->pool_size = cfg->pool_size ? cfg->pool_size : AUTH_DEFAULT_POOL_SIZE;
    a->last_used_interval_s = cfg->last_used_interval_s > 0 ? cfg->last_used_interval_s
                                                            : AUTH_DEFAULT_LAST_USED_INTERVAL_S;
    a->session_idle_s = cfg->session_idle_s > 0 ? cfg->session_idle_s : AUTH_DEFAULT_SESSION_IDLE_S;
    int touch = cfg->session_touch_interval_s > 0 ? cfg->session_touch_interval_s
                                                  : AUTH_DEFAULT_SESSION_TOUCH_INTERVAL_S;
    /* a session in use must never look idle: refresh it well within the idle time */
    a->session_touch_interval_s = touch < a->session_idle_s / 4 ? touch : a->session_idle_s / 4;
    if ((cfg->mysql_url && *cfg->mysql_url && !(a->mysql_url = strdup(cfg->mysql_url))) ||
        (cfg->service_token && *cfg->service_token &&
         !(a->service_token = strdup(cfg->service_token)))) {
        auth_free(a);
        return NULL;
    }
    return a;
}

void auth_free(auth_t *a)
{
    if (!a)
        return;
    db_pool_free(a->pool);
    if (a->service_token) {
        crypto_wipe(a->service_token, strlen(a->service_token));
        free(a->service_token);
    }
    free(a->mysql_url);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

bool auth_has_service_token(const auth_t *a)
{
    return a && a->service_token;
}

db_pool_t *auth_pool(auth_t *a)
{
    if (!a || !a->mysql_url)
        return NULL;
    pthread_mutex_lock(&a->lock);
    if (!a->pool) {
        char err[256];
        a->pool = db_pool_new(a->mysql_url, a->pool_size, err, sizeof err);
        if (!a->pool)
            log_kv(LOG_LEVEL_WARN, "credential store unreachable", "error", err, NULL);
    }
    db_pool_t *pool = a->pool;
    pthread_mutex_unlock(&a->lock);
    return pool;
}

int auth_last_used_interval_s(const auth_t *a)
{
    return a->last_used_interval_s;
}

bool auth_has_store(const auth_t *a)
{
    return a && a->mysql_url;
}

int auth_session_idle_s(const auth_t *a)
{
    return a->session_idle_s;
}

int auth_session_touch_interval_s(const auth_t *a)
{
    return a->session_touch_interval_s;
}

/* A bearer token that is neither a key nor a booking token: the service
 * token or nothing. */
static auth_err_t resolve_service(const auth_t *a, const char *token, auth_principal_t *out)
{
    if (!a || !a->service_token ||
        !crypto_equal_constant_time(a->service_token, strlen(a->service_token), token,
                                    strlen(token)))
        return AUTH_ERR_INVALID;
    out->kind = AUTH_KIND_SERVICE;
    snprintf(out->id, sizeof out->id, "service");
    snprintf(out->display, sizeof out->display, "internal service");
    return AUTH_OK;
}

static auth_err_t resolve_booking_token(const char *token, auth_principal_t *out)
{
    if (strlen(token) != AUTH_BOOKING_TOKEN_LEN)
        return AUTH_ERR_INVALID;
    for (size_t i = 3; i < AUTH_BOOKING_TOKEN_LEN; i++)
        if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
            return AUTH_ERR_INVALID;
    out->kind = AUTH_KIND_BOOKING_TOKEN;
    snprintf(out->display, sizeof out->display, "booking token");
    return crypto_sha256_hex(token, AUTH_BOOKING_TOKEN_LEN, out->token_hash) == 0
               ? AUTH_OK
               : AUTH_ERR_UNAVAILABLE;
}

static auth_err_t resolve_api_key(auth_t *a, const char *token, auth_principal_t *out)
{
    db_pool_t *pool = auth_pool(a);
    if (!pool)
        return a && a->mysql_url ? AUTH_ERR_UNAVAILABLE : AUTH_ERR_INVALID;
    db_t *db = db_pool_acquire(pool);
    auth_err_t rc = auth_api_key_resolve(db, token, a->last_used_interval_s, out);
    db_pool_release(pool, db);
    return rc;
}

auth_err_t auth_authenticate(auth_t *a, const char *authorization, const char *cookie,
                             auth_principal_t *out)
{
    auth_principal_anonymous(out);
    auth_err_t rc = AUTH_OK;
    if (authorization) {
        const char *token = auth_bearer_token(authorization);
        if (!token)
            rc = AUTH_ERR_INVALID;
        else if (strncmp(token, AUTH_API_KEY_PREFIX, 3) == 0)
            rc = resolve_api_key(a, token, out);
        else if (strncmp(token, AUTH_BOOKING_TOKEN_PREFIX, 3) == 0)
            rc = resolve_booking_token(token, out);
        else
            rc = resolve_service(a, token, out);
    } else if (cookie) {
        rc = auth_session_resolve_cookie(a, cookie, out);
    }
    if (rc != AUTH_OK)
        auth_principal_anonymous(out);
    return rc;
}
