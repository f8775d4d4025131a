/*
 * degraded.h — the degraded-mode manager: while a hotel's PMS
 * is down, booking-svc refuses that hotel's checkouts and reads keep working.
 * Other hotels book normally.
 *
 * State, per hotel: on while the hotel's PMS circuit breaker is open (source
 * "breaker", automatic) or while an operator turned it on for the hotel
 * (source "admin"); an operator "on" wins over the breaker closing — only an
 * operator "off" clears it, and an "off" does not hide a breaker still open.
 * Platform-wide: one operator switch that refuses every hotel's checkout.
 *
 * Redis (common/degraded_keys.h): each hotel's automatic state in
 * `lodging:degraded:{hotelId}` (written with a TTL by the replica whose
 * breaker is open, refreshed every DEGRADED_REFRESH_MS, deleted when it
 * closes — so a crashed replica's state expires on its own), the operator's
 * switch in `lodging:degraded:admin:{hotelId}` (no TTL), both hotel ids in
 * the index set `lodging:degraded:hotels`; the platform switch in
 * `lodging:degraded:admin` and the platform state in `lodging:degraded`.
 * Exported as the gauge inventory_degraded_mode{hotel} (0/1; hotel="*" is the
 * platform switch). The writer thread probes the PMS for each hotel whose
 * breaker is half-open (pms_get_hotel), so the breaker closes — and the
 * hotel's degraded mode ends — even when no read arrives. When a breaker
 * opens, a lodging.ops.breaker.opened alert goes to ops.alerts.
 *
 * Usage:
 *     degraded_t *d = degraded_new(&(degraded_config_t){.redis_url = url, ...});
 *     pms_cfg.breaker.on_change = degraded_on_breaker_change; pms_cfg.breaker.on_change_ctx = d;
 *     degraded_set_connector(d, pms); degraded_start(d);
 *     degraded_set_hotel_admin(d, "hotel_123", true, "PMS migration");
 *     struct json_object *o = degraded_hotel_to_json(d, "hotel_123");
 *     degraded_stop(d); degraded_free(d);
 *
 * Thread-safety: all functions are thread-safe (one mutex guards the state,
 * another the Redis connection). Ownership: the producer and connector are
 * borrowed; returned JSON belongs to the caller.
 */
#ifndef INVENTORY_DEGRADED_H
#define INVENTORY_DEGRADED_H

#include <json-c/json.h>
#include <stdbool.h>

#include "common/breaker.h"
#include "common/kafka.h"
#include "common/degraded_keys.h"
#include "common/pms.h"

#define DEGRADED_REFRESH_MS 5000
/* A hotel's automatic key outlives three missed refreshes, no more. */
#define DEGRADED_HOTEL_TTL_S 15
/* The most hotels one listing (and the gauge) covers. */
#define DEGRADED_MAX_LISTED_HOTELS 256
/* The gauge's hotel label of the platform-wide switch (never a hotel id). */
#define DEGRADED_PLATFORM_LABEL "*"
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
/* The operator's platform-wide switch (every hotel). reason may be NULL.
 * Written to Redis by the writer thread. */
void degraded_set_admin(degraded_t *d, bool on, const char *reason);

/* The operator's switch for one hotel, written to Redis at once (it is what
 * booking-svc reads): 0, or -1 when Redis failed (nothing changed). reason
 * may be NULL when turning off. */
int degraded_set_hotel_admin(degraded_t *d, const char *hotel_id, bool on, const char *reason);

/* True while the platform switch is on. */
bool degraded_is_on(degraded_t *d);
/* The platform state plus the degraded hotels:
 * {"degraded":..[,"reason","since","source":"admin"],"hotels":[<hotel>...]}.
 * The caller owns (json_object_put) it. */
struct json_object *degraded_to_json(degraded_t *d);
/* One hotel: {"hotelId","degraded"[,"reason","since","source"]}, source
 * "platform" | "admin" | "breaker" in that precedence. The caller owns it. */
struct json_object *degraded_hotel_to_json(degraded_t *d, const char *hotel_id);

/* Splits a connector breaker name "pms:<vendor>:<hotelId>". 0 or -1. */
int degraded_parse_breaker_name(const char *name, char *vendor, size_t vendor_size, char *hotel,
                                size_t hotel_size);

#endif /* INVENTORY_DEGRADED_H */
