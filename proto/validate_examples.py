#!/usr/bin/env python3
"""Validates proto/examples/events/*.json against the CloudEvents envelope
schema and the data schema of their type, and checks that every file in
proto/examples/invalid/ is rejected. Run by ctest (proto_examples_valid) with
the project's venv (deploy/local/setup installs jsonschema there)."""
import json
import pathlib
import sys

import jsonschema

PROTO = pathlib.Path(__file__).resolve().parent

# type → data schema; the same table as topics.md.
SCHEMA_OF_TYPE = {
    "lodging.pms.inventory.updated": "pms-inventory-updated",
    "lodging.pms.rate.updated": "pms-rate-updated",
    "lodging.pms.booking.confirmed": "pms-booking-changed",
    "lodging.pms.booking.cancelled": "pms-booking-changed",
    "lodging.pms.room.updated": "pms-room-updated",
    "lodging.sync.requested": "sync-requested",
    "lodging.sync.succeeded": "sync-result",
    "lodging.sync.failed": "sync-result",
    "lodging.booking.compensation.requested": "booking-compensation",
    "lodging.ops.polling.stopped": "ops-alert",
    "lodging.ops.breaker.opened": "ops-alert",
    "lodging.ops.compensation.stuck": "ops-alert",
}
for step in ("requested", "held", "payment_authorized", "confirmed", "captured", "failed",
             "compensated", "cancelled", "modified"):
    SCHEMA_OF_TYPE[f"lodging.booking.{step}"] = "booking"


def validator(name):
    schema = json.loads((PROTO / "events" / f"{name}.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def errors_of(event):
    errors = [f"envelope: {e.message}" for e in validator("cloudevent").iter_errors(event)]
    name = SCHEMA_OF_TYPE.get(event.get("type"))
    if name is None:
        return errors + [f"unknown type {event.get('type')!r}"]
    if event.get("dataschema", f"urn:lodging:events:{name}") != f"urn:lodging:events:{name}":
        errors.append(f"dataschema {event['dataschema']!r} is not urn:lodging:events:{name}")
    return errors + [f"data: {e.message}" for e in validator(name).iter_errors(event.get("data"))]


def main():
    failures = 0
    seen_types = set()
    for path in sorted((PROTO / "examples" / "events").glob("*.json")):
        event = json.loads(path.read_text())
        seen_types.add(event.get("type"))
        for err in errors_of(event):
            print(f"FAIL {path.name}: {err}")
            failures += 1
    missing = set(SCHEMA_OF_TYPE) - seen_types
    for t in sorted(missing):
        print(f"FAIL no example for event type {t}")
        failures += 1
    for path in sorted((PROTO / "examples" / "invalid").glob("*.json")):
        if not errors_of(json.loads(path.read_text())):
            print(f"FAIL {path.name} should be rejected but validates")
            failures += 1
    checked = len(list((PROTO / "examples").rglob("*.json")))
    print(f"{checked} example files checked, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
