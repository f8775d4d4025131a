"""Webhook → visible: how long after a front-desk change in the PMS the next
GET /api/inventory shows it (pms-sandbox → signed webhook → webhook-ingest →
Kafka pms.events → inventory-svc invalidation → read-through)."""
import argparse
import json
import os
import sys
import time

from benchlib import Client, day, header, percentile

HOTEL, ROOM, UNITS = "hotel_123", "room_456", 10


def night(inv, d):
    status, doc = inv.get(f"/api/inventory?vendor=cloudbeds&hotelId={HOTEL}&roomTypeId={ROOM}&from={d}&to={d}")
    if status != 200:
        return None, None
    return doc["nights"][0]["available"], doc.get("source")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pms", required=True)
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--timeout-s", type=float, default=10.0)
    ap.add_argument("--pace-ms", type=float, default=500.0,
                    help="at least this long between changes, so reads stay within the PMS's "
                         "5 requests/s per hotel (a read after an invalidation asks the PMS)")
    ap.add_argument("--load", default="",
                    help="what else runs meanwhile (a label for the report, e.g. the read load)")
    ap.add_argument("--json", help="append this run's figures to this JSON list")
    a = ap.parse_args()
    pms, inv = Client(a.pms), Client(a.inventory)
    lat, timeouts = [], 0
    # One change first, not counted: the first change after the services start
    # also pays for the consumer's first fetch and the producer's first batch
    # (≈ 0.5 s once), which no later change does.
    for i in range(-1, a.samples):
        if i == 0:
            lat, timeouts = [], 0
        if i > -1:
            time.sleep(max(0.0, a.pace_ms / 1000.0 - (time.perf_counter() - t0)))
        d = day(7 + (i + 30) % 30)
        cur, _ = night(inv, d)          # the night is cached now
        if cur is None:
            sys.exit("inventory-svc does not answer")
        night(inv, d)
        want = cur + 1 if cur < UNITS else cur - 1
        t0 = time.perf_counter()
        st, doc = pms.post("/_sandbox/frontdesk/availability",
                           {"propertyID": HOTEL, "roomTypeID": ROOM, "from": d, "to": d, "available": want})
        if st != 200:
            sys.exit(f"front-desk change refused: {st} {doc}")
        deadline = t0 + a.timeout_s
        while True:
            got, _ = night(inv, d)
            now = time.perf_counter()
            if got == want:
                lat.append((now - t0) * 1000.0)
                break
            if now > deadline:
                timeouts += 1
                break
            time.sleep(0.001)
    if a.json:
        runs = []
        if os.path.exists(a.json):
            with open(a.json) as f:
                runs = json.load(f)
        runs.append({"load": a.load or "none", "samples": a.samples, "p50_ms": percentile(lat, 50),
                     "p99_ms": percentile(lat, 99), "max_ms": max(lat) if lat else None,
                     "timeouts": timeouts})
        with open(a.json, "w") as f:
            json.dump(runs, f, indent=2, sort_keys=True)
    print(header("webhook-visible: front-desk change → visible in GET /api/inventory"
                 + (f", under {a.load}" if a.load else "")))
    print(f"{a.samples} changes (after one not counted), one at a time (at most one per {a.pace_ms:.0f} ms, so the reads stay "
          "within Cloudbeds' 5 requests/s per hotel that the connector enforces), each polled every "
          "~1 ms until the read shows it.\n")
    print("| samples | p50 ms | p99 ms | max ms | not visible within "
          f"{a.timeout_s:.0f} s |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {len(lat)} | {percentile(lat, 50):.1f} | {percentile(lat, 99):.1f} | "
          f"{max(lat) if lat else float('nan'):.1f} | {timeouts} |\n")


if __name__ == "__main__":
    main()
