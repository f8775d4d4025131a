/*
 * admin_api.c — API keys and the audit log over HTTP (see admin_api.h).
 */
#include "admin_api.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "common/auth_store.h"
#include "common/http_audit.h"
#include "common/json.h"

int admin_respond_unavailable(http_request_t *req)
{
    return http_respond_error(req, 503, "INTERNAL_ERROR", NULL,
                              "the credential store is unavailable; retry shortly");
}

bool admin_limit(http_request_t *req, inv_app_t *app)
{
    const auth_principal_t *p = http_request_principal(req);
    /* one budget per credential: a key, or a person whatever their sessions */
    char client[AUTH_ID_MAX + 16];
    snprintf(client, sizeof client, "%s:%s", auth_kind_name(p->kind), p->id);
    return !client_limit_refuse_key(app->limits, req, &app->admin_limit, client);
}

bool admin_admit(http_request_t *req, inv_app_t *app)
{
    const auth_principal_t *p = http_request_principal(req);
    if (!admin_limit(req, app))
        return false;
    /* keys, accounts and the audit log span every hotel, so an admin
     * limited to some could otherwise mint a credential for all of them */
    if (auth_principal_all_hotels(p))
        return true;
    http_respond_error(req, 403, "FORBIDDEN", NULL,
                       "the admin API needs an admin that is not limited to some hotels");
    return false;
}

int admin_hotels_csv_from_body(struct json_object *body, char *csv, size_t size)
{
    struct json_object *arr;
    csv[0] = '\0';
    if (!json_object_object_get_ex(body, "hotels", &arr) ||
        json_object_is_type(arr, json_type_null))
        return 0;
    if (!json_object_is_type(arr, json_type_array))
        return -1;
    size_t used = 0;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string))
            return -1;
        int n =
            snprintf(csv + used, size - used, "%s%s", used ? "," : "", json_object_get_string(v));
        if (n < 0 || (size_t)n >= size - used)
            return -1;
        used += (size_t)n;
    }
    return 0;
}

/* Parses {name, role, hotels?} into spec (strings point into body). 0, or
 * answered 400. */
static int parse_key_spec(http_request_t *req, struct json_object *body, auth_api_key_spec_t *spec,
                          char *csv, size_t csv_size)
{
    const char *role = NULL;
    json_error_t err;
    if (json_get_string(body, "name", true, 1, AUTH_KEY_NAME_MAX, &spec->name, &err) != 0 ||
        json_get_string(body, "role", true, 1, 16, &role, &err) != 0) {
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
    return 0;
}

int admin_api_keys_create(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    if (!admin_admit(req, app))
        return 0;
    struct json_object *body = http_request_json_object(req);
    if (!body)
        return 0;
    const auth_principal_t *caller = http_request_principal(req);
    auth_api_key_spec_t spec = {.created_by = caller->id};
    char csv[ADMIN_HOTELS_CSV_MAX];
    if (parse_key_spec(req, body, &spec, csv, sizeof csv) != 0) {
        json_object_put(body);
        return 0;
    }
    db_pool_t *pool = auth_pool(app->auth);
    if (!pool) {
        json_object_put(body);
        return admin_respond_unavailable(req);
    }
    char key[AUTH_API_KEY_LEN + 1], key_id[AUTH_KEY_ID_LEN + 1];
    db_t *db = db_pool_acquire(pool);
    int rc = auth_api_key_create(db, &spec, key, key_id);
    if (rc == 0) {
        char detail[256];
        snprintf(detail, sizeof detail, "{\"keyId\":\"%s\",\"role\":\"%s\"}", key_id,
                 auth_role_name(spec.role));
        http_audit(db, req, "apikey.create", NULL, NULL, detail);
    }
    db_pool_release(pool, db);
    if (rc == -2)
        http_respond_error(req, 400, "VALIDATION_ERROR", "hotels",
                           "hotels must be at most 32 ids of A-Z, a-z, 0-9, _ - .");
    else if (rc != 0)
        admin_respond_unavailable(req);
    else {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "keyId", json_object_new_string(key_id));
        json_object_object_add(o, "apiKey", json_object_new_string(key));
        json_object_object_add(o, "name", json_object_new_string(spec.name));
        json_object_object_add(o, "role", json_object_new_string(auth_role_name(spec.role)));
        http_response_header(req, "Cache-Control", "no-store");
        http_respond_json(req, 201, o);
        json_object_put(o);
    }
    crypto_wipe(key, sizeof key);
    json_object_put(body);
    return 0;
}

int admin_respond_list(http_request_t *req, inv_app_t *app, struct json_object *(*list)(db_t *))
{
    if (!admin_admit(req, app))
        return 0;
    db_pool_t *pool = auth_pool(app->auth);
    if (!pool)
        return admin_respond_unavailable(req);
    db_t *db = db_pool_acquire(pool);
    struct json_object *arr = list(db);
    db_pool_release(pool, db);
    if (!arr)
        return admin_respond_unavailable(req);
    http_respond_json(req, 200, arr);
    json_object_put(arr);
    return 0;
}

int admin_api_keys_list(http_request_t *req, void *ctx)
{
    return admin_respond_list(req, ctx, auth_api_key_list_json);
}

int admin_api_keys_revoke(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    if (!admin_admit(req, app))
        return 0;
    const char *key_id = http_request_param(req, "keyId");
    db_pool_t *pool = auth_pool(app->auth);
    if (!pool)
        return admin_respond_unavailable(req);
    db_t *db = db_pool_acquire(pool);
    int rc = auth_api_key_revoke(db, key_id);
    if (rc == 0) {
        char detail[128];
        snprintf(detail, sizeof detail, "{\"keyId\":\"%.*s\"}", AUTH_KEY_ID_LEN, key_id);
        http_audit(db, req, "apikey.revoke", NULL, NULL, detail);
    }
    db_pool_release(pool, db);
    if (rc == 1)
        return http_respond_error(req, 404, "NOT_FOUND", "keyId", "no such active API key");
    if (rc != 0)
        return admin_respond_unavailable(req);
    return http_respond(req, 204, NULL, "", 0);
}

int admin_audit_list(http_request_t *req, void *ctx)
{
    inv_app_t *app = ctx;
    if (!admin_admit(req, app))
        return 0;
    const char *hotel = http_request_query(req, "hotelId");
    const char *limit_text = http_request_query(req, "limit");
    int limit = limit_text ? atoi(limit_text) : 100;
    db_pool_t *pool = auth_pool(app->auth);
    if (!pool)
        return admin_respond_unavailable(req);
    db_t *db = db_pool_acquire(pool);
    struct json_object *arr = auth_audit_list_json(db, hotel && *hotel ? hotel : NULL, limit);
    db_pool_release(pool, db);
    if (!arr)
        return admin_respond_unavailable(req);
    http_respond_json(req, 200, arr);
    json_object_put(arr);
    return 0;
}
