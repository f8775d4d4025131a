/*
 * auth_accounts.c — people's accounts in the account table (see
 * auth_store.h): creating, listing, disabling, and checking a login with
 * its lockout.
 *
 * A login's refusals all look alike from outside: an unknown e-mail, a
 * disabled account and a locked one run the KDF once against a dummy hash,
 * exactly as a wrong password runs it against the real one, and the caller
 * answers the same 401 for each. Only the audit row says which it was.
 *
 * Failures are counted with one UPDATE and read back; two wrong passwords
 * racing may both read the higher count, which only locks a little sooner.
 * Lock times are compared with the database's clock, so every replica
 * agrees on when a lock ends.
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth_password.h"
#include "common/auth_store.h"
#include "common/log.h"

#define ISO_FORMAT "'%Y-%m-%dT%H:%i:%sZ'"
#define EMAIL_MIN_LEN 3

/* ------------------------------------------------------------ e-mail -- */

int auth_email_normalise(const char *email, char out[AUTH_EMAIL_MAX + 1])
{
    size_t n = email ? strlen(email) : 0;
    if (n < EMAIL_MIN_LEN || n > AUTH_EMAIL_MAX)
        return -1;
    const char *at = strchr(email, '@');
    if (!at || at == email || !at[1] || strchr(at + 1, '@'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c <= ' ' || c >= 0x7f)
            return -1; /* spaces, controls and non-ASCII: not an address we can mail */
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return 0;
}

/* ----------------------------------------------------------- writing -- */

/* Checks a spec's fields; fills *scope's hotels and the lower-cased email. */
static auth_account_err_t check_spec(const auth_account_spec_t *spec, auth_principal_t *scope,
                                     char email[AUTH_EMAIL_MAX + 1])
{
    size_t pw_len = spec->password ? strlen(spec->password) : 0;
    auth_principal_anonymous(scope);
    if (auth_email_normalise(spec->email, email) != 0)
        return AUTH_ACCOUNT_ERR_EMAIL;
    if (spec->role == AUTH_ROLE_NONE || strcmp(auth_role_name(spec->role), "none") == 0)
        return AUTH_ACCOUNT_ERR_ROLE;
    if (auth_principal_set_hotels_csv(scope, spec->hotels_csv) != 0)
        return AUTH_ACCOUNT_ERR_HOTELS;
    if (pw_len < AUTH_PASSWORD_MIN_LEN || pw_len > AUTH_PASSWORD_MAX_LEN)
        return AUTH_ACCOUNT_ERR_PASSWORD;
    return AUTH_ACCOUNT_OK;
}

auth_account_err_t auth_account_create(db_t *db, const auth_account_spec_t *spec,
                                       char id_out[AUTH_ID_MAX + 1])
{
    auth_principal_t scope;
    char email[AUTH_EMAIL_MAX + 1], hash[AUTH_PASSWORD_HASH_MAX];
    auth_account_err_t rc = check_spec(spec, &scope, email);
    if (rc != AUTH_ACCOUNT_OK)
        return rc;
    if (crypto_random_id(AUTH_ACCOUNT_ID_PREFIX, id_out, AUTH_ID_MAX + 1) != 0 ||
        auth_password_hash(spec->password, hash, sizeof hash) != 0)
        return AUTH_ACCOUNT_ERR_DB;
    char *hotels = auth_principal_hotels_json(&scope);
    db_param_t p[] = {DB_STR(id_out), DB_STR(email), DB_STR(hash),
                      DB_STR(auth_role_name(spec->role)), DB_STR(hotels)};
    db_err_t err = db_exec(db,
                           "INSERT INTO account (id, email, password_hash, role, hotels) "
                           "VALUES (?, ?, ?, ?, ?)",
                           p, 5, NULL, NULL);
    free(hotels);
    crypto_wipe(hash, sizeof hash);
    if (err == DB_ERR_DUPLICATE)
        return AUTH_ACCOUNT_ERR_TAKEN;
    if (err != DB_OK) {
        log_kv(LOG_LEVEL_ERROR, "account not stored", "error", db_error(db), NULL);
        return AUTH_ACCOUNT_ERR_DB;
    }
    return AUTH_ACCOUNT_OK;
}

int auth_account_disable(db_t *db, const char *account_id)
{
    uint64_t affected = 0;
    db_param_t p[] = {DB_STR(account_id)};
    if (db_exec(db, "UPDATE account SET disabled_at = NOW(3) WHERE id = ? AND disabled_at IS NULL",
                p, 1, &affected, NULL) != DB_OK)
        return -1;
    if (affected != 1)
        return 1;
    /* sessions also die with the account at resolution; revoking them
     * makes that visible in the table and survives a re-enabled account */
    if (db_exec(
            db,
            "UPDATE session SET revoked_at = NOW(3) WHERE account_id = ? AND revoked_at IS NULL", p,
            1, NULL, NULL) != DB_OK)
        log_kv(LOG_LEVEL_WARN, "sessions of a disabled account not revoked", "accountId",
               account_id, NULL);
    return 0;
}

/* ----------------------------------------------------------- reading -- */

static json_object *text_or_null(const db_result_t *res, size_t row, size_t col)
{
    const char *s = db_result_text(res, row, col);
    return s ? json_object_new_string(s) : NULL;
}

json_object *auth_account_list_json(db_t *db)
{
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT id, email, role, hotels, DATE_FORMAT(created_at, " ISO_FORMAT "), "
                 "DATE_FORMAT(disabled_at, " ISO_FORMAT "), DATE_FORMAT(last_login_at, " ISO_FORMAT
                 "), DATE_FORMAT(IF(locked_until > NOW(3), locked_until, NULL), " ISO_FORMAT "), "
                 "failed_logins FROM account ORDER BY created_at, id",
                 NULL, 0, &res) != DB_OK)
        return NULL;
    static const char *const names[] = {"accountId",   "email",       "role",
                                        "hotels",      "createdAt",   "disabledAt",
                                        "lastLoginAt", "lockedUntil", "failedLogins"};
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < db_result_rows(res); i++) {
        json_object *o = json_object_new_object();
        for (size_t c = 0; c < sizeof names / sizeof *names; c++) {
            const char *v = db_result_text(res, i, c);
            json_object *jv = NULL;
            if (v && c == 3)
                jv = json_tokener_parse(v);
            else if (v && c == 8)
                jv = json_object_new_int64(strtoll(v, NULL, 10));
            else
                jv = text_or_null(res, i, c);
            json_object_object_add(o, names[c], jv);
        }
        json_object_array_add(arr, o);
    }
    db_result_free(res);
    return arr;
}

int64_t auth_account_count(db_t *db, auth_role_t role)
{
    db_param_t p[] = {DB_STR(auth_role_name(role))};
    db_result_t *res = NULL;
    int64_t n = -1;
    if (db_query(db, "SELECT COUNT(*) FROM account WHERE role = ? AND disabled_at IS NULL", p, 1,
                 &res) != DB_OK)
        return -1;
    if (db_result_rows(res) != 1 || db_result_int64(res, 0, 0, &n) != 0)
        n = -1;
    db_result_free(res);
    return n;
}

/* ------------------------------------------------------------- login -- */

const char *auth_login_result_name(auth_login_result_t r)
{
    switch (r) {
    case AUTH_LOGIN_OK:
        return "ok";
    case AUTH_LOGIN_UNKNOWN:
        return "unknown_account";
    case AUTH_LOGIN_WRONG_PASSWORD:
        return "wrong_password";
    case AUTH_LOGIN_LOCKED:
        return "locked";
    default:
        return "unavailable";
    }
}

/* Counts one more failure of `account_id` and locks it when the count
 * reaches the policy's threshold. Errors are logged: the login is refused
 * either way. */
static void record_failure(db_t *db, const auth_lockout_policy_t *policy, const char *account_id)
{
    db_param_t p[] = {DB_STR(account_id)};
    db_result_t *res = NULL;
    int64_t failures = 0;
    if (db_exec(db, "UPDATE account SET failed_logins = failed_logins + 1 WHERE id = ?", p, 1, NULL,
                NULL) != DB_OK ||
        db_query(db, "SELECT failed_logins FROM account WHERE id = ?", p, 1, &res) != DB_OK ||
        db_result_rows(res) != 1 || db_result_int64(res, 0, 0, &failures) != 0) {
        db_result_free(res);
        log_kv(LOG_LEVEL_WARN, "login failure not counted", "accountId", account_id, NULL);
        return;
    }
    db_result_free(res);
    int lock_s = auth_lockout_seconds(policy, failures > 1000000 ? 1000000 : (int)failures);
    db_param_t q[] = {DB_INT(lock_s), DB_STR(account_id)};
    if (lock_s > 0 &&
        db_exec(db, "UPDATE account SET locked_until = NOW(3) + INTERVAL ? SECOND WHERE id = ?", q,
                2, NULL, NULL) != DB_OK)
        log_kv(LOG_LEVEL_WARN, "account not locked", "accountId", account_id, NULL);
}

/* Turns an account row (id, email, hash, role, hotels, ...) into a session
 * principal. 0, or -1 when the row's role or hotels are unreadable. */
static int principal_from_account(const db_result_t *res, auth_principal_t *out)
{
    out->kind = AUTH_KIND_SESSION;
    snprintf(out->id, sizeof out->id, "%s", db_result_text(res, 0, 0));
    snprintf(out->display, sizeof out->display, "%s", db_result_text(res, 0, 1));
    if (auth_role_parse(db_result_text(res, 0, 3), &out->role) != 0 ||
        auth_principal_set_hotels_json(out, db_result_text(res, 0, 4)) != 0)
        return -1;
    return 0;
}

auth_login_result_t auth_account_login(db_t *db, const auth_lockout_policy_t *policy,
                                       const char *email, const char *password,
                                       auth_principal_t *out)
{
    char norm[AUTH_EMAIL_MAX + 1];
    auth_principal_anonymous(out);
    if (auth_email_normalise(email, norm) != 0) {
        auth_password_verify_dummy(password);
        return AUTH_LOGIN_UNKNOWN;
    }
    db_param_t p[] = {DB_STR(norm)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT id, email, password_hash, role, hotels, "
                 "locked_until IS NOT NULL AND locked_until > NOW(3) "
                 "FROM account WHERE email = ? AND disabled_at IS NULL",
                 p, 1, &res) != DB_OK)
        return AUTH_LOGIN_UNAVAILABLE;
    if (db_result_rows(res) != 1) {
        db_result_free(res);
        auth_password_verify_dummy(password);
        return AUTH_LOGIN_UNKNOWN;
    }
    int64_t locked = 0;
    db_result_int64(res, 0, 5, &locked);
    snprintf(out->id, sizeof out->id, "%s", db_result_text(res, 0, 0));
    snprintf(out->display, sizeof out->display, "%s", db_result_text(res, 0, 1));
    auth_login_result_t rc;
    if (locked) {
        auth_password_verify_dummy(password);
        rc = AUTH_LOGIN_LOCKED;
    } else if (auth_password_verify(password, db_result_text(res, 0, 2)) != 1) {
        record_failure(db, policy, out->id);
        rc = AUTH_LOGIN_WRONG_PASSWORD;
    } else if (principal_from_account(res, out) != 0) {
        log_kv(LOG_LEVEL_ERROR, "account row unreadable", "accountId", out->id, NULL);
        rc = AUTH_LOGIN_UNAVAILABLE;
    } else {
        db_param_t q[] = {DB_STR(out->id)};
        if (db_exec(db,
                    "UPDATE account SET failed_logins = 0, locked_until = NULL, "
                    "last_login_at = NOW(3) WHERE id = ?",
                    q, 1, NULL, NULL) != DB_OK)
            log_kv(LOG_LEVEL_WARN, "last login not recorded", "accountId", out->id, NULL);
        rc = AUTH_LOGIN_OK;
    }
    db_result_free(res);
    if (rc != AUTH_LOGIN_OK) {
        out->kind = AUTH_KIND_ANONYMOUS;
        out->role = AUTH_ROLE_NONE;
        out->hotel_count = 0;
    }
    return rc;
}
