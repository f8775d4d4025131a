/*
 * schema_check.h — checks event data against the proto/events schema rules
 * that matter for what booking-svc produces: every required property is
 * present, no property outside the schema (the schemas are open to additive
 * fields for consumers' sake, but what we produce is always documented first),
 * types, enums, string lengths and integer minimums.
 *
 *     schema_assert_matches(data, "ops-alert");   // fails the test with the property named
 *
 * Uses check's assertions: call it inside tests.
 */
#ifndef BOOKING_SCHEMA_CHECK_H
#define BOOKING_SCHEMA_CHECK_H

#include <json-c/json.h>

void schema_assert_matches(struct json_object *data, const char *schema_name);

#endif /* BOOKING_SCHEMA_CHECK_H */
