/*
 * auth.h — who is calling and what they may do: route rules, roles,
 * principals, credential parsing, and resolving credentials against the
 * api_key table and the service token.
 *
 * Every route a service registers carries an auth_rule_t; http_server resolves
 * the caller (auth_authenticate) and applies the rule (auth_rule_check)
 * before the handler runs, answering 401 / 403 itself. Handlers of BOOKING
 * routes, and handlers that filter by hotel, read the principal with
 * http_request_principal() and decide with the auth_principal_* helpers.
 *
 * Usage:
 *     auth_t *a = auth_new(&(auth_config_t){.mysql_url = url, .service_token = tok});
 *     auth_principal_t p;
 *     if (auth_authenticate(a, authorization_header, cookie_header, &p) == AUTH_OK &&
 *         auth_rule_check(AUTH_RULE_OPERATOR, &p, "POST", csrf_header) == AUTH_ALLOW) ...
 *     auth_free(a);
 *
 * Credentials (see README "Access control"):
 *     Authorization: Bearer lk_<keyId>_<secret>   an API key (api_key table)
 *     Authorization: Bearer bt_<secret>           a booking token (booking.token_hash)
 *     Authorization: Bearer <service token>       LODGING_SERVICE_TOKEN, our own services
 *     Cookie: lodging_session=<id>.<secret>       a browser session (auth_session.c)
 * Only SHA-256 hashes of secrets are stored; every secret has at least 128
 * random bits, so a plain hash compared in constant time is enough.
 *
 * Thread-safety: an auth_t may be shared by every HTTP thread (it keeps its
 * own connection pool). Principals are plain values owned by the caller.
 * Nothing here logs a credential.
 */
#ifndef COMMON_AUTH_H
#define COMMON_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"

/* ------------------------------------------------------------- rules -- */

typedef enum {
    AUTH_RULE_OPEN,     /* health, readiness, metrics: credentials are not even read */
    AUTH_RULE_PUBLIC,   /* anyone; a bad credential is ignored (anonymous) */
    AUTH_RULE_WEBHOOK,  /* anyone; the handler verifies the vendor's HMAC */
    AUTH_RULE_BOOKING,  /* a booking token or staff; the handler decides, 404 when not visible */
    AUTH_RULE_VIEWER,   /* staff with role viewer or more */
    AUTH_RULE_OPERATOR, /* staff with role operator or admin */
    AUTH_RULE_ADMIN,    /* staff with role admin */
    AUTH_RULE_SERVICE,  /* our own services only (LODGING_SERVICE_TOKEN) */
} auth_rule_t;

/* "open", "public", ... ; "?" for an unknown value. */
const char *auth_rule_name(auth_rule_t rule);
/* Parses a rule name. 0, or -1 when unknown. */
int auth_rule_parse(const char *name, auth_rule_t *out);

/* ------------------------------------------------------------- roles -- */

/* Ordered: a higher role may do everything a lower one may. */
typedef enum {
    AUTH_ROLE_NONE = 0,
    AUTH_ROLE_VIEWER = 1,
    AUTH_ROLE_OPERATOR = 2,
    AUTH_ROLE_ADMIN = 3,
} auth_role_t;

const char *auth_role_name(auth_role_t role); /* "viewer", "operator", "admin", "none" */
/* Parses viewer / operator / admin. 0, or -1. */
int auth_role_parse(const char *name, auth_role_t *out);

/* -------------------------------------------------------- principals -- */

typedef enum {
    AUTH_KIND_ANONYMOUS,
    AUTH_KIND_SESSION,       /* a person logged in through the browser */
    AUTH_KIND_API_KEY,       /* a machine with a scoped key */
    AUTH_KIND_SERVICE,       /* one of our own services */
    AUTH_KIND_BOOKING_TOKEN, /* a guest holding one booking's token */
    AUTH_KIND_CLI,           /* lodging-admin at a shell with database access (audit only) */
} auth_kind_t;

const char *auth_kind_name(auth_kind_t kind); /* "anonymous", "session", ... */

#define AUTH_MAX_HOTELS 32
#define AUTH_HOTEL_ID_MAX 64
#define AUTH_ID_MAX 64
#define AUTH_DISPLAY_MAX 128
#define AUTH_CSRF_TOKEN_LEN 43 /* base64url of 32 random bytes, unpadded */

typedef struct auth_principal {
    auth_kind_t kind;
    auth_role_t role;                /* NONE for anonymous, service and booking tokens */
    char id[AUTH_ID_MAX + 1];        /* account id, key id or service name; "" when anonymous */
    char display[AUTH_DISPLAY_MAX + 1]; /* for the audit log: a key's name, an account's email */
    int hotel_count;                 /* 0 = every hotel */
    char hotels[AUTH_MAX_HOTELS][AUTH_HOTEL_ID_MAX + 1];
    char token_hash[CRYPTO_SHA256_HEX_LEN + 1]; /* booking tokens: SHA-256 hex of the token */
    char csrf_token[AUTH_CSRF_TOKEN_LEN + 1];   /* sessions: what X-CSRF-Token must say */
    char session_id[AUTH_ID_MAX + 1];           /* sessions: the session (for logout) */
} auth_principal_t;

/* Fills *p as the anonymous caller. */
void auth_principal_anonymous(auth_principal_t *p);

/* A person or a machine of ours with a role (session or API key). */
bool auth_principal_is_staff(const auth_principal_t *p);
/* Staff with at least `role`. */
bool auth_principal_has_role(const auth_principal_t *p, auth_role_t role);
/* Staff whose hotel list is empty (every hotel). */
bool auth_principal_all_hotels(const auth_principal_t *p);
/* Staff that may see objects of `hotel_id` (an empty list means every hotel). */
bool auth_principal_may_see_hotel(const auth_principal_t *p, const char *hotel_id);
/* A booking token whose hash equals `token_hash_hex` (constant time); false
 * when either is missing. */
bool auth_principal_holds_booking_token(const auth_principal_t *p, const char *token_hash_hex);
/* May `p` act on a booking of `hotel_id` whose token hash is `token_hash_hex`
 * (may be NULL or "")? Its booking token, or staff with `staff_role` whose
 * hotels include the booking's. */
bool auth_principal_may_access_booking(const auth_principal_t *p, auth_role_t staff_role,
                                       const char *hotel_id, const char *token_hash_hex);

/* Parses a hotel list given as "a,b,c" (CLI) into p->hotels. "" or NULL = all.
 * 0, or -1 (too many, too long, or an id with characters outside
 * [A-Za-z0-9_.-]). */
int auth_principal_set_hotels_csv(auth_principal_t *p, const char *csv);
/* The hotel list as a JSON array text ("[\"a\",\"b\"]"), or NULL for every
 * hotel; malloc'd (caller frees). */
char *auth_principal_hotels_json(const auth_principal_t *p);
/* Reads a JSON array text of hotel ids into p->hotels (NULL or "" = all). 0 or -1. */
int auth_principal_set_hotels_json(auth_principal_t *p, const char *json_text);

/* --------------------------------------------------------- decisions -- */

typedef enum {
    AUTH_ALLOW = 0,
    AUTH_DENY_UNAUTHENTICATED, /* 401: no credential, or not one this rule accepts */
    AUTH_DENY_FORBIDDEN,       /* 403: a known caller without the role */
    AUTH_DENY_CSRF,            /* 403 CSRF_REQUIRED: a session's state change without the token */
} auth_decision_t;

/* Applies `rule` to an already resolved principal. `method` decides whether
 * a session needs the CSRF token; `csrf_header` is X-CSRF-Token (may be NULL). */
auth_decision_t auth_rule_check(auth_rule_t rule, const auth_principal_t *p, const char *method,
                                const char *csrf_header);

/* ------------------------------------------------------- credentials -- */

#define AUTH_API_KEY_PREFIX "lk_"
#define AUTH_BOOKING_TOKEN_PREFIX "bt_"
#define AUTH_SESSION_COOKIE "lodging_session"
#define AUTH_KEY_ID_LEN 24       /* crypto_random_id's base32 characters */
#define AUTH_SECRET_HEX_LEN 64   /* 32 random bytes, hex */
#define AUTH_API_KEY_LEN (3 + AUTH_KEY_ID_LEN + 1 + AUTH_SECRET_HEX_LEN)
#define AUTH_BOOKING_TOKEN_LEN (3 + AUTH_SECRET_HEX_LEN)
#define AUTH_SESSION_ID_LEN 24 /* crypto_random_id's base32 characters */
/* "<session id>.<secret hex>" */
#define AUTH_SESSION_COOKIE_VALUE_LEN (AUTH_SESSION_ID_LEN + 1 + AUTH_SECRET_HEX_LEN)
/* Shortest service token accepted, so a guessable one never goes live. */
#define AUTH_SERVICE_TOKEN_MIN_LEN 32

/* The token of "Authorization: Bearer <token>" (scheme in any letter case),
 * or NULL when the header is absent or not a bearer one. Points into `header`. */
const char *auth_bearer_token(const char *header);

/* Finds the lodging_session cookie in a Cookie header and splits its value
 * "<id>.<secret>" into id_out and secret_out. 0 when found and well formed,
 * 1 when the header has no such cookie, -1 when it has one of another shape
 * (wrong length, characters, no dot). The first lodging_session wins. */
int auth_session_cookie_parse(const char *cookie_header, char id_out[AUTH_SESSION_ID_LEN + 1],
                              char secret_out[AUTH_SECRET_HEX_LEN + 1]);

/* A new booking token "bt_<64 hex>" (256 random bits) and its SHA-256 hex.
 * 0 or -1. */
int auth_booking_token_new(char token[AUTH_BOOKING_TOKEN_LEN + 1],
                           char hash_hex[CRYPTO_SHA256_HEX_LEN + 1]);

/* Random text for secrets: `bytes` random bytes as lower-case hex into out
 * (out_size >= 2 * bytes + 1). 0 or -1. */
int auth_random_hex(size_t bytes, char *out, size_t out_size);

/* ----------------------------------------------------- authenticator -- */

typedef struct auth auth_t;

#define AUTH_DEFAULT_POOL_SIZE 2
#define AUTH_DEFAULT_LAST_USED_INTERVAL_S 60
#define AUTH_DEFAULT_SESSION_IDLE_S 1800
#define AUTH_DEFAULT_SESSION_MAX_S 43200
#define AUTH_DEFAULT_SESSION_TOUCH_INTERVAL_S 60

typedef struct auth_config {
    const char *mysql_url;     /* where api_key / sessions live; NULL = no store */
    const char *service_token; /* LODGING_SERVICE_TOKEN; NULL or "" = SERVICE routes refused */
    size_t pool_size;          /* default AUTH_DEFAULT_POOL_SIZE */
    int last_used_interval_s;  /* api_key.last_used_at written at most this often (60) */
    int session_idle_s;        /* a session unused this long is over (SESSION_IDLE_S, 1800) */
    /* session.last_seen_at is written at most this often (60), and never
     * less often than a quarter of the idle time, so small idle times hold */
    int session_touch_interval_s;
} auth_config_t;

typedef enum {
    AUTH_OK = 0,              /* *out filled (anonymous when no credential was given) */
    AUTH_ERR_INVALID = -1,    /* a credential was given and is wrong, revoked or expired */
    AUTH_ERR_UNAVAILABLE = -2, /* the store could not be asked (503) */
} auth_err_t;

/* NULL on OOM. The database is connected on first use, so a service whose
 * routes never need the store never connects. Copies the strings. */
auth_t *auth_new(const auth_config_t *cfg);
void auth_free(auth_t *a); /* accepts NULL */

/* True when a service token is configured. */
bool auth_has_service_token(const auth_t *a);

/* Resolves the caller from the Authorization and Cookie headers (either may
 * be NULL; Authorization wins). `a` may be NULL: then only booking tokens are
 * recognised and everything else is invalid. */
auth_err_t auth_authenticate(auth_t *a, const char *authorization, const char *cookie,
                             auth_principal_t *out);

/* The database pool behind `a` (connecting it now if needed), for the admin
 * API and the audit log; NULL when there is no store or it is unreachable. */
struct db_pool *auth_pool(auth_t *a);

#endif /* COMMON_AUTH_H */
