{{- define "lodging.labels" -}}
app.kubernetes.io/part-of: lodging
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
