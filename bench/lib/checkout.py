"""Checkout throughput and saga overhead.

Closed loop: --clients guests check out one night each, in distinct (room type,
night) slots, for --duration-s. Saga overhead of one checkout = its latency at
the client minus the time booking-svc spent waiting on the PMS and the payment
gateway, read from the booking's own step log (GET /api/bookings/:id: each
external step's 'started' → outcome timestamps). The sandboxes answer with
--latency-ms of injected latency on every vendor call (0: as fast as they can).

Only checkouts run in the timed window. The guests' prices and availability
are read before it (one range read per room type, which also warms the cache
the way guests browsing would), and the step logs after it: on this machine
the load generator shares the two cores with everything it measures, so a
read made inside the window would be counted against the checkouts. The
window starts after --warmup-s of the same load, whose checkouts are not
counted.
"""
import argparse
import datetime
import json
import threading
import time
import uuid

from benchlib import Client, day, percentile

ROOMS = [("hotel_123", "room_456"), ("hotel_123", "room_457"), ("hotel_123", "room_458"),
         ("hotel_busan", "busan_ocean_double"), ("hotel_busan", "busan_city_single"),
         ("hotel_tokyo", "tokyo_tatami"), ("hotel_tokyo", "tokyo_western"),
         ("hotel_nyc", "nyc_queen"), ("hotel_nyc", "nyc_king_suite")]
EXTERNAL = {"amount_check", "hold", "preauth", "confirm", "capture"}
NIGHTS = 350  # nights per room type the run books, from 10 days ahead


def ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def external_ms(steps):
    """Sum of started → outcome spans of the PMS / payment gateway steps."""
    total, open_at = 0.0, {}
    for s in steps or []:
        name, outcome, at = s.get("step"), s.get("outcome"), s.get("at")
        if name not in EXTERNAL or not at:
            continue
        if outcome == "started":
            open_at[name] = ts(at)
        elif name in open_at:
            total += (ts(at) - open_at.pop(name)) * 1000.0
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--booking", required=True)
    ap.add_argument("--pms", required=True)
    ap.add_argument("--pay", required=True)
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--duration-s", type=float, default=15)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--warmup-s", type=float, default=5,
                    help="checkouts run this long first and are not counted")
    ap.add_argument("--label", default="")
    ap.add_argument("--json", help="append this run's figures to this JSON list")
    a = ap.parse_args()
    for base in (a.pms, a.pay):
        c = Client(base)
        c.request("DELETE", "/_sandbox/faults")
        if a.latency_ms:
            st, doc = c.post("/_sandbox/faults", {"op": "*", "latencyMs": a.latency_ms})
            if st != 201:
                raise SystemExit(f"fault not accepted by {base}: {st} {doc}")

    first, last = 10, 10 + NIGHTS - 1
    quotes = {}
    inv = Client(a.inventory)
    for hotel, room in ROOMS:  # every slot's price and availability, before the clock starts
        qs = (f"vendor=cloudbeds&hotelId={hotel}&roomTypeId={room}"
              f"&from={day(first)}&to={day(last)}")
        st, rates = inv.get(f"/api/rates?{qs}")
        st2, avail = inv.get(f"/api/inventory?{qs}")
        if st != 200 or st2 != 200:
            raise SystemExit(f"cannot read {hotel}/{room} before the run: {st} {rates} / {st2}")
        left = {n["date"]: n.get("available", 0) for n in avail["nights"]}
        for n in rates["nights"]:
            if "amount" in n:
                quotes[(hotel, room, n["date"])] = {
                    "amount": n["amount"], "currency": n["currency"],
                    "available": left.get(n["date"], 0)}

    counter, lock = [0], threading.Lock()
    results = []  # (ok, code, latency_ms, bookingId, bookingToken)
    # Counted: the checkouts that end inside [measure_from, stop_at). The
    # warm-up before it lets the services' pools, the database's buffers and
    # Kafka's JIT reach the steady state a long-running deployment is in.
    measure_from = time.perf_counter() + a.warmup_s
    stop_at = measure_from + a.duration_s

    def worker():
        book = Client(a.booking)
        while time.perf_counter() < stop_at:
            with lock:
                i = counter[0]
                counter[0] += 1
            hotel, room = ROOMS[i % len(ROOMS)]
            night = day(first + (i // len(ROOMS)) % NIGHTS)
            nxt = (datetime.date.fromisoformat(night) + datetime.timedelta(days=1)).isoformat()
            q = quotes.get((hotel, room, night))
            if not q or q.get("available", 0) < 1:
                continue
            body = {"vendor": "cloudbeds", "hotelId": hotel, "roomTypeId": room,
                    "checkIn": night, "checkOut": nxt,
                    "guestInfo": {"firstName": "Bench", "lastName": "Guest",
                                  "email": "bench@example.com", "phone": "+82-10-1234-5678"},
                    "adults": 1, "children": 0,
                    "payment": {"cardToken": "tok_visa", "amount": q["amount"],
                                "currency": q["currency"]}}
            t0 = time.perf_counter()
            st, doc = book.post("/api/booking/checkout", body,
                                {"Idempotency-Key": str(uuid.uuid4())})
            lat = (time.perf_counter() - t0) * 1000.0
            ok = st == 200 and isinstance(doc, dict) and doc.get("success")
            code = "OK" if ok else (doc.get("errorCode") if isinstance(doc, dict) else f"HTTP {st}")
            if not measure_from <= time.perf_counter() < stop_at:
                continue
            with lock:
                results.append((ok, code, lat, doc.get("bookingId") if ok else None,
                                doc.get("bookingToken", "") if ok else None))

    threads = [threading.Thread(target=worker) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = a.duration_s
    oks = [r for r in results if r[0]]
    lats = [r[2] for r in oks]
    over = []
    book = Client(a.booking)
    for _, _, lat, booking_id, token in oks:  # the step logs, with the clock stopped
        gs, bk = book.request("GET", f"/api/bookings/{booking_id}", None,
                              {"Authorization": f"Bearer {token}"})
        if gs == 200 and isinstance(bk, dict):
            over.append(lat - external_ms(bk.get("steps")))
    codes = {}
    for r in results:
        codes[r[1]] = codes.get(r[1], 0) + 1
    print(f"### sandboxes with {a.latency_ms} ms latency per call; {a.label}\n")
    print(f"{a.clients} concurrent clients for {a.duration_s:.0f} s after {a.warmup_s:.0f} s not "
          "counted; one night per booking.\n")
    print("| checkouts/s | latency p50 ms | p99 ms | saga overhead p50 ms | p99 ms | outcomes |")
    print("|---:|---:|---:|---:|---:|---|")
    print(f"| {len(oks) / elapsed:.1f} | {percentile(lats, 50):.1f} | {percentile(lats, 99):.1f} | "
          f"{percentile(over, 50):.1f} | {percentile(over, 99):.1f} | "
          f"{', '.join(f'{k} {v}' for k, v in sorted(codes.items()))} |\n")
    if a.json:
        try:
            with open(a.json) as f:
                runs = json.load(f)
        except (OSError, ValueError):
            runs = []
        runs.append({"latency_ms": a.latency_ms, "label": a.label, "clients": a.clients,
                     "checkouts_per_s": len(oks) / elapsed, "latency_p50_ms": percentile(lats, 50),
                     "latency_p99_ms": percentile(lats, 99), "overhead_p50_ms": percentile(over, 50),
                     "overhead_p99_ms": percentile(over, 99), "outcomes": codes})
        with open(a.json, "w") as f:
            json.dump(runs, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
