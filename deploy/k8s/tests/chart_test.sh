#!/usr/bin/env bash
# The Helm chart's test: `helm lint` and `helm template` with the default and
# the production values, the rendered objects checked by check_rendered.py
# (three releases in one namespace among them), values the schema must
# refuse, and renders the checks must reject (so they can fail). Needs helm
# (deploy/local/setup builds it) and the venv's PyYAML; exits 77 (CTest:
# skipped) without helm.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "$0")/../../local/lib.sh"
CHART="$ROOT_DIR/deploy/k8s/lodging"
HELM="${HELM:-$HELM_BIN}"
[ -x "$HELM" ] || HELM="$(command -v helm || true)"
if [ -z "$HELM" ]; then
    echo "helm not found: deploy/local/setup builds it into $HELM_BIN" >&2
    exit 77
fi
PY="$VENV_DIR/bin/python"
[ -x "$PY" ] || PY=python3
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion); helm
# template otherwise assumes its own default, older one.
KUBE=(--kube-version 1.25.0)
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
PROD=(-f "$CHART/values-production.yaml")
# Production needs the site's hotels for the CronJob; the sandboxes show the
# optional components render as cleanly.
EVERYTHING=(--set reconcile.enabled=true --set 'reconcile.hotels={hotel_123,hotel_busan}'
    --set services.pms-sandbox.enabled=true --set services.pay-sandbox.enabled=true
    --set services.toss-sandbox.enabled=true --set services.opera-sandbox.enabled=true
    --set config.PMS_OPERA_CHANNEL_CODE=LODGING
    --set monitoring.serviceMonitor.enabled=true --set monitoring.prometheusRule.enabled=true
    --set monitoring.grafanaDashboard.enabled=true
    --set services.inventory-svc.autoscaling.enabled=true
    --set services.inventory-svc.autoscaling.consumerLag.enabled=true)

echo "== helm lint (default, production)"
"$HELM" lint --strict "$CHART"
"$HELM" lint --strict "$CHART" "${PROD[@]}"

echo "== helm template"
"$HELM" template lodging "$CHART" "${KUBE[@]}" --namespace shop >"$OUT/default.yaml"
"$HELM" template blue "$CHART" "${KUBE[@]}" --namespace shop "${EVERYTHING[@]}" >"$OUT/blue.yaml"
"$HELM" template green "$CHART" "${KUBE[@]}" --namespace shop "${PROD[@]}" \
    --set reconcile.enabled=true --set 'reconcile.hotels={hotel_123}' >"$OUT/green.yaml"
"$PY" "$ROOT_DIR/deploy/k8s/tests/check_rendered.py" --chart "$CHART" \
    --release lodging="$OUT/default.yaml" --release blue="$OUT/blue.yaml" \
    --expect-kinds Deployment,Service,ServiceAccount,PodDisruptionBudget,Job,ConfigMap
"$PY" "$ROOT_DIR/deploy/k8s/tests/check_rendered.py" --chart "$CHART" \
    --release green="$OUT/green.yaml" --expect-rf 3 --expect-min-isr 2 \
    --expect-kinds Deployment,Service,ServiceAccount,PodDisruptionBudget,HorizontalPodAutoscaler,Job,CronJob,ServiceMonitor,PrometheusRule,ConfigMap

echo "== values the chart refuses"
refuse() {
    local why="$1" err
    shift
    if err="$("$HELM" template bad "$CHART" "${KUBE[@]}" "$@" 2>&1 >/dev/null)"; then
        echo "FAIL: rendered with $why: $*" >&2
        exit 1
    fi
    echo "refused ($why): $(grep -v -e '^walk.go' -e '^$' -e 'Use --debug' <<<"$err" | tail -n 1 | cut -c1-160)"
}
refuse "zero replicas" --set services.poller.replicas=0
refuse "unknown top-level key" --set replicas=3
refuse "a hotel id that is not an id" --set reconcile.enabled=true --set 'reconcile.hotels={a;reboot}'
refuse "grace period shorter than the drain" --set shutdown.terminationGracePeriodSeconds=5
refuse "reconciliation without hotels" --set reconcile.enabled=true
refuse "a container without a memory request" --set services.poller.resources.requests.memory=null
refuse "a topic file the chart does not hold" --set topics.file=files/nope.json

echo "== renders the checks must reject"
reject() {
    local why="$1"
    shift
    "$HELM" template lodging "$CHART" "${KUBE[@]}" "$@" >"$OUT/bad.yaml" 2>/dev/null
    if "$PY" "$ROOT_DIR/deploy/k8s/tests/check_rendered.py" --chart "$CHART" \
        --release lodging="$OUT/bad.yaml" >/dev/null 2>"$OUT/bad.err"; then
        echo "FAIL: the checks passed $why: $*" >&2
        exit 1
    fi
    echo "rejected ($why): $(head -n 1 "$OUT/bad.err")"
}
reject "the payment key in the poller" --set 'services.poller.secretKeys={MYSQL_URL,PAYMENT_API_KEY}'
reject "two services sharing a Secret" --set services.poller.existingSecret=lodging-booking-svc
reject "names not scoped to the release" --set fullnameOverride=shared
echo "chart ok"
