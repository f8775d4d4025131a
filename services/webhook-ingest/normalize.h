/*
 * normalize.h — a PMS webhook body → the events webhook-ingest publishes on
 * pms.events (proto/webhooks.md, proto/topics.md, proto/events/pms-*.schema.json).
 *
 * Two input shapes, told apart by their fields:
 *   - the normalised shape ({eventId, eventType, vendor, hotelId, timestamp, data}),
 *     which the pms-sandbox sends (with "vendor":"cloudbeds" on the cloudbeds route);
 *   - Cloudbeds' own webhook payloads ({version, event: "reservation/created",
 *     timestamp, propertyID | propertyID_str, reservationID, status, startDate,
 *     endDate, ...}); they carry no event id, so one is derived from a SHA-256 of
 *     the vendor and the raw body (a re-delivery of the same bytes is a duplicate).
 * One webhook yields 0..NORMALIZE_MAX_EVENTS events: 0 when the vendor event is
 * known but changes nothing we model (a reservation becoming "not_confirmed"),
 * several for a Cloudbeds room block spanning room types.
 *
 * Usage:
 *     normalized_t n; normalize_error_t e;
 *     if (normalize_webhook("cloudbeds", body, len, &n, &e) != 0)
 *         → 4xx with e.code, e.field, e.message
 *     for (size_t i = 0; i < n.event_count; i++) ... n.events[i].type, n.events[i].data ...
 *     normalized_clear(&n);
 *
 * Every data object is built field by field (never copied from the input), so
 * it holds exactly what its schema allows. Thread-safety: reentrant.
 * Ownership: normalized_t owns its data objects until normalized_clear.
 */
#ifndef WEBHOOK_NORMALIZE_H
#define WEBHOOK_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

#define NORMALIZE_MAX_EVENTS 16
#define NORMALIZE_ID_MAX 64 /* eventId, hotelId, roomTypeId, reservationId (schemas) */
#define NORMALIZE_DERIVED_ID_PREFIX "cb_"
#define NORMALIZE_DERIVED_ID_HEX 48

typedef enum {
    WEBHOOK_INVENTORY_UPDATE = 0,
    WEBHOOK_RATE_UPDATE,
    WEBHOOK_BOOKING_CONFIRM,
    WEBHOOK_BOOKING_CANCEL,
    WEBHOOK_ROOM_UPDATE,
    WEBHOOK_EVENT_TYPE_COUNT
} webhook_event_type_t;

typedef struct normalized_event {
    webhook_event_type_t type;
    struct json_object *data; /* the CloudEvent's data, owned */
} normalized_event_t;

typedef struct normalized {
    char vendor[16];
    char event_id[NORMALIZE_ID_MAX + 1]; /* the idempotency key */
    char hotel_id[NORMALIZE_ID_MAX + 1];
    const char *source_event;   /* "inventory_update", "reservation/created" (static) */
    const char *ignored_reason; /* why event_count is 0 (static), else NULL */
    normalized_event_t events[NORMALIZE_MAX_EVENTS];
    size_t event_count;
} normalized_t;

typedef struct normalize_error {
    const char *code;   /* VALIDATION_ERROR, UNKNOWN_EVENT_TYPE (static) */
    const char *reason; /* metric label: bad_json, missing_field, ... (static) */
    char field[128];
    char message[256];
} normalize_error_t;

/* True for the vendors with a route: "cloudbeds" and "sandbox". */
bool normalize_vendor_known(const char *vendor);

/* Normalises `body` received on /api/webhooks/pms/<vendor>. 0, or -1 with err. */
int normalize_webhook(const char *vendor, const char *body, size_t len, normalized_t *out,
                      normalize_error_t *err);
void normalized_clear(normalized_t *n);

/* The hotel id of a body — from the very field normalize_webhook takes it from
 * (hotelId in the normalised shape, propertyID in Cloudbeds') — without
 * validating anything else, for picking a per-hotel secret before the
 * signature is checked; false when none. */
bool normalize_peek_hotel_id(const char *body, size_t len, char *out, size_t out_size);

/* "inventory_update" ... and "lodging.pms.inventory.updated" ... */
const char *normalize_event_type_name(webhook_event_type_t t);
const char *normalize_cloudevent_type(webhook_event_type_t t);

#endif /* WEBHOOK_NORMALIZE_H */
