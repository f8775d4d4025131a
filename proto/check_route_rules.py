#!/usr/bin/env python3
"""Every operation in openapi.yaml is served by a service with the rule its
x-auth-rule states, and every route a service registers is in openapi.yaml.

Reads each service binary's `--routes` (JSON lines: method, path, rule; the
same table the service registers) and compares both ways. Operations marked
x-not-implemented are described for a client that no service serves yet; they
are listed, not failed. Usage: check_route_rules.py <openapi.yaml> <binary>...
"""
import json
import re
import subprocess
import sys

import yaml

METHODS = {"get", "put", "post", "delete", "patch"}


def spec_routes(path):
    """{(METHOD, /path/:param): (rule, not_implemented)} from the OpenAPI file."""
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    out = {}
    for p, item in doc["paths"].items():
        norm = re.sub(r"\{([^}]+)\}", r":\1", p)
        for method, op in item.items():
            if method not in METHODS:
                continue
            rule = op.get("x-auth-rule")
            if rule is None:
                sys.exit(f"{method.upper()} {p}: no x-auth-rule")
            out[(method.upper(), norm)] = (rule, bool(op.get("x-not-implemented")))
    return out


def binary_routes(binary):
    """{(METHOD, pattern): rule} from `binary --routes`."""
    text = subprocess.run([binary, "--routes"], check=True, capture_output=True, text=True).stdout
    out = {}
    for line in text.splitlines():
        r = json.loads(line)
        out[(r["method"], r["path"])] = r["rule"]
    return out


def main():
    spec = spec_routes(sys.argv[1])
    served = {}
    errors = []
    for binary in sys.argv[2:]:
        for key, rule in binary_routes(binary).items():
            if key in served and served[key] != rule:
                errors.append(f"{key[0]} {key[1]}: rule {rule} in {binary}, {served[key]} elsewhere")
            served[key] = rule
    for key, rule in served.items():
        if key not in spec:
            errors.append(f"{key[0]} {key[1]} is served ({rule}) but not in openapi.yaml")
        elif spec[key][0] != rule:
            errors.append(f"{key[0]} {key[1]}: served as {rule}, openapi.yaml says {spec[key][0]}")
    for key, (rule, not_implemented) in spec.items():
        if key in served:
            continue
        if not_implemented:
            print(f"not implemented yet (x-not-implemented): {key[0]} {key[1]} ({rule})")
        else:
            errors.append(f"{key[0]} {key[1]} is in openapi.yaml but no service serves it")
    for e in errors:
        print(e, file=sys.stderr)
    print(f"{len(served)} routes served, {len(spec)} operations described, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
