/*
 * admin_accounts.h — people's accounts on the admin HTTP API (inventory-svc,
 * proto/openapi.yaml, tag admin):
 *     POST   /api/admin/accounts              {email, role, hotels?, password?}
 *                                             → 201 {accountId, email, role, hotels[, password]}
 *     GET    /api/admin/accounts              every account (never a password hash)
 *     DELETE /api/admin/accounts/:accountId   disable, ending its sessions → 204
 * ADMIN routes under admin_admit (admin_api.h); creating and disabling are
 * audited.
 *
 * Thread-safety: handlers share the authenticator's pool (thread-safe).
 */
#ifndef INVENTORY_ADMIN_ACCOUNTS_H
#define INVENTORY_ADMIN_ACCOUNTS_H

#include "common/http_server.h"

/* Handlers (ctx: inv_app_t *). Each answers and returns 0. */
int admin_accounts_create(http_request_t *req, void *ctx);
int admin_accounts_list(http_request_t *req, void *ctx);
int admin_accounts_disable(http_request_t *req, void *ctx);

#endif /* INVENTORY_ADMIN_ACCOUNTS_H */
