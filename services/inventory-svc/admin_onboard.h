/*
 * admin_onboard.h — onboarding a hotel from its PMS (proto/openapi.yaml, tag
 * admin): the "Connect PMS" dialog's vendors, the preview the server fetches
 * through the connector, and the one-transaction save.
 *     GET  /api/admin/vendors        VIEWER  every vendor with a connector, what it needs
 *     POST /api/admin/pms/preview    ADMIN   {vendor, hotelId, apiKey?} → the hotel, nothing
 * written POST /api/admin/listings       ADMIN   the edited form → listings, room_types,
 *                                            room_inventory, rate_plan, pms_config (key sealed)
 *
 * The browser never talks to the PMS: a key typed into the dialog reaches
 * the connector through inv_app_key_override for the one request, and is
 * stored only sealed (pms_keystore_seal). Neither the key nor its ciphertext
 * is ever logged or answered.
 *
 * Thread-safety: handlers are re-entrant (the connector and pools are
 * thread-safe; the key override is per thread).
 */
#ifndef INVENTORY_ADMIN_ONBOARD_H
#define INVENTORY_ADMIN_ONBOARD_H

#include "app.h"
#include "common/http_server.h"

/* Nights the preview and the save read from the PMS, from today (UTC). */
#define ADMIN_ONBOARD_NIGHTS 30

/* Handlers (ctx: inv_app_t *). Each answers and returns 0. */
int admin_vendors_list(http_request_t *req, void *ctx);
int admin_pms_preview(http_request_t *req, void *ctx);
int admin_listing_save(http_request_t *req, void *ctx);

/* Answers a PMS failure in plain words with the hotel's breaker state:
 * 404 HOTEL_NOT_FOUND, 422 PMS_AUTH_FAILED, 503 PMS_BUSY / PMS_UNAVAILABLE
 * (breaker open; Retry-After), 502 PMS_UNAVAILABLE / PMS_PROTOCOL_ERROR. */
int admin_respond_pms_error(http_request_t *req, inv_app_t *app, const char *hotel_id,
                            const pms_error_t *e);

#endif /* INVENTORY_ADMIN_ONBOARD_H */
