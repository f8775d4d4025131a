"""Time to recover, measured from outside.

saga-takeover: a checkout is sent to a booking-svc that SIGKILLs itself right
after the pre-authorisation (BOOKING_TEST_CRASH_AFTER=preauth: a kill -9 in
the middle of a checkout, the hold and the authorisation made, neither
recorded as done); another booking-svc runs on the same database. Reported:
seconds from the crash to the other process taking the saga over (its lease
taken: saga_instance.attempts > 0), to the saga's end, and whether that end
came before the hold would have lapsed.

webhook-kafka-down: Kafka is stopped; signed webhooks sent meanwhile must be
answered 503 within WEBHOOK_PUBLISH_TIMEOUT_MS (our own deadline: librdkafka
does not expire messages while no broker is reachable). Kafka is started
again; reported: the answer time while down (max), and the time from the
broker accepting connections to the first 200.
"""
import argparse
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import uuid

from benchlib import Client, day


def sql(a, query):
    out = subprocess.run(
        ["mariadb", "-h", "127.0.0.1", "-P", str(a.mysql_port), "-u", a.mysql_user,
         f"-p{a.mysql_password}", "-N", "-B", a.mysql_db, "-e", query],
        check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def takeover(a):
    inv = Client(a.inventory)
    night = day(90)
    nxt = day(91)
    qs = f"vendor=cloudbeds&hotelId=hotel_123&roomTypeId=room_456&from={night}&to={night}"
    st, rates = inv.get(f"/api/rates?{qs}")
    if st != 200:
        raise SystemExit(f"no rates: {st} {rates}")
    before = sql(a, "SELECT COALESCE(MAX(id), 0) FROM booking")[0][0]
    body = {"vendor": "cloudbeds", "hotelId": "hotel_123", "roomTypeId": "room_456",
            "checkIn": night, "checkOut": nxt,
            "guestInfo": {"firstName": "Bench", "lastName": "Crash", "email": "crash@example.com",
                          "phone": "+82-10-1234-5678"},
            "adults": 1, "children": 0,
            "payment": {"cardToken": "tok_visa", "amount": rates["nights"][0]["amount"],
                        "currency": rates["nights"][0]["currency"]}}
    try:
        st, doc = Client(a.crashing_booking).post("/api/booking/checkout", body,
                                                   {"Idempotency-Key": str(uuid.uuid4())})
        raise SystemExit(f"the crashing booking-svc answered {st}: {doc}")
    except (OSError, Exception) as e:  # the connection died with the process
        if isinstance(e, SystemExit):
            raise
    crashed = time.time()
    rows = sql(a, f"SELECT booking_id FROM booking WHERE id > {int(before)} ORDER BY id LIMIT 1")
    if not rows:
        raise SystemExit("no booking was written before the crash")
    bid = rows[0][0]
    taken = ended = None
    state = ""
    deadline = crashed + 200
    while time.time() < deadline and ended is None:
        r = sql(a, f"SELECT attempts, state FROM saga_instance WHERE booking_id = '{bid}'")
        attempts, state = int(r[0][0]), r[0][1]
        if taken is None and attempts > 0:
            taken = time.time()
        if state not in ("running", "compensating"):
            ended = time.time()
        time.sleep(0.1)
    st = sql(a, f"SELECT status FROM booking WHERE booking_id = '{bid}'")[0][0]
    return {"takeover_s": round(taken - crashed, 2) if taken else None,
            "end_s": round(ended - crashed, 2) if ended else None,
            "saga_state": state, "booking_status": st,
            "within_hold": bool(ended and ended - crashed < a.hold_ttl_s)}


def signed(a, i):
    """A distinct signed sandbox-shape webhook (as webhook_bodies.py writes them)."""
    d = day(7 + i % 30)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    raw = json.dumps({"eventId": f"recovery_{uuid.uuid4().hex}", "eventType": "inventory_update",
                      "vendor": "sandbox", "hotelId": "hotel_123", "timestamp": stamp,
                      "data": {"roomTypeId": "room_456", "from": d, "to": d,
                               "nights": [{"date": d, "available": i % 5, "total": 10}]}},
                     separators=(",", ":")).encode()
    now = str(int(time.time()))
    mac = hmac.new(a.webhook_secret.encode(), now.encode() + b"." + raw,
                   hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-PMS-Signature": f"t={now},v1={mac}"}


def post_webhook(a, i):
    raw, h = signed(a, i)
    c = Client(a.webhook)
    t0 = time.time()
    st, doc = c.request("POST", "/api/webhooks/pms/sandbox", raw, h)
    return st, time.time() - t0, doc


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def kafka_down(a):
    st, _, doc = post_webhook(a, 0)
    if st != 200:
        raise SystemExit(f"webhook-ingest does not accept the bench's webhook: {st} {doc}")
    subprocess.run(a.kafka_stop, shell=True, check=True)
    while port_open(a.kafka_port):
        time.sleep(0.1)
    down = []
    for i in range(a.down_samples):
        st, took, _ = post_webhook(a, 100 + i)
        down.append((st, took))
    starter = subprocess.Popen(a.kafka_start, shell=True, stdout=subprocess.DEVNULL)
    while not port_open(a.kafka_port):
        time.sleep(0.05)
    back = time.time()
    first_ok = None
    i = 0
    while time.time() - back < 60:
        st, took, _ = post_webhook(a, 1000 + i)
        i += 1
        if st == 200:
            first_ok = time.time()
            break
    starter.wait()
    return {"down_answers": sorted({s for s, _ in down}),
            "down_answer_max_s": round(max(t for _, t in down), 2),
            "down_answer_p50_s": round(sorted(t for _, t in down)[len(down) // 2], 2),
            "first_200_after_back_s": round(first_ok - back, 2) if first_ok else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=["saga-takeover", "webhook-kafka-down"])
    ap.add_argument("--crashing-booking")
    ap.add_argument("--inventory")
    ap.add_argument("--webhook")
    ap.add_argument("--webhook-secret", default="whsec_sandbox")
    ap.add_argument("--kafka-port", type=int)
    ap.add_argument("--kafka-stop")
    ap.add_argument("--kafka-start")
    ap.add_argument("--down-samples", type=int, default=5)
    ap.add_argument("--mysql-port", type=int)
    ap.add_argument("--mysql-user", default="lodging")
    ap.add_argument("--mysql-password", default="lodging")
    ap.add_argument("--mysql-db", default="lodging")
    ap.add_argument("--hold-ttl-s", type=int, default=180)
    ap.add_argument("--json")
    a = ap.parse_args()
    r = takeover(a) if a.part == "saga-takeover" else kafka_down(a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=2, sort_keys=True)
    print(f"### {a.part}\n")
    print("| figure | value |")
    print("|---|---:|")
    for k, v in r.items():
        print(f"| {k} | {v} |")
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
