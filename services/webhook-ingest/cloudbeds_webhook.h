/*
 * cloudbeds_webhook.h — Cloudbeds' own webhook payloads → pms.events data
 * (internal to webhook-ingest; the mapping table is in proto/webhooks.md).
 *
 * Usage (from normalize_webhook, for a body with "event"):
 *     if (cloudbeds_webhook_parse("cloudbeds", root, raw, len, &n, &err) != 0) → 4xx
 *
 * Cloudbeds sends no event id: it is derived from SHA-256("<vendor>\n" + raw
 * body). Thread-safety: reentrant. Ownership: events go into n.
 */
#ifndef WEBHOOK_CLOUDBEDS_WEBHOOK_H
#define WEBHOOK_CLOUDBEDS_WEBHOOK_H

#include <json-c/json.h>
#include <stddef.h>

#include "normalize.h"

/* Fills n from a parsed Cloudbeds payload. 0, or -1 with err. */
int cloudbeds_webhook_parse(const char *vendor, json_object *body, const char *raw, size_t len,
                            normalized_t *n, normalize_error_t *err);

/* The property id (propertyID_str, propertyId_str, propertyID, propertyId):
 * 1 found, 0 absent, -1 unusable. */
int cloudbeds_webhook_property_id(json_object *body, char out[NORMALIZE_ID_MAX + 1]);

#endif /* WEBHOOK_CLOUDBEDS_WEBHOOK_H */
