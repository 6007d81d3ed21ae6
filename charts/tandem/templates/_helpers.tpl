{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "tandem.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, used as the base of every resource name.
If the release name already contains the chart name it is used as is.
*/}}
{{- define "tandem.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "tandem.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "tandem.labels" -}}
helm.sh/chart: {{ include "tandem.chart" . }}
{{ include "tandem.selectorLabels" . }}
app.kubernetes.io/version: {{ (.Values.image.tag | default .Chart.AppVersion) | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels (immutable on the Deployment: keep them stable).
*/}}
{{- define "tandem.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tandem.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "tandem.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tandem.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Container image reference; the tag defaults to the chart appVersion.
*/}}
{{- define "tandem.image" -}}
{{- printf "%s:%s" .Values.image.repository ((.Values.image.tag | default .Chart.AppVersion) | toString) }}
{{- end }}

{{/*
Name of the leader-election Lease.
*/}}
{{- define "tandem.leaseName" -}}
{{- printf "%s-leader" (include "tandem.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/*
Watched namespaces as a comma-separated string ("" = all namespaces).
Accepts a list (watchNamespaces={a,b}) or a comma-separated string
(--set-string watchNamespaces=a,b); trims blanks, removes duplicates and
rejects names that are not valid namespace names.
*/}}
{{- define "tandem.watchNamespaces" -}}
{{- $raw := .Values.watchNamespaces | default list }}
{{- if kindIs "string" $raw }}{{ $raw = splitList "," $raw }}{{ end }}
{{- $out := list }}
{{- range $raw }}
{{- $ns := toString . | trim }}
{{- if $ns }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" $ns) }}
{{- fail (printf "watchNamespaces: %q is not a valid namespace name" $ns) }}
{{- end }}
{{- $out = append $out $ns }}
{{- end }}
{{- end }}
{{- $out | uniq | join "," }}
{{- end }}

{{/*
RBAC rules the operator needs in every namespace it watches.
Least privilege: no wildcards, Secrets are read-only.
*/}}
{{- define "tandem.operatorRules" -}}
# SchemaMigration custom resources
- apiGroups: ["tandem.dev"]
  resources: ["schemamigrations"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["tandem.dev"]
  resources: ["schemamigrations/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["tandem.dev"]
  resources: ["schemamigrations/finalizers"]
  verbs: ["update"]
# migration state / locks
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# database credentials: read only
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
# Kubernetes events (core and events.k8s.io)
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# migration Jobs and their pods (to read a failed pod's reason)
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# rollout gates
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch"]
{{- end }}

{{/*
Base name for cluster-scoped objects (ClusterRole/ClusterRoleBinding). It
includes the release namespace so that several releases with the same name
in different namespaces do not collide.
*/}}
{{- define "tandem.clusterName" -}}
{{- printf "%s-%s" (include "tandem.fullname" .) .Release.Namespace }}
{{- end }}

{{/*
RBAC subject: the operator ServiceAccount.
*/}}
{{- define "tandem.subject" -}}
- kind: ServiceAccount
  name: {{ include "tandem.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}

{{/*
imagePullSecrets as a list of {name: ...}: accepts [{name: a}] and [a].
*/}}
{{- define "tandem.imagePullSecrets" -}}
{{- range .Values.imagePullSecrets }}
{{- if kindIs "map" . }}
- name: {{ required "imagePullSecrets: an entry has no name" .name | quote }}
{{- else }}
- name: {{ toString . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
imagePullSecrets names, comma-separated, for the backfill and verify Jobs.
*/}}
{{- define "tandem.imagePullSecretNames" -}}
{{- $names := list }}
{{- range .Values.imagePullSecrets }}
{{- if kindIs "map" . }}
{{- $names = append $names (toString .name) }}
{{- else }}
{{- $names = append $names (toString .) }}
{{- end }}
{{- end }}
{{- $names | join "," }}
{{- end }}
