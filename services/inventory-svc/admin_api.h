/*
 * admin_api.h — the admin HTTP API on inventory-svc (proto/openapi.yaml, tag
 * admin): API keys and the audit log here, people's accounts in
 * admin_accounts.c.
 *     POST   /api/admin/api-keys          {name, role, hotels?} → 201 {keyId, apiKey, ...}
 *     GET    /api/admin/api-keys          every key (never a secret)
 *     DELETE /api/admin/api-keys/:keyId   revoke → 204, 404 when unknown or revoked
 *     GET    /api/admin/audit?hotelId=&limit=   newest first
 * Every route is ADMIN, limited per credential (ADMIN_API_RATE_LIMIT_*,
 * 429 with Retry-After) and refused to admins limited to some hotels;
 * creating and revoking keys are audited. A created key is shown in this
 * one answer and never again.
 *
 * Thread-safety: handlers share the authenticator's pool (thread-safe).
 */
#ifndef INVENTORY_ADMIN_API_H
#define INVENTORY_ADMIN_API_H

#include <stdbool.h>

#include "app.h"
#include "common/http_server.h"

#define ADMIN_HOTELS_CSV_MAX (AUTH_MAX_HOTELS * (AUTH_HOTEL_ID_MAX + 1))

/* Handlers (ctx: inv_app_t *). Each answers and returns 0. */
int admin_api_keys_create(http_request_t *req, void *ctx);
int admin_api_keys_list(http_request_t *req, void *ctx);
int admin_api_keys_revoke(http_request_t *req, void *ctx);
int admin_audit_list(http_request_t *req, void *ctx);

/* What every admin handler shares. */
/* Applies the per-credential limit only: true to go on, false when
 * answered 429 (with Retry-After). */
bool admin_limit(http_request_t *req, inv_app_t *app);
/* Applies the per-credential limit and the all-hotels requirement: true to
 * go on, false when answered (429 or 403). */
bool admin_admit(http_request_t *req, inv_app_t *app);
/* 503: the credential store cannot be reached. */
int admin_respond_unavailable(http_request_t *req);

/* GET of an admin list: admits the caller, then answers 200 with what
 * list(db) returns (a JSON array the helper puts), or 503 when the store
 * cannot be read. Returns 0 (answered). */
int admin_respond_list(http_request_t *req, inv_app_t *app, struct json_object *(*list)(db_t *));
/* The body's "hotels" array as "a,b" into csv ("" when absent or null). 0,
 * or -1 when it is not an array of strings or does not fit. */
int admin_hotels_csv_from_body(struct json_object *body, char *csv, size_t size);

#endif /* INVENTORY_ADMIN_API_H */
