/*
 * admin_api.h — the admin HTTP API on inventory-svc (proto/openapi.yaml, tag
 * admin): API keys and the audit log.
 *     POST   /api/admin/api-keys          {name, role, hotels?} → 201 {keyId, apiKey, ...}
 *     GET    /api/admin/api-keys          every key (never a secret)
 *     DELETE /api/admin/api-keys/:keyId   revoke → 204, 404 when unknown or revoked
 *     GET    /api/admin/audit?hotelId=&limit=   newest first
 * Every route is ADMIN; creating and revoking keys are audited. A created
 * key is shown in this one answer and never again.
 *
 * Thread-safety: handlers share the authenticator's pool (thread-safe).
 */
#ifndef INVENTORY_ADMIN_API_H
#define INVENTORY_ADMIN_API_H

#include "common/http_server.h"

/* Handlers (ctx: inv_app_t *). Each answers and returns 0. */
int admin_api_keys_create(http_request_t *req, void *ctx);
int admin_api_keys_list(http_request_t *req, void *ctx);
int admin_api_keys_revoke(http_request_t *req, void *ctx);
int admin_audit_list(http_request_t *req, void *ctx);

#endif /* INVENTORY_ADMIN_API_H */
