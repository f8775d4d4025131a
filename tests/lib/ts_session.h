/*
 * ts_session.h — people's accounts and browser sessions in integration
 * tests: an account made straight in a test database, and a login through
 * inventory-svc's POST /api/auth/login that keeps the Set-Cookie header
 * (which the common http_client does not expose).
 *
 * Usage:
 *     ts_account_create(db_url, "ops@example.com", "operator", "hotel_1", PASSWORD);
 *     ts_session_t s;
 *     if (ts_session_login(inventory_port, "ops@example.com", PASSWORD, &s) == 200)
 *         ... send s.cookie_header (and s.csrf_header on changes) ...
 *
 * Thread-safety: as libcurl easy handles (one per call). Ownership: plain values.
 */
#ifndef TS_SESSION_H
#define TS_SESSION_H

#define TS_SESSION_HEADER_MAX 256

typedef struct ts_session {
    char cookie_header[TS_SESSION_HEADER_MAX]; /* "Cookie: lodging_session=<value>" */
    char csrf_header[TS_SESSION_HEADER_MAX];   /* "X-CSRF-Token: <token>" */
    char set_cookie[TS_SESSION_HEADER_MAX];    /* the login's whole Set-Cookie value */
    char csrf_token[96];
} ts_session_t;

/* Creates an active account (role "viewer", "operator" or "admin"; hotels
 * "a,b" or NULL for every hotel). 0 or -1 (reason on stderr). */
int ts_account_create(const char *db_url, const char *email, const char *role,
                      const char *hotels_csv, const char *password);

/* POSTs the login to 127.0.0.1:port. Returns the HTTP status (0 when no
 * answer); on 200 *out is filled, otherwise zeroed. */
int ts_session_login(int port, const char *email, const char *password, ts_session_t *out);

#endif /* TS_SESSION_H */
