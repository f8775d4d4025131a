/*
 * auth_api_keys.c — API keys in the api_key table (see auth_store.h).
 *
 * A key is "lk_<key_id>_<secret>": the id finds the row with one primary-key
 * lookup, the secret's SHA-256 is compared in constant time. Revocation is a
 * column checked on every request, so there is nothing to invalidate.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth_store.h"
#include "common/log.h"

#define ISO_FORMAT "'%Y-%m-%dT%H:%i:%sZ'"

/* Splits "lk_<id>_<secret>" into its parts (id_out NUL-terminated, *secret
 * pointing into credential). 0, or -1 when it has not that shape. */
static int split_key(const char *credential, char id_out[AUTH_KEY_ID_LEN + 1],
                     const char **secret)
{
    if (!credential || strlen(credential) != AUTH_API_KEY_LEN ||
        strncmp(credential, AUTH_API_KEY_PREFIX, 3) != 0 || credential[3 + AUTH_KEY_ID_LEN] != '_')
        return -1;
    memcpy(id_out, credential + 3, AUTH_KEY_ID_LEN);
    id_out[AUTH_KEY_ID_LEN] = '\0';
    *secret = credential + 3 + AUTH_KEY_ID_LEN + 1;
    return 0;
}

int auth_api_key_create(db_t *db, const auth_api_key_spec_t *spec,
                        char key_out[AUTH_API_KEY_LEN + 1], char key_id_out[AUTH_KEY_ID_LEN + 1])
{
    auth_principal_t scope;
    auth_principal_anonymous(&scope);
    size_t name_len = spec->name ? strlen(spec->name) : 0;
    if (name_len == 0 || name_len > AUTH_KEY_NAME_MAX || spec->role == AUTH_ROLE_NONE ||
        auth_principal_set_hotels_csv(&scope, spec->hotels_csv) != 0)
        return -2;
    char secret[AUTH_SECRET_HEX_LEN + 1], hash[CRYPTO_SHA256_HEX_LEN + 1];
    if (crypto_random_id("", key_id_out, AUTH_KEY_ID_LEN + 1) != 0 ||
        auth_random_hex(AUTH_SECRET_HEX_LEN / 2, secret, sizeof secret) != 0)
        return -1;
    snprintf(key_out, AUTH_API_KEY_LEN + 1, "%s%s_%s", AUTH_API_KEY_PREFIX, key_id_out, secret);
    crypto_wipe(secret, sizeof secret);
    crypto_sha256_hex(key_out + 3 + AUTH_KEY_ID_LEN + 1, AUTH_SECRET_HEX_LEN, hash);
    char *hotels = auth_principal_hotels_json(&scope);
    db_param_t p[] = {DB_STR(key_id_out), DB_STR(hash),  DB_STR(spec->name),
                      DB_STR(auth_role_name(spec->role)), DB_STR(hotels),
                      DB_STR(spec->created_by ? spec->created_by : "unknown")};
    db_err_t rc = db_exec(db,
                          "INSERT INTO api_key (key_id, secret_hash, name, role, hotels, "
                          "created_by) VALUES (?, ?, ?, ?, ?, ?)",
                          p, 6, NULL, NULL);
    free(hotels);
    if (rc != DB_OK) {
        log_kv(LOG_LEVEL_ERROR, "api key not stored", "error", db_error(db), NULL);
        crypto_wipe(key_out, AUTH_API_KEY_LEN + 1);
        return -1;
    }
    return 0;
}

int auth_api_key_revoke(db_t *db, const char *key_id)
{
    uint64_t affected = 0;
    db_param_t p[] = {DB_STR(key_id)};
    if (db_exec(db,
                "UPDATE api_key SET revoked_at = NOW(3) WHERE key_id = ? AND revoked_at IS NULL",
                p, 1, &affected, NULL) != DB_OK)
        return -1;
    return affected == 1 ? 0 : 1;
}

static json_object *text_or_null(const db_result_t *res, size_t row, size_t col)
{
    const char *s = db_result_text(res, row, col);
    return s ? json_object_new_string(s) : NULL;
}

json_object *auth_api_key_list_json(db_t *db)
{
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT key_id, name, role, hotels, created_by, DATE_FORMAT(created_at, " ISO_FORMAT
                 "), DATE_FORMAT(revoked_at, " ISO_FORMAT "), DATE_FORMAT(last_used_at, " ISO_FORMAT
                 ") FROM api_key ORDER BY created_at, key_id",
                 NULL, 0, &res) != DB_OK)
        return NULL;
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < db_result_rows(res); i++) {
        json_object *o = json_object_new_object();
        const char *hotels = db_result_text(res, i, 3);
        json_object_object_add(o, "keyId", text_or_null(res, i, 0));
        json_object_object_add(o, "name", text_or_null(res, i, 1));
        json_object_object_add(o, "role", text_or_null(res, i, 2));
        json_object_object_add(o, "hotels", hotels ? json_tokener_parse(hotels) : NULL);
        json_object_object_add(o, "createdBy", text_or_null(res, i, 4));
        json_object_object_add(o, "createdAt", text_or_null(res, i, 5));
        json_object_object_add(o, "revokedAt", text_or_null(res, i, 6));
        json_object_object_add(o, "lastUsedAt", text_or_null(res, i, 7));
        json_object_array_add(arr, o);
    }
    db_result_free(res);
    return arr;
}

/* Fills the principal from a key row (role, hotels, name). 0 or -1. */
static int principal_from_row(const db_result_t *res, const char *key_id, auth_principal_t *out)
{
    auth_principal_anonymous(out);
    out->kind = AUTH_KIND_API_KEY;
    snprintf(out->id, sizeof out->id, "%s", key_id);
    const char *name = db_result_text(res, 0, 1);
    snprintf(out->display, sizeof out->display, "%s", name ? name : "");
    if (auth_role_parse(db_result_text(res, 0, 2), &out->role) != 0 ||
        auth_principal_set_hotels_json(out, db_result_text(res, 0, 3)) != 0) {
        auth_principal_anonymous(out);
        return -1;
    }
    return 0;
}

auth_err_t auth_api_key_resolve(db_t *db, const char *credential, int last_used_interval_s,
                                auth_principal_t *out)
{
    char key_id[AUTH_KEY_ID_LEN + 1], hash[CRYPTO_SHA256_HEX_LEN + 1];
    const char *secret = NULL;
    if (split_key(credential, key_id, &secret) != 0)
        return AUTH_ERR_INVALID;
    crypto_sha256_hex(secret, AUTH_SECRET_HEX_LEN, hash);
    db_param_t p[] = {DB_STR(key_id), DB_INT(last_used_interval_s)};
    db_result_t *res = NULL;
    if (db_query(db,
                 "SELECT secret_hash, name, role, hotels, revoked_at IS NULL, "
                 "last_used_at IS NULL OR last_used_at < NOW(3) - INTERVAL ? SECOND "
                 "FROM api_key WHERE key_id = ?",
                 (db_param_t[]){p[1], p[0]}, 2, &res) != DB_OK)
        return AUTH_ERR_UNAVAILABLE;
    auth_err_t rc = AUTH_ERR_INVALID;
    int64_t active = 0, stale = 0;
    if (db_result_rows(res) == 1 && db_result_int64(res, 0, 4, &active) == 0 && active == 1 &&
        crypto_equal_constant_time(db_result_text(res, 0, 0), CRYPTO_SHA256_HEX_LEN, hash,
                                   CRYPTO_SHA256_HEX_LEN) &&
        principal_from_row(res, key_id, out) == 0)
        rc = AUTH_OK;
    if (rc == AUTH_OK && db_result_int64(res, 0, 5, &stale) == 0 && stale == 1 &&
        db_exec(db, "UPDATE api_key SET last_used_at = NOW(3) WHERE key_id = ?", p, 1, NULL,
                NULL) != DB_OK)
        log_kv(LOG_LEVEL_WARN, "api key last_used_at not updated", "keyId", key_id, NULL);
    db_result_free(res);
    return rc;
}
