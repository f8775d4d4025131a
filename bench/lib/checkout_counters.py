"""Exact work per checkout, counted by the servers themselves.

Runs --checkouts checkouts one after the other (one client, so nothing
overlaps), waits until the outbox relay has published their events, and
reports the deltas per checkout of: MariaDB's global status counters
(Questions, Com_*, Handler_commit, Innodb_os_log_writes), Redis
INFO commandstats, booking-svc's own database counts (db_round_trips_total,
db_statements_prepared_total, db_commits_total) and the events it published, and the
requests each sandbox served. Nothing here depends on the machine's speed;
the only noise is background polling (the outbox relay's idle poll, the
recovery pass), divided by the number of checkouts.
"""
import argparse
import datetime
import json
import subprocess
import sys
import time
import uuid

from benchlib import Client, day

MARIADB = ["Questions", "Com_stmt_prepare", "Com_stmt_execute", "Com_stmt_close", "Com_select",
           "Com_insert", "Com_update", "Com_update_multi", "Com_delete", "Com_begin", "Com_commit", "Com_rollback",
           "Handler_commit", "Innodb_os_log_writes", "Innodb_log_writes"]
BOOKING = ["db_round_trips_total", "db_statements_prepared_total", "db_commits_total", "booking_outbox_published_total"]


def mariadb_status(a):
    out = subprocess.run(
        ["mariadb", "-h", "127.0.0.1", "-P", str(a.mysql_port), "-u", a.mysql_user,
         f"-p{a.mysql_password}", "-N", "-B", "-e", "SHOW GLOBAL STATUS"],
        check=True, capture_output=True, text=True).stdout
    return {k: int(v) for k, v in (l.split("\t", 1) for l in out.splitlines())
            if k in MARIADB and v.isdigit()}


def redis_commands(a):
    out = subprocess.run(["redis-cli", "-p", str(a.redis_port), "INFO", "commandstats"],
                         check=True, capture_output=True, text=True).stdout
    calls = {}
    for line in out.splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[len("cmdstat_"):].split(":", 1)
            calls[name] = int(dict(kv.split("=") for kv in rest.split(","))["calls"])
    return calls


def service_metrics(base, names):
    st, text = Client(base).get("/metrics")
    values = {}
    if st == 200 and isinstance(text, str):
        for line in text.splitlines():
            parts = line.split(" ")
            if len(parts) == 2 and parts[0] in names:
                values[parts[0]] = float(parts[1])
    return values


def pms_requests(base):
    st, doc = Client(base).get("/_sandbox/stats")
    total = 0
    for per_op in ((doc or {}).get("requests") or {}).values() if st == 200 else []:
        total += sum(v for v in per_op.values() if isinstance(v, int))
    return total


def pay_requests(base):
    st, doc = Client(base).get("/_sandbox/ledger")
    reqs = ((doc or {}).get("stats") or {}).get("requests") or {} if st == 200 else {}
    return sum(v for v in reqs.values() if isinstance(v, int))


def snapshot(a):
    return {"mariadb": mariadb_status(a), "redis": redis_commands(a),
            "booking": service_metrics(a.booking, BOOKING),
            "http": {"pms": pms_requests(a.pms), "payment": pay_requests(a.pay)}}


def delta(before, after, n):
    out = {}
    for group in after:
        keys = set(after[group]) | set(before.get(group, {}))
        out[group] = {k: round((after[group].get(k, 0) - before[group].get(k, 0)) / n, 2)
                      for k in sorted(keys)}
        out[group] = {k: v for k, v in out[group].items() if v}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--booking", required=True)
    ap.add_argument("--pms", required=True)
    ap.add_argument("--pay", required=True)
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--mysql-port", type=int, required=True)
    ap.add_argument("--mysql-user", default="lodging")
    ap.add_argument("--mysql-password", default="lodging")
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--checkouts", type=int, default=20)
    ap.add_argument("--json", help="also write the counters here")
    a = ap.parse_args()
    book, inv = Client(a.booking), Client(a.inventory)
    hotel, room = "hotel_123", "room_456"
    bodies = []
    for i in range(a.checkouts):  # prices read (and cached) before counting
        night = day(40 + i)
        nxt = (datetime.date.fromisoformat(night) + datetime.timedelta(days=1)).isoformat()
        qs = f"vendor=cloudbeds&hotelId={hotel}&roomTypeId={room}&from={night}&to={night}"
        st, rates = inv.get(f"/api/rates?{qs}")
        inv.get(f"/api/inventory?{qs}")
        if st != 200:
            raise SystemExit(f"no rates from inventory-svc: {st} {rates}")
        bodies.append({"vendor": "cloudbeds", "hotelId": hotel, "roomTypeId": room,
                       "checkIn": night, "checkOut": nxt,
                       "guestInfo": {"firstName": "Bench", "lastName": "Guest",
                                     "email": "bench@example.com", "phone": "+82-10-1234-5678"},
                       "adults": 1, "children": 0,
                       "payment": {"cardToken": "tok_visa",
                                   "amount": rates["nights"][0]["amount"],
                                   "currency": rates["nights"][0]["currency"]}})
    before = snapshot(a)
    ok = 0
    for body in bodies:
        st, doc = book.post("/api/booking/checkout", body, {"Idempotency-Key": str(uuid.uuid4())})
        ok += st == 200 and isinstance(doc, dict) and doc.get("success") is True
    want = before["booking"].get("booking_outbox_published_total", 0)
    deadline = time.time() + 30
    last = None
    while time.time() < deadline:  # the events of every checkout published
        now = service_metrics(a.booking, BOOKING).get("booking_outbox_published_total", 0)
        if last is not None and now == last and now > want:
            break
        last = now
        time.sleep(0.5)
    after = snapshot(a)
    d = delta(before, after, a.checkouts)
    d["checkouts"] = a.checkouts
    d["succeeded"] = ok
    if a.json:
        with open(a.json, "w") as f:
            json.dump(d, f, indent=2, sort_keys=True)
    print(f"### exact work per checkout ({ok} of {a.checkouts} succeeded, one client)\n")
    print("| counter | per checkout |")
    print("|---|---:|")
    for group in ("mariadb", "booking", "redis", "http"):
        for k, v in d[group].items():
            print(f"| {group} `{k}` | {v:g} |")
    print()
    return 0 if ok == a.checkouts else 1


if __name__ == "__main__":
    sys.exit(main())
