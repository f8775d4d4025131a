/*
 * admin_accounts.c — people's accounts over HTTP (see admin_accounts.h).
 *
 * A password is either given (at least AUTH_PASSWORD_MIN_LEN characters)
 * or generated and returned in the 201 only; it is never logged, stored or
 * audited. Disabling an account ends its sessions in every service at once.
 */
#include "admin_accounts.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_api.h"
#include "common/auth_store.h"
#include "common/http_audit.h"
#include "common/json.h"

/* Parses {email, role, hotels?, password?} into spec; a missing password
 * is generated into generated (then *was_generated). 0, or answered 400. */
static int parse_account_spec(http_request_t *req, struct json_object *body,
                              auth_account_spec_t *spec, char *csv, size_t csv_size,
                              char generated[AUTH_PASSWORD_GENERATED_LEN + 1], bool *was_generated)
{
    const char *role = NULL;
    json_error_t err;
    *was_generated = false;
    if (json_get_string(body, "email", true, 1, AUTH_EMAIL_MAX, &spec->email, &err) != 0 ||
        json_get_string(body, "role", true, 1, 16, &role, &err) != 0 ||
        json_get_string(body, "password", false, 0, AUTH_PASSWORD_MAX_LEN, &spec->password, &err) !=
            0) {
        http_respond_error(req, 400, "VALIDATION_ERROR", err.field, err.message);
        return -1;
    }
    if (auth_role_parse(role, &spec->role) != 0) {
        http_respond_error(req, 400, "VALIDATION_ERROR", "role",
                           "role must be viewer, operator or admin");
        return -1;
    }
    if (admin_hotels_csv_from_body(body, csv, csv_size) != 0) {
        http_respond_error(req, 400, "VALIDATION_ERROR", "hotels",
                           "hotels must be an array of hotel ids");
        return -1;
    }
    spec->hotels_csv = csv;
    if (!spec->password) {
        if (auth_password_generate(generated, AUTH_PASSWORD_GENERATED_LEN + 1) != 0) {
            admin_respond_unavailable(req);
            return -1;
        }
        spec->password = generated;
        *was_generated = true;
    }
    return 0;
}

/* The 400/409/503 of a refused create. */
static int respond_create_error(http_request_t *req, auth_account_err_t rc)
{
    char msg[128];
    switch (rc) {
    case AUTH_ACCOUNT_ERR_EMAIL:
        return http_respond_error(req, 400, "VALIDATION_ERROR", "email",
                                  "email must be an address like name@example.com");
    case AUTH_ACCOUNT_ERR_ROLE:
        return http_respond_error(req, 400, "VALIDATION_ERROR", "role",
                                  "role must be viewer, operator or admin");
    case AUTH_ACCOUNT_ERR_HOTELS:
        return http_respond_error(req, 400, "VALIDATION_ERROR", "hotels",
                                  "hotels must be at most 32 ids of A-Z, a-z, 0-9, _ - .");
    case AUTH_ACCOUNT_ERR_PASSWORD:
        snprintf(msg, sizeof msg, "password must be %d to %d characters (or left out to get one)",
                 AUTH_PASSWORD_MIN_LEN, AUTH_PASSWORD_MAX_LEN);
        return http_respond_error(req, 400, "VALIDATION_ERROR", "password", msg);
    case AUTH_ACCOUNT_ERR_TAKEN:
        return http_respond_error(req, 409, "EMAIL_TAKEN", "email",
                                  "an account with this e-mail exists");
    default:
        return admin_respond_unavailable(req);
    }
}

/* 201 {accountId, email, role, hotels[, password]}. */
static int respond_created(http_request_t *req, const char *id, const auth_account_spec_t *spec,
                           const char *generated)
{
    char email[AUTH_EMAIL_MAX + 1];
    auth_principal_t scope;
    auth_principal_anonymous(&scope);
    auth_email_normalise(spec->email, email);
    auth_principal_set_hotels_csv(&scope, spec->hotels_csv);
    char *hotels = auth_principal_hotels_json(&scope);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "accountId", json_object_new_string(id));
    json_object_object_add(o, "email", json_object_new_string(email));
    json_object_object_add(o, "role", json_object_new_string(auth_role_name(spec->role)));
    json_object_object_add(o, "hotels", hotels ? json_tokener_parse(hotels) : NULL);
    if (generated)
        json_object_object_add(o, "password", json_object_new_string(generated));
    free(hotels);
    http_response_header(req, "Cache-Control", "no-store");
    int rc = http_respond_json(req, 201, o);
    json_object_put(o);
    return rc;
}

int admin_accounts_create(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    if (!admin_admit(req, app))
        return 0;
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    auth_account_spec_t spec = {0};
    char csv[ADMIN_HOTELS_CSV_MAX], generated[AUTH_PASSWORD_GENERATED_LEN + 1] = "";
    bool was_generated = false;
    db_pool_t *pool = NULL;
    if (parse_account_spec(req, body, &spec, csv, sizeof csv, generated, &was_generated) != 0)
        goto done;
    if (!(pool = auth_pool(app->auth))) {
        admin_respond_unavailable(req);
        goto done;
    }
    char id[AUTH_ID_MAX + 1];
    db_t *db = db_pool_acquire(pool);
    auth_account_err_t rc = auth_account_create(db, &spec, id);
    if (rc == AUTH_ACCOUNT_OK) {
        char detail[128];
        snprintf(detail, sizeof detail, "{\"accountId\":\"%s\",\"role\":\"%s\"}", id,
                 auth_role_name(spec.role));
        http_audit(db, req, "account.create", NULL, NULL, detail);
    }
    db_pool_release(pool, db);
    if (rc != AUTH_ACCOUNT_OK)
        respond_create_error(req, rc);
    else
        respond_created(req, id, &spec, was_generated ? generated : NULL);
done:
    crypto_wipe(generated, sizeof generated);
    struct json_object *pw;
    if (json_object_object_get_ex(body, "password", &pw) &&
        json_object_is_type(pw, json_type_string))
        crypto_wipe((char *)json_object_get_string(pw), (size_t)json_object_get_string_len(pw));
    json_object_put(body);
    return 0;
}

int admin_accounts_list(http_request_t *req, void *ctx)
{
    return admin_respond_list(req, ctx, auth_account_list_json);
}

int admin_accounts_disable(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    if (!admin_admit(req, app))
        return 0;
    const char *id = http_request_param(req, "accountId");
    db_pool_t *pool = auth_pool(app->auth);
    if (!pool)
        return admin_respond_unavailable(req);
    db_t *db = db_pool_acquire(pool);
    int rc = auth_account_disable(db, id);
    if (rc == 0) {
        char detail[128];
        snprintf(detail, sizeof detail, "{\"accountId\":\"%.32s\"}", id);
        http_audit(db, req, "account.disable", NULL, NULL, detail);
    }
    db_pool_release(pool, db);
    if (rc == 1)
        return http_respond_error(req, 404, "NOT_FOUND", "accountId", "no such active account");
    if (rc != 0)
        return admin_respond_unavailable(req);
    return http_respond(req, 204, NULL, "", 0);
}
