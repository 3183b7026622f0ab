{{/* The release's base name: FULLNAME-operator and FULLNAME-dns derive from it (63 characters at most). */}}
{{- define "geodns.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else if contains "geodns" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (default "geodns" .Values.nameOverride) | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "geodns.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "geodns.operator.fullname" -}}{{ include "geodns.fullname" . }}-operator{{- end -}}
{{- define "geodns.dns.fullname" -}}{{ include "geodns.fullname" . }}-dns{{- end -}}

{{- define "geodns.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (include "geodns.operator.fullname" .) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- required "operator.serviceAccount.name is required when operator.serviceAccount.create is false" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "geodns.dns.serviceAccountName" -}}
{{- if .Values.dns.serviceAccount.create -}}
{{- default (include "geodns.dns.fullname" .) .Values.dns.serviceAccount.name -}}
{{- else -}}
{{- required "dns.serviceAccount.name is required when dns.serviceAccount.create is false" .Values.dns.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "geodns.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "geodns.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component (operator or dns): stable across upgrades. */}}
{{- define "geodns.selectorLabels" -}}
app.kubernetes.io/name: {{ include "geodns.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "geodns.componentLabels" -}}
{{ include "geodns.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "geodns.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* Non-root, no privilege escalation, read-only root, no capabilities, the runtime's seccomp profile. */}}
{{- define "geodns.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "geodns.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The ConfigMap the operator writes for a GeoZone (api/configmaps.ts zoneConfigMapName; the schema keeps
names short enough that no hash is needed). */}}
{{- define "geodns.zoneConfigMapName" -}}geodns-zone-{{ . }}{{- end -}}

{{/* GeoZone names whose ConfigMaps form the DNS pods' fallback: the listed ones and the chart's own GeoZone. */}}
{{- define "geodns.fallbackZones" -}}
{{- $zones := .Values.dns.fallback.zones -}}
{{- if and .Values.geoZone.create .Values.geoZone.name -}}
{{- $zones = append $zones .Values.geoZone.name -}}
{{- end -}}
{{- toJson (uniq $zones) -}}
{{- end -}}

{{/* MaxMind's geoipupdate image, writing dns.geoip's editions into the geoip volume: run once (frequency 0) or
every `frequency` hours. The account ID and licence key are read from the Secret's files, never put in the env. */}}
{{- define "geodns.geoipupdateContainer" -}}
{{- $update := .root.Values.dns.geoip.geoipupdate -}}
- name: {{ .name }}
  image: {{ $update.image }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  env:
    - { name: GEOIPUPDATE_EDITION_IDS, value: {{ $update.editionIds | quote }} }
    - { name: GEOIPUPDATE_FREQUENCY, value: {{ .frequency | int | quote }} }
    - { name: GEOIPUPDATE_DB_DIR, value: /geoip }
    - { name: GEOIPUPDATE_ACCOUNT_ID_FILE, value: {{ printf "/etc/geoipupdate/%s" $update.secret.accountIdKey | quote }} }
    - { name: GEOIPUPDATE_LICENSE_KEY_FILE, value: {{ printf "/etc/geoipupdate/%s" $update.secret.licenseKeyKey | quote }} }
    - { name: GEOIPUPDATE_CONF_FILE, value: /var/lib/geoipupdate/GeoIP.conf }
  resources:
    {{- toYaml $update.resources | nindent 4 }}
  securityContext:
    {{- include "geodns.containerSecurityContext" .root | nindent 4 }}
  volumeMounts:
    - { name: geoip, mountPath: /geoip }
    - { name: geoipupdate-account, mountPath: /etc/geoipupdate, readOnly: true }
    - { name: geoipupdate-state, mountPath: /var/lib/geoipupdate }
{{- end -}}

{{/* "true" when the operator serves its peer listener (operator.peers.clusterName and a port), else "". */}}
{{- define "geodns.operator.peerListener" -}}
{{- if and .Values.operator.peers.clusterName (gt (.Values.operator.peers.port | int) 0) }}true{{- end -}}
{{- end -}}
