"""The ceilings of this machine and the one table of a bench/run.

  summary.py ceilings --slap TEXT --slap-queries N --slap-clients C --producer LINE --json F
      MariaDB's commits/s (mariadb-slap's average time for N single-row
      INSERTs, each its own transaction, from C clients) and Kafka's acks=all
      records/s (ProducerPerformance's summary line).
  summary.py table --out-dir DIR
      Every figure the run's JSON files hold, each next to the ceiling measured
      in the same run (ratio = figure / ceiling) or, for counts and recovery
      times, its target; also written as DIR/summary-<UTC time>.json so two runs
      can be compared.
"""
import argparse
import datetime
import json
import math
import os
import re
import sys

from benchlib import header

# Transactions one checkout commits (it_booking_counters bounds it): the
# MariaDB commit ceiling divided by it is the checkout ceiling.
CHECKOUT_TRANSACTIONS = 6


def ceilings(a):
    m = re.search(r"Average number of seconds to run all queries:\s+([0-9.]+)", a.slap)
    secs = float(m.group(1)) if m else float("nan")
    commits = a.slap_queries / secs if secs and not math.isnan(secs) else float("nan")
    m = re.search(r"([0-9.]+) records/sec", a.producer or "")
    records = float(m.group(1)) if m else float("nan")
    doc = {"mariadb_commits_per_s": commits, "mariadb_clients": a.slap_clients,
           "kafka_acks_all_records_per_s": records}
    with open(a.json, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
    print(header("ceilings: what MariaDB and Kafka do alone on this machine"))
    print("| ceiling | per second |")
    print("|---|---:|")
    print(f"| MariaDB durable commits, {a.slap_clients} clients (single-row INSERT each) "
          f"| {commits:.0f} |")
    print(f"| Kafka producer, acks=all, idempotent, 500-byte records | {records:.0f} |\n")


def load(d, name):
    try:
        with open(os.path.join(d, f"{name}.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def ratio(x, c):
    try:
        return x / c if c else float("nan")
    except TypeError:
        return float("nan")


def table(a):
    rows = []  # (figure, value, ceiling or target text, ratio or None, target)

    def add(figure, value, against, r, target):
        rows.append({"figure": figure, "value": value, "against": against,
                     "ratio": None if r is None or (isinstance(r, float) and math.isnan(r))
                     else round(r, 3), "target": target})

    c = load(a.out_dir, "ceilings") or {}
    commits = c.get("mariadb_commits_per_s")
    records = c.get("kafka_acks_all_records_per_s")
    inv = load(a.out_dir, "inventory-read")
    if inv:
        add("GET /api/inventory, 30 nights, warm (req/s)", round(inv["rps"]),
            f"nginx static {inv['ceiling_rps']:.0f}", ratio(inv["rps"], inv["ceiling_rps"]),
            "≥ 0.6")
        rates = inv.get("rates")
        if rates:
            add("GET /api/rates, 30 nights, warm (req/s)", round(rates["rps"]),
                f"nginx static {rates['ceiling_rps']:.0f}",
                ratio(rates["rps"], rates["ceiling_rps"]), "—")
    wh = load(a.out_dir, "webhook-ingest") or []
    for run in wh if isinstance(wh, list) else []:
        add(f"webhooks accepted, acks=all, {run['connections']} senders (per s)", round(run["rps"]),
            f"Kafka acks=all producer {records:.0f}/s" if records else "Kafka ceiling not measured",
            ratio(run["rps"], records), "≥ 10 000/s")
    for run in load(a.out_dir, "webhook-visible") or []:
        add(f"front-desk change → visible p50 / p99 / max ms ({run['load'].split(' (')[0]})",
            " / ".join("—" if run.get(k) is None else f"{run[k]:.1f}"
                       for k in ("p50_ms", "p99_ms", "max_ms"))
            + (f" ({run['timeouts']} never seen)" if run.get("timeouts") else ""), "target 50 ms p99",
            ratio(run["p99_ms"], 50), "p99 ≤ 50 ms")
    for run in load(a.out_dir, "checkout") or []:
        ceiling = commits / CHECKOUT_TRANSACTIONS if commits else None
        name = f"checkouts/s, {run['latency_ms']} ms sandboxes, {run['label']}"
        add(name, round(run["checkouts_per_s"], 1),
            f"MariaDB {commits:.0f} commits/s ÷ {CHECKOUT_TRANSACTIONS}" if commits
            else "MariaDB ceiling not measured", ratio(run["checkouts_per_s"], ceiling),
            "≥ 300/s (limit raised, 0 ms)")
        add(f"saga overhead p50 / p99 ms ({run['latency_ms']} ms sandboxes)",
            f"{run['overhead_p50_ms']:.1f} / {run['overhead_p99_ms']:.1f}", "—", None,
            "≤ 5 / ≤ 25 (8 clients)")
    cc = load(a.out_dir, "checkout-counters")
    if cc:
        b = cc.get("booking", {})
        m = cc.get("mariadb", {})
        add("DB round trips per checkout (booking-svc's count)", b.get("db_round_trips_total"),
            "target", ratio(b.get("db_round_trips_total"), 30), "≤ 30")
        add("MariaDB Questions per checkout (server's count, all clients)", m.get("Questions"),
            "—", None, "—")
        add("MariaDB Com_commit per checkout (client COMMITs)", m.get("Com_commit", 0), "—",
            None, "—")
        add("InnoDB log writes per checkout", m.get("Innodb_log_writes"), "—", None, "—")
        add("Kafka messages per checkout", b.get("booking_outbox_published_total"), "—", None, "5")
        add("PMS / payment requests per checkout",
            f"{cc.get('http', {}).get('pms')} / {cc.get('http', {}).get('payment')}", "—", None,
            "2 / 2")
        add("Redis commands per checkout", round(sum(cc.get("redis", {}).values()), 2), "—",
            None, "—")
    tk = load(a.out_dir, "recovery-takeover")
    if tk:
        add("kill -9 mid-checkout → another process takes over (s)", tk.get("takeover_s"),
            "target 15 s", ratio(tk.get("takeover_s"), 15), "≤ 15 s")
        add(f"… → saga ended ({tk.get('saga_state')}, booking {tk.get('booking_status')}) (s)",
            tk.get("end_s"), "hold 180 s", ratio(tk.get("end_s"), 180), "before the hold lapses")
    wk = load(a.out_dir, "recovery-webhook")
    if wk:
        add("webhook answered while Kafka is down, max (s)", wk.get("down_answer_max_s"),
            f"answers {wk.get('down_answers')}", None, "≤ WEBHOOK_PUBLISH_TIMEOUT_MS")
        add("Kafka back → first webhook 200 (s)", wk.get("first_200_after_back_s"),
            "target 2 s", ratio(wk.get("first_200_after_back_s"), 2), "≤ 2 s")
    print(header("bench/run summary: each figure against its ceiling from this run"))
    print("| figure | value | against (same run) | ratio | target |")
    print("|---|---:|---|---:|---|")
    for r in rows:
        rt = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"| {r['figure']} | {r['value']} | {r['against']} | {rt} | {r['target']} |")
    print()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    with open(os.path.join(a.out_dir, f"summary-{stamp}.json"), "w") as f:
        json.dump({"ceilings": c, "rows": rows}, f, indent=2, sort_keys=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["ceilings", "table"])
    ap.add_argument("--slap", default="")
    ap.add_argument("--slap-queries", type=int, default=0)
    ap.add_argument("--slap-clients", type=int, default=0)
    ap.add_argument("--producer", default="")
    ap.add_argument("--json")
    ap.add_argument("--out-dir")
    a = ap.parse_args()
    ceilings(a) if a.what == "ceilings" else table(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
