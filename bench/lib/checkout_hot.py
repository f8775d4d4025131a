"""One hot hotel under its vendor's rate limit: checkouts per second.

The pms-sandbox enforces the vendor's limit (Cloudbeds: 5 requests a second
per property, 429 above it) and booking-svc / inventory-svc run with the same
limit as their shared per-hotel PMS budget. --clients guests book one night
each, every one a different night of one room type, in a closed loop for
--duration-s; the nights are looked at first (as guests do before booking),
so the cache is warm when the timed part starts. A guest told 503 PMS_BUSY
waits its Retry-After and tries again with the same Idempotency-Key.

The ceiling is what the limit allows: limit / PMS requests per checkout, with
the requests counted by the sandbox itself (hold and confirm: 2). Reported as
checkouts/s and as a ratio to that ceiling.
"""
import argparse
import threading
import time
import uuid

from benchlib import Client, day, percentile

HOTEL, ROOM = "hotel_123", "room_456"
FIRST_NIGHT = 20
NIGHTS = 360


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--booking", required=True)
    ap.add_argument("--pms", required=True)
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--limit", type=float, default=5.0)
    ap.add_argument("--duration-s", type=float, default=30)
    ap.add_argument("--clients", type=int, default=20)
    a = ap.parse_args()

    pms = Client(a.pms)
    pms.request("DELETE", "/_sandbox/faults")
    st, doc = pms.post("/_sandbox/limits", {"perSecond": a.limit, "burst": a.limit})
    if st != 200:
        raise SystemExit(f"the sandbox did not take the limit: {st} {doc}")

    # guests look before they book: one read of the whole range warms the cache
    inv = Client(a.inventory)
    qs = (f"vendor=cloudbeds&hotelId={HOTEL}&roomTypeId={ROOM}"
          f"&from={day(FIRST_NIGHT)}&to={day(FIRST_NIGHT + NIGHTS - 1)}")
    prices = None
    for _ in range(50):
        st, rates = inv.get(f"/api/rates?{qs}")
        st2, _avail = inv.get(f"/api/inventory?{qs}")
        if st == 200 and st2 == 200:
            prices = {n["date"]: (n["amount"], n["currency"]) for n in rates["nights"]}
            break
        time.sleep(0.5)
    if not prices:
        raise SystemExit(f"inventory-svc did not answer the warm-up: {st} {rates}")
    pms.request("DELETE", "/_sandbox/stats")

    counter, lock = [0], threading.Lock()
    results = []  # (code, latency_ms)
    busy_retries = [0]
    stop_at = time.perf_counter() + a.duration_s

    def worker():
        book = Client(a.booking)
        while time.perf_counter() < stop_at:
            with lock:
                i = counter[0]
                counter[0] += 1
            if i >= NIGHTS:
                return
            night = day(FIRST_NIGHT + i)
            amount, currency = prices[night]
            body = {"vendor": "cloudbeds", "hotelId": HOTEL, "roomTypeId": ROOM,
                    "checkIn": night, "checkOut": day(FIRST_NIGHT + i + 1),
                    "guestInfo": {"firstName": "Bench", "lastName": "Guest",
                                  "email": "bench@example.com", "phone": "+82-10-1234-5678"},
                    "adults": 1, "children": 0,
                    "payment": {"cardToken": "tok_visa", "amount": amount, "currency": currency}}
            key = str(uuid.uuid4())
            t0 = time.perf_counter()
            while True:
                st, doc = book.post("/api/booking/checkout", body, {"Idempotency-Key": key})
                code = doc.get("errorCode") if isinstance(doc, dict) else None
                if st == 503 and code == "PMS_BUSY" and time.perf_counter() < stop_at:
                    with lock:
                        busy_retries[0] += 1
                    time.sleep(float(doc.get("retryAfterSeconds", 1)))
                    continue
                break
            lat = (time.perf_counter() - t0) * 1000.0
            ok = st == 200 and isinstance(doc, dict) and doc.get("success")
            with lock:
                results.append(("OK" if ok else (code or f"HTTP {st}"), lat))

    threads = [threading.Thread(target=worker) for _ in range(a.clients)]
    t_start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_start

    st, stats = pms.get(f"/_sandbox/stats?propertyID={HOTEL}")
    per_op = (stats or {}).get("requests", {}).get(HOTEL, {}) if st == 200 else {}
    limited = (stats or {}).get("rateLimited", {}).get(HOTEL, 0) if st == 200 else 0
    oks = [r[1] for r in results if r[0] == "OK"]
    codes = {}
    for r in results:
        codes[r[0]] = codes.get(r[0], 0) + 1
    requests = sum(per_op.values())
    per_checkout = requests / len(oks) if oks else float("nan")
    ceiling = a.limit / 2.0
    rate = len(oks) / elapsed
    print(f"### one hotel at the vendor's limit of {a.limit:g} requests/s\n")
    print(f"{a.clients} concurrent clients for {a.duration_s:.0f} s; one night per booking, "
          f"each a different night of {HOTEL}/{ROOM}; a 503 PMS_BUSY is retried after its "
          f"Retry-After ({busy_retries[0]} times).\n")
    print("| checkouts/s | ceiling (limit ÷ 2 requests) | ratio | PMS requests per checkout "
          "| 429 from the PMS | latency p50 ms | p99 ms | outcomes |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| {rate:.2f} | {ceiling:.2f} | **{rate / ceiling:.2f}** | {per_checkout:.2f} | "
          f"{limited} | {percentile(oks, 50):.0f} | {percentile(oks, 99):.0f} | "
          f"{', '.join(f'{k} {v}' for k, v in sorted(codes.items()))} |\n")
    print("PMS requests by method: "
          + ", ".join(f"{k} {v}" for k, v in sorted(per_op.items())) + "\n")


if __name__ == "__main__":
    main()
