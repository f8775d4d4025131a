"""Cache hit rate under a zipf-distributed read workload: many guests look at
few popular (hotel, room type, stay) combinations and a long tail of others."""
import argparse
import random
import threading

from benchlib import Client, day, header, metric

ROOMS = [("hotel_123", "room_456"), ("hotel_123", "room_457"), ("hotel_123", "room_458"),
         ("hotel_busan", "busan_ocean_double"), ("hotel_busan", "busan_city_single"),
         ("hotel_tokyo", "tokyo_tatami"), ("hotel_tokyo", "tokyo_western"),
         ("hotel_nyc", "nyc_queen"), ("hotel_nyc", "nyc_king_suite")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--s", type=float, default=1.1, help="zipf exponent")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    space = [(h, r, start, n) for h, r in ROOMS for start in range(1, 61) for n in range(1, 8)]
    rnd.shuffle(space)
    weights = [1.0 / (k ** a.s) for k in range(1, len(space) + 1)]
    picks = rnd.choices(range(len(space)), weights=weights, k=a.requests)
    before = Client(a.inventory).get("/metrics")[1]
    counts, errors, lock = {}, [0], threading.Lock()

    def worker(part):
        c = Client(a.inventory)
        local = {}
        for i in part:
            h, r, start, n = space[i]
            st, doc = c.get(f"/api/inventory?vendor=cloudbeds&hotelId={h}&roomTypeId={r}"
                            f"&from={day(start)}&to={day(start + n - 1)}")
            key = doc.get("source", "?") if st == 200 and isinstance(doc, dict) else f"http_{st}"
            local[key] = local.get(key, 0) + 1
        with lock:
            for k, v in local.items():
                counts[k] = counts.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(picks[t::a.threads],)) for t in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = Client(a.inventory).get("/metrics")[1]
    total = sum(counts.values())
    distinct = len(set(picks))
    print(header("cache-zipf: hit rate under a zipf workload"))
    print(f"{total} reads of GET /api/inventory by {a.threads} clients; key space {len(space)} "
          f"(hotel, room type, stay) combinations, {distinct} distinct ones drawn; zipf s={a.s}; "
          "inventory TTL 90 s.\n")
    print("| source | reads | share |")
    print("|---|---:|---:|")
    for k in sorted(counts):
        print(f"| {k} | {counts[k]} | {counts[k] / total:.1%} |")
    if isinstance(before, str) and isinstance(after, str):
        for hits_name, miss_name in (("inventory_cache_hits_total", "inventory_cache_misses_total"),):
            hits = metric(after, hits_name) - metric(before, hits_name)
            miss = metric(after, miss_name) - metric(before, miss_name)
            if hits + miss > 0:
                print(f"\nPer night (the service's {hits_name} / {miss_name}): "
                      f"hit rate **{hits / (hits + miss):.1%}** ({hits:.0f} hits, {miss:.0f} misses).")
    print(f"\nA read served entirely from Redis: **{counts.get('cache', 0) / total:.1%}**. "
          f"{distinct} distinct stays were drawn; a stay read for the first time can still be a hit "
          "when overlapping stays already filled its nights.\n")


if __name__ == "__main__":
    main()
