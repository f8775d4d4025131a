{{/*
Names. Every object is named after the release ("<release>-lodging-<part>",
or "<release>-<part>" when the release name already contains "lodging"), so
two releases in one namespace never collide.
*/}}
{{- define "lodging.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lodging.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>": a service's or a job's objects. Call with (list $ "booking-svc"). */}}
{{- define "lodging.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "lodging.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "lodging.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "lodging.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lodging
{{- end -}}

{{/* What a component's selector matches (stable across upgrades). Call with (list $ "booking-svc"). */}}
{{- define "lodging.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "lodging.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Labels and component. Call with (list $ "booking-svc"). */}}
{{- define "lodging.componentLabels" -}}
{{ include "lodging.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* The image of a component. Call with (list $ "booking-svc"). */}}
{{- define "lodging.image" -}}
{{- $root := index . 0 -}}
{{- printf "%s/%s:%s" $root.Values.image.repository (index . 1) (default $root.Chart.AppVersion $root.Values.image.tag) -}}
{{- end -}}

{{/* The Secret a component reads its credentials from. Call with (list $ "booking-svc" $svcValues). */}}
{{- define "lodging.secretName" -}}
{{- $root := index . 0 -}}
{{- $own := index . 2 -}}
{{- if $own.existingSecret -}}
{{- tpl $own.existingSecret $root -}}
{{- else -}}
{{- include "lodging.componentName" (list $root (index . 1)) -}}
{{- end -}}
{{- end -}}

{{/* The restricted Pod Security profile, pod level. */}}
{{- define "lodging.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The restricted Pod Security profile, container level. */}}
{{- define "lodging.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Shared configuration as env entries, minus the names in $own. Values may use templates
     (e.g. the release's own Service names). Call with (list $ $ownEnv). */}}
{{- define "lodging.sharedEnv" -}}
{{- $root := index . 0 -}}
{{- $own := default dict (index . 1) -}}
{{- range $key, $value := $root.Values.config }}
{{- if not (hasKey $own $key) }}
- name: {{ $key }}
  value: {{ tpl (toString $value) $root | quote }}
{{- end }}
{{- end }}
{{- range $key, $value := $own }}
- name: {{ $key }}
  value: {{ tpl (toString $value) $root | quote }}
{{- end }}
{{- end -}}

{{/* A Job's pod spec: the restricted profile, its own ServiceAccount, no retries
     of the pod in place. Call with (list $ "migrate" $command $secretName $extraVolumeMounts $extraVolumes). */}}
{{- define "lodging.jobPodSpec" -}}
{{- $root := index . 0 -}}
{{- $component := list $root (index . 1) -}}
serviceAccountName: {{ include "lodging.componentName" $component }}
automountServiceAccountToken: false
restartPolicy: Never
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- include "lodging.podSecurityContext" $root | nindent 2 }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: {{ index . 1 }}
    image: {{ include "lodging.image" (list $root $root.Values.jobs.imageComponent) | quote }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    command:
      {{- toYaml (index . 2) | nindent 6 }}
    env:
      {{- include "lodging.sharedEnv" (list $root dict) | trim | nindent 6 }}
    {{- if index . 3 }}
    envFrom:
      - secretRef:
          name: {{ index . 3 }}
    {{- end }}
    resources:
      {{- toYaml $root.Values.jobs.resources | nindent 6 }}
    securityContext:
      {{- include "lodging.containerSecurityContext" $root | nindent 6 }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      {{- with index . 4 }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
volumes:
  - name: tmp
    emptyDir: {sizeLimit: 64Mi}
  {{- with index . 5 }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* A ServiceAccount for a Job. Call with (list $ "migrate" $hookAnnotations). */}}
{{- define "lodging.jobServiceAccount" -}}
{{- $root := index . 0 -}}
{{- $component := list $root (index . 1) -}}
{{- if $root.Values.serviceAccount.create }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "lodging.componentName" $component }}
  labels:
    {{- include "lodging.componentLabels" $component | nindent 4 }}
  {{- if or (index . 2) $root.Values.serviceAccount.annotations }}
  annotations:
    {{- with index . 2 }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $root.Values.serviceAccount.annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end -}}
