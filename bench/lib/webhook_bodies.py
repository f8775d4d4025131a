"""Writes signed, distinct sandbox-shape webhooks for wrk (webhooks.lua).

One line per event: "<thread>\t<x-pms-signature>\t<body>". Every event has its
own eventId, so each request is a first delivery. The signatures are valid for
the 300 s replay window from now.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import time

HOTELS = [("hotel_123", "room_456"), ("hotel_busan", "busan_ocean_double"), ("hotel_tokyo", "tokyo_tatami"),
          ("hotel_nyc", "nyc_queen")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    now = int(time.time())
    day = datetime.date.today() + datetime.timedelta(days=7)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = hashlib.sha256(str(time.time_ns()).encode()).hexdigest()[:8]
    with open(a.out, "w") as f:
        for i in range(a.count):
            hotel, room = HOTELS[i % len(HOTELS)]
            d = (day + datetime.timedelta(days=i % 30)).isoformat()
            body = json.dumps({
                "eventId": f"bench_{run}_{i}", "eventType": "inventory_update", "vendor": "sandbox",
                "hotelId": hotel, "timestamp": stamp,
                "data": {"roomTypeId": room, "from": d, "to": d,
                         "nights": [{"date": d, "available": i % 5, "total": 10}]}},
                separators=(",", ":"))
            mac = hmac.new(a.secret.encode(), f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
            f.write(f"{i % a.threads}\tt={now},v1={mac}\t{body}\n")


if __name__ == "__main__":
    main()
