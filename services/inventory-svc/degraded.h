/*
 * degraded.h — the degraded-mode manager (SPEC §4, §8): while the PMS is
 * down, booking-svc refuses writes and reads keep working.
 *
 * State: on when a PMS circuit breaker of any hotel is open (breaker-driven,
 * the reason names hotel and vendor) or when an admin turned it on; an admin
 * "on" wins over breakers closing — only an admin "off" clears it. Breaker
 * "on" ends when every open breaker closed again.
 *
 * Published in Redis key `lodging:degraded` (no hash tag; read by
 * booking-svc) as {"degraded":true,"reason":"...","since":"<RFC 3339>",
 * "source":"breaker"|"admin"}, or {"degraded":false}; exported as the gauge
 * lodging_degraded_mode (0/1). A writer thread (re)writes the key on every
 * change and every DEGRADED_REFRESH_MS, so a restarted Redis learns it again.
 * The admin switch itself lives in `lodging:degraded:admin` (absent = off),
 * written on a PUT and read back every probe interval, so every replica —
 * and a restarted one — honours it.
 * The same thread probes the PMS for each hotel whose breaker is half-open
 * (pms_get_hotel), so the breaker closes — and degraded mode ends — even
 * when no read arrives. When a breaker opens, a lodging.ops.breaker.opened
 * alert goes to ops.alerts.
 *
 * Usage:
 *     degraded_t *d = degraded_new(&(degraded_config_t){.redis_url = url, ...});
 *     pms_cfg.breaker.on_change = degraded_on_breaker_change; pms_cfg.breaker.on_change_ctx = d;
 *     degraded_set_connector(d, pms); degraded_start(d);
 *     degraded_set_admin(d, true, "maintenance");
 *     struct json_object *o = degraded_to_json(d);
 *     degraded_stop(d); degraded_free(d);
 *
 * Thread-safety: all functions are thread-safe (one mutex guards the state).
 * Ownership: the producer and connector are borrowed.
 */
#ifndef INVENTORY_DEGRADED_H
#define INVENTORY_DEGRADED_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common/breaker.h"
#include "common/kafka.h"
#include "common/pms.h"

#define DEGRADED_REDIS_KEY "lodging:degraded"
#define DEGRADED_ADMIN_KEY "lodging:degraded:admin"
#define DEGRADED_REFRESH_MS 5000
#define DEGRADED_PROBE_INTERVAL_MS 1000
#define DEGRADED_REASON_MAX 256

typedef struct degraded degraded_t;

typedef struct degraded_config {
    const char *redis_url;
    kafka_producer_t *producer; /* ops.alerts; may be NULL */
    const char *alerts_topic;
    const char *source;  /* CloudEvents source, "/inventory-svc" */
    int breaker_open_ms; /* for the alert's openForSeconds */
    int probe_interval_ms;
} degraded_config_t;

degraded_t *degraded_new(const degraded_config_t *cfg);
void degraded_free(degraded_t *d);
/* The connector whose half-open breakers the writer thread probes. */
void degraded_set_connector(degraded_t *d, pms_connector_t *pms);
int degraded_start(degraded_t *d);
void degraded_stop(degraded_t *d); /* accepts NULL; safe twice */

/* A breaker_change_fn (pms_config_t.breaker.on_change). */
void degraded_on_breaker_change(const char *name, breaker_state_t from, breaker_state_t to,
                                void *ctx);
/* Admin switch. reason may be NULL. */
void degraded_set_admin(degraded_t *d, bool on, const char *reason);

bool degraded_is_on(degraded_t *d);
/* {"degraded":..,"reason":..,"since":..,"source":..}; caller puts it. */
struct json_object *degraded_to_json(degraded_t *d);

/* Splits a connector breaker name "pms:<vendor>:<hotelId>". 0 or -1. */
int degraded_parse_breaker_name(const char *name, char *vendor, size_t vendor_size, char *hotel,
                                size_t hotel_size);

#endif /* INVENTORY_DEGRADED_H */
