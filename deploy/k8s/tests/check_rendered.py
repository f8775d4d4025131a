#!/usr/bin/env python3
"""Checks the objects `helm template` rendered from deploy/k8s/lodging.

    check_rendered.py --chart DIR --release NAME=FILE [--release NAME=FILE ...]
                      [--expect-rf N --expect-min-isr M] [--expect-kinds Kind,...]

Every FILE is one release's rendered manifest (all of them into one
namespace). Checks, per release: every container of every workload has CPU
and memory requests and limits, drops ALL capabilities, cannot escalate,
runs as non-root on a read-only root filesystem with the RuntimeDefault
seccomp profile; every service has startup, liveness and readiness probes
(readiness on /readyz, liveness on /healthz), a preStop pause and a grace
period covering the drain; objects carry the standard labels with the
release as instance; selectors match only their own release's pods; each
workload reads only its own Secret, and the payment key is only in
booking-svc's; the topic Job applies the chart's topics file with the
expected replication. Across releases: no two objects share a kind and name.
Prints every problem and exits 1 if there is one.
"""
import argparse
import json
import os
import sys

import yaml

WORKLOADS = {"Deployment", "Job", "CronJob"}
STANDARD_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                   "app.kubernetes.io/managed-by", "app.kubernetes.io/version", "helm.sh/chart")
# inventory-svc serves the admin console: its reconciliation and a booking's
# gateway state read the payment provider, and its booking pages show guest
# names, so it holds the payment key and the guest data key too.
SECRET_ONLY_FOR = {"PAYMENT_API_KEY": {"booking-svc", "inventory-svc", "reconcile"},
                   "BOOKING_DATA_KEY": {"booking-svc", "inventory-svc"},
                   "PMS_WEBHOOK_SECRET": {"webhook-ingest"}}

problems = []


def problem(release, obj, text):
    where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}" if obj else "-"
    problems.append(f"[{release}] {where}: {text}")


def pod_spec(obj):
    kind = obj["kind"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"], \
            obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
    return obj["spec"]["template"]["spec"], obj["spec"]["template"].get("metadata", {})




def check_container(release, obj, pod, c):
    res = c.get("resources") or {}
    for side in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if not (res.get(side) or {}).get(r):
                problem(release, obj, f"container {c['name']}: no {side}.{r}")
    sc = c.get("securityContext") or {}
    psc = pod.get("securityContext") or {}
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        problem(release, obj, f"container {c['name']}: capabilities do not drop ALL")
    if (sc.get("capabilities") or {}).get("add"):
        problem(release, obj, f"container {c['name']}: adds capabilities")
    if sc.get("allowPrivilegeEscalation") is not False:
        problem(release, obj, f"container {c['name']}: allowPrivilegeEscalation is not false")
    if sc.get("readOnlyRootFilesystem") is not True:
        problem(release, obj, f"container {c['name']}: root filesystem not read-only")
    if sc.get("privileged"):
        problem(release, obj, f"container {c['name']}: privileged")
    non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
    user = sc.get("runAsUser", psc.get("runAsUser"))
    if non_root is not True or user in (None, 0):
        problem(release, obj, f"container {c['name']}: not forced to run as non-root")
    seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
    if seccomp != "RuntimeDefault":
        problem(release, obj, f"container {c['name']}: seccomp profile is {seccomp}, not RuntimeDefault")


def secret_names(pod):
    names = set()
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        for e in c.get("envFrom") or []:
            if "secretRef" in e:
                names.add(e["secretRef"]["name"])
        for e in c.get("env") or []:
            ref = (e.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
    for v in pod.get("volumes") or []:
        if "secret" in v:
            names.add(v["secret"]["secretName"])
    return names


def secret_keys(pod):
    keys = set()
    for c in pod.get("containers", []):
        for e in c.get("env") or []:
            ref = (e.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                keys.add(ref["key"])
    return keys


def env_value(c, name):
    for e in c.get("env") or []:
        if e["name"] == name:
            return e.get("value")
    return None


def check_deployment(release, obj, pod, meta):
    c = pod["containers"][0]
    probes = {p: c.get(p) for p in ("startupProbe", "livenessProbe", "readinessProbe")}
    for p, v in probes.items():
        if not v:
            problem(release, obj, f"no {p}")
    if probes["readinessProbe"] and probes["readinessProbe"].get("httpGet", {}).get("path") != "/readyz":
        problem(release, obj, "readiness is not GET /readyz")
    if probes["livenessProbe"] and probes["livenessProbe"].get("httpGet", {}).get("path") != "/healthz":
        problem(release, obj, "liveness is not GET /healthz")
    pre = ((c.get("lifecycle") or {}).get("preStop") or {})
    if not pre:
        problem(release, obj, "no preStop hook")
    pre_s = 0
    cmd = (pre.get("exec") or {}).get("command") or []
    if len(cmd) == 2 and cmd[0].endswith("sleep"):
        pre_s = int(cmd[1])
    drain = env_value(c, "SHUTDOWN_DRAIN_MS")
    drain_timeout = env_value(c, "SHUTDOWN_DRAIN_TIMEOUT_MS")
    if drain is None or drain_timeout is None:
        problem(release, obj, "SHUTDOWN_DRAIN_MS / SHUTDOWN_DRAIN_TIMEOUT_MS not set")
    else:
        need = pre_s * 1000 + int(drain) + int(drain_timeout)
        if pod.get("terminationGracePeriodSeconds", 30) * 1000 <= need:
            problem(release, obj, f"grace period does not cover preStop + drain ({need} ms)")
    if pod.get("automountServiceAccountToken") is not False:
        problem(release, obj, "mounts a ServiceAccount token")
    if not pod.get("serviceAccountName"):
        problem(release, obj, "runs as the namespace's default ServiceAccount")
    if not pod.get("topologySpreadConstraints"):
        problem(release, obj, "no topology spread")
    labels = meta.get("labels") or {}
    for k, v in obj["spec"]["selector"]["matchLabels"].items():
        if labels.get(k) != v:
            problem(release, obj, f"selector {k}={v} does not match the pod template")
    if obj["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/instance") != release:
        problem(release, obj, "selector is not scoped to the release")


def check_release(release, docs, chart_dir, expect_rf, expect_min_isr, topics_file="files/topics.json"):
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
        labels = d["metadata"].get("labels") or {}
        for label in STANDARD_LABELS:
            if label not in labels:
                problem(release, d, f"no label {label}")
        if labels.get("app.kubernetes.io/instance") != release:
            problem(release, d, "app.kubernetes.io/instance is not the release")
        if release not in d["metadata"]["name"]:
            problem(release, d, "name does not carry the release name")
    accounts = {d["metadata"]["name"] for d in by_kind.get("ServiceAccount", [])}
    pod_labels = {}
    secrets_by_component = {}
    for d in docs:
        if d["kind"] not in WORKLOADS:
            continue
        pod, meta = pod_spec(d)
        component = (meta.get("labels") or {}).get("app.kubernetes.io/component", "?")
        for c in pod.get("containers", []) + pod.get("initContainers", []):
            check_container(release, d, pod, c)
        if pod.get("serviceAccountName") and pod["serviceAccountName"] not in accounts:
            problem(release, d, f"ServiceAccount {pod['serviceAccountName']} is not rendered")
        for key, allowed in SECRET_ONLY_FOR.items():
            if key in secret_keys(pod) and component not in allowed:
                problem(release, d, f"{component} is given {key}")
        for s in secret_names(pod):
            secrets_by_component.setdefault(s, set()).add(component)
        if d["kind"] == "Deployment":
            check_deployment(release, d, pod, meta)
            pod_labels[d["metadata"]["name"]] = meta.get("labels") or {}
        if component == "topics":
            args = pod["containers"][0]["command"]
            want = ["--replication-factor", str(expect_rf), "--min-insync-replicas", str(expect_min_isr)]
            if "apply" not in args or " ".join(want) not in " ".join(args):
                problem(release, d, f"topic Job does not apply {' '.join(want)}: {args}")
            if "/etc/lodging/topics.json" not in args:
                problem(release, d, "topic Job does not read /etc/lodging/topics.json")
    for s, comps in secrets_by_component.items():
        if len(comps) > 1:
            problem(release, None, f"Secret {s} is shared by {sorted(comps)}")
    deployments = {d["metadata"]["name"] for d in by_kind.get("Deployment", [])}
    for svc in by_kind.get("Service", []):
        sel = svc["spec"]["selector"]
        matched = [n for n, labels in pod_labels.items() if all(labels.get(k) == v for k, v in sel.items())]
        if len(matched) != 1:
            problem(release, svc, f"selector matches {len(matched)} Deployments of the release")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        sel = pdb["spec"]["selector"]["matchLabels"]
        if not any(all(labels.get(k) == v for k, v in sel.items()) for labels in pod_labels.values()):
            problem(release, pdb, "selects no Deployment's pods")
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        if hpa["spec"]["scaleTargetRef"]["name"] not in deployments:
            problem(release, hpa, "scales a Deployment that is not rendered")
        if not any(m["type"] == "Resource" for m in hpa["spec"]["metrics"]):
            problem(release, hpa, "does not scale on CPU")
    for cm in by_kind.get("ConfigMap", []):
        if "topics.json" in cm.get("data", {}):
            with open(os.path.join(chart_dir, topics_file)) as f:
                if json.loads(cm["data"]["topics.json"]) != json.load(f):
                    problem(release, cm, "topics.json differs from the chart's files/topics.json")
        if "lodging.json" in cm.get("data", {}):
            json.loads(cm["data"]["lodging.json"])
    with open(os.path.join(chart_dir, "files", "alerts.yaml")) as f:
        source = yaml.safe_load(f)
    want = {(r.get("alert"), r["expr"]) for g in source["groups"] for r in g["rules"]}
    for rule in by_kind.get("PrometheusRule", []):
        got = set()
        for group in rule["spec"]["groups"]:
            for r in group["rules"]:
                got.add((r.get("alert"), r["expr"]))
                if "alert" in r and not r.get("annotations", {}).get("runbook_url"):
                    problem(release, rule, f"alert {r['alert']} has no runbook_url")
        if got != want:
            problem(release, rule, "rules differ from deploy/monitoring/alerts.yaml")
    return by_kind


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chart", required=True)
    ap.add_argument("--release", action="append", required=True, help="NAME=FILE")
    ap.add_argument("--expect-rf", type=int, default=1)
    ap.add_argument("--expect-min-isr", type=int, default=1)
    ap.add_argument("--expect-kinds", default="")
    a = ap.parse_args()
    seen = {}
    for spec in a.release:
        release, path = spec.split("=", 1)
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        if not docs:
            problem(release, None, "rendered nothing")
        by_kind = check_release(release, docs, a.chart, a.expect_rf, a.expect_min_isr)
        for kind in filter(None, a.expect_kinds.split(",")):
            if kind not in by_kind:
                problem(release, None, f"renders no {kind}")
        for d in docs:
            key = (d["kind"], d["metadata"]["name"])
            if key in seen and seen[key] != release:
                problem(release, d, f"collides with release {seen[key]}")
            seen[key] = release
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problems", file=sys.stderr)
        return 1
    print(f"rendered objects ok ({len(seen)} objects, {len(a.release)} releases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
