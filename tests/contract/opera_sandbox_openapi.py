#!/usr/bin/env python3
"""Vendor-spec conformance of opera-sandbox against Oracle's own OHIP
Distribution Swagger files (auth, content, shop, book).

Starts an opera-sandbox on a free port, calls every implemented operation with
valid and invalid inputs (token, property, room types with paging, offers with
each availability status, the calendar and its 62-day limit, a session hold
committed / ignored / purged, a cancellation, a look-up) and validates
  - every 200 body against the operation's response schema from the vendor file,
  - every error body against the family's error definition (ExceptionDetail with
    "o:errorCode" for Content and Shop, ExceptionObj with "o.errorCode" for Book),
  - every request body the test sends against the operation's body schema,
  - the connector's recorded payloads in proto/examples/pms/opera/ against the
    schemas their README names,
and the headers the specs make mandatory (x-channelCode everywhere,
x-hdp-tracing-key on Book, a Bearer token).

The vendor files are not part of the repository: they are read from
$OPERA_SPECS_DIR, else from DEFAULT_DIR below (beside the repository root).
When they are absent the test says so and exits 77 (ctest's SKIP_RETURN_CODE).

Usage: opera_sandbox_openapi.py --binary <path to opera-sandbox>
"""
import argparse
import base64
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import jsonschema

SKIP = 77
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_DIR = os.path.join(REPO_ROOT, "..", "shared", "vendor-specs")
FILES = {
    "auth": "oracle-ohip-distribution-auth-openapi.json",
    "content": "oracle-ohip-distribution-content-openapi.json",
    "shop": "oracle-ohip-distribution-shop-openapi.json",
    "book": "oracle-ohip-distribution-book-openapi.json",
    "oauth": "oracle-ohip-property-oauth-openapi.json",
    "int": "oracle-ohip-property-int-openapi.json",
}
EXAMPLES = os.path.join(REPO_ROOT, "proto", "examples", "pms", "opera")
HOTEL = "opera_jeju"
USER, PASSWORD, CHANNEL = "lodging_integration", "opera_sandbox_password", "LODGING"
CLIENT, SECRET, EXT_SYSTEM = "lodging_property_client", "opera_sandbox_client_secret", "LODGING"
APP_KEY = "41ecd082-8997-4c69-af34-2f72b83645ff"
START_TIMEOUT_S = 20

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Spec:
    """One Swagger 2.0 file: schemas by operation, validators by definition."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.base = self.doc.get("basePath", "")

    def validator(self, schema):
        full = dict(schema)
        full["definitions"] = self.doc.get("definitions", {})
        return jsonschema.Draft4Validator(full)

    def definition(self, name):
        return self.validator({"$ref": "#/definitions/" + name})

    def op(self, path, method):
        return self.doc["paths"][path][method]

    def response(self, path, method, status="200"):
        r = self.op(path, method)["responses"][status]
        if "$ref" in r:
            r = self.doc["responses"][r["$ref"].split("/")[-1]]
        return self.validator(r["schema"])

    def body(self, path, method):
        for p in self.op(path, method)["parameters"]:
            if "$ref" in p:
                p = self.doc["parameters"][p["$ref"].split("/")[-1]]
            if p.get("in") == "body":
                return self.validator(p["schema"])
        raise KeyError(path)


def validate(v, data, what):
    errors = sorted(v.iter_errors(data), key=lambda e: list(e.path))
    check(not errors, f"{what}: {errors[0].message if errors else ''} at "
                      f"{list(errors[0].path) if errors else ''}")


class Sandbox:
    def __init__(self, binary, log_path):
        self.port = free_port()
        env = dict(os.environ, OPERA_SANDBOX_PORT=str(self.port), LOG_LEVEL="warn",
                   OPERA_SANDBOX_SWEEP_INTERVAL_MS="50")
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
        raise SystemExit(f"FAILED: opera-sandbox did not start (log: {log_path})")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def call(self, method, path, headers=None, body=None, form=None):
        data = None
        h = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json; charset=utf-8"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None


def create_body(arrival, departure, room_type, session, external, units=1):
    return {"reservations": [{
        "reservationIdList": [{"id": external}],
        "isSessionRequest": session,
        "hotelCode": HOTEL,
        "roomStay": {
            "arrivalDate": arrival, "departureDate": departure,
            "guarantee": {"guaranteeType": "38", "onHold": session},
            "roomRates": [{"roomType": room_type, "ratePlanCode": "BAR",
                           "numberOfUnits": units, "guestCounts": {"adults": 2}}]},
        "reservationGuests": [{"profileInfo": {"profile": {
            "customer": {"personName": [{"givenName": "Minji", "surname": "Kim",
                                         "nameType": "Primary"}]},
            "profileType": "Guest"}}, "primary": True}],
        "reservationPaymentMethods": [{"paymentMethod": "1"}],
    }]}


def status_body(conf, action):
    return {"reservations": [{"reservationIdList": [{"id": conf, "type": "Confirmation"}],
                              "reservationStatus": action, "hotelCode": HOTEL}]}


def cancel_body(conf):
    return {"reservations": [{"reservationIdList": [{"id": conf, "type": "Confirmation"}],
                              "hotelCode": HOTEL}]}


def run(sb, specs):
    auth, content, shop, book = (specs[k] for k in ("auth", "content", "shop", "book"))
    content_error = content.definition("ExceptionDetail")
    shop_error = shop.definition("ExceptionDetail")
    book_error = book.definition("ExceptionObj")

    # token
    st, tok = sb.call("POST", "/hdpba/oauth2/v1/token", form={"username": USER,
                                                              "password": PASSWORD})
    check(st == 200, f"token: {st}")
    validate(auth.response("/token", "post"), tok, "token 200")
    st, _ = sb.call("POST", "/hdpba/oauth2/v1/token", form={"username": USER, "password": "x"})
    check(st == 401, f"token with a wrong password: {st}")
    hdr = {"authorization": "Bearer " + tok["access_token"], "x-channelCode": CHANNEL}
    bhdr = dict(hdr, **{"x-hdp-tracing-key": "contract-1"})

    # content
    st, body = sb.call("GET", f"/content/v1/hotels/{HOTEL}", hdr)
    check(st == 200, f"property: {st}")
    validate(content.response("/hotels/{hotelCode}", "get"), body, "property 200")
    st, body = sb.call("GET", f"/content/v1/hotels/{HOTEL}/roomTypes?limit=2", hdr)
    validate(content.response("/hotels/{hotelCode}/roomTypes", "get"), body, "roomTypes 200")
    check(body["hasMore"] is True and body["count"] == 2 and body["totalResults"] == 3,
          f"roomTypes paging: {body.get('hasMore')} {body.get('count')}")
    st, body = sb.call("GET", f"/content/v1/hotels/{HOTEL}/roomTypes?limit=2&offset=2", hdr)
    check(st == 200 and body["count"] == 1 and body["hasMore"] is False, "roomTypes page 2")
    st, body = sb.call("GET", f"/content/v1/hotels/{HOTEL}/roomTypes?limit=101", hdr)
    check(st == 400, f"roomTypes limit 101: {st}")
    validate(content_error, body, "content 400")
    check("o:errorCode" in body, "content errors spell o:errorCode")
    st, body = sb.call("GET", "/content/v1/hotels/NOSUCH", hdr)
    check(st == 404, f"unknown hotel: {st}")
    validate(content_error, body, "content 404")
    st, body = sb.call("GET", f"/content/v1/hotels/{HOTEL}",
                       {"authorization": hdr["authorization"]})
    check(st == 400, f"missing x-channelCode: {st}")
    st, body = sb.call("GET", f"/content/v1/hotels/{HOTEL}", {"x-channelCode": CHANNEL})
    check(st == 401, f"missing token: {st}")
    validate(content_error, body, "content 401")

    # shop
    today = datetime.date.today()
    a = (today + datetime.timedelta(days=20)).isoformat()
    d = (today + datetime.timedelta(days=22)).isoformat()
    offers = shop.response("/hotels/{hotelCode}/offers", "get")
    st, body = sb.call("GET", f"/shop/v1/hotels/{HOTEL}/offers?arrivalDate={a}&departureDate={d}"
                              f"&adults=2", hdr)
    check(st == 200, f"offers: {st}")
    validate(offers, body, "offers 200")
    check(body["roomStays"][0]["availability"] == "AvailableForSale", "offers available")
    check(all("numberOfUnits" not in o.get("rateInformation", {}) for o in
              body["roomStays"][0]["offers"]), "offers carry no room count")
    st, body = sb.call("GET", f"/shop/v1/hotels/{HOTEL}/offers?arrivalDate={a}&departureDate={d}"
                              f"&roomTypes=OCNS&roomTypeMatchOnly=true&numberOfUnits=3", hdr)
    validate(offers, body, "offers BelowRequestedUnits")
    check(body["roomStays"][0]["roomTypes"][0]["availabilityStatus"] == "BelowRequestedUnits",
          "3 of 2 suites is BelowRequestedUnits")
    st, body = sb.call("GET", f"/shop/v1/hotels/{HOTEL}/offers?departureDate={d}", hdr)
    check(st == 400, f"offers without arrivalDate: {st}")
    validate(shop_error, body, "shop 400")
    cal = shop.response("/hotels/{hotelCode}/calendar", "get")
    to = (today + datetime.timedelta(days=20 + 61)).isoformat()
    st, body = sb.call("GET", f"/shop/v1/hotels/{HOTEL}/calendar?arrivalDateFrom={a}"
                              f"&arrivalDateTo={to}", hdr)
    check(st == 200 and len(body["roomStays"][0]["calendarItems"]) == 62, f"calendar 62: {st}")
    validate(cal, body, "calendar 200")
    to = (today + datetime.timedelta(days=20 + 62)).isoformat()
    st, body = sb.call("GET", f"/shop/v1/hotels/{HOTEL}/calendar?arrivalDateFrom={a}"
                              f"&arrivalDateTo={to}", hdr)
    check(st == 400, f"calendar 63 days: {st}")
    validate(shop_error, body, "calendar 400")

    # book: a session hold, committed, read, cancelled
    create = create_body(a, d, "OCNS", True, "bkcontract1")
    validate(book.body("/hotels/{hotelCode}/reservations", "post"), create, "create request")
    st, body = sb.call("POST", f"/book/v1/hotels/{HOTEL}/reservations", hdr, create)
    check(st == 400, f"create without x-hdp-tracing-key: {st}")
    validate(book_error, body, "book 400")
    check("o.errorCode" in body, "book errors spell o.errorCode")
    resp = book.response("/hotels/{hotelCode}/reservations", "post")
    st, body = sb.call("POST", f"/book/v1/hotels/{HOTEL}/reservations", bhdr, create)
    check(st == 200, f"create: {st} {body}")
    validate(resp, body, "create 200")
    check(body[0]["reservationStatus"] == "OnHold", "a session create is OnHold")
    conf = next(i["id"] for i in body[0]["reservationIds"] if i["type"] == "Confirmation")
    path = f"/book/v1/hotels/{HOTEL}/reservations/{conf}"
    commit = status_body(conf, "Commit")
    validate(book.body("/hotels/{hotelCode}/reservations/{confirmationNum}/status", "post"),
             commit, "status request")
    st, body = sb.call("POST", path + "/status", bhdr, commit)
    check(st == 200 and body["reservationStatus"] == "Committed", f"commit: {st}")
    validate(book.response("/hotels/{hotelCode}/reservations/{confirmationNum}/status", "post"),
             body, "commit 200")
    st, body = sb.call("GET", path, bhdr)
    validate(book.response("/hotels/{hotelCode}/reservations/{confirmationNum}", "get"), body,
             "get 200")
    check(body[0]["reservationStatus"] == "Reserved", "a committed session reads Reserved")
    st, body = sb.call("POST", path + "/status", bhdr, status_body(conf, "Ignore"))
    check(st == 400, f"ignore after commit: {st}")
    validate(book_error, body, "ignore after commit 400")
    cancel = cancel_body(conf)
    validate(book.body("/hotels/{hotelCode}/reservations/{confirmationNum}/cancellations",
                       "post"), cancel, "cancel request")
    st, body = sb.call("POST", path + "/cancellations", bhdr, cancel)
    check(st == 200 and body[0]["reservationStatus"] == "Cancelled", f"cancel: {st}")
    validate(book.response("/hotels/{hotelCode}/reservations/{confirmationNum}/cancellations",
                           "post"), body, "cancel 200")

    # a session hold ignored, one purged: both vanish (404)
    for external, how in (("bkcontract2", "ignore"), ("bkcontract3", "purge")):
        st, body = sb.call("POST", f"/book/v1/hotels/{HOTEL}/reservations", bhdr,
                           create_body(a, d, "DLXK", True, external))
        conf = next(i["id"] for i in body[0]["reservationIds"] if i["type"] == "Confirmation")
        path = f"/book/v1/hotels/{HOTEL}/reservations/{conf}"
        if how == "ignore":
            st, body = sb.call("POST", path + "/status", bhdr, status_body(conf, "Ignore"))
            check(st == 200 and body["reservationStatus"] == "Ignored", f"ignore: {st}")
            validate(book.response("/hotels/{hotelCode}/reservations/{confirmationNum}/status",
                                   "post"), body, "ignore 200")
        else:
            st, _ = sb.call("POST", "/_sandbox/sessions/purge", {},
                            {"hotelCode": HOTEL, "confirmationNumber": conf})
            check(st == 200, f"purge: {st}")
        st, body = sb.call("GET", path, bhdr)
        check(st == 404, f"{how}d session read: {st}")
        validate(book_error, body, f"{how}d 404")
        st, body = sb.call("POST", path + "/status", bhdr, status_body(conf, "Commit"))
        check(st == 404, f"commit after {how}: {st}")

    # no availability is a Book error, not a 200
    st, body = sb.call("POST", f"/book/v1/hotels/{HOTEL}/reservations", bhdr,
                       create_body(a, d, "OCNS", True, "bkcontract4", units=3))
    check(st == 400, f"create beyond availability: {st}")
    validate(book_error, body, "no availability 400")

    # injected faults answer in the family's spelling
    sb.call("POST", "/_sandbox/faults", {}, {"op": "getPropertyOffers", "status": 503,
                                             "failNext": 1})
    st, body = sb.call("GET", f"/shop/v1/hotels/{HOTEL}/offers?arrivalDate={a}&departureDate={d}",
                       hdr)
    check(st == 503, f"injected 503: {st}")
    validate(shop_error, body, "injected shop 503")
    sb.call("POST", "/_sandbox/faults", {}, {"op": "postReservation", "status": 502,
                                             "failNext": 1})
    st, body = sb.call("POST", f"/book/v1/hotels/{HOTEL}/reservations", bhdr,
                       create_body(a, d, "DLXK", True, "bkcontract5"))
    check(st == 502, f"injected 502: {st}")
    validate(book_error, body, "injected book 502")


def business_events(sb, specs):
    """The Property API: its own OAuth client and the Business Events queue."""
    oauth, integ = specs["oauth"], specs["int"]
    basic = "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
    st, tok = sb.call("POST", "/oauth/v1/tokens", {"authorization": basic, "x-app-key": APP_KEY},
                      form={"grant_type": "client_credentials"})
    check(st == 200, f"property token: {st}")
    validate(oauth.response("/tokens", "post"), tok, "property token 200")
    wrong = "Basic " + base64.b64encode(f"{CLIENT}:nope".encode()).decode()
    st, _ = sb.call("POST", "/oauth/v1/tokens", {"authorization": wrong, "x-app-key": APP_KEY},
                    form={"grant_type": "client_credentials"})
    check(st == 401, f"property token with a wrong secret: {st}")
    st, _ = sb.call("POST", "/oauth/v1/tokens", {"authorization": basic},
                    form={"grant_type": "client_credentials"})
    check(st == 400, f"property token without x-app-key: {st}")
    hdr = {"authorization": "Bearer " + tok["access_token"], "x-app-key": APP_KEY,
           "x-hotelid": HOTEL, "x-externalsystem": EXT_SYSTEM}
    path = f"/int/v1/externalSystem/{EXT_SYSTEM}/hotels/{HOTEL}/businessEvents"
    sb.call("POST", "/_sandbox/reset", {}, {})
    st, body = sb.call("GET", path + "?limit=20", hdr)
    check(st == 204 and body is None, f"empty queue: {st}")
    a = (datetime.date.today() + datetime.timedelta(days=70)).isoformat()
    d = (datetime.date.today() + datetime.timedelta(days=72)).isoformat()
    st, _ = sb.call("POST", "/_sandbox/frontdesk/book", {},
                    {"hotelCode": HOTEL, "roomType": "DLXK", "arrivalDate": a,
                     "departureDate": d})
    check(st == 201, f"desk book: {st}")
    st, body = sb.call("GET", path + "?limit=20", hdr)
    check(st == 200, f"business events: {st}")
    validate(integ.response("/externalSystem/{extSystemCode}/hotels/{hotelId}/businessEvents",
                            "get"), body, "business events 200")
    items = (body or {}).get("businessEventData", [])
    check(len(items) == 1 and items[0]["businessEvent"]["header"]["actionType"] ==
          "NEW RESERVATION", f"one NEW RESERVATION: {items}")
    st, _ = sb.call("GET", path, hdr)
    check(st == 204, f"dequeued once: {st}")
    st, _ = sb.call("GET", path, dict(hdr, authorization="Bearer " + "0" * 48))
    check(st == 401, f"business events with a bad token: {st}")
    st, _ = sb.call("GET", path + "?limit=21", hdr)
    check(st == 400, f"limit above 20: {st}")
    st, _ = sb.call("GET", path.replace(EXT_SYSTEM, "OTHER"), hdr)
    check(st == 404, f"unknown external system: {st}")


def examples(specs):
    """The connector's recorded payloads, each against the schema its README names."""
    index = os.path.join(EXAMPLES, "schemas.json")
    if not os.path.exists(index):
        check(False, "proto/examples/pms/opera/schemas.json is missing")
        return
    with open(index, encoding="utf-8") as f:
        table = json.load(f)
    for name, (family, kind, where) in sorted(table.items()):
        with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
            data = json.load(f)
        spec = specs[family]
        if kind == "definition":
            v = spec.definition(where)
        elif kind == "response":
            path, method = where.split(" ")
            v = spec.response(path, method)
        else:
            path, method = where.split(" ")
            v = spec.body(path, method)
        validate(v, data, f"example {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()
    spec_dir = os.environ.get("OPERA_SPECS_DIR", DEFAULT_DIR)
    paths = {k: os.path.join(spec_dir, v) for k, v in FILES.items()}
    missing = [p for p in paths.values() if not os.path.exists(p)]
    if missing:
        print(f"SKIP: Oracle's OHIP spec files are not available ({missing[0]})")
        return SKIP
    specs = {k: Spec(p) for k, p in paths.items()}
    examples(specs)
    log = tempfile.NamedTemporaryFile(prefix="opera-sandbox-", suffix=".log", delete=False).name
    sb = Sandbox(args.binary, log)
    try:
        run(sb, specs)
        business_events(sb, specs)
    finally:
        sb.stop()
    if failures:
        print(f"FAILED: {len(failures)} check(s); sandbox log: {log}")
        return 1
    os.unlink(log)
    print("OK: opera-sandbox answers and the recorded payloads match Oracle's OHIP specs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
