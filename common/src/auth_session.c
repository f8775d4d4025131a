/*
 * auth_session.c — browser sessions (see auth.h and auth_store.h): the
 * lodging_session cookie, and the session rows behind it.
 *
 * The cookie is "<id>.<secret>": the id finds the row by primary key, the
 * secret's SHA-256 is compared in constant time, so neither a copy of the
 * table nor a timing probe yields a working cookie. A session ends at the
 * first of: logout (revoked_at), its account disabled, SESSION_IDLE_S
 * without a request, or its absolute expires_at. All of these are checked
 * with the database's clock on every request, by every service, so a
 * logout is seen everywhere at once.
 *
 * last_seen_at is written at most every touch interval per session, so a
 * busy page does not turn each read into a write; the idle end is therefore
 * exact to within that interval.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth_store.h"
#include "common/log.h"
#include "auth_internal.h"

/* ------------------------------------------------------------ cookie -- */

/* The value of the first cookie `name` in a Cookie header: *value points
 * into the header, *len is its length. 0, or -1 when absent. */
static int cookie_find(const char *header, const char *name, const char **value, size_t *len)
{
    size_t name_len = strlen(name);
    for (const char *s = header; s && *s;) {
        s += strspn(s, " \t;");
        const char *end = strchr(s, ';');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        if (n > name_len && strncmp(s, name, name_len) == 0 && s[name_len] == '=') {
            *value = s + name_len + 1;
            *len = n - name_len - 1;
            /* trailing blanks before the ';' belong to the separator */
            while (*len > 0 && ((*value)[*len - 1] == ' ' || (*value)[*len - 1] == '\t'))
                (*len)--;
            return 0;
        }
        s = end;
    }
    return -1;
}

static bool all_of(const char *s, size_t n, const char *alphabet)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(alphabet, s[i]))
            return false;
    return true;
}

int auth_session_cookie_parse(const char *cookie_header, char id_out[AUTH_SESSION_ID_LEN + 1],
                              char secret_out[AUTH_SECRET_HEX_LEN + 1])
{
    const char *v = NULL;
    size_t n = 0;
    if (cookie_find(cookie_header, AUTH_SESSION_COOKIE, &v, &n) != 0)
        return 1;
    /* the id is crypto_random_id's (lower case and digits), the secret lower-case hex */
    if (n != AUTH_SESSION_COOKIE_VALUE_LEN || v[AUTH_SESSION_ID_LEN] != '.' ||
        !all_of(v, AUTH_SESSION_ID_LEN, "abcdefghijklmnopqrstuvwxyz0123456789") ||
        !all_of(v + AUTH_SESSION_ID_LEN + 1, AUTH_SECRET_HEX_LEN, "0123456789abcdef"))
        return -1;
    memcpy(id_out, v, AUTH_SESSION_ID_LEN);
    id_out[AUTH_SESSION_ID_LEN] = '\0';
    memcpy(secret_out, v + AUTH_SESSION_ID_LEN + 1, AUTH_SECRET_HEX_LEN);
    secret_out[AUTH_SECRET_HEX_LEN] = '\0';
    return 0;
}

/* ------------------------------------------------------------- store -- */

/* 32 random bytes as unpadded base64url (AUTH_CSRF_TOKEN_LEN characters). */
static int csrf_token_new(char out[AUTH_CSRF_TOKEN_LEN + 1])
{
    uint8_t bytes[32];
    if (crypto_random_bytes(bytes, sizeof bytes) != 0)
        return -1;
    char *b64 = crypto_base64_encode(bytes, sizeof bytes);
    crypto_wipe(bytes, sizeof bytes);
    if (!b64)
        return -1;
    size_t n = 0;
    for (const char *c = b64; *c && *c != '=' && n < AUTH_CSRF_TOKEN_LEN; c++)
        out[n++] = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    out[n] = '\0';
    free(b64);
    return n == AUTH_CSRF_TOKEN_LEN ? 0 : -1;
}

int auth_session_create(db_t *db, auth_principal_t *p, int max_s,
                        char cookie_out[AUTH_SESSION_COOKIE_VALUE_LEN + 1])
{
    char id[AUTH_SESSION_ID_LEN + 1], secret[AUTH_SECRET_HEX_LEN + 1];
    char hash[CRYPTO_SHA256_HEX_LEN + 1], csrf[AUTH_CSRF_TOKEN_LEN + 1];
    if (crypto_random_id("", id, sizeof id) != 0 ||
        auth_random_hex(AUTH_SECRET_HEX_LEN / 2, secret, sizeof secret) != 0 ||
        crypto_sha256_hex(secret, AUTH_SECRET_HEX_LEN, hash) != 0 || csrf_token_new(csrf) != 0) {
        crypto_wipe(secret, sizeof secret);
        return -1;
    }
    /* the account's own dead sessions go as a new one starts, so the table
     * holds live sessions and a day's worth of ended ones, never years */
    db_param_t old[] = {DB_STR(p->id)};
    if (db_exec(db,
                "DELETE FROM session WHERE account_id = ? AND (expires_at < NOW(3) - INTERVAL 1 "
                "DAY OR revoked_at < NOW(3) - INTERVAL 1 DAY)",
                old, 1, NULL, NULL) != DB_OK)
        log_kv(LOG_LEVEL_WARN, "ended sessions not purged", "error", db_error(db), NULL);
    db_param_t q[] = {DB_STR(id), DB_STR(hash), DB_STR(p->id), DB_STR(csrf), DB_INT(max_s)};
    if (db_exec(db,
                "INSERT INTO session (id, secret_hash, account_id, csrf_token, expires_at) "
                "VALUES (?, ?, ?, ?, NOW(3) + INTERVAL ? SECOND)",
                q, 5, NULL, NULL) != DB_OK) {
        log_kv(LOG_LEVEL_ERROR, "session not stored", "error", db_error(db), NULL);
        crypto_wipe(secret, sizeof secret);
        return -1;
    }
    snprintf(cookie_out, AUTH_SESSION_COOKIE_VALUE_LEN + 1, "%s.%s", id, secret);
    crypto_wipe(secret, sizeof secret);
    snprintf(p->session_id, sizeof p->session_id, "%s", id);
    snprintf(p->csrf_token, sizeof p->csrf_token, "%s", csrf);
    return 0;
}

/* Fills a session principal from the resolution row (hash, csrf, account
 * id, email, role, hotels, stale). 0 or -1. */
static int principal_from_session(const db_result_t *res, const char *session_id,
                                  auth_principal_t *out)
{
    out->kind = AUTH_KIND_SESSION;
    snprintf(out->session_id, sizeof out->session_id, "%s", session_id);
    snprintf(out->csrf_token, sizeof out->csrf_token, "%s", db_result_text(res, 0, 1));
    snprintf(out->id, sizeof out->id, "%s", db_result_text(res, 0, 2));
    snprintf(out->display, sizeof out->display, "%s", db_result_text(res, 0, 3));
    if (auth_role_parse(db_result_text(res, 0, 4), &out->role) != 0 ||
        auth_principal_set_hotels_json(out, db_result_text(res, 0, 5)) != 0) {
        auth_principal_anonymous(out);
        return -1;
    }
    return 0;
}

auth_err_t auth_session_resolve(db_t *db, const char *session_id, const char *secret_hex,
                                int idle_s, int touch_interval_s, auth_principal_t *out)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1];
    auth_principal_anonymous(out);
    if (crypto_sha256_hex(secret_hex, strlen(secret_hex), hash) != 0)
        return AUTH_ERR_UNAVAILABLE;
    db_param_t p[] = {DB_INT(touch_interval_s), DB_STR(session_id), DB_INT(idle_s)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT s.secret_hash, s.csrf_token, a.id, a.email, a.role, a.hotels, "
                 "s.last_seen_at < NOW(3) - INTERVAL ? SECOND "
                 "FROM session s JOIN account a ON a.id = s.account_id "
                 "WHERE s.id = ? AND s.revoked_at IS NULL AND s.expires_at > NOW(3) "
                 "AND s.last_seen_at > NOW(3) - INTERVAL ? SECOND AND a.disabled_at IS NULL",
                 p, 3, &res) != DB_OK)
        return AUTH_ERR_UNAVAILABLE;
    auth_err_t rc = AUTH_ERR_INVALID;
    int64_t stale = 0;
    if (db_result_rows(res) == 1 &&
        crypto_equal_constant_time(db_result_text(res, 0, 0), CRYPTO_SHA256_HEX_LEN, hash,
                                   CRYPTO_SHA256_HEX_LEN) &&
        principal_from_session(res, session_id, out) == 0)
        rc = AUTH_OK;
    db_param_t q[] = {DB_STR(session_id)};
    if (rc == AUTH_OK && db_result_int64(res, 0, 6, &stale) == 0 && stale == 1 &&
        db_exec(db, "UPDATE session SET last_seen_at = NOW(3) WHERE id = ?", q, 1, NULL, NULL) !=
            DB_OK)
        log_warn("session last_seen_at not updated");
    db_result_free(res);
    return rc;
}

int auth_session_revoke(db_t *db, const char *session_id)
{
    uint64_t affected = 0;
    db_param_t p[] = {DB_STR(session_id)};
    if (db_exec(db, "UPDATE session SET revoked_at = NOW(3) WHERE id = ? AND revoked_at IS NULL", p,
                1, &affected, NULL) != DB_OK)
        return -1;
    return affected == 1 ? 0 : 1;
}

/* ----------------------------------------------------- authenticator -- */

auth_err_t auth_session_resolve_cookie(auth_t *a, const char *cookie, auth_principal_t *out)
{
    char id[AUTH_SESSION_ID_LEN + 1], secret[AUTH_SECRET_HEX_LEN + 1];
    auth_principal_anonymous(out);
    int parsed = auth_session_cookie_parse(cookie, id, secret);
    if (parsed == 1)
        return AUTH_OK; /* other cookies only: anonymous */
    if (parsed != 0)
        return AUTH_ERR_INVALID;
    db_pool_t *pool = auth_pool(a);
    auth_err_t rc;
    if (!pool) {
        rc = auth_has_store(a) ? AUTH_ERR_UNAVAILABLE : AUTH_ERR_INVALID;
    } else {
        db_t *db = db_pool_acquire(pool);
        rc = auth_session_resolve(db, id, secret, auth_session_idle_s(a),
                                  auth_session_touch_interval_s(a), out);
        db_pool_release(pool, db);
    }
    crypto_wipe(secret, sizeof secret);
    return rc;
}
