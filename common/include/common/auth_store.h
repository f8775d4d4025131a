/*
 * auth_store.h — the rows behind access control: API keys (create, list,
 * revoke), people's accounts (create, list, disable, log in), their browser
 * sessions (create, resolve, revoke) and the append-only audit log. Used by
 * the admin and login HTTP APIs (inventory-svc), the lodging-admin CLI and
 * the tests; the authenticator (auth.h) resolves keys and sessions.
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
#include "common/auth_password.h"
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

/* ---------------------------------------------------------- accounts -- */

#define AUTH_EMAIL_MAX 254
#define AUTH_ACCOUNT_ID_PREFIX "acc_"

typedef struct auth_account_spec {
    const char *email;      /* 3..254 characters with an '@'; stored lower-cased */
    auth_role_t role;       /* viewer, operator or admin */
    const char *hotels_csv; /* "a,b" or NULL/"" for every hotel */
    const char *password;   /* AUTH_PASSWORD_MIN_LEN..AUTH_PASSWORD_MAX_LEN characters */
} auth_account_spec_t;

typedef enum {
    AUTH_ACCOUNT_OK = 0,
    AUTH_ACCOUNT_ERR_DB = -1,
    AUTH_ACCOUNT_ERR_EMAIL = -2,    /* not an address, or too long */
    AUTH_ACCOUNT_ERR_ROLE = -3,
    AUTH_ACCOUNT_ERR_HOTELS = -4,
    AUTH_ACCOUNT_ERR_PASSWORD = -5, /* too short or too long */
    AUTH_ACCOUNT_ERR_TAKEN = -6,    /* an account with this e-mail exists */
} auth_account_err_t;

/* Lower-cases `email` into out after checking its shape (one '@' with text
 * on both sides, printable ASCII without spaces, at most AUTH_EMAIL_MAX).
 * 0 or -1. */
int auth_email_normalise(const char *email, char out[AUTH_EMAIL_MAX + 1]);

/* Creates an account; its id goes to id_out. The password is hashed
 * (auth_password.h) and never stored. */
auth_account_err_t auth_account_create(db_t *db, const auth_account_spec_t *spec,
                                       char id_out[AUTH_ID_MAX + 1]);

/* Every account (never a hash) as a JSON array of {accountId,email,role,
 * hotels,createdAt,disabledAt,lastLoginAt,lockedUntil,failedLogins}; NULL
 * on error. */
struct json_object *auth_account_list_json(db_t *db);

/* Active accounts with `role` (e.g. "is there an admin yet"): the count, or -1. */
int64_t auth_account_count(db_t *db, auth_role_t role);

/* Disables an account and revokes its sessions at once. 0 done, 1 no such
 * active account, -1 error. */
int auth_account_disable(db_t *db, const char *account_id);

typedef enum {
    AUTH_LOGIN_OK = 0,
    AUTH_LOGIN_UNKNOWN,        /* no active account with this e-mail */
    AUTH_LOGIN_WRONG_PASSWORD, /* counted towards the lockout */
    AUTH_LOGIN_LOCKED,         /* locked after repeated failures: not even checked */
    AUTH_LOGIN_UNAVAILABLE,    /* the database failed */
} auth_login_result_t;

/* "ok", "unknown_account", "wrong_password", "locked", "unavailable". */
const char *auth_login_result_name(auth_login_result_t r);

/* Checks an e-mail and password. Every refusal takes as long as a wrong
 * password (one scrypt run), so timing does not tell which e-mails exist.
 * A wrong password counts a failure and, from policy->threshold on, locks
 * the account (auth_lockout_seconds); success clears the count and sets
 * last_login_at. On AUTH_LOGIN_OK *out is the account as a session
 * principal (without session id and CSRF token); on a refusal of a known
 * account out->id and out->display name it (for the audit), else *out is
 * anonymous. */
auth_login_result_t auth_account_login(db_t *db, const auth_lockout_policy_t *policy,
                                       const char *email, const char *password,
                                       auth_principal_t *out);

/* ---------------------------------------------------------- sessions -- */

/* Starts a session for the account in *p (from auth_account_login) lasting
 * at most max_s: writes the cookie value "<id>.<secret>" (shown once, only
 * its hash kept) into cookie_out and fills p->session_id and p->csrf_token.
 * 0 or -1. */
int auth_session_create(db_t *db, auth_principal_t *p, int max_s,
                        char cookie_out[AUTH_SESSION_COOKIE_VALUE_LEN + 1]);

/* Resolves a session cookie's parts into *out: AUTH_OK, AUTH_ERR_INVALID
 * (unknown, wrong secret, revoked, idle longer than idle_s, past its
 * absolute end, or its account disabled), AUTH_ERR_UNAVAILABLE. Writes
 * last_seen_at when it is older than touch_interval_s. */
auth_err_t auth_session_resolve(db_t *db, const char *session_id, const char *secret_hex,
                                int idle_s, int touch_interval_s, auth_principal_t *out);

/* Revokes one session at once. 0 revoked, 1 unknown or already revoked, -1 error. */
int auth_session_revoke(db_t *db, const char *session_id);

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
