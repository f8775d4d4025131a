#!/usr/bin/env python3
"""Validates every CloudEvent test_normalize wrote (argv[1]) against
proto/events/ — the envelope and the data schema of its type — with the same
rules as proto/validate_examples.py."""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "proto"))
import validate_examples  # noqa: E402


def main():
    files = sorted(pathlib.Path(sys.argv[1]).glob("*.json"))
    failures = 0
    for path in files:
        for err in validate_examples.errors_of(json.loads(path.read_text())):
            print(f"FAIL {path.name}: {err}")
            failures += 1
    if not files:
        print("FAIL no events to validate (did unit_webhook_ingest_normalize run?)")
        failures += 1
    print(f"{len(files)} webhook-ingest events checked, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
