/*
 * api.h — inventory-svc's HTTP API (proto/openapi.yaml): getInventory,
 * getRates, getRoomTypes, decrementInventory / incrementInventory (internal,
 * for booking-svc), getDegradedMode / setDegradedMode.
 *
 * Usage (main.c):
 *     inv_api_routes(&app, service_http(svc));
 *
 * Errors: 400 VALIDATION_ERROR naming the field; 404 NOT_FOUND when the PMS
 * does not know the hotel or room type; 503 PMS_UNAVAILABLE when the PMS is
 * failing and nothing is cached (never a made-up number).
 * Access (INV_API_ROUTES): the reads are public; decrement/increment only
 * for our services (LODGING_SERVICE_TOKEN); degraded mode is read by viewers
 * and switched by operators not limited to some hotels (audited); the admin
 * API (admin_api.h) is for admins.
 * Thread-safety: handlers run on the server's threads; the app is thread-safe.
 */
#ifndef INVENTORY_API_H
#define INVENTORY_API_H

#include "app.h"
#include "common/http_server.h"

/* The route table with each route's rule (also printed by --routes). */
extern const http_route_t INV_API_ROUTES[];
extern const size_t INV_API_ROUTE_COUNT;

/* Registers every route. 0 or -1. */
int inv_api_routes(inv_app_t *app, http_server_t *srv);

#endif /* INVENTORY_API_H */
