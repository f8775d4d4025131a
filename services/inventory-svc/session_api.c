/*
 * session_api.c — login, logout and "who am I" (see session_api.h).
 *
 * Every refused login gets the same 401 in the same time, whatever the
 * reason (unknown e-mail, wrong password, locked account): only the audit
 * row, which admins read, says which. The per-address limit answers 429
 * before any password is checked, so a guessing script costs us a Redis
 * call per try, not a scrypt run.
 *
 * The cookie: HttpOnly (page scripts never see it), SameSite=Strict (other
 * sites' pages never send it), Path=/ (every service of the origin),
 * Max-Age = the session's absolute length, and Secure when
 * SESSION_COOKIE_SECURE says the origin is served over TLS.
 */
#include "session_api.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "common/auth_store.h"
#include "common/http_audit.h"
#include "common/json.h"
#include "common/log.h"

#define COOKIE_HEADER_MAX 256

static int respond_unavailable(http_request_t *req)
{
    http_response_header(req, "Retry-After", "1");
    return http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                              "the account store is unavailable; retry shortly");
}

/* Sets the session cookie (value "" and Max-Age 0 clear it). */
static void set_cookie(http_request_t *req, const inv_app_t *app, const char *value, int max_age)
{
    char header[COOKIE_HEADER_MAX];
    snprintf(header, sizeof header, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
             AUTH_SESSION_COOKIE, value, max_age, app->session_cookie_secure ? "; Secure" : "");
    http_response_header(req, "Set-Cookie", header);
    crypto_wipe(header, sizeof header);
}

/* {accountId, email, role, hotels} of a principal (hotels null = every hotel). */
static struct json_object *principal_json(const auth_principal_t *p)
{
    struct json_object *o = json_object_new_object();
    char *hotels = auth_principal_hotels_json(p);
    json_object_object_add(o, "kind", json_object_new_string(auth_kind_name(p->kind)));
    json_object_object_add(o, "id", json_object_new_string(p->id));
    if (p->kind == AUTH_KIND_SESSION)
        json_object_object_add(o, "email", json_object_new_string(p->display));
    else
        json_object_object_add(o, "name", json_object_new_string(p->display));
    json_object_object_add(o, "role", json_object_new_string(auth_role_name(p->role)));
    json_object_object_add(o, "hotels", hotels ? json_tokener_parse(hotels) : NULL);
    if (p->kind == AUTH_KIND_SESSION)
        json_object_object_add(o, "csrfToken", json_object_new_string(p->csrf_token));
    free(hotels);
    return o;
}

/* Overwrites a string json-c holds (the password) before it is freed. */
static void wipe_json_string(struct json_object *body, const char *field)
{
    struct json_object *v;
    if (json_object_object_get_ex(body, field, &v) && json_object_is_type(v, json_type_string))
        crypto_wipe((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* Checks the password, starts the session and audits either way. Returns
 * the outcome; on AUTH_LOGIN_OK *who is the session and cookie_out its
 * cookie. */
static auth_login_result_t log_in(http_request_t *req, inv_app_t *app, db_t *db, const char *email,
                                  const char *password, auth_principal_t *who,
                                  char cookie_out[AUTH_SESSION_COOKIE_VALUE_LEN + 1])
{
    auth_login_result_t r = auth_account_login(db, &app->lockout, email, password, who);
    if (r == AUTH_LOGIN_OK && auth_session_create(db, who, app->session_max_s, cookie_out) != 0)
        r = AUTH_LOGIN_UNAVAILABLE;
    if (r == AUTH_LOGIN_OK) {
        http_audit_as(db, req, who, "auth.login", NULL);
    } else if (r != AUTH_LOGIN_UNAVAILABLE) {
        /* the typed e-mail of an unknown account is not kept: it may be a
         * password typed into the wrong field */
        char detail[64];
        snprintf(detail, sizeof detail, "{\"reason\":\"%s\"}", auth_login_result_name(r));
        http_audit_as(db, req, who, "auth.login_failed", detail);
    }
    return r;
}

int session_api_login(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    if (client_limit_refuse_address(app->limits, req, &app->login_limit))
        return 0; /* answered 429 */
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0; /* answered 400 */
    const char *email = NULL, *password = NULL;
    json_error_t err;
    int rc;
    if (json_get_string(body, "email", true, 1, AUTH_EMAIL_MAX, &email, &err) != 0 ||
        json_get_string(body, "password", true, 1, AUTH_PASSWORD_MAX_LEN, &password, &err) != 0) {
        wipe_json_string(body, "password");
        json_object_put(body);
        return http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
    }
    db_pool_t *pool = auth_pool(app->auth);
    if (!pool) {
        wipe_json_string(body, "password");
        json_object_put(body);
        return respond_unavailable(req);
    }
    auth_principal_t who;
    char cookie[AUTH_SESSION_COOKIE_VALUE_LEN + 1];
    db_t *db = db_pool_acquire(pool);
    auth_login_result_t r = log_in(req, app, db, email, password, &who, cookie);
    db_pool_release(pool, db);
    wipe_json_string(body, "password");
    json_object_put(body);
    http_request_wipe_body(req); /* the raw bytes held the password too */
    if (r == AUTH_LOGIN_UNAVAILABLE)
        return respond_unavailable(req);
    http_response_header(req, "Cache-Control", "no-store");
    if (r != AUTH_LOGIN_OK)
        return http_respond_error(req, 401, "LOGIN_FAILED", NULL,
                                  "wrong e-mail or password, or the account is locked for a "
                                  "while after repeated failures");
    set_cookie(req, app, cookie, app->session_max_s);
    crypto_wipe(cookie, sizeof cookie);
    struct json_object *o = principal_json(&who);
    json_object_object_add(o, "expiresInSeconds", json_object_new_int(app->session_max_s));
    rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}

int session_api_logout(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    const auth_principal_t *p = http_request_principal(req);
    if (p->kind != AUTH_KIND_SESSION)
        return http_respond_error(req, 400, "NOT_A_SESSION", NULL,
                                  "logout ends a browser session; API keys are revoked with "
                                  "DELETE /api/admin/api-keys/{keyId}");
    db_pool_t *pool = auth_pool(app->auth);
    if (!pool)
        return respond_unavailable(req);
    db_t *db = db_pool_acquire(pool);
    int rc = auth_session_revoke(db, p->session_id);
    if (rc == 0)
        http_audit(db, req, "auth.logout", NULL, NULL, NULL);
    db_pool_release(pool, db);
    if (rc < 0)
        return respond_unavailable(req);
    set_cookie(req, app, "", 0);
    return http_respond(req, 204, NULL, "", 0);
}

int session_api_me(http_request_t *req, void *ctx)
{
    (void)ctx;
    struct json_object *o = principal_json(http_request_principal(req));
    http_response_header(req, "Cache-Control", "no-store");
    int rc = http_respond_json(req, 200, o);
    json_object_put(o);
    return rc;
}
