#!/usr/bin/env python3
"""Static check of the monitoring files against the metrics the code exports.

    check_metric_names.py --root REPO

The known metric names are the families registered in the C sources
(metrics_counter / metrics_gauge / metrics_histogram with a literal name;
a histogram also as _bucket, _sum and _count), Prometheus' own `up`, and the
recording rules of deploy/monitoring/alerts.yaml. Every PromQL expression of
the Grafana dashboard (deploy/monitoring/grafana/lodging.json) and of the
alert rules must use only known names. The dashboard must also be valid JSON
with unique panel ids, a Prometheus datasource and a query on every panel,
and cover the subjects the platform is watched by. Prints each problem and
exits 1 if there is one.
"""
import argparse
import json
import os
import re
import sys

import yaml

REGISTRATION = re.compile(r'metrics_(counter|gauge|histogram)\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"')
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "offset", "bool", "inf", "nan", "le",
}
# Subjects the dashboard must show (a metric of each in some panel).
REQUIRED = {
    "request rate / errors / latency": ["http_requests_total", "http_request_duration_seconds_bucket"],
    "cache hit rate": ["inventory_cache_hits_total", "inventory_cache_misses_total"],
    "PMS latency / errors / breaker / per-hotel budget": [
        "pms_request_duration_seconds_bucket", "pms_requests_total", "circuit_breaker_state",
        "pms_budget_requests_total", "pms_hotel_errors_total", "pms_hotel_slow_requests_total"],
    "saga outcomes": ["booking_saga_outcomes_total"],
    "compensations": ["booking_compensations_pending", "booking_compensation_stuck_total"],
    "consumer lag": ["kafka_consumer_lag_messages"],
    "webhook ingest": ["webhook_received_total"],
}


def known_metrics(root):
    names = {"up"}
    for top in ("common", "services", "sandbox", "tools"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            if "/tests" in dirpath or dirpath.endswith("tests"):
                continue
            for f in files:
                if not f.endswith(".c"):
                    continue
                with open(os.path.join(dirpath, f), encoding="utf-8", errors="replace") as fh:
                    for kind, name in REGISTRATION.findall(fh.read()):
                        names.add(name)
                        if kind == "histogram":
                            names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names


def metric_names(expr):
    """The metric names a PromQL expression reads (functions, keywords,
    label names and values, durations and variables left out)."""
    e = re.sub(r'"(\\.|[^"\\])*"', '""', expr)                 # strings
    e = re.sub(r"\$\{?\w+\}?", "1", e)                          # dashboard variables
    e = re.sub(r"\{[^}]*\}", "", e)                            # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                           # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    found = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or word.lower() in PROMQL_WORDS:
            continue
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue                                            # 1e9, 5m, 0.5
        found.add(word)
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    a = ap.parse_args()
    problems = []
    known = known_metrics(a.root)

    with open(os.path.join(a.root, "deploy/monitoring/alerts.yaml")) as f:
        rules = yaml.safe_load(f)
    exprs = []
    for group in rules["groups"]:
        for r in group["rules"]:
            if "record" in r:
                known.add(r["record"])
    for group in rules["groups"]:
        for r in group["rules"]:
            exprs.append((f"alert {r.get('alert', r.get('record'))}", r["expr"]))

    path = os.path.join(a.root, "deploy/monitoring/grafana/lodging.json")
    try:
        with open(path) as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1
    ids = set()
    used = set()
    for p in dash.get("panels", []):
        if p["id"] in ids:
            problems.append(f"panel id {p['id']} used twice")
        ids.add(p["id"])
        if p.get("type") == "row":
            continue
        if (p.get("datasource") or {}).get("type") != "prometheus":
            problems.append(f"panel '{p.get('title')}': no Prometheus datasource")
        targets = [t for t in p.get("targets", []) if t.get("expr", "").strip()]
        if not targets:
            problems.append(f"panel '{p.get('title')}': no query")
        g = p.get("gridPos", {})
        if g.get("x", 0) + g.get("w", 0) > 24:
            problems.append(f"panel '{p.get('title')}': wider than the dashboard")
        for t in targets:
            exprs.append((f"panel '{p['title']}'", t["expr"]))
            used |= metric_names(t["expr"])
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", q or "")
        if m:
            exprs.append((f"variable ${v['name']}", m.group(1)))

    for where, expr in exprs:
        for name in sorted(metric_names(expr) - known):
            problems.append(f"{where}: metric {name} is exported by no service")
    for subject, names in REQUIRED.items():
        missing = [n for n in names if n not in used]
        if missing:
            problems.append(f"the dashboard does not show {subject} ({', '.join(missing)})")

    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"{len(exprs)} expressions use only the {len(known)} known metric names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
