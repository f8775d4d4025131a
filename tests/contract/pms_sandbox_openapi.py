#!/usr/bin/env python3
"""Vendor-spec conformance of pms-sandbox against Cloudbeds' own OpenAPI file.

Starts a pms-sandbox on a free port, then
  1. runs schemathesis against the vendor file, limited to the operations the
     sandbox implements, with the sandbox's API key and property headers, and
     the checks response_schema_conformance + not_a_server_error;
  2. calls every implemented operation with valid and invalid inputs
     (holds, confirm, cancel, webhooks; KRW and USD hotels) and validates
     every 200 body against the operation's response schema resolved from
     the vendor file, and every error against Cloudbeds' error shape.

The vendor file is not part of the repository: it is read from
$CLOUDBEDS_OPENAPI, else from DEFAULT_SPEC below (a path beside the repository
root). When it is absent the test says so and exits
77 (ctest's SKIP_RETURN_CODE).

Usage: pms_sandbox_openapi.py --binary <path to pms-sandbox> [--examples N]
"""
import argparse
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SKIP = 77
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_SPEC = os.path.join(REPO_ROOT, "..", "shared", "vendor-specs",
                            "cloudbeds-pms-v1.3-openapi.yaml")
HOTEL, KEY = "hotel_123", "cbk_sandbox_hotel_123"
NYC, NYC_KEY = "hotel_nyc", "cbk_sandbox_hotel_nyc"
GANGNAM, GANGNAM_KEY = "hotel_gangnam", "cbk_sandbox_hotel_gangnam"
OPERATIONS = {  # vendor path -> HTTP method, as implemented by the sandbox
    "/getHotelDetails": "get", "/getTaxesAndFees": "get", "/getCustomFields": "get",
    "/getPaymentMethods": "get", "/getRoomTypes": "get", "/getRatePlans": "get",
    "/getAvailableRoomTypes": "get", "/postReservation": "post",
    "/putReservation": "put", "/getReservation": "get", "/getReservations": "get",
    "/postWebhook": "post",
    "/getWebhooks": "get", "/deleteWebhook": "delete",
}
START_TIMEOUT_S = 20
REQUEST_TIMEOUT_S = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    """A pms-sandbox process on a free port, stopped with SIGTERM."""

    def __init__(self, binary, log_path):
        self.port = free_port()
        env = dict(os.environ, PMS_SANDBOX_PORT=str(self.port), LOG_LEVEL="warn",
                   HTTP_THREADS="4")
        env.pop("PMS_SANDBOX_WEBHOOK_URL", None)
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([binary], env=env, stdout=self.log, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"FAILED: pms-sandbox did not start (log: {log_path})")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                code = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait()
        else:
            code = self.proc.returncode
        self.log.close()
        return code


# ---------------------------------------------------------------- schemas --

def load_spec(path):
    import yaml  # from the venv
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def to_json_schema(node, spec, depth=0):
    """OpenAPI 3.0 schema -> JSON Schema: $ref inlined, nullable -> null allowed."""
    if depth > 40:
        return {}
    if isinstance(node, list):
        return [to_json_schema(v, spec, depth + 1) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return to_json_schema(target, spec, depth + 1)
    out = {}
    for k, v in node.items():
        if k in ("nullable", "example", "examples", "description", "xml", "readOnly",
                 "writeOnly", "deprecated", "discriminator", "externalDocs"):
            continue
        if k in ("properties", "patternProperties"):
            out[k] = {name: to_json_schema(s, spec, depth + 1) for name, s in v.items()}
        elif k in ("items", "additionalProperties", "not") and isinstance(v, dict):
            out[k] = to_json_schema(v, spec, depth + 1)
        elif k in ("allOf", "anyOf", "oneOf"):
            out[k] = [to_json_schema(s, spec, depth + 1) for s in v]
        else:
            out[k] = v
    if node.get("nullable"):
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
        return {"anyOf": [out, {"type": "null"}]}
    return out


def response_validator(spec, path, method):
    import jsonschema
    op = spec["paths"][path][method]
    schema = op["responses"].get(200) or op["responses"].get("200")
    schema = schema["content"]["application/json"]["schema"]
    checker = jsonschema.FormatChecker()

    @checker.checks("date", raises=ValueError)
    def is_date(value):
        return not isinstance(value, str) or bool(
            re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and datetime.date.fromisoformat(value))

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value):
        return not isinstance(value, str) or bool(re.fullmatch(
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", value))

    return jsonschema.Draft7Validator(to_json_schema(schema, spec), format_checker=checker)


# ------------------------------------------------------------ deterministic --

class Checker:
    def __init__(self, spec, base):
        self.spec, self.base = spec, base
        self.validators = {p: response_validator(spec, p, m) for p, m in OPERATIONS.items()}
        self.passed = 0
        self.failures = []

    def call(self, method, op, params, key=KEY):
        data = None
        url = f"{self.base}/api/v1.3/{op}"
        body = urllib.parse.urlencode(params)
        if method in ("GET", "DELETE"):
            url += "?" + body
        else:
            data = body.encode()
        req = urllib.request.Request(url, data=data, method=method)
        if key:
            req.add_header("x-api-key", key)
        if data is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as r:
                status, raw, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            payload = None
        return status, payload, ctype

    def fail(self, what):
        self.failures.append(what)
        print(f"  FAIL {what}")

    def ok(self, method, op, params, key=KEY):
        """Calls and validates a 200 against the vendor schema; returns the body."""
        status, payload, ctype = self.call(method, op, params, key)
        label = f"{method} {op} {sorted(params)}"
        if status != 200 or payload is None or not ctype.startswith("application/json"):
            self.fail(f"{label}: status {status}, content type {ctype!r}, body {payload!r}")
            return payload or {}
        errors = sorted(self.validators["/" + op].iter_errors(payload), key=lambda e: e.path)
        for e in errors[:5]:
            self.fail(f"{label}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
        if not errors:
            self.passed += 1
        if payload.get("success") is not True:
            self.fail(f"{label}: success is not true")
        return payload

    def error(self, method, op, params, status, fragment, key=KEY):
        """Calls and expects a Cloudbeds-style error {success:false, message}."""
        got, payload, _ = self.call(method, op, params, key)
        label = f"{method} {op} {params}"
        if got != status:
            self.fail(f"{label}: status {got}, expected {status}: {payload!r}")
        elif not isinstance(payload, dict) or payload.get("success") is not False or \
                fragment not in str(payload.get("message", "")):
            self.fail(f"{label}: not a vendor error naming {fragment!r}: {payload!r}")
        else:
            self.passed += 1


def reservation_form(room, start, end, quantity=1, adults=2, hold_s=0, hotel=HOTEL, tpi=None):
    form = {"propertyID": hotel, "startDate": start, "endDate": end,
            "guestFirstName": "Gil-dong", "guestLastName": "Hong", "guestCountry": "KR",
            "guestEmail": "hong@example.com", "guestPhone": "+82-10-1234-5678",
            "rooms[0][roomTypeID]": room, "rooms[0][quantity]": str(quantity),
            "adults[0][roomTypeID]": room, "adults[0][quantity]": str(adults),
            "children[0][roomTypeID]": room, "children[0][quantity]": "0",
            "paymentMethod": "credit"}
    if hold_s:
        at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=hold_s)
        form["customFields[0][fieldName]"] = "holdExpiresAt"
        form["customFields[0][fieldValue]"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if tpi:
        form["thirdPartyIdentifier"] = tpi
    return form


def run_deterministic(spec, base):
    c = Checker(spec, base)
    today = datetime.date.today()
    d = lambda n: (today + datetime.timedelta(days=n)).isoformat()  # noqa: E731
    for hotel, key, room in ((HOTEL, KEY, "room_456"), (NYC, NYC_KEY, "nyc_queen")):
        c.ok("GET", "getHotelDetails", {"propertyID": hotel}, key)
        c.ok("GET", "getTaxesAndFees", {"propertyID": hotel}, key)
        c.ok("GET", "getCustomFields", {"propertyID": hotel}, key)
        c.ok("GET", "getPaymentMethods", {"propertyID": hotel}, key)
        c.ok("GET", "getRoomTypes", {"propertyIDs": hotel}, key)
        c.ok("GET", "getRoomTypes", {"propertyIDs": hotel, "roomTypeIDs": room}, key)
        for detailed in ("true", "false"):
            c.ok("GET", "getRatePlans", {"propertyIDs": hotel, "startDate": d(3),
                                         "endDate": d(10), "detailedRates": detailed}, key)
        c.ok("GET", "getRatePlans", {"propertyIDs": hotel, "roomTypeID": room,
                                     "startDate": d(1), "endDate": d(2)}, key)
        c.ok("GET", "getAvailableRoomTypes", {"propertyIDs": hotel, "startDate": d(5),
                                              "endDate": d(8), "rooms": "1", "adults": "2",
                                              "children": "0"}, key)
        c.ok("GET", "getAvailableRoomTypes", {"propertyIDs": hotel, "startDate": d(5),
                                              "endDate": d(8), "rooms": "1", "adults": "2",
                                              "children": "0", "detailedRates": "true"}, key)
        hold = c.ok("POST", "postReservation",
                    reservation_form(room, d(4), d(7), quantity=2, adults=3, hold_s=300,
                                     hotel=hotel, tpi=f"contract-{hotel}"), key)
        booked = c.ok("POST", "postReservation",
                      reservation_form(room, d(6), d(7), hotel=hotel), key)
        for res in (hold, booked):
            rid = res.get("reservationID", "missing")
            c.ok("GET", "getReservation", {"propertyID": hotel, "reservationID": rid}, key)
        rid = hold.get("reservationID", "missing")
        c.ok("PUT", "putReservation", {"propertyID": hotel, "reservationID": rid,
                                       "status": "confirmed"}, key)
        c.ok("PUT", "putReservation", {"propertyID": hotel, "reservationID": rid,
                                       "status": "canceled"}, key)
        c.ok("GET", "getReservation", {"propertyID": hotel, "reservationID": rid}, key)
        c.ok("GET", "getReservations", {"propertyID": hotel, "checkInFrom": d(4),
                                        "checkInTo": d(6), "includeCustomFields": "true"}, key)
        c.ok("GET", "getReservations", {"propertyID": hotel, "status": "not_confirmed"}, key)
        c.error("PUT", "putReservation", {"propertyID": hotel, "reservationID": rid,
                                          "status": "confirmed"}, 409, "is canceled", key)
    sub = c.ok("POST", "postWebhook", {"propertyID": HOTEL, "object": "reservation",
                                       "action": "created",
                                       "endpointUrl": "http://127.0.0.1:9/hook"})
    c.ok("GET", "getWebhooks", {"propertyID": HOTEL})
    sid = sub.get("data", {}).get("subscriptionID", "missing")
    c.ok("DELETE", "deleteWebhook", {"propertyIDs": HOTEL, "subscriptionID": sid})

    # Invalid inputs: Cloudbeds' error shape, a 4xx naming the problem.
    # a hotel whose rates hold VAT and add a service charge: Cloudbeds' shape
    taxes = c.ok("GET", "getTaxesAndFees", {"propertyID": GANGNAM}, GANGNAM_KEY)
    if not taxes or len(taxes.get("data") or []) != 2:
        c.fail(f"getTaxesAndFees of {GANGNAM}: two entries expected, got {taxes}")
    c.error("GET", "getHotelDetails", {"propertyID": HOTEL}, 401, "Invalid API key", key=None)
    c.error("GET", "getHotelDetails", {"propertyID": HOTEL}, 401, "Invalid API key",
            key=NYC_KEY)
    c.error("GET", "getHotelDetails", {"propertyID": "nowhere"}, 404, "nowhere")
    c.error("GET", "getRatePlans", {"startDate": d(1)}, 400, "endDate")
    c.error("GET", "getRatePlans", {"startDate": "2025-02-30", "endDate": d(1)}, 400,
            "startDate")
    c.error("GET", "getRatePlans", {"startDate": d(3), "endDate": d(2)}, 400, "endDate")
    c.error("GET", "getRoomTypes", {"roomTypeIDs": "room_000"}, 404, "room_000")
    c.error("GET", "getAvailableRoomTypes", {"startDate": d(1), "endDate": d(2),
                                             "rooms": "zero"}, 400, "rooms")
    bad = reservation_form("room_456", d(2), d(3))
    bad["guestEmail"] = "not-an-email"
    c.error("POST", "postReservation", bad, 400, "guestEmail")
    bad = reservation_form("room_456", d(2), d(3))
    bad["paymentMethod"] = "gold"
    c.error("POST", "postReservation", bad, 400, "paymentMethod")
    c.error("POST", "postReservation", reservation_form("room_999", d(2), d(3)), 404,
            "room_999")
    c.error("POST", "postReservation", reservation_form("room_456", d(2), d(3), quantity=11,
                                                        adults=11), 409, "No availability")
    c.error("GET", "getReservation", {"reservationID": "123"}, 404, "123")
    c.error("PUT", "putReservation", {"reservationID": "123", "status": "no_show"}, 400,
            "status")
    c.error("POST", "postWebhook", {"object": "reservation", "action": "created"}, 400,
            "endpointUrl")
    c.error("DELETE", "deleteWebhook", {"subscriptionID": "sub_none"}, 404, "sub_none")
    c.error("GET", "getNothing", {}, 404, "Unknown API method")
    return c


# -------------------------------------------------------------- schemathesis --

def run_schemathesis(venv_bin, spec_path, base, examples, workdir):
    exe = os.path.join(venv_bin, "schemathesis")
    if not os.access(exe, os.X_OK):
        print(f"FAILED: schemathesis is not installed in {venv_bin}: run deploy/local/setup")
        return False
    today = datetime.date.today()
    start, end = today + datetime.timedelta(days=3), today + datetime.timedelta(days=6)
    config = os.path.join(workdir, "schemathesis.toml")
    with open(config, "w", encoding="utf-8") as f:
        # Realistic values for the query parameters, so reads reach the ledger;
        # everything else is generated from the vendor file.
        f.write("[parameters]\n"
                f'"query.propertyID" = "{HOTEL}"\n"query.propertyIDs" = "{HOTEL}"\n'
                f'"query.startDate" = "{start}"\n"query.endDate" = "{end}"\n'
                '"query.roomTypeID" = "room_456"\n"query.roomTypeIDs" = "room_456"\n'
                '"query.rooms" = 1\n"query.adults" = 2\n"query.children" = 0\n')
    regex = "^(" + "|".join(re.escape(p) for p in OPERATIONS) + ")$"
    cmd = [exe, "--config-file", config, "run", spec_path, "--url", base + "/api/v1.3",
           "-H", f"x-api-key: {KEY}", "-H", f"X-PROPERTY-ID: {HOTEL}",
           "--include-path-regex", regex,
           "--checks", "response_schema_conformance,not_a_server_error",
           "--max-examples", str(examples), "--seed", "20251101",
           "--report", "junit", "--report-dir", os.path.join(workdir, "report")]
    print("$ " + " ".join(cmd), flush=True)
    env = dict(os.environ, SCHEMATHESIS_HOOKS="", NO_COLOR="1")
    return subprocess.run(cmd, cwd=workdir, env=env).returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True, help="the pms-sandbox executable")
    ap.add_argument("--examples", type=int, default=25, help="schemathesis cases per operation")
    ap.add_argument("--log", default=None, help="where the sandbox logs (default: a temp dir)")
    args = ap.parse_args()

    spec_path = os.environ.get("CLOUDBEDS_OPENAPI") or DEFAULT_SPEC
    if not os.path.isfile(spec_path):
        print(f"SKIPPED: vendor OpenAPI file not found at {os.path.abspath(spec_path)} "
              "(set CLOUDBEDS_OPENAPI to its path)")
        return SKIP
    workdir = tempfile.mkdtemp(prefix="pms_sandbox_openapi_")
    log_path = args.log or os.path.join(workdir, "pms-sandbox.log")
    spec = load_spec(spec_path)
    missing = [p for p in OPERATIONS if p not in spec.get("paths", {})]
    if missing:
        print(f"FAILED: the vendor file lacks {missing}")
        return 1
    sandbox = Sandbox(args.binary, log_path)
    try:
        print(f"vendor file: {spec_path}\nsandbox: {sandbox.base} (log: {log_path})")
        print("== schemathesis: response_schema_conformance, not_a_server_error", flush=True)
        fuzz_ok = run_schemathesis(os.path.dirname(sys.executable), spec_path, sandbox.base,
                                   args.examples, workdir)
        print("== every implemented operation, valid and invalid inputs", flush=True)
        checks = run_deterministic(spec, sandbox.base)
    finally:
        code = sandbox.stop()
    if code != 0:
        print(f"FAILED: pms-sandbox exited with {code} (log: {log_path})")
    print(f"{checks.passed} passed, {len(checks.failures)} failed")
    ok = fuzz_ok and not checks.failures and code == 0
    if ok and not args.log:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
