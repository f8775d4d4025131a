/*
 * auth_store.h — the rows behind access control: API keys (create, list,
 * revoke) and the append-only audit log. Used by the admin HTTP API
 * (inventory-svc), the lodging-admin CLI and the tests; the authenticator
 * (auth.h) only reads them.
 *
 * Usage:
 *     char key[AUTH_API_KEY_LEN + 1], id[AUTH_KEY_ID_LEN + 1];
 *     auth_api_key_create(db, &(auth_api_key_spec_t){.name = "ci", .role = AUTH_ROLE_OPERATOR,
 *                                                    .created_by = "cli"}, key, id);
 *     ... print key once; only its hash is kept ...
 *     auth_api_key_revoke(db, id);
 *
 * Thread-safety: as db_t (one connection per thread). Ownership: the JSON
 * lists are the caller's (json_object_put); `key_out` must be wiped by the
 * caller once shown.
 */
#ifndef COMMON_AUTH_STORE_H
#define COMMON_AUTH_STORE_H

#include "common/auth.h"
#include "common/db.h"

struct json_object;

#define AUTH_KEY_NAME_MAX 128

typedef struct auth_api_key_spec {
    const char *name;        /* 1..128 characters, for people reading lists and audits */
    auth_role_t role;        /* viewer, operator or admin */
    const char *hotels_csv;  /* "a,b" or NULL/"" for every hotel */
    const char *created_by;  /* who asked: "cli", an account or key id */
} auth_api_key_spec_t;

/* Creates a key; writes the whole credential "lk_<id>_<secret>" (shown once,
 * never stored) into key_out and its id into key_id_out. 0, -1 on a database
 * error, -2 on a bad spec (name, role or hotels). */
int auth_api_key_create(db_t *db, const auth_api_key_spec_t *spec,
                        char key_out[AUTH_API_KEY_LEN + 1], char key_id_out[AUTH_KEY_ID_LEN + 1]);

/* Revokes a key at once (the next request with it is refused). 0 revoked,
 * 1 no such key or already revoked, -1 error. */
int auth_api_key_revoke(db_t *db, const char *key_id);

/* Every key (never a secret or hash) as a JSON array of
 * {keyId,name,role,hotels,createdBy,createdAt,revokedAt,lastUsedAt}; NULL on error. */
struct json_object *auth_api_key_list_json(db_t *db);

/* Resolves an API key credential into *out. AUTH_OK, AUTH_ERR_INVALID (bad,
 * unknown or revoked), AUTH_ERR_UNAVAILABLE. Updates last_used_at when it is
 * older than last_used_interval_s. */
auth_err_t auth_api_key_resolve(db_t *db, const char *credential, int last_used_interval_s,
                                auth_principal_t *out);

/* ------------------------------------------------------------- audit -- */

#define AUTH_AUDIT_LIST_MAX 500

typedef struct auth_audit_entry {
    const char *action;     /* "degraded.on", "polling.stop", "apikey.create", ... */
    const char *hotel_id;   /* or NULL */
    const char *booking_id; /* or NULL */
    const char *detail_json; /* a JSON object text without secrets, or NULL */
    const char *remote_address;
    const char *request_id;
} auth_audit_entry_t;

/* Appends one row for `who` doing `e`. 0 or -1 (logged; the caller's action
 * already happened, so it is not undone). */
int auth_audit_record(db_t *db, const auth_principal_t *who, const auth_audit_entry_t *e);

/* The newest rows first (at most `limit`, capped at AUTH_AUDIT_LIST_MAX),
 * optionally only one hotel's; JSON array, NULL on error. */
struct json_object *auth_audit_list_json(db_t *db, const char *hotel_id, int limit);

#endif /* COMMON_AUTH_STORE_H */
