/*
 * session_api.h — people logging in and out through the browser, on
 * inventory-svc (proto/openapi.yaml, tag auth):
 *     POST /api/auth/login    {email, password} → 200 {csrfToken, role, email, hotels, ...}
 *                             + Set-Cookie: lodging_session=...; 401 LOGIN_FAILED;
 *                             429 RATE_LIMITED per client address
 *     POST /api/auth/logout   the session ends at once (every service) → 204, cookie cleared
 *     GET  /api/auth/me       who the caller is (and a session's CSRF token)
 * The session cookie then works on every service of the same origin; the
 * services resolve it themselves (common auth_session.c).
 *
 * Thread-safety: handlers share the authenticator's pool and the limiter
 * (both thread-safe).
 */
#ifndef INVENTORY_SESSION_API_H
#define INVENTORY_SESSION_API_H

#include "common/http_server.h"

/* Handlers (ctx: inv_app_t *). Each answers and returns 0. */
int session_api_login(http_request_t *req, void *ctx);
int session_api_logout(http_request_t *req, void *ctx);
int session_api_me(http_request_t *req, void *ctx);

#endif /* INVENTORY_SESSION_API_H */
