"""Formats a wrk-based benchmark's numbers (from wrk_parse.py) as Markdown."""
import json
import os
import sys

from benchlib import header


def write_json(name, doc):
    """bench/out/<name>.json next to the Markdown report (bench/lib/summary.py reads it)."""
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out", f"{name}.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)


def fields(s):
    rps, p50, p99, non2xx, total = s.split()
    return float(rps), float(p50), float(p99), int(non2xx), int(total)


def inventory_read(svc, ngx, size, threads, conns, duration, rates_svc, rates_ngx, rates_size):
    s, n = fields(svc), fields(ngx)
    rs, rn = fields(rates_svc), fields(rates_ngx)
    print(header("inventory-read: GET /api/inventory and /api/rates, 30 nights, warm cache"))
    print(f"wrk -t{threads} -c{conns} -d{duration}s; responses {size} bytes (inventory) and "
          f"{rates_size} bytes (rates); both servers on this machine, one after the other.\n")
    print("| server | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|")
    print(f"| inventory-svc, `/api/inventory`, warm cache (Redis, and its answer kept INVENTORY_LOCAL_CACHE_MS in memory) | {s[0]:.0f} | {s[1]:.2f} | {s[2]:.2f} | {s[3]} |")
    print(f"| nginx, same JSON as a static file | {n[0]:.0f} | {n[1]:.2f} | {n[2]:.2f} | {n[3]} |")
    print(f"| inventory-svc, `/api/rates`, warm cache (each night's plans and cancellation policies) | {rs[0]:.0f} | {rs[1]:.2f} | {rs[2]:.2f} | {rs[3]} |")
    print(f"| nginx, same rates JSON as a static file | {rn[0]:.0f} | {rn[1]:.2f} | {rn[2]:.2f} | {rn[3]} |")
    ratio = s[0] / n[0] if n[0] else float("nan")
    rates_ratio = rs[0] / rn[0] if rn[0] else float("nan")
    print(f"\ninventory-svc reaches **{ratio:.0%}** of the static-file ceiling for inventory, "
          f"**{rates_ratio:.0%}** for rates.\n")
    write_json("inventory-read", {"rps": s[0], "p50_ms": s[1], "p99_ms": s[2], "non2xx": s[3],
                                  "ceiling_rps": n[0], "ceiling": "nginx, the same JSON static",
                                  "rates": {"rps": rs[0], "p50_ms": rs[1], "p99_ms": rs[2],
                                            "non2xx": rs[3], "ceiling_rps": rn[0]}})


def webhook_ingest(threads, duration, count, *runs):
    """runs: "<connections>:<wrk_parse fields, comma-separated>", fewest senders first."""
    rows = []
    for run in runs:
        conns, r = run.split(":", 1)
        rows.append((int(conns), fields(r.replace(",", " "))))
    print(header("webhook-ingest: signed webhooks accepted per second (Kafka acks=all)"))
    print(f"wrk -t{threads} -d{duration}s; every request a distinct, signed event (a first delivery → "
          "a publish to pms.events, 200 only after the broker's ack). Each sender waits for its "
          "answer before the next webhook, so few senders measure the wait (the producer's linger "
          "and the ack) more than the service; the most senders measure what it takes.\n")
    print("| senders (connections) | req/s | p50 ms | p99 ms | non-2xx | requests |")
    print("|---:|---:|---:|---:|---:|---:|")
    for conns, x in rows:
        print(f"| {conns} | {x[0]:.0f} | {x[1]:.2f} | {x[2]:.2f} | {x[3]} | {x[4]} |")
    print()
    if any(x[4] > int(count) for _, x in rows):
        print(f"**Warning:** a run sent more than the {count} distinct events generated, so some "
              "were duplicates (answered without a publish): raise BENCH_WEBHOOKS.\n")
    doc = [{"connections": conns, "rps": x[0], "p50_ms": x[1], "p99_ms": x[2], "non2xx": x[3],
            "requests": x[4], "events": int(count)} for conns, x in rows]
    write_json("webhook-ingest", doc)


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "inventory-read":
        inventory_read(*args)
    elif kind == "webhook-ingest":
        webhook_ingest(*args)
    else:
        sys.exit(f"unknown report {kind}")


if __name__ == "__main__":
    main()
