#!/usr/bin/env python3
"""Validates the recorded vendor responses in proto/examples/pms/cloudbeds/
against Cloudbeds' own OpenAPI description (the 200 response schema of the
method a file is named after: getRatePlans.json, getReservation-hold.json, …).
error-*.json files must have Cloudbeds' error shape {success: false, message}.

The vendor file is not part of this repository: it is read from
$CLOUDBEDS_OPENAPI, else from DEFAULT_SPEC below (a path beside the checkout);
when it is absent the check says so and exits 77
(ctest's SKIP_RETURN_CODE)."""
import json
import os
import pathlib
import sys

import jsonschema
import yaml

PROTO = pathlib.Path(__file__).resolve().parent
DEFAULT_SPEC = PROTO.parent.parent / "shared" / "vendor-specs" / "cloudbeds-pms-v1.3-openapi.yaml"


def to_json_schema(node, components):
    """OpenAPI 3.0 schema → JSON Schema: resolves $ref, turns nullable into a null type."""
    if isinstance(node, list):
        return [to_json_schema(n, components) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return to_json_schema(components[node["$ref"].split("/")[-1]], components)
    out = {k: to_json_schema(v, components) for k, v in node.items()
           if k not in ("nullable", "example", "description", "xml", "readOnly", "writeOnly")}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
    return out


def main():
    spec_path = pathlib.Path(os.environ.get("CLOUDBEDS_OPENAPI", DEFAULT_SPEC))
    if not spec_path.is_file():
        print(f"SKIPPED: vendor OpenAPI file not found at {spec_path} (set CLOUDBEDS_OPENAPI)")
        return 77
    spec = yaml.safe_load(spec_path.read_text())
    components = spec["components"]["schemas"]
    failures = checked = 0
    for path in sorted((PROTO / "examples" / "pms" / "cloudbeds").glob("*.json")):
        body = json.loads(path.read_text())
        method = path.stem.split("-")[0]
        if method == "error":
            ok = body.get("success") is False and isinstance(body.get("message"), str)
            if not ok:
                print(f"FAIL {path.name}: not {{success: false, message: <text>}}")
                failures += 1
            checked += 1
            continue
        op = next(iter(spec["paths"].get(f"/{method}", {}).values()), None)
        if op is None:
            print(f"FAIL {path.name}: the vendor file has no method {method}")
            failures += 1
            continue
        schema = to_json_schema(op["responses"][200]["content"]["application/json"]["schema"],
                                components)
        for err in jsonschema.Draft7Validator(schema).iter_errors(body):
            print(f"FAIL {path.name}: {'/'.join(map(str, err.absolute_path))}: {err.message}")
            failures += 1
        checked += 1
    print(f"{checked} Cloudbeds example(s) checked against {spec_path.name}, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
